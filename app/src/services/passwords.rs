//! Argon2id password hashing, on the bounded `passwords` pool (see `pools`).
//!
//! Parameters: OWASP's Password Storage Cheat Sheet lists Argon2id configurations of equal
//! strength, trading memory for passes: 19 MiB × 2, 12 MiB × 3, 9 MiB × 4, … We take 12 MiB and
//! 3 passes, one lane. The cost an attacker pays per guess is the same as with the crate's default
//! (19 MiB × 2), while each hash in flight holds a third less memory, which is what bounds the
//! server under a burst of logins. Hashes record their own parameters, so hashes made with other
//! settings still verify.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, PasswordHash as Phc, Version};
use domain::user::{Password, PasswordHash};

use crate::services::pools::{Pool, WorkError};

/// Memory per hash, in KiB.
const MEMORY_KIB: u32 = 12 * 1024;
const PASSES: u32 = 3;
const LANES: u32 = 1;

fn hasher() -> Argon2<'static> {
    // The constants are within Argon2's bounds, so this never falls back in practice.
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, verified against when the user does not exist, so that an
/// unknown user takes as long to refuse as a wrong password.
static DECOY: LazyLock<Option<String>> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(crate::services::crypto::random_token(24).as_bytes(), &salt)
        .ok()
        .map(|hash| hash.to_string())
});

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Work(#[from] WorkError),
    #[error("hashing failed: {0}")]
    Argon2(argon2::password_hash::Error),
}

pub async fn hash(pool: &Pool, password: Password) -> Result<PasswordHash, HashError> {
    pool.run(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|phc| PasswordHash::new(phc.to_string()))
            .map_err(HashError::Argon2)
    })
    .await?
}

/// Whether `password` matches `hash`; with no hash, checks a decoy and answers false.
pub async fn verify(pool: &Pool, hash: Option<String>, password: String) -> Result<bool, WorkError> {
    pool.run(move || {
        let (phc, real) = match hash {
            Some(hash) => (hash, true),
            None => (DECOY.clone().unwrap_or_default(), false),
        };
        let Ok(parsed) = Phc::new(&phc) else {
            return false;
        };
        // Verifying uses the parameters recorded in the hash itself.
        let matches = hasher().verify_password(password.as_bytes(), &parsed).is_ok();
        real && matches
    })
    .await
}
