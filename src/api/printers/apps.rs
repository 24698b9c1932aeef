//! Printers for the `apps` group.

use jiff::Timestamp;
use serde_json::Value;

use super::docs as d;
use super::labels::{format_label_selector, format_labels, selector_string};
use super::{
    AGE, CONTAINERS_DESC, Column, IMAGES_DESC, NAME, age, arr_at, col, get, int_at,
    layout_containers, name, str_at, wide,
};

const TEMPLATE_CONTAINERS: &[&str] = &["spec", "template", "spec", "containers"];

pub(super) const REPLICA_SET: &[Column] = &[
    NAME,
    col("Desired", "integer", d::RS_SPEC_REPLICAS),
    col("Current", "integer", d::RS_STATUS_REPLICAS),
    col("Ready", "integer", d::RS_STATUS_READY_REPLICAS),
    AGE,
    wide("Containers", "string", CONTAINERS_DESC),
    wide("Images", "string", IMAGES_DESC),
    wide("Selector", "string", d::RS_SPEC_SELECTOR),
];

pub(super) fn replica_set(obj: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = layout_containers(arr_at(obj, TEMPLATE_CONTAINERS));
    vec![
        Value::from(name(obj)),
        Value::from(int_at(obj, &["spec", "replicas"])),
        Value::from(int_at(obj, &["status", "replicas"])),
        Value::from(int_at(obj, &["status", "readyReplicas"])),
        age(obj, now),
        names,
        images,
        Value::from(format_label_selector(get(obj, &["spec", "selector"]))),
    ]
}

pub(super) const DAEMON_SET: &[Column] = &[
    NAME,
    col("Desired", "integer", d::DS_STATUS_DESIRED),
    col("Current", "integer", d::DS_STATUS_CURRENT),
    col("Ready", "integer", d::DS_STATUS_READY),
    col("Up-to-date", "integer", d::DS_STATUS_UPDATED),
    col("Available", "integer", d::DS_STATUS_AVAILABLE),
    col("Node Selector", "string", d::POD_SPEC_NODE_SELECTOR),
    AGE,
    wide("Containers", "string", CONTAINERS_DESC),
    wide("Images", "string", IMAGES_DESC),
    wide("Selector", "string", d::DS_SPEC_SELECTOR),
];

pub(super) fn daemon_set(obj: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = layout_containers(arr_at(obj, TEMPLATE_CONTAINERS));
    vec![
        Value::from(name(obj)),
        Value::from(int_at(obj, &["status", "desiredNumberScheduled"])),
        Value::from(int_at(obj, &["status", "currentNumberScheduled"])),
        Value::from(int_at(obj, &["status", "numberReady"])),
        Value::from(int_at(obj, &["status", "updatedNumberScheduled"])),
        Value::from(int_at(obj, &["status", "numberAvailable"])),
        Value::from(format_labels(get(
            obj,
            &["spec", "template", "spec", "nodeSelector"],
        ))),
        age(obj, now),
        names,
        images,
        Value::from(format_label_selector(get(obj, &["spec", "selector"]))),
    ]
}

pub(super) const STATEFUL_SET: &[Column] = &[
    NAME,
    col("Ready", "string", "Number of the pod with ready state"),
    AGE,
    wide("Containers", "string", CONTAINERS_DESC),
    wide("Images", "string", IMAGES_DESC),
];

pub(super) fn stateful_set(obj: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = layout_containers(arr_at(obj, TEMPLATE_CONTAINERS));
    vec![
        Value::from(name(obj)),
        Value::from(format!(
            "{}/{}",
            int_at(obj, &["status", "readyReplicas"]),
            int_at(obj, &["spec", "replicas"])
        )),
        age(obj, now),
        names,
        images,
    ]
}

pub(super) const DEPLOYMENT: &[Column] = &[
    NAME,
    col("Ready", "string", "Number of the pod with ready state"),
    col("Up-to-date", "string", d::DEPLOY_STATUS_UPDATED),
    col("Available", "string", d::DEPLOY_STATUS_AVAILABLE),
    AGE,
    wide("Containers", "string", CONTAINERS_DESC),
    wide("Images", "string", IMAGES_DESC),
    wide("Selector", "string", d::DEPLOY_SPEC_SELECTOR),
];

pub(super) fn deployment(obj: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) = layout_containers(arr_at(obj, TEMPLATE_CONTAINERS));
    // Unlike the other workloads, an empty selector prints as "" and a bad one as <invalid>.
    let selector = selector_string(get(obj, &["spec", "selector"]))
        .unwrap_or_else(|()| "<invalid>".to_owned());
    vec![
        Value::from(name(obj)),
        Value::from(format!(
            "{}/{}",
            int_at(obj, &["status", "readyReplicas"]),
            int_at(obj, &["spec", "replicas"])
        )),
        Value::from(int_at(obj, &["status", "updatedReplicas"])),
        Value::from(int_at(obj, &["status", "availableReplicas"])),
        age(obj, now),
        names,
        images,
        Value::from(selector),
    ]
}

pub(super) const CONTROLLER_REVISION: &[Column] = &[
    NAME,
    col("Controller", "string", "Controller of the object"),
    col("Revision", "string", d::CONTROLLER_REVISION_REVISION),
    AGE,
];

/// The controlling owner as `kind.group/name` (lower-cased kind and group), `<none>` if none.
fn controller_name(obj: &Value) -> String {
    let Some(owner) = arr_at(obj, &["metadata", "ownerReferences"])
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
    else {
        return "<none>".to_owned();
    };
    let api_version = str_at(owner, &["apiVersion"]);
    let group = match api_version.split_once('/') {
        Some((group, _)) => group,
        None => "",
    };
    let kind = str_at(owner, &["kind"]);
    let owner_name = str_at(owner, &["name"]);
    if group.is_empty() && kind.is_empty() {
        return owner_name.to_owned();
    }
    let group_kind = if group.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}.{group}")
    };
    format!("{}/{owner_name}", group_kind.to_lowercase())
}

pub(super) fn controller_revision(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(controller_name(obj)),
        Value::from(int_at(obj, &["revision"])),
        age(obj, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use serde_json::json;

    fn template() -> serde_json::Value {
        json!({"spec": {"containers": [
            {"name": "nginx", "image": "nginx:1.27"},
            {"name": "sidecar", "image": "busybox"}
        ]}})
    }

    #[test]
    fn deployment() {
        assert_eq!(
            headers("apps", "Deployment"),
            [
                "Name",
                "Ready",
                "Up-to-date",
                "Available",
                "Age",
                "Containers*",
                "Images*",
                "Selector*"
            ]
        );
        let obj = json!({
            "metadata": {"name": "web", "creationTimestamp": ago(3 * 86400 + 4 * 3600)},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template()},
            "status": {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}
        });
        assert_eq!(
            row("apps", "Deployment", &obj),
            [
                "web",
                "2/3",
                "3",
                "2",
                "3d4h",
                "nginx,sidecar",
                "nginx:1.27,busybox",
                "app=web"
            ]
        );
        // Fresh deployment: no status yet; empty and invalid selectors.
        let fresh = json!({"metadata": {"name": "new"}, "spec": {"replicas": 1, "selector": {}}});
        assert_eq!(
            row("apps", "Deployment", &fresh),
            ["new", "0/1", "0", "0", "<unknown>", "", "", ""]
        );
        let bad = json!({"metadata": {"name": "bad"}, "spec": {"selector": {"matchExpressions": [{"key": "a", "operator": "Nope"}]}}});
        assert_eq!(row("apps", "Deployment", &bad)[7], "<invalid>");
    }

    #[test]
    fn replica_set_and_daemon_set() {
        let rs = json!({
            "metadata": {"name": "web-5d4f", "creationTimestamp": ago(600)},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web", "pod-template-hash": "5d4f"}}, "template": template()},
            "status": {"replicas": 2, "readyReplicas": 1}
        });
        assert_eq!(
            row("apps", "ReplicaSet", &rs),
            [
                "web-5d4f",
                "2",
                "2",
                "1",
                "10m",
                "nginx,sidecar",
                "nginx:1.27,busybox",
                "app=web,pod-template-hash=5d4f"
            ]
        );
        assert_eq!(
            row("apps", "ReplicaSet", &json!({"metadata": {"name": "x"}}))[7],
            "<none>"
        );

        assert_eq!(
            headers("apps", "DaemonSet"),
            [
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Up-to-date",
                "Available",
                "Node Selector",
                "Age",
                "Containers*",
                "Images*",
                "Selector*"
            ]
        );
        let ds = json!({
            "metadata": {"name": "kube-proxy", "creationTimestamp": ago(90)},
            "spec": {
                "selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                "template": {"spec": {"nodeSelector": {"kubernetes.io/os": "linux"}, "containers": [{"name": "kube-proxy", "image": "registry.k8s.io/kube-proxy:v1.33.0"}]}}
            },
            "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2, "updatedNumberScheduled": 3, "numberAvailable": 2}
        });
        assert_eq!(
            row("apps", "DaemonSet", &ds),
            [
                "kube-proxy",
                "3",
                "3",
                "2",
                "3",
                "2",
                "kubernetes.io/os=linux",
                "90s",
                "kube-proxy",
                "registry.k8s.io/kube-proxy:v1.33.0",
                "k8s-app=kube-proxy"
            ]
        );
        assert_eq!(row("apps", "DaemonSet", &json!({}))[6], "<none>");
    }

    #[test]
    fn stateful_set() {
        assert_eq!(
            headers("apps", "StatefulSet"),
            ["Name", "Ready", "Age", "Containers*", "Images*"]
        );
        let obj = json!({
            "metadata": {"name": "db", "creationTimestamp": ago(7200)},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "pg", "image": "postgres:16"}]}}},
            "status": {"readyReplicas": 1}
        });
        assert_eq!(
            row("apps", "StatefulSet", &obj),
            ["db", "1/3", "120m", "pg", "postgres:16"]
        );
    }

    #[test]
    fn controller_revision() {
        let obj = json!({
            "metadata": {"name": "web-7c9", "creationTimestamp": ago(30), "ownerReferences": [
                {"apiVersion": "v1", "kind": "Pod", "name": "not-controller"},
                {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "controller": true}
            ]},
            "revision": 4
        });
        assert_eq!(
            row("apps", "ControllerRevision", &obj),
            ["web-7c9", "statefulset.apps/web", "4", "30s"]
        );
        let core_owner = json!({"metadata": {"name": "r", "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "p", "controller": true}]}, "revision": 1});
        assert_eq!(row("apps", "ControllerRevision", &core_owner)[1], "pod/p");
        assert_eq!(
            row("apps", "ControllerRevision", &json!({"revision": 2}))[1..3],
            ["<none>", "2"]
        );
    }
}
