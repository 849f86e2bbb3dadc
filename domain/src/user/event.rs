use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;
use cqrs_es::persist::{EventUpcaster, SemanticVersionEventUpcaster};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::values::{Bio, DisplayName, Email, PasswordHash, UserId, Username};
use crate::claims::{Claim, ClaimKind, Claims};
use crate::image::ImageUrl;
use crate::reason::Reason;

/// What happened to a user account. Variant names and fields are stored forever: change them
/// only with a new `event_version` and an upcaster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum UserEvent {
    UserRegistered {
        id: UserId,
        username: Username,
        email: Email,
        password_hash: PasswordHash,
        staff: bool,
        /// Whether the address was vouched for at registration (an operator's account);
        /// otherwise the person confirms it by the link mailed to it.
        email_confirmed: bool,
    },
    ProfileUpdated {
        display_name: Option<DisplayName>,
        bio: Option<Bio>,
        image: Option<ImageUrl>,
    },
    UsernameChanged {
        username: Username,
        previous: Username,
    },
    EmailChanged {
        email: Email,
        previous: Email,
    },
    PasswordChanged {
        password_hash: PasswordHash,
    },
    /// Every session and API token issued so far ends, as after a password change.
    SignedOutEverywhere,
    /// The person followed the link mailed to `email`, their address at the time.
    EmailConfirmed {
        email: Email,
    },
    /// Another confirmation link was asked for (the first one is mailed on registration).
    ConfirmationRequested {
        email: Email,
    },
    /// A password reset link was mailed; only the hash of its token is kept. A newer request
    /// replaces an older one.
    PasswordResetRequested {
        reset_id: Uuid,
        token_hash: String,
        expires_at: DateTime<Utc>,
    },
    /// A reset link was used to set a new password: every session and token ends.
    PasswordReset {
        reset_id: Uuid,
        password_hash: PasswordHash,
    },
    /// A new address waits to be confirmed from that address; the old one is told.
    EmailChangeRequested {
        change_id: Uuid,
        email: Email,
        expires_at: DateTime<Utc>,
    },
    /// A pending change was dropped; `reported` when the old address said it was not them.
    EmailChangeCancelled {
        change_id: Uuid,
        reported: bool,
    },
    /// Whether the person is mailed about chat messages that wait for them while they are away.
    NotificationsChanged {
        chat_email: bool,
    },
    /// The person asked for an archive of their data ("download my data").
    DataExportRequested {
        export_id: Uuid,
    },
    /// The person deleted their account: it is closed for good, its username and address are
    /// free again, and the store destroys the key that their personal data was sealed with.
    AccountDeleted {
        username: Username,
        email: Email,
    },
    /// Staff member `by` suspended the account until `until` (`None`: for good): every session
    /// and token ends, logging in is refused with the reason, and its posts are hidden if
    /// `hide_posts`.
    AccountSuspended {
        by: UserId,
        reason: Reason,
        until: Option<DateTime<Utc>>,
        hide_posts: bool,
    },
    SuspensionLifted {
        by: UserId,
        reason: Reason,
    },
    StaffGranted {
        by: UserId,
        reason: Reason,
    },
    StaffRevoked {
        by: UserId,
        reason: Reason,
    },
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            Self::UserRegistered { .. } => "UserRegistered",
            Self::ProfileUpdated { .. } => "ProfileUpdated",
            Self::UsernameChanged { .. } => "UsernameChanged",
            Self::EmailChanged { .. } => "EmailChanged",
            Self::PasswordChanged { .. } => "PasswordChanged",
            Self::SignedOutEverywhere => "SignedOutEverywhere",
            Self::EmailConfirmed { .. } => "EmailConfirmed",
            Self::ConfirmationRequested { .. } => "ConfirmationRequested",
            Self::PasswordResetRequested { .. } => "PasswordResetRequested",
            Self::PasswordReset { .. } => "PasswordReset",
            Self::EmailChangeRequested { .. } => "EmailChangeRequested",
            Self::EmailChangeCancelled { .. } => "EmailChangeCancelled",
            Self::NotificationsChanged { .. } => "NotificationsChanged",
            Self::DataExportRequested { .. } => "DataExportRequested",
            Self::AccountDeleted { .. } => "AccountDeleted",
            Self::AccountSuspended { .. } => "AccountSuspended",
            Self::SuspensionLifted { .. } => "SuspensionLifted",
            Self::StaffGranted { .. } => "StaffGranted",
            Self::StaffRevoked { .. } => "StaffRevoked",
        }
        .to_owned()
    }

    /// `UserRegistered` is at version 3: version 1, from before staff accounts existed, had no
    /// `staff` field, and version 2, from before addresses were confirmed, no `email_confirmed`
    /// (see [`upcasters`] for how old events are read).
    fn event_version(&self) -> String {
        match self {
            Self::UserRegistered { .. } => "3",
            _ => "1",
        }
        .to_owned()
    }
}

/// Reads events stored in older shapes as the current ones, oldest change first.
pub fn upcasters() -> Vec<Box<dyn EventUpcaster>> {
    vec![
        Box::new(SemanticVersionEventUpcaster::new(
            "UserRegistered",
            "2",
            Box::new(|payload| with_default(payload, "staff", false)),
        )),
        // Accounts made before addresses were confirmed keep what they could do: they count as
        // confirmed, rather than losing chat until they find a link nobody sent them.
        Box::new(SemanticVersionEventUpcaster::new(
            "UserRegistered",
            "3",
            Box::new(|payload| with_default(payload, "email_confirmed", true)),
        )),
    ]
}

fn with_default(mut payload: Value, field: &str, value: bool) -> Value {
    if let Some(fields) = payload.as_object_mut() {
        fields.entry(field).or_insert(Value::Bool(value));
    }
    payload
}

impl Claims for UserEvent {
    fn claims(&self) -> Vec<Claim> {
        match self {
            Self::UserRegistered { username, email, .. } => vec![
                Claim::new(ClaimKind::Username, username.canonical()),
                Claim::new(ClaimKind::Email, email.canonical()),
            ],
            Self::UsernameChanged { username, previous } if username.canonical() != previous.canonical() => {
                vec![Claim::new(ClaimKind::Username, username.canonical())]
            }
            Self::EmailChanged { email, previous } if email.canonical() != previous.canonical() => {
                vec![Claim::new(ClaimKind::Email, email.canonical())]
            }
            _ => Vec::new(),
        }
    }

    fn releases(&self) -> Vec<Claim> {
        match self {
            Self::UsernameChanged { username, previous } if username.canonical() != previous.canonical() => {
                vec![Claim::new(ClaimKind::Username, previous.canonical())]
            }
            Self::EmailChanged { email, previous } if email.canonical() != previous.canonical() => {
                vec![Claim::new(ClaimKind::Email, previous.canonical())]
            }
            Self::AccountDeleted { username, email } => vec![
                Claim::new(ClaimKind::Username, username.canonical()),
                Claim::new(ClaimKind::Email, email.canonical()),
            ],
            _ => Vec::new(),
        }
    }
}

/// Every event that names the account's username, addresses or password, or its profile,
/// holds its person's data; the rest (flags, ids, times, a token's hash) holds none.
impl crate::personal::Personal for super::User {
    fn personal(&self, event: &UserEvent) -> Option<(UserId, UserEvent)> {
        let erased = match event {
            UserEvent::UserRegistered {
                id,
                staff,
                email_confirmed,
                ..
            } => UserEvent::UserRegistered {
                id: *id,
                username: Username::erased(),
                email: Email::erased(),
                password_hash: PasswordHash::erased(),
                staff: *staff,
                email_confirmed: *email_confirmed,
            },
            UserEvent::ProfileUpdated { .. } => UserEvent::ProfileUpdated {
                display_name: None,
                bio: None,
                image: None,
            },
            UserEvent::UsernameChanged { .. } => UserEvent::UsernameChanged {
                username: Username::erased(),
                previous: Username::erased(),
            },
            UserEvent::EmailChanged { .. } => UserEvent::EmailChanged {
                email: Email::erased(),
                previous: Email::erased(),
            },
            UserEvent::PasswordChanged { .. } => UserEvent::PasswordChanged {
                password_hash: PasswordHash::erased(),
            },
            UserEvent::EmailConfirmed { .. } => UserEvent::EmailConfirmed {
                email: Email::erased(),
            },
            UserEvent::ConfirmationRequested { .. } => UserEvent::ConfirmationRequested {
                email: Email::erased(),
            },
            UserEvent::PasswordReset { reset_id, .. } => UserEvent::PasswordReset {
                reset_id: *reset_id,
                password_hash: PasswordHash::erased(),
            },
            UserEvent::EmailChangeRequested {
                change_id,
                expires_at,
                ..
            } => UserEvent::EmailChangeRequested {
                change_id: *change_id,
                email: Email::erased(),
                expires_at: *expires_at,
            },
            UserEvent::AccountDeleted { .. } => UserEvent::AccountDeleted {
                username: Username::erased(),
                email: Email::erased(),
            },
            UserEvent::SignedOutEverywhere
            | UserEvent::PasswordResetRequested { .. }
            | UserEvent::EmailChangeCancelled { .. }
            | UserEvent::NotificationsChanged { .. }
            | UserEvent::DataExportRequested { .. }
            // What staff did and why is the community's record (the public moderation log),
            // not the person's data.
            | UserEvent::AccountSuspended { .. }
            | UserEvent::SuspensionLifted { .. }
            | UserEvent::StaffGranted { .. }
            | UserEvent::StaffRevoked { .. } => return None,
        };
        let owner = match event {
            UserEvent::UserRegistered { id, .. } => *id,
            _ => self.id()?,
        };
        Some((owner, erased))
    }
}
