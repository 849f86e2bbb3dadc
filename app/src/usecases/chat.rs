//! Chat use cases shared by the pages, the API and the socket: requests and their answers,
//! messages, read receipts. Each runs one command on the pair's chat, then announces the new
//! events to live sockets.

use std::sync::Arc;

use domain::Metadata;
use domain::chat::{
    Chat, ChatCommand, ChatError, ChatId, ClientId, MessageBody, MessageFacts, MessageId, Note, RequestId,
};
use domain::user::UserId;
use eventstore::{CommandError, Commands};
use projections::chat::messages::{self, MessageJson};
use projections::chat::requests::{self, RequestRow};
use projections::chat::rooms;
use projections::live::{Delivery, ServerFrame};
use projections::users::{self, UserRow};
use uuid::Uuid;

use crate::live::Live;
use crate::web::forms::FormErrors;

#[derive(Debug, thiserror::Error)]
pub enum ChatFailure {
    #[error("invalid input")]
    Invalid(FormErrors),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ChatFailure {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(err.into())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> ChatFailure {
    let mut errors = FormErrors::default();
    errors.add(field, message);
    ChatFailure::Invalid(errors)
}

fn refusal(err: ChatError) -> ChatFailure {
    match err {
        ChatError::BodyBlank | ChatError::BodyTooLong => invalid("body", err.to_string()),
        ChatError::NoteTooLong => invalid("message", err.to_string()),
        ChatError::RequestToSelf | ChatError::AlreadyPending | ChatError::AlreadyOpen => {
            invalid("to", err.to_string())
        }
        ChatError::NotPending => invalid("request", err.to_string()),
        ChatError::NotRecipient | ChatError::NotSender | ChatError::NotYourMessage => ChatFailure::Forbidden,
        ChatError::RequestNotFound
        | ChatError::NotFound
        | ChatError::NotOpen
        | ChatError::MessageNotFound => ChatFailure::NotFound,
    }
}

/// The chat side of the app: commands, message facts and live delivery.
#[derive(Clone)]
pub struct Chats {
    commands: Commands,
    facts: Arc<dyn MessageFacts>,
    live: Live,
}

/// How a request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Approve,
    Decline,
    Cancel,
}

impl Chats {
    pub fn new(commands: Commands, live: Live) -> Self {
        let facts = Arc::new(messages::Facts(commands.pool().clone()));
        Self {
            commands,
            facts,
            live,
        }
    }

    pub fn live(&self) -> &Live {
        &self.live
    }

    fn db(&self) -> &sqlx::PgPool {
        self.commands.pool()
    }

    async fn run(
        &self,
        chat: ChatId,
        command: ChatCommand,
        user: &UserRow,
        request_id: &str,
    ) -> Result<Vec<Delivery>, ChatFailure> {
        let id = chat.to_string();
        let metadata = Metadata::new(Some(user.id), request_id);
        // Commands on one chat do not depend on what the sender saw (a message goes after
        // whatever came before it), so a lost race is simply run again.
        let executed = self
            .commands
            .execute_retrying::<Chat>(&id, command, &self.facts, &metadata)
            .await
            .map_err(|err| match err {
                CommandError::Rejected(err) => refusal(err),
                other => ChatFailure::Internal(other.into()),
            })?;
        Ok(self.live.announce(self.db(), executed.appended.as_ref()).await)
    }

    /// `from` asks `to_username` for a chat.
    pub async fn request(
        &self,
        from: &UserRow,
        to_username: &str,
        note: &str,
        request_id: &str,
    ) -> Result<RequestRow, ChatFailure> {
        let to = users::by_username(self.db(), to_username)
            .await?
            .ok_or(ChatFailure::NotFound)?;
        let note = Note::parse(note).map_err(refusal)?;
        let id = RequestId(Uuid::now_v7());
        let chat = ChatId::for_pair(UserId(from.id), UserId(to.id));
        let command = ChatCommand::Request {
            request: id,
            from: UserId(from.id),
            to: UserId(to.id),
            note,
        };
        self.run(chat, command, from, request_id).await?;
        requests::by_id(self.db(), id.0)
            .await?
            .ok_or(ChatFailure::NotFound)
    }

    /// Approves, declines or cancels a request. Only the two people concerned may see it.
    pub async fn answer(
        &self,
        user: &UserRow,
        request: Uuid,
        answer: Answer,
        request_id: &str,
    ) -> Result<RequestRow, ChatFailure> {
        let row = requests::by_id(self.db(), request)
            .await?
            .ok_or(ChatFailure::NotFound)?;
        if row.from_id != user.id && row.to_id != user.id {
            return Err(ChatFailure::NotFound);
        }
        let (id, by) = (RequestId(request), UserId(user.id));
        let command = match answer {
            Answer::Approve => ChatCommand::Approve { request: id, by },
            Answer::Decline => ChatCommand::Decline { request: id, by },
            Answer::Cancel => ChatCommand::Cancel { request: id, by },
        };
        self.run(ChatId(row.chat_id), command, user, request_id).await?;
        requests::by_id(self.db(), request)
            .await?
            .ok_or(ChatFailure::NotFound)
    }

    /// The room, if `user` is in it.
    async fn member_of(&self, user: &UserRow, room: Uuid) -> Result<ChatId, ChatFailure> {
        rooms::peer(self.db(), room, user.id)
            .await?
            .ok_or(ChatFailure::NotFound)?;
        Ok(ChatId(room))
    }

    /// Sends a message. A resend with a `client_id` already used in the room returns the
    /// original message and `false` instead of storing a second one.
    pub async fn send(
        &self,
        user: &UserRow,
        room: Uuid,
        client_id: Uuid,
        body: &str,
        request_id: &str,
    ) -> Result<(MessageJson, bool), ChatFailure> {
        let chat = self.member_of(user, room).await?;
        if let Some(original) = messages::by_client_id(self.db(), room, user.id, client_id).await? {
            return Ok((MessageJson::from(&original), false));
        }
        let body = MessageBody::parse(body).map_err(refusal)?;
        let id = Uuid::now_v7();
        let command = ChatCommand::Send {
            id: MessageId(id),
            by: UserId(user.id),
            client_id: ClientId(client_id),
            body,
        };
        let delivered = self.run(chat, command, user, request_id).await?;
        let message = match own_copy(&delivered, user, |m| m.client_id == client_id) {
            Some(message) => message,
            // A resend that raced its original in records nothing: the stored message is the
            // original. (Also read when local delivery failed.)
            None => messages::by_client_id(self.db(), room, user.id, client_id)
                .await?
                .map(|row| MessageJson::from(&row))
                .ok_or(ChatFailure::NotFound)?,
        };
        let created = message.id == id;
        Ok((message, created))
    }

    pub async fn edit(
        &self,
        user: &UserRow,
        room: Uuid,
        seq: i64,
        body: &str,
        request_id: &str,
    ) -> Result<MessageJson, ChatFailure> {
        let chat = self.member_of(user, room).await?;
        let body = MessageBody::parse(body).map_err(refusal)?;
        let seq = u64::try_from(seq).map_err(|_| ChatFailure::NotFound)?;
        let delivered = self
            .run(
                chat,
                ChatCommand::Edit {
                    by: UserId(user.id),
                    seq,
                    body,
                },
                user,
                request_id,
            )
            .await?;
        if let Some(message) = own_copy(&delivered, user, |m| m.seq == seq as i64) {
            return Ok(message);
        }
        // An edit that changed nothing records nothing: the message stands as it was.
        messages::by_seq(self.db(), room, seq as i64)
            .await?
            .map(|row| MessageJson::from(&row))
            .ok_or(ChatFailure::NotFound)
    }

    pub async fn delete(
        &self,
        user: &UserRow,
        room: Uuid,
        seq: i64,
        request_id: &str,
    ) -> Result<(), ChatFailure> {
        let chat = self.member_of(user, room).await?;
        let seq = u64::try_from(seq).map_err(|_| ChatFailure::NotFound)?;
        self.run(
            chat,
            ChatCommand::Delete {
                by: UserId(user.id),
                seq,
            },
            user,
            request_id,
        )
        .await?;
        Ok(())
    }

    pub async fn mark_read(
        &self,
        user: &UserRow,
        room: Uuid,
        seq: i64,
        request_id: &str,
    ) -> Result<(), ChatFailure> {
        let chat = self.member_of(user, room).await?;
        let seq = u64::try_from(seq).unwrap_or(0);
        self.run(
            chat,
            ChatCommand::MarkRead {
                by: UserId(user.id),
                seq,
            },
            user,
            request_id,
        )
        .await?;
        Ok(())
    }

    /// Tells the other person in `room` that `user` is typing.
    pub async fn typing(&self, user: &UserRow, room: Uuid) -> Result<(), ChatFailure> {
        let peer = rooms::peer(self.db(), room, user.id)
            .await?
            .ok_or(ChatFailure::NotFound)?;
        let frame = ServerFrame::Typing {
            room_id: room,
            username: user.username.clone(),
        };
        self.live.ephemeral(peer, frame).await;
        Ok(())
    }
}

/// The message among `delivered` that `user`'s own sockets received and `matches`: what the
/// command stored, exactly as it was pushed.
fn own_copy(
    delivered: &[Delivery],
    user: &UserRow,
    matches: impl Fn(&MessageJson) -> bool,
) -> Option<MessageJson> {
    delivered.iter().find_map(|delivery| match &delivery.frame {
        ServerFrame::Message { message } if delivery.user == user.id && matches(message) => {
            Some(message.clone())
        }
        _ => None,
    })
}
