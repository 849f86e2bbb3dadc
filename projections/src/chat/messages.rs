//! Chat messages (kept by the rooms read model): pages of a room's history, and the facts the
//! chat aggregate asks about a message before it may be edited, deleted, reacted to or
//! replied to.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::chat::{Attachment, ChatError, ChatId, MessageFacts, MessageInfo, Reaction};
use domain::user::UserId;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
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
    pub version: i32,
    pub reply_to: Option<i64>,
    /// The message replied to, as it stands: its sender, its words (none once deleted).
    pub reply_sender: Option<String>,
    pub reply_body: Option<String>,
    pub attachment: Option<Json<Attachment>>,
    pub reactions: Json<Vec<ReactionJson>>,
}

/// A message as the API and the socket send it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Message))]
pub struct MessageJson {
    pub id: Uuid,
    pub room_id: Uuid,
    pub seq: i64,
    pub sender: String,
    /// Empty for a message that is only an attachment, a deleted one, or one whose sender
    /// deleted their account.
    pub body: String,
    pub client_id: Uuid,
    pub sent_at: String,
    pub edited_at: Option<String>,
    pub deleted: bool,
    /// Grows with every change (edit, deletion, reaction): of two copies of a message, the one
    /// with the higher version is the newer.
    pub version: i32,
    pub reply_to: Option<ReplyJson>,
    pub attachment: Option<AttachmentJson>,
    /// Each emoji reacted with, and by whom, in the order they were first added.
    pub reactions: Vec<ReactionJson>,
}

/// The message a reply quotes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Reply))]
pub struct ReplyJson {
    pub seq: i64,
    pub sender: String,
    /// The start of its words; `null` once it was deleted.
    pub excerpt: Option<String>,
}

/// A file sent with a message, fetched at `url` by the room's two people only.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MessageAttachment))]
pub struct AttachmentJson {
    pub url: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// Set for images, which are shown in the conversation.
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MessageReaction))]
pub struct ReactionJson {
    pub emoji: String,
    /// Usernames, in the order they reacted.
    pub by: Vec<String>,
}

/// How much of a replied-to message a reply quotes.
const EXCERPT_CHARS: usize = 140;

/// Where the room's people fetch an attachment.
pub fn attachment_url(room: Uuid, attachment: Uuid) -> String {
    format!("/api/chat/rooms/{room}/attachments/{attachment}")
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
            version: m.version,
            reply_to: m.reply_to.map(|seq| ReplyJson {
                seq,
                sender: m.reply_sender.clone().unwrap_or_default(),
                excerpt: m.reply_body.as_deref().map(|body| {
                    let mut excerpt: String = body.chars().take(EXCERPT_CHARS).collect();
                    if body.chars().count() > EXCERPT_CHARS {
                        excerpt.push('…');
                    }
                    excerpt
                }),
            }),
            attachment: m
                .attachment
                .as_ref()
                .filter(|_| !m.deleted)
                .map(|a| AttachmentJson {
                    url: attachment_url(m.room_id, a.id),
                    name: a.name.clone(),
                    content_type: a.content_type.clone(),
                    size: a.size,
                    width: a.width,
                    height: a.height,
                }),
            reactions: m.reactions.0.clone(),
        }
    }
}

/// `sqlx::query_as!` for [`MessageRow`]s with their sender's name, the message they reply to
/// and their reactions: the message columns, then `$rest` of the statement (its `where` clause
/// and order).
macro_rules! select_messages {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            MessageRow,
            r#"select m.room_id, m.seq, m.id, m.sender_id, u.username as sender, m.client_id, m.body,
                      m.sent_at as "sent_at: _", m.edited_at as "edited_at: _", m.deleted, m.version,
                      m.reply_to, qu.username as "reply_sender?",
                      case when q.deleted or q.body = '' then null else q.body end as "reply_body?",
                      m.attachment as "attachment: Json<Attachment>",
                      coalesce((select jsonb_agg(jsonb_build_object('emoji', g.emoji, 'by', g.people) order by g.first)
                                  from (select r.emoji, array_agg(ru.username order by r.reacted_at) as people,
                                               min(r.reacted_at) as first
                                          from message_reactions r join users ru on ru.id = r.user_id
                                         where r.room_id = m.room_id and r.seq = m.seq
                                         group by r.emoji) g), '[]') as "reactions!: Json<Vec<ReactionJson>>"
                 from messages m join users u on u.id = m.sender_id
                 left join messages q on q.room_id = m.room_id and q.seq = m.reply_to
                 left join users qu on qu.id = q.sender_id "# + $rest
            $(, $arg)*
        )
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

/// Message `seq` of `room` in context: up to `each` messages before it and `each` after, in
/// ascending order, and whether older and newer ones lie beyond.
pub async fn around(
    db: &PgPool,
    room: Uuid,
    seq: i64,
    each: i64,
) -> Result<(Vec<MessageRow>, bool, bool), sqlx::Error> {
    let (mut rows, older) = page(db, room, Window::Before(seq.saturating_add(1)), each + 1).await?;
    let (after, newer) = page(db, room, Window::After(seq), each).await?;
    rows.extend(after);
    Ok((rows, older, newer))
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

/// The messages at `(rooms[i], seqs[i])`.
pub async fn at(
    db: impl PgExecutor<'_>,
    rooms: &[Uuid],
    seqs: &[i64],
) -> Result<Vec<MessageRow>, sqlx::Error> {
    select_messages!(
        "where (m.room_id, m.seq) in (select * from unnest($1::uuid[], $2::bigint[]))",
        rooms,
        seqs
    )
    .fetch_all(db)
    .await
}

/// The file `id` sent in `room`, while its message stands.
pub async fn attachment(
    db: impl PgExecutor<'_>,
    room: Uuid,
    id: Uuid,
) -> Result<Option<Attachment>, sqlx::Error> {
    let found = sqlx::query_scalar!(
        r#"select attachment as "attachment!: Json<Attachment>" from messages
            where room_id = $1 and attachment ->> 'id' = $2::uuid::text and not deleted"#,
        room,
        id,
    )
    .fetch_optional(db)
    .await?;
    Ok(found.map(|attachment| attachment.0))
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

/// Which of `sent` (room, sender, client id) are stored already, in one read: resends of
/// messages among many sent at once.
pub async fn stored_of(
    db: impl PgExecutor<'_>,
    sent: &[(Uuid, Uuid, Uuid)],
) -> Result<Vec<(Uuid, Uuid, Uuid)>, sqlx::Error> {
    let rooms: Vec<Uuid> = sent.iter().map(|s| s.0).collect();
    let senders: Vec<Uuid> = sent.iter().map(|s| s.1).collect();
    let clients: Vec<Uuid> = sent.iter().map(|s| s.2).collect();
    let rows = sqlx::query!(
        r#"
        select m.room_id, m.sender_id, m.client_id
          from unnest($1::uuid[], $2::uuid[], $3::uuid[]) as w(room_id, sender_id, client_id)
          join messages m on m.room_id = w.room_id and m.sender_id = w.sender_id and m.client_id = w.client_id
        "#,
        &rooms,
        &senders,
        &clients
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.room_id, row.sender_id, row.client_id))
        .collect())
}

/// The messages read model answering the chat aggregate's questions.
pub struct Facts(pub PgPool);

#[async_trait]
impl MessageFacts for Facts {
    async fn message(&self, chat: ChatId, seq: u64) -> Result<Option<MessageInfo>, ChatError> {
        let row = sqlx::query!(
            r#"select sender_id, deleted,
                      array(select r.user_id::text || ' ' || r.emoji from message_reactions r
                             where r.room_id = m.room_id and r.seq = m.seq) as "reactions!"
                 from messages m where room_id = $1 and seq = $2"#,
            chat.0,
            i64::try_from(seq).unwrap_or(i64::MAX),
        )
        .fetch_optional(&self.0)
        .await;
        match row {
            Ok(found) => Ok(found.map(|message| MessageInfo {
                sender: UserId(message.sender_id),
                deleted: message.deleted,
                reactions: message
                    .reactions
                    .iter()
                    .filter_map(|pair| {
                        let (user, emoji) = pair.split_once(' ')?;
                        Some((UserId(user.parse().ok()?), Reaction::parse(emoji).ok()?))
                    })
                    .collect(),
            })),
            Err(err) => {
                tracing::error!(error = %err, "cannot look up a message");
                Err(ChatError::MessageNotFound)
            }
        }
    }
}
