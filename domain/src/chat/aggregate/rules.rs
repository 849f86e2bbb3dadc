//! The chat's rules: what each command decides, given the chat as it stands.

use chrono::{DateTime, Duration, Utc};

use super::{Chat, ChatCommand, ChatError, ChatEvent, MessageInfo, State, Status, resend_key};
use crate::permissions::may_change_message;
use crate::user::UserId;

impl Chat {
    /// The rules. `message` is what [`MessageFacts`](super::MessageFacts) said about the message
    /// an edit, a delete, a reaction or a reply names; other commands get `None`.
    pub fn decide(
        &self,
        command: ChatCommand,
        message: Option<MessageInfo>,
    ) -> Result<Vec<ChatEvent>, ChatError> {
        let state = match (&self.state, &command) {
            (_, ChatCommand::Request { from, to, .. }) if from == to => return Err(ChatError::RequestToSelf),
            (_, ChatCommand::Block { by, whom }) if by == whom => return Err(ChatError::BlockSelf),
            (None, ChatCommand::Block { by, whom }) => {
                return Ok(vec![ChatEvent::Blocked { by: *by, whom: *whom }]);
            }
            (None, ChatCommand::Unblock { .. }) => return Ok(vec![]),
            (
                None,
                ChatCommand::Request {
                    request,
                    from,
                    to,
                    note,
                    ..
                },
            ) => {
                return Ok(vec![ChatEvent::ChatRequested {
                    request: *request,
                    from: *from,
                    to: *to,
                    note: note.clone(),
                }]);
            }
            (None, _) => return Err(ChatError::NotFound),
            (Some(state), _) => state,
        };
        match command {
            ChatCommand::Request {
                request,
                from,
                to,
                note,
                now,
            } => {
                state.not_blocked(from)?;
                if state.open {
                    return Err(ChatError::AlreadyOpen);
                }
                if state
                    .requests
                    .iter()
                    .any(|r| r.from == from && r.status == Status::Pending)
                {
                    return Err(ChatError::AlreadyPending);
                }
                state.may_ask_again(from, now)?;
                Ok(vec![ChatEvent::ChatRequested {
                    request,
                    from,
                    to,
                    note,
                }])
            }
            ChatCommand::Approve { request, by } => {
                let asked = state.request(request)?;
                if asked.to != by {
                    return Err(if asked.from == by {
                        ChatError::NotRecipient
                    } else {
                        ChatError::RequestNotFound
                    });
                }
                match asked.status {
                    // Both approved crossing requests at once: the room the other opened is the room.
                    Status::Approved => return Ok(vec![]),
                    Status::Closed | Status::Declined(_) => return Err(ChatError::NotPending),
                    Status::Pending => {}
                }
                let mut events = vec![ChatEvent::ChatRequestApproved { request, by }];
                if !state.open {
                    events.push(ChatEvent::RoomOpened {
                        participants: state.people,
                    });
                }
                // A request the other way is answered by the same room.
                events.extend(
                    state
                        .requests
                        .iter()
                        .filter(|r| r.id != request && r.status == Status::Pending)
                        .map(|r| ChatEvent::ChatRequestApproved { request: r.id, by }),
                );
                Ok(events)
            }
            ChatCommand::Decline { request, by, now } => {
                let asked = state.request(request)?;
                if asked.to != by {
                    return Err(if asked.from == by {
                        ChatError::NotRecipient
                    } else {
                        ChatError::RequestNotFound
                    });
                }
                if asked.status != Status::Pending {
                    return Err(ChatError::NotPending);
                }
                Ok(vec![ChatEvent::ChatRequestDeclined {
                    request,
                    by,
                    at: Some(now),
                }])
            }
            ChatCommand::Cancel { request, by } => {
                let asked = state.request(request)?;
                if asked.from != by {
                    return Err(if asked.to == by {
                        ChatError::NotSender
                    } else {
                        ChatError::RequestNotFound
                    });
                }
                if asked.status != Status::Pending {
                    return Err(ChatError::NotPending);
                }
                Ok(vec![ChatEvent::ChatRequestCancelled { request, by }])
            }
            ChatCommand::Send {
                id,
                by,
                client_id,
                body,
                reply_to,
                attachment,
            } => {
                state.index_of(by)?;
                state.open_room()?;
                // A resend of what was stored before the block is answered as before.
                if state.recent.contains(&resend_key(by, client_id)) {
                    return Ok(vec![]);
                }
                state.not_blocked(by)?;
                if body.is_empty() && attachment.is_none() {
                    return Err(ChatError::BodyBlank);
                }
                if let Some(seq) = reply_to {
                    Self::standing_message(state, seq, message.as_ref())
                        .map_err(|_| ChatError::ReplyNotFound)?;
                }
                Ok(vec![ChatEvent::MessageSent {
                    id,
                    seq: state.next_seq,
                    sender: by,
                    client_id,
                    body,
                    reply_to,
                    attachment,
                }])
            }
            ChatCommand::React { by, seq, reaction } => {
                state.index_of(by)?;
                state.open_room()?;
                state.not_blocked(by)?;
                let message = Self::standing_message(state, seq, message.as_ref())?;
                Ok(if message.reactions.contains(&(by, reaction)) {
                    vec![]
                } else {
                    vec![ChatEvent::ReactionAdded { seq, by, reaction }]
                })
            }
            ChatCommand::Unreact { by, seq, reaction } => {
                state.index_of(by)?;
                state.open_room()?;
                let reacted = message
                    .filter(|_| seq > 0 && seq <= state.last_seq())
                    .is_some_and(|m| m.reactions.contains(&(by, reaction)));
                Ok(if reacted {
                    vec![ChatEvent::ReactionRemoved { seq, by, reaction }]
                } else {
                    vec![]
                })
            }
            ChatCommand::Edit { by, seq, body } => {
                Self::own_message(state, by, seq, message)?;
                state.not_blocked(by)?;
                Ok(vec![ChatEvent::MessageEdited { seq, by, body }])
            }
            ChatCommand::Delete { by, seq } => {
                Self::own_message(state, by, seq, message)?;
                Ok(vec![ChatEvent::MessageDeleted { seq, by }])
            }
            ChatCommand::Block { by, whom } => {
                let index = state.index_of(by)?;
                state.index_of(whom)?;
                Ok(if state.blocked[index] {
                    vec![]
                } else {
                    vec![ChatEvent::Blocked { by, whom }]
                })
            }
            ChatCommand::Unblock { by, whom } => {
                let index = state.index_of(by)?;
                state.index_of(whom)?;
                Ok(if state.blocked[index] {
                    vec![ChatEvent::Unblocked { by, whom }]
                } else {
                    vec![]
                })
            }
            ChatCommand::RecordStaffRead { by, reason, report } => {
                if !crate::permissions::may_read_private_chat(by) {
                    return Err(ChatError::NotFound);
                }
                Ok(vec![ChatEvent::StaffRead {
                    by: by.user,
                    reason,
                    report,
                }])
            }
            ChatCommand::MarkRead { by, seq } => {
                let index = state.index_of(by)?;
                let seq = seq.min(state.last_seq());
                Ok(if seq > state.last_read[index] {
                    vec![ChatEvent::MessagesRead { by, seq }]
                } else {
                    vec![]
                })
            }
        }
    }

    /// Checks that message `seq` exists, is not deleted, and was sent by `by`.
    fn own_message(
        state: &State,
        by: UserId,
        seq: u64,
        message: Option<MessageInfo>,
    ) -> Result<(), ChatError> {
        state.index_of(by)?;
        state.open_room()?;
        let message = Self::standing_message(state, seq, message.as_ref())?;
        if may_change_message(by, message.sender) {
            Ok(())
        } else {
            Err(ChatError::NotYourMessage)
        }
    }

    /// The message `seq` of this chat, unless it does not exist or was deleted.
    fn standing_message<'a>(
        state: &State,
        seq: u64,
        message: Option<&'a MessageInfo>,
    ) -> Result<&'a MessageInfo, ChatError> {
        if seq == 0 || seq > state.last_seq() {
            return Err(ChatError::MessageNotFound);
        }
        message.filter(|m| !m.deleted).ok_or(ChatError::MessageNotFound)
    }
}

/// How long someone whose request was declined waits before asking the same person again.
const WAIT_AFTER_DECLINE: Duration = Duration::days(7);
/// Declines after which only the other person can start the chat.
const DECLINES_BEFORE_BAR: usize = 3;

impl State {
    /// Whether `from` may ask again: not within a week of a decline, and not at all after three
    /// declines, until the other person reaches out (asks themselves, which starts the count
    /// afresh).
    fn may_ask_again(&self, from: crate::user::UserId, now: DateTime<Utc>) -> Result<(), ChatError> {
        let since_they_asked = self
            .requests
            .iter()
            .rposition(|r| r.to == from)
            .map_or(0, |at| at + 1);
        let declined: Vec<Option<DateTime<Utc>>> = self
            .requests
            .iter()
            .skip(since_they_asked)
            .filter(|r| r.from == from)
            .filter_map(|r| match r.status {
                Status::Declined(at) => Some(at),
                _ => None,
            })
            .collect();
        if declined.len() >= DECLINES_BEFORE_BAR {
            return Err(ChatError::DeclinedTooOften);
        }
        match declined.last().copied().flatten() {
            Some(at) if now < at + WAIT_AFTER_DECLINE => Err(ChatError::AskedTooSoon {
                until: at + WAIT_AFTER_DECLINE,
            }),
            _ => Ok(()),
        }
    }
}
