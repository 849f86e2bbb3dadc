use std::sync::Arc;

use domain::user::User;
use eventstore::testing::TestDb;
use eventstore::{EventStore, Projections};
use projections::users::{self, UsersProjector};

/// A registration stored before staff accounts existed (event version 1, no `staff`) loads
/// into the aggregate and projects into the users table as a member.
#[tokio::test]
async fn a_version_one_registration_is_read_as_the_current_shape() {
    let db = TestDb::new().await;
    let id = "00000000-0000-0000-0000-00000000000a";
    sqlx::query!(
        r#"
        insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
        values ('User', $1, 1, 'UserRegistered', '1', $2, '{}')
        "#,
        id,
        serde_json::json!({
            "type": "UserRegistered",
            "id": id,
            "username": "oldtimer",
            "email": "old@example.com",
            "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$1"
        }),
    )
    .execute(&db.pool)
    .await
    .unwrap();

    let loaded = EventStore::<User>::new(db.pool.clone(), eventstore::testing::keyring())
        .load(id)
        .await
        .unwrap();
    assert_eq!(loaded.sequence, 1, "the old event applies to the aggregate");

    let projections = Projections::new(
        db.pool.clone(),
        eventstore::testing::keyring(),
        vec![Arc::new(UsersProjector)],
    );
    projections.register().await.unwrap();
    let head = eventstore::log::head(&mut db.pool.acquire().await.unwrap())
        .await
        .unwrap();
    projections.settle(head).await.unwrap();
    let user = users::by_username(&db.pool, "oldtimer")
        .await
        .unwrap()
        .expect("projected");
    assert!(!user.staff);
}
