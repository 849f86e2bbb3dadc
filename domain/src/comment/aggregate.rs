use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actor::Actor;
use crate::claims::Claims;
use crate::permissions::{may_delete_comment, may_edit_comment, may_moderate};
use crate::post::PostId;
use crate::reason::Reason;
use crate::user::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommentId(pub Uuid);

impl std::fmt::Display for CommentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Markdown, 1–10,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommentBody(String);

impl CommentBody {
    pub const MAX: usize = 10_000;

    /// What an erased comment keeps: nothing.
    fn erased() -> Self {
        Self(String::new())
    }

    pub fn parse(raw: &str) -> Result<Self, CommentError> {
        let body = crate::text::clean(raw);
        if crate::text::is_blank(&body) {
            return Err(CommentError::BodyBlank);
        }
        if body.chars().count() > Self::MAX {
            return Err(CommentError::BodyTooLong);
        }
        Ok(Self(body))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    #[error("can't be blank")]
    BodyBlank,
    #[error("must be at most 10,000 characters")]
    BodyTooLong,
    #[error("comment not found")]
    NotFound,
    #[error("already posted")]
    AlreadyPosted,
    #[error("only the comment's author may edit it")]
    NotAuthor,
    #[error("only the comment's author, the post's author or staff may delete it")]
    NotAllowedToDelete,
    #[error("only staff may hide a comment")]
    NotStaff,
}

#[derive(Debug, Clone)]
pub enum CommentCommand {
    /// `post_author` comes from the post when the comment is made; a post's author never
    /// changes, so the comment can keep it for its delete rule.
    Post {
        id: CommentId,
        post: PostId,
        post_author: UserId,
        author: UserId,
        body: CommentBody,
    },
    Edit {
        by: UserId,
        body: CommentBody,
    },
    Delete {
        by: Actor,
    },
    /// Staff hide the comment from everyone but its author, or show it again.
    Moderate {
        by: Actor,
        hide: bool,
        reason: Reason,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CommentEvent {
    CommentPosted {
        id: CommentId,
        post: PostId,
        post_author: UserId,
        author: UserId,
        body: CommentBody,
    },
    CommentEdited {
        post: PostId,
        body: CommentBody,
    },
    CommentDeleted {
        post: PostId,
        by: UserId,
    },
    /// Staff hid the comment: its author sees it, and why; nobody else does.
    CommentHidden {
        post: PostId,
        by: UserId,
        reason: Reason,
    },
    CommentUnhidden {
        post: PostId,
        by: UserId,
        reason: Reason,
    },
}

impl DomainEvent for CommentEvent {
    fn event_type(&self) -> String {
        match self {
            Self::CommentPosted { .. } => "CommentPosted",
            Self::CommentEdited { .. } => "CommentEdited",
            Self::CommentDeleted { .. } => "CommentDeleted",
            Self::CommentHidden { .. } => "CommentHidden",
            Self::CommentUnhidden { .. } => "CommentUnhidden",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl Claims for CommentEvent {}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    state: Option<Posted>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Posted {
    post: PostId,
    author: UserId,
    post_author: UserId,
    body: CommentBody,
    deleted: bool,
    #[serde(default)]
    hidden: bool,
}

impl Comment {
    pub fn decide(&self, command: CommentCommand) -> Result<Vec<CommentEvent>, CommentError> {
        match (&self.state, command) {
            (
                None,
                CommentCommand::Post {
                    id,
                    post,
                    post_author,
                    author,
                    body,
                },
            ) => Ok(vec![CommentEvent::CommentPosted {
                id,
                post,
                post_author,
                author,
                body,
            }]),
            (None, _) => Err(CommentError::NotFound),
            (Some(_), CommentCommand::Post { .. }) => Err(CommentError::AlreadyPosted),
            (Some(comment), _) if comment.deleted => Err(CommentError::NotFound),
            (Some(comment), CommentCommand::Edit { by, body }) => {
                if !may_edit_comment(Actor::member(by), comment.author) {
                    Err(CommentError::NotAuthor)
                } else if body == comment.body {
                    Ok(vec![])
                } else {
                    Ok(vec![CommentEvent::CommentEdited {
                        post: comment.post,
                        body,
                    }])
                }
            }
            (Some(comment), CommentCommand::Delete { by }) => {
                if may_delete_comment(by, comment.author, comment.post_author) {
                    Ok(vec![CommentEvent::CommentDeleted {
                        post: comment.post,
                        by: by.user,
                    }])
                } else {
                    Err(CommentError::NotAllowedToDelete)
                }
            }
            (Some(comment), CommentCommand::Moderate { by, hide, reason }) => {
                if !may_moderate(by) {
                    return Err(CommentError::NotStaff);
                }
                let post = comment.post;
                Ok(match (comment.hidden, hide) {
                    (false, true) => vec![CommentEvent::CommentHidden {
                        post,
                        by: by.user,
                        reason,
                    }],
                    (true, false) => vec![CommentEvent::CommentUnhidden {
                        post,
                        by: by.user,
                        reason,
                    }],
                    _ => vec![],
                })
            }
        }
    }
}

impl Aggregate for Comment {
    const TYPE: &'static str = "Comment";
    type Command = CommentCommand;
    type Event = CommentEvent;
    type Error = CommentError;
    type Services = ();

    async fn handle(
        &mut self,
        command: CommentCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), CommentError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: CommentEvent) {
        match event {
            CommentEvent::CommentPosted {
                post,
                author,
                post_author,
                body,
                ..
            } => {
                self.state = Some(Posted {
                    post,
                    author,
                    post_author,
                    body,
                    deleted: false,
                    hidden: false,
                });
            }
            CommentEvent::CommentEdited { body, .. } => {
                if let Some(comment) = &mut self.state {
                    comment.body = body;
                }
            }
            CommentEvent::CommentDeleted { .. } => {
                if let Some(comment) = &mut self.state {
                    comment.deleted = true;
                }
            }
            CommentEvent::CommentHidden { .. } | CommentEvent::CommentUnhidden { .. } => {
                if let Some(comment) = &mut self.state {
                    comment.hidden = matches!(event, CommentEvent::CommentHidden { .. });
                }
            }
        }
    }
}

impl crate::personal::Personal for Comment {
    fn personal(&self, event: &CommentEvent) -> Option<(UserId, CommentEvent)> {
        match event {
            CommentEvent::CommentPosted {
                id,
                post,
                post_author,
                author,
                ..
            } => Some((
                *author,
                CommentEvent::CommentPosted {
                    id: *id,
                    post: *post,
                    post_author: *post_author,
                    author: *author,
                    body: CommentBody::erased(),
                },
            )),
            CommentEvent::CommentEdited { post, .. } => Some((
                self.state.as_ref()?.author,
                CommentEvent::CommentEdited {
                    post: *post,
                    body: CommentBody::erased(),
                },
            )),
            CommentEvent::CommentDeleted { .. }
            | CommentEvent::CommentHidden { .. }
            | CommentEvent::CommentUnhidden { .. } => None,
        }
    }
}
