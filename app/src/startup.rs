//! Building the application: connections, read models, the router and its layers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, StatusCode};
use axum::middleware;
use axum::routing::get;
use eventstore::db::PoolSettings;
use eventstore::{Commands, Projections, Projector};
use projections::chat::{ChatProjector, RequestsProjector};
use projections::comments::CommentsProjector;
use projections::favorites::FavoritesProjector;
use projections::follows::FollowsProjector;
use projections::posts::PostsProjector;
use projections::users::UsersProjector;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};
use tower_sessions_sqlx_store::PostgresStore;
use tracing::Level;

use crate::config::Config;
use crate::live::Live;
use crate::media::Media;
use crate::services::crypto::Keys;
use crate::services::limits::Limits;
use crate::services::pools::Pools;
use crate::services::redis::Redis;
use crate::state::{AppState, Shared};
use crate::usecases::chat::Chats;
use crate::web::assets::{self, Assets};
use crate::web::faults::{self, DatabaseWatch};
use crate::web::templates::Templates;
use crate::web::{error_pages, security};
use crate::{api, live, media, pages, server};

/// Every read model, in the order they are applied.
pub fn projectors() -> Vec<Arc<dyn Projector>> {
    vec![
        Arc::new(UsersProjector),
        Arc::new(PostsProjector),
        Arc::new(CommentsProjector),
        Arc::new(FavoritesProjector),
        Arc::new(FollowsProjector),
        Arc::new(RequestsProjector),
        Arc::new(ChatProjector),
    ]
}

/// Connects to Postgres (creating the database if needed) and migrates it.
pub async fn database(
    config: &crate::config::DatabaseArgs,
    settings: PoolSettings,
) -> anyhow::Result<PgPool> {
    let pool = eventstore::db::connect(&config.database_url, settings).await?;
    eventstore::db::migrate(&pool).await?;
    Ok(pool)
}

/// The command side with its read models registered and caught up.
pub async fn commands(pool: &PgPool) -> anyhow::Result<Commands> {
    let projections = Arc::new(Projections::new(pool.clone(), projectors()));
    projections.register().await?;
    projections.catch_up().await?;
    let filled = projections::users::fill_missing_skeletons(pool).await?;
    if filled > 0 {
        tracing::info!(
            filled,
            "computed the look of usernames projected before it was kept"
        );
    }
    Ok(Commands::new(pool.clone(), projections))
}

/// A bound, ready-to-run application.
pub struct App {
    listener: TcpListener,
    /// The metrics address's, when `METRICS_BIND` is set.
    metrics: Option<TcpListener>,
    router: Router,
    state: AppState,
    /// Stops the database watcher, which starts with the app (see `faults`).
    watcher: CancellationToken,
}

impl App {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let secret = config.secret()?;
        let pool = database(
            &config.database,
            PoolSettings::serving(config.database.db_pool_size),
        )
        .await?;
        let commands = commands(&pool).await?;
        let redis = Redis::new(&config.redis_url, &config.redis_prefix)?;
        let assets = Assets::load();
        let media = Media::from_config(&config.media)?;
        let live = Live::new(pool.clone(), redis.clone());
        live.register().await?;
        let watcher = CancellationToken::new();
        let (database, _) = DatabaseWatch::spawn(&config.database.database_url, watcher.clone())?;
        let state = AppState::new(Shared {
            database,
            chats: Chats::new(commands.clone(), live),
            limits: Limits::new(
                redis.clone(),
                config.chat_sends_per_minute,
                config.limits.signups_per_hour,
            ),
            pools: Pools::for_this_machine(),
            templates: Templates::load(assets.clone())?,
            assets,
            keys: Keys::derive(&secret),
            media,
            redis,
            commands,
            db: pool,
            config: Arc::new(config),
        });
        let listener = TcpListener::bind(state.config.bind).await?;
        let metrics = match state.config.metrics_bind {
            Some(address) => {
                crate::metrics::install()?;
                Some(TcpListener::bind(address).await?)
            }
            None => None,
        };
        Ok(Self {
            listener,
            metrics,
            router: router(state.clone()),
            state,
            watcher,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where metrics are served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests and stops the
    /// background work.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let projections = self.state.commands.projections().clone();
        let worker = tokio::spawn(projections.run(stop.clone().cancelled_owned()));
        let housekeeping = tokio::spawn(housekeeping(self.state.clone(), stop.clone()));
        let live = self.state.chats.live().clone();
        let live_tasks = live.spawn(&stop);

        let address = self.listener.local_addr()?;
        tracing::info!(url = %open_at(address), "serving; open the URL in a browser");
        let metrics = self.metrics.map(|listener| {
            if let Ok(at) = listener.local_addr() {
                tracing::info!(url = %format!("http://{at}/metrics"), "serving metrics");
            }
            let router = crate::metrics::router(self.state.clone());
            let stop = stop.clone();
            tokio::spawn(async move {
                let served = axum::serve(listener, router)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await;
                if let Err(err) = served {
                    tracing::error!(error = %err, "the metrics server stopped");
                }
            })
        });
        // Sockets never finish on their own: close them when shutdown begins, so the server
        // can wait for the requests in flight and stop.
        let hub = live.hub.clone();
        let serving = CancellationToken::new();
        let cancel = serving.clone();
        tokio::spawn(async move {
            shutdown.await;
            hub.close_all();
            cancel.cancel();
        });
        server::serve(self.listener, self.router, &self.state.config.limits, serving).await;

        stop.cancel();
        self.watcher.cancel();
        let _ = tokio::join!(worker, housekeeping);
        if let Some(metrics) = metrics {
            let _ = metrics.await;
        }
        for task in live_tasks {
            let _ = task.await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// The URL a person opens for `address`: a wildcard address is reached through localhost.
fn open_at(address: SocketAddr) -> String {
    let host = match address.ip() {
        ip if ip.is_unspecified() => "localhost".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{host}:{}/", address.port())
}

/// Once an hour: expired sessions, and uploads nothing used within a day (with their files).
/// Every instance does it; the statements are safe to run side by side.
async fn housekeeping(state: AppState, stop: CancellationToken) {
    use tower_sessions::ExpiredDeletion;
    let sessions = PostgresStore::new(state.db.clone());
    loop {
        if let Err(err) = sessions.delete_expired().await {
            tracing::warn!(error = %err, "could not delete expired sessions");
        }
        match media::pending::sweep(&state.db, &state.media, media::pending::KEPT_UNUSED).await {
            Ok(0) => {}
            Ok(swept) => tracing::info!(swept, "deleted unused uploads"),
            Err(err) => tracing::warn!(error = %err, "could not sweep unused uploads"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

/// The span every line a request logs is in: its id (also sent back as `x-request-id`), method
/// and path.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    )
}

pub fn router(state: AppState) -> Router {
    let sessions = SessionManagerLayer::new(PostgresStore::new(state.db.clone()))
        .with_name("bocha_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.is_production())
        .with_expiry(Expiry::OnInactivity(time::Duration::weeks(2)));
    let request_id = HeaderName::from_static("x-request-id");

    let pages = pages::router()
        .route("/ws", get(live::socket::upgrade))
        .fallback(error_pages::not_found)
        .layer(middleware::from_fn(security::no_nul))
        .layer(middleware::from_fn_with_state(state.clone(), faults::fail_fast))
        .layer(middleware::from_fn_with_state(state.clone(), error_pages::render))
        .layer(sessions.clone());
    let api = api::router()
        .layer(middleware::from_fn_with_state(state.clone(), faults::fail_fast))
        .layer(sessions);

    Router::new()
        .route("/static/{*name}", get(assets::serve_static))
        .merge(media::router())
        .merge(api)
        .merge(pages)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        // From the headers to the answer, reading the body included: a client trickling a body
        // holds a connection this long at most. Socket upgrades answer at once and are not cut.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(state.config.limits.request_timeout_seconds.max(1)),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), security::headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::allowed_host,
        ))
        // Brotli's default quality (11) costs tens of milliseconds of CPU for one page: any client
        // asking for `br` could make every page that expensive. Quality 4 compresses about as
        // well as gzip at the same speed.
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(middleware::from_fn(crate::metrics::http::track))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
