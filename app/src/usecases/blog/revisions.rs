//! A post's public revisions: each version its readers saw, numbered from 1 (as published),
//! what changed between any two, and the author's restoring of an earlier one.
//!
//! Only what was public anyway: the revisions of a post its reader may see now, read from the
//! log (see `audit::public_versions`), never its drafts, previews or who did what. Restoring is
//! an edit like any other, a new event: the versions in between stay in the history.

use eventstore::Commands;
use projections::audit::{self, PostVersion};
use projections::posts;
use projections::users::UserRow;
use serde::Serialize;
use uuid::Uuid;

use super::{BlogError, Missing};
use crate::usecases::history::diff::{FieldDiff, content_diff};

/// The public revisions of one post, oldest first.
pub struct Revisions {
    pub slug: String,
    versions: Vec<PostVersion>,
}

impl Revisions {
    /// How many there are; the newest is the post as it reads now.
    pub fn count(&self) -> i64 {
        self.versions.len() as i64
    }

    /// The revisions with their numbers, oldest first.
    pub fn numbered(&self) -> impl DoubleEndedIterator<Item = (i64, &PostVersion)> {
        self.versions.iter().enumerate().map(|(i, v)| (i as i64 + 1, v))
    }

    /// Revision `number` (1 = as published).
    pub fn get(&self, number: i64) -> Option<&PostVersion> {
        let index = usize::try_from(number.checked_sub(1)?).ok()?;
        self.versions.get(index)
    }

    /// The revision a number written in an address or a form names, with that number: anything
    /// but a whole number from 1 to [`count`](Self::count) names none.
    pub fn named(&self, raw: &str) -> Option<(i64, &PostVersion)> {
        let number = raw.parse::<i64>().ok()?;
        Some((number, self.get(number)?))
    }

    /// What changed from revision `from` to revision `to`, as written in a request.
    pub fn compare(&self, from: Option<&str>, to: Option<&str>) -> Result<Comparison, NoSuchRevision> {
        let named = |raw: Option<&str>, field| {
            raw.and_then(|raw| self.named(raw)).ok_or(NoSuchRevision {
                field,
                count: self.count(),
            })
        };
        let (from, old) = named(from, "from")?;
        let (to, new) = named(to, "to")?;
        Ok(Comparison {
            from,
            to,
            changes: content_diff(&old.content, &new.content),
        })
    }
}

/// What changed between two revisions.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Comparison {
    pub from: i64,
    pub to: i64,
    /// Each field that differs, as lines kept (`same`, a little around each change), removed
    /// and added; `gap` stands for unchanged lines left out. Empty when the two read the same.
    pub changes: Vec<FieldDiff>,
}

/// A comparison's `field` (`from` or `to`) names no revision: there are `count`.
#[derive(Debug)]
pub struct NoSuchRevision {
    pub field: &'static str,
    pub count: i64,
}

/// The public revisions of the post `slug` names, if `viewer` may read the post.
pub async fn revisions(
    commands: &Commands,
    slug: &str,
    viewer: Option<&UserRow>,
) -> Result<Revisions, BlogError> {
    // A slug of the wrong shape names nothing (and may hold what Postgres cannot look up).
    let slug = domain::post::Slug::parse(slug).ok_or(BlogError::NotFound(Missing::Post))?;
    let post = posts::by_slug(commands.pool(), slug.as_str(), viewer.map(|v| v.id))
        .await
        .map_err(|err| BlogError::Internal(err.into()))?
        .filter(|post| post.visible_to(viewer))
        .ok_or(BlogError::NotFound(Missing::Post))?;
    let versions = audit::public_versions(commands.pool(), commands.keyring(), post.summary.id)
        .await
        .map_err(|err| BlogError::Internal(err.into()))?;
    Ok(Revisions {
        slug: post.summary.slug,
        versions,
    })
}

/// How many times the post `post` was edited as its readers saw it: its public revisions but
/// the first.
pub async fn edits(commands: &Commands, post: Uuid) -> Result<i64, BlogError> {
    Ok(audit::public_edits(commands.pool(), post).await?)
}

/// Makes the revision `number` names (as written in an address) the post `slug`'s current
/// text again, as `author`'s edit; returns its number. Restoring the revision it reads as now
/// changes nothing.
pub async fn restore(
    commands: &Commands,
    author: &UserRow,
    slug: &str,
    number: &str,
    request_id: &str,
) -> Result<i64, BlogError> {
    let revisions = revisions(commands, slug, Some(author)).await?;
    let (number, version) = revisions
        .named(number)
        .ok_or(BlogError::NotFound(Missing::Revision))?;
    super::posts::replace_content(commands, author, slug, version.content.clone(), request_id).await?;
    Ok(number)
}
