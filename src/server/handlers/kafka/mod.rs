//! `kafka/*`: topics, consumer groups and lag of a connection's Kafka cluster, one method per file.

mod groups;
mod lag;
mod records;
mod topics;
