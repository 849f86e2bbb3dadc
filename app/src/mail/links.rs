//! The links mailed to people: signed with the site's key, so none is kept anywhere but in the
//! mail itself. A token is `payload.signature`, both URL-safe base64; the payload holds ids (and
//! for address confirmations, an expiry and a digest of the address), never the address.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::services::crypto::{Keys, constant_time_eq};

/// How long a link that confirms an address works.
pub const CONFIRMATION_LIFETIME: TimeDelta = TimeDelta::days(7);

const CONFIRM_EMAIL: &str = "confirm email";
const PASSWORD_RESET: &str = "password reset";
const EMAIL_CHANGE: &str = "email change";
const EMAIL_CHANGE_REPORT: &str = "email change report";
const CONFIRM_SUBSCRIPTION: &str = "confirm subscription";
const UNSUBSCRIBE: &str = "unsubscribe";

fn sign(keys: &Keys, purpose: &str, payload: &[u8]) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        keys.sign_link(purpose, payload)
    )
}

fn open(keys: &Keys, purpose: &str, token: &str) -> Option<Vec<u8>> {
    let (payload, signature) = token.trim().split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    constant_time_eq(keys.sign_link(purpose, &payload).as_bytes(), signature.as_bytes()).then_some(payload)
}

fn uuid_at(bytes: &[u8], at: usize) -> Option<Uuid> {
    Uuid::from_slice(bytes.get(at..at + 16)?).ok()
}

/// Which address a confirmation is for, without naming it: the first 16 bytes of its SHA-256,
/// case-folded.
fn address_digest(email: &str) -> [u8; 16] {
    let digest = Sha256::digest(email.to_lowercase().as_bytes());
    let mut out = [0; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// A link that confirms `email` as `user`'s address until `expires_at`.
pub fn confirm_email(keys: &Keys, user: Uuid, email: &str, expires_at: DateTime<Utc>) -> String {
    let mut payload = Vec::with_capacity(40);
    payload.extend_from_slice(user.as_bytes());
    payload.extend_from_slice(&expires_at.timestamp().to_be_bytes());
    payload.extend_from_slice(&address_digest(email));
    sign(keys, CONFIRM_EMAIL, &payload)
}

/// What a genuine confirmation link says.
pub struct Confirmation {
    pub user: Uuid,
    pub expires_at: DateTime<Utc>,
    digest: [u8; 16],
}

impl Confirmation {
    pub fn open(keys: &Keys, token: &str) -> Option<Self> {
        let payload = open(keys, CONFIRM_EMAIL, token)?;
        let expires = i64::from_be_bytes(payload.get(16..24)?.try_into().ok()?);
        Some(Self {
            user: uuid_at(&payload, 0)?,
            expires_at: DateTime::from_timestamp(expires, 0)?,
            digest: payload.get(24..40)?.try_into().ok()?,
        })
    }

    /// Whether the link was made for `email`.
    pub fn is_for(&self, email: &str) -> bool {
        constant_time_eq(&self.digest, &address_digest(email))
    }
}

/// The token of a password reset link; the account keeps only its hash.
pub fn password_reset(keys: &Keys, reset_id: Uuid) -> String {
    sign(keys, PASSWORD_RESET, reset_id.as_bytes())
}

/// The reset a genuine reset link names.
pub fn open_password_reset(keys: &Keys, token: &str) -> Option<Uuid> {
    uuid_at(&open(keys, PASSWORD_RESET, token)?, 0)
}

/// The link, mailed to a new address, that completes `user`'s change `change_id`.
pub fn email_change(keys: &Keys, user: Uuid, change_id: Uuid) -> String {
    sign(
        keys,
        EMAIL_CHANGE,
        &[user.as_bytes().as_slice(), change_id.as_bytes()].concat(),
    )
}

/// The link, mailed to the old address, that reports change `change_id` as not the person's.
pub fn email_change_report(keys: &Keys, user: Uuid, change_id: Uuid) -> String {
    sign(
        keys,
        EMAIL_CHANGE_REPORT,
        &[user.as_bytes().as_slice(), change_id.as_bytes()].concat(),
    )
}

/// The account and change a genuine change link names; `report` for the old address's link.
pub fn open_email_change(keys: &Keys, token: &str, report: bool) -> Option<(Uuid, Uuid)> {
    let purpose = if report { EMAIL_CHANGE_REPORT } else { EMAIL_CHANGE };
    let payload = open(keys, purpose, token)?;
    Some((uuid_at(&payload, 0)?, uuid_at(&payload, 16)?))
}

/// The link that confirms the subscription `subscription` as requested under `holder`.
pub fn confirm_subscription(keys: &Keys, subscription: Uuid, holder: Uuid) -> String {
    sign(
        keys,
        CONFIRM_SUBSCRIPTION,
        &[subscription.as_bytes().as_slice(), holder.as_bytes()].concat(),
    )
}

/// The link in every newsletter that ends the subscription it was sent for.
pub fn unsubscribe(keys: &Keys, subscription: Uuid, holder: Uuid) -> String {
    sign(
        keys,
        UNSUBSCRIBE,
        &[subscription.as_bytes().as_slice(), holder.as_bytes()].concat(),
    )
}

/// The subscription and holder a genuine link names; `confirm` for the confirmation link,
/// else the unsubscribe link.
pub fn open_subscription(keys: &Keys, token: &str, confirm: bool) -> Option<(Uuid, Uuid)> {
    let purpose = if confirm {
        CONFIRM_SUBSCRIPTION
    } else {
        UNSUBSCRIBE
    };
    let payload = open(keys, purpose, token)?;
    Some((uuid_at(&payload, 0)?, uuid_at(&payload, 16)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::derive("a test secret that is long enough for the keys")
    }

    #[test]
    fn a_link_works_only_for_its_purpose_and_unaltered() {
        let keys = keys();
        let id = Uuid::new_v4();
        let token = password_reset(&keys, id);
        assert_eq!(open_password_reset(&keys, &token), Some(id));
        assert_eq!(open_email_change(&keys, &token, false), None);
        let (payload, signature) = token.split_once('.').unwrap();
        let other = URL_SAFE_NO_PAD.encode(Uuid::new_v4().as_bytes());
        assert_eq!(open_password_reset(&keys, &format!("{other}.{signature}")), None);
        assert_eq!(open_password_reset(&keys, payload), None);
        let other_site = Keys::derive("another site's secret, also long enough to use");
        assert_eq!(open_password_reset(&other_site, &token), None);
    }

    #[test]
    fn a_confirmation_names_its_address_by_digest_only() {
        let keys = keys();
        let user = Uuid::new_v4();
        let expires = DateTime::from_timestamp(2_000_000_000, 0).unwrap();
        let token = confirm_email(&keys, user, "Alice@Example.com", expires);
        assert!(!token.to_lowercase().contains("alice"));
        let link = Confirmation::open(&keys, &token).unwrap();
        assert_eq!((link.user, link.expires_at), (user, expires));
        assert!(link.is_for("alice@example.com"));
        assert!(!link.is_for("mallory@example.com"));
        let change = email_change(&keys, user, Uuid::new_v4());
        assert!(open_email_change(&keys, &change, false).is_some());
        assert!(open_email_change(&keys, &change, true).is_none());
    }
}
