//! The signed-in user's own account: profile and password.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::accounts::{self, AccountError, Changes, PasswordPolicy};
use crate::auth::CurrentUser;
use crate::csrf::CsrfForm;
use crate::error::AppError;
use crate::flash::Flash;
use crate::forms::FormErrors;
use crate::layout::Layout;
use crate::media::{ImageKind, UPLOAD_BODY_LIMIT, process_upload};
use crate::request::RequestId;
use crate::session;
use crate::state::AppState;
use crate::uploads::UploadForm;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/settings",
            get(show_settings)
                .post(update_settings)
                .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
        )
        .route("/settings/password", get(show_password).post(change_password))
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
}

async fn show_settings(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
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
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "accounts/settings.html", &view)?)
}

async fn update_settings(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
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
    let image = match upload.take_file("avatar") {
        Some(Ok(bytes)) => match process_upload(bytes, ImageKind::Avatar).await {
            Ok(image) => Some(state.media.url(&state.media.save(&image).await?)),
            Err(err) if err.is_internal() => return Err(err.into()),
            Err(err) => {
                errors.add("avatar", err.to_string());
                None
            }
        },
        Some(Err(err)) => {
            errors.add("avatar", err.to_string());
            None
        }
        None if !upload.text("remove_avatar").is_empty() => Some(String::new()),
        None if !form.pending_image.is_empty() => Some(form.pending_image.clone()),
        None => None,
    };
    let invalid = |form: SettingsForm, errors: FormErrors, layout: Layout| {
        let view = SettingsView { layout, form, errors };
        state
            .templates
            .page(StatusCode::UNPROCESSABLE_ENTITY, "accounts/settings.html", &view)
            .map_err(AppError::from)
    };
    if !errors.is_empty() {
        return invalid(form, errors, layout);
    }
    let changes = Changes {
        display_name: Some(&form.display_name),
        bio: Some(&form.bio),
        email: Some(&form.email),
        image: image.as_deref(),
        ..Changes::default()
    };
    match accounts::change(&state.commands, &user, changes, PasswordPolicy::Site, &request_id).await {
        Ok(user) => {
            flash.success("Your profile has been saved.");
            Ok(Redirect::to(&format!("/@{}", user.username)).into_response())
        }
        Err(AccountError::Invalid(errors)) => {
            if let Some(new) = image.filter(|i| !i.is_empty()) {
                form.image = Some(new.clone());
                form.pending_image = new;
            }
            invalid(form, errors, layout)
        }
        Err(other) => Err(other.into()),
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
    RequestId(request_id): RequestId,
    layout: Layout,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, AppError> {
    let invalid = |errors: FormErrors, layout: Layout| {
        let view = PasswordView { layout, errors };
        state
            .templates
            .page(StatusCode::UNPROCESSABLE_ENTITY, "accounts/password.html", &view)
            .map_err(AppError::from)
    };
    if accounts::check_password(Some(user.clone()), &form.current_password)
        .await?
        .is_none()
    {
        let mut errors = FormErrors::default();
        errors.add("current_password", "This is not your current password");
        return invalid(errors, layout);
    }
    let changes = Changes {
        password: Some(&form.new_password),
        ..Changes::default()
    };
    match accounts::change(&state.commands, &user, changes, PasswordPolicy::Site, &request_id).await {
        Ok(updated) => {
            session::remember(&session, updated.id, updated.credentials_version)
                .await
                .map_err(AppError::internal)?;
            flash.success("Your password has been changed. Other devices have been signed out.");
            Ok(Redirect::to("/settings").into_response())
        }
        Err(AccountError::Invalid(errors)) => {
            // The domain reports the new password under `password`; the form calls it `new_password`.
            let mut renamed = FormErrors::default();
            for (field, messages) in errors.fields() {
                let field = if field == "password" {
                    "new_password"
                } else {
                    field
                };
                for message in messages {
                    renamed.add(field, message.clone());
                }
            }
            invalid(renamed, layout)
        }
        Err(other) => Err(other.into()),
    }
}
