//! autoscaling: HorizontalPodAutoscaler (v1 and v2) and Scale (`pkg/apis/autoscaling/validation`).

use serde_json::Value;

use super::json::{arr, child, get, has, int, int_of, opt_str, str_of};
use super::meta::{SelectorOpts, nonneg, validate_label_selector};
use super::names::is_valid_path_segment_name;
use super::pod::dns1123_label;
use super::resources::{quantity, validate_container_resource_name};
use super::{NameRule, kube_meta, meta_update};
use crate::api::field::{FieldError, Path};

const MAX_PERIOD_SECONDS: i64 = 1800;
const MAX_STABILIZATION_WINDOW: i64 = 3600;

fn validate_cross_version_ref(r: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for key in ["kind", "name"] {
        let v = str_of(r, key);
        if v.is_empty() {
            errs.push(FieldError::required(path.child(key), ""));
        } else {
            for m in is_valid_path_segment_name(v) {
                errs.push(FieldError::invalid(path.child(key), v, m));
            }
        }
    }
    errs
}

fn positive_quantity(v: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let Some(v) = v else { return Vec::new() };
    match quantity(v, path) {
        Ok(q) if q.signum() != 1 => vec![FieldError::invalid(
            path.clone(),
            q.to_string(),
            "must be positive",
        )],
        Ok(_) => Vec::new(),
        Err(e) => vec![e],
    }
}

fn validate_metric_target(t: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ty = str_of(t, "type");
    if ty.is_empty() {
        errs.push(FieldError::required(
            path.child("type"),
            "must specify a metric target type",
        ));
    }
    if !["Utilization", "Value", "AverageValue"].contains(&ty) {
        errs.push(FieldError::invalid(
            path.child("type"),
            ty,
            "must be either Utilization, Value, or AverageValue",
        ));
    }
    errs.extend(positive_quantity(get(t, "value"), &path.child("value")));
    errs.extend(positive_quantity(
        get(t, "averageValue"),
        &path.child("averageValue"),
    ));
    if let Some(u) = int(t, "averageUtilization").filter(|u| *u < 1) {
        errs.push(FieldError::invalid(
            path.child("averageUtilization"),
            u,
            "must be greater than 0",
        ));
    }
    errs
}

fn validate_metric_identifier(id: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = str_of(id, "name");
    if name.is_empty() {
        errs.push(FieldError::required(
            path.child("name"),
            "must specify a metric name",
        ));
    } else {
        for m in is_valid_path_segment_name(name) {
            errs.push(FieldError::invalid(path.child("name"), name, m));
        }
    }
    errs.extend(validate_label_selector(
        get(id, "selector"),
        SelectorOpts::default(),
        &path.child("selector"),
    ));
    errs
}

fn validate_source(kind: &str, src: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let target = child(src, "target");
    let tp = path.child("target");
    match kind {
        "object" => {
            errs.extend(validate_cross_version_ref(
                child(src, "describedObject"),
                &path.child("describedObject"),
            ));
            errs.extend(validate_metric_identifier(
                child(src, "metric"),
                &path.child("metric"),
            ));
            errs.extend(validate_metric_target(target, &tp));
            if !has(target, "value") && !has(target, "averageValue") {
                errs.push(FieldError::required(
                    tp.child("averageValue"),
                    "must set either a target value or averageValue",
                ));
            }
        }
        "external" => {
            errs.extend(validate_metric_identifier(
                child(src, "metric"),
                &path.child("metric"),
            ));
            errs.extend(validate_metric_target(target, &tp));
            if !has(target, "value") && !has(target, "averageValue") {
                errs.push(FieldError::required(
                    tp.child("averageValue"),
                    "must set either a target value for metric or a per-pod target",
                ));
            }
            if has(target, "value") && has(target, "averageValue") {
                errs.push(FieldError::forbidden(
                    tp.child("value"),
                    "may not set both a target value for metric and a per-pod target",
                ));
            }
        }
        "pods" => {
            errs.extend(validate_metric_identifier(
                child(src, "metric"),
                &path.child("metric"),
            ));
            errs.extend(validate_metric_target(target, &tp));
            if !has(target, "averageValue") {
                errs.push(FieldError::required(
                    tp.child("averageValue"),
                    "must specify a positive target averageValue",
                ));
            }
        }
        _ => {
            let name = str_of(src, "name");
            if name.is_empty() {
                errs.push(FieldError::required(
                    path.child("name"),
                    "must specify a resource name",
                ));
            } else if kind == "containerResource" {
                errs.extend(validate_container_resource_name(name, &path.child("name")));
            }
            if kind == "containerResource" {
                let c = str_of(src, "container");
                if c.is_empty() {
                    errs.push(FieldError::required(
                        path.child("container"),
                        "must specify a container",
                    ));
                } else {
                    errs.extend(dns1123_label(c, &path.child("container")));
                }
            }
            errs.extend(validate_metric_target(target, &tp));
            if !has(target, "averageUtilization") && !has(target, "averageValue") {
                errs.push(FieldError::required(
                    tp.child("averageUtilization"),
                    "must set either a target raw value or a target utilization",
                ));
            }
            if has(target, "averageUtilization") && has(target, "averageValue") {
                errs.push(FieldError::forbidden(
                    tp.child("averageValue"),
                    "may not set both a target raw value and a target utilization",
                ));
            }
        }
    }
    errs
}

const METRIC_TYPES: &[&str] = &[
    "ContainerResource",
    "External",
    "Object",
    "Pods",
    "Resource",
];

fn validate_metric_spec(m: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ty = str_of(m, "type");
    if ty.is_empty() {
        errs.push(FieldError::required(
            path.child("type"),
            "must specify a metric source type",
        ));
    }
    if !METRIC_TYPES.contains(&ty) {
        errs.push(FieldError::not_supported(
            path.child("type"),
            ty,
            METRIC_TYPES,
        ));
    }
    let mut present: Vec<&str> = Vec::new();
    for key in [
        "object",
        "external",
        "pods",
        "resource",
        "containerResource",
    ] {
        if let Some(src) = get(m, key) {
            present.push(key);
            if present.len() == 1 {
                errs.extend(validate_source(key, src, &path.child(key)));
            }
        }
    }
    let expected = match ty {
        "Object" => "object",
        "Pods" => "pods",
        "Resource" => "resource",
        "External" => "external",
        "ContainerResource" => "containerResource",
        _ => {
            errs.push(FieldError::not_supported(
                path.child("type"),
                ty,
                METRIC_TYPES,
            ));
            ""
        }
    };
    if !expected.is_empty() && !present.contains(&expected) {
        errs.push(FieldError::required(
            path.child(expected),
            "must populate information for the given metric source",
        ));
    }
    if present.len() != 1 {
        for p in present.iter().filter(|p| **p != expected) {
            errs.push(FieldError::forbidden(
                path.child(p),
                "must populate the given metric source only",
            ));
        }
    }
    errs
}

fn validate_scaling_rules(rules: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let Some(rules) = rules else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    if let Some(w) = int(rules, "stabilizationWindowSeconds") {
        if w < 0 {
            errs.push(FieldError::invalid(
                path.child("stabilizationWindowSeconds"),
                w,
                "must be greater than or equal to zero",
            ));
        }
        if w > MAX_STABILIZATION_WINDOW {
            errs.push(FieldError::invalid(
                path.child("stabilizationWindowSeconds"),
                w,
                format!("must be less than or equal to {MAX_STABILIZATION_WINDOW}"),
            ));
        }
    }
    if let Some(sp) = opt_str(rules, "selectPolicy")
        && !["Disabled", "Max", "Min"].contains(&sp)
    {
        errs.push(FieldError::not_supported(
            path.child("selectPolicy"),
            sp,
            &["Disabled", "Max", "Min"],
        ));
    }
    for (i, p) in arr(rules, "policies").iter().enumerate() {
        let pp = path.child("policies").index(i);
        let ty = str_of(p, "type");
        if ty != "Pods" && ty != "Percent" {
            errs.push(FieldError::not_supported(
                pp.child("type"),
                ty,
                &["Percent", "Pods"],
            ));
        }
        let value = int_of(p, "value");
        if value <= 0 {
            errs.push(FieldError::invalid(
                pp.child("value"),
                value,
                "must be greater than zero",
            ));
        }
        let period = int_of(p, "periodSeconds");
        if period <= 0 {
            errs.push(FieldError::invalid(
                pp.child("periodSeconds"),
                period,
                "must be greater than zero",
            ));
        }
        if period > MAX_PERIOD_SECONDS {
            errs.push(FieldError::invalid(
                pp.child("periodSeconds"),
                period,
                format!("must be less than or equal to {MAX_PERIOD_SECONDS}"),
            ));
        }
    }
    errs
}

fn validate_hpa_spec(spec: &Value, v2: bool, min_lower_bound: i64, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let min = int(spec, "minReplicas");
    if let Some(m) = min.filter(|m| *m < min_lower_bound) {
        errs.push(FieldError::invalid(
            path.child("minReplicas"),
            m,
            format!("must be greater than or equal to {min_lower_bound}"),
        ));
    }
    let max = int_of(spec, "maxReplicas");
    if max < 1 {
        errs.push(FieldError::invalid(
            path.child("maxReplicas"),
            max,
            "must be greater than 0",
        ));
    }
    if min.is_some_and(|m| max < m) {
        errs.push(FieldError::invalid(
            path.child("maxReplicas"),
            max,
            "must be greater than or equal to `minReplicas`",
        ));
    }
    errs.extend(validate_cross_version_ref(
        child(spec, "scaleTargetRef"),
        &path.child("scaleTargetRef"),
    ));
    if v2 {
        for (i, m) in arr(spec, "metrics").iter().enumerate() {
            errs.extend(validate_metric_spec(m, &path.child("metrics").index(i)));
        }
        if let Some(b) = get(spec, "behavior") {
            errs.extend(validate_scaling_rules(
                get(b, "scaleUp"),
                &path.child("behavior").child("scaleUp"),
            ));
            errs.extend(validate_scaling_rules(
                get(b, "scaleDown"),
                &path.child("behavior").child("scaleDown"),
            ));
        }
    } else if let Some(t) = int(spec, "targetCPUUtilizationPercentage").filter(|t| *t < 1) {
        errs.push(FieldError::invalid(
            path.child("metrics")
                .index(0)
                .child("resource")
                .child("target")
                .child("averageUtilization"),
            t,
            "must be greater than 0",
        ));
    }
    errs
}

fn is_v2(hpa: &Value) -> bool {
    str_of(hpa, "apiVersion") != "autoscaling/v1"
        && !has(child(hpa, "spec"), "targetCPUUtilizationPercentage")
}

pub fn validate_hpa(hpa: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(hpa, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_hpa_spec(
        child(hpa, "spec"),
        is_v2(hpa),
        1,
        &Path::new("spec"),
    ));
    errs
}

pub fn validate_hpa_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    let bound = if int(child(old, "spec"), "minReplicas") == Some(0) {
        0
    } else {
        1
    };
    errs.extend(validate_hpa_spec(
        child(new, "spec"),
        is_v2(new),
        bound,
        &Path::new("spec"),
    ));
    errs
}

pub fn validate_hpa_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    let status = child(new, "status");
    errs.extend(nonneg(
        Path::new("status").child("currentReplicas"),
        int_of(status, "currentReplicas"),
    ));
    errs.extend(nonneg(
        Path::new("status").child("desiredReplicas"),
        int_of(status, "desiredReplicas"),
    ));
    errs
}

pub fn validate_scale(scale: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(scale, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    let replicas = int_of(child(scale, "spec"), "replicas");
    if replicas < 0 {
        errs.push(FieldError::invalid(
            Path::new("spec").child("replicas"),
            replicas,
            "must be greater than or equal to 0",
        ));
    }
    errs
}

pub fn validate_scale_update(new: &Value, _old: &Value) -> Vec<FieldError> {
    validate_scale(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.to_string()).collect()
    }

    fn hpa(spec: Value) -> Value {
        json!({"apiVersion": "autoscaling/v2", "metadata": {"name": "web", "namespace": "default"}, "spec": spec})
    }

    #[test]
    fn hpas() {
        let target = json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"});
        assert!(validate_hpa(&hpa(json!({"scaleTargetRef": target, "minReplicas": 1, "maxReplicas": 5,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}]}))).is_empty());
        assert_eq!(
            msgs(validate_hpa(&hpa(
                json!({"scaleTargetRef": {}, "minReplicas": 3, "maxReplicas": 2})
            ))),
            vec![
                "spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`",
                "spec.scaleTargetRef.kind: Required value",
                "spec.scaleTargetRef.name: Required value",
            ]
        );
        assert_eq!(
            msgs(validate_hpa(&hpa(
                json!({"scaleTargetRef": target, "minReplicas": 0, "maxReplicas": 0})
            ))),
            vec![
                "spec.minReplicas: Invalid value: 0: must be greater than or equal to 1",
                "spec.maxReplicas: Invalid value: 0: must be greater than 0",
            ]
        );
        assert_eq!(
            msgs(validate_hpa(&hpa(
                json!({"scaleTargetRef": target, "maxReplicas": 3,
                "metrics": [{"type": "Resource", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}}]})
            ))),
            vec![
                "spec.metrics[0].resource: Required value: must populate information for the given metric source",
            ]
        );
        assert_eq!(
            msgs(validate_hpa(&hpa(
                json!({"scaleTargetRef": target, "maxReplicas": 3,
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 4000, "policies": [{"type": "Pods", "value": 0, "periodSeconds": 60}]}}})
            ))),
            vec![
                "spec.behavior.scaleDown.stabilizationWindowSeconds: Invalid value: 4000: must be less than or equal to 3600",
                "spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero",
            ]
        );
    }
}
