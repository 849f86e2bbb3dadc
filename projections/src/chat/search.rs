//! Searching one person's conversations: the words of messages still standing in the rooms
//! they are in, and nowhere else.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

/// Where a matching excerpt's matched words begin and end: two private-use characters, which
/// no keyboard types (one pasted into a message only moves a highlight).
pub const HIT_START: char = '\u{e000}';
pub const HIT_END: char = '\u{e001}';

/// A message that matched, as the searcher sees it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub room_id: Uuid,
    pub seq: i64,
    pub sender: String,
    pub peer_username: String,
    pub peer_display_name: Option<String>,
    pub sent_at: DateTime<Utc>,
    /// Words around the match, the matched ones between [`HIT_START`] and [`HIT_END`].
    pub excerpt: String,
}

/// Up to `limit` messages of `user`'s rooms that match `query` (web-search syntax: words,
/// "quoted phrases", -excluded), newest first.
pub async fn messages(
    db: impl PgExecutor<'_>,
    user: Uuid,
    query: &str,
    limit: i64,
) -> Result<Vec<Hit>, sqlx::Error> {
    sqlx::query_as!(
        Hit,
        r#"
        select m.room_id, m.seq, u.username as sender, p.username as peer_username,
               p.display_name as peer_display_name, m.sent_at as "sent_at: _",
               ts_headline('simple', m.body, q,
                           'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || ', MaxWords=30, MinWords=12, MaxFragments=2')
                 as "excerpt!"
          from chat_members me
          join messages m on m.room_id = me.room_id
          join users u on u.id = m.sender_id
          join users p on p.id = me.peer_id,
               websearch_to_tsquery('simple', $2) q
         where me.user_id = $1
           and not m.deleted
           and to_tsvector('simple', m.body) @@ q
         order by m.sent_at desc
         limit $3
        "#,
        user,
        query,
        limit,
    )
    .fetch_all(db)
    .await
}
