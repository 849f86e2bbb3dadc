//! Outgoing mail. Events queue it (see `projections::mail`); [`sender`] sends it from the
//! outbox after the command committed, through the [`transport`] the configuration names;
//! [`compose`] turns a queued mail into a message, signing the [`links`] it carries;
//! [`notices`] queues the mail no event calls for: who wrote while someone was away.

pub mod compose;
pub mod links;
pub mod notices;
pub mod sender;
pub mod transport;

pub use sender::Sender;
pub use transport::Transport;
