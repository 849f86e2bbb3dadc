//! The examples of the OpenAPI document: one for every body sent or answered and for every path
//! parameter, each valid against its own schema; and the reference page showing them with a
//! curl command line for every operation. That they are what the API really takes and gives is
//! for `api_examples_replayed`.

use reqwest::StatusCode;
use serde_json::Value;

use crate::api_openapi::{document, operations};
use crate::helpers::*;

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
        // As a client puts it in a URL: percent-encoded beyond the unreserved characters.
        let value: String = value
            .bytes()
            .map(|byte| match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(byte).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect();
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

/// The page's text as a reader sees it: Tera escapes these in text.
fn unescaped(html: &str) -> String {
    html.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The anchor the page gives an operation.
fn anchor(operation_id: &str) -> String {
    let slug: String = operation_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("op-{}", slug.trim_matches('-'))
}

#[tokio::test]
async fn the_reference_page_shows_a_curl_command_line_and_the_examples_of_every_operation() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let response = reqwest::get(app.url("/api/docs")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = unescaped(&response.text().await.unwrap());
    assert!(
        html.contains("export BOCHA=http://localhost:8000"),
        "$BOCHA is explained"
    );
    let operations = operations(&document);
    let articles: Vec<&str> = html.split("<article class=\"api-op\" id=\"").skip(1).collect();
    assert_eq!(articles.len(), operations.len());
    assert_eq!(html.matches("<code>curl ").count(), operations.len());
    for (path, method, operation) in operations {
        let what = format!("{method} {path}");
        let id = anchor(operation["operationId"].as_str().unwrap());
        let article = articles
            .iter()
            .find(|a| a.starts_with(&format!("{id}\"")))
            .unwrap_or_else(|| panic!("{what}: no section #{id}"));
        let curl = article
            .split("<code>curl ")
            .nth(1)
            .and_then(|rest| rest.split("</code>").next())
            .unwrap_or_else(|| panic!("{what}: no curl"));
        let verb = if method == "get" {
            String::new()
        } else {
            format!("-X {} ", method.to_uppercase())
        };
        let url = example_path(&path, &operation);
        assert!(
            curl.starts_with(&format!("{verb}\"$BOCHA{url}\"")),
            "{what}: {curl}"
        );
        let requires_token = operation["security"]
            .as_array()
            .is_some_and(|s| !s.is_empty() && s.iter().all(|r| r.get("token").is_some()));
        assert_eq!(
            curl.contains("-H \"Authorization: Token $TOKEN\""),
            requires_token,
            "{what}: {curl}"
        );
        let request = media_types(&operation["requestBody"]);
        if let Some((content_type, media)) = request.first().filter(|(t, _)| t == "multipart/form-data") {
            // A form: each file field is sent with -F, naming the example's file.
            for (field, file) in examples_of(media)[0].as_object().unwrap() {
                let option = format!("-F '{field}=@{}'", file.as_str().unwrap());
                assert!(curl.contains(&option), "{what} ({content_type}): {curl}");
            }
        } else if let Some((_, media)) = request.first() {
            let body = examples_of(media)[0].to_string().replace('\'', r"'\''");
            assert!(
                curl.contains("-H 'Content-Type: application/json'"),
                "{what}: {curl}"
            );
            assert!(curl.ends_with(&format!("-d '{body}'")), "{what}: {curl}");
        } else {
            assert!(!curl.contains("-d "), "{what}: {curl}");
        }
        let mut shown = Vec::new();
        for (_, media) in request {
            shown.extend(examples_of(&media));
        }
        for response in operation["responses"].as_object().unwrap().values() {
            for (_, media) in media_types(response) {
                shown.extend(examples_of(&media));
            }
        }
        for example in shown {
            let text = match &example {
                Value::String(text) => text.clone(),
                other => serde_json::to_string_pretty(other).unwrap(),
            };
            assert!(
                article.contains(&format!("<code>{text}</code>")),
                "{what}: example not shown: {text}"
            );
        }
    }
}
