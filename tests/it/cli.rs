//! The `orch` binary itself: help, version, server start-up and clean shutdown on signals.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const ORCH: &str = env!("CARGO_BIN_EXE_orch");

fn orch(args: &[&str]) -> std::process::Output {
    Command::new(ORCH).args(args).output().unwrap()
}

/// A running `orch server`; killed on drop if the test did not stop it.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(data_dir: &Path) -> Server {
        // Port 0 and a private kubeconfig keep this server off host-global resources, so these
        // tests run beside each other and beside a real cluster.
        let mut child = Command::new(ORCH)
            .args([
                "server",
                "--disable-agent",
                "--https-listen-port",
                "0",
                "--bind-address",
                "127.0.0.1",
            ])
            .arg("--write-kubeconfig")
            .arg(data_dir.join("kubeconfig.yaml"))
            .arg("--data-dir")
            .arg(data_dir)
            .env("ORCH_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Server { child, lines }
    }

    /// Waits for a log line containing `needle`; returns it.
    fn expect_log(&self, needle: &str) -> String {
        let mut seen = Vec::new();
        loop {
            match self.lines.recv_timeout(Duration::from_secs(20)) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => seen.push(line),
                Err(e) => panic!(
                    "no log line containing {needle:?}: {e}; the server printed:\n{}",
                    seen.join("\n")
                ),
            }
        }
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on the PID of a child this test started and has not reaped.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, sig) }, 0);
    }

    fn wait(mut self) -> std::process::ExitStatus {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("server did not exit within 10s");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn help_lists_the_commands() {
    let out = orch(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in ["server", "agent", "version", "Usage: orch <COMMAND>"] {
        assert!(help.contains(needle), "help lacks {needle:?}:\n{help}");
    }
    let out = orch(&["server", "--help"]);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("--data-dir")
    );
}

#[test]
fn version_reports_orch_and_kubernetes() {
    let out = orch(&["version"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("orch version v{}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("v1.33."), "{text}");
}

#[test]
fn agent_says_it_cannot_join_yet() {
    let out = orch(&[
        "agent",
        "--server",
        "https://127.0.0.1:6443",
        "--token",
        "x",
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("cannot join")
    );
}

#[test]
fn server_starts_stops_on_signals_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    for (round, sig) in [(0, libc::SIGTERM), (1, libc::SIGINT)] {
        let server = Server::start(dir.path());
        let ready = server.expect_log("orch server ready");
        assert!(ready.contains("revision="), "{ready}");
        server.signal(sig);
        server.expect_log("datastore closed");
        let status = server.wait();
        assert!(status.success(), "round {round}: exit status {status}");
    }
    assert!(dir.path().join("server/db/state.db").exists());
}

#[test]
fn second_server_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start(dir.path());
    first.expect_log("orch server ready");
    let out = Command::new(ORCH)
        .args(["server", "--disable-agent", "--https-listen-port", "0"])
        .arg("--write-kubeconfig")
        .arg(dir.path().join("kubeconfig2.yaml"))
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("in use by another process"), "{err}");
    assert!(err.contains("state.db"), "{err}");
    first.signal(libc::SIGTERM);
    assert!(first.wait().success());
}

#[test]
fn corrupt_datastore_is_reported_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server/db/state.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::fs::write(
        &db,
        b"this is not a database, it is a text file that got in the way\n".repeat(100),
    )
    .unwrap();
    let out = Command::new(ORCH)
        .args(["server", "--disable-agent", "--https-listen-port", "0"])
        .arg("--write-kubeconfig")
        .arg(dir.path().join("kubeconfig2.yaml"))
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("corrupt") && err.contains(&*db.to_string_lossy()),
        "{err}"
    );
    assert!(
        std::fs::read(&db)
            .unwrap()
            .starts_with(b"this is not a database")
    );
}
