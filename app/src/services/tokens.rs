//! API tokens: `Authorization: Token <token>` (or `Bearer`).
//!
//! A token names a user id, the account's credentials version when it was issued, and when,
//! signed with the site's secret. Any instance with the same `SECRET_KEY` accepts it for 60 days,
//! and it survives renames; but a password change or "log out everywhere" moves the version on,
//! and every token issued before is refused (the caller checks the version, see `api::auth`).
//! Tokens made before versions were carried read as version 0, an account's first.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::services::crypto::Keys;

const LIFETIME_DAYS: i64 = 60;

/// What a genuine token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bearer {
    pub user: Uuid,
    /// The account's credentials version when the token was issued.
    pub credentials_version: i32,
}

pub fn issue(keys: &Keys, bearer: Bearer, now: DateTime<Utc>) -> String {
    let mut payload = Vec::with_capacity(28);
    payload.extend_from_slice(bearer.user.as_bytes());
    payload.extend_from_slice(&now.timestamp().to_be_bytes());
    payload.extend_from_slice(&bearer.credentials_version.to_be_bytes());
    let payload = URL_SAFE_NO_PAD.encode(payload);
    let signature = keys.sign(payload.as_bytes());
    format!("{payload}.{signature}")
}

/// Who a token was issued to, if it is genuine and not expired.
pub fn verify(keys: &Keys, token: &str, now: DateTime<Utc>) -> Option<Bearer> {
    let (payload, signature) = token.trim().split_once('.')?;
    if !keys.verify(payload.as_bytes(), signature) {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let (user, rest) = bytes.split_at_checked(16)?;
    let (issued, version) = rest.split_at_checked(8)?;
    let credentials_version = match version.len() {
        0 => 0,
        _ => i32::from_be_bytes(version.try_into().ok()?),
    };
    let issued = DateTime::from_timestamp(i64::from_be_bytes(issued.try_into().ok()?), 0)?;
    if now - issued > Duration::days(LIFETIME_DAYS) || issued - now > Duration::minutes(5) {
        return None;
    }
    Some(Bearer {
        user: Uuid::from_slice(user).ok()?,
        credentials_version,
    })
}

/// The token in an `Authorization` header value.
pub fn from_header(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer")).then_some(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(user: u128, credentials_version: i32) -> Bearer {
        Bearer {
            user: Uuid::from_u128(user),
            credentials_version,
        }
    }

    #[test]
    fn a_token_names_its_user_and_credentials_until_it_expires() {
        let keys = Keys::derive("a secret that is long enough for the tests here");
        let now = Utc::now();
        let token = issue(&keys, bearer(42, 3), now);
        assert_eq!(verify(&keys, &token, now), Some(bearer(42, 3)));
        assert_eq!(
            verify(&keys, &token, now + Duration::days(59)),
            Some(bearer(42, 3))
        );
        assert_eq!(verify(&keys, &token, now + Duration::days(61)), None);
    }

    #[test]
    fn a_token_from_before_versions_reads_as_the_first_version() {
        let keys = Keys::derive("a secret that is long enough for the tests here");
        let now = Utc::now();
        let payload = URL_SAFE_NO_PAD.encode(
            [
                Uuid::from_u128(7).as_bytes().as_slice(),
                &now.timestamp().to_be_bytes(),
            ]
            .concat(),
        );
        let old = format!("{payload}.{}", keys.sign(payload.as_bytes()));
        assert_eq!(verify(&keys, &old, now), Some(bearer(7, 0)));
    }

    #[test]
    fn forged_and_foreign_tokens_are_refused() {
        let keys = Keys::derive("a secret that is long enough for the tests here");
        let other = Keys::derive("another secret that is long enough for tests");
        let now = Utc::now();
        let token = issue(&keys, bearer(1, 0), now);
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
