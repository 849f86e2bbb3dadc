//! The post's rules, as given/when/then.

use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::actor::Actor;
use crate::claims::{Claim, ClaimKind, Claims};
use crate::user::UserId;

type PostTest = TestFramework<Post>;

const AUTHOR: UserId = UserId(Uuid::from_u128(1));
const OTHER: UserId = UserId(Uuid::from_u128(2));

fn content(title: &str, body: &str) -> PostContent {
    PostContent {
        title: PostTitle::parse(title).unwrap(),
        description: Description::parse("About tea").unwrap(),
        body: PostBody::parse(body).unwrap(),
        tags: Tags::parse_list("tea, leaves").unwrap(),
        cover: None,
    }
}

fn published() -> PostEvent {
    PostEvent::PostPublished {
        id: PostId(Uuid::from_u128(9)),
        author: AUTHOR,
        slug: Slug::from_title("Green tea"),
        content: content("Green tea", "Brew at 80°C."),
    }
}

fn edit(by: UserId, changes: PostChanges) -> PostCommand {
    PostCommand::Edit { by, changes }
}

#[test]
fn publishing_records_the_post() {
    PostTest::with(())
        .given_no_previous_events()
        .when(PostCommand::Publish {
            id: PostId(Uuid::from_u128(9)),
            author: AUTHOR,
            slug: Slug::from_title("Green tea"),
            content: content("Green tea", "Brew at 80°C."),
        })
        .then_expect_events(vec![published()]);
}

#[test]
fn publishing_twice_is_refused() {
    let PostEvent::PostPublished {
        id,
        author,
        slug,
        content,
    } = published()
    else {
        unreachable!()
    };
    PostTest::with(())
        .given(vec![published()])
        .when(PostCommand::Publish {
            id,
            author,
            slug,
            content,
        })
        .then_expect_error(PostError::AlreadyPublished);
}

#[test]
fn the_author_edits_and_the_whole_new_content_is_recorded() {
    PostTest::with(())
        .given(vec![published()])
        .when(edit(
            AUTHOR,
            PostChanges {
                body: Some(PostBody::parse("Brew at 75°C.").unwrap()),
                ..Default::default()
            },
        ))
        .then_expect_events(vec![PostEvent::PostEdited {
            content: content("Green tea", "Brew at 75°C."),
        }]);
}

#[test]
fn someone_else_may_not_edit() {
    PostTest::with(())
        .given(vec![published()])
        .when(edit(
            OTHER,
            PostChanges {
                body: Some(PostBody::parse("Mine now").unwrap()),
                ..Default::default()
            },
        ))
        .then_expect_error(PostError::NotAuthor);
}

#[test]
fn an_edit_that_changes_nothing_records_nothing() {
    PostTest::with(())
        .given(vec![published()])
        .when(edit(
            AUTHOR,
            PostChanges {
                title: Some(PostTitle::parse("Green tea").unwrap()),
                ..Default::default()
            },
        ))
        .then_expect_events(vec![]);
}

#[test]
fn clearing_the_tags_is_an_edit() {
    let mut expected = content("Green tea", "Brew at 80°C.");
    expected.tags = Tags::default();
    PostTest::with(())
        .given(vec![published()])
        .when(edit(
            AUTHOR,
            PostChanges {
                tags: Some(Tags::default()),
                ..Default::default()
            },
        ))
        .then_expect_events(vec![PostEvent::PostEdited { content: expected }]);
}

#[test]
fn the_author_deletes() {
    PostTest::with(())
        .given(vec![published()])
        .when(PostCommand::Delete {
            by: Actor::member(AUTHOR),
        })
        .then_expect_events(vec![PostEvent::PostDeleted { by: AUTHOR }]);
}

#[test]
fn staff_delete_anyones_post() {
    PostTest::with(())
        .given(vec![published()])
        .when(PostCommand::Delete {
            by: Actor::staff(OTHER),
        })
        .then_expect_events(vec![PostEvent::PostDeleted { by: OTHER }]);
}

#[test]
fn other_members_may_not_delete() {
    PostTest::with(())
        .given(vec![published()])
        .when(PostCommand::Delete {
            by: Actor::member(OTHER),
        })
        .then_expect_error(PostError::NotAllowedToDelete);
}

#[test]
fn a_deleted_post_is_gone_for_every_command() {
    let deleted = vec![published(), PostEvent::PostDeleted { by: AUTHOR }];
    PostTest::with(())
        .given(deleted.clone())
        .when(edit(
            AUTHOR,
            PostChanges {
                body: Some(PostBody::parse("back").unwrap()),
                ..Default::default()
            },
        ))
        .then_expect_error(PostError::NotFound);
    PostTest::with(())
        .given(deleted)
        .when(PostCommand::Delete {
            by: Actor::staff(OTHER),
        })
        .then_expect_error(PostError::NotFound);
}

#[test]
fn commands_on_a_missing_post_are_refused() {
    PostTest::with(())
        .given_no_previous_events()
        .when(PostCommand::Delete {
            by: Actor::staff(OTHER),
        })
        .then_expect_error(PostError::NotFound);
}

#[test]
fn publishing_claims_the_slug_for_good() {
    assert_eq!(
        published().claims(),
        vec![Claim::new(ClaimKind::Slug, "green-tea")]
    );
    assert!(PostEvent::PostDeleted { by: AUTHOR }.releases().is_empty());
}

#[test]
fn a_post_sealed_for_its_author_keeps_only_its_shape() {
    use crate::personal::{ERASED_SLUG_PREFIX, ERASED_TITLE, Personal};
    let marker = "Zq9marker";
    let mut post = Post::default();
    let publish = PostEvent::PostPublished {
        id: PostId(Uuid::from_u128(9)),
        author: AUTHOR,
        slug: Slug::from_title(marker),
        content: content(marker, marker),
    };
    cqrs_es::Aggregate::apply(&mut post, publish.clone());
    // An edit does not name its author: the post it belongs to does.
    let edit = PostEvent::PostEdited {
        content: content(marker, marker),
    };
    for event in [&publish, &edit] {
        let (owner, erased) = post.personal(event).expect("holds personal data");
        assert_eq!(owner, AUTHOR);
        let json = serde_json::to_string(&erased).unwrap();
        assert!(!json.to_lowercase().contains(&marker.to_lowercase()), "{json}");
    }
    let Some((_, PostEvent::PostPublished { slug, content, .. })) = post.personal(&publish) else {
        panic!("the erased form of a publication is a publication");
    };
    assert!(slug.as_str().starts_with(ERASED_SLUG_PREFIX));
    assert_eq!(content.title.as_str(), ERASED_TITLE);
    assert!(post.personal(&PostEvent::PostDeleted { by: AUTHOR }).is_none());
}

fn moderate(by: Actor, hide: bool) -> PostCommand {
    PostCommand::Moderate {
        by,
        hide,
        reason: crate::reason::Reason::parse("spam links").unwrap(),
    }
}

#[test]
fn staff_hide_a_post_with_a_reason_and_show_it_again() {
    let reason = crate::reason::Reason::parse("spam links").unwrap();
    let hidden = PostEvent::PostHidden {
        by: OTHER,
        reason: reason.clone(),
    };
    PostTest::with(())
        .given(vec![published()])
        .when(moderate(Actor::staff(OTHER), true))
        .then_expect_events(vec![hidden.clone()]);
    PostTest::with(())
        .given(vec![published(), hidden.clone()])
        .when(moderate(Actor::staff(OTHER), true))
        .then_expect_events(vec![]);
    PostTest::with(())
        .given(vec![published(), hidden])
        .when(moderate(Actor::staff(OTHER), false))
        .then_expect_events(vec![PostEvent::PostUnhidden { by: OTHER, reason }]);
}

#[test]
fn only_staff_hide_a_post_not_even_its_author() {
    PostTest::with(())
        .given(vec![published()])
        .when(moderate(Actor::member(AUTHOR), true))
        .then_expect_error(PostError::NotStaff);
}

mod drafts {
    use chrono::{DateTime, Duration, Utc};

    use super::*;

    const ID: PostId = PostId(Uuid::from_u128(9));

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn draft(title: &str, body: &str) -> DraftContent {
        DraftContent::new(
            title,
            "About tea",
            body,
            Tags::parse_list("tea, leaves").unwrap(),
            None,
        )
        .unwrap()
    }

    fn saved(title: &str, body: &str) -> PostEvent {
        PostEvent::DraftSaved {
            id: ID,
            author: AUTHOR,
            content: draft(title, body),
        }
    }

    fn save(by: UserId, title: &str, body: &str) -> PostCommand {
        PostCommand::SaveDraft {
            id: ID,
            author: by,
            content: draft(title, body),
        }
    }

    #[test]
    fn given_nothing_when_saved_then_a_draft_starts_even_half_written() {
        PostTest::with(())
            .given_no_previous_events()
            .when(save(AUTHOR, "", "Brew"))
            .then_expect_events(vec![saved("", "Brew")]);
    }

    #[test]
    fn given_a_draft_when_saved_unchanged_then_nothing_and_by_another_then_refused() {
        PostTest::with(())
            .given(vec![saved("Green tea", "Brew")])
            .when(save(AUTHOR, "Green tea", "Brew"))
            .then_expect_events(vec![]);
        PostTest::with(())
            .given(vec![saved("Green tea", "Brew")])
            .when(save(OTHER, "Mine now", "Brew"))
            .then_expect_error(PostError::NotAuthor);
    }

    #[test]
    fn given_a_draft_when_published_then_it_is_a_post_and_no_longer_a_draft() {
        PostTest::with(())
            .given(vec![saved("Green tea", "Brew at 80°C.")])
            .when(PostCommand::PublishDraft {
                by: AUTHOR,
                slug: Slug::from_title("Green tea"),
            })
            .then_expect_events(vec![published()]);
        PostTest::with(())
            .given(vec![saved("Green tea", "Brew at 80°C."), published()])
            .when(save(AUTHOR, "Green tea", "Again"))
            .then_expect_error(PostError::AlreadyPublished);
    }

    #[test]
    fn given_a_draft_without_a_title_when_published_or_scheduled_then_refused() {
        PostTest::with(())
            .given(vec![saved("", "Brew")])
            .when(PostCommand::PublishDraft {
                by: AUTHOR,
                slug: Slug::from_title("x"),
            })
            .then_expect_error(PostError::TitleBlank);
        PostTest::with(())
            .given(vec![saved("", "Brew")])
            .when(PostCommand::Schedule {
                by: AUTHOR,
                at: now() + Duration::hours(1),
                now: now(),
            })
            .then_expect_error(PostError::TitleBlank);
    }

    #[test]
    fn given_a_schedule_when_due_then_published_once_and_before_then_refused() {
        let at = now() + Duration::hours(1);
        let scheduled = vec![
            saved("Green tea", "Brew at 80°C."),
            PostEvent::PublishScheduled { at },
        ];
        PostTest::with(())
            .given(scheduled.clone())
            .when(PostCommand::PublishDue {
                slug: Slug::from_title("Green tea"),
                now: now(),
            })
            .then_expect_error(PostError::NotDue);
        PostTest::with(())
            .given(scheduled.clone())
            .when(PostCommand::PublishDue {
                slug: Slug::from_title("Green tea"),
                now: at,
            })
            .then_expect_events(vec![published()]);
        let mut after = scheduled.clone();
        after.push(published());
        PostTest::with(())
            .given(after)
            .when(PostCommand::PublishDue {
                slug: Slug::from_title("Green tea"),
                now: at,
            })
            .then_expect_error(PostError::AlreadyPublished);
        let mut cancelled = scheduled;
        cancelled.push(PostEvent::ScheduleCancelled { by: AUTHOR });
        PostTest::with(())
            .given(cancelled)
            .when(PostCommand::PublishDue {
                slug: Slug::from_title("Green tea"),
                now: at,
            })
            .then_expect_error(PostError::NotDue);
    }

    #[test]
    fn schedules_are_in_the_future_within_a_year_and_keep_the_draft_publishable() {
        for (at, error) in [
            (now() - Duration::minutes(1), PostError::ScheduleInPast),
            (now() + Duration::days(366), PostError::ScheduleTooFar),
        ] {
            PostTest::with(())
                .given(vec![saved("Green tea", "Brew")])
                .when(PostCommand::Schedule {
                    by: AUTHOR,
                    at,
                    now: now(),
                })
                .then_expect_error(error);
        }
        PostTest::with(())
            .given(vec![
                saved("Green tea", "Brew"),
                PostEvent::PublishScheduled {
                    at: now() + Duration::hours(1),
                },
            ])
            .when(save(AUTHOR, "Green tea", " "))
            .then_expect_error(PostError::BodyBlank);
    }

    #[test]
    fn given_a_discarded_draft_then_nothing_more_happens_to_it() {
        PostTest::with(())
            .given(vec![
                saved("Green tea", "Brew"),
                PostEvent::DraftDiscarded { by: AUTHOR },
            ])
            .when(save(AUTHOR, "Green tea", "Brew again"))
            .then_expect_error(PostError::NotFound);
    }

    #[test]
    fn preview_links_are_shared_and_revoked_by_the_author_alone() {
        let key = PreviewKey::parse(&"ab".repeat(32)).unwrap();
        PostTest::with(())
            .given(vec![saved("Green tea", "Brew")])
            .when(PostCommand::SharePreview {
                by: OTHER,
                key: key.clone(),
            })
            .then_expect_error(PostError::NotAuthor);
        PostTest::with(())
            .given(vec![saved("Green tea", "Brew"), PostEvent::PreviewShared { key }])
            .when(PostCommand::RevokePreview { by: AUTHOR })
            .then_expect_events(vec![PostEvent::PreviewRevoked { by: AUTHOR }]);
        assert!(PreviewKey::parse("AB").is_none());
    }

    #[test]
    fn a_draft_is_not_a_post_to_edit_or_delete() {
        PostTest::with(())
            .given(vec![saved("Green tea", "Brew")])
            .when(PostCommand::Delete {
                by: Actor::member(AUTHOR),
            })
            .then_expect_error(PostError::NotFound);
    }
}
