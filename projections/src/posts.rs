//! Read model of posts: what lists and post pages show, with tags, counts and search.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::comment::{Comment, CommentEvent};
use domain::post::{Post, PostContent, PostEvent};
use domain::relation::{Favorite, FavoriteEvent};
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::markdown;
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

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

const SUMMARY_COLUMNS: &str = r#"
    p.id, p.slug, p.title, p.description, p.tags, p.cover, n.comments_count, n.favorites_count,
    p.created_at, p.updated_at,
    p.author_id, u.username as author_username, u.display_name as author_display_name,
    u.bio as author_bio, u.image as author_image"#;

/// Whether `event`, a post's event, deletes the post: the only post event that touches the
/// rows of the read models hanging off a post (comments, favorites).
pub(crate) fn deletes_a_post(event: &StoredEvent) -> Result<bool, ProjectionError> {
    let decoded = event
        .decode::<Post>()
        .map_err(|e| ProjectionError::decode(event, e))?;
    Ok(matches!(decoded, PostEvent::PostDeleted { .. }))
}

/// An anonymous viewer has favorited and followed nothing: saying so in the SQL spares two
/// lookups per row, and a statement without parameters is planned once per connection.
fn push_viewer_flags(query: &mut QueryBuilder<'_, Postgres>, viewer: Option<Uuid>) {
    let Some(viewer) = viewer else {
        query.push(", false as favorited, false as author_followed");
        return;
    };
    query.push(", exists (select 1 from favorites f where f.post_id = p.id and f.user_id = ");
    query.push_bind(viewer);
    query.push(") as favorited, exists (select 1 from follows w where w.followee_id = p.author_id and w.follower_id = ");
    query.push_bind(viewer);
    query.push(") as author_followed");
}

/// The conditions of `filter`, appended to a `where` clause over `posts p join users u`.
fn push_filters(query: &mut QueryBuilder<'_, Postgres>, filter: &PostFilter) {
    if let Some(tag) = &filter.tag {
        query
            .push(" and exists (select 1 from post_tags t where t.post_id = p.id and t.tag = ")
            .push_bind(tag.clone())
            .push(")");
    }
    if let Some(author) = &filter.author {
        query
            .push(" and lower(u.username) = lower(")
            .push_bind(author.clone())
            .push(")");
    }
    if let Some(fan) = &filter.favorited_by {
        query
            .push(" and exists (select 1 from favorites f join users fu on fu.id = f.user_id where f.post_id = p.id and lower(fu.username) = lower(")
            .push_bind(fan.clone())
            .push("))");
    }
    if let Some(follower) = filter.followed_by {
        query
            .push(" and p.author_id in (select followee_id from follows where follower_id = ")
            .push_bind(follower)
            .push(")");
    }
    if let Some(terms) = &filter.search {
        query
            .push(" and p.search @@ websearch_to_tsquery('english', ")
            .push_bind(terms.clone())
            .push(")");
    }
}

impl PostFilter {
    fn is_empty(&self) -> bool {
        self.tag.is_none()
            && self.author.is_none()
            && self.favorited_by.is_none()
            && self.followed_by.is_none()
            && self.search.is_none()
    }
}

/// A page of posts matching `filter`, newest first (best match first when searching).
///
/// The total comes with the rows in the same statement, counted once by a subquery (from the
/// projector's counter when nothing is filtered), so the page itself reads only its own rows
/// through the index instead of every match.
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &PostFilter,
    viewer: Option<Uuid>,
    limit: i64,
    offset: i64,
) -> Result<Page<PostSummary>, sqlx::Error> {
    // Dynamic: which filters apply varies from call to call, and the SQL holds only those.
    let mut query = QueryBuilder::new("select");
    query.push(SUMMARY_COLUMNS);
    push_viewer_flags(&mut query, viewer);
    if filter.is_empty() {
        // By its key: the one row's table holds many dead versions until it is vacuumed.
        query.push(", coalesce((select posts from post_totals where id), 0) as total");
    } else {
        query.push(", (select count(*) from posts p join users u on u.id = p.author_id where true");
        push_filters(&mut query, filter);
        query.push(") as total");
    }
    query.push(
        " from posts p join users u on u.id = p.author_id join post_counts n on n.post_id = p.id where true",
    );
    push_filters(&mut query, filter);
    match &filter.search {
        Some(terms) => {
            query
                .push(" order by ts_rank(p.search, websearch_to_tsquery('english', ")
                .push_bind(terms.clone())
                .push(")) desc, p.created_at desc, p.id desc");
        }
        None => {
            query.push(" order by p.created_at desc, p.id desc");
        }
    }
    // Literals, not parameters: with an unknown limit Postgres prices the generic plan as if
    // it read a tenth of the table, so it planned the statement again on every execution.
    query.push(format_args!(" limit {limit} offset {offset}"));

    let rows: Vec<CountedSummary> = query.build_query_as().fetch_all(db).await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok(Page {
        items: rows.into_iter().map(|r| r.summary).collect(),
        total,
    })
}

#[derive(sqlx::FromRow)]
struct CountedSummary {
    #[sqlx(flatten)]
    summary: PostSummary,
    total: i64,
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
               p.body, p.body_html
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

/// Slugs already taken that start with `base`, so a new post with the same title gets the
/// next free number. Claims, not posts: a deleted post keeps its address.
pub async fn taken_slugs(db: impl PgExecutor<'_>, base: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "select value from unique_claims where kind = 'slug' and (value = $1 or value like $1 || '-%')",
        base,
    )
    .fetch_all(db)
    .await
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
                    CommentEvent::CommentEdited { .. } => {}
                }
            } else if event.is::<Favorite>() {
                match event.decode::<Favorite>().map_err(decode_error)? {
                    FavoriteEvent::PostFavorited { post, .. } => counts.add(post.0, 0, 1),
                    FavoriteEvent::PostUnfavorited { post, .. } => counts.add(post.0, 0, -1),
                }
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
        with gone as (delete from posts where id = $1 returning id),
             counts as (delete from post_counts where post_id = $1)
        update post_totals set posts = posts - (select count(*) from gone)
        "#,
        id,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Consecutive new posts with their counters, the total and their tags, in one statement. Their tags travel as flat
/// arrays beside them (Postgres arrays cannot hold lists of different lengths).
#[derive(Default)]
struct Published {
    ids: Vec<Uuid>,
    slugs: Vec<String>,
    authors: Vec<Uuid>,
    titles: Vec<String>,
    descriptions: Vec<String>,
    bodies: Vec<String>,
    html: Vec<String>,
    covers: Vec<Option<String>>,
    times: Vec<DateTime<Utc>>,
    tag_posts: Vec<Uuid>,
    tags: Vec<String>,
}

impl Published {
    fn has(&self, id: Uuid) -> bool {
        self.ids.contains(&id)
    }

    fn push(&mut self, id: Uuid, author: Uuid, slug: &str, content: &PostContent, at: DateTime<Utc>) {
        self.ids.push(id);
        self.slugs.push(slug.to_owned());
        self.authors.push(author);
        self.titles.push(content.title.as_str().to_owned());
        self.descriptions.push(content.description.as_str().to_owned());
        self.bodies.push(content.body.as_str().to_owned());
        self.html.push(markdown::to_html(content.body.as_str()));
        self.covers
            .push(content.cover.as_ref().map(|c| c.as_str().to_owned()));
        self.times.push(at);
        for tag in content.tags.as_strs() {
            self.tag_posts.push(id);
            self.tags.push(tag.to_owned());
        }
    }

    async fn flush(&mut self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.ids.is_empty() {
            return Ok(());
        }
        // `search` is the full-text index of the title, description and body, the expression
        // the column was once generated by. Written with the content only (here and in
        // `update`): as a generated column, Postgres computed it again whenever a counter moved.
        sqlx::query!(
            r#"
            with p as (
                select * from unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                                     $7::text[], $8::text[], $9::timestamptz[])
                       with ordinality as p(id, slug, author_id, title, description, body, body_html, cover, at, n)
            ), t as (
                select * from unnest($10::uuid[], $11::text[]) with ordinality as t(post_id, tag, n)
            ), post as (
                insert into posts (id, slug, author_id, title, description, body, body_html, tags, cover, created_at, updated_at, search)
                select p.id, p.slug, p.author_id, p.title, p.description, p.body, p.body_html,
                       array(select t.tag from t where t.post_id = p.id order by t.n), p.cover, p.at, p.at,
                       setweight(to_tsvector('english', p.title), 'A')
                       || setweight(to_tsvector('english', p.description), 'B')
                       || setweight(to_tsvector('english', p.body), 'C')
                  from p
                 order by p.n
            ), counts as (
                insert into post_counts (post_id) select id from p order by n
            ), totals as (
                insert into post_totals (id, posts) select true, count(*) from p
                on conflict (id) do update set posts = post_totals.posts + excluded.posts
            ), added as (
                insert into post_tags (tag, post_id, created_at)
                select t.tag, t.post_id, p.at from t join p on p.id = t.post_id order by t.n
                returning tag
            )
            insert into tag_counts (tag, posts) select tag, count(*) from added group by tag
            on conflict (tag) do update set posts = tag_counts.posts + excluded.posts
            "#,
            &self.ids,
            &self.slugs,
            &self.authors,
            &self.titles,
            &self.descriptions,
            &self.bodies,
            &self.html,
            &self.covers as &[Option<String>],
            &self.times as &[DateTime<Utc>],
            &self.tag_posts,
            &self.tags,
        )
        .execute(&mut *conn)
        .await?;
        *self = Self::default();
        Ok(())
    }
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

/// Pending changes to posts' comment and favorite counts.
#[derive(Default)]
struct Counts(std::collections::HashMap<Uuid, (i32, i32)>);

impl Counts {
    fn touches(&self, post: Uuid) -> bool {
        self.0.contains_key(&post)
    }

    fn add(&mut self, post: Uuid, comments: i32, favorites: i32) {
        let entry = self.0.entry(post).or_default();
        entry.0 += comments;
        entry.1 += favorites;
    }

    async fn flush(&mut self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        // `post_id = any(…)` as well as the join: an index lookup per post even when the
        // planner knows nothing of the table yet (a rebuild's fresh copy).
        let (ids, deltas): (Vec<Uuid>, Vec<(i32, i32)>) = self.0.drain().unzip();
        let (comments, favorites): (Vec<i32>, Vec<i32>) = deltas.into_iter().unzip();
        sqlx::query!(
            r#"
            update post_counts n
               set comments_count = n.comments_count + d.comments, favorites_count = n.favorites_count + d.favorites
              from unnest($1::uuid[], $2::int[], $3::int[]) as d(id, comments, favorites)
             where n.post_id = any($1::uuid[]) and n.post_id = d.id
            "#,
            &ids,
            &comments,
            &favorites,
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
