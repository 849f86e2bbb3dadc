//! The log proves itself: a populated site's log verifies clean, and `verify` detects and
//! names every tampering planted in it.
//!
//! Each tampering is planted in a transaction that `verify` reads through and that is rolled
//! back afterwards, so all of them run against one populated database.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use eventstore::ledger::chain::Break;
use eventstore::ledger::verify::{CheckpointFault, LeafFault};
use eventstore::ledger::{self, Problem, PublicKey, Signer, Verification};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Connection;

use crate::helpers::{LEDGER_KEY, MASTER_KEY, TestApp};
use crate::rfc9162;

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

/// An event's hash, computed from its stored fields as the API documents it.
fn event_hash(event: &Value) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b64(&event["prevHash"]));
    hasher.update([1]);
    for field in [
        "aggregateType",
        "aggregateId",
        "eventType",
        "eventVersion",
        "payload",
        "metadata",
    ] {
        let text = event[field].as_str().unwrap();
        hasher.update((text.len() as u32).to_be_bytes());
        hasher.update(text.as_bytes());
    }
    hasher.update(event["recordedAt"].as_i64().unwrap().to_be_bytes());
    hasher.finalize().into()
}

fn b64(value: &Value) -> [u8; 32] {
    STANDARD
        .decode(value.as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap()
}

fn path(answer: &Value) -> Vec<[u8; 32]> {
    answer["path"].as_array().unwrap().iter().map(b64).collect()
}

/// The checkpoint's signature, checked from its published fields.
fn assert_signed(checkpoint: &Value) {
    let note = format!(
        "{}\n{}\n{}\n{}\n",
        checkpoint["origin"].as_str().unwrap(),
        checkpoint["treeSize"],
        checkpoint["root"].as_str().unwrap(),
        chrono::DateTime::parse_from_rfc3339(checkpoint["signedAt"].as_str().unwrap())
            .unwrap()
            .timestamp_millis()
    );
    let key: [u8; 32] = b64(&checkpoint["publicKey"]);
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key).unwrap();
    let signature: [u8; 64] = STANDARD
        .decode(checkpoint["signature"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    key.verify_strict(note.as_bytes(), &ed25519_dalek::Signature::from_bytes(&signature))
        .unwrap();
    assert_eq!(checkpoint["keyId"], key_id());
}

fn key_id() -> String {
    key().id()
}

#[tokio::test]
async fn proofs_from_the_api_verify_with_an_independent_implementation_for_those_who_may_see() {
    let app = TestApp::spawn().await;
    let (ann, ben, slug, room) = crate::history::busy_history(&app).await;
    let first = app.state.ledger.seal().await.unwrap().unwrap();
    // More history after the first checkpoint, so there are two to join.
    crate::history::edit(&ann, &slug, "Final title", "line one\nline two again").await;
    app.state.ledger.seal().await.unwrap().unwrap();
    let anyone = app.browser();

    let latest: Value = anyone
        .get("/api/log/checkpoints/latest")
        .await
        .json()
        .await
        .unwrap();
    let latest = &latest["checkpoint"];
    assert_signed(latest);
    let size = latest["treeSize"].as_u64().unwrap();
    let root = b64(&latest["root"]);
    let listed: Value = anyone.get("/api/log/checkpoints").await.json().await.unwrap();
    let listed = listed["checkpoints"].as_array().unwrap().clone();
    assert_eq!(&listed[0], latest);
    assert!(listed.iter().any(|c| c["treeSize"] == first.tree_size));

    // Every event of the post's history, as its author sees it.
    let history: Value = ann
        .get(&format!("/api/audit/articles/{slug}"))
        .await
        .json()
        .await
        .unwrap();
    let positions: Vec<i64> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert!(positions.len() > 5);
    for position in &positions {
        let answer = ann
            .get(&format!("/api/log/proofs/inclusion?position={position}"))
            .await;
        assert_eq!(answer.status(), StatusCode::OK, "event {position}");
        let answer: Value = answer.json().await.unwrap();
        assert_eq!(answer["event"]["position"], *position);
        assert_eq!(answer["treeSize"], size);
        let hash = event_hash(&answer["event"]);
        assert_eq!(hash, b64(&answer["event"]["hash"]), "event {position}");
        let proof = path(&answer);
        assert!(
            rfc9162::verify_inclusion(
                &rfc9162::leaf_hash(&hash),
                answer["leafIndex"].as_u64().unwrap(),
                size,
                &proof,
                &root
            ),
            "event {position}"
        );
        // A few hundred bytes: one hash per level of the tree.
        assert!(proof.len() <= 64 - size.leading_zeros() as usize);
    }

    // Every checkpoint is extended by the newest.
    for checkpoint in &listed[1..] {
        let from = checkpoint["treeSize"].as_u64().unwrap();
        let answer: Value = anyone
            .get(&format!("/api/log/proofs/consistency?from={from}&to={size}"))
            .await
            .json()
            .await
            .unwrap();
        assert!(
            rfc9162::verify_consistency(from, size, &b64(&checkpoint["root"]), &root, &path(&answer)),
            "{from} to {size}"
        );
    }
    let beyond = anyone
        .get(&format!("/api/log/proofs/consistency?from=1&to={}", size + 5))
        .await;
    assert_eq!(beyond.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Who may ask: the post's publication and edits are public; its comments' histories are
    // the author's to audit; a chat's events are its two people's.
    let published = positions[0];
    let public = anyone
        .get(&format!("/api/log/proofs/inclusion?position={published}"))
        .await;
    assert_eq!(public.status(), StatusCode::OK);
    let private = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["aggregate_type"] == "Comment")
        .unwrap()["position"]
        .as_i64()
        .unwrap();
    let stranger = app.signed_in("dan").await;
    for outsider in [&anyone, &stranger] {
        let answer = outsider
            .get(&format!("/api/log/proofs/inclusion?position={private}"))
            .await;
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    }
    let chat_event = app
        .count(&format!(
            "select max(position) from events where aggregate_type = 'Chat' and aggregate_id = '{room}'"
        ))
        .await;
    let asked = format!("/api/log/proofs/inclusion?position={chat_event}");
    assert_eq!(ben.get(&asked).await.status(), StatusCode::OK);
    assert_eq!(stranger.get(&asked).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(anyone.get(&asked).await.status(), StatusCode::NOT_FOUND);

    // An event newer than the checkpoint asked about, and a checkpoint that does not exist.
    let newer = ann
        .get(&format!(
            "/api/log/proofs/inclusion?position={}&treeSize={}",
            positions.last().unwrap(),
            first.tree_size
        ))
        .await;
    assert_eq!(newer.status(), StatusCode::CONFLICT);
    let none = ann
        .get(&format!(
            "/api/log/proofs/inclusion?position={published}&treeSize={}",
            size + 1_000_000
        ))
        .await;
    assert_eq!(none.status(), StatusCode::NOT_FOUND);
    // Sizes past any count Postgres keeps name nothing, and are told so.
    let huge = "9223372036854775808";
    assert_eq!(
        anyone.get(&format!("/api/log/checkpoints/{huge}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let answer = ann
        .get(&format!(
            "/api/log/proofs/inclusion?position={published}&treeSize={huge}"
        ))
        .await;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    let answer = anyone
        .get(&format!("/api/log/proofs/consistency?from={huge}&to={huge}"))
        .await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn history_pages_show_a_fingerprint_both_people_of_a_chat_see_alike() {
    let app = TestApp::spawn().await;
    let (ann, ben, slug, room) = crate::history::busy_history(&app).await;
    app.state.ledger.seal().await.unwrap();
    let fingerprint = |html: &scraper::Html| crate::helpers::text(html, ".fingerprint-text");
    let status = |html: &scraper::Html| crate::helpers::text(html, ".fingerprint-status");

    let (_, anns) = ann.page(&format!("/chat/{room}/history")).await;
    let (_, bens) = ben.page(&format!("/chat/{room}/history")).await;
    assert_eq!(fingerprint(&anns), fingerprint(&bens));
    assert_eq!(fingerprint(&anns).len(), 79, "{}", fingerprint(&anns));
    assert!(status(&anns).contains("Verified"), "{}", status(&anns));

    let (_, post) = ann.page(&format!("/posts/{slug}/history")).await;
    assert!(status(&post).contains("Verified"), "{}", status(&post));
    assert_ne!(fingerprint(&post), fingerprint(&anns));

    // A new event moves the fingerprint on; until it is sealed the page says so.
    crate::history::edit(&ann, &slug, "Final title", "a new line").await;
    app.state.ledger.seal().await.unwrap();
    let (_, later) = ann.page(&format!("/posts/{slug}/history")).await;
    assert_ne!(fingerprint(&later), fingerprint(&post));
    assert!(status(&later).contains("Verified"));

    // An altered newest event: the page no longer vouches for it.
    sqlx::query(&format!(
        "update events set metadata = '{{}}' where aggregate_type = 'Chat' and aggregate_id = '{room}' \
         and sequence = (select max(sequence) from events where aggregate_type = 'Chat' and aggregate_id = '{room}')"
    ))
    .execute(&app.db.pool)
    .await
    .unwrap();
    let (_, altered) = ann.page(&format!("/chat/{room}/history")).await;
    assert!(
        status(&altered).contains("does not verify"),
        "{}",
        status(&altered)
    );
}

/// `bocha events verify --export … --checkpoint …`, with no database.
fn verify_offline(export: &str, checkpoint: &str, key: Option<&str>) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("bocha-offline-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("history.ndjson"), export).unwrap();
    std::fs::write(dir.join("checkpoint.json"), checkpoint).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_bocha"));
    command
        .args(["events", "verify", "--export"])
        .arg(dir.join("history.ndjson"))
        .arg("--checkpoint")
        .arg(dir.join("checkpoint.json"))
        // Nothing to reach: the check must not need a database.
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none");
    if let Some(key) = key {
        command.args(["--key", key]);
    }
    let output = command.output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

/// `export` with line `n` (from 1) changed by `change`, or dropped when it returns `None`.
fn with_line(export: &str, n: usize, change: impl Fn(Value) -> Option<Value>) -> String {
    export
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            if i + 1 == n {
                change(serde_json::from_str(line).unwrap()).map(|v| v.to_string())
            } else {
                Some(line.to_owned())
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_downloaded_chat_history_verifies_offline_and_any_change_to_it_is_named() {
    let app = TestApp::spawn().await;
    let (_ann, ben, _slug, room) = crate::history::busy_history(&app).await;
    app.state.ledger.seal().await.unwrap();
    let export = ben
        .get(&format!("/chat/{room}/history.ndjson"))
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = export.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.len() > 8);
    let size = lines[0]["proof"]["treeSize"].as_u64().unwrap();
    assert!(lines.iter().all(|l| l["proof"]["treeSize"] == size));
    // What the reader may not see (a deleted message's words) is not in what proves it: the
    // stored form holds it sealed.
    assert!(!export.contains("message 2"), "{export}");
    let checkpoint = ben
        .get(&format!("/api/log/checkpoints/{size}"))
        .await
        .text()
        .await
        .unwrap();

    let (clean, said) = verify_offline(&export, &checkpoint, Some(&key_id()));
    assert!(clean, "{said}");
    assert!(
        said.contains(&format!("all {} events are in the log as signed", lines.len())),
        "{said}"
    );

    let changed = with_line(&export, 3, |mut line| {
        line["stored"]["metadata"] = Value::String("{}".to_owned());
        Some(line)
    });
    let (clean, said) = verify_offline(&changed, &checkpoint, None);
    assert!(!clean);
    assert!(
        said.contains("line 3: the event at position") && said.contains("was changed"),
        "{said}"
    );

    let dropped = with_line(&export, 3, |_| None);
    let (clean, said) = verify_offline(&dropped, &checkpoint, None);
    assert!(!clean);
    assert!(
        said.contains("line 3: an event before the one at position"),
        "{said}"
    );

    let shown_otherwise = with_line(&export, 2, |mut line| {
        line["position"] = Value::from(1);
        Some(line)
    });
    let (clean, said) = verify_offline(&shown_otherwise, &checkpoint, None);
    assert!(
        !clean && said.contains("line 2: the event shown is not the event"),
        "{said}"
    );

    let mut forged: Value = serde_json::from_str(&checkpoint).unwrap();
    forged["checkpoint"]["root"] = Value::String(STANDARD.encode([7u8; 32]));
    let (clean, said) = verify_offline(&export, &forged.to_string(), None);
    assert!(!clean && said.contains("signature does not verify"), "{said}");

    let (clean, said) = verify_offline(&export, &checkpoint, Some("0123456789abcdef"));
    assert!(!clean && said.contains("not 0123456789abcdef"), "{said}");
}

#[tokio::test]
async fn erasing_a_person_breaks_no_chain_proof_or_checkpoint() {
    let app = TestApp::spawn().await;
    let (ann, ben, _slug, room) = crate::history::busy_history(&app).await;
    app.state.ledger.seal().await.unwrap();
    let before: Value = ben
        .get(&format!("/api/log/proofs/inclusion?position={}", {
            app.count(&format!(
                "select min(position) from events where aggregate_type = 'Chat' and aggregate_id = '{room}' \
                 and event_type = 'MessageSent'"
            ))
            .await
        }))
        .await
        .json()
        .await
        .unwrap();
    // Ann deletes her account: her key is destroyed, and with it every word of hers in the log.
    let deleted = ann
        .submit("/settings/delete", &[("password", crate::helpers::PASSWORD)])
        .await;
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    app.state.ledger.seal().await.unwrap();

    let found = planted(&app, &[]).await;
    assert!(found.is_clean(), "{:?}", found.problems);
    // The message she sent is proven as it was stored, box and all, though no one can open it.
    let after: Value = ben
        .get(&format!(
            "/api/log/proofs/inclusion?position={}&treeSize={}",
            before["event"]["position"], before["treeSize"]
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["event"], before["event"]);
    assert_eq!(after["path"], before["path"]);
}
