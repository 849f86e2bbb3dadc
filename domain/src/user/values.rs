//! Validated values of the user aggregate. Each `parse` is the only way to build one, so a value
//! that exists is a value that is valid.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::UserError;

/// A user's permanent identity; usernames and emails can change, this cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub Uuid);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// 3–30 characters of `[A-Za-z0-9_-]`, unique regardless of case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub const MIN: usize = 3;
    pub const MAX: usize = 30;

    /// What an erased account is called (see [`crate::personal`]).
    pub(crate) fn erased() -> Self {
        Self(crate::personal::ERASED_USERNAME.to_owned())
    }

    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(UserError::UsernameBlank);
        }
        let valid_chars = raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid_chars {
            return Err(UserError::UsernameCharacters);
        }
        if !(Self::MIN..=Self::MAX).contains(&raw.len()) {
            return Err(UserError::UsernameLength);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness is decided on.
    pub fn canonical(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// An email address, unique regardless of case. Only its shape is checked here; whether it
/// reaches anyone is not something a form can know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX: usize = 254;

    /// An erased account's address: none.
    pub(crate) fn erased() -> Self {
        Self(String::new())
    }

    pub fn parse(raw: &str) -> Result<Self, UserError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(UserError::EmailBlank);
        }
        let well_formed = raw.len() <= Self::MAX
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(raw.split_once('@'), Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@')
                    && !domain.starts_with('.') && !domain.ends_with('.'));
        if !well_formed {
            return Err(UserError::EmailInvalid);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn canonical(&self) -> String {
        self.0.to_lowercase()
    }
}

/// The name shown instead of the username, when the user sets one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX: usize = 50;

    /// Blank means "no display name". A name shown beside everything its person does may hold
    /// nothing that hides or reorders its letters: no control characters, bidirectional
    /// overrides or invisible characters (see `text`). Whether it imitates someone else's
    /// username is for the caller to check against the others (see [`DisplayName::skeleton`]).
    pub fn parse(raw: &str) -> Result<Option<Self>, UserError> {
        use unicode_normalization::UnicodeNormalization;
        let name: String = raw.trim().nfc().collect();
        if name.is_empty() {
            return Ok(None);
        }
        if name.chars().count() > Self::MAX {
            return Err(UserError::DisplayNameTooLong);
        }
        let hidden =
            |c: char| c.is_control() || crate::text::is_bidi_control(c) || crate::text::is_invisible(c);
        if name.chars().any(hidden) {
            return Err(UserError::DisplayNameCharacters);
        }
        Ok(Some(Self(name)))
    }

    /// What the name looks like (see `text::skeleton`), to compare with usernames.
    pub fn skeleton(&self) -> String {
        crate::text::skeleton(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A few lines about the user, shown on their profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bio(String);

impl Bio {
    pub const MAX: usize = 1000;

    /// Blank means "no bio".
    pub fn parse(raw: &str) -> Result<Option<Self>, UserError> {
        let bio = crate::text::clean(raw);
        if crate::text::is_blank(&bio) {
            return Ok(None);
        }
        if bio.chars().count() > Self::MAX {
            return Err(UserError::BioTooLong);
        }
        Ok(Some(Self(bio)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An Argon2 hash in PHC string form. Hashing is slow and random, so it happens outside the
/// aggregate; the aggregate only records the result.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// An erased account's password: none, so nothing verifies against it.
    pub(crate) fn erased() -> Self {
        Self(String::new())
    }

    pub fn new(phc: impl Into<String>) -> Self {
        Self(phc.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// A password as typed, before hashing. Never serialized, never printed.
pub struct Password(String);

/// Why a password is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("can't be blank")]
    Blank,
    #[error("must be at least 8 characters")]
    TooShort,
    #[error("must be at most 128 characters")]
    TooLong,
    #[error("is too common; choose one that is harder to guess")]
    TooCommon,
}

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 128;

    /// The site's policy: length within bounds and not on the list of common passwords.
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let password = Self::parse_length(raw)?;
        let lower = raw.to_lowercase();
        if passwords::analyzer::is_common_password(raw) || passwords::analyzer::is_common_password(&lower) {
            return Err(PasswordError::TooCommon);
        }
        Ok(password)
    }

    /// Length rules only. The RealWorld API contract requires accepting any password of a
    /// valid length (its conformance suite signs up with `password123`), so the API uses this.
    pub fn parse_length(raw: &str) -> Result<Self, PasswordError> {
        let len = raw.chars().count();
        if raw.trim().is_empty() {
            Err(PasswordError::Blank)
        } else if len < Self::MIN {
            Err(PasswordError::TooShort)
        } else if len > Self::MAX {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("abc").is_ok());
        assert!(Username::parse(&"a".repeat(30)).is_ok());
        assert!(Username::parse(&"a".repeat(31)).is_err());
        assert_eq!(Username::parse("al ice"), Err(UserError::UsernameCharacters));
        assert_eq!(Username::parse("élan"), Err(UserError::UsernameCharacters));
        assert_eq!(
            Username::parse("Al_ice-9").map(|u| u.canonical()),
            Ok("al_ice-9".into())
        );
    }

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        assert!(Email::parse("a@b.c").is_ok());
        for bad in ["", "a", "@b.c", "a@", "a@@b", "a b@c.d", "a@.b", "a@b."] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(
            Email::parse(" Bob@Example.COM ").map(|e| e.canonical()),
            Ok("bob@example.com".into())
        );
    }

    #[test]
    fn passwords_are_checked_for_length_and_commonness() {
        assert_eq!(Password::parse("short").err(), Some(PasswordError::TooShort));
        assert_eq!(
            Password::parse(&"x".repeat(129)).err(),
            Some(PasswordError::TooLong)
        );
        assert_eq!(
            Password::parse("password123").err(),
            Some(PasswordError::TooCommon)
        );
        assert_eq!(
            Password::parse("PASSWORD123").err(),
            Some(PasswordError::TooCommon)
        );
        assert!(Password::parse("correct horse battery staple").is_ok());
        assert!(Password::parse_length("password123").is_ok());
    }
}
