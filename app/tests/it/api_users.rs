//! `/api/users` and `/api/user`: registration, login, the current user and its changes.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::api_client::{Api, register};
use crate::helpers::*;

fn new_user(username: &str, email: &str, password: &str) -> serde_json::Value {
    json!({ "user": { "username": username, "email": email, "password": password } })
}

#[tokio::test]
async fn registering_returns_the_user_with_a_token_that_works_in_both_schemes() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let answer = api
        .post("/api/users", new_user("jake", "jake@jake.jake", PASSWORD))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let user = &answer.body["user"];
    assert_eq!(user["username"], "jake");
    assert_eq!(user["email"], "jake@jake.jake");
    assert!(user["bio"].is_null() && user["image"].is_null());
    let token = user["token"].as_str().unwrap();

    for scheme in ["Token", "Bearer"] {
        let answer = api
            .send(
                api.request(Method::GET, "/api/user")
                    .header("authorization", format!("{scheme} {token}")),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{scheme}");
        assert_eq!(answer.body["user"]["username"], "jake");
    }
}

#[tokio::test]
async fn blank_fields_are_422_and_taken_names_are_409() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    let answer = api.post("/api/users", new_user("", "", "")).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["username", "email", "password"] {
        assert_eq!(answer.error(field), "can't be blank", "{field}");
    }
    let answer = api
        .post(
            "/api/users",
            json!({ "user": { "username": null, "email": "a@b.c" } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.error("username"), "can't be blank");

    let answer = api
        .post("/api/users", new_user("jake", "jake@x.io", "short"))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.error("password"), "must be at least 8 characters");

    register(&app, "jake").await;
    let answer = api
        .post("/api/users", new_user("JAKE", "other@x.io", PASSWORD))
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.error("username"), "has already been taken");
    let answer = api
        .post("/api/users", new_user("other", "Jake@Example.com", PASSWORD))
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.error("email"), "has already been taken");
    assert!(answer.body["errors"].get("username").is_none());
}

#[tokio::test]
async fn a_common_password_is_refused_on_every_door() {
    let app = TestApp::spawn().await;
    let answer = Api::new(&app)
        .post("/api/users", new_user("jake", "jake@x.io", "password123"))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let browser = app.browser();
    let response = browser.sign_up("jill", "jill@x.io", "password123").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn login_gives_the_same_401_for_an_unknown_email_and_a_wrong_password() {
    let app = TestApp::spawn().await;
    register(&app, "jake").await;
    let api = Api::new(&app);
    let login = |email: &str, password: &str| json!({ "user": { "email": email, "password": password } });

    let answer = api
        .post("/api/users/login", login("jake@example.com", PASSWORD))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["user"]["username"], "jake");
    let token = answer.body["user"]["token"].as_str().unwrap();
    let me = Api::with_token(&app, token).get("/api/user").await;
    assert_eq!(me.status, StatusCode::OK);

    let wrong = api
        .post("/api/users/login", login("jake@example.com", "wrong password"))
        .await;
    let unknown = api
        .post("/api/users/login", login("nobody@example.com", PASSWORD))
        .await;
    for answer in [&wrong, &unknown] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.body, json!({ "errors": { "credentials": ["invalid"] } }));
    }

    let answer = api.post("/api/users/login", login("", "")).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.error("email"), "can't be blank");
    assert_eq!(answer.error("password"), "can't be blank");
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled_like_the_sites() {
    let app = TestApp::spawn().await;
    register(&app, "jake").await;
    let api = Api::new(&app);
    let wrong = json!({ "user": { "email": "jake@example.com", "password": "not the password" } });
    for _ in 0..5 {
        assert_eq!(
            api.post("/api/users/login", wrong.clone()).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let answer = api
        .post(
            "/api/users/login",
            json!({ "user": { "email": "jake@example.com", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.headers.contains_key("retry-after"));
    assert!(
        answer
            .error("credentials")
            .starts_with("too many failed attempts")
    );
}

#[tokio::test]
async fn the_current_user_needs_a_valid_token() {
    let app = TestApp::spawn().await;
    let answer = Api::new(&app).get("/api/user").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.body, json!({ "errors": { "token": ["is missing"] } }));
    for token in ["garbage", "a.b", ""] {
        let answer = Api::with_token(&app, token).get("/api/user").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(answer.error("token"), "is invalid");
    }
    let api = Api::new(&app);
    let answer = api
        .send(
            api.request(Method::GET, "/api/user")
                .header("authorization", "Basic amFrZTpqYWtl"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn updating_the_user_changes_only_what_is_sent() {
    let app = TestApp::spawn().await;
    let api = register(&app, "jake").await;
    let answer = api
        .put(
            "/api/user",
            json!({ "user": { "bio": "I like to skateboard", "image": "https://example.com/jake.jpg" } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["user"]["bio"], "I like to skateboard");
    assert_eq!(answer.body["user"]["image"], "https://example.com/jake.jpg");
    assert_eq!(answer.body["user"]["username"], "jake");

    // "" and null both clear the nullable fields.
    let answer = api.put("/api/user", json!({ "user": { "bio": "" } })).await;
    assert!(answer.body["user"]["bio"].is_null());
    assert_eq!(answer.body["user"]["image"], "https://example.com/jake.jpg");
    let answer = api.put("/api/user", json!({ "user": { "image": null } })).await;
    assert!(answer.body["user"]["image"].is_null());

    // An unchanged email is no change, and no conflict with itself.
    let answer = api
        .put("/api/user", json!({ "user": { "email": "jake@example.com" } }))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn invalid_updates_are_refused_with_a_message_per_field() {
    let app = TestApp::spawn().await;
    let api = register(&app, "jake").await;
    register(&app, "jill").await;
    for (body, field, status) in [
        (json!({ "email": "" }), "email", StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({ "email": null }),
            "email",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "username": "" }),
            "username",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "username": null }),
            "username",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "username": "no spaces" }),
            "username",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "password": "" }),
            "password",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "password": null }),
            "password",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "password": "short7c" }),
            "password",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "image": "javascript:alert(1)" }),
            "image",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({ "username": "Jill" }), "username", StatusCode::CONFLICT),
        (
            json!({ "email": "jill@example.com", "current_password": PASSWORD }),
            "email",
            StatusCode::CONFLICT,
        ),
        (
            json!({ "password": "a brand new sentence" }),
            "current_password",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let answer = api.put("/api/user", json!({ "user": body.clone() })).await;
        assert_eq!(answer.status, status, "{body}");
        assert!(!answer.error(field).is_empty(), "{body}: {}", answer.body);
    }
    let answer = Api::new(&app)
        .put("/api/user", json!({ "user": { "bio": "x" } }))
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.error("token"), "is missing");
}

#[tokio::test]
async fn tokens_survive_name_and_email_changes_but_not_a_new_password() {
    let app = TestApp::spawn().await;
    let api = register(&app, "jake").await;
    let renamed = api
        .put(
            "/api/user",
            json!({ "user": { "username": "jacob", "email": "jacob@example.com", "current_password": PASSWORD } }),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK);
    let me = api.get("/api/user").await;
    assert_eq!(
        me.status,
        StatusCode::OK,
        "the token survives a new name and email"
    );
    assert_eq!(me.body["user"]["username"], "jacob");
    // A new address takes effect through the link mailed to it; the token lives on.
    assert_eq!(me.body["user"]["email"], "jake@example.com");
    let mail = app
        .mail_to("jacob@example.com", "Confirm your new email address")
        .await;
    let confirmed = app
        .browser()
        .get(&crate::helpers::link_in(&mail, "/account/email/confirm/"))
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let me = api.get("/api/user").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user"]["email"], "jacob@example.com");

    let answer = api
        .put(
            "/api/user",
            json!({ "user": { "password": &"a".repeat(64), "current_password": PASSWORD } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let fresh = answer.body["user"]["token"].as_str().unwrap().to_owned();
    assert_eq!(
        api.get("/api/user").await.status,
        StatusCode::UNAUTHORIZED,
        "but not a new password"
    );
    assert_eq!(
        Api::with_token(&app, &fresh).get("/api/user").await.status,
        StatusCode::OK
    );
    let login = Api::new(&app)
        .post(
            "/api/users/login",
            json!({ "user": { "email": "jacob@example.com", "password": "a".repeat(64) } }),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
}

#[tokio::test]
async fn the_sites_session_reads_the_api_but_writes_only_with_the_csrf_header() {
    let app = TestApp::spawn().await;
    let browser = app.signed_in("jake").await;
    let me = browser.get("/api/user").await;
    assert_eq!(me.status(), StatusCode::OK);
    let refused = browser
        .client
        .put(browser.url("/api/user"))
        .json(&json!({ "user": { "bio": "x" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let token = browser.csrf_token().await;
    let allowed = browser
        .client
        .put(browser.url("/api/user"))
        .header("x-csrf-token", token)
        .json(&json!({ "user": { "bio": "x" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), StatusCode::OK);
}

#[tokio::test]
async fn pictures_on_this_site_are_answered_as_absolute_urls_and_kept_as_paths() {
    let app = TestApp::spawn().await;
    let ann = crate::api_client::register(&app, "ann").await;
    let ben = crate::api_client::register(&app, "ben").await;
    let path = "/media/images/0123456789abcdef0123456789abcdef.png";
    let absolute = app.url(path);

    let updated = ann.put("/api/user", json!({ "user": { "image": path } })).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["user"]["image"], absolute.as_str());
    assert_eq!(
        ann.get("/api/user").await.body["user"]["image"],
        absolute.as_str()
    );
    assert_eq!(
        ben.get("/api/profiles/ann").await.body["profile"]["image"],
        absolute.as_str()
    );
    let slug = crate::api_client::publish(&ann, "Pictured", &[]).await;
    let article = ben.get(&format!("/api/articles/{slug}")).await;
    assert_eq!(article.body["article"]["author"]["image"], absolute.as_str());
    let listed = ben.get("/api/articles?author=ann").await;
    assert_eq!(listed.body["articles"][0]["author"]["image"], absolute.as_str());

    // Sent back as shown, it is stored as the site's path; an address elsewhere stays as given.
    let echoed = ann
        .put("/api/user", json!({ "user": { "image": absolute } }))
        .await;
    assert_eq!(echoed.body["user"]["image"], absolute.as_str());
    let stored: Option<String> = sqlx::query_scalar("select image from users where username = 'ann'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some(path));
    let elsewhere = "https://images.example.com/ann.png";
    let answer = ann
        .put("/api/user", json!({ "user": { "image": elsewhere } }))
        .await;
    assert_eq!(answer.body["user"]["image"], elsewhere);
}

#[tokio::test]
async fn public_url_names_the_site_in_absolute_urls() {
    let app =
        TestApp::spawn_with(|config| config.public_url = Some("https://bocha.example/".to_owned())).await;
    let ann = crate::api_client::register(&app, "ann").await;
    let answer = ann
        .put("/api/user", json!({ "user": { "image": "/media/images/a.png" } }))
        .await;
    assert_eq!(
        answer.body["user"]["image"],
        "https://bocha.example/media/images/a.png"
    );
}
