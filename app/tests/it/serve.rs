//! `bocha serve` as a person starts it: what it prints, how its log lines look when they go to
//! a file, and the development key that keeps people signed in across restarts.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use eventstore::testing::TestDb;
use serde_json::{Value, json};

/// A running `bocha serve` and the log lines it has written so far.
struct Served {
    child: Child,
    url: String,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Served {
    fn start(db: &TestDb, prefix: &str, key_file: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bocha"))
            .arg("serve")
            .env("DATABASE_URL", &db.url)
            .env("BIND", "127.0.0.1:0")
            .env("REDIS_PREFIX", prefix)
            .env("SECRET_KEY_FILE", key_file)
            .env("MASTER_KEY_FILE", key_file.with_extension("master"))
            .env_remove("MASTER_KEY")
            // Mail goes beside the key file, never into the working directory.
            .env("MAIL_DIR", key_file.with_extension("mail"))
            .env_remove("SECRET_KEY")
            .env_remove("LOG_FORMAT")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (sender, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut served = Self {
            child,
            url: String::new(),
            lines,
            seen: Vec::new(),
        };
        let started =
            served.wait_for(|line| line["message"].as_str().is_some_and(|m| m.starts_with("serving")));
        served.url = started["url"]
            .as_str()
            .expect("the start names its URL")
            .to_owned();
        served
    }

    /// The first log line (as JSON) that `wanted` accepts, within 30 seconds.
    fn wait_for(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no such log line in:\n{}", self.seen.join("\n")));
            assert!(!line.contains('\u{1b}'), "no colour codes in a file: {line}");
            let value: Value = serde_json::from_str(&line)
                .unwrap_or_else(|_| panic!("a JSON log line when not on a terminal: {line}"));
            self.seen.push(line);
            if wanted(&value) {
                return value;
            }
        }
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn serve_prints_its_url_logs_json_lines_with_request_ids_and_keeps_its_development_key() {
    let db = TestDb::new().await;
    let prefix = format!("bocha-test-{}", uuid::Uuid::new_v4().simple());
    let dir = std::env::temp_dir().join(&prefix);
    let key_file = dir.join("secret-key");

    let mut first = Served::start(&db, &prefix, &key_file);
    assert!(first.url.starts_with("http://127.0.0.1:") && first.url.ends_with('/'));
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the kept key is the owner's alone");
    let key = std::fs::read_to_string(&key_file).unwrap();

    let client = reqwest::Client::new();
    let signed_up = client
        .post(format!("{}api/users", first.url))
        .json(&json!({ "user": { "username": "kept", "email": "kept@example.com", "password": "a long enough passphrase" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_up.status(), 201);
    let request_id = signed_up.headers()["x-request-id"].to_str().unwrap().to_owned();
    let token = signed_up.json::<Value>().await.unwrap()["user"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let finished = first.wait_for(|line| line["span"]["request_id"] == request_id.as_str());
    assert_eq!(finished["span"]["path"], "/api/users");
    first.stop();

    let second = Served::start(&db, &prefix, &key_file);
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        key,
        "the key is kept, not remade"
    );
    let me = client
        .get(format!("{}api/user", second.url))
        .header("authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200, "a token from before the restart still works");
    second.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
