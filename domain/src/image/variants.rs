//! Narrower copies of stored images, for `srcset`: a phone showing a card need not download a
//! 1,600-pixel cover. A copy is made the first time it is asked for, from the stored image, and
//! stored beside it as `images/<hash>.w<width>.<ext>`, so each is made once, whatever the
//! traffic, and only at the few widths below. Here is how they are named; the media store makes
//! them, and pages and rendered posts offer them.
//!
//! Each image and each copy also has a WebP copy, `images/<hash>[.w<width>].webp`, sent in its
//! place to browsers that accept WebP (the address stays the one pages name: the media store
//! chooses by the request's `Accept`), so no page needs to know which formats exist.

use super::URL_PREFIX;

/// The widths copies are made at: avatars (64, 128; they are stored at 256) and covers (480,
/// 960; stored within 1,600).
pub const WIDTHS: [u32; 4] = [64, 128, 480, 960];

/// `images/<hash>.w<width>.<ext>` → the key of the image it is a copy of, and the width.
pub fn parse(key: &str) -> Option<(String, u32)> {
    let (stem, extension) = key.strip_prefix("images/")?.rsplit_once('.')?;
    let (hash, width) = stem.split_once(".w")?;
    let width_value: u32 = width.parse().ok()?;
    // One spelling per width ("w064" is not "w64"), so one stored copy per width.
    let canonical = width_value.to_string() == width;
    (is_hash(hash) && canonical && WIDTHS.contains(&width_value))
        .then(|| (format!("images/{hash}.{extension}"), width_value))
}

/// The narrower copies of the image stored under `key`, one for each of [`WIDTHS`] in order.
pub fn copies_of(key: &str) -> Vec<String> {
    let Some((stem, extension)) = key.strip_prefix("images/").and_then(|k| k.rsplit_once('.')) else {
        return Vec::new();
    };
    if !is_hash(stem) {
        return Vec::new();
    }
    WIDTHS
        .iter()
        .map(|width| format!("images/{stem}.w{width}.{extension}"))
        .collect()
}

/// The keys of every copy of the image stored under `key`: its narrower copies and the WebP
/// copies of it and of them. What goes when the image goes.
pub fn keys_of(key: &str) -> Vec<String> {
    let copies = copies_of(key);
    let webp = std::iter::once(key)
        .chain(copies.iter().map(String::as_str))
        .filter_map(webp_of)
        .collect::<Vec<_>>();
    copies.into_iter().chain(webp).collect()
}

/// Where the WebP copy of the image or narrower copy under `key` is kept:
/// `images/<hash>[.w<width>].<jpg|png>` → `images/<hash>[.w<width>].webp`. `None` for any other
/// key, a WebP copy's own included.
pub fn webp_of(key: &str) -> Option<String> {
    let (stem, extension) = key.strip_prefix("images/")?.rsplit_once('.')?;
    let ours = matches!(extension, "jpg" | "png") && (is_hash(stem) || parse(key).is_some());
    ours.then(|| format!("images/{stem}.webp"))
}

/// A `srcset` value for the image at `url` (at most `full` pixels wide): its copies at `widths`
/// and itself; empty for an image that is not ours.
pub fn srcset(url: &str, widths: &[u32], full: u32) -> String {
    let Some(key) = url.strip_prefix(URL_PREFIX) else {
        return String::new();
    };
    let copies = copies_of(key);
    if copies.is_empty() {
        return String::new();
    }
    let mut candidates: Vec<String> = WIDTHS
        .iter()
        .zip(&copies)
        .filter(|(width, _)| widths.contains(width) && **width < full)
        .map(|(width, copy)| format!("{URL_PREFIX}{copy} {width}w"))
        .collect();
    candidates.push(format!("{url} {full}w"));
    candidates.join(", ")
}

/// The address a post's text refers to one of our pictures by: its URL and its size, so the
/// page holds the picture's place before it arrives. The server reads only the path.
pub fn sized(url: &str, width: u32, height: u32) -> String {
    format!("{url}?w={width}&h={height}")
}

/// What [`sized`] made: the picture's URL and its size, if the query gives a sensible one.
/// (`&` may arrive as `&amp;`, as HTML writes it.)
pub fn size_of(src: &str) -> (&str, Option<(u32, u32)>) {
    let Some((url, query)) = src.split_once('?') else {
        return (src, None);
    };
    let query = query.replace("&amp;", "&");
    let mut width = None;
    let mut height = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("w", value)) => width = value.parse::<u32>().ok(),
            Some(("h", value)) => height = value.parse::<u32>().ok(),
            _ => {}
        }
    }
    let sensible = |n: &u32| (1..=20_000).contains(n);
    match (width.filter(sensible), height.filter(sensible)) {
        (Some(width), Some(height)) => (url, Some((width, height))),
        _ => (url, None),
    }
}

fn is_hash(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn only_our_widths_of_our_images_are_copies() {
        assert_eq!(
            parse(&format!("images/{HASH}.w480.jpg")),
            Some((format!("images/{HASH}.jpg"), 480))
        );
        for other in [
            format!("images/{HASH}.jpg"),
            format!("images/{HASH}.w481.jpg"),
            format!("images/{HASH}.w0480.jpg"),
            format!("images/{HASH}.w+480.jpg"),
            "images/nothex.w480.jpg".to_owned(),
            format!("chat/{HASH}.w480.jpg"),
        ] {
            assert_eq!(parse(&other), None, "{other}");
        }
    }

    #[test]
    fn images_and_their_copies_have_webp_copies_that_go_with_them() {
        assert_eq!(
            webp_of(&format!("images/{HASH}.jpg")),
            Some(format!("images/{HASH}.webp"))
        );
        assert_eq!(
            webp_of(&format!("images/{HASH}.w480.png")),
            Some(format!("images/{HASH}.w480.webp"))
        );
        for other in [
            format!("images/{HASH}.webp"),
            format!("images/{HASH}.w480.webp"),
            format!("images/{HASH}.w481.jpg"),
            format!("chat/{HASH}.jpg"),
            "images/nothex.jpg".to_owned(),
        ] {
            assert_eq!(webp_of(&other), None, "{other}");
        }
        let keys = keys_of(&format!("images/{HASH}.jpg"));
        assert_eq!(keys.len(), 2 * WIDTHS.len() + 1);
        assert!(keys.contains(&format!("images/{HASH}.w960.jpg")));
        assert!(keys.contains(&format!("images/{HASH}.webp")));
        assert!(keys.contains(&format!("images/{HASH}.w64.webp")));
    }

    #[test]
    fn a_pictures_size_rides_on_its_address() {
        let url = format!("/media/images/{HASH}.jpg");
        let src = sized(&url, 1200, 800);
        assert_eq!(size_of(&src), (url.as_str(), Some((1200, 800))));
        assert_eq!(
            size_of(&src.replace('&', "&amp;")),
            (url.as_str(), Some((1200, 800)))
        );
        assert_eq!(size_of(&url), (url.as_str(), None));
        assert_eq!(size_of(&format!("{url}?w=0&h=5")), (url.as_str(), None));
        assert_eq!(size_of(&format!("{url}?w=x&h=5")), (url.as_str(), None));
    }

    #[test]
    fn srcset_lists_the_copies_then_the_image() {
        let url = format!("/media/images/{HASH}.jpg");
        assert_eq!(
            srcset(&url, &[480, 960], 1600),
            format!("/media/images/{HASH}.w480.jpg 480w, /media/images/{HASH}.w960.jpg 960w, {url} 1600w")
        );
        assert_eq!(
            srcset(&url, &[64, 128], 256),
            format!("/media/images/{HASH}.w64.jpg 64w, /media/images/{HASH}.w128.jpg 128w, {url} 256w")
        );
        assert_eq!(srcset("https://elsewhere.example/a.jpg", &[480], 1600), "");
        assert_eq!(
            srcset(&format!("/media/images/{HASH}.w480.jpg"), &[480], 1600),
            ""
        );
    }
}
