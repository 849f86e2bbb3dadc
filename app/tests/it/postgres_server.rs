//! A private Postgres cluster on a free port, from the machine's own Postgres binaries, for tests
//! that stop, freeze and restart the database under a running app.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

pub struct PostgresServer {
    port: u16,
    dir: PathBuf,
    bin: PathBuf,
}

/// The newest Postgres installed the Debian way (`/usr/lib/postgresql/<version>/bin`), or the
/// one on the PATH.
fn binaries() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dir| dir.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.sort();
    versions
        .pop()
        .filter(|bin| bin.join("pg_ctl").exists())
        .unwrap_or_else(|| PathBuf::from(""))
}

/// Postgres refuses to run as root: as root, its commands run as the `postgres` user.
fn command(bin: &Path, program: &str) -> Command {
    let program = bin.join(program);
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"));
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

impl PostgresServer {
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("bocha-test-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        // The server's user must own its directory.
        let _ = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status();
        let bin = binaries();
        let status = command(&bin, "initdb")
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "-D"])
            .arg(dir.join("data"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed");
        let server = Self { port, dir, bin };
        server.restart();
        server
    }

    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub fn restart(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.dir.display()
        );
        let status = command(&self.bin, "pg_ctl")
            .args(["-w", "-t", "30", "-o", &options, "-l"])
            .arg(self.dir.join("log"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("start")
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl runs");
        assert!(status.success(), "the private Postgres did not start");
    }

    pub fn stop(&self) {
        let _ = command(&self.bin, "pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.dir.join("data"))
            .arg("stop")
            .stdout(Stdio::null())
            .status();
    }

    /// Every process of the cluster, the postmaster first.
    fn processes(&self) -> Vec<String> {
        let pid_file = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).unwrap_or_default();
        let Some(postmaster) = pid_file.lines().next().map(str::to_owned) else {
            return Vec::new();
        };
        let children = Command::new("pgrep")
            .args(["-P", &postmaster])
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default();
        std::iter::once(postmaster)
            .chain(children.lines().map(str::to_owned))
            .collect()
    }

    /// Stops every process of the cluster where it stands (SIGSTOP): connections stay open and
    /// nothing answers, as when a server hangs.
    pub fn freeze(&self) {
        let status = Command::new("kill")
            .arg("-STOP")
            .args(self.processes())
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub fn thaw(&self) {
        let _ = Command::new("kill").arg("-CONT").args(self.processes()).status();
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.thaw();
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
