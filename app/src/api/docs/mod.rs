//! The view behind `/api/docs`: the OpenAPI document turned into what a person reads, rendered
//! on the server so the page needs no script and nothing from another site.
//!
//! Operations are read in `operations`, schemas and the types they name in `schemas`, the
//! descriptions' code marks in `prose`, and examples and command lines in `examples`.

mod examples;
mod operations;
mod prose;
mod schemas;
mod socket;

use serde::Serialize;
use serde_json::Value;

use operations::{OperationView, operation_view};
use prose::{Prose, prose};
use schemas::{SchemaView, TypeView, schema_view};
pub use socket::SocketView;

/// The whole reference page.
#[derive(Debug, Serialize)]
pub struct DocsView {
    title: String,
    version: String,
    description: Vec<Prose>,
    groups: Vec<GroupView>,
    schemas: Vec<SchemaView>,
}

/// The operations of one tag, in the order of the document's tags.
#[derive(Debug, Serialize)]
struct GroupView {
    name: String,
    anchor: String,
    description: Prose,
    operations: Vec<OperationView>,
}

/// A parameter or a property.
#[derive(Debug, Serialize)]
struct FieldView {
    name: String,
    /// `path` or `query` for parameters; empty for properties.
    location: String,
    kind: TypeView,
    required: bool,
    description: Prose,
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn anchor(prefix: &str, name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("{prefix}-{}", slug.trim_matches('-'))
}

impl DocsView {
    pub fn from_document(doc: &Value) -> Self {
        let info = &doc["info"];
        let mut groups: Vec<GroupView> = doc["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|tag| GroupView {
                name: text(tag, "name"),
                anchor: anchor("tag", &text(tag, "name")),
                description: prose(&text(tag, "description")),
                operations: Vec::new(),
            })
            .collect();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in METHODS {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let view = operation_view(doc, path, method, operation);
                let tag = operation["tags"][0].as_str().unwrap_or("Other");
                match groups.iter_mut().find(|g| g.name == tag) {
                    Some(group) => group.operations.push(view),
                    None => groups.push(GroupView {
                        name: tag.to_owned(),
                        anchor: anchor("tag", tag),
                        description: Prose::new(),
                        operations: vec![view],
                    }),
                }
            }
        }
        groups.retain(|g| !g.operations.is_empty());
        let schemas = doc["components"]["schemas"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, schema)| schema_view(name, schema))
            .collect();
        Self {
            title: text(info, "title"),
            version: text(info, "version"),
            description: text(info, "description").split("\n\n").map(prose).collect(),
            groups,
            schemas,
        }
    }
}
