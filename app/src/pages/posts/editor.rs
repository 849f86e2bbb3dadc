//! The post form: writing a post or editing one, with a preview and a cover image.

use std::net::IpAddr;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::post::Tags;
use projections::markdown;
use projections::posts::{self, PostDetail};
use projections::users::UserRow;
use serde::Serialize;

use crate::media::{self, ImageKind};
use crate::services::pools::WorkError;
use crate::state::AppState;
use crate::usecases::blog::{self, BlogError, PostInput};
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::multipart::UploadForm;
use crate::web::request::Caller;
use crate::web::views::TagLink;

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
    /// The form holds what was typed but not stored (after a preview or a refusal): leaving
    /// the page would lose it.
    unsaved: bool,
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

pub(super) async fn new_post(
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
        unsaved: false,
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
        // As the post will show them (folded, sorted, once each); as typed while they are invalid.
        tags: match Tags::parse_list(&form.tags) {
            Ok(tags) => tags.iter().map(|t| TagLink::new(t.as_str())).collect(),
            Err(_) => form
                .tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(TagLink::new)
                .collect(),
        },
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
        unsaved: preview.is_some() || !errors.is_empty(),
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

pub(super) async fn create_post(
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

pub(super) async fn edit_post(
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

pub(super) async fn update_post(
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
