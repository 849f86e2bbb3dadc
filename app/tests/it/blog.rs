//! The blog as people use it: writing, reading, commenting, favorites, follows, lists, search.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use scraper::Html;

use crate::helpers::*;

/// Posts the new-post form the way a browser does (multipart, file input last).
pub async fn post_form(
    browser: &Browser,
    path: &str,
    fields: &[(&str, &str)],
    cover: Option<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let mut form = Form::new().text("csrf_token", browser.csrf_token().await);
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    form = match cover {
        Some((file_name, bytes)) => form.part("cover", Part::bytes(bytes).file_name(file_name.to_owned())),
        None => form.part("cover", Part::bytes(Vec::new()).file_name("")),
    };
    browser
        .client
        .post(browser.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Publishes a post and returns its slug.
pub(crate) async fn publish(browser: &Browser, title: &str, body: &str, tags: &str) -> String {
    let fields = [
        ("title", title),
        ("description", "A short description"),
        ("body", body),
        ("tags", tags),
        ("action", "publish"),
    ];
    let response = post_form(browser, "/posts/new", &fields, None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "publishing {title}");
    location(&response)
        .strip_prefix("/posts/")
        .expect("redirect to the post")
        .to_owned()
}

async fn html(response: reqwest::Response) -> Html {
    Html::parse_document(&response.text().await.unwrap())
}

#[tokio::test]
async fn a_post_is_published_with_rendered_markdown_and_listed_everywhere() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("writer").await;
    let (status, form) = author.page("/posts/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!select(&form, "form[enctype='multipart/form-data'] input#title").is_empty());

    let body = "## Brewing\n\n- water\n- leaves\n\n> patience\n\n```\nsteep(3)\n```\n\nSee [the guide](https://example.com).";
    let slug = publish(&author, "Green Tea, Properly", body, "tea, how-to").await;
    assert_eq!(slug, "green-tea-properly");

    let (status, page) = app.browser().page(&format!("/posts/{slug}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(text(&page, "h1.post-title").trim(), "Green Tea, Properly");
    for css in [
        ".post-body h2",
        ".post-body li",
        ".post-body blockquote",
        ".post-body pre code",
        ".post-body a[href='https://example.com']",
    ] {
        assert!(!select(&page, css).is_empty(), "{css} is rendered");
    }
    assert!(
        select(&page, "a.post-edit").is_empty(),
        "visitors get no edit control"
    );

    for list in ["/", "/tags/tea", "/tags/how-to", "/@writer", "/search?q=brewing"] {
        let (_, html) = app.browser().page(list).await;
        let links: Vec<String> = select(&html, "article.post-card a.post-card-title")
            .iter()
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect();
        assert_eq!(links, vec![format!("/posts/{slug}")], "{list}");
    }
    let (_, tags) = app.browser().page("/tags/coffee").await;
    assert!(select(&tags, "article.post-card").is_empty());
}

#[tokio::test]
async fn tags_are_one_topic_whatever_their_case_in_the_same_order_everywhere() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("tagger").await;
    let tags = "Rust, Performance, performance";
    let names = |page: &Html| -> Vec<String> {
        select(page, ".tag-list a.tag")
            .iter()
            .map(|a| a.text().collect::<String>().trim_start_matches('#').to_owned())
            .collect()
    };
    let fields = [
        ("title", "Fast code"),
        ("description", "d"),
        ("body", "b"),
        ("tags", tags),
        ("action", "preview"),
    ];
    let preview = html(post_form(&author, "/posts/new", &fields, None).await).await;
    assert_eq!(names(&preview), ["performance", "rust"], "the preview");

    let slug = publish(&author, "Fast code", "b", tags).await;
    let (_, post) = app.browser().page(&format!("/posts/{slug}")).await;
    assert_eq!(names(&post), ["performance", "rust"], "the post");

    let (_, listed) = app.browser().page("/tags/performance").await;
    assert_eq!(select(&listed, "article.post-card").len(), 1);
    let moved = app.browser().get("/tags/PerFormance?page=1").await;
    assert_eq!(moved.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(location(&moved), "/tags/performance?page=1");

    let api = app.browser().get("/api/articles?tag=PERFORMANCE").await;
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["articlesCount"], 1);
    assert_eq!(
        body["articles"][0]["tagList"],
        serde_json::json!(["performance", "rust"])
    );
    let popular: serde_json::Value = app.browser().get("/api/tags").await.json().await.unwrap();
    assert_eq!(popular["tags"], serde_json::json!(["performance", "rust"]));
}

/// Read models built before tags were folded: the migration that folds them leaves one tag per
/// topic on each post, in its list, and in the counts.
#[tokio::test]
async fn the_migration_folds_the_tags_of_read_models_built_before() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("old_tagger").await;
    let first = publish(&author, "First", "b", "rust, tea").await;
    let second = publish(&author, "Second", "b", "rust").await;
    let db = &app.db.pool;
    // As an earlier release stored them: "Rust" and "rust" apart, on one post both.
    sqlx::raw_sql(&format!(
        "update post_tags set tag = 'Rust' where tag = 'rust' and post_id = (select id from posts where slug = '{first}');
         insert into post_tags (tag, post_id, created_at) select 'RUST', id, created_at from posts where slug = '{first}';
         update posts set tags = '{{RUST,Rust,tea}}' where slug = '{first}';
         update tag_counts set posts = 1 where tag = 'rust';
         insert into tag_counts (tag, posts) values ('Rust', 1), ('RUST', 1);"
    ))
    .execute(db)
    .await
    .unwrap();

    sqlx::raw_sql(include_str!("../../../migrations/0016_folded_tags.sql"))
        .execute(db)
        .await
        .unwrap();

    let tags: Vec<(String, String)> = sqlx::query_as(
        "select p.slug, t.tag from post_tags t join posts p on p.id = t.post_id order by 1, 2",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let owned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    assert_eq!(
        tags,
        owned(&[(&first, "rust"), (&first, "tea"), (&second, "rust")])
    );
    let list: Vec<String> = sqlx::query_scalar("select unnest(tags) from posts where slug = $1")
        .bind(&first)
        .fetch_all(db)
        .await
        .unwrap();
    assert_eq!(list, ["rust", "tea"]);
    let counts: Vec<(String, i32)> = sqlx::query_as("select tag, posts from tag_counts order by tag")
        .fetch_all(db)
        .await
        .unwrap();
    assert_eq!(counts, [("rust".to_owned(), 2), ("tea".to_owned(), 1)]);
    let (_, page) = app.browser().page("/tags/rust").await;
    assert_eq!(select(&page, "article.post-card").len(), 2);
}

#[tokio::test]
async fn preview_shows_the_rendered_post_without_publishing() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("previewer").await;
    let fields = [
        ("title", "Draft"),
        ("description", "d"),
        ("body", "**bold** move"),
        ("tags", ""),
        ("action", "preview"),
    ];
    let response = post_form(&author, "/posts/new", &fields, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = html(response).await;
    assert!(
        !select(&page, ".prose strong").is_empty(),
        "the preview renders markdown"
    );
    assert_eq!(attr(&page, "input#title", "value").as_deref(), Some("Draft"));
    assert!(text(&page, "textarea#body").contains("**bold** move"));
    assert_eq!(
        app.count("select count(*) from events where aggregate_type = 'Post'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_invalid_post_shows_errors_beside_fields_and_keeps_the_text() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("hasty").await;
    let long_title = "t".repeat(201);
    let fields = [
        ("title", long_title.as_str()),
        ("description", ""),
        ("body", "kept body"),
        ("tags", "a,b"),
        ("action", "publish"),
    ];
    let response = post_form(&author, "/posts/new", &fields, None).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(response).await;
    assert!(text(&page, "#title-error").contains("200"));
    assert!(text(&page, "#description-error").contains("blank"));
    assert!(text(&page, "textarea#body").contains("kept body"));
    assert_eq!(attr(&page, "input#tags", "value").as_deref(), Some("a,b"));
    assert_eq!(app.count("select count(*) from posts").await, 0);
}

#[tokio::test]
async fn identical_titles_published_at_once_get_distinct_readable_slugs() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("prolific").await;
    let attempts = (0..6).map(|_| publish(&author, "Same Title", "body", ""));
    let mut slugs = futures_util::future::join_all(attempts).await;
    slugs.sort();
    assert_eq!(
        slugs,
        vec![
            "same-title",
            "same-title-2",
            "same-title-3",
            "same-title-4",
            "same-title-5",
            "same-title-6"
        ]
    );
}

#[tokio::test]
async fn the_author_edits_and_the_slug_stays() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("editor").await;
    let slug = publish(&author, "First Title", "first body", "one").await;
    let (status, form) = author.page(&format!("/posts/{slug}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        attr(&form, "input#title", "value").as_deref(),
        Some("First Title")
    );

    let fields = [
        ("title", "Second Title"),
        ("description", "new"),
        ("body", "second body"),
        ("tags", "two"),
        ("action", "publish"),
    ];
    let response = post_form(&author, &format!("/posts/{slug}/edit"), &fields, None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/posts/{slug}"));
    let (_, page) = app.browser().page(&format!("/posts/{slug}")).await;
    assert_eq!(text(&page, "h1.post-title").trim(), "Second Title");
    assert!(text(&page, ".post-body").contains("second body"));
    let (_, old_tag) = app.browser().page("/tags/one").await;
    assert!(select(&old_tag, "article.post-card").is_empty());
}

#[tokio::test]
async fn only_the_author_may_edit_and_a_forged_edit_changes_nothing() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("owner").await;
    let slug = publish(&author, "Mine", "original", "").await;
    let intruder = app.signed_in("intruder").await;

    let (status, _) = intruder.page(&format!("/posts/{slug}/edit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let fields = [
        ("title", "Hacked"),
        ("description", "x"),
        ("body", "x"),
        ("tags", ""),
        ("action", "publish"),
    ];
    let response = post_form(&intruder, &format!("/posts/{slug}/edit"), &fields, None).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (_, page) = intruder.page(&format!("/posts/{slug}")).await;
    assert_eq!(text(&page, "h1.post-title").trim(), "Mine");
    assert!(select(&page, "a.post-edit").is_empty() && select(&page, "a.post-delete").is_empty());

    let anonymous = app.browser();
    let response = anonymous.get(&format!("/posts/{slug}/edit")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/login"));
    assert_eq!(
        app.count("select count(*) from events where event_type = 'PostEdited'")
            .await,
        0
    );

    let (_, own) = author.page(&format!("/posts/{slug}")).await;
    assert!(!select(&own, "a.post-edit").is_empty() && !select(&own, "a.post-delete").is_empty());
}

#[tokio::test]
async fn deleting_asks_first_then_removes_the_post_from_every_page_but_not_from_the_log() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("remover").await;
    let slug = publish(&author, "Short Lived", "bye", "gone").await;
    let reader = app.signed_in("reader").await;

    let (status, _) = reader.page(&format!("/posts/{slug}/delete")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        reader
            .submit(&format!("/posts/{slug}/delete"), &[])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let (status, confirm) = author.page(&format!("/posts/{slug}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !select(
            &confirm,
            &format!("form[action='/posts/{slug}/delete'][method=post]")
        )
        .is_empty()
    );
    let response = author.submit(&format!("/posts/{slug}/delete"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let (status, _) = app.browser().page(&format!("/posts/{slug}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for list in ["/", "/tags/gone", "/@remover", "/search?q=bye"] {
        let (_, html) = app.browser().page(list).await;
        assert!(
            select(&html, "article.post-card").is_empty(),
            "{list} still lists it"
        );
    }
    assert_eq!(
        app.count("select count(*) from events where aggregate_type = 'Post'")
            .await,
        2
    );
}

#[tokio::test]
async fn staff_may_delete_anyones_post() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("poster").await;
    let slug = publish(&author, "Off Topic", "spam", "").await;
    let moderator = app.staff("moderator").await;
    let (_, page) = moderator.page(&format!("/posts/{slug}")).await;
    assert!(!select(&page, "a.post-delete").is_empty());
    assert!(
        select(&page, "a.post-edit").is_empty(),
        "staff delete, they do not edit"
    );
    assert_eq!(
        moderator
            .submit(&format!("/posts/{slug}/delete"), &[])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.count("select count(*) from posts").await, 0);
}

#[tokio::test]
async fn comments_have_their_own_permissions() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("host").await;
    let slug = publish(&author, "Discuss", "talk to me", "").await;
    let guest = app.signed_in("guest").await;
    let stranger = app.signed_in("stranger").await;

    let response = guest
        .submit(
            &format!("/posts/{slug}/comments"),
            &[("body", "First! <script>alert(1)</script>")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.browser().page(&format!("/posts/{slug}")).await;
    let comment = select(&page, "article.comment");
    assert_eq!(comment.len(), 1);
    let id = comment[0]
        .value()
        .attr("id")
        .unwrap()
        .strip_prefix("comment-")
        .unwrap()
        .to_owned();
    assert!(text(&page, "article.comment").contains("First!"));
    assert!(select(&page, "article.comment script").is_empty());

    // Controls: the commenter edits and deletes, the post's author deletes, others neither.
    let (_, as_guest) = guest.page(&format!("/posts/{slug}")).await;
    assert!(
        !select(&as_guest, "a.comment-edit").is_empty() && !select(&as_guest, "a.comment-delete").is_empty()
    );
    let (_, as_author) = author.page(&format!("/posts/{slug}")).await;
    assert!(
        select(&as_author, "a.comment-edit").is_empty() && !select(&as_author, "a.comment-delete").is_empty()
    );
    let (_, as_stranger) = stranger.page(&format!("/posts/{slug}")).await;
    assert!(
        select(&as_stranger, "a.comment-edit").is_empty()
            && select(&as_stranger, "a.comment-delete").is_empty()
    );

    let edit = format!("/posts/{slug}/comments/{id}/edit");
    let delete = format!("/posts/{slug}/comments/{id}/delete");
    assert_eq!(
        author.submit(&edit, &[("body", "rewritten")]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        stranger.submit(&delete, &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        guest.submit(&edit, &[("body", "First, edited")]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, page) = app.browser().page(&format!("/posts/{slug}")).await;
    assert!(text(&page, "article.comment").contains("First, edited"));

    assert_eq!(author.submit(&delete, &[]).await.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.browser().page(&format!("/posts/{slug}")).await;
    assert!(select(&page, "article.comment").is_empty());
    let (status, _) = guest.page(&edit).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_blank_comment_is_refused_beside_the_field() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("quiet").await;
    let slug = publish(&author, "Silence", "...", "").await;
    let response = author
        .submit(&format!("/posts/{slug}/comments"), &[("body", "   ")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(response).await;
    assert!(text(&page, "#body-error").contains("blank"));
    assert!(select(&page, "article.comment").is_empty());

    let anonymous = app.browser();
    let response = anonymous
        .submit(&format!("/posts/{slug}/comments"), &[("body", "hi")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/login"));
    assert_eq!(app.count("select count(*) from comments").await, 0);
}

#[tokio::test]
async fn staff_may_delete_any_comment() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("blogger").await;
    let slug = publish(&author, "Topic", "...", "").await;
    let troll = app.signed_in("troll").await;
    troll
        .submit(&format!("/posts/{slug}/comments"), &[("body", "rude")])
        .await;
    let id: i64 = sqlx::query_scalar("select id from comments")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let moderator = app.staff("mod").await;
    let response = moderator
        .submit(&format!("/posts/{slug}/comments/{id}/delete"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("select count(*) from comments").await, 0);
    assert_eq!(
        app.count("select comments_count::bigint from post_counts").await,
        0
    );
}

#[tokio::test]
async fn favorites_count_once_per_person_and_can_be_taken_back() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("liked").await;
    let slug = publish(&author, "Likeable", "...", "").await;
    let fan = app.signed_in("fan").await;
    for _ in 0..2 {
        assert_eq!(
            fan.submit(&format!("/posts/{slug}/favorite"), &[]).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let (_, page) = fan.page(&format!("/posts/{slug}")).await;
    assert_eq!(text(&page, ".favorites-count").trim(), "1");
    assert!(!select(&page, "form[action$='/unfavorite']").is_empty());
    let (_, favorites) = app.browser().page("/@fan/favorites").await;
    assert_eq!(select(&favorites, "article.post-card").len(), 1);

    fan.submit(&format!("/posts/{slug}/unfavorite"), &[]).await;
    let (_, page) = fan.page(&format!("/posts/{slug}")).await;
    assert_eq!(text(&page, ".favorites-count").trim(), "0");
    assert!(!select(&page, "form[action$='/favorite']").is_empty());
    assert_eq!(
        app.count("select count(*) from events where aggregate_type = 'Favorite'")
            .await,
        2
    );
}

#[tokio::test]
async fn following_an_author_fills_the_following_feed() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("followed").await;
    let other = app.signed_in("unfollowed").await;
    let slug = publish(&author, "For Followers", "...", "").await;
    publish(&other, "Not For Me", "...", "").await;
    let reader = app.signed_in("follower").await;

    let (_, profile) = reader.page("/@followed").await;
    assert!(!select(&profile, "form.follow-form[action='/@followed/follow']").is_empty());
    assert_eq!(
        reader.submit("/@followed/follow", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, feed) = reader.page("/?feed=following").await;
    let links: Vec<String> = select(&feed, "a.post-card-title")
        .iter()
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect();
    assert_eq!(links, vec![format!("/posts/{slug}")]);

    reader.submit("/@followed/unfollow", &[]).await;
    let (_, feed) = reader.page("/?feed=following").await;
    assert!(select(&feed, "article.post-card").is_empty());
    assert_eq!(
        reader.submit("/@follower/follow", &[]).await.status(),
        StatusCode::BAD_REQUEST,
        "no following yourself"
    );
}

#[tokio::test]
async fn search_finds_words_in_titles_and_bodies() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("searcher").await;
    let tea = publish(&author, "Oolong notes", "Roasted and floral leaves", "").await;
    publish(&author, "Espresso", "Crema and pressure", "").await;
    for query in ["oolong", "floral", "roasted leaves"] {
        let (_, page) = app.browser().page(&format!("/search?q={query}")).await;
        let links: Vec<String> = select(&page, "a.post-card-title")
            .iter()
            .filter_map(|a| a.value().attr("href").map(str::to_owned))
            .collect();
        assert_eq!(links, vec![format!("/posts/{tea}")], "{query}");
    }
    let (status, page) = app.browser().page("/search?q=%22unbalanced%20(").await;
    assert_eq!(status, StatusCode::OK, "odd input is not an error");
    assert!(select(&page, "article.post-card").is_empty());
}

#[tokio::test]
async fn lists_are_paginated_twenty_at_a_time() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("paginator").await;
    for i in 1..=45 {
        publish(&author, &format!("Post {i:02}"), "...", "many").await;
    }
    let titles = |html: &Html| -> Vec<String> {
        select(html, "a.post-card-title")
            .iter()
            .map(|a| a.text().collect::<String>().trim().to_owned())
            .collect()
    };
    let (_, first) = app.browser().page("/").await;
    assert_eq!(titles(&first).len(), 20);
    assert_eq!(titles(&first)[0], "Post 45", "newest first");
    assert_eq!(
        attr(&first, "nav.pagination a[rel=next]", "href").as_deref(),
        Some("/?page=2")
    );
    assert!(select(&first, "nav.pagination a[rel=prev]").is_empty());

    let (_, second) = app.browser().page("/?page=2").await;
    assert_eq!(titles(&second)[0], "Post 25");
    assert_eq!(titles(&second)[19], "Post 06");
    let (_, third) = app.browser().page("/?page=3").await;
    assert_eq!(
        titles(&third),
        vec!["Post 05", "Post 04", "Post 03", "Post 02", "Post 01"]
    );
    assert!(select(&third, "nav.pagination a[rel=next]").is_empty());
    assert_eq!(
        attr(&third, "nav.pagination a[rel=prev]", "href").as_deref(),
        Some("/?page=2")
    );

    let (_, tag_page) = app.browser().page("/tags/many?page=3").await;
    assert_eq!(titles(&tag_page).len(), 5);
    let (status, beyond) = app.browser().page("/?page=99").await;
    assert_eq!(status, StatusCode::OK);
    assert!(titles(&beyond).is_empty());
    let (status, _) = app.browser().page("/?page=-3").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn hostile_markdown_and_html_never_reach_the_page_as_code() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("attacker").await;
    let body = "<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n[link](javascript:alert(1))\n\n<iframe src=https://evil.example></iframe>\n\n<a href=\"jav&#x09;ascript:alert(1)\">tab</a>\n\n<p style=\"color:red\" onclick=\"alert(1)\">styled</p>";
    let slug = publish(&author, "<b>Title</b> <script>x</script>", body, "<i>tag</i>").await;
    let response = app.browser().get(&format!("/posts/{slug}")).await;
    let raw = response.text().await.unwrap().to_lowercase();
    let page = Html::parse_document(&raw);
    assert!(select(&page, ".post-body script, .post-body iframe, .post-body [onerror], .post-body [onclick], .post-body [style]").is_empty());
    assert!(
        select(&page, "h1.post-title b, h1.post-title script").is_empty(),
        "the title is text"
    );
    for a in select(&page, ".post-body a") {
        let href = a.value().attr("href").unwrap_or_default();
        assert!(!href.contains("javascript"), "{href}");
    }
    assert!(
        !raw.contains("alert('x')</script>") || raw.contains("&lt;script&gt;"),
        "no live script tag"
    );
    let scripts: Vec<_> = select(&page, "script")
        .iter()
        .filter(|s| s.value().attr("src").is_none())
        .map(|s| s.html())
        .collect();
    assert!(scripts.is_empty(), "{scripts:?}");
}

#[tokio::test]
async fn the_atom_feed_lists_recent_posts() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("feeder").await;
    let slug = publish(&author, "Fresh & New", "...", "news").await;
    let response = app.browser().get("/feed.xml").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/atom+xml")
    );
    let xml = response.text().await.unwrap();
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains("<title>Fresh &amp; New</title>"));
    assert!(xml.contains(&slug));
}

#[tokio::test]
async fn a_missing_post_is_a_404_page() {
    let app = TestApp::spawn().await;
    for path in [
        "/posts/nothing-here",
        "/posts/nothing-here/edit",
        "/tags/none?page=2",
    ] {
        let browser = app.signed_in(&format!("u{}", path.len())).await;
        let (status, page) = browser.page(path).await;
        if path.starts_with("/tags") {
            assert_eq!(status, StatusCode::OK, "an empty tag is an empty list");
        } else {
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(!select(&page, "nav").is_empty());
        }
    }
}

/// A real PNG image of the given size.
pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    image
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

#[tokio::test]
async fn a_cover_image_is_checked_resized_and_shown() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("photographer").await;
    let fields = [
        ("title", "With Cover"),
        ("description", "d"),
        ("body", "b"),
        ("tags", ""),
        ("action", "publish"),
    ];
    let response = post_form(
        &author,
        "/posts/new",
        &fields,
        Some(("photo.png", png(2000, 1000))),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let slug = location(&response).trim_start_matches("/posts/").to_owned();
    let (_, page) = app.browser().page(&format!("/posts/{slug}")).await;
    let src = select(&page, "img")
        .iter()
        .filter_map(|img| img.value().attr("src"))
        .find(|src| src.starts_with("/media/"))
        .expect("the cover is shown")
        .to_owned();
    let image = app.browser().get(&src).await;
    assert_eq!(image.status(), StatusCode::OK);
    let content_type = image.headers()["content-type"].to_str().unwrap().to_owned();
    let bytes = image.bytes().await.unwrap();
    let stored = image::load_from_memory(&bytes).unwrap();
    assert_eq!(
        (stored.width(), stored.height()),
        (1600, 800),
        "resized to fit 1600 px"
    );
    assert!(content_type.starts_with("image/"));
}

#[tokio::test]
async fn a_fake_image_and_an_oversized_one_are_refused_with_a_clear_message() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("uploader").await;
    let fields = [
        ("title", "Cover"),
        ("description", "d"),
        ("body", "kept"),
        ("tags", ""),
        ("action", "publish"),
    ];

    let response = post_form(
        &author,
        "/posts/new",
        &fields,
        Some(("photo.png", b"just some text, not an image".to_vec())),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(response).await;
    assert!(text(&page, "#cover-error").contains("not a PNG, JPEG, WebP or GIF"));
    assert!(text(&page, "textarea#body").contains("kept"), "the text survives");

    let mut huge = png(64, 64);
    huge.resize(6 * 1024 * 1024, 0);
    let response = post_form(&author, "/posts/new", &fields, Some(("huge.png", huge))).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = html(response).await;
    assert!(text(&page, "#cover-error").contains("5 MB"));
    assert_eq!(attr(&page, "input#title", "value").as_deref(), Some("Cover"));
    assert_eq!(app.count("select count(*) from posts").await, 0);
}
