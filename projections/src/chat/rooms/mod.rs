//! Read model of chat rooms: each person's conversations with how many messages they have not
//! read yet, and the messages themselves (queried through [`super::messages`]). One projector
//! keeps rooms, members and messages, because unread counts are computed from the messages:
//! rebuilt together, they stay consistent at every point of the log.
//!
//! The rooms' queries are here; [`ChatProjector`] writes all three tables, runs of sent
//! messages in one statement (see `sent_run`).

mod projector;
mod sent_run;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::messages::{self, MessageRow};

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
    /// The room's newest message, when it has one.
    pub last_message: Option<MessageRow>,
}

/// A [`RoomRow`] as the query macros read it: one flat row, without its last message.
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
            last_message: None,
        }
    }
}

/// `sqlx::query_as!` for [`Row`]s of the rooms of member `$1`: a room as that member sees it,
/// then `$rest` of the statement (its further conditions and order).
macro_rules! select_rooms {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Row,
            r#"select r.id, r.created_at as "created_at: _", r.last_seq, r.last_activity_at as "last_activity_at: _",
                      me.unread, me.last_read_seq, me.peer_id, p.username as peer_username,
                      p.display_name as peer_display_name, p.bio as peer_bio, p.image as peer_image,
                      them.last_read_seq as peer_last_read_seq,
                      exists (select 1 from follows f where f.follower_id = me.user_id and f.followee_id = me.peer_id)
                      as "peer_followed!"
                 from chat_members me
                 join chat_rooms r on r.id = me.room_id
                 join chat_members them on them.room_id = me.room_id and them.user_id = me.peer_id
                 join users p on p.id = me.peer_id
                where me.user_id = $1 "# + $rest
            $(, $arg)*
        )
    };
}

/// `rows` with their newest messages, read in one query.
async fn with_last_messages(db: &PgPool, rows: Vec<Row>) -> Result<Vec<RoomRow>, sqlx::Error> {
    let mut rooms: Vec<RoomRow> = rows.into_iter().map(RoomRow::from).collect();
    let (ids, seqs): (Vec<Uuid>, Vec<i64>) = rooms
        .iter()
        .filter(|room| room.last_seq > 0)
        .map(|room| (room.id, room.last_seq))
        .unzip();
    if ids.is_empty() {
        return Ok(rooms);
    }
    let mut last: HashMap<Uuid, MessageRow> = messages::at(db, &ids, &seqs)
        .await?
        .into_iter()
        .map(|message| (message.room_id, message))
        .collect();
    for room in &mut rooms {
        room.last_message = last.remove(&room.id);
    }
    Ok(rooms)
}

/// `user`'s rooms, most recent activity first.
pub async fn for_user(db: &PgPool, user: Uuid, limit: i64) -> Result<Vec<RoomRow>, sqlx::Error> {
    let rows = select_rooms!("order by r.last_activity_at desc limit $2", user, limit)
        .fetch_all(db)
        .await?;
    with_last_messages(db, rows).await
}

/// The room, if `user` is in it; to anyone else it does not exist.
pub async fn for_member(db: &PgPool, room: Uuid, user: Uuid) -> Result<Option<RoomRow>, sqlx::Error> {
    let row = select_rooms!("and me.room_id = $2", user, room)
        .fetch_optional(db)
        .await?;
    Ok(with_last_messages(db, row.into_iter().collect()).await?.pop())
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

/// The two people of each of `rooms`, by room.
pub async fn members(
    db: impl PgExecutor<'_>,
    rooms: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<Uuid>>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select room_id, array_agg(user_id) as "people!" from chat_members where room_id = any($1) group by room_id"#,
        rooms,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.room_id, row.people)).collect())
}

/// The newest message number of each of `user`'s rooms: where a socket opened now stands.
pub async fn positions(db: impl PgExecutor<'_>, user: Uuid) -> Result<Vec<(Uuid, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        "select r.id, r.last_seq from chat_members me join chat_rooms r on r.id = me.room_id where me.user_id = $1",
        user,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.last_seq)).collect())
}
