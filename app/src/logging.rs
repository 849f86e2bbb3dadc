//! Where log lines go and how they look: readable with colour on a terminal, JSON lines
//! otherwise (`LOG_FORMAT` overrides), always on stderr so commands that print data (an NDJSON
//! export) keep stdout clean. Each request runs in a span carrying its id, so every line it
//! causes names it.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// `LOG_FORMAT`: `text`, `json`, or unset (text on a terminal, JSON elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    /// From `LOG_FORMAT`, else from whether stderr is a terminal; an unknown value is reported
    /// and the default taken.
    pub fn from_env() -> (Self, Option<String>) {
        let default = if std::io::stderr().is_terminal() {
            Self::Text
        } else {
            Self::Json
        };
        match std::env::var("LOG_FORMAT").ok().as_deref().map(str::trim) {
            None | Some("") => (default, None),
            Some(raw) if raw.eq_ignore_ascii_case("json") => (Self::Json, None),
            Some(raw) if raw.eq_ignore_ascii_case("text") => (Self::Text, None),
            Some(other) => (
                default,
                Some(format!("LOG_FORMAT={other} is neither `text` nor `json`")),
            ),
        }
    }
}

/// Installs the global subscriber; `RUST_LOG` filters (default `info`).
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (format, problem) = Format::from_env();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        Format::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        Format::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .init(),
    }
    if let Some(problem) = problem {
        tracing::warn!("{problem}");
    }
}
