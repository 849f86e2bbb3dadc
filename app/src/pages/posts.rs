//! Post pages: read, write (with preview and a cover image), edit, delete, favorite.

use std::net::IpAddr;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use domain::permissions::{may_delete_comment, may_delete_post, may_edit_comment, may_edit_post};
use domain::user::UserId;
use projections::posts::{self, PostDetail};
use projections::users::UserRow;
use projections::{comments, markdown};
use serde::{Deserialize, Serialize};

use crate::media::{self, ImageKind, UPLOAD_BODY_LIMIT};
use crate::services::pools::WorkError;
use crate::state::AppState;
use crate::usecases::blog::{self, BlogError, PostInput};
use crate::web::auth::{CurrentUser, MaybeUser};
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::multipart::UploadForm;
use crate::web::request::{Caller, RequestId};
use crate::web::views::{AuthorView, Date, TagLink};

pub fn router() -> Router<AppState> {
    let forms = Router::new()
        .route("/posts/new", get(new_post).post(create_post))
        .route("/posts/{slug}/edit", get(edit_post).post(update_post))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT));
    Router::new()
        .merge(forms)
        .route("/posts/{slug}", get(show_post))
        .route("/posts/{slug}/delete", get(confirm_delete).post(delete_post))
        .route("/posts/{slug}/favorite", post(favorite_post))
        .route("/posts/{slug}/unfavorite", post(unfavorite_post))
}

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
    author: AuthorView,
    comments_count: i32,
    favorites_count: i32,
    favorited: bool,
    can_edit: bool,
    can_delete: bool,
}

impl PostView {
    pub(super) fn new(post: PostDetail, viewer: Option<&UserRow>) -> Self {
        let p = post.summary;
        let author = UserId(p.author.author_id);
        Self {
            url: format!("/posts/{}", p.slug),
            edited: (p.updated_at > p.created_at).then(|| p.updated_at.into()),
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
pub(super) struct CommentFormValues {
    pub body: String,
}

#[derive(Deserialize)]
struct CommentsQuery {
    after: Option<i64>,
}

/// Renders a post page; `comment` and `errors` refill the comment form after a failed post.
pub(super) async fn post_page(
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
        .ok_or(AppError::NotFound)?;
    let (post_id, author_id) = (post.summary.id, post.summary.author.author_id);
    let mut rows = comments::for_post(&mut *db, post_id, viewer_id, after, COMMENTS_PER_PAGE + 1).await?;
    drop(db);
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
        post: PostView::new(post, viewer),
        more_comments_url,
        comment_form,
        errors,
    };
    Ok(state.templates.page(status, "posts/show.html", &view)?)
}

async fn show_post(
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

/// What the post form holds, as typed.
#[derive(Debug, Default, Serialize)]
struct PostFormValues {
    title: String,
    description: String,
    body: String,
    tags: String,
    /// The cover already chosen (uploaded earlier or kept from the post).
    cover_url: String,
}

#[derive(Serialize)]
struct PostFormView {
    layout: Layout,
    editing: bool,
    action: String,
    cancel_url: String,
    form: PostFormValues,
    errors: FormErrors,
    preview: Option<Preview>,
}

#[derive(Serialize)]
struct Preview {
    title: String,
    body_html: String,
    tags: Vec<TagLink>,
    cover: Option<String>,
}

fn form_page(state: &AppState, status: StatusCode, view: &PostFormView) -> Result<Response, AppError> {
    Ok(state.templates.page(status, "posts/form.html", view)?)
}

async fn new_post(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let view = PostFormView {
        layout,
        editing: false,
        action: "/posts/new".to_owned(),
        cancel_url: "/".to_owned(),
        form: PostFormValues::default(),
        errors: FormErrors::default(),
        preview: None,
    };
    form_page(&state, StatusCode::OK, &view)
}

/// Reads the post form; a newly chosen cover is checked, resized and stored right away, so
/// it survives a preview or a validation error (its URL rides along in a hidden field).
async fn read_post_form(
    state: &AppState,
    user: &UserRow,
    ip: IpAddr,
    mut upload: UploadForm,
) -> Result<(PostFormValues, FormErrors, Deferral), AppError> {
    let mut errors = FormErrors::default();
    let mut form = PostFormValues {
        title: upload.text("title").to_owned(),
        description: upload.text("description").to_owned(),
        body: upload.text("body").to_owned(),
        tags: upload.text("tags").to_owned(),
        cover_url: if upload.text("remove_cover").is_empty() {
            upload.text("cover_url").to_owned()
        } else {
            String::new()
        },
    };
    let mut deferral = None;
    match upload.take_file("cover") {
        None => {}
        Some(read) => match media::accept_upload(state, user.id, ip, read, ImageKind::Cover).await {
            Ok(url) => form.cover_url = url,
            Err(err) if err.is_internal() => return Err(AppError::internal(err)),
            Err(err) => {
                deferral = err.deferral();
                errors.add("cover", err.to_string());
            }
        },
    }
    Ok((form, errors, deferral))
}

/// A refusal of an upload for load: the status and seconds to wait (see `media::deferred`).
type Deferral = Option<(StatusCode, u64)>;

fn input(form: &PostFormValues) -> PostInput<'_> {
    PostInput {
        title: Some(&form.title),
        description: Some(&form.description),
        body: Some(&form.body),
        tags: Some(form.tags.split(',').collect()),
        cover: Some((!form.cover_url.is_empty()).then_some(form.cover_url.as_str())),
    }
}

/// The post as it would look. Rendering a long body costs milliseconds of CPU, so it runs on the
/// `markdown` pool rather than on the thread serving other requests.
async fn preview(state: &AppState, form: &PostFormValues) -> Result<Preview, AppError> {
    let body = form.body.clone();
    let body_html = state
        .pools
        .markdown
        .run(move || markdown::to_html(&body))
        .await
        .map_err(|err| match err {
            WorkError::Busy(busy) => AppError::Busy(busy),
            WorkError::Failed(err) => AppError::internal(err),
        })?;
    Ok(Preview {
        title: form.title.clone(),
        body_html,
        tags: form
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(TagLink::new)
            .collect(),
        cover: (!form.cover_url.is_empty()).then(|| form.cover_url.clone()),
    })
}

/// The form again, after a preview or with errors.
async fn redisplay(
    state: &AppState,
    layout: Layout,
    editing: Option<&str>,
    form: PostFormValues,
    errors: FormErrors,
    show_preview: bool,
) -> Result<Response, AppError> {
    let preview = if show_preview {
        Some(preview(state, &form).await?)
    } else {
        None
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let view = PostFormView {
        layout,
        editing: editing.is_some(),
        action: editing.map_or_else(|| "/posts/new".to_owned(), |slug| format!("/posts/{slug}/edit")),
        cancel_url: editing.map_or_else(|| "/".to_owned(), |slug| format!("/posts/{slug}")),
        preview,
        form,
        errors,
    };
    form_page(state, status, &view)
}

async fn create_post(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    Caller { request_id, ip }: Caller,
    layout: Layout,
    upload: UploadForm,
) -> Result<Response, AppError> {
    let previewing = upload.text("action") == "preview";
    let (form, errors, deferral) = read_post_form(&state, &user, ip, upload).await?;
    if previewing || !errors.is_empty() {
        let page = redisplay(&state, layout, None, form, errors, previewing).await?;
        return Ok(media::deferred(page, deferral));
    }
    match blog::publish(&state.commands, &user, input(&form), &request_id).await {
        Ok(slug) => {
            flash.success("Your post is published.");
            Ok(Redirect::to(&format!("/posts/{slug}")).into_response())
        }
        Err(BlogError::Invalid(errors)) => redisplay(&state, layout, None, form, errors, false).await,
        Err(err) => Err(err.into()),
    }
}

/// The post, if `user` may edit it.
async fn editable(state: &AppState, slug: &str, user: &UserRow) -> Result<PostDetail, AppError> {
    let post = posts::by_slug(&state.db, slug, Some(user.id))
        .await?
        .ok_or(AppError::NotFound)?;
    if post.summary.author.author_id != user.id {
        return Err(AppError::Forbidden);
    }
    Ok(post)
}

async fn edit_post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let post = editable(&state, &slug, &user).await?;
    let form = PostFormValues {
        title: post.summary.title,
        description: post.summary.description,
        body: post.body,
        tags: post.summary.tags.join(", "),
        cover_url: post.summary.cover.unwrap_or_default(),
    };
    redisplay(&state, layout, Some(&slug), form, FormErrors::default(), false).await
}

async fn update_post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    Caller { request_id, ip }: Caller,
    layout: Layout,
    upload: UploadForm,
) -> Result<Response, AppError> {
    editable(&state, &slug, &user).await?;
    let previewing = upload.text("action") == "preview";
    let (form, errors, deferral) = read_post_form(&state, &user, ip, upload).await?;
    if previewing || !errors.is_empty() {
        let page = redisplay(&state, layout, Some(&slug), form, errors, previewing).await?;
        return Ok(media::deferred(page, deferral));
    }
    match blog::edit(&state.commands, &user, &slug, input(&form), &request_id).await {
        Ok(()) => {
            flash.success("Your changes are saved.");
            Ok(Redirect::to(&format!("/posts/{slug}")).into_response())
        }
        Err(BlogError::Invalid(errors)) => redisplay(&state, layout, Some(&slug), form, errors, false).await,
        Err(err) => Err(err.into()),
    }
}

#[derive(Serialize)]
struct ConfirmDeleteView {
    layout: Layout,
    post: PostView,
}

async fn confirm_delete(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let post = posts::by_slug(&state.db, &slug, Some(user.id))
        .await?
        .ok_or(AppError::NotFound)?;
    let post = PostView::new(post, Some(&user));
    if !post.can_delete {
        return Err(AppError::Forbidden);
    }
    Ok(state.templates.page(
        StatusCode::OK,
        "posts/delete.html",
        &ConfirmDeleteView { layout, post },
    )?)
}

async fn delete_post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    blog::delete(&state.commands, &user, &slug, &request_id).await?;
    flash.info("The post has been deleted.");
    Ok(Redirect::to("/").into_response())
}

async fn favorite_post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(user): CurrentUser,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    blog::favorite(&state.commands, &user, &slug, true, &request_id).await?;
    Ok(Redirect::to(&format!("/posts/{slug}")).into_response())
}

async fn unfavorite_post(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    CurrentUser(user): CurrentUser,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    blog::favorite(&state.commands, &user, &slug, false, &request_id).await?;
    Ok(Redirect::to(&format!("/posts/{slug}")).into_response())
}
