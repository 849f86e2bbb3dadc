use clap::Parser;
use tikv_jemallocator::Jemalloc;

/// glibc's allocator keeps what a burst freed: blocks under its mmap threshold go to per-thread
/// arenas that are rarely trimmed, so after 150 concurrent logins the process stayed at 2.9 GB.
/// jemalloc, with its background threads on (the crate's `background_threads` feature), returns freed pages within seconds even
/// while the process is idle. In one run of the hostile-load benchmark: glibc peaked at 459 MB and
/// sat at 165 MB 30 s later; mimalloc 155 and 62 MB (41 MB idle); jemalloc 103 and 39 MB
/// (31 MB idle).
#[global_allocator]
static ALLOCATOR: Jemalloc = Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = app::cli::Cli::parse();
    app::logging::init();
    app::cli::run(cli).await
}
