//! Chat use cases shared by the pages, the API and the socket: requests and their answers,
//! messages, read receipts. Each runs one command on the pair's chat, then announces the new
//! events to live sockets.
//!
//! Requests and their answers are in `requests`; messages, read receipts and typing notices in
//! `messages`; blocking in `blocks`; staff reading a chat in `staff`. All run their commands through [`Chats`] here.

mod blocks;
mod messages;
mod requests;
mod staff;

use std::sync::Arc;

use domain::Metadata;
use domain::chat::{Chat, ChatCommand, ChatError, ChatId, MessageFacts};
use eventstore::{CommandError, Commands};
use projections::live::Delivery;
use projections::users::UserRow;

use crate::live::Live;
use crate::services::limits::{Limits, RetryAfter};
use crate::web::forms::FormErrors;

pub use requests::Answer;

#[derive(Debug, thiserror::Error)]
pub enum ChatFailure {
    #[error("invalid input")]
    Invalid(FormErrors),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// A limit of the person's is used up (requests per day).
    #[error("{message}")]
    Throttled { message: String, wait: RetryAfter },
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
        ChatError::RequestToSelf
        | ChatError::AlreadyPending
        | ChatError::AlreadyOpen
        | ChatError::AskedTooSoon { .. }
        | ChatError::DeclinedTooOften
        | ChatError::BlockSelf
        | ChatError::Blocked
        | ChatError::YouBlocked => invalid("to", err.to_string()),
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
    limits: Limits,
}

impl Chats {
    pub fn new(commands: Commands, live: Live, limits: Limits) -> Self {
        let facts = Arc::new(projections::chat::messages::Facts(commands.pool().clone()));
        Self {
            commands,
            facts,
            live,
            limits,
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
}
