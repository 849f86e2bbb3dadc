//! Mail and what it is for: confirming an address, resetting a forgotten password, changing
//! the address by link, and the notice to the old address.

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, header, link_in, location, text};

#[tokio::test]
async fn sign_up_mails_a_link_that_confirms_the_address_and_opens_chat() {
    let app = TestApp::spawn().await;
    let _bob = app.signed_in("bob").await;
    let alice = app.signed_in_unconfirmed("alice").await;

    let (_, home) = alice.page("/").await;
    assert!(text(&home, ".confirm-banner").contains("confirm your email"));
    let refused = alice
        .submit("/chat/requests", &[("to", "bob"), ("message", "hi")])
        .await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    let (_, page) = alice.page(&location(&refused)).await;
    assert!(text(&page, ".flash-error").contains("Confirm your email address"));
    assert_eq!(app.count("select count(*) from chat_requests").await, 0);

    let mail = app
        .mail_to("alice@example.com", "Confirm your email address")
        .await;
    assert_eq!(header(&mail, "From"), "Bocha <bocha@example.com>");
    let link = link_in(&mail, "/account/confirm/");
    let response = alice.get(&link).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, home) = alice.page("/").await;
    assert!(text(&home, ".confirm-banner").is_empty());
    let asked = alice
        .submit("/chat/requests", &[("to", "bob"), ("message", "hi")])
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("select count(*) from chat_requests").await, 1);

    // The link again changes nothing; a forged one is refused.
    assert_eq!(alice.get(&link).await.status(), StatusCode::SEE_OTHER);
    let forged = format!("{}x", link);
    assert_eq!(alice.get(&forged).await.status(), StatusCode::GONE);
    assert_eq!(
        app.count("select count(*) from events where event_type = 'EmailConfirmed'")
            .await,
        2
    );
}

#[tokio::test]
async fn another_confirmation_link_is_sent_a_few_times_an_hour() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in_unconfirmed("alice").await;
    app.mail_to("alice@example.com", "Confirm your email address")
        .await;
    for _ in 0..3 {
        let response = alice.submit("/account/confirm", &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let response = alice.submit("/account/confirm", &[]).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    for _ in 0..200 {
        if app.mails().len() == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.mails().len(), 4, "one on sign-up and three asked for");
    assert_eq!(
        app.count("select count(*) from outbox where sent_at is not null")
            .await,
        4
    );
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_by_the_mailed_link() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let stranger = app.browser();

    // The same answer for an address nobody has.
    let known = stranger
        .submit("/password/forgot", &[("email", "alice@example.com")])
        .await;
    let unknown = stranger
        .submit("/password/forgot", &[("email", "nobody@example.com")])
        .await;
    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(unknown.status(), StatusCode::OK);
    let (known, unknown) = (known.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(
        known.replace("alice@example.com", "X"),
        unknown.replace("nobody@example.com", "X")
    );

    let mail = app.mail_to("alice@example.com", "Reset your password").await;
    let link = link_in(&mail, "/password/reset/");
    let token = link.trim_start_matches("/password/reset/");
    // Only a hash of the token is kept.
    assert_eq!(
        app.count(&format!(
            "select count(*) from events where payload::text like '%{token}%'"
        ))
        .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from outbox where data::text like '%{token}%'"
        ))
        .await,
        0
    );

    let (status, _) = stranger.page(&link).await;
    assert_eq!(status, StatusCode::OK);
    let weak = stranger.submit(&link, &[("password", "short")]).await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = stranger
        .submit(&link, &[("password", "a brand new river path")])
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/login");

    // Used once; every session ended; the new password works and the old does not.
    assert_eq!(stranger.page(&link).await.0, StatusCode::GONE);
    let again = stranger
        .submit(&link, &[("password", "another new river path")])
        .await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert_eq!(alice.signed_in_as().await, None);
    let old = app.browser();
    assert_eq!(
        old.log_in("alice", PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        old.log_in("alice", "a brand new river path").await.status(),
        StatusCode::SEE_OTHER
    );
    app.mail_to("alice@example.com", "Your password was changed")
        .await;
}

#[tokio::test]
async fn reset_links_that_are_wrong_replaced_or_expired_do_nothing() {
    let app = TestApp::spawn().await;
    let _alice = app.signed_in("alice").await;
    let stranger = app.browser();
    stranger
        .submit("/password/forgot", &[("email", "alice@example.com")])
        .await;
    let first = link_in(
        &app.mail_to("alice@example.com", "Reset your password").await,
        "/password/reset/",
    );
    // A newer link replaces the first.
    stranger
        .submit("/password/forgot", &[("email", "ALICE@example.com")])
        .await;
    for _ in 0..200 {
        if app
            .mails()
            .iter()
            .filter(|m| header(m, "Subject") == "Reset your password")
            .count()
            == 2
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let second = link_in(
        &app.mail_to("alice@example.com", "Reset your password").await,
        "/password/reset/",
    );
    assert_ne!(first, second);
    // One character of the signature changed, whatever it was; not the last,
    // whose low bits base64 may not carry.
    let at = second.len() - 5;
    let other = if &second[at..at + 1] == "A" { "B" } else { "A" };
    let tampered = format!("{}{other}{}", &second[..at], &second[at + 1..]);
    for link in [
        first.as_str(),
        tampered.as_str(),
        "/password/reset/nonsense",
        "/password/reset/a.b",
    ] {
        let response = stranger
            .submit(link, &[("password", "a brand new river path")])
            .await;
        assert_eq!(response.status(), StatusCode::GONE, "{link}");
    }
    // Expired: the hour passed.
    sqlx::query("update password_resets set expires_at = now() - interval '1 second'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let response = stranger
        .submit(&second, &[("password", "a brand new river path")])
        .await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(
        app.count("select count(*) from events where event_type = 'PasswordReset'")
            .await,
        0
    );
}

#[tokio::test]
async fn reset_links_are_limited_per_address_asked_for() {
    let app = TestApp::spawn().await;
    let stranger = app.browser();
    for _ in 0..3 {
        let response = stranger
            .submit("/password/forgot", &[("email", "nobody@example.com")])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = stranger
        .submit("/password/forgot", &[("email", "nobody@example.com")])
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let other = stranger
        .submit("/password/forgot", &[("email", "someone@example.com")])
        .await;
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_new_address_needs_the_password_and_its_link_and_the_old_one_is_told() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("alice").await;
    let fields = |password: &'static str| {
        vec![
            ("display_name", ""),
            ("bio", ""),
            ("email", "alice@new.example"),
            ("current_password", password),
        ]
    };
    let no_password = alice
        .submit_multipart("/settings", &fields(""), ("avatar", None))
        .await;
    assert_eq!(no_password.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let saved = alice
        .submit_multipart("/settings", &fields(PASSWORD), ("avatar", None))
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    // Not yet: the account keeps its address until the new one confirms.
    let (_, settings) = alice.page("/settings").await;
    assert!(
        text(&settings, "#email-settings-title + p, .settings-row p")
            .contains("Waiting for alice@new.example")
    );
    assert_eq!(
        app.count("select count(*) from users where email = 'alice@example.com'")
            .await,
        1
    );
    let notice = app
        .mail_to("alice@example.com", "Your email address is being changed")
        .await;
    assert!(notice.contains("a…@new.example"), "{notice}");
    assert!(!notice.contains("alice@new.example"));
    let confirm = app
        .mail_to("alice@new.example", "Confirm your new email address")
        .await;
    let response = alice.get(&link_in(&confirm, "/account/email/confirm/")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("select count(*) from users where email = 'alice@new.example' and email_confirmed")
            .await,
        1
    );
    // The old address can still undo it, which signs everyone out.
    let report = link_in(&notice, "/account/email/report/");
    let stranger = app.browser();
    assert_eq!(stranger.page(&report).await.0, StatusCode::OK);
    let undone = stranger.submit(&report, &[]).await;
    assert_eq!(undone.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("select count(*) from users where email = 'alice@example.com' and email_confirmed")
            .await,
        1
    );
    assert_eq!(alice.signed_in_as().await, None);
}

#[tokio::test]
async fn an_address_someone_else_holds_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let _bob = app.signed_in("bob").await;
    let alice = app.signed_in("alice").await;
    let response = alice
        .submit_multipart(
            "/settings",
            &[
                ("display_name", ""),
                ("bio", ""),
                ("email", "BOB@example.com"),
                ("current_password", PASSWORD),
            ],
            ("avatar", None),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count("select count(*) from events where event_type = 'EmailChangeRequested'")
            .await,
        0
    );
}

#[tokio::test]
async fn someone_away_is_told_who_wrote_once_an_hour_and_never_what() {
    use crate::chat::{Socket, open_room};
    use chrono::{TimeDelta, Utc};
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut socket = Socket::open(&app, &ann).await;
    socket.say(&room, "the secret is in the teapot").await;
    drop(socket);
    let queue =
        |minutes: i64| app::mail::notices::queue(&app.state, Utc::now() + TimeDelta::minutes(minutes));

    // Ben was here a moment ago: not yet.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(queue(0).await.unwrap(), 0);
    // A quarter of an hour later he is away: one notice, naming Ann and nothing she wrote.
    assert_eq!(queue(16).await.unwrap(), 1);
    let mail = app
        .mail_to("ben@example.com", "Messages are waiting for you")
        .await;
    assert!(mail.contains("  - ann"), "{mail}");
    assert!(!mail.contains("teapot"));
    assert!(!mail.contains(&room));
    // Not again within the hour, nor for the same messages later.
    assert_eq!(queue(30).await.unwrap(), 0);
    assert_eq!(queue(180).await.unwrap(), 0);
    // Ann writes again; Ben turned the mail off.
    let mut socket = Socket::open(&app, &ann).await;
    socket.say(&room, "are you there?").await;
    drop(socket);
    ben.submit("/settings/notifications", &[]).await;
    assert_eq!(queue(240).await.unwrap(), 0);
    ben.submit("/settings/notifications", &[("chat_email", "1")])
        .await;
    assert_eq!(queue(240).await.unwrap(), 1);
    // Ann was around all along and is never mailed; she has nothing unread anyway.
    assert_eq!(
        app.count(
            "select count(*) from outbox where kind = 'chat_notice' and to_address = 'ann@example.com'"
        )
        .await,
        0
    );
}
