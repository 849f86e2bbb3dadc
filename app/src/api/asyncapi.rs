//! The live socket's protocol as an AsyncAPI 3.0 document, generated from the frame types
//! themselves (`projections::live::{ClientFrame, ServerFrame}`), so it cannot drift from what
//! the socket does. Served at `/api/asyncapi.json` and shown on `/api/docs`.
//!
//! The document describes Bocha's side: it receives the client's frames and sends its own.

use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use projections::live::{ClientFrame, ServerFrame};

/// Which way a frame goes, and the prefix of its message's key (`client_send`, `server_ack`):
/// both sides have a `read` and a `typing` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    FromClient,
    FromServer,
}

impl Direction {
    pub fn key(self, frame: &str) -> String {
        match self {
            Self::FromClient => format!("client_{frame}"),
            Self::FromServer => format!("server_{frame}"),
        }
    }
}

/// The frame types of one direction: (the `type` value, the frame's schema).
fn frames<T: PartialSchema>() -> Result<Vec<(String, Value)>, serde_json::Error> {
    let schema = serde_json::to_value(T::schema())?;
    Ok(schema["oneOf"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|variant| {
            let name = variant["properties"]["type"]["enum"][0].as_str()?;
            Some((name.to_owned(), variant.clone()))
        })
        .collect())
}

/// The schemas the frames refer to (`Message`, `ChatRequest`, `Profile`, `ErrorCode`).
fn referenced() -> Result<Map<String, Value>, serde_json::Error> {
    let mut found: Vec<(String, RefOr<Schema>)> = Vec::new();
    <ClientFrame as ToSchema>::schemas(&mut found);
    <ServerFrame as ToSchema>::schemas(&mut found);
    found
        .into_iter()
        .map(|(name, schema)| Ok((name, serde_json::to_value(schema)?)))
        .collect()
}

pub fn document() -> Result<Value, serde_json::Error> {
    let mut messages = Map::new();
    let mut channel_messages = Map::new();
    let mut operations = Map::new();
    for (direction, frames, action, operation) in [
        (
            Direction::FromClient,
            frames::<ClientFrame>()?,
            "receive",
            "receiveClientFrames",
        ),
        (
            Direction::FromServer,
            frames::<ServerFrame>()?,
            "send",
            "sendServerFrames",
        ),
    ] {
        let mut refs = Vec::new();
        for (name, payload) in frames {
            let key = direction.key(&name);
            let summary = payload["description"].as_str().unwrap_or_default().to_owned();
            messages.insert(
                key.clone(),
                json!({ "name": name, "title": name, "summary": summary, "payload": payload }),
            );
            channel_messages.insert(
                key.clone(),
                json!({ "$ref": format!("#/components/messages/{key}") }),
            );
            refs.push(json!({ "$ref": format!("#/channels/live/messages/{key}") }));
        }
        operations.insert(
            operation.to_owned(),
            json!({ "action": action, "channel": { "$ref": "#/channels/live" }, "messages": refs }),
        );
    }
    Ok(json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Bocha live chat",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "One socket per browser tab (or program) carries every room of its \
                person. Frames are JSON text of at most 16 KiB, each with a `type`. After a \
                reconnection a client sends `sync` with the last `seq` it saw in each room and so \
                misses nothing. A message is acknowledged only once it is stored; a client may \
                send its next messages before that, and they are stored and acknowledged in the \
                order sent. Which instance holds the socket does not matter.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "site": {
                "host": "{host}",
                "protocol": "wss",
                "description": "The site behind TLS. The upgrade needs the session cookie or a \
                    token, and an Origin (when sent) that is the site's own.",
                "variables": { "host": { "default": "localhost", "description": "The site's host (and port)" } },
                "security": [
                    { "$ref": "#/components/securitySchemes/session" },
                    { "$ref": "#/components/securitySchemes/token" },
                ],
            },
            "development": {
                "host": "localhost:8000",
                "protocol": "ws",
                "description": "`bocha serve` on its default address.",
                "security": [
                    { "$ref": "#/components/securitySchemes/session" },
                    { "$ref": "#/components/securitySchemes/token" },
                ],
            },
        },
        "channels": {
            "live": {
                "address": "/ws",
                "title": "The chat socket",
                "description": "Everything of one person's chats: their messages, read receipts, \
                    typing and requests.",
                "messages": channel_messages,
            },
        },
        "operations": operations,
        "components": {
            "messages": messages,
            "schemas": referenced()?,
            "securitySchemes": {
                "session": {
                    "type": "httpApiKey",
                    "name": "bocha_session",
                    "in": "cookie",
                    "description": "A browser's session on the site",
                },
                "token": {
                    "type": "httpApiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "`Token <token>` or `Bearer <token>`, as in the HTTP API",
                },
            },
        },
    }))
}
