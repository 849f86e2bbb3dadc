//! A JSON client for the API tests: requests with or without a token, answers as JSON.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

pub struct Api {
    client: reqwest::Client,
    base: String,
    /// Sent as `Authorization: Token <token>` when set.
    pub token: Option<String>,
}

/// The status and the body (`Value::Null` when empty or not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// The first message under `key` in an `errors` body.
    pub fn error(&self, key: &str) -> &str {
        self.body["errors"][key][0].as_str().unwrap_or_default()
    }
}

impl Api {
    pub fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: app.url(""),
            token: None,
        }
    }

    pub fn with_token(app: &TestApp, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..Self::new(app)
        }
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, format!("{}{path}", self.base));
        match &self.token {
            Some(token) => builder.header("authorization", format!("Token {token}")),
            None => builder,
        }
    }

    pub async fn send(&self, builder: reqwest::RequestBuilder) -> Answer {
        let response = builder.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(self.request(Method::DELETE, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(self.request(Method::POST, path).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(self.request(Method::PUT, path).json(&body)).await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str) -> Answer {
        self.send(self.request(Method::POST, path)).await
    }
}

/// Registers `name` (password [`PASSWORD`]) and returns a client
/// holding its token.
pub async fn register(app: &TestApp, name: &str) -> Api {
    let answer = Api::new(app)
        .post(
            "/api/users",
            json!({ "user": { "username": name, "email": format!("{name}@example.com"), "password": PASSWORD } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    app.confirm_email(&app.browser(), &format!("{name}@example.com"))
        .await;
    let token = answer.body["user"]["token"].as_str().unwrap();
    Api::with_token(app, token)
}

/// Publishes an article as `api`'s user; returns its slug.
pub async fn publish(api: &Api, title: &str, tags: &[&str]) -> String {
    let answer = api
        .post(
            "/api/articles",
            json!({ "article": { "title": title, "description": "About it", "body": "Words", "tagList": tags } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body["article"]["slug"].as_str().unwrap().to_owned()
}

/// A token for a staff member (made the way `bocha createsuperuser` makes one).
pub async fn staff_api(app: &TestApp, username: &str) -> Api {
    app.staff(username).await;
    log_in(app, username).await
}

/// A token for `username`, who has an account with the test password, logging in on `app`.
pub async fn log_in(app: &TestApp, username: &str) -> Api {
    let answer = Api::new(app)
        .post(
            "/api/users/login",
            json!({ "user": { "email": format!("{username}@example.com"), "password": PASSWORD } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    Api::with_token(app, answer.body["user"]["token"].as_str().unwrap())
}
