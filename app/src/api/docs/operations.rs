//! An operation as the reference shows it: who may call it, its parameters, body and answers.

use serde::Serialize;
use serde_json::{Map, Value};

use super::prose::{Prose, prose};
use super::schemas::{TypeView, type_view};
use super::{FieldView, anchor, text};

#[derive(Debug, Serialize)]
pub(super) struct OperationView {
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

#[derive(Debug, Serialize)]
struct ResponseView {
    status: String,
    description: Prose,
    body: Option<TypeView>,
}

pub(super) fn operation_view(doc: &Value, path: &str, method: &str, operation: &Value) -> OperationView {
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
