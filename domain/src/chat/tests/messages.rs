//! Messages in an open room: numbering, resends, bodies, edits, deletions and read receipts.

use super::*;

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

#[test]
fn words_in_a_chat_are_sealed_for_whoever_wrote_them() {
    use crate::personal::Personal;
    let marker = "Zq9marker";
    let mut chat_state = Chat::default();
    for event in opened() {
        cqrs_es::Aggregate::apply(&mut chat_state, event);
    }
    let events = [
        (
            ChatEvent::ChatRequested {
                request: R2,
                from: BEN,
                to: ANN,
                note: Note::parse(marker).unwrap(),
            },
            BEN,
        ),
        (
            ChatEvent::MessageSent {
                id: MessageId(Uuid::from_u128(1001)),
                seq: 1,
                sender: ANN,
                client_id: ClientId(Uuid::from_u128(1)),
                body: body(marker),
                reply_to: None,
                attachment: None,
            },
            ANN,
        ),
        (
            ChatEvent::MessageEdited {
                seq: 1,
                by: ANN,
                body: body(marker),
            },
            ANN,
        ),
    ];
    for (event, writer) in events {
        let (owner, erased) = chat_state.personal(&event).expect("holds personal data");
        assert_eq!(owner, writer);
        let json = serde_json::to_string(&erased).unwrap();
        assert!(!json.contains(marker), "{json}");
    }
    // Who asked whom, the room and its receipts hold nobody's words.
    for event in opened() {
        assert!(chat_state.personal(&event).is_none());
    }
    assert!(chat_state.personal(&requested(R2, BEN, ANN)).is_none());
}

#[test]
fn a_chat_replayed_from_erased_forms_is_the_same_chat() {
    use crate::personal::Personal;
    // The store loads chats from the erased forms of their events (it opens no box to decide),
    // which is only right while the state keeps nothing that an erased form drops.
    let mut history = opened();
    history.push(ChatEvent::ChatRequested {
        request: R2,
        from: BEN,
        to: ANN,
        note: Note::parse("a note").unwrap(),
    });
    history.push(sent(1, ANN, 1));
    history.push(sent(2, BEN, 2));
    history.push(ChatEvent::MessageEdited {
        seq: 1,
        by: ANN,
        body: body("edited"),
    });
    history.push(ChatEvent::MessagesRead { by: BEN, seq: 2 });
    let (mut whole, mut erased) = (Chat::default(), Chat::default());
    for event in history {
        let stored = erased
            .personal(&event)
            .map_or_else(|| event.clone(), |(_, form)| form);
        cqrs_es::Aggregate::apply(&mut whole, event);
        cqrs_es::Aggregate::apply(&mut erased, stored);
    }
    assert_eq!(whole, erased);
}
