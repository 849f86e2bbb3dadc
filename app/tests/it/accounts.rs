//! Sign-up, log-in, log-out, profile and settings, as a browser meets them.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn signing_up_creates_the_account_and_signs_in() {
    let app = TestApp::spawn().await;
    let browser = app.browser();

    let (status, html) = browser.page("/signup").await;
    assert_eq!(status, StatusCode::OK);
    for field in ["username", "email", "password"] {
        assert!(
            !select(&html, &format!("label[for={field}]")).is_empty(),
            "{field} has a label"
        );
    }

    let response = browser.sign_up("Alice_1", "alice@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/@Alice_1");

    let (status, html) = browser.page("/@alice_1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(text(&html, "h1").contains("Alice_1"));
    assert!(
        !select(&html, "time[datetime]").is_empty(),
        "the join date is shown"
    );
    assert!(
        text(&html, "body").contains("Welcome to Bocha"),
        "a flash message greets the new user"
    );
    assert_eq!(browser.signed_in_as().await.as_deref(), Some("Alice_1"));
    let (_, html) = browser.page("/").await;
    assert!(
        !text(&html, "body").contains("Welcome to Bocha"),
        "a flash message shows once"
    );
    assert_eq!(app.count("select count(*) from users").await, 1);
}

#[tokio::test]
async fn invalid_sign_up_shows_each_error_beside_its_field_and_keeps_the_input() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let response = browser.sign_up("a!", "not-an-email", "short").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(text(&html, "#username-error").contains("letters, digits"));
    assert!(text(&html, "#email-error").contains("not a valid email"));
    assert!(text(&html, "#password-error").contains("at least 8"));
    assert_eq!(attr(&html, "input#username", "value").as_deref(), Some("a!"));
    assert_eq!(
        attr(&html, "input#email", "value").as_deref(),
        Some("not-an-email")
    );
    assert_eq!(
        attr(&html, "input#password", "value"),
        None,
        "passwords are never echoed"
    );
    assert_eq!(
        attr(&html, "input#username", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(app.count("select count(*) from users").await, 0);
}

#[tokio::test]
async fn common_and_overlong_passwords_are_refused() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let response = browser.sign_up("bob", "bob@example.com", "password123").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(text(&html, "#password-error").contains("too common"));

    let response = browser.sign_up("bob", "bob@example.com", &"x".repeat(129)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn usernames_and_emails_are_unique_regardless_of_case() {
    let app = TestApp::spawn().await;
    app.signed_in("carol").await;
    let response = app
        .browser()
        .sign_up("CAROL", "Carol@Example.com", PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(text(&html, "#username-error").contains("already taken"));
    assert!(text(&html, "#email-error").contains("already exists"));
    assert_eq!(app.count("select count(*) from users").await, 1);
}

#[tokio::test]
async fn twenty_simultaneous_sign_ups_with_one_username_make_one_account() {
    let app = TestApp::spawn().await;
    let attempts = (0..20).map(|i| {
        let browser = app.browser();
        async move {
            browser
                .sign_up("racer", &format!("racer{i}@example.com"), PASSWORD)
                .await
        }
    });
    let responses = futures_util::future::join_all(attempts).await;
    let mut created = 0;
    let mut refused = 0;
    for response in responses {
        match response.status() {
            StatusCode::SEE_OTHER => created += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {
                let html = scraper::Html::parse_document(&response.text().await.unwrap());
                assert!(text(&html, "#username-error").contains("already taken"));
                refused += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((created, refused), (1, 19));
    assert_eq!(app.count("select count(*) from users").await, 1);
    assert_eq!(app.count("select count(*) from events").await, 1);
    assert_eq!(app.count("select count(*) from unique_claims").await, 2);
}

#[tokio::test]
async fn logging_in_works_with_username_or_email() {
    let app = TestApp::spawn().await;
    app.signed_in("dora").await;
    for login in ["dora", "DORA", "dora@example.com", "Dora@Example.com"] {
        let browser = app.browser();
        let response = browser.log_in(login, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "login as {login}");
        assert_eq!(browser.signed_in_as().await.as_deref(), Some("dora"));
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.signed_in("erin").await;
    let wrong = app.browser().log_in("erin", "not the password at all").await;
    let unknown = app.browser().log_in("nobody", "not the password at all").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let wrong = scraper::Html::parse_document(&wrong.text().await.unwrap());
    let unknown = scraper::Html::parse_document(&unknown.text().await.unwrap());
    assert_eq!(text(&wrong, ".form-errors"), text(&unknown, ".form-errors"));
    assert!(!text(&wrong, ".form-errors").is_empty());
    assert_eq!(
        attr(&wrong, "input#login", "value").as_deref(),
        Some("erin"),
        "the login is kept"
    );
}

#[tokio::test]
async fn repeated_failures_throttle_the_account() {
    let app = TestApp::spawn().await;
    app.signed_in("fay").await;
    for _ in 0..5 {
        assert_eq!(
            app.browser().log_in("fay", "wrong password!").await.status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    // Even the right password waits now, from any browser, by username or by email.
    let response = app.browser().log_in("fay@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(text(&html, ".form-errors").contains("Try again in"));
}

#[tokio::test]
async fn repeated_failures_throttle_the_address_across_accounts() {
    let app = TestApp::spawn().await;
    app.signed_in("gus").await;
    for i in 0..20 {
        app.browser()
            .log_in(&format!("nobody{i}"), "wrong password!")
            .await;
    }
    let response = app.browser().log_in("gus", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn logging_out_takes_a_post_with_the_form_token() {
    let app = TestApp::spawn().await;
    let browser = app.signed_in("hana").await;

    let response = browser.get("/logout").await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(browser.signed_in_as().await.as_deref(), Some("hana"));

    let response = browser
        .client
        .post(browser.url("/logout"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(browser.signed_in_as().await.as_deref(), Some("hana"));

    let response = browser.submit("/logout", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(browser.signed_in_as().await, None);
}

#[tokio::test]
async fn the_profile_shows_name_bio_and_join_date_and_can_be_edited() {
    let app = TestApp::spawn().await;
    let browser = app.signed_in("ivy").await;

    let (status, html) = browser.page("/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        attr(&html, "input#email", "value").as_deref(),
        Some("ivy@example.com")
    );

    let response = browser
        .submit_multipart(
            "/settings",
            &[
                ("display_name", "Ivy Ng"),
                ("bio", "Tea & <b>rivers</b>."),
                ("email", "ivy@new.example"),
                ("current_password", PASSWORD),
            ],
            ("avatar", None),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // The new address takes effect through the link mailed to it.
    let mail = app
        .mail_to("ivy@new.example", "Confirm your new email address")
        .await;
    let confirmed = browser
        .get(&crate::helpers::link_in(&mail, "/account/email/confirm/"))
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);

    let (_, html) = app.browser().page("/@ivy").await;
    assert!(text(&html, "h1").contains("Ivy Ng"));
    assert!(
        text(&html, "body").contains("Tea & <b>rivers</b>."),
        "the bio is shown as text, not HTML"
    );
    assert!(select(&html, ".profile b").is_empty());
    assert!(
        select(&html, "a[href='/settings']").is_empty(),
        "only the owner sees the edit link"
    );

    let (_, own) = browser.page("/@ivy").await;
    assert!(!select(&own, "a[href='/settings']").is_empty());
    assert_eq!(
        browser.log_in("ivy@new.example", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn an_invalid_profile_edit_keeps_the_input_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let browser = app.signed_in("jon").await;
    app.signed_in("kim").await;
    let long_bio = "b".repeat(1001);
    let response = browser
        .submit_multipart(
            "/settings",
            &[
                ("display_name", "Jon"),
                ("bio", &long_bio),
                ("email", "kim@example.com"),
            ],
            ("avatar", None),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(text(&html, "#bio-error").contains("1000"));
    assert_eq!(attr(&html, "input#display_name", "value").as_deref(), Some("Jon"));

    // The email alone is valid but taken.
    let response = browser
        .submit_multipart(
            "/settings",
            &[
                ("display_name", "Jon"),
                ("bio", ""),
                ("email", "KIM@example.com"),
                ("current_password", PASSWORD),
            ],
            ("avatar", None),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(text(&html, "#email-error").contains("already exists"));
    let (_, profile) = browser.page("/@jon").await;
    assert!(!text(&profile, "h1").contains("Jon "), "nothing was saved");
    assert_eq!(
        app.count("select count(*) from events where event_type = 'ProfileUpdated'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_unknown_profile_is_a_friendly_404() {
    let app = TestApp::spawn().await;
    let (status, html) = app.browser().page("/@nobody-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        !select(&html, "nav").is_empty(),
        "the error page has the site's frame"
    );
    assert!(!text(&html, "main").trim().is_empty());
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let laptop = app.signed_in("lea").await;
    let phone = app.browser();
    assert_eq!(
        phone.log_in("lea", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(phone.signed_in_as().await.as_deref(), Some("lea"));

    let new_password = "another long sentence here";
    let wrong = laptop
        .submit(
            "/settings/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", new_password),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let response = laptop
        .submit(
            "/settings/password",
            &[("current_password", PASSWORD), ("new_password", new_password)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        laptop.signed_in_as().await.as_deref(),
        Some("lea"),
        "this session stays"
    );
    assert_eq!(phone.signed_in_as().await, None, "the other session has ended");

    assert_eq!(
        app.browser().log_in("lea", PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.browser().log_in("lea", new_password).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn pages_that_need_a_user_send_visitors_to_log_in_and_back() {
    let app = TestApp::spawn().await;
    app.signed_in("max").await;
    let browser = app.browser();
    let response = browser.get("/settings").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?next=%2Fsettings");

    let token = browser.csrf_token().await;
    let response = browser
        .client
        .post(browser.url("/login"))
        .form(&[
            ("login", "max"),
            ("password", PASSWORD),
            ("next", "/settings"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/settings");

    let response = browser
        .client
        .post(browser.url("/login"))
        .form(&[
            ("login", "max"),
            ("password", PASSWORD),
            ("next", "//evil.example/x"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/", "no redirects off the site");
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    let image = image::RgbImage::from_fn(width, height, |x, _| image::Rgb([(x % 256) as u8, 90, 160]));
    image
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

#[tokio::test]
async fn a_profile_picture_is_uploaded_cropped_shown_and_removable() {
    let app = TestApp::spawn().await;
    let browser = app.signed_in("pic").await;
    let fields = [("display_name", "Pic"), ("bio", ""), ("email", "pic@example.com")];

    let response = browser
        .submit_multipart("/settings", &fields, ("avatar", Some(("me.png", png(900, 600)))))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, profile) = app.browser().page("/@pic").await;
    let src = select(&profile, "img")
        .iter()
        .filter_map(|img| img.value().attr("src"))
        .find(|src| src.starts_with("/media/"))
        .expect("the picture is shown on the profile")
        .to_owned();
    let stored = image::load_from_memory(&app.browser().get(&src).await.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (stored.width(), stored.height()),
        (256, 256),
        "cropped to a square"
    );

    let response = browser
        .submit_multipart(
            "/settings",
            &fields,
            ("avatar", Some(("notes.png", b"plain text".to_vec()))),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = scraper::Html::parse_document(&response.text().await.unwrap());
    assert!(text(&page, "#avatar-error").contains("not a PNG, JPEG, WebP or GIF"));
    assert_eq!(attr(&page, "input#display_name", "value").as_deref(), Some("Pic"));

    let mut removing = fields.to_vec();
    removing.push(("remove_avatar", "1"));
    assert_eq!(
        browser
            .submit_multipart("/settings", &removing, ("avatar", None))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, profile) = app.browser().page("/@pic").await;
    assert!(
        !select(&profile, "img")
            .iter()
            .any(|img| img.value().attr("src").is_some_and(|s| s.starts_with("/media/")))
    );
}

#[tokio::test]
async fn after_logging_in_only_paths_on_this_site_are_followed() {
    let app = TestApp::spawn().await;
    let browser = app.signed_in("ivy").await;
    for (next, expected) in [
        ("/%09/evil.example", "/"),
        ("/%0d%0aSet-Cookie:%20x=1", "/"),
        ("/%0b/evil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/posts/tea?x=1", "/posts/tea?x=1"),
    ] {
        let response = browser.get(&format!("/login?next={next}")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&response), expected, "{next}");
    }
    // The form's hidden field is checked the same way.
    let stranger = app.browser();
    let response = stranger
        .submit(
            "/login",
            &[
                ("login", "ivy"),
                ("password", PASSWORD),
                ("next", "/\t/evil.example"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
}
