//! scheduling.k8s.io/v1 PriorityClass and node.k8s.io/v1 RuntimeClass.

use serde_json::Value;

use super::json::{child, get, int_of, opt_str, str_of, str_or};
use super::meta::{IMMUTABLE, validate_labels};
use super::pod::{dns1123_label, validate_preemption_policy, validate_tolerations};
use super::resources::validate_resource_requirements;
use super::{NameRule, kube_meta, meta_update};
use crate::api::field::{FieldError, Path};

const HIGHEST_USER_PRIORITY: i64 = 1_000_000_000;
const SYSTEM_CLASSES: &[(&str, i64)] = &[
    ("system-node-critical", 2_000_001_000),
    ("system-cluster-critical", 2_000_000_000),
];

fn known_system_class(name: &str, value: i64, global_default: bool) -> Result<(), String> {
    match SYSTEM_CLASSES.iter().find(|(n, _)| *n == name) {
        Some((_, v)) if *v != value => Err(format!("value of {name} PriorityClass must be {v}")),
        Some(_) if global_default => Err(format!(
            "globalDefault of {name} PriorityClass must be false"
        )),
        Some(_) => Ok(()),
        None => Err(format!("{name} is not a known system priority class")),
    }
}

pub fn validate_priority_class(pc: &Value) -> Vec<FieldError> {
    let meta = child(pc, "metadata");
    let mut errs = kube_meta(
        meta,
        false,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    let name = str_of(meta, "name");
    let value = int_of(pc, "value");
    if name.starts_with("system-") {
        let global_default = pc
            .get("globalDefault")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let Err(e) = known_system_class(name, value, global_default) {
            errs.push(FieldError::forbidden(
                Path::new("metadata").child("name"),
                format!("priority class names with 'system-' prefix are reserved for system use only. error: {e}"),
            ));
        }
    } else if value > HIGHEST_USER_PRIORITY {
        errs.push(FieldError::forbidden(
            Path::new("value"),
            format!("maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}"),
        ));
    }
    if let Some(pp) = opt_str(pc, "preemptionPolicy") {
        errs.extend(validate_preemption_policy(
            pp,
            &Path::new("preemptionPolicy"),
        ));
    }
    errs
}

pub fn validate_priority_class_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    if int_of(new, "value") != int_of(old, "value") {
        errs.push(FieldError::forbidden(
            Path::new("value"),
            "may not be changed in an update.",
        ));
    }
    let (np, op) = (
        str_or(new, "preemptionPolicy", "PreemptLowerPriority"),
        str_or(old, "preemptionPolicy", "PreemptLowerPriority"),
    );
    if np != op {
        errs.push(FieldError::invalid(
            Path::new("preemptionPolicy"),
            np,
            IMMUTABLE,
        ));
    }
    errs
}

pub fn validate_runtime_class(rc: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(rc, "metadata"),
        false,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    let handler = str_of(rc, "handler");
    errs.extend(dns1123_label(handler, &Path::new("handler")));
    if let Some(overhead) = get(rc, "overhead") {
        let wrapped = serde_json::json!({"limits": child(overhead, "podFixed")});
        let mut inner =
            validate_resource_requirements(&wrapped, &[], &Path::new("overhead").child("podFixed"));
        for e in &mut inner {
            let s = e
                .field
                .as_str()
                .replace("overhead.podFixed.limits", "overhead.podFixed");
            e.field = Path::new(&s);
        }
        errs.extend(inner);
    }
    if let Some(s) = get(rc, "scheduling") {
        let sp = Path::new("scheduling");
        errs.extend(validate_labels(
            s,
            "nodeSelector",
            &sp.child("nodeSelector"),
        ));
        errs.extend(validate_tolerations(
            super::json::arr(s, "tolerations"),
            &sp.child("tolerations"),
        ));
    }
    errs
}

pub fn validate_runtime_class_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_runtime_class(new));
    if str_of(new, "handler") != str_of(old, "handler") {
        errs.push(FieldError::invalid(
            Path::new("handler"),
            str_of(new, "handler"),
            IMMUTABLE,
        ));
    }
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
    fn priority_classes() {
        assert!(
            validate_priority_class(&json!({"metadata": {"name": "high"}, "value": 1000}))
                .is_empty()
        );
        assert!(
            validate_priority_class(
                &json!({"metadata": {"name": "system-node-critical"}, "value": 2_000_001_000})
            )
            .is_empty()
        );
        assert_eq!(
            msgs(validate_priority_class(
                &json!({"metadata": {"name": "huge"}, "value": 2_000_000_000_i64})
            )),
            vec![
                "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"
            ]
        );
        assert_eq!(
            msgs(validate_priority_class(
                &json!({"metadata": {"name": "system-mine"}, "value": 1})
            )),
            vec![
                "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"
            ]
        );
        assert_eq!(
            msgs(validate_priority_class(
                &json!({"metadata": {"name": "p"}, "value": 1, "preemptionPolicy": "Sometimes"})
            )),
            vec![
                "preemptionPolicy: Unsupported value: \"Sometimes\": supported values: \"PreemptLowerPriority\", \"Never\""
            ]
        );
        let old = json!({"metadata": {"name": "p", "resourceVersion": "1"}, "value": 1});
        let new = json!({"metadata": {"name": "p", "resourceVersion": "1"}, "value": 2});
        assert_eq!(
            msgs(validate_priority_class_update(&new, &old)),
            vec!["value: Forbidden: may not be changed in an update."]
        );
    }

    #[test]
    fn runtime_classes() {
        assert!(
            validate_runtime_class(&json!({"metadata": {"name": "gvisor"}, "handler": "runsc"}))
                .is_empty()
        );
        assert_eq!(
            msgs(validate_runtime_class(
                &json!({"metadata": {"name": "x"}, "handler": "Run_SC"})
            ))
            .len(),
            1
        );
    }
}
