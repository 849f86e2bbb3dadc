//! What the events carry beyond their data: the claims they make and release, and the versions
//! they are stored at.

use super::*;
use crate::claims::{Claim, ClaimKind, Claims};

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
    assert_eq!(upcast.event_version, "3.0.0");
    let event: UserEvent = serde_json::from_value(upcast.payload).unwrap();
    assert_eq!(event, registered_confirmed());
}

/// Accounts made before addresses were confirmed keep what they could do.
#[test]
fn a_registration_stored_before_confirmation_reads_as_confirmed() {
    use cqrs_es::persist::SerializedEvent;
    let mut version_2 = serde_json::to_value(registered()).unwrap();
    version_2.as_object_mut().unwrap().remove("email_confirmed");
    let stored = SerializedEvent::new(
        "u".into(),
        1,
        "User".into(),
        "UserRegistered".into(),
        "2".into(),
        version_2,
        serde_json::Value::Null,
    );
    let upcast = upcasters().iter().fold(stored, |event, upcaster| {
        if upcaster.can_upcast(&event.event_type, &event.event_version) {
            upcaster.upcast(event)
        } else {
            event
        }
    });
    let event: UserEvent = serde_json::from_value(upcast.payload).unwrap();
    assert_eq!(event, registered_confirmed());
}

fn registered_confirmed() -> UserEvent {
    match registered() {
        UserEvent::UserRegistered {
            id,
            username,
            email,
            password_hash,
            staff,
            ..
        } => UserEvent::UserRegistered {
            id,
            username,
            email,
            password_hash,
            staff,
            email_confirmed: true,
        },
        _ => unreachable!(),
    }
}

#[test]
fn registrations_are_written_at_version_three() {
    use cqrs_es::DomainEvent;
    assert_eq!(registered().event_version(), "3");
    assert!(upcasters().iter().all(|u| !u.can_upcast("UserRegistered", "3")));
}
