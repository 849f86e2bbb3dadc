//! Read model of comments, shown under their post.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::comment::{Comment, CommentEvent};
use domain::post::{Post, PostEvent};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::erasure::deleted_account;
use crate::markdown;
use crate::posts;
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

#[derive(Debug, Clone)]
pub struct CommentRow {
    /// The public, integer id.
    pub id: i64,
    pub comment_id: Uuid,
    pub post_id: Uuid,
    pub body: String,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub author_id: Uuid,
    pub author_username: String,
    pub author_display_name: Option<String>,
    pub author_bio: Option<String>,
    pub author_image: Option<String>,
    pub author_followed: bool,
    /// Why staff hid it: then only its author and staff get it.
    pub hidden_reason: Option<String>,
}

/// `sqlx::query_as!` for [`CommentRow`]s of post `$1`, as viewer `$2` sees them: the columns,
/// then `$rest` of the statement (its further conditions and order). An anonymous viewer follows
/// no one, and a null `$2` says so before any lookup: no follow is looked up per comment.
macro_rules! select_comments {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            CommentRow,
            r#"select c.id, c.comment_id, c.post_id, c.body, c.body_html,
                      c.created_at as "created_at: _", c.updated_at as "updated_at: _",
                      c.author_id, u.username as author_username, u.display_name as author_display_name,
                      u.bio as author_bio, u.image as author_image,
                      ($2::uuid is not null
                       and exists (select 1 from follows w where w.followee_id = c.author_id and w.follower_id = $2))
                      as "author_followed!",
                      c.hidden_reason
                 from comments c join users u on u.id = c.author_id
                where c.post_id = $1 "# + $rest
            $(, $arg)*
        )
    };
}

/// A post's comments, oldest first, `limit` at a time after comment id `after`, without those
/// of people the viewer blocked, nor those staff hid (unless the viewer wrote them, or is staff).
pub async fn for_post(
    db: impl PgExecutor<'_>,
    post: Uuid,
    viewer: Option<Uuid>,
    after: i64,
    limit: i64,
) -> Result<Vec<CommentRow>, sqlx::Error> {
    select_comments!(
        r#"and c.id > $3
           and ($2::uuid is null
                or not exists (select 1 from blocks b where b.blocker_id = $2 and b.blocked_id = c.author_id))
           and (c.hidden_reason is null or c.author_id = $2
                or exists (select 1 from users v where v.id = $2 and v.staff))
         order by c.id limit $4"#,
        post,
        viewer,
        after,
        limit
    )
    .fetch_all(db)
    .await
}

/// One comment of one post; a comment of another post is not found.
pub async fn by_id(
    db: impl PgExecutor<'_>,
    post: Uuid,
    id: i64,
    viewer: Option<Uuid>,
) -> Result<Option<CommentRow>, sqlx::Error> {
    select_comments!("and c.id = $3", post, viewer, id)
        .fetch_optional(db)
        .await
}

pub struct CommentsProjector;

#[async_trait]
impl Projector for CommentsProjector {
    fn name(&self) -> &'static str {
        "comments"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["comments"]
    }

    fn lookup_indexes(&self) -> &'static [&'static str] {
        &["comments_by_post"]
    }

    /// A run of new comments is inserted in one statement.
    async fn apply_all(
        &self,
        conn: &mut PgConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut run = PostedRun::default();
        let concerns_comments = |e: &&&StoredEvent| {
            e.is::<Comment>() || e.is::<Post>() || matches!(deleted_account(e), Ok(Some(_)))
        };
        for event in events.iter().filter(concerns_comments) {
            if event.is::<Comment>()
                && let CommentEvent::CommentPosted {
                    post, author, body, ..
                } = event
                    .decode::<Comment>()
                    .map_err(|e| ProjectionError::decode(event, e))?
            {
                run.push(event, post.0, author.0, body.as_str())?;
                continue;
            }
            // Only a post's deletion touches comments; other post events must not cut the run.
            if event.is::<Post>() && !posts::deletes_a_post(event)? {
                continue;
            }
            run.flush(conn).await?;
            self.apply(conn, event).await?;
        }
        run.flush(conn).await?;
        Ok(())
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        // Their comments stay in the thread, as the erased `CommentPosted` projects them.
        if let Some(author) = deleted_account(event)? {
            sqlx::query!(
                "update comments set body = '', body_html = $2 where author_id = $1",
                author,
                markdown::to_html(""),
            )
            .execute(conn)
            .await?;
            return Ok(());
        }
        let decode_error = |e| ProjectionError::decode(event, e);
        let at = event.recorded_at;
        if event.is::<Comment>() {
            let comment_id = event.aggregate_uuid()?;
            match event.decode::<Comment>().map_err(decode_error)? {
                CommentEvent::CommentPosted {
                    post, author, body, ..
                } => {
                    sqlx::query!(
                        r#"
                        insert into comments (id, comment_id, post_id, author_id, body, body_html, created_at, updated_at)
                        values ($1, $2, $3, $4, $5, $6, $7, $7)
                        "#,
                        event.position,
                        comment_id,
                        post.0,
                        author.0,
                        body.as_str(),
                        markdown::to_html(body.as_str()),
                        at as DateTime<Utc>,
                    )
                    .execute(conn)
                    .await?;
                }
                CommentEvent::CommentEdited { body, .. } => {
                    sqlx::query!(
                        r#"
                        update comments
                           set body = $2, body_html = $3, updated_at = greatest($4, updated_at + interval '1 millisecond')
                         where comment_id = $1
                        "#,
                        comment_id,
                        body.as_str(),
                        markdown::to_html(body.as_str()),
                        at as DateTime<Utc>,
                    )
                    .execute(conn)
                    .await?;
                }
                CommentEvent::CommentDeleted { .. } => {
                    sqlx::query!("delete from comments where comment_id = $1", comment_id)
                        .execute(conn)
                        .await?;
                }
                CommentEvent::CommentHidden { reason, .. } => {
                    sqlx::query!(
                        "update comments set hidden_reason = $2 where comment_id = $1",
                        comment_id,
                        reason.as_str(),
                    )
                    .execute(conn)
                    .await?;
                }
                CommentEvent::CommentUnhidden { .. } => {
                    sqlx::query!(
                        "update comments set hidden_reason = null where comment_id = $1",
                        comment_id
                    )
                    .execute(conn)
                    .await?;
                }
            }
        } else if event.is::<Post>()
            && let PostEvent::PostDeleted { .. } = event.decode::<Post>().map_err(decode_error)?
        {
            let post = event.aggregate_uuid()?;
            sqlx::query!("delete from comments where post_id = $1", post)
                .execute(conn)
                .await?;
        }
        Ok(())
    }
}

/// Consecutive `CommentPosted` events, inserted together.
#[derive(Default)]
struct PostedRun {
    ids: Vec<i64>,
    comment_ids: Vec<Uuid>,
    posts: Vec<Uuid>,
    authors: Vec<Uuid>,
    bodies: Vec<String>,
    html: Vec<String>,
    times: Vec<DateTime<Utc>>,
}

impl PostedRun {
    fn push(
        &mut self,
        event: &StoredEvent,
        post: Uuid,
        author: Uuid,
        body: &str,
    ) -> Result<(), ProjectionError> {
        self.comment_ids.push(event.aggregate_uuid()?);
        self.ids.push(event.position);
        self.posts.push(post);
        self.authors.push(author);
        self.bodies.push(body.to_owned());
        self.html.push(markdown::to_html(body));
        self.times.push(event.recorded_at);
        Ok(())
    }

    async fn flush(&mut self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.ids.is_empty() {
            return Ok(());
        }
        sqlx::query!(
            r#"
            insert into comments (id, comment_id, post_id, author_id, body, body_html, created_at, updated_at)
            select id, comment_id, post_id, author_id, body, body_html, at, at
              from unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[])
                   as c(id, comment_id, post_id, author_id, body, body_html, at)
            "#,
            &self.ids,
            &self.comment_ids,
            &self.posts,
            &self.authors,
            &self.bodies,
            &self.html,
            &self.times as &[DateTime<Utc>],
        )
        .execute(conn)
        .await?;
        *self = Self::default();
        Ok(())
    }
}
