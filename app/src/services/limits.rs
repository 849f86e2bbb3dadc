//! Rate limits, shared by every instance through Redis: password guesses, sign-ups, uploads,
//! chat frames.
//!
//! A limit is a counter per key in a fixed window that starts with its first use. A use is
//! **reserved before the work it guards**, in one Lua script that checks every counter involved
//! and counts all of them or none: 200 simultaneous attempts against a limit of 20 let exactly 20
//! through, where "read, work, then count" would let all 200 pass. Work that turns out not to
//! count against the caller (a correct password) gives its reservation back.
//!
//! If Redis is unreachable the limits are not enforced (logged): the bounded pools still cap
//! what a burst can cost, and a Redis outage must not lock everybody out.

use std::net::IpAddr;

use redis::Script;
use uuid::Uuid;

use crate::services::crypto::Keys;
use crate::services::redis::Redis;

/// A limit: at most `limit` uses per `window_seconds`, counted from the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub limit: u32,
    pub window_seconds: u64,
}

impl Rule {
    pub const fn new(name: &'static str, limit: u32, window_seconds: u64) -> Self {
        Self {
            name,
            limit,
            window_seconds,
        }
    }
}

const FIFTEEN_MINUTES: u64 = 15 * 60;
const HOUR: u64 = 60 * 60;
const MINUTE: u64 = 60;
const DAY: u64 = 24 * HOUR;

/// Wrong passwords for one account from one address. Keyed by both, so that guessing from
/// elsewhere never locks the owner out of their own device.
pub const PASSWORD_PER_ACCOUNT_AND_ADDRESS: Rule = Rule::new("password:pair", 5, FIFTEEN_MINUTES);
/// Wrong passwords for one account from anywhere: a ceiling only a guesser spread over many
/// addresses reaches (and then the owner waits too, which is the price of stopping them).
pub const PASSWORD_PER_ACCOUNT: Rule = Rule::new("password:account", 100, FIFTEEN_MINUTES);
/// Wrong passwords from one address, against any accounts.
pub const PASSWORD_PER_ADDRESS: Rule = Rule::new("password:address", 20, FIFTEEN_MINUTES);
/// Password reset links asked for from one address, for any accounts.
pub const RESETS_PER_ADDRESS: Rule = Rule::new("resets:address", 10, HOUR);
/// Password reset links asked for one email address, from anywhere: a mailbox is not flooded.
pub const RESETS_PER_EMAIL: Rule = Rule::new("resets:email", 3, HOUR);
/// Confirmation links a person asks to be sent again.
pub const CONFIRMATIONS_PER_USER: Rule = Rule::new("confirmations:user", 3, HOUR);
/// Chat requests a person sends: enough to reach out to new people every day, too few to
/// canvass a community.
pub const REQUESTS_PER_USER: Rule = Rule::new("requests:user", 20, DAY);
/// Reports a person files: plenty for someone reporting what they meet, too few to flood staff.
pub const REPORTS_PER_USER: Rule = Rule::new("reports:user", 30, HOUR);
/// Image uploads per person.
pub const UPLOADS_PER_USER: Rule = Rule::new("uploads:user", 30, HOUR);
/// Image uploads per address, whoever is signed in.
pub const UPLOADS_PER_ADDRESS: Rule = Rule::new("uploads:address", 60, HOUR);
/// Files one person may upload to their chats.
pub const CHAT_FILES_PER_USER: Rule = Rule::new("chat-files:user", 60, HOUR);
/// Typing notices per person: a tab sends one every 3 s at most while its person types.
pub const TYPING_PER_USER: Rule = Rule::new("typing:user", 60, MINUTE);
/// Catch-ups per person: one per reconnect or gap, each reading a page of messages.
pub const SYNCS_PER_USER: Rule = Rule::new("syncs:user", 60, MINUTE);
/// Read receipts per person: a tab sends one per burst of incoming messages.
pub const READS_PER_USER: Rule = Rule::new("reads:user", 240, MINUTE);

/// How long until another attempt is allowed, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

impl RetryAfter {
    /// "1 minute", "15 minutes", "3 hours": the wait, rounded up, for a person.
    pub fn in_words(self) -> String {
        match self.0.div_ceil(60).max(1) {
            1 => "1 minute".to_owned(),
            minutes if minutes <= 90 => format!("{minutes} minutes"),
            minutes => format!("{} hours", minutes.div_ceil(60)),
        }
    }
}

/// `response` with `Retry-After` when there is a wait: a form shown again with a limit's
/// message keeps the header a client or crawler acts on.
pub fn with_retry_after(
    mut response: axum::response::Response,
    wait: Option<RetryAfter>,
) -> axum::response::Response {
    if let Some(RetryAfter(seconds)) = wait {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, seconds.into());
    }
    response
}

/// Checks every counter and, when all have room, counts one use in each. Returns 0, or the
/// milliseconds until the fullest counter that refused empties.
const RESERVE: &str = r"
local wait = 0
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = tonumber(ARGV[2 * i]) end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then
    redis.call('PEXPIRE', key, ARGV[2 * i])
  end
end
return 0
";

/// Gives one use back to each counter that still exists.
const REFUND: &str = r"
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
return 0
";

#[derive(Clone)]
pub struct Limits {
    redis: Redis,
    /// Subjects (an address, what was typed at login) are kept in Redis only as keyed digests.
    keys: Keys,
    reserve: std::sync::Arc<Script>,
    refund: std::sync::Arc<Script>,
    /// Chat messages per person (`CHAT_SENDS_PER_MINUTE`).
    pub sends: Rule,
    /// Accounts made from one address (`SIGNUPS_PER_HOUR`).
    pub signups: Rule,
    /// Saves of drafts per person: the autosave makes a dozen a minute at most.
    pub draft_saves: Rule,
    /// Asking for a subscription by an address to confirm, per network.
    pub subscribe_requests: Rule,
    /// Confirmation links mailed to one address: nobody fills another's inbox with them.
    pub subscribe_mails: Rule,
}

/// Uses counted by [`Limits::reserve`]; [`Limits::refund`] gives them back.
#[must_use = "a reservation is kept unless it is refunded"]
#[derive(Debug, Default)]
pub struct Reservation {
    keys: Vec<String>,
}

impl Limits {
    pub fn new(redis: Redis, keys: Keys, sends_per_minute: u32, signups_per_hour: u32) -> Self {
        Self {
            redis,
            keys,
            reserve: std::sync::Arc::new(Script::new(RESERVE)),
            refund: std::sync::Arc::new(Script::new(REFUND)),
            sends: Rule::new("sends:user", sends_per_minute, MINUTE),
            signups: Rule::new("signups:address", signups_per_hour, HOUR),
            draft_saves: Rule::new("drafts:user", 40, MINUTE),
            subscribe_requests: Rule::new("subscribe:address", 20, HOUR),
            subscribe_mails: Rule::new("subscribe:email", 3, HOUR),
        }
    }

    /// The counter's key: the subject as a keyed digest, so Redis never holds an email
    /// address or a name, and a person erased leaves nothing there to find.
    fn key(&self, rule: Rule, subject: &str) -> String {
        let subject = self.keys.sign(format!("limit\0{subject}").as_bytes());
        self.redis.key(&format!("limit:{}:{subject}", rule.name))
    }

    /// Counts one use against each `(rule, subject)`, or none and the wait when any is used up.
    pub async fn reserve(&self, uses: &[(Rule, &str)]) -> Result<Reservation, RetryAfter> {
        let mut invocation = self.reserve.prepare_invoke();
        let mut keys = Vec::with_capacity(uses.len());
        for (rule, subject) in uses {
            let key = self.key(*rule, subject);
            invocation
                .key(&key)
                .arg(rule.limit)
                .arg(rule.window_seconds * 1000);
            keys.push(key);
        }
        match invocation.invoke_async::<u64>(&mut self.redis.connection()).await {
            Ok(0) => Ok(Reservation { keys }),
            Ok(wait_ms) => Err(RetryAfter(wait_ms.div_ceil(1000).max(1))),
            Err(err) => {
                tracing::warn!(error = %err, "rate limits unavailable; not enforced");
                Ok(Reservation::default())
            }
        }
    }

    /// Counts one use of `rule` by `subject`.
    pub async fn hit(&self, rule: Rule, subject: &str) -> Result<(), RetryAfter> {
        self.reserve(&[(rule, subject)]).await.map(drop)
    }

    /// Gives a reservation back: the work it guarded turned out not to count (a correct password).
    pub async fn refund(&self, reservation: Reservation) {
        if reservation.keys.is_empty() {
            return;
        }
        let mut invocation = self.refund.prepare_invoke();
        for key in &reservation.keys {
            invocation.key(key);
        }
        if let Err(err) = invocation.invoke_async::<()>(&mut self.redis.connection()).await {
            tracing::warn!(error = %err, "could not give back a rate-limit reservation");
        }
    }

    /// Forgets `subject`'s uses of `rule` (a successful login clears its pair's failures).
    pub async fn clear(&self, rule: Rule, subject: &str) {
        let key = self.key(rule, subject);
        if let Err(err) = redis::cmd("DEL")
            .arg(&key)
            .query_async::<()>(&mut self.redis.connection())
            .await
        {
            tracing::warn!(error = %err, "could not clear a rate limit");
        }
    }

    /// Reserves a password check for `account` (a user id, or what was typed when it names
    /// nobody) from `address`. Refund it when the password was right.
    pub async fn password_attempt(&self, account: &str, address: IpAddr) -> Result<Reservation, RetryAfter> {
        let account = account.trim().to_lowercase();
        let address = address.to_string();
        let pair = format!("{account}:{address}");
        self.reserve(&[
            (PASSWORD_PER_ACCOUNT_AND_ADDRESS, &pair),
            (PASSWORD_PER_ACCOUNT, &account),
            (PASSWORD_PER_ADDRESS, &address),
        ])
        .await
    }

    /// After a correct password: the attempt did not count, and the pair starts afresh.
    pub async fn password_correct(&self, reservation: Reservation, account: &str, address: IpAddr) {
        self.refund(reservation).await;
        let pair = format!("{}:{address}", account.trim().to_lowercase());
        self.clear(PASSWORD_PER_ACCOUNT_AND_ADDRESS, &pair).await;
    }

    /// Counts a chat frame of `user` against `rule`.
    pub async fn chat(&self, rule: Rule, user: Uuid) -> Result<(), RetryAfter> {
        self.hit(rule, &user.to_string()).await
    }
}
