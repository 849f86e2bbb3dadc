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
use uuid::Uuid;

use super::{BlogError, Missing};
use crate::usecases::history::diff::{FieldDiff, content_diff};

/// The public revisions of one post, oldest first.
pub struct Revisions {
    pub post: Uuid,
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

    /// What changed from revision `from` to revision `to`, or `None` when either is not one.
    pub fn diff(&self, from: i64, to: i64) -> Option<Vec<FieldDiff>> {
        Some(content_diff(&self.get(from)?.content, &self.get(to)?.content))
    }
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
        post: post.summary.id,
        slug: post.summary.slug,
        versions,
    })
}

/// How many times the post `post` was edited as its readers saw it: its public revisions but
/// the first.
pub async fn edits(commands: &Commands, post: Uuid) -> Result<i64, BlogError> {
    let versions = audit::public_versions(commands.pool(), commands.keyring(), post)
        .await
        .map_err(|err| BlogError::Internal(err.into()))?;
    Ok((versions.len() as i64 - 1).max(0))
}

/// Makes revision `number` of the post `slug` its current text again, as `author`'s edit.
/// Restoring the revision it reads as now changes nothing.
pub async fn restore(
    commands: &Commands,
    author: &UserRow,
    slug: &str,
    number: i64,
    request_id: &str,
) -> Result<(), BlogError> {
    let revisions = revisions(commands, slug, Some(author)).await?;
    let version = revisions
        .get(number)
        .ok_or(BlogError::NotFound(Missing::Revision))?;
    super::posts::replace_content(commands, author, slug, version.content.clone(), request_id).await
}
