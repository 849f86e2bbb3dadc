//! The projector of the posts read model: posts, their tags and counters, and the totals.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::comment::{Comment, CommentEvent};
use domain::post::{Post, PostContent, PostEvent};
use domain::relation::{Favorite, FavoriteEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use super::pending::{Counts, Published};
use crate::markdown;
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

/// Whether `event`, a post's event, deletes the post: the only post event that touches the
/// rows of the read models hanging off a post (comments, favorites).
pub(crate) fn deletes_a_post(event: &StoredEvent) -> Result<bool, ProjectionError> {
    let decoded = event
        .decode::<Post>()
        .map_err(|e| ProjectionError::decode(event, e))?;
    Ok(matches!(decoded, PostEvent::PostDeleted { .. }))
}

pub struct PostsProjector;

#[async_trait]
impl Projector for PostsProjector {
    fn name(&self) -> &'static str {
        "posts"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["posts", "post_counts", "post_tags", "post_totals", "tag_counts"]
    }

    fn lookup_indexes(&self) -> &'static [&'static str] {
        &["post_tags_post"]
    }

    /// Comments and favorites only move counters: all of them become one update at the end,
    /// and new posts are inserted together. Each post event changes only its own post's rows
    /// (and adds to or takes from shared totals), so it can go ahead of the waiting inserts and
    /// counters unless they concern the same post: then they are written first, as in order.
    async fn apply_all(
        &self,
        conn: &mut PgConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut counts = Counts::default();
        let mut published = Published::default();
        for event in events {
            let decode_error = |e| ProjectionError::decode(event, e);
            if event.is::<Comment>() {
                match event.decode::<Comment>().map_err(decode_error)? {
                    CommentEvent::CommentPosted { post, .. } => counts.add(post.0, 1, 0),
                    CommentEvent::CommentDeleted { post, .. } => counts.add(post.0, -1, 0),
                    // A hidden comment still counts: it is there, for its author, and a count
                    // that moved on hiding would have to know, on deletion, whether it was.
                    CommentEvent::CommentEdited { .. }
                    | CommentEvent::CommentHidden { .. }
                    | CommentEvent::CommentUnhidden { .. } => {}
                }
            } else if event.is::<Favorite>() {
                match event.decode::<Favorite>().map_err(decode_error)? {
                    FavoriteEvent::PostFavorited { post, .. } => counts.add(post.0, 0, 1),
                    FavoriteEvent::PostUnfavorited { post, .. } => counts.add(post.0, 0, -1),
                }
            } else if let Some(author) = crate::erasure::deleted_account(event)? {
                published.flush(conn).await?;
                counts.flush(conn).await?;
                erase_author(conn, author).await?;
            } else if event.is::<Post>() {
                let id = event.aggregate_uuid()?;
                let counted = counts.touches(id);
                if counted || published.has(id) {
                    // Counters land on inserted posts only.
                    published.flush(conn).await?;
                    if counted {
                        counts.flush(conn).await?;
                    }
                }
                match event.decode::<Post>().map_err(decode_error)? {
                    PostEvent::PostPublished {
                        author,
                        slug,
                        content,
                        ..
                    } => published.push(id, author.0, slug.as_str(), &content, event.recorded_at),
                    PostEvent::PostEdited { content } => {
                        update(conn, id, &content, event.recorded_at).await?
                    }
                    PostEvent::PostDeleted { .. } => delete(conn, id).await?,
                    PostEvent::PostHidden { reason, .. } => hide(conn, id, Some(reason.as_str())).await?,
                    PostEvent::PostUnhidden { .. } => hide(conn, id, None).await?,
                    // Drafts are the drafts read model's; a post appears when it is published.
                    PostEvent::DraftSaved { .. }
                    | PostEvent::DraftDiscarded { .. }
                    | PostEvent::PublishScheduled { .. }
                    | PostEvent::ScheduleCancelled { .. }
                    | PostEvent::PreviewShared { .. }
                    | PostEvent::PreviewRevoked { .. } => {}
                }
            }
        }
        published.flush(conn).await?;
        counts.flush(conn).await?;
        Ok(())
    }

    /// One event is a run of one: the same statements as a batch.
    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        self.apply_all(conn, &[event]).await
    }
}

async fn delete(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    remove_tags(conn, id).await?;
    sqlx::query!(
        r#"
        with gone as (delete from posts where id = $1 returning hidden_reason),
             counts as (delete from post_counts where post_id = $1)
        update post_totals set posts = posts - (select count(*) from gone where hidden_reason is null)
        "#,
        id,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Hides a post (with the reason) or shows it again; the total counts the posts lists show.
async fn hide(conn: &mut PgConnection, id: Uuid, reason: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        with changed as (
            update posts set hidden_reason = $2
             where id = $1 and (hidden_reason is null) <> ($2::text is null)
            returning id
        )
        update post_totals set posts = posts + (select count(*) from changed) * (case when $2::text is null then 1 else -1 end)
        "#,
        id,
        reason,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// `updated_at` moves strictly forward even when two edits land in the same millisecond,
/// because clients compare it to tell versions apart.
///
/// One statement: every part reads the tags as they were before it, so tags the post keeps are
/// left alone, and only the ones it leaves or joins move their counts (no row changes twice).
async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    content: &PostContent,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        with post as (
            update posts
               set title = $2, description = $3, body = $4, body_html = $5, tags = $6, cover = $7,
                   updated_at = greatest($8, updated_at + interval '1 millisecond'),
                   search = setweight(to_tsvector('english', $2), 'A')
                            || setweight(to_tsvector('english', $3), 'B')
                            || setweight(to_tsvector('english', $4), 'C')
             where id = $1
            returning created_at
        ), old as (
            select tag from post_tags where post_id = $1
        ), removed as (
            delete from post_tags t
             where t.post_id = $1 and not (t.tag = any($6::text[])) and exists (select 1 from post)
            returning tag
        ), left_behind as (
            update tag_counts c set posts = c.posts - 1 from removed where c.tag = removed.tag
        ), added as (
            insert into post_tags (tag, post_id, created_at)
            select n.tag, $1, post.created_at
              from unnest($6::text[]) as n(tag), post
             where n.tag not in (select tag from old)
            returning tag
        )
        insert into tag_counts (tag, posts) select tag, 1 from added
        on conflict (tag) do update set posts = tag_counts.posts + 1
        "#,
        id,
        content.title.as_str(),
        content.description.as_str(),
        content.body.as_str(),
        markdown::to_html(content.body.as_str()),
        &content.tags.as_strs() as &[&str],
        content.cover.as_ref().map(|c| c.as_str()),
        at as DateTime<Utc>,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An author deleted their account: each of their posts becomes what the erased forms of its
/// events project to (the content of [`PostContent::erased`] under the slug of
/// `Slug::erased`), its times and counters kept. Tags only they used leave the counts.
async fn erase_author(conn: &mut PgConnection, author: Uuid) -> Result<(), sqlx::Error> {
    let content = PostContent::erased();
    sqlx::query!(
        r#"
        with mine as (
            update posts
               set slug = $2 || replace(id::text, '-', ''), title = $3, description = $4, body = $5,
                   body_html = $6, tags = $7, cover = $8,
                   search = setweight(to_tsvector('english', $3), 'A')
                            || setweight(to_tsvector('english', $4), 'B')
                            || setweight(to_tsvector('english', $5), 'C')
             where author_id = $1
            returning id
        ), removed as (
            delete from post_tags t using mine where t.post_id = mine.id returning t.tag
        ), uses as (
            select tag, count(*) as n from removed group by tag
        )
        update tag_counts c set posts = c.posts - uses.n from uses where c.tag = uses.tag
        "#,
        author,
        domain::personal::ERASED_SLUG_PREFIX,
        content.title.as_str(),
        content.description.as_str(),
        content.body.as_str(),
        markdown::to_html(content.body.as_str()),
        &content.tags.as_strs() as &[&str],
        content.cover.as_ref().map(|c| c.as_str()),
    )
    .execute(&mut *conn)
    .await?;
    // A tag nobody uses any more would keep their words in the counts.
    sqlx::query!("delete from tag_counts where posts <= 0")
        .execute(conn)
        .await?;
    Ok(())
}

async fn remove_tags(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"
        with removed as (delete from post_tags where post_id = $1 returning tag)
        update tag_counts c set posts = c.posts - 1 from removed where c.tag = removed.tag
        "#,
        id,
    )
    .execute(conn)
    .await?;
    Ok(())
}
