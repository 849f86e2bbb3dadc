//! Deleting an account erases its person for real: after it, no trace of their words is left in
//! the database (a `pg_dump` of all of it), in Redis or in the media folder, while what others
//! wrote stays; and rebuilding the read models from the log gives the same erased tables.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_client::{Api, register};
use crate::chat::Socket;
use crate::helpers::{PASSWORD, TestApp, location, text};

/// The read models a rebuild writes, each as one JSON text in a fixed order.
async fn read_models(app: &TestApp) -> Vec<(String, String)> {
    let tables = [
        ("users", "id"),
        ("posts", "id"),
        ("post_tags", "tag, post_id"),
        ("post_counts", "post_id"),
        ("comments", "id"),
        ("favorites", "post_id, user_id"),
        ("follows", "follower_id, followee_id"),
        ("chat_requests", "id"),
        ("chat_rooms", "id"),
        ("chat_members", "room_id, user_id"),
        ("messages", "room_id, seq"),
        ("password_resets", "reset_id"),
    ];
    let mut models = Vec::new();
    for (table, order) in tables {
        let rows: Option<Value> = sqlx::query_scalar(&format!(
            "select jsonb_agg(to_jsonb(t) order by {order}) from {table} t"
        ))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        models.push((table.to_owned(), rows.unwrap_or(Value::Null).to_string()));
    }
    // Counts of tags nobody uses are kept by some paths and not others; nothing reads them.
    let tags: Option<Value> =
        sqlx::query_scalar("select jsonb_agg(to_jsonb(t) order by tag) from tag_counts t where posts > 0")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    models.push(("tag_counts".to_owned(), tags.unwrap_or(Value::Null).to_string()));
    models
}

fn pg_dump(app: &TestApp) -> String {
    let output = std::process::Command::new("pg_dump")
        .args(["--data-only", "--no-owner", "--dbname", &app.db.url])
        .output()
        .expect("pg_dump runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Every key under the app's prefix, with what it holds (as Redis would copy it elsewhere).
async fn redis_contents(app: &TestApp) -> String {
    let client = redis::Client::open(app.config.redis_url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", app.config.redis_prefix))
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut contents = String::new();
    for key in keys {
        let dumped: Option<Vec<u8>> = redis::cmd("DUMP").arg(&key).query_async(&mut conn).await.unwrap();
        contents.push_str(&key);
        contents.push_str(&String::from_utf8_lossy(&dumped.unwrap_or_default()));
    }
    contents
}

fn media_contents(app: &TestApp) -> (usize, String) {
    let mut files = 0;
    let mut contents = String::new();
    let mut dirs = vec![app.media_dir.clone()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files += 1;
                contents.push_str(&path.to_string_lossy());
                contents.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
            }
        }
    }
    (files, contents)
}

fn png() -> Vec<u8> {
    let mut bytes = Vec::new();
    image::RgbImage::from_fn(64, 64, |x, y| image::Rgb([(x * 4) as u8, (y * 4) as u8, 120]))
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

#[tokio::test]
async fn a_deleted_account_leaves_no_trace_of_its_person_and_others_keep_theirs() {
    let app = TestApp::spawn().await;
    // One marker in every field: found anywhere afterwards, it is a leak.
    let marker = format!("mk{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let username = format!("{marker}u");
    let email = format!("{marker}e@example.com");

    let alice = app.browser();
    assert_eq!(
        alice.sign_up(&username, &email, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    app.confirm_email(&alice, &email).await;
    let bob = register(&app, "bob").await;
    let bob_page = app.browser();
    bob_page.log_in("bob", PASSWORD).await;

    let profile = alice
        .submit_multipart(
            "/settings",
            &[
                ("display_name", &format!("{marker}d")),
                ("bio", &format!("Bio {marker}b")),
                ("email", &email),
            ],
            ("avatar", Some(("me.png", png()))),
        )
        .await;
    assert_eq!(profile.status(), StatusCode::SEE_OTHER);
    let alices_post = crate::blog::publish(
        &alice,
        &format!("Title {marker}t"),
        &format!("Body {marker}p"),
        &format!("{marker}g, shared"),
    )
    .await;
    let bobs_post = crate::api_client::publish(&bob, "Bob's own post", &["shared"]).await;
    alice
        .submit(
            &format!("/posts/{bobs_post}/comments"),
            &[("body", &format!("Comment {marker}c"))],
        )
        .await;
    bob.post(
        &format!("/api/articles/{alices_post}/comments"),
        json!({ "comment": { "body": "Bob replies under Alice's post" } }),
    )
    .await;
    alice.submit(&format!("/posts/{bobs_post}/favorite"), &[]).await;
    alice.submit("/@bob/follow", &[]).await;
    let asked = alice
        .submit(
            "/chat/requests",
            &[("to", "bob"), ("message", &format!("Note {marker}n"))],
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let pending = bob.get("/api/chat/requests").await;
    let request = pending.body["incoming"][0]["id"].as_str().unwrap().to_owned();
    let approved = bob_page
        .submit(&format!("/chat/requests/{request}/approve"), &[])
        .await;
    let room = location(&approved).strip_prefix("/chat/").unwrap().to_owned();
    let mut alices_socket = Socket::open(&app, &alice).await;
    alices_socket.say(&room, &format!("Message {marker}m")).await;
    let mut bobs_socket = Socket::open(&app, &bob_page).await;
    bobs_socket.say(&room, "Bob's answer stays").await;
    let token = Api::new(&app)
        .post(
            "/api/users/login",
            json!({ "user": { "email": email, "password": PASSWORD } }),
        )
        .await
        .body["user"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(pg_dump(&app).contains(&marker), "the markers are stored before");
    let (images, _) = media_contents(&app);
    assert!(images > 0, "the picture is stored");

    // A wrong password deletes nothing.
    let wrong = alice
        .submit("/settings/delete", &[("password", "not the password")])
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, page) = alice.page("/settings").await;
    assert!(text(&page, "body").contains(&format!("{marker}d")));

    let deleted = alice.submit("/settings/delete", &[("password", PASSWORD)]).await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&deleted), "/");

    // Closed at once everywhere: this browser, the API token, the open socket.
    assert!(alices_socket.closed_within(Duration::from_secs(2)).await);
    assert_eq!(alice.signed_in_as().await, None);
    assert_eq!(
        Api::with_token(&app, &token).get("/api/user").await.status,
        StatusCode::UNAUTHORIZED
    );
    let relogin = Api::new(&app)
        .post(
            "/api/users/login",
            json!({ "user": { "email": email, "password": PASSWORD } }),
        )
        .await;
    assert_ne!(relogin.status, StatusCode::OK);

    // Nothing of them anywhere.
    let dump = pg_dump(&app);
    assert!(
        !dump.contains(&marker),
        "the database still holds the person's data"
    );
    assert!(!redis_contents(&app).await.contains(&marker));
    let (images, media) = media_contents(&app);
    assert_eq!(images, 0, "their picture is deleted");
    assert!(!media.contains(&marker));

    // Others keep theirs, and see where the person was.
    assert!(dump.contains("Bob replies under Alice's post"));
    assert!(dump.contains("Bob's answer stays"));
    let messages = bob.get(&format!("/api/chat/rooms/{room}/messages")).await;
    let bodies: Vec<&str> = messages.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["", "Bob's answer stays"]);
    let (_, room_page) = bob_page.page(&format!("/chat/{room}")).await;
    assert!(text(&room_page, "#chat-messages").contains("Message from a deleted account"));
    let (status, bobs) = bob_page.page(&format!("/posts/{bobs_post}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&bobs, "body").contains("Comment from a deleted account"));
    let alices_now = format!("/posts/deleted_{}", {
        let row: (uuid::Uuid,) = sqlx::query_as(
            "select id from posts where author_id = (select id from users where deleted_at is not null)",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        row.0.simple()
    });
    let (status, erased_post) = bob_page.page(&alices_now).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&erased_post, "body").contains("Deleted post"));
    assert!(text(&erased_post, "body").contains("deleted user"));
    assert!(text(&erased_post, "body").contains("Bob replies under Alice's post"));
    let (status, _) = bob_page.page(&format!("/posts/{alices_post}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old address named them");

    // The name and address are free again.
    let again = app.browser();
    assert_eq!(
        again.sign_up(&username, &email, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    // The log alone gives the same erased read models.
    let before = read_models(&app).await;
    app::usecases::maintenance::rebuild(&app.db.pool, &app.keyring(), None)
        .await
        .unwrap();
    assert_eq!(read_models(&app).await, before);
}

#[tokio::test]
async fn the_api_deletes_an_account_with_its_password_only() {
    let app = TestApp::spawn().await;
    let cleo = register(&app, "cleo").await;
    let wrong = cleo
        .send(
            cleo.request(reqwest::Method::DELETE, "/api/user")
                .json(&json!({ "password": "nope" })),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong.error("password"), "this is not your password");
    let missing = cleo
        .send(
            cleo.request(reqwest::Method::DELETE, "/api/user")
                .json(&json!({})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(cleo.get("/api/user").await.status, StatusCode::OK);

    let done = cleo
        .send(
            cleo.request(reqwest::Method::DELETE, "/api/user")
                .json(&json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    assert_eq!(cleo.get("/api/user").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        Api::new(&app).get("/api/profiles/cleo").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.count("select count(*) from events where event_type = 'AccountDeleted'")
            .await,
        1
    );
    assert_eq!(
        app.count("select count(*) from person_keys where wrapped is null")
            .await,
        1
    );
}
