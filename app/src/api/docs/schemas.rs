//! Schemas with their properties, and any schema put in a few words.

use serde::Serialize;
use serde_json::Value;

use super::prose::{Prose, prose};
use super::{FieldView, anchor, text};

#[derive(Debug, Serialize)]
pub(crate) struct SchemaView {
    name: String,
    anchor: String,
    description: Prose,
    /// Schemas whose properties this one has too (`allOf`).
    includes: Vec<TypeView>,
    properties: Vec<FieldView>,
}

/// A type as text (`array of Profile`), with a link to the schema it names, if any.
#[derive(Debug, Serialize)]
pub(crate) struct TypeView {
    text: String,
    link: Option<String>,
}

pub(super) fn schema_view(name: &str, schema: &Value) -> SchemaView {
    let mut includes = Vec::new();
    let mut properties = Vec::new();
    let parts: Vec<&Value> = match schema["allOf"].as_array() {
        Some(parts) => parts.iter().collect(),
        None => vec![schema],
    };
    for part in parts {
        if part.get("$ref").is_some() {
            includes.push(type_view(part));
            continue;
        }
        let required: Vec<&str> = part["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (property, definition) in part["properties"].as_object().into_iter().flatten() {
            properties.push(FieldView {
                name: property.clone(),
                location: String::new(),
                kind: type_view(definition),
                required: required.contains(&property.as_str()),
                description: prose(&text(definition, "description")),
            });
        }
    }
    SchemaView {
        name: name.to_owned(),
        anchor: anchor("schema", name),
        description: prose(&text(schema, "description")),
        includes,
        properties,
    }
}

/// A schema in a few words: `string`, `Article`, `array of Comment`, `string or null`.
pub(super) fn type_view(schema: &Value) -> TypeView {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return TypeView {
            text: name.to_owned(),
            link: Some(anchor("schema", name)),
        };
    }
    for combinator in ["oneOf", "anyOf"] {
        if let Some(options) = schema.get(combinator).and_then(Value::as_array) {
            let views: Vec<TypeView> = options.iter().map(type_view).collect();
            let link = views.iter().find_map(|v| v.link.clone());
            let text = views.into_iter().map(|v| v.text).collect::<Vec<_>>().join(" or ");
            return TypeView { text, link };
        }
    }
    let types: Vec<String> = match &schema["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let mut link = None;
    let words: Vec<String> = types
        .iter()
        .map(|t| match t.as_str() {
            "array" => {
                let items = type_view(&schema["items"]);
                link = items.link;
                format!("array of {}", items.text)
            }
            "object" => match schema.get("additionalProperties") {
                Some(values) if values.is_object() => {
                    let values = type_view(values);
                    link = values.link;
                    format!("map of string to {}", values.text)
                }
                _ => "object".to_owned(),
            },
            "string" | "integer" | "number" => match schema.get("format").and_then(Value::as_str) {
                Some(format) => format!("{t} ({format})"),
                None => t.clone(),
            },
            _ => t.clone(),
        })
        .collect();
    TypeView {
        text: if words.is_empty() {
            "any".to_owned()
        } else {
            words.join(" or ")
        },
        link,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_read_as_words() {
        assert_eq!(type_view(&json!({ "type": "string" })).text, "string");
        assert_eq!(
            type_view(&json!({ "type": ["string", "null"] })).text,
            "string or null"
        );
        let list =
            type_view(&json!({ "type": "array", "items": { "$ref": "#/components/schemas/Comment" } }));
        assert_eq!(list.text, "array of Comment");
        assert_eq!(list.link.as_deref(), Some("schema-comment"));
        assert_eq!(
            type_view(&json!({ "oneOf": [{ "type": "null" }, { "$ref": "#/components/schemas/Message" }] }))
                .text,
            "null or Message"
        );
        assert_eq!(type_view(&json!({})).text, "any");
    }
}
