use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::values::{Attachment, ClientId, MessageBody, MessageId, Note, Reaction, RequestId};
use crate::claims::Claims;
use crate::reason::Reason;
use crate::user::UserId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ChatEvent {
    ChatRequested {
        request: RequestId,
        from: UserId,
        to: UserId,
        note: Option<Note>,
    },
    ChatRequestApproved {
        request: RequestId,
        by: UserId,
    },
    ChatRequestDeclined {
        request: RequestId,
        by: UserId,
        /// When, which starts the asker's wait before asking again. Declines recorded before
        /// the wait existed say nothing, and count only toward the limit of three.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<DateTime<Utc>>,
    },
    ChatRequestCancelled {
        request: RequestId,
        by: UserId,
    },
    RoomOpened {
        participants: [UserId; 2],
    },
    MessageSent {
        id: MessageId,
        seq: u64,
        sender: UserId,
        client_id: ClientId,
        body: MessageBody,
        /// The earlier message this one answers, quoted above it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attachment: Option<Attachment>,
    },
    MessageEdited {
        seq: u64,
        by: UserId,
        body: MessageBody,
    },
    MessageDeleted {
        seq: u64,
        by: UserId,
    },
    MessagesRead {
        by: UserId,
        seq: u64,
    },
    ReactionAdded {
        seq: u64,
        by: UserId,
        reaction: Reaction,
    },
    ReactionRemoved {
        seq: u64,
        by: UserId,
        reaction: Reaction,
    },
    /// `by` blocked `whom`: from now on `whom` can't ask `by` for a chat, neither writes in
    /// their room, and every request pending between them is closed by this event.
    Blocked {
        by: UserId,
        whom: UserId,
    },
    Unblocked {
        by: UserId,
        whom: UserId,
    },
    /// Staff member `by` read this private chat, for `reason` (or reviewing `report`): both
    /// people are shown when and why.
    StaffRead {
        by: UserId,
        reason: Reason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        report: Option<Uuid>,
    },
}

impl DomainEvent for ChatEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ChatRequested { .. } => "ChatRequested",
            Self::ChatRequestApproved { .. } => "ChatRequestApproved",
            Self::ChatRequestDeclined { .. } => "ChatRequestDeclined",
            Self::ChatRequestCancelled { .. } => "ChatRequestCancelled",
            Self::RoomOpened { .. } => "RoomOpened",
            Self::MessageSent { .. } => "MessageSent",
            Self::MessageEdited { .. } => "MessageEdited",
            Self::MessageDeleted { .. } => "MessageDeleted",
            Self::MessagesRead { .. } => "MessagesRead",
            Self::ReactionAdded { .. } => "ReactionAdded",
            Self::ReactionRemoved { .. } => "ReactionRemoved",
            Self::Blocked { .. } => "Blocked",
            Self::Unblocked { .. } => "Unblocked",
            Self::StaffRead { .. } => "StaffRead",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl Claims for ChatEvent {}

impl crate::personal::Personal for super::Chat {
    fn personal(&self, event: &ChatEvent) -> Option<(UserId, ChatEvent)> {
        match event {
            ChatEvent::ChatRequested {
                request,
                from,
                to,
                note: Some(_),
            } => Some((
                *from,
                ChatEvent::ChatRequested {
                    request: *request,
                    from: *from,
                    to: *to,
                    note: None,
                },
            )),
            ChatEvent::MessageSent {
                id,
                seq,
                sender,
                client_id,
                reply_to,
                ..
            } => Some((
                *sender,
                // The file goes with the words: its name is theirs, and the erased message
                // no longer points at it.
                ChatEvent::MessageSent {
                    id: *id,
                    seq: *seq,
                    sender: *sender,
                    client_id: *client_id,
                    body: MessageBody::erased(),
                    reply_to: *reply_to,
                    attachment: None,
                },
            )),
            ChatEvent::MessageEdited { seq, by, .. } => Some((
                *by,
                ChatEvent::MessageEdited {
                    seq: *seq,
                    by: *by,
                    body: MessageBody::erased(),
                },
            )),
            _ => None,
        }
    }
}
