use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::claims::Claims;
use crate::user::UserId;

/// One user following another. Aggregate id: [`Follow::id`].
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Follow {
    following: bool,
}

impl Follow {
    pub fn id(follower: UserId, followee: UserId) -> String {
        format!("{follower}:{followee}")
    }
}

#[derive(Debug, Clone)]
pub enum FollowCommand {
    Follow { follower: UserId, followee: UserId },
    Unfollow { follower: UserId, followee: UserId },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum FollowEvent {
    UserFollowed { follower: UserId, followee: UserId },
    UserUnfollowed { follower: UserId, followee: UserId },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FollowError {
    #[error("you can't follow yourself")]
    FollowingSelf,
}

impl DomainEvent for FollowEvent {
    fn event_type(&self) -> String {
        match self {
            Self::UserFollowed { .. } => "UserFollowed",
            Self::UserUnfollowed { .. } => "UserUnfollowed",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl Claims for FollowEvent {}

impl Follow {
    pub fn decide(&self, command: FollowCommand) -> Result<Vec<FollowEvent>, FollowError> {
        match command {
            FollowCommand::Follow { follower, followee } if follower == followee => {
                Err(FollowError::FollowingSelf)
            }
            FollowCommand::Follow { follower, followee } if !self.following => {
                Ok(vec![FollowEvent::UserFollowed { follower, followee }])
            }
            FollowCommand::Unfollow { follower, followee } if self.following => {
                Ok(vec![FollowEvent::UserUnfollowed { follower, followee }])
            }
            _ => Ok(vec![]),
        }
    }
}

impl Aggregate for Follow {
    const TYPE: &'static str = "Follow";
    type Command = FollowCommand;
    type Event = FollowEvent;
    type Error = FollowError;
    type Services = ();

    async fn handle(
        &mut self,
        command: FollowCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), FollowError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: FollowEvent) {
        self.following = matches!(event, FollowEvent::UserFollowed { .. });
    }
}
