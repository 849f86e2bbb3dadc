//! Rebuilding a read model from the log while the site keeps serving the current one.
//!
//! The projector runs from the start of the log into fresh copies of its tables in a schema of
//! their own (`rebuild_<name>`), in many short transactions, with the same code as the live
//! catch-up: `search_path` points its unqualified table names at the copies. Indexes that only
//! readers need are built after the copies are loaded. When it has caught
//! up, one transaction pauses the live projectors (their advisory lock), applies the last few
//! events, moves the old tables out and the new ones in, gives the new indexes the old names,
//! and sets the checkpoint. Until that commit the site reads the old tables; a crash at any
//! point leaves them in place, and running the rebuild again starts over.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::{Acquire, PgConnection, PgPool, Postgres, Transaction};
use tokio::task::JoinError;

use eventstore::log::{self, Cursor, StoredEvent};
use eventstore::runtime::{LIVE_LOCK_KEY, ProjectionError, Projector};

/// Events per rebuild transaction.
const BATCH: i64 = 5_000;
/// Batches read ahead of the slowest projector.
const READ_AHEAD: usize = 4;

/// How far a rebuild has come.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub elapsed: Duration,
}

impl Progress {
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }

    pub fn remaining(&self) -> Duration {
        let left = self.total.saturating_sub(self.done) as f64;
        Duration::from_secs_f64(left / self.rate().max(1.0))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The task reading the log panicked or was cancelled.
    #[error("reading the log failed: {0}")]
    Read(JoinError),
    /// A task applying the log to a projector's copies panicked or was cancelled.
    #[error("applying the log failed: {0}")]
    Apply(JoinError),
    /// A task building the copies' deferred indexes panicked or was cancelled.
    #[error("building the indexes failed: {0}")]
    Index(JoinError),
    /// A projector stopped taking batches before the end of the log.
    #[error("a projector stopped before the end of the log")]
    Stopped,
}

/// Rebuilds `projector`'s tables from the whole log and swaps them in. `report` is called
/// every couple of seconds and at the end.
pub async fn rebuild(
    pool: &PgPool,
    projector: Arc<dyn Projector>,
    report: impl FnMut(Progress),
) -> Result<Progress, RebuildError> {
    rebuild_all(pool, &[projector], report).await
}

/// Rebuilds every one of `projectors` in a single pass over the log: each batch of events is
/// read once and applied to all of them (their fresh tables live in one schema each, and the
/// `search_path` names them all; no two read models share a table name), and all are swapped
/// in by one transaction at the end.
pub async fn rebuild_all(
    pool: &PgPool,
    projectors: &[Arc<dyn Projector>],
    mut report: impl FnMut(Progress),
) -> Result<Progress, RebuildError> {
    let started = Instant::now();
    let total = sqlx::query_scalar!(r#"select count(*) as "count!" from events"#)
        .fetch_one(pool)
        .await?;
    let mut progress = Progress {
        done: 0,
        total: u64::try_from(total).unwrap_or(0),
        elapsed: Duration::ZERO,
    };
    let fresh: Vec<String> = projectors
        .iter()
        .map(|p| format!("rebuild_{}", p.name()))
        .collect();

    // The copies start with their primary keys, unique constraints and the indexes `apply`
    // looks rows up by; the other indexes are built once the copies are loaded, under the names the
    // live ones have, so the swap moves them in unchanged.
    let mut deferred: Vec<(String, Vec<String>)> = Vec::new();
    {
        let mut conn = pool.acquire().await?;
        for (projector, schema) in projectors.iter().zip(&fresh) {
            // Dynamic (as below): the copies' schema and table names cannot be parameters.
            sqlx::query(&format!(r#"drop schema if exists "{schema}" cascade"#))
                .execute(&mut *conn)
                .await?;
            sqlx::query(&format!(r#"create schema "{schema}""#))
                .execute(&mut *conn)
                .await?;
            for table in projector.tables() {
                sqlx::query(&format!(
                    r#"create table "{schema}"."{table}" (like public."{table}" including all excluding indexes)"#
                ))
                .execute(&mut *conn)
                .await?;
                let mut later = Vec::new();
                for index in live_indexes(&mut conn, table, schema).await? {
                    if index.constraint || projector.lookup_indexes().contains(&index.name.as_str()) {
                        // Dynamic: the statement is made from the catalog (see `live_indexes`).
                        sqlx::query(&index.create).execute(&mut *conn).await?;
                    } else {
                        later.push(index.create);
                    }
                }
                deferred.push((format!(r#""{schema}"."{table}""#), later));
            }
        }
    }
    let search_path = fresh
        .iter()
        .map(|schema| format!(r#""{schema}""#))
        .chain(std::iter::once("public".to_owned()))
        .collect::<Vec<_>>()
        .join(", ");

    // Every projector applies the log on a connection of its own, batch after batch, each in
    // its own transaction: they write disjoint tables, so none waits for another, and the two
    // cores stay busy with whichever has work. The log is read once, a few batches ahead of
    // the slowest of them.
    let applied: Arc<Vec<AtomicU64>> = Arc::new(projectors.iter().map(|_| AtomicU64::new(0)).collect());
    let mut senders = Vec::with_capacity(projectors.len());
    let mut appliers = tokio::task::JoinSet::new();
    for (index, (projector, schema)) in projectors.iter().zip(&fresh).enumerate() {
        let (sender, mut batches) = tokio::sync::mpsc::channel::<Arc<Vec<StoredEvent>>>(READ_AHEAD);
        senders.push(sender);
        let (projector, pool, applied) = (projector.clone(), pool.clone(), applied.clone());
        let search_path = format!(r#""{schema}", public"#);
        appliers.spawn(async move {
            let mut conn = pool.acquire().await?;
            let mut busy = Duration::ZERO;
            while let Some(events) = batches.recv().await {
                let began = Instant::now();
                let mut tx = conn.begin().await?;
                sqlx::query!(
                    "select set_config('synchronous_commit', 'off', true) as synchronous_commit, \
                            set_config('search_path', $1, true) as search_path",
                    search_path,
                )
                .fetch_one(&mut *tx)
                .await?;
                let batch: Vec<&StoredEvent> = events.iter().collect();
                projector.apply_all(&mut tx, &batch).await?;
                tx.commit().await?;
                applied[index].fetch_add(events.len() as u64, Ordering::Relaxed);
                busy += began.elapsed();
            }
            tracing::debug!(projector = projector.name(), ?busy, "applied the log");
            Ok::<(), RebuildError>(())
        });
    }
    let slowest = |applied: &[AtomicU64]| {
        applied
            .iter()
            .map(|a| a.load(Ordering::Relaxed))
            .min()
            .unwrap_or(0)
    };

    let mut cursor = Cursor::START;
    let mut last_report = Instant::now();
    let mut next = Some(read_batch(pool, cursor));
    let mut interrupted = false;
    while let Some(reading) = next.take() {
        let events = Arc::new(reading.await?);
        if let Some(last) = events.last().map(StoredEvent::cursor) {
            cursor = last;
        }
        if events.len() as i64 >= BATCH {
            next = Some(read_batch(pool, cursor));
        }
        for sender in &senders {
            // Only a failed projector stops listening; its error is collected below.
            if sender.send(events.clone()).await.is_err() {
                interrupted = true;
            }
        }
        if interrupted {
            break;
        }
        if last_report.elapsed() >= Duration::from_secs(2) {
            progress.done = slowest(&applied);
            progress.elapsed = started.elapsed();
            report(progress);
            last_report = Instant::now();
        }
    }
    drop(next);
    drop(senders);
    while let Some(outcome) = appliers.join_next().await {
        outcome.map_err(RebuildError::Apply)??;
    }
    if interrupted {
        return Err(RebuildError::Stopped);
    }
    progress.done = slowest(&applied);

    let mut building = tokio::task::JoinSet::new();
    for (table, statements) in deferred {
        let pool = pool.clone();
        building.spawn(async move {
            let mut tx = pool.begin().await?;
            sqlx::query!("select set_config('maintenance_work_mem', '128MB', true)")
                .fetch_one(&mut *tx)
                .await?;
            for statement in statements {
                // Dynamic: the statement is made from the catalog (see `live_indexes`).
                sqlx::query(&statement).execute(&mut *tx).await?;
            }
            // The planner would otherwise meet the swapped-in tables without statistics. Dynamic:
            // a table name cannot be a parameter.
            sqlx::query(&format!("analyze {table}")).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<(), RebuildError>(())
        });
    }
    let indexing = Instant::now();
    while let Some(outcome) = building.join_next().await {
        outcome.map_err(RebuildError::Index)??;
    }
    tracing::debug!(took = ?indexing.elapsed(), "built the deferred indexes");

    let tables: Vec<&str> = projectors.iter().flat_map(|p| p.tables()).copied().collect();
    let mut tx = lock_for_swap(pool, &tables).await?;
    loop {
        let applied = apply_in(&mut tx, projectors, &search_path, &mut cursor).await?;
        progress.done += applied as u64;
        if (applied as i64) < BATCH {
            break;
        }
    }
    sqlx::query!("set local search_path to public")
        .execute(&mut *tx)
        .await?;
    for (projector, schema) in projectors.iter().zip(&fresh) {
        let name = projector.name();
        let retired = format!("retired_{name}");
        // Dynamic (as the moves and drops below): schema and table names cannot be parameters.
        sqlx::query(&format!(r#"drop schema if exists "{retired}" cascade"#))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!(r#"create schema "{retired}""#))
            .execute(&mut *tx)
            .await?;
        for table in projector.tables() {
            sqlx::query(&format!(r#"alter table public."{table}" set schema "{retired}""#))
                .execute(&mut *tx)
                .await?;
            sqlx::query(&format!(r#"alter table "{schema}"."{table}" set schema public"#))
                .execute(&mut *tx)
                .await?;
            restore_index_names(&mut tx, &retired, table).await?;
        }
        sqlx::query!(
            r#"
            insert into projector_checkpoints (name, transaction_id, position, updated_at)
            values ($1, $2::text::xid8, $3, now())
            on conflict (name) do update
               set transaction_id = excluded.transaction_id, position = excluded.position, updated_at = now()
            "#,
            name,
            cursor.transaction_id.to_string(),
            cursor.position,
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(r#"drop schema "{retired}" cascade"#))
            .execute(&mut *tx)
            .await?;
        sqlx::query(&format!(r#"drop schema "{schema}" cascade"#))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    progress.elapsed = started.elapsed();
    report(progress);
    Ok(progress)
}

/// How often the swap asks for the live tables before giving up.
const SWAP_ATTEMPTS: u32 = 200;

/// Opens the transaction that swaps the tables in: it holds the live projectors' lock (they only
/// ever try it, so they skip a turn) and every live table in access-exclusive mode.
///
/// A reader takes its table locks one at a time, in whatever order its joins name them. A swap
/// that took them one `alter` at a time could hold one a reader needs while waiting for one the
/// reader holds, and Postgres would end that by failing the reader's page with a deadlock error.
/// So the swap asks for all of them at once with a short timeout and, when it runs out, lets go
/// of everything and asks again: readers are only ever delayed, never failed.
async fn lock_for_swap(
    pool: &PgPool,
    tables: &[&str],
) -> Result<Transaction<'static, Postgres>, RebuildError> {
    let list = tables
        .iter()
        .map(|table| format!(r#"public."{table}""#))
        .collect::<Vec<_>>()
        .join(", ");
    let mut attempt = 0;
    loop {
        let mut tx = pool.begin().await?;
        sqlx::query!("select pg_advisory_xact_lock($1)", LIVE_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        sqlx::query!(
            "select set_config('lock_timeout', '100ms', true) as lock_timeout, \
                    set_config('statement_timeout', '500ms', true) as statement_timeout"
        )
        .fetch_one(&mut *tx)
        .await?;
        // Dynamic: the tables to lock are the projectors' own.
        match sqlx::query(&format!("lock table {list} in access exclusive mode"))
            .execute(&mut *tx)
            .await
        {
            Ok(_) => {
                sqlx::query!(
                    "select set_config('lock_timeout', '0', true) as lock_timeout, \
                            set_config('statement_timeout', '0', true) as statement_timeout"
                )
                .fetch_one(&mut *tx)
                .await?;
                return Ok(tx);
            }
            // 55P03: lock_not_available; 57014: query_canceled (the statement timeout).
            Err(sqlx::Error::Database(err))
                if matches!(err.code().as_deref(), Some("55P03" | "57014")) && attempt < SWAP_ATTEMPTS =>
            {
                tx.rollback().await?;
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt.min(10)))).await;
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// The next batch of final events after `after`, read on a connection of its own.
fn read_batch(
    pool: &PgPool,
    after: Cursor,
) -> impl std::future::Future<Output = Result<Vec<StoredEvent>, RebuildError>> + use<> {
    let pool = pool.clone();
    let task = tokio::spawn(async move {
        let mut conn = pool.acquire().await?;
        Ok::<_, RebuildError>(log::read_after(&mut conn, after, BATCH).await?)
    });
    async move {
        match task.await {
            Ok(result) => result,
            Err(err) => Err(RebuildError::Read(err)),
        }
    }
}

/// Applies the next batch of final events to the fresh tables (found through `search_path`),
/// inside the caller's transaction.
async fn apply_in(
    conn: &mut PgConnection,
    projectors: &[Arc<dyn Projector>],
    search_path: &str,
    cursor: &mut Cursor,
) -> Result<usize, RebuildError> {
    sqlx::query!(
        "select set_config('search_path', $1, true) as search_path",
        search_path
    )
    .fetch_one(&mut *conn)
    .await?;
    let events = log::read_after(conn, *cursor, BATCH).await?;
    let batch: Vec<&StoredEvent> = events.iter().collect();
    for projector in projectors {
        projector.apply_all(conn, &batch).await?;
    }
    if let Some(last) = events.last().map(StoredEvent::cursor) {
        *cursor = last;
    }
    Ok(events.len())
}

/// An index of a live table, and the statement that gives a copy of the table in `schema` the
/// same index under the same name.
struct LiveIndex {
    name: String,
    /// Whether it enforces a primary key or unique constraint.
    constraint: bool,
    create: String,
}

async fn live_indexes(
    conn: &mut PgConnection,
    table: &str,
    schema: &str,
) -> Result<Vec<LiveIndex>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        select i.relname as "name!", c.oid is not null as "constraint!",
               case when c.oid is not null
                    then format('alter table %I.%I add constraint %I %s', $2::text, t.relname, c.conname, pg_get_constraintdef(c.oid))
                    else regexp_replace(pg_get_indexdef(x.indexrelid), ' ON \S+ ', format(' ON %I.%I ', $2::text, t.relname))
               end as "create!"
          from pg_index x
          join pg_class i on i.oid = x.indexrelid
          join pg_class t on t.oid = x.indrelid
          join pg_namespace n on n.oid = t.relnamespace
          left join pg_constraint c on c.conindid = x.indexrelid and c.conrelid = t.oid
         where n.nspname = 'public' and t.relname = $1::text
         order by i.relname
        "#,
        table,
        schema,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| LiveIndex {
            name: row.name,
            constraint: row.constraint,
            create: row.create,
        })
        .collect())
}

/// The copies' indexes are made under the live names (see `live_indexes`); should any still
/// differ, give each new index the name its twin on the old table had, so later migrations find
/// them.
async fn restore_index_names(conn: &mut PgConnection, retired: &str, table: &str) -> Result<(), sqlx::Error> {
    let indexes = |schema: &str| {
        sqlx::query!(
            r#"
            select i.relname as "name!",
                   regexp_replace(pg_get_indexdef(x.indexrelid), '^CREATE (UNIQUE )?INDEX \S+ ON \S+ ', '')
                   || case when x.indisunique then ' unique' else '' end as "definition!"
              from pg_index x
              join pg_class i on i.oid = x.indexrelid
              join pg_class t on t.oid = x.indrelid
              join pg_namespace n on n.oid = t.relnamespace
             where n.nspname = $1::text and t.relname = $2::text
            "#,
            schema,
            table,
        )
    };
    let old = indexes(retired).fetch_all(&mut *conn).await?;
    let new = indexes("public").fetch_all(&mut *conn).await?;
    for new in new {
        if let Some(old) = old.iter().find(|old| old.definition == new.definition)
            && old.name != new.name
        {
            let (new_name, old_name) = (&new.name, &old.name);
            // Dynamic: index names cannot be parameters.
            sqlx::query(&format!(
                r#"alter index public."{new_name}" rename to "{old_name}""#
            ))
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Where one read model stands.
#[derive(Debug, Clone)]
pub struct Status {
    pub name: String,
    pub checkpoint: Cursor,
    /// Events stored after the checkpoint.
    pub lag: i64,
}

/// Every checkpoint with its lag, and the head of the log (its highest position).
pub async fn status(pool: &PgPool) -> Result<(Vec<Status>, i64), sqlx::Error> {
    let rows = sqlx::query!(
        r#"
        select c.name, c.transaction_id::text::bigint as "transaction_id!", c.position,
               (select count(*) from events e where (e.transaction_id, e.position) > (c.transaction_id, c.position))
               as "lag!"
          from projector_checkpoints c
         order by c.name
        "#
    )
    .fetch_all(pool)
    .await?;
    let head = sqlx::query_scalar!("select max(position) from events")
        .fetch_one(pool)
        .await?;
    let statuses = rows
        .into_iter()
        .map(|row| Status {
            name: row.name,
            checkpoint: Cursor::new(row.transaction_id, row.position),
            lag: row.lag,
        })
        .collect();
    Ok((statuses, head.unwrap_or(0)))
}
