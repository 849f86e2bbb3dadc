//! When the pages a signed-out visitor sees, or one signed-in person sees, may have changed.
//!
//! Instances keep whole pages and reuse them until their version moves (see the app's page
//! cache). [`PagesProjector`] moves the public version in the catch-up that projects an event
//! such a page shows, so the version and the read models change together; a rebuild moves it
//! when it swaps its tables in. Events only their author or staff see (drafts, sign-ins,
//! addresses, settings, chats, reports) leave it alone, so they never cost a page its reuse.
//! Such an event moves instead the version of each person whose own pages may show it (its
//! actor, the account it is about, the two people of a chat), or, when those are not known
//! from the event, the private version every signed-in page is kept under. Chat messages and
//! read receipts move nothing: a person's pages are kept under what waits for them in their
//! rooms too (see [`PersonalVersion::chat`]).

use async_trait::async_trait;
use domain::chat::{Chat, ChatEvent};
use domain::comment::Comment;
use domain::post::Post;
use domain::relation::{Favorite, Follow};
use domain::user::User;
use eventstore::log::StoredEvent;
use eventstore::runtime::{ProjectionError, Projector};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// Post events about a draft: nobody but its author sees one before it is published.
const DRAFT_EVENTS: &[&str] = &[
    "DraftSaved",
    "DraftDiscarded",
    "PublishScheduled",
    "ScheduleCancelled",
    "PreviewShared",
    "PreviewRevoked",
];

/// Account events no page shows. A profile shows a person's name, picture, bio and staff
/// badge, and a suspended or deleted person's words are hidden or erased; the rest is private.
const PRIVATE_ACCOUNT_EVENTS: &[&str] = &[
    "UserRegistered",
    "EmailChanged",
    "PasswordChanged",
    "SignedOutEverywhere",
    "EmailConfirmed",
    "ConfirmationRequested",
    "PasswordResetRequested",
    "PasswordReset",
    "EmailChangeRequested",
    "EmailChangeCancelled",
    "NotificationsChanged",
    "DataExportRequested",
];

/// Whether a signed-out visitor's page may show `event`. Errs toward yes: an event of these
/// aggregates added later moves the version until it is listed above.
pub fn shown_publicly(event: &StoredEvent) -> bool {
    let kind = event.event_type.as_str();
    if event.is::<Post>() {
        !DRAFT_EVENTS.contains(&kind)
    } else if event.is::<User>() {
        !PRIVATE_ACCOUNT_EVENTS.contains(&kind)
    } else {
        event.is::<Comment>() || event.is::<Favorite>() || event.is::<Follow>()
    }
}

/// Moves the versions of the pages a run of events may change. Live only, like mail: its rows
/// are not a read model, and a rebuild moves the public version once, when it swaps (see
/// [`changed`]), which every kept page, signed in or not, is made under.
pub struct PagesProjector;

/// Whom the private events of a run concern.
#[derive(Default)]
struct Concerned {
    people: Vec<Uuid>,
    chats: Vec<Uuid>,
    /// An event whose people are not known from it.
    unknown: bool,
}

impl Concerned {
    fn of(events: &[&StoredEvent]) -> Self {
        let mut concerned = Self::default();
        for event in events
            .iter()
            .filter(|event| !shown_publicly(event) && !seen_in_rooms(event))
        {
            let actor = event
                .metadata
                .get("actor")
                .and_then(|actor| actor.as_str()?.parse::<Uuid>().ok());
            concerned.people.extend(actor);
            let subject = event.aggregate_id.parse::<Uuid>().ok();
            if event.is::<User>() {
                concerned.people.extend(subject);
            } else if event.is::<Chat>() {
                concerned.chat(event, subject);
            } else if !(event.is::<Post>() && actor.is_some()) {
                // A draft is its author's alone; reports, subscriptions and events of kinds
                // added later may show on anyone's page (a staff member's, say).
                concerned.unknown = true;
            }
        }
        concerned
    }

    /// The people of a chat's event: named in those that can begin a chat, else read from the
    /// chat's read models, projected before this.
    fn chat(&mut self, event: &StoredEvent, chat: Option<Uuid>) {
        let named = match event.event_type.as_str() {
            "ChatRequested" | "Blocked" | "Unblocked" | "RoomOpened" => event.decode::<Chat>().ok(),
            _ => None,
        };
        match named {
            Some(ChatEvent::ChatRequested { from: a, to: b, .. })
            | Some(ChatEvent::Blocked { by: a, whom: b } | ChatEvent::Unblocked { by: a, whom: b })
            | Some(ChatEvent::RoomOpened { participants: [a, b] }) => self.people.extend([a.0, b.0]),
            _ => self.chats.extend(chat),
        }
    }
}

/// Messages and read receipts, most of a chat's events, move no version: the pages see them
/// through the person's rooms, read with the versions (see [`personal_version`]).
fn seen_in_rooms(event: &StoredEvent) -> bool {
    event.is::<Chat>() && matches!(event.event_type.as_str(), "MessageSent" | "MessagesRead")
}

#[async_trait]
impl Projector for PagesProjector {
    fn name(&self) -> &'static str {
        "pages"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["page_version", "page_people"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        self.apply_all(conn, &[event]).await
    }

    async fn apply_all(
        &self,
        conn: &mut PgConnection,
        events: &[&StoredEvent],
    ) -> Result<(), ProjectionError> {
        if events.iter().any(|event| shown_publicly(event)) {
            changed(conn).await?;
        }
        let concerned = Concerned::of(events);
        if concerned.unknown {
            sqlx::query!("update page_version set private_version = private_version + 1")
                .execute(&mut *conn)
                .await?;
        }
        if !concerned.people.is_empty() || !concerned.chats.is_empty() {
            sqlx::query!(
                r#"
                with concerned as (
                    select unnest($1::uuid[]) as person
                    union
                    select p.person
                      from chat_requests r, lateral (values (r.from_id), (r.to_id)) as p(person)
                     where r.chat_id = any($2)
                    union
                    select user_id from chat_members where room_id = any($2)
                )
                insert into page_people (person, version)
                select person, 1 from concerned
                on conflict (person) do update set version = page_people.version + 1
                "#,
                &concerned.people,
                &concerned.chats,
            )
            .execute(conn)
            .await?;
        }
        Ok(())
    }
}

/// Moves the public version: every page kept so far, signed in or not, is made again when next
/// asked for.
pub async fn changed(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("update page_version set version = version + 1")
        .execute(conn)
        .await?;
    Ok(())
}

/// The version now.
pub async fn version(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!("select version from page_version")
        .fetch_one(db)
        .await
}

/// What one signed-in person's pages are made from, as it stands now. Once it has moved on it
/// never comes back: each part only grows, but for `chat`, which falls only with an event that
/// also moves `own` (a message deleted unread).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PersonalVersion {
    pub public: i64,
    pub private: i64,
    pub own: i64,
    /// What their pages show of their rooms, the messages waiting for them, as a number that
    /// moves with it: over their rooms, twice how far they have read plus how many wait
    /// unread. A message to them adds to what waits; reading moves the first term by at least
    /// the messages it takes off the second (it reads up to a message, theirs included), so
    /// the sum grows with every message to them and every read receipt of theirs, and not with
    /// their own messages, which their pages do not show.
    pub chat: i64,
}

/// What a browser session stood on when it was last checked in full: its person and their
/// credentials version then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing<'a> {
    /// The session's id, as the session table keys it.
    pub session: &'a str,
    pub person: Uuid,
    pub credentials_version: i32,
}

/// The versions the pages of the person `standing` names are kept under now, in the one
/// statement that also confirms it still stands: the session is live, the account is there
/// under the same credentials and not suspended. `None` when it no longer stands.
pub async fn personal_version(
    db: impl PgExecutor<'_>,
    standing: Standing<'_>,
) -> Result<Option<PersonalVersion>, sqlx::Error> {
    sqlx::query_as!(
        PersonalVersion,
        r#"
        select v.version as public, v.private_version as private,
               coalesce((select version from page_people where person = $1), 0) as "own!",
               coalesce((select sum(2 * m.last_read_seq + m.unread)
                           from chat_members m where m.user_id = $1), 0)::bigint as "chat!"
          from page_version v
         where exists (select 1 from tower_sessions.session s
                        where s.id = $3 and s.expiry_date > now())
           and exists (select 1 from users u
                        where u.id = $1 and u.credentials_version = $2
                          and (u.suspended_at is null
                               or (u.suspended_until is not null and u.suspended_until <= now())))
        "#,
        standing.person,
        standing.credentials_version,
        standing.session,
    )
    .fetch_optional(db)
    .await
}
