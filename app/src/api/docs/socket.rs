//! The socket's frames as the reference page shows them, read from the AsyncAPI document.

use serde::Serialize;
use serde_json::Value;

use super::prose::{Prose, prose};
use super::schemas::{SchemaView, schema_view};
use crate::api::asyncapi::Direction;

#[derive(Debug, Serialize)]
pub struct SocketView {
    description: Prose,
    from_client: Vec<FrameView>,
    from_server: Vec<FrameView>,
}

#[derive(Debug, Serialize)]
struct FrameView {
    name: String,
    summary: Prose,
    schema: SchemaView,
}

impl SocketView {
    pub fn from_document(doc: &Value) -> Self {
        let frames = |direction: Direction| {
            let mut views = Vec::new();
            for (key, message) in doc["components"]["messages"].as_object().into_iter().flatten() {
                let Some(name) = message["name"].as_str() else {
                    continue;
                };
                if direction.key(name) != *key {
                    continue;
                }
                views.push(FrameView {
                    name: name.to_owned(),
                    summary: prose(message["summary"].as_str().unwrap_or_default()),
                    schema: schema_view(key, &message["payload"]),
                });
            }
            views
        };
        Self {
            description: prose(doc["info"]["description"].as_str().unwrap_or_default()),
            from_client: frames(Direction::FromClient),
            from_server: frames(Direction::FromServer),
        }
    }
}
