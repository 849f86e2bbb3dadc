//! History and rebuild: audit pages, versions, exports, and read models rebuilt from the log
//! equal to the ones built as events happened.

use reqwest::StatusCode;
use serde_json::Value;

use crate::blog::post_form;
use crate::chat::{Socket, open_room};
use crate::helpers::*;

pub(crate) async fn publish(browser: &Browser, title: &str, body: &str) -> String {
    let fields = [
        ("title", title),
        ("description", "about it"),
        ("body", body),
        ("tags", "history, tests"),
        ("action", "publish"),
    ];
    let response = post_form(browser, "/posts/new", &fields, None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    location(&response).trim_start_matches("/posts/").to_owned()
}

pub(crate) async fn edit(browser: &Browser, slug: &str, title: &str, body: &str) {
    let fields = [
        ("title", title),
        ("description", "about it"),
        ("body", body),
        ("tags", "history"),
        ("action", "publish"),
    ];
    let response = post_form(browser, &format!("/posts/{slug}/edit"), &fields, None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// Every read-model table, row by row, in a stable order.
async fn read_models(app: &TestApp) -> Vec<(String, Value)> {
    let mut tables = Vec::new();
    for projector in app::startup::projectors() {
        for table in projector.tables() {
            let rows: Value = sqlx::query_scalar(&format!(
                "select coalesce(jsonb_agg(to_jsonb(t) order by to_jsonb(t)::text), '[]'::jsonb) from {table} t"
            ))
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
            tables.push((table.to_string(), rows));
        }
    }
    tables
}

/// A history touching every aggregate and every kind of event.
pub(crate) async fn busy_history(app: &TestApp) -> (Browser, Browser, String, String) {
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let cat = app.signed_in("cat").await;
    // A draft, with a preview link open.
    let draft = uuid::Uuid::now_v7();
    let saved = ann
        .submit(
            &format!("/drafts/{draft}/autosave"),
            &[
                ("title", "Notes"),
                ("description", ""),
                ("body", "For later"),
                ("tags", "tea"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    ann.submit(&format!("/drafts/{draft}/share"), &[]).await;
    // Someone gets Ann's posts by email.
    ben.submit("/@ann/subscribe", &[]).await;
    ann.submit_multipart(
        "/settings",
        &[
            ("display_name", "Ann A."),
            ("bio", "Writes."),
            ("email", "ann@new.example"),
            ("current_password", crate::helpers::PASSWORD),
        ],
        ("avatar", None),
    )
    .await;
    let mail = app
        .mail_to("ann@new.example", "Confirm your new email address")
        .await;
    ann.get(&crate::helpers::link_in(&mail, "/account/email/confirm/"))
        .await;
    // Cat forgets her password: a reset link waits (and fills the read model of those).
    app.browser()
        .submit("/password/forgot", &[("email", "cat@example.com")])
        .await;
    app.mail_to("cat@example.com", "Reset your password").await;

    let slug = publish(&ann, "First draft", "line one\nline two\nline three").await;
    edit(
        &ann,
        &slug,
        "Final title",
        "line one\nline 2\nline three\nline four",
    )
    .await;
    let doomed = publish(&ann, "Doomed", "to be deleted").await;
    for browser in [&ben, &cat] {
        browser
            .submit(&format!("/posts/{slug}/comments"), &[("body", "nice")])
            .await;
        browser.submit(&format!("/posts/{slug}/favorite"), &[]).await;
        browser.submit("/@ann/follow", &[]).await;
    }
    cat.submit(&format!("/posts/{slug}/unfavorite"), &[]).await;
    cat.submit("/@ann/unfollow", &[]).await;
    let ids: Vec<i64> = sqlx::query_scalar("select id from comments order by id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    ben.submit(
        &format!("/posts/{slug}/comments/{}/edit", ids[0]),
        &[("body", "very nice")],
    )
    .await;
    ann.submit(&format!("/posts/{slug}/comments/{}/delete", ids[1]), &[])
        .await;
    ann.submit(&format!("/posts/{doomed}/delete"), &[]).await;

    let room = open_room(&ann, &ben, "ben").await;
    cat.submit("/chat/requests", &[("to", "ann"), ("message", "hello?")])
        .await;
    let pending: Value = ann.get("/api/chat/requests").await.json().await.unwrap();
    let request = pending["incoming"][0]["id"].as_str().unwrap().to_owned();
    ann.submit(&format!("/chat/requests/{request}/decline"), &[])
        .await;
    let mut socket = Socket::open(app, &ann).await;
    for i in 0..5 {
        socket.say(&room, &format!("message {i}")).await;
    }
    let token = ann.csrf_token().await;
    let edited = ann
        .client
        .put(ann.url(&format!("/api/chat/rooms/{room}/messages/2")))
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({ "message": { "body": "message two, edited" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), StatusCode::OK);
    let deleted = ann
        .client
        .delete(ann.url(&format!("/api/chat/rooms/{room}/messages/3")))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    // A reaction that stays, one taken back, and a reply.
    let ben_token = ben.csrf_token().await;
    for (method, emoji) in [
        (reqwest::Method::PUT, "%F0%9F%91%8D"),
        (reqwest::Method::PUT, "%F0%9F%98%82"),
        (reqwest::Method::DELETE, "%F0%9F%98%82"),
    ] {
        let reacted = ben
            .client
            .request(
                method,
                ben.url(&format!("/api/chat/rooms/{room}/messages/1/reactions/{emoji}")),
            )
            .header("x-csrf-token", &ben_token)
            .send()
            .await
            .unwrap();
        assert_eq!(reacted.status(), StatusCode::OK);
    }
    socket
        .send(serde_json::json!({ "type": "send", "room_id": room, "client_id": uuid::Uuid::new_v4(), "body": "about the first", "reply_to": 1 }))
        .await;
    assert_eq!(socket.next_of("ack").await["message"]["reply_to"]["seq"], 1);
    let mut ben_socket = Socket::open(app, &ben).await;
    ben_socket
        .send(serde_json::json!({ "type": "read", "room_id": room, "seq": 4 }))
        .await;
    socket.next_of("read").await;
    cat.submit("/@ben/block", &[]).await;
    cat.submit("/@ann/block", &[]).await;
    cat.submit("/@ann/unblock", &[]).await;
    let staff = app.staff("sam").await;
    let read = staff
        .submit(
            &format!("/chat/{room}/access"),
            &[("reason", "a report to review")],
        )
        .await;
    assert_eq!(read.status(), StatusCode::SEE_OTHER);
    // Reports and moderation: a report, a suspension lifted, a post hidden and shown again.
    cat.submit("/reports/new", &[("user", "ben"), ("reason", "spam")])
        .await;
    for (path, fields) in [
        (
            "/@cat/suspend",
            vec![("reason", "spam"), ("duration", "1"), ("hide_posts", "1")],
        ),
        ("/@cat/lift-suspension", vec![("reason", "appeal")]),
        (
            &*format!("/posts/{slug}/moderate"),
            vec![("hide", "yes"), ("reason", "check")],
        ),
        (
            &*format!("/posts/{slug}/moderate"),
            vec![("hide", "no"), ("reason", "fine")],
        ),
        (
            &*format!("/posts/{slug}/comments/{}/moderate", ids[0]),
            vec![("hide", "yes"), ("reason", "rude")],
        ),
    ] {
        assert_eq!(
            staff.submit(path, &fields).await.status(),
            StatusCode::SEE_OTHER,
            "{path}"
        );
    }
    (ann, ben, slug, room)
}

#[tokio::test]
async fn rebuilding_every_read_model_gives_identical_tables_while_the_site_serves() {
    let app = TestApp::spawn().await;
    let (ann, _, slug, _) = busy_history(&app).await;
    let before = read_models(&app).await;
    assert!(
        before
            .iter()
            .all(|(_, rows)| rows.as_array().is_some_and(|r| !r.is_empty())),
        "every table has rows"
    );

    // Readers keep getting answers while the tables are rebuilt and swapped: several at once,
    // back to back, on pages whose queries join the tables in different orders.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = tokio::task::JoinSet::new();
    for path in [
        format!("/posts/{slug}"),
        format!("/posts/{slug}"),
        "/".to_owned(),
        "/@ann".to_owned(),
    ] {
        let (client, url, done) = (ann.client.clone(), ann.url(&path), done.clone());
        readers.spawn(async move {
            let mut statuses = Vec::new();
            while !done.load(std::sync::atomic::Ordering::Relaxed) || statuses.is_empty() {
                statuses.push(client.get(&url).send().await.unwrap().status());
            }
            statuses
        });
    }
    app::usecases::maintenance::rebuild(&app.db.pool, &app.keyring(), None)
        .await
        .unwrap();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let statuses: Vec<StatusCode> = readers.join_all().await.into_iter().flatten().collect();
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");

    let after = read_models(&app).await;
    for ((table, old), (_, new)) in before.iter().zip(&after) {
        assert_eq!(old, new, "{table} differs after the rebuild");
    }
    // The site keeps working on the new tables.
    let (status, page) = ann.page(&format!("/posts/{slug}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&page, "h1.post-title").trim(), "Final title");
}

#[tokio::test]
async fn the_author_and_staff_see_a_posts_history_with_diffs_and_versions() {
    let app = TestApp::spawn().await;
    let (ann, ben, slug, _) = busy_history(&app).await;

    let (status, page) = ann.page(&format!("/posts/{slug}/history")).await;
    assert_eq!(status, StatusCode::OK);
    let labels = text(&page, ".history-label");
    for expected in [
        "Published",
        "Edited",
        "Commented",
        "Edited a comment",
        "Deleted a comment",
        "Favorited",
        "Took back a favorite",
    ] {
        assert!(labels.contains(expected), "{expected} missing from {labels}");
    }
    assert!(text(&page, ".diff-remove").contains("First draft"));
    assert!(text(&page, ".diff-add").contains("Final title"));
    assert!(text(&page, ".diff-add").contains("line 2"));
    // Each line is a block of its own: a newline between them would show as an empty line.
    for diff in select(&page, "pre.diff-lines") {
        let between: String = diff
            .children()
            .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
            .collect();
        assert_eq!(between, "", "text between the lines of a diff");
    }

    let (status, version) = ann.page(&format!("/posts/{slug}/versions/1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&version, "h1.post-title").trim(), "First draft");
    assert!(text(&version, ".post-body").contains("line two"));

    assert_eq!(
        ben.page(&format!("/posts/{slug}/history")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ben.page(&format!("/posts/{slug}/versions/1")).await.0,
        StatusCode::NOT_FOUND
    );
    let moderator = app.staff("moderator").await;
    assert_eq!(
        moderator.page(&format!("/posts/{slug}/history")).await.0,
        StatusCode::OK
    );

    let export = ann.get(&format!("/posts/{slug}/history.ndjson")).await;
    assert_eq!(export.status(), StatusCode::OK);
    assert_eq!(export.headers()["content-type"], "application/x-ndjson");
    let lines: Vec<Value> = export
        .text()
        .await
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() >= 9);
    assert!(
        lines
            .windows(2)
            .all(|w| w[0]["position"].as_i64() < w[1]["position"].as_i64()),
        "in log order"
    );
    assert_eq!(lines[0]["event_type"], "PostPublished");
    assert_eq!(lines[0]["actor"], "ann");
}

#[tokio::test]
async fn a_deleted_posts_history_stays_with_its_author() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let slug = publish(&ann, "Gone soon", "bye").await;
    ann.submit(&format!("/posts/{slug}/delete"), &[]).await;
    assert_eq!(ann.page(&format!("/posts/{slug}")).await.0, StatusCode::NOT_FOUND);
    let (status, page) = ann.page(&format!("/posts/{slug}/history")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&page, ".history-label").contains("Deleted the post"));
    let (status, version) = ann.page(&format!("/posts/{slug}/versions/1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&version, ".post-body").contains("bye"));
}

#[tokio::test]
async fn chat_history_shows_edits_and_deletions_but_not_the_removed_words_to_its_people_only() {
    let app = TestApp::spawn().await;
    let (ann, ben, _, room) = busy_history(&app).await;
    for browser in [&ann, &ben] {
        let (status, page) = browser.page(&format!("/chat/{room}/history")).await;
        assert_eq!(status, StatusCode::OK);
        let labels = text(&page, ".history-label");
        assert!(
            labels.contains("Edited message #2") && labels.contains("Deleted message #3"),
            "{labels}"
        );
        let details = text(&page, ".history-detail");
        assert!(details.contains("message two, edited"), "{details}");
        assert!(
            !details.contains("message 1") && !details.contains("message 2"),
            "neither the words an edit replaced nor those deleted are shown: {details}"
        );
    }
    let cat = app.browser();
    cat.log_in("cat", PASSWORD).await;
    assert_eq!(
        cat.page(&format!("/chat/{room}/history")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        cat.get(&format!("/chat/{room}/history.ndjson")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn staff_browse_filter_and_export_the_global_log() {
    let app = TestApp::spawn().await;
    let (ann, _, _, room) = busy_history(&app).await;
    let mut socket = Socket::open(&app, &ann).await;
    for i in 0..80 {
        socket.say(&room, &format!("filler {i}")).await;
    }
    assert_eq!(ann.page("/audit").await.0, StatusCode::NOT_FOUND, "only staff");
    let moderator = app.staff("moderator").await;

    let (status, page) = moderator.page("/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(select(&page, "tr.audit-row").len(), 100, "a page of events");
    let next = attr(&page, "nav.pagination a[rel=next]", "href").expect("more events");
    let (_, second) = moderator.page(&next).await;
    assert!(!select(&second, "tr.audit-row").is_empty());

    let (_, chats) = moderator.page("/audit?type=Chat").await;
    assert!(
        select(&chats, "tr.audit-row")
            .iter()
            .all(|row| row.text().collect::<String>().contains("Chat"))
    );
    let (_, bens) = moderator.page("/audit?user=ben").await;
    let rows = select(&bens, "tr.audit-row");
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|row| row.text().collect::<String>().contains("ben"))
    );
    let (_, bad) = moderator.page("/audit?from=yesterday").await;
    assert!(text(&bad, ".form-errors").contains("not a date"));

    let export = moderator.get("/audit/export?user=ben").await;
    assert_eq!(export.status(), StatusCode::OK);
    let body = export.text().await.unwrap();
    assert!(body.lines().count() > 3);
    assert!(!body.contains("$argon2"), "password hashes never leave the log");
}
