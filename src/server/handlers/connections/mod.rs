//! `connections/*`: the connection store, one method per file.

mod create;
mod delete;
mod get;
mod list;
mod patch;
mod refresh;
mod update;
