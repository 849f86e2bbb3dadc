//! No input makes the API answer 5xx: malformed, mistyped, oversized or strangely encoded
//! requests all get a 4xx with an `errors` body. The last test drives every operation of the
//! OpenAPI document with hostile values.

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_client::{Answer, Api, publish, register};
use crate::helpers::*;

fn assert_error_body(answer: &Answer, what: &str) {
    assert!(
        answer.body["errors"].as_object().is_some_and(|e| !e.is_empty()),
        "{what}: {} {}",
        answer.status,
        answer.body
    );
    assert!(
        answer.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{what}"
    );
}

#[tokio::test]
async fn bodies_that_are_not_what_the_api_reads_are_4xx() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let raw = |content_type: Option<&str>, body: Vec<u8>| {
        let builder = jake.request(Method::POST, "/api/articles").body(body);
        match content_type {
            Some(t) => builder.header("content-type", t),
            None => builder,
        }
    };
    let json_type = Some("application/json");
    for (builder, status, what) in [
        (
            raw(json_type, b"{\"article\":".to_vec()),
            StatusCode::BAD_REQUEST,
            "malformed",
        ),
        (raw(json_type, b"".to_vec()), StatusCode::BAD_REQUEST, "empty"),
        (
            raw(json_type, b"{\"article\":{\"title\":\"\xff\xfe\"}}".to_vec()),
            StatusCode::BAD_REQUEST,
            "bad UTF-8",
        ),
        (
            raw(json_type, "[".repeat(10_000).into_bytes()),
            StatusCode::BAD_REQUEST,
            "deep nesting",
        ),
        (
            raw(None, b"{}".to_vec()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "no content type",
        ),
        (
            raw(Some("text/plain"), b"{}".to_vec()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "text",
        ),
        (
            raw(json_type, vec![b' '; 70 * 1024]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "huge",
        ),
        (
            raw(json_type, b"null".to_vec()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "null",
        ),
        (
            raw(json_type, b"[]".to_vec()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "an array",
        ),
        (
            raw(json_type, b"{\"article\":{\"title\":5}}".to_vec()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a number for a string",
        ),
        (
            raw(json_type, b"{\"article\":{\"tagList\":\"a\"}}".to_vec()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "a string for a list",
        ),
        (
            raw(
                json_type,
                br#"{"article":{"title":"a\u0000b","description":"d","body":"b"}}"#.to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "U+0000",
        ),
    ] {
        let answer = jake.send(builder).await;
        assert_eq!(answer.status, status, "{what}: {}", answer.body);
        assert_error_body(&answer, what);
    }
    let answer = jake
        .post(
            "/api/articles",
            json!({ "article": { "title": "T", "description": "D", "body": "B", "extra": [1, 2] }, "more": true }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "unknown fields are ignored");
}

#[tokio::test]
async fn paths_and_queries_of_the_wrong_shape_are_4xx() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    for (path, status) in [
        ("/api/articles/%FF%FE", StatusCode::BAD_REQUEST),
        ("/api/articles/%00", StatusCode::NOT_FOUND),
        ("/api/profiles/%C3%28", StatusCode::BAD_REQUEST),
        ("/api/articles?tag=%00", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/articles?tag=a&tag=b", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/chat/rooms/not-a-uuid", StatusCode::NOT_FOUND),
        (
            "/api/chat/rooms/00000000-0000-0000-0000-000000000000/messages?limit=-1",
            StatusCode::NOT_FOUND,
        ),
        ("/api/nothing/here", StatusCode::NOT_FOUND),
        ("/api", StatusCode::NOT_FOUND),
        ("/api/articles/", StatusCode::NOT_FOUND),
        ("/api/", StatusCode::NOT_FOUND),
    ] {
        let answer = jake.get(path).await;
        assert_eq!(answer.status, status, "{path}: {}", answer.body);
        assert_error_body(&answer, path);
    }
    let answer = jake.send(jake.request(Method::PATCH, "/api/articles")).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.error("method"), "is not allowed here");
    assert_eq!(answer.headers["allow"], "GET,HEAD,POST");
}

#[tokio::test]
async fn browsers_on_other_origins_may_call_with_a_token_but_not_with_cookies() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let preflight = client
        .request(Method::OPTIONS, app.url("/api/articles/some-slug"))
        .header("origin", "https://frontend.example")
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    let allowed = headers["access-control-allow-headers"].to_str().unwrap();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PUT")
    );
    assert!(headers.get("access-control-allow-credentials").is_none());

    let answer = client
        .get(app.url("/api/tags"))
        .header("origin", "https://frontend.example")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["access-control-allow-origin"], "*");
    assert!(answer.headers().get("access-control-allow-credentials").is_none());

    let page = client
        .get(app.url("/"))
        .header("origin", "https://frontend.example")
        .send()
        .await
        .unwrap();
    assert!(
        page.headers().get("access-control-allow-origin").is_none(),
        "pages stay same-origin"
    );
}

/// A path with each `{param}` replaced by `value`.
fn fill(path: &str, value: &str) -> String {
    let mut filled = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        filled.push_str(&rest[..start]);
        filled.push_str(value);
        rest = rest[start..].split_once('}').map_or("", |(_, after)| after);
    }
    filled.push_str(rest);
    filled
}

#[tokio::test]
async fn every_operation_survives_hostile_values() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    publish(&jake, "Target", &["t"]).await;
    let document = Api::new(&app).get("/api/openapi.json").await.body;
    let anonymous = Api::new(&app);
    let path_values = [
        "target",
        "%00",
        "%FF",
        "..",
        "-1",
        "0",
        "18446744073709551616",
        "00000000-0000-0000-0000-000000000000",
        "%E2%80%AE%F0%9F%98%80",
        &"x".repeat(3000),
    ];
    let queries = [
        "",
        "?limit=-1&offset=-1",
        "?limit=1e400&before=-5&after=x",
        "?tag=%00&author=%FF&favorited=",
        "?limit=100&offset=1000000&after=9223372036854775807",
    ];
    let bodies: [Option<Value>; 5] = [
        None,
        Some(json!(null)),
        Some(json!({ "user": {}, "article": {}, "comment": {}, "request": {}, "message": {}, "seq": -1 })),
        Some(
            json!({ "user": { "email": 1 }, "article": { "tagList": [null] }, "message": { "client_id": "x" }, "seq": 9223372036854775807i64 }),
        ),
        Some(
            json!({ "article": { "title": "t".repeat(5000), "tagList": vec!["x"; 50] }, "comment": { "body": "b".repeat(20000) } }),
        ),
    ];
    let mut tries = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            // A body is read only by operations that take one (every route is documented).
            let bodies = if operation["requestBody"].is_null() {
                &bodies[..1]
            } else {
                &bodies[..]
            };
            for value in &path_values {
                for query in &queries {
                    for body in bodies {
                        for api in [&jake, &anonymous] {
                            let url = format!("{}{query}", fill(path, value));
                            tries.push((method.clone(), url, body, api));
                        }
                    }
                }
            }
        }
    }
    let requests = tries.len();
    // A few at a time: tens of thousands one after another took minutes.
    futures_util::stream::iter(tries)
        .for_each_concurrent(4, |(method, url, body, api)| async move {
            let mut builder = api.request(method.clone(), &url);
            if let Some(body) = body {
                builder = builder.json(body);
            }
            let answer = api.send(builder).await;
            assert!(
                answer.status.as_u16() < 500,
                "{method} {url} {body:?}: {} {}",
                answer.status,
                answer.body
            );
            if answer.status.is_client_error() {
                assert_error_body(&answer, &format!("{method} {url}"));
            }
        })
        .await;
    assert!(requests > 3000, "{requests}");
}
