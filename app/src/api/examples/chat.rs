//! Chat: Jake asks Jill, she approves, and he sends her a message which he then edits.

use serde_json::{Value, json};

use super::{ATTACHMENT_ID, CLIENT_ID, JILL, MESSAGE_ID, REQUEST_ID, ROOM_ID, SEQ, at, jake, jill};

const NOTE: &str = "Coffee and dragons?";
const FIRST_BODY: &str = "Hi Jill! Free on Friday?";
const EDITED_BODY: &str = "Hi Jill! Free on Saturday?";

pub fn new_request() -> Value {
    json!({ "request": { "to": JILL, "message": NOTE } })
}

/// `viewed_by_jill`: `following` is from the viewer's side, and Jill follows Jake.
fn request(status: &str, viewed_by_jill: bool) -> Value {
    json!({
        "id": REQUEST_ID,
        "from": jake(viewed_by_jill),
        "to": jill(false),
        "message": NOTE,
        "status": status,
        "created_at": at::REQUESTED,
        "room_id": null,
    })
}

/// As Jake sees the request he has just sent.
pub fn requested() -> Value {
    json!({ "request": request("pending", false) })
}

/// Jill's pending requests.
pub fn pending() -> Value {
    json!({ "incoming": [request("pending", true)], "outgoing": [] })
}

pub fn declined() -> Value {
    json!({ "request": request("declined", true) })
}

fn message(edited: bool) -> Value {
    message_with(edited, json!([]))
}

fn message_with(edited: bool, reactions: Value) -> Value {
    let changes = i32::from(edited) + reactions.as_array().map_or(0, |r| r.len() as i32);
    json!({
        "id": MESSAGE_ID,
        "room_id": ROOM_ID,
        "seq": SEQ,
        "sender": "jake",
        "body": if edited { EDITED_BODY } else { FIRST_BODY },
        "client_id": CLIENT_ID,
        "sent_at": at::SENT,
        "edited_at": if edited { json!(at::MESSAGE_EDITED) } else { Value::Null },
        "deleted": false,
        "version": 1 + changes,
        "reply_to": null,
        "attachment": null,
        "reactions": reactions,
    })
}

/// Jill likes Jake's message.
pub fn reacted() -> Value {
    json!({ "message": message_with(true, json!([{ "emoji": "👍", "by": ["jill"] }])) })
}

/// The room as Jill sees it, before any message or after Jake's.
fn room(last_message: Option<Value>) -> Value {
    let unread = i32::from(last_message.is_some());
    json!({
        "id": ROOM_ID,
        "peer": jake(true),
        "created_at": at::APPROVED,
        "last_message": last_message,
        "unread": unread,
        "peer_last_read_seq": 0,
    })
}

/// The room the approval opens.
pub fn opened() -> Value {
    json!({ "room": room(None) })
}

pub fn room_with_message() -> Value {
    json!({ "room": room(Some(message(true))) })
}

pub fn rooms() -> Value {
    json!({ "rooms": [room(Some(message(true)))] })
}

pub fn new_message() -> Value {
    json!({ "message": { "body": FIRST_BODY, "client_id": CLIENT_ID } })
}

pub fn sent() -> Value {
    json!({ "message": message(false) })
}

pub fn message_changes() -> Value {
    json!({ "message": { "body": EDITED_BODY } })
}

pub fn edited() -> Value {
    json!({ "message": message(true) })
}

pub fn messages() -> Value {
    json!({ "messages": [message(true)], "has_more": false })
}

/// Jill has read up to Jake's message.
pub fn read() -> Value {
    json!({ "seq": SEQ })
}

/// Jill looks for "Saturday".
pub fn found() -> Value {
    json!({ "results": [{
        "room_id": ROOM_ID,
        "seq": SEQ,
        "sender": "jake",
        "peer": "jake",
        "sent_at": at::SENT,
        "excerpt": [
            { "text": "Hi Jill! Free on ", "match": false },
            { "text": "Saturday", "match": true },
            { "text": "?", "match": false },
        ],
    }] })
}

/// Jake uploads the map he means to send.
pub fn uploaded() -> Value {
    json!({ "attachment": {
        "id": ATTACHMENT_ID,
        "name": "map.png",
        "content_type": "image/png",
        "size": 48213,
        "width": 1200,
        "height": 800,
    } })
}
