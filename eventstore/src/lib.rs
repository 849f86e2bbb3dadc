//! The write side of Bocha: where events are stored and how they flow on.
//!
//! - [`store`]: load an aggregate, append what it decided (events, snapshot and unique claims in
//!   one statement).
//! - [`commands`]: run a command against an aggregate and wait until the read models show it.
//! - [`log`]: read the log in commit order, by [`Cursor`], for anything that tails it.
//! - [`runtime`]: the projector runtime: checkpoints, the live lock, catching up, settling.
//! - [`seal`]: personal data in the log, sealed per person so that erasing them is real.
//! - [`db`]: connecting to Postgres and running the migrations.
//!
//! The read models themselves, and their rebuild, are in the `projections` crate.
//!
//! Queries are checked at compile time by sqlx's macros against `.sqlx/` (see
//! `scripts/sqlx-prepare`); as in `projections`, timestamps in them name their type, because
//! the app's build turns on sqlx's `time` feature.

pub mod commands;
pub mod db;
pub mod ledger;
pub mod log;
pub mod runtime;
pub mod seal;
pub mod store;

#[cfg(feature = "testing")]
pub mod testing;

pub use commands::{CommandError, Commands};
pub use log::{Cursor, StoredEvent};
pub use runtime::{ProjectionError, Projections, Projector};
pub use store::{EventStore, Stored};
