use chrono::{DateTime, Utc};
use thiserror::Error;

/// Why the chat refuses a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ChatError {
    #[error("can't be blank")]
    BodyBlank,
    #[error("must be at most 4000 characters")]
    BodyTooLong,
    #[error("must be at most 500 characters")]
    NoteTooLong,
    #[error("you can't start a chat with yourself")]
    RequestToSelf,
    #[error("a request is already waiting for an answer")]
    AlreadyPending,
    #[error("you already have a chat with this person")]
    AlreadyOpen,
    /// A week must pass after a decline before the same person asks again.
    #[error("this person declined your last request; you can ask again from {}", .until.format("%-d %B %Y, %H:%M UTC"))]
    AskedTooSoon { until: DateTime<Utc> },
    /// Three declines, and only the other person can start a chat now.
    #[error("this person has declined your requests; they can still ask you")]
    DeclinedTooOften,
    #[error("you can't block yourself")]
    BlockSelf,
    /// The other person blocked this one, who is told no more than this.
    #[error("you can't message this person")]
    Blocked,
    #[error("you have blocked this person; unblock them to write to them")]
    YouBlocked,
    #[error("request not found")]
    RequestNotFound,
    #[error("this request has already been answered")]
    NotPending,
    #[error("only the person asked may answer a request")]
    NotRecipient,
    #[error("only the person who asked may cancel a request")]
    NotSender,
    #[error("chat not found")]
    NotFound,
    #[error("this chat has not been approved yet")]
    NotOpen,
    #[error("message not found")]
    MessageNotFound,
    #[error("only the sender may change a message")]
    NotYourMessage,
    #[error("is not one of the reactions offered")]
    UnknownReaction,
    #[error("the message replied to is not in this chat")]
    ReplyNotFound,
}
