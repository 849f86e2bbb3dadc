use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use domain::Metadata;
use eventstore::log::StoredEvent;
use eventstore::runtime::ProjectionError;
use eventstore::testing::TestDb;
use eventstore::{EventStore, Projections, Projector};
use projections::rebuild;
use sqlx::PgConnection;
use tokio::sync::Notify;

use eventstore::testing::counter::{Counter, CounterEvent};

/// Keeps the running total of every counter; can be told to fail half-way, or to stop half-way
/// until told to go on.
struct Totals {
    fail_at: Option<i64>,
    failed: AtomicBool,
    pause: Option<Pause>,
}

/// Where a projector waits: at `sequence`, it says it got there and waits for `resume`.
struct Pause {
    sequence: i64,
    reached: Arc<Notify>,
    resume: Arc<Notify>,
}

#[async_trait]
impl Projector for Totals {
    fn name(&self) -> &'static str {
        "totals"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["totals"]
    }

    async fn apply(&self, conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
        if Some(event.sequence) == self.fail_at {
            self.failed.store(true, Ordering::Relaxed);
            return Err(ProjectionError::Database(sqlx::Error::Protocol(
                "a crash half-way".into(),
            )));
        }
        if let Some(pause) = self.pause.as_ref().filter(|p| p.sequence == event.sequence)
            && event.aggregate_id == "c0"
        {
            pause.reached.notify_one();
            pause.resume.notified().await;
        }
        let amount = event.payload["Added"]["amount"].as_i64().unwrap_or(0);
        // Runtime SQL: `totals` is this test's own table, unknown to the migrations.
        sqlx::query(
            "insert into totals (counter, total) values ($1, $2) on conflict (counter) do update set total = totals.total + $2",
        )
        .bind(&event.aggregate_id)
        .bind(amount)
        .execute(conn)
        .await?;
        Ok(())
    }
}

fn totals(fail_at: Option<i64>) -> Arc<Totals> {
    Arc::new(Totals {
        fail_at,
        failed: AtomicBool::new(false),
        pause: None,
    })
}

async fn setup() -> TestDb {
    let db = TestDb::new().await;
    // Runtime SQL (as the index below): `totals` is this test's own table, unknown to the migrations.
    sqlx::query("create table totals (counter text primary key, total bigint not null)")
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("create index totals_by_total on totals (total desc)")
        .execute(&db.pool)
        .await
        .unwrap();
    let store = EventStore::<Counter>::new(db.pool.clone(), eventstore::testing::keyring());
    for i in 0..120 {
        let id = format!("c{}", i % 4);
        let loaded = store.load(&id).await.unwrap();
        store
            .append(
                &loaded,
                &[CounterEvent::Added { amount: i }],
                &Metadata::default(),
            )
            .await
            .unwrap();
    }
    let live = Projections::new(
        db.pool.clone(),
        eventstore::testing::keyring(),
        vec![totals(None)],
    );
    live.register().await.unwrap();
    let head = eventstore::log::head(&mut db.pool.acquire().await.unwrap())
        .await
        .unwrap();
    live.settle(head).await.unwrap();
    db
}

async fn snapshot(db: &TestDb) -> Vec<(String, i64)> {
    // Runtime SQL: `totals` is this test's own table, unknown to the migrations.
    sqlx::query_as("select counter, total from totals order by counter")
        .fetch_all(&db.pool)
        .await
        .unwrap()
}

async fn index_names(db: &TestDb) -> Vec<String> {
    sqlx::query_scalar!(
        r#"select indexname as "indexname!" from pg_indexes where schemaname = 'public' and tablename = 'totals' order by 1"#,
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_rebuilt_read_model_equals_the_incremental_one_and_keeps_its_index_names() {
    let db = setup().await;
    let before = snapshot(&db).await;
    let indexes = index_names(&db).await;
    assert_eq!(before.iter().map(|t| t.1).sum::<i64>(), (0..120).sum::<i64>());

    let mut reports = 0;
    let progress = rebuild::rebuild(&db.pool, &eventstore::testing::keyring(), totals(None), |_| {
        reports += 1
    })
    .await
    .unwrap();
    assert_eq!(progress.done, 120);
    assert!(reports >= 1, "progress is reported");
    assert_eq!(snapshot(&db).await, before);
    assert_eq!(index_names(&db).await, indexes);
    let leftovers = sqlx::query_scalar!(
        r#"select count(*) as "count!" from pg_namespace where nspname like 'rebuild_%' or nspname like 'retired_%'"#,
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(leftovers, 0);
}

#[tokio::test]
async fn a_rebuild_that_dies_half_way_leaves_the_live_tables_and_can_be_run_again() {
    let db = setup().await;
    let before = snapshot(&db).await;
    let failing = totals(Some(20));
    assert!(
        rebuild::rebuild(&db.pool, &eventstore::testing::keyring(), failing.clone(), |_| {})
            .await
            .is_err()
    );
    assert!(failing.failed.load(Ordering::Relaxed));
    assert_eq!(snapshot(&db).await, before, "the site still reads the old tables");

    rebuild::rebuild(&db.pool, &eventstore::testing::keyring(), totals(None), |_| {})
        .await
        .unwrap();
    assert_eq!(snapshot(&db).await, before);
}

#[tokio::test]
async fn events_stored_during_a_rebuild_reach_the_new_tables() {
    let db = setup().await;
    // The rebuild stops at the 10th event of one counter until the writer has stored all of its
    // events: they are certainly written while the rebuild runs.
    let (reached, resume) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let pausing = Arc::new(Totals {
        fail_at: None,
        failed: AtomicBool::new(false),
        pause: Some(Pause {
            sequence: 10,
            reached: reached.clone(),
            resume: resume.clone(),
        }),
    });
    let writer = {
        let pool = db.pool.clone();
        tokio::spawn(async move {
            reached.notified().await;
            let store = EventStore::<Counter>::new(pool, eventstore::testing::keyring());
            for i in 0..50 {
                let loaded = store.load("during").await.unwrap();
                store
                    .append(
                        &loaded,
                        &[CounterEvent::Added { amount: i }],
                        &Metadata::default(),
                    )
                    .await
                    .unwrap();
            }
            resume.notify_one();
        })
    };
    rebuild::rebuild(&db.pool, &eventstore::testing::keyring(), pausing, |_| {})
        .await
        .unwrap();
    writer.await.unwrap();
    // Whatever the rebuild did not see, the live projector applies from the new checkpoint.
    let live = Projections::new(
        db.pool.clone(),
        eventstore::testing::keyring(),
        vec![totals(None)],
    );
    let head = eventstore::log::head(&mut db.pool.acquire().await.unwrap())
        .await
        .unwrap();
    live.settle(head).await.unwrap();
    // Runtime SQL: `totals` is this test's own table, unknown to the migrations.
    let during: i64 = sqlx::query_scalar("select total from totals where counter = 'during'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(during, (0..50).sum::<i64>());
    assert_eq!(
        snapshot(&db).await.iter().map(|t| t.1).sum::<i64>(),
        (0..120).sum::<i64>() + (0..50).sum::<i64>(),
        "nothing counted twice or lost"
    );
}
