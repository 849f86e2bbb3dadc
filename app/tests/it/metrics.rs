//! The metrics address: what it reports after real traffic, checked by Prometheus's own linter
//! and scraped by a real Prometheus.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::chat::{Socket, open_room};
use crate::helpers::TestApp;

const PROMTOOL: &str = "/usr/bin/promtool";
const PROMETHEUS: &str = "/usr/bin/prometheus";

fn needs(binary: &str) {
    assert!(
        std::path::Path::new(binary).exists(),
        "metrics tests need Debian's prometheus package for {binary} \
         (apt-get install prometheus; scripts/test installs it)"
    );
}

/// An app serving metrics, after a page view, a failed login and a chat message between two
/// people with sockets open.
async fn busy_app() -> TestApp {
    let app = TestApp::spawn_with(|config| config.metrics_bind = Some("127.0.0.1:0".parse().unwrap())).await;
    let ann = app.signed_in("ann").await;
    let ben = app.signed_in("ben").await;
    assert!(ann.get("/").await.status().is_success());
    let room = open_room(&ann, &ben, "ben").await;
    let mut ann_socket = Socket::open(&app, &ann).await;
    let mut ben_socket = Socket::open(&app, &ben).await;
    ann_socket
        .send(json!({ "type": "send", "room_id": room, "client_id": Uuid::new_v4(), "body": "hello" }))
        .await;
    ann_socket.next_of("ack").await;
    ben_socket.next_of("message").await;
    // Kept open until the scrape, which counts them.
    std::mem::forget((ann_socket, ben_socket));
    app
}

async fn scrape(app: &TestApp) -> String {
    let address = app.metrics_addr.expect("metrics are served");
    let response = reqwest::get(format!("http://{address}/metrics")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

/// The value of the one sample whose line starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> f64 {
    let line = text
        .lines()
        .find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn metrics_report_requests_lag_sockets_pools_and_dependencies_and_pass_promtool() {
    needs(PROMTOOL);
    let app = busy_app().await;
    let text = scrape(&app).await;

    assert!(
        sample(
            &text,
            r#"bocha_http_request_duration_seconds_count{method="GET",route="/",status="200"}"#
        ) >= 1.0
    );
    // Routes are patterns, never the path a client sent.
    assert!(
        text.contains(r#"route="/chat/{id}""#) || text.contains(r#"route="/chat/requests/{id}/approve""#)
    );
    assert!(!text.contains(&app.addr.to_string()));
    assert!(
        sample(&text, "bocha_chat_delivery_seconds_count") >= 2.0,
        "to both people"
    );
    for projector in ["users", "posts", "chat", "chat_requests"] {
        assert_eq!(
            sample(
                &text,
                &format!(r#"bocha_projection_lag_events{{projector="{projector}"}}"#)
            ),
            0.0
        );
    }
    assert!(sample(&text, "bocha_publisher_lag_events") >= 0.0);
    assert_eq!(sample(&text, "bocha_sockets_open"), 2.0);
    assert!(
        sample(&text, r#"bocha_pool_started_total{pool="passwords"}"#) >= 2.0,
        "two sign-ups hashed"
    );
    assert!(sample(&text, r#"bocha_pool_capacity_jobs{pool="images"}"#) >= 1.0);
    assert!(sample(&text, "bocha_db_connections_max") >= 1.0);
    assert_eq!(sample(&text, "bocha_db_up"), 1.0);
    assert_eq!(sample(&text, "bocha_redis_up"), 1.0);
    assert!(
        sample(&text, r#"bocha_page_cache_requests_total{outcome="made"}"#) >= 1.0,
        "a signed-out visitor's home page"
    );
    assert!(sample(&text, "bocha_page_cache_bytes") > 0.0);

    let mut promtool = Command::new(PROMTOOL)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    promtool.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let checked = promtool.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(
        checked.status.success() && said.trim().is_empty(),
        "promtool: {said}"
    );
}

#[tokio::test]
async fn the_main_address_does_not_serve_metrics() {
    let app = busy_app().await;
    let response = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(response.status(), 404);
}

/// A Prometheus server on a free port, scraping `target` every second; stopped when dropped.
struct Prometheus {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Prometheus {
    fn start(target: std::net::SocketAddr) -> Self {
        needs(PROMETHEUS);
        let dir = std::env::temp_dir().join(format!("bocha-prometheus-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: bocha\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self { child, port, dir }
    }

    /// The value of `query` once Prometheus has one, within 30 seconds.
    async fn value(&self, query: &str) -> f64 {
        let url = format!("http://127.0.0.1:{}/api/v1/query", self.port);
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(response) = client.get(&url).query(&[("query", query)]).send().await
                && let Ok(body) = response.json::<Value>().await
                && let Some(value) = body["data"]["result"][0]["value"][1].as_str()
            {
                return value.parse().unwrap();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("Prometheus had no value for {query}");
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_real_prometheus_scrapes_the_instance() {
    let app = busy_app().await;
    let prometheus = Prometheus::start(app.metrics_addr.unwrap());
    assert_eq!(prometheus.value(r#"up{job="bocha"}"#).await, 1.0);
    assert_eq!(prometheus.value("bocha_redis_up").await, 1.0);
    assert!(
        prometheus
            .value(r#"sum(bocha_http_request_duration_seconds_count{route="/"})"#)
            .await
            >= 1.0
    );
    assert!(
        prometheus
            .value(r#"histogram_quantile(0.99, sum by (le) (bocha_http_request_duration_seconds_bucket))"#)
            .await
            > 0.0
    );
}
