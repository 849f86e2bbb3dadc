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
    let mut public = Public::default();
    walk(db, keyring, post, |step| match step {
        Step::Version(version) if version.deleted => public.deleted(),
        Step::Version(version) => public.version(version.clone()),
        Step::Hidden => public.hidden(),
        Step::Shown => public.shown(),
    })
    .await?;
    Ok(public.seen)
}

/// How many times readers saw a post change: its public versions (see [`public_versions`])
/// but the first. Told from the kinds of its events alone, without reading what they say.
pub async fn public_edits(db: &PgPool, post: Uuid) -> Result<i64, sqlx::Error> {
    let kinds = sqlx::query_scalar!(
        "select event_type from events where aggregate_type = 'Post' and aggregate_id = $1 order by sequence",
        post.to_string(),
    )
    .fetch_all(db)
    .await?;
    let mut public = Public::default();
    for kind in &kinds {
        match kind.as_str() {
            "PostPublished" | "PostEdited" => public.version(()),
            "PostDeleted" => public.deleted(),
            "PostHidden" => public.hidden(),
            "PostUnhidden" => public.shown(),
            _ => {}
        }
    }
    Ok((public.seen.len() as i64 - 1).max(0))
}

/// The rule for which versions were public, fed a post's versions and its hiding in order.
struct Public<T> {
    seen: Vec<T>,
    hidden: bool,
    /// The version the post reads as now (none once deleted), and whether readers saw it.
    current: Option<T>,
    current_seen: bool,
}

impl<T> Default for Public<T> {
    fn default() -> Self {
        Self {
            seen: Vec::new(),
            hidden: false,
            current: None,
            current_seen: false,
        }
    }
}

impl<T: Clone> Public<T> {
    fn version(&mut self, version: T) {
        if !self.hidden {
            self.seen.push(version.clone());
        }
        self.current_seen = !self.hidden;
        self.current = Some(version);
    }

    fn deleted(&mut self) {
        self.current = None;
    }

    fn hidden(&mut self) {
        self.hidden = true;
    }

    fn shown(&mut self) {
        self.hidden = false;
        if let Some(version) = self.current.as_ref().filter(|_| !self.current_seen) {
            self.seen.push(version.clone());
            self.current_seen = true;
        }
    }
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
