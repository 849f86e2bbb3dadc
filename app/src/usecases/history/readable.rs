//! Events as a person reads them on a history page: a label, what was said, what changed.
//!
//! Each event is read back as its aggregate's typed event, through the same upcasters as the
//! write side, so an event stored in an older shape reads like a current one.

use std::collections::HashMap;

use domain::chat::{Chat, ChatEvent};
use domain::comment::{Comment, CommentEvent};
use domain::post::{Post, PostEvent};
use domain::relation::{Favorite, FavoriteEvent};
use eventstore::Stored;
use eventstore::store::decode_payload;
use projections::audit::{AuditEvent, PostVersion};

use super::diff::{FieldDiff, content_diff, field_diff};

/// One event, readable.
#[derive(Debug, Default)]
pub struct Readable {
    pub label: String,
    /// What was said or named: a comment, a message, a post's title, a request's note.
    pub detail: Option<String>,
    pub diffs: Vec<FieldDiff>,
    /// The post version this event made, when it made one.
    pub version: Option<i64>,
}

impl Readable {
    fn labelled(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            ..Self::default()
        }
    }

    fn with_detail(mut self, detail: Option<String>) -> Self {
        self.detail = detail;
        self
    }
}

/// The event as its aggregate's typed event, upcast from an older shape when it is one.
fn typed<A: Stored>(event: &AuditEvent) -> Option<A::Event> {
    let decoded = decode_payload::<A>(
        &event.aggregate_id,
        event.sequence,
        &event.event_type,
        &event.event_version,
        &event.data,
    );
    match decoded {
        Ok(typed) => Some(typed),
        Err(err) => {
            // Shown by its stored name rather than failing the whole page.
            tracing::warn!(position = event.position, error = %err, "an event in a history does not decode");
            None
        }
    }
}

/// A post's history: its own events (with what each edit changed), its comments and favorites.
pub fn post_events(events: &[AuditEvent], versions: &[PostVersion]) -> Vec<Readable> {
    events
        .iter()
        .map(|event| {
            let readable = match event.aggregate_type.as_str() {
                "Post" => typed::<Post>(event).map(|e| post_event(e, event.sequence, versions)),
                "Comment" => typed::<Comment>(event).map(comment_event),
                "Favorite" => typed::<Favorite>(event).map(favorite_event),
                _ => None,
            };
            readable.unwrap_or_else(|| Readable::labelled(&event.event_type))
        })
        .collect()
}

fn post_event(event: PostEvent, sequence: i64, versions: &[PostVersion]) -> Readable {
    match event {
        PostEvent::PostPublished { content, .. } => Readable {
            version: Some(sequence),
            ..Readable::labelled("Published").with_detail(Some(content.title.as_str().to_owned()))
        },
        PostEvent::PostEdited { content: new } => {
            let previous = versions.iter().rev().find(|v| v.sequence < sequence);
            let diffs = match previous {
                Some(old) => content_diff(&old.content, &new),
                None => Vec::new(),
            };
            Readable {
                version: Some(sequence),
                diffs,
                ..Readable::labelled("Edited")
            }
        }
        PostEvent::DraftSaved { .. } => Readable::labelled("Saved the draft"),
        PostEvent::DraftDiscarded { .. } => Readable::labelled("Discarded the draft"),
        PostEvent::PublishScheduled { at } => {
            Readable::labelled("Scheduled to publish").with_detail(Some(at.to_rfc3339()))
        }
        PostEvent::ScheduleCancelled { .. } => Readable::labelled("Cancelled the schedule"),
        PostEvent::PreviewShared { .. } => Readable::labelled("Shared a preview link"),
        PostEvent::PreviewRevoked { .. } => Readable::labelled("Revoked the preview link"),
        PostEvent::PostDeleted { .. } => Readable::labelled("Deleted the post"),
        PostEvent::PostHidden { reason, .. } => Readable::labelled("Hidden by moderators")
            .with_detail(Some(format!("Because: {}", reason.as_str()))),
        PostEvent::PostUnhidden { reason, .. } => Readable::labelled("Shown again by moderators")
            .with_detail(Some(format!("Because: {}", reason.as_str()))),
    }
}

fn comment_event(event: CommentEvent) -> Readable {
    match event {
        CommentEvent::CommentPosted { body, .. } => {
            Readable::labelled("Commented").with_detail(Some(body.as_str().to_owned()))
        }
        CommentEvent::CommentEdited { body, .. } => {
            Readable::labelled("Edited a comment").with_detail(Some(body.as_str().to_owned()))
        }
        CommentEvent::CommentDeleted { .. } => Readable::labelled("Deleted a comment"),
        CommentEvent::CommentHidden { reason, .. } => {
            Readable::labelled("A comment was hidden by moderators")
                .with_detail(Some(format!("Because: {}", reason.as_str())))
        }
        CommentEvent::CommentUnhidden { reason, .. } => {
            Readable::labelled("A comment was shown again by moderators")
                .with_detail(Some(format!("Because: {}", reason.as_str())))
        }
    }
}

fn favorite_event(event: FavoriteEvent) -> Readable {
    match event {
        FavoriteEvent::PostFavorited { .. } => Readable::labelled("Favorited"),
        FavoriteEvent::PostUnfavorited { .. } => Readable::labelled("Took back a favorite"),
    }
}

/// A chat's history. An edit shows what it changed when the message it edits is on the same
/// page; a deletion shows what was deleted, to staff who may see it (the people of the chat see
/// only that a text was there; see `redact`).
pub fn chat_events(events: &[AuditEvent]) -> Vec<Readable> {
    let mut bodies: HashMap<u64, String> = HashMap::new();
    events
        .iter()
        .map(|event| match typed::<Chat>(event) {
            Some(typed) => {
                let readable = chat_event(typed, &mut bodies);
                // A text the reader may not see (see `redact`) says why it is missing.
                match event.data.get("withheld").and_then(|w| w.as_str()) {
                    Some(why) => Readable {
                        detail: Some(format!("(text not shown: {why})")),
                        diffs: Vec::new(),
                        ..readable
                    },
                    None => readable,
                }
            }
            None => Readable::labelled(&event.event_type),
        })
        .collect()
}

fn chat_event(event: ChatEvent, bodies: &mut HashMap<u64, String>) -> Readable {
    match event {
        ChatEvent::ChatRequested { note, .. } => {
            Readable::labelled("Asked to chat").with_detail(note.map(|n| n.as_str().to_owned()))
        }
        ChatEvent::ChatRequestApproved { .. } => Readable::labelled("Approved the request"),
        ChatEvent::ChatRequestDeclined { .. } => Readable::labelled("Declined the request"),
        ChatEvent::ChatRequestCancelled { .. } => Readable::labelled("Cancelled the request"),
        ChatEvent::RoomOpened { .. } => Readable::labelled("The chat opened"),
        ChatEvent::MessageSent {
            seq,
            body,
            reply_to,
            attachment,
            ..
        } => {
            let body = body.as_str().to_owned();
            bodies.insert(seq, body.clone());
            let mut label = format!("Message #{seq}");
            if let Some(to) = reply_to {
                label.push_str(&format!(", replying to #{to}"));
            }
            if let Some(file) = attachment {
                label.push_str(&format!(", with the file “{}”", file.name));
            }
            Readable::labelled(label).with_detail(Some(body).filter(|b| !b.is_empty()))
        }
        ChatEvent::MessageEdited { seq, body, .. } => {
            let body = body.as_str().to_owned();
            let readable = Readable::labelled(format!("Edited message #{seq}"));
            match bodies.insert(seq, body.clone()) {
                Some(before) if !before.is_empty() => Readable {
                    diffs: field_diff("Message", &before, &body).into_iter().collect(),
                    ..readable
                },
                _ => readable.with_detail(Some(body)),
            }
        }
        ChatEvent::MessageDeleted { seq, .. } => Readable::labelled(format!("Deleted message #{seq}"))
            .with_detail(bodies.get(&seq).filter(|b| !b.is_empty()).cloned()),
        ChatEvent::MessagesRead { seq, .. } => Readable::labelled(format!("Read up to message #{seq}")),
        ChatEvent::ReactionAdded { seq, reaction, .. } => {
            Readable::labelled(format!("Reacted {} to message #{seq}", reaction.emoji()))
        }
        ChatEvent::ReactionRemoved { seq, reaction, .. } => {
            Readable::labelled(format!("Took back {} on message #{seq}", reaction.emoji()))
        }
        ChatEvent::Blocked { .. } => Readable::labelled("Blocked the other person"),
        ChatEvent::Unblocked { .. } => Readable::labelled("Unblocked the other person"),
        ChatEvent::StaffRead { reason, .. } => Readable::labelled("Staff read this conversation")
            .with_detail(Some(format!("Because: {}", reason.as_str()))),
    }
}
