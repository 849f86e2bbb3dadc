//! Deleting an account, and what every account event keeps once its person is erased.

use cqrs_es::DomainEvent;

use crate::personal::{ERASED_USERNAME, Personal};

use super::*;

#[test]
fn deleting_an_account_frees_its_username_and_address() {
    UserTest::with(())
        .given(vec![registered()])
        .when(UserCommand::DeleteAccount)
        .then_expect_events(vec![UserEvent::AccountDeleted {
            username: alice(),
            email: email("alice@example.com"),
        }]);
    let deleted = UserEvent::AccountDeleted {
        username: alice(),
        email: email("alice@example.com"),
    };
    let released: Vec<_> = crate::Claims::releases(&deleted)
        .into_iter()
        .map(|c| c.value)
        .collect();
    assert_eq!(released, vec!["alice".to_owned(), "alice@example.com".to_owned()]);
}

#[test]
fn a_deleted_account_refuses_everything() {
    let deleted = UserEvent::AccountDeleted {
        username: alice(),
        email: email("alice@example.com"),
    };
    for command in [
        UserCommand::DeleteAccount,
        UserCommand::SignOutEverywhere,
        UserCommand::RequestConfirmation,
        change(AccountChanges {
            username: Some(Username::parse("bob").unwrap()),
            ..AccountChanges::default()
        }),
    ] {
        UserTest::with(())
            .given(vec![registered(), deleted.clone()])
            .when(command)
            .then_expect_error(UserError::NotFound);
    }
}

#[test]
fn every_account_event_with_personal_data_has_an_erased_form_without_it() {
    let marker = "Zq9marker";
    let marked_email = email(&format!("{marker}@example.com"));
    let mut user = User::default();
    let registered = UserEvent::UserRegistered {
        id: id(),
        username: Username::parse(marker).unwrap(),
        email: marked_email.clone(),
        password_hash: PasswordHash::new(marker),
        staff: false,
        email_confirmed: false,
    };
    cqrs_es::Aggregate::apply(&mut user, registered.clone());
    let events = vec![
        registered,
        UserEvent::ProfileUpdated {
            display_name: DisplayName::parse(marker).unwrap(),
            bio: Bio::parse(marker).unwrap(),
            image: crate::image::ImageUrl::parse(&format!("/media/{marker}.png")).unwrap(),
        },
        UserEvent::UsernameChanged {
            username: Username::parse(marker).unwrap(),
            previous: alice(),
        },
        UserEvent::EmailChanged {
            email: marked_email.clone(),
            previous: marked_email.clone(),
        },
        UserEvent::PasswordChanged {
            password_hash: PasswordHash::new(marker),
        },
        UserEvent::EmailConfirmed {
            email: marked_email.clone(),
        },
        UserEvent::ConfirmationRequested {
            email: marked_email.clone(),
        },
        UserEvent::EmailChangeRequested {
            change_id: Uuid::from_u128(1),
            email: marked_email.clone(),
            expires_at: chrono::DateTime::UNIX_EPOCH,
        },
        UserEvent::PasswordReset {
            reset_id: Uuid::from_u128(1),
            password_hash: PasswordHash::new(marker),
        },
        UserEvent::AccountDeleted {
            username: Username::parse(marker).unwrap(),
            email: marked_email,
        },
    ];
    for event in events {
        let (owner, erased) = user.personal(&event).expect("holds personal data");
        assert_eq!(owner, id());
        assert_eq!(erased.event_type(), event.event_type());
        let json = serde_json::to_string(&erased).unwrap();
        assert!(!json.contains(marker), "{json}");
    }
    let erased = user.personal(&super::registered()).map(|(_, erased)| erased);
    assert!(
        matches!(erased, Some(UserEvent::UserRegistered { username, .. }) if username.as_str() == ERASED_USERNAME)
    );
    // Events without personal data are stored as they are.
    assert!(user.personal(&UserEvent::SignedOutEverywhere).is_none());
}
