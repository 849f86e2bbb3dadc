//! The `bocha` binary's commands.

use std::process::Command;

use eventstore::testing::TestDb;

/// The binary, with its mail folder in the temporary directory rather than the working one.
fn bocha() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bocha"));
    command.env(
        "MAIL_DIR",
        std::env::temp_dir()
            .join("bocha-test-mail")
            .join(uuid::Uuid::new_v4().simple().to_string()),
    );
    // The key the test apps seal with, so the command line reads what they wrote.
    command.env("MASTER_KEY", crate::helpers::MASTER_KEY);
    command
}

#[tokio::test]
async fn createsuperuser_makes_a_staff_account() {
    let db = TestDb::new().await;
    let output = bocha()
        .args([
            "createsuperuser",
            "--username",
            "root_admin",
            "--email",
            "admin@example.com",
        ])
        .env("DATABASE_URL", &db.url)
        .env("BOCHA_PASSWORD", "the staff password is long")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let staff: bool = sqlx::query_scalar("select staff from users where username = 'root_admin'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(staff);

    let again = bocha()
        .args([
            "createsuperuser",
            "--username",
            "ROOT_ADMIN",
            "--email",
            "other@example.com",
        ])
        .env("DATABASE_URL", &db.url)
        .env("BOCHA_PASSWORD", "the staff password is long")
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already taken"));
}

#[tokio::test]
async fn migrate_creates_a_missing_database() {
    let server = eventstore::testing::server_url();
    let name = format!("bocha_test_migrate_{}", uuid::Uuid::new_v4().simple());
    let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    let output = bocha().arg("migrate").env("DATABASE_URL", &url).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let tables: i64 =
        sqlx::query_scalar("select count(*) from information_schema.tables where table_name = 'events'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(tables, 1);
    pool.close().await;
    let admin = sqlx::PgPool::connect(&server).await.unwrap();
    sqlx::query(&format!(r#"drop database "{name}" with (force)"#))
        .execute(&admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn serve_stops_gracefully_on_sigterm() {
    let db = TestDb::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = bocha()
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("SECRET_KEY", "cli-test-secret-key-that-is-long-enough")
        .env(
            "REDIS_PREFIX",
            format!("bocha-test-{}", uuid::Uuid::new_v4().simple()),
        )
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the server came up");
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(status.status.success(), "exit after SIGTERM: {:?}", status.status);
    assert!(String::from_utf8_lossy(&status.stderr).contains("stopped"));
}

#[tokio::test]
async fn projections_status_rebuild_and_event_export_from_the_command_line() {
    let db = TestDb::new().await;
    let create = bocha()
        .args([
            "createsuperuser",
            "--username",
            "operator",
            "--email",
            "op@example.com",
        ])
        .env("DATABASE_URL", &db.url)
        .env("BOCHA_PASSWORD", "the staff password is long")
        .output()
        .unwrap();
    assert!(create.status.success());

    let status = bocha()
        .args(["projections", "status"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let table = String::from_utf8_lossy(&status.stdout);
    for name in ["users", "posts", "comments", "chat", "chat_requests"] {
        assert!(table.contains(name), "{name} missing from:\n{table}");
    }
    assert!(table.contains("head of the log: position"));

    let rebuild = bocha()
        .args(["projections", "rebuild", "users"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        rebuild.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuild.stderr)
    );
    assert!(String::from_utf8_lossy(&rebuild.stderr).contains("rebuilt users: 1 events"));
    let all = bocha()
        .args(["projections", "rebuild", "--all"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(all.status.success());
    let unknown = bocha()
        .args(["projections", "rebuild", "nope"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("there are: users"));

    let export = bocha()
        .args(["events", "export", "--user", "operator"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["event_type"], "UserRegistered");
    assert_eq!(lines[0]["data"]["password_hash"], "[redacted]");
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(users, 1, "the rebuilt users table has the account");
}

#[tokio::test]
async fn demo_fills_an_empty_site_that_one_can_log_in_to_and_refuses_a_full_one() {
    let db = TestDb::new().await;
    let media_dir = std::env::temp_dir().join(format!("bocha-test-demo-{}", uuid::Uuid::new_v4().simple()));
    let demo = || {
        bocha()
            .arg("demo")
            .env("DATABASE_URL", &db.url)
            .env("MEDIA_DIR", &media_dir)
            .env(
                "REDIS_PREFIX",
                format!("bocha-test-{}", uuid::Uuid::new_v4().simple()),
            )
            .output()
            .unwrap()
    };
    let output = demo();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8(output.stdout).unwrap();
    let password = said
        .trim()
        .rsplit(' ')
        .next()
        .expect("the password closes the message")
        .to_owned();
    assert!(said.contains("mira") && password.len() >= 16, "{said}");

    let count = |sql: &'static str| {
        let pool = db.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    assert_eq!(
        count("select count(*) from users where image is not null and bio is not null").await,
        3
    );
    assert_eq!(count("select count(*) from posts").await, 4);
    assert_eq!(
        count("select count(*) from posts where cover is not null").await,
        3
    );
    assert_eq!(count("select count(*) from comments").await, 5);
    assert_eq!(count("select count(*) from messages").await, 3);
    let images = std::fs::read_dir(&media_dir).map(Iterator::count).unwrap_or(0);
    assert!(images > 0, "the pictures are stored");

    let again = demo();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a site"));

    // The people can log in with what the demo printed.
    let app = crate::helpers::TestApp::spawn_on(std::sync::Arc::new(db)).await;
    let login = reqwest::Client::new()
        .post(app.url("/api/users/login"))
        .json(&serde_json::json!({ "user": { "email": "mira@example.com", "password": password } }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let _ = std::fs::remove_dir_all(&media_dir);
}
