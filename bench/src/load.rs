//! HTTP write load (publish, comment, chat message) and the history-growth timings.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::stats::{self, Summary};

/// One kind of write, driven by `concurrency` clients back to back for `duration`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Publish,
    Comment,
    ChatMessage,
}

/// What a write needs: who writes (token), and where.
pub struct Target {
    pub base: String,
    /// Tokens of users who may write anywhere.
    pub tokens: Vec<String>,
    /// Posts to comment on.
    pub slugs: Vec<String>,
    /// Rooms with the token of one of their members.
    pub rooms: Vec<(Uuid, String)>,
}

pub async fn writes(
    target: Arc<Target>,
    kind: Write,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Summary> {
    let histogram = Arc::new(Mutex::new(stats::histogram()));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let (target, histogram, errors) = (target.clone(), histogram.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut local = stats::histogram();
            let mut i = 0usize;
            while started.elapsed() < duration {
                let begun = Instant::now();
                let ok = one_write(&client, &target, kind, worker, i).await;
                if ok {
                    stats::record(&mut local, begun.elapsed());
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
            let _ = histogram.lock().await.add(&local);
        }));
    }
    for worker in workers {
        worker.await?;
    }
    let elapsed = started.elapsed();
    let histogram = histogram.lock().await;
    Ok(Summary::of(&histogram, elapsed, errors.load(Ordering::Relaxed)))
}

async fn one_write(client: &reqwest::Client, target: &Target, kind: Write, worker: usize, i: usize) -> bool {
    let request = match kind {
        Write::Publish => {
            let token = &target.tokens[(worker * 7919 + i) % target.tokens.len()];
            client
                .post(format!("{}/api/articles", target.base))
                .header("Authorization", format!("Token {token}"))
                .json(&json!({ "article": {
                    "title": format!("Benchmark post {}", Uuid::new_v4()),
                    "description": "Written by the write benchmark.",
                    "body": "Some *markdown* with a [link](https://example.com).\n\n- one\n- two\n",
                    "tagList": ["bench", "rust"],
                }}))
        }
        Write::Comment => {
            let token = &target.tokens[(worker * 31 + i) % target.tokens.len()];
            let slug = &target.slugs[(worker + i) % target.slugs.len()];
            client
                .post(format!("{}/api/articles/{slug}/comments", target.base))
                .header("Authorization", format!("Token {token}"))
                .json(&json!({ "comment": { "body": "A comment from the write benchmark." } }))
        }
        Write::ChatMessage => {
            let (room, token) = &target.rooms[worker % target.rooms.len()];
            client
                .post(format!("{}/api/chat/rooms/{room}/messages", target.base))
                .header("Authorization", format!("Token {token}"))
                .json(&json!({ "message": { "body": "hello from the write benchmark", "client_id": Uuid::new_v4() } }))
        }
    };
    match request.send().await {
        Ok(response) => response.status().is_success(),
        Err(_) => false,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryCase {
    pub what: String,
    pub size: u64,
    pub summary: Summary,
}

/// Sends `rounds` messages to each room and `rounds` comments to each post, one request at a
/// time, interleaved so that every size sees the same conditions. The first few of each are
/// warm-up and not counted.
pub async fn history(
    base: &str,
    rooms: &[(u64, Uuid, String)],
    posts: &[(u64, String, String)],
    rounds: usize,
) -> anyhow::Result<Vec<HistoryCase>> {
    const WARM_UP: usize = 10;
    let client = reqwest::Client::new();
    let mut room_h: Vec<_> = rooms.iter().map(|_| stats::histogram()).collect();
    let mut post_h: Vec<_> = posts.iter().map(|_| stats::histogram()).collect();
    let mut errors = vec![0u64; rooms.len() + posts.len()];
    let mut spent = vec![Duration::ZERO; rooms.len() + posts.len()];
    for round in 0..rounds + WARM_UP {
        for (k, (_, room, token)) in rooms.iter().enumerate() {
            let begun = Instant::now();
            let ok = client
                .post(format!("{base}/api/chat/rooms/{room}/messages"))
                .header("Authorization", format!("Token {token}"))
                .json(&json!({ "message": { "body": format!("history probe {round}"), "client_id": Uuid::new_v4() } }))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if round >= WARM_UP {
                spent[k] += begun.elapsed();
                if ok {
                    stats::record(&mut room_h[k], begun.elapsed());
                } else {
                    errors[k] += 1;
                }
            }
        }
        for (k, (_, slug, token)) in posts.iter().enumerate() {
            let begun = Instant::now();
            let ok = client
                .post(format!("{base}/api/articles/{slug}/comments"))
                .header("Authorization", format!("Token {token}"))
                .json(&json!({ "comment": { "body": format!("history probe {round}") } }))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if round >= WARM_UP {
                spent[rooms.len() + k] += begun.elapsed();
                if ok {
                    stats::record(&mut post_h[k], begun.elapsed());
                } else {
                    errors[rooms.len() + k] += 1;
                }
            }
        }
    }
    let mut out = Vec::new();
    for (k, (size, _, _)) in rooms.iter().enumerate() {
        out.push(HistoryCase {
            what: "chat message".to_owned(),
            size: *size,
            summary: Summary::of(&room_h[k], spent[k], errors[k]),
        });
    }
    for (k, (size, _, _)) in posts.iter().enumerate() {
        out.push(HistoryCase {
            what: "comment".to_owned(),
            size: *size,
            summary: Summary::of(&post_h[k], spent[rooms.len() + k], errors[rooms.len() + k]),
        });
    }
    Ok(out)
}
