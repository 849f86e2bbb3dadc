//! Argon2id password hashing. Hashing takes tens of milliseconds of CPU by design, so it runs
//! on the blocking pool, never on the async workers.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash as Phc};
use domain::user::{Password, PasswordHash};

/// A hash of a password nobody has, verified against when the user does not exist, so that an
/// unknown user takes as long to refuse as a wrong password.
static DECOY: LazyLock<Option<String>> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(crate::crypto::random_token(24).as_bytes(), &salt)
        .ok()
        .map(|hash| hash.to_string())
});

pub async fn hash(password: Password) -> anyhow::Result<PasswordHash> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        let phc = Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .map_err(|err| anyhow::anyhow!("hashing failed: {err}"))?;
        Ok(PasswordHash::new(phc.to_string()))
    })
    .await?
}

/// Whether `password` matches `hash`; with no hash, checks a decoy and answers false.
pub async fn verify(hash: Option<String>, password: String) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let (phc, real) = match hash {
            Some(hash) => (hash, true),
            None => (DECOY.clone().unwrap_or_default(), false),
        };
        let Ok(parsed) = Phc::new(&phc) else {
            return Ok(false);
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(real && matches)
    })
    .await?
}
