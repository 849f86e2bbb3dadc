//! The post form: writing a post (kept as a draft until it is published, now or at a chosen
//! time) or editing a published one, with a preview and a cover image.

use std::net::IpAddr;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use domain::post::Tags;
use projections::drafts::DraftRow;
use projections::markdown;
use projections::posts::{self, PostDetail};
use projections::users::UserRow;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::media::{self, ImageKind};
use crate::services::pools::WorkError;
use crate::state::AppState;
use crate::usecases::blog::{self, BlogError, DraftInput, PostInput};
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::multipart::UploadForm;
use crate::web::request::Caller;
use crate::web::views::{Date, TagLink};

/// What the post form holds, as typed.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct PostFormValues {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) body: String,
    pub(super) tags: String,
    /// The cover already chosen (uploaded earlier or kept from the post).
    #[serde(default)]
    pub(super) cover_url: String,
}

impl From<&DraftRow> for PostFormValues {
    fn from(draft: &DraftRow) -> Self {
        Self {
            title: draft.title.clone(),
            description: draft.description.clone(),
            body: draft.body.clone(),
            tags: draft.tags.join(", "),
            cover_url: draft.cover.clone().unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct PostFormView {
    layout: Layout,
    heading: &'static str,
    editing: bool,
    /// The draft the form saves to; absent when editing a published post.
    draft: Option<DraftPanel>,
    action: String,
    cancel_url: String,
    form: PostFormValues,
    errors: FormErrors,
    preview: Option<Preview>,
    /// The form holds what was typed but not stored (after a preview or a refusal): leaving
    /// the page would lose it.
    unsaved: bool,
}

/// A draft's id and, once stored, its schedule and preview link.
#[derive(Serialize)]
pub(super) struct DraftPanel {
    id: Uuid,
    /// Whether anything of it is stored yet (a new post's form holds only its future id).
    stored: bool,
    publish_at: Option<Date>,
    shared: bool,
    /// A preview link made by this very request: its secret is shown once, never stored.
    link: Option<String>,
}

impl DraftPanel {
    fn new(id: Uuid) -> Self {
        Self {
            id,
            stored: false,
            publish_at: None,
            shared: false,
            link: None,
        }
    }

    fn of(draft: &DraftRow) -> Self {
        Self {
            id: draft.id,
            stored: true,
            publish_at: draft.publish_at.map(Date::from),
            shared: draft.shared,
            link: None,
        }
    }
}

/// Where the form of a post is sent, and what it may do there.
enum Editing<'a> {
    /// A new post, or a draft: saved as a draft, published now or later.
    Draft(DraftPanel),
    /// A published post, by its slug.
    Post(&'a str),
}

impl Editing<'_> {
    fn action(&self) -> String {
        match self {
            Self::Draft(draft) if draft.stored => format!("/drafts/{}/edit", draft.id),
            Self::Draft(_) => "/posts/new".to_owned(),
            Self::Post(slug) => format!("/posts/{slug}/edit"),
        }
    }

    fn cancel_url(&self) -> String {
        match self {
            Self::Draft(draft) if draft.stored => "/drafts".to_owned(),
            Self::Draft(_) => "/".to_owned(),
            Self::Post(slug) => format!("/posts/{slug}"),
        }
    }
}

#[derive(Serialize)]
pub(super) struct Preview {
    title: String,
    body_html: String,
    tags: Vec<TagLink>,
    cover: Option<String>,
}

fn form_page(state: &AppState, status: StatusCode, view: &PostFormView) -> Result<Response, AppError> {
    Ok(state.templates.page(status, "posts/form.html", view)?)
}

/// An empty form, under the id its draft will have once anything is saved (by a button or by
/// the autosave): every save of this page lands in one draft.
pub(super) async fn new_post(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let editing = Editing::Draft(DraftPanel::new(Uuid::now_v7()));
    redisplay(
        &state,
        layout,
        editing,
        PostFormValues::default(),
        FormErrors::default(),
        false,
    )
    .await
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
            Ok(accepted) => form.cover_url = accepted.url,
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

fn post_input(form: &PostFormValues) -> PostInput<'_> {
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
pub(super) async fn preview(state: &AppState, form: &PostFormValues) -> Result<Preview, AppError> {
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

/// The form, first shown or again after a preview or with errors.
async fn redisplay(
    state: &AppState,
    layout: Layout,
    editing: Editing<'_>,
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
        action: editing.action(),
        cancel_url: editing.cancel_url(),
        heading: match &editing {
            Editing::Post(_) => "Edit post",
            Editing::Draft(draft) if draft.stored => "Edit draft",
            Editing::Draft(_) => "New post",
        },
        editing: matches!(editing, Editing::Post(_)),
        draft: match editing {
            Editing::Draft(draft) => Some(draft),
            Editing::Post(_) => None,
        },
        preview,
        form,
        errors,
    };
    form_page(state, status, &view)
}

/// The new post's form: previewed, saved as a draft (its id in the form), or published.
pub(super) async fn create_post(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    Caller { request_id, ip }: Caller,
    layout: Layout,
    upload: UploadForm,
) -> Result<Response, AppError> {
    // A form without its draft's id (sent by a program, or a page from before drafts) starts one.
    let id = Uuid::parse_str(upload.text("draft_id")).unwrap_or_else(|_| Uuid::now_v7());
    // Saved by the autosave meanwhile: from here on it is that draft's form.
    let draft = match blog::own_draft(&state.db, &user, id).await {
        Ok(draft) => DraftPanel::of(&draft),
        Err(BlogError::NotFound(_)) => DraftPanel::new(id),
        Err(err) => return Err(err.into()),
    };
    submit_draft(&state, &user, flash, (request_id, ip), layout, upload, draft).await
}

/// A draft's form: previewed, saved, published now, or scheduled.
pub(super) async fn update_draft(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    Caller { request_id, ip }: Caller,
    layout: Layout,
    upload: UploadForm,
) -> Result<Response, AppError> {
    let draft = blog::own_draft(&state.db, &user, id).await?;
    submit_draft(
        &state,
        &user,
        flash,
        (request_id, ip),
        layout,
        upload,
        DraftPanel::of(&draft),
    )
    .await
}

async fn submit_draft(
    state: &AppState,
    user: &UserRow,
    flash: Flash,
    (request_id, ip): (String, IpAddr),
    layout: Layout,
    upload: UploadForm,
    draft: DraftPanel,
) -> Result<Response, AppError> {
    let action = upload.text("action").to_owned();
    let publish_at = upload.text("publish_at").to_owned();
    let offset = upload.text("utc_offset").to_owned();
    let (form, mut errors, deferral) = read_post_form(state, user, ip, upload).await?;
    let id = draft.id;
    if action == "preview" || !errors.is_empty() {
        let page = redisplay(
            state,
            layout,
            Editing::Draft(draft),
            form,
            errors,
            action == "preview",
        )
        .await?;
        return Ok(media::deferred(page, deferral));
    }
    let at = if action == "schedule" {
        match schedule_time(&publish_at, &offset) {
            Ok(at) => Some(at),
            Err(message) => {
                errors.add("publish_at", message);
                return redisplay(state, layout, Editing::Draft(draft), form, errors, false).await;
            }
        }
    } else {
        None
    };
    let outcome = match action.as_str() {
        // Published straight from a new post's form: nothing to keep as a draft.
        "publish" if !draft.stored => {
            blog::publish_as(&state.commands, user, id, post_input(&form), &request_id)
                .await
                .map(Some)
        }
        _ => {
            match blog::save_draft(
                &state.commands,
                &state.limits,
                user,
                id,
                draft_input(&form),
                &request_id,
            )
            .await
            {
                Err(err) => Err(err),
                Ok(()) if action == "publish" => blog::publish_draft(&state.commands, user, id, &request_id)
                    .await
                    .map(Some),
                Ok(()) => match at {
                    Some(at) => blog::schedule(&state.commands, user, id, at, &request_id)
                        .await
                        .map(|()| None),
                    None => Ok(None),
                },
            }
        }
    };
    match outcome {
        Ok(Some(slug)) => {
            flash.success("Your post is published.");
            Ok(Redirect::to(&format!("/posts/{slug}")).into_response())
        }
        Ok(None) => {
            flash.success(if at.is_some() {
                "Your post is scheduled; it will appear by itself at the time you chose."
            } else {
                "Your draft is saved."
            });
            Ok(Redirect::to(&format!("/drafts/{id}/edit")).into_response())
        }
        Err(BlogError::Invalid(errors)) => {
            // Refused before anything was stored, it may not be a draft yet.
            let draft = stored_panel(state, user, id)
                .await
                .unwrap_or_else(|_| DraftPanel::new(id));
            redisplay(state, layout, Editing::Draft(draft), form, errors, false).await
        }
        Err(err) => Err(err.into()),
    }
}

/// The draft as stored now, for a form shown again.
async fn stored_panel(state: &AppState, user: &UserRow, id: Uuid) -> Result<DraftPanel, AppError> {
    Ok(DraftPanel::of(&blog::own_draft(&state.db, user, id).await?))
}

/// The moment a `datetime-local` value names, in the zone `utc_offset` gives (minutes east of
/// UTC, as the page's script fills it in; UTC when the script did not run).
fn schedule_time(local: &str, utc_offset: &str) -> Result<DateTime<Utc>, &'static str> {
    let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| "Choose a date and a time")?;
    let minutes: i32 = if utc_offset.is_empty() {
        0
    } else {
        utc_offset.parse().map_err(|_| "Choose a date and a time")?
    };
    let zone = FixedOffset::east_opt(minutes * 60).ok_or("Choose a date and a time")?;
    naive
        .and_local_timezone(zone)
        .single()
        .map(|at| at.with_timezone(&Utc))
        .ok_or("Choose a date and a time")
}

pub(super) fn draft_input(form: &PostFormValues) -> DraftInput<'_> {
    DraftInput {
        title: &form.title,
        description: &form.description,
        body: &form.body,
        tags: form.tags.split(',').collect(),
        cover: (!form.cover_url.is_empty()).then_some(form.cover_url.as_str()),
    }
}

/// A stored draft in its form.
pub(super) async fn edit_draft(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let draft = blog::own_draft(&state.db, &user, id).await?;
    show_draft(&state, layout, &draft, None).await
}

/// The draft's form as stored, with a preview link just made (`link`), if any.
pub(super) async fn show_draft(
    state: &AppState,
    layout: Layout,
    draft: &DraftRow,
    link: Option<String>,
) -> Result<Response, AppError> {
    let form = PostFormValues::from(draft);
    let panel = DraftPanel {
        link,
        ..DraftPanel::of(draft)
    };
    redisplay(
        state,
        layout,
        Editing::Draft(panel),
        form,
        FormErrors::default(),
        false,
    )
    .await
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
    redisplay(
        &state,
        layout,
        Editing::Post(&slug),
        form,
        FormErrors::default(),
        false,
    )
    .await
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
        let page = redisplay(&state, layout, Editing::Post(&slug), form, errors, previewing).await?;
        return Ok(media::deferred(page, deferral));
    }
    match blog::edit(&state.commands, &user, &slug, post_input(&form), &request_id).await {
        Ok(()) => {
            flash.success("Your changes are saved.");
            Ok(Redirect::to(&format!("/posts/{slug}")).into_response())
        }
        Err(BlogError::Invalid(errors)) => {
            redisplay(&state, layout, Editing::Post(&slug), form, errors, false).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Serialize)]
struct Uploaded {
    /// What the text refers to the picture by: its address, carrying its size.
    src: String,
}

/// A picture for a post's text, from the editor's script: checked, re-encoded and stored like
/// a cover (its copies come in the widths the post shows it at). 201 with its address, or the
/// reason it was refused, as JSON, with the status and wait a refusal for load calls for.
pub(super) async fn upload_body_image(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Caller { ip, .. }: Caller,
    mut upload: UploadForm,
) -> Result<Response, AppError> {
    let Some(read) = upload.take_file("image") else {
        return Ok(image_refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose an image to upload",
            None,
        ));
    };
    match media::accept_upload(&state, user.id, ip, read, ImageKind::Cover).await {
        Ok(accepted) => {
            let src = domain::image::variants::sized(&accepted.url, accepted.width, accepted.height);
            Ok((StatusCode::CREATED, axum::Json(Uploaded { src })).into_response())
        }
        Err(err) if err.is_internal() => Err(AppError::internal(err)),
        Err(err) => {
            let (status, wait) = match err.deferral() {
                Some((status, seconds)) => (status, Some(seconds)),
                None => (StatusCode::UNPROCESSABLE_ENTITY, None),
            };
            Ok(image_refused(status, &err.to_string(), wait))
        }
    }
}

fn image_refused(status: StatusCode, message: &str, wait: Option<u64>) -> Response {
    let mut response = (
        status,
        axum::Json(serde_json::json!({ "errors": { "image": [message] } })),
    )
        .into_response();
    if let Some(seconds) = wait {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, seconds.into());
    }
    response
}
