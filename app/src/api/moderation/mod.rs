//! `/api/reports` and `/api/moderation`: reporting, and what staff do about it (staff routes
//! answer 404 to anyone else), with the public moderation log.

mod accounts;
mod content;
mod log;
mod reports;

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::router())
        .merge(content::router())
        .merge(log::router())
        .merge(reports::router())
}
