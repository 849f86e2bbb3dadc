//! A post's public revisions: what readers saw, at permanent addresses, compared two at a time,
//! and restored by the author as a new edit.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::history::{edit, publish};

/// The revision titles the list shows, newest first.
async fn listed(browser: &Browser, slug: &str) -> Vec<String> {
    let (status, html) = browser.page(&format!("/posts/{slug}/revisions")).await;
    assert_eq!(status, StatusCode::OK);
    select(&html, ".revisions .history-detail")
        .iter()
        .map(|e| e.text().collect::<String>())
        .collect()
}

#[tokio::test]
async fn readers_see_every_published_revision_and_what_changed_between_any_two() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let slug = publish(&ann, "First words", "one\ntwo\nthree\n").await;
    let reader = app.browser();

    // Not edited: no count on the post, and one revision.
    let (_, page) = reader.page(&format!("/posts/{slug}")).await;
    assert!(!text(&page, ".byline-edited").contains("time"));
    assert_eq!(listed(&reader, &slug).await, ["First words"]);

    edit(&ann, &slug, "Second words", "one\nTWO\nthree\n").await;
    edit(&ann, &slug, "Third words", "one\nTWO\nthree\nfour\n").await;
    let (_, page) = reader.page(&format!("/posts/{slug}")).await;
    assert_eq!(
        attr(&page, ".byline-edited a", "href").as_deref(),
        Some(format!("/posts/{slug}/revisions").as_str())
    );
    assert_eq!(text(&page, ".byline-edited a"), "edited 2 times");
    assert_eq!(
        listed(&reader, &slug).await,
        ["Third words", "Second words", "First words"]
    );

    // Each revision at its own address, the same however often the post changes later.
    let (status, first) = reader.page(&format!("/posts/{slug}/revisions/1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&first, "h1.post-title"), "First words");
    assert!(text(&first, ".post-body").contains("two"));
    // A reader is offered no restore button.
    assert!(select(&first, "form[action$='/restore']").is_empty());

    // What changed from the first to the third.
    let (status, compared) = reader
        .page(&format!("/posts/{slug}/revisions/compare?from=1&to=3"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let removed = text(&compared, ".diff-remove");
    let added = text(&compared, ".diff-add");
    assert!(
        removed.contains("First words") && removed.contains("two"),
        "{removed}"
    );
    assert!(
        added.contains("Third words") && added.contains("TWO") && added.contains("four"),
        "{added}"
    );

    // Numbers that name no revision: 404 for an address, 400 with a message for the form.
    for path in ["/revisions/0", "/revisions/4", "/revisions/x", "/revisions/-1"] {
        let (status, _) = reader.page(&format!("/posts/{slug}{path}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, html) = reader
        .page(&format!("/posts/{slug}/revisions/compare?from=1&to=9"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text(&html, "main").contains("from 1 to 3"));
    let (status, _) = reader.page("/posts/no-such-post/revisions").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn drafts_and_what_was_written_while_hidden_are_never_public_revisions() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let sam = app.staff("sam").await;
    let reader = app.browser();
    // A draft saved twice before publication is not a revision.
    let draft = uuid::Uuid::now_v7();
    for title in ["Draft one", "Draft two"] {
        let saved = ann
            .submit(
                &format!("/drafts/{draft}/autosave"),
                &[
                    ("title", title),
                    ("description", "d"),
                    ("body", "secret plans"),
                    ("tags", ""),
                ],
            )
            .await;
        assert!(saved.status().is_success(), "{}", saved.status());
    }
    let slug = publish(&ann, "Out in the open", "public words").await;
    assert_eq!(listed(&reader, &slug).await, ["Out in the open"]);

    // Hidden by staff: nobody but its author (and staff) reads it, nor its revisions.
    let moderate = format!("/posts/{slug}/moderate");
    let hidden = sam
        .submit(&moderate, &[("hide", "yes"), ("reason", "Check facts")])
        .await;
    assert!(hidden.status().is_redirection(), "{}", hidden.status());
    for path in [
        format!("/posts/{slug}/revisions"),
        format!("/api/articles/{slug}/revisions"),
    ] {
        assert_eq!(reader.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // What the author writes meanwhile was never public; the author sees the public list.
    edit(&ann, &slug, "Being fixed", "half done").await;
    edit(&ann, &slug, "Fixed", "facts checked").await;
    assert_eq!(listed(&ann, &slug).await, ["Out in the open"]);

    // Shown again: the text it shows now is a revision, the one in between never was.
    let shown = sam
        .submit(&moderate, &[("hide", "no"), ("reason", "Fixed")])
        .await;
    assert!(shown.status().is_redirection(), "{}", shown.status());
    assert_eq!(listed(&reader, &slug).await, ["Fixed", "Out in the open"]);
    let (_, second) = reader.page(&format!("/posts/{slug}/revisions/2")).await;
    assert_eq!(text(&second, "h1.post-title"), "Fixed");
    // The post counts the same: one edit its readers saw, not two.
    let (_, page) = reader.page(&format!("/posts/{slug}")).await;
    assert_eq!(text(&page, ".byline-edited a"), "edited 1 time");
    // The API tells the same.
    let api: serde_json::Value = reader
        .get(&format!("/api/articles/{slug}/revisions"))
        .await
        .json()
        .await
        .unwrap();
    let titles: Vec<&str> = api["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Out in the open", "Fixed"]);
    for words in ["secret plans", "Draft", "half done", "Being fixed"] {
        for path in [
            "/revisions",
            "/revisions/1",
            "/revisions/2",
            "/revisions/compare?from=1&to=2",
        ] {
            let html = reader
                .get(&format!("/posts/{slug}{path}"))
                .await
                .text()
                .await
                .unwrap();
            assert!(!html.contains(words), "{words} on {path}");
        }
    }
}

#[tokio::test]
async fn the_author_restores_an_earlier_revision_as_a_new_edit_and_nobody_else_may() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let slug = publish(&ann, "Plain", "the original").await;
    edit(&ann, &slug, "Worse", "a regrettable change").await;

    // Only the author is offered the button, and only the author's press counts.
    let restore = format!("/posts/{slug}/revisions/1/restore");
    let (_, as_ann) = ann.page(&format!("/posts/{slug}/revisions/1")).await;
    assert_eq!(
        attr(&as_ann, "form[action$='/restore']", "action"),
        Some(restore.clone())
    );
    let (_, current) = ann.page(&format!("/posts/{slug}/revisions/2")).await;
    assert!(select(&current, "form[action$='/restore']").is_empty());
    let (_, as_ben) = ben.page(&format!("/posts/{slug}/revisions/1")).await;
    assert!(select(&as_ben, "form[action$='/restore']").is_empty());
    assert_eq!(ben.submit(&restore, &[]).await.status(), StatusCode::FORBIDDEN);
    // Without the form's token, nothing happens either.
    let forged = ann.client.post(ann.url(&restore)).send().await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let missing = ann
        .submit(&format!("/posts/{slug}/revisions/7/restore"), &[])
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let restored = ann.submit(&restore, &[]).await;
    assert_eq!(restored.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&restored), format!("/posts/{slug}"));
    let (_, post) = app.browser().page(&format!("/posts/{slug}")).await;
    assert_eq!(text(&post, "h1.post-title"), "Plain");
    assert!(text(&post, ".post-body").contains("the original"));
    // A new revision, the one in between kept; in the log, one more edit.
    assert_eq!(listed(&ann, &slug).await, ["Plain", "Worse", "Plain"]);
    assert_eq!(
        app.count("select count(*) from events where aggregate_type = 'Post' and event_type = 'PostEdited'")
            .await,
        2
    );
    // Restoring what it reads as now records nothing.
    assert_eq!(
        ann.submit(&format!("/posts/{slug}/revisions/3/restore"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(listed(&ann, &slug).await.len(), 3);
}
