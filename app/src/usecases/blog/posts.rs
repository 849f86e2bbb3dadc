//! Publishing, editing and deleting posts.

use domain::post::{
    Description, Post, PostBody, PostChanges, PostCommand, PostContent, PostError, PostId, PostTitle, Slug,
    Tags,
};
use domain::user::{ImageUrl, UserId};
use eventstore::{CommandError, Commands};
use projections::posts;
use projections::users::UserRow;
use uuid::Uuid;

use super::{BlogError, Missing, command_error, metadata};
use crate::web::forms::FormErrors;

pub(super) fn post_refusal(err: PostError) -> BlogError {
    match err {
        PostError::NotFound => BlogError::NotFound(Missing::Post),
        PostError::NotAuthor | PostError::NotAllowedToDelete => BlogError::Forbidden,
        PostError::AlreadyPublished => BlogError::Conflict,
        invalid => {
            let mut errors = FormErrors::default();
            errors.add(invalid.field(), invalid.to_string());
            BlogError::Invalid(errors)
        }
    }
}

/// A post as typed into a form or sent to the API; `None` leaves a part unchanged on edits.
#[derive(Debug, Default)]
pub struct PostInput<'a> {
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub body: Option<&'a str>,
    pub tags: Option<Vec<&'a str>>,
    /// `Some(None)` removes the cover.
    pub cover: Option<Option<&'a str>>,
}

struct ParsedPost {
    title: Option<PostTitle>,
    description: Option<Description>,
    body: Option<PostBody>,
    tags: Option<Tags>,
    cover: Option<Option<ImageUrl>>,
}

fn parse_post(input: &PostInput<'_>) -> Result<ParsedPost, BlogError> {
    let mut errors = FormErrors::default();
    let parsed = ParsedPost {
        title: input
            .title
            .and_then(|t| errors.check("title", PostTitle::parse(t))),
        description: input
            .description
            .and_then(|d| errors.check("description", Description::parse(d))),
        body: input.body.and_then(|b| errors.check("body", PostBody::parse(b))),
        tags: input
            .tags
            .as_ref()
            .and_then(|t| errors.check("tags", Tags::parse(t.iter().copied()))),
        // A blank URL parses as "no cover", so `Some(None)` and `Some(Some(""))` agree.
        cover: input
            .cover
            .and_then(|url| errors.check("cover", ImageUrl::parse(url.unwrap_or_default()))),
    };
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(BlogError::Invalid(errors))
    }
}

/// Publishes a post; returns its slug. Titles need not be unique: a title already used gets
/// the next free number (`tea`, `tea-2`, …), decided by the slug claim, so two posts with the
/// same title published at the same moment still get different addresses.
pub async fn publish(
    commands: &Commands,
    author: &UserRow,
    input: PostInput<'_>,
    request_id: &str,
) -> Result<String, BlogError> {
    publish_as(commands, author, Uuid::now_v7(), input, request_id).await
}

/// Publishes a post under the id `id` (a new post's form names the draft it would become: the
/// post takes its place); returns its slug.
pub async fn publish_as(
    commands: &Commands,
    author: &UserRow,
    id: Uuid,
    input: PostInput<'_>,
    request_id: &str,
) -> Result<String, BlogError> {
    let parsed = parse_post(&input)?;
    let mut errors = FormErrors::default();
    for (field, missing) in [
        ("title", parsed.title.is_none()),
        ("description", parsed.description.is_none()),
        ("body", parsed.body.is_none()),
    ] {
        if missing {
            errors.add(field, "Can't be blank");
        }
    }
    let (Some(title), Some(description), Some(body)) = (parsed.title, parsed.description, parsed.body) else {
        return Err(BlogError::Invalid(errors));
    };
    let base = Slug::from_title(title.as_str());
    let content = PostContent {
        title,
        description,
        body,
        tags: parsed.tags.unwrap_or_default(),
        cover: parsed.cover.flatten(),
    };
    if let Some(cover) = &content.cover {
        claim_upload(commands, cover.as_str()).await?;
    }
    claim_images_in(commands, content.body.as_str()).await?;
    let id = PostId(id);
    for _ in 0..5 {
        let slug = posts::free_slug(commands.pool(), commands.keyring(), &base).await?;
        let command = PostCommand::Publish {
            id,
            author: UserId(author.id),
            slug: slug.clone(),
            content: content.clone(),
        };
        match commands
            .execute::<Post>(&id.to_string(), command, &(), &metadata(author, request_id))
            .await
        {
            Ok(_) => return Ok(slug.as_str().to_owned()),
            // Someone took this number between our look and our commit: look again.
            Err(CommandError::Taken(_)) => continue,
            Err(err) => return Err(command_error(err, post_refusal)),
        }
    }
    Err(BlogError::Conflict)
}

/// Keeps an uploaded image from being swept as unused, before the command that uses it runs.
pub(super) async fn claim_upload(commands: &Commands, url: &str) -> Result<(), BlogError> {
    crate::media::pending::claim(commands.pool(), url).await?;
    Ok(())
}

/// Keeps the pictures a post's text shows (our own, uploaded from the editor) from being swept
/// as unused. Anything else that looks like one is left to `claim`, which knows only uploads.
pub(super) async fn claim_images_in(commands: &Commands, text: &str) -> Result<(), BlogError> {
    const OURS: &str = "/media/images/";
    let mut claimed = Vec::new();
    for (at, _) in text.match_indices(OURS) {
        let url: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
            .collect();
        // A post shows at most a few dozen pictures; more addresses than that are not all
        // pictures anyone uploaded.
        if claimed.len() >= 50 {
            break;
        }
        if !claimed.contains(&url) {
            claim_upload(commands, &url).await?;
            claimed.push(url);
        }
    }
    Ok(())
}

/// The id of the post at `slug` if `user` may edit it: NotFound, else Forbidden for anyone but
/// its author. The post's rules decide that again when the edit runs; this lets a caller report
/// who may not edit before what is wrong with the input.
pub async fn editable(commands: &Commands, user: &UserRow, slug: &str) -> Result<Uuid, BlogError> {
    let (post_id, author) = posts::owner(commands.pool(), slug)
        .await?
        .ok_or(BlogError::NotFound(Missing::Post))?;
    if author != user.id {
        return Err(BlogError::Forbidden);
    }
    Ok(post_id)
}

/// Edits the post at `slug` as `user`; only its author may.
pub async fn edit(
    commands: &Commands,
    user: &UserRow,
    slug: &str,
    input: PostInput<'_>,
    request_id: &str,
) -> Result<(), BlogError> {
    let post_id = editable(commands, user, slug).await?;
    let parsed = parse_post(&input)?;
    if let Some(Some(cover)) = &parsed.cover {
        claim_upload(commands, cover.as_str()).await?;
    }
    if let Some(body) = &parsed.body {
        claim_images_in(commands, body.as_str()).await?;
    }
    let changes = PostChanges {
        title: parsed.title,
        description: parsed.description,
        body: parsed.body,
        tags: parsed.tags,
        cover: parsed.cover,
    };
    run_edit(commands, user, post_id, changes, request_id).await
}

/// Makes `content` (an earlier version of the post at `slug`) its text again, as its author's
/// edit; the pictures it shows are claimed again, as when they were first used.
pub(super) async fn replace_content(
    commands: &Commands,
    user: &UserRow,
    slug: &str,
    content: PostContent,
    request_id: &str,
) -> Result<(), BlogError> {
    let post_id = editable(commands, user, slug).await?;
    if let Some(cover) = &content.cover {
        claim_upload(commands, cover.as_str()).await?;
    }
    claim_images_in(commands, content.body.as_str()).await?;
    let changes = PostChanges {
        title: Some(content.title),
        description: Some(content.description),
        body: Some(content.body),
        tags: Some(content.tags),
        cover: Some(content.cover),
    };
    run_edit(commands, user, post_id, changes, request_id).await
}

/// Runs `user`'s edit of the post `post_id`.
async fn run_edit(
    commands: &Commands,
    user: &UserRow,
    post_id: Uuid,
    changes: PostChanges,
    request_id: &str,
) -> Result<(), BlogError> {
    let command = PostCommand::Edit {
        by: UserId(user.id),
        changes,
    };
    commands
        .execute::<Post>(&post_id.to_string(), command, &(), &metadata(user, request_id))
        .await
        .map_err(|e| command_error(e, post_refusal))?;
    Ok(())
}

/// Deletes the post at `slug`: its author or staff may.
pub async fn delete(
    commands: &Commands,
    user: &UserRow,
    slug: &str,
    request_id: &str,
) -> Result<(), BlogError> {
    let (post_id, _) = posts::owner(commands.pool(), slug)
        .await?
        .ok_or(BlogError::NotFound(Missing::Post))?;
    let command = PostCommand::Delete { by: user.actor() };
    commands
        .execute::<Post>(&post_id.to_string(), command, &(), &metadata(user, request_id))
        .await
        .map_err(|e| command_error(e, post_refusal))?;
    Ok(())
}
