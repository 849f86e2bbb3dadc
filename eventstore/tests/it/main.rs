//! The event store and the projector runtime against a real Postgres, one fresh database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod batch;
mod ledger;
mod runtime;
mod seal;
mod store;
