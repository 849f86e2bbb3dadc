//! The account's moderation rules: suspension and the staff role, only by staff, always with a
//! reason.

use chrono::{DateTime, Utc};

use super::aggregate::Account;
use super::error::UserError;
use super::event::UserEvent;
use crate::Actor;
use crate::permissions::may_moderate;
use crate::reason::Reason;

impl Account {
    /// Whether a suspension holds at `now`.
    pub(super) fn suspended_at(&self, now: DateTime<Utc>) -> bool {
        self.suspended
            .is_some_and(|until| until.is_none_or(|until| now < until))
    }

    pub(super) fn suspend(
        &self,
        by: Actor,
        reason: Reason,
        until: Option<DateTime<Utc>>,
        hide_posts: bool,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserEvent>, UserError> {
        if !may_moderate(by) {
            return Err(UserError::NotStaff);
        }
        if by.user == self.id {
            return Err(UserError::SuspendSelf);
        }
        if self.staff {
            return Err(UserError::SuspendStaff);
        }
        if until.is_some_and(|until| until <= now) {
            return Err(UserError::UntilPast);
        }
        Ok(vec![UserEvent::AccountSuspended {
            by: by.user,
            reason,
            until,
            hide_posts,
        }])
    }

    pub(super) fn lift(
        &self,
        by: Actor,
        reason: Reason,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserEvent>, UserError> {
        if !may_moderate(by) {
            return Err(UserError::NotStaff);
        }
        if !self.suspended_at(now) {
            return Err(UserError::NotSuspended);
        }
        Ok(vec![UserEvent::SuspensionLifted { by: by.user, reason }])
    }

    /// Making staff someone already staff (or a member someone who is not) records nothing.
    pub(super) fn set_staff(
        &self,
        by: Actor,
        staff: bool,
        reason: Reason,
    ) -> Result<Vec<UserEvent>, UserError> {
        if !may_moderate(by) {
            return Err(UserError::NotStaff);
        }
        if !staff && by.user == self.id {
            return Err(UserError::DemoteSelf);
        }
        Ok(match (self.staff, staff) {
            (false, true) => vec![UserEvent::StaffGranted { by: by.user, reason }],
            (true, false) => vec![UserEvent::StaffRevoked { by: by.user, reason }],
            _ => Vec::new(),
        })
    }
}
