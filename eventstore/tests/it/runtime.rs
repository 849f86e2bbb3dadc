use std::sync::Arc;

use async_trait::async_trait;
use domain::Metadata;
use eventstore::log::{Cursor, StoredEvent};
use eventstore::runtime::ProjectionError;
use eventstore::testing::TestDb;
use eventstore::{EventStore, Projections, Projector};
use sqlx::{Connection, PgConnection, PgPool};

use eventstore::testing::counter::{Counter, CounterEvent};

/// Records every event it is given in its own table, so tests can see what was applied and
/// how often.
struct Recorder {
    name: &'static str,
    tables: &'static [&'static str],
}

/// The projector most tests run, into `recorded`.
const RECORDER: Recorder = Recorder {
    name: "recorder",
    tables: &["recorded"],
};

#[async_trait]
impl Projector for Recorder {
    fn name(&self) -> &'static str {
        self.name
    }

    fn tables(&self) -> &'static [&'static str] {
        self.tables
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        // Runtime SQL: the table is this test's own, unknown to the migrations.
        sqlx::query(&format!("insert into {} (position) values ($1)", self.tables[0]))
            .bind(event.position)
            .execute(conn)
            .await?;
        Ok(())
    }
}

async fn setup() -> (TestDb, Arc<Projections>) {
    let db = TestDb::new().await;
    // No primary key: a second application of an event must show up as a duplicate row.
    // Runtime SQL: `recorded` is this test's own table, unknown to the migrations.
    sqlx::query("create table recorded (position bigint not null)")
        .execute(&db.pool)
        .await
        .unwrap();
    let projections = Arc::new(Projections::new(
        db.pool.clone(),
        eventstore::testing::keyring(),
        vec![Arc::new(RECORDER)],
    ));
    projections.register().await.unwrap();
    (db, projections)
}

async fn recorded(pool: &PgPool) -> Vec<i64> {
    // Runtime SQL: `recorded` is this test's own table, unknown to the migrations.
    sqlx::query_scalar("select position from recorded order by position")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// The newest event's cursor. Tests wait for it with `settle` rather than one `catch_up`:
/// transactions of other tests on the same server may briefly hold the safe horizon back.
async fn head(pool: &PgPool) -> Cursor {
    eventstore::log::head(&mut pool.acquire().await.unwrap())
        .await
        .unwrap()
}

async fn append(pool: &PgPool, id: &str, amount: i64) {
    let store = EventStore::<Counter>::new(pool.clone(), eventstore::testing::keyring());
    let loaded = store.load(id).await.unwrap();
    store
        .append(&loaded, &[CounterEvent::Added { amount }], &Metadata::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn an_event_stored_while_the_projector_is_down_is_applied_when_it_comes_back() {
    let (db, projections) = setup().await;
    append(&db.pool, "x", 1).await;
    projections.settle(head(&db.pool).await).await.unwrap();
    assert_eq!(recorded(&db.pool).await.len(), 1);

    // The process dies after storing an event and before projecting it.
    drop(projections);
    append(&db.pool, "x", 2).await;
    assert_eq!(recorded(&db.pool).await.len(), 1);

    // A new process starts and catches up from its checkpoint.
    let restarted = Projections::new(
        db.pool.clone(),
        eventstore::testing::keyring(),
        vec![Arc::new(RECORDER)],
    );
    restarted.register().await.unwrap();
    restarted.settle(head(&db.pool).await).await.unwrap();
    let positions = recorded(&db.pool).await;
    assert_eq!(positions.len(), 2);
    assert!(positions[0] < positions[1]);
}

#[tokio::test]
async fn concurrent_catch_ups_apply_each_event_once() {
    let (db, projections) = setup().await;
    for i in 0..200 {
        append(&db.pool, &format!("agg-{}", i % 7), i).await;
    }
    // Two "instances" with their own runtimes, several catch-ups each, all at once.
    let other = Arc::new(Projections::new(
        db.pool.clone(),
        eventstore::testing::keyring(),
        vec![Arc::new(RECORDER)],
    ));
    let runs = (0..8).map(|i| {
        let p = if i % 2 == 0 {
            projections.clone()
        } else {
            other.clone()
        };
        let pool = db.pool.clone();
        tokio::spawn(async move { p.settle(head(&pool).await).await })
    });
    for run in runs {
        run.await.unwrap().unwrap();
    }
    projections.catch_up().await.unwrap();
    let positions = recorded(&db.pool).await;
    assert_eq!(positions.len(), 200);
    let mut unique = positions.clone();
    unique.dedup();
    assert_eq!(unique.len(), 200, "an event was applied twice");
}

#[tokio::test]
async fn an_event_committed_after_a_later_position_is_not_skipped() {
    let (db, projections) = setup().await;
    let insert = |id: &'static str| {
        sqlx::query_scalar!(
            r#"
            insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
            values ('Counter', $1, 1, 'Added', '1', '{"Added":{"amount":1}}', '{}') returning position
            "#,
            id,
        )
    };

    // Transaction A takes the lower position and stays open.
    let mut a = PgConnection::connect(&db.url).await.unwrap();
    let mut a_tx = a.begin().await.unwrap();
    let a_position = insert("a").fetch_one(&mut *a_tx).await.unwrap();

    // Transaction B takes a higher position and commits first.
    let b_position = insert("b").fetch_one(&db.pool).await.unwrap();
    assert!(b_position > a_position);

    // A reader now must not move past A's position, even though B is visible.
    projections.catch_up().await.unwrap();
    assert!(
        recorded(&db.pool).await.is_empty(),
        "nothing is applied while A may still commit"
    );
    assert!(projections.lowest_checkpoint().await.unwrap().position < a_position);

    a_tx.commit().await.unwrap();
    projections.settle(head(&db.pool).await).await.unwrap();
    let mut positions = recorded(&db.pool).await;
    positions.sort_unstable();
    assert_eq!(positions, vec![a_position, b_position]);
}

/// A projector added to a site with a long history: it starts from the beginning of the log.
const NEWCOMER: Recorder = Recorder {
    name: "newcomer",
    tables: &["newcomer_recorded"],
};

#[tokio::test]
async fn a_projector_that_starts_behind_never_sets_the_others_back() {
    let (db, projections) = setup().await;
    // More events than one catch-up reads, so the newcomer needs several batches.
    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    let loaded = store.load("long").await.unwrap();
    let events: Vec<CounterEvent> = (0..1200).map(|amount| CounterEvent::Added { amount }).collect();
    store
        .append(&loaded, &events, &Metadata::default())
        .await
        .unwrap();
    projections.settle(head(&db.pool).await).await.unwrap();
    assert_eq!(recorded(&db.pool).await.len(), 1200);

    // Runtime SQL: this test's own table.
    sqlx::query("create table newcomer_recorded (position bigint not null)")
        .execute(&db.pool)
        .await
        .unwrap();
    let grown = Projections::new(
        db.pool.clone(),
        eventstore::testing::keyring(),
        vec![Arc::new(RECORDER), Arc::new(NEWCOMER)],
    );
    grown.register().await.unwrap();
    grown.settle(head(&db.pool).await).await.unwrap();
    let newcomer: Vec<i64> = sqlx::query_scalar("select position from newcomer_recorded")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(newcomer.len(), 1200, "the newcomer saw the whole log");
    assert_eq!(
        recorded(&db.pool).await.len(),
        1200,
        "the projector that was up to date applied nothing again"
    );
}
