use crate::driver::Driver;
use crate::helpers::{PASSWORD, TestApp};

#[tokio::test]
async fn a_visitor_signs_up_logs_out_and_logs_back_in() {
    let app = TestApp::spawn().await;
    let browser = Driver::start().await;

    browser.goto(&app.url("/")).await;
    browser.click("nav a[href='/signup']").await;
    browser.sign_up_at(&app.url(""), "walker").await;
    assert!(browser.text("h1").await.contains("walker"));
    assert_eq!(browser.path().await, "/@walker");
    assert!(browser.text("[data-signed-in-as]").await.contains("walker"));

    browser.click("form[action='/logout'] button").await;
    browser.text("nav a[href='/login']").await;
    assert!(!browser.exists("[data-signed-in-as]").await);

    browser.click("nav a[href='/login']").await;
    browser.fill("#login", "walker").await;
    browser.fill("#password", "not my password").await;
    browser.click("form[action='/login'] button[type=submit]").await;
    assert!(!browser.text(".form-errors").await.is_empty());

    browser.fill("#password", PASSWORD).await;
    browser.click("form[action='/login'] button[type=submit]").await;
    assert!(browser.text("[data-signed-in-as]").await.contains("walker"));

    browser.quit().await;
}

#[tokio::test]
async fn a_person_confirms_their_address_forgets_their_password_and_resets_it() {
    let app = TestApp::spawn().await;
    let browser = Driver::start().await;
    browser.sign_up_at(&app.url(""), "rowan").await;
    assert!(
        browser
            .text(".confirm-banner")
            .await
            .contains("confirm your email")
    );
    browser
        .confirm_email_at(&app.url(""), &app.config.mail.mail_dir, "rowan")
        .await;
    assert!(!browser.exists(".confirm-banner").await);

    browser.click("form[action='/logout'] button").await;
    browser.click("nav a[href='/login']").await;
    browser.click("a[href='/password/forgot']").await;
    browser.fill("#email", "rowan@example.com").await;
    browser
        .click("form[action='/password/forgot'] button[type=submit]")
        .await;
    browser.wait_for_text("[role=status]", "on its way").await;

    let mail = app.mail_to("rowan@example.com", "Reset your password").await;
    let link = crate::helpers::link_in(&mail, "/password/reset/");
    browser.goto(&app.url(&link)).await;
    browser.fill("#password", "a new path along the river").await;
    browser.click("form.form button[type=submit]").await;
    browser.wait_for_path("/login").await;
    browser.fill("#login", "rowan").await;
    browser.fill("#password", "a new path along the river").await;
    browser.click("form[action='/login'] button[type=submit]").await;
    assert!(browser.text("[data-signed-in-as]").await.contains("rowan"));
    browser.quit().await;
}

#[tokio::test]
async fn the_theme_toggle_switches_and_is_remembered() {
    let app = TestApp::spawn().await;
    let browser = Driver::start().await;
    browser.goto(&app.url("/login")).await;
    let before = browser
        .script("return getComputedStyle(document.body).backgroundColor")
        .await;
    browser.click("#theme-toggle").await;
    let theme = browser
        .script("return document.documentElement.dataset.theme")
        .await;
    assert!(theme == "dark" || theme == "light", "{theme}");
    let after = browser
        .script("return getComputedStyle(document.body).backgroundColor")
        .await;
    assert_ne!(before, after, "the colours change");

    browser.goto(&app.url("/signup")).await;
    assert_eq!(
        browser
            .script("return document.documentElement.dataset.theme")
            .await,
        theme,
        "remembered"
    );
    browser.quit().await;
}

#[tokio::test]
async fn nothing_scrolls_sideways_on_a_phone() {
    let app = TestApp::spawn().await;
    let browser = Driver::start().await;
    browser.client.set_window_size(360, 800).await.unwrap();
    browser.sign_up(&app, "narrow_person_with_a_long_name").await;
    for path in [
        "/",
        "/login",
        "/signup",
        "/@narrow_person_with_a_long_name",
        "/settings",
        "/missing",
    ] {
        browser.goto(&app.url(path)).await;
        let overflow = browser
            .script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            .await;
        assert_eq!(
            overflow.as_i64(),
            Some(0),
            "{path} scrolls sideways by {overflow}px"
        );
    }
    browser.quit().await;
}
