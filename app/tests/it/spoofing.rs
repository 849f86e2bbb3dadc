//! One text policy on every door: nothing reordered or invisible passes for text, and a display
//! name cannot pass for someone else's username.

use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::chat::{Socket, open_room};
use crate::helpers::*;

async fn set_display_name(browser: &Browser, name: &str, username: &str) -> reqwest::Response {
    let email = format!("{username}@example.com");
    browser
        .submit_multipart(
            "/settings",
            &[("display_name", name), ("bio", ""), ("email", &email)],
            ("avatar", None),
        )
        .await
}

#[tokio::test]
async fn a_display_name_can_hide_nothing_nor_imitate_another_username() {
    let app = TestApp::spawn().await;
    app.signed_in("staffer").await;
    let mallory = app.signed_in("mallory").await;
    for name in [
        "staffer",
        "STAFFER",
        "\u{0455}taffer", // a Cyrillic "ѕ"
        "admin\u{202E}nimda",
        "mal\u{200B}lory",
    ] {
        let refused = set_display_name(&mallory, name, "mallory").await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
    }
    for name in ["mallory", "Mallory M.", "Renée"] {
        let kept = set_display_name(&mallory, name, "mallory").await;
        assert_eq!(kept.status(), StatusCode::SEE_OTHER, "{name:?}");
    }
}

#[tokio::test]
async fn invisible_text_and_nul_are_refused_alike_through_the_api_and_the_socket() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let messages = format!("/api/chat/rooms/{room}/messages");
    let token = ann.csrf_token().await;
    for body in ["\u{200B}\u{200B}\u{200B}", "hi\u{0}there"] {
        let answer = ann
            .client
            .post(ann.url(&messages))
            .header("x-csrf-token", &token)
            .json(&json!({ "message": { "body": body, "client_id": Uuid::new_v4() } }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body:?}");
    }
    let mut socket = Socket::open(&app, &ann).await;
    for body in ["\u{200B}\u{FEFF}", "hi\u{0}there"] {
        let client_id = Uuid::new_v4();
        socket
            .send(json!({ "type": "send", "room_id": room, "client_id": client_id, "body": body }))
            .await;
        let refused = socket.next_of("error").await;
        assert_eq!(refused["code"], "invalid", "{body:?}");
        assert_eq!(refused["client_id"], json!(client_id));
    }
    assert_eq!(
        app.count("select count(*) from messages").await,
        0,
        "nothing was stored"
    );

    // Bidirectional overrides are taken out of what is kept.
    let kept = socket.say(&room, "invoice\u{202E}fdp.exe").await;
    assert_eq!(kept["body"], "invoicefdp.exe");
}
