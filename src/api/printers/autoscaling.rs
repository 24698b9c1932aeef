//! Printers for the `autoscaling` group: HorizontalPodAutoscaler (v1 and v2) and Scale.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::docs as d;
use super::quantity;
use super::{AGE, Column, NAME, age, arr_at, col, get, int_at, name, opt_int, str_at};

pub(super) const HPA: &[Column] = &[
    NAME,
    col("Reference", "string", d::HPA_SPEC_SCALE_TARGET_REF),
    col("Targets", "string", d::HPA_SPEC_METRICS),
    col("MinPods", "string", d::HPA_SPEC_MIN_REPLICAS),
    col("MaxPods", "string", d::HPA_SPEC_MAX_REPLICAS),
    col("Replicas", "string", d::HPA_STATUS_CURRENT_REPLICAS),
    AGE,
];

const METRICS_ANNOTATION: &str = "autoscaling.alpha.kubernetes.io/metrics";
const CURRENT_METRICS_ANNOTATION: &str = "autoscaling.alpha.kubernetes.io/current-metrics";

/// Moves `from` of `src` into `dst[to]`, filling in "0" for value-typed quantities that are
/// absent (`zero`), as the typed v1 structs would.
fn copy(src: &Value, from: &str, dst: &mut Value, to: &str, zero: bool) {
    match src.get(from).filter(|v| !v.is_null()) {
        Some(v) => dst[to] = v.clone(),
        None if zero => dst[to] = json!("0"),
        None => {}
    }
}

/// An autoscaling/v1 `MetricSpec` (kept in an annotation) in the v2 shape.
fn v1_metric_spec(m: &Value) -> Value {
    let type_ = str_at(m, &["type"]);
    let mut target = json!({});
    let key = match type_ {
        "Object" => {
            let src = get(m, &["object"]).unwrap_or(&Value::Null);
            copy(src, "targetValue", &mut target, "value", true);
            copy(src, "averageValue", &mut target, "averageValue", false);
            "object"
        }
        "Pods" => {
            let src = get(m, &["pods"]).unwrap_or(&Value::Null);
            copy(src, "targetAverageValue", &mut target, "averageValue", true);
            "pods"
        }
        "External" => {
            let src = get(m, &["external"]).unwrap_or(&Value::Null);
            copy(src, "targetValue", &mut target, "value", false);
            copy(
                src,
                "targetAverageValue",
                &mut target,
                "averageValue",
                false,
            );
            "external"
        }
        "Resource" | "ContainerResource" => {
            let key = if type_ == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let src = get(m, &[key]).unwrap_or(&Value::Null);
            copy(
                src,
                "targetAverageUtilization",
                &mut target,
                "averageUtilization",
                false,
            );
            copy(
                src,
                "targetAverageValue",
                &mut target,
                "averageValue",
                false,
            );
            return json!({"type": type_, key: {"name": str_at(src, &["name"]), "target": target}});
        }
        _ => return json!({"type": type_}),
    };
    json!({"type": type_, key: {"target": target}})
}

/// An autoscaling/v1 `MetricStatus` (kept in an annotation) in the v2 shape.
fn v1_metric_status(m: &Value) -> Value {
    let type_ = str_at(m, &["type"]);
    let mut current = json!({});
    let key = match type_ {
        "Object" => {
            let src = get(m, &["object"]).unwrap_or(&Value::Null);
            copy(src, "currentValue", &mut current, "value", true);
            copy(src, "averageValue", &mut current, "averageValue", false);
            "object"
        }
        "Pods" => {
            let src = get(m, &["pods"]).unwrap_or(&Value::Null);
            copy(
                src,
                "currentAverageValue",
                &mut current,
                "averageValue",
                true,
            );
            "pods"
        }
        "External" => {
            let src = get(m, &["external"]).unwrap_or(&Value::Null);
            copy(src, "currentValue", &mut current, "value", true);
            copy(
                src,
                "currentAverageValue",
                &mut current,
                "averageValue",
                false,
            );
            "external"
        }
        "Resource" | "ContainerResource" => {
            let key = if type_ == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let src = get(m, &[key]).unwrap_or(&Value::Null);
            copy(
                src,
                "currentAverageUtilization",
                &mut current,
                "averageUtilization",
                false,
            );
            copy(
                src,
                "currentAverageValue",
                &mut current,
                "averageValue",
                true,
            );
            return json!({"type": type_, key: {"name": str_at(src, &["name"]), "current": current}});
        }
        _ => return json!({"type": type_}),
    };
    json!({"type": type_, key: {"current": current}})
}

fn annotation_list(obj: &Value, annotation: &str) -> Option<Vec<Value>> {
    let text = get(obj, &["metadata", "annotations", annotation])?.as_str()?;
    serde_json::from_str::<Vec<Value>>(text).ok()
}

/// `spec.metrics` and `status.currentMetrics` as the internal (v2-shaped) object has them,
/// converting an autoscaling/v1 object the way upstream's conversion does.
fn metrics(obj: &Value) -> (Vec<Value>, Vec<Value>) {
    let is_v1 = str_at(obj, &["apiVersion"]) == "autoscaling/v1"
        || get(obj, &["spec", "targetCPUUtilizationPercentage"]).is_some()
        || get(obj, &["status", "currentCPUUtilizationPercentage"]).is_some();
    if !is_v1 {
        return (
            arr_at(obj, &["spec", "metrics"]).to_vec(),
            arr_at(obj, &["status", "currentMetrics"]).to_vec(),
        );
    }
    let mut specs: Vec<Value> = annotation_list(obj, METRICS_ANNOTATION)
        .unwrap_or_default()
        .iter()
        .map(v1_metric_spec)
        .collect();
    if let Some(cpu) = opt_int(obj, &["spec", "targetCPUUtilizationPercentage"]) {
        specs.push(json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}}}));
    }
    let mut statuses: Vec<Value> = Vec::new();
    if let Some(cpu) = opt_int(obj, &["status", "currentCPUUtilizationPercentage"]) {
        statuses.push(json!({"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": cpu}}}));
    }
    // The annotation, when readable, holds every current metric.
    if let Some(current) = annotation_list(obj, CURRENT_METRICS_ANNOTATION) {
        statuses = current.iter().map(v1_metric_status).collect();
    }
    (specs, statuses)
}

/// Upstream's `formatHPAMetrics`: `cpu: 50%/80%`, `<unknown>/100 (avg)`, at most two, then
/// `+ N more...`.
fn format_metrics(specs: &[Value], statuses: &[Value]) -> String {
    if specs.is_empty() {
        return "<none>".to_owned();
    }
    const MAX: usize = 2;
    let mut list: Vec<String> = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let status = statuses.get(i).unwrap_or(&Value::Null);
        let unknown = || "<unknown>".to_owned();
        let text = match str_at(spec, &["type"]) {
            kind @ ("External" | "Object") => {
                let key = if kind == "External" {
                    "external"
                } else {
                    "object"
                };
                let target = get(spec, &[key, "target"]).unwrap_or(&Value::Null);
                let current = get(status, &[key]);
                match get(target, &["averageValue"]) {
                    Some(avg) => {
                        let cur = current
                            .and_then(|c| get(c, &["current", "averageValue"]))
                            .map_or_else(unknown, |q| quantity::of(Some(q)));
                        format!("{cur}/{} (avg)", quantity::of(Some(avg)))
                    }
                    None => {
                        let cur = current.map_or_else(unknown, |c| {
                            quantity::of_ptr(get(c, &["current", "value"]))
                        });
                        format!("{cur}/{}", quantity::of_ptr(get(target, &["value"])))
                    }
                }
            }
            "Pods" => {
                let cur = get(status, &["pods"]).map_or_else(unknown, |c| {
                    quantity::of_ptr(get(c, &["current", "averageValue"]))
                });
                format!(
                    "{cur}/{}",
                    quantity::of_ptr(get(spec, &["pods", "target", "averageValue"]))
                )
            }
            kind @ ("Resource" | "ContainerResource") => {
                let key = if kind == "Resource" {
                    "resource"
                } else {
                    "containerResource"
                };
                let source = get(spec, &[key]).unwrap_or(&Value::Null);
                let resource = str_at(source, &["name"]);
                let current = get(status, &[key]);
                match get(source, &["target", "averageValue"]) {
                    Some(avg) => {
                        let cur = current.map_or_else(unknown, |c| {
                            quantity::of_ptr(get(c, &["current", "averageValue"]))
                        });
                        format!("{resource}: {cur}/{}", quantity::of(Some(avg)))
                    }
                    None => {
                        let cur = current
                            .and_then(|c| opt_int(c, &["current", "averageUtilization"]))
                            .map_or_else(unknown, |u| format!("{u}%"));
                        let target = opt_int(source, &["target", "averageUtilization"])
                            .map_or_else(|| "<auto>".to_owned(), |u| format!("{u}%"));
                        format!("{resource}: {cur}/{target}")
                    }
                }
            }
            _ => "<unknown type>".to_owned(),
        };
        list.push(text);
    }
    let count = list.len();
    if count > MAX {
        list.truncate(MAX);
        return format!("{} + {} more...", list.join(", "), count - MAX);
    }
    list.join(", ")
}

pub(super) fn hpa(obj: &Value, now: Timestamp) -> Vec<Value> {
    let reference = format!(
        "{}/{}",
        str_at(obj, &["spec", "scaleTargetRef", "kind"]),
        str_at(obj, &["spec", "scaleTargetRef", "name"])
    );
    let (specs, statuses) = metrics(obj);
    let min_pods = opt_int(obj, &["spec", "minReplicas"])
        .map_or_else(|| "<unset>".to_owned(), |n| n.to_string());
    vec![
        Value::from(name(obj)),
        Value::from(reference),
        Value::from(format_metrics(&specs, &statuses)),
        Value::from(min_pods),
        Value::from(int_at(obj, &["spec", "maxReplicas"])),
        Value::from(int_at(obj, &["status", "currentReplicas"])),
        age(obj, now),
    ]
}

pub(super) const SCALE: &[Column] = &[
    // Upstream's Scale table leaves the name column unformatted.
    col("Name", "string", d::META_NAME),
    col("Desired", "integer", d::SCALE_SPEC_REPLICAS),
    col("Available", "integer", d::SCALE_STATUS_REPLICAS),
    AGE,
];

pub(super) fn scale(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(int_at(obj, &["spec", "replicas"])),
        Value::from(int_at(obj, &["status", "replicas"])),
        age(obj, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use serde_json::{Value, json};

    fn hpa_v2(metrics: Value, current: Value) -> Value {
        json!({
            "apiVersion": "autoscaling/v2",
            "metadata": {"name": "web", "creationTimestamp": ago(3600)},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 10, "metrics": metrics},
            "status": {"currentReplicas": 3, "currentMetrics": current}
        })
    }

    fn targets(obj: &Value) -> String {
        row("autoscaling", "HorizontalPodAutoscaler", obj)[2].clone()
    }

    #[test]
    fn hpa_row() {
        assert_eq!(
            headers("autoscaling", "HorizontalPodAutoscaler"),
            [
                "Name",
                "Reference",
                "Targets",
                "MinPods",
                "MaxPods",
                "Replicas",
                "Age"
            ]
        );
        let obj = hpa_v2(
            json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]),
            json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 50, "averageValue": "250m"}}}]),
        );
        assert_eq!(
            row("autoscaling", "HorizontalPodAutoscaler", &obj),
            [
                "web",
                "Deployment/web",
                "cpu: 50%/80%",
                "1",
                "10",
                "3",
                "60m"
            ]
        );
        let unset = json!({"metadata": {"name": "x"}, "spec": {"maxReplicas": 4}});
        assert_eq!(
            row("autoscaling", "HorizontalPodAutoscaler", &unset),
            ["x", "/", "<none>", "<unset>", "4", "0", "<unknown>"]
        );
    }

    #[test]
    fn hpa_targets() {
        let cpu80 = json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}});
        let cases: Vec<(Value, Value, &str)> = vec![
            (json!([cpu80]), json!([]), "cpu: <unknown>/80%"),
            (
                json!([cpu80]),
                json!([{"type": "Resource", "resource": {"name": "cpu", "current": {}}}]),
                "cpu: <unknown>/80%",
            ),
            (
                json!([{"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "1024Mi"}}}]),
                json!([{"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "512Mi"}}}]),
                "memory: 512Mi/1Gi",
            ),
            (
                json!([{"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "1Gi"}}}]),
                json!([]),
                "memory: <unknown>/1Gi",
            ),
            (
                json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}}]),
                json!([]),
                "cpu: <unknown>/<auto>",
            ),
            (
                json!([{"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app", "target": {"type": "Utilization", "averageUtilization": 60}}}]),
                json!([{"type": "ContainerResource", "containerResource": {"name": "cpu", "container": "app", "current": {"averageUtilization": 75}}}]),
                "cpu: 75%/60%",
            ),
            (
                json!([{"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}}]),
                json!([{"type": "Pods", "pods": {"metric": {"name": "qps"}, "current": {"averageValue": "500"}}}]),
                "500/1k",
            ),
            (
                json!([{"type": "Object", "object": {"metric": {"name": "rps"}, "target": {"type": "Value", "value": "10k"}}}]),
                json!([]),
                "<unknown>/10k",
            ),
            (
                json!([{"type": "Object", "object": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": "100"}}}]),
                json!([{"type": "Object", "object": {"current": {"averageValue": "120"}}}]),
                "120/100 (avg)",
            ),
            (
                json!([{"type": "External", "external": {"metric": {"name": "queue"}, "target": {"type": "Value", "value": "30"}}}]),
                json!([{"type": "External", "external": {"current": {"value": "12"}}}]),
                "12/30",
            ),
            (
                json!([{"type": "External", "external": {"metric": {"name": "queue"}, "target": {"type": "AverageValue", "averageValue": "2"}}}]),
                json!([]),
                "<unknown>/2 (avg)",
            ),
            (json!([{"type": "Fancy"}]), json!([]), "<unknown type>"),
            (
                json!([cpu80, {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 70}}}, {"type": "Pods", "pods": {"target": {"averageValue": "1"}}}]),
                json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 5}}}]),
                "cpu: 5%/80%, memory: <unknown>/70% + 1 more...",
            ),
        ];
        for (metrics, current, want) in cases {
            assert_eq!(
                targets(&hpa_v2(metrics.clone(), current)),
                want,
                "{metrics}"
            );
        }
    }

    #[test]
    fn hpa_v1_converts_like_upstream() {
        let v1 = json!({
            "apiVersion": "autoscaling/v1",
            "metadata": {"name": "php", "creationTimestamp": ago(45)},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "php-apache"}, "minReplicas": 1, "maxReplicas": 10, "targetCPUUtilizationPercentage": 50},
            "status": {"currentReplicas": 1, "desiredReplicas": 1, "currentCPUUtilizationPercentage": 0}
        });
        assert_eq!(
            row("autoscaling", "HorizontalPodAutoscaler", &v1),
            [
                "php",
                "Deployment/php-apache",
                "cpu: 0%/50%",
                "1",
                "10",
                "1",
                "45s"
            ]
        );
        let pending =
            json!({"apiVersion": "autoscaling/v1", "spec": {"targetCPUUtilizationPercentage": 80}});
        assert_eq!(targets(&pending), "cpu: <unknown>/80%");
        // Other metrics ride in annotations and come before the CPU target.
        let annotated = json!({
            "apiVersion": "autoscaling/v1",
            "metadata": {"annotations": {
                "autoscaling.alpha.kubernetes.io/metrics": "[{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"targetAverageValue\":\"2048Mi\"}}]",
                "autoscaling.alpha.kubernetes.io/current-metrics": "[{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"currentAverageValue\":\"1Gi\"}},{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"currentAverageUtilization\":30,\"currentAverageValue\":\"100m\"}}]"
            }},
            "spec": {"targetCPUUtilizationPercentage": 80},
            "status": {"currentCPUUtilizationPercentage": 30}
        });
        assert_eq!(targets(&annotated), "memory: 1Gi/2Gi, cpu: 30%/80%");
        let no_target = json!({"apiVersion": "autoscaling/v1", "spec": {"maxReplicas": 3}});
        assert_eq!(targets(&no_target), "<none>");
    }

    #[test]
    fn scale() {
        let cols = super::super::columns("autoscaling", "Scale").expect("printer");
        assert_eq!(cols[0].format, "");
        let obj = json!({"metadata": {"name": "web", "creationTimestamp": ago(5)}, "spec": {"replicas": 3}, "status": {"replicas": 2}});
        assert_eq!(row("autoscaling", "Scale", &obj), ["web", "3", "2", "5s"]);
    }
}
