//! The database stopped or frozen under a running site: a clear 503 within about 2 s, never a
//! hang or a 500, and the site comes back by itself when the database does.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::api_client::Api;
use crate::helpers::*;
use crate::postgres_server::PostgresServer;

/// Asks `path` and checks the answer is a prompt 503 with `Retry-After`; returns its body.
async fn unavailable(browser: &Browser, path: &str) -> String {
    let started = Instant::now();
    let response = browser.get(path).await;
    let took = started.elapsed();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
    assert!(took < Duration::from_millis(3500), "{path} took {took:?}");
    assert!(response.headers().contains_key("retry-after"), "{path}");
    response.text().await.unwrap()
}

async fn back_within(browser: &Browser, wait: Duration) {
    let deadline = Instant::now() + wait;
    loop {
        if browser.get("/").await.status() == StatusCode::OK {
            return;
        }
        assert!(Instant::now() < deadline, "the site did not come back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_stopped_or_frozen_database_is_a_prompt_503_and_the_site_comes_back_by_itself() {
    let postgres = PostgresServer::start();
    let app = TestApp::spawn_with(|config| config.database.database_url = postgres.url("bocha")).await;
    let browser = app.signed_in("ada").await;
    let api = Api::new(&app);
    assert_eq!(browser.get("/").await.status(), StatusCode::OK);

    postgres.stop();
    let page = unavailable(&browser, "/").await;
    assert!(page.contains("Temporarily unavailable"), "the friendly page");
    let json = unavailable(&browser, "/api/articles").await;
    assert!(json.contains("\"errors\""), "{json}");
    postgres.restart();
    back_within(&browser, Duration::from_secs(10)).await;
    assert_eq!(api.get("/api/articles").await.status, StatusCode::OK);

    postgres.freeze();
    unavailable(&browser, "/").await;
    unavailable(&browser, "/api/articles").await;
    unavailable(&browser, "/settings").await;
    postgres.thaw();
    back_within(&browser, Duration::from_secs(10)).await;
    assert_eq!(
        browser.signed_in_as().await.as_deref(),
        Some("ada"),
        "nothing was lost"
    );
}
