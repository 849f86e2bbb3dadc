//! Bocha's read models: one module per model with its tables' SQL, its projector and its typed
//! queries, plus the live publisher (a consumer of the log like any projector) and the rebuild
//! of read models into shadow tables.
//!
//! - Read models: [`users`], [`posts`], [`comments`], [`favorites`], [`follows`], [`chat`]
//!   (requests, rooms, messages, blocks, staff's readings), [`moderation`] (the public log of
//!   staff actions), [`reports`] (the staff queue), [`audit`] (the log as people read it).
//! - [`live`]: what the socket pushes, read back from the log and announced on Redis.
//! - [`pages`]: when the pages signed-out visitors see may have changed.
//! - [`rebuild`]: throw a read model away and build it again from the events, online.
//! - [`markdown`], [`wire`]: rendering posts and the JSON shapes the API and socket share.
//!
//! The event store, the log and the projector runtime are in the `eventstore` crate. SQL for
//! these tables lives here and nowhere else.
//!
//! Queries are checked at compile time by sqlx's macros against `.sqlx/` (see
//! `scripts/sqlx-prepare`). Timestamps in them name their type (`as "created_at: _"`,
//! `at as DateTime<Utc>`): the app's session store turns on sqlx's `time` feature, with which
//! the macros would otherwise expect `time`'s types rather than chrono's.

pub mod audit;
pub mod chat;
pub mod comments;
pub mod drafts;
pub mod erasure;
pub mod favorites;
pub mod follows;
pub mod live;
pub mod mail;
pub mod markdown;
pub mod moderation;
pub mod pages;
pub mod posts;
pub mod rebuild;
pub mod reports;
pub mod subscriptions;
pub mod takeout;
pub mod users;
pub mod wire;
