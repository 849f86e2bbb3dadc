//! Headers, CSRF, Host checks, body limits.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/", "/login", "/signup", "/@nobody", "/static/app.css"] {
        let response = app.browser().get(path).await;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let csp = header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(
            header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header("referrer-policy").as_deref(),
            Some("same-origin"),
            "{path}"
        );
        assert!(
            header("strict-transport-security").is_none(),
            "no HSTS in development"
        );
        assert!(header("x-request-id").is_some(), "{path}");
    }
}

#[tokio::test]
async fn production_sends_hsts_and_secure_cookies() {
    let app =
        TestApp::spawn_with(|config| config.database.environment = app::config::Environment::Production)
            .await;
    let response = app.browser().get("/login").await;
    assert!(response.headers().get("strict-transport-security").is_some());
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(!cookies.is_empty());
    assert!(cookies.iter().all(|c| c.contains("Secure")), "{cookies:?}");
}

#[tokio::test]
async fn production_refuses_to_start_without_a_secret_key() {
    let db = eventstore::testing::TestDb::new().await;
    let mut config = test_config(&db);
    config.database.environment = app::config::Environment::Production;
    config.secret_key = None;
    let err = app::App::build(config).await.err().expect("no secret, no start");
    assert!(err.to_string().contains("SECRET_KEY"));
}

#[tokio::test]
async fn a_forged_post_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let fields = [
        ("username", "mallory"),
        ("email", "m@example.com"),
        ("password", PASSWORD),
    ];

    let response = browser
        .client
        .post(browser.url("/signup"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // A token from another browser does not match this browser's cookie.
    let other_token = app.browser().csrf_token().await;
    browser.csrf_token().await;
    let mut forged = fields.to_vec();
    forged.push(("csrf_token", &other_token));
    let response = browser
        .client
        .post(browser.url("/signup"))
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(text(&html, "main").contains("Form expired"));

    assert_eq!(app.count("select count(*) from events").await, 0);

    // Profile edits are protected the same way.
    let user = app.signed_in("victim").await;
    let forged = reqwest::multipart::Form::new()
        .text("display_name", "pwned")
        .text("email", "x@example.com");
    let response = user
        .client
        .post(user.url("/settings"))
        .multipart(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("select count(*) from events where event_type = 'ProfileUpdated'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_unknown_host_is_refused() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let response = client
        .get(app.url("/"))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = client
        .get(app.url("/"))
        .header("host", "localhost:8000")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = client
        .get(app.url("/healthz"))
        .header("host", "10.0.0.7")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "health checks answer on any host"
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let big = "x".repeat(200 * 1024);
    let response = browser
        .submit(
            "/signup",
            &[
                ("username", "big"),
                ("email", "b@example.com"),
                ("password", &big),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.count("select count(*) from events").await, 0);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let response = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["postgres"], "ok");
    assert_eq!(body["redis"], "ok");
}

#[tokio::test]
async fn readiness_reports_an_unreachable_redis() {
    let app = TestApp::spawn_with(|config| config.redis_url = "redis://127.0.0.1:1".to_owned()).await;
    let response = reqwest::Client::new()
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["postgres"], "ok");
    assert!(body["redis"].as_str().unwrap().starts_with("unavailable"));
    // Logging in still works without Redis (throttling is skipped, not fatal).
    let browser = app.signed_in("rae").await;
    assert_eq!(
        browser.log_in("rae", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_nul_character_anywhere_is_a_clear_400_not_a_500() {
    let app = TestApp::spawn().await;
    let browser = app.signed_in("nully").await;
    for path in [
        "/posts/%00",
        "/@%00",
        "/search?q=a%00b",
        "/tags/%00",
        "/chat/%00",
        "/posts/x/history%00",
    ] {
        let (status, page) = browser.page(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert!(!select(&page, "nav").is_empty(), "{path} gets the friendly page");
    }
    let response = app.browser().log_in("a\0b", "whatever password").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = browser
        .submit_multipart(
            "/settings",
            &[
                ("display_name", "x"),
                ("bio", "nul\0here"),
                ("email", "n@example.com"),
            ],
            ("avatar", None),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.count("select count(*) from events where event_type = 'ProfileUpdated'")
            .await,
        0
    );
}

#[tokio::test]
async fn production_refuses_to_start_without_a_master_key() {
    let db = eventstore::testing::TestDb::new().await;
    let mut config = test_config(&db);
    config.database.environment = app::config::Environment::Production;
    config.database.master_key = None;
    let err = app::App::build(config)
        .await
        .err()
        .expect("no master key, no start");
    assert!(err.to_string().contains("MASTER_KEY"));
}
