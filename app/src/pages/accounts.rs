//! Signing up, logging in and out.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::services::limits::with_retry_after;
use crate::state::AppState;
use crate::usecases::accounts::{self, LoginError, PasswordPolicy, SignUp};
use crate::web::auth::MaybeUser;
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::forms::FormErrors;
use crate::web::layout::Layout;
use crate::web::request::{Caller, ClientIp};
use crate::web::session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/signup", get(show_signup).post(sign_up))
        .route("/login", get(show_login).post(log_in))
        .route("/logout", post(log_out))
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct SignUpForm {
    username: String,
    email: String,
    #[serde(skip_serializing)]
    password: String,
}

#[derive(Serialize)]
struct SignUpView {
    layout: Layout,
    form: SignUpForm,
    errors: FormErrors,
}

async fn show_signup(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    layout: Layout,
) -> Result<Response, AppError> {
    if user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let view = SignUpView {
        layout,
        form: SignUpForm::default(),
        errors: FormErrors::default(),
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "accounts/signup.html", &view)?)
}

async fn sign_up(
    State(state): State<AppState>,
    session: Session,
    flash: Flash,
    Caller { request_id, ip }: Caller,
    layout: Layout,
    CsrfForm(form): CsrfForm<SignUpForm>,
) -> Result<Response, AppError> {
    state
        .limits
        .hit(state.limits.signups, &ip.to_string())
        .await
        .map_err(|wait| {
            AppError::throttled(
                format!(
                    "Too many new accounts were made from your network. Try again in {}.",
                    wait.in_words()
                ),
                wait,
            )
        })?;
    let input = SignUp {
        username: &form.username,
        email: &form.email,
        password: &form.password,
        staff: false,
        email_confirmed: false,
    };
    match accounts::sign_up(
        &state.commands,
        &state.pools.passwords,
        input,
        PasswordPolicy::Site,
        &request_id,
    )
    .await
    {
        Ok(user) => {
            session::log_in(&session, &user).await?;
            flash.success(format!("Welcome to Bocha, {}!", user.username));
            Ok(Redirect::to(&format!("/@{}", user.username)).into_response())
        }
        Err(err) => {
            let errors = err.into_form_errors()?;
            let view = SignUpView { layout, form, errors };
            Ok(state
                .templates
                .page(StatusCode::UNPROCESSABLE_ENTITY, "accounts/signup.html", &view)?)
        }
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
struct LoginForm {
    login: String,
    #[serde(skip_serializing)]
    password: String,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Serialize)]
struct LoginView {
    layout: Layout,
    form: LoginForm,
    next: String,
    errors: FormErrors,
}

async fn show_login(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(query): Query<NextQuery>,
    layout: Layout,
) -> Result<Response, AppError> {
    let next = safe_next(query.next.as_deref());
    if user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let view = LoginView {
        layout,
        form: LoginForm::default(),
        next,
        errors: FormErrors::default(),
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "accounts/login.html", &view)?)
}

async fn log_in(
    State(state): State<AppState>,
    session: Session,
    flash: Flash,
    ClientIp(ip): ClientIp,
    layout: Layout,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, AppError> {
    let (status, message, wait) =
        match accounts::log_in(&state.db, state.password_guard(ip), &form.login, &form.password).await {
            Ok(user) => {
                session::log_in(&session, &user).await?;
                flash.success(format!("Welcome back, {}!", user.shown_name()));
                return Ok(Redirect::to(&safe_next(Some(&form.next))).into_response());
            }
            Err(LoginError::Throttled(wait)) => (
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many failed attempts. Try again in {}.", wait.in_words()),
                Some(wait),
            ),
            Err(LoginError::Mismatch) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "That username or email and password don't match an account.".to_owned(),
                None,
            ),
            Err(err @ LoginError::Suspended { .. }) => (StatusCode::FORBIDDEN, err.to_string(), None),
            Err(LoginError::Busy(busy)) => return Err(busy.into()),
            Err(LoginError::Internal(err)) => return Err(AppError::Internal(err)),
        };
    let mut errors = FormErrors::default();
    errors.add(FormErrors::FORM, message);
    let view = LoginView {
        layout,
        next: form.next.clone(),
        form,
        errors,
    };
    let page = state.templates.page(status, "accounts/login.html", &view)?;
    Ok(with_retry_after(page, wait))
}

async fn log_out(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    session: Session,
    flash: Flash,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let ended = session.id();
    session::log_out(&session).await?;
    // This browser's open chat tabs stop too, on whichever instance they are.
    if let (Some(user), Some(ended)) = (user, ended) {
        state.end_sockets(user.id, Some(ended)).await;
    }
    flash.info("You have logged out.");
    Ok(Redirect::to("/").into_response())
}

/// Where to go after logging in: `next` if it is a path on this site, else the home page.
///
/// Browsers drop tabs and line breaks from a URL and read `\` as `/`, so `/\t/evil.example`
/// reaches `//evil.example`, another site; and a line break cannot go in a `Location` header.
/// So only printable ASCII without a backslash is followed, starting with one `/` (never `//`),
/// and it must parse as a path.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if is_local_path(path) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.chars().all(|c| c.is_ascii_graphic() && c != '\\')
        && path.parse::<axum::http::uri::PathAndQuery>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        for kept in ["/", "/posts/tea-2", "/chat?room=1#end", "/tags/caf%C3%A9"] {
            assert_eq!(safe_next(Some(kept)), kept);
        }
        for refused in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/\u{b}/evil.example",
            "/ /evil.example",
            "https://evil.example",
            "evil.example",
            "/café",
            "",
        ] {
            assert_eq!(safe_next(Some(refused)), "/", "{refused:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
