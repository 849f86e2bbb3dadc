//! The user account's rules, as given/when/then.
//!
//! The helpers and registration are here; changes to an account in `changes`; confirming the
//! address, resetting the password and changing the address in `lifecycle`; the claims events
//! make and the versions they are stored at in `events`; suspension and the staff role in
//! `moderation`.

mod changes;
mod erasure;
mod events;
mod lifecycle;
mod moderation;

use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;

type UserTest = TestFramework<User>;

fn id() -> UserId {
    UserId(Uuid::from_u128(7))
}

fn alice() -> Username {
    Username::parse("Alice").unwrap()
}

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

fn hash(n: u8) -> PasswordHash {
    PasswordHash::new(format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA${n}"))
}

fn registered() -> UserEvent {
    UserEvent::UserRegistered {
        id: id(),
        username: alice(),
        email: email("alice@example.com"),
        password_hash: hash(1),
        staff: false,
        email_confirmed: false,
    }
}

fn register() -> UserCommand {
    UserCommand::Register {
        id: id(),
        username: alice(),
        email: email("alice@example.com"),
        password_hash: hash(1),
        staff: false,
        email_confirmed: false,
    }
}

fn change(changes: AccountChanges) -> UserCommand {
    UserCommand::ChangeAccount(changes)
}

#[test]
fn registering_a_new_account_records_it() {
    UserTest::with(())
        .given_no_previous_events()
        .when(register())
        .then_expect_events(vec![registered()]);
}

#[test]
fn registering_twice_is_refused() {
    UserTest::with(())
        .given(vec![registered()])
        .when(register())
        .then_expect_error(UserError::AlreadyRegistered);
}

#[test]
fn display_names_may_hide_nothing() {
    for hiding in ["ann\u{202E}nimda", "a\u{200B}nn", "\u{2066}ann", "ann\u{7}"] {
        assert_eq!(
            DisplayName::parse(hiding),
            Err(UserError::DisplayNameCharacters),
            "{hiding:?}"
        );
    }
    let accented = DisplayName::parse("Rene\u{301}e").unwrap().unwrap();
    assert_eq!(accented.as_str(), "Renée", "stored in NFC");
    assert_eq!(
        DisplayName::parse("\u{0455}taffer").unwrap().unwrap().skeleton(),
        "staffer"
    );
}
