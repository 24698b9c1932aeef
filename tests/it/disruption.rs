//! PodDisruptionBudgets: the disruption controller's status and the eviction subresource, driven
//! by `kubectl drain` on a simulated node.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{TestServer, eventually};

/// Pods owned (as controller) by a ConfigMap: `kubectl drain` only evicts pods with a
/// controller, and no workload controller will add or remove pods behind the test's back.
fn pod(name: &str, node: &str, owner_uid: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: {name}
  labels: {{app: web}}
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: owner
    uid: {owner_uid}
    controller: true
spec:
  nodeName: {node}
  containers:
  - name: main
    image: busybox:1.36
    command: ["sleep", "3600"]
"#
    )
}

#[test]
fn drain_respects_the_disruption_budget() {
    let server = TestServer::start();
    let _agent = server.simulate_nodes("dr-", 2, &[]);
    server.kubectl(&["create", "configmap", "owner"]).ok();
    let uid = server
        .kubectl(&[
            "get",
            "configmap",
            "owner",
            "-o",
            "jsonpath={.metadata.uid}",
        ])
        .ok()
        .to_string();
    let pods = [pod("web-a", "dr-0", &uid), pod("web-b", "dr-0", &uid)].join("---\n");
    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], &pods)
        .ok();
    server
        .kubectl(&[
            "create",
            "pdb",
            "web",
            "--selector=app=web",
            "--min-available=1",
        ])
        .ok();
    server
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "pod/web-a",
            "pod/web-b",
            "--timeout=30s",
        ])
        .ok();
    let pdb = eventually(Duration::from_secs(20), || {
        let pdb = server.kubectl(&["get", "pdb", "web", "-o", "json"]).json();
        (pdb["status"]["disruptionsAllowed"] == 1).then_some(pdb)
    })
    .expect("the budget allows one disruption");
    let status = &pdb["status"];
    assert_eq!(status["currentHealthy"], 2);
    assert_eq!(status["desiredHealthy"], 1);
    assert_eq!(status["expectedPods"], 2);
    assert_eq!(status["observedGeneration"], pdb["metadata"]["generation"]);
    assert_eq!(status["conditions"][0]["type"], "DisruptionAllowed");
    assert_eq!(status["conditions"][0]["status"], "True");
    assert_eq!(status["conditions"][0]["reason"], "SufficientPods");
    server
        .kubectl(&["get", "pdb", "web"])
        .ok_contains_words("web 1 N/A 1");

    server.kubectl(&["cordon", "dr-0"]).ok_contains("cordoned");
    let mut drain = server
        .kubectl_cmd("1.33")
        .args([
            "drain",
            "dr-0",
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--timeout=90s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kubectl drain");
    let output = Arc::new(Mutex::new(String::new()));
    let readers: Vec<_> = [
        Box::new(drain.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(drain.stderr.take().unwrap()),
    ]
    .into_iter()
    .map(|pipe| {
        let output = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut out = output.lock().unwrap();
                out.push_str(&line);
                out.push('\n');
            }
        })
    })
    .collect();

    // One pod goes; the other is blocked by the budget and drain keeps retrying.
    let blocked = eventually(Duration::from_secs(60), || {
        output
            .lock()
            .unwrap()
            .contains("Cannot evict pod as it would violate the pod's disruption budget.")
            .then_some(())
    });
    assert!(
        blocked.is_some(),
        "drain did not report the budget:\n{}",
        output.lock().unwrap()
    );
    let pdb = server.kubectl(&["get", "pdb", "web", "-o", "json"]).json();
    assert_eq!(pdb["status"]["disruptionsAllowed"], 0);
    assert_eq!(pdb["status"]["conditions"][0]["reason"], "InsufficientPods");
    assert_eq!(
        drain.try_wait().unwrap(),
        None,
        "drain gave up:\n{}",
        output.lock().unwrap()
    );

    // A replacement becomes ready elsewhere: the budget allows the last eviction.
    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], &pod("web-c", "dr-1", &uid))
        .ok();
    let status = eventually(Duration::from_secs(60), || drain.try_wait().unwrap())
        .expect("drain completes once the budget allows it");
    for r in readers {
        r.join().unwrap();
    }
    let out = output.lock().unwrap().clone();
    assert!(status.success(), "drain failed:\n{out}");
    assert!(out.contains("node/dr-0 drained"), "{out}");
    let left = server
        .kubectl(&[
            "get",
            "pods",
            "--field-selector",
            "spec.nodeName=dr-0",
            "-o",
            "name",
        ])
        .ok()
        .to_string();
    assert!(left.trim().is_empty(), "pods left on dr-0: {left}");

    server
        .kubectl(&["uncordon", "dr-0"])
        .ok_contains("uncordoned");
    let node = server
        .kubectl(&["get", "node", "dr-0", "-o", "json"])
        .json();
    assert!(node["spec"]["unschedulable"].is_null());
}

#[test]
fn eviction_with_two_budgets_is_an_internal_error() {
    let server = TestServer::start();
    let _agent = server.simulate_nodes("ev-", 1, &[]);
    server.kubectl(&["create", "configmap", "owner"]).ok();
    let uid = server
        .kubectl(&[
            "get",
            "configmap",
            "owner",
            "-o",
            "jsonpath={.metadata.uid}",
        ])
        .ok()
        .to_string();
    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], &pod("web-a", "ev-0", &uid))
        .ok();
    server
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "pod/web-a",
            "--timeout=30s",
        ])
        .ok();
    for name in ["one", "two"] {
        server
            .kubectl(&[
                "create",
                "pdb",
                name,
                "--selector=app=web",
                "--max-unavailable=1",
            ])
            .ok();
    }
    // maxUnavailable uses the controller's scale: a ConfigMap has none, so the controller
    // fails safe.
    let pdb = eventually(Duration::from_secs(20), || {
        let pdb = server.kubectl(&["get", "pdb", "one", "-o", "json"]).json();
        (pdb["status"]["conditions"][0]["reason"] == "SyncFailed").then_some(pdb)
    })
    .expect("the budget cannot be computed");
    assert_eq!(pdb["status"]["disruptionsAllowed"], 0);
    let err = server
        .kubectl(&["drain", "ev-0", "--ignore-daemonsets", "--timeout=5s"])
        .fails()
        .to_string();
    assert!(
        err.contains("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."),
        "{err}"
    );
}
