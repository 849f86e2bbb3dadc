//! Starting chromedriver and a headless Chromium session.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub struct Driver {
    process: Child,
    pub client: Client,
    profile: std::path::PathBuf,
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

impl Driver {
    pub async fn start() -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "browser tests need Debian's chromium and chromium-driver packages \
             (apt-get install chromium chromium-driver; scripts/test installs them)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // Its own process group, so that the browsers it starts go with it (see `Drop`).
        let process = Command::new(CHROMEDRIVER)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!("bocha-chromium-{}", uuid::Uuid::new_v4().simple()));
        let mut capabilities = Capabilities::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--disable-quic", "--window-size=1280,900",
                    // The load-balancer test's nginx has a certificate made for the test.
                    "--ignore-certificate-errors",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..50 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Self {
                        process,
                        client,
                        profile,
                    };
                }
                Err(err) => last_error = Some(err),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("cannot start a Chromium session: {last_error:?}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let input = self.client.find(Locator::Css(css)).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }

    /// Chooses the file at `path` in the file input `css`, as a person picking it would.
    pub async fn choose_file(&self, css: &str, path: &std::path::Path) {
        let input = self.client.find(Locator::Css(css)).await.unwrap();
        input.send_keys(&path.display().to_string()).await.unwrap();
    }

    /// Clicks the element, waiting (up to 5 s) for it to be there and clickable.
    pub async fn click(&self, css: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let attempt = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.click().await.map_err(|e| e.to_string()),
                Err(err) => Err(err.to_string()),
            };
            match attempt {
                Ok(()) => return,
                Err(err) => assert!(
                    tokio::time::Instant::now() < deadline,
                    "cannot click {css}: {err}"
                ),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 5 s) for an element and returns its text. Retries while a page is being
    /// replaced (an element found on the old page goes stale).
    pub async fn text(&self, css: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                return text;
            }
            assert!(tokio::time::Instant::now() < deadline, "{css} did not appear");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 5 s) until the element's text contains `needle`.
    pub async fn wait_for_text(&self, css: &str, needle: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
                && text.contains(needle)
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{css} never showed {needle:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits (up to 5 s) for the browser to be at `path`.
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.path().await != path {
            assert!(tokio::time::Instant::now() < deadline, "never reached {path}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `keys` (WebDriver key codes included) into whatever has focus.
    pub async fn press(&self, keys: &str) {
        let focused = self.client.active_element().await.unwrap();
        focused.send_keys(keys).await.unwrap();
    }

    /// The id (or, without one, the class) of the element that has focus.
    pub async fn focused(&self) -> String {
        let found = self
            .script("const e = document.activeElement; return e ? (e.id || e.className) : ''")
            .await;
        found.as_str().unwrap_or_default().to_owned()
    }

    /// Waits (up to 5 s) for `js` to return true.
    pub async fn wait_until(&self, js: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.script(js).await.as_bool() != Some(true) {
            assert!(tokio::time::Instant::now() < deadline, "never true: {js}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    pub async fn script(&self, js: &str) -> serde_json::Value {
        self.client.execute(js, vec![]).await.unwrap()
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Signs up through the form, as a person would.
    /// Signs up through the form, as a person would, and follows the link mailed to confirm
    /// the address.
    pub async fn sign_up(&self, app: &crate::helpers::TestApp, username: &str) {
        self.sign_up_at(&app.url(""), username).await;
        self.confirm_email_at(&app.url(""), &app.config.mail.mail_dir, username)
            .await;
    }

    /// Opens the confirmation link mailed to `username` (into `folder`) on the site at `base`.
    pub async fn confirm_email_at(&self, base: &str, folder: &std::path::Path, username: &str) {
        let to = format!("{username}@example.com");
        let mail = crate::helpers::mail_in(folder, &to, "Confirm your email address").await;
        let link = crate::helpers::link_in(&mail, "/account/confirm/");
        self.goto(&format!("{base}{link}")).await;
        self.wait_for_text(".flash", "confirmed").await;
    }

    /// Signs up on the site at `base` (a URL without a trailing slash).
    pub async fn sign_up_at(&self, base: &str, username: &str) {
        self.goto(&format!("{base}/signup")).await;
        self.fill("#username", username).await;
        self.fill("#email", &format!("{username}@example.com")).await;
        self.fill("#password", crate::helpers::PASSWORD).await;
        self.click("form[action='/signup'] button[type=submit]").await;
        self.text("[data-signed-in-as]").await;
    }

    pub async fn quit(self) {
        let _ = self.client.clone().close().await;
    }
}

/// Even when a test fails half-way, no chromedriver or Chromium is left running.
impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.process.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
