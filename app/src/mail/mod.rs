//! Outgoing mail. Events queue it (see `projections::mail`); [`sender`] sends it from the
//! outbox after the command committed, through the [`transport`] the configuration names;
//! [`compose`] turns a queued mail into a message, signing the [`links`] it carries.

pub mod compose;
pub mod links;
pub mod sender;
pub mod transport;

pub use sender::Sender;
pub use transport::Transport;
