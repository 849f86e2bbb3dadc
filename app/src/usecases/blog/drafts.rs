//! Drafts: writing a post before it is public, sharing it by a private link, and publishing it
//! now or at a chosen time.
//!
//! A draft is its author's alone: to anyone else (staff included) it is not found, so its
//! existence is not revealed. Staff see what drafts recorded in the audit of the log.

use chrono::{DateTime, Utc};
use domain::post::{DraftContent, Post, PostCommand, PostError, PostId, PreviewKey, Slug, Tags};
use domain::user::{ImageUrl, UserId};
use eventstore::{CommandError, Commands};
use projections::drafts::{self, DraftRow};
use projections::posts;
use projections::users::UserRow;
use sqlx::PgPool;
use uuid::Uuid;

use super::posts::{claim_images_in, claim_upload, post_refusal};
use super::{BlogError, Missing, command_error, metadata};
use crate::services::crypto;
use crate::services::limits::Limits;
use crate::web::forms::FormErrors;

/// A draft as typed: every part may be blank.
#[derive(Debug, Default)]
pub struct DraftInput<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub body: &'a str,
    pub tags: Vec<&'a str>,
    pub cover: Option<&'a str>,
}

fn parse_draft(input: &DraftInput<'_>) -> Result<DraftContent, BlogError> {
    let mut errors = FormErrors::default();
    let tags = errors.check("tags", Tags::parse(input.tags.iter().copied()));
    let cover = errors.check("cover", ImageUrl::parse(input.cover.unwrap_or_default()));
    let content = DraftContent::new(input.title, input.description, input.body, Tags::default(), None);
    let content = match content {
        Ok(content) => Some(content),
        Err(err) => errors.check(err.field(), Err(err)),
    };
    match (content, tags, cover) {
        (Some(content), Some(tags), Some(cover)) if errors.is_empty() => Ok(DraftContent {
            tags,
            cover,
            ..content
        }),
        _ => Err(BlogError::Invalid(errors)),
    }
}

/// Saves `input` as the draft `id` of `author`: starts it, or replaces what it held. Another
/// person's draft, or a post already published, is not found. Saves are limited per person
/// (the autosave makes a dozen a minute at most), whichever door they come through.
pub async fn save_draft(
    commands: &Commands,
    limits: &Limits,
    author: &UserRow,
    id: Uuid,
    input: DraftInput<'_>,
    request_id: &str,
) -> Result<(), BlogError> {
    limits
        .hit(limits.draft_saves, &author.id.to_string())
        .await
        .map_err(BlogError::Throttled)?;
    let content = parse_draft(&input)?;
    if let Some(cover) = &content.cover {
        claim_upload(commands, cover.as_str()).await?;
    }
    claim_images_in(commands, &content.body).await?;
    let command = PostCommand::SaveDraft {
        id: PostId(id),
        author: UserId(author.id),
        content,
    };
    run(commands, author, id, command, request_id).await
}

/// The draft `id` if it is `user`'s.
pub async fn own_draft(db: &PgPool, user: &UserRow, id: Uuid) -> Result<DraftRow, BlogError> {
    drafts::by_id(db, id)
        .await?
        .filter(|draft| draft.author_id == user.id)
        .ok_or(BlogError::NotFound(Missing::Draft))
}

/// Why the draft can't be published yet, by field; empty when it can.
pub fn unpublishable(draft: &DraftRow) -> FormErrors {
    let mut errors = FormErrors::default();
    let content = DraftContent::new(
        &draft.title,
        &draft.description,
        &draft.body,
        Tags::default(),
        None,
    );
    for problem in content.map(|c| c.problems()).unwrap_or_default() {
        errors.check::<(), _>(problem.field(), Err(problem));
    }
    errors
}

/// Publishes `user`'s draft `id` now; returns the post's slug.
pub async fn publish_draft(
    commands: &Commands,
    user: &UserRow,
    id: Uuid,
    request_id: &str,
) -> Result<String, BlogError> {
    let draft = own_draft(commands.pool(), user, id).await?;
    let errors = unpublishable(&draft);
    if !errors.is_empty() {
        return Err(BlogError::Invalid(errors));
    }
    let by = UserId(user.id);
    publish_at_free_slug(
        commands,
        &draft,
        |slug| PostCommand::PublishDraft { by, slug },
        user.id,
        request_id,
    )
    .await
}

/// Runs a publishing command with the next free slug for the draft's title, looking again when
/// someone else takes it first (see [`super::publish`]).
async fn publish_at_free_slug(
    commands: &Commands,
    draft: &DraftRow,
    command: impl Fn(Slug) -> PostCommand,
    by: Uuid,
    request_id: &str,
) -> Result<String, BlogError> {
    let base = Slug::from_title(&draft.title);
    let meta = domain::Metadata::new(Some(by), request_id);
    for _ in 0..5 {
        let slug = posts::free_slug(commands.pool(), commands.keyring(), &base).await?;
        match commands
            .execute::<Post>(&draft.id.to_string(), command(slug.clone()), &(), &meta)
            .await
        {
            Ok(_) => return Ok(slug.as_str().to_owned()),
            Err(CommandError::Taken(_)) => continue,
            Err(err) => return Err(command_error(err, draft_refusal)),
        }
    }
    Err(BlogError::Conflict)
}

/// Publishes `user`'s draft `id` by itself at `at`.
pub async fn schedule(
    commands: &Commands,
    user: &UserRow,
    id: Uuid,
    at: DateTime<Utc>,
    request_id: &str,
) -> Result<(), BlogError> {
    let command = PostCommand::Schedule {
        by: UserId(user.id),
        at,
        now: Utc::now(),
    };
    run(commands, user, id, command, request_id).await
}

pub async fn unschedule(
    commands: &Commands,
    user: &UserRow,
    id: Uuid,
    request_id: &str,
) -> Result<(), BlogError> {
    let command = PostCommand::Unschedule { by: UserId(user.id) };
    run(commands, user, id, command, request_id).await
}

pub async fn discard(
    commands: &Commands,
    user: &UserRow,
    id: Uuid,
    request_id: &str,
) -> Result<(), BlogError> {
    let command = PostCommand::DiscardDraft { by: UserId(user.id) };
    run(commands, user, id, command, request_id).await
}

/// Opens a new preview link to `user`'s draft `id` (any earlier one stops working); returns
/// the secret the link carries. Only its hash is stored.
pub async fn share_preview(
    commands: &Commands,
    user: &UserRow,
    id: Uuid,
    request_id: &str,
) -> Result<String, BlogError> {
    let secret = crypto::random_token(24);
    let key =
        PreviewKey::parse(&crypto::digest(&secret)).ok_or_else(|| anyhow::anyhow!("a digest is hex"))?;
    let command = PostCommand::SharePreview {
        by: UserId(user.id),
        key,
    };
    run(commands, user, id, command, request_id).await?;
    Ok(secret)
}

pub async fn revoke_preview(
    commands: &Commands,
    user: &UserRow,
    id: Uuid,
    request_id: &str,
) -> Result<(), BlogError> {
    let command = PostCommand::RevokePreview { by: UserId(user.id) };
    run(commands, user, id, command, request_id).await
}

/// The draft a preview link opens, while the link stands.
pub async fn previewed(db: &PgPool, secret: &str) -> Result<Option<DraftRow>, BlogError> {
    // Only what `random_token(24)` makes can name a draft: nothing else reaches the database.
    if secret.len() != 32
        || !secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Ok(None);
    }
    Ok(drafts::by_preview_key(db, &crypto::digest(secret)).await?)
}

/// Publishes every scheduled draft whose time has come; returns how many this call published.
/// Every instance runs it: of two that try one draft at once, the log takes one `PostPublished`
/// and the other is refused (the draft is no longer due, or its version moved on).
pub async fn publish_due(commands: &Commands, now: DateTime<Utc>) -> Result<usize, BlogError> {
    let mut published = 0;
    for draft in drafts::due(commands.pool(), now, 100).await? {
        let outcome = publish_at_free_slug(
            commands,
            &draft,
            |slug| PostCommand::PublishDue { slug, now },
            draft.author_id,
            "schedule",
        )
        .await;
        match outcome {
            Ok(slug) => {
                tracing::info!(id = %draft.id, %slug, "published a scheduled post");
                published += 1;
            }
            // Another instance published it, or its author changed the plan meanwhile.
            Err(BlogError::Conflict | BlogError::NotFound(_) | BlogError::Invalid(_)) => {}
            Err(err) => tracing::warn!(id = %draft.id, error = %err, "could not publish a scheduled post"),
        }
    }
    Ok(published)
}

/// Runs a command on `user`'s draft `id`. The draft's rules refuse it for a draft that is not
/// there, not theirs or already published, all of which read as not found.
async fn run(
    commands: &Commands,
    user: &UserRow,
    id: Uuid,
    command: PostCommand,
    request_id: &str,
) -> Result<(), BlogError> {
    commands
        .execute::<Post>(&id.to_string(), command, &(), &metadata(user, request_id))
        .await
        .map_err(|e| command_error(e, draft_refusal))?;
    Ok(())
}

/// As for posts, except that a draft that is not there, someone else's or already published is
/// simply not found: nobody learns of another's drafts.
fn draft_refusal(err: PostError) -> BlogError {
    match err {
        PostError::NotFound | PostError::NotAuthor | PostError::AlreadyPublished | PostError::NotDue => {
            BlogError::NotFound(Missing::Draft)
        }
        other => post_refusal(other),
    }
}
