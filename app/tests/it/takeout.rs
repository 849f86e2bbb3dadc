//! "Download my data": the archive is built in the background, announced by mail, holds all of
//! a person's data and only theirs, and is for its person only.

use std::io::Read;

use reqwest::StatusCode;
use serde_json::Value;

use crate::api_client::{publish, register};
use crate::chat::{Socket, open_room};
use crate::helpers::{TestApp, attr, location};

fn entries(bytes: &[u8]) -> std::collections::BTreeMap<String, String> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            (file.name().unwrap().into_owned(), text)
        })
        .collect()
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[tokio::test]
async fn a_person_downloads_everything_of_theirs_and_only_they_can() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let cat = register(&app, "cat").await;
    let slug = publish(&cat, "Cat's post", &["cats"]).await;
    crate::blog::publish(&ann, "Ann's travels", "I went *far*.", "travel").await;
    ann.submit(&format!("/posts/{slug}/comments"), &[("body", "Lovely cat")])
        .await;
    ann.submit(&format!("/posts/{slug}/favorite"), &[]).await;
    ann.submit("/@cat/follow", &[]).await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut socket = Socket::open(&app, &ann).await;
    socket.say(&room, "hello from ann").await;
    let mut other = Socket::open(&app, &ben).await;
    other.say(&room, "hello from ben").await;

    let asked = ann.submit("/settings/export", &[]).await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    app.mail_to("ann@example.com", "Your data is ready to download")
        .await;
    let (_, settings) = ann.page("/settings").await;
    let link = attr(&settings, "a[href^='/settings/export/']", "href").expect("a download link");
    let response = ann.get(&link).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let files = entries(&response.bytes().await.unwrap());

    let profile: Value = serde_json::from_str(&files["profile.json"]).unwrap();
    assert_eq!(profile["username"], "ann");
    assert_eq!(profile["email"], "ann@example.com");
    let posts = lines(&files["posts.ndjson"]);
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["body_markdown"], "I went *far*.");
    assert!(posts[0]["body_html"].as_str().unwrap().contains("<em>far</em>"));
    assert_eq!(lines(&files["comments.ndjson"])[0]["body_markdown"], "Lovely cat");
    assert_eq!(lines(&files["favorites.ndjson"])[0]["post"], slug);
    assert_eq!(lines(&files["follows.ndjson"])[0]["username"], "cat");
    assert_eq!(lines(&files["chat_requests.ndjson"]).len(), 1);
    let messages = lines(&files["chat_messages.ndjson"]);
    let bodies: Vec<&str> = messages.iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["hello from ann", "hello from ben"]);
    assert!(files["README.txt"].contains("chat_messages.ndjson"));
    // Nothing of anyone else's beyond the chat they share.
    let everything: String = files.values().cloned().collect();
    assert!(!everything.contains("Cat's post\",\"body"));
    assert!(!everything.contains("ben@example.com"));

    // Only Ann may download it; asking again within the hour offers the same archive.
    assert_eq!(ben.get(&link).await.status(), StatusCode::NOT_FOUND);
    let anonymous = app.browser().get(&link).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert!(location(&anonymous).starts_with("/login"));
    ann.submit("/settings/export", &[]).await;
    assert_eq!(app.count("select count(*) from data_exports").await, 1);
    assert_eq!(
        app.count("select count(*) from events where event_type = 'DataExportRequested'")
            .await,
        1
    );
}
