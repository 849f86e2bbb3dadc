//! Bookkeeping of uploaded images until something uses them, and the sweep of those nothing
//! ever did (see migrations/0008_uploads.sql).

use std::time::Duration;

use sqlx::PgPool;
use uuid::Uuid;

use super::storage::{Media, StorageError};

/// How long an unused upload is kept: long enough for a person to finish the form they chose
/// it on.
pub const KEPT_UNUSED: Duration = Duration::from_secs(24 * 60 * 60);

/// Records that `user` uploaded `key`. Uploading the same image again restarts its wait.
pub async fn record(db: &PgPool, key: &str, user: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r"insert into uploads (key, uploaded_by) values ($1, $2)
          on conflict (key) do update set uploaded_at = now()",
        key,
        user,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Marks the upload behind `url` (a `/media/…` address) as used, for good: once a command has
/// referred to it, some version of a post or profile in the log shows it.
pub async fn claim(db: &PgPool, url: &str) -> Result<(), sqlx::Error> {
    let Some(key) = url.strip_prefix(super::URL_PREFIX) else {
        return Ok(());
    };
    sqlx::query!(
        "update uploads set claimed = true where key = $1 and not claimed",
        key
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes the images `user` uploaded (their account is deleted); returns how many. An image
/// is stored once, under the digest of its bytes: one someone else uploaded since is theirs.
pub async fn erase_uploads_of(db: &PgPool, media: &Media, user: Uuid) -> Result<u64, SweepError> {
    let keys = sqlx::query_scalar!("select key from uploads where uploaded_by = $1", user)
        .fetch_all(db)
        .await?;
    for key in &keys {
        media.delete(key).await?;
        sqlx::query!(
            "delete from uploads where key = $1 and uploaded_by = $2",
            key,
            user
        )
        .execute(db)
        .await?;
    }
    Ok(keys.len() as u64)
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Deletes uploads older than `kept` that nothing claimed; returns how many.
///
/// Each goes in a transaction that holds its row while the file is deleted: an upload of the same
/// image at that moment waits for the row, then records it anew and writes the file again, so it
/// never ends up recorded without its file.
pub async fn sweep(db: &PgPool, media: &Media, kept: Duration) -> Result<u64, SweepError> {
    let mut swept = 0;
    loop {
        let mut tx = db.begin().await?;
        let key = sqlx::query_scalar!(
            r"select key from uploads where not claimed and uploaded_at < now() - make_interval(secs => $1)
              order by uploaded_at limit 1 for update skip locked",
            kept.as_secs_f64(),
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(key) = key else {
            return Ok(swept);
        };
        media.delete(&key).await?;
        sqlx::query!("delete from uploads where key = $1", key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        swept += 1;
    }
}
