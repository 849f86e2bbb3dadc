//! The results of every part, kept as JSON between runs (a run of one part updates its own
//! section) and written out as Markdown tables.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::chat::{ChatStep, IdleSockets};
use crate::hostile::Hostile;
use crate::load::HistoryCase;
use crate::stats::Summary;
use crate::wrk::WrkResult;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Results {
    pub machine: Option<Machine>,
    pub seed: Option<Seed>,
    pub reads: Option<Vec<Read>>,
    pub writes: Option<Vec<WriteResult>>,
    pub chat: Option<Vec<ChatStep>>,
    #[serde(default)]
    pub capacity: Option<Capacity>,
    pub idle: Option<IdleSockets>,
    pub history: Option<Vec<HistoryCase>>,
    pub rebuild: Option<Rebuild>,
    #[serde(default)]
    pub ledger: Option<LedgerResult>,
    pub memory: Memory,
    #[serde(default)]
    pub hostile: Option<Hostile>,
}

/// The chat's capacity on two instances: the offered rate raised until it no longer holds,
/// then twice the last rate that held.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Capacity {
    pub pairs: usize,
    pub steps: Vec<ChatStep>,
    pub overload: Option<ChatStep>,
}

impl Capacity {
    /// The last step that held: p99 within 50 ms, nothing lost, refused or left waiting.
    pub fn knee(&self) -> Option<&ChatStep> {
        self.steps
            .iter()
            .take_while(|s| s.end_to_end.p99_ms <= 50.0 && s.lost == 0 && s.refused == 0 && s.queued == 0)
            .last()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory: String,
    pub postgres: String,
    pub redis: String,
    pub commit: String,
    pub date: String,
    pub load_before: String,
    pub read_seconds: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Seed {
    pub events: u64,
    pub write_seconds: f64,
    pub catch_up_events: u64,
    pub catch_up_seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Read {
    pub name: String,
    pub path: String,
    pub connections: u32,
    pub result: WrkResult,
    /// The ceiling row this one is a share of, and the share and p99 it should reach.
    #[serde(default)]
    pub target: Option<ReadTarget>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadTarget {
    pub ceiling: String,
    pub share: f64,
    pub p99_ms: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WriteResult {
    pub name: String,
    pub concurrency: usize,
    pub summary: Summary,
}

/// The proving log over the rebuild's log: sealing it whole, and verifying it whole.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LedgerResult {
    pub events: u64,
    pub seal_seconds: f64,
    pub seal_events_per_sec: f64,
    pub verify_seconds: f64,
    pub verify_events_per_sec: f64,
    /// What `bocha events verify` printed.
    pub said: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Rebuild {
    pub events: u64,
    pub seed_seconds: f64,
    pub seconds: f64,
    pub events_per_sec: f64,
    /// Lines the command printed about each read model.
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Memory {
    pub idle: Option<u64>,
    pub under_reads: Option<u64>,
    pub with_sockets: Option<u64>,
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

/// Chat steps as table rows: what was offered, what arrived, how fast, what went wrong.
fn chat_table<'a>(out: &mut String, steps: impl Iterator<Item = &'a ChatStep>) {
    let _ = writeln!(
        out,
        "| offered/s | delivered/s | end-to-end p50 | p99 | max | send (ack) p99 | lost | duplicated | refused (p99 answer) | unanswered |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for s in steps {
        let refused = match &s.refusal {
            Some(r) => format!("{} ({:.1} ms)", s.refused, r.p99_ms),
            None => s.refused.to_string(),
        };
        let _ = writeln!(
            out,
            "| {:.0} | {:.0} | {:.2} ms | {:.2} ms | {:.1} ms | {:.2} ms | {} | {} | {} | {} |",
            s.offered_per_second,
            s.delivered_per_second,
            s.end_to_end.p50_ms,
            s.end_to_end.p99_ms,
            s.end_to_end.max_ms,
            s.ack.p99_ms,
            s.lost,
            s.duplicated,
            refused,
            s.queued
        );
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "✅" } else { "❌" }
}

impl Results {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Benchmark results\n");
        if let Some(m) = &self.machine {
            let _ = writeln!(
                out,
                "Measured {} on commit `{}`: {} × {} ({} cores), {} of memory, {}, Redis {}. \
                 Server, Postgres, Redis and load generator share the machine. Load average \
                 before the run: {}. Reads: wrk, 2 threads, {} s per row, after a warm-up.\n",
                m.date,
                m.commit,
                m.cpus,
                m.cpu_model,
                m.cpus,
                m.memory,
                m.postgres,
                m.redis,
                m.load_before,
                m.read_seconds
            );
        }
        if let Some(seed) = &self.seed {
            let _ = writeln!(out, "## Data set\n");
            let _ = writeln!(
                out,
                "500 users, 10,000 posts, 50,000 comments (10,000 under one post), 200 open chats, and \
                 rooms of 0, 1,000, 10,000 and 100,000 messages: {} events, written in {:.1} s \
                 ({:.0} events/s); the read models caught up with {} events in {:.1} s ({:.0} events/s).\n",
                seed.events,
                seed.write_seconds,
                seed.events as f64 / seed.write_seconds.max(1e-3),
                seed.catch_up_events,
                seed.catch_up_seconds,
                seed.catch_up_events as f64 / seed.catch_up_seconds.max(1e-3)
            );
        }
        if let Some(reads) = &self.reads {
            let _ = writeln!(out, "## Reads\n");
            let _ = writeln!(
                out,
                "Each page beside the ceiling (a bare axum + sqlx server doing one indexed select \
                 and writing JSON) in the same run; the share is its throughput over the \
                 ceiling's at the same connections.\n"
            );
            let _ = writeln!(
                out,
                "| read | connections | requests/s | p50 | p99 | errors | share of the ceiling | target |"
            );
            let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---|");
            for r in reads {
                let ceiling = r.target.as_ref().and_then(|target| {
                    reads
                        .iter()
                        .find(|c| c.name == target.ceiling && c.connections == r.connections)
                        .map(|c| {
                            (
                                target,
                                r.result.requests_per_sec / c.result.requests_per_sec.max(1e-9),
                            )
                        })
                });
                let (share, target) = match ceiling {
                    Some((target, share)) => {
                        let fast = target.p99_ms.is_none_or(|p99| r.result.p99_ms < p99);
                        let goal = match target.p99_ms {
                            Some(p99) => format!("≥ {:.1}×, p99 < {p99:.0} ms", target.share),
                            None => format!("≥ {:.1}×", target.share),
                        };
                        let shown = if r.connections == 32 {
                            format!("{goal} {}", verdict(share >= target.share && fast))
                        } else {
                            String::new()
                        };
                        (format!("{share:.2}"), shown)
                    }
                    None => ("1".to_owned(), String::new()),
                };
                let _ = writeln!(
                    out,
                    "| {} `{}` | {} | {:.0} | {:.2} ms | {:.2} ms | {} | {} | {} |",
                    r.name,
                    r.path,
                    r.connections,
                    r.result.requests_per_sec,
                    r.result.p50_ms,
                    r.result.p99_ms,
                    r.result.errors,
                    share,
                    target
                );
            }
            out.push('\n');
        }
        if let Some(writes) = &self.writes {
            let _ = writeln!(out, "## Writes (HTTP API, clients back to back)\n");
            let _ = writeln!(out, "| write | clients | per second | p50 | p99 | max | errors |");
            let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
            for w in writes {
                let s = &w.summary;
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.1} ms | {} |",
                    w.name, w.concurrency, s.per_sec, s.p50_ms, s.p99_ms, s.max_ms, s.errors
                );
            }
            out.push('\n');
        }
        if let Some(steps) = &self.chat {
            let _ = writeln!(
                out,
                "## Chat latency (200 pairs over WebSockets, each pair split across two instances)\n"
            );
            chat_table(&mut out, steps.iter());
            if let Some(base) = steps.first() {
                let _ = writeln!(
                    out,
                    "\nAt 200 pairs, one message every 2 s each: end-to-end p99 {:.2} ms (target < 10 ms {}), \
                     send p99 {:.2} ms (target < 15 ms {}), {} lost, {} duplicated {}.",
                    base.end_to_end.p99_ms,
                    verdict(base.end_to_end.p99_ms < 10.0),
                    base.ack.p99_ms,
                    verdict(base.ack.p99_ms < 15.0),
                    base.lost,
                    base.duplicated,
                    verdict(base.lost == 0 && base.duplicated == 0)
                );
            }
            out.push('\n');
        }
        if let Some(capacity) = &self.capacity {
            let _ = writeln!(
                out,
                "## Chat capacity ({} pairs, 64-byte messages, each pair split across two instances)\n",
                capacity.pairs
            );
            chat_table(&mut out, capacity.steps.iter().chain(&capacity.overload));
            match capacity.knee() {
                Some(knee) => {
                    let _ = writeln!(
                        out,
                        "\nCapacity: {:.0} messages/s delivered with end-to-end p99 {:.2} ms and none lost \
                         (target ≥ 3,000 {}).",
                        knee.delivered_per_second,
                        knee.end_to_end.p99_ms,
                        verdict(knee.delivered_per_second >= 3000.0)
                    );
                    if let Some(over) = &capacity.overload {
                        let share = over.delivered_per_second / knee.delivered_per_second.max(1.0);
                        let refusal = over.refusal.as_ref().map_or(0.0, |r| r.p99_ms);
                        let _ = writeln!(
                            out,
                            "At twice that rate (the last row, {:.0} offered): {:.0} delivered/s, {:.0}% of capacity \
                             (target ≥ 90% {}); {} sends refused as `overloaded`, answered within {:.1} ms (p99); \
                             {} still unanswered when the client stopped waiting; {} lost.",
                            over.offered_per_second,
                            over.delivered_per_second,
                            100.0 * share,
                            verdict(share >= 0.9),
                            over.refused,
                            refusal,
                            over.queued,
                            over.lost
                        );
                    }
                }
                None => {
                    let _ = writeln!(out, "\nNo offered rate held (p99 ≤ 50 ms, none lost or refused).");
                }
            }
            out.push('\n');
        }
        if let Some(idle) = &self.idle {
            let _ = writeln!(out, "## Idle sockets (one instance)\n");
            let _ = writeln!(
                out,
                "| sockets | resident before | after | per socket | connected in |"
            );
            let _ = writeln!(out, "|---:|---:|---:|---:|---:|");
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.1} KB {} | {:.1} s |\n",
                idle.sockets,
                mb(idle.rss_before),
                mb(idle.rss_after),
                idle.per_socket_bytes / 1024.0,
                verdict(idle.per_socket_bytes < 30.0 * 1024.0),
                idle.connect_seconds
            );
        }
        if let Some(history) = &self.history {
            let _ = writeln!(out, "## History growth (one request at a time)\n");
            let _ = writeln!(out, "| write | history | p50 | p99 | p50 vs. smallest |");
            let _ = writeln!(out, "|---|---:|---:|---:|---:|");
            for case in history {
                let smallest = history
                    .iter()
                    .filter(|c| c.what == case.what)
                    .min_by_key(|c| c.size)
                    .map_or(case.summary.p50_ms, |c| c.summary.p50_ms);
                let ratio = case.summary.p50_ms / smallest.max(1e-6);
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.2} ms | {:.2} ms | {:+.0}% {} |",
                    case.what,
                    case.size,
                    case.summary.p50_ms,
                    case.summary.p99_ms,
                    (ratio - 1.0) * 100.0,
                    verdict(ratio <= 1.2)
                );
            }
            out.push('\n');
        }
        if let Some(rebuild) = &self.rebuild {
            let _ = writeln!(out, "## Rebuild\n");
            let _ = writeln!(
                out,
                "`bocha projections rebuild --all` over {} events (written in {:.1} s): {:.1} s, \
                 **{:.0} events/s** (target ≥ 20,000 {}). What the command printed:\n",
                rebuild.events,
                rebuild.seed_seconds,
                rebuild.seconds,
                rebuild.events_per_sec,
                verdict(rebuild.events_per_sec >= 20_000.0)
            );
            let _ = writeln!(out, "```");
            for line in &rebuild.lines {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "```\n");
        }
        if let Some(ledger) = &self.ledger {
            let _ = writeln!(out, "## The proving log\n");
            let _ = writeln!(
                out,
                "Over a log of {} events: the sealer put them all in the tree in {:.1} s, **{:.0} events/s** \
                 (target ≥ 3,000 {}); `bocha events verify` re-derived every chain and the tree and checked \
                 the checkpoints in **{:.1} s** ({:.0} events/s; target < 30 s {}). It printed:\n",
                ledger.events,
                ledger.seal_seconds,
                ledger.seal_events_per_sec,
                verdict(ledger.seal_events_per_sec >= 3_000.0),
                ledger.verify_seconds,
                ledger.verify_events_per_sec,
                verdict(ledger.verify_seconds < 30.0)
            );
            let _ = writeln!(out, "```");
            for line in &ledger.said {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "```\n");
        }
        let memory = &self.memory;
        if memory.idle.is_some() || memory.under_reads.is_some() || memory.with_sockets.is_some() {
            let _ = writeln!(out, "## Memory (resident size of one instance)\n");
            let _ = writeln!(out, "| when | resident |");
            let _ = writeln!(out, "|---|---:|");
            if let Some(idle) = memory.idle {
                let _ = writeln!(
                    out,
                    "| idle, just started | {} (target < 60 MB {}) |",
                    mb(idle),
                    verdict(idle < 60 * 1_048_576)
                );
            }
            if let Some(peak) = memory.under_reads {
                let _ = writeln!(out, "| peak under the read load | {} |", mb(peak));
            }
            if let Some(sockets) = memory.with_sockets {
                let _ = writeln!(out, "| with 10,000 idle sockets | {} |", mb(sockets));
            }
            out.push('\n');
        }
        if let Some(hostile) = &self.hostile {
            hostile_section(&mut out, hostile);
        }
        out
    }
}

fn hostile_section(out: &mut String, h: &Hostile) {
    let _ = writeln!(out, "## Hostile load (one instance, default limits)\n");
    let _ = writeln!(
        out,
        "Bursts one after another, each client from its own address (the instance trusts \
         `X-Forwarded-For`), while a reader fetches `/healthz` and a post page every 20 ms.\n"
    );
    let _ = writeln!(
        out,
        "| burst | requests | seconds | answers | acknowledged / present | peak resident |"
    );
    let _ = writeln!(out, "|---|---:|---:|---|---:|---:|");
    for b in &h.bursts {
        let answers: Vec<String> = b.outcomes.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let writes = if b.acknowledged > 0 {
            format!(
                "{} / {} {}",
                b.acknowledged,
                b.present,
                verdict(b.acknowledged == b.present)
            )
        } else {
            "—".to_owned()
        };
        let _ = writeln!(
            out,
            "| {} {} | {} | {:.1} | {} | {} | {} |",
            b.name,
            b.note,
            b.requests,
            b.seconds,
            answers.join(", "),
            writes,
            mb(b.peak_rss)
        );
    }
    let settled = h
        .settled_after_seconds
        .map_or_else(|| "not within 30 s".to_owned(), |s| format!("after {s:.0} s"));
    let _ = writeln!(out);
    let _ = writeln!(out, "| measure | figure | target |");
    let _ = writeln!(out, "|---|---:|---|");
    let _ = writeln!(out, "| resident idle | {} | |", mb(h.idle_rss));
    let _ = writeln!(
        out,
        "| peak resident, all bursts | {} | < 200 MB {} |",
        mb(h.peak_rss),
        verdict(h.peak_rss < 200 * 1_048_576)
    );
    let _ = writeln!(
        out,
        "| resident after the bursts | under 60 MB {settled}; {} at 30 s | < 60 MB within 30 s {} |",
        mb(h.settled_rss),
        verdict(h.settled_after_seconds.is_some())
    );
    let _ = writeln!(
        out,
        "| `/healthz` throughout | p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms | p99 < 50 ms {} |",
        h.healthz.p50_ms,
        h.healthz.p99_ms,
        h.healthz.max_ms,
        verdict(h.healthz.p99_ms < 50.0)
    );
    let _ = writeln!(
        out,
        "| post page throughout | p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms | p99 < 100 ms {} |",
        h.post_page.p50_ms,
        h.post_page.p99_ms,
        h.post_page.max_ms,
        verdict(h.post_page.p99_ms < 100.0)
    );
    let _ = writeln!(
        out,
        "| answers ≥ 500 other than 503, to the reader | {} | 0 {} |\n",
        h.reader_failures,
        verdict(h.reader_failures == 0)
    );
}
