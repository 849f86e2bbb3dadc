//! Chat through real sockets: requests and approval, live messages across two instances,
//! ordering under load, reconnect and sync, Redis going away, privacy.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use crate::helpers::*;

pub struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Why a socket was not opened: the HTTP status of the refused upgrade.
pub async fn try_connect(app: &TestApp, headers: &[(&'static str, String)]) -> Result<Socket, u16> {
    let mut request = format!("ws://{}/ws", app.addr).into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(*name, value.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(Socket { ws }),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(response.status().as_u16()),
        Err(other) => panic!("socket failed: {other}"),
    }
}

impl Socket {
    /// A socket for `browser`'s session on `app` (any instance of the site).
    pub async fn open(app: &TestApp, browser: &Browser) -> Socket {
        let cookie = format!(
            "bocha_session={}",
            browser.cookie("bocha_session").expect("signed in")
        );
        let mut socket = try_connect(app, &[("cookie", cookie)])
            .await
            .expect("the socket opens");
        assert_eq!(socket.next_of("hello").await["type"], "hello");
        socket
    }

    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::Text(frame.to_string().into()))
            .await
            .unwrap();
    }

    /// The next frame, within five seconds.
    pub async fn next(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("a frame within 5 s")
                .expect("the socket is open")
                .expect("a readable frame");
            if let Message::Text(text) = message {
                return serde_json::from_str(&text).unwrap();
            }
        }
    }

    /// The next frame of `kind`, skipping others (typing, read receipts, requests).
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let frame = self.next().await;
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// No frame of `kind` arrives within `wait`.
    pub async fn silent_for(&mut self, kind: &str, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return true,
                Ok(Some(Ok(Message::Text(text)))) => {
                    let frame: Value = serde_json::from_str(&text).unwrap();
                    if frame["type"] == kind {
                        return false;
                    }
                }
                Ok(Some(Ok(_))) => {}
                Ok(_) => return true,
            }
        }
    }

    /// The server closes the socket within `wait` (frames before that are skipped).
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return true,
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// A socket for an API token on `app`.
    pub async fn open_with_token(app: &TestApp, token: &str) -> Socket {
        let mut socket = try_connect(app, &[("authorization", format!("Token {token}"))])
            .await
            .expect("the socket opens");
        socket.next_of("hello").await;
        socket
    }

    pub async fn say(&mut self, room: &str, body: &str) -> Value {
        self.say_with(room, Uuid::new_v4(), body).await
    }

    /// Sends `body` under `client_id` and waits for its ack; the stored message.
    pub async fn say_with(&mut self, room: &str, client_id: Uuid, body: &str) -> Value {
        self.send(json!({ "type": "send", "room_id": room, "client_id": client_id, "body": body }))
            .await;
        loop {
            let frame = self.next().await;
            if frame["type"] == "ack" && frame["client_id"] == json!(client_id) {
                return frame["message"].clone();
            }
            assert_ne!(frame["type"], "error", "{frame}");
        }
    }
}

/// `asker` requests a chat with `asked` (username); `approver` approves; returns the room id.
pub async fn open_room(asker: &Browser, approver: &Browser, asked: &str) -> String {
    let response = asker
        .submit("/chat/requests", &[("to", asked), ("message", "Shall we talk?")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let pending: Value = approver.get("/api/chat/requests").await.json().await.unwrap();
    let id = pending["incoming"][0]["id"]
        .as_str()
        .expect("an incoming request")
        .to_owned();
    assert_eq!(pending["incoming"][0]["message"], "Shall we talk?");
    let response = approver
        .submit(&format!("/chat/requests/{id}/approve"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    location(&response)
        .strip_prefix("/chat/")
        .expect("redirect to the room")
        .to_owned()
}

/// Ann on one instance and Ben on another of the same site, in a room of their own, with a
/// socket each on their own instance. Whoever takes it apart keeps both instances (an instance
/// dropped stops, and closes its sockets).
pub struct AcrossInstances {
    pub first: TestApp,
    pub second: TestApp,
    pub ann: Browser,
    pub ben: Browser,
    pub room: String,
    pub ann_socket: Socket,
    pub ben_socket: Socket,
}

impl AcrossInstances {
    /// Ann signs in on `first`, Ben on a second instance beside it.
    pub async fn open(first: TestApp) -> Self {
        let second = first.another_instance().await;
        let ann = first.signed_in("ann").await;
        let ben = second.signed_in("ben").await;
        let room = open_room(&ann, &ben, "ben").await;
        let ann_socket = Socket::open(&first, &ann).await;
        let ben_socket = Socket::open(&second, &ben).await;
        Self {
            first,
            second,
            ann,
            ben,
            room,
            ann_socket,
            ben_socket,
        }
    }
}

#[tokio::test]
async fn two_people_on_two_instances_chat_live_both_ways() {
    let AcrossInstances {
        first: _first,
        second,
        ann,
        room,
        mut ann_socket,
        mut ben_socket,
        ..
    } = AcrossInstances::open(TestApp::spawn().await).await;
    let mut ann_other_tab = Socket::open(&second, &ann).await;

    let sent = ann_socket.say(&room, "Hello from the first instance").await;
    assert_eq!(sent["seq"], 1);
    assert_eq!(sent["sender"], "ann");
    let received = ben_socket.next_of("message").await;
    assert_eq!(received["message"], sent);
    assert_eq!(
        ann_other_tab.next_of("message").await["message"],
        sent,
        "the sender's other tab sees it too"
    );

    let reply = ben_socket.say(&room, "Hello back from the second").await;
    assert_eq!(reply["seq"], 2);
    assert_eq!(
        ann_socket.next_of("message").await["message"]["body"],
        "Hello back from the second"
    );
}

#[tokio::test]
async fn a_message_reaches_the_other_instance_without_waiting_for_the_logs_publisher() {
    let AcrossInstances {
        first,
        second: _second,
        room,
        mut ann_socket,
        mut ben_socket,
        ..
    } = AcrossInstances::open(TestApp::spawn().await).await;

    // Every instance's publisher waits for this lock, so while it is held only the frames the
    // writing instance forwards itself can reach the other.
    let mut held = first.db.pool.begin().await.unwrap();
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(projections::live::LOCK_KEY)
        .execute(&mut *held)
        .await
        .unwrap();
    let sent = ann_socket.say(&room, "straight across").await;
    let received = tokio::time::timeout(Duration::from_secs(2), ben_socket.next_of("message"))
        .await
        .expect("forwarded by the instance that stored it");
    assert_eq!(received["message"], sent);

    // The publisher's copy follows once it may run, and is dropped.
    held.rollback().await.unwrap();
    let later = ann_socket.say(&room, "after the publisher caught up").await;
    let next = ben_socket.next_of("message").await;
    assert_eq!(next["message"], later, "the first message came once");
    assert!(ben_socket.silent_for("message", Duration::from_millis(800)).await);
}

#[tokio::test]
async fn concurrent_sends_from_two_instances_reach_every_socket_in_seq_order_once() {
    let AcrossInstances {
        first,
        second,
        ann,
        ben,
        room,
        ann_socket,
        ben_socket,
    } = AcrossInstances::open(TestApp::spawn().await).await;
    // Tabs that only read, each on the instance the other person writes through: everything
    // they get from their own side comes through Redis, the rest at once.
    let ann_reader = Socket::open(&second, &ann).await;
    let ben_reader = Socket::open(&first, &ben).await;

    const EACH: usize = 1000;
    const ALL: usize = 2 * EACH;
    let burst = |mut socket: Socket, who: &'static str| {
        let room = room.clone();
        async move {
            for i in 0..EACH {
                let frame = json!({ "type": "send", "room_id": room, "client_id": Uuid::new_v4(), "body": format!("{who} {i}") });
                socket.send(frame).await;
            }
            let mut acks = Vec::new();
            let mut received = Vec::new();
            while acks.len() < EACH || received.len() < ALL {
                let frame = socket.next().await;
                match frame["type"].as_str() {
                    Some("ack") => acks.push(frame["message"].clone()),
                    Some("message") => received.push(frame["message"].clone()),
                    Some("error") => panic!("{frame}"),
                    _ => {}
                }
            }
            (acks, received)
        }
    };
    let read_all = |mut socket: Socket| async move {
        let mut received = Vec::new();
        while received.len() < ALL {
            received.push(socket.next_of("message").await["message"].clone());
        }
        received
    };
    let ((ann_acks, ann_received), (ben_acks, ben_received), ann_read, ben_read) = tokio::join!(
        burst(ann_socket, "ann"),
        burst(ben_socket, "ben"),
        read_all(ann_reader),
        read_all(ben_reader)
    );

    for (who, acks) in [("ann", &ann_acks), ("ben", &ben_acks)] {
        let bodies: Vec<String> = acks
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = (0..EACH).map(|i| format!("{who} {i}")).collect();
        assert_eq!(
            bodies, expected,
            "{who}'s messages are acknowledged in the order sent"
        );
    }
    for (socket, received) in [
        ("ann's writing tab", &ann_received),
        ("ben's writing tab", &ben_received),
        ("ann's reading tab", &ann_read),
        ("ben's reading tab", &ben_read),
    ] {
        let seqs: Vec<i64> = received.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
        assert_eq!(
            seqs,
            (1..=ALL as i64).collect::<Vec<_>>(),
            "{socket} gets every message once, in seq order"
        );
    }
    let stored: Vec<i64> = sqlx::query_scalar("select seq from messages order by seq")
        .fetch_all(&first.db.pool)
        .await
        .unwrap();
    assert_eq!(
        stored,
        (1..=ALL as i64).collect::<Vec<_>>(),
        "contiguous seq in the store"
    );
}

/// Many people writing at once through two instances: each instance stores what gathers as one
/// batch, and two instances' batches to one room take turns. Nothing is lost, doubled or
/// reordered, and the messages really were stored in batches.
#[tokio::test]
async fn messages_stored_in_batches_across_two_instances_keep_every_rooms_order() {
    let first = TestApp::spawn().await;
    let second = first.another_instance().await;
    const EACH: usize = 50;
    const TABS: usize = 2;
    const PER_ROOM: usize = 2 * TABS * EACH;
    const PAIRS: usize = 3;

    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for pair in 0..PAIRS {
        let (a_name, b_name) = (format!("ann{pair}"), format!("ben{pair}"));
        let a = first.signed_in(&a_name).await;
        let b = second.signed_in(&b_name).await;
        let room = open_room(&a, &b, &b_name).await;
        for tab in 0..TABS {
            writers.push((
                room.clone(),
                format!("{a_name}/{tab}"),
                Socket::open(&first, &a).await,
            ));
            writers.push((
                room.clone(),
                format!("{b_name}/{tab}"),
                Socket::open(&second, &b).await,
            ));
        }
        readers.push(Socket::open(&second, &a).await);
        readers.push(Socket::open(&first, &b).await);
    }

    let write = |(room, tab, mut socket): (String, String, Socket)| async move {
        for i in 0..EACH {
            let frame = json!({ "type": "send", "room_id": room, "client_id": Uuid::new_v4(), "body": format!("{tab} {i}") });
            socket.send(frame).await;
        }
        let mut acks = Vec::new();
        let mut received = Vec::new();
        while acks.len() < EACH || received.len() < PER_ROOM {
            let frame = socket.next().await;
            match frame["type"].as_str() {
                Some("ack") => acks.push((
                    frame["message"]["body"].as_str().unwrap().to_owned(),
                    frame["message"]["seq"].as_i64().unwrap(),
                )),
                Some("message") => received.push(frame["message"]["seq"].as_i64().unwrap()),
                Some("error") => panic!("{frame}"),
                _ => {}
            }
        }
        let expected: Vec<String> = (0..EACH).map(|i| format!("{tab} {i}")).collect();
        let bodies: Vec<String> = acks.iter().map(|(body, _)| body.clone()).collect();
        assert_eq!(
            bodies, expected,
            "{tab}'s messages are acknowledged in the order sent"
        );
        assert!(
            acks.windows(2).all(|two| two[0].1 < two[1].1),
            "{tab}'s messages are stored in the order sent: {acks:?}"
        );
        received
    };
    let read = |mut socket: Socket| async move {
        let mut received = Vec::new();
        while received.len() < PER_ROOM {
            received.push(
                socket.next_of("message").await["message"]["seq"]
                    .as_i64()
                    .unwrap(),
            );
        }
        received
    };
    let (written, read) = tokio::join!(
        futures_util::future::join_all(writers.into_iter().map(write)),
        futures_util::future::join_all(readers.into_iter().map(read))
    );
    let every_seq: Vec<i64> = (1..=PER_ROOM as i64).collect();
    for received in written.iter().chain(&read) {
        assert_eq!(
            received, &every_seq,
            "every socket gets its room's messages once, in seq order"
        );
    }

    let rooms: Vec<(String, i64, i64)> =
        sqlx::query_as("select room_id::text, count(*), max(seq) from messages group by room_id")
            .fetch_all(&first.db.pool)
            .await
            .unwrap();
    assert_eq!(rooms.len(), PAIRS);
    for (room, count, last) in rooms {
        assert_eq!(
            (count, last),
            (PER_ROOM as i64, PER_ROOM as i64),
            "room {room}: contiguous"
        );
    }
    let commits: i64 = sqlx::query_scalar(
        "select count(distinct transaction_id::text) from events where event_type = 'MessageSent'",
    )
    .fetch_one(&first.db.pool)
    .await
    .unwrap();
    assert!(
        commits < (PAIRS * PER_ROOM) as i64,
        "{commits} commits for {} messages: none was stored with another",
        PAIRS * PER_ROOM
    );
}

#[tokio::test]
async fn a_reconnecting_client_catches_up_with_sync_exactly_once() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut ann_socket = Socket::open(&app, &ann).await;
    let mut ben_socket = Socket::open(&app, &ben).await;
    ann_socket.say(&room, "before").await;
    assert_eq!(ben_socket.next_of("message").await["message"]["seq"], 1);
    drop(ben_socket);

    for i in 0..5 {
        ann_socket.say(&room, &format!("missed {i}")).await;
    }
    let mut ben_socket = Socket::open(&app, &ben).await;
    ben_socket
        .send(json!({ "type": "sync", "room_id": room, "after": 1 }))
        .await;
    let mut caught_up = Vec::new();
    loop {
        let frame = ben_socket.next().await;
        match frame["type"].as_str() {
            Some("message") => caught_up.push(frame["message"]["body"].as_str().unwrap().to_owned()),
            Some("synced") => {
                assert_eq!(frame["seq"], 6);
                break;
            }
            _ => {}
        }
    }
    assert_eq!(
        caught_up,
        (0..5).map(|i| format!("missed {i}")).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_resend_with_the_same_client_id_returns_the_original() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut socket = Socket::open(&app, &ann).await;
    let client_id = Uuid::new_v4();
    let frame = json!({ "type": "send", "room_id": room, "client_id": client_id, "body": "only once" });
    socket.send(frame.clone()).await;
    let first = socket.next_of("ack").await;
    socket.send(frame).await;
    let second = socket.next_of("ack").await;
    assert_eq!(first["message"], second["message"]);
    assert_eq!(app.count("select count(*) from messages").await, 1);

    // Over HTTP as well: the repeat answers 200 with the same message.
    let body = json!({ "message": { "body": "only once", "client_id": client_id } });
    let token = ann.csrf_token().await;
    let response = ann
        .client
        .post(ann.url(&format!("/api/chat/rooms/{room}/messages")))
        .header("x-csrf-token", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let again: Value = response.json().await.unwrap();
    assert_eq!(again["message"], first["message"]);
    assert_eq!(app.count("select count(*) from messages").await, 1);
}

#[tokio::test]
async fn a_client_id_is_its_senders_own_and_never_returns_someone_elses_message() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let client_id = Uuid::new_v4();
    let mut ann_socket = Socket::open(&app, &ann).await;
    ann_socket
        .send(json!({ "type": "send", "room_id": room, "client_id": client_id, "body": "ann's words" }))
        .await;
    ann_socket.next_of("ack").await;

    let mut ben_socket = Socket::open(&app, &ben).await;
    let message = ben_socket.say_with(&room, client_id, "ben's own words").await;
    assert_eq!(message["sender"], "ben");
    assert_eq!(message["body"], "ben's own words");
    assert_eq!(app.count("select count(*) from messages").await, 2);
}

#[tokio::test]
async fn anonymous_and_foreign_origin_upgrades_are_refused() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    assert_eq!(try_connect(&app, &[]).await.err(), Some(401));
    let cookie = format!("bocha_session={}", ann.cookie("bocha_session").unwrap());
    let foreign = try_connect(
        &app,
        &[
            ("cookie", cookie.clone()),
            ("origin", "https://evil.example".to_owned()),
        ],
    )
    .await;
    assert_eq!(foreign.err(), Some(403));
    // The same host on another port or scheme is another site.
    for other in [
        "http://127.0.0.1:9999".to_owned(),
        format!("https://127.0.0.1:{}", app.addr.port()),
        "http://127.0.0.1".to_owned(),
    ] {
        let refused = try_connect(&app, &[("cookie", cookie.clone()), ("origin", other.clone())]).await;
        assert_eq!(refused.err(), Some(403), "{other}");
    }
    let own = try_connect(
        &app,
        &[
            ("cookie", cookie),
            ("origin", format!("http://127.0.0.1:{}", app.addr.port())),
        ],
    )
    .await;
    assert!(own.is_ok());
}

#[tokio::test]
async fn outsiders_get_404_everywhere_and_never_a_frame() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let eve = app.signed_in("eve").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut eve_socket = Socket::open(&app, &eve).await;
    let mut ann_socket = Socket::open(&app, &ann).await;

    let (status, _) = eve.page(&format!("/chat/{room}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in [
        format!("/api/chat/rooms/{room}"),
        format!("/api/chat/rooms/{room}/messages"),
    ] {
        assert_eq!(eve.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    eve_socket
        .send(json!({ "type": "sync", "room_id": room, "after": 0 }))
        .await;
    let refused = eve_socket.next_of("error").await;
    assert_eq!(refused["code"], "not_found");
    eve_socket
        .send(json!({ "type": "send", "room_id": room, "client_id": Uuid::new_v4(), "body": "let me in" }))
        .await;
    assert_eq!(eve_socket.next_of("error").await["code"], "not_found");

    ann_socket.say(&room, "private").await;
    assert!(
        eve_socket.silent_for("message", Duration::from_millis(500)).await,
        "no frame of the room reaches an outsider"
    );
    assert_eq!(app.count("select count(*) from messages").await, 1);
}

#[tokio::test]
async fn sends_over_the_limit_get_an_error_frame_and_the_socket_stays_open() {
    let app = TestApp::spawn_with(|config| config.chat_sends_per_minute = 3).await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut socket = Socket::open(&app, &ann).await;
    for i in 0..3 {
        socket.say(&room, &format!("m{i}")).await;
    }
    let client_id = Uuid::new_v4();
    socket
        .send(json!({ "type": "send", "room_id": room, "client_id": client_id, "body": "one too many" }))
        .await;
    let refused = socket.next_of("error").await;
    assert_eq!(refused["code"], "rate_limited");
    assert_eq!(refused["client_id"], json!(client_id));
    socket
        .send(json!({ "type": "sync", "room_id": room, "after": 3 }))
        .await;
    assert_eq!(
        socket.next_of("synced").await["seq"],
        3,
        "the socket still answers"
    );
}

#[tokio::test]
async fn bad_frames_get_an_invalid_error() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut socket = Socket::open(&app, &ann).await;
    socket.ws.send(Message::Text("not json".into())).await.unwrap();
    assert_eq!(socket.next_of("error").await["code"], "invalid");
    socket
        .send(json!({ "type": "send", "room_id": room, "client_id": Uuid::new_v4(), "body": "   " }))
        .await;
    assert_eq!(socket.next_of("error").await["code"], "invalid");
    let long = "x".repeat(4001);
    socket
        .send(json!({ "type": "send", "room_id": room, "client_id": Uuid::new_v4(), "body": long }))
        .await;
    assert_eq!(socket.next_of("error").await["code"], "invalid");
}

#[tokio::test]
async fn crossing_requests_approved_at_once_make_one_room() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let (a, b) = tokio::join!(
        ann.submit("/chat/requests", &[("to", "ben"), ("message", "")]),
        ben.submit("/chat/requests", &[("to", "ann"), ("message", "")])
    );
    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    let for_ann: Value = ann.get("/api/chat/requests").await.json().await.unwrap();
    let for_ben: Value = ben.get("/api/chat/requests").await.json().await.unwrap();
    let to_ann = for_ann["incoming"][0]["id"].as_str().unwrap().to_owned();
    let to_ben = for_ben["incoming"][0]["id"].as_str().unwrap().to_owned();
    let (ann_approves, ben_approves) = (
        format!("/chat/requests/{to_ann}/approve"),
        format!("/chat/requests/{to_ben}/approve"),
    );
    let (a, b) = tokio::join!(ann.submit(&ann_approves, &[]), ben.submit(&ben_approves, &[]));
    assert_eq!(location(&a), location(&b), "both land in the same room");
    assert_eq!(app.count("select count(*) from chat_rooms").await, 1);
    assert_eq!(
        app.count("select count(*) from chat_requests where status = 'approved'")
            .await,
        2
    );
}

#[tokio::test]
async fn requests_follow_the_rules_on_the_pages() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let (_, profile) = ann.page("/@ben").await;
    assert!(
        !select(
            &profile,
            "form[action='/chat/requests'] input[name=to][value=ben]"
        )
        .is_empty()
    );

    ann.submit("/chat/requests", &[("to", "ben"), ("message", "hi")])
        .await;
    let again = ann
        .submit("/chat/requests", &[("to", "ben"), ("message", "hi again")])
        .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("select count(*) from chat_requests").await,
        1,
        "no duplicate pending request"
    );
    let myself = ann
        .submit("/chat/requests", &[("to", "ann"), ("message", "")])
        .await;
    assert_eq!(myself.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("select count(*) from chat_requests").await,
        1,
        "no request to yourself"
    );

    // Ben sees it in his inbox and declines; Ann is told when she may ask again.
    let (_, inbox) = ben.page("/chat").await;
    let decline = attr(&inbox, "form[action$='/decline']", "action").expect("a decline form");
    assert_eq!(ben.submit(&decline, &[]).await.status(), StatusCode::SEE_OTHER);
    let too_soon = ann
        .submit("/chat/requests", &[("to", "ben"), ("message", "please?")])
        .await;
    assert_eq!(too_soon.status(), StatusCode::SEE_OTHER);
    let (_, profile) = ann.page(&location(&too_soon)).await;
    let told = text(&profile, ".flash");
    assert!(told.contains("you can ask again from"), "{told}");
    assert_eq!(app.count("select count(*) from chat_requests").await, 1);

    // Ben may still reach out, and cancel his own request.
    ben.submit("/chat/requests", &[("to", "ann"), ("message", "")])
        .await;
    let (_, ben_inbox) = ben.page("/chat").await;
    let cancel = attr(&ben_inbox, "form[action$='/cancel']", "action").expect("a cancel form");
    assert_eq!(
        ann.submit(&cancel, &[]).await.status(),
        StatusCode::FORBIDDEN,
        "only the sender cancels"
    );
    assert_eq!(ben.submit(&cancel, &[]).await.status(), StatusCode::SEE_OTHER);
    let statuses: Vec<String> = sqlx::query_scalar("select status from chat_requests order by created_at")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(statuses, vec!["declined", "cancelled"]);
}

#[tokio::test]
async fn the_inbox_shows_unread_counts_and_reading_clears_them() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut socket = Socket::open(&app, &ann).await;
    for i in 0..3 {
        socket.say(&room, &format!("note {i}")).await;
    }
    let (_, page) = ben.page("/").await;
    assert_eq!(text(&page, "#unread-badge").trim(), "3");
    let (status, inbox) = ben.page("/chat").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(attr(&inbox, "a.room-link", "href"), Some(format!("/chat/{room}")));
    assert!(text(&inbox, ".room-unread").trim().starts_with("3 "));
    let rooms: Value = ben.get("/api/chat/rooms").await.json().await.unwrap();
    assert_eq!(rooms["rooms"][0]["unread"], 3);
    assert_eq!(rooms["rooms"][0]["last_message"]["body"], "note 2");

    let mut ben_socket = Socket::open(&app, &ben).await;
    ben_socket
        .send(json!({ "type": "read", "room_id": room, "seq": 3 }))
        .await;
    let receipt = socket.next_of("read").await;
    assert_eq!(
        (receipt["username"].as_str(), receipt["seq"].as_i64()),
        (Some("ben"), Some(3))
    );
    let rooms: Value = ben.get("/api/chat/rooms").await.json().await.unwrap();
    assert_eq!(rooms["rooms"][0]["unread"], 0);
    let for_ann: Value = ann
        .get(&format!("/api/chat/rooms/{room}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(for_ann["room"]["peer_last_read_seq"], 3);
}

#[tokio::test]
async fn chat_keeps_working_when_redis_goes_away_and_catches_up_when_it_returns() {
    let redis = crate::redis_server::RedisServer::start();
    let AcrossInstances {
        first,
        second: _second,
        ann,
        room,
        mut ann_socket,
        mut ben_socket,
        ..
    } = AcrossInstances::open(TestApp::spawn_with(|config| config.redis_url = redis.url()).await).await;
    let mut ann_tab_on_first = Socket::open(&first, &ann).await;
    ann_socket.say(&room, "while redis is up").await;
    assert_eq!(ben_socket.next_of("message").await["message"]["seq"], 1);

    redis.stop();
    // Sending still works and is stored; on the same instance, delivery goes on.
    let during = ann_socket.say(&room, "while redis is down").await;
    assert_eq!(during["seq"], 2);
    assert_eq!(ann_tab_on_first.next_of("message").await["message"]["seq"], 1);
    assert_eq!(ann_tab_on_first.next_of("message").await["message"]["seq"], 2);
    assert_eq!(first.count("select count(*) from messages").await, 2);

    redis.restart();
    // Delivery resumes: the publisher sends what waited, and a sync fills any gap.
    let after = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            let frame = ben_socket.next_of("message").await;
            if frame["message"]["seq"] == 2 {
                return frame;
            }
        }
    })
    .await
    .expect("the message sent during the outage arrives once Redis is back");
    assert_eq!(after["message"]["body"], "while redis is down");
    ann_socket.say(&room, "after redis returned").await;
    assert_eq!(ben_socket.next_of("message").await["message"]["seq"], 3);
}

#[tokio::test]
async fn every_message_sent_through_a_redis_outage_arrives_live_without_a_sync() {
    let redis = crate::redis_server::RedisServer::start();
    let AcrossInstances {
        first,
        second: _second,
        room,
        mut ann_socket,
        mut ben_socket,
        ..
    } = AcrossInstances::open(TestApp::spawn_with(|config| config.redis_url = redis.url()).await).await;

    // Ann keeps writing, before, during and after a Redis outage; Ben's socket never asks for
    // anything.
    let frame = |n: usize| json!({ "type": "send", "room_id": room, "client_id": Uuid::new_v4(), "body": format!("m{n}") });
    for n in 0..5 {
        ann_socket.send(frame(n)).await;
    }
    redis.stop();
    for n in 5..25 {
        ann_socket.send(frame(n)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    redis.restart();
    for n in 25..45 {
        ann_socket.send(frame(n)).await;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let total = 45;
    let mut seen = std::collections::BTreeSet::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while seen.len() < total {
            let frame = ben_socket.next_of("message").await;
            let seq = frame["message"]["seq"].as_u64().unwrap();
            assert!(seen.insert(seq), "seq {seq} arrived twice");
        }
    })
    .await
    .unwrap_or_else(|_| panic!("only {} of {total} arrived live: {seen:?}", seen.len()));
    assert_eq!(seen, (1..=total as u64).collect());
    assert_eq!(first.count("select count(*) from messages").await, total as i64);
}

#[tokio::test]
async fn a_socket_that_stops_answering_pings_is_closed() {
    // Shorter than the environment allows (3 s), so the test waits well under a second.
    let silence = Duration::from_millis(300);
    let app = TestApp::spawn_with(|config| config.ws_timeout = silence).await;
    let ann = app.signed_in("ann").await;
    let mut socket = Socket::open(&app, &ann).await;
    // Not reading means not answering the server's pings: past the limit and the last ping
    // that finds it (a third of it later), the server gives up.
    tokio::time::sleep(silence * 2).await;
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.ws.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true), "the server closed the silent socket");
}
