//! What a person takes with them ("download my data"): their profile, posts, comments,
//! favorites, follows, chat requests and chats, each row as a JSON object, read from the read
//! models in one snapshot.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// Everything of one person's, part by part.
#[derive(Debug, Default)]
pub struct Takeout {
    pub profile: Value,
    pub posts: Vec<Value>,
    pub comments: Vec<Value>,
    pub favorites: Vec<Value>,
    pub follows: Vec<Value>,
    pub chat_requests: Vec<Value>,
    /// Both sides of every chat the person is in, by room and sequence.
    pub messages: Vec<Value>,
}

/// Reads `user`'s data; `None` when there is no such account. Run it in a repeatable-read
/// transaction for one consistent picture.
pub async fn read(conn: &mut PgConnection, user: Uuid) -> Result<Option<Takeout>, sqlx::Error> {
    let profile = sqlx::query_scalar!(
        r#"
        select jsonb_build_object(
                 'id', id, 'username', username, 'email', email, 'email_confirmed', email_confirmed,
                 'display_name', display_name, 'bio', bio, 'image', image, 'chat_email', chat_email,
                 'created_at', created_at, 'updated_at', updated_at) as "profile!"
          from users where id = $1
        "#,
        user
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(profile) = profile else {
        return Ok(None);
    };
    let posts = sqlx::query_scalar!(
        r#"
        select jsonb_build_object(
                 'slug', slug, 'title', title, 'description', description, 'body_markdown', body,
                 'body_html', body_html, 'tags', tags, 'cover', cover,
                 'created_at', created_at, 'updated_at', updated_at) as "post!"
          from posts where author_id = $1 order by created_at, id
        "#,
        user
    )
    .fetch_all(&mut *conn)
    .await?;
    let comments = sqlx::query_scalar!(
        r#"
        select jsonb_build_object(
                 'post', p.slug, 'body_markdown', c.body, 'body_html', c.body_html,
                 'created_at', c.created_at, 'updated_at', c.updated_at) as "comment!"
          from comments c join posts p on p.id = c.post_id
         where c.author_id = $1 order by c.id
        "#,
        user
    )
    .fetch_all(&mut *conn)
    .await?;
    let favorites = sqlx::query_scalar!(
        r#"
        select jsonb_build_object('post', p.slug, 'title', p.title, 'favorited_at', f.created_at) as "favorite!"
          from favorites f join posts p on p.id = f.post_id
         where f.user_id = $1 order by f.created_at, p.slug
        "#,
        user
    )
    .fetch_all(&mut *conn)
    .await?;
    let follows = sqlx::query_scalar!(
        r#"
        select jsonb_build_object('username', u.username, 'followed_at', f.created_at) as "follow!"
          from follows f join users u on u.id = f.followee_id
         where f.follower_id = $1 order by f.created_at, u.username
        "#,
        user
    )
    .fetch_all(&mut *conn)
    .await?;
    let chat_requests = sqlx::query_scalar!(
        r#"
        select jsonb_build_object(
                 'from', f.username, 'to', t.username, 'message', r.note, 'status', r.status,
                 'created_at', r.created_at, 'updated_at', r.updated_at) as "request!"
          from chat_requests r
          join users f on f.id = r.from_id
          join users t on t.id = r.to_id
         where r.from_id = $1 or r.to_id = $1
         order by r.created_at, r.id
        "#,
        user
    )
    .fetch_all(&mut *conn)
    .await?;
    let messages = sqlx::query_scalar!(
        r#"
        select jsonb_build_object(
                 'with', peer.username, 'seq', m.seq, 'from', sender.username,
                 'body', case when m.deleted then null else m.body end, 'deleted', m.deleted,
                 'sent_at', m.sent_at, 'edited_at', m.edited_at) as "message!"
          from chat_members me
          join messages m on m.room_id = me.room_id
          join users peer on peer.id = me.peer_id
          join users sender on sender.id = m.sender_id
         where me.user_id = $1
         order by peer.username, m.room_id, m.seq
        "#,
        user
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(Takeout {
        profile,
        posts,
        comments,
        favorites,
        follows,
        chat_requests,
        messages,
    }))
}
