//! The HTML pages, one module per area.

use axum::Router;

use crate::state::AppState;

pub use feeds::SITEMAP_FRESH;

mod accounts;
mod audit;
mod blocks;
mod chat;
mod comments;
mod confirmation;
mod feeds;
mod health;
mod history;
mod home;
mod moderation;
mod newsletter;
mod posts;
mod profiles;
mod recovery;
mod reports;
mod settings;
mod takeout;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(posts::router())
        .merge(comments::router())
        .merge(chat::router())
        .merge(history::router())
        .merge(audit::router())
        .merge(feeds::router())
        .merge(accounts::router())
        .merge(recovery::router())
        .merge(confirmation::router())
        .merge(newsletter::router())
        .merge(takeout::router())
        .merge(settings::router())
        .merge(blocks::router())
        .merge(moderation::router())
        .merge(reports::router())
        .merge(profiles::router())
        .merge(health::router())
}
