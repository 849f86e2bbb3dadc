use crate::accessibility;
use crate::driver::Driver;
use crate::helpers::TestApp;

#[tokio::test]
async fn one_person_publishes_with_markdown_another_comments_then_the_author_edits_and_deletes() {
    let app = TestApp::spawn().await;
    let author = Driver::start().await;
    let reader = Driver::start().await;
    author.sign_up(&app, "writer").await;
    reader.sign_up(&app, "reader").await;

    author.goto(&app.url("/")).await;
    author.click("nav a[href='/posts/new']").await;
    author.fill("#title", "Brewing Oolong").await;
    author.fill("#description", "Notes from a tasting").await;
    author
        .fill(
            "#body",
            "## Steps\n\n1. Rinse the leaves\n2. Steep **briefly**\n\n> Patience pays.",
        )
        .await;
    author.fill("#tags", "tea, oolong").await;
    author.click("button[name=action][value=preview]").await;
    assert!(
        author.text(".prose h2").await.contains("Steps"),
        "the preview renders markdown"
    );
    author.click("button[name=action][value=publish]").await;
    assert_eq!(author.text("h1.post-title").await, "Brewing Oolong");
    assert_eq!(author.text(".post-body strong").await, "briefly");
    let post_path = author.path().await;

    reader.goto(&app.url(&post_path)).await;
    reader
        .fill("form.comment-form textarea#body", "Lovely, I will try it.")
        .await;
    reader.click("form.comment-form button[type=submit]").await;
    reader
        .wait_for_text("article.comment", "Lovely, I will try it.")
        .await;

    author.goto(&app.url(&post_path)).await;
    assert!(author.text("article.comment").await.contains("Lovely"));
    author.click("a.post-edit").await;
    author
        .fill(
            "#body",
            "## Steps\n\n1. Rinse the leaves\n2. Steep for 30 seconds",
        )
        .await;
    author.click("button[name=action][value=publish]").await;
    author.wait_for_text(".post-body", "30 seconds").await;

    // The post's history shows the fingerprint of its events, and passes axe.
    author.goto(&app.url(&format!("{post_path}/history"))).await;
    assert_eq!(author.text(".fingerprint-text").await.len(), 79);
    let found = accessibility::violations(&author).await;
    assert!(found.is_empty(), "history: {found:#?}");
    author.goto(&app.url(&post_path)).await;

    author.click("a.post-delete").await;
    author.click("form[action$='/delete'] button[type=submit]").await;
    author.wait_for_path("/").await;
    author.text("main").await;
    assert!(
        !author.exists(&format!("a[href='{post_path}']")).await,
        "the post left the home page"
    );
    reader.goto(&app.url(&post_path)).await;
    assert!(
        !reader.exists("h1.post-title").await,
        "the post is gone for readers too"
    );

    author.quit().await;
    reader.quit().await;
}

#[tokio::test]
async fn code_is_coloured_in_both_themes_wide_code_and_tables_scroll_by_keyboard_and_refused_links_are_text()
{
    let app = TestApp::spawn().await;
    let author = Driver::start().await;
    author.client.set_window_size(360, 800).await.unwrap();
    author.sign_up(&app, "coder").await;
    let wide = "x".repeat(200);
    let body = format!(
        "```rust\n// A comment\nfn main() {{ let line = \"{wide}\"; }}\n```\n\n| a | b |\n|---|---|\n| {wide} | {wide} |\n\n[a trap](javascript:alert(1)) and [a guide](https://example.com)"
    );
    author.goto(&app.url("/posts/new")).await;
    author.fill("#title", "Wide things").await;
    author.fill("#description", "d").await;
    author.fill("#body", &body).await;
    author.click("button[name=action][value=publish]").await;
    author.text("h1.post-title").await;

    // Coloured code, readable in both themes.
    assert!(
        author
            .exists(".post-body pre .hl-keyword, .post-body pre .hl-storage")
            .await
    );
    assert!(author.exists(".post-body pre .hl-comment").await);
    for theme in ["light", "dark"] {
        author
            .script(&format!("document.documentElement.dataset.theme = '{theme}'"))
            .await;
        let found = accessibility::violations(&author).await;
        assert!(
            found.is_empty(),
            "a post with wide code at 360 px, {theme}: {found:#?}"
        );
    }
    // Focus the code block the way Tab would reach it, then scroll it with an arrow key.
    author
        .script("document.querySelector('.post-body pre').focus()")
        .await;
    author.press("\u{E014}\u{E014}\u{E014}").await;
    author
        .wait_until("return document.querySelector('.post-body pre').scrollLeft > 0")
        .await;
    let links = author
        .script("return [...document.querySelectorAll('.post-body a')].map(a => a.textContent + ' ' + a.getAttribute('href'))")
        .await;
    assert_eq!(links, serde_json::json!(["a guide https://example.com"]));
    author.quit().await;
}

#[tokio::test]
async fn the_editor_asks_before_leaving_words_that_are_not_stored() {
    let app = TestApp::spawn().await;
    let author = Driver::start().await;
    author.sign_up(&app, "careful").await;
    // What a browser asks the page when the person leaves it: true means "ask them first".
    let asks = "const e = new Event('beforeunload', { cancelable: true }); \
                window.dispatchEvent(e); return e.defaultPrevented";

    author.goto(&app.url("/posts/new")).await;
    assert_eq!(author.script(asks).await, false, "nothing typed yet");
    author.fill("#title", "Half a thought").await;
    assert_eq!(author.script(asks).await, true, "typed");
    author.fill("#description", "d").await;
    author.fill("#body", "b").await;
    author.click("button[name=action][value=preview]").await;
    author.text(".preview-title").await;
    assert_eq!(author.script(asks).await, true, "previewed, still not stored");
    // Publishing leaves the page without asking (an unexpected dialog would stop the driver).
    author.click("button[name=action][value=publish]").await;
    assert_eq!(author.text("h1.post-title").await, "Half a thought");
    author.click("a.post-edit").await;
    author.text(".post-form").await;
    assert_eq!(author.script(asks).await, false, "the stored post, unchanged");
    author.quit().await;
}

#[tokio::test]
async fn an_author_writes_leaves_comes_back_shares_a_preview_and_schedules_the_post() {
    let app = TestApp::spawn().await;
    let author = Driver::start().await;
    let friend = Driver::start().await;
    author.sign_up(&app, "drafter").await;
    let asks = "const e = new Event('beforeunload', { cancelable: true }); \
                window.dispatchEvent(e); return e.defaultPrevented";

    author.goto(&app.url("/posts/new")).await;
    let found = accessibility::violations(&author).await;
    assert!(found.is_empty(), "the empty editor: {found:#?}");
    author.fill("#title", "Cold brew").await;
    author.fill("#description", "Overnight, in the fridge").await;
    author.fill("#body", "Twelve hours, *no less*.").await;
    // Kept by itself a moment after typing stops; the address becomes the draft's.
    author.wait_for_text(".autosave-status", "Draft saved").await;
    // A picture goes into the text where the cursor is, its description ready to be typed.
    let picture = std::env::temp_dir().join(format!("bocha-{}.png", uuid::Uuid::new_v4().simple()));
    image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8, y as u8, 90]))
        .save(&picture)
        .unwrap();
    author
        .script(
            "const b = document.querySelector('#body'); b.setSelectionRange(b.value.length, b.value.length)",
        )
        .await;
    author.choose_file("#body-image", &picture).await;
    author
        .wait_for_text("#body-image-status", "Type its description")
        .await;
    let _ = std::fs::remove_file(&picture);
    author.press("A jar of cold brew").await;
    let body = author
        .script("return document.querySelector('#body').value")
        .await;
    assert!(
        body.as_str()
            .unwrap()
            .contains("![A jar of cold brew](/media/images/"),
        "{body}"
    );
    for _ in 0..100 {
        if app
            .count("select count(*) from drafts where body like '%A jar of cold brew%'")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(author.script(asks).await, false, "the description is stored too");
    let path = author.path().await;
    assert!(path.starts_with("/drafts/") && path.ends_with("/edit"), "{path}");
    assert_eq!(author.script(asks).await, false, "all of it is stored");

    // Leave, and come back through the list of drafts.
    author.goto(&app.url("/")).await;
    author.click("nav a[href='/drafts']").await;
    let found = accessibility::violations(&author).await;
    assert!(found.is_empty(), "the list of drafts: {found:#?}");
    author.click(".draft-title a").await;
    let body = author
        .script("return document.querySelector('#body').value")
        .await;
    assert!(
        body.as_str().unwrap().starts_with("Twelve hours, *no less*.")
            && body.as_str().unwrap().contains("![A jar of cold brew]("),
        "{body}"
    );
    let found = accessibility::violations(&author).await;
    assert!(found.is_empty(), "a stored draft: {found:#?}");

    // A preview link, opened by someone without an account.
    author.click(".draft-tools button[type=submit]").await;
    // The draft's page comes back with the link once the form's answer has loaded.
    author
        .wait_until("return document.querySelector('#preview-link') !== null")
        .await;
    let link = author
        .script("return document.querySelector('#preview-link').value")
        .await;
    let link = link.as_str().unwrap().to_owned();
    let found = accessibility::violations(&author).await;
    assert!(found.is_empty(), "a draft with its new preview link: {found:#?}");
    friend.goto(&link).await;
    assert_eq!(friend.text("h1.post-title").await, "Cold brew");
    assert!(friend.exists(".prose em").await);
    assert!(
        friend
            .exists(".prose img[alt='A jar of cold brew'][srcset]")
            .await
    );
    let found = accessibility::violations(&friend).await;
    assert!(found.is_empty(), "the preview: {found:#?}");

    // A reader subscribes by email from the author's profile, and confirms by the mailed link.
    friend.goto(&app.url("/@drafter")).await;
    friend.fill("#subscribe-email", "friend@example.com").await;
    friend.click(".subscribe-form button[type=submit]").await;
    friend.wait_for_text(".flash", "Check your inbox").await;
    let confirm = app
        .mail_to("friend@example.com", "Confirm your subscription")
        .await;
    friend
        .goto(&app.url(&crate::helpers::link_in(&confirm, "/newsletter/confirm/")))
        .await;
    let found = accessibility::violations(&friend).await;
    assert!(found.is_empty(), "confirming a subscription: {found:#?}");
    friend.click("form button[type=submit]").await;
    friend.wait_for_text(".flash", "subscription is confirmed").await;

    // Scheduled a few seconds ahead, in the browser's own time zone.
    author
        .script(
            // A person picks a minute; the test, a few seconds ahead (so the field takes seconds).
            "const at = new Date(Date.now() + 8000); const p = n => String(n).padStart(2, '0'); \
             const field = document.querySelector('#publish_at'); field.step = '1'; \
             field.value = `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}T${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())}`",
        )
        .await;
    author.click("button[name=action][value=schedule]").await;
    author
        .wait_for_text(".schedule-note", "Scheduled to appear")
        .await;
    let found = accessibility::violations(&author).await;
    assert!(found.is_empty(), "a scheduled draft: {found:#?}");
    let mut appeared = false;
    for _ in 0..200 {
        if reqwest::get(app.url("/posts/cold-brew")).await.unwrap().status() == reqwest::StatusCode::OK {
            appeared = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(appeared, "the scheduled post appeared");
    friend.goto(&app.url("/")).await;
    friend.wait_for_text("main", "Cold brew").await;
    let newsletter = app.mail_to("friend@example.com", "Cold brew").await;
    assert!(newsletter.contains("/posts/cold-brew"));
    // The link was for the draft; the post now has its own address.
    friend.goto(&link).await;
    assert_eq!(friend.text("h1.error-title").await, "We couldn’t find that page");
    author.quit().await;
    friend.quit().await;
}

#[tokio::test]
async fn a_reader_follows_the_edits_of_a_post_and_its_author_restores_the_first_text() {
    let app = TestApp::spawn().await;
    let author = Driver::start().await;
    let reader = Driver::start().await;
    author.sign_up(&app, "editor").await;
    author.goto(&app.url("/posts/new")).await;
    author.fill("#title", "Green tea").await;
    author.fill("#description", "Notes").await;
    author.fill("#body", "Steep at 80 degrees.").await;
    author.click("button[name=action][value=publish]").await;
    assert_eq!(author.text("h1.post-title").await, "Green tea");
    let post_path = author.path().await;
    for body in ["Steep at 100 degrees.", "Steep at 100 degrees, briefly."] {
        author.click("a.post-edit").await;
        author.fill("#body", body).await;
        author.click("button[name=action][value=publish]").await;
        author.wait_for_text(".post-body", body).await;
    }

    // A reader sees that it changed, and what changed.
    reader.goto(&app.url(&post_path)).await;
    reader.click(".byline-edited a").await;
    reader.wait_for_path(&format!("{post_path}/revisions")).await;
    let found = accessibility::violations(&reader).await;
    assert!(found.is_empty(), "the list of revisions: {found:#?}");
    reader.click("#revision-2 a[href$='/compare?from=1&to=2']").await;
    assert!(reader.text(".diff-add").await.contains("100 degrees"));
    assert!(reader.text(".diff-remove").await.contains("80 degrees"));
    let found = accessibility::violations(&reader).await;
    assert!(found.is_empty(), "two revisions compared: {found:#?}");
    // Any two, chosen on the list.
    reader.goto(&app.url(&format!("{post_path}/revisions"))).await;
    assert_eq!(
        reader
            .script("return document.querySelector('#compare-to').value")
            .await,
        "3"
    );
    reader.click(".revisions-compare button[type=submit]").await;
    assert!(reader.text(".diff-add").await.contains("briefly"));
    assert!(reader.text("h1").await.contains("From revision 1 to revision 3"));
    reader.click("a[href$='/revisions/1']").await;
    assert!(reader.text(".post-body").await.contains("80 degrees"));
    assert!(!reader.exists("form[action$='/restore']").await);

    // Its author puts the first text back, from the keyboard.
    author.goto(&app.url(&format!("{post_path}/revisions/1"))).await;
    let found = accessibility::violations(&author).await;
    assert!(found.is_empty(), "a revision, to its author: {found:#?}");
    author
        .script("document.querySelector(\"form[action$='/restore'] button\").focus()")
        .await;
    author.press("\u{E007}").await;
    author.wait_for_path(&post_path).await;
    assert!(author.text(".post-body").await.contains("80 degrees"));
    assert_eq!(author.text(".byline-edited a").await, "edited 3 times");

    author.quit().await;
    reader.quit().await;
}
