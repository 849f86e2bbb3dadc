//! An operation as the reference shows it: who may call it, its parameters, body and answers,
//! their examples, and a command line to call it with.

use serde::Serialize;
use serde_json::{Map, Value};

use super::examples::{Call, ExampleView, curl, examples, first_example};
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
    request: Option<RequestView>,
    responses: Vec<ResponseView>,
    /// A curl command line calling the operation with its examples.
    curl: String,
}

#[derive(Debug, Serialize)]
struct RequestView {
    body: TypeView,
    examples: Vec<ExampleView>,
}

#[derive(Debug, Serialize)]
struct ResponseView {
    status: String,
    /// A 2xx: its examples are shown open, those of errors folded.
    success: bool,
    description: Prose,
    body: Option<TypeView>,
    examples: Vec<ExampleView>,
}

/// The first media type of a request or response, the one the reference shows.
fn media(owner: &Value) -> Option<&Value> {
    owner["content"]
        .as_object()
        .and_then(|content| content.values().next())
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
    let request_media = media(&operation["requestBody"]);
    let request = request_media.map(|media| RequestView {
        body: type_view(&media["schema"]),
        examples: examples(media),
    });
    let responses = operation["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, response)| {
            let media = media(response);
            ResponseView {
                status: status.clone(),
                success: status.starts_with('2'),
                description: prose(&text(response, "description")),
                body: media.map(|media| type_view(&media["schema"])),
                examples: media.map(examples).unwrap_or_default(),
            }
        })
        .collect();
    let form = operation["requestBody"]["content"]
        .get("multipart/form-data")
        .is_some();
    let curl = curl(&Call {
        method,
        path,
        parameters: &operation["parameters"],
        token: auth == "required",
        body: request_media.and_then(first_example),
        form,
    });
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
        curl,
    }
}
