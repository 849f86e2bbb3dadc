//! A fresh, migrated database per test, so tests run in parallel and leave nothing behind.
//!
//! The migrations run once into a template database (named after their checksums, so a
//! changed migration gets a new template); each test then gets a copy of it, which Postgres
//! makes in milliseconds. The copy is dropped when the `TestDb` is.
//!
//! Test support: failing to set up a database is a failed test, so this panics freely.
#![allow(clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{Connection, Executor, PgConnection, PgPool};

use crate::db::{self, MIGRATOR};

pub mod counter;

/// The server tests use; override with `TEST_DATABASE_URL` (any database on the server).
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn with_database(url: &str, name: &str) -> String {
    let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
    format!("{base}/{name}")
}

pub struct TestDb {
    pub pool: PgPool,
    pub url: String,
    name: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    pub async fn new() -> Self {
        let server = server_url();
        let template = ensure_template(&server).await;
        let name = format!(
            "bocha_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::new_v4().simple()
        );
        let mut admin = PgConnection::connect(&server)
            .await
            .expect("connect to the test server");
        // Dynamic: database names cannot be parameters.
        admin
            .execute(format!(r#"create database "{name}" template "{template}""#).as_str())
            .await
            .expect("create a test database");
        admin.close().await.ok();
        let url = with_database(&server, &name);
        let pool = db::connect(&url, db::PoolSettings::serving(10))
            .await
            .expect("connect to the test database");
        Self { pool, url, name }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let server = server_url();
        let name = std::mem::take(&mut self.name);
        // Drop runs outside async; a small runtime on its own thread does the cleanup.
        let handle = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut admin) = PgConnection::connect(&server).await {
                    // Dynamic: database names cannot be parameters.
                    let _ = admin
                        .execute(format!(r#"drop database if exists "{name}" with (force)"#).as_str())
                        .await;
                }
            });
        });
        let _ = handle.join();
    }
}

/// Creates the migrated template once per migration set, under a lock shared by every test
/// process on the machine.
async fn ensure_template(server: &str) -> String {
    let checksum: u64 = MIGRATOR
        .iter()
        .flat_map(|m| m.checksum.iter().copied())
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
        });
    let template = format!("bocha_template_{checksum:016x}");
    let mut admin = PgConnection::connect(server)
        .await
        .expect("connect to the test server");
    sqlx::query!("select pg_advisory_lock(72177)")
        .execute(&mut admin)
        .await
        .expect("lock");
    let exists = sqlx::query_scalar!(
        r#"select exists(select 1 from pg_database where datname = $1) as "exists!""#,
        template,
    )
    .fetch_one(&mut admin)
    .await
    .expect("look for the template");
    if !exists {
        let building = format!("{template}_building");
        // Dynamic, as are the two statements below: database names cannot be parameters.
        admin
            .execute(format!(r#"drop database if exists "{building}" with (force)"#).as_str())
            .await
            .expect("drop a half-built template");
        admin
            .execute(format!(r#"create database "{building}""#).as_str())
            .await
            .expect("create the template");
        let pool = db::connect(&with_database(server, &building), db::PoolSettings::unbounded(2))
            .await
            .expect("connect to the template");
        db::migrate(&pool).await.expect("migrate the template");
        pool.close().await;
        admin
            .execute(format!(r#"alter database "{building}" rename to "{template}""#).as_str())
            .await
            .expect("publish the template");
    }
    sqlx::query!("select pg_advisory_unlock(72177)")
        .fetch_one(&mut admin)
        .await
        .expect("unlock");
    admin.close().await.ok();
    template
}

/// The master key tests seal the log with.
pub fn keyring() -> crate::seal::Keyring {
    crate::seal::Keyring::from_secret("a master key for tests only, not for anything real")
        .expect("a long enough test key")
}
