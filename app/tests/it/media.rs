//! Stored images served at `/media/...`: from the local directory, from an S3-compatible bucket,
//! and nothing else.

use std::io::Cursor;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use app::media::{ImageKind, ProcessedImage, process};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

fn cover() -> ProcessedImage {
    photo(120, 80, ImageKind::Cover)
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Sends `path` exactly as written: HTTP clients tidy `..` out of URLs before sending, attackers
/// do not. Returns the status code.
async fn raw_get(addr: SocketAddr, path: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let head = String::from_utf8_lossy(&response);
    let status = head.split(' ').nth(1).unwrap_or_default();
    status.parse().unwrap_or_else(|_| panic!("no status in {head:?}"))
}

#[tokio::test]
async fn a_saved_image_is_served_for_caching_forever() {
    let app = TestApp::spawn().await;
    let image = cover();
    let key = app.media.save(&image).await.unwrap();
    assert!(key.starts_with("images/") && key.ends_with(".jpg"), "{key}");
    assert_eq!(key.len(), "images/".len() + 32 + ".jpg".len(), "{key}");
    assert_eq!(app.media.save(&image).await.unwrap(), key, "same image, same key");

    let url = app.media.url(&key);
    assert_eq!(url, format!("/media/{key}"));
    let response = app.browser().get(&url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "image/jpeg");
    assert_eq!(
        header(&response, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&response, "content-length"),
        image.bytes().len().to_string()
    );
    assert!(
        response.headers().get("set-cookie").is_none(),
        "no session: shared caches may keep it"
    );
    assert_eq!(response.bytes().await.unwrap(), image.bytes());
}

#[tokio::test]
async fn missing_and_malformed_keys_are_not_found() {
    let app = TestApp::spawn().await;
    let key = app.media.save(&cover()).await.unwrap();
    let browser = app.browser();
    for path in [
        "/media/images/00000000000000000000000000000000.jpg",
        "/media/images",
        "/media/",
        // The stored file, under a name that is not its key.
        &format!("/media/{}", key.to_uppercase()),
        &format!("/media/{}", key.replace(".jpg", ".html")),
    ] {
        let response = browser.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn paths_out_of_the_media_directory_are_not_found() {
    let app = TestApp::spawn().await;
    // A real image right beside the media directory, for a traversal to find.
    let outside = format!("{}.jpg", uuid::Uuid::new_v4().simple());
    let beside = app.media_dir.parent().unwrap().join(&outside);
    std::fs::write(&beside, cover().bytes()).unwrap();

    for path in [
        format!("/media/../{outside}"),
        format!("/media/images/../../{outside}"),
        format!("/media/%2e%2e/{outside}"),
        format!("/media/images/..%2f..%2f{outside}"),
        format!("/media/images%2f..%2f..%2f{outside}"),
        "/media/../../../../etc/passwd".to_owned(),
        "/media/%2e%2e/%2e%2e/%2e%2e/etc/hostname".to_owned(),
    ] {
        assert_eq!(raw_get(app.addr, &path).await, 404, "{path}");
    }
    std::fs::remove_file(beside).unwrap();
}

/// moto's S3-compatible server on a free port, stopped when dropped.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server runs: `pip install \"moto[server]\"` (scripts/test installs it)");
        let server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..300 {
            if reqwest::get(&server.endpoint).await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "moto_server did not answer on {} within 30 seconds",
            server.endpoint
        );
    }

    async fn create_bucket(&self, name: &str) {
        let response = reqwest::Client::new()
            .put(format!("{}/{name}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{response:?}");
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn images_round_trip_through_an_s3_bucket() {
    let s3 = S3Server::start().await;
    s3.create_bucket("bocha-media").await;
    let endpoint = s3.endpoint.clone();
    let app = TestApp::spawn_with(|config| {
        config.media.s3_bucket = Some("bocha-media".to_owned());
        config.media.s3_endpoint = Some(endpoint);
        config.media.aws_access_key_id = Some("test-key".to_owned());
        config.media.aws_secret_access_key = Some("test-secret".to_owned());
    })
    .await;

    let image = cover();
    let key = app.media.save(&image).await.unwrap();

    // It went to the bucket (whose listing moto shows to anyone), and nowhere on disk.
    let listing = reqwest::get(format!("{}/bocha-media?list-type=2", s3.endpoint))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listing.contains(&format!("<Key>{key}</Key>")), "{listing}");
    assert!(!app.media_dir.exists(), "the local directory is not used");

    let response = app.browser().get(&app.media.url(&key)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "content-type"), "image/jpeg");
    assert_eq!(response.bytes().await.unwrap(), image.bytes());

    let missing = app
        .browser()
        .get("/media/images/00000000000000000000000000000000.jpg")
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

fn png_of(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let photo = RgbImage::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, shade]));
    let mut png = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(photo)
        .write_to(&mut png, ImageFormat::Png)
        .unwrap();
    png.into_inner()
}

/// A post form with a cover: previewed only (`preview`), or published (`publish`).
async fn cover_form(browser: &Browser, action: &str, shade: u8) -> reqwest::Response {
    let fields = [
        ("title", "Covered"),
        ("description", "d"),
        ("body", "b"),
        ("tags", ""),
        ("action", action),
    ];
    crate::blog::post_form(
        browser,
        "/posts/new",
        &fields,
        Some(("c.png", png_of(300, 200, shade))),
    )
    .await
}

#[tokio::test]
async fn a_cover_nothing_ever_used_is_swept_and_a_published_one_is_kept() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("vera").await;
    assert_eq!(cover_form(&author, "preview", 1).await.status(), StatusCode::OK);
    assert_eq!(
        cover_form(&author, "publish", 2).await.status(),
        StatusCode::SEE_OTHER
    );
    let keys: Vec<(String, bool)> = sqlx::query_as("select key, claimed from uploads order by claimed")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let [(previewed, false), (published, true)] = keys.as_slice() else {
        panic!("one preview and one published cover: {keys:?}");
    };

    // A day old or not, the published cover stays; only the unused one goes, with its file.
    let kept = app::media::pending::KEPT_UNUSED;
    assert_eq!(
        app::media::pending::sweep(&app.db.pool, &app.media, kept)
            .await
            .unwrap(),
        0
    );
    let swept = app::media::pending::sweep(&app.db.pool, &app.media, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(
        app.browser().get(&app.media.url(previewed)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.browser().get(&app.media.url(published)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn uploads_are_limited_per_person_with_a_message_beside_the_field() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("walt").await;
    for shade in 0..30 {
        assert_eq!(
            cover_form(&author, "preview", shade).await.status(),
            StatusCode::OK
        );
    }
    let refused = cover_form(&author, "preview", 99).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let html = scraper::Html::parse_document(&refused.text().await.unwrap());
    assert!(text(&html, ".field-error, .form-errors, [id$=-error]").contains("uploaded many images"));
    assert_eq!(
        attr(&html, "input[name=title]", "value").as_deref(),
        Some("Covered"),
        "what was typed is kept"
    );
}

fn photo(width: u32, height: u32, kind: ImageKind) -> ProcessedImage {
    let pixels = RgbImage::from_fn(width, height, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut png = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut png, ImageFormat::Png)
        .unwrap();
    process(png.get_ref(), kind).unwrap()
}

async fn width_of(app: &TestApp, url: &str) -> u32 {
    let response = app.browser().get(url).await;
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    assert_eq!(
        header(&response, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    let bytes = response.bytes().await.unwrap();
    image::load_from_memory(&bytes).unwrap().width()
}

#[tokio::test]
async fn narrower_copies_are_made_once_at_our_widths_and_go_with_their_image() {
    let app = TestApp::spawn().await;
    let key = app
        .media
        .save(&photo(2000, 1000, ImageKind::Cover))
        .await
        .unwrap();
    let stem = key.trim_end_matches(".jpg");

    for width in [480, 960] {
        let copy = format!("{stem}.w{width}.jpg");
        assert!(
            app.media.open(&copy).await.unwrap().is_none(),
            "not made before it is asked for"
        );
        assert_eq!(width_of(&app, &format!("/media/{copy}")).await, width);
        assert!(app.media.open(&copy).await.unwrap().is_some(), "stored once made");
        assert_eq!(
            width_of(&app, &format!("/media/{copy}")).await,
            width,
            "served as stored"
        );
    }
    for refused in [
        format!("/media/{stem}.w500.jpg"),
        format!("/media/{stem}.w0480.jpg"),
        "/media/images/0123456789abcdef0123456789abcdef.w480.jpg".to_owned(),
        format!("/media/{stem}.w480.png"),
    ] {
        assert_eq!(
            app.browser().get(&refused).await.status(),
            StatusCode::NOT_FOUND,
            "{refused}"
        );
    }

    // An avatar (256 wide) has copies at 64 and 128; asked wider, it is its own copy.
    let avatar = app.media.save(&photo(300, 300, ImageKind::Avatar)).await.unwrap();
    let avatar_stem = avatar.trim_end_matches(".jpg");
    assert_eq!(width_of(&app, &format!("/media/{avatar_stem}.w64.jpg")).await, 64);
    assert_eq!(
        width_of(&app, &format!("/media/{avatar_stem}.w480.jpg")).await,
        256
    );

    // Deleting an image (replaced, swept or erased) deletes its copies.
    app.media.delete(&key).await.unwrap();
    for width in [480, 960] {
        let copy = format!("/media/{stem}.w{width}.jpg");
        assert_eq!(
            app.browser().get(&copy).await.status(),
            StatusCode::NOT_FOUND,
            "{copy}"
        );
    }
}

#[tokio::test]
async fn pages_offer_covers_and_avatars_at_the_width_they_are_shown() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("pictured").await;
    let key = app
        .media
        .save(&photo(2000, 1000, ImageKind::Cover))
        .await
        .unwrap();
    let stem = key.trim_end_matches(".jpg");
    let fields = [
        ("title", "Pictured"),
        ("description", "d"),
        ("body", "b"),
        ("tags", ""),
        ("cover_url", &format!("/media/{key}")),
        ("action", "publish"),
    ];
    let response = crate::blog::post_form(&author, "/posts/new", &fields, None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let post = location(&response);

    let expected = format!("/media/{stem}.w480.jpg 480w, /media/{stem}.w960.jpg 960w, /media/{key} 1600w");
    let (_, home) = app.browser().page("/").await;
    assert_eq!(
        attr(&home, "img.post-card-cover", "srcset"),
        Some(expected.clone())
    );
    assert!(
        attr(&home, "img.post-card-cover", "sizes")
            .unwrap()
            .contains("11rem")
    );
    let (_, page) = app.browser().page(&post).await;
    assert_eq!(attr(&page, ".post-cover img", "srcset"), Some(expected));
    // Every candidate is there to be fetched.
    for width in [480, 960] {
        assert_eq!(
            width_of(&app, &format!("/media/{stem}.w{width}.jpg")).await,
            width
        );
    }
}

#[tokio::test]
async fn a_picture_added_to_a_posts_text_is_checked_kept_and_offered_at_the_width_shown() {
    let app = TestApp::spawn().await;
    let author = app.signed_in("vera").await;
    let upload = |bytes: Vec<u8>, name: &'static str| {
        let author = &author;
        async move {
            author
                .submit_multipart("/posts/images", &[], ("image", Some((name, bytes))))
                .await
        }
    };
    let refused = upload(b"not a picture".to_vec(), "notes.png").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused: serde_json::Value = refused.json().await.unwrap();
    assert!(
        refused["errors"]["image"][0]
            .as_str()
            .unwrap()
            .contains("not a PNG")
    );
    assert_eq!(
        app.browser()
            .submit_multipart(
                "/posts/images",
                &[],
                ("image", Some(("a.png", png_of(40, 30, 1))))
            )
            .await
            .status(),
        StatusCode::SEE_OTHER,
        "signed in only"
    );

    let used = upload(png_of(1200, 800, 2), "teapot.png").await;
    assert_eq!(used.status(), StatusCode::CREATED);
    let used: serde_json::Value = used.json().await.unwrap();
    let src = used["src"].as_str().unwrap().to_owned();
    let (used, size) = src.split_once('?').unwrap();
    assert_eq!(size, "w=1200&h=800");
    let unused: serde_json::Value = upload(png_of(300, 200, 3), "spare.png")
        .await
        .json()
        .await
        .unwrap();
    let unused = unused["src"]
        .as_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    let body = format!("Our teapot:\n\n![A blue teapot]({src})");
    let slug = crate::blog::publish(&author, "Teapots", &body, "").await;
    let (_, page) = app.browser().page(&format!("/posts/{slug}")).await;
    let picture = select(&page, ".post-body img");
    let picture = picture.first().expect("the picture is in the post");
    assert_eq!(picture.value().attr("alt"), Some("A blue teapot"));
    assert_eq!(picture.value().attr("loading"), Some("lazy"));
    assert_eq!(picture.value().attr("src"), Some(used));
    assert_eq!(
        (picture.value().attr("width"), picture.value().attr("height")),
        (Some("1200"), Some("800")),
        "it holds its place before it arrives"
    );
    let srcset = picture.value().attr("srcset").unwrap().to_owned();
    let narrow = srcset.split(' ').next().unwrap();
    assert_eq!(app.browser().get(narrow).await.status(), StatusCode::OK);

    // The one the post shows stays however old; the one nothing used goes.
    let swept = app::media::pending::sweep(&app.db.pool, &app.media, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(swept, 1);
    assert_eq!(app.browser().get(used).await.status(), StatusCode::OK);
    assert_eq!(app.browser().get(&unused).await.status(), StatusCode::NOT_FOUND);
}

/// What Chromium sends for an `<img>`.
const ACCEPTS_WEBP: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

async fn fetch(app: &TestApp, path: &str, accept: &str) -> (String, Vec<u8>) {
    let response = reqwest::Client::new()
        .get(app.url(path))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(header(&response, "vary"), "accept", "{path}");
    let content_type = header(&response, "content-type");
    (content_type, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn browsers_that_accept_webp_get_a_smaller_webp_at_the_same_address() {
    let app = TestApp::spawn().await;
    let key = app
        .media
        .save(&photo(2000, 1000, ImageKind::Cover))
        .await
        .unwrap();
    let stem = key.trim_end_matches(".jpg");

    for (path, width, webp_key) in [
        (format!("/media/{key}"), 1600, format!("{stem}.webp")),
        (
            format!("/media/{stem}.w480.jpg"),
            480,
            format!("{stem}.w480.webp"),
        ),
    ] {
        let (jpeg_type, jpeg) = fetch(&app, &path, "*/*").await;
        assert_eq!(jpeg_type, "image/jpeg", "{path}");
        assert!(
            app.media.open(&webp_key).await.unwrap().is_none(),
            "made when asked for"
        );

        let (webp_type, webp) = fetch(&app, &path, ACCEPTS_WEBP).await;
        assert_eq!(webp_type, "image/webp", "{path}");
        assert_eq!(image::guess_format(&webp).unwrap(), ImageFormat::WebP);
        assert!(
            webp.len() * 10 < jpeg.len() * 9,
            "{path}: WebP {} bytes, JPEG {}",
            webp.len(),
            jpeg.len()
        );
        let shown = image::load_from_memory(&webp).unwrap();
        assert_eq!((shown.width(), shown.height()), (width, width / 2), "{path}");
        assert!(
            app.media.open(&webp_key).await.unwrap().is_some(),
            "kept once made"
        );
        assert_eq!(
            fetch(&app, &path, ACCEPTS_WEBP).await.1,
            webp,
            "the same bytes after"
        );
        assert_eq!(fetch(&app, &path, "image/webp;q=0, */*").await.0, "image/jpeg");
    }

    // The copies go with their image.
    app.media.delete(&key).await.unwrap();
    for webp_key in [format!("{stem}.webp"), format!("{stem}.w480.webp")] {
        assert!(app.media.open(&webp_key).await.unwrap().is_none(), "{webp_key}");
    }
    let gone = reqwest::Client::new()
        .get(app.url(&format!("/media/{key}")))
        .header("accept", ACCEPTS_WEBP)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_image_webp_would_not_shrink_is_sent_as_stored_to_every_browser() {
    let app = TestApp::spawn().await;
    // Noise with transparency: stored as PNG, and lossless WebP of it is no smaller.
    let mut seed = 0x2545_f491_u32;
    let mut noise = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed & 0xff) as u8
    };
    let pixels = RgbaImage::from_fn(8, 8, |_, _| Rgba([noise(), noise(), noise(), noise()]));
    let mut png = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(pixels)
        .write_to(&mut png, ImageFormat::Png)
        .unwrap();
    let key = app
        .media
        .save(&process(png.get_ref(), ImageKind::Cover).unwrap())
        .await
        .unwrap();
    assert!(key.ends_with(".png"), "{key}");
    let path = format!("/media/{key}");

    for _ in 0..2 {
        let (content_type, bytes) = fetch(&app, &path, ACCEPTS_WEBP).await;
        assert_eq!(content_type, "image/png");
        assert_eq!(image::guess_format(&bytes).unwrap(), ImageFormat::Png);
    }
    let webp_key = key.replace(".png", ".webp");
    let kept = app
        .media
        .open(&webp_key)
        .await
        .unwrap()
        .expect("the decision is kept");
    assert_eq!(kept.size, 0, "and no WebP with it");
    assert_eq!(
        app.browser().get(&format!("/media/{webp_key}")).await.status(),
        StatusCode::NOT_FOUND
    );
}
