//! The hash chain as the database writes it and the store checks it, and the sealer's tree.

use domain::Metadata;
use eventstore::EventStore;
use eventstore::ledger::chain::{Content, GENESIS};
use eventstore::ledger::tree::{self, Frontier};
use eventstore::ledger::{Ledger, Signer, proofs, store as tree_store};
use eventstore::store::StoreError;
use eventstore::testing::TestDb;
use eventstore::testing::counter::{Counter, CounterCommand};

use cqrs_es::Aggregate;

async fn add(store: &EventStore<Counter>, id: &str, amounts: Vec<i64>) {
    let loaded = store.load(id).await.unwrap();
    let sink = Default::default();
    loaded
        .aggregate
        .clone()
        .handle(CounterCommand::Add(amounts), &(), &sink)
        .await
        .unwrap();
    let events = sink.collect().await;
    store
        .append(&loaded, &events, &Metadata::new(None, "test-request"))
        .await
        .unwrap();
}

fn signer() -> Signer {
    Signer::from_secret("a ledger key for the event store's tests only")
}

#[tokio::test]
async fn the_database_and_the_store_compute_the_same_chain() {
    let db = TestDb::new().await;
    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    // Several events per commit, so the trigger chains rows inserted by one statement.
    add(&store, "c", vec![1, 2, 3]).await;
    add(&store, "c", vec![4]).await;
    let rows = sqlx::query!(
        r#"select aggregate_type, aggregate_id, event_type, event_version, payload::text as "payload!",
                  metadata::text as "metadata!", (extract(epoch from recorded_at) * 1000000)::bigint as "micros!",
                  prev_hash, hash
             from events order by sequence"#
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 4);
    let mut prev = GENESIS;
    for row in rows {
        assert_eq!(row.prev_hash, prev);
        let content = Content {
            aggregate_type: &row.aggregate_type,
            aggregate_id: &row.aggregate_id,
            event_type: &row.event_type,
            event_version: &row.event_version,
            payload: &row.payload,
            metadata: &row.metadata,
            recorded_at: row.micros,
        };
        prev = content.hash(&prev);
        assert_eq!(row.hash, prev);
    }
}

#[tokio::test]
async fn an_altered_event_is_refused_on_load_before_and_after_a_snapshot() {
    let db = TestDb::new().await;
    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    // The counter snapshots every 3 events: seven events, a snapshot at 6.
    for n in 0..7 {
        add(&store, "c", vec![n]).await;
    }
    assert_eq!(store.load("c").await.unwrap().sequence, 7);

    // The event after the snapshot.
    sqlx::query("update events set payload = jsonb_set(payload, '{Added,amount}', '100') where sequence = 7")
        .execute(&db.pool)
        .await
        .unwrap();
    let refused = store.load("c").await.err().expect("a changed event loads");
    assert!(
        matches!(refused, StoreError::Broken { sequence: 7, .. }),
        "{refused}"
    );
    assert!(store.events("c").await.is_err());

    // An event the snapshot already holds: loading from the snapshot does not read it, the
    // whole history does, and refuses it.
    add(&store, "d", vec![1]).await;
    add(&store, "d", vec![2, 3, 4]).await;
    sqlx::query(
        "update events set metadata = '{\"actor\": \"00000000-0000-0000-0000-000000000009\"}' \
         where aggregate_id = 'd' and sequence = 2",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    assert!(matches!(
        store.events("d").await,
        Err(StoreError::Broken { sequence: 2, .. })
    ));
}

#[tokio::test]
async fn an_event_out_of_the_chain_cannot_be_inserted() {
    let db = TestDb::new().await;
    let gap = sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         values ('Counter', 'c', 2, 'Added', '1', '{}', '{}')",
    )
    .execute(&db.pool)
    .await;
    assert!(gap.is_err(), "an event following nothing was stored");
}

#[tokio::test]
async fn the_sealer_builds_the_tree_of_the_log_and_signs_it() {
    let db = TestDb::new().await;
    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    let ledger = Ledger::new(
        db.pool.clone(),
        eventstore::testing::keyring(),
        signer(),
        std::time::Duration::from_secs(3600),
    );
    ledger.register().await.unwrap();
    assert!(ledger.seal().await.unwrap().is_none(), "an empty log was signed");
    let mut checkpoints = Vec::new();
    for round in 0..5_i64 {
        for id in ["a", "b", "c"] {
            add(&store, id, (0..=round).collect()).await;
        }
        checkpoints.push(
            ledger
                .seal()
                .await
                .unwrap()
                .expect("no checkpoint after new events"),
        );
    }
    assert!(
        ledger.seal().await.unwrap().is_none(),
        "an unchanged tree was signed again"
    );

    // The leaves, re-derived from the events in the order they became final.
    let hashes: Vec<Vec<u8>> = sqlx::query_scalar(
        "select e.hash from ledger_leaves l join events e on e.position = l.position order by l.index",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let events: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(hashes.len() as i64, events);
    let mut frontier = Frontier::default();
    for hash in &hashes {
        frontier.push(tree::leaf_hash(hash));
        if let Some(checkpoint) = checkpoints.iter().find(|c| c.tree_size == frontier.size()) {
            assert_eq!(checkpoint.root, frontier.root());
            checkpoint.verify(&signer().public()).unwrap();
        }
    }

    // Proofs from the stored nodes verify against the signed roots.
    let mut conn = db.pool.acquire().await.unwrap();
    let newest = checkpoints.last().unwrap();
    let positions: Vec<(i64, Vec<u8>)> = sqlx::query_as(
        "select l.position, e.hash from ledger_leaves l join events e using (position) order by l.index",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for (position, hash) in &positions {
        let hash: [u8; 32] = hash.as_slice().try_into().unwrap();
        let proof = proofs::inclusion(&mut conn, *position, newest.tree_size)
            .await
            .unwrap()
            .unwrap();
        assert!(tree::verify_inclusion(
            &tree::leaf_hash(&hash),
            proof.leaf_index,
            newest.tree_size,
            &proof.path,
            &newest.root
        ));
    }
    for old in &checkpoints {
        let proof = proofs::consistency(&mut conn, old.tree_size, newest.tree_size)
            .await
            .unwrap();
        assert!(tree::verify_consistency(
            old.tree_size,
            newest.tree_size,
            &old.root,
            &newest.root,
            &proof
        ));
    }
    assert!(
        proofs::consistency(&mut conn, 1, newest.tree_size + 1)
            .await
            .is_err()
    );
    let latest = tree_store::latest_checkpoint(&mut conn).await.unwrap().unwrap();
    assert_eq!(&latest, newest);
}
