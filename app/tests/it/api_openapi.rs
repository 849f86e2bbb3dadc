//! The OpenAPI document: valid OpenAPI 3.1, listing exactly the routes served, with answers
//! that match it; and the reference page that shows it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api_client::{Answer, Api, publish, register};
use crate::helpers::*;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The official OpenAPI 3.1 schema (spec.openapis.org/oas/3.1/schema/2022-10-07, © the OpenAPI
/// Initiative, Apache License 2.0), copied unchanged from the openapi-spec-validator 0.9.0 package.
const OPENAPI_31_SCHEMA: &str = include_str!("openapi-3.1.schema.json");

pub(crate) async fn document(app: &TestApp) -> Value {
    let answer = Api::new(app).get("/api/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "application/json");
    answer.body
}

pub(crate) fn operations(document: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                all.push((path.clone(), method.to_owned(), operation.clone()));
            }
        }
    }
    all
}

#[tokio::test]
async fn the_document_is_valid_openapi_3_1() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    let meta: Value = serde_json::from_str(OPENAPI_31_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&meta).unwrap();
    let errors: Vec<String> = validator.iter_errors(&document).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The document served is the one the code derives.
    assert_eq!(document, serde_json::to_value(app::api::openapi()).unwrap());

    // Every reference resolves, and every schema is valid JSON Schema.
    let text = document.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().unwrap();
        let name = target.strip_prefix("#/components/schemas/").unwrap();
        assert!(document["components"]["schemas"].get(name).is_some(), "{target}");
    }
    for (name, schema) in document["components"]["schemas"].as_object().unwrap() {
        let mut schema = schema.clone();
        schema["components"] = document["components"].clone();
        assert!(jsonschema::validator_for(&schema).is_ok(), "{name}");
    }
}

#[tokio::test]
async fn every_operation_is_described_with_its_parameters_and_answers() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let mut ids = Vec::new();
    for (path, method, operation) in operations(&document) {
        let what = format!("{method} {path}");
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(
            !id.is_empty() && !ids.contains(&id.to_owned()),
            "{what}: operationId {id}"
        );
        ids.push(id.to_owned());
        assert!(
            !operation["summary"].as_str().unwrap_or_default().is_empty(),
            "{what}: summary"
        );
        assert!(operation["tags"][0].is_string(), "{what}: tag");
        let responses = operation["responses"].as_object().unwrap();
        assert!(responses.keys().any(|s| s.starts_with('2')), "{what}: a success");
        let declared: Vec<&str> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let in_path: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        assert_eq!(declared, in_path, "{what}: path parameters");
        let security = operation["security"].as_array();
        let requires_token =
            security.is_some_and(|s| !s.is_empty() && s.iter().all(|r| r.get("token").is_some()));
        if requires_token {
            assert!(responses.contains_key("401"), "{what}: 401 documented");
        }
    }
    assert!(ids.len() >= 32, "{ids:?}");
    assert!(document["components"]["securitySchemes"]["token"].is_object());
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let jake = register(&app, "jake").await;
    for (path, method, _) in operations(&document) {
        let url = path.replace(['{', '}'], "");
        let method: Method = method.to_uppercase().parse().unwrap();
        let mut builder = jake.request(method.clone(), &url);
        if method != Method::GET && method != Method::DELETE {
            builder = builder.json(&json!({}));
        }
        let answer = jake.send(builder).await;
        assert_ne!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(
            answer.body["errors"].get("route").is_none(),
            "{method} {path} is documented but not routed"
        );
    }
}

/// Routes outside the document could only come from plain `.route(...)` calls: the API's
/// sources have none but the two JSON 404 fallbacks.
#[test]
fn every_api_route_is_registered_through_its_documentation() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut dirs = vec![root.clone()];
    let mut plain = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let name = path.strip_prefix(&root).unwrap().display().to_string();
            let source = std::fs::read_to_string(&path).unwrap();
            for line in source
                .lines()
                .filter(|l| l.contains(".route(") || l.contains(".nest("))
            {
                plain.push(format!("{name}: {}", line.trim()));
            }
        }
    }
    plain.sort();
    assert_eq!(
        plain,
        vec![
            "mod.rs: .route(\"/api\", any(unknown))".to_owned(),
            "mod.rs: .route(\"/api/\", any(unknown))".to_owned(),
            "mod.rs: .route(\"/api/{*rest}\", any(unknown))".to_owned(),
        ]
    );
}

/// Checks `answer` against what the document says `method path` answers with its status.
pub(crate) fn assert_conforms(document: &Value, method: &str, path: &str, answer: &Answer) {
    let status = answer.status.as_u16().to_string();
    let response = &document["paths"][path][method]["responses"][&status];
    assert!(
        response.is_object(),
        "{method} {path}: {status} is not documented"
    );
    let Some(content) = response["content"].as_object() else {
        assert!(
            answer.body.is_null(),
            "{method} {path}: {status} has no documented body"
        );
        return;
    };
    let schema = &content["application/json"]["schema"];
    let wrapper = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&wrapper)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&answer.body)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:?}\n{}",
        answer.body
    );
}

#[tokio::test]
async fn answers_match_the_document() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let anonymous = Api::new(&app);
    let jake = register(&app, "jake").await;
    let jill = register(&app, "jill").await;
    let slug = publish(&jake, "Shapes", &["b", "a"]).await;
    let article = format!("/api/articles/{slug}");
    let comment = jill
        .post(
            &format!("{article}/comments"),
            json!({ "comment": { "body": "Hi" } }),
        )
        .await;
    let id = comment.body["comment"]["id"].as_i64().unwrap();
    let request = jake
        .post(
            "/api/chat/requests",
            json!({ "request": { "to": "jill", "message": "Talk?" } }),
        )
        .await;
    let request_id = request.body["request"]["id"].as_str().unwrap().to_owned();
    let room = jill
        .post_empty(&format!("/api/chat/requests/{request_id}/approve"))
        .await;
    let room_id = room.body["room"]["id"].as_str().unwrap().to_owned();
    let sent = jake
        .post(
            &format!("/api/chat/rooms/{room_id}/messages"),
            json!({ "message": { "body": "Hello", "client_id": uuid::Uuid::new_v4() } }),
        )
        .await;

    let checks: Vec<(&str, &str, Answer)> = vec![
        ("post", "/api/articles/{slug}/comments", comment),
        ("post", "/api/chat/requests", request),
        ("post", "/api/chat/requests/{id}/approve", room),
        ("post", "/api/chat/rooms/{id}/messages", sent),
        (
            "post",
            "/api/users/login",
            anonymous
                .post(
                    "/api/users/login",
                    json!({ "user": { "email": "jake@example.com", "password": PASSWORD } }),
                )
                .await,
        ),
        (
            "post",
            "/api/users/login",
            anonymous
                .post(
                    "/api/users/login",
                    json!({ "user": { "email": "jake@example.com", "password": "nope" } }),
                )
                .await,
        ),
        ("get", "/api/user", jake.get("/api/user").await),
        ("get", "/api/user", anonymous.get("/api/user").await),
        (
            "put",
            "/api/user",
            jake.put("/api/user", json!({ "user": { "bio": "Hi" } })).await,
        ),
        (
            "put",
            "/api/user",
            jake.put("/api/user", json!({ "user": { "username": "jill" } }))
                .await,
        ),
        (
            "get",
            "/api/profiles/{username}",
            jill.get("/api/profiles/jake").await,
        ),
        (
            "get",
            "/api/profiles/{username}",
            jill.get("/api/profiles/nobody").await,
        ),
        (
            "post",
            "/api/profiles/{username}/follow",
            jill.post_empty("/api/profiles/jake/follow").await,
        ),
        ("get", "/api/articles", jill.get("/api/articles").await),
        ("get", "/api/articles", jill.get("/api/articles?limit=0").await),
        ("get", "/api/articles/feed", jill.get("/api/articles/feed").await),
        ("get", "/api/articles/{slug}", jill.get(&article).await),
        (
            "put",
            "/api/articles/{slug}",
            jill.put(&article, json!({ "article": { "body": "x" } })).await,
        ),
        (
            "put",
            "/api/articles/{slug}",
            jake.put(&article, json!({ "article": { "body": "New" } })).await,
        ),
        (
            "post",
            "/api/articles/{slug}/favorite",
            jill.post_empty(&format!("{article}/favorite")).await,
        ),
        (
            "get",
            "/api/articles/{slug}/comments",
            anonymous.get(&format!("{article}/comments")).await,
        ),
        ("get", "/api/tags", anonymous.get("/api/tags").await),
        ("get", "/api/chat/requests", jake.get("/api/chat/requests").await),
        ("get", "/api/chat/rooms", jake.get("/api/chat/rooms").await),
        (
            "get",
            "/api/chat/rooms/{id}",
            jake.get(&format!("/api/chat/rooms/{room_id}")).await,
        ),
        (
            "get",
            "/api/chat/rooms/{id}/messages",
            jill.get(&format!("/api/chat/rooms/{room_id}/messages")).await,
        ),
        (
            "put",
            "/api/chat/rooms/{id}/messages/{seq}",
            jake.put(
                &format!("/api/chat/rooms/{room_id}/messages/1"),
                json!({ "message": { "body": "Hello again" } }),
            )
            .await,
        ),
        (
            "post",
            "/api/chat/rooms/{id}/read",
            jill.post(&format!("/api/chat/rooms/{room_id}/read"), json!({ "seq": 1 }))
                .await,
        ),
        (
            "delete",
            "/api/articles/{slug}/comments/{id}",
            jake.delete(&format!("{article}/comments/{id}")).await,
        ),
        ("delete", "/api/articles/{slug}", jake.delete(&article).await),
    ];
    for (method, path, answer) in &checks {
        assert_conforms(&doc, method, path, answer);
    }
}

#[tokio::test]
async fn the_reference_page_lists_every_operation_and_loads_nothing_from_elsewhere() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let response = reqwest::get(app.url("/api/docs")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // Tera escapes `/` in text.
    let html = response.text().await.unwrap().replace("&#x2F;", "/");
    for (path, method, operation) in operations(&document) {
        assert!(html.contains(&format!("<code>{path}</code>")), "{path}");
        assert!(html.contains(&format!("api-method--{method}")), "{method} {path}");
        let summary = operation["summary"].as_str().unwrap().replace('\'', "&#x27;");
        assert!(html.contains(&summary), "{path}: {summary}");
    }
    for schema in document["components"]["schemas"].as_object().unwrap().keys() {
        assert!(html.contains(&format!("<code>{schema}</code>")), "{schema}");
    }
    assert!(!html.contains("<script"), "no scripts");
    assert!(
        !html.contains("style="),
        "no inline styles (the CSP forbids them)"
    );
    for attribute in ["src=\"", "href=\""] {
        for value in html.split(attribute).skip(1) {
            let target = value.split('"').next().unwrap();
            assert!(
                target.starts_with('/') || target.starts_with('#'),
                "{attribute}{target}"
            );
        }
    }
}
