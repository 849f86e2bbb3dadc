use crate::accessibility::violations;
use crate::driver::Driver;
use crate::helpers::{PASSWORD, TestApp};

const NEW_PASSWORD: &str = "a new path along the river";

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
async fn a_person_confirms_their_address_resets_their_password_downloads_their_data_and_leaves() {
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
    browser.fill("#password", NEW_PASSWORD).await;
    browser.click("form.form button[type=submit]").await;
    browser.wait_for_path("/login").await;
    browser.fill("#login", "rowan").await;
    browser.fill("#password", NEW_PASSWORD).await;
    browser.click("form[action='/login'] button[type=submit]").await;
    assert!(browser.text("[data-signed-in-as]").await.contains("rowan"));

    // The archive is built in the background; the mail says when, and settings then offer it.
    browser.goto(&app.url("/settings")).await;
    browser
        .click("form[action='/settings/export'] button[type=submit]")
        .await;
    // Pending, or already ready when the background work beat the page: either says it is
    // under way. A loaded machine may take longer than the usual wait to answer.
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(".export-pending, .export-ready"))
        .await
        .expect("settings say the archive is being prepared or ready");
    app.mail_to("rowan@example.com", "Your data is ready to download")
        .await;
    browser.goto(&app.url("/settings")).await;
    let zip = browser
        .script(
            "const link = document.querySelector('.export-ready a[download]');
             return fetch(link.href).then(r => r.arrayBuffer())
               .then(b => Array.from(new Uint8Array(b).slice(0, 2)).concat([b.byteLength]));",
        )
        .await;
    let zip: Vec<u64> = serde_json::from_value(zip).unwrap();
    assert_eq!(&zip[..2], &[b'P' as u64, b'K' as u64], "the download is a zip");
    assert!(zip[2] > 100);

    browser.click("a[href='/settings/delete']").await;
    assert_eq!(browser.path().await, "/settings/delete");
    assert!(browser.text(".consequences").await.contains("deleted user"));
    let found = violations(&browser).await;
    assert!(found.is_empty(), "/settings/delete: {found:#?}");

    browser.fill("#password", "not my password").await;
    browser
        .click("form[action='/settings/delete'] button[type=submit]")
        .await;
    browser
        .wait_for_text("#password-error", "not your password")
        .await;
    let found = violations(&browser).await;
    assert!(found.is_empty(), "/settings/delete with an error: {found:#?}");

    browser.fill("#password", NEW_PASSWORD).await;
    browser
        .click("form[action='/settings/delete'] button[type=submit]")
        .await;
    browser.wait_for_path("/").await;
    assert!(browser.text(".flash").await.contains("deleted"));
    assert!(!browser.exists("[data-signed-in-as]").await);

    // The name is gone from the site, and the account can no longer log in.
    browser.goto(&app.url("/@rowan")).await;
    assert!(!browser.exists("[data-signed-in-as]").await);
    assert!(browser.text("h1").await.contains("couldn’t find"));
    browser.goto(&app.url("/login")).await;
    browser.fill("#login", "rowan").await;
    browser.fill("#password", NEW_PASSWORD).await;
    browser.click("form[action='/login'] button[type=submit]").await;
    assert!(!browser.text(".form-errors").await.is_empty());
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

#[tokio::test]
async fn after_a_refused_submission_focus_is_on_what_to_fix() {
    let app = TestApp::spawn().await;
    let browser = Driver::start().await;
    let focus_on = |id: &'static str| format!("return document.activeElement.id === '{id}'");
    browser.sign_up(&app, "first_writer").await;

    // A field at fault: the editor's tags (the browser cannot know there are too many).
    browser.goto(&app.url("/posts/new")).await;
    browser.fill("#title", "Too many topics").await;
    browser.fill("#description", "d").await;
    browser.fill("#body", "b").await;
    browser.fill("#tags", "a, b, c, d, e, f, g, h, i, j, k").await;
    browser.click("button[name=action][value=publish]").await;
    browser.wait_until(&focus_on("tags")).await;
    assert_eq!(
        browser
            .script("return document.activeElement.getAttribute('aria-invalid')")
            .await,
        "true"
    );

    // The first of the fields at fault on sign-up: a username already taken.
    browser.click("form[action='/logout'] button").await;
    browser.text("nav a[href='/login']").await;
    browser.goto(&app.url("/signup")).await;
    browser.fill("#username", "first_writer").await;
    browser.fill("#email", "someone_else@example.com").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("form[action='/signup'] button[type=submit]").await;
    browser.wait_until(&focus_on("username")).await;

    // No one field at fault: the message itself.
    browser.goto(&app.url("/login")).await;
    browser.fill("#login", "first_writer").await;
    browser.fill("#password", "not my password").await;
    browser.click("form[action='/login'] button[type=submit]").await;
    browser.wait_until(&focus_on("form-errors")).await;
    let found = violations(&browser).await;
    assert!(found.is_empty(), "{found:?}");
    browser.quit().await;
}
