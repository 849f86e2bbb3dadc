use cqrs_es::DomainEvent;
use cqrs_es::persist::{EventUpcaster, SemanticVersionEventUpcaster};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::values::{Bio, DisplayName, Email, PasswordHash, UserId, Username};
use crate::claims::{Claim, ClaimKind, Claims};
use crate::image::ImageUrl;

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
        }
        .to_owned()
    }

    /// `UserRegistered` is at version 2: version 1, from before staff accounts existed, had no
    /// `staff` field (see [`upcasters`] for how old events are read).
    fn event_version(&self) -> String {
        match self {
            Self::UserRegistered { .. } => "2",
            _ => "1",
        }
        .to_owned()
    }
}

/// Reads events stored in older shapes as the current ones.
pub fn upcasters() -> Vec<Box<dyn EventUpcaster>> {
    vec![Box::new(SemanticVersionEventUpcaster::new(
        "UserRegistered",
        "2",
        Box::new(|mut payload: Value| {
            if let Some(fields) = payload.as_object_mut() {
                fields.entry("staff").or_insert(Value::Bool(false));
            }
            payload
        }),
    ))]
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
            _ => Vec::new(),
        }
    }
}
