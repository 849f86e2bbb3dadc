//! One-time messages shown on the next page ("Welcome back", "Profile saved"), carried in a
//! signed cookie so that anonymous visitors need no session.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use tower_cookies::{Cookie, Cookies};

use crate::state::AppState;
use crate::web::error::AppError;

pub const COOKIE: &str = "bocha_flash";

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Success,
    Info,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub level: Level,
    pub message: String,
}

/// Adds messages for the next page, and takes the ones left by the previous request.
pub struct Flash {
    cookies: Cookies,
    key: tower_cookies::Key,
    secure: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Flash
where
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let cookies = Cookies::from_request_parts(parts, state)
            .await
            .map_err(|(_, msg)| AppError::internal(anyhow::anyhow!("cookies unavailable: {msg}")))?;
        let state = AppState::from_ref(state);
        Ok(Self {
            cookies,
            key: state.keys.cookies().clone(),
            secure: state.config.is_production(),
        })
    }
}

impl Flash {
    pub fn success(&self, message: impl Into<String>) {
        self.push(Level::Success, message.into());
    }

    pub fn info(&self, message: impl Into<String>) {
        self.push(Level::Info, message.into());
    }

    pub fn error(&self, message: impl Into<String>) {
        self.push(Level::Error, message.into());
    }

    fn push(&self, level: Level, message: String) {
        let mut messages = self.pending();
        messages.push(Message { level, message });
        let Ok(json) = serde_json::to_vec(&messages) else {
            return;
        };
        // Base64, because a cookie's value ends at the first `;` a message may hold.
        let mut cookie = Cookie::new(COOKIE, URL_SAFE_NO_PAD.encode(json));
        cookie.set_http_only(true);
        cookie.set_secure(self.secure);
        cookie.set_same_site(tower_cookies::cookie::SameSite::Lax);
        cookie.set_path("/");
        self.cookies.signed(&self.key).add(cookie);
    }

    fn pending(&self) -> Vec<Message> {
        self.cookies
            .signed(&self.key)
            .get(COOKIE)
            .and_then(|cookie| URL_SAFE_NO_PAD.decode(cookie.value()).ok())
            .and_then(|json| serde_json::from_slice(&json).ok())
            .unwrap_or_default()
    }

    /// The messages waiting to be shown; they are gone after this response.
    pub fn take(&self) -> Vec<Message> {
        let messages = self.pending();
        if !messages.is_empty() {
            let mut removal = Cookie::from(COOKIE);
            removal.set_path("/");
            self.cookies.remove(removal);
        }
        messages
    }
}
