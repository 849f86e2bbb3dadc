//! How far each consumer of the log trails it, for monitoring.

/// How far one consumer of the log (a projector, the live publisher) trails the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Lag {
    pub name: String,
    /// Events stored and not yet applied (counted up to [`LAG_COUNTED`]).
    pub events: i64,
    /// Age of the oldest of those; 0 when caught up.
    pub seconds: f64,
}

/// Counting stops here, so a consumer far behind (a fresh rebuild) costs a bounded query.
pub const LAG_COUNTED: i64 = 1_000_000;

/// The lag of every consumer with a checkpoint.
pub async fn lag(pool: &sqlx::PgPool) -> Result<Vec<Lag>, sqlx::Error> {
    sqlx::query_as!(
        Lag,
        r#"
        select c.name as "name!", behind.events as "events!",
               coalesce(extract(epoch from clock_timestamp() - behind.oldest), 0)::float8 as "seconds!"
          from projector_checkpoints c
          cross join lateral (
              select count(*) as events, min(e.recorded_at) as oldest
                from (select recorded_at from events e
                       where (e.transaction_id, e.position) > (c.transaction_id, c.position)
                       limit $1) e
          ) behind
         order by c.name
        "#,
        LAG_COUNTED,
    )
    .fetch_all(pool)
    .await
}
