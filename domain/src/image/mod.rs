//! Image references shared by profiles and posts, and the names of our images' copies.

pub mod variants;

use serde::{Deserialize, Serialize};

/// Where this site serves the images it stores.
pub const URL_PREFIX: &str = "/media/";

/// Where an image lives: an uploaded image's path on this site (`/media/...`) or an absolute
/// http(s) URL (the RealWorld API lets clients give one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ImageUrl(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be an http(s) URL")]
pub struct InvalidImageUrl;

impl ImageUrl {
    pub const MAX: usize = 2000;

    /// Blank means "no image".
    pub fn parse(raw: &str) -> Result<Option<Self>, InvalidImageUrl> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let lower = raw.to_ascii_lowercase();
        let allowed = lower.starts_with("https://")
            || lower.starts_with("http://")
            || (raw.starts_with('/') && !raw.starts_with("//"));
        if !allowed || raw.len() > Self::MAX || raw.chars().any(|c| c.is_whitespace() || c == '"') {
            return Err(InvalidImageUrl);
        }
        Ok(Some(Self(raw.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_must_be_web_urls_or_local_paths() {
        assert!(ImageUrl::parse("https://example.com/a.png").is_ok());
        assert!(ImageUrl::parse("/media/a.png").is_ok());
        assert!(ImageUrl::parse("javascript:alert(1)").is_err());
        assert!(ImageUrl::parse("//evil.example/a.png").is_err());
        assert_eq!(ImageUrl::parse("  "), Ok(None));
    }
}
