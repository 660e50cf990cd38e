//! `kafka/lag/*`: live lag, pushed as `kafka/lag` notifications (see `server/lag.rs`).

mod unwatch;
mod watch;
