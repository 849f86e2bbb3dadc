//! The socket's AsyncAPI document: every frame there is, every reference resolving, the frames
//! a real socket sends matching their schemas, and the reference page showing them.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::chat::{Socket, open_room};
use crate::helpers::TestApp;

const CLIENT_FRAMES: [&str; 4] = ["send", "sync", "read", "typing"];
const SERVER_FRAMES: [&str; 8] = [
    "hello", "message", "ack", "synced", "read", "request", "typing", "error",
];

async fn document(app: &TestApp) -> Value {
    let response = reqwest::get(app.url("/api/asyncapi.json")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

/// Every `$ref` in `value`, as JSON pointers into the document.
fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner.as_str()) {
                    ("$ref", Some(pointer)) => found.push(pointer),
                    _ => refs(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

/// Whether `frame` matches the payload of the message `key`.
fn check(document: &Value, key: &str, frame: &Value) {
    let wrapper = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document["components"],
        "allOf": [document["components"]["messages"][key]["payload"]],
    });
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&wrapper)
        .unwrap();
    let errors: Vec<String> = validator.iter_errors(frame).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{key}: {frame} does not match: {errors:#?}");
}

#[tokio::test]
async fn the_asyncapi_document_names_every_frame_and_its_references_resolve() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    assert_eq!(document["asyncapi"], "3.0.0");
    assert_eq!(document["channels"]["live"]["address"], "/ws");
    let messages = document["components"]["messages"].as_object().unwrap();
    let mut expected: Vec<String> = CLIENT_FRAMES.iter().map(|f| format!("client_{f}")).collect();
    expected.extend(SERVER_FRAMES.iter().map(|f| format!("server_{f}")));
    let mut keys: Vec<&String> = messages.keys().collect();
    keys.sort();
    expected.sort();
    assert_eq!(keys, expected.iter().collect::<Vec<_>>());
    for (key, message) in messages {
        assert!(
            !message["summary"].as_str().unwrap_or_default().is_empty(),
            "{key} is described"
        );
    }
    assert_eq!(document["operations"]["receiveClientFrames"]["action"], "receive");
    assert_eq!(document["operations"]["sendServerFrames"]["action"], "send");

    let mut found = Vec::new();
    refs(&document, &mut found);
    assert!(found.len() > 20);
    for pointer in found {
        let path = pointer.strip_prefix('#').expect("a local reference");
        assert!(document.pointer(path).is_some(), "{pointer} resolves");
    }
}

#[tokio::test]
async fn what_a_socket_really_sends_matches_the_document() {
    let app = TestApp::spawn().await;
    let document = document(&app).await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut socket = Socket::open(&app, &ann).await;
    let mut peer = Socket::open(&app, &ben).await;

    let client_id = Uuid::new_v4();
    let send = json!({ "type": "send", "room_id": room, "client_id": client_id, "body": "hello" });
    check(&document, "client_send", &send);
    socket.send(send).await;
    check(&document, "server_ack", &socket.next_of("ack").await);
    check(&document, "server_message", &peer.next_of("message").await);

    let sync = json!({ "type": "sync", "room_id": room, "after": 0 });
    check(&document, "client_sync", &sync);
    peer.send(sync).await;
    check(&document, "server_synced", &peer.next_of("synced").await);

    let read = json!({ "type": "read", "room_id": room, "seq": 1 });
    check(&document, "client_read", &read);
    peer.send(read).await;
    check(&document, "server_read", &socket.next_of("read").await);

    let typing = json!({ "type": "typing", "room_id": room });
    check(&document, "client_typing", &typing);
    socket.send(typing).await;
    check(&document, "server_typing", &peer.next_of("typing").await);

    socket
        .send(json!({ "type": "send", "room_id": room, "client_id": Uuid::new_v4(), "body": "  " }))
        .await;
    check(&document, "server_error", &socket.next_of("error").await);
}

#[tokio::test]
async fn the_reference_page_shows_the_socket() {
    let app = TestApp::spawn().await;
    let page = reqwest::get(app.url("/api/docs"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"href="/api/asyncapi.json""#));
    assert!(page.contains(r#"id="socket""#));
    for frame in CLIENT_FRAMES.iter().chain(&SERVER_FRAMES) {
        assert!(
            page.contains(&format!("<h4><code>{frame}</code></h4>")),
            "{frame} is shown"
        );
    }
}
