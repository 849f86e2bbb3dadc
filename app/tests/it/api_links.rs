//! What mailed links do, through the API: a forgotten password, confirming the address, a
//! change of address and its report, resending, and the chat mail setting.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_client::{Api, register};
use crate::helpers::{PASSWORD, TestApp, link_in};

/// The token of the link to `path` in the newest mail `subject` to `to`.
async fn mailed_token(app: &TestApp, to: &str, subject: &str, path: &str) -> String {
    let mail = app.mail_to(to, subject).await;
    link_in(&mail, path).trim_start_matches(path).to_owned()
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_api() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let anonymous = Api::new(&app);
    for email in ["jake@example.com", "nobody@example.com"] {
        let answer = anonymous
            .post(
                "/api/users/password/forgot",
                json!({ "user": { "email": email } }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{email}");
    }
    let token = mailed_token(
        &app,
        "jake@example.com",
        "Reset your password",
        "/password/reset/",
    )
    .await;
    let weak = anonymous
        .post(
            "/api/users/password/reset",
            json!({ "token": token, "password": "short" }),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reset = anonymous
        .post(
            "/api/users/password/reset",
            json!({ "token": token, "password": "jake-flies-again" }),
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert_eq!(reset.body["user"]["username"], "jake");
    // The old token ended; the fresh one works; the link is spent.
    assert_eq!(jake.get("/api/user").await.status, StatusCode::UNAUTHORIZED);
    let fresh = Api::with_token(&app, reset.body["user"]["token"].as_str().unwrap());
    assert_eq!(fresh.get("/api/user").await.status, StatusCode::OK);
    let again = anonymous
        .post(
            "/api/users/password/reset",
            json!({ "token": token, "password": "jake-flies-twice" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::GONE);
    let login = anonymous
        .post(
            "/api/users/login",
            json!({ "user": { "email": "jake@example.com", "password": "jake-flies-again" } }),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
}

#[tokio::test]
async fn an_address_is_confirmed_and_changed_through_the_api() {
    let app = TestApp::spawn().await;
    let anonymous = Api::new(&app);
    let signed_up = anonymous
        .post(
            "/api/users",
            json!({ "user": { "username": "ivy", "email": "ivy@example.com", "password": PASSWORD } }),
        )
        .await;
    let ivy = Api::with_token(&app, signed_up.body["user"]["token"].as_str().unwrap());
    let resent = ivy.post_empty("/api/user/email/confirmation").await;
    assert_eq!(resent.status, StatusCode::NO_CONTENT);
    let token = mailed_token(
        &app,
        "ivy@example.com",
        "Confirm your email address",
        "/account/confirm/",
    )
    .await;
    let confirmed = anonymous
        .post("/api/users/email/confirm", json!({ "token": token }))
        .await;
    assert_eq!(confirmed.status, StatusCode::NO_CONTENT);
    let again = ivy.post_empty("/api/user/email/confirmation").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    let changed = ivy
        .put(
            "/api/user",
            json!({ "user": { "email": "ivy@new.example", "current_password": PASSWORD } }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(changed.body["user"]["email"], "ivy@example.com");
    let kept = ivy.delete("/api/user/email/change").await;
    assert_eq!(kept.status, StatusCode::NO_CONTENT);
    let token = mailed_token(
        &app,
        "ivy@new.example",
        "Confirm your new email address",
        "/account/email/confirm/",
    )
    .await;
    let dropped = anonymous
        .post("/api/users/email/change/confirm", json!({ "token": token }))
        .await;
    assert_eq!(
        dropped.status,
        StatusCode::GONE,
        "a dropped change cannot be completed"
    );

    ivy.put(
        "/api/user",
        json!({ "user": { "email": "ivy@other.example", "current_password": PASSWORD } }),
    )
    .await;
    let token = mailed_token(
        &app,
        "ivy@other.example",
        "Confirm your new email address",
        "/account/email/confirm/",
    )
    .await;
    let done = anonymous
        .post("/api/users/email/change/confirm", json!({ "token": token }))
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    assert_eq!(
        ivy.get("/api/user").await.body["user"]["email"],
        "ivy@other.example"
    );
    let report = mailed_token(
        &app,
        "ivy@example.com",
        "Your email address is being changed",
        "/account/email/report/",
    )
    .await;
    let undone = anonymous
        .post("/api/users/email/change/report", json!({ "token": report }))
        .await;
    assert_eq!(undone.status, StatusCode::NO_CONTENT);
    assert_eq!(ivy.get("/api/user").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.count("select count(*) from users where email = 'ivy@example.com' and email_confirmed")
            .await,
        1
    );
}

#[tokio::test]
async fn chat_mail_is_turned_off_and_on_through_the_api() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    for (on, expected) in [(false, false), (true, true)] {
        let answer = jake
            .put("/api/user/notifications", json!({ "chat_email": on }))
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT);
        assert_eq!(
            app.count("select count(*) from users where chat_email").await,
            i64::from(expected)
        );
    }
    assert_eq!(
        app.count("select count(*) from events where event_type = 'NotificationsChanged'")
            .await,
        2
    );
}
