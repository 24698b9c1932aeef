//! `apiregistration.k8s.io/v1`: `kube-aggregator/pkg/apis/apiregistration/v1/defaults.go`. A
//! service reference's port is 443 unless given.

use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService;
use serde_json::Value;

use super::{default_ptr, typed};

pub(super) fn apply(kind: &str, obj: &mut Value) {
    if kind == "APIService" {
        typed(obj, |a: &mut APIService| {
            if let Some(s) = a.spec.as_mut().and_then(|s| s.service.as_mut()) {
                default_ptr(&mut s.port, 443);
            }
        });
    }
}
