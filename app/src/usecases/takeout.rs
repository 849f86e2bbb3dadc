//! "Download my data": an archive of everything of a person's (profile, posts in Markdown and
//! rendered, comments, favorites, follows, chat requests and both sides of their chats), as
//! JSON and NDJSON in a zip. Asking for one is an event; the archive is built in the background,
//! kept for a week, offered on the settings page and announced by mail.

use std::io::Write;

use chrono::{DateTime, TimeDelta, Utc};
use domain::Metadata;
use domain::user::{User, UserCommand};
use projections::mail::MailKind;
use projections::takeout::{self, Takeout};
use projections::users::UserRow;
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::state::AppState;

/// How long an archive can be downloaded.
pub const KEPT: TimeDelta = TimeDelta::days(7);
/// A new archive at most this often; asking sooner offers the last one.
const AGAIN_AFTER: TimeDelta = TimeDelta::hours(1);
/// An archive not built within this long (its instance stopped) is built by another.
const STALE: TimeDelta = TimeDelta::minutes(2);

/// An archive asked for, ready or not.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    pub id: Uuid,
    pub requested_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub size: Option<i64>,
}

/// The person's newest archive that is still being built or can still be downloaded.
pub async fn latest(db: &PgPool, user: Uuid) -> Result<Option<Export>, sqlx::Error> {
    sqlx::query_as!(
        Export,
        r#"
        select id, requested_at as "requested_at: _", ready_at as "ready_at: _",
               expires_at as "expires_at: _", size
          from data_exports
         where user_id = $1 and (expires_at is null or expires_at > now())
         order by requested_at desc
         limit 1
        "#,
        user
    )
    .fetch_optional(db)
    .await
}

/// Asks for an archive of `user`'s data; one being built, or made within the hour, is offered
/// instead of another.
pub async fn request(state: &AppState, user: &UserRow, request_id: &str) -> anyhow::Result<Export> {
    if let Some(export) = latest(&state.db, user.id).await?
        && (export.ready_at.is_none() || export.requested_at > Utc::now() - AGAIN_AFTER)
    {
        return Ok(export);
    }
    let id = Uuid::now_v7();
    let metadata = Metadata::new(Some(user.id), request_id);
    state
        .commands
        .execute::<User>(
            &user.id.to_string(),
            UserCommand::RequestDataExport { export_id: id },
            &(),
            &metadata,
        )
        .await?;
    sqlx::query!(
        "insert into data_exports (id, user_id) values ($1, $2)",
        id,
        user.id
    )
    .execute(&state.db)
    .await?;
    spawn_build(state.clone(), id);
    latest(&state.db, user.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the archive {id} just asked for is gone"))
}

fn spawn_build(state: AppState, id: Uuid) {
    tokio::spawn(async move {
        if let Err(err) = build(&state, id).await {
            tracing::error!(export = %id, error = %err, "could not build a data archive; retried later");
        }
    });
}

/// Builds archive `id` and mails its person that it is ready.
pub async fn build(state: &AppState, id: Uuid) -> anyhow::Result<()> {
    let mut tx = state.db.begin().await?;
    sqlx::query!("set transaction isolation level repeatable read, read only")
        .execute(&mut *tx)
        .await?;
    let Some(user) = sqlx::query_scalar!(
        "select user_id from data_exports where id = $1 and ready_at is null",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(());
    };
    let Some(data) = takeout::read(&mut tx, user).await? else {
        return Ok(());
    };
    tx.commit().await?;
    let archive = tokio::task::spawn_blocking(move || zip(&data)).await??;
    let mut tx = state.db.begin().await?;
    let updated = sqlx::query!(
        r#"
        update data_exports set archive = $2, size = $3, ready_at = now(), expires_at = now() + $4::interval
         where id = $1 and ready_at is null
        returning (select email from users where id = user_id) as email,
                  (select username from users where id = user_id) as username,
                  expires_at as "expires_at!: DateTime<Utc>"
        "#,
        id,
        &archive,
        archive.len() as i64,
        sqlx::postgres::types::PgInterval::try_from(KEPT.to_std()?)
            .map_err(|err| anyhow::anyhow!("{err}"))?,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = updated
        && let Some(email) = row.email
    {
        let until = row.expires_at.format("%B %-d, %Y at %H:%M UTC").to_string();
        let data = json!({ "username": row.username, "until": until });
        projections::mail::enqueue(
            &mut tx,
            &format!("export:{id}"),
            Some(user),
            MailKind::ExportReady,
            &email,
            data,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The archive `id`, if it is `user`'s and can still be downloaded.
pub async fn archive(db: &PgPool, user: Uuid, id: Uuid) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let archive = sqlx::query_scalar!(
        "select archive from data_exports where id = $1 and user_id = $2 and expires_at > now()",
        id,
        user
    )
    .fetch_optional(db)
    .await?;
    Ok(archive.flatten())
}

/// Builds archives whose instance stopped before it could, and deletes expired ones.
pub async fn sweep(state: &AppState) -> Result<(), sqlx::Error> {
    let stale = sqlx::query_scalar!(
        "select id from data_exports where ready_at is null and requested_at < now() - $1::interval",
        sqlx::postgres::types::PgInterval::try_from(STALE.to_std().unwrap_or_default()).unwrap_or_default(),
    )
    .fetch_all(&state.db)
    .await?;
    for id in stale {
        spawn_build(state.clone(), id);
    }
    sqlx::query!("delete from data_exports where expires_at <= now()")
        .execute(&state.db)
        .await?;
    Ok(())
}

const README: &str = "Your data on Bocha, as it was when this archive was made.

profile.json        your account: username, email, display name, bio, picture, settings
posts.ndjson        your posts, one per line: the Markdown you wrote and the page it made
comments.ndjson     your comments, with the post each is on
favorites.ndjson    the posts you favorited
follows.ndjson      the people you follow
chat_requests.ndjson  chat requests you sent and received
chat_messages.ndjson  every message of every chat you are in, both sides, by chat and order

NDJSON files hold one JSON object per line. Times are UTC.
";

/// The archive: a README, the profile as JSON and each list as NDJSON.
fn zip(data: &Takeout) -> anyhow::Result<Vec<u8>> {
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    archive.start_file("README.txt", options)?;
    archive.write_all(README.as_bytes())?;
    archive.start_file("profile.json", options)?;
    archive.write_all(&serde_json::to_vec_pretty(&data.profile)?)?;
    for (name, rows) in [
        ("posts.ndjson", &data.posts),
        ("comments.ndjson", &data.comments),
        ("favorites.ndjson", &data.favorites),
        ("follows.ndjson", &data.follows),
        ("chat_requests.ndjson", &data.chat_requests),
        ("chat_messages.ndjson", &data.messages),
    ] {
        archive.start_file(name, options)?;
        for row in rows {
            serde_json::to_writer(&mut archive, row as &Value)?;
            archive.write_all(b"\n")?;
        }
    }
    Ok(archive.finish()?.into_inner())
}
