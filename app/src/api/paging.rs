//! `limit` and `offset` of RealWorld lists: whole numbers within bounds, else 422.

use super::ApiError;
use crate::web::forms::FormErrors;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;
/// Far past any real list; a larger offset is a mistake, not a page.
pub const MAX_OFFSET: i64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: i64,
    pub offset: i64,
}

impl Paging {
    /// From the raw query values; blank means the default.
    pub fn parse(limit: Option<&str>, offset: Option<&str>) -> Result<Self, ApiError> {
        let mut errors = FormErrors::default();
        let limit = bounded(&mut errors, "limit", limit, DEFAULT_LIMIT, 1..=MAX_LIMIT);
        let offset = bounded(&mut errors, "offset", offset, 0, 0..=MAX_OFFSET);
        if errors.is_empty() {
            Ok(Self { limit, offset })
        } else {
            Err(ApiError::Invalid(errors))
        }
    }
}

/// One whole-number query value within `range` (`default` when blank), else 422.
pub fn whole_number(
    name: &'static str,
    raw: Option<&str>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ApiError> {
    let mut errors = FormErrors::default();
    let value = bounded(&mut errors, name, raw, default, range);
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(ApiError::Invalid(errors))
    }
}

fn bounded(
    errors: &mut FormErrors,
    name: &'static str,
    raw: Option<&str>,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> i64 {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return default;
    };
    match raw.parse::<i64>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errors.add(
                name,
                format!("must be a whole number from {} to {}", range.start(), range.end()),
            );
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_offsets_are_bounded_whole_numbers() {
        assert_eq!(
            Paging::parse(None, Some("")).unwrap(),
            Paging { limit: 20, offset: 0 }
        );
        assert_eq!(
            Paging::parse(Some("100"), Some("40")).unwrap(),
            Paging {
                limit: 100,
                offset: 40
            }
        );
        for (limit, offset) in [
            ("0", "0"),
            ("-1", "0"),
            ("101", "0"),
            ("1", "-1"),
            ("1", "1000001"),
            ("99999999999999999999", "0"),
            ("1.5", "0"),
            ("ten", "0"),
        ] {
            assert!(
                Paging::parse(Some(limit), Some(offset)).is_err(),
                "{limit} {offset}"
            );
        }
    }
}
