//! Reading a history a page at a time: every event of the scope, in log order, exactly once,
//! whatever the page size.

use eventstore::testing::TestDb;
use projections::audit::{self, Scope};
use serde_json::json;
use uuid::Uuid;

/// Appends a raw event; returns its position.
async fn event(
    db: &TestDb,
    kind: &str,
    id: Uuid,
    sequence: i64,
    payload: serde_json::Value,
    actor: Option<Uuid>,
) -> i64 {
    sqlx::query_scalar!(
        r"insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
          values ($1, $2, $3, 'Something', '1', $4, $5) returning position",
        kind,
        id.to_string(),
        sequence,
        payload,
        json!({ "actor": actor.map(|a| a.to_string()) }),
    )
    .fetch_one(&db.pool)
    .await
    .unwrap()
}

async fn all_pages(db: &TestDb, scope: Scope, limit: i64) -> Vec<i64> {
    let mut positions = Vec::new();
    let mut after = 0;
    loop {
        let page = audit::page(&db.pool, &eventstore::testing::keyring(), scope, after, limit)
            .await
            .unwrap();
        positions.extend(page.iter().map(|e| e.position));
        match page.last() {
            Some(last) if page.len() as i64 == limit => after = last.position,
            _ => return positions,
        }
    }
}

#[tokio::test]
async fn every_scope_reads_whole_and_in_order_a_page_at_a_time() {
    let db = TestDb::new().await;
    let (chat, other_chat, post, user) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let (mut in_chat, mut in_post, mut by_user) = (Vec::new(), Vec::new(), Vec::new());
    by_user.push(event(&db, "User", user, 1, json!({}), None).await);
    for n in 1..=7 {
        in_chat.push(event(&db, "Chat", chat, n, json!({ "seq": n }), Some(user)).await);
        event(&db, "Chat", other_chat, n, json!({ "seq": n }), None).await;
        if n <= 2 {
            in_post.push(event(&db, "Post", post, n, json!({}), None).await);
        }
        if n % 2 == 1 {
            in_post.push(
                event(
                    &db,
                    "Comment",
                    Uuid::now_v7(),
                    1,
                    json!({ "post": post.to_string() }),
                    None,
                )
                .await,
            );
        }
    }
    in_post.push(
        event(
            &db,
            "Favorite",
            Uuid::now_v7(),
            1,
            json!({ "post": post.to_string() }),
            Some(user),
        )
        .await,
    );
    by_user.extend(&in_chat);
    by_user.push(*in_post.last().unwrap());
    by_user.push(event(&db, "User", user, 2, json!({}), Some(user)).await);
    by_user.sort_unstable();

    for limit in [1, 2, 3, 1000] {
        assert_eq!(
            all_pages(&db, Scope::Chat(chat), limit).await,
            in_chat,
            "chat, pages of {limit}"
        );
        assert_eq!(
            all_pages(&db, Scope::Post(post), limit).await,
            in_post,
            "post, pages of {limit}"
        );
        assert_eq!(
            all_pages(&db, Scope::User(user), limit).await,
            by_user,
            "user, pages of {limit}"
        );
    }
    assert!(
        audit::exists(&db.pool, &eventstore::testing::keyring(), Scope::Chat(chat))
            .await
            .unwrap()
    );
    assert!(
        !audit::exists(
            &db.pool,
            &eventstore::testing::keyring(),
            Scope::Chat(Uuid::now_v7())
        )
        .await
        .unwrap()
    );
}
