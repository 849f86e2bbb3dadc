//! `/api/chat` through the API alone: who may do what, validation, and races.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::api_client::{Api, register};
use crate::helpers::*;

async fn ask(from: &Api, to: &str) -> String {
    let answer = from
        .post(
            "/api/chat/requests",
            json!({ "request": { "to": to, "message": "Talk?" } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.body["request"]["status"], "pending");
    answer.body["request"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn requests_are_validated_and_answered_only_by_the_person_asked() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let eve = register(&app, "eve").await;

    for (body, key, status) in [
        (
            json!({ "request": { "to": "" } }),
            "to",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({ "request": {} }), "to", StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({ "request": { "to": "ann" } }),
            "to",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "request": { "to": "nobody" } }),
            "chat",
            StatusCode::NOT_FOUND,
        ),
        (
            json!({ "request": { "to": "bob", "message": "x".repeat(501) } }),
            "message",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let answer = ann.post("/api/chat/requests", body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
        assert!(!answer.error(key).is_empty(), "{body}: {}", answer.body);
    }
    let id = ask(&ann, "bob").await;
    let again = ann
        .post("/api/chat/requests", json!({ "request": { "to": "bob" } }))
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);

    let pending = bob.get("/api/chat/requests").await;
    assert_eq!(pending.body["incoming"][0]["id"], id.as_str());
    assert_eq!(pending.body["outgoing"], json!([]));

    let approve = format!("/api/chat/requests/{id}/approve");
    assert_eq!(ann.post_empty(&approve).await.status, StatusCode::FORBIDDEN);
    for answer in [
        eve.post_empty(&approve).await,
        eve.post_empty(&format!("/api/chat/requests/{id}/decline")).await,
        eve.delete(&format!("/api/chat/requests/{id}")).await,
        bob.post_empty(&format!("/api/chat/requests/{}/approve", Uuid::new_v4()))
            .await,
        bob.post_empty("/api/chat/requests/not-an-id/approve").await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
        assert_eq!(answer.error("chat"), "not found");
    }
    assert_eq!(
        bob.delete(&format!("/api/chat/requests/{id}")).await.status,
        StatusCode::FORBIDDEN,
        "only the sender cancels"
    );
    let declined = bob.post_empty(&format!("/api/chat/requests/{id}/decline")).await;
    assert_eq!(declined.status, StatusCode::OK);
    assert_eq!(declined.body["request"]["status"], "declined");
    let late = bob.post_empty(&approve).await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Asking again within the week after a decline is refused, saying until when.
    let too_soon = ann
        .post(
            "/api/chat/requests",
            json!({ "request": { "to": "bob", "message": "Please?" } }),
        )
        .await;
    assert_eq!(too_soon.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_soon.error("to").contains("you can ask again from"),
        "{}",
        too_soon.body
    );

    // The person who declined may still reach out, and the asker cancels their own.
    let second = ask(&bob, "ann").await;
    assert_eq!(
        bob.delete(&format!("/api/chat/requests/{second}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        Api::new(&app).get("/api/chat/requests").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn crossing_requests_approved_at_once_open_one_room() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let to_bob = ask(&ann, "bob").await;
    let to_ann = ask(&bob, "ann").await;
    let (bob_approves, ann_approves) = (
        format!("/api/chat/requests/{to_bob}/approve"),
        format!("/api/chat/requests/{to_ann}/approve"),
    );
    let (by_bob, by_ann) = tokio::join!(bob.post_empty(&bob_approves), ann.post_empty(&ann_approves));
    assert_eq!(by_bob.status, StatusCode::OK, "{}", by_bob.body);
    assert_eq!(by_ann.status, StatusCode::OK, "{}", by_ann.body);
    assert_eq!(by_bob.body["room"]["id"], by_ann.body["room"]["id"]);
    for api in [&ann, &bob] {
        let rooms = api.get("/api/chat/rooms").await;
        assert_eq!(rooms.body["rooms"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_room_that_is_not_yours_is_404_and_messages_are_validated() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let eve = register(&app, "eve").await;
    let id = ask(&ann, "bob").await;
    let room = bob
        .post_empty(&format!("/api/chat/requests/{id}/approve"))
        .await
        .body["room"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let messages = format!("/api/chat/rooms/{room}/messages");
    let send = |body: &str, client_id: Uuid| json!({ "message": { "body": body, "client_id": client_id } });

    // Concurrent resends of one message store it once.
    let client_id = Uuid::new_v4();
    let sends =
        futures_util::future::join_all((0..8).map(|_| ann.post(&messages, send("Hi", client_id)))).await;
    let created = sends.iter().filter(|a| a.status == StatusCode::CREATED).count();
    assert!(sends.iter().all(|a| a.status.is_success()));
    assert!(created <= 1, "{created}");
    let listed = bob.get(&messages).await;
    assert_eq!(listed.body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(listed.body["messages"][0]["seq"], 1);
    assert_eq!(listed.body["has_more"], false);

    for path in [
        format!("/api/chat/rooms/{room}"),
        messages.clone(),
        format!("/api/chat/rooms/{}", Uuid::new_v4()),
        "/api/chat/rooms/42".to_owned(),
    ] {
        let answer = eve.get(&path).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.error("chat"), "not found");
    }
    for answer in [
        eve.post(&messages, send("Let me in", Uuid::new_v4())).await,
        eve.put(&format!("{messages}/1"), json!({ "message": { "body": "x" } }))
            .await,
        eve.delete(&format!("{messages}/1")).await,
        eve.post(&format!("/api/chat/rooms/{room}/read"), json!({ "seq": 1 }))
            .await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    }

    for (body, key) in [
        (send(" ", Uuid::new_v4()), "body"),
        (send(&"x".repeat(4001), Uuid::new_v4()), "body"),
        (
            json!({ "message": { "body": "x", "client_id": "nope" } }),
            "client_id",
        ),
        (json!({ "message": { "body": "x" } }), "client_id"),
    ] {
        let answer = ann.post(&messages, body).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", answer.body);
        assert!(!answer.error(key).is_empty(), "{}", answer.body);
    }
    for query in [
        "limit=0",
        "limit=101",
        "limit=-1",
        "before=-1",
        "after=x",
        "before=2&after=1",
    ] {
        let answer = ann.get(&format!("{messages}?{query}")).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    for seq in ["0", "-1", "x", "99"] {
        let answer = ann
            .put(
                &format!("{messages}/{seq}"),
                json!({ "message": { "body": "x" } }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{seq}: {}", answer.body);
    }
    let answer = bob
        .put(
            &format!("{messages}/1"),
            json!({ "message": { "body": "Not mine" } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = ann
        .post(&format!("/api/chat/rooms/{room}/read"), json!({ "seq": -1 }))
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!answer.error("seq").is_empty());
    let answer = bob
        .post(
            &format!("/api/chat/rooms/{room}/read"),
            json!({ "seq": i64::MAX }),
        )
        .await;
    assert!(answer.status.as_u16() < 500, "{}", answer.status);
}

#[tokio::test]
async fn sends_over_the_limit_are_429_with_retry_after() {
    let app = TestApp::spawn_with(|config| config.chat_sends_per_minute = 2).await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let id = ask(&ann, "bob").await;
    let room = bob
        .post_empty(&format!("/api/chat/requests/{id}/approve"))
        .await
        .body["room"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let messages = format!("/api/chat/rooms/{room}/messages");
    for _ in 0..2 {
        let sent = ann
            .post(
                &messages,
                json!({ "message": { "body": "hi", "client_id": Uuid::new_v4() } }),
            )
            .await;
        assert_eq!(sent.status, StatusCode::CREATED);
    }
    let refused = ann
        .post(
            &messages,
            json!({ "message": { "body": "hi", "client_id": Uuid::new_v4() } }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
}
