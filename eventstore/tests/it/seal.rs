//! Personal data sealed per person: stored only as ciphertext, read back whole while the key
//! lives, read as the erased form once it is shredded, never guessed at with the wrong key.

use cqrs_es::Aggregate;
use domain::Metadata;
use domain::comment::{Comment, CommentBody, CommentCommand, CommentEvent, CommentId};
use domain::post::PostId;
use domain::user::UserId;
use eventstore::EventStore;
use eventstore::log;
use eventstore::seal::{self, Keyring};
use eventstore::store::StoreError;
use eventstore::testing::{TestDb, keyring};
use uuid::Uuid;

const MARKER: &str = "zebra-7f3a-marker";

struct Fixture {
    db: TestDb,
    store: EventStore<Comment>,
    author: UserId,
}

impl Fixture {
    async fn new() -> Self {
        let db = TestDb::new().await;
        let store = EventStore::<Comment>::new(db.pool.clone(), keyring());
        Self {
            db,
            store,
            author: UserId(Uuid::now_v7()),
        }
    }

    /// A comment by the fixture's author, then an edit: two sealed events.
    async fn comment(&self, body: &str) -> String {
        let id = CommentId(Uuid::now_v7());
        let post = CommentCommand::Post {
            id,
            post: PostId(Uuid::now_v7()),
            post_author: UserId(Uuid::now_v7()),
            author: self.author,
            body: CommentBody::parse(body).unwrap(),
        };
        self.run(&id.0.to_string(), post).await;
        let edit = CommentCommand::Edit {
            by: self.author,
            body: CommentBody::parse(&format!("{body} (edited)")).unwrap(),
        };
        self.run(&id.0.to_string(), edit).await;
        id.0.to_string()
    }

    async fn run(&self, id: &str, command: CommentCommand) {
        let mut loaded = self.store.load(id).await.unwrap();
        let sink = Default::default();
        loaded.aggregate.handle(command, &(), &sink).await.unwrap();
        let events = sink.collect().await;
        self.store
            .append(&loaded, &events, &Metadata::new(Some(self.author.0), "test"))
            .await
            .unwrap();
    }

    async fn stored_text(&self) -> String {
        sqlx::query_scalar::<_, String>("select coalesce(string_agg(payload::text, ' '), '') from events")
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }

    async fn bodies(&self, id: &str) -> Vec<String> {
        let mut conn = self.db.pool.acquire().await.unwrap();
        log::appended(&mut conn, &keyring(), "Comment", id, 0)
            .await
            .unwrap()
            .iter()
            .map(|event| match event.decode::<Comment>().unwrap() {
                CommentEvent::CommentPosted { body, .. } | CommentEvent::CommentEdited { body, .. } => {
                    body.as_str().to_owned()
                }
                CommentEvent::CommentDeleted { .. }
                | CommentEvent::CommentHidden { .. }
                | CommentEvent::CommentUnhidden { .. } => String::new(),
            })
            .collect()
    }
}

#[tokio::test]
async fn personal_data_is_stored_sealed_and_read_back_whole() {
    let fixture = Fixture::new().await;
    let id = fixture.comment(MARKER).await;

    let stored = fixture.stored_text().await;
    assert!(!stored.contains(MARKER), "the text is in clear: {stored}");
    assert!(stored.contains(seal::SEALED));
    // What the read models join on stays in clear.
    assert!(stored.contains(&fixture.author.0.to_string()));

    assert_eq!(
        fixture.bodies(&id).await,
        vec![MARKER.to_owned(), format!("{MARKER} (edited)")]
    );
    assert_eq!(fixture.store.load(&id).await.unwrap().sequence, 2);
}

#[tokio::test]
async fn a_shredded_key_leaves_only_the_erased_form_and_makes_no_new_one() {
    let fixture = Fixture::new().await;
    let id = fixture.comment(MARKER).await;
    seal::shred(&fixture.db.pool, fixture.author.0).await.unwrap();

    assert_eq!(fixture.bodies(&id).await, vec![String::new(), String::new()]);
    // The aggregate still loads, from the erased forms.
    assert_eq!(fixture.store.load(&id).await.unwrap().sequence, 2);

    // Whatever is appended about them afterwards keeps only its erased form.
    let later = fixture.comment("written after the erasure").await;
    assert_eq!(fixture.bodies(&later).await, vec![String::new(), String::new()]);
    assert!(!fixture.stored_text().await.contains("after the erasure"));
    let keys: i64 = sqlx::query_scalar("select count(*) from person_keys where wrapped is not null")
        .fetch_one(&fixture.db.pool)
        .await
        .unwrap();
    assert_eq!(keys, 0);
}

#[tokio::test]
async fn the_wrong_master_key_is_an_error_never_an_erasure() {
    let fixture = Fixture::new().await;
    let id = fixture.comment(MARKER).await;
    let other = Keyring::from_secret("some other master key, also long enough").unwrap();
    let store = EventStore::<Comment>::new(fixture.db.pool.clone(), other.clone());
    assert!(matches!(store.load(&id).await, Err(StoreError::Seal(_))));
    let mut conn = fixture.db.pool.acquire().await.unwrap();
    assert!(log::appended(&mut conn, &other, "Comment", &id, 0).await.is_err());
    assert!(Keyring::from_secret("too short").is_err());
}

#[tokio::test]
async fn a_box_moved_to_another_event_does_not_open() {
    let fixture = Fixture::new().await;
    let first = fixture.comment(MARKER).await;
    let second = fixture.comment("another comment").await;
    sqlx::query(
        "update events set payload = (select payload from events where aggregate_id = $1 and sequence = 1) \
         where aggregate_id = $2 and sequence = 1",
    )
    .bind(&first)
    .bind(&second)
    .execute(&fixture.db.pool)
    .await
    .unwrap();
    let mut conn = fixture.db.pool.acquire().await.unwrap();
    assert!(
        log::appended(&mut conn, &keyring(), "Comment", &second, 0)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_log_written_in_clear_is_sealed_once_and_its_claims_digested() {
    let fixture = Fixture::new().await;
    // Two aggregates, sealed in one batch: each replayed on its own.
    let id = fixture.comment(MARKER).await;
    let other = fixture.comment("second-4c1d-marker").await;
    // The log as an older version wrote it: payloads in clear, a claim in clear, no keys.
    let mut conn = fixture.db.pool.acquire().await.unwrap();
    let mut events = log::appended(&mut conn, &keyring(), "Comment", &id, 0)
        .await
        .unwrap();
    events.extend(
        log::appended(&mut conn, &keyring(), "Comment", &other, 0)
            .await
            .unwrap(),
    );
    for event in events {
        sqlx::query("update events set payload = $1 where position = $2")
            .bind(&event.payload)
            .bind(event.position)
            .execute(&fixture.db.pool)
            .await
            .unwrap();
    }
    sqlx::query("delete from person_keys")
        .execute(&fixture.db.pool)
        .await
        .unwrap();
    sqlx::query("insert into unique_claims values ('email', 'someone@example.com', 'User', 'u1')")
        .execute(&fixture.db.pool)
        .await
        .unwrap();
    sqlx::query("insert into log_sealing (upto) select max(position) from events")
        .execute(&fixture.db.pool)
        .await
        .unwrap();
    assert!(fixture.stored_text().await.contains(MARKER));

    assert_eq!(
        seal::seal_existing(&fixture.db.pool, &keyring()).await.unwrap(),
        4
    );
    let stored = fixture.stored_text().await;
    assert!(!stored.contains(MARKER) && !stored.contains("second-4c1d-marker"));
    assert_eq!(
        fixture.bodies(&id).await,
        vec![MARKER.to_owned(), format!("{MARKER} (edited)")]
    );
    assert_eq!(
        fixture.bodies(&other).await,
        vec![
            "second-4c1d-marker".to_owned(),
            "second-4c1d-marker (edited)".to_owned()
        ]
    );
    let claim: String = sqlx::query_scalar("select value from unique_claims where aggregate_id = 'u1'")
        .fetch_one(&fixture.db.pool)
        .await
        .unwrap();
    assert_eq!(claim, keyring().claim_digest("email", "someone@example.com"));

    // Done once: a second start finds nothing to do.
    assert_eq!(
        seal::seal_existing(&fixture.db.pool, &keyring()).await.unwrap(),
        0
    );
}
