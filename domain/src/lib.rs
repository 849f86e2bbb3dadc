//! Bocha's domain: aggregates, their commands and events, and the rules that decide between them.
//!
//! Nothing here talks to a database, a network or a clock: time and new ids arrive inside
//! commands, so every rule can be tested with cqrs-es's given/when/then framework alone.

pub mod actor;
pub mod chat;
pub mod claims;
pub mod comment;
pub mod image;
pub mod metadata;
pub mod permissions;
pub mod personal;
pub mod post;
pub mod reason;
pub mod relation;
pub mod report;
pub mod subscription;
pub mod text;
pub mod user;

pub use actor::Actor;
pub use claims::{Claim, ClaimKind, Claims};
pub use metadata::Metadata;
pub use personal::Personal;
