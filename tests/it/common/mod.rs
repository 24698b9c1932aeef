//! Test fixtures: a real `orch server` in a temporary data dir, and the real kubectl.
#![allow(dead_code)]

pub mod http;
pub mod registry;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

pub const ORCH: &str = env!("CARGO_BIN_EXE_orch");

/// The kubectl releases our compatibility promise covers.
pub const KUBECTL_VERSIONS: &[&str] = &["1.27", "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"];

pub fn kubectl_path(version: &str) -> PathBuf {
    PathBuf::from(format!("/usr/lib/google-cloud-sdk/bin/kubectl.{version}"))
}

/// A running `orch server`, killed (and its data removed) on drop.
pub struct TestServer {
    child: Child,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
    extra: Vec<String>,
}

/// The result of a command, with helpers for assertions that show what went wrong.
pub struct Run {
    pub args: String,
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(args: String, out: Output) -> Run {
        Run {
            args,
            status: out.status.code().unwrap_or(-1),
            stdout: strip_ansi(&String::from_utf8_lossy(&out.stdout)),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.status, 0,
            "`{}` failed:\nstdout: {}\nstderr: {}",
            self.args, self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Asserts failure and returns stderr.
    #[track_caller]
    pub fn fails(&self) -> &str {
        assert_ne!(
            self.status, 0,
            "`{}` should have failed:\nstdout: {}",
            self.args, self.stdout
        );
        &self.stderr
    }

    #[track_caller]
    pub fn ok_contains(&self, needle: &str) -> &str {
        let out = self.ok();
        assert!(
            out.contains(needle),
            "`{}`: {needle:?} not in output:\n{out}",
            self.args
        );
        out
    }

    /// Like `ok_contains`, comparing with runs of whitespace collapsed (describe aligns columns).
    #[track_caller]
    pub fn ok_contains_words(&self, needle: &str) -> &str {
        let out = self.ok();
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            squash(out).contains(&squash(needle)),
            "`{}`: {needle:?} not in output:\n{out}",
            self.args
        );
        out
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|e| {
            panic!(
                "`{}`: output is not JSON ({e}):\n{}",
                self.args, self.stdout
            )
        })
    }
}

impl TestServer {
    pub fn start() -> TestServer {
        TestServer::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> TestServer {
        TestServer::start_prepared(|_| {}, extra)
    }

    /// Starts a server whose data dir `prepare` has filled first. It runs no local agent
    /// (the machine's own node): tests bring simulated nodes, or use [`TestServer::start_agent`].
    pub fn start_prepared(prepare: impl FnOnce(&Path), extra: &[&str]) -> TestServer {
        let mut args = vec!["--disable-agent"];
        args.extend_from_slice(extra);
        TestServer::launch(prepare, &args)
    }

    /// Starts a server with its local agent (root only): `extra` must give it host-global
    /// resources of its own (`--node-name`, `--run-dir`, `--cgroup-parent`), and the test
    /// cleans up what its containers leave (see `kubelet::Cluster`).
    pub fn start_agent(prepare: impl FnOnce(&Path), extra: &[&str]) -> TestServer {
        TestServer::launch(prepare, extra)
    }

    fn launch(prepare: impl FnOnce(&Path), extra: &[&str]) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        prepare(&dir.path().join("data"));
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        let (child, log, kubeconfig, port) = TestServer::spawn(dir.path(), &extra);
        TestServer {
            child,
            dir,
            kubeconfig,
            port,
            log,
            extra,
        }
    }

    /// Stops the server (SIGTERM, then waits) and starts it again on the same data directory
    /// with the same flags.
    pub fn restart(&mut self) {
        self.signal(libc::SIGTERM);
        let _ = self.child.wait();
        let (child, log, kubeconfig, port) = TestServer::spawn(self.dir.path(), &self.extra);
        self.child = child;
        self.log = log;
        self.kubeconfig = kubeconfig;
        self.port = port;
    }

    #[allow(clippy::type_complexity)]
    fn spawn(dir: &Path, extra: &[String]) -> (Child, Arc<Mutex<Vec<String>>>, PathBuf, u16) {
        let kubeconfig = dir.join("kubeconfig");
        let _ = std::fs::remove_file(&kubeconfig);
        let mut child = Command::new(ORCH)
            .args([
                "server",
                "--https-listen-port",
                "0",
                "--bind-address",
                "127.0.0.1",
                "--data-dir",
            ])
            .arg(dir.join("data"))
            .arg("--write-kubeconfig")
            .arg(&kubeconfig)
            .args(extra)
            .env("ORCH_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start orch server");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if line.contains("orch server ready") {
                        let _ = tx.send(line.clone());
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        if rx.recv_timeout(Duration::from_secs(60)).is_err() {
            let _ = child.kill();
            panic!(
                "orch server did not become ready:\n{}",
                log.lock().unwrap().join("\n")
            );
        }
        let config = std::fs::read_to_string(&kubeconfig).expect("kubeconfig written");
        let port = config
            .lines()
            .find_map(|l| l.trim().strip_prefix("server: https://127.0.0.1:"))
            .and_then(|p| p.trim().parse().ok())
            .expect("server URL in kubeconfig");
        (child, log, kubeconfig, port)
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A kubectl of a given release with its own discovery cache.
    pub fn kubectl_cmd(&self, version: &str) -> Command {
        let mut cmd = Command::new(kubectl_path(version));
        cmd.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.path().join(format!("cache-{version}")))
            .env_remove("KUBECONFIG");
        cmd
    }

    pub fn kubectl_v(&self, version: &str, args: &[&str]) -> Run {
        eprintln!("$ kubectl.{version} {}", args.join(" "));
        let out = self
            .kubectl_cmd(version)
            .args(args)
            .output()
            .expect("run kubectl");
        Run::from(format!("kubectl.{version} {}", args.join(" ")), out)
    }

    pub fn kubectl(&self, args: &[&str]) -> Run {
        self.kubectl_v("1.33", args)
    }

    /// kubectl with stdin.
    pub fn kubectl_stdin(&self, version: &str, args: &[&str], stdin: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .kubectl_cmd(version)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        Run::from(format!("kubectl.{version} {} <<stdin", args.join(" ")), out)
    }

    /// Sends a signal to the server.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on the PID of a child this fixture started and has not reaped.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, sig) }, 0);
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `orch agent --simulate` (simulated nodes), killed and reaped on drop.
pub struct SimAgent {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl SimAgent {
    /// Sends SIGKILL: the nodes stop renewing their Leases (how tests lose a node).
    pub fn kill(&mut self) {
        // SAFETY: kill(2) on the PID of a child this fixture started and has not reaped.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGKILL) };
        let _ = self.child.wait();
    }

    /// Sends a signal (e.g. SIGTERM) without waiting.
    pub fn signal(&self, sig: i32) {
        // SAFETY: as in `kill`.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the agent to exit and returns its exit code.
    pub fn wait(&mut self, timeout: Duration) -> Option<i32> {
        eventually(timeout, || {
            self.child
                .try_wait()
                .ok()
                .flatten()
                .map(|s| s.code().unwrap_or(-1))
        })
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for SimAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestServer {
    /// Starts `orch agent --simulate n` against this server with nodes `<prefix>0` …
    /// `<prefix>{n-1}` (plus `extra` agent flags) and waits until they are all Ready.
    pub fn simulate_nodes(&self, prefix: &str, n: usize, extra: &[&str]) -> SimAgent {
        let mut child = Command::new(ORCH)
            .args(["agent", "--simulate", &n.to_string(), "--kubeconfig"])
            .arg(&self.kubeconfig)
            .args(["--node-name-prefix", prefix])
            .args(extra)
            .env("ORCH_LOG", "info")
            .env_remove("ORCH_URL")
            .env_remove("ORCH_TOKEN")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start orch agent --simulate");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    log.lock().unwrap().push(line);
                }
            });
        }
        let mut agent = SimAgent { child, log };
        let names: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
        let ready = eventually(Duration::from_secs(60), || {
            if let Ok(Some(status)) = agent.child.try_wait() {
                panic!("orch agent --simulate exited ({status}):\n{}", agent.log());
            }
            let out = self
                .kubectl_cmd("1.33")
                .args(["get", "nodes", "-o", "json"])
                .output()
                .ok()?;
            let list: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
            let ready: std::collections::HashSet<&str> = list["items"]
                .as_array()?
                .iter()
                .filter(|n| {
                    n["status"]["conditions"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|c| c["type"] == "Ready" && c["status"] == "True")
                })
                .filter_map(|n| n["metadata"]["name"].as_str())
                .collect();
            names
                .iter()
                .all(|n| ready.contains(n.as_str()))
                .then_some(())
        });
        if ready.is_none() {
            let log = agent.log();
            agent.kill();
            panic!("simulated nodes {prefix}0..{n} did not become Ready:\n{log}");
        }
        agent
    }
}

/// Writes a file into `dir` and returns its path.
pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Polls `f` until it returns Some, for at most `timeout`.
pub fn eventually<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Removes terminal colour sequences (some kubectl releases colour `cluster-info` output).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for n in chars.by_ref() {
                if n.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
