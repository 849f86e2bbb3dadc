//! Settings, from command-line flags or the environment (every flag has an env variable).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use eventstore::ledger::Signer;
use eventstore::seal::Keyring;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Postgres connection URL; the database is created when missing.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/bocha"
    )]
    pub database_url: String,

    /// Connections per instance.
    #[arg(long, env = "DB_POOL_SIZE", default_value_t = 20)]
    pub db_pool_size: u32,

    /// Wraps each person's key, with which their personal data in the log is sealed; at least
    /// 32 characters, the same on every instance, and kept apart from the database's backups
    /// (see the README on erasure). Required in production; in development, when unset, one is
    /// made once and kept in `MASTER_KEY_FILE`.
    #[arg(long, env = "MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,

    /// Where development keeps the master key it made. Losing it loses every sealed field.
    #[arg(long, env = "MASTER_KEY_FILE", default_value = ".bocha/master-key")]
    pub master_key_file: PathBuf,

    /// Signs the checkpoints of the event log (Ed25519, derived from it); at least 32
    /// characters, the same on every instance. Required in production; in development, when
    /// unset, one is made once and kept in `LEDGER_KEY_FILE`. Changing it makes every earlier
    /// checkpoint fail `bocha events verify` as signed by another key.
    #[arg(long, env = "LEDGER_KEY", hide_env_values = true)]
    pub ledger_key: Option<String>,

    /// Where development keeps the ledger key it made.
    #[arg(long, env = "LEDGER_KEY_FILE", default_value = ".bocha/ledger-key")]
    pub ledger_key_file: PathBuf,

    /// `production` requires MASTER_KEY and SECRET_KEY, makes cookies Secure and sends HSTS.
    /// (With the database's settings, as every command reads the log with the master key.)
    #[arg(long = "env", env = "BOCHA_ENV", value_enum, default_value = "development")]
    pub environment: Environment,
}

impl DatabaseArgs {
    /// The keyring the log is sealed and opened with.
    pub fn keyring(&self) -> Result<Keyring, ConfigError> {
        let secret = durable_key(
            "MASTER_KEY",
            self.master_key.as_deref(),
            &self.master_key_file,
            self.environment,
        )?;
        Keyring::from_secret(&secret).map_err(|_| ConfigError::ShortKey("MASTER_KEY"))
    }

    /// The key the log's checkpoints are signed with.
    pub fn signer(&self) -> Result<Signer, ConfigError> {
        let secret = durable_key(
            "LEDGER_KEY",
            self.ledger_key.as_deref(),
            &self.ledger_key_file,
            self.environment,
        )?;
        Ok(Signer::from_secret(&secret))
    }
}

/// A key that never falls back to a random one, unlike the secret key: what it sealed would be
/// unreadable after a restart, and checkpoints it signed could not be checked. The configured
/// key, or in development the one made once and kept in `file`.
fn durable_key(
    name: &'static str,
    configured: Option<&str>,
    file: &std::path::Path,
    environment: Environment,
) -> Result<String, ConfigError> {
    match configured {
        Some(key) if key.len() >= 32 => Ok(key.to_owned()),
        Some(_) => Err(ConfigError::ShortKey(name)),
        None if environment == Environment::Production => Err(ConfigError::MissingKey(name)),
        None => {
            let key = kept_secret(file).map_err(|err| ConfigError::KeyFile {
                name,
                file: file.to_owned(),
                err,
            })?;
            tracing::warn!(
                file = %file.display(),
                "{name} is not set; using the development key kept in this file \
                 (set {name} in production, the same on every instance)"
            );
            Ok(key)
        }
    }
}

/// Everything `bocha serve` needs.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,

    /// Address for Prometheus metrics (`GET /metrics`); none when unset. Keep it private: it
    /// tells how busy the site is.
    #[arg(long, env = "METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Redis URL, for live chat fan-out and rate limits.
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,

    /// Prefix for every Redis key and channel, so several sites can share one Redis.
    #[arg(long, env = "REDIS_PREFIX", default_value = "bocha")]
    pub redis_prefix: String,

    /// Signs cookies and API tokens; at least 32 characters. Required in production; in
    /// development, when unset, one is made once and kept in `SECRET_KEY_FILE`.
    #[arg(long, env = "SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Where development keeps the secret key it made, so restarts keep everyone signed in.
    #[arg(long, env = "SECRET_KEY_FILE", default_value = ".bocha/secret-key")]
    pub secret_key_file: PathBuf,

    /// Host names the site answers to (the Host header and WebSocket origins); `*` allows any.
    #[arg(
        long,
        env = "ALLOWED_HOSTS",
        value_delimiter = ',',
        default_value = "localhost,127.0.0.1"
    )]
    pub allowed_hosts: Vec<String>,

    /// The site's address as people reach it (`https://bocha.example`), for absolute links in
    /// API answers and feeds; unset, each request's Host (and its proxy's scheme) is used.
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Chat messages one person may send per minute (across all their tabs and instances).
    #[arg(long, env = "CHAT_SENDS_PER_MINUTE", default_value_t = 120)]
    pub chat_sends_per_minute: u32,

    /// Seconds a chat socket may stay silent (not even answering pings) before it is closed; at
    /// least 3, as the socket pings three times within it.
    #[arg(long = "ws-timeout-seconds", env = "WS_TIMEOUT_SECONDS", default_value = "60", value_parser = silence_limit)]
    pub ws_timeout: std::time::Duration,

    /// Milliseconds between signed checkpoints of the event log, while it grows.
    #[arg(long, env = "CHECKPOINT_EVERY_MS", default_value_t = 10_000)]
    pub checkpoint_every_ms: u64,

    /// Take the client address from the last X-Forwarded-For entry (behind a load balancer).
    #[arg(long, env = "TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,

    /// Relaxes the API to what the RealWorld demo suite expects: passwords checked for length
    /// only, password and email changes without the current password, and tokens that outlive a
    /// password change. For running that suite; never in production.
    #[arg(long, env = "REALWORLD_COMPAT", default_value_t = false)]
    pub realworld_compat: bool,

    #[command(flatten)]
    pub media: MediaArgs,

    #[command(flatten)]
    pub mail: MailArgs,

    #[command(flatten)]
    pub limits: LimitArgs,
}

/// How mail leaves: through an SMTP server, or into a folder as .eml files when none is set.
#[derive(Clone, Args)]
pub struct MailArgs {
    /// SMTP server: `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465` (TLS), or
    /// `smtp://host:25` (plain, for a relay on the same host); credentials as
    /// `smtps://user:password@host`. Unset, mail is written to MAIL_DIR instead.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of every mail.
    #[arg(long, env = "MAIL_FROM", default_value = "Bocha <bocha@localhost>")]
    pub mail_from: String,

    /// Where mail goes, one .eml file each, when SMTP_URL is unset.
    #[arg(long, env = "MAIL_DIR", default_value = ".bocha/mail")]
    pub mail_dir: PathBuf,
}

/// Written by hand so that logging the configuration never prints the SMTP password.
impl std::fmt::Debug for MailArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailArgs")
            .field("smtp_url", &self.smtp_url.as_ref().map(|_| "<hidden>"))
            .field("mail_from", &self.mail_from)
            .field("mail_dir", &self.mail_dir)
            .finish()
    }
}

/// What one client, or all of them together, may hold of an instance.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Accounts that may be made from one address per hour.
    #[arg(long, env = "SIGNUPS_PER_HOUR", default_value_t = LimitArgs::DEFAULT.signups_per_hour)]
    pub signups_per_hour: u32,

    /// Open connections per instance; more wait to be accepted.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = LimitArgs::DEFAULT.max_connections)]
    pub max_connections: usize,

    /// Chat sockets one person may hold open on one instance.
    #[arg(long, env = "SOCKETS_PER_USER", default_value_t = LimitArgs::DEFAULT.sockets_per_user)]
    pub sockets_per_user: usize,

    /// Chat sockets one address may hold open on one instance.
    #[arg(long, env = "SOCKETS_PER_ADDRESS", default_value_t = LimitArgs::DEFAULT.sockets_per_address)]
    pub sockets_per_address: usize,

    /// Seconds a client has to send a request's headers (and the most an idle kept-alive
    /// connection waits for the next request).
    #[arg(long, env = "HEADER_TIMEOUT_SECONDS", default_value_t = LimitArgs::DEFAULT.header_timeout_seconds)]
    pub header_timeout_seconds: u64,

    /// Seconds a request may take from its headers to its answer, reading its body included;
    /// past it the answer is 408.
    #[arg(long, env = "REQUEST_TIMEOUT_SECONDS", default_value_t = LimitArgs::DEFAULT.request_timeout_seconds)]
    pub request_timeout_seconds: u64,
}

impl LimitArgs {
    pub const DEFAULT: Self = Self {
        signups_per_hour: 20,
        // At ~13 KB an idle socket, 10,000 connections stay near 130 MB.
        max_connections: 10_000,
        // A person with many tabs and devices; one instance holds a few of each.
        sockets_per_user: 16,
        // A household or office behind one address.
        sockets_per_address: 64,
        header_timeout_seconds: 10,
        // Enough for a 5 MB upload at 200 KB/s.
        request_timeout_seconds: 30,
    };
}

impl Default for LimitArgs {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Where uploaded images are kept: a local directory, or an S3-compatible bucket when one is
/// named. Instances behind a load balancer need the bucket (or a shared directory).
#[derive(Clone, Args)]
pub struct MediaArgs {
    /// Directory for uploaded images, created when missing; unused when S3_BUCKET is set.
    #[arg(long, env = "MEDIA_DIR", default_value = "media")]
    pub media_dir: PathBuf,

    /// Keep uploaded images in this S3 bucket instead of MEDIA_DIR.
    #[arg(long, env = "S3_BUCKET")]
    pub s3_bucket: Option<String>,

    /// URL of an S3-compatible service (MinIO, Ceph, R2, …); an http:// URL allows plain HTTP.
    #[arg(long, env = "S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// The bucket's region.
    #[arg(long, env = "S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// Access key for the bucket; without one, the instance's AWS credentials are used.
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub aws_access_key_id: Option<String>,

    /// Secret for AWS_ACCESS_KEY_ID.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub aws_secret_access_key: Option<String>,
}

/// Written by hand so that logging the configuration never prints the secret access key.
impl std::fmt::Debug for MediaArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaArgs")
            .field("media_dir", &self.media_dir)
            .field("s3_bucket", &self.s3_bucket)
            .field("s3_endpoint", &self.s3_endpoint)
            .field("s3_region", &self.s3_region)
            .field("aws_access_key_id", &self.aws_access_key_id)
            .field(
                "aws_secret_access_key",
                &self.aws_secret_access_key.as_ref().map(|_| "<hidden>"),
            )
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required when BOCHA_ENV=production")]
    MissingKey(&'static str),
    #[error("{0} must be at least 32 characters")]
    ShortKey(&'static str),
    #[error("{name} is not set and the development key in {file} could not be kept: {err}")]
    KeyFile {
        name: &'static str,
        file: PathBuf,
        err: std::io::Error,
    },
}

impl Config {
    pub fn is_production(&self) -> bool {
        self.database.environment == Environment::Production
    }

    /// The secret key, checked. In development a missing one is read from `secret_key_file`,
    /// made there the first time; if that fails, a random key lasts as long as the process.
    pub fn secret(&self) -> Result<String, ConfigError> {
        match &self.secret_key {
            Some(key) if key.len() >= 32 => Ok(key.clone()),
            Some(_) => Err(ConfigError::ShortKey("SECRET_KEY")),
            None if self.is_production() => Err(ConfigError::MissingKey("SECRET_KEY")),
            None => match kept_secret(&self.secret_key_file) {
                Ok(key) => {
                    tracing::warn!(
                        file = %self.secret_key_file.display(),
                        "SECRET_KEY is not set; using the development key kept in this file \
                         (set SECRET_KEY in production, the same on every instance)"
                    );
                    Ok(key)
                }
                Err(err) => {
                    tracing::warn!(
                        file = %self.secret_key_file.display(),
                        error = %err,
                        "SECRET_KEY is not set and the development key could not be kept; using a \
                         random key, so sessions end when the process does"
                    );
                    Ok(crate::services::crypto::random_token(48))
                }
            },
        }
    }

    /// Whether `host` (without port) is one the site answers to.
    pub fn allows_host(&self, host: &str) -> bool {
        self.allowed_hosts
            .iter()
            .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(host))
    }
}

/// `WS_TIMEOUT_SECONDS`: whole seconds, 3 or more.
fn silence_limit(raw: &str) -> Result<std::time::Duration, String> {
    match raw.trim().parse::<u64>() {
        Ok(seconds) if seconds >= 3 => Ok(std::time::Duration::from_secs(seconds)),
        _ => Err("a whole number of seconds, at least 3".to_owned()),
    }
}

/// The key in `path`, or a new one written there (readable by this user only). Two instances
/// starting at once agree: only one creates the file, the other reads it.
fn kept_secret(path: &std::path::Path) -> std::io::Result<String> {
    use std::io::{ErrorKind, Write};
    use std::os::unix::fs::OpenOptionsExt;

    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let key = crate::services::crypto::random_token(48);
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut file) => {
            file.write_all(key.as_bytes())?;
            file.sync_all()?;
            Ok(key)
        }
        Err(err) if err.kind() == ErrorKind::AlreadyExists => {
            let kept = std::fs::read_to_string(path)?.trim().to_owned();
            if kept.len() >= 32 {
                Ok(kept)
            } else {
                Err(std::io::Error::new(
                    ErrorKind::InvalidData,
                    "the kept key is shorter than 32 characters",
                ))
            }
        }
        Err(err) => Err(err),
    }
}
