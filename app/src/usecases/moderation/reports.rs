//! Reporting, and staff closing reports: the queue's use cases.

use domain::Metadata;
use domain::chat::ChatId;
use domain::report::{Category, Report, ReportCommand, ReportError, ReportId, ReportNote, Target};
use domain::user::{UserId, Username};
use eventstore::CommandError;
use projections::chat::{self, messages, staff_reads};
use projections::reports::{self, ReportRow};
use projections::users::{self, UserRow};
use projections::{comments, posts};
use uuid::Uuid;

use super::{ModerationError, invalid, reason};
use crate::services::limits::REPORTS_PER_USER;
use crate::state::AppState;

/// What a person reports, as they name it.
#[derive(Debug, Clone)]
pub enum Reported<'a> {
    Post { slug: &'a str },
    Comment { slug: &'a str, id: i64 },
    Profile { username: &'a str },
    Message { room: Uuid, seq: i64 },
}

/// How many messages up to a reported one staff see.
pub const CONTEXT_MESSAGES: i64 = 5;

impl From<CommandError<ReportError>> for ModerationError {
    fn from(err: CommandError<ReportError>) -> Self {
        match err {
            CommandError::Rejected(ReportError::NotFound | ReportError::NotStaff) => Self::NotFound,
            CommandError::Rejected(err) => invalid(err.field(), err.to_string()),
            CommandError::Conflict => Self::Conflict,
            other => Self::Internal(other.into()),
        }
    }
}

/// What `reported` names, if it exists and `reporter` may report it (a chat message only by one
/// of its two people).
async fn target(
    state: &AppState,
    reporter: &UserRow,
    reported: &Reported<'_>,
) -> Result<Target, ModerationError> {
    let db = &state.db;
    let post = |slug: &str| {
        let slug = domain::post::Slug::parse(slug).map(|s| s.as_str().to_owned());
        async move {
            match slug {
                Some(slug) => Ok::<_, ModerationError>(posts::owner(db, &slug).await?.map(|(id, _)| id)),
                None => Ok(None),
            }
        }
    };
    let found = match *reported {
        Reported::Post { slug } => post(slug).await?.map(|post| Target::Post { post }),
        Reported::Comment { slug, id } => match post(slug).await? {
            Some(post) => comments::by_id(db, post, id, None)
                .await?
                .map(|c| Target::Comment {
                    post,
                    comment: c.comment_id,
                }),
            None => None,
        },
        Reported::Profile { username } if Username::parse(username).is_ok() => {
            users::by_username(db, username)
                .await?
                .map(|user| Target::Profile { user: user.id })
        }
        Reported::Profile { .. } => None,
        Reported::Message { room, seq } => {
            let theirs = chat::involves(db, room, reporter.id).await?;
            let exists = messages::by_seq(db, room, seq).await?.is_some();
            (theirs && exists).then(|| Target::Message {
                chat: room,
                seq: u64::try_from(seq).unwrap_or_default(),
            })
        }
    };
    found.ok_or(ModerationError::NotFound)
}

/// `reporter` reports `reported` for `category`, with a note. Limited per person.
pub async fn file(
    state: &AppState,
    reporter: &UserRow,
    reported: Reported<'_>,
    category: &str,
    note: &str,
    request_id: &str,
) -> Result<Uuid, ModerationError> {
    let category = Category::parse(category).map_err(|err| invalid(err.field(), err.to_string()))?;
    let note = ReportNote::parse(note).map_err(|err| invalid(err.field(), err.to_string()))?;
    let target = target(state, reporter, &reported).await?;
    state
        .limits
        .hit(REPORTS_PER_USER, &reporter.id.to_string())
        .await
        .map_err(|wait| ModerationError::Throttled {
            message: format!(
                "You have sent many reports lately; try again in {}",
                wait.in_words()
            ),
            wait,
        })?;
    let id = ReportId::for_target(UserId(reporter.id), &target);
    let command = ReportCommand::File {
        id,
        reporter: UserId(reporter.id),
        target,
        category,
        note,
    };
    state
        .commands
        .execute::<Report>(
            &id.to_string(),
            command,
            &(),
            &Metadata::new(Some(reporter.id), request_id),
        )
        .await?;
    Ok(id.0)
}

/// Staff close a report: `acted` when they did something about it, else it is dismissed.
pub async fn close(
    state: &AppState,
    staff: &UserRow,
    report: Uuid,
    acted: bool,
    why: &str,
    request_id: &str,
) -> Result<(), ModerationError> {
    let command = ReportCommand::Close {
        by: staff.actor(),
        acted,
        reason: reason(why)?,
    };
    state
        .commands
        .execute::<Report>(
            &report.to_string(),
            command,
            &(),
            &Metadata::new(Some(staff.id), request_id),
        )
        .await?;
    Ok(())
}

/// A report as staff open it, with the messages up to a reported chat message. Opening one about
/// a message is recorded in that chat (once per staff member and report), for both people to
/// see: the report is the reason.
pub async fn open(
    state: &AppState,
    staff: &UserRow,
    id: Uuid,
    request_id: &str,
) -> Result<(ReportRow, Vec<messages::MessageRow>), ModerationError> {
    let report = reports::by_id(&state.db, id)
        .await?
        .ok_or(ModerationError::NotFound)?;
    let (Some(chat), Some(seq)) = (report.chat_id, report.seq) else {
        return Ok((report, Vec::new()));
    };
    if !staff_reads::read_for_report(&state.db, chat, staff.id, id).await? {
        let why = format!("Reviewing a report ({}) about message #{seq}", report.category);
        state
            .chats
            .staff_read(staff, ChatId(chat).0, &why, Some(id), request_id)
            .await
            .map_err(|err| ModerationError::Internal(anyhow::anyhow!("recording a staff reading: {err}")))?;
    }
    let (context, _) = messages::page(
        &state.db,
        chat,
        messages::Window::Before(seq + 1),
        CONTEXT_MESSAGES,
    )
    .await?;
    Ok((report, context))
}
