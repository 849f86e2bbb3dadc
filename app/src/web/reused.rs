//! A costly answer made by one request at a time and reused by the others while it is fresh.
//!
//! The requests that arrive while it is being made wait for it instead of each making their
//! own, so a crowd costs one answer's work and memory, not one per request.

use std::future::Future;
use std::time::Duration;

use axum::body::Bytes;
use tokio::sync::Mutex;
use tokio::time::Instant;

pub struct Reused {
    fresh: Duration,
    slot: Mutex<Option<Made>>,
}

struct Made {
    /// What the answer was made for (the site's address, which it names).
    key: String,
    at: Instant,
    body: Bytes,
}

impl Reused {
    pub fn new(fresh: Duration) -> Self {
        Self {
            fresh,
            slot: Mutex::new(None),
        }
    }

    /// The answer made for `key` less than `fresh` ago, else a new one from `make`.
    pub async fn get<E>(&self, key: &str, make: impl Future<Output = Result<String, E>>) -> Result<Bytes, E> {
        let mut slot = self.slot.lock().await;
        if let Some(made) = slot.as_ref()
            && made.key == key
            && made.at.elapsed() < self.fresh
        {
            return Ok(made.body.clone());
        }
        let body = Bytes::from(make.await?);
        *slot = Some(Made {
            key: key.to_owned(),
            at: Instant::now(),
            body: body.clone(),
        });
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_crowd_waits_for_one_answer_which_is_made_again_once_stale() {
        let reused = Arc::new(Reused::new(Duration::from_secs(60)));
        let made = Arc::new(AtomicUsize::new(0));
        let make = |made: Arc<AtomicUsize>| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let n = made.fetch_add(1, Ordering::SeqCst) + 1;
            Ok::<_, std::convert::Infallible>(format!("answer {n}"))
        };
        let crowd: Vec<_> = (0..50)
            .map(|_| {
                let (reused, made) = (reused.clone(), made.clone());
                tokio::spawn(async move { reused.get("site", make(made)).await })
            })
            .collect();
        for request in crowd {
            assert_eq!(request.await.unwrap().unwrap(), "answer 1");
        }
        assert_eq!(
            reused.get("other site", make(made.clone())).await.unwrap(),
            "answer 2"
        );
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(
            reused.get("other site", make(made.clone())).await.unwrap(),
            "answer 3"
        );
        assert_eq!(made.load(Ordering::SeqCst), 3);
    }
}
