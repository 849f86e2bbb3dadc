//! `/api/users` and `/api/user`: signing up, logging in for a token, the current user and
//! changes to it (RealWorld).
//!
//! Each door is in a module of its own (`register`, `login`, `account`, and `links` for what
//! mailed links do); those that answer with the account give a fresh token, made here.

mod account;
mod links;
mod login;
mod register;

use projections::users::UserRow;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::services::crypto::Keys;
use crate::services::tokens;
use crate::state::AppState;
use crate::web::request::SiteUrl;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register::register))
        .routes(routes!(login::log_in))
        .routes(routes!(
            account::current_user,
            account::update_user,
            account::delete_account
        ))
        .routes(routes!(account::end_sessions))
        .routes(routes!(links::forgot_password))
        .routes(routes!(links::reset_password))
        .routes(routes!(links::confirm_email))
        .routes(routes!(links::confirm_email_change))
        .routes(routes!(links::report_email_change))
        .routes(routes!(links::resend_confirmation))
        .routes(routes!(links::cancel_email_change))
        .routes(routes!(links::set_notifications))
}

/// The signed-in user, with a token for the `Authorization` header.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    #[schema(example = "jake@jake.jake")]
    email: String,
    /// Send as `Authorization: Token <token>` (or `Bearer`). Bound to the account, not to its
    /// username, email or password: it survives changes to them.
    token: String,
    #[schema(example = "jake")]
    username: String,
    bio: Option<String>,
    image: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    user: User,
}

fn user_response(keys: &Keys, user: &UserRow, site: &SiteUrl) -> UserResponse {
    UserResponse {
        user: User {
            email: user.email.clone(),
            token: tokens::issue(
                keys,
                tokens::Bearer {
                    user: user.id,
                    credentials_version: user.credentials_version,
                },
                chrono::Utc::now(),
            ),
            username: user.username.clone(),
            bio: user.bio.clone(),
            image: site.absolute_opt(user.image.as_ref()),
        },
    }
}
