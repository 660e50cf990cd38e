//! `schemas/*`: subjects, versions and schemas of a connection's Schema Registry, one method per file.

mod check_compatibility;
mod config;
mod delete;
mod get;
mod register;
mod subjects;
mod versions;
