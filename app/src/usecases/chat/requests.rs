//! Asking someone for a chat, and answering a request.

use domain::chat::{ChatCommand, ChatId, Note, RequestId};
use domain::user::UserId;
use projections::chat::requests::{self, RequestRow};
use projections::users::{self, UserRow};
use uuid::Uuid;

use super::{ChatFailure, Chats, refusal};
use crate::services::limits::REQUESTS_PER_USER;

/// How a request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Approve,
    Decline,
    Cancel,
}

impl Chats {
    /// `from` asks `to_username` for a chat.
    pub async fn request(
        &self,
        from: &UserRow,
        to_username: &str,
        note: &str,
        request_id: &str,
    ) -> Result<RequestRow, ChatFailure> {
        // An address nobody confirmed could be anyone's: such an account may read and write,
        // but not reach into other people's inboxes.
        if !from.email_confirmed {
            return Err(super::invalid(
                "email",
                "Confirm your email address (see the link we mailed you) before asking anyone to chat",
            ));
        }
        let to = users::by_username(self.db(), to_username)
            .await?
            .ok_or(ChatFailure::NotFound)?;
        let note = Note::parse(note).map_err(refusal)?;
        // Counted before the chat decides, so that a burst of requests can't outrun it; one the
        // chat refuses is given back, as it reached nobody.
        let reservation = self
            .limits
            .reserve(&[(REQUESTS_PER_USER, &from.id.to_string())])
            .await
            .map_err(|wait| ChatFailure::Throttled {
                message: format!(
                    "You have sent as many chat requests as you can today; try again in {}",
                    wait.in_words()
                ),
                wait,
            })?;
        let id = RequestId(Uuid::now_v7());
        let chat = ChatId::for_pair(UserId(from.id), UserId(to.id));
        let command = ChatCommand::Request {
            request: id,
            from: UserId(from.id),
            to: UserId(to.id),
            note,
            now: chrono::Utc::now(),
        };
        if let Err(err) = self.run(chat, command, from, request_id).await {
            self.limits.refund(reservation).await;
            return Err(err);
        }
        requests::by_id(self.db(), id.0)
            .await?
            .ok_or(ChatFailure::NotFound)
    }

    /// Approves, declines or cancels a request. Only the two people concerned may see it.
    pub async fn answer(
        &self,
        user: &UserRow,
        request: Uuid,
        answer: Answer,
        request_id: &str,
    ) -> Result<RequestRow, ChatFailure> {
        let row = requests::by_id(self.db(), request)
            .await?
            .ok_or(ChatFailure::NotFound)?;
        if row.from_id != user.id && row.to_id != user.id {
            return Err(ChatFailure::NotFound);
        }
        let (id, by) = (RequestId(request), UserId(user.id));
        let command = match answer {
            Answer::Approve => ChatCommand::Approve { request: id, by },
            Answer::Decline => ChatCommand::Decline {
                request: id,
                by,
                now: chrono::Utc::now(),
            },
            Answer::Cancel => ChatCommand::Cancel { request: id, by },
        };
        self.run(ChatId(row.chat_id), command, user, request_id).await?;
        requests::by_id(self.db(), request)
            .await?
            .ok_or(ChatFailure::NotFound)
    }
}
