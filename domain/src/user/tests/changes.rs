//! Changes to an account: profile, username, email, password, and signing out everywhere.

use super::*;

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
            email: Some(EmailUpdate::Now(email("alice@example.com"))),
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
            email: Some(EmailUpdate::Now(email("new@example.com"))),
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
            email: Some(EmailUpdate::Now(email("bob@example.com"))),
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
