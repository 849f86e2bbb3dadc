//! What handlers share. Cheap to clone: one reference count, however many parts it holds
//! (every extractor takes its own copy, several times per request).

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;
use eventstore::Commands;
use sqlx::PgPool;

use crate::config::Config;
use crate::media::Media;
use crate::services::crypto::Keys;
use crate::services::limits::Limits;
use crate::services::pools::Pools;
use crate::services::redis::Redis;
use crate::usecases::chat::Chats;
use crate::web::assets::Assets;
use crate::web::faults::DatabaseWatch;
use crate::web::reused::Reused;
use crate::web::templates::Templates;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts, reached through [`AppState`] as `state.db`, `state.templates`, …
pub struct Shared {
    pub config: Arc<Config>,
    pub db: PgPool,
    pub commands: Commands,
    /// Seals the log and signs its checkpoints (see `eventstore::ledger`).
    pub ledger: Arc<eventstore::ledger::Ledger>,
    pub templates: Templates,
    pub assets: Assets,
    pub keys: Keys,
    /// Sends what the outbox holds; woken after a command that queued mail.
    pub mail: Arc<crate::mail::Sender>,
    pub redis: Redis,
    pub limits: Limits,
    /// When each person was last seen, for the chat notice.
    pub presence: crate::services::presence::Presence,
    pub pools: Pools,
    /// Whether Postgres answers (see `faults`).
    pub database: DatabaseWatch,
    pub chats: Chats,
    pub media: Media,
    /// The sitemap, made at most once every few minutes (it lists up to 50,000 posts).
    pub sitemap: Reused,
    /// Pages kept for signed-out visitors.
    pub page_cache: Arc<crate::web::page_cache::PageCache>,
}

impl AppState {
    /// The password rules of the API: the site's, unless `REALWORLD_COMPAT` relaxes them to
    /// the length check that suite expects.
    pub fn api_password_policy(&self) -> crate::usecases::accounts::PasswordPolicy {
        if self.config.realworld_compat {
            crate::usecases::accounts::PasswordPolicy::LengthOnly
        } else {
            crate::usecases::accounts::PasswordPolicy::Site
        }
    }

    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Closes a person's chat sockets on every instance: those of one browser session, or all.
    pub async fn end_sockets(&self, user: uuid::Uuid, session: Option<tower_sessions::session::Id>) {
        let revocation = crate::live::Revocation {
            user,
            session: session.map(|id| id.to_string()),
        };
        self.chats.live().revoke(revocation).await;
    }

    /// What checks a password typed by the client at `address`.
    pub fn password_guard(&self, address: std::net::IpAddr) -> crate::usecases::accounts::Guard<'_> {
        crate::usecases::accounts::Guard {
            limits: &self.limits,
            passwords: &self.pools.passwords,
            address,
        }
    }
}

impl FromRef<AppState> for Media {
    fn from_ref(state: &AppState) -> Self {
        state.media.clone()
    }
}

impl FromRef<AppState> for Assets {
    fn from_ref(state: &AppState) -> Self {
        state.assets.clone()
    }
}
