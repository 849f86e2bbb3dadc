//! Commands run as one batch: one commit for many aggregates, each command's outcome its own.

use std::sync::Arc;

use cqrs_es::Aggregate;
use domain::Metadata;
use eventstore::commands::Job;
use eventstore::runtime::Projections;
use eventstore::testing::TestDb;
use eventstore::testing::counter::{Counter, CounterCommand, CounterEvent, Refused};
use eventstore::{CommandError, Commands, EventStore};

fn process(db: &TestDb) -> Commands {
    let projections = Arc::new(Projections::new(
        db.pool.clone(),
        eventstore::testing::keyring(),
        vec![],
    ));
    Commands::new(db.pool.clone(), projections)
}

fn job(id: &str, command: CounterCommand, request: &str) -> Job<Counter> {
    Job {
        aggregate_id: id.to_owned(),
        command,
        metadata: Metadata::new(Some(uuid::Uuid::from_u128(7)), request),
    }
}

async fn replayed(store: &EventStore<Counter>, id: &str) -> Counter {
    let mut counter = Counter::default();
    for envelope in store.events(id).await.unwrap() {
        counter.apply(envelope.payload);
    }
    counter
}

#[tokio::test]
async fn a_batch_is_one_commit_and_each_command_gets_its_own_events_and_metadata() {
    let db = TestDb::new().await;
    let commands = process(&db);
    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    // "a" already has history, so the batch starts from a loaded (then kept) state.
    commands
        .execute::<Counter>("a", CounterCommand::Add(vec![1, 2]), &(), &Metadata::default())
        .await
        .unwrap();

    let outcomes = commands
        .execute_all(
            vec![
                job("a", CounterCommand::Add(vec![10, 11]), "r1"),
                job("b", CounterCommand::Add(vec![20]), "r2"),
                job("a", CounterCommand::AddThenRefuse(99), "r3"),
                job("a", CounterCommand::Add(vec![12]), "r4"),
            ],
            &(),
        )
        .await;
    assert_eq!(outcomes.len(), 4);
    let sequences = |i: usize| -> Vec<i64> {
        let executed = outcomes[i].as_ref().unwrap();
        executed
            .appended
            .as_ref()
            .unwrap()
            .events
            .iter()
            .map(|e| e.sequence)
            .collect()
    };
    assert_eq!(sequences(0), [3, 4]);
    assert_eq!(sequences(1), [1]);
    assert!(matches!(outcomes[2], Err(CommandError::Rejected(Refused))));
    assert_eq!(
        sequences(3),
        [5],
        "the refused command took no place in the sequence"
    );
    assert_eq!(
        outcomes[3].as_ref().unwrap().events,
        [CounterEvent::Added { amount: 12 }]
    );

    // One transaction for all, each event under its own command's request.
    let rows = sqlx::query!(
        r#"select aggregate_id, sequence, transaction_id::text as "tx!", metadata->>'request_id' as request
             from events where position > (select min(position) + 1 from events) order by position"#
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|row| row.tx == rows[0].tx));
    let requests: Vec<(String, i64, Option<String>)> = rows
        .into_iter()
        .map(|row| (row.aggregate_id, row.sequence, row.request))
        .collect();
    assert!(requests.contains(&("a".into(), 3, Some("r1".into()))));
    assert!(requests.contains(&("a".into(), 5, Some("r4".into()))));
    assert!(requests.contains(&("b".into(), 1, Some("r2".into()))));

    // The refused command's event is in neither the log nor the state kept for the next one,
    // and what the snapshot (every 3 events) says is what replaying says.
    commands
        .execute::<Counter>("a", CounterCommand::Add(vec![13]), &(), &Metadata::default())
        .await
        .unwrap();
    let a = store.load("a").await.unwrap();
    assert_eq!(a.aggregate, replayed(&store, "a").await);
    assert_eq!(a.aggregate.history, [1, 2, 10, 11, 12, 13]);
}

/// Two processes batch commands to the same aggregates at once: they take turns, nothing is
/// lost, sequences have no gap, and every state stored is the state replayed.
#[tokio::test]
async fn batches_of_two_processes_on_the_same_aggregates_take_turns_and_lose_nothing() {
    let db = TestDb::new().await;
    let (first, second) = (process(&db), process(&db));
    let ids = ["x", "y", "z"];
    let run = |commands: Commands, offset: i64| async move {
        for round in 0..15_i64 {
            let jobs = (0..6)
                .map(|k| {
                    let id = ["x", "y", "z"][((round + k) % 3) as usize];
                    job(id, CounterCommand::Add(vec![offset + round * 10 + k]), "r")
                })
                .collect();
            for outcome in commands.execute_all::<Counter>(jobs, &()).await {
                outcome.unwrap();
            }
        }
    };
    tokio::join!(run(first, 0), run(second, 1000));

    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    let mut total = 0;
    for id in ids {
        let loaded = store.load(id).await.unwrap();
        let history = replayed(&store, id).await;
        assert_eq!(loaded.aggregate, history, "{id}");
        assert_eq!(loaded.sequence, history.events);
        total += history.events;
    }
    assert_eq!(total, 2 * 15 * 6);
}

/// A batch that cannot be stored as one (here: a name another aggregate holds) is run command
/// by command: the others are stored, and the loser hears why.
#[tokio::test]
async fn a_batch_that_cannot_be_stored_together_runs_each_command_alone() {
    let db = TestDb::new().await;
    let commands = process(&db);
    commands
        .execute::<Counter>(
            "holder",
            CounterCommand::Name("Ann".into()),
            &(),
            &Metadata::default(),
        )
        .await
        .unwrap();
    let outcomes = commands
        .execute_all(
            vec![
                job("p", CounterCommand::Add(vec![1]), "r1"),
                job("q", CounterCommand::Name("ann".into()), "r2"),
                job("p", CounterCommand::Add(vec![2]), "r3"),
            ],
            &(),
        )
        .await;
    assert!(outcomes[0].is_ok() && outcomes[2].is_ok());
    assert!(matches!(outcomes[1], Err(CommandError::Taken(_))));
    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    assert_eq!(replayed(&store, "p").await.history, [1, 2]);
    assert_eq!(replayed(&store, "q").await.events, 0);
}
