//! `bocha-bench`: seeds databases, starts `bocha serve` instances, drives them and writes the
//! results as Markdown tables. Run through `scripts/bench` (see bench/README.md).

mod ceiling;
mod chat;
mod hostile;
mod load;
mod report;
mod seed;
mod server;
mod stats;
mod wrk;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use sqlx::PgPool;
use sqlx::migrate::MigrateDatabase;
use uuid::Uuid;

use crate::report::{Machine, Read, ReadTarget, Rebuild, Results, WriteResult};
use crate::server::{RssSampler, Server, ServerEnv};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
enum Part {
    /// Only seed the site's database and keep it (for profiling by hand).
    Seed,
    Reads,
    Writes,
    History,
    Chat,
    Idle,
    /// Bursts an attacker would send, one instance, memory and latency throughout.
    Hostile,
    Rebuild,
}

#[derive(Parser)]
#[command(about = "Bocha's benchmark harness")]
struct Cli {
    /// Parts to run (all when none is named).
    #[arg(value_enum)]
    parts: Vec<Part>,
    /// The `bocha` binary to benchmark.
    #[arg(long, default_value = "target/release/bocha")]
    bocha: PathBuf,
    /// Postgres server (databases named bocha_bench_* are created on it and dropped after).
    #[arg(
        long,
        env = "BENCH_POSTGRES",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    postgres: String,
    #[arg(long, env = "BENCH_REDIS", default_value = "redis://127.0.0.1:6379")]
    redis: String,
    /// Seconds of load per read row.
    #[arg(long, env = "BENCH_SECONDS", default_value_t = 15)]
    seconds: u64,
    /// Seconds per write kind and per chat step.
    #[arg(long, env = "BENCH_WRITE_SECONDS", default_value_t = 10)]
    write_seconds: u64,
    /// Events in the log the rebuild runs over.
    #[arg(long, env = "BENCH_REBUILD_EVENTS", default_value_t = 1_000_000)]
    rebuild_events: u64,
    /// Idle sockets to open.
    #[arg(long, env = "BENCH_IDLE_SOCKETS", default_value_t = 10_000)]
    idle_sockets: usize,
    /// Requests per size in the history-growth part.
    #[arg(long, env = "BENCH_HISTORY_ROUNDS", default_value_t = 200)]
    history_rounds: usize,
    /// Where the results are kept between runs.
    #[arg(long, default_value = "bench/results.json")]
    json: PathBuf,
    /// The Markdown table.
    #[arg(long, default_value = "bench/RESULTS.md")]
    out: PathBuf,
    /// Where server logs go.
    #[arg(long, default_value = "target/bench")]
    work_dir: PathBuf,
    /// Keep the databases afterwards (for profiling by hand).
    #[arg(long)]
    keep: bool,
    /// Use the site database that `bocha-bench seed` kept (its description, written to
    /// <work-dir>/site.json) instead of seeding a new one.
    #[arg(long)]
    reuse: Option<PathBuf>,
}

const SECRET: &str = "bench-secret-key-shared-by-every-instance-0123456789";
const MASTER: &str = "bench-master-key-shared-by-every-instance-0123456789";
const LEDGER: &str = "bench-ledger-key-shared-by-every-instance-0123456789";
const PORTS: [u16; 3] = [18181, 18182, 18183];
const CEILING_PORT: u16 = 18190;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut parts = cli.parts.clone();
    if parts.is_empty() {
        parts = vec![
            Part::Reads,
            Part::Writes,
            Part::History,
            Part::Chat,
            Part::Idle,
            Part::Hostile,
            Part::Rebuild,
        ];
    }
    parts.sort();
    parts.dedup();
    std::fs::create_dir_all(&cli.work_dir)?;
    let mut results: Results = std::fs::read_to_string(&cli.json)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    results.machine = Some(machine(&cli).await);

    let run = std::process::id();
    let env = |database: &str| ServerEnv {
        bocha: cli.bocha.clone(),
        database_url: format!("{}/{database}", cli.postgres),
        redis_url: cli.redis.clone(),
        redis_prefix: format!("bench{run}"),
        secret_key: SECRET.to_owned(),
        master_key: MASTER.to_owned(),
        log_dir: cli.work_dir.clone(),
    };

    let site_parts: Vec<Part> = parts.iter().copied().filter(|p| *p != Part::Rebuild).collect();
    if let Some(path) = &cli.reuse {
        let (database, site): (String, seed::Site) = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        let outcome = site_parts_with(&cli, &env(&database), &site_parts, &mut results, site).await;
        save(&cli, &results)?;
        return outcome;
    }
    if site_parts == [Part::Seed] {
        let database = format!("bocha_bench_site_{run}");
        site(&cli, &env(&database), &site_parts, &mut results).await?;
        println!("seeded and kept: {}/{database}", cli.postgres);
        return Ok(());
    }
    if !site_parts.is_empty() {
        let database = format!("bocha_bench_site_{run}");
        let outcome = site(&cli, &env(&database), &site_parts, &mut results).await;
        save(&cli, &results)?;
        if !cli.keep {
            drop_database(&cli, &database).await;
        }
        outcome?;
    }
    if parts.contains(&Part::Rebuild) {
        let database = format!("bocha_bench_log_{run}");
        let outcome = rebuild(&cli, &env(&database), &mut results).await;
        save(&cli, &results)?;
        if !cli.keep {
            drop_database(&cli, &database).await;
        }
        outcome?;
    }
    println!("results written to {}", cli.out.display());
    Ok(())
}

fn save(cli: &Cli, results: &Results) -> anyhow::Result<()> {
    std::fs::write(&cli.json, serde_json::to_string_pretty(results)?)?;
    std::fs::write(&cli.out, results.markdown())?;
    Ok(())
}

async fn create_database(cli: &Cli, name: &str) -> anyhow::Result<PgPool> {
    let url = format!("{}/{name}", cli.postgres);
    let _ = sqlx::Postgres::drop_database(&url).await;
    let pool = eventstore::db::connect(&url, eventstore::db::PoolSettings::unbounded(8)).await?;
    eventstore::db::migrate(&pool).await?;
    Ok(pool)
}

async fn drop_database(cli: &Cli, name: &str) {
    let url = format!("{}/{name}", cli.postgres);
    if let Err(err) = sqlx::Postgres::force_drop_database(&url).await {
        eprintln!("could not drop {name}: {err}");
    }
}

async fn password_hash() -> anyhow::Result<String> {
    let password =
        domain::user::Password::parse_length(seed::PASSWORD).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let pool = app::services::pools::Pool::new("bench", 1, 0);
    Ok(app::services::passwords::hash(&pool, password)
        .await?
        .as_str()
        .to_owned())
}

/// A token for a seeded user: seeded accounts never changed their password or signed out
/// everywhere, so their credentials are at their first version.
fn token(user: Uuid) -> String {
    let bearer = app::services::tokens::Bearer {
        user,
        credentials_version: 0,
    };
    app::services::tokens::issue(
        &app::services::crypto::Keys::derive(SECRET),
        bearer,
        chrono::Utc::now(),
    )
}

/// One chat step's figures, as they come.
fn report_chat_step(result: &chat::ChatStep) {
    eprintln!(
        "        offered {:.0}/s: delivered {:.0}/s, e2e p50 {:.2} ms p99 {:.2} ms max {:.1} ms, ack p99 {:.2} ms, lost {}, dup {}, refused {}, queued {}, errors {}",
        result.offered_per_second,
        result.delivered_per_second,
        result.end_to_end.p50_ms,
        result.end_to_end.p99_ms,
        result.end_to_end.max_ms,
        result.ack.p99_ms,
        result.lost,
        result.duplicated,
        result.refused,
        result.queued,
        result.errors
    );
}

/// The `Cookie` header of a browser signed in as `username` through the login form.
async fn sign_in(base: &str, username: &str) -> anyhow::Result<String> {
    use reqwest::cookie::CookieStore;
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = client.get(format!("{base}/login")).send().await?.text().await?;
    let token = form
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| anyhow::anyhow!("no CSRF token on the login page"))?;
    let answer = client
        .post(format!("{base}/login"))
        .form(&[
            ("login", username),
            ("password", seed::PASSWORD),
            ("csrf_token", token),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        answer.status().is_redirection(),
        "signing in answered {}",
        answer.status()
    );
    // The page signing in leads to, as a browser follows it: it shows (and so clears) the
    // message left for it, which no later request carries.
    let next = answer
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|location| location.to_str().ok())
        .unwrap_or("/");
    let next = if next.starts_with('/') {
        format!("{base}{next}")
    } else {
        next.to_owned()
    };
    client.get(next).send().await?.error_for_status()?;
    let cookies = jar
        .cookies(&base.parse()?)
        .ok_or_else(|| anyhow::anyhow!("no cookies after signing in"))?;
    Ok(cookies.to_str()?.to_owned())
}

fn step(what: &str) {
    eprintln!("[bench] {what}");
}

/// The parts that run against the seeded site.
async fn site(cli: &Cli, env: &ServerEnv, parts: &[Part], results: &mut Results) -> anyhow::Result<()> {
    step("creating and seeding the site database");
    let pool = create_database(cli, env.database_url.rsplit('/').next().unwrap_or_default()).await?;
    let phc = password_hash().await?;
    let started = Instant::now();
    let site = seed::site(&pool, &phc).await?;
    let write_seconds = started.elapsed().as_secs_f64();
    step(&format!(
        "{} events written in {write_seconds:.1} s; projecting",
        site.events
    ));
    let keyring = eventstore::seal::Keyring::from_secret(MASTER)?;
    let (sealed, took) = seed::seal(&pool, &keyring).await?;
    step(&format!("{sealed} events sealed in {:.1} s", took.as_secs_f64()));
    let (caught_up, took) = seed::catch_up(&pool, &keyring).await?;
    let (in_tree, sealing) = seed::seal_log(&pool, &keyring, LEDGER).await?;
    step(&format!(
        "{in_tree} events put in the log's tree in {:.1} s",
        sealing.as_secs_f64()
    ));
    results.seed = Some(report::Seed {
        events: site.events,
        write_seconds,
        catch_up_events: caught_up,
        catch_up_seconds: took.as_secs_f64(),
    });
    sqlx::query("vacuum analyze").execute(&pool).await?;
    pool.close().await;
    if parts == [Part::Seed] {
        let database = env.database_url.rsplit('/').next().unwrap_or_default().to_owned();
        let file = cli.work_dir.join("site.json");
        std::fs::write(&file, serde_json::to_string(&(database, &site))?)?;
        eprintln!("described in {}", file.display());
        return Ok(());
    }
    site_parts_with(cli, env, parts, results, site).await
}

/// The parts that run against a seeded site.
async fn site_parts_with(
    cli: &Cli,
    env: &ServerEnv,
    parts: &[Part],
    results: &mut Results,
    site: seed::Site,
) -> anyhow::Result<()> {
    let tokens: Vec<String> = site.users.iter().map(|u| token(u.id)).collect();

    if parts.contains(&Part::Idle) {
        // A fresh instance: its idle size, then the same with 10,000 sockets.
        step("idle memory and idle sockets");
        let server = Server::start(env, PORTS[2]).await?;
        let _ = reqwest::get(format!("{}/", server.url())).await;
        let (idle, holders) = chat::idle(&server.url(), &tokens, cli.idle_sockets, server.pid()).await?;
        results.memory.idle = Some(idle.rss_before);
        results.memory.with_sockets = Some(idle.rss_after);
        results.idle = Some(idle);
        for holder in holders {
            holder.abort();
        }
        server.stop().await;
    }

    let a = Server::start(env, PORTS[0]).await?;
    let a_url = a.url();
    if results.memory.idle.is_none() || !parts.contains(&Part::Idle) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        results.memory.idle = Some(a.rss());
    }

    if parts.contains(&Part::Reads) {
        let ceiling = format!(
            "http://{}",
            ceiling::start(&env.database_url, CEILING_PORT).await?
        );
        let slug = &site.recent_slugs[3];
        let reader = &site.users[11].username;
        let signed_in = vec![format!("Cookie: {}", sign_in(&a.url(), reader).await?)];
        let profile = format!("/@{}", site.users[7].username);
        let one_row = Some(("ceiling, one row", 1.0, Some(10.0)));
        let list = Some(("ceiling, list of 20", 1.0, Some(10.0)));
        let api = |ceiling: &'static str| Some((ceiling, 0.8, None));
        let personal = |ceiling: &'static str| Some((ceiling, 0.6, Some(20.0)));
        type Row<'a> = (
            &'a str,
            &'a String,
            String,
            Vec<String>,
            Option<(&'a str, f64, Option<f64>)>,
        );
        let rows: Vec<Row> = vec![
            ("ceiling, one row", &ceiling, format!("/one/{slug}"), vec![], None),
            (
                "API article",
                &a_url,
                format!("/api/articles/{slug}"),
                vec![],
                api("ceiling, one row"),
            ),
            ("post page", &a_url, format!("/posts/{slug}"), vec![], one_row),
            (
                "post page, signed in",
                &a_url,
                format!("/posts/{slug}"),
                signed_in.clone(),
                personal("ceiling, one row"),
            ),
            ("ceiling, list of 20", &ceiling, "/list".to_owned(), vec![], None),
            (
                "API list",
                &a_url,
                "/api/articles?limit=20".to_owned(),
                vec![],
                api("ceiling, list of 20"),
            ),
            ("home", &a_url, "/".to_owned(), vec![], list),
            (
                "home, signed in",
                &a_url,
                "/".to_owned(),
                signed_in.clone(),
                personal("ceiling, list of 20"),
            ),
            ("tag page", &a_url, "/tags/rust".to_owned(), vec![], list),
            ("profile page", &a_url, profile.clone(), vec![], list),
            (
                "profile page, signed in",
                &a_url,
                profile,
                signed_in.clone(),
                personal("ceiling, list of 20"),
            ),
        ];
        let sampler = RssSampler::start(a.pid());
        let mut reads = Vec::new();
        for (name, base, path, headers, target) in &rows {
            let url = format!("{base}{path}");
            let check = reqwest::Client::new()
                .get(&url)
                .header(
                    "cookie",
                    headers.first().map_or("", |h| h.trim_start_matches("Cookie: ")),
                )
                .send()
                .await?;
            anyhow::ensure!(check.status().is_success(), "{url} answered {}", check.status());
            // Warm-up: caches, prepared statements, the pool.
            let _ = wrk::run(&url, 32, Duration::from_secs(2), headers).await?;
            for connections in [32, 256] {
                step(&format!("reads: {name} at {connections} connections"));
                let result = wrk::run(&url, connections, Duration::from_secs(cli.seconds), headers).await?;
                eprintln!(
                    "        {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms",
                    result.requests_per_sec, result.p50_ms, result.p99_ms
                );
                reads.push(Read {
                    name: (*name).to_owned(),
                    path: path.clone(),
                    connections,
                    result,
                    target: target.map(|(ceiling, share, p99_ms)| ReadTarget {
                        ceiling: ceiling.to_owned(),
                        share,
                        p99_ms,
                    }),
                });
            }
        }
        results.memory.under_reads = Some(sampler.finish().await);
        results.reads = Some(reads);
    }

    if parts.contains(&Part::Writes) {
        let target = Arc::new(load::Target {
            base: a.url(),
            tokens: tokens.iter().take(400).cloned().collect(),
            slugs: site.recent_slugs.clone(),
            rooms: site
                .pairs
                .iter()
                .map(|(room, x, _)| (*room, tokens[*x].clone()))
                .collect(),
        });
        let mut writes = Vec::new();
        for (name, kind) in [
            ("publish a post", load::Write::Publish),
            ("add a comment", load::Write::Comment),
            ("send a chat message", load::Write::ChatMessage),
        ] {
            for concurrency in [1, 32] {
                step(&format!("writes: {name}, {concurrency} clients"));
                let summary = load::writes(
                    target.clone(),
                    kind,
                    concurrency,
                    Duration::from_secs(cli.write_seconds),
                )
                .await?;
                eprintln!(
                    "        {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, {} errors",
                    summary.per_sec, summary.p50_ms, summary.p99_ms, summary.errors
                );
                writes.push(WriteResult {
                    name: name.to_owned(),
                    concurrency,
                    summary,
                });
            }
        }
        results.writes = Some(writes);
    }

    if parts.contains(&Part::History) {
        step("history growth");
        let rooms: Vec<(u64, Uuid, String)> = site
            .history_rooms
            .iter()
            .map(|(size, room, sender)| (*size, *room, tokens[*sender].clone()))
            .collect();
        let posts: Vec<(u64, String, String)> = site
            .history_posts
            .iter()
            .enumerate()
            .map(|(i, (size, slug))| (*size, slug.clone(), tokens[100 + i].clone()))
            .collect();
        let cases = load::history(&a.url(), &rooms, &posts, cli.history_rounds).await?;
        for case in &cases {
            eprintln!(
                "        {} at {}: p50 {:.2} ms, p99 {:.2} ms",
                case.what, case.size, case.summary.p50_ms, case.summary.p99_ms
            );
        }
        results.history = Some(cases);
    }

    if parts.contains(&Part::Chat) {
        let b = Server::start(env, PORTS[1]).await?;
        // Each pair split across the two instances: one person's socket on each.
        let people_of = |pairs: &[(uuid::Uuid, usize, usize)]| {
            let mut people = Vec::new();
            for (room, x, y) in pairs {
                for (me, base) in [(*x, a.url()), (*y, b.url())] {
                    people.push(chat::Person {
                        base,
                        token: tokens[me].clone(),
                        username: site.users[me].username.clone(),
                        room: *room,
                    });
                }
            }
            people
        };
        step("chat: 200 pairs, each person sending every 2 s");
        let load = chat::ChatLoad::connect(people_of(&site.pairs)).await?;
        // Warm-up: both instances open their connections and prepare their statements.
        let _ = load
            .step(Duration::from_millis(1000), Duration::from_secs(3))
            .await;
        let quiet = load
            .step(
                Duration::from_millis(2000),
                Duration::from_secs(2 * cli.write_seconds),
            )
            .await;
        report_chat_step(&quiet);
        load.close();

        // Capacity: 100 pairs, 64-byte messages, the offered rate raised until the end-to-end
        // p99 passes 50 ms or a message is lost or refused; then twice the last rate that held.
        let pairs = &site.pairs[..site.pairs.len().min(100)];
        step(&format!(
            "chat capacity: {} pairs, offered rate raised step by step",
            pairs.len()
        ));
        let load = chat::ChatLoad::connect(people_of(pairs)).await?;
        let _ = load.offer(400.0, Duration::from_secs(3)).await;
        let mut capacity = Vec::new();
        let mut held: Option<f64> = None;
        for offered in [
            400.0, 1000.0, 1600.0, 2400.0, 3000.0, 3600.0, 4200.0, 5000.0, 6000.0,
        ] {
            step(&format!(
                "chat capacity: offered {offered:.0} msg/s for {} s",
                cli.write_seconds
            ));
            let result = load.offer(offered, Duration::from_secs(cli.write_seconds)).await;
            report_chat_step(&result);
            let holds = result.end_to_end.p99_ms <= 50.0
                && result.lost == 0
                && result.refused == 0
                && result.queued == 0;
            capacity.push(result);
            if !holds {
                break;
            }
            held = Some(offered);
        }
        let overload = match held {
            Some(rate) => {
                step(&format!(
                    "chat overload: offered {:.0} msg/s, twice the last rate that held",
                    2.0 * rate
                ));
                let result = load
                    .offer(2.0 * rate, Duration::from_secs(cli.write_seconds))
                    .await;
                report_chat_step(&result);
                Some(result)
            }
            None => None,
        };
        load.close();
        results.chat = Some(vec![quiet]);
        results.capacity = Some(report::Capacity {
            pairs: pairs.len(),
            steps: capacity,
            overload,
        });
        b.stop().await;
    }
    a.stop().await;

    if parts.contains(&Part::Hostile) {
        step("hostile load on one instance with the default limits");
        let server = hostile::server(env, PORTS[2]).await?;
        let db =
            eventstore::db::connect(&env.database_url, eventstore::db::PoolSettings::unbounded(4)).await?;
        let (long_room_size, long_room, sender) = site
            .history_rooms
            .last()
            .copied()
            .ok_or_else(|| anyhow::anyhow!("no history rooms"))?;
        anyhow::ensure!(
            long_room_size == 100_000,
            "the longest room has {long_room_size} messages"
        );
        let target = hostile::Target {
            base: server.url(),
            pid: server.pid(),
            db: db.clone(),
            post_path: format!("/posts/{}", site.recent_slugs[3]),
            users: site
                .users
                .iter()
                .zip(&tokens)
                .map(|(u, t)| (u.username.clone(), t.clone()))
                .collect(),
            password: seed::PASSWORD.to_owned(),
            long_room: (long_room, site.users[sender].username.clone()),
        };
        let result = hostile::run(target).await?;
        eprintln!(
            "        peak {:.0} MB (idle {:.0} MB), {:.0} MB 30 s later; /healthz p99 {:.1} ms, post page p99 {:.1} ms, {} unexpected 5xx",
            result.peak_rss as f64 / 1_048_576.0,
            result.idle_rss as f64 / 1_048_576.0,
            result.settled_rss as f64 / 1_048_576.0,
            result.healthz.p99_ms,
            result.post_page.p99_ms,
            result.reader_failures
        );
        results.hostile = Some(result);
        db.close().await;
        server.stop().await;
    }
    Ok(())
}

/// Writes a log of `rebuild_events` and times `bocha projections rebuild --all` over it.
async fn rebuild(cli: &Cli, env: &ServerEnv, results: &mut Results) -> anyhow::Result<()> {
    step(&format!(
        "rebuild: writing a log of {} events",
        cli.rebuild_events
    ));
    let pool = create_database(cli, env.database_url.rsplit('/').next().unwrap_or_default()).await?;
    let phc = password_hash().await?;
    let started = Instant::now();
    let events = seed::big_log(&pool, &phc, cli.rebuild_events).await?;
    let seed_seconds = started.elapsed().as_secs_f64();
    step(&format!(
        "rebuild: {events} events written in {seed_seconds:.1} s; sealing them in the log's tree"
    ));
    // The sealer over the whole log, as after an upgrade: how many events a second it puts
    // in the tree; then `bocha events verify` over all of it.
    let (_, sealing) =
        seed::seal_log(&pool, &eventstore::seal::Keyring::from_secret(MASTER)?, LEDGER).await?;
    step(&format!(
        "rebuild: {events} events sealed in the tree in {:.1} s; verifying",
        sealing.as_secs_f64()
    ));
    sqlx::query("vacuum analyze").execute(&pool).await?;
    let started = Instant::now();
    let verified = tokio::process::Command::new(&env.bocha)
        .args(["events", "verify"])
        .env("DATABASE_URL", &env.database_url)
        .env("MASTER_KEY", &env.master_key)
        .env("LEDGER_KEY", LEDGER)
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    let verify_seconds = started.elapsed().as_secs_f64();
    let said = String::from_utf8_lossy(&verified.stdout).into_owned();
    eprint!("{said}{}", String::from_utf8_lossy(&verified.stderr));
    anyhow::ensure!(verified.status.success(), "the log did not verify");
    results.ledger = Some(report::LedgerResult {
        events,
        seal_seconds: sealing.as_secs_f64(),
        seal_events_per_sec: events as f64 / sealing.as_secs_f64(),
        verify_seconds,
        verify_events_per_sec: events as f64 / verify_seconds,
        said: said.lines().map(str::to_owned).collect(),
    });
    save(cli, results)?;
    let (sealed, took) = seed::seal(&pool, &eventstore::seal::Keyring::from_secret(MASTER)?).await?;
    step(&format!(
        "rebuild: {sealed} events' personal data sealed in {:.1} s; rebuilding every read model",
        took.as_secs_f64()
    ));
    sqlx::query("vacuum analyze events").execute(&pool).await?;
    pool.close().await;
    let started = Instant::now();
    let output = tokio::process::Command::new(&env.bocha)
        .args(["projections", "rebuild", "--all"])
        .env("DATABASE_URL", &env.database_url)
        .env("MASTER_KEY", &env.master_key)
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprint!("{stderr}");
    anyhow::ensure!(output.status.success(), "the rebuild failed");
    let lines: Vec<String> = stderr
        .lines()
        .filter(|l| l.starts_with("rebuilt") || l.starts_with("rebuilding"))
        .map(str::to_owned)
        .collect();
    results.rebuild = Some(Rebuild {
        events,
        seed_seconds,
        seconds,
        events_per_sec: events as f64 / seconds,
        lines,
    });
    Ok(())
}

async fn machine(cli: &Cli) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or_else(String::new, |kb| format!("{:.0} GiB", kb / 1_048_576.0));
    let postgres = match sqlx::PgPool::connect(&format!("{}/postgres", cli.postgres)).await {
        Ok(pool) => sqlx::query_scalar::<_, String>("show server_version")
            .fetch_one(&pool)
            .await
            .map(|v| format!("PostgreSQL {v}"))
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let redis = tokio::process::Command::new("redis-cli")
        .args(["-u", &cli.redis, "INFO", "server"])
        .output()
        .await
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("redis_version:").map(|v| v.trim().to_owned()))
        })
        .unwrap_or_default();
    let commit = tokio::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .await
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    Machine {
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        cpu_model,
        memory,
        postgres,
        redis,
        commit,
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        load_before: std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        read_seconds: cli.seconds,
    }
}
