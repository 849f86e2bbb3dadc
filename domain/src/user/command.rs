use super::values::{Bio, DisplayName, Email, PasswordHash, UserId, Username};
use crate::image::ImageUrl;

/// What can be asked of a user account.
#[derive(Debug, Clone)]
pub enum UserCommand {
    Register {
        id: UserId,
        username: Username,
        email: Email,
        password_hash: PasswordHash,
        staff: bool,
    },
    /// Changes any part of the account at once; parts equal to the current ones are ignored,
    /// so an unchanged form records nothing.
    ChangeAccount(AccountChanges),
    /// Ends every session and API token of the account (its person's "log out everywhere").
    SignOutEverywhere,
}

/// The parts of an account to change; `None` leaves a part as it is. The profile fields are
/// `Option<Option<_>>` because clearing a bio is a change too.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub username: Option<Username>,
    pub email: Option<Email>,
    pub password_hash: Option<PasswordHash>,
    pub display_name: Option<Option<DisplayName>>,
    pub bio: Option<Option<Bio>>,
    pub image: Option<Option<ImageUrl>>,
}
