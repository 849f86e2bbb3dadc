//! Chat messages (kept by the rooms read model): pages of a room's history, and the facts the
//! chat aggregate asks about a message before it may be edited or deleted.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::chat::{ChatError, ChatId, MessageFacts, MessageInfo};
use domain::user::UserId;
use serde::{Deserialize, Serialize};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::wire::timestamp;

#[derive(Debug, Clone)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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

/// `sqlx::query_as!` for [`MessageRow`]s with their sender's name: the message columns, then
/// `$rest` of the statement (its `where` clause and order). With a `$record` and `$more`
/// columns, for rows that carry more than the message.
macro_rules! select_messages {
    ($record:ident, $more:literal, $rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $record,
            r#"select m.room_id, m.seq, m.id, m.sender_id, u.username as sender, m.client_id, m.body,
                      m.sent_at as "sent_at: _", m.edited_at as "edited_at: _", m.deleted"# + $more
                + " from messages m join users u on u.id = m.sender_id " + $rest
            $(, $arg)*
        )
    };
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        select_messages!(MessageRow, "", $rest $(, $arg)*)
    };
}

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
            select_messages!(
                "where m.room_id = $1 and m.seq > $2 order by m.seq limit $3",
                room,
                after,
                fetch
            )
            .fetch_all(db)
            .await?
        }
        Window::Latest | Window::Before(_) => {
            let before = match window {
                Window::Before(seq) => seq,
                _ => i64::MAX,
            };
            let mut rows = select_messages!(
                "where m.room_id = $1 and m.seq < $2 order by m.seq desc limit $3",
                room,
                before,
                fetch
            )
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
    select_messages!("where m.room_id = $1 and m.seq = $2", room, seq)
        .fetch_optional(db)
        .await
}

/// What the messages `seqs` of `room` say now, by seq: their text, or `None` once deleted.
/// A history shows the people of the chat only words that are still to be read here.
pub async fn current_bodies(
    db: impl PgExecutor<'_>,
    room: Uuid,
    seqs: &[i64],
) -> Result<std::collections::HashMap<i64, Option<String>>, sqlx::Error> {
    let rows = sqlx::query!(
        "select seq, body, deleted from messages where room_id = $1 and seq = any($2)",
        room,
        seqs,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.seq, (!row.deleted).then_some(row.body)))
        .collect())
}

/// The messages at `(rooms[i], seqs[i])`, each with the people of its room (who get it live).
pub async fn with_members(
    db: impl PgExecutor<'_>,
    rooms: &[Uuid],
    seqs: &[i64],
) -> Result<Vec<(MessageRow, Vec<Uuid>)>, sqlx::Error> {
    struct Row {
        room_id: Uuid,
        seq: i64,
        id: Uuid,
        sender_id: Uuid,
        sender: String,
        client_id: Uuid,
        body: String,
        sent_at: DateTime<Utc>,
        edited_at: Option<DateTime<Utc>>,
        deleted: bool,
        members: Vec<Uuid>,
    }
    let rows = select_messages!(
        Row,
        r#", array(select c.user_id from chat_members c where c.room_id = m.room_id) as "members!""#,
        "where (m.room_id, m.seq) in (select * from unnest($1::uuid[], $2::bigint[]))",
        rooms,
        seqs
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let message = MessageRow {
                room_id: r.room_id,
                seq: r.seq,
                id: r.id,
                sender_id: r.sender_id,
                sender: r.sender,
                client_id: r.client_id,
                body: r.body,
                sent_at: r.sent_at,
                edited_at: r.edited_at,
                deleted: r.deleted,
            };
            (message, r.members)
        })
        .collect())
}

/// The message a client sent with `client_id`, to answer a resend with the original.
pub async fn by_client_id(
    db: impl PgExecutor<'_>,
    room: Uuid,
    sender: Uuid,
    client_id: Uuid,
) -> Result<Option<MessageRow>, sqlx::Error> {
    select_messages!(
        "where m.room_id = $1 and m.sender_id = $2 and m.client_id = $3",
        room,
        sender,
        client_id
    )
    .fetch_optional(db)
    .await
}

/// The messages read model answering the chat aggregate's questions.
pub struct Facts(pub PgPool);

#[async_trait]
impl MessageFacts for Facts {
    async fn message(&self, chat: ChatId, seq: u64) -> Result<Option<MessageInfo>, ChatError> {
        let row = sqlx::query!(
            "select sender_id, deleted from messages where room_id = $1 and seq = $2",
            chat.0,
            i64::try_from(seq).unwrap_or(i64::MAX),
        )
        .fetch_optional(&self.0)
        .await;
        match row {
            Ok(found) => Ok(found.map(|message| MessageInfo {
                sender: UserId(message.sender_id),
                deleted: message.deleted,
            })),
            Err(err) => {
                tracing::error!(error = %err, "cannot look up a message");
                Err(ChatError::MessageNotFound)
            }
        }
    }
}
