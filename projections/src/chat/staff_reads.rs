//! Read model of staff reading private chats: what both people are shown ("staff read this
//! conversation on …, because …"), and whether a staff member's stated reason still lets them
//! read a chat.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::chat::{Chat, ChatEvent};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

#[derive(Debug, Clone)]
pub struct StaffReadRow {
    pub reason: String,
    pub report_id: Option<Uuid>,
    pub read_at: DateTime<Utc>,
}

/// The readings of `chat` by staff, newest first.
pub async fn for_chat(db: impl PgExecutor<'_>, chat: Uuid) -> Result<Vec<StaffReadRow>, sqlx::Error> {
    sqlx::query_as!(
        StaffReadRow,
        r#"
        select reason, report_id, read_at as "read_at: _"
          from staff_reads where chat_id = $1
         order by position desc
         limit 50
        "#,
        chat,
    )
    .fetch_all(db)
    .await
}

/// A reading of one of a person's chats: with whom, when and why.
#[derive(Debug, Clone)]
pub struct PersonReadRow {
    pub chat_id: Uuid,
    pub peer: Option<String>,
    pub reason: String,
    pub read_at: DateTime<Utc>,
}

/// The latest readings by staff of any chat `person` is in, whether or not a room opened (a
/// declined request is theirs too), newest first.
pub async fn for_person(
    db: impl PgExecutor<'_>,
    person: Uuid,
    limit: i64,
) -> Result<Vec<PersonReadRow>, sqlx::Error> {
    sqlx::query_as!(
        PersonReadRow,
        r#"
        with mine as (
            select room_id as chat_id, peer_id from chat_members where user_id = $1
            union
            select chat_id, case when from_id = $1 then to_id else from_id end
              from chat_requests where from_id = $1 or to_id = $1
        )
        select s.chat_id, u.username as "peer?", s.reason, s.read_at as "read_at: _"
          from staff_reads s
          join (select distinct on (chat_id) chat_id, peer_id from mine) m on m.chat_id = s.chat_id
          left join users u on u.id = m.peer_id
         order by s.position desc
         limit $2
        "#,
        person,
        limit,
    )
    .fetch_all(db)
    .await
}

/// Whether `staff` stated a reason to read `chat` since `since`.
pub async fn granted(
    db: impl PgExecutor<'_>,
    chat: Uuid,
    staff: Uuid,
    since: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from staff_reads where staff_id = $2 and chat_id = $1 and read_at >= $3) as "granted!""#,
        chat,
        staff,
        since as DateTime<Utc>,
    )
    .fetch_one(db)
    .await
}

/// Whether `staff` already read `chat` for `report`.
pub async fn read_for_report(
    db: impl PgExecutor<'_>,
    chat: Uuid,
    staff: Uuid,
    report: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from staff_reads where staff_id = $2 and chat_id = $1 and report_id = $3) as "read!""#,
        chat,
        staff,
        report,
    )
    .fetch_one(db)
    .await
}

pub struct StaffReadsProjector;

#[async_trait]
impl Projector for StaffReadsProjector {
    fn name(&self) -> &'static str {
        "staff_reads"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["staff_reads"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        if !event.is::<Chat>() || event.event_type != "StaffRead" {
            return Ok(());
        }
        if let ChatEvent::StaffRead { by, reason, report } = event
            .decode::<Chat>()
            .map_err(|e| ProjectionError::decode(event, e))?
        {
            sqlx::query!(
                r#"
                insert into staff_reads (chat_id, position, staff_id, reason, report_id, read_at)
                values ($1, $2, $3, $4, $5, $6)
                on conflict do nothing
                "#,
                event.aggregate_uuid()?,
                event.position,
                by.0,
                reason.as_str(),
                report,
                event.recorded_at as DateTime<Utc>,
            )
            .execute(conn)
            .await?;
        }
        Ok(())
    }
}
