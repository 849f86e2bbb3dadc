//! Line diffs of a field between two versions, for history and revision pages.

use domain::post::PostContent;
use serde::Serialize;
use similar::{ChangeTag, TextDiff};

/// One line of a diff; `gap` stands for unchanged lines left out.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct DiffLine {
    /// `same`, `remove`, `add` or `gap`.
    #[schema(value_type = String, example = "add")]
    pub kind: &'static str,
    pub text: String,
}

/// How one field changed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldDiff {
    /// `Title`, `Description`, `Tags`, `Cover` or `Body`.
    #[schema(value_type = String, example = "Body")]
    pub field: &'static str,
    pub lines: Vec<DiffLine>,
}

/// Unchanged lines kept around each change.
const CONTEXT: usize = 2;

/// A line diff of `old` and `new`, unchanged stretches shortened to a little context.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    let diff = TextDiff::from_lines(old, new);
    let mut lines = Vec::new();
    for (index, group) in diff.grouped_ops(CONTEXT).iter().enumerate() {
        if index > 0 {
            lines.push(DiffLine {
                kind: "gap",
                text: "…".to_owned(),
            });
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let kind = match change.tag() {
                    ChangeTag::Delete => "remove",
                    ChangeTag::Insert => "add",
                    ChangeTag::Equal => "same",
                };
                lines.push(DiffLine {
                    kind,
                    text: change.value().trim_end_matches('\n').to_owned(),
                });
            }
        }
    }
    lines
}

/// The diff of a field, or nothing when it did not change.
pub fn field_diff(field: &'static str, old: &str, new: &str) -> Option<FieldDiff> {
    (old != new).then(|| FieldDiff {
        field,
        lines: diff_lines(old, new),
    })
}

/// What changed in a post between two of its versions, field by field; the unchanged fields
/// are left out.
pub fn content_diff(old: &PostContent, new: &PostContent) -> Vec<FieldDiff> {
    [
        field_diff("Title", old.title.as_str(), new.title.as_str()),
        field_diff("Description", old.description.as_str(), new.description.as_str()),
        field_diff(
            "Tags",
            &old.tags.as_strs().join(", "),
            &new.tags.as_strs().join(", "),
        ),
        field_diff(
            "Cover",
            old.cover.as_ref().map_or("", |c| c.as_str()),
            new.cover.as_ref().map_or("", |c| c.as_str()),
        ),
        field_diff("Body", old.body.as_str(), new.body.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_lines_show_with_a_little_context() {
        let old = "one\ntwo\nthree\nfour\nfive\nsix\nseven\n";
        let new = "one\ntwo\nthree\nFOUR\nfive\nsix\nseven\n";
        let lines = diff_lines(old, new);
        let kinds: Vec<(&str, &str)> = lines.iter().map(|l| (l.kind, l.text.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                ("same", "two"),
                ("same", "three"),
                ("remove", "four"),
                ("add", "FOUR"),
                ("same", "five"),
                ("same", "six")
            ]
        );
        assert!(field_diff("Title", "a", "a").is_none());
    }
}
