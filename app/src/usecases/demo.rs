//! `bocha demo`: a small living site in an empty database, so a newcomer sees the product at
//! once: three people with pictures who follow each other, posts with covers, tags, comments and favorites,
//! and an open chat. Everything goes through the same use cases (and so the same commands and
//! events) as the site; only the cover pictures are drawn here rather than uploaded.

use std::io::Cursor;

use anyhow::Context;
use eventstore::Commands;
use image::{ImageFormat, Rgb, RgbImage};
use projections::users::UserRow;
use uuid::Uuid;

use crate::media::{self, ImageKind, Media, pending};
use crate::services::crypto::random_token;
use crate::services::pools::Pool;
use crate::usecases::accounts::{self, Changes, PasswordPolicy, Rules, SignUp};
use crate::usecases::blog::{self, PostInput};
use crate::usecases::chat::{Answer, Chats};

/// Who the demo's people are; they share one password, made for the occasion.
const PEOPLE: [(&str, &str, [u8; 3]); 3] = [
    (
        "mira",
        "Writes about tea, slow travel and the odd recipe.",
        [74, 124, 89],
    ),
    (
        "tomas",
        "Bakes bread at dawn; photographs it at noon.",
        [139, 90, 43],
    ),
    ("ines", "Reads everything twice.", [110, 72, 140]),
];

struct DemoPost {
    author: usize,
    title: &'static str,
    description: &'static str,
    body: &'static str,
    tags: &'static [&'static str],
    /// Two colours for a drawn cover, or none.
    cover: Option<([u8; 3], [u8; 3])>,
}

const POSTS: [DemoPost; 4] = [
    DemoPost {
        author: 0,
        title: "Green tea, three ways",
        description: "Cold brew, a careful pour, and the lazy mug.",
        body: "Good green tea forgives almost everything **except boiling water**.\n\n\
               1. *Cold brew*: leaves in a jar of cold water overnight.\n\
               2. *The careful pour*: 75 °C, one minute, then again.\n\
               3. *The lazy mug*: leaves straight in, sip around them.\n\n\
               > Tea is patience you can drink.",
        tags: &["tea", "recipes"],
        cover: Some(([74, 124, 89], [218, 232, 190])),
    },
    DemoPost {
        author: 1,
        title: "A loaf that keeps a week",
        description: "Sourdough with a little rye, and why it lasts.",
        body: "Rye holds water, so a loaf with **a fifth rye** stays soft for days.\n\n\
               - 400 g bread flour, 100 g rye\n- 350 g water, 100 g starter, 10 g salt\n\n\
               Fold four times in the first two hours, then leave it alone.",
        tags: &["bread", "recipes"],
        cover: Some(([139, 90, 43], [245, 222, 179])),
    },
    DemoPost {
        author: 2,
        title: "Why I read books twice",
        description: "The second time you read the book; the first time it reads you.",
        body: "The first reading is for the story. The second is for *how it was told*: \
               where the author slowed down, what they left out, which sentence they \
               must have rewritten ten times.",
        tags: &["books"],
        cover: None,
    },
    DemoPost {
        author: 0,
        title: "Night train to the coast",
        description: "Eleven hours, one window seat, no regrets.",
        body: "Slow travel is a way of arriving *already rested*. Bring a thermos, a \
               paperback and a second pair of socks.",
        tags: &["travel", "tea"],
        cover: Some(([44, 62, 110], [240, 180, 120])),
    },
];

/// (commenter, post, body)
const COMMENTS: [(usize, usize, &str); 5] = [
    (1, 0, "Tried the cold brew last night. It's *so* smooth."),
    (2, 0, "What do you use for the careful pour? A thermometer?"),
    (0, 0, "Just a kettle left to stand for three minutes."),
    (2, 1, "Saving this for the weekend."),
    (0, 2, "Same here, especially with poetry."),
];

/// (sender, body) in the chat between the first two people.
const CHAT: [(usize, &str); 3] = [
    (0, "Your rye loaf made it onto my breakfast table!"),
    (1, "Ha, glad it survived the week. Tea pairing?"),
    (0, "A strong sencha. I'll write it up."),
];

/// What the demo made: the people's names and their shared password.
pub struct Demo {
    pub usernames: Vec<String>,
    pub password: String,
}

pub struct Services<'a> {
    pub commands: &'a Commands,
    pub passwords: &'a Pool,
    pub chats: &'a Chats,
    pub media: &'a Media,
}

/// Fills the site, which must have no events yet.
pub async fn fill(services: Services<'_>) -> anyhow::Result<Demo> {
    let Services {
        commands,
        passwords,
        chats,
        media,
    } = services;
    let db = commands.pool();
    let head = eventstore::log::head(&mut *db.acquire().await?).await?;
    anyhow::ensure!(
        head == eventstore::Cursor::START,
        "the database already holds a site; the demo fills only an empty one (use a new DATABASE_URL)"
    );
    let request_id = format!("demo-{}", Uuid::new_v4());
    let password = random_token(18);

    let mut people: Vec<UserRow> = Vec::new();
    for (username, _, _) in PEOPLE {
        let input = SignUp {
            username,
            email: &format!("{username}@example.com"),
            password: &password,
            staff: false,
            // The demo's people are made by the operator.
            email_confirmed: true,
        };
        let user = accounts::sign_up(commands, passwords, input, PasswordPolicy::Site, &request_id)
            .await
            .with_context(|| format!("signing {username} up"))?;
        people.push(user);
    }
    for (user, (_, bio, colour)) in people.iter().zip(PEOPLE) {
        let avatar = picture(db, media, user, ImageKind::Avatar, colour, [250, 246, 238]).await?;
        let changes = Changes {
            bio: Some(bio),
            image: Some(&avatar),
            ..Changes::default()
        };
        let rules = Rules {
            policy: PasswordPolicy::Site,
            reauthenticate: None,
            email_by_link: true,
        };
        accounts::change(commands, passwords, user, changes, rules, &request_id)
            .await
            .context("writing a profile")?;
    }

    let mut slugs = Vec::new();
    for post in &POSTS {
        let author = &people[post.author];
        let cover = match post.cover {
            Some((from, to)) => Some(picture(db, media, author, ImageKind::Cover, from, to).await?),
            None => None,
        };
        let input = PostInput {
            title: Some(post.title),
            description: Some(post.description),
            body: Some(post.body),
            tags: Some(post.tags.to_vec()),
            cover: Some(cover.as_deref()),
        };
        let slug = blog::publish(commands, author, input, &request_id)
            .await
            .with_context(|| format!("publishing {}", post.title))?;
        slugs.push(slug);
    }
    for (who, post, body) in COMMENTS {
        blog::comment(commands, &people[who], &slugs[post], body, &request_id)
            .await
            .context("commenting")?;
    }
    for (who, post) in [(1, 0), (2, 0), (0, 1), (2, 3)] {
        blog::favorite(commands, &people[who], &slugs[post], true, &request_id)
            .await
            .context("favoriting")?;
    }
    for (who, whom) in [(0, 1), (1, 0), (2, 0), (2, 1)] {
        blog::follow(commands, &people[who], &people[whom], true, &request_id)
            .await
            .context("following")?;
    }

    let asked = chats
        .request(
            &people[0],
            &people[1].username,
            "Can I ask about your bread?",
            &request_id,
        )
        .await
        .context("asking for a chat")?;
    let approved = chats
        .answer(&people[1], asked.id, Answer::Approve, &request_id)
        .await
        .context("opening the chat")?;
    let room = approved.room_id.context("an approved request opens a room")?;
    for (who, body) in CHAT {
        chats
            .send(
                &people[who],
                room,
                crate::usecases::chat::Outgoing {
                    client_id: Uuid::new_v4(),
                    body,
                    reply_to: None,
                    attachment: None,
                },
                &request_id,
            )
            .await
            .context("chatting")?;
    }

    Ok(Demo {
        usernames: people.into_iter().map(|p| p.username).collect(),
        password,
    })
}

/// A picture drawn as a diagonal blend of two colours, stored as an upload of `author`'s would
/// be; returns its URL.
async fn picture(
    db: &sqlx::PgPool,
    media: &Media,
    author: &UserRow,
    kind: ImageKind,
    from: [u8; 3],
    to: [u8; 3],
) -> anyhow::Result<String> {
    let (width, height) = (1200u32, 630u32);
    let picture = RgbImage::from_fn(width, height, |x, y| {
        let t = (x + y) as f32 / (width + height) as f32;
        let mix = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t) as u8;
        Rgb([mix(from[0], to[0]), mix(from[1], to[1]), mix(from[2], to[2])])
    });
    let mut png = Cursor::new(Vec::new());
    picture.write_to(&mut png, ImageFormat::Png)?;
    let image = media::process(png.get_ref(), kind)?;
    let key = Media::key_for(&image);
    pending::record(db, &key, author.id).await?;
    media.save(&image).await?;
    Ok(media.url(&key))
}
