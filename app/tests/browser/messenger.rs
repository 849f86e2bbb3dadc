//! The chat as a messenger, by keyboard alone: a long conversation, its one Tab stop, reacting,
//! replying, editing with Enter and Escape, searching, and the room when its server goes away;
//! axe checks every state.

use crate::accessibility::violations;
use crate::driver::Driver;
use crate::helpers::TestApp;

const TAB: &str = "\u{E004}";
const SHIFT_TAB: &str = "\u{E008}\u{E004}\u{E000}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const UP: &str = "\u{E013}";
const DOWN: &str = "\u{E015}";
const END: &str = "\u{E010}";

async fn assert_accessible(driver: &Driver, state: &str) {
    let found = violations(driver).await;
    assert!(found.is_empty(), "{state}: {found:#?}");
}

/// Ann asks Ben from his profile and Ben approves; both end up in the room. Returns its path.
async fn open_room(app: &TestApp, ann: &Driver, ben: &Driver) -> String {
    ann.goto(&app.url("/@ben")).await;
    ann.click("summary.chat-request-toggle").await;
    ann.click("form.chat-request-form button[type=submit]").await;
    ann.wait_for_path("/chat").await;
    ben.goto(&app.url("/chat")).await;
    ben.click("form[action$='/approve'] button[type=submit]").await;
    ben.text("#chat-room").await;
    let room = ben.path().await;
    ann.goto(&app.url(&room)).await;
    ann.text("#chat-room").await;
    room
}

/// How many elements match `css`, as a script's expression.
fn how_many(css: &str) -> String {
    format!("document.querySelectorAll({css:?}).length")
}

fn count(css: &str) -> String {
    format!("return {}", how_many(css))
}

#[tokio::test]
async fn a_conversation_by_keyboard_alone_with_reactions_replies_edits_and_search() {
    let first = TestApp::spawn().await;
    let second = first.another_instance().await;
    let ann = Driver::start().await;
    let ben = Driver::start().await;
    ann.sign_up(&first, "ann").await;
    ben.sign_up(&second, "ben").await;
    let room = open_room(&first, &ann, &ben).await;
    ben.goto(&second.url(&room)).await;

    // An empty room: the composer has focus at once.
    ben.text("#chat-room").await;
    assert_eq!(ben.focused().await, "chat-input");
    assert_accessible(&ben, "an empty room").await;

    // Ann writes 50 messages while Ben reads his inbox.
    ben.goto(&second.url("/chat")).await;
    let id = room.trim_start_matches("/chat/");
    let say = |from: u32, to: u32| {
        format!(
            "for (let i = {from}; i <= {to}; i++) window.BochaLive.send({{type: 'send', room_id: {id:?}, client_id: crypto.randomUUID(), body: 'message ' + i + (i === 7 ? ' about the pineapple tart' : '')}});"
        )
    };
    ann.script(&say(1, 50)).await;
    ann.wait_until(&format!(
        "return {} === 50",
        how_many("#chat-messages li.message:not(.message-pending)")
    ))
    .await;
    // Opening the room, he finds where he left off marked; the next arrives live, in order,
    // from the other instance; one day heading, one group with one time shown.
    ben.goto(&second.url(&room)).await;
    ben.text("#chat-room").await;
    assert!(ben.exists("#chat-unread").await, "where Ben left off is marked");
    ann.script(&say(51, 51)).await;
    ben.wait_until(&format!(
        "return {} === 51",
        how_many("#chat-messages li.message")
    ))
    .await;
    let order = ben
        .script("return Array.from(document.querySelectorAll('#chat-messages li.message')).map(n => +n.dataset.seq)")
        .await;
    assert_eq!(order, serde_json::json!((1..=51).collect::<Vec<_>>()));
    assert_eq!(ben.script(&count(".chat-day")).await, 1, "one day heading");
    assert_eq!(
        ben.script(&count("li.message-last")).await,
        1,
        "one group, one time shown"
    );
    assert_accessible(&ben, "a long conversation").await;

    // From the top of the page (its skip link) the composer is the site's and the room's
    // links away, and the 51 messages are one stop among them.
    ben.script("document.querySelector('.skip-link').focus()").await;
    let mut stops = Vec::new();
    while ben.focused().await != "chat-input" {
        ben.press(TAB).await;
        stops.push(ben.focused().await);
        assert!(
            stops.len() <= 18,
            "the composer is more than 18 Tab presses away: {stops:?}"
        );
    }
    let message_stops = stops.iter().filter(|s| *s == "message-actions-button").count();
    assert_eq!(message_stops, 1, "{stops:?}");

    // Shift+Tab (past the 📎 button) reaches the newest message; ↑ the one before; Enter
    // opens its actions, the first of which is 👍.
    ben.press(SHIFT_TAB).await;
    assert_eq!(ben.focused().await, "chat-attach");
    ben.press(SHIFT_TAB).await;
    assert_eq!(ben.focused().await, "message-actions-button");
    ben.press(UP).await;
    let focused_seq = ben
        .script("return +document.activeElement.closest('li.message').dataset.seq")
        .await;
    assert_eq!(focused_seq, 50);
    ben.press(ENTER).await;
    assert_eq!(ben.focused().await, "message-menu-item");
    assert_accessible(&ben, "a message's actions open").await;
    ben.press(ENTER).await;
    ann.wait_for_text("#m50 .message-reactions", "👍").await;
    ben.wait_for_text("#m50 .message-reactions", "👍").await;

    // Reply to message 7 by keyboard: its actions, down past the six reactions to Reply.
    ben.script("document.querySelector('#m7 .message-actions-button').focus()")
        .await;
    ben.press(ENTER).await;
    ben.press(&DOWN.repeat(6)).await;
    assert_eq!(
        ben.script("return document.activeElement.textContent").await,
        "Reply"
    );
    ben.press(ENTER).await;
    assert_eq!(ben.focused().await, "chat-input");
    ben.wait_for_text("#chat-replying", "message 7").await;
    ben.press(&format!("Yes, the tart{ENTER}")).await;
    ann.wait_for_text("#m52 .message-quote", "message 7 about the pineapple tart")
        .await;

    // Ann edits her message 50: Escape cancels, Enter saves, and focus comes back to the
    // composer each time.
    ann.script("document.querySelector('#m50 .message-actions-button').focus()")
        .await;
    ann.press(ENTER).await;
    ann.press(&format!("{END}{UP}")).await;
    assert_eq!(
        ann.script("return document.activeElement.textContent").await,
        "Edit"
    );
    ann.press(ENTER).await;
    assert_eq!(ann.focused().await, "message-edit-input");
    assert_accessible(&ann, "editing a message").await;
    ann.press(ESCAPE).await;
    assert_eq!(ann.focused().await, "chat-input");
    assert!(!ann.exists(".message-editor").await);
    ann.script("document.querySelector('#m50 .message-actions-button').focus()")
        .await;
    ann.press(ENTER).await;
    ann.press(&format!("{END}{UP}{ENTER}")).await;
    ann.press(&format!(", edited{ENTER}")).await;
    ben.wait_for_text("#m50 .message-body", "message 50, edited")
        .await;
    assert_eq!(ann.focused().await, "chat-input");

    // Search: the result opens the message in context.
    ben.goto(&second.url("/chat")).await;
    ben.click("#chat-inbox-q").await;
    ben.press(&format!("pineapple{ENTER}")).await;
    ben.text(".chat-search-results").await;
    assert_accessible(&ben, "search results").await;
    assert_eq!(ben.script(&count(".chat-search-result")).await, 1);
    ben.click(".chat-search-link").await;
    ben.wait_until("return !!document.querySelector('#m7.message-focus')")
        .await;
    assert_accessible(&ben, "a message in context").await;

    // The instance Ben is on goes away: the room says so, stays accessible, and comes back
    // on the other instance once Ben reloads there.
    ben.goto(&second.url(&room)).await;
    ben.text("#chat-room").await;
    drop(second);
    ben.wait_for_text("#chat-status", "Reconnecting").await;
    assert_accessible(&ben, "offline, reconnecting").await;

    ann.quit().await;
    ben.quit().await;
}

#[tokio::test]
async fn a_photo_sent_from_the_composer_shows_in_the_conversation_for_both() {
    let app = TestApp::spawn().await;
    let ann = Driver::start().await;
    let ben = Driver::start().await;
    ann.sign_up(&app, "ann").await;
    ben.sign_up(&app, "ben").await;
    let room = open_room(&app, &ann, &ben).await;
    ben.goto(&app.url(&room)).await;
    ben.text("#chat-room").await;

    let folder = std::env::temp_dir().join(format!("bocha-photo-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&folder).unwrap();
    let photo = folder.join("beach.png");
    image::RgbImage::from_fn(320, 200, |x, y| image::Rgb([x as u8, y as u8, 200]))
        .save(&photo)
        .unwrap();

    // The 📎 button opens the browser's file picker; choosing a file uploads it at once.
    assert!(ann.exists("#chat-attach").await);
    ann.script("document.getElementById('chat-file-input').hidden = false")
        .await;
    ann.client
        .find(fantoccini::Locator::Css("#chat-file-input"))
        .await
        .unwrap()
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    ann.wait_for_text("#chat-file", "ready to send").await;
    assert_accessible(&ann, "a file ready to send").await;
    ann.fill("#chat-input", "Look at this").await;
    ann.press(ENTER).await;

    // Both see it in place, loaded from its private link.
    for driver in [&ann, &ben] {
        driver
            .wait_until("const i = document.querySelector('#m1 .message-image img'); return !!i && i.complete && i.naturalWidth === 320")
            .await;
    }
    assert_eq!(
        ben.text("#m1 .message-body").await,
        "Look at this",
        "its words go with it"
    );
    assert_accessible(&ben, "a photo in the conversation").await;
    let _ = std::fs::remove_dir_all(&folder);
    ann.quit().await;
    ben.quit().await;
}
