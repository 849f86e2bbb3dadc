//! Running `bocha serve` instances for the benchmarks, and reading their memory.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// What every instance of one run shares.
#[derive(Clone)]
pub struct ServerEnv {
    pub bocha: PathBuf,
    pub database_url: String,
    pub redis_url: String,
    pub redis_prefix: String,
    pub secret_key: String,
    pub master_key: String,
    pub log_dir: PathBuf,
}

/// A running instance; stopped when dropped.
pub struct Server {
    pub port: u16,
    pub child: Child,
}

/// Limits lifted for the load parts: their clients all come from one address and drive far
/// more traffic per person than people do.
const LOAD_GENERATOR: [(&str, &str); 5] = [
    ("CHAT_SENDS_PER_MINUTE", "10000000"),
    ("SOCKETS_PER_USER", "1000"),
    ("SOCKETS_PER_ADDRESS", "1000000"),
    ("MAX_CONNECTIONS", "30000"),
    ("SIGNUPS_PER_HOUR", "1000000"),
];

impl Server {
    /// An instance for the load parts (see [`LOAD_GENERATOR`]).
    pub async fn start(env: &ServerEnv, port: u16) -> anyhow::Result<Self> {
        Self::start_with(env, port, &LOAD_GENERATOR).await
    }

    /// An instance with the site's default limits, and `vars` set besides.
    pub async fn start_with(env: &ServerEnv, port: u16, vars: &[(&str, &str)]) -> anyhow::Result<Self> {
        let log = std::fs::File::create(env.log_dir.join(format!("server-{port}.log")))?;
        let media = env.log_dir.join(format!("media-{port}"));
        let mut command = Command::new(&env.bocha);
        command
            .arg("serve")
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", &env.database_url)
            .env("REDIS_URL", &env.redis_url)
            .env("REDIS_PREFIX", &env.redis_prefix)
            .env("SECRET_KEY", &env.secret_key)
            .env("MASTER_KEY", &env.master_key)
            .env("LEDGER_KEY", crate::LEDGER)
            .env("BOCHA_ENV", "development")
            .env("ALLOWED_HOSTS", "*")
            .envs(vars.iter().copied())
            .env("MEDIA_DIR", media)
            .env(
                "RUST_LOG",
                std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        let child = command.spawn()?;
        let server = Self { port, child };
        server.wait_ready().await?;
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(response) = client.get(format!("{}/readyz", self.url())).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                anyhow::bail!("bocha on port {} did not become ready", self.port);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Resident memory in bytes.
    pub fn rss(&self) -> u64 {
        rss_of(self.pid())
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// `VmRSS` of a process, in bytes (0 when unknown).
pub fn rss_of(pid: u32) -> u64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Samples a process's resident size until stopped, keeping the largest.
pub struct RssSampler {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<u64>,
}

impl RssSampler {
    pub fn start(pid: u32) -> Self {
        Self::start_every(pid, Duration::from_millis(200))
    }

    pub fn start_every(pid: u32, interval: Duration) -> Self {
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut peak = rss_of(pid);
            loop {
                tokio::select! {
                    _ = stopped.changed() => return peak,
                    () = tokio::time::sleep(interval) => peak = peak.max(rss_of(pid)),
                }
            }
        });
        Self { stop, task }
    }

    pub async fn finish(self) -> u64 {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or(0)
    }
}
