//! Accepting connections and serving HTTP/1.1 on them, with bounds a public server needs and
//! `axum::serve` does not set: at most `MAX_CONNECTIONS` at once (beyond that, new connections
//! wait in the kernel's backlog instead of costing memory here), and headers that must arrive
//! within `HEADER_TIMEOUT_SECONDS`, which also ends kept-alive connections left idle that long. A
//! client trickling its headers a byte at a time is cut off; one trickling its body meets the
//! request timeout (see `routing::router`).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::config::LimitArgs;

/// After a failed `accept` (out of file descriptors, most likely), wait this long before trying
/// again rather than spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `shutdown` is cancelled, then lets the requests in flight
/// finish and returns.
pub async fn serve(listener: TcpListener, router: Router, limits: &LimitArgs, shutdown: CancellationToken) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_timeout_seconds.max(1)));
    let connections = TaskTracker::new();
    loop {
        let slot = tokio::select! {
            () = shutdown.cancelled() => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        // A socket often gets two small frames back to back (a message, then its ack); with
        // Nagle's algorithm the second waits for the peer's delayed ACK, up to 40 ms.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "TCP_NODELAY not set");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let _slot = slot;
            tokio::pin!(connection);
            let finished = tokio::select! {
                finished = connection.as_mut() => finished,
                () = shutdown.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(err) = finished {
                tracing::debug!(error = %err, %peer, "connection ended with an error");
            }
        });
    }
    connections.close();
    connections.wait().await;
}
