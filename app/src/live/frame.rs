//! A frame on its way to a socket: its text, serialized once for every socket it goes to, and,
//! for a message, where it stands in its room, by which the socket keeps each room in order.

use std::sync::Arc;

use projections::live::ServerFrame;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Frame {
    pub text: Arc<str>,
    pub message: Option<Stamp>,
}

/// Which message of which room a frame carries, and which version of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub room: Uuid,
    pub seq: i64,
    pub version: i32,
}

impl Frame {
    pub fn of(value: &ServerFrame) -> Self {
        // A frame holds strings, numbers and UUIDs only: it always serializes.
        let text = serde_json::to_string(value).unwrap_or_default();
        let message = match value {
            ServerFrame::Message { message } => Some(Stamp {
                room: message.room_id,
                seq: message.seq,
                version: message.version,
            }),
            _ => None,
        };
        Self {
            text: text.into(),
            message,
        }
    }
}
