//! Read model of reports: the staff queue, each report with what it points at.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::report::{Report, ReportEvent, Target};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::erasure::deleted_account;
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

/// A report with what staff need to judge it: who reported, and the target as it is now.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub id: Uuid,
    pub reporter: String,
    pub target_kind: String,
    pub category: String,
    pub note: Option<String>,
    pub status: String,
    pub filed_at: DateTime<Utc>,
    pub close_reason: Option<String>,
    /// The post (of a post or a comment), while it exists.
    pub post_slug: Option<String>,
    pub post_title: Option<String>,
    pub post_hidden: Option<String>,
    /// The comment, while it exists.
    pub comment_number: Option<i64>,
    pub comment_body: Option<String>,
    pub comment_hidden: Option<String>,
    /// Whose the reported thing is (the profile itself, or the author or sender).
    pub author: Option<String>,
    pub chat_id: Option<Uuid>,
    pub seq: Option<i64>,
}

/// `sqlx::query_as!` for [`ReportRow`]s, then `$rest` (conditions and order).
macro_rules! select_reports {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            ReportRow,
            r#"select r.id, coalesce(rp.username, '') as "reporter!", r.target_kind, r.category, r.note, r.status,
                      r.filed_at as "filed_at: _", r.close_reason,
                      p.slug as "post_slug?", p.title as "post_title?", p.hidden_reason as post_hidden,
                      c.id as "comment_number?", c.body as "comment_body?", c.hidden_reason as comment_hidden,
                      coalesce(pu.username, au.username) as author,
                      r.chat_id, r.seq
                 from reports r
                 left join users rp on rp.id = r.reporter_id
                 left join posts p on p.id = r.post_id
                 left join comments c on c.comment_id = r.comment_id
                 left join users pu on pu.id = r.user_id
                 left join users au on au.id = coalesce(c.author_id, p.author_id)
                "# + $rest
            $(, $arg)*
        )
    };
}

/// Open reports, oldest first: the queue.
pub async fn open(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<ReportRow>, sqlx::Error> {
    select_reports!("where r.status = 'open' order by r.filed_at limit $1", limit)
        .fetch_all(db)
        .await
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<ReportRow>, sqlx::Error> {
    select_reports!("where r.id = $1", id).fetch_optional(db).await
}

/// The open reports about a post or a comment of it (closed together when staff hide it).
pub async fn open_about(
    db: impl PgExecutor<'_>,
    post: Option<Uuid>,
    comment: Option<Uuid>,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"
        select id from reports
         where status = 'open'
           and (($1::uuid is not null and post_id = $1 and comment_id is null)
                or ($2::uuid is not null and comment_id = $2))
        "#,
        post,
        comment,
    )
    .fetch_all(db)
    .await
}

pub struct ReportsProjector;

#[async_trait]
impl Projector for ReportsProjector {
    fn name(&self) -> &'static str {
        "reports"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["reports"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        // The notes they wrote, as the erased `ReportFiled` has none.
        if let Some(person) = deleted_account(event)? {
            sqlx::query!("update reports set note = null where reporter_id = $1", person)
                .execute(conn)
                .await?;
            return Ok(());
        }
        if !event.is::<Report>() {
            return Ok(());
        }
        let id = event.aggregate_uuid()?;
        let at = event.recorded_at;
        let (status, by, reason) = match event
            .decode::<Report>()
            .map_err(|e| ProjectionError::decode(event, e))?
        {
            ReportEvent::ReportFiled {
                reporter,
                target,
                category,
                note,
                ..
            } => {
                let (kind, post, comment, user, chat, seq) = match target {
                    Target::Post { post } => ("post", Some(post), None, None, None, None),
                    Target::Comment { post, comment } => {
                        ("comment", Some(post), Some(comment), None, None, None)
                    }
                    Target::Profile { user } => ("profile", None, None, Some(user), None, None),
                    Target::Message { chat, seq } => {
                        ("message", None, None, None, Some(chat), i64::try_from(seq).ok())
                    }
                };
                // Filed again after it was closed: open afresh.
                sqlx::query!(
                    r#"
                    insert into reports (id, reporter_id, target_kind, post_id, comment_id, user_id, chat_id, seq,
                                         category, note, status, filed_at)
                    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11)
                    on conflict (id) do update
                       set category = excluded.category, note = excluded.note, status = 'open',
                           filed_at = excluded.filed_at, closed_at = null, closed_by = null, close_reason = null
                    "#,
                    id,
                    reporter.0,
                    kind,
                    post,
                    comment,
                    user,
                    chat,
                    seq,
                    category.as_str(),
                    note.as_ref().map(|n| n.as_str()),
                    at as DateTime<Utc>,
                )
                .execute(conn)
                .await?;
                return Ok(());
            }
            ReportEvent::ReportDismissed { by, reason } => ("dismissed", by, reason),
            ReportEvent::ReportResolved { by, reason } => ("resolved", by, reason),
        };
        sqlx::query!(
            r#"
            update reports set status = $2, closed_at = $3, closed_by = $4, close_reason = $5 where id = $1
            "#,
            id,
            status,
            at as DateTime<Utc>,
            by.0,
            reason.as_str(),
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
