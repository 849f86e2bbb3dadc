//! Kept pages: reused until what they show changes, each visitor with their own token, each
//! signed-in person with their own page, and answered `304` when unchanged.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::api_client::{Api, log_in, publish, register, staff_api};
use crate::helpers::*;

/// The page at `path` for `visitor`, once it contains `expected` (or panics after a few
/// seconds: another instance learns of a change within a quarter of a second).
async fn eventually_shows(visitor: &Browser, path: &str, expected: &str) -> String {
    for _ in 0..40 {
        let page = visitor.get(path).await.text().await.unwrap();
        if page.contains(expected) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never showed {expected:?}");
}

/// Loads each page for each visitor, so that what comes next is seen on kept pages.
/// `path` for `visitor`, asking whether the page tagged `etag` is still current.
async fn revalidate(visitor: &Browser, path: &str, etag: &reqwest::header::HeaderValue) -> reqwest::Response {
    visitor
        .client
        .get(visitor.url(path))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap()
}

async fn warm(visitors: &[&Browser], pages: &[&str]) {
    for visitor in visitors {
        for page in pages {
            visitor.get(page).await;
        }
    }
}

async fn all_show(visitors: &[&Browser], path: &str, expected: &str) {
    for visitor in visitors {
        eventually_shows(visitor, path, expected).await;
    }
}

async fn eventually_lacks(visitor: &Browser, path: &str, gone: &str) {
    for _ in 0..40 {
        if !visitor.get(path).await.text().await.unwrap().contains(gone) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} still shows {gone:?}");
}

#[tokio::test]
async fn a_kept_page_is_reused_until_an_event_moves_its_version() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    let slug = publish(&ann, "Kept title", &["kept"]).await;
    let visitor = app.browser();
    let path = format!("/posts/{slug}");
    eventually_shows(&visitor, &path, "Kept title").await;
    let pages = [path.as_str(), "/", "/tags/kept", "/@ann"];
    warm(&[&visitor], &pages).await;

    // Changed behind the log's back (no event): the kept page is still what is sent.
    sqlx::query("update posts set title = 'Changed without an event' where slug = $1")
        .bind(&slug)
        .execute(&app.db.pool)
        .await
        .unwrap();
    for page in pages {
        let shown = visitor.get(page).await.text().await.unwrap();
        assert!(shown.contains("Kept title"), "{page} was made again");
    }
    // A signed-in reader's page is made for them (the first time).
    let reader = app.signed_in("reader").await;
    let own = reader.get(&path).await.text().await.unwrap();
    assert!(own.contains("Changed without an event"));
    assert!(own.contains("@reader"), "their own nav");

    // An event pages show moves the version: every page is made again.
    ann.post(&format!("/api/articles/{slug}/favorite"), json!({}))
        .await;
    eventually_shows(&visitor, &path, "Changed without an event").await;
    eventually_shows(&visitor, "/", "Changed without an event").await;
    let anonymous = visitor.get(&path).await.text().await.unwrap();
    assert!(!anonymous.contains("@reader"), "never a signed-in person's page");
}

#[tokio::test]
async fn each_visitor_gets_their_own_token_and_their_forms_work() {
    let app = TestApp::spawn().await;
    let (first, second) = (app.browser(), app.browser());
    let (_, one) = first.page("/").await;
    let (_, two) = second.page("/").await;
    let token_one = attr(&one, "meta[name=csrf-token]", "content").unwrap();
    let token_two = attr(&two, "meta[name=csrf-token]", "content").unwrap();
    assert_ne!(token_one, token_two);
    assert_eq!(
        first.csrf_token().await,
        token_one,
        "the same visitor keeps theirs"
    );

    // The token on a kept page is the one the visitor's cookie holds: signing up with it works.
    let signed_up = second.sign_up("second", "second@example.com", PASSWORD).await;
    assert_eq!(signed_up.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.signed_in_as().await.as_deref(), Some("second"));
}

#[tokio::test]
async fn an_unchanged_page_is_answered_not_modified() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    let visitor = app.browser();
    let first = visitor.get("/").await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["cache-control"], "private, no-cache");
    let etag = first.headers()["etag"].clone();

    let again = revalidate(&visitor, "/", &etag).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());

    // Another visitor's tag names another page (their token is in it).
    let other = app.browser();
    other.get("/").await;
    let theirs = revalidate(&other, "/", &etag).await;
    assert_eq!(theirs.status(), StatusCode::OK);

    // Once the page changes, the old tag gets the new page.
    publish(&ann, "Something new", &[]).await;
    eventually_shows(&visitor, "/", "Something new").await;
    let changed = revalidate(&visitor, "/", &etag).await;
    assert_eq!(changed.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_kind_of_change_reaches_kept_pages_on_every_instance() {
    let app = TestApp::spawn().await;
    let other = app.another_instance().await;
    let ann = register(&app, "ann").await;
    let bob = register(&app, "bob").await;
    let slug = publish(&ann, "First words", &["walks"]).await;
    let post = format!("/posts/{slug}");
    // Visitors on both instances, their pages kept before each change.
    let (here, there) = (app.browser(), other.browser());
    let visitors = [&here, &there];
    let pages = [
        post.as_str(),
        "/",
        "/tags/walks",
        "/@ann",
        "/@bob",
        "/@bob/favorites",
    ];

    // Publish.
    warm(&visitors, &pages).await;
    publish(&ann, "Second walk", &["walks"]).await;
    all_show(&visitors, "/", "Second walk").await;
    all_show(&visitors, "/tags/walks", "Second walk").await;
    all_show(&visitors, "/@ann", "Second walk").await;

    // Edit.
    warm(&visitors, &pages).await;
    let edited = ann
        .put(
            &format!("/api/articles/{slug}"),
            json!({ "article": { "body": "Edited body text" } }),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    all_show(&visitors, &post, "Edited body text").await;

    // Comment.
    warm(&visitors, &pages).await;
    bob.post(
        &format!("/api/articles/{slug}/comments"),
        json!({ "comment": { "body": "A kind comment" } }),
    )
    .await;
    all_show(&visitors, &post, "A kind comment").await;

    // Favorite (the count on the post).
    warm(&visitors, &pages).await;
    bob.post(&format!("/api/articles/{slug}/favorite"), json!({}))
        .await;
    all_show(&visitors, "/@bob/favorites", "First words").await;

    // Follow (the count on the profile).
    warm(&visitors, &pages).await;
    bob.post("/api/profiles/ann/follow", json!({})).await;
    all_show(&visitors, "/@ann", "<strong>1</strong> follower<").await;

    // Profile edit.
    warm(&visitors, &pages).await;
    ann.put("/api/user", json!({ "user": { "bio": "Walks by the river" } }))
        .await;
    all_show(&visitors, "/@ann", "Walks by the river").await;

    // Moderation: a hidden post leaves the visitors' pages.
    warm(&visitors, &pages).await;
    let sam = staff_api(&app, "sam").await;
    let hidden = sam
        .put(
            &format!("/api/moderation/articles/{slug}/hidden"),
            json!({ "hidden": true, "reason": "Off topic" }),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NO_CONTENT);
    for visitor in visitors {
        eventually_lacks(visitor, "/", "First words").await;
        assert_eq!(visitor.get(&post).await.status(), StatusCode::NOT_FOUND);
    }

    // Delete.
    warm(&visitors, &pages).await;
    let second = ann.get("/api/articles?author=ann").await.body["articles"][0]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    ann.delete(&format!("/api/articles/{second}")).await;
    for visitor in visitors {
        eventually_lacks(visitor, "/", "Second walk").await;
        eventually_lacks(visitor, "/tags/walks", "Second walk").await;
    }

    // Drafts are their author's alone: saving one keeps every page.
    let version = app.count("select version from page_version").await;
    save_draft(&ann).await;
    assert_eq!(app.count("select version from page_version").await, version);
}

#[tokio::test]
async fn a_rebuild_makes_every_kept_page_again() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    let slug = publish(&ann, "Before the rebuild", &[]).await;
    // A read model that went wrong (here: changed by hand), and a page kept from it.
    sqlx::query("update posts set title = 'Wrong' where slug = $1")
        .bind(&slug)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let visitor = app.browser();
    eventually_shows(&visitor, "/", "Wrong").await;
    // Rebuilt from the log: the kept page goes with the old table.
    app::usecases::maintenance::rebuild(&app.db.pool, &app.keyring(), Some("posts"))
        .await
        .unwrap();
    let page = eventually_shows(&visitor, "/", "Before the rebuild").await;
    assert!(!page.contains("Wrong"));
}

#[tokio::test]
async fn the_apis_public_reads_are_kept_for_callers_without_a_token() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    let slug = publish(&ann, "Kept in JSON", &["json"]).await;
    let anonymous = crate::api_client::Api::new(&app);
    let paths = [
        "/api/articles?limit=20".to_owned(),
        format!("/api/articles/{slug}"),
        "/api/profiles/ann".to_owned(),
        "/api/tags".to_owned(),
    ];
    for path in &paths {
        assert_eq!(anonymous.get(path).await.status, StatusCode::OK, "{path}");
    }
    sqlx::query("update posts set title = 'Changed without an event' where slug = $1")
        .bind(&slug)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let kept = anonymous.get(&format!("/api/articles/{slug}")).await;
    assert_eq!(kept.body["article"]["title"], "Kept in JSON");
    // A caller with a token is answered for themselves.
    let own = ann.get(&format!("/api/articles/{slug}")).await;
    assert_eq!(own.body["article"]["title"], "Changed without an event");

    // A front end on another origin gets the CORS headers on a kept answer too.
    let cross = reqwest::Client::new()
        .get(app.url("/api/articles?limit=20"))
        .header("origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.headers()["access-control-allow-origin"], "*");
    let listed: serde_json::Value = cross.json().await.unwrap();
    assert_eq!(listed["articles"][0]["title"], "Kept in JSON");

    // An event moves the version: the next answer is made again.
    ann.post(&format!("/api/articles/{slug}/favorite"), json!({}))
        .await;
    let fresh = anonymous.get(&format!("/api/articles/{slug}")).await;
    assert_eq!(fresh.body["article"]["title"], "Changed without an event");
    assert_eq!(fresh.body["article"]["favoritesCount"], 1);
}

#[tokio::test]
async fn feeds_are_kept_without_a_cookie_and_answered_not_modified() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    publish(&ann, "In the feed", &["walks"]).await;
    let reader = reqwest::Client::new();
    for path in [
        "/feed.xml",
        "/tags/walks/feed.xml",
        "/@ann/feed.xml",
        "/sitemap.xml",
    ] {
        let first = reader.get(app.url(path)).send().await.unwrap();
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        assert!(
            first.headers().get("set-cookie").is_none(),
            "{path}: no cookie for a reader"
        );
        assert_eq!(first.headers()["cache-control"], "public, max-age=300", "{path}");
        let etag = first.headers()["etag"].clone();
        let again = reader
            .get(app.url(path))
            .header("if-none-match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    // A new post is in the next answer.
    publish(&ann, "Later in the feed", &["walks"]).await;
    let feed = reader
        .get(app.url("/feed.xml"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(feed.contains("Later in the feed"));
}

/// Saves a new draft as `author`.
async fn save_draft(author: &Api) {
    let draft = author
        .put(
            &format!("/api/drafts/{}", uuid::Uuid::now_v7()),
            json!({ "draft": { "title": "Not yet", "body": "Soon", "tagList": [] } }),
        )
        .await;
    assert_eq!(draft.status, StatusCode::OK, "{}", draft.body);
}

async fn page_of(visitor: &Browser, path: &str) -> String {
    let response = visitor.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_signed_in_persons_pages_are_theirs_alone_and_kept_until_something_of_theirs_changes() {
    let app = TestApp::spawn().await;
    let other = app.another_instance().await;
    let ann = register(&app, "ann").await;
    let slug = publish(&ann, "Kept title", &["kept"]).await;
    let post = format!("/posts/{slug}");
    let (reader, writer) = (app.signed_in("reader").await, app.signed_in("writer").await);
    let pages = [post.as_str(), "/", "/tags/kept", "/@ann"];
    for person in [&reader, &writer] {
        // The message signing up left is shown once, on a page made for it.
        assert!(page_of(person, "/").await.contains("confirmed"));
    }
    for page in pages {
        let mine = page_of(&reader, page).await;
        assert!(mine.contains("@reader") && !mine.contains("@writer"), "{page}");
        let theirs = page_of(&writer, page).await;
        assert!(
            theirs.contains("@writer") && !theirs.contains("@reader"),
            "{page}"
        );
    }

    // Changed behind the log's back (no event): each is sent the page kept for them.
    sqlx::query("update posts set title = 'Changed without an event' where slug = $1")
        .bind(&slug)
        .execute(&app.db.pool)
        .await
        .unwrap();
    for page in pages {
        for person in [&reader, &writer] {
            assert!(
                page_of(person, page).await.contains("Kept title"),
                "{page} was made again"
            );
        }
    }
    // Each person's tag names their page only; `304` while it stands.
    let etag = reader.get("/").await.headers()["etag"].clone();
    assert_eq!(
        revalidate(&reader, "/", &etag).await.status(),
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(revalidate(&writer, "/", &etag).await.status(), StatusCode::OK);

    // What reaches one person, from another instance, is on their very next page here, and
    // nobody else's page is made again for it: a chat request,
    let ann_there = Api::with_token(&other, ann.token.as_deref().unwrap());
    let asked = ann_there
        .post("/api/chat/requests", json!({ "request": { "to": "reader" } }))
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    let home = page_of(&reader, "/").await;
    assert!(home.contains("<title>(1) ") && home.contains("Changed without an event"));
    assert!(page_of(&writer, "/").await.contains("Kept title"));
    assert!(page_of(&reader, "/@ann").await.contains("ann asked to chat"));
    // its answer, a message, and reading it.
    let reader_there = log_in(&other, "reader").await;
    let request = asked.body["request"]["id"].as_str().unwrap();
    let approved = reader_there
        .post_empty(&format!("/api/chat/requests/{request}/approve"))
        .await;
    assert!(approved.status.is_success(), "{}", approved.body);
    assert!(!page_of(&reader, "/").await.contains("<title>("));
    assert!(page_of(&reader, "/@ann").await.contains("Open chat"));
    let room = approved.body["room"]["id"].as_str().unwrap();
    // Messages and read receipts move no version (the pages read the rooms' progress instead).
    let versions = "select coalesce(sum(version), 0)::bigint from page_people";
    let before = app.count(versions).await;
    let sent = ann_there
        .post(
            &format!("/api/chat/rooms/{room}/messages"),
            json!({ "message": { "body": "Hello", "client_id": uuid::Uuid::new_v4() } }),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    assert!(page_of(&reader, &post).await.contains("<title>(1) "));
    let read = reader_there
        .post(&format!("/api/chat/rooms/{room}/read"), json!({ "seq": 1 }))
        .await;
    assert!(read.status.is_success(), "{}", read.body);
    assert!(!page_of(&reader, &post).await.contains("<title>("));
    assert!(page_of(&writer, &post).await.contains("Kept title"));
    assert_eq!(app.count(versions).await, before);

    // What they do themselves, from another instance: a favorite, a follow, a block.
    let favorited = reader_there
        .post(&format!("/api/articles/{slug}/favorite"), json!({}))
        .await;
    assert_eq!(favorited.status, StatusCode::OK, "{}", favorited.body);
    assert!(page_of(&reader, "/tags/kept").await.contains("including yours"));
    assert!(!page_of(&writer, "/tags/kept").await.contains("including yours"));
    reader_there.post("/api/profiles/ann/follow", json!({})).await;
    assert!(page_of(&reader, "/@ann").await.contains("Unfollow"));
    assert!(!page_of(&writer, "/@ann").await.contains("Unfollow"));
    let blocked = reader_there.post_empty("/api/profiles/ann/block").await;
    assert_eq!(blocked.status, StatusCode::OK, "{}", blocked.body);
    assert!(page_of(&reader, "/@ann").await.contains(">Unblock<span"));
    assert!(!page_of(&writer, "/@ann").await.contains(">Unblock<span"));

    // A draft is its author's alone: it moves their pages' version, not everyone's.
    let anns = "select version from page_people where person = (select id from users where username = 'ann')";
    let (public, own) = (
        app.count("select version from page_version").await,
        app.count(anns).await,
    );
    save_draft(&ann).await;
    assert_eq!(app.count("select version from page_version").await, public);
    assert!(app.count(anns).await > own);
}

/// The page at `path` for whoever holds the session cookie `session` and nothing else (a copy
/// of it, taken), and whether it shows them signed in.
async fn seen_with(app: &TestApp, session: &str, path: &str) -> bool {
    let page = reqwest::Client::new()
        .get(app.url(path))
        .header("cookie", format!("bocha_session={session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    page.contains("data-signed-in-as=")
}

#[tokio::test]
async fn a_kept_page_is_never_sent_on_a_session_that_no_longer_stands() {
    let app = TestApp::spawn().await;
    let other = app.another_instance().await;
    let ann = register(&app, "ann").await;
    publish(&ann, "Kept title", &["kept"]).await;
    let staff = staff_api(&app, "sam").await;
    let browsers = [
        app.signed_in("laptop").await,
        app.signed_in("phone").await,
        app.signed_in("tablet").await,
        app.signed_in("desk").await,
    ];
    let again = app.browser();
    assert_eq!(
        again.log_in("phone", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    // Each session has been checked in full here and its pages kept: from now on each page is
    // confirmed in the statement that reads its versions.
    let mut sessions = Vec::new();
    for browser in &browsers {
        page_of(browser, "/").await;
        let session = browser.cookie("bocha_session").unwrap();
        for _ in 0..2 {
            assert!(seen_with(&app, &session, "/").await);
            assert!(seen_with(&app, &session, "/tags/kept").await);
        }
        sessions.push(session);
    }
    let [laptop, phone, tablet, desk] = &sessions[..] else {
        unreachable!()
    };

    // Logged out on another instance: a copy of the cookie shows nobody signed in here.
    assert_eq!(
        browsers[0].at(&other).submit("/logout", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(!seen_with(&app, laptop, "/").await);

    // A password changed in another session ends this one.
    let changed = again
        .at(&other)
        .submit(
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new sentence"),
            ],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert!(!seen_with(&app, phone, "/tags/kept").await);
    assert_eq!(again.signed_in_as().await.as_deref(), Some("phone"));

    // Suspended by staff.
    let suspended = staff
        .post(
            "/api/moderation/users/tablet/suspension",
            json!({ "suspension": { "reason": "Spam", "days": 7 } }),
        )
        .await;
    assert_eq!(suspended.status, StatusCode::OK, "{}", suspended.body);
    assert!(!seen_with(&app, tablet, "/").await);

    // Expired (the cookie names the session as the store keys it).
    sqlx::query("update tower_sessions.session set expiry_date = now() - interval '1 second' where id = $1")
        .bind(desk)
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert!(!seen_with(&app, desk, "/").await);
}

#[tokio::test]
async fn what_waits_for_a_person_in_their_rooms_is_on_their_next_page_in_any_order() {
    let app = TestApp::spawn().await;
    let ann = register(&app, "ann").await;
    publish(&ann, "Kept title", &["kept"]).await;
    let reader = app.signed_in("reader").await;
    let reader_api = log_in(&app, "reader").await;
    let asked = ann
        .post("/api/chat/requests", json!({ "request": { "to": "reader" } }))
        .await;
    let request = asked.body["request"]["id"].as_str().unwrap();
    let approved = reader_api
        .post_empty(&format!("/api/chat/requests/{request}/approve"))
        .await;
    assert!(approved.status.is_success(), "{}", approved.body);
    let room = approved.body["room"]["id"].as_str().unwrap();
    let messages = format!("/api/chat/rooms/{room}/messages");
    let title = |page: String| page.split("<title>").nth(1).unwrap_or("").to_owned();
    assert!(!title(page_of(&reader, "/").await).starts_with('('));

    for body in ["one", "two"] {
        let sent = ann
            .post(
                &messages,
                json!({ "message": { "body": body, "client_id": uuid::Uuid::new_v4() } }),
            )
            .await;
        assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    }
    assert!(title(page_of(&reader, "/").await).starts_with("(2) "));
    let read = reader_api
        .post(&format!("/api/chat/rooms/{room}/read"), json!({ "seq": 1 }))
        .await;
    assert!(read.status.is_success(), "{}", read.body);
    assert!(title(page_of(&reader, "/").await).starts_with("(1) "));
    // Deleted before it was read: nothing waits, though the room's sum is back where it stood
    // with two waiting; the deletion moved the person's own version, so that page is not it.
    let deleted = ann.delete(&format!("{messages}/2")).await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
    assert!(!title(page_of(&reader, "/").await).starts_with('('));
    // Their own messages leave their pages as kept (the post, changed behind the log's back,
    // shows as it was).
    sqlx::query("update posts set title = 'Changed without an event'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let mine = reader_api
        .post(
            &messages,
            json!({ "message": { "body": "three", "client_id": uuid::Uuid::new_v4() } }),
        )
        .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.body);
    assert!(page_of(&reader, "/").await.contains("Kept title"));
}
