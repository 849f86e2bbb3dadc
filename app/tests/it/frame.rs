//! The frame every page shares, static files and error pages.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn the_nav_offers_sign_up_and_log_in_to_visitors_and_the_account_to_users() {
    let app = TestApp::spawn().await;
    let (_, html) = app.browser().page("/").await;
    assert!(!select(&html, "nav a[href='/signup']").is_empty());
    assert!(!select(&html, "nav a[href='/login']").is_empty());
    assert!(select(&html, "nav form[action='/logout']").is_empty());

    let browser = app.signed_in("sam").await;
    let (_, html) = browser.page("/").await;
    assert!(select(&html, "nav a[href='/login']").is_empty());
    assert!(!select(&html, "nav a[href='/@sam']").is_empty());
    assert!(!select(&html, "nav a[href='/chat']").is_empty());
    assert!(
        !select(
            &html,
            "nav form[action='/logout'][method=post] input[name=csrf_token]"
        )
        .is_empty()
    );
}

#[tokio::test]
async fn every_page_has_a_theme_toggle_and_no_inline_script() {
    let app = TestApp::spawn().await;
    let browser = app.signed_in("tia").await;
    for path in ["/", "/@tia", "/settings", "/settings/password", "/nothing-here"] {
        let (_, html) = browser.page(path).await;
        assert!(!select(&html, "button#theme-toggle").is_empty(), "{path}");
        for script in select(&html, "script") {
            assert!(
                script.value().attr("src").is_some(),
                "{path} has an inline script"
            );
        }
        assert!(select(&html, "[style]").is_empty(), "{path} has an inline style");
        assert!(!select(&html, "meta[name=viewport]").is_empty(), "{path}");
    }
    for path in ["/login", "/signup"] {
        let (_, html) = app.browser().page(path).await;
        assert!(!select(&html, "button#theme-toggle").is_empty(), "{path}");
    }
}

#[tokio::test]
async fn static_files_have_versioned_urls_long_caching_and_compression() {
    let app = TestApp::spawn().await;
    let (_, html) = app.browser().page("/").await;
    let css = attr(&html, "link[rel=stylesheet]", "href").unwrap();
    assert!(css.starts_with("/static/app.css?v="), "{css}");

    let client = reqwest::Client::builder().no_gzip().build().unwrap();
    let response = client
        .get(app.url(&css))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );

    let response = client.get(app.url("/static/app.css?v=old")).send().await.unwrap();
    assert_eq!(
        response.headers()["cache-control"],
        "no-cache",
        "a stale version is revalidated"
    );
    let response = client.get(app.url("/static/missing.css")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[test]
fn every_template_parses() {
    // Loading parses every template and fails on the first that does not; no app is needed.
    let names = app::web::templates::Templates::load(app::web::assets::Assets::load())
        .unwrap()
        .names();
    for expected in [
        "base.html",
        "home.html",
        "errors/404.html",
        "errors/500.html",
        "accounts/login.html",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected} is missing");
    }
}
