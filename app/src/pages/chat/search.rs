//! `/chat/search`: finding words in one's own conversations; each result opens its message in
//! context.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use crate::state::AppState;
use crate::usecases::chat::ChatFailure;
use crate::usecases::chat::search::{Piece, pieces};
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::views::{AuthorView, Date};

#[derive(Deserialize)]
pub(super) struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[derive(Serialize)]
struct ResultView {
    url: String,
    peer: AuthorView,
    sender: String,
    from_me: bool,
    sent: Date,
    excerpt: Vec<Piece>,
}

#[derive(Serialize)]
struct SearchView {
    layout: Layout,
    q: String,
    /// Whether something was searched for (and `results` are its answer).
    searched: bool,
    results: Vec<ResultView>,
    error: Option<String>,
}

pub(super) async fn show(
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
    CurrentUser(user): CurrentUser,
    layout: Layout,
) -> Result<Response, AppError> {
    let (status, results, error) = if query.q.trim().is_empty() {
        (StatusCode::OK, None, None)
    } else {
        match state.chats.search(&user, &query.q).await {
            Ok(hits) => {
                let results = hits
                    .into_iter()
                    .map(|hit| ResultView {
                        url: format!("/chat/{}?at={}#m{}", hit.room_id, hit.seq, hit.seq),
                        peer: AuthorView::new(
                            &hit.peer_username,
                            hit.peer_display_name.as_deref(),
                            None,
                            false,
                        ),
                        from_me: hit.sender == user.username,
                        sender: hit.sender,
                        sent: hit.sent_at.into(),
                        excerpt: pieces(&hit.excerpt),
                    })
                    .collect();
                (StatusCode::OK, Some(results), None)
            }
            Err(ChatFailure::Invalid(errors)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, None, Some(errors.sentences()))
            }
            Err(other) => return Err(other.into()),
        }
    };
    let view = SearchView {
        layout,
        q: query.q,
        searched: results.is_some(),
        results: results.unwrap_or_default(),
        error,
    };
    Ok(state.templates.page(status, "chat/search.html", &view)?)
}
