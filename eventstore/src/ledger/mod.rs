//! The log proves itself.
//!
//! - [`chain`]: every event bound to the one before it in its aggregate, by a hash the database
//!   computes as it stores the event (migration `0020_ledger`) and every load checks.
//! - [`tree`]: an RFC 9162 Merkle tree over the whole log, and its proofs.
//! - `sealer`: puts each event in the tree in the order events become final, and signs
//!   checkpoints ([`signing`]) of it with the log's Ed25519 key.
//! - [`store`]: the tree's tables; [`proofs`]: inclusion and consistency proofs from them.
//! - [`verify`]: re-derives every chain and the tree and checks them against every checkpoint.
//!
//! The payload is hashed as stored: where personal data is sealed (see [`crate::seal`]) the
//! hashes cover the box, so erasing someone, which only destroys their key, breaks no proof.

pub mod chain;
pub mod offline;
pub mod proofs;
pub mod record;
mod sealer;
pub mod signing;
pub mod store;
pub mod tree;
pub mod verify;

pub use sealer::{LEDGER_LOCK_KEY, Ledger};
pub use signing::{Checkpoint, PublicKey, Signer};
pub use store::LedgerError;
pub use verify::{Problem, Progress, Verification, verify};
