use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = app::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        // Logs on stderr, so that commands that print data (an NDJSON export) keep stdout clean.
        .with_writer(std::io::stderr)
        .init();
    app::cli::run(cli).await
}
