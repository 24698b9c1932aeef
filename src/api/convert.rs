//! Conversion between served versions and storage versions, for the resources upstream serves in
//! several shapes: events (core/v1 ↔ events.k8s.io/v1) and HorizontalPodAutoscalers
//! (autoscaling/v1 ↔ autoscaling/v2). Everything else is stored as served.

use serde_json::{Map, Value, json};

use super::registry::Resource;

/// True when the stored form is what this resource serves (no conversion needed).
pub fn is_identity(res: &Resource) -> bool {
    if res.is_custom() {
        return res.gvk.version == res.storage_version;
    }
    !matches!(
        (
            res.gvk.group.as_str(),
            res.gvk.version.as_str(),
            res.gvk.kind.as_str()
        ),
        ("events.k8s.io", "v1", "Event") | ("autoscaling", "v1", "HorizontalPodAutoscaler")
    )
}

/// Converts an object from the resource's served version to its storage version.
pub fn to_storage(res: &Resource, obj: Value) -> Value {
    if res.is_custom() {
        return custom_version(obj, &res.gvk.group, &res.storage_version);
    }
    match (
        res.gvk.group.as_str(),
        res.gvk.version.as_str(),
        res.gvk.kind.as_str(),
    ) {
        ("events.k8s.io", "v1", "Event") => events_v1_to_core(obj),
        ("autoscaling", "v1", "HorizontalPodAutoscaler") => hpa_v1_to_v2(obj),
        _ => obj,
    }
}

/// Converts a stored object to the resource's served version.
pub fn from_storage(res: &Resource, obj: Value) -> Value {
    if res.is_custom() {
        return custom_version(obj, &res.gvk.group, &res.gvk.version);
    }
    match (
        res.gvk.group.as_str(),
        res.gvk.version.as_str(),
        res.gvk.kind.as_str(),
    ) {
        ("events.k8s.io", "v1", "Event") => core_to_events_v1(obj),
        ("autoscaling", "v1", "HorizontalPodAutoscaler") => hpa_v2_to_v1(obj),
        _ => obj,
    }
}

/// Custom resources convert with strategy `None`: only the apiVersion changes.
fn custom_version(mut obj: Value, group: &str, version: &str) -> Value {
    if let Some(o) = obj.as_object_mut() {
        o.insert("apiVersion".into(), json!(format!("{group}/{version}")));
    }
    obj
}

/// Moves `from` of `src` to `to` of `dst` when present.
fn mv(src: &mut Map<String, Value>, from: &str, dst: &mut Map<String, Value>, to: &str) {
    if let Some(v) = src.remove(from) {
        if !v.is_null() {
            dst.insert(to.to_owned(), v);
        }
    }
}

const EVENT_RENAMES: &[(&str, &str)] = &[
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("reportingController", "reportingComponent"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
];
const EVENT_SHARED: &[&str] = &[
    "metadata",
    "reason",
    "type",
    "eventTime",
    "series",
    "action",
    "related",
    "reportingInstance",
];

fn events_v1_to_core(obj: Value) -> Value {
    let Value::Object(mut src) = obj else {
        return obj;
    };
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!("v1"));
    out.insert("kind".into(), json!("Event"));
    for (from, to) in EVENT_RENAMES {
        mv(&mut src, from, &mut out, to);
    }
    for f in EVENT_SHARED {
        mv(&mut src, f, &mut out, f);
    }
    Value::Object(out)
}

fn core_to_events_v1(obj: Value) -> Value {
    let Value::Object(mut src) = obj else {
        return obj;
    };
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!("events.k8s.io/v1"));
    out.insert("kind".into(), json!("Event"));
    for (to, from) in EVENT_RENAMES {
        mv(&mut src, from, &mut out, to);
    }
    for f in EVENT_SHARED {
        mv(&mut src, f, &mut out, f);
    }
    // Events recorded the old way have no eventTime; v1 readers expect one.
    if !out.contains_key("eventTime") {
        out.insert("eventTime".into(), Value::Null);
    }
    Value::Object(out)
}

fn hpa_v1_to_v2(obj: Value) -> Value {
    let Value::Object(mut o) = obj else {
        return obj;
    };
    o.insert("apiVersion".into(), json!("autoscaling/v2"));
    if let Some(spec) = o.get_mut("spec").and_then(Value::as_object_mut) {
        if let Some(cpu) = spec
            .remove("targetCPUUtilizationPercentage")
            .filter(|v| !v.is_null())
        {
            spec.insert(
                "metrics".into(),
                json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}}}]),
            );
        }
    }
    if let Some(status) = o.get_mut("status").and_then(Value::as_object_mut) {
        if let Some(cpu) = status
            .remove("currentCPUUtilizationPercentage")
            .filter(|v| !v.is_null())
        {
            status.insert(
                "currentMetrics".into(),
                json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": cpu}}}]),
            );
        }
    }
    Value::Object(o)
}

fn hpa_v2_to_v1(obj: Value) -> Value {
    let Value::Object(mut o) = obj else {
        return obj;
    };
    o.insert("apiVersion".into(), json!("autoscaling/v1"));
    let is_cpu = |m: &&Value| m["type"] == "Resource" && m["resource"]["name"] == "cpu";
    if let Some(spec) = o.get_mut("spec").and_then(Value::as_object_mut) {
        let cpu = spec
            .get("metrics")
            .and_then(Value::as_array)
            .and_then(|ms| ms.iter().find(is_cpu))
            .and_then(|m| m["resource"]["target"].get("averageUtilization").cloned());
        spec.remove("metrics");
        spec.remove("behavior");
        if let Some(cpu) = cpu {
            spec.insert("targetCPUUtilizationPercentage".into(), cpu);
        }
    }
    if let Some(status) = o.get_mut("status").and_then(Value::as_object_mut) {
        let cpu = status
            .get("currentMetrics")
            .and_then(Value::as_array)
            .and_then(|ms| ms.iter().find(is_cpu))
            .and_then(|m| m["resource"]["current"].get("averageUtilization").cloned());
        status.remove("currentMetrics");
        status.remove("conditions");
        if let Some(cpu) = cpu {
            status.insert("currentCPUUtilizationPercentage".into(), cpu);
        }
    }
    Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::registry::Registry;

    #[test]
    fn events_round_trip() {
        let reg = Registry::built_in();
        let res = reg.get("events.k8s.io", "v1", "events").unwrap();
        let v1 = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
            "regarding": {"kind": "Pod", "name": "p"}, "note": "hello", "reason": "Started", "type": "Normal",
            "reportingController": "kubelet", "reportingInstance": "n1", "eventTime": "2026-01-01T00:00:00.000000Z", "action": "Start"});
        let core = to_storage(res, v1.clone());
        assert_eq!(core["involvedObject"]["name"], "p");
        assert_eq!(core["message"], "hello");
        assert_eq!(core["apiVersion"], "v1");
        assert_eq!(from_storage(res, core), v1);
    }

    #[test]
    fn hpa_round_trip() {
        let reg = Registry::built_in();
        let res = reg
            .get("autoscaling", "v1", "horizontalpodautoscalers")
            .unwrap();
        let v1 = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d", "apiVersion": "apps/v1"}, "minReplicas": 1, "maxReplicas": 5, "targetCPUUtilizationPercentage": 80},
            "status": {"currentReplicas": 1, "desiredReplicas": 1, "currentCPUUtilizationPercentage": 10}});
        let v2 = to_storage(res, v1.clone());
        assert_eq!(
            v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"],
            80
        );
        assert_eq!(from_storage(res, v2), v1);
    }
}
