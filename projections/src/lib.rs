//! Everything Bocha keeps in Postgres: the event store that commands append to, the projector
//! runtime that turns the log into read models, and the read models themselves with their
//! typed queries. SQL lives in this crate and nowhere else.

pub mod audit;
pub mod chat;
pub mod commands;
pub mod comments;
pub mod db;
pub mod favorites;
pub mod follows;
pub mod live;
pub mod log;
pub mod markdown;
pub mod posts;
pub mod rebuild;
pub mod runtime;
pub mod store;
pub mod users;
pub mod wire;

#[cfg(feature = "testing")]
pub mod testing;

pub use commands::{CommandError, Commands};
pub use log::{Cursor, StoredEvent};
pub use runtime::{Projections, Projector};
pub use store::{EventStore, Stored};
