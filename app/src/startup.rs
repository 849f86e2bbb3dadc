//! Building the application: connections, read models, the router and its layers.

use eventstore::seal::Keyring;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use eventstore::db::PoolSettings;
use eventstore::ledger::Ledger;
use eventstore::{Commands, Projections, Projector};
use projections::chat::{BlocksProjector, ChatProjector, RequestsProjector, StaffReadsProjector};
use projections::comments::CommentsProjector;
use projections::favorites::FavoritesProjector;
use projections::follows::FollowsProjector;
use projections::posts::PostsProjector;
use projections::users::UsersProjector;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_sessions_sqlx_store::PostgresStore;

use crate::config::Config;
use crate::live::Live;
use crate::media::Media;
pub use crate::routing::router;
use crate::services::crypto::Keys;
use crate::services::limits::Limits;
use crate::services::pools::Pools;
use crate::services::redis::Redis;
use crate::state::{AppState, Shared};
use crate::usecases::chat::Chats;
use crate::web::assets::Assets;
use crate::web::faults::DatabaseWatch;
use crate::web::templates::Templates;
use crate::{mail, media, server};

/// Every read model, in the order they are applied.
pub fn projectors() -> Vec<Arc<dyn Projector>> {
    vec![
        Arc::new(UsersProjector),
        Arc::new(PostsProjector),
        Arc::new(projections::drafts::DraftsProjector),
        Arc::new(projections::subscriptions::SubscriptionsProjector),
        Arc::new(CommentsProjector),
        Arc::new(FavoritesProjector),
        Arc::new(FollowsProjector),
        Arc::new(RequestsProjector),
        Arc::new(ChatProjector),
        Arc::new(BlocksProjector),
        Arc::new(StaffReadsProjector),
        Arc::new(projections::moderation::ModerationLogProjector),
        Arc::new(projections::reports::ReportsProjector),
    ]
}

/// Connects to Postgres (creating the database if needed), migrates it, and seals what an
/// older version left in clear; returns the pool and the keyring the log is read with.
pub async fn database(
    config: &crate::config::DatabaseArgs,
    settings: PoolSettings,
) -> anyhow::Result<(PgPool, Keyring)> {
    let keyring = config.keyring()?;
    let pool = eventstore::db::connect(&config.database_url, settings).await?;
    eventstore::db::migrate(&pool).await?;
    eventstore::seal::seal_existing(&pool, &keyring).await?;
    Ok((pool, keyring))
}

/// What the log feeds as it grows: the read models, then the mail events call for, the erasure
/// of deleted accounts' keys, and the version of public pages. None is a read model: a rebuild never runs them, or
/// everyone would get their mail again.
fn live_projectors() -> Vec<Arc<dyn Projector>> {
    let mut live = projectors();
    live.push(Arc::new(projections::mail::MailProjector));
    live.push(Arc::new(projections::erasure::ErasureProjector));
    live.push(Arc::new(projections::pages::PagesProjector));
    live
}

/// The command side with its read models registered and caught up.
pub async fn commands(pool: &PgPool, keyring: &Keyring) -> anyhow::Result<Commands> {
    let projections = Arc::new(Projections::new(pool.clone(), keyring.clone(), live_projectors()));
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
        let (pool, keyring) = database(
            &config.database,
            PoolSettings::serving(config.database.db_pool_size),
        )
        .await?;
        let commands = commands(&pool, &keyring).await?;
        let ledger = Arc::new(Ledger::new(
            pool.clone(),
            keyring.clone(),
            config.database.signer()?,
            Duration::from_millis(config.checkpoint_every_ms.max(1)),
        ));
        ledger.register().await?;
        let redis = Redis::new(&config.redis_url, &config.redis_prefix)?;
        let assets = Assets::load();
        let media = Media::from_config(&config.media)?;
        let live = Live::new(pool.clone(), keyring.clone(), redis.clone());
        live.register().await?;
        let watcher = CancellationToken::new();
        let (database, _) = DatabaseWatch::spawn(&config.database.database_url, watcher.clone())?;
        let listener = TcpListener::bind(config.bind).await?;
        let keys = Keys::derive(&secret);
        let templates = Templates::load(assets.clone())?;
        let mail = mail::Sender::new(
            pool.clone(),
            mail::Transport::from_config(&config.mail)?,
            mail::compose::Composer {
                templates: templates.clone(),
                keys: keys.clone(),
                from: config
                    .mail
                    .mail_from
                    .parse()
                    .map_err(|err| anyhow::anyhow!("MAIL_FROM is not a mailbox: {err}"))?,
                site: match &config.public_url {
                    Some(url) => url.trim_end_matches('/').to_owned(),
                    None => open_at(listener.local_addr()?).trim_end_matches('/').to_owned(),
                },
            },
        );
        let limits = Limits::new(
            redis.clone(),
            keys.clone(),
            config.chat_sends_per_minute,
            config.limits.signups_per_hour,
        );
        let page_cache = Arc::new(crate::web::page_cache::PageCache::new(
            commands.projections().progress(),
        ));
        let state = AppState::new(Shared {
            database,
            chats: Chats::new(commands.clone(), live, limits.clone(), media.clone()),
            limits,
            pools: Pools::for_this_machine(),
            presence: crate::services::presence::Presence::new(redis.clone()),
            templates,
            assets,
            keys,
            mail,
            media,
            redis,
            commands,
            ledger,
            sitemap: crate::web::reused::Reused::new(crate::pages::SITEMAP_FRESH),
            page_cache,
            db: pool,
            config: Arc::new(config),
        });
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
        let sealer = tokio::spawn(self.state.ledger.clone().run(stop.clone().cancelled_owned()));
        let housekeeping = tokio::spawn(housekeeping(self.state.clone(), stop.clone()));
        let mail = tokio::spawn(self.state.mail.clone().run(stop.clone()));
        let notices = tokio::spawn(mail::notices::run(self.state.clone(), stop.clone()));
        let schedule = tokio::spawn(publish_scheduled(self.state.clone(), stop.clone()));
        let pages = tokio::spawn(
            self.state
                .page_cache
                .clone()
                .watch(self.state.db.clone(), stop.clone()),
        );
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
        let _ = tokio::join!(worker, sealer, housekeeping, mail, notices, schedule, pages);
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

/// Publishes scheduled posts when their time comes. Every instance looks, at the earliest
/// due time or every few seconds (a schedule may be set on another instance); the post's rules
/// let exactly one `PostPublished` through, whoever tries, and a restart only looks again.
async fn publish_scheduled(state: AppState, stop: CancellationToken) {
    const LOOK_AGAIN: Duration = Duration::from_secs(5);
    loop {
        if let Err(err) = crate::usecases::blog::publish_due(&state.commands, chrono::Utc::now()).await {
            tracing::warn!(error = %err, "could not publish scheduled posts");
        }
        let wait = match projections::drafts::next_due(&state.db).await {
            // Not sooner than a second: a due draft that could not be published (its author
            // just deleted the account, say) must not keep the loop spinning.
            Ok(Some(at)) => (at - chrono::Utc::now())
                .to_std()
                .unwrap_or_default()
                .clamp(Duration::from_secs(1), LOOK_AGAIN),
            Ok(None) => LOOK_AGAIN,
            Err(err) => {
                tracing::warn!(error = %err, "could not read the schedule");
                LOOK_AGAIN
            }
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Once an hour: expired sessions, data archives past their week (and any whose building
/// stopped with its instance), and uploads nothing used within a day (with their files), chat
/// files never sent included.
/// Every instance does it; the statements are safe to run side by side.
async fn housekeeping(state: AppState, stop: CancellationToken) {
    use tower_sessions::ExpiredDeletion;
    let sessions = PostgresStore::new(state.db.clone());
    loop {
        if let Err(err) = sessions.delete_expired().await {
            tracing::warn!(error = %err, "could not delete expired sessions");
        }
        if let Err(err) = crate::usecases::takeout::sweep(&state).await {
            tracing::warn!(error = %err, "could not sweep data archives");
        }
        match media::pending::sweep(&state.db, &state.media, media::pending::KEPT_UNUSED).await {
            Ok(0) => {}
            Ok(swept) => tracing::info!(swept, "deleted unused uploads"),
            Err(err) => tracing::warn!(error = %err, "could not sweep unused uploads"),
        }
        match crate::usecases::chat::attachments::sweep(&state.db, &state.media).await {
            Ok(0) => {}
            Ok(swept) => tracing::info!(swept, "deleted files never sent in a chat"),
            Err(err) => tracing::warn!(error = %err, "could not sweep files never sent"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}
