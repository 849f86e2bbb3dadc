//! Read model of blocks: who blocked whom, for the settings list, the profile and room pages,
//! and for hiding the blocked person's comments from the blocker. The chat itself enforces
//! the block; this only shows it.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::chat::{Chat, ChatEvent};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::erasure::deleted_account;
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};

/// Someone a person blocked.
#[derive(Debug, Clone)]
pub struct BlockRow {
    pub username: String,
    pub display_name: Option<String>,
    pub image: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Between two people: whether `me` blocked `them`, and whether `them` blocked `me`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Between {
    pub i_blocked: bool,
    pub they_blocked: bool,
}

impl Between {
    pub fn any(self) -> bool {
        self.i_blocked || self.they_blocked
    }
}

pub async fn between(db: impl PgExecutor<'_>, me: Uuid, them: Uuid) -> Result<Between, sqlx::Error> {
    let row = sqlx::query!(
        r#"
        select exists (select 1 from blocks where blocker_id = $1 and blocked_id = $2) as "i_blocked!",
               exists (select 1 from blocks where blocker_id = $2 and blocked_id = $1) as "they_blocked!"
        "#,
        me,
        them,
    )
    .fetch_one(db)
    .await?;
    Ok(Between {
        i_blocked: row.i_blocked,
        they_blocked: row.they_blocked,
    })
}

/// The people `blocker` blocked, most recent first.
pub async fn by(db: impl PgExecutor<'_>, blocker: Uuid) -> Result<Vec<BlockRow>, sqlx::Error> {
    sqlx::query_as!(
        BlockRow,
        r#"
        select u.username, u.display_name, u.image, b.created_at as "created_at: _"
          from blocks b join users u on u.id = b.blocked_id
         where b.blocker_id = $1
         order by b.created_at desc
         limit 1000
        "#,
        blocker,
    )
    .fetch_all(db)
    .await
}

pub struct BlocksProjector;

#[async_trait]
impl Projector for BlocksProjector {
    fn name(&self) -> &'static str {
        "blocks"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["blocks"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        if let Some(person) = deleted_account(event)? {
            sqlx::query!(
                "delete from blocks where blocker_id = $1 or blocked_id = $1",
                person
            )
            .execute(conn)
            .await?;
            return Ok(());
        }
        if !event.is::<Chat>() || !matches!(event.event_type.as_str(), "Blocked" | "Unblocked") {
            return Ok(());
        }
        match event
            .decode::<Chat>()
            .map_err(|e| ProjectionError::decode(event, e))?
        {
            ChatEvent::Blocked { by, whom } => {
                sqlx::query!(
                    r#"
                    insert into blocks (blocker_id, blocked_id, created_at) values ($1, $2, $3)
                    on conflict do nothing
                    "#,
                    by.0,
                    whom.0,
                    event.recorded_at as DateTime<Utc>,
                )
                .execute(conn)
                .await?;
            }
            ChatEvent::Unblocked { by, whom } => {
                sqlx::query!(
                    "delete from blocks where blocker_id = $1 and blocked_id = $2",
                    by.0,
                    whom.0
                )
                .execute(conn)
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
