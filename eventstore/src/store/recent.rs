//! The aggregates this process worked on last, kept as they stood after their last command.
//!
//! Loading an aggregate reads its snapshot and every event since, opening each sealed one: for
//! a lively chat, up to twenty events decrypted and decoded, and a snapshot parsed, for every
//! message sent. The next command on the same aggregate starts from the kept state instead and
//! reads only the events stored after it (usually none; those of a command another instance
//! ran, when two people write through two instances). A kept state is taken out while a command
//! runs on it and put back only after its events are stored, so a failed or refused command
//! never leaves a state that differs from the log.

use std::any::Any;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;

use super::Loaded;

/// How many aggregates are kept: the busiest of a site (a chat's state is a few kilobytes).
const KEPT: usize = 1024;

/// An aggregate's kind and id.
type Key = (&'static str, String);

pub struct Recent {
    kept: Mutex<LruCache<Key, Box<dyn Any + Send>>>,
}

impl Default for Recent {
    fn default() -> Self {
        Self {
            kept: Mutex::new(LruCache::new(
                NonZeroUsize::new(KEPT).unwrap_or(NonZeroUsize::MIN),
            )),
        }
    }
}

impl Recent {
    /// Takes the kept state of `aggregate_id`, if there is one.
    pub fn take<A: Send + 'static>(&self, kind: &'static str, aggregate_id: &str) -> Option<Loaded<A>> {
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let boxed = kept.pop(&(kind, aggregate_id.to_owned()))?;
        boxed.downcast::<Loaded<A>>().ok().map(|loaded| *loaded)
    }

    /// Keeps `loaded` as its aggregate stands now, in the log too.
    pub fn put<A: Send + 'static>(&self, kind: &'static str, loaded: Loaded<A>) {
        let key = (kind, loaded.aggregate_id.clone());
        let mut kept = self
            .kept
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.put(key, Box::new(loaded));
    }
}
