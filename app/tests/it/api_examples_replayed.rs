//! The examples of the OpenAPI document are what the API really takes and gives: the errors
//! documented are the errors answered, and (in `api_examples_story`) the story they tell plays
//! as they tell it. Here too: reading examples from the document, and comparing answers to them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_client::{Answer, Api};
use crate::api_examples::{example_path, examples_of};
use crate::api_openapi::{document, operations};
use crate::helpers::*;

pub(crate) struct Doc(pub(crate) Value);

impl Doc {
    fn operation(&self, method: &str, path: &str) -> &Value {
        let operation = &self.0["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        operation
    }

    /// The request body examples of `method path`.
    pub(crate) fn requests(&self, method: &str, path: &str) -> Vec<Value> {
        examples_of(&self.operation(method, path)["requestBody"]["content"]["application/json"])
    }

    pub(crate) fn request(&self, method: &str, path: &str) -> Value {
        self.requests(method, path).remove(0)
    }

    /// The request body example `name` of `method path`, of several.
    pub(crate) fn named_request(&self, method: &str, path: &str, name: &str) -> Value {
        let media = &self.operation(method, path)["requestBody"]["content"]["application/json"];
        let example = media["examples"][name]["value"].clone();
        assert!(example.is_object(), "{method} {path}: no example {name}");
        example
    }

    /// The example answer of `method path` with `status`.
    pub(crate) fn answer(&self, method: &str, path: &str, status: u16) -> Value {
        let media =
            &self.operation(method, path)["responses"][status.to_string()]["content"]["application/json"];
        examples_of(media)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("{method} {path}: no {status} example"))
    }

    /// `path` with its parameters' examples.
    pub(crate) fn url(&self, method: &str, path: &str) -> String {
        example_path(path, self.operation(method, path))
    }

    /// `answer` has the fields of the example for its status, with the same values but for
    /// those that differ from run to run (ids, tokens, times, positions in the log).
    pub(crate) fn assert_like(&self, method: &str, path: &str, answer: &Answer) {
        let status = answer.status.as_u16();
        let expected = self.answer(method, path, status);
        let mut differences = Vec::new();
        like(&expected, &answer.body, "", &mut differences);
        assert!(
            differences.is_empty(),
            "{method} {path} {status}: {differences:#?}\n{}",
            answer.body
        );
    }

    /// `answer` has `status` and exactly the example documented for it.
    pub(crate) fn assert_exactly(&self, method: &str, path: &str, status: StatusCode, answer: &Answer) {
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
        assert_eq!(
            answer.body,
            self.answer(method, path, status.as_u16()),
            "{method} {path}"
        );
    }
}

/// What a string that changes from run to run is: ids (alone or joined by `:`), times.
fn kind(key: &str, text: &str) -> Option<&'static str> {
    if key == "token" {
        return Some("token");
    }
    if text.split(':').all(|part| part.parse::<uuid::Uuid>().is_ok()) {
        return Some("id");
    }
    if chrono::DateTime::parse_from_rfc3339(text).is_ok() {
        return Some("time");
    }
    None
}

fn like(expected: &Value, actual: &Value, at: &str, differences: &mut Vec<String>) {
    let key = at.rsplit('.').next().unwrap_or_default();
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            let (mut want, mut got): (Vec<&String>, Vec<&String>) =
                (expected.keys().collect(), actual.keys().collect());
            want.sort();
            got.sort();
            if want != got {
                differences.push(format!("{at}: fields {want:?}, answered {got:?}"));
            }
            for (field, value) in expected {
                if let Some(answered) = actual.get(field) {
                    like(value, answered, &format!("{at}.{field}"), differences);
                }
            }
        }
        (Value::Array(expected), Value::Array(actual)) if expected.len() == actual.len() => {
            for (i, (value, answered)) in expected.iter().zip(actual).enumerate() {
                like(value, answered, &format!("{at}[{i}]"), differences);
            }
        }
        (Value::String(want), Value::String(got)) if kind(key, want).is_some() => {
            if kind(key, want) != kind(key, got)
                || (kind(key, want) == Some("time") && want.len() != got.len())
            {
                differences.push(format!("{at}: {want:?}, answered {got:?}"));
            }
        }
        (Value::Number(_), Value::Number(_)) if ["id", "position", "next"].contains(&key) => {}
        _ if expected == actual => {}
        _ => differences.push(format!("{at}: {expected}, answered {actual}")),
    }
}

pub(crate) fn token(answer: &Answer) -> String {
    assert!(answer.status.is_success(), "{}", answer.body);
    answer.body["user"]["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_errors_documented_are_the_errors_answered() {
    let app = TestApp::spawn().await;
    let doc = Doc(document(&app).await);
    let anonymous = Api::new(&app);
    let forged = Api::with_token(&app, "not-a-token");

    // A missing token where one is needed, a bad one anywhere.
    for (path, method, operation) in operations(&doc.0) {
        let Some(security) = operation["security"].as_array() else {
            continue;
        };
        let optional = security
            .iter()
            .any(|r| r.as_object().is_some_and(|r| r.is_empty()));
        let api = if optional { &forged } else { &anonymous };
        let mut request = api.request(method.to_uppercase().parse().unwrap(), &doc.url(&method, &path));
        if let Some(body) = doc.requests(&method, &path).into_iter().next() {
            request = request.json(&body);
        }
        let answer = api.send(request).await;
        doc.assert_exactly(&method, &path, StatusCode::UNAUTHORIZED, &answer);
    }

    let jake = Api::with_token(
        &app,
        &token(
            &anonymous
                .post("/api/users", doc.request("post", "/api/users"))
                .await,
        ),
    );
    let jill = anonymous
        .post(
            "/api/users",
            json!({ "user": { "username": "jill", "email": "jill@jill.jill", "password": PASSWORD } }),
        )
        .await;
    let jill = Api::with_token(&app, &token(&jill));
    // Both follow the link mailed to their address, which opens chat to them.
    let jakes = doc.request("post", "/api/users")["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    app.confirm_email(&app.browser(), &jakes).await;
    app.confirm_email(&app.browser(), "jill@jill.jill").await;
    let wrong = json!({ "user": { "email": "jake", "password": "not jake's password" } });
    let answer = anonymous.post("/api/users/login", wrong).await;
    doc.assert_exactly("post", "/api/users/login", StatusCode::UNAUTHORIZED, &answer);
    let answer = jake.post_empty("/api/profiles/jake/follow").await;
    let follow = "/api/profiles/{username}/follow";
    doc.assert_exactly("post", follow, StatusCode::UNPROCESSABLE_ENTITY, &answer);
    let answer = jill.get("/api/profiles/nobody").await;
    doc.assert_exactly("get", "/api/profiles/{username}", StatusCode::NOT_FOUND, &answer);

    let slug = "/api/articles/{slug}";
    let article = doc.url("get", slug);
    assert_eq!(
        jake.post("/api/articles", doc.request("post", "/api/articles"))
            .await
            .status,
        StatusCode::CREATED
    );
    let answer = jill.put(&article, doc.request("put", slug)).await;
    doc.assert_exactly("put", slug, StatusCode::FORBIDDEN, &answer);
    let answer = jake.put(&article, json!({ "article": { "title": null } })).await;
    doc.assert_exactly("put", slug, StatusCode::UNPROCESSABLE_ENTITY, &answer);
    doc.assert_exactly(
        "delete",
        slug,
        StatusCode::FORBIDDEN,
        &jill.delete(&article).await,
    );
    let answer = anonymous.get("/api/articles/how-to-train-your-cat").await;
    doc.assert_exactly("get", slug, StatusCode::NOT_FOUND, &answer);
    // Revisions: an article or revision that does not exist, another's restore.
    let revisions = "/api/articles/{slug}/revisions";
    let answer = anonymous
        .get("/api/articles/how-to-train-your-cat/revisions")
        .await;
    doc.assert_exactly("get", revisions, StatusCode::NOT_FOUND, &answer);
    let revision = "/api/articles/{slug}/revisions/{n}";
    let answer = anonymous
        .get(&format!("{}/revisions/9", doc.url("get", slug)))
        .await;
    doc.assert_exactly("get", revision, StatusCode::NOT_FOUND, &answer);
    let restore = "/api/articles/{slug}/revisions/{n}/restore";
    let answer = jill.post_empty(&doc.url("post", restore)).await;
    doc.assert_exactly("post", restore, StatusCode::FORBIDDEN, &answer);
    let answer = jake
        .post_empty(&format!("{}/revisions/9/restore", doc.url("get", slug)))
        .await;
    doc.assert_exactly("post", restore, StatusCode::NOT_FOUND, &answer);
    let answer = anonymous.get("/api/articles?limit=0").await;
    doc.assert_exactly("get", "/api/articles", StatusCode::UNPROCESSABLE_ENTITY, &answer);
    let comments = "/api/articles/{slug}/comments";
    let answer = jill
        .post(&doc.url("post", comments), json!({ "comment": { "body": " " } }))
        .await;
    doc.assert_exactly("post", comments, StatusCode::UNPROCESSABLE_ENTITY, &answer);
    let answer = anonymous
        .get(&format!("{}?limit=501", doc.url("get", comments)))
        .await;
    doc.assert_exactly("get", comments, StatusCode::UNPROCESSABLE_ENTITY, &answer);

    let ask = doc.request("post", "/api/chat/requests");
    let asked = jake.post("/api/chat/requests", ask.clone()).await;
    assert_eq!(asked.status, StatusCode::CREATED);
    let answer = jake.post("/api/chat/requests", ask).await;
    let requests = "/api/chat/requests";
    doc.assert_exactly("post", requests, StatusCode::UNPROCESSABLE_ENTITY, &answer);
    let request = format!("{requests}/{}", asked.body["request"]["id"].as_str().unwrap());
    let answer = jake.post_empty(&format!("{request}/approve")).await;
    let approve = "/api/chat/requests/{id}/approve";
    doc.assert_exactly("post", approve, StatusCode::FORBIDDEN, &answer);
    let declined = jill.post_empty(&format!("{request}/decline")).await;
    assert_eq!(declined.status, StatusCode::OK);
    let answer = jill.post_empty(&format!("{request}/approve")).await;
    doc.assert_exactly("post", approve, StatusCode::UNPROCESSABLE_ENTITY, &answer);
    let answer = jake.delete(&request).await;
    doc.assert_exactly(
        "delete",
        "/api/chat/requests/{id}",
        StatusCode::UNPROCESSABLE_ENTITY,
        &answer,
    );
    let answer = jill.get("/api/audit/events").await;
    doc.assert_exactly("get", "/api/audit/events", StatusCode::NOT_FOUND, &answer);

    // Mailed links: the example's token is no link of this site's.
    for path in [
        "/api/users/password/reset",
        "/api/users/email/confirm",
        "/api/users/email/change/confirm",
        "/api/users/email/change/report",
    ] {
        let answer = anonymous.post(path, doc.request("post", path)).await;
        doc.assert_exactly("post", path, StatusCode::GONE, &answer);
    }
    let forgot = "/api/users/password/forgot";
    let answer = anonymous
        .post(forgot, json!({ "user": { "email": "jake" } }))
        .await;
    doc.assert_exactly("post", forgot, StatusCode::UNPROCESSABLE_ENTITY, &answer);
    let resend = "/api/user/email/confirmation";
    doc.assert_exactly(
        "post",
        resend,
        StatusCode::UNPROCESSABLE_ENTITY,
        &jake.post_empty(resend).await,
    );
    let notifications = "/api/user/notifications";
    let answer = jake.put(notifications, json!({})).await;
    doc.assert_exactly("put", notifications, StatusCode::UNPROCESSABLE_ENTITY, &answer);
}
