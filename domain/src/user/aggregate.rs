use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::command::UserCommand;
use super::error::UserError;
use super::event::UserEvent;
use super::values::{Bio, DisplayName, Email, UserId, Username};
use crate::image::ImageUrl;

/// A user account as its rules need it: `None` until registered. The password hash is not
/// kept, because no rule reads it. The rules themselves are in `decide`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub(super) account: Option<Account>,
}

/// Fields added after the first snapshots were written have defaults, so those still load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Account {
    pub(super) id: UserId,
    pub(super) username: Username,
    pub(super) email: Email,
    pub(super) display_name: Option<DisplayName>,
    pub(super) bio: Option<Bio>,
    pub(super) image: Option<ImageUrl>,
    /// Snapshots from before confirmation were of accounts that count as confirmed.
    #[serde(default = "yes")]
    pub(super) email_confirmed: bool,
    #[serde(default = "yes")]
    pub(super) chat_email: bool,
    #[serde(default)]
    pub(super) reset: Option<PendingReset>,
    #[serde(default)]
    pub(super) email_change: Option<PendingChange>,
    #[serde(default)]
    pub(super) undoable: Option<UndoableChange>,
    /// Deleted accounts refuse every command.
    #[serde(default)]
    pub(super) deleted: bool,
    #[serde(default)]
    pub(super) staff: bool,
    /// Suspended until then (`Some(None)`: for good), if suspended.
    #[serde(default)]
    pub(super) suspended: Option<Option<DateTime<Utc>>>,
}

fn yes() -> bool {
    true
}

/// The one reset link that works, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct PendingReset {
    pub(super) reset_id: Uuid,
    pub(super) token_hash: String,
    pub(super) expires_at: DateTime<Utc>,
}

/// A new address waiting for its confirmation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct PendingChange {
    pub(super) change_id: Uuid,
    pub(super) email: Email,
    pub(super) expires_at: DateTime<Utc>,
}

/// A confirmed change of address that the old address may still undo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct UndoableChange {
    pub(super) change_id: Uuid,
    pub(super) previous: Email,
    pub(super) until: DateTime<Utc>,
}

/// How long the old address may undo a change of address after the change's link expired.
pub(super) const UNDO_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(7);

impl User {
    /// The account's id, once it is registered.
    pub fn id(&self) -> Option<UserId> {
        self.account.as_ref().map(|account| account.id)
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
        if let UserEvent::UserRegistered {
            id,
            username,
            email,
            email_confirmed,
            staff,
            ..
        } = event
        {
            self.account = Some(Account {
                id,
                username,
                email,
                display_name: None,
                bio: None,
                image: None,
                email_confirmed,
                chat_email: true,
                reset: None,
                email_change: None,
                undoable: None,
                deleted: false,
                staff,
                suspended: None,
            });
            return;
        }
        if let Some(account) = &mut self.account {
            account.apply(event);
        }
    }
}

impl Account {
    fn apply(&mut self, event: UserEvent) {
        match event {
            UserEvent::UserRegistered { .. } => {}
            UserEvent::ProfileUpdated {
                display_name,
                bio,
                image,
            } => {
                self.display_name = display_name;
                self.bio = bio;
                self.image = image;
            }
            UserEvent::UsernameChanged { username, .. } => self.username = username,
            UserEvent::EmailChanged { email, previous } => {
                // A change that completes the pending one may be undone by the old address for
                // a while; any other change (or an undo) ends what was pending or undoable.
                self.undoable = self
                    .email_change
                    .take()
                    .filter(|pending| pending.email == email)
                    .map(|pending| UndoableChange {
                        change_id: pending.change_id,
                        previous,
                        until: pending.expires_at + UNDO_WINDOW,
                    });
                self.email = email;
                self.email_confirmed = false;
            }
            UserEvent::PasswordChanged { .. } | UserEvent::PasswordReset { .. } => self.reset = None,
            UserEvent::SignedOutEverywhere
            | UserEvent::ConfirmationRequested { .. }
            | UserEvent::DataExportRequested { .. } => {}
            UserEvent::EmailConfirmed { email } => {
                if email == self.email {
                    self.email_confirmed = true;
                }
            }
            UserEvent::PasswordResetRequested {
                reset_id,
                token_hash,
                expires_at,
            } => {
                self.reset = Some(PendingReset {
                    reset_id,
                    token_hash,
                    expires_at,
                });
            }
            UserEvent::EmailChangeRequested {
                change_id,
                email,
                expires_at,
            } => {
                self.email_change = Some(PendingChange {
                    change_id,
                    email,
                    expires_at,
                });
            }
            UserEvent::EmailChangeCancelled { .. } => self.email_change = None,
            UserEvent::NotificationsChanged { chat_email } => self.chat_email = chat_email,
            UserEvent::AccountDeleted { .. } => self.deleted = true,
            UserEvent::AccountSuspended { until, .. } => self.suspended = Some(until),
            UserEvent::SuspensionLifted { .. } => self.suspended = None,
            UserEvent::StaffGranted { .. } => self.staff = true,
            UserEvent::StaffRevoked { .. } => self.staff = false,
        }
    }
}
