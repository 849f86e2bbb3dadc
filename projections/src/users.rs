//! Read model of user accounts: profiles, login lookups and credentials.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::user::{User, UserEvent};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

/// A user as pages and the API show it, with what login needs.
#[derive(Debug, Clone, sqlx::FromRow)]
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserRow {
    /// The name to show: the display name when set, else the username.
    pub fn shown_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }

    /// This user as the domain's rules see them.
    pub fn actor(&self) -> domain::Actor {
        domain::Actor {
            user: domain::user::UserId(self.id),
            staff: self.staff,
        }
    }
}

const COLUMNS: &str = "id, username, email, display_name, bio, image, password_hash, staff, \
     credentials_version, created_at, updated_at";

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from users where id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Case-insensitive, as usernames are unique regardless of case.
pub async fn by_username(db: impl PgExecutor<'_>, username: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from users where lower(username) = lower($1) order by updated_at desc limit 1"
    ))
    .bind(username)
    .fetch_optional(db)
    .await
}

pub async fn by_email(db: impl PgExecutor<'_>, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from users where lower(email) = lower($1) order by updated_at desc limit 1"
    ))
    .bind(email)
    .fetch_optional(db)
    .await
}

/// For log-in forms that accept either.
pub async fn by_login(db: impl PgExecutor<'_>, login: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from users where lower(username) = lower($1) or lower(email) = lower($1) \
         order by updated_at desc limit 1"
    ))
    .bind(login)
    .fetch_optional(db)
    .await
}

/// Whether someone other than `except` has a username that looks like `skeleton`.
pub async fn username_looks_like(
    db: impl PgExecutor<'_>,
    skeleton: &str,
    except: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from users where username_skeleton = $1 and id <> $2)")
        .bind(skeleton)
        .bind(except)
        .fetch_one(db)
        .await
}

/// Fills `username_skeleton` for accounts projected before it existed; returns how many.
pub async fn fill_missing_skeletons(db: &sqlx::PgPool) -> Result<u64, sqlx::Error> {
    let mut filled = 0;
    loop {
        let missing: Vec<(Uuid, String)> =
            sqlx::query_as("select id, username from users where username_skeleton is null limit 500")
                .fetch_all(db)
                .await?;
        if missing.is_empty() {
            return Ok(filled);
        }
        let (ids, skeletons): (Vec<Uuid>, Vec<String>) = missing
            .iter()
            .map(|(id, username)| (*id, domain::text::skeleton(username)))
            .unzip();
        sqlx::query(
            "update users u set username_skeleton = s.skeleton \
             from unnest($1::uuid[], $2::text[]) as s(id, skeleton) where u.id = s.id",
        )
        .bind(&ids)
        .bind(&skeletons)
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
        &["users"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        if !event.is::<User>() {
            return Ok(());
        }
        let id: Uuid = event.aggregate_id.parse().unwrap_or_default();
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
            } => sqlx::query(
                r#"
                insert into users (id, username, email, password_hash, staff, created_at, updated_at, username_skeleton)
                values ($1, $2, $3, $4, $5, $6, $6, $7)
                on conflict (id) do nothing
                "#,
            )
            .bind(id.0)
            .bind(username.as_str().to_owned())
            .bind(email.as_str().to_owned())
            .bind(password_hash.as_str().to_owned())
            .bind(staff)
            .bind(at)
            .bind(domain::text::skeleton(username.as_str())),
            UserEvent::ProfileUpdated {
                display_name,
                bio,
                image,
            } => sqlx::query(
                "update users set display_name = $2, bio = $3, image = $4, updated_at = $5 where id = $1",
            )
            .bind(id)
            .bind(display_name.map(|d| d.as_str().to_owned()))
            .bind(bio.map(|b| b.as_str().to_owned()))
            .bind(image.map(|i| i.as_str().to_owned()))
            .bind(at),
            UserEvent::UsernameChanged { username, .. } => sqlx::query(
                "update users set username = $2, username_skeleton = $4, updated_at = $3 where id = $1",
            )
            .bind(id)
            .bind(username.as_str().to_owned())
            .bind(at)
            .bind(domain::text::skeleton(username.as_str())),
            UserEvent::EmailChanged { email, .. } => {
                sqlx::query("update users set email = $2, updated_at = $3 where id = $1")
                    .bind(id)
                    .bind(email.as_str().to_owned())
                    .bind(at)
            }
            UserEvent::PasswordChanged { password_hash } => sqlx::query(
                r#"
                update users
                   set password_hash = $2, credentials_version = credentials_version + 1, updated_at = $3
                 where id = $1
                "#,
            )
            .bind(id)
            .bind(password_hash.as_str().to_owned())
            .bind(at),
            UserEvent::SignedOutEverywhere => sqlx::query(
                "update users set credentials_version = credentials_version + 1, updated_at = $2 where id = $1",
            )
            .bind(id)
            .bind(at),
        };
        query.execute(conn).await?;
        Ok(())
    }
}
