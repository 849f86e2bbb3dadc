//! The projector of rooms, their members and their messages.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::chat::{Chat, ChatEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use super::sent_run::SentRun;
use crate::erasure::deleted_account;
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

pub struct ChatProjector;

#[async_trait]
impl Projector for ChatProjector {
    fn name(&self) -> &'static str {
        "chat"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["chat_rooms", "chat_members", "messages", "message_reactions"]
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
        for event in events.iter() {
            if let Some(sender) = deleted_account(event)? {
                run.flush(conn).await?;
                erase_sender(conn, sender).await?;
                continue;
            }
            if !event.is::<Chat>() {
                continue;
            }
            let decoded = event
                .decode::<Chat>()
                .map_err(|e| ProjectionError::decode(event, e))?;
            if let ChatEvent::MessageSent {
                id,
                seq,
                sender,
                client_id,
                body,
                reply_to,
                attachment,
            } = decoded
            {
                run.push(
                    event,
                    super::sent_run::Sent {
                        id: id.0,
                        seq,
                        sender: sender.0,
                        client_id: client_id.0,
                        body: body.as_str().to_owned(),
                        reply_to,
                        attachment,
                    },
                )?;
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
        if let Some(sender) = deleted_account(event)? {
            return Ok(erase_sender(conn, sender).await?);
        }
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
                reply_to,
                attachment,
            } => {
                // One message is a run of one.
                let mut run = super::sent_run::SentRun::default();
                run.push(
                    event,
                    super::sent_run::Sent {
                        id: id.0,
                        seq,
                        sender: sender.0,
                        client_id: client_id.0,
                        body: body.as_str().to_owned(),
                        reply_to,
                        attachment,
                    },
                )?;
                run.flush(conn).await?;
            }
            ChatEvent::MessageEdited { seq, body, .. } => {
                sqlx::query!(
                    "update messages set body = $3, edited_at = greatest($4, edited_at + interval '1 millisecond'), \
                            version = version + 1 \
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
                // The file goes with the words (the app removes it from storage); so do reactions.
                sqlx::query!(
                    "with gone as (delete from message_reactions where room_id = $1 and seq = $2) \
                     update messages set body = '', attachment = null, deleted = true, version = version + 1 \
                      where room_id = $1 and seq = $2",
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
            ChatEvent::ReactionAdded { seq, by, reaction } => {
                sqlx::query!(
                    "with added as (insert into message_reactions (room_id, seq, user_id, emoji, reacted_at) \
                                    values ($1, $2, $3, $4, $5) on conflict do nothing returning 1) \
                     update messages set version = version + 1 \
                      where room_id = $1 and seq = $2 and exists (select 1 from added)",
                    room,
                    seq as i64,
                    by.0,
                    reaction.emoji(),
                    at as DateTime<Utc>,
                )
                .execute(conn)
                .await?;
            }
            ChatEvent::ReactionRemoved { seq, by, reaction } => {
                sqlx::query!(
                    "with removed as (delete from message_reactions \
                                       where room_id = $1 and seq = $2 and user_id = $3 and emoji = $4 returning 1) \
                     update messages set version = version + 1 \
                      where room_id = $1 and seq = $2 and exists (select 1 from removed)",
                    room,
                    seq as i64,
                    by.0,
                    reaction.emoji(),
                )
                .execute(conn)
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Someone deleted their account: their messages keep their place in each room (its sequence,
/// the other person's replies) without their words, as the erased `MessageSent` projects.
async fn erase_sender(conn: &mut PgConnection, sender: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update messages set body = '', attachment = null where sender_id = $1",
        sender
    )
    .execute(conn)
    .await?;
    Ok(())
}
