//! Read model of favorites: who likes which post.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::post::{Post, PostEvent};
use domain::relation::{Favorite, FavoriteEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::posts;
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

pub struct FavoritesProjector;

#[async_trait]
impl Projector for FavoritesProjector {
    fn name(&self) -> &'static str {
        "favorites"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["favorites"]
    }

    /// A run of new favorites is inserted in one statement.
    async fn apply_all(
        &self,
        conn: &mut PgConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut run: (Vec<Uuid>, Vec<Uuid>, Vec<DateTime<Utc>>) = Default::default();
        for event in events.iter().filter(|e| e.is::<Favorite>() || e.is::<Post>()) {
            if event.is::<Favorite>()
                && let FavoriteEvent::PostFavorited { post, user } = event
                    .decode::<Favorite>()
                    .map_err(|e| ProjectionError::decode(event, e))?
            {
                run.0.push(post.0);
                run.1.push(user.0);
                run.2.push(event.recorded_at);
                continue;
            }
            // Only a post's deletion touches favorites; other post events must not cut the run.
            if event.is::<Post>() && !posts::deletes_a_post(event)? {
                continue;
            }
            insert_run(conn, &mut run).await?;
            self.apply(conn, event).await?;
        }
        insert_run(conn, &mut run).await?;
        Ok(())
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        let decode_error = |e| ProjectionError::decode(event, e);
        if event.is::<Favorite>() {
            match event.decode::<Favorite>().map_err(decode_error)? {
                FavoriteEvent::PostFavorited { post, user } => {
                    sqlx::query!(
                        "insert into favorites (post_id, user_id, created_at) values ($1, $2, $3) on conflict do nothing",
                        post.0,
                        user.0,
                        event.recorded_at as DateTime<Utc>,
                    )
                    .execute(conn)
                    .await?;
                }
                FavoriteEvent::PostUnfavorited { post, user } => {
                    sqlx::query!(
                        "delete from favorites where post_id = $1 and user_id = $2",
                        post.0,
                        user.0,
                    )
                    .execute(conn)
                    .await?;
                }
            }
        } else if event.is::<Post>()
            && let PostEvent::PostDeleted { .. } = event.decode::<Post>().map_err(decode_error)?
        {
            let post = event.aggregate_uuid()?;
            sqlx::query!("delete from favorites where post_id = $1", post)
                .execute(conn)
                .await?;
        }
        Ok(())
    }
}

async fn insert_run(
    conn: &mut PgConnection,
    run: &mut (Vec<Uuid>, Vec<Uuid>, Vec<DateTime<Utc>>),
) -> Result<(), sqlx::Error> {
    if run.0.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"
        insert into favorites (post_id, user_id, created_at)
        select * from unnest($1::uuid[], $2::uuid[], $3::timestamptz[])
        on conflict do nothing
        "#,
        &run.0,
        &run.1,
        &run.2 as &[DateTime<Utc>],
    )
    .execute(conn)
    .await?;
    *run = Default::default();
    Ok(())
}
