//! Staff reading a private chat: never without a stated reason, which the chat records for both
//! people to see.

use domain::chat::{ChatCommand, ChatId};
use domain::reason::Reason;
use projections::users::UserRow;
use uuid::Uuid;

use super::{ChatFailure, Chats, invalid};

impl Chats {
    /// Records that staff member `staff` reads `chat`, for `reason` or to review `report`.
    pub async fn staff_read(
        &self,
        staff: &UserRow,
        chat: Uuid,
        reason: &str,
        report: Option<Uuid>,
        request_id: &str,
    ) -> Result<(), ChatFailure> {
        let reason = Reason::parse(reason).map_err(|err| invalid("reason", err.to_string()))?;
        let command = ChatCommand::RecordStaffRead {
            by: staff.actor(),
            reason,
            report,
        };
        self.run(ChatId(chat), command, staff, request_id).await?;
        Ok(())
    }
}
