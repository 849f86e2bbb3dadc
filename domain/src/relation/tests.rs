//! Favorites and follows, as given/when/then.
#![cfg(test)]

use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::post::PostId;
use crate::user::UserId;

const ANN: UserId = UserId(Uuid::from_u128(1));
const BEN: UserId = UserId(Uuid::from_u128(2));
const POST: PostId = PostId(Uuid::from_u128(9));

#[test]
fn favoriting_is_recorded_once() {
    TestFramework::<Favorite>::with(())
        .given_no_previous_events()
        .when(FavoriteCommand::Favorite {
            post: POST,
            user: ANN,
        })
        .then_expect_events(vec![FavoriteEvent::PostFavorited {
            post: POST,
            user: ANN,
        }]);
    TestFramework::<Favorite>::with(())
        .given(vec![FavoriteEvent::PostFavorited {
            post: POST,
            user: ANN,
        }])
        .when(FavoriteCommand::Favorite {
            post: POST,
            user: ANN,
        })
        .then_expect_events(vec![]);
}

#[test]
fn unfavoriting_only_undoes_a_favorite() {
    TestFramework::<Favorite>::with(())
        .given_no_previous_events()
        .when(FavoriteCommand::Unfavorite {
            post: POST,
            user: ANN,
        })
        .then_expect_events(vec![]);
    TestFramework::<Favorite>::with(())
        .given(vec![FavoriteEvent::PostFavorited {
            post: POST,
            user: ANN,
        }])
        .when(FavoriteCommand::Unfavorite {
            post: POST,
            user: ANN,
        })
        .then_expect_events(vec![FavoriteEvent::PostUnfavorited {
            post: POST,
            user: ANN,
        }]);
}

#[test]
fn following_is_recorded_once_and_can_be_undone() {
    TestFramework::<Follow>::with(())
        .given_no_previous_events()
        .when(FollowCommand::Follow {
            follower: ANN,
            followee: BEN,
        })
        .then_expect_events(vec![FollowEvent::UserFollowed {
            follower: ANN,
            followee: BEN,
        }]);
    TestFramework::<Follow>::with(())
        .given(vec![FollowEvent::UserFollowed {
            follower: ANN,
            followee: BEN,
        }])
        .when(FollowCommand::Follow {
            follower: ANN,
            followee: BEN,
        })
        .then_expect_events(vec![]);
    TestFramework::<Follow>::with(())
        .given(vec![FollowEvent::UserFollowed {
            follower: ANN,
            followee: BEN,
        }])
        .when(FollowCommand::Unfollow {
            follower: ANN,
            followee: BEN,
        })
        .then_expect_events(vec![FollowEvent::UserUnfollowed {
            follower: ANN,
            followee: BEN,
        }]);
}

#[test]
fn nobody_follows_themselves() {
    TestFramework::<Follow>::with(())
        .given_no_previous_events()
        .when(FollowCommand::Follow {
            follower: ANN,
            followee: ANN,
        })
        .then_expect_error(FollowError::FollowingSelf);
}
