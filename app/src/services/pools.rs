//! Bounded pools for work that costs real memory or CPU: hashing passwords, decoding images,
//! rendering Markdown previews, streaming exports.
//!
//! Each pool runs at most `workers` jobs at once and lets at most `queue` more wait, for at
//! most [`QUEUE_WAIT`]. Anything beyond is refused at once with [`Busy`] (a 503 with
//! `Retry-After`), so a burst costs a bounded amount of memory and never an unbounded wait:
//! 500 simultaneous logins hold `workers` Argon2 buffers, not 500.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The longest a job waits for a worker before it is refused; a person would rather be told
/// to retry than watch a spinner.
const QUEUE_WAIT: Duration = Duration::from_secs(3);

/// What a refused request is told to wait, in seconds: about the time the queue takes to drain.
const RETRY_AFTER_SECONDS: u64 = 2;

/// The pool is full: try again in `retry_after` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy; try again in {retry_after} s")]
pub struct Busy {
    pub retry_after: u64,
}

const BUSY: Busy = Busy {
    retry_after: RETRY_AFTER_SECONDS,
};

/// Why pooled work gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    #[error(transparent)]
    Busy(#[from] Busy),
    /// The job panicked; a bug, answered with a 500.
    #[error("pooled work failed")]
    Failed(#[from] tokio::task::JoinError),
}

/// One pool. Cheap to clone.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    name: &'static str,
    /// `workers + queue`.
    capacity: usize,
    /// `workers + queue` permits: taken without waiting, or the request is refused.
    admitted: Arc<Semaphore>,
    /// `workers` permits: taken, waiting up to [`QUEUE_WAIT`], before the job runs.
    running: Arc<Semaphore>,
    started: AtomicU64,
    refused: AtomicU64,
    born: std::time::Instant,
    /// The second (since `born`) of the last warning about refusals.
    warned_at: AtomicU64,
}

/// A place in a pool's line: taken without waiting (or refused), before anything costly is
/// done for the request (an upload's body is read only once it has one).
pub struct Admission {
    pool: Pool,
    admitted: OwnedSemaphorePermit,
}

/// A place in a pool, held for as long as the work it stands for (an export streaming out).
pub struct Slot {
    _admitted: OwnedSemaphorePermit,
    _running: OwnedSemaphorePermit,
}

impl Admission {
    /// Waits for a worker, or gives up after [`QUEUE_WAIT`].
    pub async fn slot(self) -> Result<Slot, Busy> {
        let inner = &self.pool.inner;
        let running = match tokio::time::timeout(QUEUE_WAIT, inner.running.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            // Timed out, or the semaphore was closed (never: nothing closes it).
            _ => return Err(self.pool.refuse()),
        };
        inner.started.fetch_add(1, Ordering::Relaxed);
        Ok(Slot {
            _admitted: self.admitted,
            _running: running,
        })
    }

    /// Runs CPU-bound `work` on a blocking thread once a worker is free.
    pub async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, WorkError> {
        let slot = self.slot().await?;
        let result = tokio::task::spawn_blocking(move || {
            // Held by the thread, not by the request: if the client goes away mid-way, the slot
            // stays taken until the work it stands for has really finished.
            let _slot = slot;
            work()
        })
        .await?;
        Ok(result)
    }
}

impl Pool {
    pub fn new(name: &'static str, workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Self {
            inner: Arc::new(Inner {
                name,
                capacity: workers + queue,
                admitted: Arc::new(Semaphore::new(workers + queue)),
                running: Arc::new(Semaphore::new(workers)),
                started: AtomicU64::new(0),
                refused: AtomicU64::new(0),
                born: std::time::Instant::now(),
                warned_at: AtomicU64::new(u64::MAX),
            }),
        }
    }

    /// A place in the line, or [`Busy`] at once when the line is full.
    pub fn admit(&self) -> Result<Admission, Busy> {
        match self.inner.admitted.clone().try_acquire_owned() {
            Ok(admitted) => Ok(Admission {
                pool: self.clone(),
                admitted,
            }),
            Err(_) => Err(self.refuse()),
        }
    }

    /// Waits for a worker's slot, or refuses when the queue is full or the wait too long.
    pub async fn slot(&self) -> Result<Slot, Busy> {
        self.admit()?.slot().await
    }

    /// Runs CPU-bound `work` on a blocking thread once a worker is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, WorkError> {
        self.admit()?.run(work).await
    }

    fn refuse(&self) -> Busy {
        let inner = &self.inner;
        let refused = inner.refused.fetch_add(1, Ordering::Relaxed) + 1;
        // A flood is refused thousands of times a second: say so once a second, with the count.
        let now = inner.born.elapsed().as_secs();
        if inner.warned_at.swap(now, Ordering::Relaxed) != now {
            tracing::warn!(pool = inner.name, refused, "pool full; refusing requests");
        }
        BUSY
    }

    pub fn name(&self) -> &'static str {
        self.inner.name
    }

    /// Jobs started since the process began.
    pub fn started(&self) -> u64 {
        self.inner.started.load(Ordering::Relaxed)
    }

    /// Requests refused since the process began.
    pub fn refused(&self) -> u64 {
        self.inner.refused.load(Ordering::Relaxed)
    }

    /// How many jobs may run or wait at once.
    pub fn capacity(&self) -> usize {
        self.inner.capacity
    }

    /// Jobs running or waiting now.
    pub fn in_use(&self) -> usize {
        let inner = &self.inner;
        inner.capacity - inner.admitted.available_permits()
    }
}

/// The pools of one instance, sized for its cores.
#[derive(Clone)]
pub struct Pools {
    /// Argon2id hashing and verifying: 12 MiB a job (see `passwords`), so 2 workers on 2 cores
    /// hold 24 MiB however many logins arrive.
    pub passwords: Pool,
    /// Decoding and resizing uploads: one at a time, since a 40-megapixel image is the largest
    /// single allocation the site makes.
    pub images: Pool,
    /// Rendering a Markdown preview (bodies of up to 100,000 characters).
    pub markdown: Pool,
    /// NDJSON exports streaming out of the log: each holds a database connection while it runs.
    pub exports: Pool,
}

impl Pools {
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Self {
            // A hash takes ~30 ms of one core: 32 waiting drain in about half a second.
            // Waiting jobs hold no Argon2 memory, so the queue can be long enough to take every
            // attempt the address limit lets through at once (20): those are answered, not
            // refused.
            passwords: Pool::new("passwords", cores, 16 * cores),
            images: Pool::new("images", 1, 4),
            markdown: Pool::new("markdown", cores, 4 * cores),
            exports: Pool::new("exports", 2, 0),
        }
    }

    pub fn all(&self) -> [&Pool; 4] {
        [&self.passwords, &self.images, &self.markdown, &self.exports]
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    #[tokio::test]
    async fn beyond_its_workers_and_queue_a_pool_refuses_at_once() {
        let pool = Pool::new("test", 1, 1);
        let (release, held) = mpsc::channel::<()>();
        let running = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(move || held.recv().is_ok()).await }
        });
        while pool.started() == 0 {
            tokio::task::yield_now().await;
        }
        // One runs, one may wait; the third is refused without waiting.
        let waiting = tokio::spawn({
            let pool = pool.clone();
            async move { pool.run(|| 2).await }
        });
        while pool.in_use() < 2 {
            tokio::task::yield_now().await;
        }
        let refused = pool.run(|| 3).await;
        assert!(
            matches!(refused, Err(WorkError::Busy(Busy { retry_after: 2 }))),
            "{refused:?}"
        );
        assert_eq!(pool.refused(), 1);
        release.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert_eq!(waiting.await.unwrap().unwrap(), 2);
        assert_eq!(pool.in_use(), 0);
        assert_eq!(pool.started(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_that_waits_too_long_for_a_worker_is_refused() {
        let pool = Pool::new("test", 1, 5);
        let slot = pool.slot().await.unwrap();
        let waiting = tokio::spawn({
            let pool = pool.clone();
            async move { pool.slot().await.map(drop) }
        });
        // Time is paused: the wait runs out without anyone sleeping for real.
        tokio::time::advance(QUEUE_WAIT + Duration::from_millis(1)).await;
        assert_eq!(waiting.await.unwrap(), Err(BUSY));
        drop(slot);
        assert!(pool.slot().await.is_ok());
    }
}
