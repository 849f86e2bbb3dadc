//! Who caused an event and in which request: stored beside every event for the audit.

use std::collections::HashMap;

use uuid::Uuid;

/// The metadata every command's events carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The signed-in user who issued the command; `None` for sign-up and system work.
    pub actor: Option<Uuid>,
    /// The id of the HTTP request (or CLI run) that issued the command.
    pub request_id: String,
}

impl Metadata {
    pub fn new(actor: Option<Uuid>, request_id: impl Into<String>) -> Self {
        Self {
            actor,
            request_id: request_id.into(),
        }
    }

    /// The string map cqrs-es stores in the events table's `metadata` column.
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::with_capacity(2);
        if let Some(actor) = self.actor {
            map.insert("actor".to_owned(), actor.to_string());
        }
        map.insert("request_id".to_owned(), self.request_id.clone());
        map
    }
}
