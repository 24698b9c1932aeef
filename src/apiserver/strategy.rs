//! Per-kind write rules that are not defaulting or validation (upstream's REST "strategies"):
//! what a create resets, what an update may not change, when `generation` moves.

use serde_json::{Map, Value, json};

use crate::api::meta;
use crate::api::registry::Resource;

/// Kinds whose `metadata.generation` tracks changes of the desired state.
pub fn tracks_generation(res: &Resource) -> bool {
    matches!(
        res.gvk.group.as_str(),
        "apps"
            | "batch"
            | "autoscaling"
            | "policy"
            | "networking.k8s.io"
            | "apiextensions.k8s.io"
            | "scheduling.k8s.io"
    ) || res.is_custom()
}

/// Upstream returns the deleted object for these; a success Status for the others.
pub fn returns_deleted_object(res: &Resource) -> bool {
    res.gvk.group.is_empty()
        && matches!(
            res.plural.as_str(),
            "pods" | "services" | "namespaces" | "nodes"
        )
}

/// Resets what a client may not set on create.
pub fn prepare_create(res: &Resource, obj: &mut Value) {
    if tracks_generation(res) {
        meta::set(obj, "generation", 1);
    }
    if res.gvk.group == "apiextensions.k8s.io" && res.gvk.kind == "CustomResourceDefinition" {
        let mut finalizers = meta::finalizers(obj);
        if !finalizers
            .iter()
            .any(|f| f == super::crds::CLEANUP_FINALIZER)
        {
            finalizers.push(super::crds::CLEANUP_FINALIZER.to_owned());
            meta::set_finalizers(obj, &finalizers);
        }
    }
    if res.gvk.group == "batch" && res.gvk.kind == "Job" {
        generate_job_selector(obj);
    }
    let Some(o) = obj.as_object_mut() else { return };
    match (res.gvk.group.as_str(), res.gvk.kind.as_str()) {
        ("", "Pod") => {
            let qos = pod_qos_class(o.get("spec"));
            o.insert(
                "status".into(),
                json!({"phase": "Pending", "qosClass": qos}),
            );
        }
        ("", "Namespace") => {
            o.insert("status".into(), json!({"phase": "Active"}));
            let spec = o.entry("spec").or_insert_with(|| json!({}));
            if spec.get("finalizers").is_none() {
                spec["finalizers"] = json!(["kubernetes"]);
            }
        }
        ("", "Service") => {
            o.insert("status".into(), json!({"loadBalancer": {}}));
        }
        ("", "PersistentVolume") | ("", "PersistentVolumeClaim") => {
            o.insert("status".into(), json!({"phase": "Pending"}));
        }
        // Nodes register with their status.
        ("", "Node") => {}
        // Custom resources with a status subresource start without one.
        _ if res.is_custom() && res.has_status() => {
            o.remove("status");
        }
        _ if res.has_status() => {
            o.insert("status".into(), json!({}));
        }
        _ => {}
    }
}

/// Upstream's Job `generateSelector`: unless `manualSelector` is true, the template is labelled
/// with the Job's uid and name (current and legacy keys) and the selector matches the uid.
fn generate_job_selector(job: &mut Value) {
    if job["spec"]["manualSelector"].as_bool() == Some(true) {
        return;
    }
    let uid = meta::uid(job).to_owned();
    let name = meta::name(job).to_owned();
    let Some(spec) = job.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let template = spec.entry("template").or_insert_with(|| json!({}));
    if !template["metadata"].is_object() {
        template["metadata"] = json!({});
    }
    if !template["metadata"]["labels"].is_object() {
        template["metadata"]["labels"] = json!({});
    }
    let labels = &mut template["metadata"]["labels"];
    for (key, value) in [
        ("batch.kubernetes.io/controller-uid", &uid),
        ("batch.kubernetes.io/job-name", &name),
        ("controller-uid", &uid),
        ("job-name", &name),
    ] {
        // A conflicting label set by the user is left for validation to reject.
        if labels.get(key).is_none() {
            labels[key] = json!(value);
        }
    }
    if spec.get("selector").is_none() {
        spec.insert(
            "selector".into(),
            json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
        );
    }
}

/// Keeps what a main-resource update may not change, and moves `generation`.
pub fn prepare_update(res: &Resource, new: &mut Value, old: &Value) {
    keep_system_metadata(new, old);
    if res.has_status() {
        match old.get("status") {
            Some(status) => {
                new["status"] = status.clone();
            }
            None => {
                if let Some(o) = new.as_object_mut() {
                    o.remove("status");
                }
            }
        }
    }
    bump_generation(res, new, old);
}

/// A status-subresource update changes only the status: everything else comes from `old`,
/// except labels and annotations, which upstream lets status writers touch for some kinds (we
/// keep the old ones, the conservative choice).
pub fn prepare_status_update(new: &mut Value, old: &Value) {
    let status = new.get("status").cloned();
    let rv = meta::resource_version(new).to_owned();
    *new = old.clone();
    match status {
        Some(s) => new["status"] = s,
        None => {
            if let Some(o) = new.as_object_mut() {
                o.remove("status");
            }
        }
    }
    meta::set(new, "resourceVersion", rv);
}

/// Metadata only the server sets.
pub fn keep_system_metadata(new: &mut Value, old: &Value) {
    let old_meta = meta::metadata(old).cloned().unwrap_or_default();
    let m = meta::metadata_mut(new);
    for field in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
    ] {
        match old_meta.get(field) {
            Some(v) => {
                m.insert(field.into(), v.clone());
            }
            None => {
                m.remove(field);
            }
        }
    }
    m.remove("selfLink");
}

fn bump_generation(res: &Resource, new: &mut Value, old: &Value) {
    if !tracks_generation(res) {
        return;
    }
    let desired = |v: &Value| -> Map<String, Value> {
        let mut m = v.as_object().cloned().unwrap_or_default();
        m.remove("metadata");
        m.remove("status");
        m
    };
    let generation = meta::generation(old).max(1);
    let deleting_changed = meta::deletion_timestamp(new) != meta::deletion_timestamp(old);
    if desired(new) != desired(old) || deleting_changed {
        meta::set(new, "generation", generation + 1);
    } else {
        meta::set(new, "generation", generation);
    }
}

/// Upstream's QoS class: Guaranteed when every container has equal cpu and memory requests and
/// limits, BestEffort when none has any, Burstable otherwise.
fn pod_qos_class(spec: Option<&Value>) -> &'static str {
    let containers: Vec<&Value> = ["containers", "initContainers"]
        .iter()
        .filter_map(|k| spec.and_then(|s| s.get(*k)).and_then(Value::as_array))
        .flatten()
        .collect();
    let mut any = false;
    let mut guaranteed = true;
    for c in &containers {
        let requests = c.pointer("/resources/requests").and_then(Value::as_object);
        let limits = c.pointer("/resources/limits").and_then(Value::as_object);
        let nonzero = |m: Option<&Map<String, Value>>, k: &str| {
            m.and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .is_some_and(|q| q != "0")
        };
        for r in ["cpu", "memory"] {
            if nonzero(requests, r) || nonzero(limits, r) {
                any = true;
            }
            let limit = limits.and_then(|m| m.get(r));
            let request = requests.and_then(|m| m.get(r)).or(limit);
            if limit.is_none() || request != limit {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed && !containers.is_empty() {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_classes() {
        let c = |res: Value| json!({"containers": [{"name": "a", "resources": res}]});
        assert_eq!(pod_qos_class(Some(&c(json!({})))), "BestEffort");
        assert_eq!(
            pod_qos_class(Some(&c(json!({"limits": {"cpu": "1", "memory": "1Gi"}})))),
            "Guaranteed"
        );
        assert_eq!(
            pod_qos_class(Some(&c(json!({"requests": {"cpu": "1"}})))),
            "Burstable"
        );
    }
}
