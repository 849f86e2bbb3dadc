//! Honest deletion in a chat's history, and staff reading a private chat only with a reason that
//! both people then see: through the pages.

use reqwest::StatusCode;

use crate::chat::{Socket, open_room};
use crate::helpers::*;

#[tokio::test]
async fn the_people_never_see_deleted_or_replaced_words_and_staff_read_only_with_a_reason() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    let room = open_room(&ann, &ben, "ben").await;
    let mut socket = Socket::open(&app, &ann).await;
    socket.say(&room, "a secret said once").await;
    socket.say(&room, "a first draft").await;
    let token = ann.csrf_token().await;
    let edit = ann
        .client
        .put(ann.url(&format!("/api/chat/rooms/{room}/messages/2")))
        .header("x-csrf-token", &token)
        .json(&serde_json::json!({ "message": { "body": "the final words" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status(), StatusCode::OK);
    let delete = ann
        .client
        .delete(ann.url(&format!("/api/chat/rooms/{room}/messages/1")))
        .header("x-csrf-token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);

    // Ben's history page and export show what happened, not the removed words.
    let history = format!("/chat/{room}/history");
    let (status, page) = ben.page(&history).await;
    assert_eq!(status, StatusCode::OK);
    let shown = text(&page, ".history");
    assert!(shown.contains("Deleted message #1"), "{shown}");
    assert!(shown.contains("the final words"), "{shown}");
    assert!(shown.contains("text not shown: deleted"), "{shown}");
    assert!(shown.contains("text not shown: replaced by an edit"), "{shown}");
    for gone in ["a secret said once", "a first draft"] {
        assert!(!page.html().contains(gone), "{gone} on the page");
    }
    let export = ben.get(&format!("{history}.ndjson")).await.text().await.unwrap();
    assert!(export.contains("the final words"));
    assert!(!export.contains("a secret said once") && !export.contains("a first draft"));

    // Staff are asked why before anything is shown; a blank reason is refused on the form.
    let sam = app.staff("sam").await;
    let (status, page) = sam.page(&history).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        attr(&page, "form.form", "action").as_deref(),
        Some(&*format!("/chat/{room}/access"))
    );
    assert!(!page.html().contains("the final words"));
    let download = sam.get(&format!("{history}.ndjson")).await;
    assert_eq!(
        download.status(),
        StatusCode::SEE_OTHER,
        "the export asks for the reason too"
    );
    let blank = sam
        .submit(&format!("/chat/{room}/access"), &[("reason", " ")])
        .await;
    assert_eq!(blank.status(), StatusCode::FORBIDDEN);
    let form = blank.text().await.unwrap();
    assert!(form.contains("state a reason"), "{form}");
    assert_eq!(
        ann.submit(&format!("/chat/{room}/access"), &[("reason", "curious")])
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "only staff state reasons"
    );

    // With a reason, staff see every word as written.
    let granted = sam
        .submit(
            &format!("/chat/{room}/access"),
            &[("reason", "Reviewing a harassment report")],
        )
        .await;
    assert_eq!(location(&granted), history);
    let (status, page) = sam.page(&history).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.html().contains("a secret said once"));
    assert!(page.html().contains("a first draft"));

    // Both people are told that staff read it, when and why, not who.
    for person in [&ann, &ben] {
        let (_, room_page) = person.page(&format!("/chat/{room}")).await;
        let notice = text(&room_page, ".chat-staff-reads");
        assert!(notice.contains("Staff read this conversation on"), "{notice}");
        assert!(
            notice.contains("because: Reviewing a harassment report"),
            "{notice}"
        );
        let (_, page) = person.page(&history).await;
        assert!(text(&page, ".history").contains("Staff read this conversation"));
        assert!(!page.html().contains("@sam") && !page.html().contains(">sam<"));
    }
}
