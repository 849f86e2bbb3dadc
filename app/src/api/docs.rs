//! The view behind `/api/docs`: the OpenAPI document turned into what a person reads, rendered
//! on the server so the page needs no script and nothing from another site.

use serde::Serialize;
use serde_json::{Map, Value};

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

#[derive(Debug, Serialize)]
struct OperationView {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: Prose,
    /// `required`, `optional` or `none`.
    auth: &'static str,
    params: Vec<FieldView>,
    request: Option<TypeView>,
    responses: Vec<ResponseView>,
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

#[derive(Debug, Serialize)]
struct ResponseView {
    status: String,
    description: Prose,
    body: Option<TypeView>,
}

#[derive(Debug, Serialize)]
struct SchemaView {
    name: String,
    anchor: String,
    description: Prose,
    /// Schemas whose properties this one has too (`allOf`).
    includes: Vec<TypeView>,
    properties: Vec<FieldView>,
}

/// A type as text (`array of Profile`), with a link to the schema it names, if any.
#[derive(Debug, Serialize)]
struct TypeView {
    text: String,
    link: Option<String>,
}

/// Text in which `backticks` mark code, as pieces the template shows as text or `<code>`.
type Prose = Vec<Piece>;

#[derive(Debug, Serialize)]
struct Piece {
    text: String,
    code: bool,
}

fn prose(text: &str) -> Prose {
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| Piece {
            text: part.to_owned(),
            code: i % 2 == 1,
        })
        .collect()
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

fn operation_view(doc: &Value, path: &str, method: &str, operation: &Value) -> OperationView {
    // The operation's own requirement, else the document's; `{}` among them means "optional".
    let security = operation.get("security").or_else(|| doc.get("security"));
    let auth = match security.and_then(Value::as_array) {
        None => "none",
        Some(requirements) if requirements.is_empty() => "none",
        Some(requirements)
            if requirements
                .iter()
                .any(|r| r.as_object().is_some_and(Map::is_empty)) =>
        {
            "optional"
        }
        Some(_) => "required",
    };
    let params = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| FieldView {
            name: text(p, "name"),
            location: text(p, "in"),
            kind: type_view(&p["schema"]),
            required: p["required"].as_bool().unwrap_or(false),
            description: prose(&text(p, "description")),
        })
        .collect();
    let request = operation["requestBody"]["content"]
        .as_object()
        .and_then(|content| content.values().next())
        .map(|media| type_view(&media["schema"]));
    let responses = operation["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, response)| ResponseView {
            status: status.clone(),
            description: prose(&text(response, "description")),
            body: response["content"]
                .as_object()
                .and_then(|content| content.values().next())
                .map(|media| type_view(&media["schema"])),
        })
        .collect();
    OperationView {
        anchor: anchor("op", &text(operation, "operationId")),
        method: method.to_owned(),
        path: path.to_owned(),
        summary: text(operation, "summary"),
        description: prose(&text(operation, "description")),
        auth,
        params,
        request,
        responses,
    }
}

fn schema_view(name: &str, schema: &Value) -> SchemaView {
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
fn type_view(schema: &Value) -> TypeView {
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

    #[test]
    fn backticks_mark_code() {
        let pieces = prose("send `Token <t>` or `Bearer <t>`");
        let shown: Vec<(&str, bool)> = pieces.iter().map(|p| (p.text.as_str(), p.code)).collect();
        assert_eq!(
            shown,
            vec![
                ("send ", false),
                ("Token <t>", true),
                (" or ", false),
                ("Bearer <t>", true)
            ]
        );
    }
}
