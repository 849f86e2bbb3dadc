//! The typed browser session: who is signed in, kept in Postgres so every instance shares it.

use chrono::Utc;
use projections::users::UserRow;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

/// The session's cookie.
pub const COOKIE: &str = "bocha_session";

/// Where a session keeps who is signed in.
pub const KEY: &str = "signed_in";

/// What a signed-in session remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedIn {
    pub user_id: Uuid,
    /// The user's credentials version at login; a password change moves it on, which ends
    /// every other session.
    pub credentials_version: i32,
    /// The day the session's expiry was last pushed back.
    refreshed_on: i64,
}

/// Days since the epoch, UTC: sessions are pushed back at most once in each.
pub fn today() -> i64 {
    Utc::now().timestamp() / 86_400
}

pub async fn signed_in(session: &Session) -> Result<Option<SignedIn>, tower_sessions::session::Error> {
    session.get::<SignedIn>(KEY).await
}

/// Starts a signed-in session under a new id, so an id planted before login is worthless.
pub async fn log_in(session: &Session, user: &UserRow) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    remember(session, user.id, user.credentials_version).await
}

/// Records new credentials for this session after a password change (the others lapse).
pub async fn remember(
    session: &Session,
    user_id: Uuid,
    credentials_version: i32,
) -> Result<(), tower_sessions::session::Error> {
    session
        .insert(
            KEY,
            SignedIn {
                user_id,
                credentials_version,
                refreshed_on: today(),
            },
        )
        .await
}

pub async fn log_out(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.flush().await
}

/// Keeps an active session alive for another two weeks, writing at most once a day.
pub async fn refresh(session: &Session, signed_in: &SignedIn) -> Result<(), tower_sessions::session::Error> {
    if signed_in.refreshed_on != today() {
        remember(session, signed_in.user_id, signed_in.credentials_version).await?;
    }
    Ok(())
}
