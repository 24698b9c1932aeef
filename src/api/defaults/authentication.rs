//! `authentication.k8s.io/v1`: `pkg/apis/authentication/v1/defaults.go`. A TokenRequest lasts an
//! hour unless it says otherwise. TokenReview and SelfSubjectReview have no defaults.

use k8s_openapi::api::authentication::v1::TokenRequest;
use serde_json::Value;

use super::{default_ptr, typed};

pub(super) fn apply(kind: &str, obj: &mut Value) {
    if kind == "TokenRequest" {
        typed(obj, |t: &mut TokenRequest| {
            default_ptr(&mut t.spec.expiration_seconds, 3600);
        });
    }
}
