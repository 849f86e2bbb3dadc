//! The chat's rules, as given/when/then.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::aggregate::MessageFacts;
use super::*;
use crate::user::UserId;

const ANN: UserId = UserId(Uuid::from_u128(1));
const BEN: UserId = UserId(Uuid::from_u128(2));
const CAL: UserId = UserId(Uuid::from_u128(3));
const R1: RequestId = RequestId(Uuid::from_u128(11));
const R2: RequestId = RequestId(Uuid::from_u128(12));

/// Messages the test says exist, by seq.
struct Facts(HashMap<u64, MessageInfo>);

#[async_trait]
impl MessageFacts for Facts {
    async fn message(&self, _: ChatId, seq: u64) -> Result<Option<MessageInfo>, ChatError> {
        Ok(self.0.get(&seq).copied())
    }
}

fn chat(facts: &[(u64, UserId, bool)]) -> TestFramework<Chat> {
    let facts = facts
        .iter()
        .map(|&(seq, sender, deleted)| (seq, MessageInfo { sender, deleted }))
        .collect();
    TestFramework::with(Arc::new(Facts(facts)) as Arc<dyn MessageFacts>)
}

fn requested(request: RequestId, from: UserId, to: UserId) -> ChatEvent {
    ChatEvent::ChatRequested {
        request,
        from,
        to,
        note: None,
    }
}

fn opened() -> Vec<ChatEvent> {
    vec![
        requested(R1, ANN, BEN),
        ChatEvent::ChatRequestApproved { request: R1, by: BEN },
        ChatEvent::RoomOpened {
            participants: [ANN, BEN],
        },
    ]
}

fn body(text: &str) -> MessageBody {
    MessageBody::parse(text).unwrap()
}

fn sent(seq: u64, sender: UserId, client: u128) -> ChatEvent {
    ChatEvent::MessageSent {
        id: MessageId(Uuid::from_u128(1000 + client)),
        seq,
        sender,
        client_id: ClientId(Uuid::from_u128(client)),
        body: body("hi"),
    }
}

fn send(by: UserId, client: u128) -> ChatCommand {
    ChatCommand::Send {
        id: MessageId(Uuid::from_u128(1000 + client)),
        by,
        client_id: ClientId(Uuid::from_u128(client)),
        body: body("hi"),
    }
}

#[test]
fn a_chat_between_two_people_has_one_id_whoever_asks() {
    assert_eq!(ChatId::for_pair(ANN, BEN), ChatId::for_pair(BEN, ANN));
    assert_ne!(ChatId::for_pair(ANN, BEN), ChatId::for_pair(ANN, CAL));
}

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

#[test]
fn sending_before_approval_is_rejected() {
    chat(&[])
        .given(vec![requested(R1, ANN, BEN)])
        .when(send(ANN, 1))
        .then_expect_error(ChatError::NotOpen);
}

#[test]
fn messages_are_numbered_one_after_another() {
    chat(&[])
        .given(opened())
        .when(send(ANN, 1))
        .then_expect_events(vec![sent(1, ANN, 1)]);
    let mut history = opened();
    history.extend([sent(1, ANN, 1), sent(2, BEN, 2)]);
    chat(&[])
        .given(history)
        .when(send(ANN, 3))
        .then_expect_events(vec![sent(3, ANN, 3)]);
}

#[test]
fn a_resend_with_the_same_client_id_records_nothing() {
    let mut history = opened();
    history.push(sent(1, ANN, 7));
    chat(&[])
        .given(history)
        .when(send(ANN, 7))
        .then_expect_events(vec![]);
}

#[test]
fn a_client_id_is_its_senders_own() {
    // Ben happens (or tries) to use Ann's client id: his message is a message of its own.
    let mut history = opened();
    history.push(sent(1, ANN, 7));
    chat(&[])
        .given(history)
        .when(send(BEN, 7))
        .then_expect_events(vec![sent(2, BEN, 7)]);
}

#[test]
fn bodies_are_one_to_four_thousand_characters_after_trimming() {
    assert_eq!(MessageBody::parse(" \n "), Err(ChatError::BodyBlank));
    assert_eq!(
        MessageBody::parse("\u{200B}\u{200B}"),
        Err(ChatError::BodyBlank),
        "invisible only"
    );
    assert!(MessageBody::parse(&format!("  {}  ", "x".repeat(4000))).is_ok());
    assert_eq!(MessageBody::parse(&"x".repeat(4001)), Err(ChatError::BodyTooLong));
}

#[test]
fn senders_edit_and_delete_their_own_messages_only() {
    let mut history = opened();
    history.extend([sent(1, ANN, 1), sent(2, BEN, 2)]);
    let facts = [(1, ANN, false), (2, BEN, false)];
    chat(&facts)
        .given(history.clone())
        .when(ChatCommand::Edit {
            by: ANN,
            seq: 1,
            body: body("hello"),
        })
        .then_expect_events(vec![ChatEvent::MessageEdited {
            seq: 1,
            by: ANN,
            body: body("hello"),
        }]);
    chat(&facts)
        .given(history.clone())
        .when(ChatCommand::Edit {
            by: ANN,
            seq: 2,
            body: body("mine now"),
        })
        .then_expect_error(ChatError::NotYourMessage);
    chat(&facts)
        .given(history.clone())
        .when(ChatCommand::Delete { by: BEN, seq: 2 })
        .then_expect_events(vec![ChatEvent::MessageDeleted { seq: 2, by: BEN }]);
    chat(&facts)
        .given(history.clone())
        .when(ChatCommand::Delete { by: BEN, seq: 1 })
        .then_expect_error(ChatError::NotYourMessage);
    chat(&facts)
        .given(history)
        .when(ChatCommand::Delete { by: ANN, seq: 9 })
        .then_expect_error(ChatError::MessageNotFound);
}

#[test]
fn a_deleted_message_cannot_be_edited() {
    let mut history = opened();
    history.extend([sent(1, ANN, 1), ChatEvent::MessageDeleted { seq: 1, by: ANN }]);
    chat(&[(1, ANN, true)])
        .given(history)
        .when(ChatCommand::Edit {
            by: ANN,
            seq: 1,
            body: body("back"),
        })
        .then_expect_error(ChatError::MessageNotFound);
}

#[test]
fn read_receipts_only_move_forward_and_stop_at_the_last_message() {
    let mut history = opened();
    history.extend([sent(1, ANN, 1), sent(2, ANN, 2)]);
    chat(&[])
        .given(history.clone())
        .when(ChatCommand::MarkRead { by: BEN, seq: 99 })
        .then_expect_events(vec![ChatEvent::MessagesRead { by: BEN, seq: 2 }]);
    history.push(ChatEvent::MessagesRead { by: BEN, seq: 2 });
    chat(&[])
        .given(history)
        .when(ChatCommand::MarkRead { by: BEN, seq: 1 })
        .then_expect_events(vec![]);
}
