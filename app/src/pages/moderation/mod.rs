//! Moderation pages: the queue of reports and each report in context, hiding posts and
//! comments, an account's standing, and the public moderation log. Every staff route answers 404
//! to anyone else (see `web::auth::Staff`).

mod accounts;
mod content;
mod log;
mod queue;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(accounts::router())
        .merge(content::router())
        .merge(log::router())
        .merge(queue::router())
}
