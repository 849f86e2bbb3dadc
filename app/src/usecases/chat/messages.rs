//! A room's messages: sending (with a reply), editing, deleting, reactions, read receipts, and
//! typing notices.

use domain::Metadata;
use domain::chat::{ChatCommand, ChatId, ClientId, MessageBody, MessageId, Reaction};
use domain::user::UserId;
use projections::chat::messages::{self, MessageJson};
use projections::chat::rooms;
use projections::live::{Delivery, ServerFrame};
use projections::users::UserRow;
use uuid::Uuid;

use super::sending::Sent;
use super::{ChatFailure, Chats, refusal};
use domain::chat::ChatError;

impl Chats {
    /// The room, if `user` is in it.
    pub(super) async fn member_of(&self, user: &UserRow, room: Uuid) -> Result<ChatId, ChatFailure> {
        rooms::peer(self.db(), room, user.id)
            .await?
            .ok_or(ChatFailure::NotFound)?;
        Ok(ChatId(room))
    }

    /// Sends a message. A resend with a `client_id` already used in the room returns the
    /// original message and `false` instead of storing a second one.
    pub async fn send(
        &self,
        user: &UserRow,
        room: Uuid,
        outgoing: Outgoing<'_>,
        request_id: &str,
    ) -> Result<(MessageJson, bool), ChatFailure> {
        self.queue_send(user, room, outgoing, request_id).await?.await
    }

    /// Checks a message and queues it to be stored, after every message queued before it;
    /// the future returned ends with what [`send`](Self::send) returns. So a socket can queue
    /// its person's messages one after another, in order, and wait for them together.
    pub async fn queue_send(
        &self,
        user: &UserRow,
        room: Uuid,
        outgoing: Outgoing<'_>,
        request_id: &str,
    ) -> Result<impl Future<Output = Result<(MessageJson, bool), ChatFailure>> + Send + 'static, ChatFailure>
    {
        let Outgoing {
            client_id,
            body,
            reply_to,
            attachment,
        } = outgoing;
        // The chat itself refuses anyone who is not one of its two people (as not found); one
        // query fewer for every message sent.
        let chat = ChatId(room);
        // A resend is answered with its original: for a plain message, by the batch it joins
        // (which asks for all of its messages in one read); for one with a file, here, before
        // the file is claimed again.
        let before = match attachment {
            Some(_) => messages::by_client_id(self.db(), room, user.id, client_id).await?,
            None => None,
        };
        let queued = match before {
            Some(original) => Err(MessageJson::from(&original)),
            None => {
                let body = match attachment {
                    Some(_) => MessageBody::caption(body),
                    None => MessageBody::parse(body),
                }
                .map_err(refusal)?;
                let reply_to = match reply_to {
                    Some(seq) => Some(u64::try_from(seq).map_err(|_| refusal(ChatError::ReplyNotFound))?),
                    None => None,
                };
                let admitted = self.admit().await?;
                let attachment = match attachment {
                    Some(id) => Some(self.claim(user, room, id).await?),
                    None => None,
                };
                let file = attachment.as_ref().map(|a| a.id);
                let id = Uuid::now_v7();
                let command = ChatCommand::Send {
                    id: MessageId(id),
                    by: UserId(user.id),
                    client_id: ClientId(client_id),
                    body,
                    reply_to,
                    attachment,
                };
                let metadata = Metadata::new(Some(user.id), request_id);
                let outcome =
                    self.sending
                        .queue(chat, UserId(user.id), ClientId(client_id), command, metadata);
                Ok((admitted, outcome, file, id))
            }
        };
        let chats = self.clone();
        let sender = user.id;
        Ok(async move {
            let (admitted, outcome, file, id) = match queued {
                Ok(waiting) => waiting,
                Err(original) => return Ok((original, false)),
            };
            let sent = outcome.await;
            drop(admitted);
            let delivered = match sent {
                Ok(Sent::Delivered(delivered)) => delivered,
                Ok(Sent::Before(original)) => {
                    if let Some(file) = file {
                        chats.unclaim(file).await;
                    }
                    return Ok((MessageJson::from(&*original), false));
                }
                Err(failure) => {
                    if let Some(file) = file {
                        chats.unclaim(file).await;
                    }
                    return Err(failure);
                }
            };
            let message = match own_copy(&delivered, sender, |m| m.client_id == client_id) {
                Some(message) => message,
                // A resend that raced its original in records nothing: the stored message is
                // the original. (Also read when local delivery failed.)
                None => messages::by_client_id(chats.db(), room, sender, client_id)
                    .await?
                    .map(|row| MessageJson::from(&row))
                    .ok_or(ChatFailure::NotFound)?,
            };
            let created = message.id == id;
            Ok((message, created))
        })
    }

    pub async fn edit(
        &self,
        user: &UserRow,
        room: Uuid,
        seq: i64,
        body: &str,
        request_id: &str,
    ) -> Result<MessageJson, ChatFailure> {
        let chat = self.member_of(user, room).await?;
        let body = MessageBody::parse(body).map_err(refusal)?;
        let seq = u64::try_from(seq).map_err(|_| ChatFailure::NotFound)?;
        let delivered = self
            .run(
                chat,
                ChatCommand::Edit {
                    by: UserId(user.id),
                    seq,
                    body,
                },
                user,
                request_id,
            )
            .await?;
        if let Some(message) = own_copy(&delivered, user.id, |m| m.seq == seq as i64) {
            return Ok(message);
        }
        // An edit that changed nothing records nothing: the message stands as it was.
        messages::by_seq(self.db(), room, seq as i64)
            .await?
            .map(|row| MessageJson::from(&row))
            .ok_or(ChatFailure::NotFound)
    }

    pub async fn delete(
        &self,
        user: &UserRow,
        room: Uuid,
        seq: i64,
        request_id: &str,
    ) -> Result<(), ChatFailure> {
        let chat = self.member_of(user, room).await?;
        let file = messages::by_seq(self.db(), room, seq)
            .await?
            .and_then(|message| message.attachment.map(|a| a.id));
        let seq = u64::try_from(seq).map_err(|_| ChatFailure::NotFound)?;
        self.run(
            chat,
            ChatCommand::Delete {
                by: UserId(user.id),
                seq,
            },
            user,
            request_id,
        )
        .await?;
        if let Some(file) = file {
            self.forget(file).await;
        }
        Ok(())
    }

    /// Adds (`on`) or takes off `user`'s `emoji` on message `seq`; returns the message as it
    /// stands after.
    pub async fn react(
        &self,
        user: &UserRow,
        room: Uuid,
        seq: i64,
        emoji: &str,
        on: bool,
        request_id: &str,
    ) -> Result<MessageJson, ChatFailure> {
        let chat = self.member_of(user, room).await?;
        let reaction = Reaction::parse(emoji).map_err(refusal)?;
        let seq = u64::try_from(seq).map_err(|_| ChatFailure::NotFound)?;
        let by = UserId(user.id);
        let command = if on {
            ChatCommand::React { by, seq, reaction }
        } else {
            ChatCommand::Unreact { by, seq, reaction }
        };
        let delivered = self.run(chat, command, user, request_id).await?;
        if let Some(message) = own_copy(&delivered, user.id, |m| m.seq == seq as i64) {
            return Ok(message);
        }
        messages::by_seq(self.db(), room, seq as i64)
            .await?
            .filter(|row| !row.deleted)
            .map(|row| MessageJson::from(&row))
            .ok_or(ChatFailure::NotFound)
    }

    pub async fn mark_read(
        &self,
        user: &UserRow,
        room: Uuid,
        seq: i64,
        request_id: &str,
    ) -> Result<(), ChatFailure> {
        let chat = self.member_of(user, room).await?;
        let seq = u64::try_from(seq).unwrap_or(0);
        self.run(
            chat,
            ChatCommand::MarkRead {
                by: UserId(user.id),
                seq,
            },
            user,
            request_id,
        )
        .await?;
        Ok(())
    }

    /// Tells the other person in `room` that `user` is typing.
    pub async fn typing(&self, user: &UserRow, room: Uuid) -> Result<(), ChatFailure> {
        let peer = rooms::peer(self.db(), room, user.id)
            .await?
            .ok_or(ChatFailure::NotFound)?;
        let frame = ServerFrame::Typing {
            room_id: room,
            username: user.username.clone(),
        };
        self.live.ephemeral(peer, frame).await;
        Ok(())
    }
}

/// A message as its sender wrote it.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// Chosen by the client, one per message: a resend with the same one is stored once.
    pub client_id: Uuid,
    pub body: &'a str,
    /// The seq of the message this one answers.
    pub reply_to: Option<i64>,
    /// A file `upload`ed to the room for this message; the body may then be empty.
    pub attachment: Option<Uuid>,
}

/// The message among `delivered` that `user`'s own sockets received and `matches`: what the
/// command stored, exactly as it was pushed.
fn own_copy(
    delivered: &[Delivery],
    user: Uuid,
    matches: impl Fn(&MessageJson) -> bool,
) -> Option<MessageJson> {
    delivered.iter().find_map(|delivery| match &delivery.frame {
        ServerFrame::Message { message } if delivery.user == user && matches(message) => {
            Some(message.clone())
        }
        _ => None,
    })
}
