//! The node lifecycle controller: lost nodes become NotReady/Unknown and tainted, their pods
//! are marked not ready and evicted by the taint-based eviction.

use std::time::Duration;

use crate::common::{TestServer, eventually};
use serde_json::Value;

fn pod(name: &str, node: &str, unreachable_seconds: Option<u32>) -> String {
    let tolerations = match unreachable_seconds {
        Some(s) => format!(
            r#"
  tolerations:
  - key: node.kubernetes.io/unreachable
    operator: Exists
    effect: NoExecute
    tolerationSeconds: {s}"#
        ),
        None => String::new(),
    };
    format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  nodeName: {node}{tolerations}
  containers:
  - name: main
    image: busybox:1.36
    command: ["sleep", "3600"]
"#
    )
}

fn taints(node: &Value) -> Vec<String> {
    node["spec"]["taints"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            format!(
                "{}:{}",
                t["key"].as_str().unwrap(),
                t["effect"].as_str().unwrap()
            )
        })
        .collect()
}

fn condition<'a>(obj: &'a Value, type_: &str) -> &'a Value {
    obj["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == type_))
        .unwrap_or(&Value::Null)
}

#[test]
fn lost_node_is_tainted_and_its_pods_evicted() {
    let server = TestServer::start_with(&["--node-monitor-grace-period", "4s"]);
    let mut lost = server.simulate_nodes("lost-", 1, &[]);
    let _kept = server.simulate_nodes("kept-", 1, &[]);
    let pods = [
        pod("short", "lost-0", Some(2)),
        pod("long", "lost-0", None),
        pod("elsewhere", "kept-0", Some(2)),
    ]
    .join("---\n");
    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], &pods)
        .ok();
    server
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "pod/short",
            "pod/long",
            "pod/elsewhere",
            "--timeout=30s",
        ])
        .ok();

    lost.kill();
    let node = eventually(Duration::from_secs(30), || {
        let node = server
            .kubectl(&["get", "node", "lost-0", "-o", "json"])
            .json();
        (condition(&node, "Ready")["status"] == "Unknown" && taints(&node).len() >= 2)
            .then_some(node)
    })
    .expect("the lost node becomes Unknown and tainted");
    let ready = condition(&node, "Ready");
    assert_eq!(ready["reason"], "NodeStatusUnknown");
    assert_eq!(ready["message"], "Kubelet stopped posting node status.");
    for t in ["MemoryPressure", "DiskPressure", "PIDPressure"] {
        assert_eq!(condition(&node, t)["status"], "Unknown", "{t}");
    }
    let t = taints(&node);
    assert!(
        t.contains(&"node.kubernetes.io/unreachable:NoSchedule".to_string()),
        "{t:?}"
    );
    assert!(
        t.contains(&"node.kubernetes.io/unreachable:NoExecute".to_string()),
        "{t:?}"
    );

    let row = server.kubectl(&["get", "nodes"]).ok().to_string();
    let lost_row = row.lines().find(|l| l.starts_with("lost-0")).unwrap();
    assert_eq!(
        lost_row.split_whitespace().nth(1),
        Some("NotReady"),
        "{row}"
    );
    let kept_row = row.lines().find(|l| l.starts_with("kept-0")).unwrap();
    assert_eq!(kept_row.split_whitespace().nth(1), Some("Ready"), "{row}");
    server
        .kubectl(&["describe", "node", "lost-0"])
        .ok_contains_words("Taints: node.kubernetes.io/unreachable:NoExecute");

    // The pod tolerating the taint for 2 s is evicted; the one with the default 300 s stays,
    // marked not ready; the pod on the healthy node is untouched.
    let gone = eventually(Duration::from_secs(30), || {
        let out = server.kubectl(&["get", "pod", "short", "-o", "json"]);
        if out.status != 0 {
            return Some(Value::Null);
        }
        let pod = out.json();
        pod["metadata"]["deletionTimestamp"]
            .is_string()
            .then_some(pod)
    })
    .expect("short is evicted");
    if !gone.is_null() {
        assert_eq!(
            condition(&gone, "DisruptionTarget")["reason"],
            "DeletionByTaintManager"
        );
    }
    let events = server
        .kubectl(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=short",
        ])
        .ok()
        .to_string();
    assert!(events.contains("TaintManagerEviction"), "{events}");
    assert!(
        events.contains("Marking for deletion Pod default/short"),
        "{events}"
    );

    let long = server.kubectl(&["get", "pod", "long", "-o", "json"]).json();
    assert!(long["metadata"]["deletionTimestamp"].is_null());
    let not_ready = eventually(Duration::from_secs(10), || {
        let long = server.kubectl(&["get", "pod", "long", "-o", "json"]).json();
        (condition(&long, "Ready")["status"] == "False").then_some(())
    });
    assert!(
        not_ready.is_some(),
        "pods on a lost node are marked not ready"
    );
    let elsewhere = server
        .kubectl(&["get", "pod", "elsewhere", "-o", "json"])
        .json();
    assert!(elsewhere["metadata"]["deletionTimestamp"].is_null());
    assert_eq!(condition(&elsewhere, "Ready")["status"], "True");

    // The node comes back: Ready again, taints removed.
    let _back = server.simulate_nodes("lost-", 1, &[]);
    let node = eventually(Duration::from_secs(30), || {
        let node = server
            .kubectl(&["get", "node", "lost-0", "-o", "json"])
            .json();
        (condition(&node, "Ready")["status"] == "True" && taints(&node).is_empty()).then_some(node)
    });
    assert!(node.is_some(), "the node recovers and loses its taints");
}

#[test]
fn cordon_taints_unschedulable() {
    let server = TestServer::start();
    let _agent = server.simulate_nodes("cd-", 1, &[]);
    server.kubectl(&["cordon", "cd-0"]).ok_contains("cordoned");
    let tainted = eventually(Duration::from_secs(15), || {
        let node = server
            .kubectl(&["get", "node", "cd-0", "-o", "json"])
            .json();
        taints(&node)
            .contains(&"node.kubernetes.io/unschedulable:NoSchedule".to_string())
            .then_some(())
    });
    assert!(
        tainted.is_some(),
        "a cordoned node gets the unschedulable taint"
    );
    server
        .kubectl(&["uncordon", "cd-0"])
        .ok_contains("uncordoned");
    let clear = eventually(Duration::from_secs(15), || {
        let node = server
            .kubectl(&["get", "node", "cd-0", "-o", "json"])
            .json();
        taints(&node).is_empty().then_some(())
    });
    assert!(clear.is_some(), "the taint goes with uncordon");
}

#[test]
fn deployment_pods_on_a_lost_node_are_recreated_elsewhere() {
    let server = TestServer::start_with(&["--node-monitor-grace-period", "4s"]);
    let mut lost = server.simulate_nodes("gone-", 1, &[]);
    let deployment = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      containers:
      - name: main
        image: busybox:1.36
        command: ["sleep", "3600"]
"#;
    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], deployment)
        .ok();
    server
        .kubectl(&["rollout", "status", "deployment/web", "--timeout=30s"])
        .ok();
    let on_node = |node: &str| -> Vec<Value> {
        let pods = server
            .kubectl(&["get", "pods", "-l", "app=web", "-o", "json"])
            .json();
        pods["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["spec"]["nodeName"] == node)
            .cloned()
            .collect()
    };
    assert_eq!(on_node("gone-0").len(), 2, "both replicas on the only node");

    // A second node joins, then the first one's agent dies: its Lease stops being renewed.
    let _kept = server.simulate_nodes("stay-", 1, &[]);
    lost.kill();
    let replaced = eventually(Duration::from_secs(60), || {
        let pods = on_node("stay-0");
        let ready = pods
            .iter()
            .filter(|p| {
                p["metadata"]["deletionTimestamp"].is_null()
                    && condition(p, "Ready")["status"] == "True"
            })
            .count();
        (ready == 2).then_some(pods)
    });
    assert!(
        replaced.is_some(),
        "replacements run on stay-0; pods now: {:#?}\n{}",
        server
            .kubectl(&["get", "pods", "-o", "wide"])
            .ok()
            .to_string(),
        server.log()
    );
    // The originals were evicted by the taint manager (they stay Terminating: no kubelet is
    // left to confirm they stopped, as upstream).
    for p in on_node("gone-0") {
        assert!(p["metadata"]["deletionTimestamp"].is_string(), "{p:#}");
    }
    let deployment = server
        .kubectl(&["get", "deployment", "web", "-o", "json"])
        .json();
    assert_eq!(deployment["status"]["availableReplicas"], 2);
}
