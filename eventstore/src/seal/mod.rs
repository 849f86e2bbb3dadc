//! Sealing personal data in the log, so that deleting a person's key erases them from it.
//!
//! An event that holds someone's personal data (see [`domain::personal`]) is stored as its
//! erased form in clear, plus a box: the whole event encrypted with XChaCha20-Poly1305 under a
//! key of that person's own, with the event's identity (aggregate, sequence, type) as associated
//! data, so a box cannot be moved to another event. The person's key is kept in `person_keys`,
//! itself encrypted ("wrapped") by the master key from configuration, which never reaches the
//! database. Deleting an account destroys the key; every reader then gets the erased form.
//!
//! ```json
//! {"type": "CommentPosted", "id": "…", "post": "…", "author": "…", "body": "",
//!  "_sealed": {"by": "<person>", "box": "<base64: 24-byte nonce, ciphertext>"}}
//! ```
//!
//! Everything that reads the log opens events here first ([`Opener`]): the store loading an
//! aggregate, the projectors, rebuilds, the live publisher, the audit pages and exports. The
//! ids and flags the read models join on stay in clear, so SQL over the log keeps working.
//!
//! - `keyring`: the master key, wrapping and unwrapping people's keys, keyed claim digests.
//! - `keys`: the `person_keys` table.
//! - `payload`: sealing and opening one payload.
//! - `existing`: the one-time sealing of a log written before events were sealed.

mod existing;
mod keyring;
mod keys;
mod payload;

pub use existing::seal_existing;
pub use keyring::{Keyring, KeyringError};
pub use keys::{DataKeys, shred};
pub(crate) use payload::seal;
pub use payload::{Opener, SEALED, identity};

/// Why sealed data could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A box or a wrapped key that does not open: the master key is not the one it was sealed
    /// with, or the stored bytes were altered. Never read as "erased".
    #[error("sealed data does not open (is MASTER_KEY the one it was sealed with?): {0}")]
    Corrupt(&'static str),
    #[error("opened data does not decode: {0}")]
    Decode(#[from] serde_json::Error),
}
