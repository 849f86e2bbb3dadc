//! `/api/articles/{slug}/comments`.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_client::{Api, publish, register};
use crate::helpers::*;

#[tokio::test]
async fn comments_are_added_listed_and_deleted_by_integer_id() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let jill = register(&app, "jill").await;
    let slug = publish(&jake, "Talk", &[]).await;
    let path = format!("/api/articles/{slug}/comments");

    let first = jill.post(&path, json!({ "comment": { "body": "First!" } })).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let comment = &first.body["comment"];
    assert!(comment["id"].is_i64(), "{comment}");
    assert_eq!(comment["body"], "First!");
    assert_eq!(comment["author"]["username"], "jill");
    assert!(comment["createdAt"].as_str().unwrap().ends_with('Z'));
    let first_id = comment["id"].as_i64().unwrap();
    let second = jake.post(&path, json!({ "comment": { "body": "Second" } })).await;
    let second_id = second.body["comment"]["id"].as_i64().unwrap();

    let listed = Api::new(&app).get(&path).await;
    assert_eq!(listed.status, StatusCode::OK);
    let bodies: Vec<&str> = listed.body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["First!", "Second"]);
    assert_eq!(listed.body["comments"][0]["id"], first_id);

    // jake follows jill: seen from his side only.
    jake.post_empty("/api/profiles/jill/follow").await;
    assert_eq!(
        jake.get(&path).await.body["comments"][0]["author"]["following"],
        true
    );

    assert_eq!(
        jill.delete(&format!("{path}/{first_id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let listed = jill.get(&path).await;
    assert_eq!(listed.body["comments"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["comments"][0]["id"], second_id);
}

#[tokio::test]
async fn comment_errors_check_token_then_article_then_comment_then_author() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let jill = register(&app, "jill").await;
    let anonymous = Api::new(&app);
    let slug = publish(&jake, "Talk", &[]).await;
    let other = publish(&jake, "Other", &[]).await;
    let path = format!("/api/articles/{slug}/comments");
    let id = jake
        .post(&path, json!({ "comment": { "body": "Mine" } }))
        .await
        .body["comment"]["id"]
        .as_i64()
        .unwrap();

    for answer in [
        anonymous.post(&path, json!({ "comment": { "body": "x" } })).await,
        anonymous.delete(&format!("{path}/{id}")).await,
    ] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.error("token"), "is missing");
    }
    for answer in [
        jill.post(
            "/api/articles/unknown/comments",
            json!({ "comment": { "body": "x" } }),
        )
        .await,
        anonymous.get("/api/articles/unknown/comments").await,
        jill.delete("/api/articles/unknown/comments/1").await,
        jill.delete("/api/articles/unknown/comments/abc").await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.error("article"), "not found");
    }
    for raw in ["99999", "abc", "-1", "0", "1.5", "99999999999999999999999"] {
        let answer = jill.delete(&format!("{path}/{raw}")).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{raw}");
        assert_eq!(answer.error("comment"), "not found", "{raw}");
    }
    // A comment's id is scoped to its article.
    let answer = jake.delete(&format!("/api/articles/{other}/comments/{id}")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.error("comment"), "not found");

    let answer = jill.delete(&format!("{path}/{id}")).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body, json!({ "errors": { "comment": ["forbidden"] } }));

    for body in [
        json!({ "comment": { "body": "" } }),
        json!({ "comment": {} }),
        json!({ "comment": { "body": null } }),
    ] {
        let answer = jill.post(&path, body.clone()).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(answer.error("body"), "can't be blank");
    }
    assert_eq!(
        jake.get(&path).await.body["comments"].as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn the_articles_author_may_delete_anyones_comment_on_it() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let jill = register(&app, "jill").await;
    let slug = publish(&jake, "Talk", &[]).await;
    let path = format!("/api/articles/{slug}/comments");
    let id = jill
        .post(&path, json!({ "comment": { "body": "Spam" } }))
        .await
        .body["comment"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        jake.delete(&format!("{path}/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
}
