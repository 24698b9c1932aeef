//! The workload controllers (StatefulSet, DaemonSet, Job, CronJob, TTL-after-finished) against
//! a real `orch server`, driven and observed with the real kubectl.
//!
//! These tests play the node's part themselves: they move pods through their phases with
//! `kubectl patch --subresource=status` (and bind DaemonSet pods with the `binding`
//! subresource), so they exercise the controllers alone, independently of the scheduler and
//! of simulated nodes.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::{TestServer, eventually, write};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

fn pods(server: &TestServer, selector: &str) -> Vec<Value> {
    let out = server
        .kubectl(&["get", "pods", "-l", selector, "-o", "json"])
        .json();
    out["items"].as_array().cloned().unwrap_or_default()
}

fn name(obj: &Value) -> String {
    obj["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn phase(pod: &Value) -> &str {
    pod["status"]["phase"].as_str().unwrap_or("Pending")
}

/// Plays the kubelet: sets a pod's phase (and readiness when Running).
fn set_phase(server: &TestServer, pod: &str, phase: &str, ready: bool) {
    let now = jiff::Timestamp::now().to_string();
    let cond = if ready { "True" } else { "False" };
    let mut status = json!({"phase": phase, "conditions": [
        {"type": "Ready", "status": cond, "lastTransitionTime": now},
        {"type": "ContainersReady", "status": cond, "lastTransitionTime": now},
    ]});
    if phase == "Succeeded" || phase == "Failed" {
        let code = if phase == "Succeeded" { 0 } else { 1 };
        status["containerStatuses"] = json!([{"name": "c", "image": "busybox", "imageID": "", "ready": false,
            "restartCount": 0, "state": {"terminated": {"exitCode": code, "startedAt": now, "finishedAt": now}}}]);
    }
    let patch = json!({"status": status}).to_string();
    server
        .kubectl(&[
            "patch",
            "pod",
            pod,
            "--subresource=status",
            "--type=merge",
            "-p",
            &patch,
        ])
        .ok();
}

fn apply(server: &TestServer, file: &str, yaml: &str) {
    let path = write(server.dir.path(), file, yaml);
    server
        .kubectl(&["apply", "-f", path.to_str().unwrap()])
        .ok();
}

fn get_json(server: &TestServer, what: &[&str]) -> Value {
    let mut args = vec!["get"];
    args.extend_from_slice(what);
    args.extend_from_slice(&["-o", "json"]);
    server.kubectl(&args).json()
}

fn events_of(server: &TestServer, kind_name: &str) -> String {
    let sel = format!("involvedObject.name={kind_name}");
    server
        .kubectl(&["get", "events", "--field-selector", &sel, "-o", "json"])
        .json()["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{} {}\n",
                e["reason"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

const STS: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: busybox:v1
        volumeMounts:
        - {name: www, mountPath: /data}
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 1Gi}
"#;

#[test]
fn statefulset_ordered_creation_scale_down_and_rolling_update() {
    let server = TestServer::start();
    apply(&server, "sts.yaml", STS);

    // Ordered: web-N appears only once web-(N-1) is Running and Ready.
    for i in 0..3 {
        let pod = format!("web-{i}");
        eventually(WAIT, || {
            pods(&server, "app=web")
                .iter()
                .any(|p| name(p) == pod)
                .then_some(())
        })
        .unwrap_or_else(|| panic!("{pod} was not created:\n{}", server.log()));
        std::thread::sleep(Duration::from_millis(500));
        let names: BTreeSet<String> = pods(&server, "app=web").iter().map(name).collect();
        let expected: BTreeSet<String> = (0..=i).map(|j| format!("web-{j}")).collect();
        assert_eq!(names, expected, "pods before {pod} is ready");
        set_phase(&server, &pod, "Running", true);
    }

    // Identity, claims and the pods' volumes.
    let p = get_json(&server, &["pod", "web-1"]);
    assert_eq!(p["spec"]["hostname"], "web-1");
    assert_eq!(p["spec"]["subdomain"], "nginx");
    assert_eq!(
        p["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"],
        "web-1"
    );
    assert_eq!(p["metadata"]["labels"]["apps.kubernetes.io/pod-index"], "1");
    assert!(
        p["metadata"]["labels"]["controller-revision-hash"]
            .as_str()
            .unwrap()
            .starts_with("web-")
    );
    let vol = p["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "www")
        .cloned()
        .unwrap();
    assert_eq!(vol["persistentVolumeClaim"]["claimName"], "www-web-1");
    let claims: BTreeSet<String> = get_json(&server, &["pvc"])["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(name)
        .collect();
    assert_eq!(
        claims,
        ["www-web-0", "www-web-1", "www-web-2"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let pvc = get_json(&server, &["pvc", "www-web-0"]);
    assert_eq!(pvc["metadata"]["labels"]["app"], "web");

    // Status and printed columns.
    eventually(WAIT, || {
        let s = get_json(&server, &["sts", "web"]);
        (s["status"]["readyReplicas"] == 3
            && s["status"]["replicas"] == 3
            && s["status"]["currentReplicas"] == 3
            && s["status"]["updatedReplicas"] == 3
            && s["status"]["observedGeneration"] == 1)
            .then_some(())
    })
    .unwrap_or_else(|| panic!("status: {}", get_json(&server, &["sts", "web"])["status"]));
    server
        .kubectl(&["get", "sts", "web"])
        .ok_contains_words("web 3/3");
    let events = events_of(&server, "web");
    assert!(
        events.contains("SuccessfulCreate create Pod web-0 in StatefulSet web successful"),
        "{events}"
    );
    assert!(
        events.contains(
            "SuccessfulCreate create Claim www-web-0 Pod web-0 in StatefulSet web success"
        ),
        "{events}"
    );
    server
        .kubectl(&["rollout", "status", "sts/web", "--timeout=10s"])
        .ok_contains("partitioned roll out complete");

    // Scale down: web-2 goes first, then web-1; web-0 and the claims stay.
    server.kubectl(&["scale", "sts/web", "--replicas=1"]).ok();
    let mut gone_order = Vec::new();
    let start = Instant::now();
    while gone_order.len() < 2 && start.elapsed() < WAIT {
        let names: BTreeSet<String> = pods(&server, "app=web").iter().map(name).collect();
        for n in ["web-2", "web-1"] {
            if !names.contains(n) && !gone_order.contains(&n) {
                gone_order.push(n);
            }
        }
        assert!(names.contains("web-0"));
        std::thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(gone_order, vec!["web-2", "web-1"]);
    assert_eq!(
        get_json(&server, &["pvc"])["items"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "claims are retained"
    );

    // Rolling update with history: back to 3, then a new image replaces pods highest first.
    server.kubectl(&["scale", "sts/web", "--replicas=3"]).ok();
    for i in 1..3 {
        let pod = format!("web-{i}");
        eventually(WAIT, || {
            pods(&server, "app=web")
                .iter()
                .any(|p| name(p) == pod)
                .then_some(())
        })
        .expect("recreated");
        set_phase(&server, &pod, "Running", true);
    }
    let before = get_json(&server, &["sts", "web"])["status"]["updateRevision"]
        .as_str()
        .unwrap()
        .to_string();
    server
        .kubectl(&["set", "image", "sts/web", "c=busybox:v2"])
        .ok();
    let mut replaced = Vec::new();
    for _ in 0..3 {
        let p = eventually(WAIT, || {
            pods(&server, "app=web").into_iter().find(|p| {
                p["spec"]["containers"][0]["image"] == "busybox:v2" && !replaced.contains(&name(p))
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "no updated pod: {}",
                get_json(&server, &["sts", "web"])["status"]
            )
        });
        replaced.push(name(&p));
        set_phase(&server, &name(&p), "Running", true);
    }
    assert_eq!(replaced, vec!["web-2", "web-1", "web-0"]);
    let status = eventually(WAIT, || {
        let s = get_json(&server, &["sts", "web"])["status"].clone();
        (s["updatedReplicas"] == 3 && s["currentRevision"] == s["updateRevision"]).then_some(s)
    })
    .expect("update completes");
    assert_ne!(status["updateRevision"], before.as_str());
    let history = server
        .kubectl(&["rollout", "history", "sts/web"])
        .ok()
        .to_string();
    assert!(history.contains('1') && history.contains('2'), "{history}");
    let revs = get_json(&server, &["controllerrevisions"]);
    assert_eq!(revs["items"].as_array().unwrap().len(), 2, "{revs}");
}

#[test]
fn statefulset_parallel_and_partition() {
    let server = TestServer::start();
    let yaml = STS
        .replace("replicas: 3", "replicas: 3\n  podManagementPolicy: Parallel\n  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate: {partition: 2}")
        .replace("name: web", "name: par")
        .replace("app: web", "app: par");
    apply(&server, "par.yaml", &yaml);
    // Parallel: every pod at once, without waiting for readiness.
    eventually(WAIT, || (pods(&server, "app=par").len() == 3).then_some(())).unwrap_or_else(|| {
        panic!(
            "parallel pods: {:?}",
            pods(&server, "app=par")
                .iter()
                .map(name)
                .collect::<Vec<_>>()
        )
    });
    for i in 0..3 {
        set_phase(&server, &format!("par-{i}"), "Running", true);
    }
    server
        .kubectl(&["set", "image", "sts/par", "c=busybox:v2"])
        .ok();
    // Only ordinals >= partition are updated.
    let p = eventually(WAIT, || {
        pods(&server, "app=par")
            .into_iter()
            .find(|p| p["spec"]["containers"][0]["image"] == "busybox:v2")
    })
    .unwrap_or_else(|| {
        panic!(
            "no updated pod: {}\n{}",
            get_json(&server, &["sts", "par"])["status"],
            server.log()
        )
    });
    assert_eq!(name(&p), "par-2");
    set_phase(&server, "par-2", "Running", true);
    std::thread::sleep(Duration::from_secs(1));
    let images: Vec<String> = (0..3)
        .map(|i| {
            get_json(&server, &["pod", &format!("par-{i}")])["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(images, vec!["busybox:v1", "busybox:v1", "busybox:v2"]);
    let s = eventually(WAIT, || {
        let s = get_json(&server, &["sts", "par"])["status"].clone();
        (s["updatedReplicas"] == 1 && s["currentReplicas"] == 2).then_some(s)
    });
    assert!(
        s.is_some(),
        "{}",
        get_json(&server, &["sts", "par"])["status"]
    );
}

fn node_yaml(name: &str, taint: bool) -> String {
    let taints = if taint {
        "  taints:\n  - {key: dedicated, value: x, effect: NoSchedule}\n"
    } else {
        ""
    };
    format!(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels: {{kubernetes.io/hostname: {name}}}\nspec:\n{taints}  podCIDR: 10.42.9.0/24\n"
    )
}

#[test]
fn daemonset_one_pod_per_eligible_node() {
    let server = TestServer::start();
    for (n, taint) in [("ds-a", false), ("ds-b", false), ("ds-tainted", true)] {
        apply(&server, &format!("{n}.yaml"), &node_yaml(n, taint));
    }
    apply(
        &server,
        "ds.yaml",
        r#"
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - {name: c, image: busybox:v1}
"#,
    );
    let node_of = |p: &Value| -> String {
        p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
            ["matchFields"][0]["values"][0]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let nodes = eventually(WAIT, || {
        let ps = pods(&server, "app=agent");
        let nodes: BTreeSet<String> = ps.iter().map(node_of).collect();
        (ps.len() == 2 && nodes.len() == 2).then_some(nodes)
    })
    .unwrap_or_else(|| panic!("pods: {:#?}", pods(&server, "app=agent")));
    assert_eq!(
        nodes,
        ["ds-a", "ds-b"].iter().map(|s| s.to_string()).collect()
    );
    let p = &pods(&server, "app=agent")[0];
    let tolerations: BTreeSet<String> = p["spec"]["tolerations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{}:{}",
                t["key"].as_str().unwrap_or(""),
                t["effect"].as_str().unwrap_or("")
            )
        })
        .collect();
    for t in [
        "node.kubernetes.io/not-ready:NoExecute",
        "node.kubernetes.io/unreachable:NoExecute",
        "node.kubernetes.io/disk-pressure:NoSchedule",
        "node.kubernetes.io/memory-pressure:NoSchedule",
        "node.kubernetes.io/pid-pressure:NoSchedule",
        "node.kubernetes.io/unschedulable:NoSchedule",
    ] {
        assert!(tolerations.contains(t), "{t} missing from {tolerations:?}");
    }
    assert!(p["metadata"]["labels"]["controller-revision-hash"].is_string());

    // Bind and run them as the scheduler and kubelet would.
    for p in pods(&server, "app=agent") {
        let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name(&p)},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_of(&p)}});
        let path = write(server.dir.path(), "binding.json", &binding.to_string());
        server
            .kubectl(&[
                "create",
                "--raw",
                &format!("/api/v1/namespaces/default/pods/{}/binding", name(&p)),
                "-f",
                path.to_str().unwrap(),
            ])
            .ok();
        set_phase(&server, &name(&p), "Running", true);
    }
    eventually(WAIT, || {
        let s = get_json(&server, &["ds", "agent"])["status"].clone();
        (s["desiredNumberScheduled"] == 2
            && s["currentNumberScheduled"] == 2
            && s["numberReady"] == 2
            && s["numberAvailable"] == 2
            && s["updatedNumberScheduled"] == 2
            && s["numberMisscheduled"] == 0
            && s["observedGeneration"] == 1)
            .then_some(())
    })
    .unwrap_or_else(|| panic!("status: {}", get_json(&server, &["ds", "agent"])["status"]));
    server
        .kubectl(&["get", "ds", "agent"])
        .ok_contains_words("agent 2 2 2 2 2");
    server
        .kubectl(&["rollout", "status", "ds/agent", "--timeout=10s"])
        .ok_contains("successfully rolled out");

    // A new node gets a pod.
    apply(&server, "ds-c.yaml", &node_yaml("ds-c", false));
    eventually(WAIT, || {
        pods(&server, "app=agent")
            .iter()
            .any(|p| node_of(p) == "ds-c")
            .then_some(())
    })
    .expect("the new node gets a pod");
    assert_eq!(pods(&server, "app=agent").len(), 3);
    let events = events_of(&server, "agent");
    assert!(
        events.contains("SuccessfulCreate Created pod: agent-"),
        "{events}"
    );
}

const JOB: &str = r#"
apiVersion: batch/v1
kind: Job
metadata:
  name: NAME
spec:
  completions: 5
  parallelism: 2
  backoffLimit: 6
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: busybox, command: [sh, -c, "true"]}
"#;

#[test]
fn job_runs_to_completion_within_parallelism() {
    let server = TestServer::start();
    apply(&server, "job.yaml", &JOB.replace("NAME", "five"));
    let job = get_json(&server, &["job", "five"]);
    let uid = job["metadata"]["uid"].as_str().unwrap().to_string();
    assert_eq!(
        job["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
        uid.as_str()
    );
    assert_eq!(
        job["spec"]["template"]["metadata"]["labels"]["job-name"],
        "five"
    );

    let selector = "batch.kubernetes.io/job-name=five";
    let mut finished = BTreeSet::new();
    let start = Instant::now();
    while finished.len() < 5 {
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "job stalled: {}",
            get_json(&server, &["job", "five"])["status"]
        );
        let ps = pods(&server, selector);
        let active: Vec<&Value> = ps
            .iter()
            .filter(|p| !matches!(phase(p), "Succeeded" | "Failed"))
            .collect();
        assert!(
            active.len() <= 2,
            "more than parallelism active: {:?}",
            active.iter().map(|p| name(p)).collect::<Vec<_>>()
        );
        if let Some(p) = active.first() {
            let n = name(p);
            assert!(
                n.starts_with("five-") && n.len() == "five-".len() + 5,
                "{n}"
            );
            assert_eq!(
                p["metadata"]["labels"]["batch.kubernetes.io/controller-uid"],
                uid.as_str()
            );
            assert_eq!(p["metadata"]["labels"]["controller-uid"], uid.as_str());
            set_phase(&server, &n, "Succeeded", false);
            finished.insert(n);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    server
        .kubectl(&[
            "wait",
            "--for=condition=complete",
            "job/five",
            "--timeout=20s",
        ])
        .ok();
    let status = get_json(&server, &["job", "five"])["status"].clone();
    assert_eq!(status["succeeded"], 5, "{status}");
    assert!(
        status["active"].is_null() || status["active"] == 0,
        "{status}"
    );
    assert!(
        status["completionTime"].is_string() && status["startTime"].is_string(),
        "{status}"
    );
    let types: Vec<&str> = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["SuccessCriteriaMet", "Complete"]);
    assert_eq!(status["conditions"][1]["reason"], "CompletionsReached");
    assert_eq!(pods(&server, selector).len(), 5, "no extra pods");
    // Every pod was released from the tracking finalizer.
    eventually(WAIT, || {
        pods(&server, selector)
            .iter()
            .all(|p| p["metadata"]["finalizers"].is_null())
            .then_some(())
    })
    .expect("finalizers removed");
    server
        .kubectl(&["get", "job", "five"])
        .ok_contains_words("five Complete 5/5");
    let events = events_of(&server, "five");
    assert!(
        events.contains("SuccessfulCreate Created pod: five-"),
        "{events}"
    );
    assert!(events.contains("Completed Job completed"), "{events}");
}

#[test]
fn job_fails_after_backoff_limit() {
    let server = TestServer::start();
    apply(
        &server,
        "job.yaml",
        &JOB.replace("NAME", "flaky")
            .replace("completions: 5", "completions: 1")
            .replace("parallelism: 2", "parallelism: 1")
            .replace("backoffLimit: 6", "backoffLimit: 1"),
    );
    let selector = "job-name=flaky";
    let mut failed = Vec::new();
    let mut times = Vec::new();
    for _ in 0..2 {
        let p = eventually(Duration::from_secs(30), || {
            pods(&server, selector)
                .into_iter()
                .find(|p| phase(p) == "Pending" && !failed.contains(&name(p)))
        })
        .unwrap_or_else(|| {
            panic!(
                "no retry pod: {}",
                get_json(&server, &["job", "flaky"])["status"]
            )
        });
        times.push(Instant::now());
        set_phase(&server, &name(&p), "Failed", false);
        failed.push(name(&p));
    }
    // The retry waited for the 10 s backoff.
    assert!(
        times[1] - times[0] >= Duration::from_secs(8),
        "retried after {:?}",
        times[1] - times[0]
    );
    server
        .kubectl(&[
            "wait",
            "--for=condition=failed",
            "job/flaky",
            "--timeout=20s",
        ])
        .ok();
    let status = get_json(&server, &["job", "flaky"])["status"].clone();
    assert_eq!(status["failed"], 2, "{status}");
    let failed_cond = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Failed")
        .cloned()
        .unwrap();
    assert_eq!(failed_cond["reason"], "BackoffLimitExceeded");
    assert_eq!(
        failed_cond["message"],
        "Job has reached the specified backoff limit"
    );
    assert!(
        status["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["type"] == "FailureTarget")
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(pods(&server, selector).len(), 2, "no pod after the limit");
    let events = events_of(&server, "flaky");
    assert!(
        events.contains("BackoffLimitExceeded Job has reached the specified backoff limit"),
        "{events}"
    );
    server
        .kubectl(&["get", "job", "flaky"])
        .ok_contains_words("flaky Failed 0/1");
}

#[test]
fn indexed_job_and_ttl_after_finished() {
    let server = TestServer::start();
    apply(
        &server,
        "idx.yaml",
        &JOB.replace("NAME", "idx")
            .replace(
                "completions: 5",
                "completions: 3\n  completionMode: Indexed\n  ttlSecondsAfterFinished: 2",
            )
            .replace("parallelism: 2", "parallelism: 3"),
    );
    let ps = eventually(WAIT, || {
        let ps = pods(&server, "job-name=idx");
        (ps.len() == 3).then_some(ps)
    })
    .expect("three indexed pods");
    let mut indexes = BTreeSet::new();
    for p in &ps {
        let i = p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"],
            i.as_str()
        );
        assert_eq!(p["spec"]["hostname"], format!("idx-{i}").as_str());
        assert!(name(p).starts_with(&format!("idx-{i}-")));
        let env = &p["spec"]["containers"][0]["env"][0];
        assert_eq!(env["name"], "JOB_COMPLETION_INDEX");
        assert_eq!(
            env["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.annotations['batch.kubernetes.io/job-completion-index']"
        );
        indexes.insert(i);
    }
    assert_eq!(
        indexes,
        ["0", "1", "2"].iter().map(|s| s.to_string()).collect()
    );
    for p in &ps {
        set_phase(&server, &name(p), "Succeeded", false);
    }
    server
        .kubectl(&[
            "wait",
            "--for=condition=complete",
            "job/idx",
            "--timeout=20s",
        ])
        .ok();
    let status = get_json(&server, &["job", "idx"])["status"].clone();
    assert_eq!(status["completedIndexes"], "0-2", "{status}");
    assert_eq!(status["succeeded"], 3);
    // ttlSecondsAfterFinished: the Job and then its pods go away.
    eventually(WAIT, || {
        server
            .kubectl(&["get", "job", "idx"])
            .stderr
            .contains("NotFound")
            .then_some(())
    })
    .expect("job deleted after its ttl");
    eventually(WAIT, || {
        pods(&server, "job-name=idx").is_empty().then_some(())
    })
    .expect("pods collected");
}

#[test]
fn cronjob_fires_and_manual_job_from_cronjob() {
    // The CronJob controller's clock runs 12x: a minute passes in 5 s.
    let server = TestServer::start_with(&["--debug-cronjob-clock-speed", "12"]);
    apply(
        &server,
        "cj.yaml",
        r#"
apiVersion: batch/v1
kind: CronJob
metadata:
  name: tick
spec:
  schedule: "*/1 * * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    metadata:
      labels: {from: tick}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - {name: c, image: busybox, command: [sh, -c, "true"]}
"#,
    );
    let job = eventually(WAIT, || {
        get_json(&server, &["jobs", "-l", "from=tick"])["items"]
            .as_array()
            .and_then(|a| a.first().cloned())
    })
    .unwrap_or_else(|| panic!("no job created:\n{}", events_of(&server, "tick")));
    let jname = name(&job);
    let minutes: i64 = jname.strip_prefix("tick-").unwrap().parse().unwrap();
    let stamp = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        .as_str()
        .unwrap();
    let ts: jiff::Timestamp = stamp.parse().unwrap();
    assert_eq!(ts.as_second(), minutes * 60, "{stamp}");
    assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "CronJob");
    let cj = eventually(WAIT, || {
        let cj = get_json(&server, &["cronjob", "tick"]);
        (cj["status"]["active"]
            .as_array()
            .is_some_and(|a| a.len() == 1)
            && cj["status"]["lastScheduleTime"].is_string())
        .then_some(cj)
    })
    .unwrap_or_else(|| panic!("{}", get_json(&server, &["cronjob", "tick"])["status"]));
    assert_eq!(cj["status"]["active"][0]["name"], jname.as_str());
    server
        .kubectl(&["get", "cronjob", "tick"])
        .ok_contains_words("tick */1 * * * * <none> False 1");
    // Forbid: no second Job while the first runs (a few clock minutes pass).
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(
        get_json(&server, &["jobs", "-l", "from=tick"])["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The job finishes: the CronJob sees it and records the success.
    let pod = eventually(WAIT, || {
        pods(&server, &format!("job-name={jname}")).first().cloned()
    })
    .expect("job pod");
    set_phase(&server, &name(&pod), "Succeeded", false);
    eventually(WAIT, || {
        let cj = get_json(&server, &["cronjob", "tick"]);
        cj["status"]["lastSuccessfulTime"].is_string().then_some(())
    })
    .unwrap_or_else(|| panic!("{}", get_json(&server, &["cronjob", "tick"])["status"]));
    eventually(WAIT, || {
        events_of(&server, "tick")
            .contains(&format!(
                "SawCompletedJob Saw completed job: {jname}, condition: Complete"
            ))
            .then_some(())
    })
    .unwrap_or_else(|| panic!("{}", events_of(&server, "tick")));
    assert!(events_of(&server, "tick").contains(&format!("SuccessfulCreate Created job {jname}")));

    server
        .kubectl(&["create", "job", "--from=cronjob/tick", "by-hand"])
        .ok();
    let manual = get_json(&server, &["job", "by-hand"]);
    assert_eq!(
        manual["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"],
        "manual"
    );
    eventually(WAIT, || {
        (!pods(&server, "job-name=by-hand").is_empty()).then_some(())
    })
    .unwrap_or_else(|| {
        panic!(
            "manual job runs no pod:\n{}\n{}\n{}",
            server
                .kubectl(&["get", "job,pods", "-o", "wide", "--show-labels"])
                .stdout,
            get_json(&server, &["job", "by-hand"]),
            events_of(&server, "by-hand")
        )
    });
}
