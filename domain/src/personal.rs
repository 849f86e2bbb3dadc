//! Personal data in events: whose it is, and what an event looks like without it.
//!
//! The log keeps everything for ever, so a person's data cannot be deleted from it; instead the
//! event store encrypts each event that holds someone's personal data with that person's key,
//! and keeps beside the ciphertext the event's *erased form* in clear. Deleting an account
//! destroys the key: from then on every reader (projectors, rebuilds, the audit pages, exports)
//! gets the erased form, and the history keeps its shape (who did what, when, by id) without
//! the words.
//!
//! What is personal, per aggregate: an account's username, addresses, password hashes, name,
//! bio and picture; a post's title, description, body, tags, cover and the slug made from its
//! title; a comment's body; a chat message's body and a chat request's note. Ids, times,
//! sequence numbers and flags stay in clear: they are what the read models and the audit join
//! on, and they say nothing about anyone without the rest.

use uuid::Uuid;

use crate::user::UserId;

/// The username an erased account shows. It is not a valid username (it has a space), so nobody
/// can sign up as it.
pub const ERASED_USERNAME: &str = "deleted user";

/// The title an erased post shows.
pub const ERASED_TITLE: &str = "Deleted post";

/// Implemented by aggregates whose events may hold someone's personal data.
pub trait Personal: cqrs_es::Aggregate {
    /// Whose personal data `event` holds and the event without it, or `None` when it holds
    /// nobody's. `self` is the aggregate with `event` applied (as the store sees it when
    /// appending), so events that do not name their owner (an edit) find them in the state.
    fn personal(&self, event: &Self::Event) -> Option<(UserId, Self::Event)>;
}

/// An erased post is known by this and its id in hex: the underscore is in no slug made from a
/// title, so no later post can be given it.
pub const ERASED_SLUG_PREFIX: &str = "deleted_";

pub(crate) fn erased_slug(id: Uuid) -> String {
    format!("{ERASED_SLUG_PREFIX}{}", id.simple())
}
