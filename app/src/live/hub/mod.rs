//! The sockets connected to this instance, by user, and delivery of frames to them.
//!
//! Frames reach an instance twice when it handled the command itself (once at once, once via
//! Redis); the hub remembers what it delivered recently and drops the copy. Each socket has a
//! bounded queue: a socket that stops reading is dropped rather than allowed to hold an
//! unbounded backlog (its client reconnects and catches up with `sync`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use projections::live::Delivery;

use super::Frame;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Frames a socket may have waiting before it is considered too slow.
pub const QUEUE: usize = 512;
/// How many deliveries the hub remembers for de-duplication.
const REMEMBERED: usize = 65_536;

#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    sockets: Mutex<Sockets>,
    seen: Mutex<Seen>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct Sockets {
    by_user: HashMap<Uuid, Vec<Socket>>,
    per_address: HashMap<IpAddr, usize>,
}

struct Socket {
    id: u64,
    address: IpAddr,
    /// The browser session it was opened with (`None` for an API token).
    session: Option<String>,
    sender: mpsc::Sender<Frame>,
    closed: CancellationToken,
}

/// Whose a socket is: the person, where they connect from, and the session it was opened with.
#[derive(Debug, Clone)]
pub struct Owner {
    pub user: Uuid,
    pub address: IpAddr,
    pub session: Option<String>,
}

/// Sockets to close at once, on every instance: all of a person's (a password change, "log out
/// everywhere", a suspension), or those of one browser session (logging out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub user: Uuid,
    pub session: Option<String>,
}

/// How many sockets one person and one address may hold on this instance.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub per_user: usize,
    pub per_address: usize,
}

/// A socket refused because its person or address holds as many as allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TooMany {
    #[error("too many chat connections for this account")]
    User,
    #[error("too many chat connections from this address")]
    Address,
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
        sockets.remove(self.user, self.id);
    }
}

impl Sockets {
    fn remove(&mut self, user: Uuid, id: u64) {
        let Some(list) = self.by_user.get_mut(&user) else {
            return;
        };
        let Some(index) = list.iter().position(|socket| socket.id == id) else {
            return;
        };
        let socket = list.swap_remove(index);
        if list.is_empty() {
            self.by_user.remove(&user);
        }
        self.forget_address(socket.address);
    }

    fn forget_address(&mut self, address: IpAddr) {
        if let Some(count) = self.per_address.get_mut(&address) {
            *count -= 1;
            if *count == 0 {
                self.per_address.remove(&address);
            }
        }
    }
}

/// A poisoned lock only means another thread panicked mid-update of plain data; carry on.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Hub {
    /// Registers a socket of `owner`, unless their person or address holds `caps` already.
    /// Checked and registered under one lock, so simultaneous connections cannot overshoot.
    pub fn subscribe(&self, owner: Owner, caps: Caps) -> Result<Subscription, TooMany> {
        let Owner {
            user,
            address,
            session,
        } = owner;
        let mut sockets = lock(&self.inner.sockets);
        if sockets.by_user.get(&user).map_or(0, Vec::len) >= caps.per_user {
            return Err(TooMany::User);
        }
        if sockets.per_address.get(&address).copied().unwrap_or(0) >= caps.per_address {
            return Err(TooMany::Address);
        }
        let (sender, frames) = mpsc::channel(QUEUE);
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let closed = CancellationToken::new();
        let socket = Socket {
            id,
            address,
            session,
            sender: sender.clone(),
            closed: closed.clone(),
        };
        sockets.by_user.entry(user).or_default().push(socket);
        *sockets.per_address.entry(address).or_default() += 1;
        Ok(Subscription {
            hub: self.clone(),
            user,
            id,
            frames,
            sender,
            closed,
        })
    }

    /// Closes the sockets `revocation` names; returns how many.
    pub fn revoke(&self, revocation: &Revocation) -> usize {
        let mut sockets = lock(&self.inner.sockets);
        let Some(list) = sockets.by_user.get_mut(&revocation.user) else {
            return 0;
        };
        let mut closed = Vec::new();
        list.retain(|socket| {
            let named = revocation.session.is_none() || socket.session == revocation.session;
            if named {
                socket.closed.cancel();
                closed.push(socket.address);
            }
            !named
        });
        if list.is_empty() {
            sockets.by_user.remove(&revocation.user);
        }
        for address in &closed {
            sockets.forget_address(*address);
        }
        closed.len()
    }

    /// Closes every socket (at shutdown).
    pub fn close_all(&self) {
        let mut sockets = lock(&self.inner.sockets);
        for socket in sockets.by_user.values().flatten() {
            socket.closed.cancel();
        }
        *sockets = Sockets::default();
    }

    /// How many sockets this instance holds.
    pub fn sockets(&self) -> usize {
        lock(&self.inner.sockets).by_user.values().map(Vec::len).sum()
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
        if let Some(recorded_at) = delivery.recorded_at.filter(|_| crate::metrics::enabled()) {
            let waited = (chrono::Utc::now() - recorded_at).to_std().unwrap_or_default();
            crate::metrics::chat_delivered(waited);
        }
        let frame = Frame::of(&delivery.frame);
        let mut sockets = lock(&self.inner.sockets);
        let Some(list) = sockets.by_user.get_mut(&delivery.user) else {
            return;
        };
        let mut dropped = Vec::new();
        list.retain(|socket| match socket.sender.try_send(frame.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::info!(user = %delivery.user, "closing a socket that stopped reading");
                socket.closed.cancel();
                dropped.push(socket.address);
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                dropped.push(socket.address);
                false
            }
        });
        if list.is_empty() {
            sockets.by_user.remove(&delivery.user);
        }
        for address in dropped {
            sockets.forget_address(address);
        }
    }
}

#[cfg(test)]
mod tests;
