use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::command::{AccountChanges, UserCommand};
use super::error::UserError;
use super::event::UserEvent;
use super::values::{Bio, DisplayName, Email, UserId, Username};
use crate::image::ImageUrl;

/// A user account as its rules need it: `None` until registered. The password hash is not
/// kept, because no rule reads it.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    account: Option<Account>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Account {
    id: UserId,
    username: Username,
    email: Email,
    display_name: Option<DisplayName>,
    bio: Option<Bio>,
    image: Option<ImageUrl>,
}

impl User {
    /// The rules: which events a command produces in the current state.
    pub fn decide(&self, command: UserCommand) -> Result<Vec<UserEvent>, UserError> {
        let Some(account) = &self.account else {
            return match command {
                UserCommand::Register {
                    id,
                    username,
                    email,
                    password_hash,
                    staff,
                } => Ok(vec![UserEvent::UserRegistered {
                    id,
                    username,
                    email,
                    password_hash,
                    staff,
                }]),
                _ => Err(UserError::NotFound),
            };
        };
        match command {
            UserCommand::Register { .. } => Err(UserError::AlreadyRegistered),
            UserCommand::ChangeAccount(changes) => Ok(account.changes(changes)),
            UserCommand::SignOutEverywhere => Ok(vec![UserEvent::SignedOutEverywhere]),
        }
    }
}

impl Account {
    fn changes(&self, changes: AccountChanges) -> Vec<UserEvent> {
        let mut events = Vec::new();
        if let Some(username) = changes.username.filter(|u| *u != self.username) {
            events.push(UserEvent::UsernameChanged {
                username,
                previous: self.username.clone(),
            });
        }
        if let Some(email) = changes.email.filter(|e| *e != self.email) {
            events.push(UserEvent::EmailChanged {
                email,
                previous: self.email.clone(),
            });
        }
        let display_name = changes.display_name.unwrap_or_else(|| self.display_name.clone());
        let bio = changes.bio.unwrap_or_else(|| self.bio.clone());
        let image = changes.image.unwrap_or_else(|| self.image.clone());
        if (&display_name, &bio, &image) != (&self.display_name, &self.bio, &self.image) {
            events.push(UserEvent::ProfileUpdated {
                display_name,
                bio,
                image,
            });
        }
        if let Some(password_hash) = changes.password_hash {
            events.push(UserEvent::PasswordChanged { password_hash });
        }
        events
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "User";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            UserEvent::UserRegistered {
                id, username, email, ..
            } => {
                self.account = Some(Account {
                    id,
                    username,
                    email,
                    display_name: None,
                    bio: None,
                    image: None,
                });
            }
            UserEvent::ProfileUpdated {
                display_name,
                bio,
                image,
            } => {
                if let Some(account) = &mut self.account {
                    account.display_name = display_name;
                    account.bio = bio;
                    account.image = image;
                }
            }
            UserEvent::UsernameChanged { username, .. } => {
                if let Some(account) = &mut self.account {
                    account.username = username;
                }
            }
            UserEvent::EmailChanged { email, .. } => {
                if let Some(account) = &mut self.account {
                    account.email = email;
                }
            }
            UserEvent::PasswordChanged { .. } | UserEvent::SignedOutEverywhere => {}
        }
    }
}
