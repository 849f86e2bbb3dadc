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
