//! Moving the loaded copies in: one transaction holds every live table, applies the events
//! written meanwhile, exchanges the old tables for the new and moves the checkpoints.

use std::sync::Arc;
use std::time::Duration;

use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::{BATCH, Progress, RebuildError};
use eventstore::log::{self, Cursor, StoredEvent};
use eventstore::runtime::{LIVE_LOCK_KEY, Projector};
use eventstore::seal::Keyring;

/// Swaps the copies in the schemas of `fresh` in for the live tables, once it has applied the
/// events after `cursor` to them, and sets every checkpoint to the last of those events.
pub(super) async fn swap_in(
    pool: &PgPool,
    keyring: &Keyring,
    projectors: &[Arc<dyn Projector>],
    fresh: &[String],
    mut cursor: Cursor,
    progress: &mut Progress,
) -> Result<(), RebuildError> {
    let search_path = fresh
        .iter()
        .map(|schema| format!(r#""{schema}""#))
        .chain(std::iter::once("public".to_owned()))
        .collect::<Vec<_>>()
        .join(", ");
    let tables: Vec<&str> = projectors.iter().flat_map(|p| p.tables()).copied().collect();
    let mut tx = lock_for_swap(pool, &tables).await?;
    loop {
        let applied = apply_in(&mut tx, keyring, projectors, &search_path, &mut cursor).await?;
        progress.done += applied as u64;
        if (applied as i64) < BATCH {
            break;
        }
    }
    sqlx::query!("set local search_path to public")
        .execute(&mut *tx)
        .await?;
    for (projector, schema) in projectors.iter().zip(fresh) {
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
    // What pages show was just made again from the log: the pages kept from the old tables go.
    crate::pages::changed(&mut tx).await?;
    tx.commit().await?;
    Ok(())
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

/// Applies the next batch of final events to the fresh tables (found through `search_path`),
/// inside the caller's transaction.
async fn apply_in(
    conn: &mut PgConnection,
    keyring: &Keyring,
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
    let events = log::read_after(conn, keyring, *cursor, BATCH).await?;
    let batch: Vec<&StoredEvent> = events.iter().collect();
    for projector in projectors {
        projector.apply_all(conn, &batch).await?;
    }
    if let Some(last) = events.last().map(StoredEvent::cursor) {
        *cursor = last;
    }
    Ok(events.len())
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
