//! The report aggregate: filed, then closed by staff.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::{Category, ReportId, ReportNote, Target};
use crate::Actor;
use crate::claims::Claims;
use crate::permissions::may_moderate;
use crate::reason::Reason;
use crate::user::UserId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("must be spam, harassment, illegal or other")]
    UnknownCategory,
    #[error("must be at most 1000 characters")]
    NoteTooLong,
    #[error("you have already reported this; staff will look at it")]
    AlreadyOpen,
    #[error("report not found")]
    NotFound,
    #[error("this report is already closed")]
    Closed,
    #[error("only staff may close a report")]
    NotStaff,
}

impl ReportError {
    /// The form field the error belongs to.
    pub fn field(self) -> &'static str {
        match self {
            Self::UnknownCategory => "reason",
            Self::NoteTooLong => "note",
            Self::AlreadyOpen | Self::NotFound | Self::Closed | Self::NotStaff => "report",
        }
    }
}

#[derive(Debug, Clone)]
pub enum ReportCommand {
    File {
        id: ReportId,
        reporter: UserId,
        target: Target,
        category: Category,
        note: Option<ReportNote>,
    },
    /// Staff close the report: `acted` when they did something about it (hid, suspended),
    /// otherwise it is dismissed.
    Close { by: Actor, acted: bool, reason: Reason },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ReportEvent {
    ReportFiled {
        id: ReportId,
        reporter: UserId,
        target: Target,
        category: Category,
        note: Option<ReportNote>,
    },
    ReportDismissed {
        by: UserId,
        reason: Reason,
    },
    ReportResolved {
        by: UserId,
        reason: Reason,
    },
}

impl DomainEvent for ReportEvent {
    fn event_type(&self) -> String {
        match self {
            Self::ReportFiled { .. } => "ReportFiled",
            Self::ReportDismissed { .. } => "ReportDismissed",
            Self::ReportResolved { .. } => "ReportResolved",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

impl Claims for ReportEvent {}

/// The reporter's note is theirs: erased with their account.
impl crate::personal::Personal for Report {
    fn personal(&self, event: &ReportEvent) -> Option<(UserId, ReportEvent)> {
        match event {
            ReportEvent::ReportFiled {
                id,
                reporter,
                target,
                category,
                note: Some(_),
            } => Some((
                *reporter,
                ReportEvent::ReportFiled {
                    id: *id,
                    reporter: *reporter,
                    target: *target,
                    category: *category,
                    note: None,
                },
            )),
            _ => None,
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    open: Option<bool>,
}

impl Report {
    pub fn decide(&self, command: ReportCommand) -> Result<Vec<ReportEvent>, ReportError> {
        match (self.open, command) {
            (
                None | Some(false),
                ReportCommand::File {
                    id,
                    reporter,
                    target,
                    category,
                    note,
                },
            ) => Ok(vec![ReportEvent::ReportFiled {
                id,
                reporter,
                target,
                category,
                note,
            }]),
            (Some(true), ReportCommand::File { .. }) => Err(ReportError::AlreadyOpen),
            (None, ReportCommand::Close { .. }) => Err(ReportError::NotFound),
            (_, ReportCommand::Close { by, .. }) if !may_moderate(by) => Err(ReportError::NotStaff),
            (Some(false), ReportCommand::Close { .. }) => Err(ReportError::Closed),
            (Some(true), ReportCommand::Close { by, acted, reason }) => Ok(vec![if acted {
                ReportEvent::ReportResolved { by: by.user, reason }
            } else {
                ReportEvent::ReportDismissed { by: by.user, reason }
            }]),
        }
    }
}

impl Aggregate for Report {
    const TYPE: &'static str = "Report";
    type Command = ReportCommand;
    type Event = ReportEvent;
    type Error = ReportError;
    type Services = ();

    async fn handle(
        &mut self,
        command: ReportCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), ReportError> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: ReportEvent) {
        self.open = Some(matches!(event, ReportEvent::ReportFiled { .. }));
    }
}
