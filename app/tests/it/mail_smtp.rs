//! Mail through a real SMTP server (aiosmtpd, from PyPI, writing what it receives to a
//! maildir): delivered once, and retried when the server was away.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::{TestApp, header, link_in, unfold};

/// aiosmtpd on `port`, keeping what it receives in a maildir; stopped when dropped.
struct SmtpServer {
    child: Child,
    maildir: PathBuf,
}

impl SmtpServer {
    async fn start(port: u16) -> Self {
        let maildir = std::env::temp_dir().join(format!("bocha-smtp-{}", uuid::Uuid::new_v4().simple()));
        let child = Command::new("aiosmtpd")
            .args([
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd runs: `pip install aiosmtpd` (scripts/test installs it)");
        // Dropped (and so stopped) if it never listens.
        let server = Self { child, maildir };
        for _ in 0..300 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not listen on {port} within 30 seconds");
    }

    /// What the server received so far.
    fn received(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(|mail| unfold(&mail))
            .collect()
    }

    async fn wait_for(&self, count: usize) -> Vec<String> {
        for _ in 0..300 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the SMTP server received {} mails, not {count}",
            self.received().len()
        );
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn sign_up_mail_goes_through_the_smtp_server_once() {
    let port = free_port();
    let smtp = SmtpServer::start(port).await;
    let app = TestApp::spawn_with(|config| {
        config.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    let alice = app.signed_in_unconfirmed("alice").await;
    let received = smtp.wait_for(1).await;
    let mail = &received[0];
    assert_eq!(header(mail, "To"), "alice@example.com");
    assert_eq!(header(mail, "Subject"), "Confirm your email address");
    let response = alice.get(&link_in(mail, "/account/confirm/")).await;
    assert_eq!(response.status(), reqwest::StatusCode::SEE_OTHER);
    // Nothing else was sent, nothing twice, and no file was written instead.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.received().len(), 1);
    assert!(app.mails().is_empty());
    assert_eq!(
        app.count("select count(*) from outbox where sent_at is not null and attempts = 1")
            .await,
        1
    );
}

#[tokio::test]
async fn mail_waits_for_a_server_that_is_away_and_is_sent_once_it_answers() {
    let port = free_port();
    let app = TestApp::spawn_with(|config| {
        config.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    let started = std::time::Instant::now();
    let _alice = app.signed_in_unconfirmed("alice").await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "signing up does not wait for the mail"
    );
    for _ in 0..100 {
        if app
            .count("select count(*) from outbox where attempts > 0 and last_error is not null")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.count(
            "select count(*) from outbox where attempts > 0 and last_error is not null and sent_at is null"
        )
        .await,
        1,
        "the failed attempt is recorded for a retry"
    );

    let smtp = SmtpServer::start(port).await;
    // The retry is due in seconds; bring it forward rather than wait.
    sqlx::query("update outbox set next_attempt_at = now()")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let received = smtp.wait_for(1).await;
    assert_eq!(header(&received[0], "To"), "alice@example.com");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(
        app.count("select count(*) from outbox where sent_at is not null")
            .await,
        1
    );
}

#[tokio::test]
async fn a_scheduled_post_reaches_each_subscriber_once_through_the_smtp_server() {
    let port = free_port();
    let smtp = SmtpServer::start(port).await;
    let app = TestApp::spawn_with(|config| {
        config.mail.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    let other = app.another_instance().await;
    let author = app.signed_in_unconfirmed("writer").await;
    let visitors = [app.browser(), other.browser()];
    for (visitor, address) in visitors.iter().zip(["one@example.com", "two@example.com"]) {
        visitor.submit("/@writer/subscribe", &[("email", address)]).await;
    }
    let received = smtp.wait_for(3).await;
    for (visitor, address) in visitors.iter().zip(["one@example.com", "two@example.com"]) {
        let mail = received
            .iter()
            .find(|m| header(m, "To") == address)
            .expect("a confirmation for each address");
        assert_eq!(header(mail, "Subject"), "Confirm your subscription");
        let confirmed = visitor.submit(&link_in(mail, "/newsletter/confirm/"), &[]).await;
        assert_eq!(confirmed.status(), reqwest::StatusCode::SEE_OTHER);
    }

    // Scheduled a few seconds ahead; both instances watch the schedule.
    let draft = uuid::Uuid::now_v7();
    author
        .submit(
            &format!("/drafts/{draft}/autosave"),
            &[
                ("title", "Jasmine"),
                ("description", "Scented"),
                ("body", "Pearls."),
                ("tags", ""),
            ],
        )
        .await;
    let at = chrono::Local::now() + chrono::Duration::seconds(5);
    let form = [
        ("draft_id", draft.to_string()),
        ("title", "Jasmine".to_owned()),
        ("description", "Scented".to_owned()),
        ("body", "Pearls.".to_owned()),
        ("tags", String::new()),
        ("publish_at", at.format("%Y-%m-%dT%H:%M:%S").to_string()),
        ("utc_offset", (at.offset().local_minus_utc() / 60).to_string()),
        ("action", "schedule".to_owned()),
    ];
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let scheduled = author
        .submit_multipart(&format!("/drafts/{draft}/edit"), &fields, ("cover", None))
        .await;
    assert_eq!(scheduled.status(), reqwest::StatusCode::SEE_OTHER);

    let received = smtp.wait_for(5).await;
    let newsletters: Vec<&String> = received
        .iter()
        .filter(|m| header(m, "Subject") == "Jasmine")
        .collect();
    assert_eq!(newsletters.len(), 2);
    let mut to: Vec<String> = newsletters.iter().map(|m| header(m, "To")).collect();
    to.sort();
    assert_eq!(to, ["one@example.com", "two@example.com"]);
    // Nothing more arrives, however many instances looked.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.received().len(), 5);
}
