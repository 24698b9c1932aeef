//! The kubelet of `orch server`'s local agent (root): pods from the API run as real containers
//! from an imported busybox image; driven and observed with the real kubectl.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::common::registry::import_busybox;
use crate::common::{TestServer, eventually};

/// `orch server` with its local agent, on host-global resources of its own (node name, run
/// directory, cgroup parent); on drop, stops the server, then every shim, container, mount and
/// cgroup it made.
struct Cluster {
    server: Option<TestServer>,
    node: String,
    run_dir: tempfile::TempDir,
    cgroup_parent: String,
}

impl Cluster {
    fn start() -> Cluster {
        let tag = format!("{}-{}", std::process::id(), fastrand::u32(..));
        let node = format!("orch-test-{tag}");
        let cgroup_parent = format!("/orch-test-{tag}");
        let run_dir = tempfile::tempdir().unwrap();
        let server = TestServer::start_agent(
            import_busybox,
            &[
                "--node-name",
                &node,
                "--node-ip",
                "127.0.0.1",
                "--run-dir",
                run_dir.path().to_str().unwrap(),
                "--cgroup-parent",
                &cgroup_parent,
                "--kubelet-port",
                "0",
            ],
        );
        let cluster = Cluster {
            server: Some(server),
            node,
            run_dir,
            cgroup_parent,
        };
        let node = cluster.node.clone();
        eventually(Duration::from_secs(30), || {
            let out = cluster
                .server()
                .kubectl(&["get", "node", &node, "-o", "json"]);
            let n: Value = serde_json::from_str(&out.stdout).ok()?;
            let ready = n["status"]["conditions"]
                .as_array()?
                .iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True");
            ready.then_some(())
        })
        .unwrap_or_else(|| panic!("node never ready:\n{}", cluster.server().log()));
        cluster
    }

    fn server(&self) -> &TestServer {
        self.server.as_ref().expect("running")
    }

    fn kubectl(&self, args: &[&str]) -> crate::common::Run {
        self.server().kubectl(args)
    }

    /// Waits until `pred` holds for the pod, printing the pod and the server log otherwise.
    fn wait_pod(&self, name: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        eventually(timeout, || {
            let out = self.kubectl(&["get", "pod", name, "-o", "json"]);
            let p: Value = serde_json::from_str(&out.stdout).ok()?;
            pred(&p).then_some(p)
        })
        .unwrap_or_else(|| {
            panic!(
                "pod {name} never got there:\n{}\n{}",
                self.kubectl(&["get", "pod", name, "-o", "yaml"]).stdout,
                self.server().log()
            )
        })
    }

    fn apply(&self, manifest: &str) {
        let out = self
            .server()
            .kubectl_stdin("1.33", &["apply", "-f", "-"], manifest);
        out.ok();
    }

    /// The log the container's first run wrote, read from the node.
    fn log_of(&self, pod: &Value, container: &str, restart: i32) -> String {
        let uid = pod["metadata"]["uid"].as_str().unwrap();
        let path = self
            .server()
            .data_dir()
            .join("agent/pods")
            .join(uid)
            .join("logs")
            .join(container)
            .join(format!("{restart}.log"));
        std::fs::read_to_string(&path).unwrap_or_default()
    }

    fn shims(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.run_dir.path().join("shims"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }
}

/// Mount points under `prefix`, deepest first.
fn mounts_under(prefix: &Path) -> Vec<String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let prefix = prefix.to_string_lossy().into_owned();
    let mut points: Vec<String> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .filter(|p| p.starts_with(&prefix))
        .map(str::to_owned)
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    points
}

fn umount(path: &str) {
    let c = std::ffi::CString::new(path).unwrap();
    // SAFETY: a NUL-terminated path; failures are ignored (already gone).
    unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let Some(server) = self.server.take() else {
            return;
        };
        let data = server.data_dir();
        server.signal(libc::SIGKILL);
        // The shims outlive the server: end them, and whatever is left in the test's cgroups.
        for dir in self.shims() {
            if let Ok(pid) = std::fs::read_to_string(dir.join("shim.pid"))
                && let Ok(pid) = pid.trim().parse::<i32>()
                && Path::new(&format!("/proc/{pid}")).exists()
            {
                // SAFETY: signals a shim this test's server started.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        let parent = self.cgroup_parent.trim_start_matches('/').to_owned();
        let procs_of = |dir: &Path| -> Vec<i32> {
            let mut pids = Vec::new();
            let mut stack = vec![dir.to_path_buf()];
            while let Some(d) = stack.pop() {
                pids.extend(
                    std::fs::read_to_string(d.join("cgroup.procs"))
                        .unwrap_or_default()
                        .lines()
                        .filter_map(|l| l.parse::<i32>().ok()),
                );
                if let Ok(entries) = std::fs::read_dir(&d) {
                    stack.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
                }
            }
            pids
        };
        for _ in 0..20 {
            let pids = procs_of(&Path::new("/sys/fs/cgroup/pids").join(&parent));
            if pids.is_empty() {
                break;
            }
            for pid in pids {
                // SAFETY: a process of a container this test started.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        for root in [data.as_path(), self.run_dir.path()] {
            for m in mounts_under(root) {
                umount(&m);
            }
        }
        if let Ok(controllers) = std::fs::read_dir("/sys/fs/cgroup") {
            for c in controllers.flatten() {
                let top = c.path().join(&parent);
                // Deepest first.
                let mut dirs = vec![];
                let mut stack = vec![top.clone()];
                while let Some(d) = stack.pop() {
                    if let Ok(entries) = std::fs::read_dir(&d) {
                        stack.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
                    }
                    dirs.push(d);
                }
                for d in dirs.iter().rev() {
                    let _ = std::fs::remove_dir(d);
                }
            }
        }
        drop(server);
    }
}

fn phase(p: &Value) -> &str {
    p["status"]["phase"].as_str().unwrap_or("")
}

fn container_status<'a>(p: &'a Value, name: &str) -> &'a Value {
    p["status"]["containerStatuses"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .unwrap_or(&Value::Null)
}

fn condition<'a>(p: &'a Value, type_: &str) -> &'a str {
    p["status"]["conditions"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["type"] == type_))
        .and_then(|c| c["status"].as_str())
        .unwrap_or("")
}

#[test]
fn node_registers_with_lease_labels_and_capacity() {
    let c = Cluster::start();
    let n = c.kubectl(&["get", "node", &c.node, "-o", "json"]).json();
    let labels = &n["metadata"]["labels"];
    assert_eq!(labels["kubernetes.io/hostname"], c.node.as_str());
    assert_eq!(labels["node-role.kubernetes.io/control-plane"], "true");
    assert_eq!(labels["kubernetes.io/os"], "linux");
    assert_eq!(n["status"]["capacity"]["pods"], "110");
    assert!(n["status"]["allocatable"]["memory"].as_str().is_some());
    assert!(
        n["status"]["nodeInfo"]["containerRuntimeVersion"]
            .as_str()
            .unwrap()
            .starts_with("orch://")
    );
    assert_eq!(n["status"]["addresses"][0]["address"], "127.0.0.1");
    let lease = c
        .kubectl(&[
            "get",
            "lease",
            "-n",
            "kube-node-lease",
            &c.node,
            "-o",
            "json",
        ])
        .json();
    assert_eq!(lease["spec"]["holderIdentity"], c.node.as_str());
    assert_eq!(lease["metadata"]["ownerReferences"][0]["kind"], "Node");
    c.kubectl(&["get", "nodes"])
        .ok_contains_words(&format!("{} Ready control-plane", c.node));
}

#[test]
fn pods_run_to_completion_with_their_environment_and_exit_codes() {
    let c = Cluster::start();
    c.apply(
        r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello}
---
apiVersion: v1
kind: Pod
metadata: {name: done}
spec:
  restartPolicy: Never
  initContainers:
  - name: first
    image: test/busybox:1
    imagePullPolicy: Never
    command: [sh, -c, "echo init ran"]
  containers:
  - name: main
    image: test/busybox:1
    imagePullPolicy: Never
    command: [sh, -c, 'echo "$GREETING from $POD_NAME on $(hostname) as $(id -u)"']
    env:
    - {name: GREETING, valueFrom: {configMapKeyRef: {name: settings, key: greeting}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
---
apiVersion: v1
kind: Pod
metadata: {name: fails}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: test/busybox:1
    imagePullPolicy: Never
    command: [sh, -c, "exit 3"]
"#,
    );
    let done = c.wait_pod("done", Duration::from_secs(60), |p| phase(p) == "Succeeded");
    let main = container_status(&done, "main");
    let term = &main["state"]["terminated"];
    assert_eq!(term["exitCode"], 0, "{main:#}");
    assert_eq!(term["reason"], "Completed", "{main:#}");
    assert!(main["containerID"].as_str().unwrap().starts_with("orch://"));
    assert_eq!(
        main["imageID"].as_str().unwrap().split('@').next(),
        Some("docker.io/test/busybox")
    );
    let init = &done["status"]["initContainerStatuses"][0];
    assert_eq!(init["state"]["terminated"]["exitCode"], 0, "{init:#}");
    assert_eq!(condition(&done, "Initialized"), "True");
    assert_eq!(condition(&done, "Ready"), "False");
    assert!(
        c.log_of(&done, "first", 0).contains("init ran"),
        "the CRI log on the node"
    );
    // `kubectl logs`: through the API server to the kubelet's endpoint.
    assert_eq!(
        c.kubectl(&["logs", "done"]).ok(),
        "hello from done on done as 0\n"
    );
    assert_eq!(
        c.kubectl(&["logs", "done", "-c", "first"]).ok(),
        "init ran\n"
    );
    let err = c.kubectl(&["logs", "done", "-c", "nope"]);
    assert!(
        err.fails()
            .contains("container nope is not valid for pod done"),
        "{}",
        err.stderr
    );
    let err = c.kubectl(&["logs", "done", "--previous"]);
    assert!(
        err.fails()
            .contains("previous terminated container \"main\" in pod \"done\" not found"),
        "{}",
        err.stderr
    );
    let stamped = c.kubectl(&["logs", "done", "--timestamps"]);
    let (time, rest) = stamped.ok().split_once(' ').unwrap();
    assert!(time.parse::<jiff::Timestamp>().is_ok(), "{time}");
    assert_eq!(rest, "hello from done on done as 0\n");

    let fails = c.wait_pod("fails", Duration::from_secs(60), |p| phase(p) == "Failed");
    let term = &container_status(&fails, "main")["state"]["terminated"];
    assert_eq!(
        (term["exitCode"].as_i64(), term["reason"].as_str()),
        (Some(3), Some("Error"))
    );

    // A missing image under `Never` waits with upstream's reason.
    c.kubectl(&[
        "run",
        "noimage",
        "--image=test/missing:1",
        "--image-pull-policy=Never",
        "--restart=Never",
    ])
    .ok();
    let p = c.wait_pod("noimage", Duration::from_secs(30), |p| {
        container_status(p, "noimage")["state"]["waiting"]["reason"] == "ErrImageNeverPull"
    });
    assert_eq!(phase(&p), "Pending");
    let events = c.kubectl(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=done",
    ]);
    let events = events.ok();
    for reason in ["Pulled", "Created", "Started"] {
        assert!(events.contains(reason), "{events}");
    }
}

#[test]
fn deployment_becomes_available_and_deleting_stops_its_containers() {
    let c = Cluster::start();
    c.apply(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: httpd
        image: test/busybox:1
        imagePullPolicy: Never
        command: [sh, -c, "trap 'echo got TERM; exit 0' TERM; httpd -f -p 8080 & wait"]
"#,
    );
    c.kubectl(&["rollout", "status", "deployment/web", "--timeout=90s"])
        .ok();
    let pods = c
        .kubectl(&["get", "pods", "-l", "app=web", "-o", "json"])
        .json();
    let items = pods["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for p in items {
        assert_eq!(phase(p), "Running");
        assert_eq!(condition(p, "Ready"), "True");
        assert_eq!(condition(p, "ContainersReady"), "True");
        assert_eq!(condition(p, "PodReadyToStartContainers"), "True");
        assert!(container_status(p, "httpd")["state"]["running"]["startedAt"].is_string());
    }
    assert_eq!(c.shims().len(), 3, "one shim per pod");
    c.kubectl(&["get", "pods", "-l", "app=web"])
        .ok_contains_words("1/1 Running 0");

    // Graceful deletion: SIGTERM reaches the trap, well within the grace period.
    let started = std::time::Instant::now();
    c.kubectl(&["delete", "deployment", "web", "--wait=true"])
        .ok();
    eventually(Duration::from_secs(30), || {
        let out = c.kubectl(&["get", "pods", "-l", "app=web", "-o", "name"]);
        out.stdout.trim().is_empty().then_some(())
    })
    .expect("pods removed");
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "took {:?}",
        started.elapsed()
    );
    eventually(Duration::from_secs(10), || {
        c.shims().is_empty().then_some(())
    })
    .unwrap_or_else(|| panic!("shims left: {:?}", c.shims()));
    let leftover = std::fs::read_dir(c.server().data_dir().join("agent/pods"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(leftover, 0, "pod directories removed");
}

#[test]
fn crashing_container_backs_off_and_kill_after_grace() {
    let c = Cluster::start();
    c.kubectl(&[
        "run",
        "crash",
        "--image=test/busybox:1",
        "--image-pull-policy=Never",
        "--",
        "sh",
        "-c",
        "echo crashing; exit 1",
    ])
    .ok();
    let p = c.wait_pod("crash", Duration::from_secs(60), |p| {
        let s = container_status(p, "crash");
        s["restartCount"].as_i64() >= Some(1)
            && s["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    });
    let s = container_status(&p, "crash");
    assert_eq!(s["lastState"]["terminated"]["exitCode"], 1, "{s:#}");
    assert_eq!(s["lastState"]["terminated"]["reason"], "Error", "{s:#}");
    assert_eq!(
        phase(&p),
        "Running",
        "restartPolicy Always keeps the pod Running"
    );
    assert_eq!(
        c.kubectl(&["logs", "crash", "--previous"]).ok(),
        "crashing\n"
    );
    assert_eq!(c.kubectl(&["logs", "crash"]).ok(), "crashing\n");
    c.kubectl(&["get", "pod", "crash"])
        .ok_contains("CrashLoopBackOff");
    let events = c.kubectl(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=crash",
    ]);
    assert!(events.ok().contains("BackOff"), "{}", events.stdout);

    // No trap: SIGTERM is ignored by pid 1, SIGKILL ends it after the grace period.
    c.kubectl(&[
        "run",
        "stubborn",
        "--image=test/busybox:1",
        "--image-pull-policy=Never",
        "--",
        "sleep",
        "3600",
    ])
    .ok();
    c.wait_pod("stubborn", Duration::from_secs(60), |p| {
        phase(p) == "Running"
    });
    let started = std::time::Instant::now();
    c.kubectl(&["delete", "pod", "stubborn", "--grace-period=2"])
        .ok();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(20),
        "took {took:?}"
    );
}

#[test]
fn logs_follow_tail_and_limit() {
    let c = Cluster::start();
    c.kubectl(&[
        "run",
        "ticker",
        "--image=test/busybox:1",
        "--image-pull-policy=Never",
        "--restart=Never",
        "--",
        "sh",
        "-c",
        "for i in 1 2 3 4; do echo tick $i; sleep 1; done",
    ])
    .ok();
    c.wait_pod("ticker", Duration::from_secs(30), |p| phase(p) == "Running");
    // Follows while the container runs, ends when it does.
    let started = std::time::Instant::now();
    let followed = c.kubectl(&["logs", "-f", "ticker"]);
    assert_eq!(followed.ok(), "tick 1\ntick 2\ntick 3\ntick 4\n");
    assert!(started.elapsed() < Duration::from_secs(20));
    c.wait_pod("ticker", Duration::from_secs(30), |p| {
        phase(p) == "Succeeded"
    });
    assert_eq!(
        c.kubectl(&["logs", "ticker", "--tail=2"]).ok(),
        "tick 3\ntick 4\n"
    );
    assert_eq!(
        c.kubectl(&["logs", "ticker", "--limit-bytes=8"]).ok(),
        "tick 1\nt"
    );
    assert_eq!(
        c.kubectl(&["logs", "ticker", "--since=1h"]).ok(),
        "tick 1\ntick 2\ntick 3\ntick 4\n"
    );
    // Invalid options are refused by the API server.
    let err = c.kubectl(&[
        "get",
        "--raw",
        "/api/v1/namespaces/default/pods/ticker/log?limitBytes=0",
    ]);
    assert!(err.fails().contains("limitBytes"), "{}", err.stderr);
    let raw = c.kubectl(&[
        "get",
        "--raw",
        "/api/v1/namespaces/default/pods/ticker/log?tailLines=1",
    ]);
    assert_eq!(raw.ok(), "tick 4\n");
}

#[test]
fn agent_restart_adopts_running_containers() {
    let mut c = Cluster::start();
    c.kubectl(&[
        "run",
        "keeper",
        "--image=test/busybox:1",
        "--image-pull-policy=Never",
        "--",
        "sh",
        "-c",
        "echo started; trap 'exit 0' TERM; while true; do sleep 1; done",
    ])
    .ok();
    c.kubectl(&[
        "run",
        "ender",
        "--image=test/busybox:1",
        "--image-pull-policy=Never",
        "--restart=Never",
        "--",
        "sh",
        "-c",
        "sleep 4; echo bye; exit 4",
    ])
    .ok();
    let before = c.wait_pod("keeper", Duration::from_secs(60), |p| phase(p) == "Running");
    c.wait_pod("ender", Duration::from_secs(60), |p| phase(p) == "Running");
    let keeper = container_status(&before, "keeper").clone();

    // The server (and its agent) stops; the shims and containers do not.
    c.server.as_mut().unwrap().restart();
    std::thread::sleep(Duration::from_secs(5));
    let after = c.wait_pod("keeper", Duration::from_secs(60), |p| {
        container_status(p, "keeper")["ready"] == true
    });
    let now = container_status(&after, "keeper");
    assert_eq!(
        now["containerID"], keeper["containerID"],
        "the same container: {now:#}"
    );
    assert_eq!(
        now["state"]["running"]["startedAt"],
        keeper["state"]["running"]["startedAt"]
    );
    assert_eq!(now["restartCount"], 0);
    assert_eq!(c.kubectl(&["logs", "keeper"]).ok(), "started\n");
    // The other ended while nobody watched: reported as it ended.
    let ender = c.wait_pod("ender", Duration::from_secs(60), |p| phase(p) == "Failed");
    let term = &container_status(&ender, "ender")["state"]["terminated"];
    assert_eq!(term["exitCode"], 4, "{ender:#}");
    assert_eq!(c.kubectl(&["logs", "ender"]).ok(), "bye\n");

    c.kubectl(&["delete", "pod", "keeper", "ender"]).ok();
    eventually(Duration::from_secs(20), || {
        c.shims().is_empty().then_some(())
    })
    .unwrap_or_else(|| panic!("shims left: {:?}", c.shims()));
}

#[test]
fn probes_gate_readiness_and_restart_unhealthy_containers() {
    let c = Cluster::start();
    c.apply(
        r#"
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: httpd
    image: test/busybox:1
    imagePullPolicy: Never
    command: [sh, -c, "mkdir -p /www; (sleep 3; echo ok > /www/ready) & exec httpd -f -p 8080 -h /www"]
    ports: [{name: http, containerPort: 8080}]
    readinessProbe:
      httpGet: {path: /ready, port: http}
      periodSeconds: 1
    startupProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata: {name: sick}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: test/busybox:1
    imagePullPolicy: Never
    command: [sh, -c, "touch /tmp/healthy; sleep 2; rm /tmp/healthy; sleep 3600"]
    livenessProbe:
      exec: {command: [cat, /tmp/healthy]}
      periodSeconds: 1
      failureThreshold: 2
"#,
    );
    // Running but not ready until /ready exists.
    let p = c.wait_pod("web", Duration::from_secs(30), |p| phase(p) == "Running");
    assert_eq!(condition(&p, "Ready"), "False", "{p:#}");
    let p = c.wait_pod("web", Duration::from_secs(30), |p| {
        condition(p, "Ready") == "True"
    });
    let s = container_status(&p, "httpd");
    assert_eq!(
        (s["ready"].as_bool(), s["started"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(s["restartCount"], 0);
    let events = c.kubectl(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=web",
    ]);
    assert!(
        events
            .ok()
            .contains("Readiness probe failed: HTTP probe failed with statuscode: 404"),
        "{}",
        events.stdout
    );

    // The liveness probe fails once the file is gone: the container is killed and restarted.
    let p = c.wait_pod("sick", Duration::from_secs(60), |p| {
        container_status(p, "app")["restartCount"].as_i64() >= Some(1)
    });
    let s = container_status(&p, "app");
    assert_eq!(s["lastState"]["terminated"]["exitCode"], 137, "{s:#}");
    let events = c.kubectl(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.name=sick",
    ]);
    let events = events.ok();
    assert!(events.contains("Liveness probe failed"), "{events}");
    assert!(
        events.contains("Container app failed liveness probe, will be restarted"),
        "{events}"
    );
}
