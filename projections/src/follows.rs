//! Read model of follows: who follows whom.

use async_trait::async_trait;
use domain::relation::{Follow, FollowEvent};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::log::StoredEvent;
use crate::runtime::{ProjectionError, Projector};

/// Whether `follower` follows `followee`.
pub async fn is_following(
    db: impl PgExecutor<'_>,
    follower: Uuid,
    followee: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from follows where follower_id = $1 and followee_id = $2)")
        .bind(follower)
        .bind(followee)
        .fetch_one(db)
        .await
}

/// How many people follow `user`, and how many `user` follows.
pub async fn counts(db: impl PgExecutor<'_>, user: Uuid) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "select (select count(*) from follows where followee_id = $1), (select count(*) from follows where follower_id = $1)",
    )
    .bind(user)
    .fetch_one(db)
    .await
}

pub struct FollowsProjector;

#[async_trait]
impl Projector for FollowsProjector {
    fn name(&self) -> &'static str {
        "follows"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["follows"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        if !event.is::<Follow>() {
            return Ok(());
        }
        match event
            .decode::<Follow>()
            .map_err(|e| ProjectionError::decode(event, e))?
        {
            FollowEvent::UserFollowed { follower, followee } => {
                sqlx::query(
                    "insert into follows (follower_id, followee_id, created_at) values ($1, $2, $3) on conflict do nothing",
                )
                .bind(follower.0)
                .bind(followee.0)
                .bind(event.recorded_at)
                .execute(conn)
                .await?;
            }
            FollowEvent::UserUnfollowed { follower, followee } => {
                sqlx::query("delete from follows where follower_id = $1 and followee_id = $2")
                    .bind(follower.0)
                    .bind(followee.0)
                    .execute(conn)
                    .await?;
            }
        }
        Ok(())
    }
}
