//! Container lifecycle latency: a busybox `/bin/true` container created, started, waited for
//! and deleted, by the pod's shim (`orch shim serve`, started for the pod or already running)
//! and by Debian's `runc run` on the same bundle, 100 times in
//! sequence and 20 at once. Needs root, `/bin/busybox` (busybox-static) and `runc`.
//!
//! `cargo bench --bench containers` (ORCH_BIN to pick the binary; default target/release/orch).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use orch::runtime::shim::client::Shim;
use orch::runtime::shim::proto::RunRequest;
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
    for applet in ["sh", "true", "sleep"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    std::fs::write(root.join("etc/passwd"), "root:x:0:0::/:/bin/sh\n").unwrap();
    root
}

fn bundle(
    dir: &Path,
    root: &Path,
    id: &str,
    cgroup_parent: &str,
    command: &[&str],
) -> (PathBuf, String) {
    let cgroup = format!("{cgroup_parent}/{id}");
    let c = ContainerSpec {
        command: command.iter().map(|s| s.to_string()).collect(),
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

/// One pod's whole container lifecycle through the shim: with `shim` None, a shim is started
/// for it and shut down after (a one-container pod); otherwise the container runs in it.
async fn run_orch(
    orch: &Path,
    dir: &Path,
    root: &Path,
    id: &str,
    parent: &str,
    shim: Option<&Shim>,
) -> Duration {
    let (b, cgroup) = bundle(dir, root, id, parent, &["/bin/true"]);
    let t = Instant::now();
    let own = match shim {
        Some(_) => None,
        None => Some(
            Shim::spawn(orch, &dir.join("shims").join(id))
                .await
                .unwrap(),
        ),
    };
    let s = shim.or(own.as_ref()).expect("a shim");
    s.run(request(dir, id, b, cgroup)).await.unwrap();
    let exit = s.wait(id).await.unwrap();
    assert_eq!(exit.code, 0, "{exit:?}");
    s.delete(id).await.unwrap();
    if let Some(own) = &own {
        own.shutdown().await.unwrap();
    }
    t.elapsed()
}

fn request(dir: &Path, id: &str, bundle: PathBuf, cgroup_path: String) -> RunRequest {
    RunRequest {
        id: id.to_owned(),
        bundle,
        log: dir.join("logs").join(format!("{id}.log")),
        log_max_size: 10 << 20,
        log_max_files: 5,
        cgroup_path,
        stdin: false,
        stdin_once: false,
        tty: false,
    }
}

fn run_runc(dir: &Path, root: &Path, id: &str, parent: &str) -> Duration {
    let (b, _) = bundle(dir, root, id, parent, &["/bin/true"]);
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

/// Resident memory of idle shims, each running a `sleep` container: (RSS, PSS, private
/// dirty) in KiB per shim, averaged.
async fn shim_memory(orch: &Path, dir: &Path, root: &Path, parent: &str) -> (u64, u64, u64, u64) {
    const PODS: usize = 10;
    let mut shims = Vec::new();
    for i in 0..PODS {
        let id = format!("idle{i}");
        let shim = Shim::spawn(orch, &dir.join("shims").join(&id))
            .await
            .unwrap();
        let (b, cgroup) = bundle(dir, root, &id, parent, &["sleep", "1000"]);
        shim.run(request(dir, &id, b, cgroup)).await.unwrap();
        shims.push((id, shim));
    }
    // Past the shim's idle trim (one second after its last request).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut sums = [0u64; 3];
    let mut max_rss = 0;
    for (_, shim) in &shims {
        let smaps =
            std::fs::read_to_string(format!("/proc/{}/smaps_rollup", shim.pid().unwrap())).unwrap();
        let field = |name: &str| -> u64 {
            smaps
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap()
        };
        let rss = field("Rss:");
        max_rss = max_rss.max(rss);
        for (sum, v) in sums
            .iter_mut()
            .zip([rss, field("Pss:"), field("Private_Dirty:")])
        {
            *sum += v;
        }
    }
    for (id, shim) in &shims {
        shim.kill(id, 9).await.unwrap();
        shim.shutdown().await.unwrap();
    }
    let n = PODS as u64;
    (sums[0] / n, sums[1] / n, sums[2] / n, max_rss)
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let orch = PathBuf::from(
        std::env::var("ORCH_BIN").unwrap_or_else(|_| "target/release/orch".to_owned()),
    );
    let orch = std::fs::canonicalize(&orch).expect("the orch binary");
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let root = rootfs(dir);
    let parent = format!("/orch-bench-{}", std::process::id());
    // Warm the page cache and both binaries.
    run_orch(&orch, dir, &root, "warm-o", &parent, None).await;
    run_runc(dir, &root, "warm-r", &parent);

    println!("| runtime, /bin/true lifecycle | runs | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    let mut seq = Vec::new();
    for i in 0..SEQUENTIAL {
        seq.push(run_orch(&orch, dir, &root, &format!("o{i}"), &parent, None).await);
    }
    summary("orch, a new shim per container, sequential", seq);
    let shim = Shim::spawn(&orch, &dir.join("shims/shared")).await.unwrap();
    let mut seq = Vec::new();
    for i in 0..SEQUENTIAL {
        seq.push(run_orch(&orch, dir, &root, &format!("s{i}"), &parent, Some(&shim)).await);
    }
    shim.shutdown().await.unwrap();
    summary("orch, in the pod's running shim, sequential", seq);
    let runc_seq: Vec<Duration> = (0..SEQUENTIAL)
        .map(|i| run_runc(dir, &root, &format!("r{i}"), &parent))
        .collect();
    summary("runc run, sequential", runc_seq);

    let tasks: Vec<_> = (0..CONCURRENT)
        .map(|i| {
            let (orch, dir, root, parent) =
                (orch.clone(), dir.to_owned(), root.clone(), parent.clone());
            tokio::spawn(async move {
                run_orch(&orch, &dir, &root, &format!("co{i}"), &parent, None).await
            })
        })
        .collect();
    let mut times = Vec::new();
    for t in tasks {
        times.push(t.await.unwrap());
    }
    summary(&format!("orch (a shim each), {CONCURRENT} at once"), times);
    let times: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CONCURRENT)
            .map(|i| {
                let (dir, root, parent) = (dir, &root, &parent);
                s.spawn(move || run_runc(dir, root, &format!("cr{i}"), parent))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    summary(&format!("runc, {CONCURRENT} at once"), times);

    let (rss, pss, dirty, max_rss) = shim_memory(&orch, dir, &root, &parent).await;
    println!();
    println!("| idle shim with one running container (mean of 10) | KiB |");
    println!("|---|---|");
    println!("| RSS | {rss} (max {max_rss}) |");
    println!("| PSS | {pss} |");
    println!("| private dirty | {dirty} |");

    if let Ok(controllers) = std::fs::read_dir("/sys/fs/cgroup") {
        for c in controllers.flatten() {
            let _ = std::fs::remove_dir(c.path().join(parent.trim_start_matches('/')));
        }
    }
}
