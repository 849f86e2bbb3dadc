//! Blocking: no requests from the blocked person, no messages either way, requests closed.

use super::*;

fn blocked(by: UserId, whom: UserId) -> ChatEvent {
    ChatEvent::Blocked { by, whom }
}

#[test]
fn anyone_can_be_blocked_before_they_ever_asked() {
    chat(&[])
        .given_no_previous_events()
        .when(ChatCommand::Block { by: BEN, whom: ANN })
        .then_expect_events(vec![blocked(BEN, ANN)]);
}

#[test]
fn nobody_blocks_themselves() {
    chat(&[])
        .given_no_previous_events()
        .when(ChatCommand::Block { by: ANN, whom: ANN })
        .then_expect_error(ChatError::BlockSelf);
}

#[test]
fn the_blocked_person_cannot_ask_and_is_told_no_more_than_that() {
    chat(&[])
        .given(vec![blocked(BEN, ANN)])
        .when(ask(R1, ANN, BEN, now()))
        .then_expect_error(ChatError::Blocked);
}

#[test]
fn the_blocker_is_told_to_unblock_before_asking() {
    chat(&[])
        .given(vec![blocked(BEN, ANN)])
        .when(ask(R1, BEN, ANN, now()))
        .then_expect_error(ChatError::YouBlocked);
}

#[test]
fn a_pending_request_is_closed_by_the_block() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN), blocked(BEN, ANN)])
        .when(ChatCommand::Approve { request: R1, by: BEN })
        .then_expect_error(ChatError::NotPending);
}

#[test]
fn after_unblocking_the_person_may_ask_again() {
    chat(&[])
        .given(vec![
            requested(R1, ANN, BEN),
            blocked(BEN, ANN),
            ChatEvent::Unblocked { by: BEN, whom: ANN },
        ])
        .when(ask(R2, ANN, BEN, now()))
        .then_expect_events(vec![requested(R2, ANN, BEN)]);
}

#[test]
fn nobody_writes_in_a_blocked_room_either_way() {
    let mut given = opened();
    given.push(blocked(BEN, ANN));
    chat(&[])
        .given(given.clone())
        .when(send(ANN, 1))
        .then_expect_error(ChatError::Blocked);
    chat(&[])
        .given(given)
        .when(send(BEN, 2))
        .then_expect_error(ChatError::YouBlocked);
}

#[test]
fn a_blocked_person_can_still_delete_their_messages_but_not_edit_them() {
    let mut given = opened();
    given.extend([sent(1, ANN, 1), blocked(BEN, ANN)]);
    chat(&[(1, ANN, false)])
        .given(given.clone())
        .when(ChatCommand::Delete { by: ANN, seq: 1 })
        .then_expect_events(vec![ChatEvent::MessageDeleted { seq: 1, by: ANN }]);
    chat(&[(1, ANN, false)])
        .given(given)
        .when(ChatCommand::Edit {
            by: ANN,
            seq: 1,
            body: body("again"),
        })
        .then_expect_error(ChatError::Blocked);
}

#[test]
fn blocking_twice_or_unblocking_nobody_changes_nothing() {
    chat(&[])
        .given(vec![blocked(BEN, ANN)])
        .when(ChatCommand::Block { by: BEN, whom: ANN })
        .then_expect_events(vec![]);
    chat(&[])
        .given_no_previous_events()
        .when(ChatCommand::Unblock { by: BEN, whom: ANN })
        .then_expect_events(vec![]);
}

#[test]
fn each_person_lifts_only_their_own_block() {
    chat(&[])
        .given(vec![blocked(BEN, ANN), blocked(ANN, BEN)])
        .when(ChatCommand::Unblock { by: ANN, whom: BEN })
        .then_expect_events(vec![ChatEvent::Unblocked { by: ANN, whom: BEN }]);
    chat(&[])
        .given(vec![
            blocked(BEN, ANN),
            blocked(ANN, BEN),
            ChatEvent::Unblocked { by: ANN, whom: BEN },
        ])
        .when(ask(R1, ANN, BEN, now()))
        .then_expect_error(ChatError::Blocked);
}

#[test]
fn an_outsider_cannot_block_in_someone_elses_chat() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN)])
        .when(ChatCommand::Block { by: CAL, whom: ANN })
        .then_expect_error(ChatError::NotFound);
}
