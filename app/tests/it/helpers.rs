//! A running app per test and a browser-like client.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use app::App;
use app::config::{Config, DatabaseArgs, Environment, LimitArgs, MailArgs, MediaArgs};
use app::media::Media;
use eventstore::testing::TestDb;
use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use scraper::{Html, Selector};
use tokio::sync::oneshot;

pub struct TestApp {
    pub addr: SocketAddr,
    /// Where metrics are served, when the config asked for them.
    pub metrics_addr: Option<SocketAddr>,
    /// Shared with other instances of the same site (see [`TestApp::another_instance`]).
    pub db: Arc<TestDb>,
    pub config: Config,
    /// The app's image store, to put images in place without going through a form.
    pub media: Media,
    /// Where the images go; removed with the app.
    pub media_dir: PathBuf,
    /// The running app's shared parts (its pools, to see how much work they did).
    pub state: app::state::AppState,
    stop: Option<oneshot::Sender<()>>,
}

/// The master key of every test app (the one `eventstore::testing::keyring` derives from).
pub const MASTER_KEY: &str = "a master key for tests only, not for anything real";

/// The key every test app signs the log's checkpoints with.
pub const LEDGER_KEY: &str = "a ledger key for tests only, not for anything real";

pub fn test_config(db: &TestDb) -> Config {
    Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        metrics_bind: None,
        database: DatabaseArgs {
            database_url: db.url.clone(),
            db_pool_size: 10,
            master_key: Some(MASTER_KEY.to_owned()),
            master_key_file: PathBuf::from("/nonexistent/master-key"),
            ledger_key: Some(LEDGER_KEY.to_owned()),
            ledger_key_file: PathBuf::from("/nonexistent/ledger-key"),
            environment: Environment::Development,
        },
        redis_url: std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned()),
        redis_prefix: format!("bocha-test-{}", uuid::Uuid::new_v4().simple()),
        secret_key: Some("test-secret-key-that-is-long-enough-0123456789".to_owned()),
        secret_key_file: PathBuf::from("/nonexistent/secret-key"),
        allowed_hosts: vec!["127.0.0.1".to_owned(), "localhost".to_owned()],
        public_url: None,
        max_body_bytes: 64 * 1024,
        trust_proxy: false,
        realworld_compat: false,
        chat_sends_per_minute: 10_000,
        ws_timeout: Duration::from_secs(60),
        // Often, so a test sees its events in a checkpoint within moments.
        checkpoint_every_ms: 50,
        media: MediaArgs {
            media_dir: std::env::temp_dir()
                .join("bocha-test-media")
                .join(uuid::Uuid::new_v4().simple().to_string()),
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: "us-east-1".to_owned(),
            aws_access_key_id: None,
            aws_secret_access_key: None,
        },
        mail: MailArgs {
            smtp_url: None,
            mail_from: "Bocha <bocha@example.com>".to_owned(),
            mail_dir: std::env::temp_dir()
                .join("bocha-test-mail")
                .join(uuid::Uuid::new_v4().simple().to_string()),
        },
        limits: LimitArgs {
            // Tests sign many people up from one address.
            signups_per_hour: 10_000,
            ..LimitArgs::default()
        },
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let db = TestDb::new().await;
        let mut config = test_config(&db);
        adjust(&mut config);
        Self::start(Arc::new(db), config).await
    }

    /// An app on a database that already holds a site.
    pub async fn spawn_on(db: Arc<TestDb>) -> Self {
        let config = test_config(&db);
        Self::start(db, config).await
    }

    /// A second instance of the same site: same database, Redis namespace and secret, as
    /// behind a load balancer.
    pub async fn another_instance(&self) -> Self {
        Self::start(self.db.clone(), self.config.clone()).await
    }

    async fn start(db: Arc<TestDb>, config: Config) -> Self {
        // Server logs go with the test's output, shown when it fails (RUST_LOG to change).
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
        let media_dir = config.media.media_dir.clone();
        let app = App::build(config.clone()).await.expect("the app builds");
        let addr = app.local_addr().unwrap();
        let metrics_addr = app.metrics_addr();
        let media = app.state().media.clone();
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            app.run(async {
                let _ = stopped.await;
            })
            .await
            .expect("the app runs");
        });
        Self {
            addr,
            metrics_addr,
            db,
            config,
            media,
            media_dir,
            state,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A new browser: its own cookies, no redirects followed.
    pub fn browser(&self) -> Browser {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser {
            client,
            jar,
            base: self.url(""),
        }
    }

    /// A browser with a fresh account, signed in.
    pub async fn signed_in(&self, username: &str) -> Browser {
        let browser = self.browser();
        let response = browser
            .sign_up(username, &format!("{username}@example.com"), PASSWORD)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "sign-up of {username} failed"
        );
        self.confirm_email(&browser, &format!("{username}@example.com"))
            .await;
        browser
    }

    /// A browser with a fresh account whose address is not confirmed yet.
    pub async fn signed_in_unconfirmed(&self, username: &str) -> Browser {
        let browser = self.browser();
        let response = browser
            .sign_up(username, &format!("{username}@example.com"), PASSWORD)
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        browser
    }

    /// Follows the confirmation link mailed to `email`, in `browser`.
    pub async fn confirm_email(&self, browser: &Browser, email: &str) {
        let mail = self.mail_to(email, "Confirm your email address").await;
        let link = link_in(&mail, "/account/confirm/");
        let response = browser.get(&link).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "confirming {email}");
    }

    /// Every mail the app wrote to its folder so far, oldest first.
    pub fn mails(&self) -> Vec<String> {
        mails_in(&self.config.mail.mail_dir)
    }

    /// The newest mail to `to` whose subject is `subject`, waiting up to 10 s for it.
    pub async fn mail_to(&self, to: &str, subject: &str) -> String {
        mail_in(&self.config.mail.mail_dir, to, subject).await
    }

    /// The keyring the app seals the log with.
    pub fn keyring(&self) -> eventstore::seal::Keyring {
        eventstore::seal::Keyring::from_secret(MASTER_KEY).unwrap()
    }

    /// A signed-in staff member, made the way `bocha createsuperuser` makes one.
    pub async fn staff(&self, username: &str) -> Browser {
        let commands = app::startup::commands(&self.db.pool, &self.keyring())
            .await
            .unwrap();
        let email = format!("{username}@example.com");
        let input = app::usecases::accounts::SignUp {
            username,
            email: &email,
            password: PASSWORD,
            staff: true,
            email_confirmed: true,
        };
        let passwords = app::services::pools::Pool::new("passwords", 1, 0);
        app::usecases::accounts::sign_up(
            &commands,
            &passwords,
            input,
            app::usecases::accounts::PasswordPolicy::Site,
            "test",
        )
        .await
        .unwrap();
        let browser = self.browser();
        assert_eq!(
            browser.log_in(username, PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        browser
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.db.pool).await.unwrap()
    }
}

/// Asks the server to stop (its background work ends with it) before the database goes, and
/// removes the images it stored.
impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = std::fs::remove_dir_all(&self.media_dir);
        let _ = std::fs::remove_dir_all(&self.config.mail.mail_dir);
    }
}

pub const PASSWORD: &str = "a quiet walk by the river";

#[derive(Clone)]
pub struct Browser {
    pub client: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
}

impl Browser {
    /// The same browser (its cookies, so its session) on another instance of the site.
    pub fn at(&self, app: &TestApp) -> Self {
        Self {
            base: app.url(""),
            ..self.clone()
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn page(&self, path: &str) -> (StatusCode, Html) {
        let response = self.get(path).await;
        let status = response.status();
        (status, Html::parse_document(&response.text().await.unwrap()))
    }

    /// The CSRF token this browser's forms carry (loads a page to get one if needed).
    pub async fn csrf_token(&self) -> String {
        let (_, html) = self.page("/").await;
        attr(&html, "meta[name=csrf-token]", "content").expect("a csrf token on the home page")
    }

    /// Posts a form the way a browser does, with this browser's CSRF token.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &token));
        self.client.post(self.url(path)).form(&form).send().await.unwrap()
    }

    /// Posts a form with a file input (multipart), the way a browser does: the token first,
    /// the file last. Without a file, the input is sent empty, as browsers do.
    pub async fn submit_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, Option<(&str, Vec<u8>)>),
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new().text("csrf_token", self.csrf_token().await);
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        let (input, chosen) = file;
        let part = match chosen {
            Some((file_name, bytes)) => {
                reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned())
            }
            None => reqwest::multipart::Part::bytes(Vec::new()).file_name(""),
        };
        form = form.part(input.to_owned(), part);
        self.client
            .post(self.url(path))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_up(&self, username: &str, email: &str, password: &str) -> reqwest::Response {
        self.submit(
            "/signup",
            &[("username", username), ("email", email), ("password", password)],
        )
        .await
    }

    pub async fn log_in(&self, login: &str, password: &str) -> reqwest::Response {
        self.submit("/login", &[("login", login), ("password", password)])
            .await
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header.to_str().ok()?.split("; ").find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    }

    /// The username shown as signed in, from the nav.
    pub async fn signed_in_as(&self) -> Option<String> {
        let (_, html) = self.page("/").await;
        attr(&html, "[data-signed-in-as]", "data-signed-in-as")
    }
}

/// Every mail written to `folder` (as .eml files) so far, oldest first.
pub fn mails_in(folder: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, String)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            Some((modified, std::fs::read_to_string(e.path()).ok()?))
        })
        .collect();
    files.sort_by_key(|(at, _)| *at);
    files.into_iter().map(|(_, mail)| unfold(&mail)).collect()
}

/// The newest mail in `folder` to `to` whose subject is `subject`, waiting up to 10 s for it.
pub async fn mail_in(folder: &std::path::Path, to: &str, subject: &str) -> String {
    for _ in 0..200 {
        if let Some(mail) = mails_in(folder)
            .into_iter()
            .rev()
            .find(|mail| header(mail, "To").contains(to) && header(mail, "Subject") == subject)
        {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no mail {subject:?} to {to} within 10 s; the folder holds {:#?}",
        mails_in(folder)
    );
}

/// A mail as a person reads it: quoted-printable soft breaks joined and `=XX` decoded.
pub fn unfold(mail: &str) -> String {
    let joined = mail.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::with_capacity(joined.len());
    let bytes = joined.as_bytes();
    let mut i = 0;
    let in_body = joined.find("\r\n\r\n").unwrap_or(0);
    while i < bytes.len() {
        if i > in_body
            && bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A header's value in a mail ("" when absent).
pub fn header(mail: &str, name: &str) -> String {
    mail.lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
        .unwrap_or_default()
}

/// The path of the first link in `mail` to this site that starts with `path`.
pub fn link_in(mail: &str, path: &str) -> String {
    let at = mail
        .find(path)
        .unwrap_or_else(|| panic!("no link to {path} in {mail}"));
    mail[at..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

pub fn select<'a>(html: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&Selector::parse(css).unwrap()).collect()
}

pub fn text(html: &Html, css: &str) -> String {
    select(html, css)
        .iter()
        .map(|e| e.text().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn attr(html: &Html, css: &str, name: &str) -> Option<String> {
    select(html, css)
        .first()
        .and_then(|e| e.value().attr(name))
        .map(str::to_owned)
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
