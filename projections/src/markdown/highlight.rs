//! Fenced code blocks coloured by their language, once, when the Markdown is rendered.
//!
//! The output marks each token with classes named for its kind (`hl-keyword`, `hl-string`…),
//! never with colours, so the stylesheet colours them for the light and the dark theme alike.

use std::sync::LazyLock;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Tag, TagEnd};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// The prefix of every class a highlighted token carries (and the only classes kept).
pub(super) const PREFIX: &str = "hl-";
/// Longer blocks stay plain: colouring costs time in proportion to the code, and a post's
/// rendering must stay quick however much of it is code.
const MAX_BLOCK: usize = 20_000;
/// How much code one document colours in all.
const MAX_TOTAL: usize = 60_000;

/// Loaded on the first coloured block, not at start-up.
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Replaces each fenced block whose language is known with its coloured HTML; any other block
/// passes through as it was.
pub(super) fn highlight_code<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    let mut budget = MAX_TOTAL;
    let mut block: Option<(String, String)> = None;
    events.flat_map(move |event| -> Vec<Event<'a>> {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(language)))
                if block.is_none() && !language.is_empty() =>
            {
                block = Some((language.to_string(), String::new()));
                Vec::new()
            }
            Event::Text(text) if block.is_some() => {
                if let Some((_, code)) = &mut block {
                    code.push_str(&text);
                }
                Vec::new()
            }
            Event::End(TagEnd::CodeBlock) if block.is_some() => {
                let Some((language, code)) = block.take() else {
                    return Vec::new();
                };
                let coloured = (code.len() <= MAX_BLOCK && code.len() <= budget)
                    .then(|| colour(&code, &language))
                    .flatten();
                match coloured {
                    Some(html) => {
                        budget -= code.len();
                        vec![Event::Html(CowStr::from(format!(
                            "<pre><code>{html}</code></pre>\n"
                        )))]
                    }
                    None => plain(language, code),
                }
            }
            event => vec![event],
        }
    })
}

/// A block as pulldown-cmark would have rendered it.
fn plain<'a>(language: String, code: String) -> Vec<Event<'a>> {
    vec![
        Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(language.into()))),
        Event::Text(code.into()),
        Event::End(TagEnd::CodeBlock),
    ]
}

/// The code as HTML with classed spans, or `None` for a language the grammars do not know (or
/// a line they fail on).
fn colour(code: &str, language: &str) -> Option<String> {
    let token = language.split([' ', ',', '{']).next().unwrap_or_default();
    let syntax = SYNTAXES.find_syntax_by_token(token)?;
    let mut generator = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        &SYNTAXES,
        ClassStyle::SpacedPrefixed { prefix: PREFIX },
    );
    for line in LinesWithEndings::from(code) {
        generator.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(generator.finalize())
}

/// Whether a `class` value is one the highlighter writes: every name carries its prefix.
pub(super) fn is_token_class(value: &str) -> bool {
    value.split_whitespace().all(|name| name.starts_with(PREFIX))
}
