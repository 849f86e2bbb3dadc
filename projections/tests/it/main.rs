//! Event store and projector runtime against a real Postgres, one fresh database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod counter;
mod rebuild;
mod runtime;
mod store;
mod upcast;
