//! Per-user limit on chat sends, shared by every instance through Redis. If Redis is away the
//! limit is not enforced: sending matters more than throttling.

use redis::AsyncCommands;
use uuid::Uuid;

use crate::redis::Redis;
use crate::throttle::RetryAfter;

#[derive(Clone)]
pub struct SendLimit {
    redis: Redis,
    per_minute: u32,
}

impl SendLimit {
    pub fn new(redis: Redis, per_minute: u32) -> Self {
        Self { redis, per_minute }
    }

    /// Counts one send; `Err` with the wait when the minute's allowance is used up.
    pub async fn check(&self, user: Uuid) -> Result<(), RetryAfter> {
        let now = chrono::Utc::now().timestamp();
        let window = now / 60;
        let key = self.redis.key(&format!("sends:{user}:{window}"));
        let mut redis = self.redis.connection();
        let counted: redis::RedisResult<u32> = async {
            let count: u32 = redis.incr(&key, 1).await?;
            if count == 1 {
                let _: () = redis.expire(&key, 120).await?;
            }
            Ok(count)
        }
        .await;
        match counted {
            Ok(count) if count > self.per_minute => {
                Err(RetryAfter(u64::try_from(60 - now % 60).unwrap_or(1).max(1)))
            }
            Ok(_) => Ok(()),
            Err(err) => {
                tracing::debug!(error = %err, "send limit unavailable");
                Ok(())
            }
        }
    }
}
