//! Read model of posts: what lists and post pages show, with tags, counts and search.
//!
//! The reads of one post are here, and [`list`] pages through many of them by any filters. The
//! [`PostsProjector`] keeps the tables up to date, saving runs of new posts and counter changes
//! for one statement each (see `pending`).

mod lists;
mod pending;
mod projector;

use chrono::{DateTime, Utc};
use domain::post::Slug;
use eventstore::seal::Keyring;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

pub use lists::{PostAddress, addresses, bodies, list};
pub use projector::PostsProjector;
pub(crate) use projector::deletes_a_post;

/// A post in a list: everything but the body.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostSummary {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub cover: Option<String>,
    pub comments_count: i32,
    pub favorites_count: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub author: Author,
    /// Whether the viewer has favorited it (false for anonymous viewers).
    pub favorited: bool,
}

/// A post with its body, for the post page and the API.
#[derive(Debug, Clone)]
pub struct PostDetail {
    pub summary: PostSummary,
    pub body: String,
    pub body_html: String,
    /// Why readers don't see it, when staff hid it (or its author's suspension does): its
    /// author and staff still do.
    pub hidden: Option<String>,
}

impl PostDetail {
    /// Whether `viewer` may read the post.
    pub fn visible_to(&self, viewer: Option<&crate::users::UserRow>) -> bool {
        self.hidden.is_none() || viewer.is_some_and(|v| v.staff || v.id == self.summary.author.author_id)
    }
}

/// The author as lists show them, with whether the viewer follows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Author {
    pub author_id: Uuid,
    pub author_username: String,
    pub author_display_name: Option<String>,
    pub author_bio: Option<String>,
    pub author_image: Option<String>,
    pub author_followed: bool,
}

/// Which posts a list shows. Filters combine with AND.
#[derive(Debug, Clone, Default)]
pub struct PostFilter {
    pub tag: Option<String>,
    /// Username of the author.
    pub author: Option<String>,
    /// Username of someone who favorited the posts.
    pub favorited_by: Option<String>,
    /// Only posts by authors this user follows.
    pub followed_by: Option<Uuid>,
    /// Full-text search over titles, descriptions and bodies; ranks results by relevance.
    pub search: Option<String>,
}

/// One page of a list, and how many posts match in all.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// The post at `slug`, with the viewer's flags. An anonymous viewer (a null `$2`) has favorited
/// and followed nothing, which the flags say before looking anything up.
pub async fn by_slug(
    db: impl PgExecutor<'_>,
    slug: &str,
    viewer: Option<Uuid>,
) -> Result<Option<PostDetail>, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        select p.id, p.slug, p.title, p.description, p.tags, p.cover, n.comments_count, n.favorites_count,
               p.created_at as "created_at: DateTime<Utc>", p.updated_at as "updated_at: DateTime<Utc>",
               p.author_id, u.username as author_username, u.display_name as author_display_name,
               u.bio as author_bio, u.image as author_image,
               ($2::uuid is not null
                and exists (select 1 from favorites f where f.post_id = p.id and f.user_id = $2)) as "favorited!",
               ($2::uuid is not null
                and exists (select 1 from follows w where w.followee_id = p.author_id and w.follower_id = $2))
               as "author_followed!",
               p.body, p.body_html,
               coalesce(p.hidden_reason,
                        case when u.suspension_hides_posts and u.suspended_at is not null
                                  and (u.suspended_until is null or u.suspended_until > now())
                             then 'its author is suspended' end) as hidden
          from posts p
          join users u on u.id = p.author_id
          join post_counts n on n.post_id = p.id
         where p.slug = $1
        "#,
        slug,
        viewer,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| PostDetail {
        summary: PostSummary {
            id: row.id,
            slug: row.slug,
            title: row.title,
            description: row.description,
            tags: row.tags,
            cover: row.cover,
            comments_count: row.comments_count,
            favorites_count: row.favorites_count,
            created_at: row.created_at,
            updated_at: row.updated_at,
            author: Author {
                author_id: row.author_id,
                author_username: row.author_username,
                author_display_name: row.author_display_name,
                author_bio: row.author_bio,
                author_image: row.author_image,
                author_followed: row.author_followed,
            },
            favorited: row.favorited,
        },
        body: row.body,
        body_html: row.body_html,
        hidden: row.hidden,
    }))
}

/// Just the id and author of the post at `slug`, for commands.
pub async fn owner(db: impl PgExecutor<'_>, slug: &str) -> Result<Option<(Uuid, Uuid)>, sqlx::Error> {
    let post = sqlx::query!("select id, author_id from posts where slug = $1", slug)
        .fetch_optional(db)
        .await?;
    Ok(post.map(|post| (post.id, post.author_id)))
}

/// The `limit` most used tags, the most used first (ties by name).
pub async fn popular_tags(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "select tag from tag_counts where posts > 0 order by posts desc, tag limit $1",
        limit
    )
    .fetch_all(db)
    .await
}

/// The first of `base`, `base-2`, `base-3`, … that no post has claimed, so a new post with the
/// same title gets the next free number. Claims, not posts: a deleted post keeps its address.
/// Claims are stored as keyed digests, so candidates are looked up a window at a time: the
/// title alone first (most titles are new), then wider windows.
pub async fn free_slug(db: &PgPool, keyring: &Keyring, base: &Slug) -> Result<Slug, sqlx::Error> {
    let kind = domain::ClaimKind::Slug.as_str();
    let mut first = 1;
    let mut window = 1;
    loop {
        let candidates: Vec<Slug> = (first..first + window).map(|n| base.numbered(n)).collect();
        let digests: Vec<String> = candidates
            .iter()
            .map(|slug| keyring.claim_digest(kind, slug.as_str()))
            .collect();
        let taken = sqlx::query_scalar!(
            "select value from unique_claims where kind = 'slug' and value = any($1)",
            &digests,
        )
        .fetch_all(db)
        .await?;
        let free = candidates
            .into_iter()
            .zip(&digests)
            .find(|(_, digest)| !taken.contains(digest));
        if let Some((slug, _)) = free {
            return Ok(slug);
        }
        // Finitely many claims: some window has a free number.
        first += window;
        window = 64;
    }
}
