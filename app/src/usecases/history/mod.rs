//! History: what happened to a post or a chat, and the whole log for staff, read from the events.
//! One rule decides who may see which history (see `domain::permissions`), for the pages and
//! the API alike; anyone else is told the history does not exist.

pub mod diff;
pub mod proofs;
pub mod readable;
pub mod redact;

use domain::permissions::{may_see_chat_history, may_see_post_history};
use eventstore::Commands;
use eventstore::ProjectionError;
use eventstore::seal::SealError;
use projections::audit::{self, AuditEvent, PostVersion, Scope};
use projections::chat;
use projections::users::UserRow;
pub use redact::Words;
use uuid::Uuid;

/// Why a history cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// No such post or chat, or not the viewer's to see: the two are not told apart.
    #[error("no such history")]
    NotFound,
    /// Staff may read this private chat once they state why (see [`STAFF_READING`]).
    #[error("state why you need to read this conversation first")]
    ReasonRequired(Uuid),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Seal(#[from] SealError),
    /// A stored event that does not read back as its aggregate's event.
    #[error(transparent)]
    Decode(#[from] ProjectionError),
}

/// The most events one page of a history carries.
pub const MAX_PAGE: i64 = 1000;

/// A post whose history the viewer may see, with every version of it, oldest first.
pub struct PostHistory {
    pub id: Uuid,
    pub versions: Vec<PostVersion>,
}

impl PostHistory {
    pub fn version(&self, sequence: i64) -> Option<&PostVersion> {
        self.versions.iter().find(|v| v.sequence == sequence)
    }

    pub fn latest(&self) -> Option<&PostVersion> {
        self.versions.last()
    }
}

/// The post a slug names (deleted ones too), if `viewer` may see its history.
pub async fn post(log: &Commands, slug: &str, viewer: &UserRow) -> Result<PostHistory, HistoryError> {
    // A slug of the wrong shape names nothing (and may hold what Postgres cannot look up).
    let slug = domain::post::Slug::parse(slug).ok_or(HistoryError::NotFound)?;
    let id = audit::post_by_slug(log.pool(), log.keyring(), slug.as_str())
        .await?
        .ok_or(HistoryError::NotFound)?;
    let versions = audit::post_versions(log.pool(), log.keyring(), id).await?;
    let author = versions.first().map(|v| domain::user::UserId(v.author));
    match author {
        Some(author) if may_see_post_history(viewer.actor(), author) => Ok(PostHistory { id, versions }),
        _ => Err(HistoryError::NotFound),
    }
}

/// How long a stated reason lets a staff member read a chat.
pub const STAFF_READING: chrono::Duration = chrono::Duration::hours(1);

/// A chat's history and who reads it, which decides the words they see.
#[derive(Debug, Clone, Copy)]
pub struct ChatHistory {
    pub id: Uuid,
    pub reader: Words,
}

/// The chat an id names, if it exists and `viewer` may see its history: one of the two people
/// sees the words still in the chat, staff who stated a reason within [`STAFF_READING`] every
/// word as written; other staff must state one first.
pub async fn chat(log: &Commands, raw_id: &str, viewer: &UserRow) -> Result<ChatHistory, HistoryError> {
    let id: Uuid = raw_id.parse().map_err(|_| HistoryError::NotFound)?;
    let one_of_the_pair = chat::involves(log.pool(), id, viewer.id).await?;
    if one_of_the_pair {
        return Ok(ChatHistory {
            id,
            reader: Words::Current,
        });
    }
    if !may_see_chat_history(viewer.actor(), one_of_the_pair)
        || !audit::exists(log.pool(), log.keyring(), Scope::Chat(id)).await?
    {
        return Err(HistoryError::NotFound);
    }
    let since = chrono::Utc::now() - STAFF_READING;
    if !chat::staff_reads::granted(log.pool(), id, viewer.id, since).await? {
        return Err(HistoryError::ReasonRequired(id));
    }
    Ok(ChatHistory {
        id,
        reader: Words::All,
    })
}

/// A page of a chat's history, with the words its reader may see.
pub async fn chat_page(
    log: &Commands,
    history: ChatHistory,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>, HistoryError> {
    let mut events = page(log, Scope::Chat(history.id), after, limit).await?;
    redact::chat(log.pool(), history.reader, &mut events).await?;
    Ok(events)
}

/// A page of a history: at most `limit` events after `after`, in log order.
pub async fn page(
    log: &Commands,
    scope: Scope,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>, HistoryError> {
    Ok(audit::page(
        log.pool(),
        log.keyring(),
        scope,
        after.max(0),
        limit.clamp(1, MAX_PAGE),
    )
    .await?)
}

/// A page of the whole log, for staff, with the words of private chats withheld: those are read
/// chat by chat, with a reason (see [`chat`]).
pub async fn global(
    log: &Commands,
    filter: &audit::Filter,
    limit: i64,
) -> Result<Vec<AuditEvent>, HistoryError> {
    let mut events = audit::global(log.pool(), log.keyring(), filter, limit).await?;
    redact::chat(log.pool(), Words::None, &mut events).await?;
    Ok(events)
}
