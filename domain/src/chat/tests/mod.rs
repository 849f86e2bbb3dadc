//! The chat's rules, as given/when/then.
//!
//! The helpers are here; the requests' rules in `requests`, the messages' in `messages`, the
//! blocks' in `blocks`, staff reading in `staff`.

mod blocks;
mod messages;
mod reactions;
mod requests;
mod staff;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
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
        Ok(self.0.get(&seq).cloned())
    }
}

fn chat(facts: &[(u64, UserId, bool)]) -> TestFramework<Chat> {
    let facts: Vec<_> = facts
        .iter()
        .map(|&(seq, sender, deleted)| {
            (
                seq,
                MessageInfo {
                    sender,
                    deleted,
                    reactions: vec![],
                },
            )
        })
        .collect();
    chat_with(facts)
}

fn chat_with(facts: Vec<(u64, MessageInfo)>) -> TestFramework<Chat> {
    TestFramework::with(Arc::new(Facts(facts.into_iter().collect())) as Arc<dyn MessageFacts>)
}

fn requested(request: RequestId, from: UserId, to: UserId) -> ChatEvent {
    ChatEvent::ChatRequested {
        request,
        from,
        to,
        note: None,
    }
}

/// The moment the tests run at.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_790_000_000, 0).expect("a valid time")
}

fn ask(request: RequestId, from: UserId, to: UserId, now: DateTime<Utc>) -> ChatCommand {
    ChatCommand::Request {
        request,
        from,
        to,
        note: None,
        now,
    }
}

/// Ben declines `request` (Ann's), at `at` or, as declines once were, without saying when.
fn declined(request: RequestId, at: Option<DateTime<Utc>>) -> ChatEvent {
    ChatEvent::ChatRequestDeclined { request, by: BEN, at }
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
        reply_to: None,
        attachment: None,
    }
}

fn send(by: UserId, client: u128) -> ChatCommand {
    ChatCommand::Send {
        id: MessageId(Uuid::from_u128(1000 + client)),
        by,
        client_id: ClientId(Uuid::from_u128(client)),
        body: body("hi"),
        reply_to: None,
        attachment: None,
    }
}

#[test]
fn a_chat_between_two_people_has_one_id_whoever_asks() {
    assert_eq!(ChatId::for_pair(ANN, BEN), ChatId::for_pair(BEN, ANN));
    assert_ne!(ChatId::for_pair(ANN, BEN), ChatId::for_pair(ANN, CAL));
}
