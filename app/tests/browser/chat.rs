use std::time::Duration;

use fantoccini::Locator;

use crate::driver::Driver;
use crate::helpers::TestApp;

#[tokio::test]
async fn two_people_on_two_instances_request_approve_and_chat_live() {
    let first = TestApp::spawn().await;
    let second = first.another_instance().await;
    let ann = Driver::start().await;
    let ben = Driver::start().await;
    ann.sign_up(&first, "ann").await;
    ben.sign_up(&second, "ben").await;

    // Ben reads the home page while Ann asks from his profile.
    ben.goto(&second.url("/")).await;
    ben.text("main").await;
    ann.goto(&first.url("/@ben")).await;
    ann.click("summary.chat-request-toggle").await;
    ann.fill("#chat-request-message", "Hi Ben, saw your posts!").await;
    ann.click("form.chat-request-form button[type=submit]").await;
    ann.wait_for_path("/chat").await;

    // The request shows live in Ben's nav badge and page title, on the other instance.
    ben.wait_for_text("#unread-badge", "1").await;
    let title = ben.script("return document.title").await;
    assert!(title.as_str().unwrap().starts_with("(1) "), "{title}");

    // Ben approves from his inbox and lands in the room.
    ben.goto(&second.url("/chat")).await;
    ben.wait_for_text("#chat-inbox", "Hi Ben, saw your posts!").await;
    ben.click("form[action$='/approve'] button[type=submit]").await;
    ben.text("#chat-room").await;
    let room_path = ben.path().await;
    assert!(room_path.starts_with("/chat/"));

    ann.goto(&first.url("/chat")).await;
    ann.click("a.room-link").await;
    ann.wait_for_path(&room_path).await;
    ann.text("#chat-room").await;

    // Ann sends with Enter; Ben sees it without reloading, on the other instance.
    ann.fill("#chat-input", "Hello from instance one").await;
    ann.client
        .find(Locator::Css("#chat-input"))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
    wait_for_message(&ben, "Hello from instance one").await;

    ben.fill("#chat-input", "Hello back from instance two").await;
    ben.click("#chat-composer button[type=submit]").await;
    wait_for_message(&ann, "Hello back from instance two").await;

    // Ann's own message was confirmed (it has its seq) and Ben has read it.
    let confirmed = ann
        .script("return document.querySelectorAll('#chat-messages li[data-seq]').length")
        .await;
    assert_eq!(confirmed.as_i64(), Some(2));
    ann.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#chat-seen"))
        .await
        .unwrap();

    ann.quit().await;
    ben.quit().await;
}

async fn wait_for_message(driver: &Driver, body: &str) {
    let script = format!(
        "return Array.from(document.querySelectorAll('#chat-messages .message-body')).some(n => n.textContent === {})",
        serde_json::Value::String(body.to_owned())
    );
    for _ in 0..100 {
        if driver.script(&script).await.as_bool() == Some(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{body:?} never appeared");
}
