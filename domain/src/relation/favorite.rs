use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::claims::Claims;
use crate::post::PostId;
use crate::user::UserId;

/// One user's like of one post. Aggregate id: [`Favorite::id`].
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Favorite {
    favorited: bool,
}

impl Favorite {
    pub fn id(post: PostId, user: UserId) -> String {
        format!("{post}:{user}")
    }
}

#[derive(Debug, Clone)]
pub enum FavoriteCommand {
    Favorite { post: PostId, user: UserId },
    Unfavorite { post: PostId, user: UserId },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum FavoriteEvent {
    PostFavorited { post: PostId, user: UserId },
    PostUnfavorited { post: PostId, user: UserId },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FavoriteError {}

impl DomainEvent for FavoriteEvent {
    fn event_type(&self) -> String {
        match self {
            Self::PostFavorited { .. } => "PostFavorited",
            Self::PostUnfavorited { .. } => "PostUnfavorited",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl Claims for FavoriteEvent {}

impl Favorite {
    pub fn decide(&self, command: FavoriteCommand) -> Vec<FavoriteEvent> {
        match command {
            FavoriteCommand::Favorite { post, user } if !self.favorited => {
                vec![FavoriteEvent::PostFavorited { post, user }]
            }
            FavoriteCommand::Unfavorite { post, user } if self.favorited => {
                vec![FavoriteEvent::PostUnfavorited { post, user }]
            }
            _ => vec![],
        }
    }
}

impl Aggregate for Favorite {
    const TYPE: &'static str = "Favorite";
    type Command = FavoriteCommand;
    type Event = FavoriteEvent;
    type Error = FavoriteError;
    type Services = ();

    async fn handle(
        &mut self,
        command: FavoriteCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), FavoriteError> {
        for event in self.decide(command) {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: FavoriteEvent) {
        self.favorited = matches!(event, FavoriteEvent::PostFavorited { .. });
    }
}
