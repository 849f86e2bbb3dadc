//! Replies, reactions and attachments.

use super::*;

fn with_one(reactions: Vec<(UserId, Reaction)>, deleted: bool) -> TestFramework<Chat> {
    chat_with(vec![(
        1,
        MessageInfo {
            sender: ANN,
            deleted,
            reactions,
        },
    )])
}

fn history() -> Vec<ChatEvent> {
    let mut events = opened();
    events.push(sent(1, ANN, 1));
    events
}

fn react(by: UserId, seq: u64) -> ChatCommand {
    ChatCommand::React {
        by,
        seq,
        reaction: Reaction::Heart,
    }
}

fn reply(by: UserId, client: u128, to: u64) -> ChatCommand {
    match send(by, client) {
        ChatCommand::Send {
            id,
            by,
            client_id,
            body,
            attachment,
            ..
        } => ChatCommand::Send {
            id,
            by,
            client_id,
            body,
            reply_to: Some(to),
            attachment,
        },
        other => other,
    }
}

#[test]
fn a_reply_quotes_an_earlier_message() {
    let expected = match sent(2, BEN, 2) {
        ChatEvent::MessageSent {
            id,
            seq,
            sender,
            client_id,
            body,
            ..
        } => ChatEvent::MessageSent {
            id,
            seq,
            sender,
            client_id,
            body,
            reply_to: Some(1),
            attachment: None,
        },
        other => other,
    };
    with_one(vec![], false)
        .given(history())
        .when(reply(BEN, 2, 1))
        .then_expect_events(vec![expected]);
}

#[test]
fn a_reply_to_a_deleted_or_missing_message_is_refused() {
    with_one(vec![], true)
        .given(history())
        .when(reply(BEN, 2, 1))
        .then_expect_error(ChatError::ReplyNotFound);
    with_one(vec![], false)
        .given(history())
        .when(reply(BEN, 2, 5))
        .then_expect_error(ChatError::ReplyNotFound);
}

#[test]
fn either_person_reacts_once_with_each_emoji() {
    with_one(vec![], false)
        .given(history())
        .when(react(BEN, 1))
        .then_expect_events(vec![ChatEvent::ReactionAdded {
            seq: 1,
            by: BEN,
            reaction: Reaction::Heart,
        }]);
    // Reacting again changes nothing.
    with_one(vec![(BEN, Reaction::Heart)], false)
        .given(history())
        .when(react(BEN, 1))
        .then_expect_events(vec![]);
    // The other person's reaction is theirs: Ann may add her own heart.
    with_one(vec![(BEN, Reaction::Heart)], false)
        .given(history())
        .when(react(ANN, 1))
        .then_expect_events(vec![ChatEvent::ReactionAdded {
            seq: 1,
            by: ANN,
            reaction: Reaction::Heart,
        }]);
}

#[test]
fn a_reaction_is_taken_off_only_by_whoever_added_it() {
    with_one(vec![(BEN, Reaction::Heart)], false)
        .given(history())
        .when(ChatCommand::Unreact {
            by: BEN,
            seq: 1,
            reaction: Reaction::Heart,
        })
        .then_expect_events(vec![ChatEvent::ReactionRemoved {
            seq: 1,
            by: BEN,
            reaction: Reaction::Heart,
        }]);
    with_one(vec![(BEN, Reaction::Heart)], false)
        .given(history())
        .when(ChatCommand::Unreact {
            by: ANN,
            seq: 1,
            reaction: Reaction::Heart,
        })
        .then_expect_events(vec![]);
}

#[test]
fn nobody_reacts_to_a_deleted_message_or_outside_the_room() {
    with_one(vec![], true)
        .given(history())
        .when(react(BEN, 1))
        .then_expect_error(ChatError::MessageNotFound);
    with_one(vec![], false)
        .given(history())
        .when(react(CAL, 1))
        .then_expect_error(ChatError::NotFound);
}

#[test]
fn a_block_stops_reactions_but_not_taking_one_back() {
    let mut events = history();
    events.push(ChatEvent::Blocked { by: ANN, whom: BEN });
    with_one(vec![(BEN, Reaction::Heart)], false)
        .given(events.clone())
        .when(react(BEN, 1))
        .then_expect_error(ChatError::Blocked);
    with_one(vec![(BEN, Reaction::Heart)], false)
        .given(events)
        .when(ChatCommand::Unreact {
            by: BEN,
            seq: 1,
            reaction: Reaction::Heart,
        })
        .then_expect_events(vec![ChatEvent::ReactionRemoved {
            seq: 1,
            by: BEN,
            reaction: Reaction::Heart,
        }]);
}

#[test]
fn an_attachment_needs_no_words_but_a_message_without_either_is_refused() {
    let file = Attachment {
        id: Uuid::from_u128(99),
        name: "plan.pdf".into(),
        content_type: "application/pdf".into(),
        size: 1200,
        width: None,
        height: None,
    };
    let command = |attachment: Option<Attachment>| ChatCommand::Send {
        id: MessageId(Uuid::from_u128(1002)),
        by: BEN,
        client_id: ClientId(Uuid::from_u128(2)),
        body: MessageBody::caption("  ").unwrap(),
        reply_to: None,
        attachment,
    };
    chat(&[])
        .given(history())
        .when(command(Some(file.clone())))
        .then_expect_events(vec![ChatEvent::MessageSent {
            id: MessageId(Uuid::from_u128(1002)),
            seq: 2,
            sender: BEN,
            client_id: ClientId(Uuid::from_u128(2)),
            body: MessageBody::caption("").unwrap(),
            reply_to: None,
            attachment: Some(file),
        }]);
    chat(&[])
        .given(history())
        .when(command(None))
        .then_expect_error(ChatError::BodyBlank);
}

#[test]
fn only_the_offered_reactions_are_accepted() {
    assert_eq!(Reaction::parse("👍"), Ok(Reaction::ThumbsUp));
    assert_eq!(Reaction::parse("❤"), Ok(Reaction::Heart));
    assert_eq!(Reaction::parse("❤️"), Ok(Reaction::Heart));
    assert_eq!(Reaction::parse("🍕"), Err(ChatError::UnknownReaction));
    for reaction in Reaction::ALL {
        let json = serde_json::to_string(&reaction).unwrap();
        assert_eq!(json, format!("\"{}\"", reaction.emoji()));
    }
}
