//! The log proves itself: a populated site's log verifies clean, and `verify` detects and
//! names every tampering planted in it.
//!
//! Each tampering is planted in a transaction that `verify` reads through and that is rolled
//! back afterwards, so all of them run against one populated database.

use eventstore::ledger::chain::Break;
use eventstore::ledger::verify::{CheckpointFault, LeafFault};
use eventstore::ledger::{self, Problem, PublicKey, Signer, Verification};
use sqlx::Connection;

use crate::helpers::{LEDGER_KEY, MASTER_KEY, TestApp};

/// A site with posts, edits, comments, follows, a deleted post and a chat, its log sealed and
/// signed.
async fn sealed_site() -> TestApp {
    let app = TestApp::spawn().await;
    crate::history::busy_history(&app).await;
    app.state.ledger.seal().await.unwrap();
    app
}

fn key() -> PublicKey {
    Signer::from_secret(LEDGER_KEY).public()
}

/// The post with the longest history: the one published and edited.
const POST: &str = "(select aggregate_id from events where aggregate_type = 'Post' \
                    group by aggregate_id order by count(*) desc limit 1)";

/// What `verify` finds once `statements` have run, which are then undone.
async fn planted(app: &TestApp, statements: &[String]) -> Verification {
    planted_with(app, statements, &key()).await
}

async fn planted_with(app: &TestApp, statements: &[String], key: &PublicKey) -> Verification {
    let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    for statement in statements {
        sqlx::query(statement).execute(&mut *tx).await.unwrap();
    }
    let found = ledger::verify(&mut tx, key, &()).await.unwrap();
    tx.rollback().await.unwrap();
    found
}

async fn position_of(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db.pool).await.unwrap()
}

fn first(found: &Verification) -> &Problem {
    assert!(!found.is_clean(), "the tampering went unnoticed");
    &found.problems[0]
}

#[tokio::test]
async fn every_planted_tampering_is_detected_and_named_and_an_untouched_log_verifies() {
    let app = sealed_site().await;
    let events = app.count("select count(*) from events").await;

    let clean = planted(&app, &[]).await;
    assert!(clean.is_clean(), "{:?}", clean.problems);
    assert_eq!(clean.events as i64, events);
    assert_eq!(clean.leaves as i64, events, "not every event was sealed");
    assert!(clean.checkpoints >= 1);
    assert!(clean.aggregates > 10);

    // One byte of a sealed payload's box.
    let boxed = position_of(
        &app,
        "select min(position) from events where payload->'_sealed' ? 'box'",
    )
    .await;
    let found = planted(
        &app,
        &[format!(
            "update events set payload = jsonb_set(payload, '{{_sealed,box}}', to_jsonb(
                 case when left(payload->'_sealed'->>'box', 1) = 'A' then 'B' else 'A' end
                 || substr(payload->'_sealed'->>'box', 2)))
              where position = {boxed}"
        )],
    )
    .await;
    assert!(
        matches!(first(&found), Problem::Event { position, what: Break::Changed, .. } if *position == boxed),
        "{}",
        first(&found)
    );
    assert_eq!(found.problem_count, 1, "{:?}", found.problems);

    // Metadata: who did it.
    let acted = position_of(&app, "select max(position) from events where metadata ? 'actor'").await;
    let found = planted(
        &app,
        &[format!(
            "update events set metadata = jsonb_set(metadata, '{{actor}}', '\"00000000-0000-0000-0000-000000000001\"')
              where position = {acted}"
        )],
    )
    .await;
    assert!(
        matches!(first(&found), Problem::Event { position, what: Break::Changed, .. } if *position == acted),
        "{}",
        first(&found)
    );

    // An event deleted from the middle of a post's history.
    let found = planted(
        &app,
        &[format!(
            "delete from events where aggregate_type = 'Post' and aggregate_id = {POST} and sequence = 2"
        )],
    )
    .await;
    assert!(
        matches!(
            first(&found),
            Problem::Event {
                sequence: 3,
                what: Break::Missing,
                ..
            }
        ),
        "{}",
        first(&found)
    );
    assert!(
        found.problems.iter().any(|p| matches!(
            p,
            Problem::Leaf {
                what: LeafFault::Missing,
                ..
            }
        )),
        "{:?}",
        found.problems
    );

    // Two events of that history swapped.
    let found = planted(
        &app,
        &[
            format!("update events set sequence = 1000 where aggregate_type = 'Post' and aggregate_id = {POST} and sequence = 2"),
            format!("update events set sequence = 2 where aggregate_type = 'Post' and aggregate_id = {POST} and sequence = 3"),
            format!("update events set sequence = 3 where aggregate_type = 'Post' and aggregate_id = {POST} and sequence = 1000"),
        ],
    )
    .await;
    assert!(
        matches!(
            first(&found),
            Problem::Event {
                sequence: 2,
                what: Break::Reordered,
                ..
            }
        ),
        "{}",
        first(&found)
    );

    // The tail cut: the newest events gone with their leaves.
    let found = planted(
        &app,
        &[
            "with cut as (delete from ledger_leaves where index >= (select max(index) - 2 from ledger_leaves)
                        returning position)
           delete from events where position in (select position from cut)"
                .to_owned(),
        ],
    )
    .await;
    assert!(
        found.problems.iter().any(|p| matches!(
            p,
            Problem::Checkpoint { what: CheckpointFault::Truncated { tree_size, leaves }, .. }
                if *tree_size == events as u64 && *leaves == events as u64 - 3
        )),
        "{:?}",
        found.problems
    );

    // A checkpoint altered.
    let found = planted(
        &app,
        &["update ledger_checkpoints set root = sha256(root) where tree_size = (select max(tree_size) from ledger_checkpoints)"
            .to_owned()],
    )
    .await;
    assert!(
        matches!(
            first(&found),
            Problem::Checkpoint {
                what: CheckpointFault::Signature(ledger::signing::CheckpointError::BadSignature),
                ..
            }
        ),
        "{}",
        first(&found)
    );

    // A history rewritten with its chains computed anew: the tree and the checkpoints still
    // tell, and name the event.
    let found = planted(
        &app,
        &[
            format!("update events set metadata = '{{}}' where position = {acted}"),
            format!(
                "select events_rechain(aggregate_type, aggregate_id) from events where position = {acted}"
            ),
        ],
    )
    .await;
    assert!(
        matches!(first(&found), Problem::Leaf { position, what: LeafFault::Changed, .. } if *position == acted),
        "{}",
        first(&found)
    );
    assert!(
        found.problems.iter().any(|p| matches!(
            p,
            Problem::Checkpoint {
                what: CheckpointFault::Root(_),
                ..
            }
        )),
        "{:?}",
        found.problems
    );
}

#[tokio::test]
async fn checkpoints_signed_by_another_key_are_named_as_such() {
    let app = sealed_site().await;
    let attacker = Signer::from_secret("someone else's key, long enough to be a key");
    // The log checked with another key (the configured one was replaced).
    let found = planted_with(&app, &[], &attacker.public()).await;
    assert!(
        matches!(
            first(&found),
            Problem::Checkpoint {
                what: CheckpointFault::Signature(ledger::signing::CheckpointError::OtherKey { .. }),
                ..
            }
        ),
        "{}",
        first(&found)
    );
    // A checkpoint re-signed by someone holding another key.
    let mut conn = app.db.pool.acquire().await.unwrap();
    let latest = ledger::store::latest_checkpoint(&mut conn)
        .await
        .unwrap()
        .unwrap();
    let forged = attacker.sign(latest.tree_size, latest.root, latest.signed_at);
    let signature: String = forged.signature.iter().map(|b| format!("{b:02x}")).collect();
    let found = planted(
        &app,
        &[format!(
            "update ledger_checkpoints set key_id = '{}', signature = '\\x{signature}' where tree_size = {}",
            forged.key_id, latest.tree_size
        )],
    )
    .await;
    assert!(
        matches!(
            first(&found),
            Problem::Checkpoint {
                what: CheckpointFault::Signature(ledger::signing::CheckpointError::OtherKey { .. }),
                ..
            }
        ),
        "{}",
        first(&found)
    );
}

#[tokio::test]
async fn the_command_line_verifies_and_names_the_first_tampered_event() {
    let app = sealed_site().await;
    let verify = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_bocha"))
            .args(["events", "verify"])
            .env("DATABASE_URL", &app.db.url)
            .env("MASTER_KEY", MASTER_KEY)
            .env("LEDGER_KEY", LEDGER_KEY)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let clean = verify();
    let stdout = String::from_utf8_lossy(&clean.stdout);
    assert!(
        clean.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    assert!(stdout.contains("the log verifies"), "{stdout}");

    let changed = position_of(
        &app,
        "select min(position) from events where aggregate_type = 'Chat'",
    )
    .await;
    sqlx::query(&format!(
        "update events set payload = payload || '{{\"extra\": 1}}' where position = {changed}"
    ))
    .execute(&app.db.pool)
    .await
    .unwrap();
    let tampered = verify();
    let stdout = String::from_utf8_lossy(&tampered.stdout);
    let stderr = String::from_utf8_lossy(&tampered.stderr);
    assert!(!tampered.status.success(), "{stdout}");
    assert!(
        stderr.contains(&format!("event at position {changed} (Chat")) && stderr.contains("is changed"),
        "{stdout}{stderr}"
    );
}

#[tokio::test]
async fn the_running_site_seals_its_log_and_signs_checkpoints_on_its_own() {
    let app = TestApp::spawn().await;
    let ann = app.signed_in("ann").await;
    crate::history::publish(&ann, "Sealed", "soon").await;
    let events = app.count("select count(*) from events").await;
    let mut covered = 0;
    for _ in 0..100 {
        covered = app
            .count("select coalesce(max(tree_size), 0) from ledger_checkpoints")
            .await;
        if covered >= events {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(covered >= events, "{covered} of {events} events in a checkpoint");
}
