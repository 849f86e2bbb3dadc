//! Validated parts of a post.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::PostError;
use crate::image::ImageUrl;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PostId(pub Uuid);

impl std::fmt::Display for PostId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The readable, permanent part of a post's address: `/posts/how-to-brew-tea`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    /// Longest slug made from a title (a numeric suffix may follow).
    const MAX_BASE: usize = 80;

    /// A slug from a title: lowercase ASCII letters and digits joined by single hyphens;
    /// letters with accents lose them, other characters separate words. A title with none of
    /// those ("🙂") gets `post`.
    pub fn from_title(title: &str) -> Self {
        let mut slug = String::with_capacity(title.len());
        for c in title.chars().flat_map(fold_accent) {
            if c.is_ascii_alphanumeric() {
                if slug.len() >= Self::MAX_BASE {
                    break;
                }
                slug.push(c.to_ascii_lowercase());
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        Self(if slug.is_empty() {
            "post".to_owned()
        } else {
            slug.to_owned()
        })
    }

    /// The same slug with `-n` appended, for the n-th post with the same title.
    pub fn numbered(&self, n: u32) -> Self {
        if n <= 1 {
            self.clone()
        } else {
            Self(format!("{}-{n}", self.0))
        }
    }

    /// A slug as found in a URL; anything else cannot name a post. (`_` only appears in the
    /// slugs of erased posts, see [`crate::personal`].)
    pub fn parse(raw: &str) -> Option<Self> {
        let valid = !raw.is_empty()
            && raw.len() <= 120
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        valid.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The slug of an erased post (see [`crate::personal`]).
    pub fn erased(id: Uuid) -> Self {
        Self(crate::personal::erased_slug(id))
    }
}

/// Common Latin letters with diacritics, as their base letters, so "Café" becomes "cafe".
fn fold_accent(c: char) -> impl Iterator<Item = char> {
    let folded: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        _ => "",
    };
    let mut chars = if folded.is_empty() {
        vec![c]
    } else {
        folded.chars().collect()
    };
    chars.reverse();
    std::iter::from_fn(move || chars.pop())
}

macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident, max = $max:expr, blank = $blank:expr, long = $long:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MAX: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, PostError> {
                let text = crate::text::clean(raw);
                if crate::text::is_blank(&text) {
                    return Err($blank);
                }
                if text.chars().count() > Self::MAX {
                    return Err($long);
                }
                Ok(Self(text))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Text that is empty rather than valid: what an erased post keeps.
            pub(crate) fn erased(text: &str) -> Self {
                Self(text.to_owned())
            }
        }
    };
}

text_value!(
    /// 1–200 characters.
    PostTitle, max = 200, blank = PostError::TitleBlank, long = PostError::TitleTooLong
);
text_value!(
    /// A sentence or two shown in lists: 1–300 characters.
    Description, max = 300, blank = PostError::DescriptionBlank, long = PostError::DescriptionTooLong
);
text_value!(
    /// Markdown, up to 100,000 characters.
    PostBody, max = 100_000, blank = PostError::BodyBlank, long = PostError::BodyTooLong
);

/// A topic label: 1–40 characters, no commas (the forms separate tags with them), in lower case
/// so that "Performance" and "performance" are one topic with one page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Tag(String);

impl Tag {
    pub const MAX: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, PostError> {
        let tag = Self::fold(&crate::text::clean(raw));
        if crate::text::is_blank(&tag)
            || tag.chars().count() > Self::MAX
            || tag.contains(',')
            || tag.chars().any(crate::text::is_invisible)
        {
            return Err(PostError::TagInvalid);
        }
        Ok(Self(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form tags are compared in: words separated by single spaces, in lower case.
    pub fn fold(raw: &str) -> String {
        raw.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }
}

/// Events stored before tags were folded carry them as they were typed; they read folded, so the
/// aggregate and every read model rebuilt from them agree with the new ones.
impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|raw| Self(Self::fold(&raw)))
    }
}

/// Up to 10 distinct tags, kept sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Tags(Vec<Tag>);

/// Folding old tags can make two of them one ("Rust" and "rust"): kept once, in order.
impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut tags = Vec::<Tag>::deserialize(deserializer)?;
        tags.sort();
        tags.dedup();
        Ok(Self(tags))
    }
}

impl Tags {
    pub const MAX: usize = 10;

    pub fn parse<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Self, PostError> {
        let mut tags = raw
            .into_iter()
            .filter(|t| !t.trim().is_empty())
            .map(Tag::parse)
            .collect::<Result<Vec<_>, _>>()?;
        tags.sort();
        tags.dedup();
        if tags.len() > Self::MAX {
            return Err(PostError::TooManyTags);
        }
        Ok(Self(tags))
    }

    /// Tags typed into one box, separated by commas.
    pub fn parse_list(raw: &str) -> Result<Self, PostError> {
        Self::parse(raw.split(','))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.0.iter()
    }

    pub fn as_strs(&self) -> Vec<&str> {
        self.0.iter().map(Tag::as_str).collect()
    }
}

impl PostContent {
    /// The content of a post whose author's data was erased.
    pub fn erased() -> Self {
        Self {
            title: PostTitle::erased(crate::personal::ERASED_TITLE),
            description: Description::erased(""),
            body: PostBody::erased(""),
            tags: Tags::default(),
            cover: None,
        }
    }
}

/// Everything a post shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostContent {
    pub title: PostTitle,
    pub description: Description,
    pub body: PostBody,
    pub tags: Tags,
    pub cover: Option<ImageUrl>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_readable() {
        assert_eq!(Slug::from_title("How to Brew Tea").as_str(), "how-to-brew-tea");
        assert_eq!(
            Slug::from_title("  Café, crème & brûlée!  ").as_str(),
            "cafe-creme-brulee"
        );
        assert_eq!(
            Slug::from_title("Rust 2024: what's new?").as_str(),
            "rust-2024-what-s-new"
        );
        assert_eq!(Slug::from_title("🙂").as_str(), "post");
        assert!(Slug::from_title(&"long ".repeat(50)).as_str().len() <= 80);
        assert!(!Slug::from_title(&"long ".repeat(50)).as_str().ends_with('-'));
        assert_eq!(Slug::from_title("Tea").numbered(3).as_str(), "tea-3");
    }

    #[test]
    fn tags_are_trimmed_deduplicated_sorted_and_bounded() {
        let tags = Tags::parse_list(" tea, rust ,tea,,  green   tea ").unwrap();
        assert_eq!(tags.as_strs(), vec!["green tea", "rust", "tea"]);
        assert_eq!(
            Tags::parse(
                (0..11)
                    .map(|i| format!("t{i}"))
                    .collect::<Vec<_>>()
                    .iter()
                    .map(String::as_str)
            ),
            Err(PostError::TooManyTags)
        );
        assert_eq!(Tag::parse(&"x".repeat(41)), Err(PostError::TagInvalid));
    }

    #[test]
    fn tags_are_one_topic_whatever_their_case() {
        let tags = Tags::parse_list("Performance, performance, Green  TEA, rust").unwrap();
        assert_eq!(tags.as_strs(), vec!["green tea", "performance", "rust"]);
        // As stored by events written before tags were folded.
        let old: Tags = serde_json::from_str(r#"["Rust", "Tea", "rust"]"#).unwrap();
        assert_eq!(old.as_strs(), vec!["rust", "tea"]);
        assert_eq!(serde_json::to_string(&old).unwrap(), r#"["rust","tea"]"#);
    }

    #[test]
    fn text_fields_have_bounds() {
        assert_eq!(PostTitle::parse("  "), Err(PostError::TitleBlank));
        assert!(PostTitle::parse(&"t".repeat(200)).is_ok());
        assert_eq!(PostTitle::parse(&"t".repeat(201)), Err(PostError::TitleTooLong));
        assert!(PostBody::parse(&"b".repeat(100_000)).is_ok());
        assert_eq!(PostBody::parse(&"b".repeat(100_001)), Err(PostError::BodyTooLong));
    }
}
