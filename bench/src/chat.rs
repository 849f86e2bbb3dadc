//! Chat over WebSockets: pairs of people on two instances sending to each other, and many
//! idle sockets on one instance.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{Mutex, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

use crate::stats::{self, Summary};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a socket to `base` (http://host:port) as the token's user and waits for `hello`.
pub async fn connect(base: &str, token: &str) -> anyhow::Result<Socket> {
    let url = format!("{}/ws", base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("Authorization", format!("Token {token}").parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
        Ok(Some(Ok(Message::Text(text)))) if text.contains("\"hello\"") => Ok(socket),
        other => anyhow::bail!("no hello from the socket: {other:?}"),
    }
}

/// One person of a pair.
pub struct Person {
    pub base: String,
    pub token: String,
    pub username: String,
    pub room: Uuid,
}

/// One rate of the chat load.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChatStep {
    /// How often each person sends.
    pub interval_ms: u64,
    /// Everyone's sends together, per second.
    #[serde(default)]
    pub offered_per_second: f64,
    pub seconds: f64,
    pub sent: u64,
    /// Messages that reached the other person while the step lasted, per second.
    #[serde(default)]
    pub delivered_per_second: f64,
    /// Sends the server refused at once as `overloaded`, and how soon it said so.
    #[serde(default)]
    pub refused: u64,
    #[serde(default)]
    pub refusal: Option<Summary>,
    /// Sends with no answer yet when the client stopped waiting (10 s after the step).
    #[serde(default)]
    pub queued: u64,
    /// Messages acknowledged (stored).
    pub acked: u64,
    /// Messages delivered to the other person (first copies).
    pub delivered: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub errors: u64,
    /// Send → arrival at the other person's socket.
    pub end_to_end: Summary,
    /// Send → acknowledgement to the sender (the message send itself).
    pub ack: Summary,
}

#[derive(Default)]
struct Tracker {
    sent_at: Mutex<HashMap<Uuid, Instant>>,
    acked: Mutex<HashMap<(Uuid, i64), ()>>,
    received: Mutex<HashMap<(Uuid, i64), u32>>,
    e2e: Mutex<Option<Histogram<u64>>>,
    ack: Mutex<Option<Histogram<u64>>>,
    refusal: Mutex<Option<Histogram<u64>>>,
    sent: AtomicU64,
    errors: AtomicU64,
    refused: AtomicU64,
    /// Deliveries while the step's sending lasts.
    in_window: AtomicU64,
    window_open: std::sync::atomic::AtomicBool,
}

impl Tracker {
    async fn reset(&self) {
        self.sent_at.lock().await.clear();
        self.acked.lock().await.clear();
        self.received.lock().await.clear();
        *self.e2e.lock().await = Some(stats::histogram());
        *self.ack.lock().await = Some(stats::histogram());
        *self.refusal.lock().await = Some(stats::histogram());
        self.sent.store(0, Ordering::Relaxed);
        self.errors.store(0, Ordering::Relaxed);
        self.refused.store(0, Ordering::Relaxed);
        self.in_window.store(0, Ordering::Relaxed);
    }

    async fn on_frame(&self, me: &str, text: &str) {
        let Ok(frame) = serde_json::from_str::<Value>(text) else {
            return;
        };
        let now = Instant::now();
        match frame["type"].as_str() {
            Some("ack") => {
                let message = &frame["message"];
                let (Some(room), Some(seq)) = (uuid_of(&message["room_id"]), message["seq"].as_i64()) else {
                    return;
                };
                self.acked.lock().await.insert((room, seq), ());
                let client_id = uuid_of(&frame["client_id"]);
                let sent = match client_id {
                    Some(id) => self.sent_at.lock().await.get(&id).copied(),
                    None => None,
                };
                if let (Some(sent), Some(h)) = (sent, self.ack.lock().await.as_mut()) {
                    stats::record(h, now - sent);
                }
            }
            Some("message") => {
                let message = &frame["message"];
                if message["sender"].as_str() == Some(me) {
                    return;
                }
                let (Some(room), Some(seq)) = (uuid_of(&message["room_id"]), message["seq"].as_i64()) else {
                    return;
                };
                let first = {
                    let mut received = self.received.lock().await;
                    let count = received.entry((room, seq)).or_insert(0);
                    *count += 1;
                    *count == 1
                };
                if first && self.window_open.load(Ordering::Relaxed) {
                    self.in_window.fetch_add(1, Ordering::Relaxed);
                }
                if first {
                    let sent = match uuid_of(&message["client_id"]) {
                        Some(id) => self.sent_at.lock().await.get(&id).copied(),
                        None => None,
                    };
                    if let (Some(sent), Some(h)) = (sent, self.e2e.lock().await.as_mut()) {
                        stats::record(h, now - sent);
                    }
                }
            }
            Some("error") if frame["code"] == "overloaded" => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                let sent = match uuid_of(&frame["client_id"]) {
                    Some(id) => self.sent_at.lock().await.get(&id).copied(),
                    None => None,
                };
                if let (Some(sent), Some(h)) = (sent, self.refusal.lock().await.as_mut()) {
                    stats::record(h, now - sent);
                }
            }
            Some("error") => {
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

fn uuid_of(value: &Value) -> Option<Uuid> {
    value.as_str()?.parse().ok()
}

/// Connected people sending at a rate set step by step.
pub struct ChatLoad {
    tracker: Arc<Tracker>,
    rate: watch::Sender<Option<u64>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    people: usize,
}

/// Every message's body: 64 bytes, as a short chat line.
pub const BODY_BYTES: usize = 64;

impl ChatLoad {
    /// Connects everyone (a few at a time).
    pub async fn connect(people: Vec<Person>) -> anyhow::Result<Self> {
        let tracker = Arc::new(Tracker::default());
        tracker.reset().await;
        let (rate, rate_rx) = watch::channel(None::<u64>);
        let count = people.len();
        let mut sockets = Vec::new();
        for chunk in people.chunks(50) {
            let connecting = chunk.iter().map(|p| connect(&p.base, &p.token));
            for socket in futures_util::future::join_all(connecting).await {
                sockets.push(socket?);
            }
        }
        let mut tasks = Vec::new();
        for (i, (person, socket)) in people.into_iter().zip(sockets).enumerate() {
            tasks.push(tokio::spawn(person_loop(
                person,
                socket,
                tracker.clone(),
                rate_rx.clone(),
                i as u64,
            )));
        }
        Ok(Self {
            tracker,
            rate,
            tasks,
            people: count,
        })
    }

    /// Everyone together sends `per_second` messages a second for `duration`.
    pub async fn offer(&self, per_second: f64, duration: Duration) -> ChatStep {
        let interval = Duration::from_secs_f64(self.people as f64 / per_second);
        self.step(interval, duration).await
    }

    /// Everyone sends every `interval` for `duration`; then waits for stragglers (up to 10 s,
    /// at least 3) and counts.
    pub async fn step(&self, interval: Duration, duration: Duration) -> ChatStep {
        self.tracker.reset().await;
        let started = Instant::now();
        self.tracker.window_open.store(true, Ordering::Relaxed);
        let _ = self.rate.send(Some(interval.as_micros() as u64));
        tokio::time::sleep(duration).await;
        let _ = self.rate.send(None);
        self.tracker.window_open.store(false, Ordering::Relaxed);
        let seconds = started.elapsed();
        let in_window = self.tracker.in_window.load(Ordering::Relaxed);
        // Let messages in flight arrive before counting what was lost.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let answered = || async {
            self.tracker.acked.lock().await.len() as u64
                + self.tracker.refused.load(Ordering::Relaxed)
                + self.tracker.errors.load(Ordering::Relaxed)
        };
        let give_up = Instant::now() + Duration::from_secs(7);
        while answered().await < self.tracker.sent.load(Ordering::Relaxed) && Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let queued = self
            .tracker
            .sent
            .load(Ordering::Relaxed)
            .saturating_sub(answered().await);
        let refusal = self
            .tracker
            .refusal
            .lock()
            .await
            .clone()
            .unwrap_or_else(stats::histogram);
        let acked = self.tracker.acked.lock().await.clone();
        let received = self.tracker.received.lock().await.clone();
        let lost = acked.keys().filter(|k| !received.contains_key(*k)).count() as u64;
        let duplicated = received.values().map(|n| u64::from(n.saturating_sub(1))).sum();
        let e2e = self
            .tracker
            .e2e
            .lock()
            .await
            .clone()
            .unwrap_or_else(stats::histogram);
        let ack = self
            .tracker
            .ack
            .lock()
            .await
            .clone()
            .unwrap_or_else(stats::histogram);
        let refused = self.tracker.refused.load(Ordering::Relaxed);
        ChatStep {
            interval_ms: interval.as_millis() as u64,
            offered_per_second: self.people as f64 / interval.as_secs_f64().max(1e-6),
            seconds: seconds.as_secs_f64(),
            sent: self.tracker.sent.load(Ordering::Relaxed),
            delivered_per_second: in_window as f64 / seconds.as_secs_f64().max(1e-3),
            refused,
            refusal: (refused > 0).then(|| Summary::of(&refusal, seconds, 0)),
            queued,
            acked: acked.len() as u64,
            delivered: received.len() as u64,
            lost,
            duplicated,
            errors: self.tracker.errors.load(Ordering::Relaxed),
            end_to_end: Summary::of(&e2e, seconds, 0),
            ack: Summary::of(&ack, seconds, 0),
        }
    }

    pub fn close(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

async fn person_loop(
    person: Person,
    socket: Socket,
    tracker: Arc<Tracker>,
    mut rate: watch::Receiver<Option<u64>>,
    index: u64,
) {
    let (mut sink, mut stream) = socket.split();
    let mut ticker: Option<tokio::time::Interval> = None;
    let mut n = 0u64;
    loop {
        tokio::select! {
            changed = rate.changed() => {
                if changed.is_err() {
                    return;
                }
                ticker = (*rate.borrow_and_update()).map(|us| {
                    // Spread the people over the interval so the load is even.
                    let phase = Duration::from_micros((index * 7919 * 13) % us.max(1));
                    let mut interval = tokio::time::interval_at(
                        tokio::time::Instant::now() + phase,
                        Duration::from_micros(us.max(1)),
                    );
                    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    interval
                });
            }
            () = async { if let Some(t) = ticker.as_mut() { t.tick().await; } else { std::future::pending::<()>().await } } => {
                let client_id = Uuid::new_v4();
                n += 1;
                tracker.sent_at.lock().await.insert(client_id, Instant::now());
                tracker.sent.fetch_add(1, Ordering::Relaxed);
                let mut body = format!("message {n} from {} ", person.username);
                body.extend(std::iter::repeat_n('.', BODY_BYTES.saturating_sub(body.len())));
                body.truncate(BODY_BYTES);
                let frame = json!({ "type": "send", "room_id": person.room, "client_id": client_id, "body": body });
                if sink.send(Message::Text(frame.to_string().into())).await.is_err() {
                    tracker.errors.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
            next = stream.next() => match next {
                Some(Ok(Message::Text(text))) => tracker.on_frame(&person.username, text.as_str()).await,
                Some(Ok(_)) => {}
                _ => {
                    tracker.errors.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdleSockets {
    pub sockets: u64,
    pub rss_before: u64,
    pub rss_after: u64,
    pub per_socket_bytes: f64,
    pub connect_seconds: f64,
}

/// Opens `count` sockets to `base` (tokens used in turn), keeps them open and reads their
/// frames, and reports the server's resident memory before and after.
pub async fn idle(
    base: &str,
    tokens: &[String],
    count: usize,
    pid: u32,
) -> anyhow::Result<(IdleSockets, Vec<tokio::task::JoinHandle<()>>)> {
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_before = crate::server::rss_of(pid);
    let started = Instant::now();
    let mut holders = Vec::with_capacity(count);
    let mut opened = 0usize;
    while opened < count {
        let batch = (count - opened).min(200);
        let connecting = (opened..opened + batch).map(|i| connect(base, &tokens[i % tokens.len()]));
        for socket in futures_util::future::join_all(connecting).await {
            let mut socket = socket?;
            holders.push(tokio::spawn(async move {
                while let Some(Ok(_)) = socket.next().await {}
            }));
        }
        opened += batch;
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after = crate::server::rss_of(pid);
    Ok((
        IdleSockets {
            sockets: count as u64,
            rss_before,
            rss_after,
            per_socket_bytes: (rss_after.saturating_sub(rss_before)) as f64 / count.max(1) as f64,
            connect_seconds,
        },
        holders,
    ))
}
