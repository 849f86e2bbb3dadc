//! Slowing down password guessing: after repeated failures, an account (from anywhere) and an
//! address (against any account) must wait before trying again. Counters live in Redis so
//! every instance sees them; if Redis is down, logins are not blocked.
//!
//! The account key is the user id when the login names a known account (so trying the
//! username and then the email gives no extra guesses), else what was typed.

use std::net::IpAddr;

use redis::AsyncCommands;

use crate::redis::Redis;

/// Failures allowed per account within the window.
const PER_ACCOUNT: u32 = 5;
/// Failures allowed per client address within the window.
const PER_ADDRESS: u32 = 20;
/// The window, in seconds, counted from the first failure.
const WINDOW_SECONDS: i64 = 15 * 60;

#[derive(Clone)]
pub struct LoginThrottle {
    redis: Redis,
}

/// How long until another attempt is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl RetryAfter {
    pub fn minutes(self) -> u64 {
        self.0.div_ceil(60).max(1)
    }
}

impl LoginThrottle {
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }

    fn keys(&self, account: &str, address: IpAddr) -> [(String, u32); 2] {
        [
            (
                self.redis.key(&format!(
                    "login-failures:account:{}",
                    account.trim().to_lowercase()
                )),
                PER_ACCOUNT,
            ),
            (
                self.redis.key(&format!("login-failures:address:{address}")),
                PER_ADDRESS,
            ),
        ]
    }

    /// `Err` with the wait when either counter is used up.
    pub async fn check(&self, account: &str, address: IpAddr) -> Result<(), RetryAfter> {
        let mut redis = self.redis.connection();
        for (key, limit) in self.keys(account, address) {
            let count: Option<u32> = match redis.get(&key).await {
                Ok(count) => count,
                Err(err) => {
                    tracing::warn!(error = %err, "login throttle unavailable");
                    return Ok(());
                }
            };
            if count.unwrap_or(0) >= limit {
                let ttl: i64 = redis.ttl(&key).await.unwrap_or(WINDOW_SECONDS);
                return Err(RetryAfter(u64::try_from(ttl).unwrap_or(1).max(1)));
            }
        }
        Ok(())
    }

    pub async fn record_failure(&self, account: &str, address: IpAddr) {
        let mut pipe = redis::pipe();
        for (key, _) in self.keys(account, address) {
            pipe.incr(&key, 1)
                .ignore()
                .cmd("EXPIRE")
                .arg(&key)
                .arg(WINDOW_SECONDS)
                .arg("NX")
                .ignore();
        }
        if let Err(err) = pipe.query_async::<()>(&mut self.redis.connection()).await {
            tracing::warn!(error = %err, "could not record a failed login");
        }
    }

    /// A successful login clears the account's counter (not the address's: one success
    /// must not reset a guessing run against other accounts).
    pub async fn record_success(&self, account: &str, address: IpAddr) {
        let [(account, _), _] = self.keys(account, address);
        if let Err(err) = self.redis.connection().del::<_, ()>(&account).await {
            tracing::warn!(error = %err, "could not reset the login throttle");
        }
    }
}
