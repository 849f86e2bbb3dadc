//! What an attacker tries first: bursts of password guesses, a full work queue, too many
//! sockets, clients that trickle their headers. Each must cost a bounded amount and be refused
//! clearly, never pile up.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::api_client::Api;
use crate::chat::{Socket, try_connect};
use crate::helpers::*;

#[tokio::test]
async fn two_hundred_simultaneous_guesses_from_one_address_check_at_most_twenty_passwords() {
    let app = TestApp::spawn().await;
    let checked_before = app.state.pools.passwords.started();
    let client = reqwest::Client::new();
    let attempts = (0..200).map(|i| {
        let client = client.clone();
        let url = app.url("/api/users/login");
        async move {
            let body = json!({ "user": { "email": format!("nobody{i}@example.com"), "password": "wrong password!" } });
            let response = client.post(url).json(&body).send().await.unwrap();
            let retry_after = response.headers().get("retry-after").cloned();
            (response.status(), retry_after)
        }
    });
    let answers = join_all(attempts).await;

    let checked = app.state.pools.passwords.started() - checked_before;
    assert!(checked <= 20, "{checked} passwords were checked");
    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    let unauthorized = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!(unauthorized as u64, checked, "every check was answered");
    assert_eq!(
        refused.len() + unauthorized,
        200,
        "the rest were refused: {answers:?}"
    );
    assert!(
        refused.iter().all(|(_, retry)| retry.is_some()),
        "every 429 says when to retry"
    );
}

async fn log_in_from(api: &Api, address: &str, password: &str) -> crate::api_client::Answer {
    let body = json!({ "user": { "email": "olga@example.com", "password": password } });
    api.send(
        api.request(reqwest::Method::POST, "/api/users/login")
            .header("x-forwarded-for", address)
            .json(&body),
    )
    .await
}

#[tokio::test]
async fn guessing_from_elsewhere_does_not_lock_the_owner_out() {
    let app = TestApp::spawn_with(|config| config.trust_proxy = true).await;
    app.signed_in("olga").await;
    let api = Api::new(&app);
    for _ in 0..5 {
        let guess = log_in_from(&api, "203.0.113.7", "not her password").await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    }
    let guessed_out = log_in_from(&api, "203.0.113.7", PASSWORD).await;
    assert_eq!(guessed_out.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(guessed_out.headers.contains_key("retry-after"));

    // The owner, at home, logs in as ever.
    assert_eq!(
        log_in_from(&api, "198.51.100.20", PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_wrong_current_password_is_limited_like_a_login() {
    let app = TestApp::spawn().await;
    let browser = app.signed_in("pavel").await;
    let form = |current| {
        [
            ("current_password", current),
            ("new_password", "another quiet walk"),
        ]
    };
    for _ in 0..5 {
        let wrong = browser
            .submit("/settings/password", &form("not my password"))
            .await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let throttled = browser.submit("/settings/password", &form(PASSWORD)).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after_on_pages_and_the_api() {
    let app = TestApp::spawn().await;
    let pool = app.state.pools.passwords.clone();
    // Every worker busy and every place in the queue taken (for the queue's few seconds).
    let held: Vec<_> = (0..pool.capacity())
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                let slot = pool.slot().await;
                tokio::time::sleep(Duration::from_secs(10)).await;
                drop(slot);
            })
        })
        .collect();
    while pool.in_use() < pool.capacity() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    let started = Instant::now();
    let api = Api::new(&app);
    let answer = api
        .send(api.request(reqwest::Method::POST, "/api/users").json(
            &json!({ "user": { "username": "quinn", "email": "quinn@example.com", "password": "a long enough password" } }),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.headers.contains_key("retry-after"));
    assert!(!answer.error("server").is_empty(), "{:?}", answer.body);

    let page = app
        .browser()
        .sign_up("quinn", "quinn@example.com", "a long enough password")
        .await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.headers().contains_key("retry-after"));
    let html = scraper::Html::parse_document(&page.text().await.unwrap());
    assert!(
        text(&html, "h1").contains("Busy"),
        "the friendly page: {}",
        text(&html, "main")
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "refused at once, not after a wait"
    );

    for task in held {
        task.abort();
    }
    assert_eq!(
        app.count("select count(*) from users where username = 'quinn'")
            .await,
        0,
        "nothing half-made"
    );
}

#[tokio::test]
async fn sign_ups_from_one_address_are_limited() {
    let app = TestApp::spawn_with(|config| config.limits.signups_per_hour = 3).await;
    for i in 0..3 {
        let name = format!("rosa{i}");
        let response = app
            .browser()
            .sign_up(&name, &format!("{name}@example.com"), PASSWORD)
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let api = Api::new(&app);
    let answer = api
        .send(api.request(reqwest::Method::POST, "/api/users").json(
            &json!({ "user": { "username": "rosa9", "email": "rosa9@example.com", "password": PASSWORD } }),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(answer.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn one_person_holds_at_most_their_share_of_sockets() {
    let app = TestApp::spawn_with(|config| config.limits.sockets_per_user = 2).await;
    let browser = app.signed_in("sam").await;
    let _first = Socket::open(&app, &browser).await;
    let _second = Socket::open(&app, &browser).await;
    let cookie = format!("bocha_session={}", browser.cookie("bocha_session").unwrap());
    let third = try_connect(&app, &[("cookie", cookie.clone())]).await;
    assert_eq!(third.err(), Some(429));

    drop(_second);
    // The closed socket's place comes free once the server has seen it go.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match try_connect(&app, &[("cookie", cookie.clone())]).await {
            Ok(_) => break,
            Err(status) => {
                assert_eq!(status, 429);
                assert!(Instant::now() < deadline, "the place never came free");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

#[tokio::test]
async fn typing_notices_beyond_the_limit_never_reach_the_peer() {
    let app = TestApp::spawn().await;
    let (tia, uma) = (app.signed_in("tia").await, app.signed_in("uma").await);
    let room = crate::chat::open_room(&tia, &uma, "uma").await;
    let mut typist = Socket::open(&app, &tia).await;
    let mut peer = Socket::open(&app, &uma).await;
    for _ in 0..100 {
        typist.send(json!({ "type": "typing", "room_id": room })).await;
    }
    let refused = typist.next_of("error").await;
    assert_eq!(refused["code"], "rate_limited");
    assert!(refused["retry_after"].as_u64().unwrap() >= 1);
    // A marker after the flood: everything relayed before it has arrived by then.
    let marker =
        json!({ "type": "send", "room_id": room, "client_id": uuid::Uuid::new_v4(), "body": "done" });
    typist.send(marker).await;
    let mut relayed = 0;
    loop {
        let frame = peer.next().await;
        match frame["type"].as_str() {
            Some("typing") => relayed += 1,
            Some("message") if frame["message"]["body"] == "done" => break,
            _ => {}
        }
    }
    assert!(relayed <= 60, "{relayed} typing notices were relayed");
    assert!(relayed > 0);
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    let app = TestApp::spawn_with(|config| config.limits.header_timeout_seconds = 1).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 1024];
    let closed = loop {
        // One more header byte every 200 ms: never a whole request.
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => break true,
            Ok(Ok(_)) => {}
            Err(_) => {
                if stream.write_all(b"X").await.is_err() {
                    break true;
                }
            }
        }
        if started.elapsed() > Duration::from_secs(10) {
            break false;
        }
    };
    assert!(closed, "the connection was still open after 10 s");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "closed after {:?}",
        started.elapsed()
    );

    // A well-behaved client is served as ever.
    assert_eq!(app.browser().get("/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_upload_while_the_image_line_is_full_is_not_read_and_the_form_keeps_its_text() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("xena").await;
    let pool = app.state.pools.images.clone();
    let held: Vec<_> = (0..pool.capacity()).map(|_| pool.admit().unwrap()).collect();
    let fields = [
        ("title", "Kept"),
        ("description", "d"),
        ("body", "typed with care"),
        ("tags", ""),
        ("action", "publish"),
    ];
    let png = {
        let mut bytes = Vec::new();
        image::DynamicImage::new_rgb8(64, 64)
            .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
            .unwrap();
        bytes
    };
    let response = crate::blog::post_form(&author, "/posts/new", &fields, Some(("c.png", png))).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(
        text(&html, "#cover-error").contains("busy"),
        "{}",
        text(&html, "#cover-error")
    );
    assert_eq!(text(&html, "textarea[name=body]").trim(), "typed with care");
    assert_eq!(pool.started(), 0, "nothing was processed");
    drop(held);
}
