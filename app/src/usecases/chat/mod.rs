//! Chat use cases shared by the pages, the API and the socket: requests and their answers,
//! messages, read receipts. Each runs one command on the pair's chat, then announces the new
//! events to live sockets.
//!
//! Requests and their answers are in `requests`; messages, read receipts and typing notices in
//! `messages`; files sent with messages in `attachments`; searching in `search`; blocking in
//! `blocks`; staff reading a chat in `staff`. All run their commands through [`Chats`] here.

pub mod attachments;
mod blocks;
mod messages;
mod requests;
pub mod search;
mod sending;
mod staff;

use std::sync::Arc;

use domain::Metadata;
use domain::chat::{Chat, ChatCommand, ChatError, ChatId, MessageFacts};
use eventstore::{CommandError, Commands};
use projections::live::Delivery;
use projections::users::UserRow;

use crate::live::Live;
use crate::services::limits::{Limits, RetryAfter};
use crate::services::pools::Busy;
use crate::web::forms::FormErrors;

pub use messages::Outgoing;
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
    /// This instance has as many messages on their way to storage as it can store promptly.
    #[error(transparent)]
    Busy(#[from] Busy),
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
        ChatError::UnknownReaction => invalid("emoji", err.to_string()),
        ChatError::ReplyNotFound => invalid("reply_to", err.to_string()),
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

/// Messages one instance stores at once. Sending is a short transaction (and a wait for the
/// read models); past this many, more at once only queue for the database and every message
/// waits longer, so the excess is refused at once with a retry hint instead (see [`Busy`]).
const SENDS_IN_FLIGHT: usize = 96;
/// How long a message may wait for a place among them.
const ADMISSION_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// The chat side of the app: commands, message facts and live delivery.
#[derive(Clone)]
pub struct Chats {
    commands: Commands,
    facts: Arc<dyn MessageFacts>,
    live: Live,
    limits: Limits,
    media: crate::media::Media,
    admission: Arc<tokio::sync::Semaphore>,
    sending: sending::Sending,
}

impl Chats {
    pub fn new(commands: Commands, live: Live, limits: Limits, media: crate::media::Media) -> Self {
        let facts: Arc<dyn MessageFacts> =
            Arc::new(projections::chat::messages::Facts(commands.pool().clone()));
        let sending = sending::Sending::start(commands.clone(), facts.clone(), live.clone());
        Self {
            sending,
            commands,
            facts,
            live,
            limits,
            media,
            admission: Arc::new(tokio::sync::Semaphore::new(SENDS_IN_FLIGHT)),
        }
    }

    /// A place among the messages being stored, or [`Busy`] after a short wait.
    async fn admit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ChatFailure> {
        match tokio::time::timeout(ADMISSION_WAIT, self.admission.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Busy { retry_after: 1 }.into()),
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
