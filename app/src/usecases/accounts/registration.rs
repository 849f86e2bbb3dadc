//! Signing up: a new account, from a username, an email and a password.

use domain::Metadata;
use domain::user::{Email, User, UserCommand, UserId, Username};
use eventstore::Commands;
use projections::users::{self, UserRow};
use uuid::Uuid;

use super::{AccountError, PasswordPolicy};
use crate::services::passwords;
use crate::services::pools::Pool;
use crate::web::forms::FormErrors;

pub struct SignUp<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub staff: bool,
    /// The operator vouches for the address; otherwise a confirmation link is mailed to it.
    pub email_confirmed: bool,
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
        email_confirmed: input.email_confirmed,
    };
    let metadata = Metadata::new(Some(id.0), request_id);
    commands
        .execute::<User>(&id.to_string(), command, &(), &metadata)
        .await?;
    users::by_id(commands.pool(), id.0).await?.ok_or_else(|| {
        AccountError::Internal(anyhow::anyhow!("registered user {id} is not in the read model"))
    })
}
