//! Moderation through the pages and the API: who may, suspension everywhere at once, the staff
//! role, reports and what staff do about them, and the public log.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::api_client::{Api, publish, register, staff_api};
use crate::chat::{Socket, open_room};
use crate::helpers::*;

#[tokio::test]
async fn a_non_staff_user_gets_404_on_every_moderation_route() {
    let app = TestApp::spawn().await;
    let bob = register(&app, "bob").await;
    let slug = publish(&bob, "Tea", &[]).await;
    let eve = app.signed_in("eve").await;
    let eve_api = register(&app, "evetoo").await;
    let id = uuid::Uuid::new_v4();
    for path in [
        "/moderation".to_owned(),
        format!("/moderation/reports/{id}"),
        "/@bob/moderate".to_owned(),
        format!("/posts/{slug}/moderate"),
        format!("/posts/{slug}/comments/1/moderate"),
    ] {
        assert_eq!(eve.page(&path).await.0, StatusCode::NOT_FOUND, "GET {path}");
    }
    for path in [
        "/@bob/suspend".to_owned(),
        "/@bob/lift-suspension".to_owned(),
        "/@bob/staff".to_owned(),
        format!("/moderation/reports/{id}/close"),
        format!("/posts/{slug}/moderate"),
        format!("/posts/{slug}/comments/1/moderate"),
    ] {
        let answer = eve
            .submit(&path, &[("reason", "because"), ("staff", "yes"), ("hide", "yes")])
            .await;
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    let body = json!({ "reason": "because", "hidden": true, "staff": true, "outcome": "dismissed",
                       "suspension": { "reason": "because" } });
    for (method, path) in [
        ("GET", "/api/moderation/reports".to_owned()),
        ("GET", format!("/api/moderation/reports/{id}")),
        ("POST", format!("/api/moderation/reports/{id}/close")),
        ("POST", "/api/moderation/users/bob/suspension".to_owned()),
        ("POST", "/api/moderation/users/bob/suspension/lift".to_owned()),
        ("PUT", "/api/moderation/users/bob/staff".to_owned()),
        ("PUT", format!("/api/moderation/articles/{slug}/hidden")),
        (
            "PUT",
            format!("/api/moderation/articles/{slug}/comments/1/hidden"),
        ),
    ] {
        let answer = eve_api
            .send(eve_api.request(method.parse().unwrap(), &path).json(&body))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            answer.body
        );
    }
    // The log itself is public.
    assert_eq!(
        Api::new(&app).get("/api/moderation/log").await.status,
        StatusCode::OK
    );
    assert_eq!(app.browser().page("/moderation/log").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_suspension_ends_tokens_sessions_and_sockets_on_every_instance_and_login_says_why() {
    let first = TestApp::spawn().await;
    let second = first.another_instance().await;
    let bob = register(&first, "bob").await;
    let slug = publish(&bob, "Buy my pills", &[]).await;
    let token = bob.token.clone().unwrap();
    let bob_elsewhere = Api::with_token(&second, &token);
    let browser = second.browser();
    assert_eq!(
        browser.log_in("bob", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let mut socket = Socket::open(&second, &browser).await;
    let sam = staff_api(&first, "sam").await;

    // Refused without a reason, for a day count out of range, for oneself.
    let path = "/api/moderation/users/bob/suspension";
    let blank = sam.post(path, json!({ "suspension": { "reason": " " } })).await;
    assert_eq!(blank.error("reason"), "state a reason");
    let zero = sam
        .post(path, json!({ "suspension": { "reason": "x", "days": 0 } }))
        .await;
    assert_eq!(zero.status, StatusCode::UNPROCESSABLE_ENTITY);
    let own = sam
        .post(
            "/api/moderation/users/sam/suspension",
            json!({ "suspension": { "reason": "x" } }),
        )
        .await;
    assert_eq!(own.error("user"), "you can't suspend yourself");

    let suspended = sam
        .post(
            path,
            json!({ "suspension": { "reason": "Spam in comments", "days": 7, "hide_posts": true } }),
        )
        .await;
    assert_eq!(suspended.status, StatusCode::OK, "{}", suspended.body);
    assert_eq!(
        suspended.body["account"]["suspension"]["reason"],
        "Spam in comments"
    );
    assert!(suspended.body["account"]["suspension"]["until"].is_string());

    // At once, on the other instance too: the token, the session and the socket end.
    assert_eq!(
        bob_elsewhere.get("/api/user").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(browser.get("/settings").await.status(), StatusCode::SEE_OTHER);
    assert!(
        socket.closed_within(Duration::from_secs(5)).await,
        "the socket closes"
    );

    // Logging in is refused with the reason and the end, page and API alike.
    let again = Api::new(&second)
        .post(
            "/api/users/login",
            json!({ "user": { "email": "bob@example.com", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert!(
        again.error("account").contains("suspended until"),
        "{}",
        again.body
    );
    assert!(again.error("account").contains("Spam in comments"));
    let page = second.browser().log_in("bob", PASSWORD).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("Reason: Spam in comments"));

    // Their posts are hidden meanwhile, except from staff.
    let anonymous = Api::new(&first);
    assert_eq!(
        anonymous.get(&format!("/api/articles/{slug}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(anonymous.get("/api/articles").await.body["articles"], json!([]));
    assert_eq!(
        sam.get(&format!("/api/articles/{slug}")).await.status,
        StatusCode::OK
    );

    // The public log shows what, why and until when, and who only to staff.
    let log = anonymous.get("/api/moderation/log").await;
    assert_eq!(log.body["actions"][0]["action"], "suspended");
    assert_eq!(log.body["actions"][0]["target"], "bob");
    assert_eq!(log.body["actions"][0]["reason"], "Spam in comments");
    assert!(log.body["actions"][0]["staff"].is_null());
    assert_eq!(
        sam.get("/api/moderation/log").await.body["actions"][0]["staff"],
        "sam"
    );
    let (_, page) = first.browser().page("/moderation/log").await;
    assert!(text(&page, ".modlog-entry").contains("Suspended"));
    assert!(!page.html().contains(">sam<"));

    // Lifting it lets them back in, with their posts.
    let lifted = sam
        .post(
            "/api/moderation/users/bob/suspension/lift",
            json!({ "reason": "Appeal accepted" }),
        )
        .await;
    assert_eq!(lifted.status, StatusCode::OK, "{}", lifted.body);
    assert!(lifted.body["account"]["suspension"].is_null());
    let back = Api::new(&first)
        .post(
            "/api/users/login",
            json!({ "user": { "email": "bob@example.com", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK);
    assert_eq!(
        anonymous.get(&format!("/api/articles/{slug}")).await.status,
        StatusCode::OK
    );
    let again = sam
        .post(
            "/api/moderation/users/bob/suspension/lift",
            json!({ "reason": "twice" }),
        )
        .await;
    assert_eq!(again.error("user"), "is not suspended");
}

#[tokio::test]
async fn staff_make_and_unmake_staff_with_a_reason_but_not_themselves() {
    let app = TestApp::spawn().await;
    let sam = app.staff("sam").await;
    app.signed_in("bob").await;
    let (status, page) = sam.page("/@bob/moderate").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!select(&page, "form[action='/@bob/staff']").is_empty());
    let blank = sam
        .submit("/@bob/staff", &[("staff", "yes"), ("reason", "")])
        .await;
    assert_eq!(blank.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let made = sam
        .submit(
            "/@bob/staff",
            &[("staff", "yes"), ("reason", "Joins the moderation team")],
        )
        .await;
    assert_eq!(location(&made), "/@bob/moderate");
    let (_, profile) = app.browser().page("/@bob").await;
    assert_eq!(text(&profile, ".tag-staff"), "Staff");
    // Staff can't be suspended; nobody removes their own role.
    let suspend = sam
        .submit("/@bob/suspend", &[("reason", "x"), ("duration", "7")])
        .await;
    assert_eq!(suspend.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let own = sam
        .submit("/@sam/staff", &[("staff", "no"), ("reason", "leaving")])
        .await;
    assert_eq!(own.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        own.text()
            .await
            .unwrap()
            .contains("you can&#x27;t remove your own staff role")
    );
    let unmade = sam
        .submit("/@bob/staff", &[("staff", "no"), ("reason", "Stepped down")])
        .await;
    assert_eq!(unmade.status(), StatusCode::SEE_OTHER);
    let (_, log) = app.browser().page("/moderation/log").await;
    let entries = text(&log, ".modlog");
    assert!(
        entries.contains("Made staff") && entries.contains("Staff role removed"),
        "{entries}"
    );
    assert!(entries.contains("Joins the moderation team"));
}

#[tokio::test]
async fn reports_reach_the_queue_and_staff_hide_or_dismiss_them_with_a_reason() {
    let app = TestApp::spawn().await;
    let bob = register(&app, "bob").await;
    let ann = register(&app, "ann").await;
    let cid = register(&app, "cid").await;
    let slug = publish(&bob, "Tea", &[]).await;
    let comment = ann
        .post(
            &format!("/api/articles/{slug}/comments"),
            json!({ "comment": { "body": "you are an idiot" } }),
        )
        .await;
    let comment_id = comment.body["comment"]["id"].as_i64().unwrap();
    let bob_browser = app.browser();
    bob_browser.log_in("bob", PASSWORD).await;

    // Bob reports the comment from the page; twice is refused while it is open.
    let (_, post_page) = bob_browser.page(&format!("/posts/{slug}")).await;
    let report_url = attr(&post_page, ".comment-report", "href").expect("a report link");
    let (status, form) = bob_browser.page(&report_url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        select(&form, "#report-sharing").is_empty(),
        "only messages are shared"
    );
    let fields = [
        ("post", slug.as_str()),
        ("comment", &comment_id.to_string()),
        ("reason", "harassment"),
        ("note", "insults"),
    ];
    let filed = bob_browser.submit("/reports/new", &fields).await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);
    let twice = bob_browser.submit("/reports/new", &fields).await;
    assert_eq!(twice.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let no_reason = bob_browser
        .submit("/reports/new", &[("user", "ann"), ("reason", "rude")])
        .await;
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Staff see it in the queue, in context, and hide the comment, which resolves the report.
    let sam_api = staff_api(&app, "sam").await;
    let sam = app.browser();
    sam.log_in("sam", PASSWORD).await;
    let (_, queue) = sam.page("/moderation").await;
    assert!(text(&queue, ".report-item").contains("you are an idiot"));
    assert!(text(&queue, ".report-item").contains("Harassment"));
    let review = attr(&queue, ".report-item a.btn", "href").unwrap();
    let (_, report) = sam.page(&review).await;
    let hide = attr(&report, "a[href$='/moderate']", "href").unwrap();
    assert_eq!(hide, format!("/posts/{slug}/comments/{comment_id}/moderate"));
    let hidden = sam.submit(&hide, &[("hide", "yes"), ("reason", "Insults")]).await;
    assert_eq!(hidden.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sam_api.get("/api/moderation/reports").await.body["reports"],
        json!([])
    );

    // Nobody but its author (told why) and staff sees it.
    let path = format!("/api/articles/{slug}/comments");
    assert_eq!(cid.get(&path).await.body["comments"], json!([]));
    assert_eq!(ann.get(&path).await.body["comments"].as_array().unwrap().len(), 1);
    let ann_browser = app.browser();
    ann_browser.log_in("ann", PASSWORD).await;
    let (_, page) = ann_browser.page(&format!("/posts/{slug}")).await;
    assert!(text(&page, ".comment .moderation-note").contains("Reason: Insults"));

    // A profile report is dismissed through the API, with a reason.
    let filed = cid
        .post(
            "/api/reports",
            json!({ "report": { "target": { "username": "bob" }, "reason": "spam" } }),
        )
        .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    let id = filed.body["report"]["id"].as_str().unwrap().to_owned();
    let queue = sam_api.get("/api/moderation/reports").await;
    assert_eq!(queue.body["reports"][0]["author"], "bob");
    let close = format!("/api/moderation/reports/{id}/close");
    let blank = sam_api.post(&close, json!({ "outcome": "dismissed" })).await;
    assert_eq!(blank.error("reason"), "state a reason");
    let dismissed = sam_api
        .post(&close, json!({ "outcome": "dismissed", "reason": "Not spam" }))
        .await;
    assert_eq!(dismissed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        sam_api
            .post(&close, json!({ "outcome": "dismissed", "reason": "again" }))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Hiding a post takes it out of every list and page but its author's and staff's.
    let hidden = sam_api
        .put(
            &format!("/api/moderation/articles/{slug}/hidden"),
            json!({ "hidden": true, "reason": "Off topic" }),
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NO_CONTENT);
    assert_eq!(
        cid.get(&format!("/api/articles/{slug}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(Api::new(&app).get("/api/articles").await.body["articlesCount"], 0);
    assert_eq!(
        bob.get(&format!("/api/articles/{slug}")).await.status,
        StatusCode::OK
    );
    let (_, own) = bob_browser.page(&format!("/posts/{slug}")).await;
    assert!(text(&own, ".moderation-note").contains("Reason: Off topic"));

    let log = Api::new(&app).get("/api/moderation/log").await;
    let actions: Vec<&str> = log.body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["post hidden", "report dismissed", "comment hidden"]);
}

#[tokio::test]
async fn reporting_a_chat_message_shares_its_context_and_the_chat_records_the_reading() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let cid = app.signed_in("cid").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut socket = Socket::open(&app, &ben).await;
    for body in ["hi", "you there?", "answer me or else"] {
        socket.say(&room, body).await;
    }

    // Ann is told what a report of a message shares before she sends it.
    let (_, page) = ann.page(&format!("/chat/{room}")).await;
    let link = attr(&page, "#m3 .message-report", "href").expect("a report link on Ben's message");
    let (_, form) = ann.page(&link).await;
    assert!(text(&form, "#report-sharing").contains("shares it, and the 4 messages before it, with staff"));
    let seq = "3".to_owned();
    let fields = [
        ("chat", room.as_str()),
        ("seq", seq.as_str()),
        ("reason", "harassment"),
    ];
    assert_eq!(
        cid.submit("/reports/new", &fields).await.status(),
        StatusCode::NOT_FOUND,
        "not her chat"
    );
    assert_eq!(
        ann.submit("/reports/new", &fields).await.status(),
        StatusCode::SEE_OTHER
    );

    // Staff see the message in context, which the chat records for both of them, once.
    let sam = app.staff("sam").await;
    let (_, queue) = sam.page("/moderation").await;
    let review = attr(&queue, ".report-item a.btn", "href").unwrap();
    let (status, report) = sam.page(&review).await;
    assert_eq!(status, StatusCode::OK);
    let context = text(&report, ".report-context");
    assert!(
        context.contains("hi") && context.contains("answer me or else"),
        "{context}"
    );
    sam.page(&review).await;
    assert_eq!(app.count("select count(*) from staff_reads").await, 1);
    for person in [&ann, &ben] {
        let (_, room_page) = person.page(&format!("/chat/{room}")).await;
        assert!(
            text(&room_page, ".chat-staff-reads")
                .contains("because: Reviewing a report (harassment) about message #3")
        );
    }
}
