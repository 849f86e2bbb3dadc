//! The comment's rules, as given/when/then.
#![cfg(test)]

use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::actor::Actor;
use crate::post::PostId;
use crate::user::UserId;

type CommentTest = TestFramework<Comment>;

const POST_AUTHOR: UserId = UserId(Uuid::from_u128(1));
const COMMENTER: UserId = UserId(Uuid::from_u128(2));
const STRANGER: UserId = UserId(Uuid::from_u128(3));
const POST: PostId = PostId(Uuid::from_u128(9));

fn body(text: &str) -> CommentBody {
    CommentBody::parse(text).unwrap()
}

fn posted() -> CommentEvent {
    CommentEvent::CommentPosted {
        id: CommentId(Uuid::from_u128(5)),
        post: POST,
        post_author: POST_AUTHOR,
        author: COMMENTER,
        body: body("Nice post"),
    }
}

#[test]
fn commenting_records_the_comment() {
    CommentTest::with(())
        .given_no_previous_events()
        .when(CommentCommand::Post {
            id: CommentId(Uuid::from_u128(5)),
            post: POST,
            post_author: POST_AUTHOR,
            author: COMMENTER,
            body: body("Nice post"),
        })
        .then_expect_events(vec![posted()]);
}

#[test]
fn bodies_are_one_to_ten_thousand_characters() {
    assert_eq!(CommentBody::parse("   "), Err(CommentError::BodyBlank));
    assert!(CommentBody::parse(&"c".repeat(10_000)).is_ok());
    assert_eq!(
        CommentBody::parse(&"c".repeat(10_001)),
        Err(CommentError::BodyTooLong)
    );
}

#[test]
fn the_author_edits() {
    CommentTest::with(())
        .given(vec![posted()])
        .when(CommentCommand::Edit {
            by: COMMENTER,
            body: body("Very nice post"),
        })
        .then_expect_events(vec![CommentEvent::CommentEdited {
            post: POST,
            body: body("Very nice post"),
        }]);
}

#[test]
fn the_post_author_may_not_edit_someone_elses_comment() {
    CommentTest::with(())
        .given(vec![posted()])
        .when(CommentCommand::Edit {
            by: POST_AUTHOR,
            body: body("Rewritten"),
        })
        .then_expect_error(CommentError::NotAuthor);
}

#[test]
fn the_comment_author_the_post_author_and_staff_may_delete() {
    for by in [
        Actor::member(COMMENTER),
        Actor::member(POST_AUTHOR),
        Actor::staff(STRANGER),
    ] {
        CommentTest::with(())
            .given(vec![posted()])
            .when(CommentCommand::Delete { by })
            .then_expect_events(vec![CommentEvent::CommentDeleted {
                post: POST,
                by: by.user,
            }]);
    }
}

#[test]
fn others_may_not_delete() {
    CommentTest::with(())
        .given(vec![posted()])
        .when(CommentCommand::Delete {
            by: Actor::member(STRANGER),
        })
        .then_expect_error(CommentError::NotAllowedToDelete);
}

#[test]
fn a_deleted_comment_cannot_be_edited_or_deleted_again() {
    let deleted = vec![
        posted(),
        CommentEvent::CommentDeleted {
            post: POST,
            by: COMMENTER,
        },
    ];
    CommentTest::with(())
        .given(deleted.clone())
        .when(CommentCommand::Edit {
            by: COMMENTER,
            body: body("back"),
        })
        .then_expect_error(CommentError::NotFound);
    CommentTest::with(())
        .given(deleted)
        .when(CommentCommand::Delete {
            by: Actor::member(COMMENTER),
        })
        .then_expect_error(CommentError::NotFound);
}

#[test]
fn an_unchanged_edit_records_nothing() {
    CommentTest::with(())
        .given(vec![posted()])
        .when(CommentCommand::Edit {
            by: COMMENTER,
            body: body("Nice post"),
        })
        .then_expect_events(vec![]);
}

#[test]
fn a_comment_sealed_for_its_author_keeps_only_its_shape() {
    use crate::personal::Personal;
    let marker = "Zq9marker";
    let mut comment = Comment::default();
    let posted = CommentEvent::CommentPosted {
        id: CommentId(Uuid::from_u128(5)),
        post: POST,
        post_author: POST_AUTHOR,
        author: COMMENTER,
        body: body(marker),
    };
    cqrs_es::Aggregate::apply(&mut comment, posted.clone());
    let edited = CommentEvent::CommentEdited {
        post: POST,
        body: body(marker),
    };
    for event in [&posted, &edited] {
        let (owner, erased) = comment.personal(event).expect("holds personal data");
        assert_eq!(owner, COMMENTER, "the commenter's, not the post author's");
        let json = serde_json::to_string(&erased).unwrap();
        assert!(!json.contains(marker), "{json}");
        assert!(
            json.contains(&POST.0.to_string()),
            "the post it is on stays: {json}"
        );
    }
    assert!(
        comment
            .personal(&CommentEvent::CommentDeleted {
                post: POST,
                by: COMMENTER
            })
            .is_none()
    );
}

#[test]
fn staff_hide_a_comment_and_nobody_else_does() {
    let reason = crate::reason::Reason::parse("insults").unwrap();
    let moderate = |by| CommentCommand::Moderate {
        by,
        hide: true,
        reason: reason.clone(),
    };
    CommentTest::with(())
        .given(vec![posted()])
        .when(moderate(Actor::staff(STRANGER)))
        .then_expect_events(vec![CommentEvent::CommentHidden {
            post: POST,
            by: STRANGER,
            reason: reason.clone(),
        }]);
    CommentTest::with(())
        .given(vec![posted()])
        .when(moderate(Actor::member(POST_AUTHOR)))
        .then_expect_error(CommentError::NotStaff);
}
