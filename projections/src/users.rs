//! Read model of user accounts: profiles, login lookups and credentials.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::user::{User, UserEvent};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

/// A user as pages and the API show it, with what login needs.
#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub image: Option<String>,
    pub password_hash: String,
    pub staff: bool,
    pub credentials_version: i32,
    /// Until the person follows the link mailed to their address, they cannot ask for chats.
    pub email_confirmed: bool,
    /// A new address waiting for its confirmation link.
    pub pending_email: Option<String>,
    /// Whether chat messages waiting while the person is away are mailed to them.
    pub chat_email: bool,
    /// Why the account is suspended, while a suspension holds: it can't sign in or act.
    pub suspension_reason: Option<String>,
    /// Until when (none: for good) the suspension holds; meaningful with a reason only.
    pub suspended_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserRow {
    /// The name to show: the display name when set, else the username.
    pub fn shown_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }

    /// Whether a suspension holds now.
    pub fn suspended(&self) -> bool {
        self.suspension_reason.is_some()
    }

    /// This user as the domain's rules see them.
    pub fn actor(&self) -> domain::Actor {
        domain::Actor {
            user: domain::user::UserId(self.id),
            staff: self.staff,
        }
    }
}

/// `sqlx::query_as!` for [`UserRow`]s: the columns, then `$rest` of the statement (its
/// `where` clause and order).
macro_rules! select_users {
    ($rest:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            UserRow,
            r#"select id, username, email, display_name, bio, image, password_hash, staff, credentials_version,
                      email_confirmed, case when pending_email_expires_at > now() then pending_email end as pending_email,
                      chat_email, created_at as "created_at: _", updated_at as "updated_at: _",
                      case when suspended_at is not null and (suspended_until is null or suspended_until > now())
                           then suspension_reason end as suspension_reason,
                      suspended_until as "suspended_until: DateTime<Utc>"
                 from users "# + $rest
            $(, $arg)*
        )
    };
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    select_users!("where id = $1", id).fetch_optional(db).await
}

/// Case-insensitive, as usernames are unique regardless of case.
pub async fn by_username(db: impl PgExecutor<'_>, username: &str) -> Result<Option<UserRow>, sqlx::Error> {
    select_users!(
        "where deleted_at is null and lower(username) = lower($1) order by updated_at desc limit 1",
        username
    )
    .fetch_optional(db)
    .await
}

pub async fn by_email(db: impl PgExecutor<'_>, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    select_users!(
        "where deleted_at is null and lower(email) = lower($1) order by updated_at desc limit 1",
        email
    )
    .fetch_optional(db)
    .await
}

/// For log-in forms that accept either.
pub async fn by_login(db: impl PgExecutor<'_>, login: &str) -> Result<Option<UserRow>, sqlx::Error> {
    select_users!(
        "where deleted_at is null and (lower(username) = lower($1) or lower(email) = lower($1)) order by updated_at desc limit 1",
        login
    )
    .fetch_optional(db)
    .await
}

/// The account a password reset link is for, while the link may be used.
pub async fn reset_link_user(db: impl PgExecutor<'_>, reset_id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "select user_id from password_resets where reset_id = $1 and expires_at > now()",
        reset_id
    )
    .fetch_optional(db)
    .await
}

/// Whether someone other than `except` has a username that looks like `skeleton`.
pub async fn username_looks_like(
    db: impl PgExecutor<'_>,
    skeleton: &str,
    except: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from users where username_skeleton = $1 and id <> $2) as "exists!""#,
        skeleton,
        except,
    )
    .fetch_one(db)
    .await
}

/// Fills `username_skeleton` for accounts projected before it existed; returns how many.
pub async fn fill_missing_skeletons(db: &sqlx::PgPool) -> Result<u64, sqlx::Error> {
    let mut filled = 0;
    loop {
        let missing =
            sqlx::query!("select id, username from users where username_skeleton is null limit 500")
                .fetch_all(db)
                .await?;
        if missing.is_empty() {
            return Ok(filled);
        }
        let (ids, skeletons): (Vec<Uuid>, Vec<String>) = missing
            .iter()
            .map(|user| (user.id, domain::text::skeleton(&user.username)))
            .unzip();
        sqlx::query!(
            "update users u set username_skeleton = s.skeleton \
             from unnest($1::uuid[], $2::text[]) as s(id, skeleton) where u.id = s.id",
            &ids,
            &skeletons,
        )
        .execute(db)
        .await?;
        filled += ids.len() as u64;
    }
}

pub struct UsersProjector;

#[async_trait]
impl Projector for UsersProjector {
    fn name(&self) -> &'static str {
        "users"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["users", "password_resets"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        if !event.is::<User>() {
            return Ok(());
        }
        let id = event.aggregate_uuid()?;
        let at = event.recorded_at;
        let query = match event
            .decode::<User>()
            .map_err(|e| ProjectionError::decode(event, e))?
        {
            UserEvent::UserRegistered {
                id,
                username,
                email,
                password_hash,
                staff,
                email_confirmed,
            } => sqlx::query!(
                r#"
                insert into users (id, username, email, password_hash, staff, created_at, updated_at, username_skeleton,
                                   email_confirmed)
                values ($1, $2, $3, $4, $5, $6, $6, $7, $8)
                on conflict (id) do nothing
                "#,
                id.0,
                username.as_str(),
                email.as_str(),
                password_hash.as_str(),
                staff,
                at as DateTime<Utc>,
                domain::text::skeleton(username.as_str()),
                email_confirmed,
            ),
            UserEvent::ProfileUpdated {
                display_name,
                bio,
                image,
            } => sqlx::query!(
                "update users set display_name = $2, bio = $3, image = $4, updated_at = $5 where id = $1",
                id,
                display_name.as_ref().map(|d| d.as_str()),
                bio.as_ref().map(|b| b.as_str()),
                image.as_ref().map(|i| i.as_str()),
                at as DateTime<Utc>,
            ),
            UserEvent::UsernameChanged { username, .. } => sqlx::query!(
                "update users set username = $2, username_skeleton = $4, updated_at = $3 where id = $1",
                id,
                username.as_str(),
                at as DateTime<Utc>,
                domain::text::skeleton(username.as_str()),
            ),
            UserEvent::EmailChanged { email, .. } => sqlx::query!(
                "update users set email = $2, email_confirmed = false, pending_email = null, \
                 pending_email_expires_at = null, updated_at = $3 where id = $1",
                id,
                email.as_str(),
                at as DateTime<Utc>,
            ),
            UserEvent::PasswordChanged { password_hash } | UserEvent::PasswordReset { password_hash, .. } => {
                sqlx::query!(
                    r#"
                update users
                   set password_hash = $2, credentials_version = credentials_version + 1, updated_at = $3
                 where id = $1
                "#,
                    id,
                    password_hash.as_str(),
                    at as DateTime<Utc>,
                )
            }
            UserEvent::SignedOutEverywhere => sqlx::query!(
                "update users set credentials_version = credentials_version + 1, updated_at = $2 where id = $1",
                id,
                at as DateTime<Utc>,
            ),
            UserEvent::EmailConfirmed { email } => sqlx::query!(
                "update users set email_confirmed = true, updated_at = $3 where id = $1 and email = $2",
                id,
                email.as_str(),
                at as DateTime<Utc>,
            ),
            UserEvent::ConfirmationRequested { .. } | UserEvent::DataExportRequested { .. } => return Ok(()),
            UserEvent::PasswordResetRequested {
                reset_id,
                token_hash,
                expires_at,
            } => sqlx::query!(
                r#"
                with older as (delete from password_resets where user_id = $2)
                insert into password_resets (reset_id, user_id, token_hash, expires_at) values ($1, $2, $3, $4)
                on conflict (reset_id) do nothing
                "#,
                reset_id,
                id,
                token_hash,
                expires_at as DateTime<Utc>,
            ),
            UserEvent::EmailChangeRequested {
                email, expires_at, ..
            } => sqlx::query!(
                "update users set pending_email = $2, pending_email_expires_at = $3, updated_at = $4 where id = $1",
                id,
                email.as_str(),
                expires_at as DateTime<Utc>,
                at as DateTime<Utc>,
            ),
            UserEvent::EmailChangeCancelled { .. } => sqlx::query!(
                "update users set pending_email = null, pending_email_expires_at = null, updated_at = $2 where id = $1",
                id,
                at as DateTime<Utc>,
            ),
            UserEvent::NotificationsChanged { chat_email } => sqlx::query!(
                "update users set chat_email = $2, updated_at = $3 where id = $1",
                id,
                chat_email,
                at as DateTime<Utc>,
            ),
            // Every personal column to its erased value: what a rebuild, reading the erased
            // forms, writes too. The credentials version moves on, so every token ends.
            UserEvent::AccountDeleted { .. } => sqlx::query!(
                r#"
                update users
                   set username = $2, username_skeleton = $3, email = '', display_name = null, bio = null,
                       image = null, password_hash = '', pending_email = null, pending_email_expires_at = null,
                       chat_email = false, credentials_version = credentials_version + 1,
                       deleted_at = $4, updated_at = $4
                 where id = $1
                "#,
                id,
                domain::personal::ERASED_USERNAME,
                domain::text::skeleton(domain::personal::ERASED_USERNAME),
                at as DateTime<Utc>,
            ),
            // A suspension ends every session and token at once, as "log out everywhere" does.
            UserEvent::AccountSuspended {
                reason,
                until,
                hide_posts,
                ..
            } => sqlx::query!(
                r#"
                update users
                   set suspended_at = $2, suspended_until = $3, suspension_reason = $4,
                       suspension_hides_posts = $5, credentials_version = credentials_version + 1
                 where id = $1
                "#,
                id,
                at as DateTime<Utc>,
                until as Option<DateTime<Utc>>,
                reason.as_str(),
                hide_posts,
            ),
            UserEvent::SuspensionLifted { .. } => sqlx::query!(
                r#"
                update users
                   set suspended_at = null, suspended_until = null, suspension_reason = null,
                       suspension_hides_posts = false
                 where id = $1
                "#,
                id,
            ),
            UserEvent::StaffGranted { .. } => sqlx::query!("update users set staff = true where id = $1", id),
            UserEvent::StaffRevoked { .. } => {
                sqlx::query!("update users set staff = false where id = $1", id)
            }
        };
        query.execute(&mut *conn).await?;
        if matches!(
            event.event_type.as_str(),
            "PasswordChanged" | "PasswordReset" | "AccountDeleted"
        ) {
            // A new password ends the links that could have set one.
            sqlx::query!("delete from password_resets where user_id = $1", id)
                .execute(conn)
                .await?;
        }
        Ok(())
    }
}
