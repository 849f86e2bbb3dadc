//! The examples of the OpenAPI document: one for every body sent or answered and for every path
//! parameter, each valid against its own schema. That they are what the API really takes and
//! gives is for `api_examples_replayed`.

use serde_json::Value;

use crate::api_openapi::operations;

/// The examples of a media type object: its `example`, or the values of its `examples`.
pub(crate) fn examples_of(media: &Value) -> Vec<Value> {
    if let Some(example) = media.get("example") {
        return vec![example.clone()];
    }
    media["examples"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, example)| example.get("value").cloned())
        .collect()
}

/// The media types of a request body or a response, by content type.
fn media_types(owner: &Value) -> Vec<(String, Value)> {
    owner["content"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(content_type, media)| (content_type.clone(), media.clone()))
        .collect()
}

fn path_parameters(operation: &Value) -> Vec<Value> {
    operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "path")
        .cloned()
        .collect()
}

/// `path` with each parameter replaced by its example.
pub(crate) fn example_path(path: &str, operation: &Value) -> String {
    let mut filled = path.to_owned();
    for parameter in path_parameters(operation) {
        let value = match &parameter["example"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        filled = filled.replace(&format!("{{{}}}", parameter["name"].as_str().unwrap()), &value);
    }
    filled
}

/// Every example of the document: where it is, its value, and the schema it must match.
fn every_example(document: &Value) -> Vec<(String, Value, Value)> {
    let mut all = Vec::new();
    for (path, method, operation) in operations(document) {
        let what = format!("{method} {path}");
        for parameter in path_parameters(&operation) {
            if let Some(example) = parameter.get("example") {
                let name = &parameter["name"];
                all.push((
                    format!("{what}: {name}"),
                    example.clone(),
                    parameter["schema"].clone(),
                ));
            }
        }
        for (content_type, media) in media_types(&operation["requestBody"]) {
            for example in examples_of(&media) {
                all.push((
                    format!("{what}: request {content_type}"),
                    example,
                    media["schema"].clone(),
                ));
            }
        }
        for (status, response) in operation["responses"].as_object().unwrap() {
            for (content_type, media) in media_types(response) {
                for example in examples_of(&media) {
                    all.push((
                        format!("{what}: {status} {content_type}"),
                        example,
                        media["schema"].clone(),
                    ));
                }
            }
        }
    }
    all
}

fn the_document() -> Value {
    serde_json::to_value(app::api::openapi()).unwrap()
}

#[test]
fn every_body_and_path_parameter_has_an_example() {
    let document = the_document();
    let mut missing = Vec::new();
    for (path, method, operation) in operations(&document) {
        let what = format!("{method} {path}");
        for parameter in path_parameters(&operation) {
            if parameter.get("example").is_none() {
                missing.push(format!("{what}: path parameter {}", parameter["name"]));
            }
        }
        for (content_type, media) in media_types(&operation["requestBody"]) {
            if examples_of(&media).is_empty() {
                missing.push(format!("{what}: request body {content_type}"));
            }
        }
        let responses = operation["responses"].as_object().unwrap();
        let success_examples = responses
            .iter()
            .filter(|(status, _)| status.starts_with('2'))
            .flat_map(|(_, response)| media_types(response))
            .count();
        assert!(
            success_examples > 0 || responses.contains_key("204"),
            "{what}: a success with a body, or 204"
        );
        for (status, response) in responses {
            for (content_type, media) in media_types(response) {
                if examples_of(&media).is_empty() {
                    missing.push(format!("{what}: {status} {content_type}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "no example: {missing:#?}");
    let count = every_example(&document).len();
    assert!(count >= 160, "{count} examples");
}

#[test]
fn every_example_is_valid_against_its_schema() {
    let document = the_document();
    for (what, example, schema) in every_example(&document) {
        let wrapper = serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": document["components"],
            "allOf": [schema],
        });
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&wrapper)
            .unwrap();
        let errors: Vec<String> = validator.iter_errors(&example).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{what}: {errors:?}\n{example}");
    }
}
