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
        .when(ChatCommand::Request {
            request: R1,
            from: ANN,
            to: ANN,
            note: None,
        })
        .then_expect_error(ChatError::RequestToSelf);
}

#[test]
fn a_second_pending_request_the_same_way_is_refused() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN)])
        .when(ChatCommand::Request {
            request: R2,
            from: ANN,
            to: BEN,
            note: None,
        })
        .then_expect_error(ChatError::AlreadyPending);
}

#[test]
fn no_request_once_the_room_is_open() {
    chat(&[])
        .given(opened())
        .when(ChatCommand::Request {
            request: R2,
            from: BEN,
            to: ANN,
            note: None,
        })
        .then_expect_error(ChatError::AlreadyOpen);
}

#[test]
fn asking_again_after_a_decline_is_allowed() {
    chat(&[])
        .given(vec![
            requested(R1, ANN, BEN),
            ChatEvent::ChatRequestDeclined { request: R1, by: BEN },
        ])
        .when(ChatCommand::Request {
            request: R2,
            from: ANN,
            to: BEN,
            note: None,
        })
        .then_expect_events(vec![requested(R2, ANN, BEN)]);
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
        .when(ChatCommand::Decline { request: R1, by: ANN })
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
        .given(vec![
            requested(R1, ANN, BEN),
            ChatEvent::ChatRequestDeclined { request: R1, by: BEN },
        ])
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
