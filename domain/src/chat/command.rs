use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::values::{Attachment, ClientId, MessageBody, MessageId, Note, Reaction, RequestId};
use crate::reason::Reason;
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
    /// `body` may be empty only with an `attachment`; `reply_to` quotes an earlier message.
    Send {
        id: MessageId,
        by: UserId,
        client_id: ClientId,
        body: MessageBody,
        reply_to: Option<u64>,
        attachment: Option<Attachment>,
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
    /// `by` adds `reaction` to message `seq` (nothing when they already have).
    React {
        by: UserId,
        seq: u64,
        reaction: Reaction,
    },
    /// `by` takes their `reaction` off message `seq` (nothing when it is not there).
    Unreact {
        by: UserId,
        seq: u64,
        reaction: Reaction,
    },
    /// `by` blocks `whom`: no requests from them, no messages either way, pending requests closed.
    Block {
        by: UserId,
        whom: UserId,
    },
    Unblock {
        by: UserId,
        whom: UserId,
    },
    /// Staff read the chat (its history or export), for `reason` or to review `report`.
    RecordStaffRead {
        by: crate::Actor,
        reason: Reason,
        report: Option<Uuid>,
    },
    /// The reader has seen every message up to `seq`.
    MarkRead {
        by: UserId,
        seq: u64,
    },
}
