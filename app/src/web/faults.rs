//! Telling a dependency that is down or too slow from a bug, and answering at once while it is.
//!
//! A database error of the unavailable kind (see `eventstore::db::is_unavailable`) is a 503 with
//! `Retry-After`, not a 500. That covers a stopped Postgres (the pool gives up after 2 s) and a
//! slow one (the statement timeout), but not a frozen one: a query on an open connection then
//! waits as long as the freeze. So a watcher probes Postgres on a connection of its own twice a
//! second, and while it does not answer, every page and API request is answered 503 at once, and
//! requests already waiting are answered as soon as it is noticed. The watcher keeps probing, so
//! the site comes back by itself the moment Postgres does.

use std::error::Error;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sqlx::{ConnectOptions, Connection, PgConnection};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;
use crate::web::error::ErrorPage;

/// Seconds a client is asked to wait while the database is away.
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// How often the watcher asks, and how long it waits for an answer.
const PROBE_EVERY: Duration = Duration::from_millis(500);
const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Whether `err`, or anything that caused it, is the database being unreachable, out of
/// connections, or slower than the statement timeout.
pub fn unavailable(err: &anyhow::Error) -> bool {
    err.chain().any(database_unavailable)
}

fn database_unavailable(cause: &(dyn Error + 'static)) -> bool {
    cause
        .downcast_ref::<sqlx::Error>()
        .is_some_and(eventstore::db::is_unavailable)
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

/// What the watcher last saw: `true` while Postgres does not answer.
#[derive(Clone)]
pub struct DatabaseWatch {
    down: watch::Receiver<bool>,
}

impl DatabaseWatch {
    /// Starts probing the database at `url` until `stop`.
    pub fn spawn(
        url: &str,
        stop: CancellationToken,
    ) -> Result<(Self, tokio::task::JoinHandle<()>), sqlx::Error> {
        let options = eventstore::db::options(url)?.disable_statement_logging();
        let (report, down) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut connection: Option<PgConnection> = None;
            loop {
                let answered = tokio::time::timeout(PROBE_TIMEOUT, async {
                    if connection.is_none() {
                        connection = Some(PgConnection::connect_with(&options).await?);
                    }
                    match &mut connection {
                        Some(conn) => conn.ping().await,
                        None => Ok(()),
                    }
                })
                .await;
                let up = matches!(answered, Ok(Ok(())));
                if !up {
                    // A connection that timed out may be stuck mid-reply: start afresh.
                    connection = None;
                }
                report.send_if_modified(|down| {
                    let changed = *down == up;
                    if changed {
                        match up {
                            true => tracing::info!("the database answers again"),
                            false => {
                                tracing::warn!("the database does not answer; requests get 503 until it does")
                            }
                        }
                    }
                    *down = !up;
                    changed
                });
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(PROBE_EVERY) => {}
                }
            }
        });
        Ok((Self { down }, task))
    }

    /// A watch that never reports the database down (for tools without a watcher).
    pub fn always_up() -> Self {
        let (_report, down) = watch::channel(false);
        Self { down }
    }

    pub fn is_down(&self) -> bool {
        *self.down.borrow()
    }

    /// Resolves when the database is noticed to be down (at once if it is).
    async fn goes_down(mut self) {
        if self.down.wait_for(|down| *down).await.is_err() {
            // The watcher stopped (shutdown): never resolve.
            std::future::pending::<()>().await;
        }
    }
}

/// Answers 503 at once while the database is away, and cuts short a request that is waiting
/// for it when it goes away.
pub async fn fail_fast(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let watch = state.database.clone();
    if watch.is_down() {
        return unavailable_response(&request);
    }
    let api = is_api(&request);
    tokio::select! {
        response = next.run(request) => response,
        () = watch.goes_down() => unavailable_for(api),
    }
}

fn is_api(request: &Request) -> bool {
    request.uri().path().starts_with("/api/")
}

fn unavailable_response(request: &Request) -> Response {
    unavailable_for(is_api(request))
}

fn unavailable_for(api: bool) -> Response {
    if api {
        crate::api::ApiError::Unavailable.into_response()
    } else {
        crate::web::error::AppError::Unavailable.into_response()
    }
}
