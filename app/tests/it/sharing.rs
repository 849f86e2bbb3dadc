//! What is read away from the site: shared links' cards and canonical addresses, the Atom feeds,
//! the sitemap and robots.txt.

use reqwest::StatusCode;
use scraper::Html;

use crate::blog::{png, post_form, publish};
use crate::helpers::*;

const ATOM: &str = "http://www.w3.org/2005/Atom";

fn meta(page: &Html, property: &str) -> Option<String> {
    attr(
        page,
        &format!("meta[property='{property}'], meta[name='{property}']"),
        "content",
    )
}

#[tokio::test]
async fn a_shared_post_profile_tag_or_home_shows_a_card_and_one_canonical_address() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("sharer").await;
    let fields = [
        ("title", "Worth sharing"),
        ("description", "Why this is worth a read"),
        ("body", "b"),
        ("tags", "Tea"),
        ("action", "publish"),
    ];
    let response = post_form(&author, "/posts/new", &fields, Some(("c.png", png(1200, 630)))).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let slug = location(&response).trim_start_matches("/posts/").to_owned();

    let (_, post) = app.browser().page(&format!("/posts/{slug}")).await;
    let here = app.url(&format!("/posts/{slug}"));
    assert_eq!(attr(&post, "link[rel=canonical]", "href"), Some(here.clone()));
    assert_eq!(meta(&post, "og:url"), Some(here));
    assert_eq!(meta(&post, "og:type").as_deref(), Some("article"));
    assert_eq!(meta(&post, "og:title").as_deref(), Some("Worth sharing"));
    assert_eq!(
        meta(&post, "og:description").as_deref(),
        Some("Why this is worth a read")
    );
    assert_eq!(
        meta(&post, "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    assert_eq!(meta(&post, "article:tag").as_deref(), Some("tea"));
    assert_eq!(meta(&post, "article:author"), Some(app.url("/@sharer")));
    let image = meta(&post, "og:image").expect("the cover is the card's picture");
    assert!(image.starts_with(&app.url("/media/")), "{image}");
    let path = image.strip_prefix(&app.url("")).unwrap();
    assert_eq!(app.browser().get(path).await.status(), StatusCode::OK);
    assert_eq!(
        attr(
            &post,
            "link[rel=alternate][type='application/atom+xml'][href$='/@sharer/feed.xml']",
            "href"
        ),
        Some("/@sharer/feed.xml".to_owned())
    );

    let (_, profile) = app.browser().page("/@sharer").await;
    assert_eq!(
        attr(&profile, "link[rel=canonical]", "href"),
        Some(app.url("/@sharer"))
    );
    assert_eq!(meta(&profile, "og:type").as_deref(), Some("profile"));
    assert_eq!(meta(&profile, "twitter:card").as_deref(), Some("summary"));

    let (_, tag) = app.browser().page("/tags/tea").await;
    assert_eq!(
        attr(&tag, "link[rel=canonical]", "href"),
        Some(app.url("/tags/tea"))
    );
    assert!(meta(&tag, "og:title").unwrap().contains("tea"));
    let (_, later) = app.browser().page("/tags/tea?page=2").await;
    assert_eq!(
        attr(&later, "link[rel=canonical]", "href"),
        Some(app.url("/tags/tea?page=2"))
    );

    let (_, home) = app.browser().page("/").await;
    assert_eq!(attr(&home, "link[rel=canonical]", "href"), Some(app.url("/")));
    let (_, search) = app.browser().page("/search?q=worth").await;
    assert!(
        select(&search, "link[rel=canonical]").is_empty(),
        "results are not a page to index"
    );
}

/// The entry titles of an Atom feed, after checking what RFC 4287 requires of it: one id,
/// title and updated time for the feed and each entry, absolute ids, RFC 3339 times, a link to
/// itself, an author for every entry, and the whole post as HTML.
fn atom_entries(xml: &str, self_url: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let feed = doc.root_element();
    assert!(feed.has_tag_name((ATOM, "feed")), "an Atom feed");
    let only = |node: roxmltree::Node<'_, '_>, name: &str| -> String {
        let found: Vec<_> = node.children().filter(|c| c.has_tag_name((ATOM, name))).collect();
        assert_eq!(found.len(), 1, "exactly one {name}");
        found[0].text().unwrap_or_default().to_owned()
    };
    let time = |value: String| {
        chrono::DateTime::parse_from_rfc3339(&value).unwrap_or_else(|_| panic!("{value} is not RFC 3339"));
    };
    assert_eq!(only(feed, "id"), self_url);
    assert!(!only(feed, "title").is_empty());
    time(only(feed, "updated"));
    let links: Vec<_> = feed
        .children()
        .filter(|c| c.has_tag_name((ATOM, "link")))
        .collect();
    assert!(
        links
            .iter()
            .any(|l| l.attribute("rel") == Some("self") && l.attribute("href") == Some(self_url))
    );
    let mut ids = std::collections::HashSet::new();
    feed.children()
        .filter(|c| c.has_tag_name((ATOM, "entry")))
        .map(|entry| {
            let id = only(entry, "id");
            assert!(id.starts_with("http://"), "{id} is absolute");
            assert!(ids.insert(id.clone()), "{id} once");
            time(only(entry, "updated"));
            time(only(entry, "published"));
            let author = entry
                .children()
                .find(|c| c.has_tag_name((ATOM, "author")))
                .expect("an author");
            assert!(!only(author, "name").is_empty());
            let content = entry
                .children()
                .find(|c| c.has_tag_name((ATOM, "content")))
                .expect("the post");
            assert_eq!(content.attribute("type"), Some("html"));
            (
                only(entry, "title"),
                content.text().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn feeds_carry_whole_posts_for_the_site_an_author_and_a_tag() {
    let app = TestApp::spawn().await;
    let feeder = app.signed_in("feeder").await;
    let other = app.signed_in("other").await;
    publish(
        &feeder,
        "Fresh & New",
        "Some **bold** words and ![a pot](/media/pot.png)",
        "News",
    )
    .await;
    publish(&other, "Elsewhere", "text", "sport").await;

    for (path, expected) in [
        ("/feed.xml", vec!["Elsewhere", "Fresh & New"]),
        ("/@feeder/feed.xml", vec!["Fresh & New"]),
        ("/tags/news/feed.xml", vec!["Fresh & New"]),
        ("/tags/nothing/feed.xml", vec![]),
    ] {
        let response = app.browser().get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with("application/atom+xml"),
            "{path}: {content_type}"
        );
        let entries = atom_entries(&response.text().await.unwrap(), &app.url(path));
        let titles: Vec<&str> = entries.iter().map(|(title, _)| title.as_str()).collect();
        assert_eq!(titles, expected, "{path}");
        if let Some((_, content)) = entries.iter().find(|(title, _)| title == "Fresh & New") {
            assert!(content.contains("<strong>bold</strong>"), "{content}");
            assert!(content.contains("src=\"/media/pot.png\""), "{content}");
        }
    }
    let moved = app.browser().get("/tags/NEWS/feed.xml").await;
    assert_eq!(moved.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(location(&moved), "/tags/news/feed.xml");
    assert_eq!(
        app.browser().get("/@nobody/feed.xml").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.browser().get("/feeder/feed.xml").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_sitemap_lists_what_readers_may_see_and_robots_points_to_it() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("mapper").await;
    let shown = publish(&author, "On the map", "b", "").await;
    let hidden = publish(&author, "Taken down", "b", "").await;
    let staff = app.staff("sam").await;
    let response = staff
        .submit(
            &format!("/posts/{hidden}/moderate"),
            &[("hide", "yes"), ("reason", "Spam")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let response = app.browser().get("/sitemap.xml").await;
    assert_eq!(response.status(), StatusCode::OK);
    let xml = response.text().await.unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let sitemaps = "http://www.sitemaps.org/schemas/sitemap/0.9";
    assert!(doc.root_element().has_tag_name((sitemaps, "urlset")));
    let locations: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name((sitemaps, "loc")))
        .filter_map(|n| n.text())
        .collect();
    assert!(locations.contains(&app.url("/").as_str()), "{locations:?}");
    assert!(
        locations.contains(&app.url(&format!("/posts/{shown}")).as_str()),
        "{locations:?}"
    );
    assert!(!locations.iter().any(|l| l.ends_with(&hidden)), "{locations:?}");

    let robots = app.browser().get("/robots.txt").await.text().await.unwrap();
    assert!(
        robots.contains(&format!("Sitemap: {}", app.url("/sitemap.xml"))),
        "{robots}"
    );
    assert!(robots.contains("Disallow: /chat"), "{robots}");
}
