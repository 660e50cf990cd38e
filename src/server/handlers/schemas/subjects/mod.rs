//! `schemas/subjects/*`.

mod list;
