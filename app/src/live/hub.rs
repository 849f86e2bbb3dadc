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
use serde::{Deserialize, Serialize};
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
        if let Some(recorded_at) = delivery.recorded_at {
            let waited = (chrono::Utc::now() - recorded_at).to_std().unwrap_or_default();
            crate::metrics::chat_delivered(waited);
        }
        let Ok(text) = serde_json::to_string(&delivery.frame) else {
            return;
        };
        let frame: Frame = text.into();
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
mod tests {
    use super::*;
    use projections::live::ServerFrame;

    const CAPS: Caps = Caps {
        per_user: 4,
        per_address: 6,
    };
    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn owner(user: Uuid, address: IpAddr, session: Option<&str>) -> Owner {
        Owner {
            user,
            address,
            session: session.map(str::to_owned),
        }
    }

    fn subscribe(hub: &Hub, user: Uuid) -> Subscription {
        hub.subscribe(owner(user, HOME, None), CAPS).unwrap()
    }

    fn delivery(position: i64, user: Uuid) -> Delivery {
        Delivery {
            position,
            transaction_id: 0,
            nonce: None,
            user,
            frame: ServerFrame::Synced {
                room_id: Uuid::nil(),
                seq: position,
            },
            recorded_at: None,
        }
    }

    #[tokio::test]
    async fn frames_reach_every_socket_of_the_user_once() {
        let hub = Hub::default();
        let (ann, ben) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut tab1 = subscribe(&hub, ann);
        let mut tab2 = subscribe(&hub, ann);
        let mut other = subscribe(&hub, ben);
        hub.deliver(&delivery(7, ann));
        hub.deliver(&delivery(7, ann));
        let sent = serde_json::to_string(&delivery(7, ann).frame).unwrap();
        assert_eq!(*tab1.frames.recv().await.unwrap(), *sent);
        assert_eq!(*tab2.frames.recv().await.unwrap(), *sent);
        assert!(tab1.frames.try_recv().is_err(), "the copy was dropped");
        assert!(other.frames.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_socket_that_stops_reading_is_dropped() {
        let hub = Hub::default();
        let ann = Uuid::from_u128(1);
        let mut slow = subscribe(&hub, ann);
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
        let sub = subscribe(&hub, Uuid::from_u128(1));
        assert_eq!(hub.sockets(), 1);
        drop(sub);
        assert_eq!(hub.sockets(), 0);
    }

    #[test]
    fn a_person_and_an_address_hold_at_most_their_caps() {
        let hub = Hub::default();
        let (ann, ben) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let ann_tabs: Vec<_> = (0..CAPS.per_user).map(|_| subscribe(&hub, ann)).collect();
        assert_eq!(
            hub.subscribe(owner(ann, HOME, None), CAPS).err(),
            Some(TooMany::User)
        );
        let elsewhere = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(
            hub.subscribe(owner(ann, elsewhere, None), CAPS).err(),
            Some(TooMany::User)
        );
        // Ben shares Ann's address: two more fit under its cap of six.
        let ben_tabs: Vec<_> = (0..2).map(|_| subscribe(&hub, ben)).collect();
        assert_eq!(
            hub.subscribe(owner(ben, HOME, None), CAPS).err(),
            Some(TooMany::Address)
        );
        assert!(hub.subscribe(owner(ben, elsewhere, None), CAPS).is_ok());
        drop(ann_tabs);
        drop(ben_tabs);
        assert_eq!(hub.sockets(), 0);
        assert!(
            hub.subscribe(owner(ann, HOME, None), CAPS).is_ok(),
            "closing sockets frees their places"
        );
    }

    #[test]
    fn a_revocation_closes_the_sockets_it_names() {
        let hub = Hub::default();
        let (ann, ben) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let laptop = hub.subscribe(owner(ann, HOME, Some("laptop")), CAPS).unwrap();
        let phone = hub.subscribe(owner(ann, HOME, Some("phone")), CAPS).unwrap();
        let script = hub.subscribe(owner(ann, HOME, None), CAPS).unwrap();
        let other = hub.subscribe(owner(ben, HOME, Some("laptop")), CAPS).unwrap();

        let logged_out = Revocation {
            user: ann,
            session: Some("laptop".to_owned()),
        };
        assert_eq!(hub.revoke(&logged_out), 1);
        assert!(laptop.closed.is_cancelled());
        assert!(
            !phone.closed.is_cancelled() && !script.closed.is_cancelled() && !other.closed.is_cancelled()
        );

        let everywhere = Revocation {
            user: ann,
            session: None,
        };
        assert_eq!(hub.revoke(&everywhere), 2);
        assert!(phone.closed.is_cancelled() && script.closed.is_cancelled());
        assert!(!other.closed.is_cancelled(), "another person's socket stays");
        assert_eq!(hub.sockets(), 1);
    }
}
