//! `/api/audit` and article versions: who may see what, and what they see.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_client::{Api, publish, register, staff_api};
use crate::helpers::*;

#[tokio::test]
async fn an_articles_history_and_versions_are_for_its_author_and_staff() {
    let app = TestApp::spawn().await;
    let author = register(&app, "writer").await;
    let reader = register(&app, "reader").await;
    let slug = publish(&author, "Version One", &["history"]).await;
    let edited = author
        .put(
            &format!("/api/articles/{slug}"),
            json!({ "article": { "body": "Words, revised" } }),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK);
    reader.post_empty(&format!("/api/articles/{slug}/favorite")).await;
    reader
        .post(
            &format!("/api/articles/{slug}/comments"),
            json!({ "comment": { "body": "Nice" } }),
        )
        .await;

    let history = author.get(&format!("/api/audit/articles/{slug}")).await;
    assert_eq!(history.status, StatusCode::OK);
    let kinds: Vec<&str> = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["PostPublished", "PostEdited", "PostFavorited", "CommentPosted"]
    );
    let first = &history.body["events"][0];
    assert_eq!(first["actor"], "writer");
    assert_eq!(first["aggregate_type"], "Post");
    assert_eq!(first["sequence"], 1);
    assert!(first["recorded_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(first["data"]["content"]["title"], "Version One");

    let v1 = author.get(&format!("/api/articles/{slug}/versions/1")).await;
    assert_eq!(v1.status, StatusCode::OK);
    assert_eq!(v1.body["article"]["body"], "Words");
    assert_eq!(v1.body["article"]["favoritesCount"], 0);
    let v2 = author.get(&format!("/api/articles/{slug}/versions/2")).await;
    assert_eq!(v2.body["article"]["body"], "Words, revised");
    assert_ne!(v1.body["article"]["updatedAt"], v2.body["article"]["updatedAt"]);
    assert_eq!(v1.body["article"]["createdAt"], v2.body["article"]["createdAt"]);
    assert_eq!(
        author
            .get(&format!("/api/articles/{slug}/versions/3"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        author
            .get(&format!("/api/articles/{slug}/versions/x"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    for path in [
        format!("/api/audit/articles/{slug}"),
        format!("/api/articles/{slug}/versions/1"),
    ] {
        assert_eq!(reader.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            Api::new(&app).get(&path).await.status,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    let staff = staff_api(&app, "auditor").await;
    assert_eq!(
        staff.get(&format!("/api/audit/articles/{slug}")).await.status,
        StatusCode::OK
    );

    // A deleted article keeps its history.
    assert_eq!(
        author.delete(&format!("/api/articles/{slug}")).await.status,
        StatusCode::NO_CONTENT
    );
    let after = author.get(&format!("/api/audit/articles/{slug}")).await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(
        after.body["events"].as_array().unwrap().last().unwrap()["event_type"],
        "PostDeleted"
    );
}

#[tokio::test]
async fn a_chats_history_includes_edits_and_deletions_for_its_people_only() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    let ben = register(&app, "ben").await;
    let eve = register(&app, "eve").await;
    let request = ann
        .post(
            "/api/chat/requests",
            json!({ "request": { "to": "ben", "message": "hi" } }),
        )
        .await;
    let id = request.body["request"]["id"].as_str().unwrap().to_owned();
    let approved = ben.post_empty(&format!("/api/chat/requests/{id}/approve")).await;
    let room = approved.body["room"]["id"].as_str().unwrap().to_owned();
    let sent = ann
        .post(
            &format!("/api/chat/rooms/{room}/messages"),
            json!({ "message": { "body": "first", "client_id": uuid::Uuid::new_v4() } }),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED);
    ann.put(
        &format!("/api/chat/rooms/{room}/messages/1"),
        json!({ "message": { "body": "first, edited" } }),
    )
    .await;
    ann.delete(&format!("/api/chat/rooms/{room}/messages/1")).await;

    let history = ben.get(&format!("/api/audit/chat/rooms/{room}")).await;
    assert_eq!(history.status, StatusCode::OK);
    let kinds: Vec<&str> = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "ChatRequested",
            "ChatRequestApproved",
            "RoomOpened",
            "MessageSent",
            "MessageEdited",
            "MessageDeleted"
        ]
    );
    // The people see that a message was there and edited, not the words that were deleted.
    for event in [&history.body["events"][3], &history.body["events"][4]] {
        assert_eq!(event["data"]["body"], "", "{event}");
        assert_eq!(event["data"]["withheld"], "deleted", "{event}");
    }
    assert!(!history.body.to_string().contains("first"));
    assert_eq!(
        eve.get(&format!("/api/audit/chat/rooms/{room}")).await.status,
        StatusCode::NOT_FOUND
    );

    // Staff read it only after stating why, and then see every word; the reading is recorded.
    let sam = staff_api(&app, "sam").await;
    let path = format!("/api/audit/chat/rooms/{room}");
    let refused = sam.get(&path).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.error("reason").contains("state why"));
    let access = format!("{path}/access");
    let blank = sam.post(&access, json!({ "access": { "reason": "  " } })).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.error("reason"), "state a reason");
    assert_eq!(
        eve.post(&access, json!({ "access": { "reason": "nosy" } }))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "not staff"
    );
    let granted = sam
        .post(&access, json!({ "access": { "reason": "Report #12 of spam" } }))
        .await;
    assert_eq!(granted.status, StatusCode::CREATED, "{}", granted.body);
    assert!(granted.body["access"]["until"].is_string());
    let read = sam.get(&path).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["events"][3]["data"]["body"], "first");
    assert_eq!(read.body["events"][4]["data"]["body"], "first, edited");
    let seen = ben.get(&path).await;
    let last = seen.body["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event_type"], "StaffRead");
    assert_eq!(last["data"]["reason"], "Report #12 of spam");
    // The global log never carries a chat's words.
    let log = sam.get("/api/audit/events?aggregate_type=Chat").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(!log.body.to_string().contains("first"), "{}", log.body);
    assert_eq!(
        eve.get("/api/audit/chat/rooms/not-a-room").await.status,
        StatusCode::NOT_FOUND
    );
}

/// The same rule as the history page: a chat whose request was declined has no room, but its
/// history belongs to its two people all the same.
#[tokio::test]
async fn a_declined_chats_history_is_for_its_two_people() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    let ben = register(&app, "ben").await;
    let eve = register(&app, "eve").await;
    let request = ann
        .post(
            "/api/chat/requests",
            json!({ "request": { "to": "ben", "message": "hi" } }),
        )
        .await;
    let id = request.body["request"]["id"].as_str().unwrap().to_owned();
    let declined = ben.post_empty(&format!("/api/chat/requests/{id}/decline")).await;
    assert_eq!(declined.status, StatusCode::OK);
    let chat: uuid::Uuid = sqlx::query_scalar("select chat_id from chat_requests")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();

    for person in [&ann, &ben] {
        let history = person.get(&format!("/api/audit/chat/rooms/{chat}")).await;
        assert_eq!(history.status, StatusCode::OK);
        let kinds: Vec<&str> = history.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event_type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["ChatRequested", "ChatRequestDeclined"]);
    }
    assert_eq!(
        eve.get(&format!("/api/audit/chat/rooms/{chat}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_global_log_is_for_staff_in_order_and_filterable() {
    let app = TestApp::spawn().await;
    let writer = register(&app, "writer").await;
    for i in 0..5 {
        publish(&writer, &format!("Post {i}"), &[]).await;
    }
    assert_eq!(
        writer.get("/api/audit/events").await.status,
        StatusCode::NOT_FOUND,
        "staff only"
    );
    assert_eq!(
        Api::new(&app).get("/api/audit/events").await.status,
        StatusCode::UNAUTHORIZED
    );

    let staff = staff_api(&app, "auditor").await;
    let page = staff.get("/api/audit/events?limit=3").await;
    assert_eq!(page.status, StatusCode::OK);
    let events = page.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    let next = page.body["next"].as_i64().unwrap();
    assert_eq!(next, events[2]["position"].as_i64().unwrap());
    let rest = staff
        .get(&format!("/api/audit/events?after={next}&limit=1000"))
        .await;
    assert!(
        rest.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["position"].as_i64().unwrap() > next)
    );

    let posts = staff
        .get("/api/audit/events?aggregate_type=Post&actor=writer")
        .await;
    let posts = posts.body["events"].as_array().unwrap();
    assert_eq!(posts.len(), 5);
    assert!(
        posts
            .iter()
            .all(|e| e["actor"] == "writer" && e["aggregate_type"] == "Post")
    );
    assert!(
        posts
            .windows(2)
            .all(|w| w[0]["position"].as_i64() < w[1]["position"].as_i64())
    );
    let users = staff.get("/api/audit/events?aggregate_type=User").await;
    assert!(
        users.body["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["data"]["password_hash"] == "[redacted]" || e["data"].get("password_hash").is_none())
    );
    assert!(
        staff.get("/api/audit/events?actor=nobody").await.body["events"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    for bad in ["limit=0", "limit=1001", "limit=-5", "after=-1", "limit=abc"] {
        let answer = staff.get(&format!("/api/audit/events?{bad}")).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(answer.body["errors"].is_object(), "{bad}");
    }
}
