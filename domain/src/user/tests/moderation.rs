//! Suspension and the staff role: only staff, always with a reason.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::Actor;
use crate::reason::Reason;

const STAFF: UserId = UserId(Uuid::from_u128(99));

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).expect("a valid time")
}

fn reason() -> Reason {
    Reason::parse("spam in comments").unwrap()
}

fn suspend(by: Actor, until: Option<DateTime<Utc>>) -> UserCommand {
    UserCommand::Suspend {
        by,
        reason: reason(),
        until,
        hide_posts: true,
        now: now(),
    }
}

fn suspended(until: Option<DateTime<Utc>>) -> UserEvent {
    UserEvent::AccountSuspended {
        by: STAFF,
        reason: reason(),
        until,
        hide_posts: true,
    }
}

#[test]
fn staff_suspend_an_account_for_a_period_or_for_good() {
    let week = Some(now() + Duration::days(7));
    UserTest::with(())
        .given(vec![registered()])
        .when(suspend(Actor::staff(STAFF), week))
        .then_expect_events(vec![suspended(week)]);
    UserTest::with(())
        .given(vec![registered()])
        .when(suspend(Actor::staff(STAFF), None))
        .then_expect_events(vec![suspended(None)]);
}

#[test]
fn only_staff_suspend() {
    UserTest::with(())
        .given(vec![registered()])
        .when(suspend(Actor::member(STAFF), None))
        .then_expect_error(UserError::NotStaff);
}

#[test]
fn nobody_suspends_themselves_or_another_staff_member() {
    UserTest::with(())
        .given(vec![registered()])
        .when(suspend(Actor::staff(id()), None))
        .then_expect_error(UserError::SuspendSelf);
    UserTest::with(())
        .given(vec![
            registered(),
            UserEvent::StaffGranted {
                by: STAFF,
                reason: reason(),
            },
        ])
        .when(suspend(Actor::staff(STAFF), None))
        .then_expect_error(UserError::SuspendStaff);
}

#[test]
fn a_suspension_ends_in_the_future() {
    UserTest::with(())
        .given(vec![registered()])
        .when(suspend(Actor::staff(STAFF), Some(now())))
        .then_expect_error(UserError::UntilPast);
}

#[test]
fn a_suspension_is_lifted_only_while_it_holds() {
    let lift = || UserCommand::LiftSuspension {
        by: Actor::staff(STAFF),
        reason: reason(),
        now: now(),
    };
    UserTest::with(())
        .given(vec![registered(), suspended(Some(now() + Duration::days(1)))])
        .when(lift())
        .then_expect_events(vec![UserEvent::SuspensionLifted {
            by: STAFF,
            reason: reason(),
        }]);
    UserTest::with(())
        .given(vec![registered(), suspended(Some(now() - Duration::days(1)))])
        .when(lift())
        .then_expect_error(UserError::NotSuspended);
    UserTest::with(())
        .given(vec![registered()])
        .when(lift())
        .then_expect_error(UserError::NotSuspended);
}

#[test]
fn staff_promote_and_demote_but_not_themselves() {
    let set = |by: Actor, staff: bool| UserCommand::SetStaff {
        by,
        staff,
        reason: reason(),
    };
    UserTest::with(())
        .given(vec![registered()])
        .when(set(Actor::staff(STAFF), true))
        .then_expect_events(vec![UserEvent::StaffGranted {
            by: STAFF,
            reason: reason(),
        }]);
    UserTest::with(())
        .given(vec![registered()])
        .when(set(Actor::staff(STAFF), false))
        .then_expect_events(vec![]);
    UserTest::with(())
        .given(vec![registered()])
        .when(set(Actor::member(STAFF), true))
        .then_expect_error(UserError::NotStaff);
    UserTest::with(())
        .given(vec![registered()])
        .when(set(Actor::staff(id()), false))
        .then_expect_error(UserError::DemoteSelf);
}
