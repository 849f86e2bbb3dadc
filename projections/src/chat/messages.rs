//! Chat messages (kept by the rooms read model): pages of a room's history, and the facts the
//! chat aggregate asks about a message before it may be edited or deleted.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::chat::{ChatError, ChatId, MessageFacts, MessageInfo};
use domain::user::UserId;
use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::wire::timestamp;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub room_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub sender_id: Uuid,
    pub sender: String,
    pub client_id: Uuid,
    pub body: String,
    pub sent_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted: bool,
}

/// A message as the API and the socket send it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Message))]
pub struct MessageJson {
    pub id: Uuid,
    pub room_id: Uuid,
    pub seq: i64,
    pub sender: String,
    pub body: String,
    pub client_id: Uuid,
    pub sent_at: String,
    pub edited_at: Option<String>,
    pub deleted: bool,
}

impl From<&MessageRow> for MessageJson {
    fn from(m: &MessageRow) -> Self {
        Self {
            id: m.id,
            room_id: m.room_id,
            seq: m.seq,
            sender: m.sender.clone(),
            body: m.body.clone(),
            client_id: m.client_id,
            sent_at: timestamp(m.sent_at),
            edited_at: m.edited_at.map(timestamp),
            deleted: m.deleted,
        }
    }
}

const COLUMNS: &str = "m.room_id, m.seq, m.id, m.sender_id, u.username as sender, m.client_id, m.body, \
     m.sent_at, m.edited_at, m.deleted";

/// Which part of a room's history to read.
#[derive(Debug, Clone, Copy)]
pub enum Window {
    /// The newest messages.
    Latest,
    /// Messages before `seq` (scrolling up).
    Before(i64),
    /// Messages after `seq` (catching up).
    After(i64),
}

/// Up to `limit` messages of `room` in ascending order, and whether more lie beyond them.
pub async fn page(
    db: &PgPool,
    room: Uuid,
    window: Window,
    limit: i64,
) -> Result<(Vec<MessageRow>, bool), sqlx::Error> {
    let fetch = limit + 1;
    let mut rows: Vec<MessageRow> = match window {
        Window::After(after) => {
            sqlx::query_as(&format!(
                "select {COLUMNS} from messages m join users u on u.id = m.sender_id \
                 where m.room_id = $1 and m.seq > $2 order by m.seq limit $3"
            ))
            .bind(room)
            .bind(after)
            .bind(fetch)
            .fetch_all(db)
            .await?
        }
        Window::Latest | Window::Before(_) => {
            let before = match window {
                Window::Before(seq) => seq,
                _ => i64::MAX,
            };
            let mut rows: Vec<MessageRow> = sqlx::query_as(&format!(
                "select {COLUMNS} from messages m join users u on u.id = m.sender_id \
                 where m.room_id = $1 and m.seq < $2 order by m.seq desc limit $3"
            ))
            .bind(room)
            .bind(before)
            .bind(fetch)
            .fetch_all(db)
            .await?;
            rows.reverse();
            rows
        }
    };
    let has_more = rows.len() as i64 > limit;
    if has_more {
        match window {
            Window::After(_) => {
                rows.truncate(limit as usize);
            }
            _ => {
                rows.remove(0);
            }
        }
    }
    Ok((rows, has_more))
}

pub async fn by_seq(
    db: impl PgExecutor<'_>,
    room: Uuid,
    seq: i64,
) -> Result<Option<MessageRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from messages m join users u on u.id = m.sender_id where m.room_id = $1 and m.seq = $2"
    ))
    .bind(room)
    .bind(seq)
    .fetch_optional(db)
    .await
}

/// The messages at `(rooms[i], seqs[i])`, each with the people of its room (who get it live).
pub async fn with_members(
    db: impl PgExecutor<'_>,
    rooms: &[Uuid],
    seqs: &[i64],
) -> Result<Vec<(MessageRow, Vec<Uuid>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        message: MessageRow,
        members: Vec<Uuid>,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS}, array(select c.user_id from chat_members c where c.room_id = m.room_id) as members \
         from messages m join users u on u.id = m.sender_id \
         where (m.room_id, m.seq) in (select * from unnest($1::uuid[], $2::bigint[]))"
    ))
    .bind(rooms)
    .bind(seqs)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.message, r.members)).collect())
}

/// The message a client sent with `client_id`, to answer a resend with the original.
pub async fn by_client_id(
    db: impl PgExecutor<'_>,
    room: Uuid,
    sender: Uuid,
    client_id: Uuid,
) -> Result<Option<MessageRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from messages m join users u on u.id = m.sender_id \
         where m.room_id = $1 and m.sender_id = $2 and m.client_id = $3"
    ))
    .bind(room)
    .bind(sender)
    .bind(client_id)
    .fetch_optional(db)
    .await
}

/// The messages read model answering the chat aggregate's questions.
pub struct Facts(pub PgPool);

#[async_trait]
impl MessageFacts for Facts {
    async fn message(&self, chat: ChatId, seq: u64) -> Result<Option<MessageInfo>, ChatError> {
        let row: Result<Option<(Uuid, bool)>, sqlx::Error> =
            sqlx::query_as("select sender_id, deleted from messages where room_id = $1 and seq = $2")
                .bind(chat.0)
                .bind(i64::try_from(seq).unwrap_or(i64::MAX))
                .fetch_optional(&self.0)
                .await;
        match row {
            Ok(found) => Ok(found.map(|(sender, deleted)| MessageInfo {
                sender: UserId(sender),
                deleted,
            })),
            Err(err) => {
                tracing::error!(error = %err, "cannot look up a message");
                Err(ChatError::MessageNotFound)
            }
        }
    }
}
