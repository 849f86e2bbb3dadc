//! The production layout, run for real: two `bocha serve` processes behind Debian's nginx with
//! the repository's configuration (deploy/nginx/bocha.conf) and a certificate made for the test.
//! Two people chat in browsers and a program uses the API through nginx; one instance is killed
//! mid-conversation, the clients carry on through the other, and nothing is lost or doubled.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use eventstore::testing::TestDb;
use fantoccini::Locator;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::driver::Driver;

const NGINX: &str = "/usr/sbin/nginx";
const SECRET: &str = "balancer-test-secret-key-that-is-long-enough";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `bocha serve` process, as an operator runs it behind a proxy.
struct Instance {
    child: Child,
    port: u16,
    metrics_port: u16,
    log: PathBuf,
}

impl Instance {
    fn start(db: &TestDb, prefix: &str, dir: &Path, n: usize) -> Self {
        let (port, metrics_port) = (free_port(), free_port());
        let log = dir.join(format!("instance-{n}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_bocha"))
            .arg("serve")
            .env("DATABASE_URL", &db.url)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("METRICS_BIND", format!("127.0.0.1:{metrics_port}"))
            .env("REDIS_PREFIX", prefix)
            .env("SECRET_KEY", SECRET)
            .env("MASTER_KEY", crate::helpers::MASTER_KEY)
            .env("LEDGER_KEY", crate::helpers::LEDGER_KEY)
            .env("BOCHA_ENV", "production")
            .env("TRUST_PROXY", "true")
            .env("ALLOWED_HOSTS", "localhost")
            .env("MEDIA_DIR", dir.join("media"))
            .env("MAIL_DIR", dir.join("mail"))
            .env("LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self {
            child,
            port,
            metrics_port,
            log,
        }
    }

    async fn wait_ready(&self) {
        let url = format!("http://127.0.0.1:{}/readyz", self.port);
        for _ in 0..300 {
            if let Ok(response) = reqwest::get(&url).await
                && response.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "instance on {} never became ready:\n{}",
            self.port,
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    /// How many chat sockets it holds, from its metrics.
    async fn sockets(&self) -> f64 {
        let text = reqwest::get(format!("http://127.0.0.1:{}/metrics", self.metrics_port))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix("bocha_sockets_open "))
            .and_then(|value| value.parse().ok())
            .unwrap_or(0.0)
    }

    /// `kill -9`: no goodbye to anyone.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// nginx with the repository's configuration, on a free port, in a directory of its own.
struct Nginx {
    child: Child,
    port: u16,
    plain_port: u16,
}

impl Nginx {
    fn start(dir: &Path, upstreams: &[u16]) -> Self {
        assert!(
            Path::new(NGINX).exists(),
            "the load-balancer test needs Debian's nginx (apt-get install nginx-light; scripts/test installs it)"
        );
        let (port, plain_port) = (free_port(), free_port());
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let made = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
            ])
            .args(["-addext", "subjectAltName=DNS:localhost"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl makes the test's certificate");
        assert!(made.success());

        let shipped =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/nginx/bocha.conf"))
                .unwrap();
        let servers: String = upstreams
            .iter()
            .map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n    "))
            .collect();
        let site = [
            (
                "server 127.0.0.1:8001 max_fails=1 fail_timeout=5s;\n    server 127.0.0.1:8002 max_fails=1 fail_timeout=5s;\n    ",
                servers.as_str(),
            ),
            ("listen 443 ssl http2;", &format!("listen 127.0.0.1:{port} ssl http2;")),
            ("listen 80;", &format!("listen 127.0.0.1:{plain_port};")),
            ("/etc/ssl/bocha/fullchain.pem", &cert.display().to_string()),
            ("/etc/ssl/bocha/privkey.pem", &key.display().to_string()),
        ]
        .into_iter()
        .fold(shipped, |text, (from, to)| {
            assert!(text.contains(from), "deploy/nginx/bocha.conf no longer has {from:?}");
            text.replace(from, to)
        });
        std::fs::write(dir.join("bocha.conf"), site).unwrap();
        // The rest of an nginx.conf, as Debian's package would provide it, but all in `dir`.
        let main = format!(
            "pid {dir}/nginx.pid;\nerror_log {dir}/error.log warn;\nevents {{ worker_connections 1024; }}\n\
             http {{\n  access_log {dir}/access.log;\n  client_body_temp_path {dir}/body;\n  proxy_temp_path {dir}/proxy;\n  \
             include {dir}/bocha.conf;\n}}\n",
            dir = dir.display()
        );
        std::fs::write(dir.join("nginx.conf"), main).unwrap();
        // Workers run as another user when the test runs as root.
        for sub in ["body", "proxy"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
            std::fs::set_permissions(dir.join(sub), std::os::unix::fs::PermissionsExt::from_mode(0o777))
                .unwrap();
        }
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            plain_port,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A program's client of the API through nginx.
fn api_client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Posts `body` as a chat message with `client_id`, as a careful client does: after a failure
/// (the instance died under it) it sends the same message again, which is stored once.
async fn send_until_stored(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &str,
    client_id: Uuid,
) -> u16 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let sent = client
            .post(url)
            .header("authorization", format!("Token {token}"))
            .json(&json!({ "message": { "body": body, "client_id": client_id } }))
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => return response.status().as_u16(),
            other => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{body} never stored: {other:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn type_and_send(driver: &Driver, body: &str) {
    driver.fill("#chat-input", body).await;
    driver
        .client
        .find(Locator::Css("#chat-input"))
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .unwrap();
}

/// The message bodies a browser shows, and how many of them the server has confirmed.
async fn shown(driver: &Driver) -> (BTreeSet<String>, usize) {
    let value = driver
        .script(
            "return [Array.from(document.querySelectorAll('#chat-messages .message-body')).map(n => n.textContent), \
             document.querySelectorAll('#chat-messages li[data-seq]').length]",
        )
        .await;
    let bodies = value[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap().to_owned())
        .collect();
    (bodies, value[1].as_u64().unwrap() as usize)
}

async fn wait_until_shown(driver: &Driver, expected: &BTreeSet<String>) {
    for _ in 0..300 {
        let (bodies, confirmed) = shown(driver).await;
        if &bodies == expected && confirmed == expected.len() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (bodies, confirmed) = shown(driver).await;
    panic!("expected {expected:?}, shown {bodies:?} ({confirmed} confirmed)");
}

#[tokio::test]
async fn behind_nginx_chat_and_api_carry_on_when_an_instance_dies() {
    let db = TestDb::new().await;
    let dir = std::env::temp_dir().join(format!("bocha-balancer-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let prefix = format!("bocha-test-{}", Uuid::new_v4().simple());
    let mut instances = vec![
        Instance::start(&db, &prefix, &dir, 1),
        Instance::start(&db, &prefix, &dir, 2),
    ];
    for instance in &instances {
        instance.wait_ready().await;
    }
    let nginx = Nginx::start(&dir, &[instances[0].port, instances[1].port]);
    let base = nginx.url("");

    // Through nginx: TLS, HSTS from the production instance, and the plain port sends to TLS.
    let api = api_client();
    let home = api.get(nginx.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.headers().contains_key("strict-transport-security"));
    assert_eq!(api.get(nginx.url("/readyz")).send().await.unwrap().status(), 404);
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("http://localhost:{}/chat", nginx.plain_port))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 301);
    assert!(
        plain.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://localhost")
    );

    let ann = Driver::start().await;
    let ben = Driver::start().await;
    ann.sign_up_at(&base, "ann").await;
    ben.sign_up_at(&base, "ben").await;
    ann.confirm_email_at(&base, &dir.join("mail"), "ann").await;
    ben.confirm_email_at(&base, &dir.join("mail"), "ben").await;
    ann.goto(&format!("{base}/@ben")).await;
    ann.click("summary.chat-request-toggle").await;
    ann.fill("#chat-request-message", "Hi Ben").await;
    ann.click("form.chat-request-form button[type=submit]").await;
    ann.wait_for_path("/chat").await;
    ben.goto(&format!("{base}/chat")).await;
    ben.wait_for_text("#chat-inbox", "Hi Ben").await;
    ben.click("form[action$='/approve'] button[type=submit]").await;
    ben.text("#chat-room").await;
    let room_path = ben.path().await;
    let room = room_path.trim_start_matches("/chat/").to_owned();
    ann.goto(&format!("{base}{room_path}")).await;
    ann.text("#chat-room").await;

    let mut expected = BTreeSet::new();
    for (who, body) in [(&ann, "before 1"), (&ben, "before 2")] {
        type_and_send(who, body).await;
        expected.insert(body.to_owned());
        wait_until_shown(&ann, &expected).await;
        wait_until_shown(&ben, &expected).await;
    }

    // A program logs in through nginx and keeps sending while the instance dies.
    let login: Value = api
        .post(nginx.url("/api/users/login"))
        .json(&json!({ "user": { "email": "ann", "password": crate::helpers::PASSWORD } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["user"]["token"]
        .as_str()
        .expect("logged in by username")
        .to_owned();
    let messages_url = nginx.url(&format!("/api/chat/rooms/{room}/messages"));
    let program = tokio::spawn({
        let (api, token, url) = (api.clone(), token.clone(), messages_url.clone());
        async move {
            for n in 0..30 {
                send_until_stored(&api, &url, &token, &format!("api {n}"), Uuid::new_v4()).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    });

    // Kill an instance that holds at least one of the two browsers' sockets.
    let mut holding = None;
    for (index, instance) in instances.iter().enumerate() {
        if instance.sockets().await >= 1.0 {
            holding = Some(index);
            break;
        }
    }
    let victim = holding.expect("the sockets are on the instances");
    tokio::time::sleep(Duration::from_millis(500)).await;
    instances[victim].kill();

    // The browsers reconnect through nginx to the survivor; what they type meanwhile goes
    // out when they are back.
    for (who, body) in [(&ann, "after 1"), (&ben, "after 2"), (&ann, "after 3")] {
        type_and_send(who, body).await;
        expected.insert(body.to_owned());
    }
    program.await.unwrap();
    expected.extend((0..30).map(|n| format!("api {n}")));
    wait_until_shown(&ann, &expected).await;
    wait_until_shown(&ben, &expected).await;
    let survivor = &instances[1 - victim];
    assert!(
        survivor.sockets().await >= 2.0,
        "both browsers are on the survivor"
    );

    // Stored exactly once each, in one unbroken sequence.
    let stored: Vec<(i64, String)> =
        sqlx::query_as("select seq, body from messages where room_id = $1::uuid order by seq")
            .bind(&room)
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let bodies: BTreeSet<String> = stored.iter().map(|(_, body)| body.clone()).collect();
    assert_eq!(bodies, expected);
    assert_eq!(stored.len(), expected.len(), "nothing stored twice");
    assert!(
        stored
            .iter()
            .enumerate()
            .all(|(i, (seq, _))| *seq == i as i64 + 1)
    );

    // nginx met the dead instance (and went on to the survivor).
    let errors = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    assert!(
        errors.contains(&format!("127.0.0.1:{}", instances[victim].port)),
        "nginx never met the dead instance:\n{errors}"
    );

    // A page view after the failover lands on the survivor.
    let after = api.get(nginx.url("/")).send().await.unwrap();
    assert_eq!(after.status(), 200);

    ann.quit().await;
    ben.quit().await;
    drop(nginx);
    drop(instances);
    let _ = std::fs::remove_dir_all(&dir);
}
