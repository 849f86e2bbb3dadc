//! A report's rules, as given/when/then.

use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::Actor;
use crate::reason::Reason;
use crate::user::UserId;

const ANN: UserId = UserId(Uuid::from_u128(1));
const STAFF: UserId = UserId(Uuid::from_u128(9));
const TARGET: Target = Target::Post {
    post: Uuid::from_u128(5),
};

fn id() -> ReportId {
    ReportId::for_target(ANN, &TARGET)
}

fn file() -> ReportCommand {
    ReportCommand::File {
        id: id(),
        reporter: ANN,
        target: TARGET,
        category: Category::Spam,
        note: None,
    }
}

fn filed() -> ReportEvent {
    ReportEvent::ReportFiled {
        id: id(),
        reporter: ANN,
        target: TARGET,
        category: Category::Spam,
        note: None,
    }
}

fn reason() -> Reason {
    Reason::parse("not spam").unwrap()
}

fn close(by: Actor, acted: bool) -> ReportCommand {
    ReportCommand::Close {
        by,
        acted,
        reason: reason(),
    }
}

#[test]
fn the_same_person_reporting_the_same_thing_finds_the_same_report() {
    assert_eq!(ReportId::for_target(ANN, &TARGET), id());
    assert_ne!(ReportId::for_target(STAFF, &TARGET), id());
    TestFramework::<Report>::with(())
        .given(vec![filed()])
        .when(file())
        .then_expect_error(ReportError::AlreadyOpen);
}

#[test]
fn a_closed_report_can_be_filed_again() {
    TestFramework::<Report>::with(())
        .given(vec![
            filed(),
            ReportEvent::ReportDismissed {
                by: STAFF,
                reason: reason(),
            },
        ])
        .when(file())
        .then_expect_events(vec![filed()]);
}

#[test]
fn staff_dismiss_or_resolve_an_open_report_once() {
    TestFramework::<Report>::with(())
        .given(vec![filed()])
        .when(close(Actor::staff(STAFF), false))
        .then_expect_events(vec![ReportEvent::ReportDismissed {
            by: STAFF,
            reason: reason(),
        }]);
    TestFramework::<Report>::with(())
        .given(vec![filed()])
        .when(close(Actor::staff(STAFF), true))
        .then_expect_events(vec![ReportEvent::ReportResolved {
            by: STAFF,
            reason: reason(),
        }]);
    TestFramework::<Report>::with(())
        .given(vec![
            filed(),
            ReportEvent::ReportResolved {
                by: STAFF,
                reason: reason(),
            },
        ])
        .when(close(Actor::staff(STAFF), false))
        .then_expect_error(ReportError::Closed);
}

#[test]
fn only_staff_close_a_report() {
    TestFramework::<Report>::with(())
        .given(vec![filed()])
        .when(close(Actor::member(ANN), false))
        .then_expect_error(ReportError::NotStaff);
}

#[test]
fn categories_and_notes_are_checked() {
    assert_eq!(Category::parse("spam"), Ok(Category::Spam));
    assert_eq!(Category::parse("rude"), Err(ReportError::UnknownCategory));
    assert_eq!(ReportNote::parse("  "), Ok(None));
    assert_eq!(
        ReportNote::parse(&"x".repeat(1001)),
        Err(ReportError::NoteTooLong)
    );
}
