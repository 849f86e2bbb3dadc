//! Sessions: stored in Postgres, rotated at login, shared by instances.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn the_session_id_changes_at_login_and_the_old_one_stops_working() {
    let app = TestApp::spawn().await;
    let browser = app.signed_in("nia").await;
    let before = browser
        .cookie("bocha_session")
        .expect("a session cookie after sign-up");

    assert_eq!(
        browser.log_in("nia", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let after = browser
        .cookie("bocha_session")
        .expect("a session cookie after login");
    assert_ne!(before, after, "login must issue a new session id");

    // A browser holding the old id (say, one planted before login) is not signed in.
    let stale = app.browser();
    let response = stale
        .client
        .get(stale.url("/settings"))
        .header("cookie", format!("bocha_session={before}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_planted_session_id_is_replaced_at_login() {
    let app = TestApp::spawn().await;
    app.signed_in("oli").await;
    let browser = app.browser();
    let planted = "AAAAAAAAAAAAAAAAAAAAAA";
    let token = browser.csrf_token().await;
    let response = browser
        .client
        .post(browser.url("/login"))
        .header(
            "cookie",
            format!(
                "bocha_session={planted}; bocha_csrf={}",
                browser.cookie("bocha_csrf").unwrap()
            ),
        )
        .form(&[("login", "oli"), ("password", PASSWORD), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let issued = response
        .cookies()
        .find(|c| c.name() == "bocha_session")
        .map(|c| c.value().to_owned())
        .expect("a session cookie is issued");
    assert_ne!(issued, planted);
}

#[tokio::test]
async fn session_cookies_are_http_only_and_lax_and_last_two_weeks() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let response = browser.sign_up("pat", "pat@example.com", PASSWORD).await;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("bocha_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(cookie.contains("Max-Age=1209600"), "{cookie}");
    assert!(!cookie.contains("Secure"), "not Secure in development");
    assert_eq!(app.count("select count(*) from tower_sessions.session").await, 1);
}

#[tokio::test]
async fn a_session_made_on_one_instance_works_on_another() {
    let first = TestApp::spawn().await;
    let browser = first.signed_in("quin").await;
    let session = browser.cookie("bocha_session").unwrap();

    // A second instance on the same database and secret.
    let db_url = first.db.url.clone();
    let second = app::App::build({
        let mut config = crate::helpers::test_config(&first.db);
        config.database.database_url = db_url;
        config
    })
    .await
    .unwrap();
    let addr = second.local_addr().unwrap();
    let server = tokio::spawn(second.run(std::future::pending()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!("http://{addr}/settings"))
        .header("cookie", format!("bocha_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    server.abort();
}
