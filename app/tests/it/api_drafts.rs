//! `/api/drafts`: the editor's drafts through the API, each answer as the document describes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_client::{Answer, register};
use crate::api_openapi::{assert_conforms, document};
use crate::helpers::*;

const ID: &str = "/api/drafts/{id}";

fn check(doc: &Value, method: &str, path: &str, answer: &Answer, status: StatusCode) {
    assert_eq!(answer.status, status, "{method} {path}: {}", answer.body);
    assert_conforms(doc, method, path, answer);
}

#[tokio::test]
async fn a_draft_is_saved_kept_private_shared_scheduled_and_published() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let jake = register(&app, "jake").await;
    let jill = register(&app, "jill").await;
    let id = uuid::Uuid::now_v7();
    let path = format!("/api/drafts/{id}");

    let saved = jake
        .put(
            &path,
            json!({ "draft": { "title": "Dragons", "body": "Find one.", "tagList": ["Dragons"] } }),
        )
        .await;
    check(&doc, "put", ID, &saved, StatusCode::OK);
    let draft = &saved.body["draft"];
    assert_eq!(draft["id"], id.to_string());
    assert_eq!(draft["tagList"], json!(["dragons"]));
    assert_eq!(draft["readyToPublish"], false, "no description yet");
    let listed = jake.get("/api/drafts").await;
    check(&doc, "get", "/api/drafts", &listed, StatusCode::OK);
    assert_eq!(listed.body["draftsCount"], 1);

    // Jill neither sees nor changes it, nor learns that it exists.
    for answer in [
        jill.get(&path).await,
        jill.put(&path, json!({ "draft": { "title": "Mine" } })).await,
        jill.delete(&path).await,
        jill.post(&format!("{path}/publish"), json!({ "publish": {} }))
            .await,
        jill.post_empty(&format!("{path}/preview")).await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.body, json!({ "errors": { "draft": ["not found"] } }));
    }
    assert_eq!(jill.get("/api/drafts").await.body["draftsCount"], 0);
    assert_eq!(
        jake.get("/api/drafts/not-a-uuid").await.status,
        StatusCode::NOT_FOUND
    );

    // Not publishable without a description; too long a title is refused.
    let refused = jake
        .post(&format!("{path}/publish"), json!({ "publish": {} }))
        .await;
    check(
        &doc,
        "post",
        "/api/drafts/{id}/publish",
        &refused,
        StatusCode::UNPROCESSABLE_ENTITY,
    );
    assert_eq!(
        refused.body,
        json!({ "errors": { "description": ["can't be blank"] } })
    );
    let long = jake
        .put(&path, json!({ "draft": { "title": "x".repeat(201) } }))
        .await;
    check(&doc, "put", ID, &long, StatusCode::UNPROCESSABLE_ENTITY);

    let complete = json!({ "draft": { "title": "Dragons", "description": "How", "body": "Find one.", "tagList": ["dragons"] } });
    assert_eq!(jake.put(&path, complete).await.status, StatusCode::OK);

    // A preview link opens it to anyone, until revoked.
    let shared = jake.post_empty(&format!("{path}/preview")).await;
    check(
        &doc,
        "post",
        "/api/drafts/{id}/preview",
        &shared,
        StatusCode::CREATED,
    );
    let url = shared.body["preview"]["url"].as_str().unwrap().to_owned();
    let link = &url[url.find("/preview/").unwrap()..];
    assert_eq!(app.browser().get(link).await.status(), StatusCode::OK);
    assert_eq!(jake.get(&path).await.body["draft"]["previewShared"], true);
    let revoked = jake.delete(&format!("{path}/preview")).await;
    check(
        &doc,
        "delete",
        "/api/drafts/{id}/preview",
        &revoked,
        StatusCode::NO_CONTENT,
    );
    assert_eq!(app.browser().get(link).await.status(), StatusCode::NOT_FOUND);

    // Scheduled, then not; a past time is refused.
    let past = jake
        .post(
            &format!("{path}/publish"),
            json!({ "publish": { "at": "2020-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(
        past.body,
        json!({ "errors": { "at": ["must be in the future"] } })
    );
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let scheduled = jake
        .post(&format!("{path}/publish"), json!({ "publish": { "at": later } }))
        .await;
    check(
        &doc,
        "post",
        "/api/drafts/{id}/publish",
        &scheduled,
        StatusCode::OK,
    );
    assert!(scheduled.body["draft"]["publishAt"].is_string());
    let unscheduled = jake.delete(&format!("{path}/schedule")).await;
    check(
        &doc,
        "delete",
        "/api/drafts/{id}/schedule",
        &unscheduled,
        StatusCode::OK,
    );
    assert!(unscheduled.body["draft"]["publishAt"].is_null());

    let published = jake
        .post(&format!("{path}/publish"), json!({ "publish": {} }))
        .await;
    check(
        &doc,
        "post",
        "/api/drafts/{id}/publish",
        &published,
        StatusCode::CREATED,
    );
    assert_eq!(published.body["article"]["slug"], "dragons");
    assert_eq!(jake.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(jake.get("/api/drafts").await.body["draftsCount"], 0);
    // The draft's story is in the article's history.
    assert_eq!(
        app.count(&format!(
            "select count(*) from events where aggregate_id = '{id}' and event_type = 'PostPublished'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn a_discarded_draft_is_gone_and_its_id_stays_used() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let jake = register(&app, "jake").await;
    let path = format!("/api/drafts/{}", uuid::Uuid::now_v7());
    jake.put(&path, json!({ "draft": { "body": "A thought" } })).await;
    let discarded = jake.delete(&path).await;
    check(&doc, "delete", ID, &discarded, StatusCode::NO_CONTENT);
    assert_eq!(jake.get(&path).await.status, StatusCode::NOT_FOUND);
    let again = jake.put(&path, json!({ "draft": { "body": "Again" } })).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}
