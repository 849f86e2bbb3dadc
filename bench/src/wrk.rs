//! Read load with wrk, and its output parsed.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::process::Command;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WrkResult {
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Responses that were not 2xx/3xx, plus socket errors and timeouts.
    pub errors: u64,
    pub requests: u64,
}

/// Drives `url` with `connections` for `duration`, each request with `headers` (`Name: value`).
pub async fn run(
    url: &str,
    connections: u32,
    duration: Duration,
    headers: &[String],
) -> anyhow::Result<WrkResult> {
    let mut command = Command::new("wrk");
    command.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{}s", duration.as_secs().max(1)),
        "--timeout",
        "5s",
        "--latency",
    ]);
    for header in headers {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output().await?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        anyhow::bail!("wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr));
    }
    parse(&text).ok_or_else(|| anyhow::anyhow!("unreadable wrk output:\n{text}"))
}

/// Reads `Requests/sec`, the 50% and 99% lines of `--latency`, and the error counts.
pub fn parse(text: &str) -> Option<WrkResult> {
    let mut result = WrkResult {
        requests_per_sec: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        errors: 0,
        requests: 0,
    };
    let mut in_distribution = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            result.requests_per_sec = rest.trim().parse().ok()?;
        } else if line.starts_with("Latency Distribution") {
            in_distribution = true;
        } else if in_distribution && line.starts_with("50%") {
            result.p50_ms = duration_ms(line.split_whitespace().nth(1)?)?;
        } else if in_distribution && line.starts_with("99%") {
            result.p99_ms = duration_ms(line.split_whitespace().nth(1)?)?;
            in_distribution = false;
        } else if let Some(rest) = line.strip_prefix("Non-2xx or 3xx responses:") {
            result.errors += rest.trim().parse::<u64>().unwrap_or(0);
        } else if let Some(rest) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            result.errors += rest
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        } else if line.contains("requests in") {
            result.requests = line.split_whitespace().next()?.parse().ok()?;
        }
    }
    (result.requests_per_sec > 0.0).then_some(result)
}

/// `812.00us`, `1.23ms`, `2.01s` → milliseconds.
fn duration_ms(text: &str) -> Option<f64> {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    Some(number.parse::<f64>().ok()? * factor)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_wrk_output() {
        let text = "Running 15s test @ http://127.0.0.1:8000/\n  2 threads and 32 connections\n  Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     3.10ms    1.20ms  40.00ms   90.00%\n    Req/Sec     5.20k   300.00    6.00k    70.00%\n  Latency Distribution\n     50%    2.90ms\n     75%    3.50ms\n     90%    4.20ms\n     99%  812.00us\n  155000 requests in 15.00s, 1.00GB read\n  Non-2xx or 3xx responses: 3\nRequests/sec:  10333.33\nTransfer/sec:     68.00MB\n";
        let r = super::parse(text).unwrap();
        assert_eq!(r.requests, 155000);
        assert!((r.p50_ms - 2.9).abs() < 1e-9);
        assert!((r.p99_ms - 0.812).abs() < 1e-9);
        assert_eq!(r.errors, 3);
    }
}
