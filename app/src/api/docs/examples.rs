//! Examples as the reference shows them: the document's request and answer bodies, pretty
//! printed, and for every operation a curl command line to try it with.
//!
//! The command lines call `$BOCHA` (the server's address) with `$TOKEN` (a token from
//! registering or logging in), two shell variables the page explains once at its top.

use serde::Serialize;
use serde_json::Value;

/// One example body: its title (the example's summary, when it has several) and its text.
#[derive(Debug, Serialize)]
pub(super) struct ExampleView {
    title: String,
    text: String,
}

/// The examples of a media type object: its `example`, or each of its named `examples`.
pub(super) fn examples(media: &Value) -> Vec<ExampleView> {
    if let Some(value) = media.get("example") {
        return vec![ExampleView {
            title: String::new(),
            text: shown(value),
        }];
    }
    media["examples"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, example)| {
            let value = example.get("value")?;
            let title = example["summary"].as_str().unwrap_or(name);
            Some(ExampleView {
                title: title.to_owned(),
                text: shown(value),
            })
        })
        .collect()
}

/// The value the request examples start with: the `example`, else the first of `examples`.
pub(super) fn first_example(media: &Value) -> Option<&Value> {
    media.get("example").or_else(|| {
        media["examples"]
            .as_object()
            .and_then(|examples| examples.values().find_map(|e| e.get("value")))
    })
}

/// Text as it is (an HTML page, say); anything else as indented JSON.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// What a curl command line needs to know of an operation.
pub(super) struct Call<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The operation's parameters, whose examples fill in the path.
    pub parameters: &'a Value,
    pub token: bool,
    pub body: Option<&'a Value>,
    /// The body is a multipart form, whose example names the file of each file field.
    pub form: bool,
}

/// A curl command line for `call`, one option a line.
pub(super) fn curl(call: &Call) -> String {
    let mut first = String::from("curl");
    if call.method != "get" {
        first.push_str(" -X ");
        first.push_str(&call.method.to_uppercase());
    }
    first.push_str(&format!(
        " \"$BOCHA{}\"",
        example_path(call.path, call.parameters)
    ));
    let mut lines = vec![first];
    if call.token {
        lines.push("-H \"Authorization: Token $TOKEN\"".to_owned());
    }
    match call.body {
        Some(Value::Object(fields)) if call.form => {
            for (name, file) in fields {
                let file = file.as_str().unwrap_or_default();
                lines.push(format!("-F {}", single_quoted(&format!("{name}=@{file}"))));
            }
        }
        Some(body) => {
            lines.push("-H 'Content-Type: application/json'".to_owned());
            lines.push(format!("-d {}", single_quoted(&body.to_string())));
        }
        None => {}
    }
    lines.join(" \\\n  ")
}

/// `path` with each `{name}` replaced by its parameter's example, when it has one.
fn example_path(path: &str, parameters: &Value) -> String {
    let mut filled = path.to_owned();
    for parameter in parameters.as_array().into_iter().flatten() {
        if parameter["in"] != "path" {
            continue;
        }
        let Some(name) = parameter["name"].as_str() else {
            continue;
        };
        let example = parameter
            .get("example")
            .or_else(|| parameter["schema"].get("example"));
        let value = match example {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => continue,
        };
        filled = filled.replace(&format!("{{{name}}}"), &encoded(&value));
    }
    filled
}

/// A path segment percent-encoded down to characters no shell or URL treats specially.
fn encoded(segment: &str) -> String {
    segment
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `text` as one shell word in single quotes, each `'` in it closed, escaped and reopened.
fn single_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_command_line_fills_in_the_path_and_quotes_the_body_for_the_shell() {
        let parameters = json!([
            { "in": "path", "name": "slug", "example": "tea & cake" },
            { "in": "path", "name": "id", "example": 7 },
            { "in": "query", "name": "limit", "example": 5 },
        ]);
        let body = json!({ "comment": { "body": "Jill's" } });
        let call = Call {
            form: false,
            method: "put",
            path: "/api/articles/{slug}/comments/{id}",
            parameters: &parameters,
            token: true,
            body: Some(&body),
        };
        assert_eq!(
            curl(&call),
            "curl -X PUT \"$BOCHA/api/articles/tea%20%26%20cake/comments/7\" \\\n  \
             -H \"Authorization: Token $TOKEN\" \\\n  \
             -H 'Content-Type: application/json' \\\n  \
             -d '{\"comment\":{\"body\":\"Jill'\\''s\"}}'"
        );
        let tags = Call {
            method: "get",
            path: "/api/tags",
            parameters: &Value::Null,
            token: false,
            body: None,
            form: false,
        };
        assert_eq!(curl(&tags), "curl \"$BOCHA/api/tags\"");
    }

    #[test]
    fn examples_are_shown_as_indented_json_or_as_text() {
        let one = examples(&json!({ "example": { "tags": ["tea"] } }));
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].text, "{\n  \"tags\": [\n    \"tea\"\n  ]\n}");
        let named = examples(&json!({ "examples": {
            "email": { "summary": "With the email", "value": { "a": 1 } },
            "page": { "value": "<p>hi</p>" },
        } }));
        let shown: Vec<(&str, &str)> = named
            .iter()
            .map(|e| (e.title.as_str(), e.text.as_str()))
            .collect();
        assert_eq!(
            shown,
            vec![("With the email", "{\n  \"a\": 1\n}"), ("page", "<p>hi</p>")]
        );
    }
}
