//! A post's past, from the log alone: each version of it, and its favorites at any point.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// The post a slug names, even once deleted (its slug stays claimed, as a digest).
pub async fn post_by_slug(
    db: &PgPool,
    keyring: &eventstore::seal::Keyring,
    slug: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let id = sqlx::query_scalar!(
        "select aggregate_id from unique_claims where kind = 'slug' and value = $1",
        keyring.claim_digest(domain::ClaimKind::Slug.as_str(), slug),
    )
    .fetch_optional(db)
    .await?;
    Ok(id.and_then(|id| id.parse().ok()))
}

/// A post as it stood after one of its own events, rebuilt from the log alone.
#[derive(Debug, Clone)]
pub struct PostVersion {
    /// The post's event this version follows (1 = as published).
    pub sequence: i64,
    /// That event's place in the log.
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
    pub published_at: DateTime<Utc>,
    pub author: Uuid,
    pub slug: String,
    pub content: domain::post::PostContent,
    pub deleted: bool,
}

/// Every version of a post, oldest first.
pub async fn post_versions(
    db: &PgPool,
    keyring: &eventstore::seal::Keyring,
    post: Uuid,
) -> Result<Vec<PostVersion>, eventstore::runtime::ProjectionError> {
    let mut versions: Vec<PostVersion> = Vec::new();
    walk(db, keyring, post, |step| {
        if let Step::Version(version) = step {
            versions.push(version.clone());
        }
    })
    .await?;
    Ok(versions)
}

/// The versions of a post that readers saw: each published version made while the post was
/// shown, and the one it showed again when staff stopped hiding it; oldest first. A version
/// made and replaced while the post was hidden was never public and is not among them, nor is
/// anything from before publication (drafts, previews).
pub async fn public_versions(
    db: &PgPool,
    keyring: &eventstore::seal::Keyring,
    post: Uuid,
) -> Result<Vec<PostVersion>, eventstore::runtime::ProjectionError> {
    let mut public: Vec<PostVersion> = Vec::new();
    let mut hidden = false;
    let mut current: Option<PostVersion> = None;
    walk(db, keyring, post, |step| match step {
        Step::Version(version) if version.deleted => current = None,
        Step::Version(version) => {
            if !hidden {
                public.push(version.clone());
            }
            current = Some(version.clone());
        }
        Step::Hidden => hidden = true,
        Step::Shown => {
            hidden = false;
            let unseen = current
                .as_ref()
                .filter(|v| public.last().is_none_or(|last| last.sequence < v.sequence));
            if let Some(version) = unseen {
                public.push(version.clone());
            }
        }
    })
    .await?;
    Ok(public)
}

/// What one of a post's events did to what readers see.
enum Step<'a> {
    /// A new version: published, edited or deleted.
    Version(&'a PostVersion),
    /// Staff hid the post, or showed it again.
    Hidden,
    Shown,
}

/// Replays a post's events, oldest first, as [`Step`]s.
async fn walk(
    db: &PgPool,
    keyring: &eventstore::seal::Keyring,
    post: Uuid,
    mut step: impl FnMut(Step<'_>),
) -> Result<(), eventstore::runtime::ProjectionError> {
    use domain::post::{Post, PostEvent};
    let mut conn = db.acquire().await?;
    let events = eventstore::log::appended(&mut conn, keyring, "Post", &post.to_string(), 0).await?;
    let mut previous: Option<PostVersion> = None;
    for event in &events {
        let decoded = event
            .decode::<Post>()
            .map_err(|e| eventstore::runtime::ProjectionError::decode(event, e))?;
        let version = match (decoded, &previous) {
            (
                PostEvent::PostPublished {
                    author,
                    slug,
                    content,
                    ..
                },
                _,
            ) => PostVersion {
                sequence: event.sequence,
                position: event.position,
                recorded_at: event.recorded_at,
                published_at: event.recorded_at,
                author: author.0,
                slug: slug.as_str().to_owned(),
                content,
                deleted: false,
            },
            (PostEvent::PostEdited { content }, Some(previous)) => PostVersion {
                sequence: event.sequence,
                position: event.position,
                recorded_at: event.recorded_at,
                content,
                ..previous.clone()
            },
            (PostEvent::PostDeleted { .. }, Some(previous)) => PostVersion {
                sequence: event.sequence,
                position: event.position,
                recorded_at: event.recorded_at,
                deleted: true,
                ..previous.clone()
            },
            // Hiding changes who sees the post, not what it says: no new version.
            (PostEvent::PostHidden { .. }, _) => {
                step(Step::Hidden);
                continue;
            }
            (PostEvent::PostUnhidden { .. }, _) => {
                step(Step::Shown);
                continue;
            }
            // Its draft was not the post yet: versions start at publication.
            (
                PostEvent::DraftSaved { .. }
                | PostEvent::DraftDiscarded { .. }
                | PostEvent::PublishScheduled { .. }
                | PostEvent::ScheduleCancelled { .. }
                | PostEvent::PreviewShared { .. }
                | PostEvent::PreviewRevoked { .. },
                _,
            ) => continue,
            // An edit or deletion before publication cannot be stored; skip rather than fail.
            (_, None) => continue,
        };
        step(Step::Version(&version));
        previous = Some(version);
    }
    Ok(())
}

/// How a post's favorites stood at a point of the log: how many, and whether `viewer` was
/// among them.
pub async fn favorites_at(
    db: &PgPool,
    post: Uuid,
    position: i64,
    viewer: Option<Uuid>,
) -> Result<(i64, bool), sqlx::Error> {
    let favorites = sqlx::query!(
        r#"
        with latest as (
            select distinct on (payload ->> 'user') payload ->> 'user' as fan, event_type
              from events
             where aggregate_type = 'Favorite' and payload ->> 'post' = $1 and position <= $2
             order by payload ->> 'user', position desc
        )
        select count(*) filter (where event_type = 'PostFavorited') as "count!",
               coalesce(bool_or(event_type = 'PostFavorited' and fan = $3), false) as "favorited!"
          from latest
        "#,
        post.to_string(),
        position,
        viewer.map(|v| v.to_string()),
    )
    .fetch_one(db)
    .await?;
    Ok((favorites.count, favorites.favorited))
}
