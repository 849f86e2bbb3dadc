use std::sync::Arc;

use domain::Metadata;
use domain::chat::{Chat, ChatEvent, ClientId, MessageBody, MessageId};
use domain::user::UserId;
use eventstore::log::{self, Cursor};
use eventstore::runtime::ProjectionError;
use eventstore::testing::TestDb;
use eventstore::{EventStore, Projections, Projector};
use projections::chat::ChatProjector;
use uuid::Uuid;

const BAD_ID: &str = "not-a-uuid";

/// Stores `events` for a chat whose aggregate id is no UUID.
async fn store_bad_chat(db: &TestDb, events: &[ChatEvent]) {
    let store = EventStore::<Chat>::new(db.pool.clone(), eventstore::testing::keyring());
    let loaded = store.load(BAD_ID).await.unwrap();
    store.append(&loaded, events, &Metadata::default()).await.unwrap();
}

async fn rows_written(db: &TestDb) -> i64 {
    sqlx::query_scalar!(
        r#"
        select (select count(*) from chat_rooms) + (select count(*) from chat_members)
               + (select count(*) from messages) as "rows!"
        "#
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

fn assert_bad_id(result: Result<impl std::fmt::Debug, ProjectionError>) {
    match result {
        Err(ProjectionError::BadAggregateId {
            aggregate_type,
            aggregate_id,
            ..
        }) => {
            assert_eq!(aggregate_type, "Chat");
            assert_eq!(aggregate_id, BAD_ID);
        }
        other => panic!("expected BadAggregateId, got {other:?}"),
    }
}

/// A malformed aggregate id stops the catch-up with an error naming it; nothing is written for
/// a nil UUID, and the checkpoint stays where it was.
#[tokio::test]
async fn an_event_with_a_malformed_aggregate_id_stops_the_projector_and_writes_nothing() {
    let db = TestDb::new().await;
    store_bad_chat(
        &db,
        &[ChatEvent::RoomOpened {
            participants: [UserId(Uuid::new_v4()), UserId(Uuid::new_v4())],
        }],
    )
    .await;
    let projections = Projections::new(
        db.pool.clone(),
        eventstore::testing::keyring(),
        vec![Arc::new(ChatProjector)],
    );
    projections.register().await.unwrap();

    let head = log::head(&mut db.pool.acquire().await.unwrap()).await.unwrap();
    // Settling catches up as soon as the event is final (a test running beside this one may
    // hold it back for a moment).
    assert_bad_id(projections.settle(head).await);
    assert_eq!(rows_written(&db).await, 0);
    assert_eq!(projections.lowest_checkpoint().await.unwrap(), Cursor::START);
}

/// The same for a run of messages, which the projector writes in one statement.
#[tokio::test]
async fn a_run_of_messages_with_a_malformed_aggregate_id_writes_nothing() {
    let db = TestDb::new().await;
    let sender = UserId(Uuid::new_v4());
    let messages: Vec<ChatEvent> = (1..=3)
        .map(|seq| ChatEvent::MessageSent {
            id: MessageId(Uuid::new_v4()),
            seq,
            sender,
            client_id: ClientId(Uuid::new_v4()),
            body: MessageBody::parse("hello").unwrap(),
            reply_to: None,
            attachment: None,
        })
        .collect();
    store_bad_chat(&db, &messages).await;
    let mut conn = db.pool.acquire().await.unwrap();
    // As stored, without waiting for them to become final in the log's order.
    let events = log::appended(&mut conn, &eventstore::testing::keyring(), "Chat", BAD_ID, 0)
        .await
        .unwrap();
    assert_eq!(events.len(), 3);

    let batch: Vec<_> = events.iter().collect();
    assert_bad_id(ChatProjector.apply_all(&mut conn, &batch).await);
    assert_eq!(rows_written(&db).await, 0);
}
