//! What every page's frame needs (nav, flash messages, CSRF token), as one extractor.

use axum::extract::{FromRef, FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use serde::Serialize;

use crate::state::AppState;
use crate::web::auth::MaybeUser;
use crate::web::csrf::CsrfToken;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page_cache::StandInToken;
use crate::web::request::SiteUrl;

#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    pub user: Option<NavUser>,
    pub csrf_token: String,
    pub flash: Vec<flash::Message>,
    /// Unread messages and unanswered chat requests, for the nav badge and the page title.
    pub unread_chats: i64,
    pub path: String,
    /// The site's own address (no trailing slash), for canonical and shared links.
    pub site_url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NavUser {
    pub username: String,
    pub display_name: String,
    pub is_staff: bool,
    /// Until it is, every page offers to send the confirmation link again.
    pub email_confirmed: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Layout
where
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state).await?;
        // A page made to be kept for every signed-out visitor carries a stand-in, which each
        // answer replaces with the visitor's own token (see `page_cache`).
        let csrf_token = match parts.extensions.get::<StandInToken>() {
            Some(StandInToken(stand_in)) => stand_in.clone(),
            None => CsrfToken::from_request_parts(parts, state).await?.0,
        };
        let flash = Flash::from_request_parts(parts, state).await?.take();
        let unread_chats = match &user {
            Some(user) => projections::chat::rooms::waiting(&AppState::from_ref(state).db, user.id)
                .await?
                .total(),
            None => 0,
        };
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path(), |uri| uri.0.path())
            .to_owned();
        let Ok(SiteUrl(site_url)) = SiteUrl::from_request_parts(parts, state).await;
        Ok(Self {
            user: user.map(|user| NavUser {
                display_name: user.shown_name().to_owned(),
                username: user.username,
                is_staff: user.staff,
                email_confirmed: user.email_confirmed,
            }),
            csrf_token,
            flash,
            unread_chats,
            path,
            site_url,
        })
    }
}

impl Layout {
    /// The frame for a signed-out visitor, for pages that must render even when the session
    /// store cannot be read (the 500 page).
    pub fn anonymous(path: &str) -> Self {
        Self {
            user: None,
            csrf_token: String::new(),
            flash: Vec::new(),
            unread_chats: 0,
            path: path.to_owned(),
            site_url: String::new(),
        }
    }
}
