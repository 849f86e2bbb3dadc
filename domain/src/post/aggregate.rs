use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use super::command::{PostChanges, PostCommand};
use super::draft::{DraftContent, PreviewKey, schedulable};
use super::error::PostError;
use super::event::PostEvent;
use super::values::{PostContent, PostId, Slug};
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
    /// The post while it is written, before it is published; gone once it is.
    #[serde(default)]
    draft: Option<Draft>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Draft {
    id: PostId,
    author: UserId,
    content: DraftContent,
    scheduled: Option<DateTime<Utc>>,
    preview: Option<PreviewKey>,
    discarded: bool,
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
        self.state
            .as_ref()
            .map(|post| post.author)
            .or(self.draft.as_ref().map(|draft| draft.author))
    }

    pub fn decide(&self, command: PostCommand) -> Result<Vec<PostEvent>, PostError> {
        if let Some(draft) = &self.draft {
            return if draft.discarded {
                Err(PostError::NotFound)
            } else {
                draft.decide(command)
            };
        }
        match (&self.state, command) {
            (None, PostCommand::SaveDraft { id, author, content }) => {
                Ok(vec![PostEvent::DraftSaved { id, author, content }])
            }
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
            (Some(post), _) if post.deleted => Err(PostError::NotFound),
            (Some(post), PostCommand::Edit { by, changes }) => post.edit(by, changes),
            (Some(post), PostCommand::Delete { by }) => post.delete(by),
            (Some(post), PostCommand::Moderate { by, hide, reason }) => post.moderate(by, hide, reason),
            (Some(_), _) => Err(PostError::AlreadyPublished),
        }
    }
}

impl Draft {
    fn decide(&self, command: PostCommand) -> Result<Vec<PostEvent>, PostError> {
        match command {
            PostCommand::SaveDraft { author, content, .. } => {
                self.by_author(author)?;
                if content == self.content {
                    return Ok(vec![]);
                }
                // A scheduled draft must stay publishable, or it would fail when its time comes.
                if self.scheduled.is_some() {
                    content.publishable()?;
                }
                Ok(vec![PostEvent::DraftSaved {
                    id: self.id,
                    author,
                    content,
                }])
            }
            PostCommand::DiscardDraft { by } => {
                self.by_author(by)?;
                Ok(vec![PostEvent::DraftDiscarded { by }])
            }
            PostCommand::PublishDraft { by, slug } => {
                self.by_author(by)?;
                self.publish(slug)
            }
            PostCommand::PublishDue { slug, now } => match self.scheduled {
                Some(at) if at <= now => self.publish(slug),
                _ => Err(PostError::NotDue),
            },
            PostCommand::Schedule { by, at, now } => {
                self.by_author(by)?;
                schedulable(at, now)?;
                self.content.publishable()?;
                Ok(if self.scheduled == Some(at) {
                    vec![]
                } else {
                    vec![PostEvent::PublishScheduled { at }]
                })
            }
            PostCommand::Unschedule { by } => {
                self.by_author(by)?;
                Ok(if self.scheduled.is_some() {
                    vec![PostEvent::ScheduleCancelled { by }]
                } else {
                    vec![]
                })
            }
            PostCommand::SharePreview { by, key } => {
                self.by_author(by)?;
                Ok(vec![PostEvent::PreviewShared { key }])
            }
            PostCommand::RevokePreview { by } => {
                self.by_author(by)?;
                Ok(if self.preview.is_some() {
                    vec![PostEvent::PreviewRevoked { by }]
                } else {
                    vec![]
                })
            }
            PostCommand::Publish { .. } => Err(PostError::AlreadyPublished),
            // Not a post yet: there is nothing to edit, delete or hide in public.
            PostCommand::Edit { .. } | PostCommand::Delete { .. } | PostCommand::Moderate { .. } => {
                Err(PostError::NotFound)
            }
        }
    }

    /// A draft is its author's alone, staff included: nobody else may write under their name.
    fn by_author(&self, by: UserId) -> Result<(), PostError> {
        if may_edit_post(Actor::member(by), self.author) {
            Ok(())
        } else {
            Err(PostError::NotAuthor)
        }
    }

    fn publish(&self, slug: Slug) -> Result<Vec<PostEvent>, PostError> {
        Ok(vec![PostEvent::PostPublished {
            id: self.id,
            author: self.author,
            slug,
            content: self.content.publishable()?,
        }])
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
            PostEvent::DraftSaved { id, author, content } => match &mut self.draft {
                Some(draft) => draft.content = content,
                None => {
                    self.draft = Some(Draft {
                        id,
                        author,
                        content,
                        scheduled: None,
                        preview: None,
                        discarded: false,
                    })
                }
            },
            PostEvent::DraftDiscarded { .. } => {
                if let Some(draft) = &mut self.draft {
                    draft.discarded = true;
                }
            }
            PostEvent::PublishScheduled { at } => {
                if let Some(draft) = &mut self.draft {
                    draft.scheduled = Some(at);
                }
            }
            PostEvent::ScheduleCancelled { .. } => {
                if let Some(draft) = &mut self.draft {
                    draft.scheduled = None;
                }
            }
            PostEvent::PreviewShared { key } => {
                if let Some(draft) = &mut self.draft {
                    draft.preview = Some(key);
                }
            }
            PostEvent::PreviewRevoked { .. } => {
                if let Some(draft) = &mut self.draft {
                    draft.preview = None;
                }
            }
            PostEvent::PostPublished { author, content, .. } => {
                self.draft = None;
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
