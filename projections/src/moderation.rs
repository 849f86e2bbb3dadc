//! Read model of the moderation log: every staff action with its target, reason and time,
//! public (the staff member's name is for staff only; the page decides).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::comment::{Comment, CommentEvent};
use domain::post::{Post, PostEvent};
use domain::report::{Report, ReportEvent};
use domain::user::{User, UserEvent};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

#[derive(Debug, Clone)]
pub struct LogRow {
    pub position: i64,
    pub staff_username: String,
    pub action: String,
    pub target_kind: String,
    /// The target as it is named now (a username, a post's title, a comment's post's title), if
    /// it still exists.
    pub target_name: Option<String>,
    /// Where the target is: a profile's username or a (comment's) post's slug.
    pub target_slug: Option<String>,
    pub reason: String,
    pub until: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
}

/// A page of the log, newest first, before `before` (a position).
pub async fn page(
    db: impl PgExecutor<'_>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<LogRow>, sqlx::Error> {
    sqlx::query_as!(
        LogRow,
        r#"
        select l.position, coalesce(s.username, '') as "staff_username!", l.action, l.target_kind,
               case l.target_kind when 'user' then u.username else p.title end as target_name,
               case l.target_kind when 'user' then u.username else p.slug end as target_slug,
               l.reason, l.until as "until: _", l.at as "at: _"
          from moderation_log l
          left join users s on s.id = l.staff_id
          left join users u on l.target_kind = 'user' and u.id = l.target_id
          left join comments c on l.target_kind = 'comment' and c.comment_id = l.target_id
          left join posts p on (l.target_kind = 'post' and p.id = l.target_id) or p.id = c.post_id
         where $1::bigint is null or l.position < $1
         order by l.position desc
         limit $2
        "#,
        before,
        limit,
    )
    .fetch_all(db)
    .await
}

/// One action to log.
struct Entry {
    staff: Uuid,
    action: &'static str,
    target_kind: &'static str,
    target: Uuid,
    reason: String,
    until: Option<DateTime<Utc>>,
}

async fn record(conn: &mut PgConnection, event: &StoredEvent, entry: Entry) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        insert into moderation_log (position, staff_id, action, target_kind, target_id, reason, until, at)
        values ($1, $2, $3, $4, $5, $6, $7, $8)
        on conflict do nothing
        "#,
        event.position,
        entry.staff,
        entry.action,
        entry.target_kind,
        entry.target,
        entry.reason,
        entry.until as Option<DateTime<Utc>>,
        event.recorded_at as DateTime<Utc>,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What a user event logs, if it is a moderation action.
fn user_entry(event: &UserEvent) -> Option<(uuid::Uuid, &'static str, &str, Option<DateTime<Utc>>)> {
    match event {
        UserEvent::AccountSuspended {
            by, reason, until, ..
        } => Some((by.0, "suspended", reason.as_str(), *until)),
        UserEvent::SuspensionLifted { by, reason } => {
            Some((by.0, "suspension lifted", reason.as_str(), None))
        }
        UserEvent::StaffGranted { by, reason } => Some((by.0, "made staff", reason.as_str(), None)),
        UserEvent::StaffRevoked { by, reason } => Some((by.0, "staff role removed", reason.as_str(), None)),
        _ => None,
    }
}

pub struct ModerationLogProjector;

#[async_trait]
impl Projector for ModerationLogProjector {
    fn name(&self) -> &'static str {
        "moderation_log"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["moderation_log"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        let decode_error = |e| ProjectionError::decode(event, e);
        let entry = |staff: domain::user::UserId, action, target_kind, reason: &domain::reason::Reason| {
            Ok::<_, ProjectionError>(Entry {
                staff: staff.0,
                action,
                target_kind,
                target: event.aggregate_uuid()?,
                reason: reason.as_str().to_owned(),
                until: None,
            })
        };
        let logged = match event.event_type.as_str() {
            "PostHidden" | "PostUnhidden" if event.is::<Post>() => {
                match event.decode::<Post>().map_err(decode_error)? {
                    PostEvent::PostHidden { by, reason } => Some(entry(by, "post hidden", "post", &reason)?),
                    PostEvent::PostUnhidden { by, reason } => {
                        Some(entry(by, "post shown again", "post", &reason)?)
                    }
                    _ => None,
                }
            }
            "CommentHidden" | "CommentUnhidden" if event.is::<Comment>() => {
                match event.decode::<Comment>().map_err(decode_error)? {
                    CommentEvent::CommentHidden { by, reason, .. } => {
                        Some(entry(by, "comment hidden", "comment", &reason)?)
                    }
                    CommentEvent::CommentUnhidden { by, reason, .. } => {
                        Some(entry(by, "comment shown again", "comment", &reason)?)
                    }
                    _ => None,
                }
            }
            "ReportDismissed" if event.is::<Report>() => {
                match event.decode::<Report>().map_err(decode_error)? {
                    ReportEvent::ReportDismissed { by, reason } => {
                        Some(entry(by, "report dismissed", "report", &reason)?)
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(entry) = logged {
            record(conn, event, entry).await?;
            return Ok(());
        }
        if event.is::<User>()
            && matches!(
                event.event_type.as_str(),
                "AccountSuspended" | "SuspensionLifted" | "StaffGranted" | "StaffRevoked"
            )
        {
            let decoded = event
                .decode::<User>()
                .map_err(|e| ProjectionError::decode(event, e))?;
            if let Some((staff, action, reason, until)) = user_entry(&decoded) {
                let entry = Entry {
                    staff,
                    action,
                    target_kind: "user",
                    target: event.aggregate_uuid()?,
                    reason: reason.to_owned(),
                    until,
                };
                record(conn, event, entry).await?;
            }
        }
        Ok(())
    }
}
