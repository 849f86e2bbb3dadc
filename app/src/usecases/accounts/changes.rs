//! Changing an account (username, email, password, profile), and signing out everywhere.

use chrono::{TimeDelta, Utc};
use domain::Metadata;
use domain::user::{AccountChanges, Email, EmailUpdate, User, UserCommand, Username};
use eventstore::Commands;
use projections::users::{self, UserRow};
use uuid::Uuid;

use super::{AccountError, Guard, LoginError, PasswordPolicy, confirm_password};
use crate::services::passwords;
use crate::services::pools::Pool;
use crate::web::forms::FormErrors;

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

/// How a door checks an account change: the password rules, whether a new password or
/// email needs the current password (checked, and limited, like a login), and whether a new
/// email waits for the link mailed to it.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    pub policy: PasswordPolicy,
    pub reauthenticate: Option<Guard<'a>>,
    pub email_by_link: bool,
}

/// How long the link that confirms a new address works.
pub const EMAIL_CHANGE_LINK_LIFETIME: TimeDelta = TimeDelta::hours(24);

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
            .and_then(|raw| errors.check("email", Email::parse(raw)))
            .map(|email| match rules.email_by_link {
                true => EmailUpdate::Confirmed {
                    change_id: Uuid::new_v4(),
                    email,
                    expires_at: Utc::now() + EMAIL_CHANGE_LINK_LIFETIME,
                },
                false => EmailUpdate::Now(email),
            }),
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
        .is_some_and(|e| !e.email().as_str().eq_ignore_ascii_case(&user.email));
    if let Some(guard) = rules.reauthenticate
        && (password.is_some() || new_email)
    {
        reauthenticate(guard, user, changes.current_password).await?;
    }
    if new_email
        && let Some(update) = &parsed.email
        && users::by_email(commands.pool(), update.email().as_str())
            .await?
            .is_some_and(|other| other.id != user.id)
    {
        return Err(AccountError::Taken(vec![super::Held::Email]));
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
        // A suspended person is signed out before they reach a form that asks this.
        Err(err @ LoginError::Suspended { .. }) => {
            Err(AccountError::field("current_password", &err.to_string()))
        }
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
