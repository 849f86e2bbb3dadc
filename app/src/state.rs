//! What handlers share. Cheap to clone: one reference count, however many parts it holds
//! (every extractor takes its own copy, several times per request).

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;
use projections::Commands;
use sqlx::PgPool;

use crate::assets::Assets;
use crate::chat::Chats;
use crate::config::Config;
use crate::crypto::Keys;
use crate::limits::Limits;
use crate::media::Media;
use crate::pools::Pools;
use crate::redis::Redis;
use crate::templates::Templates;

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts, reached through [`AppState`] as `state.db`, `state.templates`, …
pub struct Shared {
    pub config: Arc<Config>,
    pub db: PgPool,
    pub commands: Commands,
    pub templates: Templates,
    pub assets: Assets,
    pub keys: Keys,
    pub redis: Redis,
    pub limits: Limits,
    pub pools: Pools,
    pub chats: Chats,
    pub media: Media,
}

impl AppState {
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
    /// What checks a password typed by the client at `address`.
    pub fn password_guard(&self, address: std::net::IpAddr) -> crate::accounts::Guard<'_> {
        crate::accounts::Guard {
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
