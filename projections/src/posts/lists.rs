//! Lists of posts: filtered, paged, ranked when searching, with the viewer's flags.

use sqlx::{PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

use super::{Page, PostFilter, PostSummary};

const SUMMARY_COLUMNS: &str = r#"
    p.id, p.slug, p.title, p.description, p.tags, p.cover, n.comments_count, n.favorites_count,
    p.created_at, p.updated_at,
    p.author_id, u.username as author_username, u.display_name as author_display_name,
    u.bio as author_bio, u.image as author_image"#;

/// What readers see: posts neither staff nor their author's suspension hid. (Unfiltered lists
/// take their total from the counter, which leaves out hidden posts but not those of suspended
/// authors: a suspension with hidden posts is rare and short, and a page may then come up short.)
const VISIBLE: &str = " and p.hidden_reason is null and not (u.suspension_hides_posts and u.suspended_at is not null \
     and (u.suspended_until is null or u.suspended_until > now()))";

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
            .push_bind(domain::post::Tag::fold(tag))
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
        query.push(VISIBLE);
        push_filters(&mut query, filter);
        query.push(") as total");
    }
    query.push(
        " from posts p join users u on u.id = p.author_id join post_counts n on n.post_id = p.id where true",
    );
    query.push(VISIBLE);
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

/// Where a post lives and when it last changed, for the sitemap.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostAddress {
    pub slug: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The addresses of the `limit` most recently changed posts readers can see.
pub async fn addresses(db: impl PgExecutor<'_>, limit: i64) -> Result<Vec<PostAddress>, sqlx::Error> {
    let mut query = QueryBuilder::new(
        "select p.slug, p.updated_at from posts p join users u on u.id = p.author_id where true",
    );
    query.push(VISIBLE);
    query.push(format_args!(" order by p.updated_at desc limit {limit}"));
    query.build_query_as().fetch_all(db).await
}

/// The rendered bodies of the posts `ids`, for feeds that carry whole posts.
pub async fn bodies(db: impl PgExecutor<'_>, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    let rows = sqlx::query!("select id, body_html from posts where id = any($1)", ids)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.body_html)).collect())
}
