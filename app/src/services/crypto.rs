//! Small cryptographic helpers: random tokens, keyed signatures, constant-time comparison.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::KeyInit;
use hmac::digest::generic_array::GenericArray;
use hmac::digest::typenum::U64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

/// `bytes` random bytes, URL-safe base64.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// Keys derived from the one configured secret, one per purpose, so that a value signed for
/// one purpose is never accepted for another. The signing keys are held as HMAC states with the
/// key already absorbed (every request signs something), and cloned for each signature.
#[derive(Clone)]
pub struct Keys {
    cookies: tower_cookies::Key,
    tokens: Hmac<Sha256>,
    links: Hmac<Sha256>,
}

impl Keys {
    pub fn derive(secret: &str) -> Self {
        let derive = |purpose: &str| {
            let mut hash = Sha512::new();
            hash.update(purpose.as_bytes());
            hash.update([0]);
            hash.update(secret.as_bytes());
            hash.finalize()
        };
        // A 64-byte key is exactly SHA-256's block size, so HMAC uses it as it is.
        let hmac = |key: GenericArray<u8, U64>| <Hmac<Sha256> as KeyInit>::new(&key);
        Self {
            cookies: tower_cookies::Key::from(&derive("bocha cookies")),
            tokens: hmac(derive("bocha api tokens")),
            links: hmac(derive("bocha mailed links")),
        }
    }

    pub fn cookies(&self) -> &tower_cookies::Key {
        &self.cookies
    }

    /// HMAC-SHA256 of `message`, URL-safe base64.
    pub fn sign(&self, message: &[u8]) -> String {
        let mut mac = self.tokens.clone();
        mac.update(message);
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        constant_time_eq(self.sign(message).as_bytes(), signature.as_bytes())
    }

    /// HMAC-SHA256 of `message` for the mailed link of `purpose`, URL-safe base64: a link made
    /// for one purpose never works for another.
    pub fn sign_link(&self, purpose: &str, message: &[u8]) -> String {
        let mut mac = self.links.clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

/// SHA-256 of `value`, hex: how a token is kept when only its holder should know it.
pub fn digest(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
