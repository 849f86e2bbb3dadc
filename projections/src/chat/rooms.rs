//! Read model of chat rooms: each person's conversations with how many messages they have not
//! read yet, and the messages themselves (queried through [`super::messages`]). One projector
//! keeps rooms, members and messages, because unread counts are computed from the messages:
//! rebuilt together, they stay consistent at every point of the log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::chat::{Chat, ChatEvent};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

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
pub async fn unread_total(db: impl PgExecutor<'_>, user: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select coalesce(sum(unread), 0)::bigint as "unread!" from chat_members where user_id = $1"#,
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

pub struct ChatProjector;

#[async_trait]
impl Projector for ChatProjector {
    fn name(&self) -> &'static str {
        "chat"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["chat_rooms", "chat_members", "messages"]
    }

    /// Runs of sent messages (most of a busy log) are written in one statement; anything else
    /// is applied alone. Every event changes and reads only its own room's rows, so an event
    /// of a room the run has no message in goes ahead of the run; one of a room in the run
    /// waits for the run to be written first.
    async fn apply_all(
        &self,
        conn: &mut PgConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut run = SentRun::default();
        for event in events.iter().filter(|e| e.is::<Chat>()) {
            let decoded = event
                .decode::<Chat>()
                .map_err(|e| ProjectionError::decode(event, e))?;
            if let ChatEvent::MessageSent {
                id,
                seq,
                sender,
                client_id,
                body,
            } = decoded
            {
                run.push(event, id.0, seq, sender.0, client_id.0, body.as_str().to_owned())?;
            } else {
                if run.has_room(event.aggregate_uuid()?) {
                    run.flush(conn).await?;
                }
                self.apply(conn, event).await?;
            }
        }
        run.flush(conn).await?;
        Ok(())
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        if !event.is::<Chat>() {
            return Ok(());
        }
        let room = event.aggregate_uuid()?;
        let at = event.recorded_at;
        match event
            .decode::<Chat>()
            .map_err(|e| ProjectionError::decode(event, e))?
        {
            ChatEvent::RoomOpened { participants: [a, b] } => {
                sqlx::query!(
                    "insert into chat_rooms (id, created_at, last_activity_at) values ($1, $2, $2)",
                    room,
                    at as DateTime<Utc>,
                )
                .execute(&mut *conn)
                .await?;
                sqlx::query!(
                    "insert into chat_members (room_id, user_id, peer_id) values ($1, $2, $3), ($1, $3, $2)",
                    room,
                    a.0,
                    b.0,
                )
                .execute(conn)
                .await?;
            }
            ChatEvent::MessageSent {
                id,
                seq,
                sender,
                client_id,
                body,
            } => {
                sqlx::query!(
                    r#"
                    insert into messages (room_id, seq, id, sender_id, client_id, body, sent_at)
                    values ($1, $2, $3, $4, $5, $6, $7)
                    "#,
                    room,
                    seq as i64,
                    id.0,
                    sender.0,
                    client_id.0,
                    body.as_str(),
                    at as DateTime<Utc>,
                )
                .execute(&mut *conn)
                .await?;
                sqlx::query!(
                    "update chat_rooms set last_seq = $2, last_activity_at = $3 where id = $1",
                    room,
                    seq as i64,
                    at as DateTime<Utc>,
                )
                .execute(&mut *conn)
                .await?;
                sqlx::query!(
                    "update chat_members set unread = unread + 1 where room_id = $1 and peer_id = $2",
                    room,
                    sender.0,
                )
                .execute(conn)
                .await?;
            }
            ChatEvent::MessageEdited { seq, body, .. } => {
                sqlx::query!(
                    "update messages set body = $3, edited_at = greatest($4, edited_at + interval '1 millisecond') \
                     where room_id = $1 and seq = $2",
                    room,
                    seq as i64,
                    body.as_str(),
                    at as DateTime<Utc>,
                )
                .execute(conn)
                .await?;
            }
            ChatEvent::MessageDeleted { seq, by } => {
                sqlx::query!(
                    "update messages set body = '', deleted = true where room_id = $1 and seq = $2",
                    room,
                    seq as i64,
                )
                .execute(&mut *conn)
                .await?;
                // A deleted message the other person had not read no longer waits for them.
                sqlx::query!(
                    "update chat_members set unread = greatest(unread - 1, 0) \
                     where room_id = $1 and peer_id = $2 and last_read_seq < $3",
                    room,
                    by.0,
                    seq as i64,
                )
                .execute(conn)
                .await?;
            }
            ChatEvent::MessagesRead { by, seq } => {
                sqlx::query!(
                    r#"
                    update chat_members me
                       set last_read_seq = $3,
                           unread = (select count(*) from messages m
                                      where m.room_id = $1 and m.seq > $3 and m.sender_id <> $2 and not m.deleted)
                     where me.room_id = $1 and me.user_id = $2
                    "#,
                    room,
                    by.0,
                    seq as i64,
                )
                .execute(conn)
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Consecutive `MessageSent` events, written together.
#[derive(Default)]
struct SentRun {
    /// The rooms the run has messages in.
    touched: std::collections::HashSet<Uuid>,
    rooms: Vec<Uuid>,
    seqs: Vec<i64>,
    ids: Vec<Uuid>,
    senders: Vec<Uuid>,
    client_ids: Vec<Uuid>,
    bodies: Vec<String>,
    times: Vec<DateTime<Utc>>,
}

impl SentRun {
    fn has_room(&self, room: Uuid) -> bool {
        self.touched.contains(&room)
    }

    fn push(
        &mut self,
        event: &StoredEvent,
        id: Uuid,
        seq: u64,
        sender: Uuid,
        client_id: Uuid,
        body: String,
    ) -> Result<(), ProjectionError> {
        let room = event.aggregate_uuid()?;
        self.touched.insert(room);
        self.rooms.push(room);
        self.seqs.push(seq as i64);
        self.ids.push(id);
        self.senders.push(sender);
        self.client_ids.push(client_id);
        self.bodies.push(body);
        self.times.push(event.recorded_at);
        Ok(())
    }

    async fn flush(&mut self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.rooms.is_empty() {
            return Ok(());
        }
        // One statement for the three tables (one round trip): the messages; the newest
        // message of each room; how many each sender added for the other. The `= any(…)` lets
        // an index find the rows even before the planner has statistics (a rebuild's tables).
        sqlx::query!(
            r#"
            with inserted as (
                insert into messages (room_id, seq, id, sender_id, client_id, body, sent_at)
                select * from unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::timestamptz[])
            ), rooms as (
                update chat_rooms r
                   set last_seq = latest.seq, last_activity_at = latest.at
                  from (select distinct on (room) room, seq, at
                          from unnest($1::uuid[], $2::bigint[], $7::timestamptz[]) as m(room, seq, at)
                         order by room, seq desc) latest
                 where r.id = any($1::uuid[]) and r.id = latest.room
            )
            update chat_members m
               set unread = m.unread + sent.n
              from (select room, sender, count(*)::int as n
                      from unnest($1::uuid[], $4::uuid[]) as s(room, sender)
                     group by room, sender) sent
             where m.room_id = any($1::uuid[]) and m.room_id = sent.room and m.peer_id = sent.sender
            "#,
            &self.rooms,
            &self.seqs,
            &self.ids,
            &self.senders,
            &self.client_ids,
            &self.bodies,
            &self.times as &[DateTime<Utc>],
        )
        .execute(conn)
        .await?;
        *self = Self::default();
        Ok(())
    }
}
