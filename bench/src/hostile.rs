//! Hostile load on one instance: what an attacker (or a stampede) throws at a public site, one
//! burst after another, while a reader keeps measuring `/healthz` and a post page. Reports the
//! server's peak resident memory, how soon it comes back down, the reader's latencies, every
//! status the bursts got, and whether every acknowledged write is in the database afterwards.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt, stream};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use uuid::Uuid;

use crate::server::{RssSampler, Server, rss_of};
use crate::stats::{self, Summary};

/// What the bursts need of the seeded site.
pub struct Target {
    pub base: String,
    pub pid: u32,
    pub db: PgPool,
    /// A post page the reader fetches.
    pub post_path: String,
    /// (username, token) of seeded users, all with the seed's password.
    pub users: Vec<(String, String)>,
    pub password: String,
    /// A room of 100,000 messages and the username of one of its people.
    pub long_room: (Uuid, String),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Burst {
    pub name: String,
    pub requests: u64,
    pub seconds: f64,
    /// How many got each status (or `closed`, `refused`, `error` for sockets and connections).
    pub outcomes: BTreeMap<String, u64>,
    /// What was acknowledged, and how much of it is in the database afterwards.
    pub acknowledged: u64,
    pub present: u64,
    /// The largest resident size seen during the burst.
    pub peak_rss: u64,
    pub note: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Hostile {
    pub idle_rss: u64,
    pub peak_rss: u64,
    /// Resident size 30 s after the last burst, and when it first went under 60 MB.
    pub settled_rss: u64,
    pub settled_after_seconds: Option<f64>,
    pub healthz: Summary,
    pub post_page: Summary,
    /// Answers of 500 or more to the reader, other than 503s.
    pub reader_failures: u64,
    pub bursts: Vec<Burst>,
}

const SETTLED_BYTES: u64 = 60 * 1024 * 1024;

pub async fn run(target: Target) -> anyhow::Result<Hostile> {
    let target = Arc::new(target);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_of(target.pid);
    let reader = Reader::start(target.clone());
    let overall = RssSampler::start_every(target.pid, Duration::from_millis(50));

    let mut bursts = Vec::new();
    bursts.push(measured(&target, logins(&target)).await?);
    bursts.push(measured(&target, sign_ups(&target)).await?);
    bursts.push(measured(&target, uploads(&target)).await?);
    bursts.push(measured(&target, sockets(&target)).await?);
    bursts.push(measured(&target, slow_clients(&target)).await?);
    bursts.push(measured(&target, chat_burst(&target)).await?);
    bursts.push(measured(&target, export(&target)).await?);
    bursts.push(measured(&target, unkept_pages(&target)).await?);
    let peak_rss = overall.finish().await;

    // Memory coming back: sample once a second for 30 s.
    let ended = Instant::now();
    let mut settled_after_seconds = None;
    let mut settled_rss = rss_of(target.pid);
    while ended.elapsed() < Duration::from_secs(30) {
        settled_rss = rss_of(target.pid);
        if settled_after_seconds.is_none() && settled_rss < SETTLED_BYTES {
            settled_after_seconds = Some(ended.elapsed().as_secs_f64());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let (healthz, post_page, reader_failures) = reader.finish().await;
    Ok(Hostile {
        idle_rss,
        peak_rss,
        settled_rss,
        settled_after_seconds,
        healthz,
        post_page,
        reader_failures,
        bursts,
    })
}

/// Runs a burst with its own memory sampler, and prints what it saw.
async fn measured(
    target: &Target,
    burst: impl Future<Output = anyhow::Result<Burst>>,
) -> anyhow::Result<Burst> {
    let sampler = RssSampler::start_every(target.pid, Duration::from_millis(50));
    let started = Instant::now();
    let mut result = burst.await?;
    result.seconds = started.elapsed().as_secs_f64();
    result.peak_rss = sampler.finish().await;
    eprintln!(
        "        {}: {} in {:.1} s, {:?}, acknowledged {} present {}, peak {:.0} MB {}",
        result.name,
        result.requests,
        result.seconds,
        result.outcomes,
        result.acknowledged,
        result.present,
        result.peak_rss as f64 / 1_048_576.0,
        result.note
    );
    // A breath between bursts, so each one's peak is its own.
    tokio::time::sleep(Duration::from_secs(2)).await;
    Ok(result)
}

#[derive(Default)]
struct Outcomes(Mutex<BTreeMap<String, u64>>);

impl Outcomes {
    async fn add(&self, what: impl Into<String>) {
        *self.0.lock().await.entry(what.into()).or_default() += 1;
    }

    async fn take(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut *self.0.lock().await)
    }
}

/// A fresh client address for every attacker request (the instance trusts `X-Forwarded-For`):
/// a botnet, so only the bounded pools stand in the way, not the per-address limits.
fn address(i: u64) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

/// 500 clients at once, for 10 s, each logging in to an unknown account with a wrong password.
async fn logins(target: &Target) -> anyhow::Result<Burst> {
    let outcomes = Arc::new(Outcomes::default());
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let client = reqwest::Client::builder().pool_max_idle_per_host(500).build()?;
    let workers = (0..500).map(|_| {
        let (client, outcomes, counter) = (client.clone(), outcomes.clone(), counter.clone());
        let url = format!("{}/api/users/login", target.base);
        tokio::spawn(async move {
            while started.elapsed() < Duration::from_secs(10) {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                let body = json!({ "user": { "email": format!("nobody{i}@example.com"), "password": "wrong password" } });
                let status = client
                    .post(&url)
                    .header("x-forwarded-for", address(i))
                    .json(&body)
                    .send()
                    .await
                    .map_or_else(|_| "error".to_owned(), |r| r.status().as_u16().to_string());
                outcomes.add(status).await;
            }
        })
    });
    futures_util::future::join_all(workers).await;
    Ok(Burst {
        name: "500 concurrent failed logins, unknown users, 10 s".to_owned(),
        requests: counter.load(Ordering::Relaxed),
        outcomes: outcomes.take().await,
        ..Burst::default()
    })
}

/// 300 sign-ups through the API, 8 at a time, each from its own address.
async fn sign_ups(target: &Target) -> anyhow::Result<Burst> {
    let outcomes = Arc::new(Outcomes::default());
    let made = Arc::new(Mutex::new(Vec::new()));
    let client = reqwest::Client::new();
    let run = Uuid::new_v4().simple().to_string()[..8].to_owned();
    stream::iter(0..300u64)
        .for_each_concurrent(8, |i| {
            let (client, outcomes, made) = (client.clone(), outcomes.clone(), made.clone());
            let url = format!("{}/api/users", target.base);
            let name = format!("h{run}{i}");
            async move {
                let body = json!({ "user": { "username": name, "email": format!("{name}@hostile.example"), "password": "a long enough password" } });
                match client
                    .post(&url)
                    .header("x-forwarded-for", address(1_000_000 + i))
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(response) => {
                        if response.status().as_u16() == 201 {
                            made.lock().await.push(name);
                        }
                        outcomes.add(response.status().as_u16().to_string()).await;
                    }
                    Err(_) => outcomes.add("error").await,
                }
            }
        })
        .await;
    let made = made.lock().await.clone();
    let present: i64 = sqlx::query_scalar("select count(*) from users where username = any($1)")
        .bind(&made)
        .fetch_one(&target.db)
        .await?;
    Ok(Burst {
        name: "300 sign-ups, 8 at a time".to_owned(),
        requests: 300,
        outcomes: outcomes.take().await,
        acknowledged: made.len() as u64,
        present: present as u64,
        ..Burst::default()
    })
}

/// A browser-like client signed in as `username`: its cookies, and the CSRF token of its forms.
async fn signed_in(base: &str, username: &str, password: &str) -> anyhow::Result<(reqwest::Client, String)> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = client.get(format!("{base}/login")).send().await?.text().await?;
    let csrf = csrf_token(&page).ok_or_else(|| anyhow::anyhow!("no CSRF token on the login page"))?;
    let response = client
        .post(format!("{base}/login"))
        .form(&[("login", username), ("password", password), ("csrf_token", &csrf)])
        .send()
        .await?;
    anyhow::ensure!(
        response.status().as_u16() == 303,
        "logging in as {username}: {}",
        response.status()
    );
    let page = client
        .get(format!("{base}/settings"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = csrf_token(&page).ok_or_else(|| anyhow::anyhow!("no CSRF token on the settings page"))?;
    Ok((client, csrf))
}

fn csrf_token(page: &str) -> Option<String> {
    let at = page.find("name=\"csrf-token\" content=\"")? + "name=\"csrf-token\" content=\"".len();
    Some(page[at..].split('"').next()?.to_owned())
}

/// A photo of 8000 × 5000 pixels (40 megapixels) as a JPEG under 5 MB: smooth gradients with a
/// little texture, like a sky.
fn forty_megapixels() -> anyhow::Result<Vec<u8>> {
    let (width, height) = (8000u32, 5000u32);
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        let noise = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 7) as u8;
        image::Rgb([
            (x * 255 / width) as u8 ^ noise,
            (y * 255 / height) as u8,
            ((x + y) % 256) as u8 / 2,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 60).encode_image(&image)?;
    anyhow::ensure!(out.len() < 5 * 1024 * 1024, "the photo is {} bytes", out.len());
    Ok(out)
}

/// 50 people at once set a 40-megapixel photo as their picture.
async fn uploads(target: &Target) -> anyhow::Result<Burst> {
    let photo = tokio::task::spawn_blocking(forty_megapixels).await??;
    let people = &target.users[200..250];
    let mut browsers = Vec::new();
    for (username, _) in people {
        browsers.push((
            username.clone(),
            signed_in(&target.base, username, &target.password).await?,
        ));
    }
    let outcomes = Arc::new(Outcomes::default());
    let saved = Arc::new(Mutex::new(Vec::new()));
    let uploads = browsers
        .into_iter()
        .enumerate()
        .map(|(i, (username, (client, csrf)))| {
            let (outcomes, saved, photo) = (outcomes.clone(), saved.clone(), photo.clone());
            let url = format!("{}/settings", target.base);
            tokio::spawn(async move {
                let form = reqwest::multipart::Form::new()
                    .text("csrf_token", csrf)
                    .text("display_name", format!("Photographer {i}"))
                    .text("bio", "")
                    .text("email", format!("{username}@bench.example"))
                    .part(
                        "avatar",
                        reqwest::multipart::Part::bytes(photo).file_name("sky.jpg"),
                    );
                match client.post(&url).multipart(form).send().await {
                    Ok(response) => {
                        if response.status().as_u16() == 303 {
                            saved.lock().await.push(username);
                        }
                        outcomes.add(response.status().as_u16().to_string()).await;
                    }
                    Err(_) => outcomes.add("error").await,
                }
            })
        });
    futures_util::future::join_all(uploads).await;
    let saved = saved.lock().await.clone();
    let present: i64 =
        sqlx::query_scalar("select count(*) from users where username = any($1) and image like '/media/%'")
            .bind(&saved)
            .fetch_one(&target.db)
            .await?;
    Ok(Burst {
        name: "50 concurrent 40-megapixel uploads".to_owned(),
        requests: 50,
        outcomes: outcomes.take().await,
        acknowledged: saved.len() as u64,
        present: present as u64,
        note: format!("({:.1} MB each)", photo.len() as f64 / 1_048_576.0),
        ..Burst::default()
    })
}

/// 2,000 sockets opened and closed, 50 at a time, by 200 people.
async fn sockets(target: &Target) -> anyhow::Result<Burst> {
    let outcomes = Arc::new(Outcomes::default());
    stream::iter(0..2000usize)
        .for_each_concurrent(50, |i| {
            let outcomes = outcomes.clone();
            let token = target.users[i % 200].1.clone();
            let url = format!("{}/ws", target.base.replacen("http://", "ws://", 1));
            async move {
                let outcome = async {
                    let mut request = url.into_client_request()?;
                    request
                        .headers_mut()
                        .insert("Authorization", format!("Token {token}").parse()?);
                    request
                        .headers_mut()
                        .insert("x-forwarded-for", address(2_000_000 + i as u64).parse()?);
                    match tokio_tungstenite::connect_async(request).await {
                        Ok((mut socket, _)) => {
                            let _ = tokio::time::timeout(Duration::from_secs(5), socket.next()).await;
                            let _ = socket.close(None).await;
                            Ok::<_, anyhow::Error>("opened".to_owned())
                        }
                        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                            Ok(response.status().as_u16().to_string())
                        }
                        Err(_) => Ok("error".to_owned()),
                    }
                }
                .await
                .unwrap_or_else(|_| "error".to_owned());
                outcomes.add(outcome).await;
            }
        })
        .await;
    Ok(Burst {
        name: "2,000 socket connects and disconnects, 50 at a time".to_owned(),
        requests: 2000,
        outcomes: outcomes.take().await,
        ..Burst::default()
    })
}

/// 200 connections that send a header byte every second and never finish.
async fn slow_clients(target: &Target) -> anyhow::Result<Burst> {
    let outcomes = Arc::new(Outcomes::default());
    let longest = Arc::new(AtomicU64::new(0));
    let address = target.base.trim_start_matches("http://").to_owned();
    let clients = (0..200).map(|_| {
        let (outcomes, longest, address) = (outcomes.clone(), longest.clone(), address.clone());
        tokio::spawn(async move {
            let Ok(mut stream) = tokio::net::TcpStream::connect(&address).await else {
                outcomes.add("error").await;
                return;
            };
            let started = Instant::now();
            let _ = stream
                .write_all(format!("GET / HTTP/1.1\r\nHost: {address}\r\n").as_bytes())
                .await;
            let mut buffer = [0u8; 512];
            loop {
                if started.elapsed() > Duration::from_secs(45) {
                    outcomes.add("still open after 45 s").await;
                    return;
                }
                match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await {
                    Ok(Ok(0) | Err(_)) => break,
                    Ok(Ok(_)) => {}
                    Err(_) => {
                        if stream.write_all(b"X").await.is_err() {
                            break;
                        }
                    }
                }
            }
            longest.fetch_max(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            outcomes.add("closed by the server").await;
        })
    });
    futures_util::future::join_all(clients).await;
    Ok(Burst {
        name: "200 clients trickling headers".to_owned(),
        requests: 200,
        outcomes: outcomes.take().await,
        note: format!(
            "(the last was cut off after {:.1} s)",
            longest.load(Ordering::Relaxed) as f64 / 1000.0
        ),
        ..Burst::default()
    })
}

/// One person sends 200 messages as fast as the socket takes them: the send limit (120 a
/// minute) answers the rest with an error frame saying when to retry.
async fn chat_burst(target: &Target) -> anyhow::Result<Burst> {
    let (room, sender) = &target.long_room;
    let token = target
        .users
        .iter()
        .find(|(name, _)| name == sender)
        .map(|(_, token)| token.clone())
        .ok_or_else(|| anyhow::anyhow!("no token for {sender}"))?;
    let mut socket = crate::chat::connect(&target.base, &token).await?;
    let mut client_ids = Vec::new();
    for _ in 0..200 {
        let client_id = Uuid::new_v4();
        client_ids.push(client_id);
        let frame = json!({ "type": "send", "room_id": room, "client_id": client_id, "body": "a burst" });
        socket.send(Message::Text(frame.to_string().into())).await?;
    }
    let mut outcomes = BTreeMap::new();
    let mut acked = Vec::new();
    let mut answered = 0;
    while answered < 200 {
        let Ok(Some(Ok(message))) = tokio::time::timeout(Duration::from_secs(10), socket.next()).await else {
            break;
        };
        let Message::Text(text) = message else { continue };
        let frame: Value = serde_json::from_str(&text)?;
        let kind = match frame["type"].as_str() {
            Some("ack") => {
                if let Some(id) = frame["client_id"].as_str().and_then(|id| id.parse::<Uuid>().ok()) {
                    acked.push(id);
                }
                "ack".to_owned()
            }
            Some("error") => format!("error {}", frame["code"].as_str().unwrap_or_default()),
            _ => continue,
        };
        *outcomes.entry(kind).or_insert(0) += 1;
        answered += 1;
    }
    let present: i64 = sqlx::query_scalar("select count(*) from messages where client_id = any($1)")
        .bind(&acked)
        .fetch_one(&target.db)
        .await?;
    Ok(Burst {
        name: "a chat burst: 200 messages at once from one person".to_owned(),
        requests: 200,
        outcomes,
        acknowledged: acked.len() as u64,
        present: present as u64,
        ..Burst::default()
    })
}

/// The NDJSON download of the room of 100,000 messages, read slowly.
async fn export(target: &Target) -> anyhow::Result<Burst> {
    let (room, member) = &target.long_room;
    let (client, _) = signed_in(&target.base, member, &target.password).await?;
    let response = client
        .get(format!("{}/chat/{room}/history.ndjson", target.base))
        .send()
        .await?;
    let status = response.status().as_u16().to_string();
    let mut body = response.bytes_stream();
    let (mut bytes, mut lines) = (0u64, 0u64);
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        // A reader on a slow line: the server must not buffer what it cannot send yet.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(Burst {
        name: "export of a room of 100,000 messages".to_owned(),
        requests: 1,
        outcomes: BTreeMap::from([(status, 1)]),
        note: format!("({lines} events, {:.1} MB)", bytes as f64 / 1_048_576.0),
        ..Burst::default()
    })
}

/// 64 clients for 10 s, each request a page never asked for before, so that no kept page can
/// answer it and each is made and kept: the home page under a new query, signed out; a tag
/// page under a new query, signed in as one of 20 people; a profile page with a session
/// cookie nobody was given. The kept pages' caches must stay within their bounds.
async fn unkept_pages(target: &Target) -> anyhow::Result<Burst> {
    let mut people = Vec::new();
    for (username, _) in target.users.iter().take(20) {
        people.push(signed_in(&target.base, username, &target.password).await?.0);
    }
    let anonymous = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let (people, outcomes, counter) = (
        Arc::new(people),
        Arc::new(Outcomes::default()),
        Arc::new(AtomicU64::new(0)),
    );
    let started = Instant::now();
    let workers = (0..64).map(|_| {
        let (people, anonymous) = (people.clone(), anonymous.clone());
        let (outcomes, counter, base) = (outcomes.clone(), counter.clone(), target.base.clone());
        let profile = format!("/@{}", target.users[0].0);
        tokio::spawn(async move {
            while started.elapsed() < Duration::from_secs(10) {
                let i = counter.fetch_add(1, Ordering::Relaxed);
                let request = match i % 3 {
                    0 => anonymous.get(format!("{base}/?seen={i}")),
                    1 => people[(i as usize / 3) % people.len()].get(format!("{base}/tags/rust?seen={i}")),
                    _ => anonymous
                        .get(format!("{base}{profile}?seen={i}"))
                        .header("cookie", format!("bocha_session={}", forged_session(i))),
                };
                let status = request
                    .header("x-forwarded-for", address(i))
                    .send()
                    .await
                    .map_or_else(|_| "error".to_owned(), |r| r.status().as_u16().to_string());
                outcomes.add(status).await;
            }
        })
    });
    futures_util::future::join_all(workers).await;
    Ok(Burst {
        name: "64 clients, 10 s of kept pages under queries never asked before (signed out, \
               signed in, forged sessions)"
            .to_owned(),
        requests: counter.load(Ordering::Relaxed),
        outcomes: outcomes.take().await,
        ..Burst::default()
    })
}

/// A well-formed session id (22 characters of URL-safe base64) that no session has.
fn forged_session(i: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..22)
        .map(|k| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // The last character carries 2 bits of the 128: it must be one of A, Q, g, w.
            let bits = if k == 21 { (x % 4) * 16 } else { x % 64 };
            ALPHABET[bits as usize] as char
        })
        .collect()
}

/// Fetches `/healthz` and a post page, one after the other, every 20 ms, until stopped.
struct Reader {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<(Summary, Summary, u64)>,
}

impl Reader {
    fn start(target: Arc<Target>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut health, mut page) = (stats::histogram(), stats::histogram());
            let (mut health_errors, mut page_errors, mut failures) = (0, 0, 0);
            let started = Instant::now();
            while !stopped.load(Ordering::Relaxed) {
                for (path, histogram, errors) in [
                    ("/healthz", &mut health, &mut health_errors),
                    (target.post_path.as_str(), &mut page, &mut page_errors),
                ] {
                    let begun = Instant::now();
                    match client.get(format!("{}{path}", target.base)).send().await {
                        Ok(response) if response.status().is_success() => {
                            let _ = response.bytes().await;
                            stats::record(histogram, begun.elapsed());
                        }
                        Ok(response) => {
                            *errors += 1;
                            if response.status().as_u16() >= 500 && response.status().as_u16() != 503 {
                                failures += 1;
                            }
                        }
                        Err(_) => *errors += 1,
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let over = started.elapsed();
            (
                Summary::of(&health, over, health_errors),
                Summary::of(&page, over, page_errors),
                failures,
            )
        });
        Self { stop, task }
    }

    async fn finish(self) -> (Summary, Summary, u64) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or_default()
    }
}

/// The instance under attack runs with the default limits, behind a (pretend) proxy.
pub async fn server(env: &crate::server::ServerEnv, port: u16) -> anyhow::Result<Server> {
    Server::start_with(env, port, &[("TRUST_PROXY", "true")]).await
}
