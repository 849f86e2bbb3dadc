//! A run of sent messages, held back to be written in one statement.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use eventstore::log::StoredEvent;
use eventstore::runtime::ProjectionError;

/// Consecutive `MessageSent` events, written together.
#[derive(Default)]
pub(super) struct SentRun {
    /// The rooms the run has messages in.
    touched: std::collections::HashSet<Uuid>,
    rooms: Vec<Uuid>,
    seqs: Vec<i64>,
    ids: Vec<Uuid>,
    senders: Vec<Uuid>,
    client_ids: Vec<Uuid>,
    bodies: Vec<String>,
    times: Vec<DateTime<Utc>>,
    replies: Vec<Option<i64>>,
    attachments: Vec<Option<serde_json::Value>>,
}

/// What a `MessageSent` writes.
pub(super) struct Sent {
    pub id: Uuid,
    pub seq: u64,
    pub sender: Uuid,
    pub client_id: Uuid,
    pub body: String,
    pub reply_to: Option<u64>,
    pub attachment: Option<domain::chat::Attachment>,
}

impl SentRun {
    pub(super) fn has_room(&self, room: Uuid) -> bool {
        self.touched.contains(&room)
    }

    pub(super) fn push(&mut self, event: &StoredEvent, sent: Sent) -> Result<(), ProjectionError> {
        let room = event.aggregate_uuid()?;
        self.touched.insert(room);
        self.rooms.push(room);
        self.seqs.push(sent.seq as i64);
        self.ids.push(sent.id);
        self.senders.push(sent.sender);
        self.client_ids.push(sent.client_id);
        self.bodies.push(sent.body);
        self.times.push(event.recorded_at);
        self.replies.push(sent.reply_to.map(|seq| seq as i64));
        let attachment = sent.attachment.map(serde_json::to_value).transpose();
        self.attachments
            .push(attachment.map_err(|e| ProjectionError::decode(event, e))?);
        Ok(())
    }

    pub(super) async fn flush(&mut self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.rooms.is_empty() {
            return Ok(());
        }
        // One statement for the three tables (one round trip): the messages; the newest
        // message of each room; how many each sender added for the other. The `= any(…)` lets
        // an index find the rows even before the planner has statistics (a rebuild's tables).
        sqlx::query!(
            r#"
            with inserted as (
                insert into messages (room_id, seq, id, sender_id, client_id, body, sent_at, reply_to, attachment)
                select * from unnest($1::uuid[], $2::bigint[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[],
                                     $7::timestamptz[], $8::bigint[], $9::jsonb[])
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
            &self.replies as &[Option<i64>],
            &self.attachments as &[Option<serde_json::Value>],
        )
        .execute(conn)
        .await?;
        *self = Self::default();
        Ok(())
    }
}
