//! Signed checkpoints: the tree's size and root at a time, signed with the log's Ed25519 key.
//!
//! What is signed is a short text note, so anyone can check a checkpoint with any Ed25519
//! implementation and nothing of Bocha's:
//!
//! ```text
//! bocha event log
//! 1024
//! <root, base64>
//! 1733584800000
//! ```
//!
//! (origin, tree size, root hash, time in milliseconds since 1970, each line ending in `\n`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::tree::Hash;

/// The first line of every checkpoint note: which log it speaks of.
pub const ORIGIN: &str = "bocha event log";

/// The log's signing key, derived from a secret from configuration.
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("key_id", &self.key_id()).finish()
    }
}

impl Signer {
    /// The key for `secret` (at least 32 characters, kept like the master key): the same secret
    /// always gives the same key, so every instance signs alike.
    pub fn from_secret(secret: &str) -> Self {
        let seed: [u8; 32] = Sha256::new()
            .chain_update(b"bocha ledger signing key\0")
            .chain_update(secret.as_bytes())
            .finalize()
            .into();
        Self {
            key: SigningKey::from_bytes(&seed),
        }
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.key.verifying_key())
    }

    pub fn key_id(&self) -> String {
        self.public().id()
    }

    /// Signs the tree of `tree_size` leaves whose root is `root`, as of `signed_at`.
    pub fn sign(&self, tree_size: u64, root: Hash, signed_at: DateTime<Utc>) -> Checkpoint {
        // Checkpoints keep milliseconds, so the note signed is the note stored.
        let signed_at = DateTime::from_timestamp_millis(signed_at.timestamp_millis()).unwrap_or(signed_at);
        let mut checkpoint = Checkpoint {
            tree_size,
            root,
            signed_at,
            key_id: self.key_id(),
            signature: [0; 64],
        };
        checkpoint.signature = self.key.sign(checkpoint.note().as_bytes()).to_bytes();
        checkpoint
    }
}

/// The public half of the log's key: what checks its checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// The key's short name: the first 8 bytes of its SHA-256, in hex.
    pub fn id(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0.as_bytes())
    }

    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes: [u8; 32] = STANDARD.decode(text.trim()).ok()?.try_into().ok()?;
        VerifyingKey::from_bytes(&bytes).ok().map(Self)
    }
}

/// A signed checkpoint of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub tree_size: u64,
    pub root: Hash,
    pub signed_at: DateTime<Utc>,
    /// The id of the key that signed it (see [`PublicKey::id`]).
    pub key_id: String,
    pub signature: [u8; 64],
}

/// Why a checkpoint does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("it was signed by another key ({found}), not the log's ({expected})")]
    OtherKey { expected: String, found: String },
    #[error("its signature does not verify: its size, root or time was altered")]
    BadSignature,
}

impl Checkpoint {
    /// The text that is signed.
    pub fn note(&self) -> String {
        format!(
            "{ORIGIN}\n{}\n{}\n{}\n",
            self.tree_size,
            STANDARD.encode(self.root),
            self.signed_at.timestamp_millis()
        )
    }

    /// Checks the checkpoint against the log's public key.
    pub fn verify(&self, key: &PublicKey) -> Result<(), CheckpointError> {
        if self.key_id != key.id() {
            return Err(CheckpointError::OtherKey {
                expected: key.id(),
                found: self.key_id.clone(),
            });
        }
        key.0
            .verify_strict(self.note().as_bytes(), &Signature::from_bytes(&self.signature))
            .map_err(|_| CheckpointError::BadSignature)
    }

    /// The checkpoint as published: JSON with its note's fields, the signature and the key.
    pub fn published(&self, key: &PublicKey) -> Published {
        Published {
            origin: ORIGIN.to_owned(),
            tree_size: self.tree_size,
            root: STANDARD.encode(self.root),
            signed_at: self.signed_at,
            key_id: self.key_id.clone(),
            public_key: key.to_base64(),
            signature: STANDARD.encode(self.signature),
        }
    }
}

/// A checkpoint as the API serves it and a person keeps it: enough to check it anywhere.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Published {
    pub origin: String,
    pub tree_size: u64,
    /// The root hash, base64.
    pub root: String,
    pub signed_at: DateTime<Utc>,
    pub key_id: String,
    /// The log's Ed25519 public key, base64.
    pub public_key: String,
    /// Ed25519 signature of the note, base64.
    pub signature: String,
}

/// Why a published checkpoint cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishedError {
    #[error("the {0} is not valid base64 of the right length")]
    Field(&'static str),
    #[error("this is a checkpoint of another log ({0:?})")]
    Origin(String),
}

impl Published {
    /// The checkpoint and the key it names. Whether that key is the log's is for the reader to
    /// decide (compare its id with the one the site publishes).
    pub fn open(&self) -> Result<(Checkpoint, PublicKey), PublishedError> {
        if self.origin != ORIGIN {
            return Err(PublishedError::Origin(self.origin.clone()));
        }
        let root = decode::<32>(&self.root).ok_or(PublishedError::Field("root"))?;
        let signature = decode::<64>(&self.signature).ok_or(PublishedError::Field("signature"))?;
        let key = PublicKey::from_base64(&self.public_key).ok_or(PublishedError::Field("public key"))?;
        Ok((
            Checkpoint {
                tree_size: self.tree_size,
                root,
                signed_at: self.signed_at,
                key_id: self.key_id.clone(),
                signature,
            },
            key,
        ))
    }
}

fn decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    STANDARD.decode(text).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_with_its_key_only() {
        let signer = Signer::from_secret("a secret of at least thirty-two characters");
        let checkpoint = signer.sign(10, [7; 32], Utc::now());
        assert_eq!(checkpoint.verify(&signer.public()), Ok(()));

        let other = Signer::from_secret("another secret of at least thirty-two characters");
        assert!(matches!(
            checkpoint.verify(&other.public()),
            Err(CheckpointError::OtherKey { .. })
        ));
        let forged = Checkpoint {
            key_id: other.key_id(),
            ..other.sign(10, [7; 32], checkpoint.signed_at)
        };
        assert_eq!(forged.verify(&other.public()), Ok(()));
        assert!(forged.verify(&signer.public()).is_err());

        let altered = Checkpoint {
            tree_size: 11,
            ..checkpoint.clone()
        };
        assert_eq!(
            altered.verify(&signer.public()),
            Err(CheckpointError::BadSignature)
        );
    }

    #[test]
    fn a_published_checkpoint_opens_to_the_same() {
        let signer = Signer::from_secret("a secret of at least thirty-two characters");
        let checkpoint = signer.sign(3, [1; 32], Utc::now());
        let published = checkpoint.published(&signer.public());
        let json = serde_json::to_string(&published).unwrap();
        let (opened, key) = serde_json::from_str::<Published>(&json).unwrap().open().unwrap();
        assert_eq!(opened, checkpoint);
        assert_eq!(key, signer.public());
        assert_eq!(opened.verify(&key), Ok(()));
    }
}
