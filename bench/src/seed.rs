//! Writing large, valid event logs quickly.
//!
//! Every event comes from the real aggregates: a command goes through the aggregate's `decide`,
//! each resulting event is applied with cqrs-es's `Aggregate::apply`, and the events are
//! serialized with serde exactly as the event store would. They are appended in bulk (one
//! multi-row `insert … select from unnest(…)` per few thousand events), together with the unique
//! claims the events make and a snapshot of every aggregate with enough events to have one, as
//! the store would have written them. The projections then catch up as they do in production.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use cqrs_es::{Aggregate, DomainEvent};
use domain::chat::{Chat, ChatCommand, ChatId, ClientId, MessageBody, MessageId, MessageInfo, RequestId};
use domain::comment::{Comment, CommentBody, CommentCommand, CommentId};
use domain::post::{
    Description, Post, PostBody, PostChanges, PostCommand, PostContent, PostId, PostTitle, Slug, Tags,
};
use domain::relation::{Favorite, FavoriteCommand, Follow, FollowCommand};
use domain::user::{Email, PasswordHash, User, UserCommand, UserId, Username};
use domain::{Claims, Metadata};
use eventstore::Stored;
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

/// The password of every seeded user.
pub const PASSWORD: &str = "bench-password-123";

/// Events per insert statement (and transaction).
const CHUNK: usize = 5_000;

/// A small, fast, deterministic random source (SplitMix64), so every run seeds the same data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn uuid(&mut self) -> Uuid {
        Uuid::from_u64_pair(self.next(), self.next())
    }
}

/// Buffers events, claims and snapshots, and appends them in bulk.
pub struct Log {
    pool: PgPool,
    aggregate_types: Vec<&'static str>,
    aggregate_ids: Vec<String>,
    sequences: Vec<i64>,
    event_types: Vec<String>,
    event_versions: Vec<String>,
    payloads: Vec<Value>,
    metadata: Vec<Value>,
    claims: Vec<(String, String, &'static str, String)>,
    snapshots: HashMap<(&'static str, String), (i64, i64, Value)>,
    pub written: u64,
}

impl Log {
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            aggregate_types: Vec::new(),
            aggregate_ids: Vec::new(),
            sequences: Vec::new(),
            event_types: Vec::new(),
            event_versions: Vec::new(),
            payloads: Vec::new(),
            metadata: Vec::new(),
            claims: Vec::new(),
            snapshots: HashMap::new(),
            written: 0,
        }
    }

    fn push<A: Aggregate>(&mut self, id: &str, sequence: u64, event: &A::Event, actor: Option<Uuid>)
    where
        A::Event: Claims,
    {
        for claim in event.claims() {
            self.claims.push((
                claim.kind.as_str().to_owned(),
                claim.value,
                A::TYPE,
                id.to_owned(),
            ));
        }
        self.aggregate_types.push(A::TYPE);
        self.aggregate_ids.push(id.to_owned());
        self.sequences.push(sequence as i64);
        self.event_types.push(event.event_type());
        self.event_versions.push(event.event_version());
        self.payloads
            .push(serde_json::to_value(event).unwrap_or(Value::Null));
        let metadata = Metadata::new(actor, "bench-seed").to_map();
        self.metadata
            .push(serde_json::to_value(metadata).unwrap_or(Value::Null));
    }

    fn snapshot<A: Aggregate>(&mut self, id: &str, sequence: u64, count: u64, aggregate: &A) {
        if let Ok(payload) = serde_json::to_value(aggregate) {
            self.snapshots
                .insert((A::TYPE, id.to_owned()), (sequence as i64, count as i64, payload));
        }
    }

    /// Appends what is buffered once a chunk is full.
    pub async fn maybe_flush(&mut self) -> anyhow::Result<()> {
        if self.sequences.len() >= CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    /// Appends everything buffered, in one transaction.
    pub async fn flush(&mut self) -> anyhow::Result<()> {
        if self.sequences.is_empty() && self.snapshots.is_empty() && self.claims.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        if !self.sequences.is_empty() {
            sqlx::query(
                r#"
                insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                select * from unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[])
                "#,
            )
            .bind(&self.aggregate_types)
            .bind(&self.aggregate_ids)
            .bind(&self.sequences)
            .bind(&self.event_types)
            .bind(&self.event_versions)
            .bind(&self.payloads)
            .bind(&self.metadata)
            .execute(&mut *tx)
            .await?;
        }
        if !self.claims.is_empty() {
            let (kinds, values, types, ids) = unzip4(self.claims.drain(..));
            sqlx::query(
                "insert into unique_claims (kind, value, aggregate_type, aggregate_id) \
                 select * from unnest($1::text[], $2::text[], $3::text[], $4::text[])",
            )
            .bind(&kinds)
            .bind(&values)
            .bind(&types)
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        }
        if !self.snapshots.is_empty() {
            let mut types = Vec::new();
            let mut ids = Vec::new();
            let mut sequences = Vec::new();
            let mut counts = Vec::new();
            let mut payloads = Vec::new();
            for ((t, id), (sequence, count, payload)) in self.snapshots.drain() {
                types.push(t);
                ids.push(id);
                sequences.push(sequence);
                counts.push(count);
                payloads.push(payload);
            }
            sqlx::query(
                r#"
                insert into snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
                select * from unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::jsonb[])
                on conflict (aggregate_type, aggregate_id) do update
                   set last_sequence = excluded.last_sequence, current_snapshot = excluded.current_snapshot,
                       payload = excluded.payload
                "#,
            )
            .bind(&types)
            .bind(&ids)
            .bind(&sequences)
            .bind(&counts)
            .bind(&payloads)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.written += self.sequences.len() as u64;
        self.aggregate_types.clear();
        self.aggregate_ids.clear();
        self.sequences.clear();
        self.event_types.clear();
        self.event_versions.clear();
        self.payloads.clear();
        self.metadata.clear();
        Ok(())
    }
}

fn unzip4<A, B, C, D>(items: impl Iterator<Item = (A, B, C, D)>) -> (Vec<A>, Vec<B>, Vec<C>, Vec<D>) {
    let (mut a, mut b, mut c, mut d) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (w, x, y, z) in items {
        a.push(w);
        b.push(x);
        c.push(y);
        d.push(z);
    }
    (a, b, c, d)
}

/// An aggregate being written: its state after every event so far, and its sequence.
pub struct Agg<A: Aggregate> {
    pub id: String,
    pub state: A,
    pub sequence: u64,
}

impl<A: Stored> Agg<A>
where
    A::Event: Claims,
{
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            state: A::default(),
            sequence: 0,
        }
    }

    /// Appends `events` as a command would, applying each to the state.
    pub fn record(&mut self, log: &mut Log, events: Vec<A::Event>, actor: Option<Uuid>) {
        for event in events {
            self.sequence += 1;
            log.push::<A>(&self.id, self.sequence, &event, actor);
            self.state.apply(event);
        }
    }

    /// Stores the snapshot the event store would hold by now, if any is due.
    pub fn finish(&self, log: &mut Log) {
        if self.sequence >= A::SNAPSHOT_EVERY {
            log.snapshot(
                &self.id,
                self.sequence,
                self.sequence / A::SNAPSHOT_EVERY,
                &self.state,
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Content

const TAGS: [&str; 40] = [
    "rust",
    "postgres",
    "redis",
    "tea",
    "coffee",
    "travel",
    "books",
    "music",
    "cooking",
    "garden",
    "cycling",
    "running",
    "photography",
    "design",
    "css",
    "javascript",
    "python",
    "go",
    "linux",
    "databases",
    "performance",
    "security",
    "testing",
    "career",
    "writing",
    "science",
    "space",
    "history",
    "maps",
    "games",
    "chess",
    "film",
    "art",
    "birds",
    "hiking",
    "climbing",
    "sailing",
    "kids",
    "health",
    "news",
];
const WORDS: [&str; 48] = [
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "server", "latency", "index", "query",
    "socket", "message", "garden", "river", "mountain", "coffee", "morning", "evening", "window", "paper",
    "letter", "friend", "street", "market", "bread", "summer", "winter", "light", "shadow", "engine",
    "signal", "record", "pattern", "table", "column", "thread", "channel", "kernel", "cache", "memory",
    "number", "answer", "question", "story", "journey", "window",
];

fn sentence(rng: &mut Rng, words: usize) -> String {
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len())]);
    }
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    s.push('.');
    s
}

fn post_body(rng: &mut Rng, paragraphs: usize) -> String {
    let mut body = String::new();
    for p in 0..paragraphs {
        if p == 1 {
            body.push_str("## A closer look\n\n");
        }
        for _ in 0..4 {
            body.push_str(&sentence(rng, 12));
            body.push(' ');
        }
        body.push_str("Some **bold** words and a [link](https://example.com/page).\n\n");
    }
    body.push_str("- first point\n- second point\n- third point\n");
    body
}

fn content(rng: &mut Rng, title: &str, paragraphs: usize) -> anyhow::Result<PostContent> {
    let tag_count = 1 + rng.below(3);
    let tags: Vec<&str> = (0..tag_count).map(|_| TAGS[rng.below(TAGS.len())]).collect();
    Ok(PostContent {
        title: PostTitle::parse(title)?,
        description: Description::parse(&sentence(rng, 10))?,
        body: PostBody::parse(&post_body(rng, paragraphs))?,
        tags: Tags::parse(tags)?,
        cover: None,
    })
}

// ---------------------------------------------------------------------------------------------
// Building blocks

#[derive(serde::Serialize, serde::Deserialize)]
pub struct SeedUser {
    pub id: Uuid,
    pub username: String,
}

pub fn username(i: usize) -> String {
    format!("user{i}")
}

/// Registers `count` users named `user0…`, all with [`PASSWORD`] (hashed once).
pub fn users(log: &mut Log, rng: &mut Rng, phc: &str, count: usize) -> anyhow::Result<Vec<SeedUser>> {
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let id = rng.uuid();
        let name = username(i);
        let mut user = Agg::<User>::new(id.to_string());
        let events = user.state.decide(UserCommand::Register {
            id: UserId(id),
            username: Username::parse(&name)?,
            email: Email::parse(&format!("{name}@bench.example"))?,
            password_hash: PasswordHash::new(phc),
            staff: false,
            // Seeded people chat, which needs a confirmed address.
            email_confirmed: true,
        })?;
        user.record(log, events, None);
        out.push(SeedUser { id, username: name });
    }
    Ok(out)
}

pub struct SeedPost {
    pub id: Uuid,
    pub slug: String,
    pub author: Uuid,
}

pub fn publish(
    log: &mut Log,
    rng: &mut Rng,
    author: Uuid,
    title: &str,
    paragraphs: usize,
) -> anyhow::Result<(SeedPost, Agg<Post>)> {
    let id = rng.uuid();
    let slug = Slug::from_title(title);
    let mut post = Agg::<Post>::new(id.to_string());
    let events = post.state.decide(PostCommand::Publish {
        id: PostId(id),
        author: UserId(author),
        slug: slug.clone(),
        content: content(rng, title, paragraphs)?,
    })?;
    post.record(log, events, Some(author));
    Ok((
        SeedPost {
            id,
            slug: slug.as_str().to_owned(),
            author,
        },
        post,
    ))
}

pub fn comment(log: &mut Log, rng: &mut Rng, post: &SeedPost, author: Uuid) -> anyhow::Result<()> {
    let id = rng.uuid();
    let mut comment = Agg::<Comment>::new(id.to_string());
    let words = 6 + rng.below(20);
    let events = comment.state.decide(CommentCommand::Post {
        id: CommentId(id),
        post: PostId(post.id),
        post_author: UserId(post.author),
        author: UserId(author),
        body: CommentBody::parse(&sentence(rng, words))?,
    })?;
    comment.record(log, events, Some(author));
    Ok(())
}

/// An approved chat between `a` and `b` (a asked, b approved), with its room open.
pub fn open_chat(log: &mut Log, rng: &mut Rng, a: Uuid, b: Uuid) -> anyhow::Result<Agg<Chat>> {
    let chat_id = ChatId::for_pair(UserId(a), UserId(b));
    let mut chat = Agg::<Chat>::new(chat_id.to_string());
    let request = RequestId(rng.uuid());
    let events = chat.state.decide(
        ChatCommand::Request {
            request,
            from: UserId(a),
            to: UserId(b),
            note: None,
            now: chrono::Utc::now(),
        },
        None,
    )?;
    chat.record(log, events, Some(a));
    let events = chat.state.decide(
        ChatCommand::Approve {
            request,
            by: UserId(b),
        },
        None,
    )?;
    chat.record(log, events, Some(b));
    Ok(chat)
}

pub fn send(log: &mut Log, rng: &mut Rng, chat: &mut Agg<Chat>, by: Uuid) -> anyhow::Result<()> {
    let words = 3 + rng.below(12);
    let events = chat.state.decide(
        ChatCommand::Send {
            id: MessageId(Uuid::now_v7()),
            by: UserId(by),
            client_id: ClientId(rng.uuid()),
            body: MessageBody::parse(&sentence(rng, words))?,
            reply_to: None,
            attachment: None,
        },
        None,
    )?;
    chat.record(log, events, Some(by));
    Ok(())
}

/// Moves the live publisher and the projectors that act on the world (mail, erasure) to the head
/// of the log, as the migrations place them for a populated database: the seeded history is
/// neither published nor mailed again when a server starts.
pub async fn mark_published(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        r#"
        insert into projector_checkpoints (name, transaction_id, position)
        select name, transaction_id, position
          from (select transaction_id, position from events order by transaction_id desc, position desc limit 1) head,
               unnest(array['live', 'mail', 'erasure']) as name
        on conflict (name) do update set transaction_id = excluded.transaction_id, position = excluded.position
        "#,
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Seals the personal data of the events written here (they are written in clear, for speed)
/// the way a database from before sealing is upgraded. Returns how many and how long it took.
pub async fn seal(pool: &PgPool, keyring: &eventstore::seal::Keyring) -> anyhow::Result<(u64, Duration)> {
    sqlx::query("insert into log_sealing (upto) select max(position) from events having count(*) > 0")
        .execute(pool)
        .await?;
    let started = Instant::now();
    let sealed = eventstore::seal::seal_existing(pool, keyring).await?;
    Ok((sealed, started.elapsed()))
}

/// Puts the whole log in the tree and signs it, in process, with the production sealer, as a
/// running site keeps it (so the measured servers start with nothing to seal). Returns how many
/// events that was and how long it took.
pub async fn seal_log(
    pool: &PgPool,
    keyring: &eventstore::seal::Keyring,
    key: &str,
) -> anyhow::Result<(u64, Duration)> {
    let ledger = eventstore::ledger::Ledger::new(
        pool.clone(),
        keyring.clone(),
        eventstore::ledger::Signer::from_secret(key),
        Duration::from_secs(3600),
    );
    ledger.register().await?;
    let events: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(pool)
        .await?;
    let started = Instant::now();
    loop {
        ledger.seal().await?;
        let sealed: i64 = sqlx::query_scalar("select count(*) from ledger_leaves")
            .fetch_one(pool)
            .await?;
        if sealed >= events {
            break;
        }
    }
    Ok((u64::try_from(events).unwrap_or_default(), started.elapsed()))
}

/// Lets the read models catch up with the log, in process, with the production runtime.
/// Returns how many events that was and how long it took.
pub async fn catch_up(pool: &PgPool, keyring: &eventstore::seal::Keyring) -> anyhow::Result<(u64, Duration)> {
    let projections = eventstore::Projections::new(pool.clone(), keyring.clone(), app::startup::projectors());
    projections.register().await?;
    let before: i64 = sqlx::query_scalar(
        "select count(*) from events where position > (select coalesce(min(position), 0) from projector_checkpoints where name not in ('live', 'ledger'))",
    )
    .fetch_one(pool)
    .await?;
    let started = Instant::now();
    loop {
        if projections.catch_up().await?.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok((before as u64, started.elapsed()))
}

// ---------------------------------------------------------------------------------------------
// The data sets

/// What the site's data set holds, for the load generators.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Site {
    pub users: Vec<SeedUser>,
    /// Slugs of the newest posts (what the home page shows).
    pub recent_slugs: Vec<String>,
    /// Chat pairs for the chat load: (room, a, b).
    pub pairs: Vec<(Uuid, usize, usize)>,
    /// History rooms holding 0, 1k, 10k and 100k messages: (messages, room, sender index).
    pub history_rooms: Vec<(u64, Uuid, usize)>,
    /// History posts with 0 and 10k comments: (comments, slug).
    pub history_posts: Vec<(u64, String)>,
    pub events: u64,
}

pub const SITE_USERS: usize = 500;
pub const SITE_POSTS: usize = 10_000;
pub const SITE_COMMENTS: usize = 50_000;
pub const CHAT_PAIRS: usize = 200;
pub const HISTORY_ROOMS: [u64; 4] = [0, 1_000, 10_000, 100_000];
pub const HISTORY_COMMENTS: u64 = 10_000;

/// The site: 500 users, 10,000 posts, 50,000 comments (10,000 of them under one post, for the
/// history-growth test), 200 open chats of 10 messages, and four rooms of 0 to 100,000
/// messages.
pub async fn site(pool: &PgPool, phc: &str) -> anyhow::Result<Site> {
    let mut rng = Rng::new(7);
    let mut log = Log::new(pool.clone());
    let users = users(&mut log, &mut rng, phc, SITE_USERS)?;
    log.flush().await?;

    // The history posts come first, so they are the oldest and not on the home page.
    let mut history_posts = Vec::new();
    let (empty, _) = publish(
        &mut log,
        &mut rng,
        users[450].id,
        "History post without comments",
        2,
    )?;
    let (full, _) = publish(
        &mut log,
        &mut rng,
        users[451].id,
        "History post with many comments",
        2,
    )?;
    for _ in 0..HISTORY_COMMENTS {
        let author = users[rng.below(users.len())].id;
        comment(&mut log, &mut rng, &full, author)?;
        log.maybe_flush().await?;
    }
    history_posts.push((0, empty.slug.clone()));
    history_posts.push((HISTORY_COMMENTS, full.slug.clone()));

    let mut posts = Vec::with_capacity(SITE_POSTS);
    for i in 0..SITE_POSTS - 2 {
        let author = users[rng.below(users.len())].id;
        let title = format!("{} #{i}", sentence(&mut rng, 5).trim_end_matches('.'));
        let (post, _) = publish(&mut log, &mut rng, author, &title, 3)?;
        posts.push(post);
        log.maybe_flush().await?;
    }
    for _ in 0..SITE_COMMENTS - HISTORY_COMMENTS as usize {
        let post = &posts[rng.below(posts.len())];
        let author = users[rng.below(users.len())].id;
        comment(&mut log, &mut rng, post, author)?;
        log.maybe_flush().await?;
    }

    let mut pairs = Vec::with_capacity(CHAT_PAIRS);
    for i in 0..CHAT_PAIRS {
        let (a, b) = (2 * i, 2 * i + 1);
        let mut chat = open_chat(&mut log, &mut rng, users[a].id, users[b].id)?;
        for m in 0..10 {
            let by = if m % 2 == 0 { users[a].id } else { users[b].id };
            send(&mut log, &mut rng, &mut chat, by)?;
        }
        chat.finish(&mut log);
        pairs.push((chat.id.parse()?, a, b));
        log.maybe_flush().await?;
    }

    let mut history_rooms = Vec::new();
    for (k, &messages) in HISTORY_ROOMS.iter().enumerate() {
        let (a, b) = (2 * CHAT_PAIRS + 2 * k, 2 * CHAT_PAIRS + 2 * k + 1);
        let mut chat = open_chat(&mut log, &mut rng, users[a].id, users[b].id)?;
        for m in 0..messages {
            let by = if m % 2 == 0 { users[a].id } else { users[b].id };
            send(&mut log, &mut rng, &mut chat, by)?;
            log.maybe_flush().await?;
        }
        chat.finish(&mut log);
        history_rooms.push((messages, chat.id.parse()?, a));
    }
    log.flush().await?;
    mark_published(pool).await?;

    let mut recent_slugs: Vec<String> = posts.iter().rev().take(20).map(|p| p.slug.clone()).collect();
    recent_slugs.truncate(20);
    Ok(Site {
        users,
        recent_slugs,
        pairs,
        history_rooms,
        history_posts,
        events: log.written,
    })
}

/// A log of `total` events with the mix of a lively site: sign-ups, posts and their edits,
/// comments, favorites, follows, and chats with messages, edits and read receipts, interleaved.
pub async fn big_log(pool: &PgPool, phc: &str, total: u64) -> anyhow::Result<u64> {
    let mut rng = Rng::new(11);
    let mut log = Log::new(pool.clone());
    let user_count = 2_000.min(total as usize / 50).max(10);
    let users = users(&mut log, &mut rng, phc, user_count)?;
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    log.flush().await?;

    let mut posts: Vec<(SeedPost, Agg<Post>)> = Vec::new();
    let mut chats: Vec<ChatRun> = Vec::new();
    let mut favorites: HashSet<(usize, usize)> = HashSet::new();
    let mut follows: HashSet<(usize, usize)> = HashSet::new();
    let mut n = 0u64;
    while log.written + (log.sequences_len() as u64) < total {
        let roll = rng.below(1000);
        n += 1;
        if posts.len() < 20 || roll < 50 {
            let author = ids[rng.below(ids.len())];
            let title = format!("{} {n}", sentence(&mut rng, 4).trim_end_matches('.'));
            posts.push(publish(&mut log, &mut rng, author, &title, 1)?);
        } else if roll < 70 {
            let (seed, post) = {
                let i = rng.below(posts.len());
                let (seed, post) = &mut posts[i];
                (seed.author, post)
            };
            let body = PostBody::parse(&post_body(&mut rng, 1))?;
            let events = post.state.decide(PostCommand::Edit {
                by: UserId(seed),
                changes: PostChanges {
                    body: Some(body),
                    ..PostChanges::default()
                },
            })?;
            post.record(&mut log, events, Some(seed));
        } else if roll < 370 {
            let post = &posts[rng.below(posts.len())].0;
            let author = ids[rng.below(ids.len())];
            comment(&mut log, &mut rng, post, author)?;
        } else if roll < 520 {
            let (p, u) = (rng.below(posts.len()), rng.below(ids.len()));
            if favorites.insert((p, u)) {
                let post = PostId(posts[p].0.id);
                let mut fav = Agg::<Favorite>::new(Favorite::id(post, UserId(ids[u])));
                let events = fav.state.decide(FavoriteCommand::Favorite {
                    post,
                    user: UserId(ids[u]),
                });
                fav.record(&mut log, events, Some(ids[u]));
            }
        } else if roll < 550 {
            let (a, b) = (rng.below(ids.len()), rng.below(ids.len()));
            if a != b && follows.insert((a, b)) {
                let mut follow = Agg::<Follow>::new(Follow::id(UserId(ids[a]), UserId(ids[b])));
                let events = follow.state.decide(FollowCommand::Follow {
                    follower: UserId(ids[a]),
                    followee: UserId(ids[b]),
                })?;
                follow.record(&mut log, events, Some(ids[a]));
            }
        } else if chats.len() < 20 || roll < 553 {
            let (a, b) = (rng.below(ids.len()), rng.below(ids.len()));
            let (a, b) = (ids[a], ids[b]);
            let id = ChatId::for_pair(UserId(a), UserId(b)).to_string();
            if a != b && !chats.iter().any(|c| c.chat.id == id) {
                chats.push(ChatRun {
                    chat: open_chat(&mut log, &mut rng, a, b)?,
                    people: [a, b],
                    sent: 0,
                    last: None,
                });
            }
        } else if roll < 960 {
            let i = rng.below(chats.len());
            let run = &mut chats[i];
            let by = run.people[rng.below(2)];
            send(&mut log, &mut rng, &mut run.chat, by)?;
            run.sent += 1;
            run.last = Some((run.sent, by));
        } else if roll < 975 {
            // An edit of the room's newest message, by its sender.
            let i = rng.below(chats.len());
            let run = &mut chats[i];
            if let Some((seq, sender)) = run.last {
                let events = run.chat.state.decide(
                    ChatCommand::Edit {
                        by: UserId(sender),
                        seq,
                        body: MessageBody::parse(&sentence(&mut rng, 5))?,
                    },
                    Some(MessageInfo {
                        sender: UserId(sender),
                        deleted: false,
                        reactions: Vec::new(),
                    }),
                )?;
                run.chat.record(&mut log, events, Some(sender));
            }
        } else {
            let i = rng.below(chats.len());
            let run = &mut chats[i];
            if let Some((seq, _)) = run.last {
                let by = run.people[rng.below(2)];
                let events = run
                    .chat
                    .state
                    .decide(ChatCommand::MarkRead { by: UserId(by), seq }, None)?;
                run.chat.record(&mut log, events, Some(by));
            }
        }
        log.maybe_flush().await?;
    }
    for (_, post) in &posts {
        post.finish(&mut log);
    }
    for run in &chats {
        run.chat.finish(&mut log);
    }
    log.flush().await?;
    Ok(log.written)
}

impl Log {
    fn sequences_len(&self) -> usize {
        self.sequences.len()
    }
}

/// A chat of the big log, with its people and its newest message (seq, sender).
struct ChatRun {
    chat: Agg<Chat>,
    people: [Uuid; 2],
    /// Messages sent so far: the newest one's seq.
    sent: u64,
    last: Option<(u64, Uuid)>,
}
