//! Markdown to safe HTML, done once when an event is projected, never per page view.
//!
//! pulldown-cmark renders CommonMark (with tables, strikethrough and task lists), fenced code in a
//! known language comes out coloured (see `highlight`); ammonia then keeps only an allow-list of
//! tags and attributes and only http(s) and mailto links, so no script, event handler,
//! `javascript:` URL or style survives whatever the author writes.

mod highlight;

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use domain::image::variants;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// The only schemes a link or image may use; addresses without one (relative) are kept too.
const SCHEMES: [&str; 3] = ["http", "https", "mailto"];

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(SCHEMES))
        .link_rel(Some("noopener noreferrer nofollow ugc"))
        .add_tags(["input"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attribute_values("input", "type", ["checkbox"])
        .add_tag_attributes("img", ["loading"])
        .add_tag_attributes("td", ["align"])
        .add_tag_attributes("th", ["align"])
        // The highlighter's token classes, and nothing else an author might write as a class.
        .add_tag_attributes("span", ["class"])
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("span", "class") if !highlight::is_token_class(value) => None,
            _ => Some(Cow::Borrowed(value)),
        });
    builder
});

/// Renders `markdown` to sanitized HTML.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    let events = highlight::highlight_code(unlink_refused(Parser::new_ext(markdown, options)));
    html::push_html(&mut raw, events);
    // Wide code blocks and tables scroll sideways inside the page; they take focus so that a
    // keyboard can scroll them too.
    let clean = SANITIZER
        .clean(&raw)
        .to_string()
        .replace("<pre>", "<pre tabindex=\"0\">")
        .replace("<table>", "<table tabindex=\"0\">");
    fitted_images(&clean)
}

/// The widths a picture in a post is offered at besides its own (stored within 1,600 px), and
/// how wide the post's column shows it.
const BODY_IMAGE_WIDTHS: [u32; 2] = [480, 960];
const BODY_IMAGE_SIZES: &str = "(max-width: 760px) 100vw, 720px";

/// Our own pictures in a post are offered at the width they are shown (`srcset`, as covers are)
/// and loaded when scrolled near, and hold their place before they arrive (their size rides on
/// their address, see [`variants::sized`]). Done on the sanitizer's output, whose `<img src="…"`
/// is always written alike, and only for addresses that name one of our stored images, so what
/// is written is made of our own names and numbers.
fn fitted_images(html: &str) -> String {
    const OURS: &str = "<img src=\"/media/images/";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(OURS) {
        let src_start = at + "<img src=\"".len();
        let Some(src_len) = rest[src_start..].find('"') else {
            break;
        };
        let (url, size) = variants::size_of(&rest[src_start..src_start + src_len]);
        // Stored within 1,600 px; narrower when its size says so.
        let full = size.map_or(1600, |(width, _)| width.min(1600));
        let srcset = variants::srcset(url, &BODY_IMAGE_WIDTHS, full);
        let after_src = src_start + src_len + 1;
        if srcset.is_empty() {
            out.push_str(&rest[..after_src]);
        } else {
            out.push_str(&rest[..at]);
            out.push_str(&format!("<img src=\"{url}\""));
            if let Some((width, height)) = size {
                out.push_str(&format!(" width=\"{width}\" height=\"{height}\""));
            }
            out.push_str(&format!(
                " srcset=\"{srcset}\" sizes=\"{BODY_IMAGE_SIZES}\" loading=\"lazy\" decoding=\"async\""
            ));
        }
        rest = &rest[after_src..];
    }
    out.push_str(rest);
    out
}

/// Links whose address the sanitizer would strip (`javascript:`, `data:`…) become their plain
/// text: left to it, they would stay links that lead nowhere.
fn unlink_refused<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    let mut open = Vec::new();
    events.filter(move |event| match event {
        Event::Start(Tag::Link { dest_url, .. }) => {
            let kept = allowed(dest_url);
            open.push(kept);
            kept
        }
        Event::End(TagEnd::Link) => open.pop().unwrap_or(true),
        _ => true,
    })
}

/// Whether the sanitizer keeps `address`: one without a scheme, or with an allowed one.
fn allowed(address: &str) -> bool {
    match url::Url::parse(address) {
        Ok(url) => SCHEMES.contains(&url.scheme()),
        Err(url::ParseError::RelativeUrlWithoutBase) => true,
        Err(_) => false,
    }
}

/// The first `max` characters of the text, without markup, for previews.
pub fn plain_excerpt(markdown: &str, max: usize) -> String {
    use pulldown_cmark::Event;
    let mut text = String::new();
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= max {
        joined
    } else {
        let cut: String = joined.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_markdown_renders() {
        let html = to_html(
            "# Title\n\n- one\n- two\n\n> quoted\n\n```\nfn main() {}\n```\n\n[link](https://example.com) ![alt](/media/a.png)",
        );
        for expected in [
            "<h1>Title</h1>",
            "<li>one</li>",
            "<blockquote>",
            "<pre tabindex=\"0\"><code",
            "fn main() {}",
            "href=\"https://example.com\"",
            "<img src=\"/media/a.png\" alt=\"alt\"",
        ] {
            assert!(html.contains(expected), "{expected} missing in {html}");
        }
        assert!(html.contains("rel=\"noopener noreferrer nofollow ugc\""));
    }

    #[test]
    fn our_pictures_come_in_the_widths_they_are_shown_and_others_stay_as_written() {
        let ours = "/media/images/0123456789abcdef0123456789abcdef.jpg";
        let html = to_html(&format!(
            "![A teapot]({ours}) ![theirs](https://example.com/a.jpg)"
        ));
        assert!(
            html.contains(&format!(
                "<img src=\"{ours}\" srcset=\"/media/images/0123456789abcdef0123456789abcdef.w480.jpg 480w, \
                 /media/images/0123456789abcdef0123456789abcdef.w960.jpg 960w, {ours} 1600w\" \
                 sizes=\"(max-width: 760px) 100vw, 720px\" loading=\"lazy\" decoding=\"async\" alt=\"A teapot\">"
            )),
            "{html}"
        );
        assert!(
            html.contains("<img src=\"https://example.com/a.jpg\" alt=\"theirs\">"),
            "{html}"
        );
        // Its size, from the address the editor wrote, holds its place.
        let html = to_html(&format!("![A teapot]({ours}?w=1200&h=800)"));
        assert!(
            html.starts_with(&format!(
                "<p><img src=\"{ours}\" width=\"1200\" height=\"800\" srcset="
            )),
            "{html}"
        );
        // An address that only looks like ours gains nothing.
        let html = to_html(
            "![x](/media/images/not-a-hash\".jpg) <img src=\"/media/images/abc.jpg\" srcset=\"https://evil.example/x 1w\">",
        );
        assert!(!html.contains("srcset"), "{html}");
    }

    #[test]
    fn hostile_input_loses_everything_active() {
        let attacks = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "[click](  javascript:alert(1))",
            "<a href=\"javascript&colon;alert(1)\">x</a>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<svg onload=alert(1)><circle/></svg>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
            "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
            "![x](javascript:alert(1))",
            "<object data=\"x\"></object><embed src=\"x\">",
            "<form action=\"https://evil.example\"><button>go</button></form>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<<script>script>alert(1)<</script>/script>",
            "<details open ontoggle=alert(1)>",
            "<input type=\"text\" onfocus=\"alert(1)\" autofocus>",
        ];
        for attack in attacks {
            let html = to_html(attack).to_lowercase();
            for forbidden in [
                "<script",
                "javascript:",
                "onerror",
                "onload",
                "ontoggle",
                "onfocus",
                "<iframe",
                "<svg",
                "style=",
                "data:text",
                "<object",
                "<embed",
                "<form",
                "<style",
            ] {
                assert!(!html.contains(forbidden), "{attack:?} produced {html:?}");
            }
        }
    }

    #[test]
    fn refused_links_are_plain_text_and_kept_ones_stay_links() {
        for attack in [
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "[click](data:text/html,x)",
            "[click](vbscript:x)",
        ] {
            let html = to_html(attack);
            assert_eq!(html.trim(), "<p>click</p>", "{attack}");
        }
        for kept in [
            "[a](https://example.com)",
            "[a](/posts/tea)",
            "[a](#part)",
            "[a](mailto:ann@example.com)",
        ] {
            assert!(to_html(kept).contains("<a href="), "{kept}");
        }
    }

    #[test]
    fn code_blocks_and_tables_take_focus_to_scroll() {
        let html = to_html("```\nfn main() {}\n```\n\n<pre>raw</pre>\n\n| a |\n|---|\n| b |");
        assert_eq!(html.matches("<pre tabindex=\"0\">").count(), 2, "{html}");
        assert_eq!(html.matches("<table tabindex=\"0\">").count(), 1, "{html}");
    }

    #[test]
    fn fenced_code_in_a_known_language_is_coloured_by_class() {
        let html = to_html("```rust\nfn main() { let s = \"<b>\"; } // done\n```");
        assert!(
            html.starts_with("<pre tabindex=\"0\"><code><span class=\"hl-source hl-rust\">"),
            "{html}"
        );
        assert!(
            html.contains("class=\"hl-storage hl-type hl-function hl-rust\">fn</span>"),
            "{html}"
        );
        assert!(html.contains("hl-comment"), "{html}");
        assert!(html.contains("&lt;b&gt;"), "the code stays text: {html}");
        assert!(!html.contains("style="), "{html}");
    }

    #[test]
    fn unknown_languages_long_blocks_and_authors_classes_stay_plain() {
        for markdown in [
            "```klingon\nqapla'\n```".to_owned(),
            format!("```rust\n{}\n```", "let x = 1;\n".repeat(3_000)),
            "```\nno language\n```".to_owned(),
        ] {
            let html = to_html(&markdown);
            assert!(!html.contains("hl-"), "{html}");
            assert!(html.contains("<pre tabindex=\"0\"><code"), "{html}");
        }
        let html = to_html("<span class=\"hl-keyword\">ok</span><span class=\"btn danger\">not</span>");
        assert!(html.contains("<span class=\"hl-keyword\">ok</span>"), "{html}");
        assert!(html.contains("<span>not</span>"), "{html}");
    }

    #[test]
    fn task_lists_keep_their_checkboxes_and_nothing_else() {
        let html = to_html("- [x] done\n- [ ] todo");
        assert!(html.contains("type=\"checkbox\""));
        assert!(html.contains("checked"));
    }

    #[test]
    fn excerpts_are_plain_text() {
        assert_eq!(
            plain_excerpt("# Hi\n\nSome **bold** text", 100),
            "Hi Some bold text"
        );
        assert_eq!(plain_excerpt("abcdef", 3), "abc…");
    }
}
