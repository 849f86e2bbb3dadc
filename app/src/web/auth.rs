//! Who is making the request, as extractors: `MaybeUser` for pages anyone may see,
//! `CurrentUser` for pages that need a signed-in user (others are sent to log in).

use axum::extract::{FromRef, FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use projections::users::{self, UserRow};
use tower_sessions::Session;
use uuid::Uuid;

use crate::services::tokens;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::session;

/// The signed-in user, if any. Resolved once per request and cached in its extensions.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<UserRow>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeUser
where
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(cached) = parts.extensions.get::<MaybeUser>() {
            return Ok(cached.clone());
        }
        let user = match parts.extensions.get::<Session>().cloned() {
            Some(session) => resolve(&session, &AppState::from_ref(state)).await?,
            None => None,
        };
        let user = MaybeUser(user);
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// Looks up the session's user; a session whose credentials have changed since it began (a
/// password change elsewhere), whose user is gone or suspended, is ended here.
async fn resolve(session: &Session, state: &AppState) -> Result<Option<UserRow>, AppError> {
    let Some(signed_in) = session::signed_in(session).await? else {
        return Ok(None);
    };
    match users::by_id(&state.db, signed_in.user_id).await? {
        Some(user) if user.credentials_version == signed_in.credentials_version && !user.suspended() => {
            session::refresh(session, &signed_in).await?;
            state.presence.seen(user.id);
            Ok(Some(user))
        }
        _ => {
            session::log_out(session).await?;
            Ok(None)
        }
    }
}

/// The user an API token (the value of an `Authorization` header) names, if the token is
/// genuine, unexpired and still current: a password change or "log out everywhere" ends every
/// token issued before it (unless `REALWORLD_COMPAT` keeps them, as that suite expects).
pub async fn token_user(state: &AppState, header: &str) -> Result<Option<UserRow>, sqlx::Error> {
    let Some(bearer) =
        tokens::from_header(header).and_then(|t| tokens::verify(&state.keys, t, chrono::Utc::now()))
    else {
        return Ok(None);
    };
    let user = users::by_id(&state.db, bearer.user)
        .await?
        .filter(|u| state.config.realworld_compat || u.credentials_version == bearer.credentials_version)
        .filter(|u| !u.suspended());
    if let Some(user) = &user {
        state.presence.seen(user.id);
    }
    Ok(user)
}

/// What a long-lived connection (a socket) was opened with, so it can check before acting that
/// it still stands: the account's credentials have not moved on, and the browser session has not
/// ended.
#[derive(Debug, Clone)]
pub struct Credential {
    pub user: Uuid,
    pub credentials_version: i32,
    /// The browser session, or `None` for an API token.
    pub session: Option<tower_sessions::session::Id>,
}

impl Credential {
    /// Whether the credential still holds.
    pub async fn holds(&self, state: &AppState) -> Result<bool, AppError> {
        use tower_sessions::SessionStore;
        let Some(user) = users::by_id(&state.db, self.user).await? else {
            return Ok(false);
        };
        // A socket that acts or is checked on is its person being here.
        state.presence.seen(user.id);
        let token_kept = self.session.is_none() && state.config.realworld_compat;
        if (user.credentials_version != self.credentials_version && !token_kept) || user.suspended() {
            return Ok(false);
        }
        let Some(id) = &self.session else {
            return Ok(true);
        };
        let store = tower_sessions_sqlx_store::PostgresStore::new(state.db.clone());
        let record = store.load(id).await.map_err(AppError::internal)?;
        Ok(record.is_some_and(|record| record.data.contains_key(session::KEY)))
    }
}

/// A signed-in user; anonymous requests are redirected to the login page and come back after.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub UserRow);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser
where
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match MaybeUser::from_request_parts(parts, state).await? {
            MaybeUser(Some(user)) => Ok(CurrentUser(user)),
            MaybeUser(None) => {
                let uri = parts.extensions.get::<OriginalUri>().map_or(&parts.uri, |o| &o.0);
                // After logging in, a GET comes back to where it was; a form post goes back to
                // the page, not to the endpoint that received it.
                let next = if parts.method == axum::http::Method::GET {
                    uri.path_and_query().map_or("/", |pq| pq.as_str()).to_owned()
                } else {
                    "/".to_owned()
                };
                Err(AppError::LoginRequired { next })
            }
        }
    }
}

/// A signed-in member of staff. Anyone else gets the same 404 as for a page that does not
/// exist: staff pages are not advertised.
#[derive(Debug, Clone)]
pub struct Staff(pub UserRow);

impl<S: Send + Sync> FromRequestParts<S> for Staff
where
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if !domain::permissions::may_read_the_log(user.actor()) {
            return Err(AppError::NotFound);
        }
        Ok(Staff(user))
    }
}
