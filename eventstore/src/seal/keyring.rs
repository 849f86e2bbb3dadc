//! The master key and what is derived from it.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::SealError;
use super::keys::KeyCache;

/// The master key, from configuration: it wraps every person's key and keys the digests that
/// unique claims are stored as. Cheap to clone.
#[derive(Clone)]
pub struct Keyring {
    inner: Arc<Inner>,
}

struct Inner {
    wrapping: XChaCha20Poly1305,
    claims: Hmac<Sha256>,
    cache: KeyCache,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keyring(<hidden>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("the master key must be at least 32 characters")]
    Short,
}

/// Prefix of a claim stored as a digest, so a claims table written before digests can be told
/// apart (and converted, see [`super::seal_existing`]).
pub(crate) const CLAIM_DIGEST_PREFIX: &str = "h1:";

impl Keyring {
    /// The keyring for a master secret of at least 32 characters. The keys used are derived
    /// from it with HMAC-SHA-256, one per purpose, so the secret itself is never a key twice.
    pub fn from_secret(secret: &str) -> Result<Self, KeyringError> {
        if secret.len() < 32 {
            return Err(KeyringError::Short);
        }
        let derive = |purpose: &[u8]| {
            let mut mac = hmac_with(secret.as_bytes())?;
            mac.update(purpose);
            Ok::<_, KeyringError>(mac.finalize().into_bytes())
        };
        let wrapping = XChaCha20Poly1305::new(&derive(b"bocha person-key wrapping v1")?);
        let claims = hmac_with(&derive(b"bocha claim digests v1")?)?;
        Ok(Self {
            inner: Arc::new(Inner {
                wrapping,
                claims,
                cache: KeyCache::new(),
            }),
        })
    }

    /// A unique claim's value as stored: a keyed digest, so the claims table holds no email
    /// address or name, and nobody without the master key can test a guess against it.
    pub fn claim_digest(&self, kind: &str, value: &str) -> String {
        let mut mac = self.inner.claims.clone();
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        format!(
            "{CLAIM_DIGEST_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    /// People's keys as this process last unwrapped them.
    pub(crate) fn cache(&self) -> &KeyCache {
        &self.inner.cache
    }

    /// A new key for `person`, and the same key wrapped for storage.
    pub(crate) fn new_data_key(&self, person: Uuid) -> Result<(DataKey, Vec<u8>), SealError> {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let wrapped = seal_bytes(&self.inner.wrapping, &key, person.as_bytes())?;
        Ok((DataKey(XChaCha20Poly1305::new(&key)), wrapped))
    }

    /// `person`'s key from its wrapped form, as the database holds it now.
    pub(crate) fn unwrap(&self, person: Uuid, wrapped: &[u8]) -> Result<DataKey, SealError> {
        if let Some(key) = self.inner.cache.unwrapped(person, wrapped) {
            return Ok(key);
        }
        let key = open_bytes(&self.inner.wrapping, wrapped, person.as_bytes())?;
        if key.len() != 32 {
            return Err(SealError::Corrupt("a person's key has the wrong length"));
        }
        let key = DataKey(XChaCha20Poly1305::new(key.as_slice().into()));
        self.inner.cache.put(person, wrapped, key.clone());
        Ok(key)
    }
}

/// HMAC takes keys of any length; the error is the type system's, not a case that happens.
fn hmac_with(key: &[u8]) -> Result<Hmac<Sha256>, KeyringError> {
    <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| KeyringError::Short)
}

/// One person's key, ready to seal and open their events.
#[derive(Clone)]
pub struct DataKey(XChaCha20Poly1305);

impl DataKey {
    /// `plain` encrypted for the event `aad` names, as base64 text.
    pub(crate) fn seal(&self, plain: &[u8], aad: &[u8]) -> Result<String, SealError> {
        Ok(STANDARD_NO_PAD.encode(seal_bytes(&self.0, plain, aad)?))
    }

    pub(crate) fn open(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let bytes = STANDARD_NO_PAD
            .decode(sealed)
            .map_err(|_| SealError::Corrupt("a box is not base64"))?;
        open_bytes(&self.0, &bytes, aad)
    }
}

/// A random nonce followed by the ciphertext: 192-bit nonces never repeat by chance.
fn seal_bytes(cipher: &XChaCha20Poly1305, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let sealed = cipher
        .encrypt(&nonce, Payload { msg: plain, aad })
        .map_err(|_| SealError::Corrupt("encryption failed"))?;
    let mut out = Vec::with_capacity(nonce.len() + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn open_bytes(cipher: &XChaCha20Poly1305, bytes: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
    if bytes.len() < 24 {
        return Err(SealError::Corrupt("sealed bytes are too short"));
    }
    let (nonce, sealed) = bytes.split_at(24);
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map_err(|_| SealError::Corrupt("authentication failed"))
}
