//! New posts by email: subscribing (a visitor's address confirmed by its link, a reader's own
//! at once), one mail per subscriber per post, and leaving by the link in every mail.

use reqwest::StatusCode;

use crate::blog::publish;
use crate::helpers::*;

fn subject_count(app: &TestApp, to: &str, subject: &str) -> usize {
    app.mails()
        .iter()
        .filter(|m| header(m, "To") == to && header(m, "Subject") == subject)
        .count()
}

/// Waits for what the outbox sends to be written, then reads it.
async fn settle_mail(app: &TestApp) {
    for _ in 0..100 {
        if app
            .count("select count(*) from outbox where sent_at is null")
            .await
            == 0
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("mail still waiting in the outbox");
}

#[tokio::test]
async fn a_visitor_confirms_by_the_link_gets_each_new_post_once_and_leaves_in_one_click() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("writer").await;
    let visitor = app.browser();
    let asked = visitor
        .submit("/@writer/subscribe", &[("email", "Fan@Example.com")])
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let confirmation = app.mail_to("Fan@Example.com", "Confirm your subscription").await;
    let link = link_in(&confirmation, "/newsletter/confirm/");

    // Nothing is mailed before the address is confirmed; following the link only asks.
    publish(&author, "Before", "Not for the fan", "").await;
    let (status, page) = visitor.page(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&page, "h1").contains("Confirm"));
    let confirmed = visitor.submit(&link, &[]).await;
    assert_eq!(location(&confirmed), "/@writer");
    let (_, profile) = author.page("/@writer").await;
    assert!(
        text(&profile, ".profile-newsletter").contains("1 reader gets"),
        "{}",
        text(&profile, ".profile-newsletter")
    );

    let slug = publish(&author, "Green tea", "Brew at 80°C.", "tea").await;
    let mail = app.mail_to("Fan@Example.com", "Green tea").await;
    assert!(mail.contains(&format!("/posts/{slug}")));
    // The link in the text, after the headers that carry it too.
    let body = &mail[mail.rfind("/newsletter/unsubscribe/").unwrap()..];
    let unsubscribe = link_in(body, "/newsletter/unsubscribe/");
    assert_eq!(
        header(&mail, "List-Unsubscribe"),
        format!("<{}>", app.url(&unsubscribe))
    );
    assert_eq!(
        header(&mail, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    // Editing does not mail again; another post does, once.
    author
        .submit_multipart(
            &format!("/posts/{slug}/edit"),
            &[
                ("title", "Green tea"),
                ("description", "d"),
                ("body", "Brew at 75°C."),
                ("tags", "tea"),
                ("action", "publish"),
            ],
            ("cover", None),
        )
        .await;
    publish(&author, "Black tea", "Boiling.", "tea").await;
    app.mail_to("Fan@Example.com", "Black tea").await;
    settle_mail(&app).await;
    assert_eq!(subject_count(&app, "Fan@Example.com", "Green tea"), 1);
    assert_eq!(subject_count(&app, "Fan@Example.com", "Before"), 0);

    // A mail program's one-click POST: no session, no form token; the link is the authority.
    let one_click = reqwest::Client::new()
        .post(app.url(&unsubscribe))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(one_click.status(), StatusCode::OK);
    publish(&author, "Oolong", "Rolled.", "tea").await;
    settle_mail(&app).await;
    assert_eq!(subject_count(&app, "Fan@Example.com", "Oolong"), 0);
    // The address is gone from the log with its key; a forged link ends nothing.
    assert_eq!(
        app.count("select count(*) from events where event_type = 'SubscriptionRequested' and payload ->> 'email' <> ''")
            .await,
        0
    );
    assert_eq!(
        app.count("select count(*) from person_keys where erased_at is not null")
            .await,
        1
    );
    let forged = format!("{}x", unsubscribe);
    assert_eq!(visitor.submit(&forged, &[]).await.status(), StatusCode::NOT_FOUND);
    let (_, profile) = author.page("/@writer").await;
    assert!(text(&profile, ".profile-newsletter").contains("0 readers get"));
}

#[tokio::test]
async fn a_reader_subscribes_with_their_own_address_at_once_and_stops_from_the_profile() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("writer").await;
    let reader = app.signed_in("reader").await;
    reader.submit("/@writer/subscribe", &[]).await;
    let (_, profile) = reader.page("/@writer").await;
    assert!(text(&profile, ".profile-newsletter").contains("You get"));
    assert_eq!(
        subject_count(&app, "reader@example.com", "Confirm your subscription"),
        0
    );
    publish(&author, "Matcha", "Whisk.", "").await;
    app.mail_to("reader@example.com", "Matcha").await;

    let stopped = reader.submit("/@writer/unsubscribe", &[]).await;
    assert_eq!(stopped.status(), StatusCode::SEE_OTHER);
    let (_, profile) = reader.page("/@writer").await;
    assert!(text(&profile, ".profile-newsletter").contains("Get new posts by email"));
    publish(&author, "Sencha", "Steam.", "").await;
    settle_mail(&app).await;
    assert_eq!(subject_count(&app, "reader@example.com", "Sencha"), 0);
    // Nobody subscribes to themselves.
    assert_eq!(
        author.submit("/@writer/subscribe", &[]).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn confirmation_links_to_one_address_are_limited_and_say_nothing_of_who_subscribed() {
    let app = TestApp::spawn().await;
    let _author = app.signed_in("writer").await;
    let visitor = app.browser();
    for _ in 0..3 {
        let asked = visitor
            .submit("/@writer/subscribe", &[("email", "target@example.com")])
            .await;
        assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    }
    let refused = visitor
        .submit("/@writer/subscribe", &[("email", "TARGET@example.com")])
        .await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    settle_mail(&app).await;
    assert_eq!(
        subject_count(&app, "target@example.com", "Confirm your subscription"),
        3
    );
    // One subscription however often it was asked for, and its latest link still confirms.
    assert_eq!(app.count("select count(*) from subscriptions").await, 1);
    let invalid = visitor
        .submit("/@writer/subscribe", &[("email", "not an address")])
        .await;
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        visitor
            .submit("/@nobody/subscribe", &[("email", "a@example.com")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn deleting_the_authors_account_ends_the_subscriptions_and_forgets_the_addresses() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("writer").await;
    let visitor = app.browser();
    visitor
        .submit("/@writer/subscribe", &[("email", "fan@example.com")])
        .await;
    let link = link_in(
        &app.mail_to("fan@example.com", "Confirm your subscription").await,
        "/newsletter/confirm/",
    );
    visitor.submit(&link, &[]).await;
    let deleted = author.submit("/settings/delete", &[("password", PASSWORD)]).await;
    assert_eq!(
        deleted.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        deleted.text().await
    );
    assert_eq!(app.count("select count(*) from subscriptions").await, 0);
    // The author's key and the subscription's.
    assert_eq!(
        app.count("select count(*) from person_keys where erased_at is not null")
            .await,
        2
    );
}
