//! Ending a session or a credential ends everything it opened: sockets on every instance, API
//! tokens, and nothing acts on a session that is gone.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::api_client::{Api, register};
use crate::chat::{Socket, open_room};
use crate::helpers::*;

#[tokio::test]
async fn logging_out_closes_that_browsers_sockets_on_every_instance_and_only_those() {
    let one = TestApp::spawn().await;
    let two = one.another_instance().await;
    let laptop = one.signed_in("ann").await;
    let ben = one.signed_in("ben").await;
    let room = open_room(&laptop, &ben, "ben").await;
    let phone = one.browser();
    assert_eq!(
        phone.log_in("ann", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    let mut here = Socket::open(&one, &laptop).await;
    let mut there = Socket::open(&two, &laptop).await;
    let mut on_the_phone = Socket::open(&two, &phone).await;

    assert_eq!(
        laptop.submit("/logout", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    // A send raced against the logout is never stored.
    there
        .send(json!({ "type": "send", "room_id": room, "client_id": Uuid::new_v4(), "body": "after" }))
        .await;
    assert!(here.closed_within(Duration::from_secs(2)).await);
    assert!(there.closed_within(Duration::from_secs(2)).await);

    let mut ben_socket = Socket::open(&one, &ben).await;
    ben_socket.say(&room, "still there?").await;
    let arrived = on_the_phone.next_of("message").await;
    assert_eq!(
        arrived["message"]["body"], "still there?",
        "the other session goes on"
    );
    assert_eq!(
        one.count("select count(*) from messages where body = 'after'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_password_change_elsewhere_closes_every_socket_of_the_person() {
    let one = TestApp::spawn().await;
    let two = one.another_instance().await;
    let laptop = one.signed_in("cai").await;
    let phone = one.browser();
    assert_eq!(
        phone.log_in("cai", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let mut socket = Socket::open(&two, &laptop).await;

    let changed = phone
        .submit(
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new sentence"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert!(socket.closed_within(Duration::from_secs(2)).await);
    // And the laptop's session itself has ended.
    assert_eq!(laptop.signed_in_as().await, None);
    assert_eq!(phone.signed_in_as().await.as_deref(), Some("cai"));
}

async fn put_user(api: &Api, user: serde_json::Value) -> crate::api_client::Answer {
    api.send(
        api.request(Method::PUT, "/api/user")
            .json(&json!({ "user": user })),
    )
    .await
}

#[tokio::test]
async fn a_token_ends_with_a_password_change_and_with_log_out_everywhere() {
    let app = TestApp::spawn().await;
    let first = register(&app, "dana").await;
    let token = first.token.clone().unwrap();
    let mut socket = Socket::open_with_token(&app, &token).await;

    // A stolen token alone cannot change the password or the email.
    let bare = put_user(&first, json!({ "password": "a brand new sentence" })).await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!bare.error("current_password").is_empty());
    let email = put_user(&first, json!({ "email": "thief@example.com" })).await;
    assert_eq!(email.status, StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = put_user(
        &first,
        json!({ "password": "a brand new sentence", "current_password": "a guess" }),
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);

    let changed = put_user(
        &first,
        json!({ "password": "a brand new sentence", "current_password": PASSWORD }),
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK);
    let fresh = changed.body["user"]["token"].as_str().unwrap().to_owned();
    assert_eq!(
        first.get("/api/user").await.status,
        StatusCode::UNAUTHORIZED,
        "the old token ended"
    );
    assert!(
        socket.closed_within(Duration::from_secs(2)).await,
        "and its socket"
    );
    let second = Api::with_token(&app, &fresh);
    assert_eq!(second.get("/api/user").await.status, StatusCode::OK);

    let ended = second
        .send(second.request(Method::DELETE, "/api/user/sessions"))
        .await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    assert_eq!(second.get("/api/user").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logging_out_everywhere_from_the_site_ends_other_sessions_and_keeps_this_one() {
    let app = TestApp::spawn().await;
    let here = app.signed_in("emil").await;
    let elsewhere = app.browser();
    assert_eq!(
        elsewhere.log_in("emil", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let api = Api::new(&app);
    let login = api
        .send(
            api.request(Method::POST, "/api/users/login")
                .json(&json!({ "user": { "email": "emil@example.com", "password": PASSWORD } })),
        )
        .await;
    let token = Api::with_token(&app, login.body["user"]["token"].as_str().unwrap());

    let ended = here.submit("/settings/sessions/end", &[]).await;
    assert_eq!(ended.status(), StatusCode::SEE_OTHER);
    assert_eq!(here.signed_in_as().await.as_deref(), Some("emil"));
    assert_eq!(elsewhere.signed_in_as().await, None);
    assert_eq!(token.get("/api/user").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.count("select count(*) from events where event_type = 'SignedOutEverywhere'")
            .await,
        1,
        "it is in the log"
    );
}

#[tokio::test]
async fn the_api_applies_the_sites_password_policy() {
    let app = TestApp::spawn().await;
    let api = Api::new(&app);
    for (i, common) in ["password", "12345678", "qwertyuiop", "iloveyou", "password123"]
        .into_iter()
        .enumerate()
    {
        let answer = api
            .send(api.request(Method::POST, "/api/users").json(&json!({ "user": {
                "username": format!("fred{i}"), "email": format!("fred{i}@example.com"), "password": common
            } })))
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{common}");
        assert!(!answer.error("password").is_empty());
    }
    let gus = register(&app, "gus").await;
    let weak = put_user(
        &gus,
        json!({ "password": "password", "current_password": PASSWORD }),
    )
    .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn realworld_compatibility_relaxes_exactly_what_that_suite_needs() {
    let app = TestApp::spawn_with(|config| config.realworld_compat = true).await;
    let api = Api::new(&app);
    let signed_up = api
        .send(api.request(Method::POST, "/api/users").json(&json!({ "user": {
            "username": "hana", "email": "hana@example.com", "password": "password123"
        } })))
        .await;
    assert_eq!(signed_up.status, StatusCode::CREATED);
    let hana = Api::with_token(&app, signed_up.body["user"]["token"].as_str().unwrap());
    let changed = put_user(&hana, json!({ "password": "bonjour1" })).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(
        hana.get("/api/user").await.status,
        StatusCode::OK,
        "the old token goes on"
    );
}
