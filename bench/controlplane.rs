//! Control-plane benchmark: `cargo bench --bench controlplane`.
//!
//! Runs the release `orch server` (API server, scheduler, controllers) with simulated nodes from
//! `orch agent --simulate`, in temporary data dirs, and measures:
//! * scheduler throughput: 10,000 pods are created while the cluster has no node (they wait,
//!   unschedulable), then 100 (or 1,000) simulated nodes join; pods bound per second from the
//!   first binding to the last, as upstream's scheduler_perf counts them. Twice: with nodes
//!   only (pods stay Pending once bound, as in scheduler_perf), and with the simulated kubelets
//!   also driving every bound pod to Running at the same time;
//! * the server's RSS once those 10,000 pods are Running, and its peak;
//! * a 1,000-replica Deployment on 100 simulated nodes: time from create to 1,000 available.
//!
//! Results go to stdout as Markdown, for BENCHMARKS.md. Environment:
//! * `PODS=n` changes the pod count;
//! * `SCENARIO=schedule|kubelets|memory|rollout` runs one part only (schedule: nodes only, 100
//!   and 1,000 nodes; kubelets: 1,000 nodes with kubelets; memory: 100 nodes with kubelets, and
//!   the RSS);
//! * `ORCH_BIN=path` runs another `orch` build (say `target/profiling/orch`, which has symbols);
//! * `ATTACH='command with {pid}'` starts a profiler on each server once it is up, for instance
//!   `ATTACH='heaptrack -p {pid} -o /tmp/orch'` or `ATTACH='perf record -g -p {pid} -o /tmp/perf.data'`;
//!   servers are stopped with SIGTERM so the profiler can write its data.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;

fn orch_bin() -> String {
    std::env::var("ORCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_orch").to_string())
}

/// A child process: asked to stop with SIGTERM when dropped, killed if it has not within 20 s.
struct Proc(Child);

impl Proc {
    /// Stops the process (if it is still running) and reaps it.
    fn stop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            // Already reaped: its PID may belong to another process by now.
            return;
        }
        // SAFETY: kill(2) on the PID of our child, which has not been reaped (checked above).
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Cluster {
    agents: Vec<Proc>,
    server: Proc,
    attached: Option<Child>,
    kubeconfig: PathBuf,
    client: kube::Client,
    _dir: tempfile::TempDir,
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

async fn start_server() -> Cluster {
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    let child = Command::new(orch_bin())
        .args([
            "server",
            // The control plane alone: no local node.
            "--disable-agent",
            "--https-listen-port",
            "0",
            "--bind-address",
            "127.0.0.1",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .arg("--write-kubeconfig")
        .arg(&kubeconfig)
        .env("ORCH_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start orch server");
    let server = Proc(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = loop {
        if let Ok(client) = orch::client::from_kubeconfig(&kubeconfig) {
            if client.apiserver_version().await.is_ok() {
                break client;
            }
        }
        assert!(Instant::now() < deadline, "orch server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let attached = std::env::var("ATTACH").ok().map(|template| {
        let command = template.replace("{pid}", &server.0.id().to_string());
        let words: Vec<&str> = command.split_whitespace().collect();
        let child = Command::new(words[0])
            .args(&words[1..])
            .spawn()
            .expect("start the ATTACH command");
        // Give the profiler time to attach before the load starts.
        std::thread::sleep(Duration::from_secs(3));
        child
    });
    Cluster {
        agents: Vec::new(),
        server,
        attached,
        kubeconfig,
        client,
        _dir: dir,
    }
}

impl Drop for Cluster {
    /// Stops the agents, then the server, then waits for an attached profiler to write its data.
    fn drop(&mut self) {
        self.agents.clear();
        self.server.stop();
        if let Some(mut profiler) = self.attached.take() {
            let _ = profiler.wait();
        }
    }
}

fn start_agent(kubeconfig: &Path, nodes: usize, run_pods: bool) -> Proc {
    let child = Command::new(orch_bin())
        .args(["agent", "--simulate", &nodes.to_string(), "--kubeconfig"])
        .arg(kubeconfig)
        .args(["--node-name-prefix", "sim-"])
        .arg(format!("--sim-run-pods={run_pods}"))
        .env("ORCH_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start orch agent --simulate");
    Proc(child)
}

fn pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "bench"}},
        "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "infinity"],
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}
    }))
    .expect("a pod")
}

async fn create_pods(client: &kube::Client, n: usize) -> Duration {
    let api: Api<Pod> = Api::namespaced(client.clone(), "default");
    let start = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| {
            let api = api.clone();
            async move {
                api.create(&PostParams::default(), &pod(&format!("bench-{i:05}")))
                    .await
                    .expect("create pod");
            }
        })
        .buffer_unordered(32)
        .collect::<()>()
        .await;
    start.elapsed()
}

/// Watches pods until `n` are bound (`bound`) or Running (`running`); returns the instants of
/// the first and the last.
async fn watch_pods(client: &kube::Client, n: usize, running: bool) -> (Instant, Instant) {
    let api: Api<Pod> = Api::namespaced(client.clone(), "default");
    let mut seen = HashSet::new();
    let mut first = None;
    let mut events = std::pin::pin!(watcher(api, watcher::Config::default()).applied_objects());
    while let Some(pod) = events.try_next().await.expect("watch pods") {
        let done = if running {
            pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
        } else {
            pod.spec
                .as_ref()
                .and_then(|s| s.node_name.as_ref())
                .is_some()
        };
        if done && seen.insert(pod.metadata.name.clone().unwrap_or_default()) {
            first.get_or_insert_with(Instant::now);
            if seen.len() == n {
                return (first.unwrap(), Instant::now());
            }
        }
    }
    panic!("pod watch ended");
}

async fn wait_nodes_ready(client: &kube::Client, n: usize) {
    let api: Api<Node> = Api::all(client.clone());
    loop {
        let list = api.list(&Default::default()).await.expect("list nodes");
        let ready = list
            .items
            .iter()
            .filter(|node| {
                node.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
            })
            .count();
        if ready >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn scheduler_throughput(
    pods: usize,
    nodes: usize,
    kubelets: bool,
) -> (String, Option<String>) {
    let mut cluster = start_server().await;
    let created = create_pods(&cluster.client, pods).await;
    // Let the scheduler find them unschedulable (no node yet) before the nodes join.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let watch = {
        let client = cluster.client.clone();
        tokio::spawn(async move { watch_pods(&client, pods, false).await })
    };
    let joined = Instant::now();
    cluster
        .agents
        .push(start_agent(&cluster.kubeconfig, nodes, kubelets));
    let (first, last) = watch.await.expect("watch task");
    let window = last - first;
    let row = format!(
        "| {pods} pods on {nodes} nodes, {} | {:.0} pods/s | {:.2} s | {:.2} s | {:.0}/s |",
        if kubelets {
            "with kubelets"
        } else {
            "nodes only"
        },
        pods as f64 / window.as_secs_f64(),
        window.as_secs_f64(),
        (last - joined).as_secs_f64(),
        pods as f64 / created.as_secs_f64(),
    );
    let mut memory = None;
    if kubelets && nodes == 100 {
        // Memory with every pod Running (the simulated kubelets report their status).
        let _ = watch_pods(&cluster.client, pods, true).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let pid = cluster.server.0.id();
        let agent = cluster.agents[0].0.id();
        memory = Some(format!(
            "Server with {pods} Running pods on {nodes} nodes: RSS {} (anonymous {}, file {}), peak {} (simulating agent: {})",
            mib(rss_kib(pid, "VmRSS:")),
            mib(rss_kib(pid, "RssAnon:")),
            mib(rss_kib(pid, "RssFile:")),
            mib(rss_kib(pid, "VmHWM:")),
            mib(rss_kib(agent, "VmRSS:")),
        ));
    }
    (row, memory)
}

async fn deployment_rollout(replicas: i32, nodes: usize) -> String {
    let mut cluster = start_server().await;
    cluster
        .agents
        .push(start_agent(&cluster.kubeconfig, nodes, true));
    wait_nodes_ready(&cluster.client, nodes).await;
    let api: Api<Deployment> = Api::namespaced(cluster.client.clone(), "default");
    let deployment: Deployment = serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "bench"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "bench"}},
            "template": {"metadata": {"labels": {"app": "bench"}},
                "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "infinity"]}]}}}
    }))
    .expect("a deployment");
    let start = Instant::now();
    api.create(&PostParams::default(), &deployment)
        .await
        .expect("create deployment");
    loop {
        let d = api.get("bench").await.expect("get deployment");
        let available = d.status.and_then(|s| s.available_replicas).unwrap_or(0);
        if available >= replicas {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    format!(
        "| Deployment of {replicas} replicas on {nodes} nodes: create → {replicas} available | {:.2} s |",
        start.elapsed().as_secs_f64()
    )
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let pods: usize = std::env::var("PODS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let scenario = std::env::var("SCENARIO").unwrap_or_default();
    let runs = |name: &str| scenario.is_empty() || scenario == name;
    rt.block_on(async {
        let mut rows = Vec::new();
        if runs("schedule") {
            for nodes in [100, 1000] {
                rows.push(scheduler_throughput(pods, nodes, false).await.0);
            }
        }
        let mut memory = None;
        if runs("memory") {
            let (row, m) = scheduler_throughput(pods, 100, true).await;
            rows.push(row);
            memory = m;
        }
        if runs("kubelets") {
            rows.push(scheduler_throughput(pods, 1000, true).await.0);
        }
        let rollout = match runs("rollout") {
            true => Some(deployment_rollout(1000, 100).await),
            false => None,
        };
        if !rows.is_empty() {
            println!(
                "| scheduling | throughput | first → last bind | nodes join → last bind | create rate |"
            );
            println!("|---|---|---|---|---|");
            for row in &rows {
                println!("{row}");
            }
            println!();
        }
        if let Some(m) = memory {
            println!("{m}\n");
        }
        if let Some(rollout) = rollout {
            println!("| rollout | time |\n|---|---|\n{rollout}");
        }
    });
}
