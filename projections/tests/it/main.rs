//! Read models, their audit queries and their rebuild against a real Postgres, one fresh
//! database per test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod bad_id;
mod rebuild;
mod upcast;
