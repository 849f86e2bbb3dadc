use thiserror::Error;

/// Why the user aggregate refuses a command. Messages complete a sentence that starts with the
/// field's name, the way the RealWorld API reports them ("username is already taken").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum UserError {
    #[error("can't be blank")]
    UsernameBlank,
    #[error("must be 3 to 30 characters long")]
    UsernameLength,
    #[error("may only contain letters, digits, _ and -")]
    UsernameCharacters,
    #[error("can't be blank")]
    EmailBlank,
    #[error("is not a valid email address")]
    EmailInvalid,
    #[error("must be at most 50 characters")]
    DisplayNameTooLong,
    #[error("may not contain control, invisible or direction-changing characters")]
    DisplayNameCharacters,
    #[error("must be at most 1000 characters")]
    BioTooLong,
    #[error("already exists")]
    AlreadyRegistered,
    #[error("not found")]
    NotFound,
    #[error("has expired or was already used")]
    LinkExpired,
    #[error("is already confirmed")]
    AlreadyConfirmed,
    /// A moderation command from someone who is not staff.
    #[error("only staff may do this")]
    NotStaff,
    #[error("you can't suspend yourself")]
    SuspendSelf,
    #[error("staff can't be suspended; remove their staff role first")]
    SuspendStaff,
    #[error("must be in the future")]
    UntilPast,
    #[error("is not suspended")]
    NotSuspended,
    #[error("you can't remove your own staff role")]
    DemoteSelf,
}

impl UserError {
    /// The form field the error belongs to.
    pub fn field(self) -> &'static str {
        match self {
            Self::UsernameBlank | Self::UsernameLength | Self::UsernameCharacters => "username",
            Self::EmailBlank | Self::EmailInvalid => "email",
            Self::DisplayNameTooLong | Self::DisplayNameCharacters => "display_name",
            Self::BioTooLong => "bio",
            Self::AlreadyRegistered | Self::NotFound => "user",
            Self::LinkExpired => "link",
            Self::AlreadyConfirmed => "email",
            Self::NotStaff
            | Self::SuspendSelf
            | Self::SuspendStaff
            | Self::NotSuspended
            | Self::DemoteSelf => "user",
            Self::UntilPast => "until",
        }
    }
}
