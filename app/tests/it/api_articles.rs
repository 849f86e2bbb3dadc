//! `/api/articles`, `/api/articles/feed`, favorites and `/api/tags`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::api_client::{Api, publish, register};
use crate::helpers::*;

fn slugs(answer: &Value) -> Vec<&str> {
    answer["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn an_article_is_published_shown_edited_and_deleted() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let answer = jake
        .post(
            "/api/articles",
            json!({ "article": { "title": "How to train your dragon", "description": "Ever wonder how?",
                    "body": "You have to believe", "tagList": ["training", "dragons", "training"] } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let article = &answer.body["article"];
    assert_eq!(article["slug"], "how-to-train-your-dragon");
    assert_eq!(article["tagList"], json!(["dragons", "training"]));
    assert_eq!(article["favorited"], false);
    assert_eq!(article["favoritesCount"], 0);
    assert_eq!(article["author"]["username"], "jake");
    let created = article["createdAt"].as_str().unwrap().to_owned();
    assert_eq!(created.len(), "2026-11-24T08:41:21.123Z".len(), "{created}");
    assert!(created.ends_with('Z'));

    let shown = Api::new(&app).get("/api/articles/how-to-train-your-dragon").await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.body["article"]["body"], "You have to believe");

    let mut updated_at = created.clone();
    for body in ["With two hands", "With one hand"] {
        let answer = jake
            .put(
                "/api/articles/how-to-train-your-dragon",
                json!({ "article": { "body": body } }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        let article = &answer.body["article"];
        assert_eq!(article["slug"], "how-to-train-your-dragon", "the slug stays");
        assert_eq!(article["body"], body);
        assert_eq!(article["createdAt"], created.as_str());
        assert_eq!(article["tagList"], json!(["dragons", "training"]));
        let now = article["updatedAt"].as_str().unwrap().to_owned();
        assert!(now > updated_at, "{now} after {updated_at}");
        updated_at = now;
    }
    let answer = jake
        .put(
            "/api/articles/how-to-train-your-dragon",
            json!({ "article": { "title": "Dragons", "tagList": [] } }),
        )
        .await;
    assert_eq!(answer.body["article"]["title"], "Dragons");
    assert_eq!(answer.body["article"]["slug"], "how-to-train-your-dragon");
    assert_eq!(answer.body["article"]["tagList"], json!([]));

    let answer = jake.delete("/api/articles/how-to-train-your-dragon").await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    let gone = jake.get("/api/articles/how-to-train-your-dragon").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.error("article"), "not found");
}

#[tokio::test]
async fn invalid_articles_are_422_with_a_message_per_field() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let answer = jake
        .post(
            "/api/articles",
            json!({ "article": { "title": " ", "tagList": ["a,b"] } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["title", "description", "body"] {
        assert_eq!(answer.error(field), "can't be blank", "{field}");
    }
    assert!(!answer.error("tagList").is_empty(), "{}", answer.body);

    let slug = publish(&jake, "Tea", &["tea"]).await;
    for field in ["title", "description", "body", "tagList"] {
        let answer = jake
            .put(
                &format!("/api/articles/{slug}"),
                json!({ "article": { field: null } }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(!answer.error(field).is_empty(), "{field}: {}", answer.body);
    }
    let answer = jake
        .put(
            &format!("/api/articles/{slug}"),
            json!({ "article": { "title": "" } }),
        )
        .await;
    assert_eq!(answer.error("title"), "can't be blank");
    let answer = jake
        .put(
            &format!("/api/articles/{slug}"),
            json!({ "article": { "tagList": "tea" } }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn duplicate_titles_get_distinct_slugs() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let first = publish(&jake, "Same title", &[]).await;
    let second = publish(&jake, "Same title", &[]).await;
    assert_ne!(first, second);
}

#[tokio::test]
async fn writes_check_the_token_then_the_article_then_the_author() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let jill = register(&app, "jill").await;
    let anonymous = Api::new(&app);
    let slug = publish(&jake, "Mine", &[]).await;
    let path = format!("/api/articles/{slug}");
    let edit = json!({ "article": { "body": "hijacked" } });

    for answer in [
        anonymous.post("/api/articles", json!({ "article": {} })).await,
        anonymous.put("/api/articles/unknown", edit.clone()).await,
        anonymous.delete("/api/articles/unknown").await,
        anonymous.get("/api/articles/feed").await,
        anonymous.post_empty("/api/articles/unknown/favorite").await,
        anonymous.delete("/api/articles/unknown/favorite").await,
    ] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.error("token"), "is missing");
    }
    for answer in [
        jill.put("/api/articles/unknown", edit.clone()).await,
        jill.put("/api/articles/unknown", json!({ "article": { "title": null } }))
            .await,
        jill.delete("/api/articles/unknown").await,
        jill.post_empty("/api/articles/unknown/favorite").await,
        jill.delete("/api/articles/unknown/favorite").await,
        jill.get("/api/articles/Not%20A%20Slug").await,
        jill.delete(&format!("/api/articles/{}", "x".repeat(500))).await,
    ] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(answer.error("article"), "not found");
    }
    for answer in [
        jill.put(&path, edit.clone()).await,
        jill.put(&path, json!({ "article": { "title": "" } })).await,
        jill.put(&path, json!({ "article": { "tagList": null } })).await,
        jill.delete(&path).await,
    ] {
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert_eq!(answer.body, json!({ "errors": { "article": ["forbidden"] } }));
    }
    assert_eq!(jake.get(&path).await.body["article"]["body"], "Words");
}

#[tokio::test]
async fn lists_filter_page_and_count_every_match() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let jill = register(&app, "jill").await;
    let a = publish(&jake, "A", &["tea", "green tea"]).await;
    let b = publish(&jake, "B", &["tea"]).await;
    let c = publish(&jill, "C", &["coffee"]).await;
    jill.post_empty(&format!("/api/articles/{a}/favorite")).await;
    jill.post_empty(&format!("/api/articles/{c}/favorite")).await;

    let all = Api::new(&app).get("/api/articles").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(slugs(&all.body), vec![c.as_str(), &b, &a], "newest first");
    assert_eq!(all.body["articlesCount"], 3);
    for article in all.body["articles"].as_array().unwrap() {
        assert!(article.get("body").is_none(), "lists leave the body out");
    }

    for (query, expected) in [
        ("tag=tea", vec![b.as_str(), &a]),
        ("tag=green%20tea", vec![&a]),
        ("author=JAKE", vec![&b, &a]),
        ("favorited=jill", vec![&c, &a]),
        ("tag=tea&favorited=jill", vec![&a]),
        ("tag=tea&author=jill", vec![]),
        ("author=nobody", vec![]),
        ("author=not%20a%20name", vec![]),
        ("tag=", vec![&c, &b, &a]),
    ] {
        let answer = Api::new(&app).get(&format!("/api/articles?{query}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}");
        assert_eq!(slugs(&answer.body), expected, "{query}");
        assert_eq!(answer.body["articlesCount"], expected.len(), "{query}");
    }

    let page = Api::new(&app).get("/api/articles?limit=1&offset=1").await;
    assert_eq!(slugs(&page.body), vec![b.as_str()]);
    assert_eq!(page.body["articlesCount"], 3, "the count is of every match");
    let past_the_end = Api::new(&app).get("/api/articles?limit=2&offset=10").await;
    assert_eq!(slugs(&past_the_end.body), Vec::<&str>::new());
    assert_eq!(past_the_end.body["articlesCount"], 3);

    let viewer = jill.get("/api/articles?author=jake").await;
    let first = &viewer.body["articles"][1];
    assert_eq!(first["slug"], a.as_str());
    assert_eq!(first["favorited"], true);
    assert_eq!(first["favoritesCount"], 1);
}

#[tokio::test]
async fn limits_and_offsets_out_of_bounds_are_422() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    for query in [
        "limit=-1",
        "limit=0",
        "limit=101",
        "limit=abc",
        "limit=1e3",
        "limit=99999999999999999999999",
        "offset=-5",
        "offset=1000001",
        "offset=9223372036854775807",
    ] {
        for path in ["/api/articles", "/api/articles/feed"] {
            let answer = jake.get(&format!("{path}?{query}")).await;
            assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}?{query}");
            let key = query.split('=').next().unwrap();
            assert!(!answer.error(key).is_empty(), "{path}?{query}: {}", answer.body);
        }
    }
    let answer = jake.get("/api/articles?limit=100&offset=1000000").await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn the_feed_holds_articles_by_followed_authors() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let celeb = register(&app, "celeb").await;
    let other = register(&app, "other").await;
    let empty = jake.get("/api/articles/feed").await;
    assert_eq!(empty.body, json!({ "articles": [], "articlesCount": 0 }));

    jake.post_empty("/api/profiles/celeb/follow").await;
    let first = publish(&celeb, "One", &[]).await;
    let second = publish(&celeb, "Two", &[]).await;
    publish(&other, "Elsewhere", &[]).await;
    let feed = jake.get("/api/articles/feed").await;
    assert_eq!(slugs(&feed.body), vec![second.as_str(), &first]);
    assert_eq!(feed.body["articles"][0]["author"]["following"], true);
    let page = jake.get("/api/articles/feed?limit=1&offset=1").await;
    assert_eq!(slugs(&page.body), vec![first.as_str()]);
    assert_eq!(page.body["articlesCount"], 2);
}

#[tokio::test]
async fn favoriting_is_idempotent_and_read_back_at_once() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let jill = register(&app, "jill").await;
    let slug = publish(&jake, "Liked", &[]).await;
    let path = format!("/api/articles/{slug}/favorite");
    for _ in 0..2 {
        let answer = jill.post_empty(&path).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body["article"]["favorited"], true);
        assert_eq!(answer.body["article"]["favoritesCount"], 1);
        assert_eq!(answer.body["article"]["body"], "Words");
    }
    let read = jill.get(&format!("/api/articles/{slug}")).await;
    assert_eq!(read.body["article"]["favorited"], true);
    assert_eq!(
        jake.get(&format!("/api/articles/{slug}")).await.body["article"]["favorited"],
        false
    );
    for _ in 0..2 {
        let answer = jill.delete(&path).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.body["article"]["favorited"], false);
        assert_eq!(answer.body["article"]["favoritesCount"], 0);
    }
}

#[tokio::test]
async fn tags_lists_every_tag_in_use() {
    let app = TestApp::spawn().await;
    let jake = register(&app, "jake").await;
    let empty = Api::new(&app).get("/api/tags").await;
    assert_eq!(empty.body, json!({ "tags": [] }));
    let mut expected = Vec::new();
    // More tags than any "top N" would show.
    for i in 0..6 {
        let tags: Vec<String> = (0..10).map(|j| format!("t{i}-{j}")).collect();
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        publish(&jake, &format!("Post {i}"), &tags).await;
        expected.extend(tags.iter().map(|t| t.to_string()));
    }
    let answer = Api::new(&app).get("/api/tags").await;
    let mut tags: Vec<String> = serde_json::from_value(answer.body["tags"].clone()).unwrap();
    tags.sort();
    expected.sort();
    assert_eq!(tags, expected);
}
