//! A community's safety in a browser: an unwanted request, a decline, a block and a report,
//! a suspension with its reason, the public log, and staff reading a chat with a trace. axe
//! checks every page on the way.

use crate::accessibility::violations;
use crate::driver::Driver;
use crate::helpers::{PASSWORD, TestApp};

async fn accessible(driver: &Driver, what: &str) {
    let found = violations(driver).await;
    assert!(found.is_empty(), "{what}: {found:#?}");
}

async fn log_in(driver: &Driver, app: &TestApp, username: &str) {
    driver.goto(&app.url("/login")).await;
    driver.fill("#login", username).await;
    driver.fill("#password", PASSWORD).await;
    driver.click("form[action='/login'] button[type=submit]").await;
}

#[tokio::test]
async fn an_unwanted_request_a_block_a_report_a_suspension_and_a_trace_of_staff_reading() {
    let app = TestApp::spawn().await;
    let alice = Driver::start().await;
    let bob = Driver::start().await;
    alice.sign_up(&app, "alice").await;
    bob.sign_up(&app, "bob").await;

    // Bob sends an unwanted request; Alice declines it.
    bob.goto(&app.url("/@alice")).await;
    bob.click("summary.chat-request-toggle").await;
    bob.fill("#chat-request-message", "hey gorgeous").await;
    bob.click("form.chat-request-form button[type=submit]").await;
    bob.wait_for_path("/chat").await;
    alice.goto(&app.url("/chat")).await;
    alice.wait_for_text("#chat-inbox", "hey gorgeous").await;
    alice.click("form[action$='/decline'] button[type=submit]").await;
    alice.wait_for_text(".flash", "declined").await;

    // Bob can't ask again, and is told when he may.
    bob.goto(&app.url("/@alice")).await;
    bob.click("summary.chat-request-toggle").await;
    bob.click("form.chat-request-form button[type=submit]").await;
    bob.wait_for_text(".flash", "you can ask again from").await;
    accessible(&bob, "a refused request").await;

    // Alice blocks and reports him from his profile.
    alice.goto(&app.url("/@bob")).await;
    accessible(&alice, "a profile with block and report").await;
    alice.click("form.block-form button[type=submit]").await;
    alice.wait_for_text(".chat-standing", "You blocked bob").await;
    alice.goto(&app.url("/settings/blocks")).await;
    alice.wait_for_text(".block-person", "bob").await;
    accessible(&alice, "blocked people").await;
    alice.goto(&app.url("/@bob")).await;
    alice.click(".profile-report").await;
    accessible(&alice, "the report form").await;
    alice.click("input[name=reason][value=harassment]").await;
    alice.fill("#report-note", "Won't take no for an answer").await;
    alice
        .click("form[action='/reports/new'] button[type=submit]")
        .await;
    alice
        .wait_for_text(".flash", "Staff will look at your report")
        .await;
    bob.goto(&app.url("/@alice")).await;
    bob.wait_for_text(".chat-standing", "You can’t message this person")
        .await;

    // Staff review the report and suspend Bob with a reason.
    app.staff("sam").await;
    let sam = Driver::start().await;
    log_in(&sam, &app, "sam").await;
    // Signed in before going on: leaving the page at once would cancel the form's submission.
    sam.text("[data-signed-in-as]").await;
    sam.goto(&app.url("/moderation")).await;
    sam.wait_for_text(".report-item", "Won't take no for an answer")
        .await;
    accessible(&sam, "the queue").await;
    sam.click(".report-item a.btn").await;
    sam.text(".page-title").await;
    accessible(&sam, "a report").await;
    sam.click("a[href='/@bob/moderate']").await;
    sam.text("#suspend-title").await;
    accessible(&sam, "an account's moderation").await;
    sam.fill("#suspend-reason", "Harassing people with chat requests")
        .await;
    sam.click("form[action='/@bob/suspend'] button[type=submit]")
        .await;
    sam.wait_for_text(".flash", "bob is suspended").await;

    // Bob's session is over, and logging in tells him why and until when.
    bob.goto(&app.url("/settings")).await;
    bob.wait_for_path("/login").await;
    log_in(&bob, &app, "bob").await;
    bob.wait_for_text(".form-errors", "Harassing people with chat requests")
        .await;
    bob.wait_for_text(".form-errors", "suspended until").await;
    accessible(&bob, "a suspended login").await;

    // The public log shows it, without naming the staff member.
    let visitor = Driver::start().await;
    visitor.goto(&app.url("/moderation/log")).await;
    visitor
        .wait_for_text(".modlog-entry", "Harassing people with chat requests")
        .await;
    assert!(!visitor.text(".modlog").await.contains("sam"));
    accessible(&visitor, "the moderation log").await;

    // Staff read their chat only after stating why; Alice sees that they did.
    let chat = sqlx::query_scalar::<_, uuid::Uuid>("select chat_id from chat_requests limit 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    sam.goto(&app.url(&format!("/chat/{chat}/history"))).await;
    sam.text("#access-reason").await;
    accessible(&sam, "the reason asked of staff").await;
    sam.fill("#access-reason", "Checking the requests in a harassment report")
        .await;
    sam.click("form[action$='/access'] button[type=submit]").await;
    sam.wait_for_text(".history", "Asked to chat").await;
    alice.goto(&app.url("/chat")).await;
    alice
        .wait_for_text(
            ".chat-staff-reads",
            "because: Checking the requests in a harassment report",
        )
        .await;
    accessible(&alice, "the inbox with staff access").await;
    alice.click(".chat-staff-reads a").await;
    alice
        .wait_for_text(".history", "Staff read this conversation")
        .await;

    for driver in [alice, bob, sam, visitor] {
        driver.quit().await;
    }
}
