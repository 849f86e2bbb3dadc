//! Asking for a chat and answering: approvals, declines, cancellations, and outsiders.

use super::*;

#[test]
fn asking_records_a_request_with_its_note() {
    let note = Note::parse("Loved your tea post!").unwrap();
    chat(&[])
        .given_no_previous_events()
        .when(ChatCommand::Request {
            request: R1,
            from: ANN,
            to: BEN,
            note: note.clone(),
            now: now(),
        })
        .then_expect_events(vec![ChatEvent::ChatRequested {
            request: R1,
            from: ANN,
            to: BEN,
            note,
        }]);
}

#[test]
fn nobody_asks_themselves() {
    chat(&[])
        .given_no_previous_events()
        .when(ask(R1, ANN, ANN, now()))
        .then_expect_error(ChatError::RequestToSelf);
}

#[test]
fn a_second_pending_request_the_same_way_is_refused() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN)])
        .when(ask(R2, ANN, BEN, now()))
        .then_expect_error(ChatError::AlreadyPending);
}

#[test]
fn no_request_once_the_room_is_open() {
    chat(&[])
        .given(opened())
        .when(ask(R2, BEN, ANN, now()))
        .then_expect_error(ChatError::AlreadyOpen);
}

#[test]
fn asking_again_a_week_after_a_decline_is_allowed() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN), declined(R1, Some(now()))])
        .when(ask(R2, ANN, BEN, now() + Duration::days(7)))
        .then_expect_events(vec![requested(R2, ANN, BEN)]);
}

#[test]
fn asking_again_within_a_week_of_a_decline_is_refused_until_the_week_is_over() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN), declined(R1, Some(now()))])
        .when(ask(R2, ANN, BEN, now() + Duration::days(6)))
        .then_expect_error(ChatError::AskedTooSoon {
            until: now() + Duration::days(7),
        });
}

#[test]
fn a_decline_recorded_before_the_wait_existed_does_not_make_anyone_wait() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN), declined(R1, None)])
        .when(ask(R2, ANN, BEN, now()))
        .then_expect_events(vec![requested(R2, ANN, BEN)]);
}

/// Ann asked Ben three times, and Ben declined each, the last a month ago.
fn declined_three_times() -> Vec<ChatEvent> {
    let r3 = RequestId(Uuid::from_u128(13));
    vec![
        requested(R1, ANN, BEN),
        declined(R1, None),
        requested(R2, ANN, BEN),
        declined(R2, Some(now() - Duration::days(60))),
        requested(r3, ANN, BEN),
        declined(r3, Some(now() - Duration::days(30))),
    ]
}

#[test]
fn after_three_declines_only_the_other_person_can_ask() {
    let r4 = RequestId(Uuid::from_u128(14));
    chat(&[])
        .given(declined_three_times())
        .when(ask(r4, ANN, BEN, now()))
        .then_expect_error(ChatError::DeclinedTooOften);
    chat(&[])
        .given(declined_three_times())
        .when(ask(r4, BEN, ANN, now()))
        .then_expect_events(vec![requested(r4, BEN, ANN)]);
}

#[test]
fn once_the_other_person_reaches_out_the_count_starts_afresh() {
    let (r4, r5) = (RequestId(Uuid::from_u128(14)), RequestId(Uuid::from_u128(15)));
    let mut history = declined_three_times();
    history.push(requested(r4, BEN, ANN));
    history.push(ChatEvent::ChatRequestCancelled { request: r4, by: BEN });
    chat(&[])
        .given(history)
        .when(ask(r5, ANN, BEN, now()))
        .then_expect_events(vec![requested(r5, ANN, BEN)]);
}

#[test]
fn a_cancelled_request_makes_nobody_wait() {
    chat(&[])
        .given(vec![
            requested(R1, ANN, BEN),
            ChatEvent::ChatRequestCancelled { request: R1, by: ANN },
        ])
        .when(ask(R2, ANN, BEN, now()))
        .then_expect_events(vec![requested(R2, ANN, BEN)]);
}

#[test]
fn a_decline_records_when() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN)])
        .when(ChatCommand::Decline {
            request: R1,
            by: BEN,
            now: now(),
        })
        .then_expect_events(vec![declined(R1, Some(now()))]);
}

#[test]
fn approval_opens_the_room() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN)])
        .when(ChatCommand::Approve { request: R1, by: BEN })
        .then_expect_events(vec![
            ChatEvent::ChatRequestApproved { request: R1, by: BEN },
            ChatEvent::RoomOpened {
                participants: [ANN, BEN],
            },
        ]);
}

#[test]
fn only_the_recipient_approves_or_declines() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN)])
        .when(ChatCommand::Approve { request: R1, by: ANN })
        .then_expect_error(ChatError::NotRecipient);
    chat(&[])
        .given(vec![requested(R1, ANN, BEN)])
        .when(ChatCommand::Decline {
            request: R1,
            by: ANN,
            now: now(),
        })
        .then_expect_error(ChatError::NotRecipient);
}

#[test]
fn crossing_requests_end_in_one_room_whichever_is_approved() {
    // Ann and Ben asked each other; Ben approves Ann's request: one room, both requests done.
    chat(&[])
        .given(vec![requested(R1, ANN, BEN), requested(R2, BEN, ANN)])
        .when(ChatCommand::Approve { request: R1, by: BEN })
        .then_expect_events(vec![
            ChatEvent::ChatRequestApproved { request: R1, by: BEN },
            ChatEvent::RoomOpened {
                participants: [ANN, BEN],
            },
            ChatEvent::ChatRequestApproved { request: R2, by: BEN },
        ]);
    // Ann's approval of Ben's request, arriving a moment later, changes nothing.
    chat(&[])
        .given(vec![
            requested(R1, ANN, BEN),
            requested(R2, BEN, ANN),
            ChatEvent::ChatRequestApproved { request: R1, by: BEN },
            ChatEvent::RoomOpened {
                participants: [ANN, BEN],
            },
            ChatEvent::ChatRequestApproved { request: R2, by: BEN },
        ])
        .when(ChatCommand::Approve { request: R2, by: ANN })
        .then_expect_events(vec![]);
}

#[test]
fn a_declined_request_cannot_be_approved() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN), declined(R1, Some(now()))])
        .when(ChatCommand::Approve { request: R1, by: BEN })
        .then_expect_error(ChatError::NotPending);
}

#[test]
fn only_the_sender_cancels_and_only_while_pending() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN)])
        .when(ChatCommand::Cancel { request: R1, by: ANN })
        .then_expect_events(vec![ChatEvent::ChatRequestCancelled { request: R1, by: ANN }]);
    chat(&[])
        .given(vec![requested(R1, ANN, BEN)])
        .when(ChatCommand::Cancel { request: R1, by: BEN })
        .then_expect_error(ChatError::NotSender);
    chat(&[])
        .given(opened())
        .when(ChatCommand::Cancel { request: R1, by: ANN })
        .then_expect_error(ChatError::NotPending);
}

#[test]
fn outsiders_see_nothing() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN)])
        .when(ChatCommand::Approve { request: R1, by: CAL })
        .then_expect_error(ChatError::RequestNotFound);
    chat(&[])
        .given(opened())
        .when(send(CAL, 1))
        .then_expect_error(ChatError::NotFound);
    chat(&[])
        .given_no_previous_events()
        .when(send(ANN, 1))
        .then_expect_error(ChatError::NotFound);
}
