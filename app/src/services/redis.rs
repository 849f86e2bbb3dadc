//! The shared Redis connection: one multiplexed connection per process, reconnecting on its own.
//!
//! Redis carries nothing that cannot be lost (live pushes, rate-limit counters), so every
//! caller treats it as optional: short timeouts, and a failure is logged, never shown.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

#[derive(Clone)]
pub struct Redis {
    client: redis::Client,
    connection: ConnectionManager,
    prefix: Arc<str>,
}

impl Redis {
    /// Prepares the connection; it is made on first use, so start-up does not wait for Redis.
    pub fn new(url: &str, prefix: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let connection = ConnectionManager::new_lazy_with_config(client.clone(), config)?;
        Ok(Self {
            client,
            connection,
            prefix: prefix.into(),
        })
    }

    /// A handle on the shared connection (cheap: it is multiplexed).
    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// A key or channel name in this site's namespace.
    pub fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut connection = self.connection();
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
            .map(|_| ())
    }
}
