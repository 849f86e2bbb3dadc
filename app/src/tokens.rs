//! API tokens: `Authorization: Token <token>` (or `Bearer`).
//!
//! A token names a user id and when it was issued, signed with the site's secret. It is bound
//! to the id, not to the username, email or password, so it survives renames and password
//! changes, and any instance with the same `SECRET_KEY` accepts it. Tokens last 60 days.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::crypto::Keys;

const LIFETIME_DAYS: i64 = 60;

pub fn issue(keys: &Keys, user: Uuid, now: DateTime<Utc>) -> String {
    let mut payload = Vec::with_capacity(24);
    payload.extend_from_slice(user.as_bytes());
    payload.extend_from_slice(&now.timestamp().to_be_bytes());
    let payload = URL_SAFE_NO_PAD.encode(payload);
    let signature = keys.sign(payload.as_bytes());
    format!("{payload}.{signature}")
}

/// The user a token was issued to, if it is genuine and not expired.
pub fn verify(keys: &Keys, token: &str, now: DateTime<Utc>) -> Option<Uuid> {
    let (payload, signature) = token.trim().split_once('.')?;
    if !keys.verify(payload.as_bytes(), signature) {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let (user, issued) = bytes.split_at_checked(16)?;
    let issued = DateTime::from_timestamp(i64::from_be_bytes(issued.try_into().ok()?), 0)?;
    if now - issued > Duration::days(LIFETIME_DAYS) || issued - now > Duration::minutes(5) {
        return None;
    }
    Uuid::from_slice(user).ok()
}

/// The token in an `Authorization` header value.
pub fn from_header(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")).then_some(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_user_until_it_expires() {
        let keys = Keys::derive("a secret that is long enough for the tests here");
        let user = Uuid::from_u128(42);
        let now = Utc::now();
        let token = issue(&keys, user, now);
        assert_eq!(verify(&keys, &token, now), Some(user));
        assert_eq!(verify(&keys, &token, now + Duration::days(59)), Some(user));
        assert_eq!(verify(&keys, &token, now + Duration::days(61)), None);
    }

    #[test]
    fn forged_and_foreign_tokens_are_refused() {
        let keys = Keys::derive("a secret that is long enough for the tests here");
        let other = Keys::derive("another secret that is long enough for tests");
        let now = Utc::now();
        let token = issue(&keys, Uuid::from_u128(1), now);
        assert_eq!(verify(&other, &token, now), None);
        let (payload, signature) = token.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(
            [
                Uuid::from_u128(2).as_bytes().as_slice(),
                &now.timestamp().to_be_bytes(),
            ]
            .concat(),
        );
        assert_eq!(verify(&keys, &format!("{forged_payload}.{signature}"), now), None);
        assert_eq!(verify(&keys, payload, now), None);
        assert_eq!(verify(&keys, "garbage", now), None);
    }

    #[test]
    fn both_header_schemes_are_accepted() {
        assert_eq!(from_header("Token abc"), Some("abc"));
        assert_eq!(from_header("Bearer abc"), Some("abc"));
        assert_eq!(from_header("Basic abc"), None);
    }
}
