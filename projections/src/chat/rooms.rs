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
#[derive(Debug, Clone, sqlx::FromRow)]
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
    #[sqlx(flatten)]
    pub last: LastMessage,
}

/// The room's newest message, when it has one.
#[derive(Debug, Clone, sqlx::FromRow)]
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

const SELECT: &str = r#"
    select r.id, r.created_at, r.last_seq, r.last_activity_at, me.unread, me.last_read_seq,
           me.peer_id, p.username as peer_username, p.display_name as peer_display_name,
           p.bio as peer_bio, p.image as peer_image, them.last_read_seq as peer_last_read_seq,
           exists (select 1 from follows f where f.follower_id = me.user_id and f.followee_id = me.peer_id) as peer_followed,
           lm.id as last_id, lu.username as last_sender, lm.client_id as last_client_id, lm.body as last_body,
           lm.sent_at as last_sent_at, lm.edited_at as last_edited_at, lm.deleted as last_deleted
      from chat_members me
      join chat_rooms r on r.id = me.room_id
      join chat_members them on them.room_id = me.room_id and them.user_id = me.peer_id
      join users p on p.id = me.peer_id
      left join messages lm on lm.room_id = r.id and lm.seq = r.last_seq
      left join users lu on lu.id = lm.sender_id"#;

/// `user`'s rooms, most recent activity first.
pub async fn for_user(db: impl PgExecutor<'_>, user: Uuid, limit: i64) -> Result<Vec<RoomRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} where me.user_id = $1 order by r.last_activity_at desc limit $2"
    ))
    .bind(user)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The room, if `user` is in it; to anyone else it does not exist.
pub async fn for_member(
    db: impl PgExecutor<'_>,
    room: Uuid,
    user: Uuid,
) -> Result<Option<RoomRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} where me.user_id = $1 and me.room_id = $2"))
        .bind(user)
        .bind(room)
        .fetch_optional(db)
        .await
}

/// Messages waiting for `user` across all rooms (the nav badge).
pub async fn unread_total(db: impl PgExecutor<'_>, user: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select coalesce(sum(unread), 0)::bigint from chat_members where user_id = $1")
        .bind(user)
        .fetch_one(db)
        .await
}

/// The other person in `room`, when `user` is one of its two.
pub async fn peer(db: impl PgExecutor<'_>, room: Uuid, user: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select peer_id from chat_members where room_id = $1 and user_id = $2")
        .bind(room)
        .bind(user)
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
                run.push(event, id.0, seq, sender.0, client_id.0, body.as_str().to_owned());
            } else {
                if run.has_room(&event.aggregate_id) {
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
        let room: Uuid = event.aggregate_id.parse().unwrap_or_default();
        let at = event.recorded_at;
        match event
            .decode::<Chat>()
            .map_err(|e| ProjectionError::decode(event, e))?
        {
            ChatEvent::RoomOpened { participants: [a, b] } => {
                sqlx::query("insert into chat_rooms (id, created_at, last_activity_at) values ($1, $2, $2)")
                    .bind(room)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(
                    "insert into chat_members (room_id, user_id, peer_id) values ($1, $2, $3), ($1, $3, $2)",
                )
                .bind(room)
                .bind(a.0)
                .bind(b.0)
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
                sqlx::query(
                    r#"
                    insert into messages (room_id, seq, id, sender_id, client_id, body, sent_at)
                    values ($1, $2, $3, $4, $5, $6, $7)
                    "#,
                )
                .bind(room)
                .bind(seq as i64)
                .bind(id.0)
                .bind(sender.0)
                .bind(client_id.0)
                .bind(body.as_str())
                .bind(at)
                .execute(&mut *conn)
                .await?;
                sqlx::query("update chat_rooms set last_seq = $2, last_activity_at = $3 where id = $1")
                    .bind(room)
                    .bind(seq as i64)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query(
                    "update chat_members set unread = unread + 1 where room_id = $1 and peer_id = $2",
                )
                .bind(room)
                .bind(sender.0)
                .execute(conn)
                .await?;
            }
            ChatEvent::MessageEdited { seq, body, .. } => {
                sqlx::query(
                    "update messages set body = $3, edited_at = greatest($4, edited_at + interval '1 millisecond') \
                     where room_id = $1 and seq = $2",
                )
                .bind(room)
                .bind(seq as i64)
                .bind(body.as_str())
                .bind(at)
                .execute(conn)
                .await?;
            }
            ChatEvent::MessageDeleted { seq, by } => {
                sqlx::query("update messages set body = '', deleted = true where room_id = $1 and seq = $2")
                    .bind(room)
                    .bind(seq as i64)
                    .execute(&mut *conn)
                    .await?;
                // A deleted message the other person had not read no longer waits for them.
                sqlx::query(
                    "update chat_members set unread = greatest(unread - 1, 0) \
                     where room_id = $1 and peer_id = $2 and last_read_seq < $3",
                )
                .bind(room)
                .bind(by.0)
                .bind(seq as i64)
                .execute(conn)
                .await?;
            }
            ChatEvent::MessagesRead { by, seq } => {
                sqlx::query(
                    r#"
                    update chat_members me
                       set last_read_seq = $3,
                           unread = (select count(*) from messages m
                                      where m.room_id = $1 and m.seq > $3 and m.sender_id <> $2 and not m.deleted)
                     where me.room_id = $1 and me.user_id = $2
                    "#,
                )
                .bind(room)
                .bind(by.0)
                .bind(seq as i64)
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
    fn has_room(&self, room: &str) -> bool {
        self.touched.contains(&room.parse().unwrap_or_default())
    }

    fn push(&mut self, event: &StoredEvent, id: Uuid, seq: u64, sender: Uuid, client_id: Uuid, body: String) {
        let room = event.aggregate_id.parse().unwrap_or_default();
        self.touched.insert(room);
        self.rooms.push(room);
        self.seqs.push(seq as i64);
        self.ids.push(id);
        self.senders.push(sender);
        self.client_ids.push(client_id);
        self.bodies.push(body);
        self.times.push(event.recorded_at);
    }

    async fn flush(&mut self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.rooms.is_empty() {
            return Ok(());
        }
        // One statement for the three tables (one round trip): the messages; the newest
        // message of each room; how many each sender added for the other. The `= any(…)` lets
        // an index find the rows even before the planner has statistics (a rebuild's tables).
        sqlx::query(
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
        )
        .bind(&self.rooms)
        .bind(&self.seqs)
        .bind(&self.ids)
        .bind(&self.senders)
        .bind(&self.client_ids)
        .bind(&self.bodies)
        .bind(&self.times)
        .execute(conn)
        .await?;
        *self = Self::default();
        Ok(())
    }
}
