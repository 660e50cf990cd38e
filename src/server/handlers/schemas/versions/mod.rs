//! `schemas/versions/*`.

mod list;
