//! Gauges read at each scrape: how far each read model and the live publisher trail the log,
//! open sockets, the bounded pools, the pages kept, database connections, Redis.

use std::time::Duration;

use crate::state::AppState;

const PROJECTION_LAG_EVENTS: &str = "bocha_projection_lag_events";
const PROJECTION_LAG_SECONDS: &str = "bocha_projection_lag_seconds";
const PUBLISHER_LAG_EVENTS: &str = "bocha_publisher_lag_events";
const PUBLISHER_LAG_SECONDS: &str = "bocha_publisher_lag_seconds";
const SOCKETS: &str = "bocha_sockets_open";
const POOL_IN_USE: &str = "bocha_pool_jobs";
const POOL_CAPACITY: &str = "bocha_pool_capacity_jobs";
const POOL_STARTED: &str = "bocha_pool_started_total";
const POOL_REFUSED: &str = "bocha_pool_refused_total";
const DB_CONNECTIONS: &str = "bocha_db_connections";
const DB_CONNECTIONS_MAX: &str = "bocha_db_connections_max";
const DB_UP: &str = "bocha_db_up";
const REDIS_UP: &str = "bocha_redis_up";
const PAGE_CACHE_BYTES: &str = "bocha_page_cache_bytes";

/// The live publisher's checkpoint, among the projectors'.
const PUBLISHER: &str = "live";

/// A scrape must answer even when a dependency hangs.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub(super) fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge};
    describe_gauge!(
        PROJECTION_LAG_EVENTS,
        "Events stored that a read model has not applied yet."
    );
    describe_gauge!(
        PROJECTION_LAG_SECONDS,
        Unit::Seconds,
        "Age of the oldest event a read model has not applied yet (0 when caught up)."
    );
    describe_gauge!(
        PUBLISHER_LAG_EVENTS,
        "Chat events stored and not yet published on Redis."
    );
    describe_gauge!(
        PUBLISHER_LAG_SECONDS,
        Unit::Seconds,
        "Age of the oldest chat event not yet published on Redis (0 when caught up)."
    );
    describe_gauge!(SOCKETS, "Chat sockets open on this instance.");
    describe_counter!(
        crate::web::page_cache::REQUESTS,
        "Requests for pages kept for signed-out visitors, by outcome: hit (sent as kept) or made."
    );
    describe_gauge!(
        PAGE_CACHE_BYTES,
        Unit::Bytes,
        "Bytes of pages kept for signed-out visitors."
    );
    describe_gauge!(POOL_IN_USE, "Jobs running or waiting in a bounded pool.");
    describe_gauge!(POOL_CAPACITY, "Jobs a bounded pool runs or queues at most.");
    describe_counter!(POOL_STARTED, "Jobs a bounded pool has started.");
    describe_counter!(POOL_REFUSED, "Requests a full pool refused with a 503.");
    describe_gauge!(DB_CONNECTIONS, "Database connections of this instance, by state.");
    describe_gauge!(
        DB_CONNECTIONS_MAX,
        "The most database connections this instance opens."
    );
    describe_gauge!(DB_UP, "Whether Postgres answered this scrape (1) or not (0).");
    describe_gauge!(REDIS_UP, "Whether Redis answered this scrape (1) or not (0).");
}

pub(super) async fn refresh(state: &AppState) {
    let lag = tokio::time::timeout(PROBE_TIMEOUT, eventstore::runtime::lag(&state.db)).await;
    let db_up = match lag {
        Ok(Ok(consumers)) => {
            for consumer in consumers {
                let (events, seconds) = if consumer.name == PUBLISHER {
                    (
                        metrics::gauge!(PUBLISHER_LAG_EVENTS),
                        metrics::gauge!(PUBLISHER_LAG_SECONDS),
                    )
                } else {
                    (
                        metrics::gauge!(PROJECTION_LAG_EVENTS, "projector" => consumer.name.clone()),
                        metrics::gauge!(PROJECTION_LAG_SECONDS, "projector" => consumer.name),
                    )
                };
                events.set(consumer.events as f64);
                seconds.set(consumer.seconds);
            }
            true
        }
        Ok(Err(err)) => {
            tracing::debug!(error = %err, "could not read projection lag");
            false
        }
        Err(_) => false,
    };
    metrics::gauge!(DB_UP).set(f64::from(u8::from(db_up)));

    let redis_up = matches!(
        tokio::time::timeout(PROBE_TIMEOUT, state.redis.ping()).await,
        Ok(Ok(()))
    );
    metrics::gauge!(REDIS_UP).set(f64::from(u8::from(redis_up)));

    metrics::gauge!(SOCKETS).set(state.chats.live().hub.sockets() as f64);
    metrics::gauge!(PAGE_CACHE_BYTES).set(state.page_cache.weight() as f64);

    for pool in state.pools.all() {
        let name = pool.name();
        metrics::gauge!(POOL_IN_USE, "pool" => name).set(pool.in_use() as f64);
        metrics::gauge!(POOL_CAPACITY, "pool" => name).set(pool.capacity() as f64);
        metrics::counter!(POOL_STARTED, "pool" => name).absolute(pool.started());
        metrics::counter!(POOL_REFUSED, "pool" => name).absolute(pool.refused());
    }

    let idle = state.db.num_idle() as f64;
    let open = f64::from(state.db.size());
    metrics::gauge!(DB_CONNECTIONS, "state" => "idle").set(idle);
    metrics::gauge!(DB_CONNECTIONS, "state" => "busy").set((open - idle).max(0.0));
    metrics::gauge!(DB_CONNECTIONS_MAX).set(f64::from(state.db.options().get_max_connections()));
}
