//! Operator commands over the log and the read models: status, rebuild, export, verify.

use std::io::Write;

use std::time::Instant;

use clap::Args;
use eventstore::ledger::{self, PublicKey, offline};
use eventstore::seal::Keyring;
use indicatif::{ProgressBar, ProgressStyle};
use projections::audit::Scope;
use projections::{audit, rebuild, users};
use sqlx::PgPool;
use uuid::Uuid;

use crate::startup;
use crate::usecases::exports;

/// Prints every read model's checkpoint and lag.
pub async fn status(pool: &PgPool) -> anyhow::Result<()> {
    let known: Vec<&str> = startup::projectors().iter().map(|p| p.name()).collect();
    let (statuses, head) = rebuild::status(pool).await?;
    println!("head of the log: position {head}");
    println!("{:<16} {:>12} {:>10}", "read model", "checkpoint", "lag");
    for status in statuses {
        let note = if status.name == "live" {
            "  (live publisher)"
        } else if status.name == "ledger" {
            "  (sealer)"
        } else if known.contains(&status.name.as_str()) {
            ""
        } else {
            "  (unknown)"
        };
        println!(
            "{:<16} {:>12} {:>10}{note}",
            status.name, status.checkpoint.position, status.lag
        );
    }
    Ok(())
}

/// Rebuilds one read model, or all of them (`None`) in one pass over the log.
pub async fn rebuild(pool: &PgPool, keyring: &Keyring, name: Option<&str>) -> anyhow::Result<()> {
    let projectors = startup::projectors();
    let chosen: Vec<_> = match name {
        None => projectors,
        Some(name) => {
            let found: Vec<_> = projectors.into_iter().filter(|p| p.name() == name).collect();
            if found.is_empty() {
                let names: Vec<&str> = startup::projectors().iter().map(|p| p.name()).collect();
                anyhow::bail!("no read model called {name}; there are: {}", names.join(", "));
            }
            found
        }
    };
    let names = chosen.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ");
    eprintln!("rebuilding {names}…");
    let done = rebuild::rebuild_all(pool, keyring, &chosen, |p| {
        eprintln!(
            "  {}/{} events, {:.0} events/s, about {} s left",
            p.done,
            p.total,
            p.rate(),
            p.remaining().as_secs()
        );
    })
    .await?;
    eprintln!(
        "rebuilt {names}: {} events in {:.1} s ({:.0} events/s)",
        done.done,
        done.elapsed.as_secs_f64(),
        done.rate()
    );
    Ok(())
}

/// Whose events to export: exactly one of the three.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct Subject {
    /// A post, by its slug (deleted posts included).
    #[arg(long)]
    pub post: Option<String>,
    /// A chat room, by its id.
    #[arg(long)]
    pub room: Option<Uuid>,
    /// A user, by username: their account and everything they did.
    #[arg(long)]
    pub user: Option<String>,
}

/// Writes the subject's events as NDJSON, one event per line, in log order.
pub async fn export(
    pool: &PgPool,
    keyring: &Keyring,
    subject: &Subject,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let scope = if let Some(slug) = &subject.post {
        let post = audit::post_by_slug(pool, keyring, slug)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no post at {slug}"))?;
        Scope::Post(post)
    } else if let Some(room) = subject.room {
        Scope::Chat(room)
    } else if let Some(username) = &subject.user {
        let user = users::by_username(pool, username)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no user called {username}"))?;
        Scope::User(user.id)
    } else {
        anyhow::bail!("say which post, room or user")
    };
    exports::write(pool, keyring, scope, out).await?;
    Ok(())
}

/// A progress bar on standard error (drawn only on a terminal).
struct Bar(ProgressBar);

impl ledger::Progress for Bar {
    fn phase(&self, name: &'static str, total: u64) {
        self.0.reset();
        self.0.set_length(total);
        self.0.set_message(name);
    }

    fn advance(&self, done: u64) {
        self.0.set_position(done);
    }
}

/// Verifies the whole log against the log's key: every chain, the tree and every checkpoint.
/// Fails (and so exits non-zero) when anything does not match, naming the first problem.
pub async fn verify(pool: &PgPool, key: &PublicKey) -> anyhow::Result<()> {
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")?
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let mut conn = pool.acquire().await?;
    let found = ledger::verify(&mut conn, key, &Bar(bar.clone())).await?;
    bar.finish_and_clear();
    println!(
        "checked {} events in {} aggregates, {} leaves and {} checkpoints (key {}) in {:.1} s",
        found.events,
        found.aggregates,
        found.leaves,
        found.checkpoints,
        key.id(),
        started.elapsed().as_secs_f64()
    );
    if found.unsealed > 0 {
        println!("{} newest events are not sealed yet", found.unsealed);
    }
    if found.is_clean() {
        println!("the log verifies");
        return Ok(());
    }
    for problem in &found.problems {
        println!("  {problem}");
    }
    if found.problem_count > found.problems.len() as u64 {
        println!(
            "  … and {} more",
            found.problem_count - found.problems.len() as u64
        );
    }
    let first = found
        .problems
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    anyhow::bail!(
        "the log does not verify ({} problems); the first: {first}",
        found.problem_count
    )
}

/// Checks a downloaded history against a checkpoint, with no database (see
/// `eventstore::ledger::offline`). Fails when anything does not check out.
pub fn verify_export(
    export: &std::path::Path,
    checkpoint: &std::path::Path,
    key: Option<&str>,
) -> anyhow::Result<()> {
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path).map_err(|err| anyhow::anyhow!("cannot read {}: {err}", path.display()))
    };
    let (checkpoint, public) = offline::open_checkpoint(&read(checkpoint)?, key)?;
    let lines = read(export)?;
    let report = offline::check(checkpoint, public, lines.lines());
    println!(
        "checkpoint: {} events, signed {} by key {}",
        report.checkpoint.tree_size,
        report.checkpoint.signed_at.to_rfc3339(),
        report.key.id()
    );
    if report.unproven > 0 {
        println!(
            "{} events were newer than the checkpoint when downloaded and are not proven",
            report.unproven
        );
    }
    if report.faults.is_empty() {
        println!(
            "all {} events are in the log as signed{}",
            report.events - report.unproven,
            if key.is_none() {
                " (compare the key id with the one the site publishes)"
            } else {
                ""
            }
        );
        return Ok(());
    }
    for fault in &report.faults {
        println!("  {fault}");
    }
    anyhow::bail!(
        "the export does not verify ({} problems); the first: {}",
        report.faults.len(),
        report.faults[0]
    )
}
