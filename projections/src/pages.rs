//! When the pages a signed-out visitor sees may have changed.
//!
//! Instances keep whole anonymous pages and reuse them until this version moves (see the app's
//! page cache). [`PagesProjector`] moves it in the catch-up that projects an event such a page
//! shows, so the version and the read models change together; a rebuild moves it when it swaps
//! its tables in. Events only their author or staff see (drafts, sign-ins, addresses, settings,
//! chats, reports) leave it alone, so they never cost a page its reuse.

use async_trait::async_trait;
use domain::comment::Comment;
use domain::post::Post;
use domain::relation::{Favorite, Follow};
use domain::user::User;
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};
use sqlx::{PgConnection, PgExecutor};

/// Post events about a draft: nobody but its author sees one before it is published.
const DRAFT_EVENTS: &[&str] = &[
    "DraftSaved",
    "DraftDiscarded",
    "PublishScheduled",
    "ScheduleCancelled",
    "PreviewShared",
    "PreviewRevoked",
];

/// Account events no page shows. A profile shows a person's name, picture, bio and staff
/// badge, and a suspended or deleted person's words are hidden or erased; the rest is private.
const PRIVATE_ACCOUNT_EVENTS: &[&str] = &[
    "UserRegistered",
    "EmailChanged",
    "PasswordChanged",
    "SignedOutEverywhere",
    "EmailConfirmed",
    "ConfirmationRequested",
    "PasswordResetRequested",
    "PasswordReset",
    "EmailChangeRequested",
    "EmailChangeCancelled",
    "NotificationsChanged",
    "DataExportRequested",
];

/// Whether a signed-out visitor's page may show `event`. Errs toward yes: an event of these
/// aggregates added later moves the version until it is listed above.
pub fn shown_publicly(event: &StoredEvent) -> bool {
    let kind = event.event_type.as_str();
    if event.is::<Post>() {
        !DRAFT_EVENTS.contains(&kind)
    } else if event.is::<User>() {
        !PRIVATE_ACCOUNT_EVENTS.contains(&kind)
    } else {
        event.is::<Comment>() || event.is::<Favorite>() || event.is::<Follow>()
    }
}

/// Moves the version when a run of events holds one that pages show. Live only, like mail: its
/// row is not a read model, and a rebuild moves it once, when it swaps (see [`changed`]).
pub struct PagesProjector;

#[async_trait]
impl Projector for PagesProjector {
    fn name(&self) -> &'static str {
        "pages"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["page_version"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        self.apply_all(conn, &[event]).await
    }

    async fn apply_all(
        &self,
        conn: &mut PgConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        if events.iter().any(|event| shown_publicly(event)) {
            changed(conn).await?;
        }
        Ok(())
    }
}

/// Moves the version: every page kept so far is made again when next asked for.
pub async fn changed(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("update page_version set version = version + 1")
        .execute(conn)
        .await?;
    Ok(())
}

/// The version now.
pub async fn version(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!("select version from page_version")
        .fetch_one(db)
        .await
}
