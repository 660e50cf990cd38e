//! `kafka/groups/*`.

mod describe;
mod list;
mod reset_offsets;
