//! Blocking someone, and lifting it.

use domain::chat::{ChatCommand, ChatId};
use domain::user::UserId;
use projections::users::{self, UserRow};

use super::{ChatFailure, Chats};

impl Chats {
    /// `user` blocks `username` (`block`) or lifts their block. Returns the other person.
    pub async fn block(
        &self,
        user: &UserRow,
        username: &str,
        block: bool,
        request_id: &str,
    ) -> Result<UserRow, ChatFailure> {
        // A name that could not be a username names nobody (and may hold what Postgres refuses).
        if domain::user::Username::parse(username).is_err() {
            return Err(ChatFailure::NotFound);
        }
        let whom = users::by_username(self.db(), username)
            .await?
            .ok_or(ChatFailure::NotFound)?;
        let (by, whom_id) = (UserId(user.id), UserId(whom.id));
        let command = if block {
            ChatCommand::Block { by, whom: whom_id }
        } else {
            ChatCommand::Unblock { by, whom: whom_id }
        };
        self.run(ChatId::for_pair(by, whom_id), command, user, request_id)
            .await?;
        Ok(whom)
    }
}
