//! coordination.k8s.io/v1 Lease (`pkg/apis/coordination/validation`).

use serde_json::Value;

use super::json::{child, int, opt_str};
use super::meta::{MetaRules, NameRule, Scope, validate_meta, validate_meta_update};
use super::names::is_qualified_name;
use crate::api::field::{FieldError, Path};

fn validate_strategy(strategy: &str, path: &Path) -> Vec<FieldError> {
    if !strategy.contains('/') {
        if strategy != "OldestEmulationVersion" {
            return vec![FieldError::not_supported(
                path.child("strategy"),
                strategy,
                &["OldestEmulationVersion"],
            )];
        }
        return Vec::new();
    }
    is_qualified_name(strategy)
        .into_iter()
        .map(|m| FieldError::invalid(path.child("strategy"), strategy, m))
        .collect()
}

fn validate_lease_spec(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(d) = int(spec, "leaseDurationSeconds").filter(|d| *d <= 0) {
        errs.push(FieldError::invalid(
            path.child("leaseDurationSeconds"),
            d,
            "must be greater than 0",
        ));
    }
    if let Some(t) = int(spec, "leaseTransitions").filter(|t| *t < 0) {
        errs.push(FieldError::invalid(
            path.child("leaseTransitions"),
            t,
            "must be greater than or equal to 0",
        ));
    }
    let strategy = opt_str(spec, "strategy");
    if let Some(s) = strategy {
        errs.extend(validate_strategy(s, &path.child("strategy")));
    }
    if opt_str(spec, "preferredHolder").is_some_and(|h| !h.is_empty())
        && strategy.is_none_or(str::is_empty)
    {
        errs.push(FieldError::forbidden(
            path.child("preferredHolder"),
            "may only be specified if `strategy` is defined",
        ));
    }
    errs
}

pub fn validate_lease(lease: &Value) -> Vec<FieldError> {
    let mut errs = validate_meta(
        child(lease, "metadata"),
        &MetaRules {
            scope: Scope::Namespaced,
            name: &|n, p| NameRule::Dns1123Subdomain.check(n, p),
            kube_finalizers: false,
        },
        &Path::new("metadata"),
    );
    errs.extend(validate_lease_spec(
        child(lease, "spec"),
        &Path::new("spec"),
    ));
    errs
}

pub fn validate_lease_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_meta_update(
        child(new, "metadata"),
        child(old, "metadata"),
        &Path::new("metadata"),
    );
    errs.extend(validate_lease_spec(child(new, "spec"), &Path::new("spec")));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leases() {
        let lease = |spec: Value| json!({"metadata": {"name": "kube-scheduler", "namespace": "kube-system", "finalizers": ["custom"]}, "spec": spec});
        assert!(validate_lease(&lease(json!({"holderIdentity": "node-1", "leaseDurationSeconds": 15, "leaseTransitions": 0}))).is_empty());
        let got: Vec<String> = validate_lease(&lease(
            json!({"leaseDurationSeconds": 0, "leaseTransitions": -1, "preferredHolder": "x"}),
        ))
        .into_iter()
        .map(|e| e.to_string())
        .collect();
        assert_eq!(
            got,
            vec![
                "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
                "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
                "spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined",
            ]
        );
    }
}
