//! policy/v1: PodDisruptionBudget (`pkg/apis/policy/validation`). Its metadata is checked only
//! by the generic rules.

use serde_json::Value;

use super::apps::{not_more_than_100_percent, validate_positive_int_or_percent};
use super::gorepr;
use super::json::{arr, child, get, int_or_string, opt_str};
use super::meta::{SelectorOpts, nonneg_fields, validate_conditions, validate_label_selector};
use super::meta_update;
use crate::api::field::{FieldError, Path};

fn validate_pdb_spec(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let (min, max) = (
        int_or_string(spec, "minAvailable"),
        int_or_string(spec, "maxUnavailable"),
    );
    if min.is_some() && max.is_some() {
        errs.push(
            FieldError::invalid(
                path.clone(),
                spec.clone(),
                "minAvailable and maxUnavailable cannot be both set",
            )
            .with_value_repr(gorepr::structure("policy.PodDisruptionBudgetSpec", spec)),
        );
    }
    for (key, v) in [("minAvailable", &min), ("maxUnavailable", &max)] {
        if let Some(v) = v {
            errs.extend(validate_positive_int_or_percent(v, &path.child(key)));
            errs.extend(not_more_than_100_percent(v, &path.child(key)));
        }
    }
    errs.extend(validate_label_selector(
        get(spec, "selector"),
        SelectorOpts::default(),
        &path.child("selector"),
    ));
    if let Some(p) = opt_str(spec, "unhealthyPodEvictionPolicy")
        && p != "AlwaysAllow"
        && p != "IfHealthyBudget"
    {
        errs.push(FieldError::not_supported(
            path.child("unhealthyPodEvictionPolicy"),
            p,
            &["AlwaysAllow", "IfHealthyBudget"],
        ));
    }
    errs
}

pub fn validate_pdb(pdb: &Value) -> Vec<FieldError> {
    validate_pdb_spec(child(pdb, "spec"), &Path::new("spec"))
}

pub fn validate_pdb_update(new: &Value, _old: &Value) -> Vec<FieldError> {
    validate_pdb(new)
}

pub fn validate_pdb_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    let status = child(new, "status");
    let p = Path::new("status");
    errs.extend(validate_conditions(
        arr(status, "conditions"),
        &p.child("conditions"),
    ));
    nonneg_fields(
        &mut errs,
        status,
        &[
            "disruptionsAllowed",
            "currentHealthy",
            "desiredHealthy",
            "expectedPods",
        ],
        &p,
    );
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn pdbs() {
        let pdb = |spec: Value| json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec});
        assert!(
            validate_pdb(&pdb(
                json!({"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}})
            ))
            .is_empty()
        );
        assert!(validate_pdb(&pdb(json!({"maxUnavailable": "25%"}))).is_empty());
        assert_eq!(
            msgs(validate_pdb(&pdb(
                json!({"minAvailable": 1, "maxUnavailable": 1})
            ))),
            vec![
                "spec: Invalid value: policy.PodDisruptionBudgetSpec{MaxUnavailable:1, MinAvailable:1}: minAvailable and maxUnavailable cannot be both set"
            ]
        );
        assert_eq!(
            msgs(validate_pdb(&pdb(json!({"minAvailable": "150%"})))),
            vec![
                "spec.minAvailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not be greater than 100%"
            ]
        );
        assert_eq!(
            msgs(validate_pdb(&pdb(json!({"maxUnavailable": -1})))),
            vec!["spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0"]
        );
        assert_eq!(
            msgs(validate_pdb(&pdb(json!({"maxUnavailable": "half"})))),
            vec![
                "spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"half\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%', or '93%', regex used for validation is '[0-9]+%')"
            ]
        );
    }
}
