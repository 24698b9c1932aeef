//! Container lifecycle latency: a busybox `/bin/true` container created, started, waited for
//! and deleted, by `orch shim run` and by Debian's `runc run` on the same bundle, 100 times in
//! sequence and 20 at once. Needs root, `/bin/busybox` (busybox-static) and `runc`.
//!
//! `cargo bench --bench containers` (ORCH_BIN to pick the binary; default target/release/orch).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use orch::runtime::spec::{self, ContainerSpec};

const SEQUENTIAL: usize = 100;
const CONCURRENT: usize = 20;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "| {name} | {} | {:.1} | {:.1} | {:.1} |",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
    );
}

/// A read-only busybox root shared by every container.
fn rootfs(dir: &Path) -> PathBuf {
    let root = dir.join("rootfs");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).expect("busybox-static");
    for applet in ["sh", "true"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    std::fs::write(root.join("etc/passwd"), "root:x:0:0::/:/bin/sh\n").unwrap();
    root
}

fn bundle(dir: &Path, root: &Path, id: &str, cgroup_parent: &str) -> (PathBuf, String) {
    let cgroup = format!("{cgroup_parent}/{id}");
    let c = ContainerSpec {
        command: vec!["/bin/true".into()],
        read_only_rootfs: true,
        cgroup_path: cgroup.clone(),
        ..Default::default()
    };
    let image = orch::runtime::images::oci::ContainerConfig::default();
    let config = spec::generate(&c, &image, root).unwrap();
    let b = dir.join("bundles").join(id);
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(b.join("config.json"), serde_json::to_vec(&config).unwrap()).unwrap();
    (b, cgroup)
}

fn run_orch(orch: &Path, dir: &Path, root: &Path, id: &str, parent: &str) -> Duration {
    let (b, cgroup) = bundle(dir, root, id, parent);
    let t = Instant::now();
    let out = Command::new(orch)
        .args(["shim", "run", "--id", id, "--bundle"])
        .arg(&b)
        .arg("--state-root")
        .arg(dir.join("orch-state"))
        .arg("--log")
        .arg(dir.join("logs").join(format!("{id}.log")))
        .args(["--cgroup-path", &cgroup])
        .env("ORCH_LOG", "error")
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let elapsed = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

fn run_runc(dir: &Path, root: &Path, id: &str, parent: &str) -> Duration {
    let (b, _) = bundle(dir, root, id, parent);
    let t = Instant::now();
    let out = Command::new("runc")
        .arg("--root")
        .arg(dir.join("runc-state"))
        .args(["run", "--bundle"])
        .arg(&b)
        .arg(id)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let elapsed = t.elapsed();
    assert!(
        out.status.success(),
        "runc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let orch = PathBuf::from(
        std::env::var("ORCH_BIN").unwrap_or_else(|_| "target/release/orch".to_owned()),
    );
    let dir = tempfile::tempdir().unwrap();
    let root = rootfs(dir.path());
    let parent = format!("/orch-bench-{}", std::process::id());
    // Warm the page cache and both binaries.
    run_orch(&orch, dir.path(), &root, "warm-o", &parent);
    run_runc(dir.path(), &root, "warm-r", &parent);

    println!("| runtime, /bin/true lifecycle | runs | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    let orch_seq: Vec<Duration> = (0..SEQUENTIAL)
        .map(|i| run_orch(&orch, dir.path(), &root, &format!("o{i}"), &parent))
        .collect();
    summary("orch shim run, sequential", orch_seq);
    let runc_seq: Vec<Duration> = (0..SEQUENTIAL)
        .map(|i| run_runc(dir.path(), &root, &format!("r{i}"), &parent))
        .collect();
    summary("runc run, sequential", runc_seq);
    for which in ["orch", "runc"] {
        let times: Vec<Duration> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..CONCURRENT)
                .map(|i| {
                    let (orch, dir, root, parent) = (&orch, dir.path(), &root, &parent);
                    s.spawn(move || match which {
                        "orch" => run_orch(orch, dir, root, &format!("co{i}"), parent),
                        _ => run_runc(dir, root, &format!("cr{i}"), parent),
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        summary(&format!("{which}, {CONCURRENT} at once"), times);
    }
    if let Ok(controllers) = std::fs::read_dir("/sys/fs/cgroup") {
        for c in controllers.flatten() {
            let _ = std::fs::remove_dir(c.path().join(parent.trim_start_matches('/')));
        }
    }
}
