//! The account's rules: which events a command produces in the current state.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::aggregate::{Account, User};
use super::command::{AccountChanges, EmailUpdate, UserCommand};
use super::error::UserError;
use super::event::UserEvent;
use super::values::{Email, PasswordHash};

impl User {
    pub fn decide(&self, command: UserCommand) -> Result<Vec<UserEvent>, UserError> {
        let Some(account) = &self.account else {
            return match command {
                UserCommand::Register {
                    id,
                    username,
                    email,
                    password_hash,
                    staff,
                    email_confirmed,
                } => Ok(vec![UserEvent::UserRegistered {
                    id,
                    username,
                    email,
                    password_hash,
                    staff,
                    email_confirmed,
                }]),
                _ => Err(UserError::NotFound),
            };
        };
        if account.deleted {
            return Err(UserError::NotFound);
        }
        match command {
            UserCommand::Register { .. } => Err(UserError::AlreadyRegistered),
            UserCommand::DeleteAccount => Ok(vec![UserEvent::AccountDeleted {
                username: account.username.clone(),
                email: account.email.clone(),
            }]),
            UserCommand::ChangeAccount(changes) => Ok(account.changes(changes)),
            UserCommand::SignOutEverywhere => Ok(vec![UserEvent::SignedOutEverywhere]),
            UserCommand::ConfirmEmail { email } => account.confirm(email),
            UserCommand::RequestConfirmation if account.email_confirmed => Err(UserError::AlreadyConfirmed),
            UserCommand::RequestConfirmation => Ok(vec![UserEvent::ConfirmationRequested {
                email: account.email.clone(),
            }]),
            UserCommand::RequestPasswordReset {
                reset_id,
                token_hash,
                expires_at,
            } => Ok(vec![UserEvent::PasswordResetRequested {
                reset_id,
                token_hash,
                expires_at,
            }]),
            UserCommand::ResetPassword {
                reset_id,
                token_hash,
                password_hash,
                now,
            } => account.reset_password(reset_id, &token_hash, password_hash, now),
            UserCommand::ConfirmEmailChange { change_id, now } => account.complete_change(change_id, now),
            UserCommand::CancelEmailChange => Ok(account
                .email_change
                .iter()
                .map(|pending| UserEvent::EmailChangeCancelled {
                    change_id: pending.change_id,
                    reported: false,
                })
                .collect()),
            UserCommand::ReportEmailChange { change_id, now } => account.report_change(change_id, now),
            UserCommand::SetNotifications { chat_email } if chat_email == account.chat_email => {
                Ok(Vec::new())
            }
            UserCommand::SetNotifications { chat_email } => {
                Ok(vec![UserEvent::NotificationsChanged { chat_email }])
            }
            UserCommand::RequestDataExport { export_id } => {
                Ok(vec![UserEvent::DataExportRequested { export_id }])
            }
            UserCommand::Suspend {
                by,
                reason,
                until,
                hide_posts,
                now,
            } => account.suspend(by, reason, until, hide_posts, now),
            UserCommand::LiftSuspension { by, reason, now } => account.lift(by, reason, now),
            UserCommand::SetStaff { by, staff, reason } => account.set_staff(by, staff, reason),
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
        if let Some(update) = changes.email.filter(|u| *u.email() != self.email) {
            events.push(self.change_email(update));
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

    /// A new address waits for its confirmation, unless it is the same mailbox written
    /// differently (or the caller asks for the change at once).
    fn change_email(&self, update: EmailUpdate) -> UserEvent {
        match update {
            EmailUpdate::Confirmed {
                change_id,
                email,
                expires_at,
            } if email.canonical() != self.email.canonical() => UserEvent::EmailChangeRequested {
                change_id,
                email,
                expires_at,
            },
            update => UserEvent::EmailChanged {
                email: update.email().clone(),
                previous: self.email.clone(),
            },
        }
    }

    fn confirm(&self, email: Email) -> Result<Vec<UserEvent>, UserError> {
        if email != self.email {
            return Err(UserError::LinkExpired);
        }
        if self.email_confirmed {
            return Ok(Vec::new());
        }
        Ok(vec![UserEvent::EmailConfirmed { email }])
    }

    /// Following a reset link also proves the address is the person's.
    fn reset_password(
        &self,
        reset_id: Uuid,
        token_hash: &str,
        password_hash: PasswordHash,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserEvent>, UserError> {
        match &self.reset {
            Some(reset)
                if reset.reset_id == reset_id && reset.token_hash == token_hash && now < reset.expires_at =>
            {
                let mut events = vec![UserEvent::PasswordReset {
                    reset_id,
                    password_hash,
                }];
                if !self.email_confirmed {
                    events.push(UserEvent::EmailConfirmed {
                        email: self.email.clone(),
                    });
                }
                Ok(events)
            }
            _ => Err(UserError::LinkExpired),
        }
    }

    fn complete_change(&self, change_id: Uuid, now: DateTime<Utc>) -> Result<Vec<UserEvent>, UserError> {
        match &self.email_change {
            Some(pending) if pending.change_id == change_id && now < pending.expires_at => Ok(vec![
                UserEvent::EmailChanged {
                    email: pending.email.clone(),
                    previous: self.email.clone(),
                },
                UserEvent::EmailConfirmed {
                    email: pending.email.clone(),
                },
            ]),
            _ => Err(UserError::LinkExpired),
        }
    }

    fn report_change(&self, change_id: Uuid, now: DateTime<Utc>) -> Result<Vec<UserEvent>, UserError> {
        if self
            .email_change
            .as_ref()
            .is_some_and(|pending| pending.change_id == change_id)
        {
            return Ok(vec![
                UserEvent::EmailChangeCancelled {
                    change_id,
                    reported: true,
                },
                UserEvent::SignedOutEverywhere,
            ]);
        }
        match &self.undoable {
            Some(undo) if undo.change_id == change_id && now < undo.until => Ok(vec![
                UserEvent::EmailChanged {
                    email: undo.previous.clone(),
                    previous: self.email.clone(),
                },
                UserEvent::EmailConfirmed {
                    email: undo.previous.clone(),
                },
                UserEvent::SignedOutEverywhere,
            ]),
            _ => Err(UserError::LinkExpired),
        }
    }
}
