//! Confirming the address, resetting a forgotten password, changing the address by link, and
//! the old address undoing a change that was not the person's.

use chrono::{DateTime, TimeDelta, Utc};
use uuid::Uuid;

use super::*;

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(20_000) + TimeDelta::minutes(minutes)
}

fn reset_requested() -> UserEvent {
    UserEvent::PasswordResetRequested {
        reset_id: Uuid::from_u128(1),
        token_hash: "hash-1".into(),
        expires_at: at(60),
    }
}

fn reset(token_hash: &str, now: DateTime<Utc>) -> UserCommand {
    UserCommand::ResetPassword {
        reset_id: Uuid::from_u128(1),
        token_hash: token_hash.into(),
        password_hash: hash(2),
        now,
    }
}

fn confirmed() -> UserEvent {
    UserEvent::EmailConfirmed {
        email: email("alice@example.com"),
    }
}

fn change_requested() -> UserEvent {
    UserEvent::EmailChangeRequested {
        change_id: Uuid::from_u128(9),
        email: email("new@example.com"),
        expires_at: at(60),
    }
}

fn change_completed() -> Vec<UserEvent> {
    vec![
        UserEvent::EmailChanged {
            email: email("new@example.com"),
            previous: email("alice@example.com"),
        },
        UserEvent::EmailConfirmed {
            email: email("new@example.com"),
        },
    ]
}

#[test]
fn following_the_link_confirms_the_address_once() {
    UserTest::with(())
        .given(vec![registered()])
        .when(UserCommand::ConfirmEmail {
            email: email("alice@example.com"),
        })
        .then_expect_events(vec![confirmed()]);
    UserTest::with(())
        .given(vec![registered(), confirmed()])
        .when(UserCommand::ConfirmEmail {
            email: email("alice@example.com"),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_link_for_an_address_the_account_no_longer_has_confirms_nothing() {
    UserTest::with(())
        .given(vec![
            registered(),
            UserEvent::EmailChanged {
                email: email("other@example.com"),
                previous: email("alice@example.com"),
            },
        ])
        .when(UserCommand::ConfirmEmail {
            email: email("alice@example.com"),
        })
        .then_expect_error(UserError::LinkExpired);
}

#[test]
fn another_confirmation_link_is_only_for_an_unconfirmed_address() {
    UserTest::with(())
        .given(vec![registered()])
        .when(UserCommand::RequestConfirmation)
        .then_expect_events(vec![UserEvent::ConfirmationRequested {
            email: email("alice@example.com"),
        }]);
    UserTest::with(())
        .given(vec![registered(), confirmed()])
        .when(UserCommand::RequestConfirmation)
        .then_expect_error(UserError::AlreadyConfirmed);
}

#[test]
fn a_reset_link_sets_the_password_and_proves_the_address() {
    UserTest::with(())
        .given(vec![registered(), reset_requested()])
        .when(reset("hash-1", at(59)))
        .then_expect_events(vec![
            UserEvent::PasswordReset {
                reset_id: Uuid::from_u128(1),
                password_hash: hash(2),
            },
            confirmed(),
        ]);
}

#[test]
fn a_reset_link_works_once_within_the_hour_with_its_own_token() {
    let used = UserEvent::PasswordReset {
        reset_id: Uuid::from_u128(1),
        password_hash: hash(2),
    };
    for (given, command) in [
        (vec![registered(), reset_requested()], reset("hash-1", at(60))),
        (vec![registered(), reset_requested()], reset("hash-2", at(1))),
        (
            vec![registered(), reset_requested(), used],
            reset("hash-1", at(2)),
        ),
        (vec![registered()], reset("hash-1", at(1))),
    ] {
        UserTest::with(())
            .given(given)
            .when(command)
            .then_expect_error(UserError::LinkExpired);
    }
}

#[test]
fn a_newer_reset_link_replaces_the_older_and_a_password_change_ends_both() {
    let newer = UserEvent::PasswordResetRequested {
        reset_id: Uuid::from_u128(2),
        token_hash: "hash-2".into(),
        expires_at: at(90),
    };
    UserTest::with(())
        .given(vec![registered(), reset_requested(), newer.clone()])
        .when(reset("hash-1", at(1)))
        .then_expect_error(UserError::LinkExpired);
    UserTest::with(())
        .given(vec![
            registered(),
            reset_requested(),
            UserEvent::PasswordChanged {
                password_hash: hash(3),
            },
        ])
        .when(reset("hash-1", at(1)))
        .then_expect_error(UserError::LinkExpired);
}

#[test]
fn a_new_address_waits_for_its_link_and_a_new_spelling_does_not() {
    let request = |raw: &str| {
        change(AccountChanges {
            email: Some(EmailUpdate::Confirmed {
                change_id: Uuid::from_u128(9),
                email: email(raw),
                expires_at: at(60),
            }),
            ..Default::default()
        })
    };
    UserTest::with(())
        .given(vec![registered()])
        .when(request("new@example.com"))
        .then_expect_events(vec![change_requested()]);
    UserTest::with(())
        .given(vec![registered()])
        .when(request("ALICE@example.com"))
        .then_expect_events(vec![UserEvent::EmailChanged {
            email: email("ALICE@example.com"),
            previous: email("alice@example.com"),
        }]);
}

#[test]
fn the_new_addresss_link_completes_the_change_in_time() {
    UserTest::with(())
        .given(vec![registered(), change_requested()])
        .when(UserCommand::ConfirmEmailChange {
            change_id: Uuid::from_u128(9),
            now: at(30),
        })
        .then_expect_events(change_completed());
    UserTest::with(())
        .given(vec![registered(), change_requested()])
        .when(UserCommand::ConfirmEmailChange {
            change_id: Uuid::from_u128(9),
            now: at(61),
        })
        .then_expect_error(UserError::LinkExpired);
    let mut done = vec![registered(), change_requested()];
    done.extend(change_completed());
    UserTest::with(())
        .given(done)
        .when(UserCommand::ConfirmEmailChange {
            change_id: Uuid::from_u128(9),
            now: at(30),
        })
        .then_expect_error(UserError::LinkExpired);
}

#[test]
fn the_old_address_stops_a_pending_change_and_ends_every_session() {
    UserTest::with(())
        .given(vec![registered(), change_requested()])
        .when(UserCommand::ReportEmailChange {
            change_id: Uuid::from_u128(9),
            now: at(10),
        })
        .then_expect_events(vec![
            UserEvent::EmailChangeCancelled {
                change_id: Uuid::from_u128(9),
                reported: true,
            },
            UserEvent::SignedOutEverywhere,
        ]);
}

#[test]
fn the_old_address_undoes_a_completed_change_for_a_week() {
    let mut done = vec![registered(), change_requested()];
    done.extend(change_completed());
    let report = |now| UserCommand::ReportEmailChange {
        change_id: Uuid::from_u128(9),
        now,
    };
    UserTest::with(())
        .given(done.clone())
        .when(report(at(60 + 7 * 24 * 60 - 1)))
        .then_expect_events(vec![
            UserEvent::EmailChanged {
                email: email("alice@example.com"),
                previous: email("new@example.com"),
            },
            confirmed(),
            UserEvent::SignedOutEverywhere,
        ]);
    UserTest::with(())
        .given(done)
        .when(report(at(60 + 7 * 24 * 60)))
        .then_expect_error(UserError::LinkExpired);
}

#[test]
fn the_person_may_drop_their_pending_change() {
    UserTest::with(())
        .given(vec![registered(), change_requested()])
        .when(UserCommand::CancelEmailChange)
        .then_expect_events(vec![UserEvent::EmailChangeCancelled {
            change_id: Uuid::from_u128(9),
            reported: false,
        }]);
    UserTest::with(())
        .given(vec![registered()])
        .when(UserCommand::CancelEmailChange)
        .then_expect_events(vec![]);
}

#[test]
fn chat_email_is_on_until_turned_off() {
    UserTest::with(())
        .given(vec![registered()])
        .when(UserCommand::SetNotifications { chat_email: true })
        .then_expect_events(vec![]);
    UserTest::with(())
        .given(vec![registered()])
        .when(UserCommand::SetNotifications { chat_email: false })
        .then_expect_events(vec![UserEvent::NotificationsChanged { chat_email: false }]);
}
