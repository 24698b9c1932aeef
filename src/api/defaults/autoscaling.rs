//! `autoscaling/v1` and `autoscaling/v2`: `pkg/apis/autoscaling/v{1,2}/defaults.go`.
//!
//! v2: `minReplicas: 1`; no metrics means one CPU utilization metric at 80%; a `behavior`, when
//! given, is completed rule by rule (scale up: no stabilization window, `Max` of 4 pods or 100%
//! per 15s; scale down: `Max` of 100% per 15s and no stabilization window, because the
//! controller's `--horizontal-pod-autoscaler-downscale-stabilization` flag supplies it). An HPA
//! without `behavior` keeps none.
//!
//! v1: `minReplicas: 1`. Upstream also shows `targetCPUUtilizationPercentage: 80` for a v1 HPA
//! created without a target: the object is stored as v2, where the metrics default applies on
//! the way back. With one stored version per kind we reproduce that here, unless the v1 object
//! carries other metrics in its `autoscaling.alpha.kubernetes.io/metrics` annotation.

use k8s_openapi::api::autoscaling::{v1, v2};
use serde_json::Value;

use super::{default_ptr, typed};

/// `autoscaling.DefaultCPUUtilization`.
const DEFAULT_CPU_UTILIZATION: i32 = 80;

pub(super) fn apply_v1(kind: &str, obj: &mut Value) {
    if kind == "HorizontalPodAutoscaler" {
        typed(obj, |h: &mut v1::HorizontalPodAutoscaler| {
            let other_metrics = h
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key("autoscaling.alpha.kubernetes.io/metrics"));
            if let Some(spec) = &mut h.spec {
                default_ptr(&mut spec.min_replicas, 1);
                if !other_metrics {
                    default_ptr(
                        &mut spec.target_cpu_utilization_percentage,
                        DEFAULT_CPU_UTILIZATION,
                    );
                }
            }
        });
    }
}

pub(super) fn apply_v2(kind: &str, obj: &mut Value) {
    if kind == "HorizontalPodAutoscaler" {
        typed(obj, hpa_v2);
    }
}

fn hpa_v2(h: &mut v2::HorizontalPodAutoscaler) {
    let Some(spec) = &mut h.spec else {
        return;
    };
    default_ptr(&mut spec.min_replicas, 1);
    if spec.metrics.as_ref().is_none_or(Vec::is_empty) {
        spec.metrics = Some(vec![v2::MetricSpec {
            type_: "Resource".to_owned(),
            resource: Some(v2::ResourceMetricSource {
                name: "cpu".to_owned(),
                target: v2::MetricTarget {
                    type_: "Utilization".to_owned(),
                    average_utilization: Some(DEFAULT_CPU_UTILIZATION),
                    ..Default::default()
                },
            }),
            ..Default::default()
        }]);
    }
    if let Some(b) = &mut spec.behavior {
        b.scale_up = Some(complete(b.scale_up.take(), scale_up_defaults()));
        b.scale_down = Some(complete(b.scale_down.take(), scale_down_defaults()));
    }
}

fn policy(type_: &str, value: i32, period_seconds: i32) -> v2::HPAScalingPolicy {
    v2::HPAScalingPolicy {
        type_: type_.to_owned(),
        value,
        period_seconds,
    }
}

fn scale_up_defaults() -> v2::HPAScalingRules {
    v2::HPAScalingRules {
        stabilization_window_seconds: Some(0),
        select_policy: Some("Max".to_owned()),
        policies: Some(vec![policy("Pods", 4, 15), policy("Percent", 100, 15)]),
        tolerance: None,
    }
}

fn scale_down_defaults() -> v2::HPAScalingRules {
    v2::HPAScalingRules {
        stabilization_window_seconds: None,
        select_policy: Some("Max".to_owned()),
        policies: Some(vec![policy("Percent", 100, 15)]),
        tolerance: None,
    }
}

/// `copyHPAScalingRules`: every field the user set wins over the default.
fn complete(from: Option<v2::HPAScalingRules>, mut to: v2::HPAScalingRules) -> v2::HPAScalingRules {
    let Some(from) = from else {
        return to;
    };
    if from.select_policy.is_some() {
        to.select_policy = from.select_policy;
    }
    if from.stabilization_window_seconds.is_some() {
        to.stabilization_window_seconds = from.stabilization_window_seconds;
    }
    if from.policies.is_some() {
        to.policies = from.policies;
    }
    if from.tolerance.is_some() {
        to.tolerance = from.tolerance;
    }
    to
}
