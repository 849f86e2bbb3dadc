//! The examples of the API's reference: what requests carry and answers return, one story
//! told throughout so the examples agree with one another. Jake signs up and publishes "How to
//! train your dragon"; Jill follows him, favorites it and comments; Jake asks Jill for a chat,
//! she approves, and they exchange a message.
//!
//! The `#[utoipa::path]` annotations name these in `example = json!(crate::api::examples::...)`;
//! error bodies are written out in place, being one line each. The tests check every example
//! against its schema and against what the handlers really return.

pub mod accounts;
pub mod audit;
pub mod blog;
pub mod chat;
pub mod log;

use serde_json::{Value, json};

pub const JAKE: &str = "jake";
pub const JILL: &str = "jill";
pub const JAKE_ID: &str = "01a20cad-2c64-7c1e-86c0-2e62a2e95cd1";
pub const JILL_ID: &str = "01a20cb0-9181-7be6-89d1-81ca5b9ff087";
pub const JAKE_BIO: &str = "I train dragons.";
pub const JAKE_IMAGE: &str = "https://example.com/images/jake.jpg";
/// Long enough and uncommon enough for the password policy.
pub const JAKE_PASSWORD: &str = "jake-rides-dragons";
/// Tokens are opaque to clients; this is one's shape.
pub const TOKEN: &str = "AZq3Rb8_dKm2c5E1RoGxhgAAAABrEc9zAAAAAA.Qm7-hT2Jd8k3LPBv41H7YN43wXMtuz9XAI21YK4j8aN";

pub const SLUG: &str = "how-to-train-your-dragon";
pub const POST_ID: &str = "01a20cb7-7be3-7110-a1ca-0015e0b7cefc";
/// A draft's id, chosen by the client that starts it.
pub const DRAFT: &str = "01a20cb5-2f1e-7d0c-9a3b-5c8e1f2a4b6d";
pub const COMMENT_ID: i64 = 1;
pub const REQUEST_ID: &str = "01a213f8-d4b2-7227-8533-57f9f016149f";
/// A room's id is its chat's id, derived from the pair.
pub const ROOM_ID: &str = "c0ddecf1-14b2-5523-98f6-07f5359acfba";
pub const MESSAGE_ID: &str = "01a21417-96f3-726d-8800-03e096238e64";
/// Chosen by the client that sent the message.
pub const CLIENT_ID: &str = "3bbc9e15-0037-48e7-b279-ebc776f5cf31";
pub const SEQ: i64 = 1;
/// A file uploaded to the room.
pub const ATTACHMENT_ID: &str = "4f1c2a0e-7d53-4c8e-9b1a-2e6f0c9d8a71";

/// When things happened, in the story's order.
pub mod at {
    pub const JAKE_SIGNED_UP: &str = "2026-11-24T08:30:05.412Z";
    pub const JILL_SIGNED_UP: &str = "2026-11-24T08:33:47.905Z";
    pub const PUBLISHED: &str = "2026-11-24T08:41:21.123Z";
    pub const EDITED: &str = "2026-11-24T09:12:54.630Z";
    /// Jake put the first text back (late in the story, after the other examples of the article).
    pub const RESTORED: &str = "2026-11-24T09:20:03.118Z";
    pub const FAVORITED: &str = "2026-11-24T10:02:37.881Z";
    pub const COMMENTED: &str = "2026-11-24T10:05:12.274Z";
    pub const REQUESTED: &str = "2026-11-25T18:30:04.210Z";
    pub const APPROVED: &str = "2026-11-25T19:02:11.547Z";
    pub const SENT: &str = "2026-11-25T19:03:40.019Z";
    pub const MESSAGE_EDITED: &str = "2026-11-25T19:04:12.300Z";
}

/// Jake as others see him; `following` from the viewer's side.
pub fn jake(following: bool) -> Value {
    json!({ "username": JAKE, "bio": JAKE_BIO, "image": JAKE_IMAGE, "following": following })
}

/// Jill, who has not set a bio or an image.
pub fn jill(following: bool) -> Value {
    json!({ "username": JILL, "bio": null, "image": null, "following": following })
}

/// The start of the OpenAPI document, which goes on to list every operation and schema.
pub fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Bocha API", "version": env!("CARGO_PKG_VERSION") },
        "paths": { "/api/tags": { "get": { "tags": ["Tags"], "summary": "List tags", "operationId": "list_tags" } } },
    })
}

/// The start of the socket's AsyncAPI document.
pub fn socket_document() -> Value {
    json!({
        "asyncapi": "3.0.0",
        "info": { "title": "Bocha live chat", "version": env!("CARGO_PKG_VERSION") },
        "channels": { "live": { "address": "/ws", "title": "The chat socket" } },
    })
}
