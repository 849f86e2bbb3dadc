//! Reporting a post, a comment, a profile or a chat message: a form for anyone signed in.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::state::AppState;
use crate::usecases::moderation::reports::{self, CONTEXT_MESSAGES};
use crate::usecases::moderation::{ModerationError, Reported};
use crate::web::auth::CurrentUser;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::RequestId;

pub fn router() -> Router<AppState> {
    Router::new().route("/reports/new", get(show_form).post(file_report))
}

/// What is reported, as the links and the form name it.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
struct TargetFields {
    post: Option<String>,
    comment: Option<i64>,
    user: Option<String>,
    chat: Option<Uuid>,
    seq: Option<i64>,
}

impl TargetFields {
    fn reported(&self) -> Option<Reported<'_>> {
        Some(
            match (&self.post, self.comment, &self.user, self.chat, self.seq) {
                (Some(slug), Some(id), None, None, None) => Reported::Comment { slug, id },
                (Some(slug), None, None, None, None) => Reported::Post { slug },
                (None, None, Some(username), None, None) => Reported::Profile { username },
                (None, None, None, Some(room), Some(seq)) => Reported::Message { room, seq },
                _ => return None,
            },
        )
    }

    /// What is reported, in words, and where to go back to.
    fn described(&self) -> (String, String) {
        match self.reported() {
            Some(Reported::Comment { slug, id }) => {
                ("a comment".to_owned(), format!("/posts/{slug}#comment-{id}"))
            }
            Some(Reported::Post { slug }) => ("a post".to_owned(), format!("/posts/{slug}")),
            Some(Reported::Profile { username }) => (format!("@{username}"), format!("/@{username}")),
            Some(Reported::Message { room, seq }) => {
                (format!("message #{seq}"), format!("/chat/{room}#m{seq}"))
            }
            None => (String::new(), "/".to_owned()),
        }
    }
}

#[derive(Serialize)]
struct ReportFormView {
    layout: Layout,
    target: TargetFields,
    what: String,
    back: String,
    is_message: bool,
    context: i64,
    reasons: [&'static str; 4],
    reason: String,
    note: String,
    error: Option<String>,
}

fn form_view(
    layout: Layout,
    target: TargetFields,
    reason: String,
    note: String,
    error: Option<String>,
) -> ReportFormView {
    let (what, back) = target.described();
    ReportFormView {
        layout,
        is_message: target.chat.is_some(),
        target,
        what,
        back,
        context: CONTEXT_MESSAGES,
        reasons: ["spam", "harassment", "illegal", "other"],
        reason,
        note,
        error,
    }
}

async fn show_form(
    State(state): State<AppState>,
    Query(target): Query<TargetFields>,
    CurrentUser(_): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    if target.reported().is_none() {
        return Err(AppError::NotFound);
    }
    let view = form_view(layout, target, String::new(), String::new(), None);
    Ok(state.templates.page(StatusCode::OK, "reports/new.html", &view)?)
}

/// The form: the target's fields again (flattening them would read numbers as text), the
/// reason and the note.
#[derive(Deserialize)]
struct ReportForm {
    post: Option<String>,
    comment: Option<i64>,
    user: Option<String>,
    chat: Option<Uuid>,
    seq: Option<i64>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
}

impl ReportForm {
    fn target(&self) -> TargetFields {
        TargetFields {
            post: self.post.clone(),
            comment: self.comment,
            user: self.user.clone(),
            chat: self.chat,
            seq: self.seq,
        }
    }
}

async fn file_report(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<ReportForm>,
) -> Result<Response, AppError> {
    let target = form.target();
    let reported = target.reported().ok_or(AppError::NotFound)?;
    match reports::file(&state, &user, reported, &form.reason, &form.note, &request_id).await {
        Ok(_) => {
            flash.success("Thank you. Staff will look at your report.");
            Ok(Redirect::to(&target.described().1).into_response())
        }
        Err(ModerationError::Invalid(errors)) => {
            let view = form_view(
                layout,
                target.clone(),
                form.reason,
                form.note,
                Some(errors.sentences()),
            );
            Ok(state
                .templates
                .page(StatusCode::UNPROCESSABLE_ENTITY, "reports/new.html", &view)?)
        }
        Err(other) => Err(other.into()),
    }
}
