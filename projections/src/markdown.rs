//! Markdown to safe HTML, done once when an event is projected, never per page view.
//!
//! pulldown-cmark renders CommonMark (with tables, strikethrough and task lists); ammonia then
//! keeps only an allow-list of tags and attributes and only http(s) and mailto links, so no
//! script, event handler, `javascript:` URL or style survives whatever the author writes.

use std::collections::HashSet;
use std::sync::LazyLock;

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
        .add_tag_attributes("th", ["align"]);
    builder
});

/// Renders `markdown` to sanitized HTML.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, unlink_refused(Parser::new_ext(markdown, options)));
    // Wide code blocks and tables scroll sideways inside the page; they take focus so that a
    // keyboard can scroll them too.
    SANITIZER
        .clean(&raw)
        .to_string()
        .replace("<pre>", "<pre tabindex=\"0\">")
        .replace("<table>", "<table tabindex=\"0\">")
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
            "# Title\n\n- one\n- two\n\n> quoted\n\n```rust\nfn main() {}\n```\n\n[link](https://example.com) ![alt](/media/a.png)",
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
