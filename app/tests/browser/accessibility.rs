//! Pages checked with axe-core (WCAG 2 A and AA rules) in Chromium: the API reference with its
//! examples and socket frames, and the pages of a site with content.

use crate::driver::Driver;
use crate::helpers::TestApp;

/// axe-core as the test command installs it (from npm, under target/tools).
const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../target/tools/axe/node_modules/axe-core/axe.min.js"
);

/// The WCAG 2 A/AA violations axe finds on the page the browser shows.
pub(crate) async fn violations(driver: &Driver) -> Vec<String> {
    let source = std::fs::read_to_string(AXE)
        .unwrap_or_else(|_| panic!("accessibility checks need axe-core at {AXE} (scripts/test installs it)"));
    driver.client.execute(&source, vec![]).await.unwrap();
    let found = driver
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             // Colours are judged as they settle, not half way through a transition.
             Promise.allSettled(document.getAnimations().map(a => a.finished))
               .then(() => axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] }))
               .then(r => done(r.violations.map(v => `${v.id} (${v.nodes.length}): ${v.help} at ${v.nodes[0].target}`)))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

#[tokio::test]
async fn the_api_reference_and_the_site_pass_axe() {
    let app = TestApp::spawn().await;
    let driver = Driver::start().await;
    driver.goto(&app.url("/api/docs")).await;
    driver.text("#socket").await;
    let found = violations(&driver).await;
    assert!(found.is_empty(), "/api/docs: {found:#?}");

    // The frame of an account whose address waits for its confirmation, then the pages of
    // one that is confirmed.
    driver.sign_up_at(&app.url(""), "ann").await;
    let found = violations(&driver).await;
    assert!(found.is_empty(), "unconfirmed: {found:#?}");
    driver
        .confirm_email_at(&app.url(""), &app.config.mail.mail_dir, "ann")
        .await;
    for path in ["/", "/@ann", "/settings", "/chat"] {
        driver.goto(&app.url(path)).await;
        let found = violations(&driver).await;
        assert!(found.is_empty(), "{path}: {found:#?}");
    }
    // What a person who forgot their password sees, signed out.
    driver.click("form[action='/logout'] button").await;
    for path in ["/password/forgot", "/password/reset/expired.link"] {
        driver.goto(&app.url(path)).await;
        let found = violations(&driver).await;
        assert!(found.is_empty(), "{path}: {found:#?}");
    }
    driver.quit().await;
}
