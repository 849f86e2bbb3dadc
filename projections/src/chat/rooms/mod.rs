//! Read model of chat rooms: each person's conversations with how many messages they have not
//! read yet, and the messages themselves (queried through [`super::messages`]). One projector
//! keeps rooms, members and messages, because unread counts are computed from the messages:
//! rebuilt together, they stay consistent at every point of the log.
//!
//! The rooms' queries are here; [`ChatProjector`] writes all three tables, runs of sent
//! messages in one statement (see `sent_run`).

mod projector;
mod sent_run;

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

pub use projector::ChatProjector;

/// A room as one of its two people sees it.
#[derive(Debug, Clone)]
pub struct RoomRow {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seq: i64,
    pub last_activity_at: DateTime<Utc>,
    pub unread: i32,
    pub last_read_seq: i64,
    pub peer_id: Uuid,
    pub peer_username: String,
    pub peer_display_name: Option<String>,
    pub peer_bio: Option<String>,
    pub peer_image: Option<String>,
    pub peer_last_read_seq: i64,
    pub peer_followed: bool,
    pub last: LastMessage,
}

/// The room's newest message, when it has one.
#[derive(Debug, Clone)]
pub struct LastMessage {
    pub last_id: Option<Uuid>,
    pub last_sender: Option<String>,
    pub last_client_id: Option<Uuid>,
    pub last_body: Option<String>,
    pub last_sent_at: Option<DateTime<Utc>>,
    pub last_edited_at: Option<DateTime<Utc>>,
    pub last_deleted: Option<bool>,
}

impl RoomRow {
    /// The newest message in the shape of a messages row.
    pub fn last_message(&self) -> Option<super::messages::MessageRow> {
        let last = &self.last;
        Some(super::messages::MessageRow {
            room_id: self.id,
            seq: self.last_seq,
            id: last.last_id?,
            sender_id: Uuid::nil(),
            sender: last.last_sender.clone()?,
            client_id: last.last_client_id?,
            body: last.last_body.clone()?,
            sent_at: last.last_sent_at?,
            edited_at: last.last_edited_at,
            deleted: last.last_deleted?,
        })
    }
}

/// A [`RoomRow`] as the query macros read it: one flat row.
struct Row {
    id: Uuid,
    created_at: DateTime<Utc>,
    last_seq: i64,
    last_activity_at: DateTime<Utc>,
    unread: i32,
    last_read_seq: i64,
    peer_id: Uuid,
    peer_username: String,
    peer_display_name: Option<String>,
    peer_bio: Option<String>,
    peer_image: Option<String>,
    peer_last_read_seq: i64,
    peer_followed: bool,
    last_id: Option<Uuid>,
    last_sender: Option<String>,
    last_client_id: Option<Uuid>,
    last_body: Option<String>,
    last_sent_at: Option<DateTime<Utc>>,
    last_edited_at: Option<DateTime<Utc>>,
    last_deleted: Option<bool>,
}

impl From<Row> for RoomRow {
    fn from(row: Row) -> Self {
        Self {
            id: row.id,
            created_at: row.created_at,
            last_seq: row.last_seq,
            last_activity_at: row.last_activity_at,
            unread: row.unread,
            last_read_seq: row.last_read_seq,
            peer_id: row.peer_id,
            peer_username: row.peer_username,
            peer_display_name: row.peer_display_name,
            peer_bio: row.peer_bio,
            peer_image: row.peer_image,
            peer_last_read_seq: row.peer_last_read_seq,
            peer_followed: row.peer_followed,
            last: LastMessage {
                last_id: row.last_id,
                last_sender: row.last_sender,
                last_client_id: row.last_client_id,
                last_body: row.last_body,
                last_sent_at: row.last_sent_at,
                last_edited_at: row.last_edited_at,
                last_deleted: row.last_deleted,
            },
        }
    }
}

/// `sqlx::query_as!` for [`Row`]s of the rooms of member `$1`: a room as that member sees it,
/// then `$rest` of the statement (its further conditions and order). The newest message is
/// outer-joined: a room without messages has none.
macro_rules! select_rooms {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            r#"select r.id, r.created_at as "created_at: _", r.last_seq, r.last_activity_at as "last_activity_at: _",
                      me.unread, me.last_read_seq, me.peer_id, p.username as peer_username,
                      p.display_name as peer_display_name, p.bio as peer_bio, p.image as peer_image,
                      them.last_read_seq as peer_last_read_seq,
                      exists (select 1 from follows f where f.follower_id = me.user_id and f.followee_id = me.peer_id)
                      as "peer_followed!",
                      lm.id as "last_id?", lu.username as "last_sender?", lm.client_id as "last_client_id?",
                      lm.body as "last_body?", lm.sent_at as "last_sent_at?: _", lm.edited_at as "last_edited_at?: _",
                      lm.deleted as "last_deleted?"
                 from chat_members me
                 join chat_rooms r on r.id = me.room_id
                 join chat_members them on them.room_id = me.room_id and them.user_id = me.peer_id
                 join users p on p.id = me.peer_id
                 left join messages lm on lm.room_id = r.id and lm.seq = r.last_seq
                 left join users lu on lu.id = lm.sender_id
                where me.user_id = $1 "# + $rest
            $(, $arg)*
        )
    };
}

/// `user`'s rooms, most recent activity first.
pub async fn for_user(db: impl PgExecutor<'_>, user: Uuid, limit: i64) -> Result<Vec<RoomRow>, sqlx::Error> {
    let rows = select_rooms!("order by r.last_activity_at desc limit $2", user, limit)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(RoomRow::from).collect())
}

/// The room, if `user` is in it; to anyone else it does not exist.
pub async fn for_member(
    db: impl PgExecutor<'_>,
    room: Uuid,
    user: Uuid,
) -> Result<Option<RoomRow>, sqlx::Error> {
    let row = select_rooms!("and me.room_id = $2", user, room)
        .fetch_optional(db)
        .await?;
    Ok(row.map(RoomRow::from))
}

/// Messages waiting for `user` across all rooms (the nav badge).
/// What waits for a person in chat: messages they haven't read, requests they haven't answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Waiting {
    pub messages: i64,
    pub requests: i64,
}

impl Waiting {
    pub fn total(self) -> i64 {
        self.messages + self.requests
    }
}

pub async fn waiting(db: impl PgExecutor<'_>, user: Uuid) -> Result<Waiting, sqlx::Error> {
    sqlx::query_as!(
        Waiting,
        r#"
        select (select coalesce(sum(unread), 0) from chat_members where user_id = $1)::bigint as "messages!",
               (select count(*) from chat_requests where to_id = $1 and status = 'pending') as "requests!"
        "#,
        user,
    )
    .fetch_one(db)
    .await
}

/// The other person in `room`, when `user` is one of its two.
pub async fn peer(db: impl PgExecutor<'_>, room: Uuid, user: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "select peer_id from chat_members where room_id = $1 and user_id = $2",
        room,
        user,
    )
    .fetch_optional(db)
    .await
}
