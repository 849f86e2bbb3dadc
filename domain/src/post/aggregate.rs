use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::command::{PostChanges, PostCommand};
use super::error::PostError;
use super::event::PostEvent;
use super::values::PostContent;
use crate::actor::Actor;
use crate::permissions::{may_delete_post, may_edit_post, may_moderate};
use crate::reason::Reason;
use crate::user::UserId;

/// A post as its rules need it. It keeps its content to tell a real edit from a resubmitted
/// form; comments and favorites are aggregates of their own, so a post's state does not grow
/// with its popularity.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    state: Option<Published>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Published {
    author: UserId,
    content: PostContent,
    deleted: bool,
    #[serde(default)]
    hidden: bool,
}

impl Post {
    /// Who published the post, once it is published.
    pub fn author(&self) -> Option<UserId> {
        self.state.as_ref().map(|post| post.author)
    }

    pub fn decide(&self, command: PostCommand) -> Result<Vec<PostEvent>, PostError> {
        match (&self.state, command) {
            (
                None,
                PostCommand::Publish {
                    id,
                    author,
                    slug,
                    content,
                },
            ) => Ok(vec![PostEvent::PostPublished {
                id,
                author,
                slug,
                content,
            }]),
            (None, _) => Err(PostError::NotFound),
            (Some(_), PostCommand::Publish { .. }) => Err(PostError::AlreadyPublished),
            (Some(post), _) if post.deleted => Err(PostError::NotFound),
            (Some(post), PostCommand::Edit { by, changes }) => post.edit(by, changes),
            (Some(post), PostCommand::Delete { by }) => post.delete(by),
            (Some(post), PostCommand::Moderate { by, hide, reason }) => post.moderate(by, hide, reason),
        }
    }
}

impl Published {
    fn edit(&self, by: UserId, changes: PostChanges) -> Result<Vec<PostEvent>, PostError> {
        if !may_edit_post(Actor::member(by), self.author) {
            return Err(PostError::NotAuthor);
        }
        let content = apply(&self.content, changes);
        Ok(if content == self.content {
            vec![]
        } else {
            vec![PostEvent::PostEdited { content }]
        })
    }

    /// Hiding a hidden post (or showing a shown one) records nothing.
    fn moderate(&self, by: Actor, hide: bool, reason: Reason) -> Result<Vec<PostEvent>, PostError> {
        if !may_moderate(by) {
            return Err(PostError::NotStaff);
        }
        Ok(match (self.hidden, hide) {
            (false, true) => vec![PostEvent::PostHidden { by: by.user, reason }],
            (true, false) => vec![PostEvent::PostUnhidden { by: by.user, reason }],
            _ => vec![],
        })
    }

    fn delete(&self, by: Actor) -> Result<Vec<PostEvent>, PostError> {
        if !may_delete_post(by, self.author) {
            return Err(PostError::NotAllowedToDelete);
        }
        Ok(vec![PostEvent::PostDeleted { by: by.user }])
    }
}

fn apply(content: &PostContent, changes: PostChanges) -> PostContent {
    PostContent {
        title: changes.title.unwrap_or_else(|| content.title.clone()),
        description: changes.description.unwrap_or_else(|| content.description.clone()),
        body: changes.body.unwrap_or_else(|| content.body.clone()),
        tags: changes.tags.unwrap_or_else(|| content.tags.clone()),
        cover: changes.cover.unwrap_or_else(|| content.cover.clone()),
    }
}

impl Aggregate for Post {
    const TYPE: &'static str = "Post";
    type Command = PostCommand;
    type Event = PostEvent;
    type Error = PostError;
    type Services = ();

    async fn handle(
        &mut self,
        command: PostCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), PostError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: PostEvent) {
        match event {
            PostEvent::PostPublished { author, content, .. } => {
                self.state = Some(Published {
                    author,
                    content,
                    deleted: false,
                    hidden: false,
                });
            }
            PostEvent::PostEdited { content } => {
                if let Some(post) = &mut self.state {
                    post.content = content;
                }
            }
            PostEvent::PostDeleted { .. } => {
                if let Some(post) = &mut self.state {
                    post.deleted = true;
                }
            }
            PostEvent::PostHidden { .. } | PostEvent::PostUnhidden { .. } => {
                if let Some(post) = &mut self.state {
                    post.hidden = matches!(event, PostEvent::PostHidden { .. });
                }
            }
        }
    }
}
