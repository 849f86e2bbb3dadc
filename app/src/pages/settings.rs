//! The signed-in user's own account: profile, password, devices, and deleting it.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::media::{self, ImageKind, UPLOAD_BODY_LIMIT};
use crate::services::limits::with_retry_after;
use crate::state::AppState;
use crate::usecases::accounts::{self, AccountError, Changes, PasswordPolicy, Rules};
use crate::usecases::takeout;
use crate::web::auth::CurrentUser;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::multipart::UploadForm;
use crate::web::request::{Caller, RequestId};
use crate::web::session;
use crate::web::views::Date;
use projections::users::UserRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/settings",
            get(show_settings)
                .post(update_settings)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/settings/password", get(show_password).post(change_password))
        .route("/settings/sessions/end", post(sign_out_everywhere))
        .route("/settings/delete", get(show_delete).post(delete_account))
}

#[derive(Debug, Default, Serialize)]
struct SettingsForm {
    display_name: String,
    bio: String,
    email: String,
    /// The current picture, shown beside the file input.
    image: Option<String>,
    /// A new picture already stored while the rest of the form still had errors.
    pending_image: String,
}

#[derive(Serialize)]
struct SettingsView {
    layout: Layout,
    form: SettingsForm,
    errors: FormErrors,
    account: AccountStatus,
    /// The newest archive of the person's data, being built or ready.
    export: Option<ExportView>,
}

/// An archive of the person's data as the page shows it.
#[derive(Clone, Serialize)]
struct ExportView {
    id: uuid::Uuid,
    ready: Option<Date>,
    until: Option<Date>,
    kilobytes: i64,
}

impl From<takeout::Export> for ExportView {
    fn from(export: takeout::Export) -> Self {
        Self {
            id: export.id,
            ready: export.ready_at.map(Date::from),
            until: export.expires_at.map(Date::from),
            kilobytes: (export.size.unwrap_or_default() + 1023) / 1024,
        }
    }
}

/// Where the account's address stands, and what is mailed to it.
#[derive(Serialize)]
struct AccountStatus {
    email: String,
    email_confirmed: bool,
    pending_email: Option<String>,
    chat_email: bool,
}

impl From<&UserRow> for AccountStatus {
    fn from(user: &UserRow) -> Self {
        Self {
            email: user.email.clone(),
            email_confirmed: user.email_confirmed,
            pending_email: user.pending_email.clone(),
            chat_email: user.chat_email,
        }
    }
}

async fn show_settings(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let account = AccountStatus::from(&user);
    let form = SettingsForm {
        display_name: user.display_name.unwrap_or_default(),
        bio: user.bio.unwrap_or_default(),
        email: user.email,
        image: user.image,
        pending_image: String::new(),
    };
    let view = SettingsView {
        layout,
        form,
        errors: FormErrors::default(),
        account,
        export: takeout::latest(&state.db, user.id).await?.map(ExportView::from),
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "accounts/settings.html", &view)?)
}

async fn update_settings(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    Caller { request_id, ip }: Caller,
    layout: Layout,
    mut upload: UploadForm,
) -> Result<Response, AppError> {
    let mut form = SettingsForm {
        display_name: upload.text("display_name").to_owned(),
        bio: upload.text("bio").to_owned(),
        email: upload.text("email").to_owned(),
        image: user.image.clone(),
        pending_image: upload.text("pending_image").to_owned(),
    };
    let mut errors = FormErrors::default();
    // A new picture is checked, cropped and stored first; the account then points at it.
    let mut deferral = None;
    let image = match upload.take_file("avatar") {
        Some(read) => match media::accept_upload(&state, user.id, ip, read, ImageKind::Avatar).await {
            Ok(accepted) => Some(accepted.url),
            Err(err) if err.is_internal() => return Err(err.into()),
            Err(err) => {
                deferral = err.deferral();
                errors.add("avatar", err.to_string());
                None
            }
        },
        None if !upload.text("remove_avatar").is_empty() => Some(String::new()),
        None if !form.pending_image.is_empty() => Some(form.pending_image.clone()),
        None => None,
    };
    let export = takeout::latest(&state.db, user.id).await?.map(ExportView::from);
    let invalid = |form: SettingsForm, errors: FormErrors, layout: Layout| {
        let view = SettingsView {
            layout,
            form,
            errors,
            account: AccountStatus::from(&user),
            export: export.clone(),
        };
        state
            .templates
            .page(StatusCode::UNPROCESSABLE_ENTITY, "accounts/settings.html", &view)
            .map_err(AppError::from)
    };
    if !errors.is_empty() {
        return Ok(media::deferred(invalid(form, errors, layout)?, deferral));
    }
    let changes = Changes {
        display_name: Some(&form.display_name),
        bio: Some(&form.bio),
        email: Some(&form.email),
        image: image.as_deref(),
        current_password: Some(upload.text("current_password")),
        ..Changes::default()
    };
    // A new address needs the password (checked and limited like a login) and the link
    // mailed to it.
    let rules = Rules {
        policy: PasswordPolicy::Site,
        reauthenticate: Some(state.password_guard(ip)),
        email_by_link: true,
    };
    match accounts::change(
        &state.commands,
        &state.pools.passwords,
        &user,
        changes,
        rules,
        &request_id,
    )
    .await
    {
        Ok(updated) => {
            match &updated.pending_email {
                Some(pending) if user.pending_email.as_ref() != Some(pending) => flash.success(format!(
                    "Your profile has been saved. To use {pending}, follow the link we mailed to it; until then your address stays {}.",
                    updated.email
                )),
                _ => flash.success("Your profile has been saved."),
            }
            Ok(Redirect::to(&format!("/@{}", updated.username)).into_response())
        }
        Err(err) => {
            let errors = err.into_form_errors()?;
            if let Some(new) = image.filter(|i| !i.is_empty()) {
                form.image = Some(new.clone());
                form.pending_image = new;
            }
            invalid(form, errors, layout)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

#[derive(Serialize)]
struct PasswordView {
    layout: Layout,
    errors: FormErrors,
}

async fn show_password(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let view = PasswordView {
        layout,
        errors: FormErrors::default(),
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "accounts/password.html", &view)?)
}

/// Changes the password and keeps this session signed in; every other session of the user
/// ends at its next request (its credentials version no longer matches).
async fn change_password(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    flash: Flash,
    Caller { request_id, ip }: Caller,
    layout: Layout,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let changes = Changes {
        password: Some(&form.new_password),
        current_password: Some(&form.current_password),
        ..Changes::default()
    };
    let rules = Rules {
        policy: PasswordPolicy::Site,
        reauthenticate: Some(state.password_guard(ip)),
        email_by_link: true,
    };
    let outcome = accounts::change(
        &state.commands,
        &state.pools.passwords,
        &user,
        changes,
        rules,
        &request_id,
    )
    .await;
    let (errors, wait) = match outcome {
        Ok(updated) => {
            session::remember(&session, updated.id, updated.credentials_version).await?;
            state.end_sockets(updated.id, None).await;
            flash.success("Your password has been changed. Other devices have been signed out.");
            return Ok(Redirect::to("/settings").into_response());
        }
        // The domain reports the new password under `password`; the form calls it `new_password`.
        Err(AccountError::Throttled(wait)) => {
            let mut errors = FormErrors::default();
            let message = format!("Too many wrong passwords. Try again in {}.", wait.in_words());
            errors.add("current_password", message);
            (errors, Some(wait))
        }
        Err(err) => (err.into_form_errors()?.renamed("password", "new_password"), None),
    };
    let status = match wait {
        Some(_) => StatusCode::TOO_MANY_REQUESTS,
        None => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let page = state
        .templates
        .page(status, "accounts/password.html", &PasswordView { layout, errors })?;
    Ok(with_retry_after(page, wait))
}

/// "Log out everywhere else": every other session and token ends; this browser stays signed in.
async fn sign_out_everywhere(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let updated = accounts::sign_out_everywhere(&state.commands, &user, &request_id).await?;
    session::remember(&session, updated.id, updated.credentials_version).await?;
    state.end_sockets(updated.id, None).await;
    flash.success("You have been logged out everywhere else.");
    Ok(Redirect::to("/settings").into_response())
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    password: String,
}

#[derive(Serialize)]
struct DeleteView {
    layout: Layout,
    errors: FormErrors,
}

/// What deleting the account does, and the form that does it.
async fn show_delete(
    State(state): State<AppState>,
    CurrentUser(_): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let view = DeleteView {
        layout,
        errors: FormErrors::default(),
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "accounts/delete.html", &view)?)
}

/// Deletes the account once the password is confirmed, logs this browser out and says so.
async fn delete_account(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    session: Session,
    flash: Flash,
    Caller { request_id, ip }: Caller,
    layout: Layout,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<Response, AppError> {
    let outcome = accounts::delete_account(
        &state,
        state.password_guard(ip),
        &user,
        &form.password,
        &request_id,
    )
    .await;
    let (errors, wait) = match outcome {
        Ok(()) => {
            session::log_out(&session).await?;
            flash.success("Your account has been deleted, and your data erased. Goodbye.");
            return Ok(Redirect::to("/").into_response());
        }
        Err(AccountError::Throttled(wait)) => {
            let mut errors = FormErrors::default();
            errors.add(
                "password",
                format!("Too many wrong passwords. Try again in {}.", wait.in_words()),
            );
            (errors, Some(wait))
        }
        Err(err) => (err.into_form_errors()?, None),
    };
    let status = match wait {
        Some(_) => StatusCode::TOO_MANY_REQUESTS,
        None => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let page = state
        .templates
        .page(status, "accounts/delete.html", &DeleteView { layout, errors })?;
    Ok(with_retry_after(page, wait))
}
