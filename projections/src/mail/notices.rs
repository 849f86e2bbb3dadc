//! Who may be told that chat messages wait for them: the query behind the chat notice.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::MailKind;

/// Someone with unread messages who may be mailed about them.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub user_id: Uuid,
    pub email: String,
    pub username: String,
    /// The names of those who wrote, as the person sees them.
    pub senders: Vec<String>,
}

/// People with unread messages that arrived after their last chat notice, who want chat mail,
/// whose address is confirmed, and who were not sent a notice in the hour before `now`.
/// Whether they were online lately is for the caller to tell.
pub async fn waiting(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Waiting>, sqlx::Error> {
    sqlx::query_as!(
        Waiting,
        r#"
        with last_notice as (
            select user_id, max(created_at) as at
              from outbox
             where kind = $1
             group by user_id
        )
        select u.id as user_id, u.email, u.username,
               array_agg(distinct coalesce(p.display_name, p.username) order by coalesce(p.display_name, p.username))
                   as "senders!"
          from chat_members m
          join users u on u.id = m.user_id
          join users p on p.id = m.peer_id
          left join last_notice n on n.user_id = u.id
         where m.unread > 0
           and u.chat_email
           and u.email_confirmed
           and (n.at is null or n.at <= $2::timestamptz - interval '1 hour')
           and exists (
               select 1 from messages x
                where x.room_id = m.room_id and x.seq > m.last_read_seq and x.sender_id = m.peer_id
                  and not x.deleted and x.sent_at > coalesce(n.at, '-infinity')
           )
         group by u.id, u.email, u.username
         order by u.id
         limit $3
        "#,
        MailKind::ChatNotice.as_str(),
        now as DateTime<Utc>,
        limit,
    )
    .fetch_all(conn)
    .await
}
