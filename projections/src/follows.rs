//! Read model of follows: who follows whom.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::relation::{Follow, FollowEvent};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

/// Whether `follower` follows `followee`.
pub async fn is_following(
    db: impl PgExecutor<'_>,
    follower: Uuid,
    followee: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from follows where follower_id = $1 and followee_id = $2) as "exists!""#,
        follower,
        followee,
    )
    .fetch_one(db)
    .await
}

/// How many people follow `user`, and how many `user` follows.
pub async fn counts(db: impl PgExecutor<'_>, user: Uuid) -> Result<(i64, i64), sqlx::Error> {
    let counts = sqlx::query!(
        r#"
        select (select count(*) from follows where followee_id = $1) as "followers!",
               (select count(*) from follows where follower_id = $1) as "following!"
        "#,
        user,
    )
    .fetch_one(db)
    .await?;
    Ok((counts.followers, counts.following))
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

    /// A run of new follows is inserted in one statement.
    async fn apply_all(
        &self,
        conn: &mut PgConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut run = FollowedRun::default();
        for event in events.iter().filter(|e| e.is::<Follow>()) {
            if let FollowEvent::UserFollowed { follower, followee } = event
                .decode::<Follow>()
                .map_err(|e| ProjectionError::decode(event, e))?
            {
                run.followers.push(follower.0);
                run.followees.push(followee.0);
                run.times.push(event.recorded_at);
                continue;
            }
            run.flush(conn).await?;
            self.apply(conn, event).await?;
        }
        run.flush(conn).await?;
        Ok(())
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
                sqlx::query!(
                    "insert into follows (follower_id, followee_id, created_at) values ($1, $2, $3) on conflict do nothing",
                    follower.0,
                    followee.0,
                    event.recorded_at as DateTime<Utc>,
                )
                .execute(conn)
                .await?;
            }
            FollowEvent::UserUnfollowed { follower, followee } => {
                sqlx::query!(
                    "delete from follows where follower_id = $1 and followee_id = $2",
                    follower.0,
                    followee.0,
                )
                .execute(conn)
                .await?;
            }
        }
        Ok(())
    }
}

/// Consecutive `UserFollowed` events, inserted together. A pair followed twice in a run keeps
/// the first time, as when applied one by one.
#[derive(Default)]
struct FollowedRun {
    followers: Vec<Uuid>,
    followees: Vec<Uuid>,
    times: Vec<DateTime<Utc>>,
}

impl FollowedRun {
    async fn flush(&mut self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.followers.is_empty() {
            return Ok(());
        }
        sqlx::query!(
            r#"
            insert into follows (follower_id, followee_id, created_at)
            select * from unnest($1::uuid[], $2::uuid[], $3::timestamptz[])
            on conflict do nothing
            "#,
            &self.followers,
            &self.followees,
            &self.times as &[DateTime<Utc>],
        )
        .execute(conn)
        .await?;
        *self = Self::default();
        Ok(())
    }
}
