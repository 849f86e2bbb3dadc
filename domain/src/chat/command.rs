use chrono::{DateTime, Utc};

use super::values::{ClientId, MessageBody, MessageId, Note, RequestId};
use crate::user::UserId;

#[derive(Debug, Clone)]
pub enum ChatCommand {
    Request {
        request: RequestId,
        from: UserId,
        to: UserId,
        note: Option<Note>,
        now: DateTime<Utc>,
    },
    /// Opens the room (if it is not open yet) and closes every pending request between the two.
    Approve {
        request: RequestId,
        by: UserId,
    },
    Decline {
        request: RequestId,
        by: UserId,
        now: DateTime<Utc>,
    },
    Cancel {
        request: RequestId,
        by: UserId,
    },
    Send {
        id: MessageId,
        by: UserId,
        client_id: ClientId,
        body: MessageBody,
    },
    Edit {
        by: UserId,
        seq: u64,
        body: MessageBody,
    },
    Delete {
        by: UserId,
        seq: u64,
    },
    /// The reader has seen every message up to `seq`.
    MarkRead {
        by: UserId,
        seq: u64,
    },
}
