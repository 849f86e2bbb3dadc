//! The sockets connected to this instance, by user, and delivery of frames to them.
//!
//! Frames reach an instance twice when it handled the command itself (once at once, once via
//! Redis); the hub remembers what it delivered recently and drops the copy. Each socket has a
//! bounded queue: a socket that stops reading is dropped rather than allowed to hold an
//! unbounded backlog (its client reconnects and catches up with `sync`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use projections::live::Delivery;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Frames a socket may have waiting before it is considered too slow.
pub const QUEUE: usize = 512;
/// How many deliveries the hub remembers for de-duplication.
const REMEMBERED: usize = 65_536;

/// A frame, serialized once for every socket it goes to.
pub type Frame = Arc<str>;

#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    sockets: Mutex<HashMap<Uuid, Vec<Socket>>>,
    seen: Mutex<Seen>,
    next_id: AtomicU64,
}

struct Socket {
    id: u64,
    sender: mpsc::Sender<Frame>,
    closed: CancellationToken,
}

#[derive(Default)]
struct Seen {
    set: HashSet<(i64, Option<Uuid>, Uuid)>,
    order: VecDeque<(i64, Option<Uuid>, Uuid)>,
}

/// A registered socket; dropping it unregisters it.
pub struct Subscription {
    hub: Hub,
    user: Uuid,
    id: u64,
    pub frames: mpsc::Receiver<Frame>,
    /// For the socket's own replies (acks, errors, sync), in the same queue as pushed frames.
    pub sender: mpsc::Sender<Frame>,
    /// Cancelled when the hub gives up on a socket that stopped reading.
    pub closed: CancellationToken,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut sockets = lock(&self.hub.inner.sockets);
        if let Some(list) = sockets.get_mut(&self.user) {
            list.retain(|socket| socket.id != self.id);
            if list.is_empty() {
                sockets.remove(&self.user);
            }
        }
    }
}

/// A poisoned lock only means another thread panicked mid-update of plain data; carry on.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Hub {
    pub fn subscribe(&self, user: Uuid) -> Subscription {
        let (sender, frames) = mpsc::channel(QUEUE);
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let closed = CancellationToken::new();
        let socket = Socket {
            id,
            sender: sender.clone(),
            closed: closed.clone(),
        };
        lock(&self.inner.sockets).entry(user).or_default().push(socket);
        Subscription {
            hub: self.clone(),
            user,
            id,
            frames,
            sender,
            closed,
        }
    }

    /// Closes every socket (at shutdown).
    pub fn close_all(&self) {
        let mut sockets = lock(&self.inner.sockets);
        for socket in sockets.values().flatten() {
            socket.closed.cancel();
        }
        sockets.clear();
    }

    /// How many sockets this instance holds.
    pub fn sockets(&self) -> usize {
        lock(&self.inner.sockets).values().map(Vec::len).sum()
    }

    /// Passes a frame to every socket of its user, once.
    pub fn deliver(&self, delivery: &Delivery) {
        let key = (delivery.position, delivery.nonce, delivery.user);
        {
            let mut seen = lock(&self.inner.seen);
            if !seen.set.insert(key) {
                return;
            }
            seen.order.push_back(key);
            if seen.order.len() > REMEMBERED
                && let Some(old) = seen.order.pop_front()
            {
                seen.set.remove(&old);
            }
        }
        let Ok(text) = serde_json::to_string(&delivery.frame) else {
            return;
        };
        let frame: Frame = text.into();
        let mut sockets = lock(&self.inner.sockets);
        if let Some(list) = sockets.get_mut(&delivery.user) {
            list.retain(|socket| match socket.sender.try_send(frame.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::info!(user = %delivery.user, "closing a socket that stopped reading");
                    socket.closed.cancel();
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn delivery(position: i64, user: Uuid) -> Delivery {
        Delivery {
            position,
            nonce: None,
            user,
            frame: json!({ "n": position }),
        }
    }

    #[tokio::test]
    async fn frames_reach_every_socket_of_the_user_once() {
        let hub = Hub::default();
        let (ann, ben) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut tab1 = hub.subscribe(ann);
        let mut tab2 = hub.subscribe(ann);
        let mut other = hub.subscribe(ben);
        hub.deliver(&delivery(7, ann));
        hub.deliver(&delivery(7, ann));
        assert_eq!(&*tab1.frames.recv().await.unwrap(), r#"{"n":7}"#);
        assert_eq!(&*tab2.frames.recv().await.unwrap(), r#"{"n":7}"#);
        assert!(tab1.frames.try_recv().is_err(), "the copy was dropped");
        assert!(other.frames.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_socket_that_stops_reading_is_dropped() {
        let hub = Hub::default();
        let ann = Uuid::from_u128(1);
        let mut slow = hub.subscribe(ann);
        for position in 1..=(QUEUE as i64 + 1) {
            hub.deliver(&delivery(position, ann));
        }
        assert_eq!(hub.sockets(), 0);
        assert!(slow.closed.is_cancelled());
        let mut received = 0;
        while slow.frames.try_recv().is_ok() {
            received += 1;
        }
        assert_eq!(received, QUEUE);
    }

    #[test]
    fn an_unsubscribed_socket_is_forgotten() {
        let hub = Hub::default();
        let sub = hub.subscribe(Uuid::from_u128(1));
        assert_eq!(hub.sockets(), 1);
        drop(sub);
        assert_eq!(hub.sockets(), 0);
    }
}
