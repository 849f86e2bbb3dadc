//! `/api/profiles`: profiles and following.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_client::{Api, register};
use crate::helpers::*;

#[tokio::test]
async fn following_is_idempotent_and_seen_from_the_followers_side() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    register(&app, "celeb").await;

    let anonymous = Api::new(&app).get("/api/profiles/celeb").await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert_eq!(
        anonymous.body,
        json!({ "profile": { "username": "celeb", "bio": null, "image": null, "following": false } })
    );
    for _ in 0..2 {
        let answer = jake.post_empty("/api/profiles/celeb/follow").await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body["profile"]["following"], true);
    }
    assert_eq!(
        jake.get("/api/profiles/CELEB").await.body["profile"]["following"],
        true
    );
    assert_eq!(
        Api::new(&app).get("/api/profiles/celeb").await.body["profile"]["following"],
        false
    );
    for _ in 0..2 {
        let answer = jake.delete("/api/profiles/celeb/follow").await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body["profile"]["following"], false);
    }
}

#[tokio::test]
async fn unknown_profiles_are_404_after_the_token_check() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let anonymous = Api::new(&app);
    for path in [
        "/api/profiles/nobody",
        "/api/profiles/no%20body",
        "/api/profiles/%00",
        "/api/profiles/x",
    ] {
        let answer = anonymous.get(path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.error("profile"), "not found");
    }
    let answer = anonymous.post_empty("/api/profiles/nobody/follow").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.error("token"), "is missing");
    assert_eq!(
        anonymous.delete("/api/profiles/nobody/follow").await.status,
        StatusCode::UNAUTHORIZED
    );
    for answer in [
        jake.post_empty("/api/profiles/nobody/follow").await,
        jake.delete("/api/profiles/nobody/follow").await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.error("profile"), "not found");
    }
}

#[tokio::test]
async fn following_yourself_is_422() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let answer = jake.post_empty("/api/profiles/jake/follow").await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!answer.error("username").is_empty());
}

#[tokio::test]
async fn a_subscription_by_email_is_taken_out_and_ended_and_its_author_counts_it() {
    let app = TestApp::spawn().await;
    let doc = crate::api_openapi::document(&app).await;
    let jake = register(&app, "jake").await;
    let jill = register(&app, "jill").await;
    let path = "/api/profiles/{username}/subscription";

    let subscribed = jill.post_empty("/api/profiles/Jake/subscription").await;
    assert_eq!(subscribed.status, StatusCode::OK);
    crate::api_openapi::assert_conforms(&doc, "post", path, &subscribed);
    assert_eq!(
        subscribed.body,
        json!({ "subscription": { "author": "jake", "status": "active" } })
    );
    let counted = jake.get("/api/user/subscribers").await;
    crate::api_openapi::assert_conforms(&doc, "get", "/api/user/subscribers", &counted);
    assert_eq!(counted.body, json!({ "subscribersCount": 1 }));
    crate::api_client::publish(&jake, "Dragons", &[]).await;
    app.mail_to("jill@example.com", "Dragons").await;

    let ended = jill.delete("/api/profiles/jake/subscription").await;
    crate::api_openapi::assert_conforms(&doc, "delete", path, &ended);
    assert_eq!(ended.body["subscription"]["status"], "none");
    assert_eq!(
        jake.get("/api/user/subscribers").await.body["subscribersCount"],
        0
    );

    let own = jake.post_empty("/api/profiles/jake/subscription").await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    let missing = jill.post_empty("/api/profiles/nobody/subscription").await;
    assert_eq!(missing.body, json!({ "errors": { "profile": ["not found"] } }));
}
