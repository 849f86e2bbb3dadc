//! The socket protocol (docs/API.md) in code: what a client may send, and everything a socket
//! receives. The AsyncAPI document at `/api/asyncapi.json` is generated from these types.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::chat::messages::MessageJson;
use crate::chat::requests::RequestJson;

/// A frame from a client, serialized as `{"type": ..., ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Send a message: answered by `ack` (or `error` with the same `client_id`), and delivered
    /// as `message` to everyone in the room. A resend with the same `client_id` is stored once.
    Send {
        room_id: Uuid,
        /// Chosen by the client, one per message.
        client_id: Uuid,
        /// 1 to 4000 characters after trimming (may be empty with `attachment_id`).
        #[serde(default)]
        body: String,
        /// The `seq` of an earlier message this one answers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<i64>,
        /// A file uploaded to the room (`POST /api/chat/rooms/{id}/attachments`) to send with
        /// this message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attachment_id: Option<Uuid>,
    },
    /// Every message of the room with `seq` greater than `after`, in order, then `synced`.
    Sync { room_id: Uuid, after: i64 },
    /// A read receipt up to `seq`; the room's others get `read`.
    Read { room_id: Uuid, seq: i64 },
    /// The other person gets `typing`.
    Typing { room_id: Uuid },
}

/// A frame from the server to a socket, serialized as `{"type": ..., ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The first frame on a socket: whose it is.
    Hello { user: String },
    /// A message sent, edited or deleted, in any room of the socket's person.
    Message { message: MessageJson },
    /// The answer to the socket's own `send`: the message as stored.
    Ack { client_id: Uuid, message: MessageJson },
    /// A `sync` has sent every message of the room up to `seq`.
    Synced { room_id: Uuid, seq: i64 },
    /// Someone in the room has read up to `seq`.
    Read {
        room_id: Uuid,
        username: Option<String>,
        seq: u64,
    },
    /// A chat request made or answered, as its recipient of the frame sees it.
    Request { request: RequestJson },
    /// The other person in the room is typing (not stored).
    Typing { room_id: Uuid, username: String },
    /// A client frame refused; `client_id` names the `send` it answers.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<Uuid>,
        /// Seconds to wait, for `rate_limited` and `overloaded`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
}

/// Why a client frame was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Invalid,
    NotFound,
    Forbidden,
    RateLimited,
    /// The server is storing as many messages as it can: send again after `retry_after`.
    Overloaded,
    Unavailable,
}

impl ServerFrame {
    pub fn error(code: ErrorCode, message: impl Into<String>, client_id: Option<Uuid>) -> Self {
        Self::Error {
            code,
            message: message.into(),
            client_id,
            retry_after: None,
        }
    }

    /// A send refused because the server is at capacity: try again in `seconds`.
    pub fn overloaded(seconds: u64, client_id: Option<Uuid>) -> Self {
        Self::Error {
            code: ErrorCode::Overloaded,
            message: format!("the server is busy; send again in {seconds} s"),
            client_id,
            retry_after: Some(seconds),
        }
    }

    /// A refusal by a rate limit: wait `seconds`.
    pub fn rate_limited(seconds: u64, client_id: Option<Uuid>) -> Self {
        Self::Error {
            code: ErrorCode::RateLimited,
            message: format!("too many frames; wait {seconds} s"),
            client_id,
            retry_after: Some(seconds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frames_keep_the_documented_shape() {
        let room = Uuid::from_u128(7);
        let typing = ServerFrame::Typing {
            room_id: room,
            username: "ann".into(),
        };
        assert_eq!(
            serde_json::to_value(&typing).unwrap(),
            json!({ "type": "typing", "room_id": room, "username": "ann" })
        );
        let refused = ServerFrame::rate_limited(3, None);
        assert_eq!(
            serde_json::to_value(&refused).unwrap(),
            json!({ "type": "error", "code": "rate_limited", "message": "too many frames; wait 3 s", "retry_after": 3 })
        );
        let text = serde_json::to_string(&refused).unwrap();
        assert_eq!(serde_json::from_str::<ServerFrame>(&text).unwrap(), refused);
    }
}
