//! The scheduler against a real `orch server`, driven and observed with the real kubectl: nodes
//! are plain Node objects whose status the test sets (no kubelet).

use std::time::Duration;

use crate::common::{TestServer, eventually};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

/// Creates a node and sets its status: allocatable (= capacity) and the Ready condition.
fn add_node(
    s: &TestServer,
    name: &str,
    labels: serde_json::Value,
    spec: serde_json::Value,
    alloc: serde_json::Value,
    ready: &str,
) {
    let node = json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}, "spec": spec});
    s.kubectl_stdin("1.33", &["create", "-f", "-"], &node.to_string())
        .ok_contains(&format!("node/{name} created"));
    let status = json!({"status": {"capacity": alloc, "allocatable": alloc, "conditions": [{
        "type": "Ready", "status": ready, "reason": "Test", "message": "set by the test",
        "lastHeartbeatTime": "2024-01-01T00:00:00Z", "lastTransitionTime": "2024-01-01T00:00:00Z"}]}});
    s.kubectl(&[
        "patch",
        "node",
        name,
        "--subresource=status",
        "--type=merge",
        "-p",
        &status.to_string(),
    ])
    .ok_contains("patched");
}

fn add_pod(s: &TestServer, name: &str, spec: serde_json::Value) {
    let mut spec = spec;
    if spec.get("containers").is_none() {
        spec["containers"] = json!([{"name": "c", "image": "busybox"}]);
    }
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec});
    s.kubectl_stdin("1.33", &["create", "-f", "-"], &pod.to_string())
        .ok_contains(&format!("pod/{name} created"));
}

fn node_of(s: &TestServer, pod: &str) -> String {
    s.kubectl(&["get", "pod", pod, "-o", "jsonpath={.spec.nodeName}"])
        .ok()
        .trim()
        .to_owned()
}

/// Waits until the pod is bound and returns its node.
fn bound_node(s: &TestServer, pod: &str) -> String {
    eventually(WAIT, || Some(node_of(s, pod)).filter(|n| !n.is_empty())).unwrap_or_else(|| {
        panic!(
            "pod {pod} was not scheduled:\n{}",
            s.kubectl(&["describe", "pod", pod]).stdout
        )
    })
}

fn cpu(c: &str) -> serde_json::Value {
    json!({"containers": [{"name": "c", "image": "busybox", "resources": {"requests": {"cpu": c}}}]})
}

fn res(cpu: &str) -> serde_json::Value {
    json!({"cpu": cpu, "memory": "8Gi", "pods": "110"})
}

#[test]
fn binds_pods_to_fitting_nodes_and_explains_the_rest() {
    let s = TestServer::start();
    add_node(
        &s,
        "small",
        json!({"size": "small"}),
        json!({}),
        res("1"),
        "True",
    );
    add_node(
        &s,
        "big",
        json!({"size": "big"}),
        json!({}),
        res("4"),
        "True",
    );
    add_node(
        &s,
        "gpu",
        json!({"gpu": "true"}),
        json!({"taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]}),
        res("8"),
        "True",
    );
    add_node(&s, "down", json!({}), json!({}), res("8"), "False");
    add_node(
        &s,
        "cordoned",
        json!({}),
        json!({"unschedulable": true}),
        res("8"),
        "True",
    );

    // Only "big" has 2 CPUs and accepts anyone.
    add_pod(&s, "needs-2-cpus", cpu("2"));
    assert_eq!(bound_node(&s, "needs-2-cpus"), "big");
    // nodeSelector.
    let mut spec = cpu("100m");
    spec["nodeSelector"] = json!({"size": "small"});
    add_pod(&s, "wants-small", spec);
    assert_eq!(bound_node(&s, "wants-small"), "small");
    // Tolerating the taint and selecting the node.
    let mut spec = cpu("100m");
    spec["nodeSelector"] = json!({"gpu": "true"});
    spec["tolerations"] =
        json!([{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]);
    add_pod(&s, "gpu-job", spec);
    assert_eq!(bound_node(&s, "gpu-job"), "gpu");
    // Without the toleration the tainted node is out: the only fit for 3 CPUs is gone.
    add_pod(&s, "needs-3-cpus", cpu("3"));
    let want = "0/5 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, \
        1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable, \
        2 Insufficient cpu. preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, \
        3 Preemption is not helpful for scheduling..";
    let condition = eventually(WAIT, || {
        let out = s.kubectl(&["get", "pod", "needs-3-cpus", "-o",
            "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].status}/{.status.conditions[?(@.type==\"PodScheduled\")].reason}/{.status.conditions[?(@.type==\"PodScheduled\")].message}"]);
        Some(out.ok().to_owned()).filter(|o| o.starts_with("False/"))
    })
    .expect("PodScheduled condition set");
    assert_eq!(condition, format!("False/Unschedulable/{want}"));
    assert_eq!(node_of(&s, "needs-3-cpus"), "");
    let describe = eventually(WAIT, || {
        let out = s
            .kubectl(&["describe", "pod", "needs-3-cpus"])
            .ok()
            .to_owned();
        out.contains("FailedScheduling").then_some(out)
    })
    .expect("FailedScheduling event");
    assert!(describe.contains("default-scheduler"), "{describe}");
    assert!(
        describe
            .contains("0/5 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}"),
        "{describe}"
    );
    let describe = s
        .kubectl(&["describe", "pod", "needs-2-cpus"])
        .ok()
        .to_owned();
    assert!(
        describe.contains("Successfully assigned default/needs-2-cpus to big"),
        "{describe}"
    );

    // A node with room appears: the waiting pod is retried and lands there.
    add_node(&s, "huge", json!({}), json!({}), res("16"), "True");
    assert_eq!(bound_node(&s, "needs-3-cpus"), "huge");
    s.kubectl(&[
        "get",
        "pod",
        "needs-3-cpus",
        "-o",
        "jsonpath={.status.conditions[?(@.type==\"PodScheduled\")].status}",
    ])
    .ok_contains("True");

    // Pods addressed to another scheduler are left alone.
    let mut spec = cpu("100m");
    spec["schedulerName"] = json!("my-scheduler");
    add_pod(&s, "not-ours", spec);
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(node_of(&s, "not-ours"), "");

    // Deleting a pod frees its node for a waiting one.
    let mut spec = cpu("3");
    spec["nodeSelector"] = json!({"size": "big"});
    add_pod(&s, "waits-for-big", spec);
    eventually(WAIT, || {
        let out = s.kubectl(&[
            "get",
            "pod",
            "waits-for-big",
            "-o",
            "jsonpath={.status.conditions[0].reason}",
        ]);
        out.ok().contains("Unschedulable").then_some(())
    })
    .expect("waits-for-big unschedulable first");
    // No kubelet here to finish a graceful deletion: force it.
    s.kubectl(&[
        "delete",
        "pod",
        "needs-2-cpus",
        "--force",
        "--grace-period=0",
    ])
    .ok();
    assert_eq!(bound_node(&s, "waits-for-big"), "big");
}

#[test]
fn consecutive_decisions_do_not_overcommit() {
    let s = TestServer::start();
    add_node(&s, "only", json!({}), json!({}), res("2"), "True");
    let pods: Vec<serde_json::Value> = (0..6)
        .map(|i| json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i}")}, "spec": cpu("1")}))
        .collect();
    let list = json!({"apiVersion": "v1", "kind": "List", "items": pods});
    s.kubectl_stdin("1.33", &["create", "-f", "-"], &list.to_string())
        .ok();
    let pending = eventually(WAIT, || {
        let out = s.kubectl(&["get", "pods", "-o", "jsonpath={range .items[*]}{.spec.nodeName},{.status.conditions[0].reason}{\"\\n\"}{end}"]);
        let lines: Vec<String> = out.ok().lines().map(str::to_owned).collect();
        let bound = lines.iter().filter(|l| l.starts_with("only,")).count();
        let unschedulable = lines.iter().filter(|l| l.ends_with(",Unschedulable")).count();
        (bound + unschedulable == 6).then_some((bound, unschedulable))
    })
    .expect("every pod decided");
    assert_eq!(pending, (2, 4));
    // Still so a little later (no late overcommit).
    std::thread::sleep(Duration::from_secs(2));
    let out = s.kubectl(&[
        "get",
        "pods",
        "--field-selector=spec.nodeName=only",
        "-o",
        "name",
    ]);
    assert_eq!(out.ok().lines().count(), 2);
}
