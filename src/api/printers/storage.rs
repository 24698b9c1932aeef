//! Printers for `storage.k8s.io`.

use jiff::Timestamp;
use serde_json::Value;

use super::docs as d;
use super::quantity;
use super::{
    AGE, Column, NAME, age, arr_at, bool_at, col, get, len_at, name, opt_bool, opt_str, str_at,
};

pub(super) const STORAGE_CLASS: &[Column] = &[
    NAME,
    col("Provisioner", "string", d::SC_PROVISIONER),
    col("ReclaimPolicy", "string", d::SC_RECLAIM_POLICY),
    col("VolumeBindingMode", "string", d::SC_VOLUME_BINDING_MODE),
    col(
        "AllowVolumeExpansion",
        "string",
        d::SC_ALLOW_VOLUME_EXPANSION,
    ),
    AGE,
];

fn annotation_is_true(obj: &Value, key: &str) -> bool {
    opt_str(obj, &["metadata", "annotations", key]) == Some("true")
}

pub(super) fn storage_class(obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut display_name = name(obj).to_owned();
    if annotation_is_true(obj, "storageclass.kubernetes.io/is-default-class")
        || annotation_is_true(obj, "storageclass.beta.kubernetes.io/is-default-class")
    {
        display_name.push_str(" (default)");
    }
    vec![
        Value::from(display_name),
        Value::from(str_at(obj, &["provisioner"])),
        Value::from(opt_str(obj, &["reclaimPolicy"]).unwrap_or("Delete")),
        Value::from(opt_str(obj, &["volumeBindingMode"]).unwrap_or("Immediate")),
        Value::from(bool_at(obj, &["allowVolumeExpansion"])),
        age(obj, now),
    ]
}

pub(super) const VOLUME_ATTRIBUTES_CLASS: &[Column] =
    &[NAME, col("DriverName", "string", d::VAC_DRIVER_NAME), AGE];

pub(super) fn volume_attributes_class(obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut display_name = name(obj).to_owned();
    if annotation_is_true(
        obj,
        "volumeattributesclass.alpha.kubernetes.io/is-default-class",
    ) {
        display_name.push_str(" (default)");
    }
    vec![
        Value::from(display_name),
        Value::from(str_at(obj, &["driverName"])),
        age(obj, now),
    ]
}

pub(super) const VOLUME_ATTACHMENT: &[Column] = &[
    NAME,
    // Upstream marks the attacher column with the name format too.
    Column {
        name: "Attacher",
        type_: "string",
        format: "name",
        description: d::VA_SPEC_ATTACHER,
        priority: 0,
    },
    col("PV", "string", d::VA_SOURCE_PV_NAME),
    col("Node", "string", d::VA_SPEC_NODE_NAME),
    col("Attached", "boolean", d::VA_STATUS_ATTACHED),
    AGE,
];

pub(super) fn volume_attachment(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["spec", "attacher"])),
        Value::from(str_at(obj, &["spec", "source", "persistentVolumeName"])),
        Value::from(str_at(obj, &["spec", "nodeName"])),
        Value::from(bool_at(obj, &["status", "attached"])),
        age(obj, now),
    ]
}

pub(super) const CSI_NODE: &[Column] = &[
    NAME,
    col(
        "Drivers",
        "integer",
        "Drivers indicates the number of CSI drivers registered on the node",
    ),
    AGE,
];

pub(super) fn csi_node(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(len_at(obj, &["spec", "drivers"])),
        age(obj, now),
    ]
}

pub(super) const CSI_DRIVER: &[Column] = &[
    NAME,
    col("AttachRequired", "boolean", d::CSI_DRIVER_ATTACH_REQUIRED),
    col("PodInfoOnMount", "boolean", d::CSI_DRIVER_POD_INFO_ON_MOUNT),
    col("StorageCapacity", "boolean", d::CSI_DRIVER_STORAGE_CAPACITY),
    col("TokenRequests", "string", d::CSI_DRIVER_TOKEN_REQUESTS),
    col(
        "RequiresRepublish",
        "boolean",
        d::CSI_DRIVER_REQUIRES_REPUBLISH,
    ),
    col("Modes", "string", d::CSI_DRIVER_MODES),
    AGE,
];

pub(super) fn csi_driver(obj: &Value, now: Timestamp) -> Vec<Value> {
    let modes: Vec<&str> = arr_at(obj, &["spec", "volumeLifecycleModes"])
        .iter()
        .map(|m| m.as_str().unwrap_or(""))
        .collect();
    let modes = if modes.is_empty() {
        "<none>".to_owned()
    } else {
        modes.join(",")
    };
    let token_requests = match get(obj, &["spec", "tokenRequests"]) {
        None => "<unset>".to_owned(),
        Some(requests) => requests
            .as_array()
            .map(|rs| {
                rs.iter()
                    .map(|r| str_at(r, &["audience"]))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .unwrap_or_default(),
    };
    vec![
        Value::from(name(obj)),
        Value::from(opt_bool(obj, &["spec", "attachRequired"]).unwrap_or(true)),
        Value::from(bool_at(obj, &["spec", "podInfoOnMount"])),
        Value::from(bool_at(obj, &["spec", "storageCapacity"])),
        Value::from(token_requests),
        Value::from(bool_at(obj, &["spec", "requiresRepublish"])),
        Value::from(modes),
        age(obj, now),
    ]
}

pub(super) const CSI_STORAGE_CAPACITY: &[Column] = &[
    NAME,
    col("StorageClassName", "string", d::CSI_SC_STORAGE_CLASS_NAME),
    col("Capacity", "string", d::CSI_SC_CAPACITY),
];

pub(super) fn csi_storage_capacity(obj: &Value, _now: Timestamp) -> Vec<Value> {
    let capacity = match get(obj, &["capacity"]) {
        None => "<unset>".to_owned(),
        some => quantity::of(some),
    };
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["storageClassName"])),
        Value::from(capacity),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use serde_json::json;

    #[test]
    fn storage_class() {
        assert_eq!(
            headers("storage.k8s.io", "StorageClass"),
            [
                "Name",
                "Provisioner",
                "ReclaimPolicy",
                "VolumeBindingMode",
                "AllowVolumeExpansion",
                "Age"
            ]
        );
        let obj = json!({
            "metadata": {"name": "local-path", "creationTimestamp": ago(86400 * 30), "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "rancher.io/local-path",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer"
        });
        assert_eq!(
            row("storage.k8s.io", "StorageClass", &obj),
            [
                "local-path (default)",
                "rancher.io/local-path",
                "Delete",
                "WaitForFirstConsumer",
                "false",
                "30d"
            ]
        );
        let beta = json!({
            "metadata": {"name": "fast", "annotations": {"storageclass.beta.kubernetes.io/is-default-class": "true"}},
            "provisioner": "csi.example.com", "reclaimPolicy": "Retain", "allowVolumeExpansion": true
        });
        assert_eq!(
            row("storage.k8s.io", "StorageClass", &beta),
            [
                "fast (default)",
                "csi.example.com",
                "Retain",
                "Immediate",
                "true",
                "<unknown>"
            ]
        );
        let not_default = json!({"metadata": {"name": "slow", "annotations": {"storageclass.kubernetes.io/is-default-class": "false"}}});
        assert_eq!(
            row("storage.k8s.io", "StorageClass", &not_default)[0..3],
            ["slow", "", "Delete"]
        );
    }

    #[test]
    fn csi_driver_and_node() {
        let driver = json!({
            "metadata": {"name": "ebs.csi.aws.com", "creationTimestamp": ago(600)},
            "spec": {"attachRequired": false, "podInfoOnMount": true, "volumeLifecycleModes": ["Persistent", "Ephemeral"], "tokenRequests": [{"audience": "sts"}, {"audience": "vault"}]}
        });
        assert_eq!(
            row("storage.k8s.io", "CSIDriver", &driver),
            [
                "ebs.csi.aws.com",
                "false",
                "true",
                "false",
                "sts,vault",
                "false",
                "Persistent,Ephemeral",
                "10m"
            ]
        );
        assert_eq!(
            row(
                "storage.k8s.io",
                "CSIDriver",
                &json!({"metadata": {"name": "d"}})
            ),
            [
                "d",
                "true",
                "false",
                "false",
                "<unset>",
                "false",
                "<none>",
                "<unknown>"
            ]
        );
        let node = json!({"metadata": {"name": "node-1"}, "spec": {"drivers": [{"name": "a"}, {"name": "b"}]}});
        assert_eq!(
            row("storage.k8s.io", "CSINode", &node),
            ["node-1", "2", "<unknown>"]
        );
    }

    #[test]
    fn volume_attachment_and_capacity() {
        let cols = super::super::columns("storage.k8s.io", "VolumeAttachment").expect("printer");
        assert_eq!(cols[1].format, "name");
        let va = json!({
            "metadata": {"name": "csi-123", "creationTimestamp": ago(5)},
            "spec": {"attacher": "ebs.csi.aws.com", "nodeName": "node-1", "source": {"persistentVolumeName": "pv-1"}},
            "status": {"attached": true}
        });
        assert_eq!(
            row("storage.k8s.io", "VolumeAttachment", &va),
            ["csi-123", "ebs.csi.aws.com", "pv-1", "node-1", "true", "5s"]
        );
        let cap = json!({"metadata": {"name": "csisc-1"}, "storageClassName": "fast", "capacity": "10240Mi"});
        assert_eq!(
            row("storage.k8s.io", "CSIStorageCapacity", &cap),
            ["csisc-1", "fast", "10Gi"]
        );
        assert_eq!(
            row("storage.k8s.io", "CSIStorageCapacity", &json!({}))[2],
            "<unset>"
        );
        let vac = json!({"metadata": {"name": "gold", "annotations": {"volumeattributesclass.alpha.kubernetes.io/is-default-class": "true"}}, "driverName": "pd.csi"});
        assert_eq!(
            row("storage.k8s.io", "VolumeAttributesClass", &vac),
            ["gold (default)", "pd.csi", "<unknown>"]
        );
    }
}
