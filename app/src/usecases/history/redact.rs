//! What of a private chat's words a reader of its events sees.
//!
//! The log keeps every word ever written in a chat, deleted and edited ones too. The two people
//! read back only what is still in their chat: a deleted message, or a version an edit replaced,
//! shows that it was there, not what it said. Staff see every word of a chat only after stating
//! why (the chat records it), and none in the global log.

use std::collections::HashMap;

use projections::audit::AuditEvent;
use projections::chat::messages;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// Which words of a chat its reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// Every word as written: staff who stated a reason.
    All,
    /// The words still in the chat: its two people.
    Current,
    /// No message or note at all: the global log.
    None,
}

/// Why a text is missing, kept in the event's data for the history page and exports.
const DELETED: &str = "deleted";
const REPLACED: &str = "replaced by an edit";
const UNREAD: &str = "staff must state a reason to read a chat";

fn is_message(event: &AuditEvent) -> bool {
    event.aggregate_type == "Chat" && matches!(event.event_type.as_str(), "MessageSent" | "MessageEdited")
}

fn withhold(event: &mut AuditEvent, field: &str, why: &str) {
    if let Value::Object(data) = &mut event.data
        && data.contains_key(field)
    {
        data.insert(field.to_owned(), Value::String(String::new()));
        data.insert("withheld".to_owned(), Value::String(why.to_owned()));
    }
}

/// A file goes with its message's words: the reader learns neither its name nor its link.
fn drop_attachment(event: &mut AuditEvent) {
    if let Value::Object(data) = &mut event.data {
        data.remove("attachment");
    }
}

/// Withholds from `events` the words `words` does not show.
pub async fn chat(db: &PgPool, words: Words, events: &mut [AuditEvent]) -> Result<(), sqlx::Error> {
    match words {
        Words::All => Ok(()),
        Words::None => {
            for event in events.iter_mut().filter(|e| e.aggregate_type == "Chat") {
                withhold(event, "body", UNREAD);
                drop_attachment(event);
                if event.data.get("note").is_some_and(|n| !n.is_null()) {
                    withhold(event, "note", UNREAD);
                }
            }
            Ok(())
        }
        Words::Current => current(db, events).await,
    }
}

/// Keeps a message's text only where it is what the chat says now.
async fn current(db: &PgPool, events: &mut [AuditEvent]) -> Result<(), sqlx::Error> {
    let mut seqs: HashMap<Uuid, Vec<i64>> = HashMap::new();
    for event in events.iter().filter(|e| is_message(e)) {
        if let (Ok(room), Some(seq)) = (event.aggregate_id.parse(), event.data["seq"].as_i64()) {
            seqs.entry(room).or_default().push(seq);
        }
    }
    let mut now: HashMap<(Uuid, i64), Option<String>> = HashMap::new();
    for (room, seqs) in seqs {
        for (seq, body) in messages::current_bodies(db, room, &seqs).await? {
            now.insert((room, seq), body);
        }
    }
    for event in events.iter_mut().filter(|e| is_message(e)) {
        let key = (
            event.aggregate_id.parse().unwrap_or_default(),
            event.data["seq"].as_i64().unwrap_or_default(),
        );
        match now.get(&key) {
            Some(Some(body)) if event.data["body"].as_str() == Some(body.as_str()) => {}
            Some(Some(_)) => withhold(event, "body", REPLACED),
            Some(None) | None => {
                withhold(event, "body", DELETED);
                drop_attachment(event);
            }
        }
    }
    Ok(())
}
