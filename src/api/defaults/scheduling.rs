//! `scheduling.k8s.io/v1`: `pkg/apis/scheduling/v1/defaults.go`.

use k8s_openapi::api::scheduling::v1::PriorityClass;
use serde_json::Value;

use super::{default_ptr, typed};

pub(super) fn apply(kind: &str, obj: &mut Value) {
    if kind == "PriorityClass" {
        typed(obj, |p: &mut PriorityClass| {
            default_ptr(&mut p.preemption_policy, "PreemptLowerPriority".to_owned());
        });
    }
}
