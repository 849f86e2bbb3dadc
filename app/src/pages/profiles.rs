//! Public profile pages at `/@username`: who they are, their posts and favorites, a follow
//! button, and a subscription to their posts by email.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use projections::chat::{blocks, requests, rooms};
use projections::posts::{self, PostFilter};
use projections::users::{self, UserRow};
use projections::{follows, subscriptions};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgExecutor};

use crate::state::AppState;
use crate::usecases::blog;
use crate::web::auth::{CurrentUser, MaybeUser};
use crate::web::csrf::{CsrfForm, NoFields};
use crate::web::error::AppError;
use crate::web::flash::Flash;
use crate::web::layout::Layout;
use crate::web::request::{Caller, RequestId};
use crate::web::views::{PAGE_SIZE, Pagination, PostCard, page_number};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{handle}", get(show_profile))
        .route("/{handle}/favorites", get(show_favorites))
        .route("/{handle}/follow", post(follow))
        .route("/{handle}/unfollow", post(unfollow))
        .route("/{handle}/subscribe", post(subscribe))
        .route("/{handle}/unsubscribe", post(unsubscribe))
}

#[derive(Serialize)]
struct ProfileView {
    layout: Layout,
    profile: Profile,
    /// Where the viewer stands in chat with this person (absent on your own profile and for
    /// visitors).
    chat: Option<ChatStanding>,
    /// `posts` or `favorites`.
    tab: &'static str,
    posts: Vec<PostCard>,
    pagination: Pagination,
}

#[derive(Serialize)]
struct Profile {
    username: String,
    display_name: String,
    bio: Option<String>,
    image: Option<String>,
    joined: String,
    joined_iso: String,
    is_self: bool,
    is_staff: bool,
    following: bool,
    followers: i64,
    follows: i64,
    url: String,
    /// The viewer and this author's posts by email: `self` (their own profile: `subscribers`
    /// counts who gets them), `active`, `pending` (a link to confirm was mailed), or `none`.
    subscription: &'static str,
    subscribers: Option<i64>,
}

#[derive(Serialize)]
struct ChatStanding {
    /// `none` (may ask), `outgoing` (asked, waiting), `incoming` (they asked), `open`, or
    /// `blocked` (they blocked the viewer, who may not write to them).
    state: &'static str,
    /// Whether the viewer blocked this person (they are offered to unblock).
    i_blocked: bool,
    /// The room, or the inbox where an incoming request is answered.
    url: String,
    /// Where to post a cancel of the viewer's own pending request.
    cancel_url: Option<String>,
}

async fn chat_standing(
    db: &mut PgConnection,
    viewer: uuid::Uuid,
    user: uuid::Uuid,
) -> Result<ChatStanding, AppError> {
    let chat = domain::chat::ChatId::for_pair(domain::user::UserId(viewer), domain::user::UserId(user));
    let between = blocks::between(&mut *db, viewer, user).await?;
    let standing = |state, url: String, cancel_url| ChatStanding {
        state,
        i_blocked: between.i_blocked,
        url,
        cancel_url,
    };
    if rooms::peer(&mut *db, chat.0, viewer).await?.is_some() {
        return Ok(standing("open", format!("/chat/{}", chat.0), None));
    }
    if between.any() {
        return Ok(standing("blocked", String::new(), None));
    }
    if let Some(request) = requests::pending_between(&mut *db, viewer, user).await? {
        let cancel_url = Some(format!("/chat/requests/{}/cancel", request.id));
        return Ok(standing("outgoing", "/chat".to_owned(), cancel_url));
    }
    if requests::pending_between(&mut *db, user, viewer).await?.is_some() {
        return Ok(standing("incoming", "/chat".to_owned(), None));
    }
    Ok(standing("none", "/chat/requests".to_owned(), None))
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

/// `/@name` → the user called `name`.
async fn user_at(db: impl PgExecutor<'_>, handle: &str) -> Result<UserRow, AppError> {
    let username = handle.strip_prefix('@').ok_or(AppError::NotFound)?;
    users::by_username(db, username).await?.ok_or(AppError::NotFound)
}

async fn render(
    state: &AppState,
    handle: &str,
    viewer: Option<UserRow>,
    layout: Layout,
    page: Option<i64>,
    tab: &'static str,
) -> Result<Response, AppError> {
    // One connection for every query: the pool checks a connection with a round trip to
    // Postgres every time one comes back to it.
    let mut db = state.db.acquire().await?;
    let user = user_at(&mut *db, handle).await?;
    let viewer_id = viewer.as_ref().map(|v| v.id);
    let following = match viewer_id {
        Some(me) => follows::is_following(&mut *db, me, user.id).await?,
        None => false,
    };
    let (followers, follows) = follows::counts(&mut *db, user.id).await?;
    let (subscription, subscribers) = match viewer_id {
        Some(me) if me == user.id => ("self", Some(subscriptions::count(&mut *db, me).await?)),
        Some(me) => match subscriptions::of_reader(&mut *db, me, user.id).await? {
            Some((_, true)) => ("active", None),
            Some((_, false)) => ("pending", None),
            None => ("none", None),
        },
        None => ("none", None),
    };
    let chat = match viewer_id {
        Some(me) if me != user.id => Some(chat_standing(&mut db, me, user.id).await?),
        _ => None,
    };
    let page = page_number(page);
    let filter = if tab == "favorites" {
        PostFilter {
            favorited_by: Some(user.username.clone()),
            ..PostFilter::default()
        }
    } else {
        PostFilter {
            author: Some(user.username.clone()),
            ..PostFilter::default()
        }
    };
    let found = posts::list(&mut *db, &filter, viewer_id, PAGE_SIZE, Pagination::offset(page)).await?;
    drop(db);
    let base = if tab == "favorites" {
        format!("/@{}/favorites", user.username)
    } else {
        format!("/@{}", user.username)
    };
    let profile = Profile {
        display_name: user.shown_name().to_owned(),
        joined: user.created_at.format("%B %-d, %Y").to_string(),
        joined_iso: user.created_at.to_rfc3339(),
        is_self: viewer_id == Some(user.id),
        is_staff: user.staff,
        url: format!("/@{}", user.username),
        following,
        followers,
        follows,
        subscription,
        subscribers,
        username: user.username,
        bio: user.bio,
        image: user.image,
    };
    let view = ProfileView {
        layout,
        profile,
        chat,
        tab,
        posts: found.items.iter().map(PostCard::from).collect(),
        pagination: Pagination::new(&base, page, found.total),
    };
    Ok(state
        .templates
        .page(StatusCode::OK, "profiles/show.html", &view)?)
}

async fn show_profile(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    Query(query): Query<PageQuery>,
    MaybeUser(viewer): MaybeUser,
    layout: Layout,
) -> Result<Response, AppError> {
    render(&state, &handle, viewer, layout, query.page, "posts").await
}

async fn show_favorites(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    Query(query): Query<PageQuery>,
    MaybeUser(viewer): MaybeUser,
    layout: Layout,
) -> Result<Response, AppError> {
    render(&state, &handle, viewer, layout, query.page, "favorites").await
}

async fn follow(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    CurrentUser(user): CurrentUser,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let followee = user_at(&state.db, &handle).await?;
    blog::follow(&state.commands, &user, &followee, true, &request_id).await?;
    Ok(Redirect::to(&format!("/@{}", followee.username)).into_response())
}

async fn unfollow(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    CurrentUser(user): CurrentUser,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let followee = user_at(&state.db, &handle).await?;
    blog::follow(&state.commands, &user, &followee, false, &request_id).await?;
    Ok(Redirect::to(&format!("/@{}", followee.username)).into_response())
}

#[derive(Deserialize)]
struct SubscribeForm {
    /// A visitor's address; a signed-in reader's is their account's.
    #[serde(default)]
    email: String,
}

async fn subscribe(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    MaybeUser(reader): MaybeUser,
    flash: Flash,
    Caller { request_id, ip }: Caller,
    CsrfForm(form): CsrfForm<SubscribeForm>,
) -> Result<Response, AppError> {
    let author = user_at(&state.db, &handle).await?;
    let standing = blog::subscribe(
        &state.commands,
        &state.keys,
        &state.limits,
        &author.username,
        match &reader {
            Some(reader) => blog::Subscriber::Reader(reader),
            None => blog::Subscriber::Address {
                email: &form.email,
                ip,
            },
        },
        &request_id,
    )
    .await
    .map_err(|err| match err {
        blog::BlogError::Invalid(errors) => AppError::BadRequest(errors.summary()),
        other => other.into(),
    })?;
    flash.success(match standing {
        blog::Standing::Active => format!("You will get {}’s new posts by email.", author.shown_name()),
        blog::Standing::Pending => "Check your inbox: the link we sent confirms the subscription.".to_owned(),
    });
    Ok(Redirect::to(&format!("/@{}", author.username)).into_response())
}

async fn unsubscribe(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    CurrentUser(reader): CurrentUser,
    flash: Flash,
    RequestId(request_id): RequestId,
    CsrfForm(NoFields {}): CsrfForm<NoFields>,
) -> Result<Response, AppError> {
    let author = user_at(&state.db, &handle).await?;
    blog::unsubscribe(&state.commands, &reader, &author.username, &request_id).await?;
    flash.info(format!(
        "{}’s posts will no longer be mailed to you.",
        author.shown_name()
    ));
    Ok(Redirect::to(&format!("/@{}", author.username)).into_response())
}
