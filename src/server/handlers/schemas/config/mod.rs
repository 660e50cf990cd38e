//! `schemas/config/*`: compatibility levels.

mod get;
mod set;
