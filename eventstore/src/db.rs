//! Connecting to Postgres: create the database when missing, run the migrations.

use std::time::Duration;

use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sqlx::{ConnectOptions, PgPool, Postgres};

/// The schema: event store first, then the read models.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot reach Postgres at {url}: {source}")]
    Unreachable { url: String, source: sqlx::Error },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Begins a transaction whose statements use generic plans (`pool.begin_with(GENERIC_PLANS)`,
/// in the same round trip as the `begin`). The busiest statements (a chat's messages, stored and
/// read in batches) take arrays of ids whose length changes at every call, for which Postgres
/// would otherwise make a new plan each time, to the same effect: measured under a busy chat,
/// planning was a third of the database's time. Not for statements whose best plan depends on
/// their values (optional filters), which is why it is not every connection's setting.
pub const GENERIC_PLANS: &str = "begin; set local plan_cache_mode = force_generic_plan";

/// How long a request waits for a pooled connection before it is told the database is
/// unavailable (sqlx's default is 30 s; a person and a load balancer want an answer now).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// How a pool's connections behave.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// Postgres cancels a statement running longer (`None`: no limit, for the command line's
    /// long jobs).
    pub statement_timeout: Option<Duration>,
}

impl PoolSettings {
    /// For serving requests: every statement within 5 s.
    pub fn serving(max_connections: u32) -> Self {
        Self {
            max_connections,
            statement_timeout: Some(Duration::from_secs(5)),
        }
    }

    /// For the command line's long jobs (rebuilds, exports).
    pub fn unbounded(max_connections: u32) -> Self {
        Self {
            max_connections,
            statement_timeout: None,
        }
    }
}

/// The options for connecting to `url`.
pub fn options(url: &str) -> Result<PgConnectOptions, sqlx::Error> {
    let mut options: PgConnectOptions = url
        .parse::<PgConnectOptions>()?
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    if is_loopback(options.get_host()) && !url.contains("sslmode=") && std::env::var_os("PGSSLMODE").is_none()
    {
        // sqlx's default (`prefer`) negotiates TLS whenever the server offers it, and Debian's
        // Postgres does; on the loopback interface that protects nothing and cost a third of
        // the CPU of every query, here and in Postgres. A URL with `sslmode=` decides itself.
        options = options.ssl_mode(PgSslMode::Disable);
    }
    Ok(options)
}

/// Connects to `url`, creating the database first when it does not exist yet.
pub async fn connect(url: &str, settings: PoolSettings) -> Result<PgPool, DbError> {
    let unreachable = |source| DbError::Unreachable {
        url: redact(url),
        source,
    };
    if !Postgres::database_exists(url).await.map_err(unreachable)? {
        tracing::info!(database = %redact(url), "creating database");
        if let Err(err) = Postgres::create_database(url).await {
            // Another instance may have created it in the meantime.
            if !Postgres::database_exists(url).await.unwrap_or(false) {
                return Err(unreachable(err));
            }
        }
    }
    let mut options = options(url).map_err(unreachable)?;
    match settings.statement_timeout {
        Some(timeout) => {
            options = options.options([("statement_timeout", format!("{}ms", timeout.as_millis()))]);
        }
        // A long job's statements are long by design (a verify reads the whole log in one):
        // warning about each would only bury what it prints.
        None => options = options.log_slow_statements(tracing::log::LevelFilter::Off, Duration::ZERO),
    }
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A burst opens every connection; each holds buffers and prepared statements here (and a
        // backend in Postgres). Closing those left idle for 20 s gives that memory back soon
        // after the burst; reopening one costs a few milliseconds.
        .idle_timeout(Duration::from_secs(20))
        // Not a ping before every use (a round trip per query): a connection that died with
        // its server fails its next query and is dropped; the pool opens a new one.
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(unreachable)
}

/// Brings the schema up to date. Safe to run from several instances at once: sqlx holds an
/// advisory lock while it migrates.
pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Whether Postgres is on this machine: a loopback address or a Unix socket directory.
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.starts_with('/')
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The URL without its password, for logs and error messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest
        .rsplit_once('@')
        .map(|(userinfo, host)| (userinfo.split_once(':'), host))
    {
        Some((Some((user, _password)), host)) => format!("{scheme}://{user}:***@{host}"),
        _ => url.to_owned(),
    }
}

/// Whether `err` means Postgres is away, overloaded or too slow, rather than a bug in a query:
/// the pool could not get a connection in time, the connection broke, the server is shutting
/// down or starting up, or a statement ran past its timeout.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
            true
        }
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Class 08: connection exceptions; 53300 too many connections; 57014 the statement
            // timeout; 57P01–57P03 administrator shutdown, crash shutdown, cannot connect now.
            code.starts_with("08") || matches!(&*code, "53300" | "57014" | "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// One round trip to the database, for readiness probes.
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query!("select 1 as one").fetch_one(pool).await.map(drop)
}
