//! `kafka/topics/*`.

mod alter_configs;
mod create;
mod delete;
mod describe;
mod list;
