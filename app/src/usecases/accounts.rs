//! Account use cases shared by the pages and the API: sign up, authenticate, change the
//! account. Each validates its input into domain values, runs one command and reports errors
//! by field.

use std::net::IpAddr;

use domain::user::{AccountChanges, Email, Password, PasswordError, User, UserCommand, UserId, Username};
use domain::{Claim, ClaimKind, Metadata};
use eventstore::{CommandError, Commands};
use projections::users::{self, UserRow};
use sqlx::PgPool;
use uuid::Uuid;

use crate::services::limits::{Limits, RetryAfter};
use crate::services::passwords::{self, HashError};
use crate::services::pools::{Busy, Pool, WorkError};
use crate::web::forms::FormErrors;

/// Which password rules apply: the site's (length and not a common password) on every door, or
/// length only, which the RealWorld demo suite expects (see `REALWORLD_COMPAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordPolicy {
    Site,
    LengthOnly,
}

impl PasswordPolicy {
    fn parse(self, raw: &str) -> Result<Password, PasswordError> {
        match self {
            Self::Site => Password::parse(raw),
            Self::LengthOnly => Password::parse_length(raw),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid input")]
    Invalid(FormErrors),
    /// A username or email another account holds: found only when the account is stored, after
    /// every field has passed, so it never comes with other messages.
    #[error("already taken")]
    Taken(Vec<Held>),
    #[error("the account was changed meanwhile")]
    Conflict,
    /// Too many wrong current passwords.
    #[error("too many failed attempts; wait {} s", .0.0)]
    Throttled(RetryAfter),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<HashError> for AccountError {
    fn from(err: HashError) -> Self {
        match err {
            HashError::Work(WorkError::Busy(busy)) => Self::Busy(busy),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<sqlx::Error> for AccountError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(err.into())
    }
}

impl From<CommandError<domain::user::UserError>> for AccountError {
    fn from(err: CommandError<domain::user::UserError>) -> Self {
        match err {
            CommandError::Taken(claims) => taken(&claims),
            CommandError::Rejected(err) => {
                let mut errors = FormErrors::default();
                errors.add(err.field(), err.to_string());
                Self::Invalid(errors)
            }
            CommandError::Conflict => Self::Conflict,
            other => Self::Internal(other.into()),
        }
    }
}

/// What a new account may not share with another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Username,
    Email,
}

impl Held {
    /// The form field it is about.
    pub fn field(self) -> &'static str {
        match self {
            Self::Username => "username",
            Self::Email => "email",
        }
    }

    fn message(self) -> &'static str {
        match self {
            Self::Username => "This username is already taken",
            Self::Email => "An account with this email already exists",
        }
    }

    pub fn form_errors(held: &[Held]) -> FormErrors {
        let mut errors = FormErrors::default();
        for held in held {
            errors.add(held.field(), held.message());
        }
        errors
    }
}

impl AccountError {
    /// The messages a form shows beside its fields, when the error is about them.
    pub fn into_form_errors(self) -> Result<FormErrors, Self> {
        match self {
            Self::Invalid(errors) => Ok(errors),
            Self::Taken(held) => Ok(Held::form_errors(&held)),
            other => Err(other),
        }
    }
}

fn taken(claims: &[Claim]) -> AccountError {
    // Users claim only usernames and emails; a slug is a post's.
    let held = claims
        .iter()
        .filter_map(|claim| match claim.kind {
            ClaimKind::Username => Some(Held::Username),
            ClaimKind::Email => Some(Held::Email),
            ClaimKind::Slug => None,
        })
        .collect();
    AccountError::Taken(held)
}

pub struct SignUp<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub staff: bool,
}

/// Creates an account; on success the new user as the read model shows it.
pub async fn sign_up(
    commands: &Commands,
    passwords: &Pool,
    input: SignUp<'_>,
    policy: PasswordPolicy,
    request_id: &str,
) -> Result<UserRow, AccountError> {
    let mut errors = FormErrors::default();
    let username = errors.check("username", Username::parse(input.username));
    let email = errors.check("email", Email::parse(input.email));
    let password = errors.check("password", policy.parse(input.password));
    let (Some(username), Some(email), Some(password)) = (username, email, password) else {
        return Err(AccountError::Invalid(errors));
    };
    let id = UserId(Uuid::now_v7());
    let command = UserCommand::Register {
        id,
        username,
        email,
        password_hash: passwords::hash(passwords, password).await?,
        staff: input.staff,
    };
    let metadata = Metadata::new(Some(id.0), request_id);
    commands
        .execute::<User>(&id.to_string(), command, &(), &metadata)
        .await?;
    users::by_id(commands.pool(), id.0).await?.ok_or_else(|| {
        AccountError::Internal(anyhow::anyhow!("registered user {id} is not in the read model"))
    })
}

/// Why a login (or any other check of a password) was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown account or wrong password: the same answer for both.
    #[error("the login and password don't match an account")]
    Mismatch,
    #[error("too many failed attempts; wait {} s", .0.0)]
    Throttled(RetryAfter),
    #[error(transparent)]
    Busy(#[from] Busy),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for LoginError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(err.into())
    }
}

impl From<WorkError> for LoginError {
    fn from(err: WorkError) -> Self {
        match err {
            WorkError::Busy(busy) => Self::Busy(busy),
            WorkError::Failed(err) => Self::Internal(err.into()),
        }
    }
}

/// What checks a password: the limits it is counted against and the pool it is hashed on.
#[derive(Clone, Copy)]
pub struct Guard<'a> {
    pub limits: &'a Limits,
    pub passwords: &'a Pool,
    pub address: IpAddr,
}

impl Guard<'_> {
    /// `user` if `password` is theirs. The attempt is counted before the hash is computed, so
    /// a burst of guesses is refused before it costs anything; a right password gives its count
    /// back. Checking against no user takes as long as against a real one, so unknown users and
    /// wrong passwords give the same answer in the same time.
    pub async fn check(
        &self,
        user: Option<UserRow>,
        account_key: &str,
        password: &str,
    ) -> Result<UserRow, LoginError> {
        let attempt = self
            .limits
            .password_attempt(account_key, self.address)
            .await
            .map_err(LoginError::Throttled)?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        if !passwords::verify(self.passwords, hash, password.to_owned()).await? {
            return Err(LoginError::Mismatch);
        }
        self.limits
            .password_correct(attempt, account_key, self.address)
            .await;
        user.ok_or(LoginError::Mismatch)
    }
}

/// The account `login` (a username or an email) names, if `password` is its password.
pub async fn log_in(
    db: &PgPool,
    guard: Guard<'_>,
    login: &str,
    password: &str,
) -> Result<UserRow, LoginError> {
    let known = users::by_login(db, login.trim()).await?;
    // The user id when the login names a known account, so trying the username and then the
    // email gives no extra guesses.
    let account_key = known
        .as_ref()
        .map_or_else(|| login.to_owned(), |u| u.id.to_string());
    guard.check(known, &account_key, password).await
}

/// Whether `password` is `user`'s own, before a change that needs it; limited like a login.
pub async fn confirm_password(guard: Guard<'_>, user: &UserRow, password: &str) -> Result<(), LoginError> {
    guard
        .check(Some(user.clone()), &user.id.to_string(), password)
        .await
        .map(drop)
}

/// Raw inputs for an account change; `None` leaves a part unchanged.
#[derive(Debug, Default)]
pub struct Changes<'a> {
    pub username: Option<&'a str>,
    pub email: Option<&'a str>,
    pub password: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub bio: Option<&'a str>,
    pub image: Option<&'a str>,
    /// The account's password as typed, for a door that asks for it (see [`Rules`]).
    pub current_password: Option<&'a str>,
}

/// How a door checks an account change: the password rules, and whether a new password or
/// email needs the current password (checked, and limited, like a login).
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    pub policy: PasswordPolicy,
    pub reauthenticate: Option<Guard<'a>>,
}

impl AccountError {
    fn field(field: &'static str, message: &str) -> Self {
        let mut errors = FormErrors::default();
        errors.add(field, message);
        Self::Invalid(errors)
    }
}

/// Applies `changes` to `user`'s account in one command; returns the account afterwards.
pub async fn change(
    commands: &Commands,
    passwords: &Pool,
    user: &UserRow,
    changes: Changes<'_>,
    rules: Rules<'_>,
    request_id: &str,
) -> Result<UserRow, AccountError> {
    use domain::user::{Bio, DisplayName, ImageUrl};
    let mut errors = FormErrors::default();
    let mut parsed = AccountChanges {
        username: changes
            .username
            .and_then(|raw| errors.check("username", Username::parse(raw))),
        email: changes
            .email
            .and_then(|raw| errors.check("email", Email::parse(raw))),
        display_name: changes
            .display_name
            .and_then(|raw| errors.check("display_name", DisplayName::parse(raw))),
        bio: changes.bio.and_then(|raw| errors.check("bio", Bio::parse(raw))),
        image: changes
            .image
            .and_then(|raw| errors.check("image", ImageUrl::parse(raw))),
        password_hash: None,
    };
    let password = changes
        .password
        .and_then(|raw| errors.check("password", rules.policy.parse(raw)));
    if !errors.is_empty() {
        return Err(AccountError::Invalid(errors));
    }
    if let Some(Some(name)) = &parsed.display_name
        && user.display_name.as_deref() != Some(name.as_str())
        && users::username_looks_like(commands.pool(), &name.skeleton(), user.id).await?
    {
        return Err(AccountError::field(
            "display_name",
            "Looks like someone else's username; choose a name of your own",
        ));
    }
    let new_email = parsed
        .email
        .as_ref()
        .is_some_and(|e| !e.as_str().eq_ignore_ascii_case(&user.email));
    if let Some(guard) = rules.reauthenticate
        && (password.is_some() || new_email)
    {
        reauthenticate(guard, user, changes.current_password).await?;
    }
    if let Some(Some(image)) = &parsed.image {
        // Kept from the sweep of unused uploads before the command that uses it runs.
        crate::media::pending::claim(commands.pool(), image.as_str()).await?;
    }
    if let Some(password) = password {
        parsed.password_hash = Some(passwords::hash(passwords, password).await?);
    }
    let metadata = Metadata::new(Some(user.id), request_id);
    commands
        .execute::<User>(
            &user.id.to_string(),
            UserCommand::ChangeAccount(parsed),
            &(),
            &metadata,
        )
        .await?;
    users::by_id(commands.pool(), user.id).await?.ok_or_else(|| {
        AccountError::Internal(anyhow::anyhow!("user {} vanished from the read model", user.id))
    })
}

/// Checks the current password before a new password or email.
async fn reauthenticate(guard: Guard<'_>, user: &UserRow, current: Option<&str>) -> Result<(), AccountError> {
    let Some(current) = current.filter(|c| !c.is_empty()) else {
        return Err(AccountError::field(
            "current_password",
            "Enter your current password to change your password or email",
        ));
    };
    match confirm_password(guard, user, current).await {
        Ok(()) => Ok(()),
        Err(LoginError::Mismatch) => Err(AccountError::field(
            "current_password",
            "This is not your current password",
        )),
        Err(LoginError::Throttled(wait)) => Err(AccountError::Throttled(wait)),
        Err(LoginError::Busy(busy)) => Err(AccountError::Busy(busy)),
        Err(LoginError::Internal(err)) => Err(AccountError::Internal(err)),
    }
}

/// Ends every session and API token of `user` but the caller's own browser session, which the
/// caller re-remembers with the account as it is afterwards.
pub async fn sign_out_everywhere(
    commands: &Commands,
    user: &UserRow,
    request_id: &str,
) -> Result<UserRow, AccountError> {
    let metadata = Metadata::new(Some(user.id), request_id);
    commands
        .execute::<User>(
            &user.id.to_string(),
            UserCommand::SignOutEverywhere,
            &(),
            &metadata,
        )
        .await?;
    users::by_id(commands.pool(), user.id).await?.ok_or_else(|| {
        AccountError::Internal(anyhow::anyhow!("user {} vanished from the read model", user.id))
    })
}
