use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::values::{Bio, DisplayName, Email, PasswordHash, UserId, Username};
use crate::Actor;
use crate::image::ImageUrl;
use crate::reason::Reason;

/// What can be asked of a user account.
#[derive(Debug, Clone)]
pub enum UserCommand {
    Register {
        id: UserId,
        username: Username,
        email: Email,
        password_hash: PasswordHash,
        staff: bool,
        /// An operator vouches for the address (`bocha createsuperuser`, the demo's people).
        email_confirmed: bool,
    },
    /// Changes any part of the account at once; parts equal to the current ones are ignored,
    /// so an unchanged form records nothing.
    ChangeAccount(AccountChanges),
    /// Ends every session and API token of the account (its person's "log out everywhere").
    SignOutEverywhere,
    /// The link mailed to `email` was followed (its signature checked by the caller).
    ConfirmEmail {
        email: Email,
    },
    /// Another confirmation link, for an address not confirmed yet.
    RequestConfirmation,
    /// A reset link whose token hashes to `token_hash` has been made, valid until `expires_at`.
    RequestPasswordReset {
        reset_id: Uuid,
        token_hash: String,
        expires_at: DateTime<Utc>,
    },
    /// A reset link was used: the new password, if the link is the pending one and in time.
    ResetPassword {
        reset_id: Uuid,
        token_hash: String,
        password_hash: PasswordHash,
        now: DateTime<Utc>,
    },
    /// The link mailed to a new address was followed.
    ConfirmEmailChange {
        change_id: Uuid,
        now: DateTime<Utc>,
    },
    /// The person drops their pending change of address, if there is one.
    CancelEmailChange,
    /// The old address says the change was not theirs: a pending change is dropped, one made
    /// within the last week is undone, and every session ends.
    ReportEmailChange {
        change_id: Uuid,
        now: DateTime<Utc>,
    },
    SetNotifications {
        chat_email: bool,
    },
    /// The person asks for an archive of their data.
    RequestDataExport {
        export_id: Uuid,
    },
    /// The person deletes their account (their password checked by the caller).
    DeleteAccount,
    /// Staff suspend the account until `until` (`None`: for good), hiding its posts if asked.
    Suspend {
        by: Actor,
        reason: Reason,
        until: Option<DateTime<Utc>>,
        hide_posts: bool,
        now: DateTime<Utc>,
    },
    /// Staff end a suspension before its time.
    LiftSuspension {
        by: Actor,
        reason: Reason,
        now: DateTime<Utc>,
    },
    /// Staff make the account staff, or a member again.
    SetStaff {
        by: Actor,
        staff: bool,
        reason: Reason,
    },
}

/// The parts of an account to change; `None` leaves a part as it is. The profile fields are
/// `Option<Option<_>>` because clearing a bio is a change too.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub username: Option<Username>,
    pub email: Option<EmailUpdate>,
    pub password_hash: Option<PasswordHash>,
    pub display_name: Option<Option<DisplayName>>,
    pub bio: Option<Option<Bio>>,
    pub image: Option<Option<ImageUrl>>,
}

/// How a new address takes effect.
#[derive(Debug, Clone, PartialEq)]
pub enum EmailUpdate {
    /// Once the link mailed to it is followed, before `expires_at`.
    Confirmed {
        change_id: Uuid,
        email: Email,
        expires_at: DateTime<Utc>,
    },
    /// At once, unconfirmed (the RealWorld demo suite's API expects this).
    Now(Email),
}

impl EmailUpdate {
    pub fn email(&self) -> &Email {
        match self {
            Self::Confirmed { email, .. } | Self::Now(email) => email,
        }
    }
}
