use cqrs_es::Aggregate;
use domain::{ClaimKind, Metadata};
use eventstore::EventStore;
use eventstore::store::CommitError;
use eventstore::testing::TestDb;

use eventstore::testing::counter::{Counter, CounterCommand};

fn meta() -> Metadata {
    Metadata::new(Some(uuid::Uuid::from_u128(1)), "test-request")
}

async fn run(store: &EventStore<Counter>, id: &str, command: CounterCommand) -> Result<(), CommitError> {
    let mut loaded = store.load(id).await.unwrap();
    let sink = Default::default();
    loaded.aggregate.handle(command, &(), &sink).await.unwrap();
    let events = sink.collect().await;
    store.append(&loaded, &events, &meta()).await.map(|_| ())
}

fn replay(events: &[cqrs_es::EventEnvelope<Counter>]) -> Counter {
    let mut counter = Counter::default();
    for envelope in events {
        counter.apply(envelope.payload.clone());
    }
    counter
}

#[tokio::test]
async fn snapshot_loaded_state_equals_replayed_state_across_many_snapshots() {
    let db = TestDb::new().await;
    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    let id = "counter-1";
    // Commands of one, two and three events, so commits straddle the snapshot boundaries
    // (every 3 events) at every offset.
    for i in 0..60_i64 {
        let amounts = (0..(i % 3) + 1).map(|k| i * 10 + k).collect();
        run(&store, id, CounterCommand::Add(amounts)).await.unwrap();

        let loaded = store.load(id).await.unwrap();
        let replayed = replay(&store.events(id).await.unwrap());
        assert_eq!(loaded.aggregate, replayed, "after command {i}");
        assert_eq!(loaded.sequence, replayed.events);
    }
    let snapshot = sqlx::query!(
        "select last_sequence, current_snapshot from snapshots where aggregate_type = 'Counter' and aggregate_id = $1",
        id,
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let (last_sequence, snapshots) = (snapshot.last_sequence, snapshot.current_snapshot);
    let total_events = (0..60).map(|i| i % 3 + 1).sum::<i64>();
    assert!(
        snapshots >= total_events / 3 - 1,
        "only {snapshots} snapshots written"
    );
    assert!(
        total_events - last_sequence < 3,
        "the snapshot is stale: {last_sequence} of {total_events}"
    );
}

#[tokio::test]
async fn events_carry_actor_request_id_global_position_and_time() {
    let db = TestDb::new().await;
    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    run(&store, "a", CounterCommand::Add(vec![1, 2])).await.unwrap();
    run(&store, "b", CounterCommand::Add(vec![3])).await.unwrap();
    let rows: Vec<(String, i64, i64, serde_json::Value, bool)> = sqlx::query!(
        r#"select aggregate_id, sequence, position, metadata, recorded_at <= now() as "recorded!" from events order by position"#,
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.aggregate_id, r.sequence, r.position, r.metadata, r.recorded))
    .collect();
    let order: Vec<(&str, i64)> = rows.iter().map(|r| (r.0.as_str(), r.1)).collect();
    assert_eq!(order, [("a", 1), ("a", 2), ("b", 1)]);
    assert!(rows.windows(2).all(|w| w[0].2 < w[1].2), "positions increase");
    for row in &rows {
        assert_eq!(row.3["actor"], "00000000-0000-0000-0000-000000000001");
        assert_eq!(row.3["request_id"], "test-request");
        assert!(row.4);
    }
}

#[tokio::test]
async fn two_commits_on_the_same_version_have_one_winner() {
    let db = TestDb::new().await;
    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    run(&store, "c", CounterCommand::Add(vec![1])).await.unwrap();
    let first = store.load("c").await.unwrap();
    let second = store.load("c").await.unwrap();
    let event = vec![eventstore::testing::counter::CounterEvent::Added { amount: 5 }];
    assert!(store.append(&first, &event, &meta()).await.is_ok());
    assert!(matches!(
        store.append(&second, &event, &meta()).await,
        Err(CommitError::Conflict)
    ));
    assert_eq!(store.load("c").await.unwrap().aggregate.total, 6);
}

#[tokio::test]
async fn a_unique_value_goes_to_exactly_one_aggregate_under_a_race() {
    let db = TestDb::new().await;
    let store = std::sync::Arc::new(EventStore::<Counter>::new(
        db.pool.clone(),
        eventstore::testing::keyring(),
    ));
    let attempts = (0..20).map(|i| {
        let store = store.clone();
        tokio::spawn(
            async move { run(&store, &format!("racer-{i}"), CounterCommand::Name("Same".into())).await },
        )
    });
    let results: Vec<_> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1, "{results:?}");
    for result in &results {
        if let Err(err) = result {
            match err {
                CommitError::Taken(claims) => {
                    assert_eq!(claims.len(), 1);
                    assert_eq!(claims[0].kind, ClaimKind::Username);
                    assert_eq!(claims[0].value, "same");
                }
                other => panic!("expected Taken, got {other:?}"),
            }
        }
    }
    // The losers left no events and no claims behind.
    let left = sqlx::query!(
        r#"select (select count(*) from events) as "events!", (select count(*) from unique_claims) as "claims!""#
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((left.events, left.claims), (1, 1));
}

/// Two processes (two `Commands`, each keeping the aggregates it worked on) write one
/// aggregate in turn, and one of them has a command refused by a claim: every snapshot either
/// writes, taken from a kept state, equals the state replayed from the log.
#[tokio::test]
async fn kept_states_follow_what_other_processes_store_and_forget_what_failed() {
    use eventstore::runtime::Projections;
    use eventstore::{CommandError, Commands};
    use std::sync::Arc;

    let db = TestDb::new().await;
    let process = || {
        let projections = Arc::new(Projections::new(
            db.pool.clone(),
            eventstore::testing::keyring(),
            vec![],
        ));
        Commands::new(db.pool.clone(), projections)
    };
    let (first, second) = (process(), process());
    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    for round in 1..=10 {
        let writer = if round % 2 == 0 { &first } else { &second };
        let amounts = (0..(round % 3 + 1)).map(|i| round * 10 + i).collect();
        writer
            .execute::<Counter>("shared", CounterCommand::Add(amounts), &(), &meta())
            .await
            .unwrap();
        let loaded = store.load("shared").await.unwrap();
        assert_eq!(
            loaded.aggregate,
            replay(&store.events("shared").await.unwrap()),
            "round {round}"
        );
    }

    // A name the other aggregate holds: refused, and the refusing process keeps nothing of it.
    first
        .execute::<Counter>("other", CounterCommand::Name("Ann".into()), &(), &meta())
        .await
        .unwrap();
    let taken = second
        .execute::<Counter>("shared", CounterCommand::Name("ann".into()), &(), &meta())
        .await;
    assert!(matches!(taken, Err(CommandError::Taken(_))));
    for _ in 0..3 {
        second
            .execute::<Counter>("shared", CounterCommand::Add(vec![1]), &(), &meta())
            .await
            .unwrap();
    }
    let loaded = store.load("shared").await.unwrap();
    let replayed = replay(&store.events("shared").await.unwrap());
    assert_eq!(loaded.aggregate, replayed);
    assert_eq!(replayed.name, None);
}
