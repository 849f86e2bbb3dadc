//! Blocking, and the daily limit on chat requests: through the API and the pages.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_client::{Api, publish, register};
use crate::chat::{Socket, open_room};
use crate::helpers::*;

async fn ask(from: &Api, to: &str) -> crate::api_client::Answer {
    from.post(
        "/api/chat/requests",
        json!({ "request": { "to": to, "message": "Talk?" } }),
    )
    .await
}

#[tokio::test]
async fn a_blocked_person_cannot_ask_their_request_goes_and_their_comments_are_hidden_from_the_blocker() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let cid = register(&app, "cid").await;

    // Given Bob's post that Ann commented on, and Ann's pending request to Bob,
    let slug = publish(&bob, "Tea", &[]).await;
    let comment = ann
        .post(
            &format!("/api/articles/{slug}/comments"),
            json!({ "comment": { "body": "from ann" } }),
        )
        .await;
    assert_eq!(comment.status, StatusCode::CREATED, "{}", comment.body);
    let asked = ask(&ann, "bob").await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    let request = asked.body["request"]["id"].as_str().unwrap().to_owned();

    // when Bob blocks Ann,
    let blocked = bob.post_empty("/api/profiles/ann/block").await;
    assert_eq!(blocked.status, StatusCode::OK, "{}", blocked.body);
    assert_eq!(blocked.body["block"]["blocking"], true);
    assert_eq!(
        bob.post_empty("/api/profiles/ann/block").await.status,
        StatusCode::OK,
        "blocking twice is the same"
    );

    // her request is gone from his inbox, and she may not ask again, told no more than that.
    let inbox = bob.get("/api/chat/requests").await;
    assert_eq!(
        inbox.body["incoming"].as_array().unwrap().len(),
        0,
        "{}",
        inbox.body
    );
    let hers = ann.get("/api/chat/requests").await;
    assert_eq!(
        hers.body["outgoing"].as_array().unwrap().len(),
        0,
        "{}",
        hers.body
    );
    let status: String = sqlx::query_scalar("select status from chat_requests where id = $1::uuid")
        .bind(&request)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "cancelled");
    let again = ask(&ann, "bob").await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.error("to"), "you can't message this person");
    let back = ask(&bob, "ann").await;
    assert_eq!(back.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(back.error("to").contains("unblock"), "{}", back.body);

    // Bob no longer reads her comment; others still do.
    let path = format!("/api/articles/{slug}/comments");
    assert_eq!(bob.get(&path).await.body["comments"].as_array().unwrap().len(), 0);
    assert_eq!(cid.get(&path).await.body["comments"].as_array().unwrap().len(), 1);
    assert_eq!(
        Api::new(&app).get(&path).await.body["comments"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // His list names her; unblocking lets her ask again.
    let list = bob.get("/api/user/blocks").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["blocks"][0]["username"], "ann", "{}", list.body);
    assert!(list.body["blocks"][0]["since"].is_string());
    assert_eq!(ann.get("/api/user/blocks").await.body["blocks"], json!([]));
    let lifted = bob.delete("/api/profiles/ann/block").await;
    assert_eq!(lifted.body["block"]["blocking"], false, "{}", lifted.body);
    assert_eq!(bob.get(&path).await.body["comments"].as_array().unwrap().len(), 1);
    assert_eq!(ask(&ann, "bob").await.status, StatusCode::CREATED);

    // Nobody blocks themselves or someone who doesn't exist, and an anonymous caller nobody.
    assert_eq!(
        bob.post_empty("/api/profiles/bob/block").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        bob.post_empty("/api/profiles/nobody/block").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        Api::new(&app).post_empty("/api/profiles/ann/block").await.status,
        StatusCode::UNAUTHORIZED
    );
    // Every change is an event in the chat of the pair.
    assert_eq!(
        app.count("select count(*) from events where event_type in ('Blocked', 'Unblocked')")
            .await,
        2
    );
}

#[tokio::test]
async fn a_blocked_room_stays_readable_and_the_composer_says_why() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut ann_socket = Socket::open(&app, &ann).await;
    ann_socket.say(&room, "before").await;

    // Ben blocks Ann from the room and lands back in it.
    let (_, page) = ben.page(&format!("/chat/{room}")).await;
    let action = attr(&page, "form.chat-block-form", "action").expect("a block form");
    assert_eq!(action, "/@ann/block");
    let blocked = ben.submit(&action, &[("back", &format!("/chat/{room}"))]).await;
    assert_eq!(blocked.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&blocked), format!("/chat/{room}"));

    // Ann still reads the room, is told she can't write, and a send is refused.
    let (status, page) = ann.page(&format!("/chat/{room}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&page, ".message-body").contains("before"));
    assert_eq!(
        text(&page, "#chat-blocked").trim(),
        "You can’t message this person. The conversation stays readable."
    );
    assert!(!select(&page, "#chat-input[disabled]").is_empty());
    ann_socket
        .send(json!({ "type": "send", "room_id": room, "client_id": uuid::Uuid::new_v4(), "body": "hello?" }))
        .await;
    let refused = ann_socket.next_of("error").await;
    assert_eq!(refused["message"], "you can't message this person", "{refused}");

    // Ben is offered to unblock, in the room and in settings.
    let (_, page) = ben.page(&format!("/chat/{room}")).await;
    assert!(text(&page, "#chat-blocked").contains("You blocked ann"));
    let (_, settings) = ben.page("/settings/blocks").await;
    assert_eq!(text(&settings, ".block-person"), "ann @ann");
    let unblock = attr(&settings, ".block-item form", "action").expect("an unblock form");
    let lifted = ben.submit(&unblock, &[("back", "/settings/blocks")]).await;
    assert_eq!(location(&lifted), "/settings/blocks");
    let (_, settings) = ben.page("/settings/blocks").await;
    assert!(select(&settings, ".block-item").is_empty());
    let (_, page) = ann.page(&format!("/chat/{room}")).await;
    assert!(select(&page, "#chat-blocked").is_empty());
}

#[tokio::test]
async fn the_profile_offers_block_and_says_when_you_cannot_message() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let (_, profile) = ben.page("/@ann").await;
    assert_eq!(
        attr(&profile, ".block-form", "action").as_deref(),
        Some("/@ann/block")
    );
    let done = ben.submit("/@ann/block", &[]).await;
    assert_eq!(location(&done), "/@ann");
    let (_, profile) = ben.page("/@ann").await;
    assert_eq!(text(&profile, ".chat-standing"), "You blocked ann");
    assert_eq!(
        attr(&profile, ".block-form", "action").as_deref(),
        Some("/@ann/unblock")
    );
    let (_, profile) = ann.page("/@ben").await;
    assert_eq!(text(&profile, ".chat-standing"), "You can’t message this person");
    assert!(select(&profile, "form[action='/chat/requests']").is_empty());
    // A form aimed elsewhere returns to the profile, never off the site.
    let done = ben
        .submit("/@ann/unblock", &[("back", "https://evil.example/")])
        .await;
    assert_eq!(location(&done), "/@ann");
}

#[tokio::test]
async fn requests_are_limited_per_day_even_when_sent_at_once() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    let names: Vec<String> = (0..30).map(|i| format!("person{i}")).collect();
    for name in &names {
        let made = Api::new(&app)
            .post(
                "/api/users",
                json!({ "user": { "username": name, "email": format!("{name}@example.com"), "password": PASSWORD } }),
            )
            .await;
        assert_eq!(made.status, StatusCode::CREATED);
    }
    let answers = futures_util::future::join_all(names.iter().map(|name| ask(&ann, name))).await;
    let sent = answers.iter().filter(|a| a.status == StatusCode::CREATED).count();
    let limited: Vec<_> = answers
        .iter()
        .filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(sent, 20, "twenty a day");
    assert_eq!(limited.len(), 10);
    assert!(
        limited[0]
            .error("chat")
            .contains("as many chat requests as you can today")
    );
    assert!(limited[0].headers.contains_key("retry-after"));
    assert_eq!(app.count("select count(*) from chat_requests").await, 20);
}
