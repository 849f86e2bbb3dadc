//! The audit: pages of events from the log behind the story.

use serde_json::{Value, json};

use super::{JAKE, JAKE_ID, JILL, JILL_ID, POST_ID, REQUEST_ID, ROOM_ID, SLUG, at};

fn event(
    position: i64,
    (aggregate_type, aggregate_id, sequence): (&str, &str, i64),
    (event_type, event_version): (&str, &str),
    recorded_at: &str,
    actor: &str,
    data: Value,
) -> Value {
    json!({
        "position": position,
        "aggregate_type": aggregate_type,
        "aggregate_id": aggregate_id,
        "sequence": sequence,
        "event_type": event_type,
        "event_version": event_version,
        "recorded_at": recorded_at,
        "actor": actor,
        "data": data,
    })
}

/// A page ends at its last event's position, where the next one starts.
fn page(events: Vec<Value>) -> Value {
    let next = events.last().map_or(json!(0), |e| e["position"].clone());
    json!({ "events": events, "next": next })
}

fn content(description: &str, body: &str) -> Value {
    json!({
        "title": "How to train your dragon",
        "description": description,
        "body": body,
        "tags": ["dragons", "training"],
        "cover": null,
    })
}

/// The first three events of Jake's article (`?limit=3`): published, edited, favorited by Jill.
pub fn article_history() -> Value {
    let post = ("Post", POST_ID, 1);
    let favorite = format!("{POST_ID}:{JILL_ID}");
    page(vec![
        event(
            5,
            post,
            ("PostPublished", "1"),
            at::PUBLISHED,
            JAKE,
            json!({
                "type": "PostPublished",
                "id": POST_ID,
                "author": JAKE_ID,
                "slug": SLUG,
                "content": content("Ever wonder how?", "You have to believe"),
            }),
        ),
        event(
            6,
            ("Post", POST_ID, 2),
            ("PostEdited", "1"),
            at::EDITED,
            JAKE,
            json!({
                "type": "PostEdited",
                "content": content(
                    "A beginner's guide",
                    "You have to believe, and practise every day."
                ),
            }),
        ),
        event(
            7,
            ("Favorite", &favorite, 1),
            ("PostFavorited", "1"),
            at::FAVORITED,
            JILL,
            json!({ "type": "PostFavorited", "post": POST_ID, "user": JILL_ID }),
        ),
    ])
}

/// The first three events of Jake and Jill's chat: asked, approved, opened.
pub fn chat_history() -> Value {
    page(vec![
        event(
            9,
            ("Chat", ROOM_ID, 1),
            ("ChatRequested", "1"),
            at::REQUESTED,
            JAKE,
            json!({
                "type": "ChatRequested",
                "request": REQUEST_ID,
                "from": JAKE_ID,
                "to": JILL_ID,
                "note": "Coffee and dragons?",
            }),
        ),
        event(
            10,
            ("Chat", ROOM_ID, 2),
            ("ChatRequestApproved", "1"),
            at::APPROVED,
            JILL,
            json!({ "type": "ChatRequestApproved", "request": REQUEST_ID, "by": JILL_ID }),
        ),
        event(
            11,
            ("Chat", ROOM_ID, 3),
            ("RoomOpened", "1"),
            at::APPROVED,
            JILL,
            json!({ "type": "RoomOpened", "participants": [JAKE_ID, JILL_ID] }),
        ),
    ])
}

fn registered(position: i64, id: &str, username: &str, at: &str) -> Value {
    event(
        position,
        ("User", id, 1),
        ("UserRegistered", "3"),
        at,
        username,
        json!({
            "type": "UserRegistered",
            "id": id,
            "username": username,
            "email": format!("{username}@{username}.{username}"),
            "password_hash": "[redacted]",
            "staff": false,
            "email_confirmed": false,
        }),
    )
}

/// The start of the log, accounts only (`?aggregate_type=User&limit=2`).
pub fn global_log() -> Value {
    page(vec![
        registered(1, JAKE_ID, JAKE, at::JAKE_SIGNED_UP),
        registered(2, JILL_ID, JILL, at::JILL_SIGNED_UP),
    ])
}
