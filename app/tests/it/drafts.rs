//! Drafts as an author meets them: kept while writing, private until published, shown by a
//! revocable link, and published by themselves at a chosen time, once.

use std::time::Duration;

use chrono::{Local, SubsecRound, Utc};
use reqwest::StatusCode;
use scraper::Html;

use crate::blog::post_form;
use crate::helpers::*;

/// The id of the draft the new-post form will save to.
async fn new_draft_id(author: &Browser) -> String {
    let (_, page) = author.page("/posts/new").await;
    attr(&page, "input[name=draft_id]", "value").expect("the form carries its draft's id")
}

fn fields<'a>(draft_id: &'a str, title: &'a str, body: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("draft_id", draft_id),
        ("title", title),
        ("description", "Notes on tea"),
        ("body", body),
        ("tags", "tea"),
        ("action", action),
    ]
}

async fn events(app: &TestApp, id: &str, kind: &str) -> i64 {
    app.count(&format!(
        "select count(*) from events where aggregate_id = '{id}' and event_type = '{kind}'"
    ))
    .await
}

#[tokio::test]
async fn given_a_half_written_post_when_saved_then_only_its_author_sees_it_until_it_is_published() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("writer").await;
    let id = new_draft_id(&author).await;

    // A draft may be half written: no title yet.
    let saved = post_form(&author, "/posts/new", &fields(&id, "", "Steep it", "save"), None).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&saved), format!("/drafts/{id}/edit"));
    let (status, page) = author.page(&format!("/drafts/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&page, "textarea#body").trim(), "Steep it");
    let (_, list) = author.page("/drafts").await;
    assert!(text(&list, ".draft-list").contains("Untitled"));

    // Nobody else learns it exists.
    let reader = app.signed_in("reader").await;
    for browser in [&reader, &app.browser()] {
        let status = browser.get(&format!("/drafts/{id}/edit")).await.status();
        assert!(
            matches!(status, StatusCode::NOT_FOUND | StatusCode::SEE_OTHER),
            "{status}"
        );
    }
    let (_, readers_list) = reader.page("/drafts").await;
    assert!(select(&readers_list, ".draft-item").is_empty());
    let stolen = post_form(
        &reader,
        &format!("/drafts/{id}/edit"),
        &fields(&id, "Mine", "x", "save"),
        None,
    )
    .await;
    assert_eq!(stolen.status(), StatusCode::NOT_FOUND);
    let (_, home) = app.browser().page("/").await;
    assert!(!home.html().contains("Steep it"));

    // Publishing needs a title; what was typed is kept on the refused page.
    let refused = post_form(
        &author,
        &format!("/drafts/{id}/edit"),
        &fields(&id, "", "Steep it longer", "publish"),
        None,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = Html::parse_document(&refused.text().await.unwrap());
    assert!(
        text(&refused, "#title-error").contains("blank"),
        "{}",
        refused.html()
    );
    assert_eq!(text(&refused, "textarea#body").trim(), "Steep it longer");

    let published = post_form(
        &author,
        &format!("/drafts/{id}/edit"),
        &fields(&id, "Steeping", "Steep it longer", "publish"),
        None,
    )
    .await;
    assert_eq!(published.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&published), "/posts/steeping");
    let (status, _) = app.browser().page("/posts/steeping").await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = author.page("/drafts").await;
    assert!(select(&list, ".draft-item").is_empty());
    assert_eq!(events(&app, &id, "PostPublished").await, 1);
    // The refused publication still kept what was typed.
    assert_eq!(events(&app, &id, "DraftSaved").await, 3);
    // A published post is no draft to save over.
    let again = post_form(
        &author,
        &format!("/drafts/{id}/edit"),
        &fields(&id, "Again", "x", "save"),
        None,
    )
    .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_autosave_keeps_each_change_once_and_says_what_is_wrong() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("writer").await;
    let id = new_draft_id(&author).await;
    let autosave = format!("/drafts/{id}/autosave");
    let typed = [
        ("title", "Oolong"),
        ("description", ""),
        ("body", "Half a thought"),
        ("tags", "tea"),
    ];

    let saved = author.submit(&autosave, &typed).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let answer: serde_json::Value = saved.json().await.unwrap();
    assert_eq!(answer["edit_url"], format!("/drafts/{id}/edit"));
    // The same words again record nothing.
    assert_eq!(author.submit(&autosave, &typed).await.status(), StatusCode::OK);
    assert_eq!(events(&app, &id, "DraftSaved").await, 1);
    let (_, page) = author.page(&format!("/drafts/{id}/edit")).await;
    assert_eq!(attr(&page, "input#title", "value").as_deref(), Some("Oolong"));

    let long = "x".repeat(201);
    let refused = author
        .submit(
            &autosave,
            &[("title", &long), ("description", ""), ("body", ""), ("tags", "")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: serde_json::Value = refused.json().await.unwrap();
    assert!(answer["errors"]["title"][0].as_str().unwrap().contains("200"));

    // Someone else's save to this draft finds nothing, and changes nothing.
    let other = app.signed_in("other").await;
    assert_eq!(
        other.submit(&autosave, &typed).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(events(&app, &id, "DraftSaved").await, 1);
}

#[tokio::test]
async fn a_preview_link_opens_the_draft_to_anyone_until_it_is_replaced_revoked_or_published() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("writer").await;
    let id = new_draft_id(&author).await;
    post_form(
        &author,
        "/posts/new",
        &fields(&id, "Matcha", "Whisk **briskly**", "save"),
        None,
    )
    .await;

    let share = |author: &Browser| {
        let id = id.clone();
        let author = author.clone();
        async move {
            let page = author.submit(&format!("/drafts/{id}/share"), &[]).await;
            assert_eq!(page.status(), StatusCode::OK);
            assert!(
                page.headers()["cache-control"]
                    .to_str()
                    .unwrap()
                    .contains("no-store")
            );
            let page = Html::parse_document(&page.text().await.unwrap());
            let link = attr(&page, "input#preview-link", "value").expect("the link is shown");
            link.split_once("/preview/")
                .map(|(_, secret)| format!("/preview/{secret}"))
                .unwrap()
        }
    };
    let first = share(&author).await;
    let stranger = app.browser();
    let opened = stranger.get(&first).await;
    assert_eq!(opened.status(), StatusCode::OK);
    assert_eq!(opened.headers()["referrer-policy"], "no-referrer");
    assert!(
        opened.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    let page = Html::parse_document(&opened.text().await.unwrap());
    assert_eq!(text(&page, "h1.post-title").trim(), "Matcha");
    assert!(page.html().contains("<strong>briskly</strong>"));
    assert!(page.html().contains("noindex"));

    // A new link replaces the first; revoking closes it; a made-up one never opened anything.
    let second = share(&author).await;
    assert_eq!(stranger.get(&first).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(stranger.get(&second).await.status(), StatusCode::OK);
    for guess in ["/preview/nonsense", "/preview/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        assert_eq!(stranger.get(guess).await.status(), StatusCode::NOT_FOUND);
    }
    let revoked = author.submit(&format!("/drafts/{id}/unshare"), &[]).await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(stranger.get(&second).await.status(), StatusCode::NOT_FOUND);

    // Only the author shares it; and once published, the post has its own address.
    let other = app.signed_in("other").await;
    assert_eq!(
        other.submit(&format!("/drafts/{id}/share"), &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    let third = share(&author).await;
    post_form(
        &author,
        &format!("/drafts/{id}/edit"),
        &fields(&id, "Matcha", "Whisk", "publish"),
        None,
    )
    .await;
    assert_eq!(stranger.get(&third).await.status(), StatusCode::NOT_FOUND);
    // The log keeps the link's hash, never the secret it carries.
    let secret = third.trim_start_matches("/preview/");
    assert_eq!(
        app.count(&format!(
            "select count(*) from events where payload::text like '%{secret}%'"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn a_draft_is_discarded_after_asking() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("writer").await;
    let id = new_draft_id(&author).await;
    post_form(
        &author,
        "/posts/new",
        &fields(&id, "Rooibos", "Red", "save"),
        None,
    )
    .await;
    let (status, confirm) = author.page(&format!("/drafts/{id}/discard")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&confirm, ".confirm-subject").contains("Rooibos"));
    let gone = author.submit(&format!("/drafts/{id}/discard"), &[]).await;
    assert_eq!(location(&gone), "/drafts");
    assert_eq!(
        author.get(&format!("/drafts/{id}/edit")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(events(&app, &id, "DraftDiscarded").await, 1);
}

/// `at` as a `datetime-local` value in this machine's zone, with the offset the page's script
/// would send beside it.
fn local_form_time(at: chrono::DateTime<Utc>) -> (String, String) {
    let local = at.with_timezone(&Local);
    (
        local.format("%Y-%m-%dT%H:%M:%S").to_string(),
        (local.offset().local_minus_utc() / 60).to_string(),
    )
}

#[tokio::test]
async fn a_scheduled_post_appears_at_its_time_once_though_instances_restart_around_it() {
    let first = TestApp::spawn().await;
    let second = first.another_instance().await;
    let author = first.signed_in("writer").await;
    let id = new_draft_id(&author).await;

    // Not in the past.
    let (past, offset) = local_form_time(Utc::now() - chrono::Duration::minutes(5));
    let mut form = fields(&id, "Sencha at dawn", "Steam it", "schedule");
    form.extend([("publish_at", past.as_str()), ("utc_offset", offset.as_str())]);
    let refused = post_form(&author, "/posts/new", &form, None).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = Html::parse_document(&refused.text().await.unwrap());
    assert!(text(&refused, "#publish_at-error").contains("future"));

    // Far enough ahead that a slow machine stores the schedule before its time; to the second,
    // as the form sends it.
    let due = (Utc::now() + chrono::Duration::seconds(6)).trunc_subsecs(0);
    let (when, offset) = local_form_time(due);
    let mut form = fields(&id, "Sencha at dawn", "Steam it", "schedule");
    form.extend([("publish_at", when.as_str()), ("utc_offset", offset.as_str())]);
    let scheduled = post_form(&author, "/posts/new", &form, None).await;
    assert_eq!(scheduled.status(), StatusCode::SEE_OTHER);
    let (_, list) = author.page("/drafts").await;
    assert!(text(&list, ".draft-list").contains("Scheduled for"));
    assert_eq!(
        first.browser().get("/posts/sencha-at-dawn").await.status(),
        StatusCode::NOT_FOUND
    );

    // One instance stops just before the moment and another starts just after it.
    tokio::time::sleep(
        (due - Utc::now())
            .to_std()
            .unwrap_or_default()
            .saturating_sub(Duration::from_millis(500)),
    )
    .await;
    drop(first);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let third = second.another_instance().await;

    let mut appeared = false;
    for _ in 0..100 {
        if second.browser().get("/posts/sencha-at-dawn").await.status() == StatusCode::OK {
            appeared = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(appeared, "the post appeared");
    let published_at: chrono::DateTime<Utc> = sqlx::query_scalar(
        "select recorded_at from events where aggregate_id = $1 and event_type = 'PostPublished'",
    )
    .bind(&id)
    .fetch_one(&second.db.pool)
    .await
    .unwrap();
    assert!(published_at >= due, "not before its time: {published_at} < {due}");
    let (_, home) = third.browser().page("/").await;
    assert!(text(&home, "body").contains("Sencha at dawn"));
    let (_, feed) = third.browser().page("/feed.xml").await;
    assert!(feed.html().contains("Sencha at dawn"));
    // Every instance keeps looking; still one publication.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(events(&second, &id, "PostPublished").await, 1);
    let (_, list) = author.at(&third).page("/drafts").await;
    assert!(select(&list, ".draft-item").is_empty());
}

#[tokio::test]
async fn a_schedule_is_cancelled_and_the_draft_stays_a_draft() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("writer").await;
    let id = new_draft_id(&author).await;
    // The cancelling must land before the time, and the test then waits past it.
    let (when, offset) = local_form_time(Utc::now() + chrono::Duration::seconds(5));
    let mut form = fields(&id, "Genmaicha", "Toasted rice", "schedule");
    form.extend([("publish_at", when.as_str()), ("utc_offset", offset.as_str())]);
    assert_eq!(
        post_form(&author, "/posts/new", &form, None).await.status(),
        StatusCode::SEE_OTHER
    );
    let cancelled = author.submit(&format!("/drafts/{id}/unschedule"), &[]).await;
    assert_eq!(cancelled.status(), StatusCode::SEE_OTHER);
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(
        app.browser().get("/posts/genmaicha").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(events(&app, &id, "PostPublished").await, 0);
    assert_eq!(events(&app, &id, "ScheduleCancelled").await, 1);
}

#[tokio::test]
async fn a_suspended_authors_scheduled_post_waits_for_the_suspension_to_end() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("writer").await;
    let staff = app.staff("boss").await;
    let id = new_draft_id(&author).await;
    // The suspension must land before the time, and the test then waits past it.
    let (when, offset) = local_form_time(Utc::now() + chrono::Duration::seconds(5));
    let mut form = fields(&id, "Pu-erh", "Aged", "schedule");
    form.extend([("publish_at", when.as_str()), ("utc_offset", offset.as_str())]);
    assert_eq!(
        post_form(&author, "/posts/new", &form, None).await.status(),
        StatusCode::SEE_OTHER
    );
    let suspended = staff
        .submit("/@writer/suspend", &[("reason", "spam"), ("duration", "1")])
        .await;
    assert_eq!(suspended.status(), StatusCode::SEE_OTHER);
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(events(&app, &id, "PostPublished").await, 0);

    let lifted = staff
        .submit("/@writer/lift-suspension", &[("reason", "appeal")])
        .await;
    assert_eq!(lifted.status(), StatusCode::SEE_OTHER);
    for _ in 0..100 {
        if events(&app, &id, "PostPublished").await == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the post was not published once the suspension ended");
}
