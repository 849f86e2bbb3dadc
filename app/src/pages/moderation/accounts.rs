//! An account's standing and what staff do to it: suspend, lift, the staff role.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use projections::users::{self, UserRow};
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::usecases::moderation::{self as usecase, ModerationError, Suspension};
use crate::web::auth::Staff;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::RequestId;
use crate::web::views::Date;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{handle}/moderate", get(show_account))
        .route("/{handle}/suspend", post(suspend))
        .route("/{handle}/lift-suspension", post(lift))
        .route("/{handle}/staff", post(set_staff))
}

fn username(handle: &str) -> Result<&str, AppError> {
    handle.strip_prefix('@').ok_or(AppError::NotFound)
}

#[derive(Serialize)]
struct AccountView {
    layout: Layout,
    username: String,
    name: String,
    profile_url: String,
    is_staff: bool,
    is_self: bool,
    suspension: Option<SuspensionView>,
    error: Option<String>,
}

#[derive(Serialize)]
struct SuspensionView {
    reason: String,
    until: Option<Date>,
}

fn account_view(layout: Layout, account: &UserRow, staff: &UserRow, error: Option<String>) -> AccountView {
    AccountView {
        layout,
        username: account.username.clone(),
        name: account.shown_name().to_owned(),
        profile_url: format!("/@{}", account.username),
        is_staff: account.staff,
        is_self: account.id == staff.id,
        suspension: account.suspension_reason.clone().map(|reason| SuspensionView {
            reason,
            until: account.suspended_until.map(Date::from),
        }),
        error,
    }
}

async fn show_account(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    Staff(staff): Staff,
    layout: Layout,
) -> Result<Response, AppError> {
    let account = users::by_username(&state.db, username(&handle)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let view = account_view(layout, &account, &staff, None);
    Ok(state
        .templates
        .page(StatusCode::OK, "moderation/account.html", &view)?)
}

/// After an action: back to the account's page, or the page again with what was wrong.
async fn answer(
    state: &AppState,
    handle: &str,
    staff: &UserRow,
    layout: Layout,
    flash: &Flash,
    done: Result<UserRow, ModerationError>,
    success: impl FnOnce(&UserRow) -> String,
) -> Result<Response, AppError> {
    match done {
        Ok(account) => {
            flash.success(success(&account));
            Ok(Redirect::to(&format!("/@{}/moderate", account.username)).into_response())
        }
        Err(ModerationError::Invalid(errors)) => {
            let account = users::by_username(&state.db, username(handle)?)
                .await?
                .ok_or(AppError::NotFound)?;
            let view = account_view(layout, &account, staff, Some(errors.sentences()));
            Ok(state
                .templates
                .page(StatusCode::UNPROCESSABLE_ENTITY, "moderation/account.html", &view)?)
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct SuspendForm {
    #[serde(default)]
    reason: String,
    /// A number of days, or `forever`.
    #[serde(default)]
    duration: String,
    #[serde(default)]
    hide_posts: Option<String>,
}

async fn suspend(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    Staff(staff): Staff,
    layout: Layout,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<SuspendForm>,
) -> Result<Response, AppError> {
    let days = match form.duration.as_str() {
        "forever" => None,
        other => Some(other.parse::<u32>().unwrap_or(0)),
    };
    let suspension = Suspension {
        reason: &form.reason,
        days,
        hide_posts: form.hide_posts.is_some(),
    };
    let done = usecase::suspend(&state, &staff, username(&handle)?, suspension, &request_id).await;
    answer(&state, &handle, &staff, layout, &flash, done, |a| {
        format!("{} is suspended; their sessions have ended.", a.username)
    })
    .await
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
}

async fn lift(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    Staff(staff): Staff,
    layout: Layout,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<ReasonForm>,
) -> Result<Response, AppError> {
    let done = usecase::lift_suspension(&state, &staff, username(&handle)?, &form.reason, &request_id).await;
    answer(&state, &handle, &staff, layout, &flash, done, |a| {
        format!("{}'s suspension is lifted.", a.username)
    })
    .await
}

#[derive(Deserialize)]
struct StaffForm {
    #[serde(default)]
    reason: String,
    /// `yes` to make staff, anything else to remove the role.
    #[serde(default)]
    staff: String,
}

async fn set_staff(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    Staff(staff): Staff,
    layout: Layout,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(form): CsrfForm<StaffForm>,
) -> Result<Response, AppError> {
    let make = form.staff == "yes";
    let done = usecase::set_staff(
        &state,
        &staff,
        username(&handle)?,
        make,
        &form.reason,
        &request_id,
    )
    .await;
    answer(&state, &handle, &staff, layout, &flash, done, |a| {
        if a.staff {
            format!("{} is staff now.", a.username)
        } else {
            format!("{} is no longer staff.", a.username)
        }
    })
    .await
}
