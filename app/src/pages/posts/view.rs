//! The post page: the post, a page of its comments, and the comment form.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::permissions::{may_delete_comment, may_delete_post, may_edit_comment, may_edit_post};
use domain::user::UserId;
use projections::comments;
use projections::posts::{self, PostDetail};
use projections::users::UserRow;
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::usecases::blog;
use crate::web::auth::MaybeUser;
use crate::web::error::AppError;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::views::{AuthorView, Date, TagLink};

/// How many comments a post page shows at a time.
const COMMENTS_PER_PAGE: i64 = 50;

#[derive(Serialize)]
pub(super) struct PostView {
    slug: String,
    url: String,
    title: String,
    description: String,
    body_html: String,
    tags: Vec<TagLink>,
    cover: Option<String>,
    published: Date,
    /// Set when the post was edited after publishing.
    edited: Option<Date>,
    /// How many times, and where its revisions are (set by [`PostView::with_edits`]).
    revisions: Option<RevisionsLink>,
    author: AuthorView,
    comments_count: i32,
    favorites_count: i32,
    favorited: bool,
    can_edit: bool,
    pub(super) can_delete: bool,
    /// Why staff hid it, shown to its author (and staff), who alone see it then.
    hidden: Option<String>,
    /// Where staff hide or show it again, for staff.
    moderate_url: Option<String>,
}

#[derive(Serialize)]
struct RevisionsLink {
    edits: i64,
    url: String,
}

impl PostView {
    /// Links the post's public revisions, when it was edited since it was published.
    fn with_edits(mut self, edits: i64) -> Self {
        self.revisions = (edits > 0).then(|| RevisionsLink {
            edits,
            url: format!("{}/revisions", self.url),
        });
        self
    }

    pub(super) fn new(post: PostDetail, viewer: Option<&UserRow>) -> Self {
        let hidden = post.hidden.clone();
        let moderate_url = viewer
            .filter(|v| v.staff)
            .map(|_| format!("/posts/{}/moderate", post.summary.slug));
        let p = post.summary;
        let author = UserId(p.author.author_id);
        Self {
            url: format!("/posts/{}", p.slug),
            edited: (p.updated_at > p.created_at).then(|| p.updated_at.into()),
            revisions: None,
            published: p.created_at.into(),
            author: (&p.author).into(),
            tags: p.tags.iter().map(|t| TagLink::new(t)).collect(),
            can_edit: viewer.is_some_and(|v| may_edit_post(v.actor(), author)),
            can_delete: viewer.is_some_and(|v| may_delete_post(v.actor(), author)),
            slug: p.slug,
            title: p.title,
            description: p.description,
            body_html: post.body_html,
            cover: p.cover,
            comments_count: p.comments_count,
            favorites_count: p.favorites_count,
            favorited: p.favorited,
            hidden,
            moderate_url,
        }
    }
}

#[derive(Serialize)]
pub(super) struct CommentView {
    id: i64,
    body: String,
    body_html: String,
    posted: Date,
    edited: bool,
    author: AuthorView,
    can_edit: bool,
    can_delete: bool,
    edit_url: String,
    delete_url: String,
    report_url: String,
    /// Why staff hid it (its author and staff see it, with this).
    hidden: Option<String>,
    /// Where staff hide or show it, for staff.
    moderate_url: Option<String>,
}

impl CommentView {
    pub(super) fn new(
        c: comments::CommentRow,
        post_slug: &str,
        post_author: uuid::Uuid,
        viewer: Option<&UserRow>,
    ) -> Self {
        let (writer, post_author) = (UserId(c.author_id), UserId(post_author));
        Self {
            edit_url: format!("/posts/{post_slug}/comments/{}/edit", c.id),
            report_url: format!("/reports/new?post={post_slug}&comment={}", c.id),
            moderate_url: viewer
                .filter(|v| v.staff)
                .map(|_| format!("/posts/{post_slug}/comments/{}/moderate", c.id)),
            hidden: c.hidden_reason,
            delete_url: format!("/posts/{post_slug}/comments/{}/delete", c.id),
            edited: c.updated_at > c.created_at,
            posted: c.created_at.into(),
            author: AuthorView::new(
                &c.author_username,
                c.author_display_name.as_deref(),
                c.author_image.as_deref(),
                c.author_followed,
            ),
            can_edit: viewer.is_some_and(|v| may_edit_comment(v.actor(), writer)),
            can_delete: viewer.is_some_and(|v| may_delete_comment(v.actor(), writer, post_author)),
            id: c.id,
            body: c.body,
            body_html: c.body_html,
        }
    }
}

#[derive(Serialize)]
pub(super) struct PostPageView {
    pub layout: Layout,
    pub post: PostView,
    pub comments: Vec<CommentView>,
    /// Link to the next comments, when there are more.
    pub more_comments_url: Option<String>,
    pub comment_form: CommentFormValues,
    pub errors: FormErrors,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub(in crate::pages) struct CommentFormValues {
    pub body: String,
}

#[derive(Deserialize)]
pub(super) struct CommentsQuery {
    after: Option<i64>,
}

/// Renders a post page; `comment` and `errors` refill the comment form after a failed post.
pub(in crate::pages) async fn post_page(
    state: &AppState,
    slug: &str,
    viewer: Option<&UserRow>,
    after: i64,
    layout: Layout,
    comment_form: CommentFormValues,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let viewer_id = viewer.map(|v| v.id);
    // One connection for both queries: the pool checks a connection with a round trip to
    // Postgres every time one comes back to it.
    let mut db = state.db.acquire().await?;
    let post = posts::by_slug(&mut *db, slug, viewer_id)
        .await?
        .filter(|post| post.visible_to(viewer))
        .ok_or(AppError::NotFound)?;
    let (post_id, author_id) = (post.summary.id, post.summary.author.author_id);
    let mut rows = comments::for_post(&mut *db, post_id, viewer_id, after, COMMENTS_PER_PAGE + 1).await?;
    drop(db);
    // Only an edited post has revisions to count (from its own events, a handful). After the
    // connection above went back: a request never holds two.
    let edits = if post.summary.updated_at > post.summary.created_at {
        blog::edits(&state.commands, post_id).await?
    } else {
        0
    };
    let more_comments_url = (rows.len() as i64 > COMMENTS_PER_PAGE).then(|| {
        rows.truncate(COMMENTS_PER_PAGE as usize);
        let last = rows.last().map_or(0, |c| c.id);
        format!("/posts/{slug}?after={last}#comments")
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = PostPageView {
        layout,
        comments: rows
            .into_iter()
            .map(|c| CommentView::new(c, slug, author_id, viewer))
            .collect(),
        post: PostView::new(post, viewer).with_edits(edits),
        more_comments_url,
        comment_form,
        errors,
    };
    Ok(state.templates.page(status, "posts/show.html", &view)?)
}

pub(super) async fn show_post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(query): Query<CommentsQuery>,
    MaybeUser(viewer): MaybeUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let after = query.after.unwrap_or(0).max(0);
    post_page(
        &state,
        &slug,
        viewer.as_ref(),
        after,
        layout,
        CommentFormValues::default(),
        FormErrors::default(),
    )
    .await
}
