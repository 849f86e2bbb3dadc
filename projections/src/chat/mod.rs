//! Chat read models: requests, rooms with their members and messages, blocks, and staff's
//! readings; and searching one's own messages.

pub mod blocks;
pub mod messages;
pub mod requests;
pub mod rooms;
pub mod search;
pub mod staff_reads;

pub use blocks::BlocksProjector;
pub use requests::RequestsProjector;
pub use rooms::ChatProjector;
pub use staff_reads::StaffReadsProjector;

use sqlx::PgPool;
use uuid::Uuid;

/// Whether `user` is one of the two people of `chat`: a member of its room, or either side of
/// one of its requests (a chat whose requests were all declined has no room, but is theirs).
pub async fn involves(db: &PgPool, chat: Uuid, user: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        select exists (select 1 from chat_members where room_id = $1 and user_id = $2)
            or exists (select 1 from chat_requests where chat_id = $1 and (from_id = $2 or to_id = $2))
            as "involves!"
        "#,
        chat,
        user,
    )
    .fetch_one(db)
    .await
}
