//! Articles, comments and tags: Jake's article, as he publishes and edits it and as Jill reads,
//! favorites and comments on it.

use serde_json::{Value, json};

use super::{COMMENT_ID, SLUG, at, jake, jill};

const TITLE: &str = "How to train your dragon";
const DESCRIPTION: &str = "Ever wonder how?";
const BODY: &str = "You have to believe";
const EDITED_DESCRIPTION: &str = "A beginner's guide";
const EDITED_BODY: &str = "You have to believe, and practise every day.";

pub fn tags() -> Value {
    json!(["dragons", "training"])
}

pub fn new_article() -> Value {
    json!({ "article": { "title": TITLE, "description": DESCRIPTION, "body": BODY, "tagList": tags() } })
}

/// Only the parts that change; the title, and so the slug, stay.
pub fn article_changes() -> Value {
    json!({ "article": { "description": EDITED_DESCRIPTION, "body": EDITED_BODY } })
}

/// Who is looking, and at which state of the article.
#[derive(Clone, Copy)]
struct Seen {
    edited: bool,
    /// By Jill (who follows Jake), else by Jake himself.
    by_jill: bool,
    favorited: bool,
    favorites: i32,
}

/// The article without its body, as lists show it.
fn summary(seen: Seen) -> Value {
    let (description, updated_at) = if seen.edited {
        (EDITED_DESCRIPTION, at::EDITED)
    } else {
        (DESCRIPTION, at::PUBLISHED)
    };
    json!({
        "slug": SLUG,
        "title": TITLE,
        "description": description,
        "tagList": tags(),
        "createdAt": at::PUBLISHED,
        "updatedAt": updated_at,
        "favorited": seen.favorited,
        "favoritesCount": seen.favorites,
        "author": jake(seen.by_jill),
    })
}

fn article(seen: Seen) -> Value {
    let mut fields = summary(seen);
    fields["body"] = json!(if seen.edited { EDITED_BODY } else { BODY });
    json!({ "article": fields })
}

/// As Jake published it: also the article at its first version.
/// Jake's draft, half written.
pub fn draft() -> Value {
    json!({
        "id": super::DRAFT,
        "title": "How to train your dragon",
        "description": "",
        "body": "First, find a dragon.",
        "tagList": ["dragons"],
        "image": null,
        "createdAt": "2026-12-06T09:30:00.000Z",
        "updatedAt": "2026-12-06T09:45:00.000Z",
        "publishAt": null,
        "previewShared": false,
        "readyToPublish": false
    })
}

pub fn published() -> Value {
    article(Seen {
        edited: false,
        by_jill: false,
        favorited: false,
        favorites: 0,
    })
}

pub fn edited() -> Value {
    article(Seen {
        edited: true,
        by_jill: false,
        favorited: false,
        favorites: 0,
    })
}

/// As Jill reads it, favorited by her or not.
pub fn read_by_jill(favorited: bool) -> Value {
    article(Seen {
        edited: true,
        by_jill: true,
        favorited,
        favorites: i32::from(favorited),
    })
}

/// Jake's article as it read at one of its two revisions.
fn revision(number: i64) -> Value {
    let (description, body, created_at) = match number {
        1 => (DESCRIPTION, BODY, at::PUBLISHED),
        _ => (EDITED_DESCRIPTION, EDITED_BODY, at::EDITED),
    };
    json!({
        "number": number,
        "title": TITLE,
        "description": description,
        "body": body,
        "tagList": tags(),
        "image": null,
        "createdAt": created_at,
    })
}

/// The article's revisions: as published, and as edited.
pub fn revisions() -> Value {
    json!({ "revisions": [revision(1), revision(2)], "revisionsCount": 2 })
}

pub fn first_revision() -> Value {
    json!({ "revision": revision(1) })
}

/// What Jake's edit changed.
pub fn comparison() -> Value {
    json!({
        "from": 1,
        "to": 2,
        "changes": [
            { "field": "Description", "lines": [
                { "kind": "remove", "text": DESCRIPTION },
                { "kind": "add", "text": EDITED_DESCRIPTION },
            ] },
            { "field": "Body", "lines": [
                { "kind": "remove", "text": BODY },
                { "kind": "add", "text": EDITED_BODY },
            ] },
        ],
    })
}

/// The article once Jake restored its first revision: its first text, changed just now.
pub fn restored() -> Value {
    let mut restored = published();
    restored["article"]["updatedAt"] = json!(at::RESTORED);
    restored
}

/// A page of Jill's list or feed.
pub fn page() -> Value {
    let seen = Seen {
        edited: true,
        by_jill: true,
        favorited: true,
        favorites: 1,
    };
    json!({ "articles": [summary(seen)], "articlesCount": 1 })
}

pub fn new_comment() -> Value {
    json!({ "comment": { "body": "Thank you so much!" } })
}

fn comment() -> Value {
    json!({
        "id": COMMENT_ID,
        "createdAt": at::COMMENTED,
        "updatedAt": at::COMMENTED,
        "body": "Thank you so much!",
        "author": jill(false),
    })
}

pub fn commented() -> Value {
    json!({ "comment": comment() })
}

pub fn comments() -> Value {
    json!({ "comments": [comment()] })
}

pub fn tag_list() -> Value {
    json!({ "tags": tags() })
}
