//! When each person was last seen on the site (a page, an API call, a chat socket), shared by
//! every instance through Redis: what tells someone away, to be mailed about waiting messages.
//!
//! Each instance writes a person's time at most once a minute, without waiting for Redis. The
//! key lasts a day; a person unseen for that long reads as away, as they are.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::services::redis::Redis;

/// How often one instance writes the same person's time.
const WRITE_EVERY: Duration = Duration::from_secs(60);
const KEPT_SECONDS: u64 = 24 * 60 * 60;
/// Above this many people remembered, those not written for a while are forgotten.
const REMEMBERED: usize = 10_000;

#[derive(Clone)]
pub struct Presence {
    redis: Redis,
    written: Arc<Mutex<HashMap<Uuid, Instant>>>,
}

impl Presence {
    pub fn new(redis: Redis) -> Self {
        Self {
            redis,
            written: Arc::default(),
        }
    }

    fn key(&self, user: Uuid) -> String {
        self.redis.key(&format!("seen:{user}"))
    }

    /// Forgets when `user` was last here (their account is deleted).
    pub async fn forget(&self, user: Uuid) -> redis::RedisResult<()> {
        if let Ok(mut written) = self.written.lock() {
            written.remove(&user);
        }
        redis::cmd("DEL")
            .arg(self.key(user))
            .query_async::<()>(&mut self.redis.connection())
            .await
    }

    /// `user` is here now.
    pub fn seen(&self, user: Uuid) {
        let now = Instant::now();
        {
            let Ok(mut written) = self.written.lock() else {
                return;
            };
            if written
                .get(&user)
                .is_some_and(|at| now.duration_since(*at) < WRITE_EVERY)
            {
                return;
            }
            if written.len() >= REMEMBERED {
                written.retain(|_, at| now.duration_since(*at) < WRITE_EVERY);
            }
            written.insert(user, now);
        }
        let (key, mut connection) = (self.key(user), self.redis.connection());
        tokio::spawn(async move {
            let stored = redis::cmd("SET")
                .arg(&key)
                .arg(Utc::now().timestamp())
                .arg("EX")
                .arg(KEPT_SECONDS)
                .query_async::<()>(&mut connection)
                .await;
            if let Err(err) = stored {
                tracing::debug!(error = %err, "could not note a visit");
            }
        });
    }

    /// When each of `users` was last seen (`None`: not for a day).
    pub async fn last_seen(&self, users: &[Uuid]) -> redis::RedisResult<Vec<Option<DateTime<Utc>>>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = users.iter().map(|user| self.key(*user)).collect();
        let times: Vec<Option<i64>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut self.redis.connection())
            .await?;
        Ok(times
            .into_iter()
            .map(|at| at.and_then(|at| DateTime::from_timestamp(at, 0)))
            .collect())
    }
}
