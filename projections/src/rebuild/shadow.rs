//! The fresh copies a rebuild fills: their schemas and tables, and their indexes.

use std::sync::Arc;
use std::time::Instant;

use sqlx::{PgConnection, PgPool};

use super::RebuildError;
use eventstore::runtime::Projector;

/// Each copied table (schema-qualified and quoted) with the statements that build the indexes
/// it gets once it is loaded.
pub(super) type Deferred = Vec<(String, Vec<String>)>;

/// Creates an empty copy of every table of `projectors`, each projector's in its schema of
/// `fresh`, replacing any copies a past rebuild left behind.
///
/// The copies start with their primary keys, unique constraints and the indexes `apply`
/// looks rows up by; the other indexes are built once the copies are loaded, under the names the
/// live ones have, so the swap moves them in unchanged.
pub(super) async fn create(
    pool: &PgPool,
    projectors: &[Arc<dyn Projector>],
    fresh: &[String],
) -> Result<Deferred, sqlx::Error> {
    let mut deferred: Deferred = Vec::new();
    let mut conn = pool.acquire().await?;
    for (projector, schema) in projectors.iter().zip(fresh) {
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
    Ok(deferred)
}

/// Builds the deferred indexes of the loaded copies, a table per task, and gathers the
/// tables' statistics.
pub(super) async fn build_deferred(pool: &PgPool, deferred: Deferred) -> Result<(), RebuildError> {
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
    Ok(())
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
