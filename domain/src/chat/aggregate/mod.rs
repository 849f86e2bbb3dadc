//! The chat aggregate: what it keeps of a pair's chat, and how each event changes it. What a
//! command decides is in `rules`.

mod rules;

use std::collections::VecDeque;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::command::ChatCommand;
use super::error::ChatError;
use super::event::ChatEvent;
use super::values::{ChatId, ClientId, Reaction, RequestId};
use crate::user::UserId;

/// What the chat must know about one of its messages to let it be edited, deleted, reacted to
/// or replied to. The aggregate does not keep its messages (a room may hold 100,000), so it
/// asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    pub sender: UserId,
    pub deleted: bool,
    /// Who reacted with what.
    pub reactions: Vec<(UserId, Reaction)>,
}

/// Where the chat asks about its messages (the messages read model, in the running app).
#[async_trait]
pub trait MessageFacts: Send + Sync {
    async fn message(&self, chat: ChatId, seq: u64) -> Result<Option<MessageInfo>, ChatError>;
}

/// How many recent client ids a chat remembers to recognise resends; an older resend is
/// caught by the messages read model's unique (sender, client id) instead.
const RECENT_CLIENT_IDS: usize = 256;
/// How many past requests a chat remembers (to answer "already answered").
const REMEMBERED_REQUESTS: usize = 50;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chat {
    state: Option<State>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct State {
    id: ChatId,
    people: [UserId; 2],
    requests: VecDeque<Request>,
    open: bool,
    next_seq: u64,
    last_read: [u64; 2],
    /// [`resend_key`]s of the latest messages.
    recent: VecDeque<ClientId>,
    /// Whether each of `people` has blocked the other (absent from snapshots taken before
    /// blocking existed, when nobody had).
    #[serde(default)]
    blocked: [bool; 2],
}

/// A client id is its sender's: the same id from the other person is another message. The key
/// folds the sender in, so the snapshot keeps its shape (a list of ids).
fn resend_key(sender: UserId, client_id: ClientId) -> ClientId {
    ClientId(Uuid::new_v5(&sender.0, client_id.0.as_bytes()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Request {
    id: RequestId,
    from: UserId,
    to: UserId,
    status: Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Status {
    Pending,
    Approved,
    /// Cancelled by the asker (or declined before declines were told apart).
    Closed,
    /// Declined by the person asked, and when, if the decline said.
    Declined(Option<DateTime<Utc>>),
}

impl State {
    fn index_of(&self, user: UserId) -> Result<usize, ChatError> {
        self.people
            .iter()
            .position(|p| *p == user)
            .ok_or(ChatError::NotFound)
    }

    fn request(&self, id: RequestId) -> Result<&Request, ChatError> {
        self.requests
            .iter()
            .find(|r| r.id == id)
            .ok_or(ChatError::RequestNotFound)
    }

    fn open_room(&self) -> Result<(), ChatError> {
        if self.open {
            Ok(())
        } else {
            Err(ChatError::NotOpen)
        }
    }

    fn last_seq(&self) -> u64 {
        self.next_seq.saturating_sub(1)
    }

    /// Refuses when either person has blocked the other, saying which from `user`'s side.
    fn not_blocked(&self, user: UserId) -> Result<(), ChatError> {
        let me = self.index_of(user)?;
        if self.blocked[1 - me] {
            Err(ChatError::Blocked)
        } else if self.blocked[me] {
            Err(ChatError::YouBlocked)
        } else {
            Ok(())
        }
    }
}

impl Chat {
    fn id(&self) -> Option<ChatId> {
        self.state.as_ref().map(|s| s.id)
    }
}

impl Aggregate for Chat {
    const TYPE: &'static str = "Chat";
    type Command = ChatCommand;
    type Event = ChatEvent;
    type Error = ChatError;
    type Services = std::sync::Arc<dyn MessageFacts>;

    async fn handle(
        &mut self,
        command: ChatCommand,
        facts: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), ChatError> {
        let named = match &command {
            ChatCommand::Edit { seq, .. }
            | ChatCommand::Delete { seq, .. }
            | ChatCommand::React { seq, .. }
            | ChatCommand::Unreact { seq, .. } => Some(*seq),
            ChatCommand::Send { reply_to, .. } => *reply_to,
            _ => None,
        };
        let message = match (named, self.id()) {
            (Some(seq), Some(chat)) => facts.message(chat, seq).await?,
            _ => None,
        };
        for event in self.decide(command, message)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ChatEvent) {
        // A chat begins with a request, or with a block between two who never talked.
        if let ChatEvent::ChatRequested { from: a, to: b, .. } | ChatEvent::Blocked { by: a, whom: b } =
            &event
        {
            self.state.get_or_insert_with(|| State {
                id: ChatId::for_pair(*a, *b),
                people: if a <= b { [*a, *b] } else { [*b, *a] },
                requests: VecDeque::new(),
                open: false,
                next_seq: 1,
                last_read: [0, 0],
                recent: VecDeque::new(),
                blocked: [false, false],
            });
        }
        let Some(state) = &mut self.state else { return };
        let set_status = |state: &mut State, id: RequestId, status: Status| {
            if let Some(r) = state.requests.iter_mut().find(|r| r.id == id) {
                r.status = status;
            }
        };
        match event {
            ChatEvent::ChatRequested {
                request, from, to, ..
            } => {
                state.requests.push_back(Request {
                    id: request,
                    from,
                    to,
                    status: Status::Pending,
                });
                if state.requests.len() > REMEMBERED_REQUESTS {
                    state.requests.pop_front();
                }
            }
            ChatEvent::ChatRequestApproved { request, .. } => set_status(state, request, Status::Approved),
            ChatEvent::ChatRequestDeclined { request, at, .. } => {
                set_status(state, request, Status::Declined(at));
            }
            ChatEvent::ChatRequestCancelled { request, .. } => set_status(state, request, Status::Closed),
            ChatEvent::RoomOpened { .. } => state.open = true,
            ChatEvent::MessageSent {
                seq,
                sender,
                client_id,
                ..
            } => {
                state.next_seq = seq + 1;
                state.recent.push_back(resend_key(sender, client_id));
                if state.recent.len() > RECENT_CLIENT_IDS {
                    state.recent.pop_front();
                }
            }
            ChatEvent::MessagesRead { by, seq } => {
                if let Some(index) = state.people.iter().position(|p| *p == by) {
                    state.last_read[index] = state.last_read[index].max(seq);
                }
            }
            ChatEvent::Blocked { by, .. } => {
                if let Ok(index) = state.index_of(by) {
                    state.blocked[index] = true;
                }
                for request in &mut state.requests {
                    if request.status == Status::Pending {
                        request.status = Status::Closed;
                    }
                }
            }
            ChatEvent::Unblocked { by, .. } => {
                if let Ok(index) = state.index_of(by) {
                    state.blocked[index] = false;
                }
            }
            ChatEvent::MessageEdited { .. }
            | ChatEvent::MessageDeleted { .. }
            | ChatEvent::ReactionAdded { .. }
            | ChatEvent::ReactionRemoved { .. }
            | ChatEvent::StaffRead { .. } => {}
        }
    }
}
