//! The JSON shapes shared by the API and the live socket, so a message looks the same whether
//! fetched or pushed.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// UTC, RFC 3339, milliseconds, `Z`: identical on every read.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A person as the API shows them; `following` is from the viewer's side.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    pub username: String,
    pub bio: Option<String>,
    pub image: Option<String>,
    pub following: bool,
}
