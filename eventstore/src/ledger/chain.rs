//! The hash chain: every event bound to the one before it in its aggregate.
//!
//! The database computes the hashes as events are inserted (migration `0020_ledger`); this is
//! the same encoding in Rust, for checking them. Fields are hashed as Postgres stores them:
//! payload and metadata in jsonb's own text form (one form per value, whatever the writer sent),
//! time in microseconds. Readers that check the chain select those forms, never re-encode a
//! parsed value.

use sha2::{Digest, Sha256};

use super::tree::Hash;

/// The predecessor of an aggregate's first event.
pub const GENESIS: Hash = [0; 32];

/// The format of the encoding, hashed first, so a later format cannot collide with this one.
const FORMAT: u8 = 1;

/// An event's fields as the log stores them.
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub aggregate_type: &'a str,
    pub aggregate_id: &'a str,
    pub event_type: &'a str,
    pub event_version: &'a str,
    /// jsonb's text form of the stored payload (sealed where personal).
    pub payload: &'a str,
    pub metadata: &'a str,
    /// `recorded_at` in microseconds since 1970.
    pub recorded_at: i64,
}

impl Content<'_> {
    /// The event's hash, following `prev` (its predecessor's hash, or [`GENESIS`]).
    pub fn hash(&self, prev: &Hash) -> Hash {
        let mut hasher = Sha256::new();
        hasher.update(prev);
        hasher.update([FORMAT]);
        for field in [
            self.aggregate_type,
            self.aggregate_id,
            self.event_type,
            self.event_version,
            self.payload,
            self.metadata,
        ] {
            // Length-prefixed, so no two different events encode alike. A field over 4 GiB
            // cannot be stored in Postgres at all.
            let length = u32::try_from(field.len()).unwrap_or(u32::MAX);
            hasher.update(length.to_be_bytes());
            hasher.update(field.as_bytes());
        }
        hasher.update(self.recorded_at.to_be_bytes());
        hasher.finalize().into()
    }
}

/// A stored hash column as a [`Hash`]; `None` when it is not 32 bytes long.
pub fn to_hash(bytes: &[u8]) -> Option<Hash> {
    bytes.try_into().ok()
}

/// What is wrong with one link of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    /// The event's fields no longer give its hash: it was changed after it was written.
    #[error("changed: its content does not match its hash")]
    Changed,
    /// The event does not follow the one before it: an event in between was removed.
    #[error("missing: the event before it is not the one it follows")]
    Missing,
    /// The event follows another event of its aggregate than the one before it.
    #[error("reordered: it follows another event of its aggregate")]
    Reordered,
}

/// A stored event's link: its fields, the predecessor hash it stores and its own.
pub struct Link<'a> {
    pub content: Content<'a>,
    pub prev_hash: Hash,
    pub hash: Hash,
}

impl Link<'_> {
    /// Checks the link after an event whose hash is `prev`. `hashes_in_aggregate` tells whether
    /// a hash belongs to some event of the same aggregate (to tell a reorder from a removal).
    pub fn check(&self, prev: &Hash, hashes_in_aggregate: impl Fn(&Hash) -> bool) -> Result<(), Break> {
        if self.content.hash(&self.prev_hash) != self.hash {
            return Err(Break::Changed);
        }
        if self.prev_hash != *prev {
            return Err(
                if self.prev_hash != GENESIS && hashes_in_aggregate(&self.prev_hash) {
                    Break::Reordered
                } else {
                    Break::Missing
                },
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(payload: &str) -> Content<'_> {
        Content {
            aggregate_type: "T",
            aggregate_id: "a",
            event_type: "X",
            event_version: "1",
            payload,
            metadata: "{}",
            recorded_at: 1_700_000_000_000_000,
        }
    }

    #[test]
    fn every_field_counts() {
        let base = content(r#"{"a": 1}"#);
        let hash = base.hash(&GENESIS);
        assert_ne!(hash, content(r#"{"a": 2}"#).hash(&GENESIS));
        assert_ne!(
            hash,
            Content {
                recorded_at: 1,
                ..base
            }
            .hash(&GENESIS)
        );
        assert_ne!(
            hash,
            Content {
                metadata: "{\"x\": 1}",
                ..base
            }
            .hash(&GENESIS)
        );
        assert_ne!(hash, base.hash(&[1; 32]));
        // Moving a byte from one field to the next changes the hash (length prefixes).
        let shifted = Content {
            aggregate_type: "Ta",
            aggregate_id: "",
            ..base
        };
        assert_ne!(hash, shifted.hash(&GENESIS));
    }

    #[test]
    fn a_link_tells_changed_missing_and_reordered_apart() {
        let first = content("{}").hash(&GENESIS);
        let second = Link {
            content: content("{\"n\": 2}"),
            prev_hash: first,
            hash: content("{\"n\": 2}").hash(&first),
        };
        assert_eq!(second.check(&first, |_| false), Ok(()));
        assert_eq!(second.check(&GENESIS, |h| *h == first), Err(Break::Reordered));
        assert_eq!(second.check(&[9; 32], |_| false), Err(Break::Missing));
        let changed = Link {
            content: content("{\"n\": 3}"),
            ..second
        };
        assert_eq!(changed.check(&first, |_| false), Err(Break::Changed));
    }
}
