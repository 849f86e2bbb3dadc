//! Telling a dependency that is down or too slow from a bug: the first is a 503 with
//! `Retry-After` (the load balancer and the client try again), the second an opaque 500.

use std::error::Error;

use crate::error::ErrorPage;

/// Seconds a client is asked to wait while the database is away.
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// Whether `err`, or anything that caused it, is the database being unreachable, out of
/// connections, or slower than the statement timeout.
pub fn unavailable(err: &anyhow::Error) -> bool {
    err.chain().any(database_unavailable)
}

fn database_unavailable(cause: &(dyn Error + 'static)) -> bool {
    cause
        .downcast_ref::<sqlx::Error>()
        .is_some_and(projections::db::is_unavailable)
}

/// The page (or, through the API, the JSON) a request gets while the database is away.
pub fn page() -> ErrorPage {
    ErrorPage {
        status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
        title: "Temporarily unavailable",
        message: "The site can't reach its database right now. Nothing you already saved is lost; please try again in a few seconds."
            .to_owned(),
        retry_after: Some(RETRY_AFTER_SECONDS),
    }
}
