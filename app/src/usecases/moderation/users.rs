//! Suspending accounts and lifting suspensions; making staff and removing the role.

use chrono::{DateTime, Duration, Utc};
use domain::Metadata;
use domain::user::{User, UserCommand, Username};
use projections::users::{self, UserRow};

use super::{ModerationError, invalid, reason};
use crate::state::AppState;

/// A suspension as staff ask for it.
#[derive(Debug, Clone, Default)]
pub struct Suspension<'a> {
    pub reason: &'a str,
    /// How many days; `None`: for good.
    pub days: Option<u32>,
    /// Hide the account's posts while the suspension holds.
    pub hide_posts: bool,
}

/// The longest suspension with an end: longer ones are for good.
const MAX_DAYS: u32 = 3650;

async fn target(state: &AppState, username: &str) -> Result<UserRow, ModerationError> {
    if Username::parse(username).is_err() {
        return Err(ModerationError::NotFound);
    }
    users::by_username(&state.db, username)
        .await?
        .ok_or(ModerationError::NotFound)
}

async fn run(
    state: &AppState,
    staff: &UserRow,
    account: &UserRow,
    command: UserCommand,
    request_id: &str,
) -> Result<(), ModerationError> {
    state
        .commands
        .execute::<User>(
            &account.id.to_string(),
            command,
            &(),
            &Metadata::new(Some(staff.id), request_id),
        )
        .await?;
    Ok(())
}

/// Suspends `username`: their sessions, tokens and sockets end on every instance at once.
pub async fn suspend(
    state: &AppState,
    staff: &UserRow,
    username: &str,
    suspension: Suspension<'_>,
    request_id: &str,
) -> Result<UserRow, ModerationError> {
    let account = target(state, username).await?;
    let reason = reason(suspension.reason)?;
    let now = Utc::now();
    let until: Option<DateTime<Utc>> = match suspension.days {
        Some(0) | Some(MAX_DAYS..) => {
            return Err(invalid("days", format!("must be between 1 and {}", MAX_DAYS - 1)));
        }
        Some(days) => Some(now + Duration::days(i64::from(days))),
        None => None,
    };
    let command = UserCommand::Suspend {
        by: staff.actor(),
        reason,
        until,
        hide_posts: suspension.hide_posts,
        now,
    };
    run(state, staff, &account, command, request_id).await?;
    state.end_sockets(account.id, None).await;
    refreshed(state, account).await
}

pub async fn lift_suspension(
    state: &AppState,
    staff: &UserRow,
    username: &str,
    why: &str,
    request_id: &str,
) -> Result<UserRow, ModerationError> {
    let account = target(state, username).await?;
    let command = UserCommand::LiftSuspension {
        by: staff.actor(),
        reason: reason(why)?,
        now: Utc::now(),
    };
    run(state, staff, &account, command, request_id).await?;
    refreshed(state, account).await
}

/// Makes `username` staff (`staff`), or a member again.
pub async fn set_staff(
    state: &AppState,
    staff: &UserRow,
    username: &str,
    make_staff: bool,
    why: &str,
    request_id: &str,
) -> Result<UserRow, ModerationError> {
    let account = target(state, username).await?;
    let command = UserCommand::SetStaff {
        by: staff.actor(),
        staff: make_staff,
        reason: reason(why)?,
    };
    run(state, staff, &account, command, request_id).await?;
    refreshed(state, account).await
}

/// The account as it stands after the command.
async fn refreshed(state: &AppState, account: UserRow) -> Result<UserRow, ModerationError> {
    Ok(users::by_id(&state.db, account.id).await?.unwrap_or(account))
}
