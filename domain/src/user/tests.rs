//! The user account's rules, as given/when/then.

use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::claims::{Claim, ClaimKind, Claims};

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
    }
}

fn register() -> UserCommand {
    UserCommand::Register {
        id: id(),
        username: alice(),
        email: email("alice@example.com"),
        password_hash: hash(1),
        staff: false,
    }
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
fn changes_to_an_unknown_account_are_refused() {
    UserTest::with(())
        .given_no_previous_events()
        .when(change(AccountChanges {
            password_hash: Some(hash(2)),
            ..Default::default()
        }))
        .then_expect_error(UserError::NotFound);
}

fn change(changes: AccountChanges) -> UserCommand {
    UserCommand::ChangeAccount(changes)
}

#[test]
fn updating_the_profile_records_the_new_profile() {
    let display_name = DisplayName::parse("Alice A.").unwrap();
    let bio = Bio::parse("Writes about tea.").unwrap();
    UserTest::with(())
        .given(vec![registered()])
        .when(change(AccountChanges {
            display_name: Some(display_name.clone()),
            bio: Some(bio.clone()),
            ..Default::default()
        }))
        .then_expect_events(vec![UserEvent::ProfileUpdated {
            display_name,
            bio,
            image: None,
        }]);
}

#[test]
fn a_partial_profile_change_keeps_the_other_fields() {
    let bio = Bio::parse("Writes about tea.").unwrap();
    let image = ImageUrl::parse("https://example.com/me.png").unwrap();
    UserTest::with(())
        .given(vec![
            registered(),
            UserEvent::ProfileUpdated {
                display_name: None,
                bio: bio.clone(),
                image: None,
            },
        ])
        .when(change(AccountChanges {
            image: Some(image.clone()),
            ..Default::default()
        }))
        .then_expect_events(vec![UserEvent::ProfileUpdated {
            display_name: None,
            bio,
            image,
        }]);
}

#[test]
fn clearing_the_bio_is_a_change() {
    let bio = Bio::parse("Writes about tea.").unwrap();
    UserTest::with(())
        .given(vec![
            registered(),
            UserEvent::ProfileUpdated {
                display_name: None,
                bio,
                image: None,
            },
        ])
        .when(change(AccountChanges {
            bio: Some(None),
            ..Default::default()
        }))
        .then_expect_events(vec![UserEvent::ProfileUpdated {
            display_name: None,
            bio: None,
            image: None,
        }]);
}

#[test]
fn an_unchanged_account_records_nothing() {
    UserTest::with(())
        .given(vec![registered()])
        .when(change(AccountChanges {
            username: Some(alice()),
            email: Some(email("alice@example.com")),
            display_name: Some(None),
            bio: Some(None),
            image: Some(None),
            password_hash: None,
        }))
        .then_expect_events(vec![]);
}

#[test]
fn changing_the_username_remembers_the_previous_one() {
    let bob = Username::parse("bob").unwrap();
    UserTest::with(())
        .given(vec![registered()])
        .when(change(AccountChanges {
            username: Some(bob.clone()),
            ..Default::default()
        }))
        .then_expect_events(vec![UserEvent::UsernameChanged {
            username: bob,
            previous: alice(),
        }]);
}

#[test]
fn changing_the_email_remembers_the_previous_one() {
    UserTest::with(())
        .given(vec![registered()])
        .when(change(AccountChanges {
            email: Some(email("new@example.com")),
            ..Default::default()
        }))
        .then_expect_events(vec![UserEvent::EmailChanged {
            email: email("new@example.com"),
            previous: email("alice@example.com"),
        }]);
}

#[test]
fn signing_out_everywhere_is_recorded_for_an_account_only() {
    UserTest::with(())
        .given(vec![registered()])
        .when(UserCommand::SignOutEverywhere)
        .then_expect_events(vec![UserEvent::SignedOutEverywhere]);
    UserTest::with(())
        .given_no_previous_events()
        .when(UserCommand::SignOutEverywhere)
        .then_expect_error(UserError::NotFound);
}

#[test]
fn changing_the_password_records_the_new_hash() {
    UserTest::with(())
        .given(vec![registered()])
        .when(change(AccountChanges {
            password_hash: Some(hash(2)),
            ..Default::default()
        }))
        .then_expect_events(vec![UserEvent::PasswordChanged {
            password_hash: hash(2),
        }]);
}

#[test]
fn several_changes_are_recorded_together() {
    let bob = Username::parse("bob").unwrap();
    UserTest::with(())
        .given(vec![registered()])
        .when(change(AccountChanges {
            username: Some(bob.clone()),
            email: Some(email("bob@example.com")),
            password_hash: Some(hash(3)),
            ..Default::default()
        }))
        .then_expect_events(vec![
            UserEvent::UsernameChanged {
                username: bob,
                previous: alice(),
            },
            UserEvent::EmailChanged {
                email: email("bob@example.com"),
                previous: email("alice@example.com"),
            },
            UserEvent::PasswordChanged {
                password_hash: hash(3),
            },
        ]);
}

#[test]
fn registration_claims_the_username_and_email_case_insensitively() {
    assert_eq!(
        registered().claims(),
        vec![
            Claim::new(ClaimKind::Username, "alice"),
            Claim::new(ClaimKind::Email, "alice@example.com")
        ]
    );
}

#[test]
fn a_rename_claims_the_new_name_and_releases_the_old() {
    let event = UserEvent::UsernameChanged {
        username: Username::parse("bob").unwrap(),
        previous: alice(),
    };
    assert_eq!(event.claims(), vec![Claim::new(ClaimKind::Username, "bob")]);
    assert_eq!(event.releases(), vec![Claim::new(ClaimKind::Username, "alice")]);
}

#[test]
fn a_change_of_case_only_keeps_the_claim() {
    let event = UserEvent::UsernameChanged {
        username: Username::parse("ALICE").unwrap(),
        previous: alice(),
    };
    assert!(event.claims().is_empty());
    assert!(event.releases().is_empty());
}

#[test]
fn a_registration_stored_before_staff_accounts_reads_as_a_member() {
    use cqrs_es::persist::SerializedEvent;
    let version_1 = serde_json::json!({
        "type": "UserRegistered",
        "id": "00000000-0000-0000-0000-000000000007",
        "username": "Alice",
        "email": "alice@example.com",
        "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$1"
    });
    let stored = SerializedEvent::new(
        "u".into(),
        1,
        "User".into(),
        "UserRegistered".into(),
        "1".into(),
        version_1,
        serde_json::Value::Null,
    );
    let upcast = upcasters().iter().fold(stored, |event, upcaster| {
        if upcaster.can_upcast(&event.event_type, &event.event_version) {
            upcaster.upcast(event)
        } else {
            event
        }
    });
    assert_eq!(upcast.event_version, "2.0.0");
    let event: UserEvent = serde_json::from_value(upcast.payload).unwrap();
    assert_eq!(event, registered());
}

#[test]
fn registrations_are_written_at_version_two() {
    use cqrs_es::DomainEvent;
    assert_eq!(registered().event_version(), "2");
    assert!(upcasters().iter().all(|u| !u.can_upcast("UserRegistered", "2")));
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
