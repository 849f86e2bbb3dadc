//! The story the examples of the OpenAPI document tell (Jake's article, Jill's favorite and
//! comment, their chat), played with the request examples: each answer is as the response
//! example for its status says.

use reqwest::StatusCode;
use serde_json::json;

use crate::api_client::Api;
use crate::api_examples_replayed::{Doc, token};
use crate::api_openapi::document;
use crate::helpers::*;

#[tokio::test]
async fn the_story_of_the_examples_plays_as_they_tell_it() {
    let app = TestApp::spawn().await;
    let doc = Doc(document(&app).await);
    let anonymous = Api::new(&app);

    let sign_up = doc.request("post", "/api/users");
    let signed_up = anonymous.post("/api/users", sign_up.clone()).await;
    doc.assert_like("post", "/api/users", &signed_up);
    let again = anonymous.post("/api/users", sign_up).await;
    doc.assert_exactly("post", "/api/users", StatusCode::CONFLICT, &again);
    let jake = Api::with_token(&app, &token(&signed_up));
    let jill = anonymous
        .post(
            "/api/users",
            json!({ "user": { "username": "jill", "email": "jill@jill.jill", "password": PASSWORD } }),
        )
        .await;
    let jill = Api::with_token(&app, &token(&jill));
    // Both follow the link mailed to their address, which opens chat to them.
    let jakes = doc.request("post", "/api/users")["user"]["email"]
        .as_str()
        .unwrap()
        .to_owned();
    app.confirm_email(&app.browser(), &jakes).await;
    app.confirm_email(&app.browser(), "jill@jill.jill").await;

    // Jake fills in his profile, logs in both ways, and reads his account.
    let bio = doc.named_request("put", "/api/user", "bio");
    doc.assert_like("put", "/api/user", &jake.put("/api/user", bio).await);
    let logins = doc.requests("post", "/api/users/login");
    assert_eq!(logins.len(), 2, "with the email and with the username");
    for login in logins {
        doc.assert_like(
            "post",
            "/api/users/login",
            &anonymous.post("/api/users/login", login).await,
        );
    }
    doc.assert_like("get", "/api/user", &jake.get("/api/user").await);

    let follow = doc.url("post", "/api/profiles/{username}/follow");
    doc.assert_like(
        "post",
        "/api/profiles/{username}/follow",
        &jill.post_empty(&follow).await,
    );
    let profile = doc.url("get", "/api/profiles/{username}");
    doc.assert_like("get", "/api/profiles/{username}", &jill.get(&profile).await);

    // Jake publishes and edits; Jill favorites, reads, finds it listed; Jake audits it.
    let article = jake
        .post("/api/articles", doc.request("post", "/api/articles"))
        .await;
    doc.assert_like("post", "/api/articles", &article);
    let slug = "/api/articles/{slug}";
    assert_eq!(
        doc.url("get", slug),
        format!(
            "/api/articles/{}",
            article.body["article"]["slug"].as_str().unwrap()
        )
    );
    doc.assert_like(
        "put",
        slug,
        &jake.put(&doc.url("put", slug), doc.request("put", slug)).await,
    );
    let favorite = "/api/articles/{slug}/favorite";
    doc.assert_like(
        "post",
        favorite,
        &jill.post_empty(&doc.url("post", favorite)).await,
    );
    doc.assert_like("get", slug, &jill.get(&doc.url("get", slug)).await);
    for list in ["/api/articles", "/api/articles/feed"] {
        doc.assert_like("get", list, &jill.get(list).await);
    }
    doc.assert_like("get", "/api/tags", &anonymous.get("/api/tags").await);
    // Anyone reads its revisions, as published and as edited, and what the edit changed.
    for path in [
        "/api/articles/{slug}/revisions",
        "/api/articles/{slug}/revisions/{n}",
    ] {
        doc.assert_like("get", path, &anonymous.get(&doc.url("get", path)).await);
    }
    let compare = "/api/articles/{slug}/revisions/compare";
    let compared = anonymous
        .get(&format!("{}?from=1&to=2", doc.url("get", compare)))
        .await;
    doc.assert_exactly("get", compare, StatusCode::OK, &compared);
    let past = anonymous
        .get(&format!("{}?from=1&to=3", doc.url("get", compare)))
        .await;
    doc.assert_exactly("get", compare, StatusCode::UNPROCESSABLE_ENTITY, &past);
    let version = "/api/articles/{slug}/versions/{n}";
    doc.assert_like("get", version, &jake.get(&doc.url("get", version)).await);
    let history = "/api/audit/articles/{slug}";
    doc.assert_like(
        "get",
        history,
        &jake.get(&format!("{}?limit=3", doc.url("get", history))).await,
    );
    doc.assert_like(
        "delete",
        favorite,
        &jill.delete(&doc.url("delete", favorite)).await,
    );

    let comments = "/api/articles/{slug}/comments";
    let comment = jill
        .post(&doc.url("post", comments), doc.request("post", comments))
        .await;
    doc.assert_like("post", comments, &comment);
    doc.assert_like("get", comments, &anonymous.get(&doc.url("get", comments)).await);

    // Jake asks Jill for a chat; she approves; he sends a message, again, and edits it.
    let asked = jake
        .post("/api/chat/requests", doc.request("post", "/api/chat/requests"))
        .await;
    doc.assert_like("post", "/api/chat/requests", &asked);
    doc.assert_like("get", "/api/chat/requests", &jill.get("/api/chat/requests").await);
    let request = asked.body["request"]["id"].as_str().unwrap();
    let room = jill
        .post_empty(&format!("/api/chat/requests/{request}/approve"))
        .await;
    doc.assert_like("post", "/api/chat/requests/{id}/approve", &room);
    let room = format!("/api/chat/rooms/{}", room.body["room"]["id"].as_str().unwrap());
    let messages = "/api/chat/rooms/{id}/messages";
    let message = doc.request("post", messages);
    let sent = jake.post(&format!("{room}/messages"), message.clone()).await;
    assert_eq!(sent.status, StatusCode::CREATED);
    doc.assert_like("post", messages, &sent);
    let resent = jake.post(&format!("{room}/messages"), message).await;
    assert_eq!(resent.status, StatusCode::OK);
    doc.assert_like("post", messages, &resent);
    let edit = "/api/chat/rooms/{id}/messages/{seq}";
    doc.assert_like(
        "put",
        edit,
        &jake
            .put(&format!("{room}/messages/1"), doc.request("put", edit))
            .await,
    );
    doc.assert_like("get", "/api/chat/rooms", &jill.get("/api/chat/rooms").await);
    doc.assert_like("get", "/api/chat/rooms/{id}", &jill.get(&room).await);
    doc.assert_like("get", messages, &jill.get(&format!("{room}/messages")).await);
    let read = jill
        .post(
            &format!("{room}/read"),
            doc.request("post", "/api/chat/rooms/{id}/read"),
        )
        .await;
    assert_eq!(read.status, StatusCode::NO_CONTENT, "{}", read.body);
    let chat_history = format!(
        "/api/audit/chat/rooms/{}?limit=3",
        room.rsplit('/').next().unwrap()
    );
    doc.assert_like(
        "get",
        "/api/audit/chat/rooms/{id}",
        &jill.get(&chat_history).await,
    );

    // Jake puts his article's first text back: a third revision.
    let restore = "/api/articles/{slug}/revisions/{n}/restore";
    doc.assert_like("post", restore, &jake.post_empty(&doc.url("post", restore)).await);
    let revisions = jill.get(&doc.url("get", "/api/articles/{slug}/revisions")).await;
    assert_eq!(revisions.body["revisionsCount"], 3);
    assert_eq!(
        revisions.body["revisions"][2]["body"],
        revisions.body["revisions"][0]["body"]
    );

    // Staff read the log from the start: the two accounts first.
    app.staff("auditor").await;
    let auditor = anonymous
        .post(
            "/api/users/login",
            json!({ "user": { "email": "auditor", "password": PASSWORD } }),
        )
        .await;
    let auditor = Api::with_token(&app, &token(&auditor));
    let log = auditor.get("/api/audit/events?aggregate_type=User&limit=2").await;
    doc.assert_like("get", "/api/audit/events", &log);

    // Last, as it changes what the other examples show: a new email, with the password.
    let email = doc.named_request("put", "/api/user", "email");
    let changed = jake.put("/api/user", email.clone()).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    // The address changes once the link mailed to it is followed.
    let new = email["user"]["email"].as_str().unwrap();
    assert_ne!(changed.body["user"]["email"], new);
    let mail = app.mail_to(new, "Confirm your new email address").await;
    let confirmed = app
        .browser()
        .get(&crate::helpers::link_in(&mail, "/account/email/confirm/"))
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(jake.get("/api/user").await.body["user"]["email"], new);
}
