//! Live delivery of chat events: turning stored events into socket frames, and publishing
//! them on Redis for every instance to pass on to its own sockets.
//!
//! The publisher is a consumer of the log like any projector: it keeps a checkpoint and moves
//! it only after Redis took the frames, so a Redis outage delays pushes but never loses them.
//! Frames are built from the read models, so the publisher never runs ahead of them. Each
//! frame carries its event's position: an instance that already delivered it (the one that
//! handled the command delivers to its own sockets at once) drops the copy.

mod frame;
mod publisher;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::chat::{Chat, ChatEvent};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

pub use frame::{ClientFrame, ErrorCode, ServerFrame};
pub use publisher::{PublishError, Publisher};

use crate::chat::{messages, requests, rooms};
use crate::follows;
use eventstore::log::{self, Cursor, StoredEvent};
use eventstore::runtime::ProjectionError;

/// One frame for one person's sockets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The position of the event behind the frame (for de-duplication); 0 for frames that are
    /// not events (typing), which carry a `nonce` instead.
    pub position: i64,
    /// With `position`, where the event stands in tailing order (0 when not an event, or not
    /// known): what a subscriber has seen, to catch up from after losing Redis (see [`replay`]).
    #[serde(default)]
    pub transaction_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Uuid>,
    pub user: Uuid,
    pub frame: ServerFrame,
    /// When the event behind the frame was stored (none for typing): how long delivery took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_at: Option<DateTime<Utc>>,
}

/// The most deliveries one Redis message carries.
const PER_MESSAGE: usize = 256;

/// The Redis messages that carry `deliveries`: JSON arrays of at most [`PER_MESSAGE`], so that a
/// busy chat costs Redis and every subscriber one message per batch rather than per frame.
fn encode(deliveries: &[Delivery]) -> serde_json::Result<Vec<String>> {
    deliveries
        .chunks(PER_MESSAGE)
        .map(serde_json::to_string)
        .collect()
}

/// The commands that publish `deliveries` on `channel`, to send in one round trip.
pub fn publishing(channel: &str, deliveries: &[Delivery]) -> serde_json::Result<redis::Pipeline> {
    let mut pipe = redis::pipe();
    for message in encode(deliveries)? {
        pipe.publish(channel, message).ignore();
    }
    Ok(pipe)
}

/// The deliveries in one Redis message: an array of them, or one alone (a typing frame).
pub fn decode(payload: &str) -> serde_json::Result<Vec<Delivery>> {
    if payload.trim_start().starts_with('[') {
        serde_json::from_str(payload)
    } else {
        serde_json::from_str(payload).map(|one| vec![one])
    }
}

/// The read models a frame is built from; the publisher waits for both.
pub(crate) const SOURCES: [&str; 2] = ["chat", "chat_requests"];
pub(crate) const CHECKPOINT: &str = "live";
/// The advisory lock one publisher at a time holds while it publishes.
pub const LOCK_KEY: i64 = 0x0b0c_4a01;
pub(crate) const BATCH: i64 = 500;

/// The frames `events` produce, for each person concerned. The messages, read receipts and
/// room members a batch needs are read in one query each, however many events it holds.
pub async fn deliveries(
    conn: &mut PgConnection,
    events: &[StoredEvent],
) -> Result<Vec<Delivery>, ProjectionError> {
    let mut decoded = Vec::new();
    for event in events.iter().filter(|e| e.is::<Chat>()) {
        let room = event.aggregate_uuid()?;
        let chat_event = event
            .decode::<Chat>()
            .map_err(|e| ProjectionError::decode(event, e))?;
        decoded.push((event, room, chat_event));
    }

    let mut message_keys: (Vec<Uuid>, Vec<i64>) = (Vec::new(), Vec::new());
    let mut read_keys: (Vec<Uuid>, Vec<Uuid>) = (Vec::new(), Vec::new());
    for (_, room, event) in &decoded {
        match event {
            ChatEvent::MessageSent { seq, .. }
            | ChatEvent::MessageEdited { seq, .. }
            | ChatEvent::MessageDeleted { seq, .. }
            | ChatEvent::ReactionAdded { seq, .. }
            | ChatEvent::ReactionRemoved { seq, .. } => {
                message_keys.0.push(*room);
                message_keys.1.push(*seq as i64);
            }
            ChatEvent::MessagesRead { by, .. } => {
                read_keys.0.push(*room);
                read_keys.1.push(by.0);
            }
            _ => {}
        }
    }
    let messages: HashMap<(Uuid, i64), (ServerFrame, Vec<Uuid>)> = if message_keys.0.is_empty() {
        HashMap::new()
    } else {
        let members = rooms::members(&mut *conn, &message_keys.0).await?;
        messages::at(&mut *conn, &message_keys.0, &message_keys.1)
            .await?
            .into_iter()
            .map(|row| {
                let frame = ServerFrame::Message {
                    message: messages::MessageJson::from(&row),
                };
                let people = members.get(&row.room_id).cloned().unwrap_or_default();
                ((row.room_id, row.seq), (frame, people))
            })
            .collect()
    };
    let readers: HashMap<(Uuid, Uuid), (Option<String>, Vec<Uuid>)> = if read_keys.0.is_empty() {
        HashMap::new()
    } else {
        let rows = sqlx::query!(
            r#"
            select r.room as "room!", r.reader as "reader!", u.username as "username?",
                   array(select m.user_id from chat_members m where m.room_id = r.room) as "members!"
              from (select distinct room, reader from unnest($1::uuid[], $2::uuid[]) as k(room, reader)) r
              left join users u on u.id = r.reader
            "#,
            &read_keys.0,
            &read_keys.1,
        )
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .map(|row| ((row.room, row.reader), (row.username, row.members)))
            .collect()
    };

    let mut out = Vec::new();
    for (event, room, chat_event) in decoded {
        match chat_event {
            ChatEvent::MessageSent { seq, .. }
            | ChatEvent::MessageEdited { seq, .. }
            | ChatEvent::MessageDeleted { seq, .. }
            | ChatEvent::ReactionAdded { seq, .. }
            | ChatEvent::ReactionRemoved { seq, .. } => {
                if let Some((frame, members)) = messages.get(&(room, seq as i64)) {
                    for user in members {
                        out.push(Delivery {
                            position: event.position,
                            transaction_id: event.transaction_id,
                            nonce: None,
                            user: *user,
                            frame: frame.clone(),
                            recorded_at: Some(event.recorded_at),
                        });
                    }
                }
            }
            ChatEvent::MessagesRead { by, seq } => {
                let (username, members) = readers.get(&(room, by.0)).cloned().unwrap_or_default();
                let frame = ServerFrame::Read {
                    room_id: room,
                    username,
                    seq,
                };
                for user in members {
                    out.push(Delivery {
                        position: event.position,
                        transaction_id: event.transaction_id,
                        nonce: None,
                        user,
                        frame: frame.clone(),
                        recorded_at: Some(event.recorded_at),
                    });
                }
            }
            ChatEvent::ChatRequested { request, .. }
            | ChatEvent::ChatRequestApproved { request, .. }
            | ChatEvent::ChatRequestDeclined { request, .. }
            | ChatEvent::ChatRequestCancelled { request, .. } => {
                // Requests are few (one per chat, answered once): read one at a time.
                if let Some(row) = requests::by_id(&mut *conn, request.0).await? {
                    for (viewer, other) in [(row.from_id, row.to_id), (row.to_id, row.from_id)] {
                        let follows = follows::is_following(&mut *conn, viewer, other).await?;
                        let request = row.json(|id| id == other && follows);
                        out.push(Delivery {
                            position: event.position,
                            transaction_id: event.transaction_id,
                            nonce: None,
                            user: viewer,
                            frame: ServerFrame::Request { request },
                            recorded_at: Some(event.recorded_at),
                        });
                    }
                }
            }
            // A block shows on the next page either side loads, and tells the person blocked
            // nothing (the requests it closed are not announced to them).
            ChatEvent::RoomOpened { .. }
            | ChatEvent::Blocked { .. }
            | ChatEvent::Unblocked { .. }
            | ChatEvent::StaffRead { .. } => {}
        }
    }
    Ok(out)
}

/// The cursor up to which frames can be built: the publisher's sources' lowest checkpoint.
async fn buildable_upto(conn: &mut PgConnection) -> Result<Cursor, sqlx::Error> {
    let lowest = sqlx::query!(
        r#"
        select transaction_id::text::bigint as "transaction_id!", position
          from projector_checkpoints
         where name = any($1)
         order by transaction_id, position
         limit 1
        "#,
        &SOURCES as &[&str],
    )
    .fetch_optional(conn)
    .await?;
    Ok(lowest.map_or(Cursor::START, |c| Cursor::new(c.transaction_id, c.position)))
}

/// How far the publisher has published: frames after it are still to be sent.
pub async fn published(pool: &PgPool) -> Result<Cursor, sqlx::Error> {
    let cursor = sqlx::query!(
        r#"select transaction_id::text::bigint as "transaction_id!", position from projector_checkpoints where name = $1"#,
        CHECKPOINT,
    )
    .fetch_optional(pool)
    .await?;
    Ok(cursor.map_or(Cursor::START, |c| Cursor::new(c.transaction_id, c.position)))
}

/// The frames of up to `limit` chat events after `after`, for a subscriber that was away from
/// Redis: the publisher may have sent them while nobody here listened (Redis does not keep what
/// it relayed). Returns them with the cursor reached. Only events the read models have applied
/// are read, as the publisher does; later ones it will publish.
pub async fn replay(
    pool: &PgPool,
    keyring: &eventstore::seal::Keyring,
    after: Cursor,
    limit: i64,
) -> Result<(Vec<Delivery>, Cursor), ProjectionError> {
    let mut conn = pool.acquire().await?;
    let upto = buildable_upto(&mut conn).await?;
    let events = log::read_between(&mut conn, keyring, after, upto, limit).await?;
    let reached = events.last().map_or(after, StoredEvent::cursor);
    Ok((deliveries(&mut conn, &events).await?, reached))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typing(n: u128) -> Delivery {
        Delivery {
            position: 0,
            transaction_id: 0,
            nonce: Some(Uuid::from_u128(n)),
            user: Uuid::from_u128(1),
            frame: ServerFrame::Typing {
                room_id: Uuid::from_u128(2),
                username: "ann".into(),
            },
            recorded_at: None,
        }
    }

    #[test]
    fn frames_travel_in_batches_and_alone_and_arrive_as_sent() {
        let sent: Vec<Delivery> = (0..PER_MESSAGE as u128 + 3).map(typing).collect();
        let messages = encode(&sent).unwrap();
        assert_eq!(messages.len(), 2, "at most {PER_MESSAGE} a message");
        let received: Vec<Delivery> = messages.iter().flat_map(|m| decode(m).unwrap()).collect();
        assert_eq!(received, sent);

        let alone = serde_json::to_string(&sent[0]).unwrap();
        assert_eq!(decode(&alone).unwrap(), vec![sent[0].clone()]);
        assert!(decode("{\"position\": 1}").is_err());
    }
}
