//! What makes the chat a messenger: replies, reactions, search of one's own conversations, a
//! message opened in context.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::chat::{Socket, open_room};
use crate::helpers::*;

/// 👍, as it goes in a URL.
const THUMBS_UP: &str = "%F0%9F%91%8D";

async fn react(browser: &Browser, room: &str, seq: i64, emoji: &str, on: bool) -> (StatusCode, Value) {
    let method = if on { Method::PUT } else { Method::DELETE };
    let response = browser
        .client
        .request(
            method,
            browser.url(&format!(
                "/api/chat/rooms/{room}/messages/{seq}/reactions/{emoji}"
            )),
        )
        .header("x-csrf-token", browser.csrf_token().await)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn reactions_toggle_and_reach_both_people_live() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut ann_socket = Socket::open(&app, &ann).await;
    let mut ben_socket = Socket::open(&app, &ben).await;
    // Saying it passes Ann's own copy on the way to her ack.
    let sent = ann_socket.say(&room, "Lunch at noon?").await;
    ben_socket.next_of("message").await;

    let (status, answer) = react(&ben, &room, 1, THUMBS_UP, true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["message"]["reactions"],
        json!([{ "emoji": "👍", "by": ["ben"] }])
    );
    let live = ann_socket.next_of("message").await["message"].clone();
    assert_eq!(live["reactions"], answer["message"]["reactions"]);
    assert!(live["version"].as_i64() > sent["version"].as_i64());
    assert_eq!(
        ben_socket.next_of("message").await["message"]["reactions"][0]["by"],
        json!(["ben"])
    );

    // Again: nothing changes, nothing is sent.
    let (status, again) = react(&ben, &room, 1, THUMBS_UP, true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["message"]["version"], live["version"]);
    assert!(
        ann_socket
            .silent_for("message", std::time::Duration::from_millis(300))
            .await
    );

    // Ann adds her own; Ben takes his back.
    react(&ann, &room, 1, THUMBS_UP, true).await;
    let (_, after) = react(&ben, &room, 1, THUMBS_UP, false).await;
    assert_eq!(
        after["message"]["reactions"],
        json!([{ "emoji": "👍", "by": ["ann"] }])
    );

    let (status, refused) = react(&ben, &room, 1, "%F0%9F%8D%95", true).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "🍕 is not offered");
    assert_eq!(
        refused["errors"]["emoji"][0],
        "is not one of the reactions offered"
    );
    let (status, _) = react(&ben, &room, 9, THUMBS_UP, true).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let cal = app.signed_in("cal").await;
    let (status, _) = react(&cal, &room, 1, THUMBS_UP, true).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an outsider learns nothing");

    // A deleted message loses its reactions and takes no more.
    let token = ann.csrf_token().await;
    let deleted = ann
        .client
        .delete(ann.url(&format!("/api/chat/rooms/{room}/messages/1")))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let (status, _) = react(&ben, &room, 1, THUMBS_UP, true).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page) = {
        let response = ben.get(&format!("/api/chat/rooms/{room}/messages")).await;
        (response.status(), response.json::<Value>().await.unwrap())
    };
    assert_eq!(page["messages"][0]["reactions"], json!([]));
}

#[tokio::test]
async fn a_reply_quotes_its_message_and_follows_what_becomes_of_it() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut ann_socket = Socket::open(&app, &ann).await;
    let mut ben_socket = Socket::open(&app, &ben).await;
    ann_socket.say(&room, "Shall we meet at the station?").await;

    ben_socket
        .send(json!({ "type": "send", "room_id": room, "client_id": Uuid::new_v4(), "body": "Yes, at six", "reply_to": 1 }))
        .await;
    let reply = ben_socket.next_of("ack").await["message"].clone();
    assert_eq!(
        reply["reply_to"],
        json!({ "seq": 1, "sender": "ann", "excerpt": "Shall we meet at the station?" })
    );
    let live = loop {
        let frame = ann_socket.next_of("message").await;
        if frame["message"]["seq"] == 2 {
            break frame["message"].clone();
        }
    };
    assert_eq!(live["reply_to"]["seq"], 1);

    // Through the API too; a reply to nothing is refused, saying why.
    let client_id = Uuid::new_v4();
    let refused = ben
        .client
        .post(ben.url(&format!("/api/chat/rooms/{room}/messages")))
        .header("x-csrf-token", ben.csrf_token().await)
        .json(&json!({ "message": { "body": "to what?", "client_id": client_id, "reply_to": 40 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["errors"]["reply_to"][0],
        "the message replied to is not in this chat"
    );

    // Once the original is deleted, the quote keeps its place without its words.
    let token = ann.csrf_token().await;
    ann.client
        .delete(ann.url(&format!("/api/chat/rooms/{room}/messages/1")))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    let page: Value = ben
        .get(&format!("/api/chat/rooms/{room}/messages"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        page["messages"][1]["reply_to"],
        json!({ "seq": 1, "sender": "ann", "excerpt": null })
    );
}

#[tokio::test]
async fn search_finds_words_only_in_the_searchers_own_rooms_and_only_while_they_stand() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let cal = app.signed_in("cal").await;
    let dan = app.signed_in("dan").await;
    let ann_ben = open_room(&ann, &ben, "ben").await;
    let cal_dan = open_room(&cal, &dan, "dan").await;
    let mut ann_socket = Socket::open(&app, &ann).await;
    let mut ben_socket = Socket::open(&app, &ben).await;
    let mut cal_socket = Socket::open(&app, &cal).await;
    ann_socket.say(&ann_ben, "The pineapple tart was lovely").await;
    ben_socket
        .say(&ann_ben, "I will bake another PINEAPPLE tart")
        .await;
    ann_socket.say(&ann_ben, "pineapple secret, to be deleted").await;
    cal_socket.say(&cal_dan, "pineapple plans of cal and dan").await;
    let token = ann.csrf_token().await;
    ann.client
        .delete(ann.url(&format!("/api/chat/rooms/{ann_ben}/messages/3")))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();

    let found: Value = ann
        .get("/api/chat/search?q=pineapple")
        .await
        .json()
        .await
        .unwrap();
    let results = found["results"].as_array().unwrap();
    let places: Vec<(String, i64)> = results
        .iter()
        .map(|r| {
            (
                r["room_id"].as_str().unwrap().to_owned(),
                r["seq"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        places,
        [(ann_ben.clone(), 2), (ann_ben.clone(), 1)],
        "newest first, case folded, the deleted one and cal's room left out"
    );
    assert!(
        results[0]["excerpt"]
            .as_array()
            .unwrap()
            .iter()
            .any(|piece| piece["match"] == true && piece["text"] == "PINEAPPLE")
    );
    assert_eq!(results[0]["peer"], "ben");

    // Cal finds only his own; Dan's query for Ann's words finds nothing.
    let cal_found: Value = cal
        .get("/api/chat/search?q=pineapple")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cal_found["results"].as_array().unwrap().len(), 1);
    assert_eq!(cal_found["results"][0]["room_id"], cal_dan.as_str());
    let dan_found: Value = dan.get("/api/chat/search?q=tart").await.json().await.unwrap();
    assert_eq!(dan_found["results"], json!([]));
    let secret: Value = ann.get("/api/chat/search?q=secret").await.json().await.unwrap();
    assert_eq!(secret["results"], json!([]), "deleted words are not found");

    // The page: each result opens its message in context.
    let (status, html) = ann.page("/chat/search?q=pineapple").await;
    assert_eq!(status, StatusCode::OK);
    let links: Vec<String> = select(&html, ".chat-search-link")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_owned())
        .collect();
    assert_eq!(
        links,
        [
            format!("/chat/{ann_ben}?at=2#m2"),
            format!("/chat/{ann_ben}?at=1#m1")
        ]
    );
    assert_eq!(text(&html, ".chat-search-result mark"), "PINEAPPLE pineapple");

    // Bad input is told, not failed on.
    let (status, html) = ann.page(&format!("/chat/search?q={}", "x".repeat(201))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&html, "#chat-search-error").contains("at most 200"));
    let blank = ann.get("/api/chat/search?q=%20").await;
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let odd: Value = ann
        .get("/api/chat/search?q=%22%20%26%20%21%28")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(odd["results"], json!([]), "stray operators are words, not errors");
}

#[tokio::test]
async fn a_message_opens_in_context_with_a_way_to_the_newest() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut socket = Socket::open(&app, &ann).await;
    for i in 1..=80 {
        socket.say(&room, &format!("message {i}")).await;
    }
    let (status, html) = ben.page(&format!("/chat/{room}?at=10")).await;
    assert_eq!(status, StatusCode::OK);
    let seqs: Vec<i64> = select(&html, "li.message")
        .iter()
        .map(|li| li.value().attr("data-seq").unwrap().parse().unwrap())
        .collect();
    assert_eq!(seqs, (1..=35).collect::<Vec<_>>(), "all before it, 25 after");
    assert_eq!(
        attr(&html, "#chat-latest", "href").as_deref(),
        Some(&*format!("/chat/{room}"))
    );

    let around: Value = ben
        .get(&format!("/api/chat/rooms/{room}/messages?around=40&limit=10"))
        .await
        .json()
        .await
        .unwrap();
    let seqs: Vec<i64> = around["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (35..=45).collect::<Vec<_>>());
    assert_eq!(around["has_more"], true);

    // A number that is no message shows the newest, as without it.
    let (_, html) = ben.page(&format!("/chat/{room}?at=900")).await;
    assert_eq!(select(&html, "li.message").len(), 50);
    assert!(select(&html, "#chat-latest").is_empty());
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, 90]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

async fn upload(browser: &Browser, room: &str, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let response = browser
        .client
        .post(browser.url(&format!("/api/chat/rooms/{room}/attachments")))
        .header("x-csrf-token", browser.csrf_token().await)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn send_file(browser: &Browser, room: &str, attachment: &Value, body: &str) -> (StatusCode, Value) {
    let response = browser
        .client
        .post(browser.url(&format!("/api/chat/rooms/{room}/messages")))
        .header("x-csrf-token", browser.csrf_token().await)
        .json(
            &json!({ "message": { "body": body, "client_id": Uuid::new_v4(), "attachment_id": attachment } }),
        )
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The files stored for chats, by the media directory.
fn stored_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.media_dir.join("chat")).map_or(0, |dir| dir.count())
}

#[tokio::test]
async fn a_file_reaches_only_the_two_people_and_goes_with_its_message() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let cal = app.signed_in("cal").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut ben_socket = Socket::open(&app, &ben).await;

    // An image is checked and re-encoded as a cover is (an opaque one as a JPEG, named so);
    // its name is only shown.
    let (status, uploaded) = upload(&ann, &room, "../holiday.png", png(2400, 1200)).await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");
    let file = &uploaded["attachment"];
    assert_eq!(file["name"], "holiday.jpg");
    assert_eq!(
        (file["width"].as_u64(), file["height"].as_u64()),
        (Some(1600), Some(800))
    );
    // Nobody else may send it, and it goes once.
    let (status, refused) = send_file(&ben, &room, &file["id"], "mine now").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused["errors"]["attachment_id"][0]
            .as_str()
            .unwrap()
            .contains("not a file you uploaded")
    );
    let (status, sent) = send_file(&ann, &room, &file["id"], "").await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let (status, _) = send_file(&ann, &room, &file["id"], "again").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let message = &sent["message"];
    assert_eq!(message["body"], "");
    let url = message["attachment"]["url"].as_str().unwrap().to_owned();
    assert_eq!(
        url,
        format!(
            "/api/chat/rooms/{room}/attachments/{}",
            file["id"].as_str().unwrap()
        )
    );
    assert_eq!(
        ben_socket.next_of("message").await["message"]["attachment"]["url"],
        url.as_str()
    );

    // Ben fetches it; it is shown in place, never run as a page.
    let fetched = ben.get(&url).await;
    assert_eq!(fetched.status(), StatusCode::OK);
    let header = |name: &str| fetched.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "image/jpeg");
    assert!(header("content-disposition").starts_with("inline; filename*=UTF-8''holiday.jpg"));
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert!(header("content-security-policy").contains("sandbox"));
    assert!(header("cache-control").contains("private"));
    let decoded = image::load_from_memory(&fetched.bytes().await.unwrap()).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1600, 800));

    // Anyone else: the link, a guessed one, or signed out, finds nothing.
    assert_eq!(cal.get(&url).await.status(), StatusCode::NOT_FOUND);
    let guessed = format!("/api/chat/rooms/{room}/attachments/{}", Uuid::new_v4());
    assert_eq!(ben.get(&guessed).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.browser().get(&url).await.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = upload(&cal, &room, "x.txt", b"hello".to_vec()).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "an outsider uploads nothing to the room"
    );

    // Staff only after stating why they read the chat.
    let sam = app.staff("sam").await;
    assert_eq!(sam.get(&url).await.status(), StatusCode::NOT_FOUND);
    sam.submit(
        &format!("/chat/{room}/access"),
        &[("reason", "a report to review")],
    )
    .await;
    assert_eq!(sam.get(&url).await.status(), StatusCode::OK);

    // Other files are downloaded; kinds not accepted and files too large are refused.
    let (status, pdf) = upload(&ben, &room, "plan.pdf", b"%PDF-1.7\n%%EOF\n".to_vec()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(pdf["attachment"]["content_type"], "application/pdf");
    let (_, sent_pdf) = send_file(&ben, &room, &pdf["attachment"]["id"], "the plan").await;
    let pdf_url = sent_pdf["message"]["attachment"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    let fetched = ann.get(&pdf_url).await;
    assert!(
        fetched.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let (status, refused) = upload(
        &ben,
        &room,
        "tool.pdf",
        b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused["errors"]["file"][0]
            .as_str()
            .unwrap()
            .starts_with("must be an image")
    );
    let (status, refused) = upload(&ben, &room, "big.txt", vec![b'a'; 6 * 1024 * 1024]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["errors"]["file"][0], "must be at most 5 MB");

    // Deleting the message deletes the file, for everyone.
    assert_eq!(stored_files(&app), 2);
    let deleted = ann
        .client
        .delete(ann.url(&format!("/api/chat/rooms/{room}/messages/{}", message["seq"])))
        .header("x-csrf-token", ann.csrf_token().await)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(ben.get(&url).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(sam.get(&url).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(stored_files(&app), 1);
    let page: Value = ben
        .get(&format!("/api/chat/rooms/{room}/messages"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["messages"][0]["attachment"], Value::Null);

    // A file never sent is swept after a day.
    let (_, unsent) = upload(&ann, &room, "later.txt", b"maybe".to_vec()).await;
    assert_eq!(stored_files(&app), 2);
    sqlx::query("update chat_uploads set created_at = now() - interval '25 hours' where id = $1")
        .bind(
            unsent["attachment"]["id"]
                .as_str()
                .unwrap()
                .parse::<Uuid>()
                .unwrap(),
        )
        .execute(&app.db.pool)
        .await
        .unwrap();
    let swept = app::usecases::chat::attachments::sweep(&app.state.db, &app.state.media)
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(stored_files(&app), 1);
}
