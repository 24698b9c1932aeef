//! Resource names and quantities: container requests/limits, quota and limit-range names
//! (`helper.IsStandard…ResourceName` and `validateResourceRequirements` upstream).

use serde_json::Value;

use super::json::{arr, obj, str_of};
use super::meta::validate_label_name;
use super::names::is_qualified_name;
use crate::api::field::{FieldError, Path};
use crate::api::quantity::Quantity;

const STANDARD_CONTAINER_RESOURCES: &[&str] = &["cpu", "memory", "ephemeral-storage"];
const STANDARD_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "storage",
    "requests.storage",
    "services.nodeports",
    "services.loadbalancers",
];
const STANDARD_QUOTA_RESOURCES: &[&str] = &[
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
    "requests.storage",
    "cpu",
    "memory",
    "ephemeral-storage",
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "persistentvolumeclaims",
    "configmaps",
    "services.nodeports",
    "services.loadbalancers",
];
const INTEGER_RESOURCES: &[&str] = &[
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
];

pub fn is_huge_page(name: &str) -> bool {
    name.starts_with("hugepages-")
}

fn is_quota_huge_page(name: &str) -> bool {
    name.starts_with("hugepages-") || name.starts_with("requests.hugepages-")
}

/// Names without a domain, or in `kubernetes.io`.
pub fn is_native(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

fn is_extended(name: &str) -> bool {
    if is_native(name) || name.starts_with("requests.") {
        return false;
    }
    is_qualified_name(&format!("requests.{name}")).is_empty()
}

/// Resources whose requests may be below their limits.
pub fn is_overcommit_allowed(name: &str) -> bool {
    is_native(name) && !is_huge_page(name)
}

fn is_integer(name: &str) -> bool {
    INTEGER_RESOURCES.contains(&name) || is_extended(name)
}

/// `validateResourceName`: a qualified name, standard when unprefixed.
pub fn validate_resource_name(name: &str, path: &Path) -> Vec<FieldError> {
    let errs = validate_label_name(name, path);
    if !errs.is_empty() {
        return errs;
    }
    if !(name.contains('/') || STANDARD_RESOURCES.contains(&name) || is_quota_huge_page(name)) {
        return vec![FieldError::invalid(
            path.clone(),
            name,
            "must be a standard resource type or fully qualified",
        )];
    }
    Vec::new()
}

/// `validateContainerResourceName`.
pub fn validate_container_resource_name(name: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_resource_name(name, path);
    if !name.contains('/') {
        if !(STANDARD_CONTAINER_RESOURCES.contains(&name) || is_huge_page(name)) {
            errs.push(FieldError::invalid(
                path.clone(),
                name,
                "must be a standard resource for containers",
            ));
        }
    } else if !is_native(name) && !is_extended(name) {
        errs.push(FieldError::invalid(
            path.clone(),
            name,
            "doesn't follow extended resource name standard",
        ));
    }
    errs
}

/// `ValidateResourceQuotaResourceName`.
pub fn validate_quota_resource_name(name: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_resource_name(name, path);
    if !(name.contains('/') || STANDARD_QUOTA_RESOURCES.contains(&name) || is_quota_huge_page(name))
    {
        errs.push(FieldError::invalid(
            path.clone(),
            name,
            "must be a standard resource for quota",
        ));
    }
    errs
}

/// Parse a quantity field; a malformed one is reported (upstream rejects it while decoding).
pub fn quantity(v: &Value, path: &Path) -> Result<Quantity, FieldError> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    Quantity::parse(&text).map_err(|e| FieldError::invalid(path.clone(), text, e.to_string()))
}

/// `ValidateNonnegativeQuantity` + integer resources (`ValidateResourceQuantityValue`).
pub fn validate_quantity_value(resource: &str, q: &Quantity, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if q.signum() < 0 {
        errs.push(FieldError::invalid(
            path.clone(),
            q.to_string(),
            "must be greater than or equal to 0",
        ));
    }
    if is_integer(resource) && q.milli_value() % 1000 != 0 {
        errs.push(FieldError::invalid(
            path.clone(),
            q.to_string(),
            "must be an integer",
        ));
    }
    errs
}

/// `ValidatePositiveQuantityValue`.
pub fn validate_positive_quantity(q: &Quantity, path: &Path) -> Vec<FieldError> {
    if q.signum() <= 0 {
        vec![FieldError::invalid(
            path.clone(),
            q.to_string(),
            "must be greater than zero",
        )]
    } else {
        Vec::new()
    }
}

/// The entries of a resource list (sorted by name), parsed.
pub fn resource_list<'a>(
    v: &'a Value,
    key: &str,
    path: &Path,
    errs: &mut Vec<FieldError>,
) -> Vec<(&'a str, Quantity)> {
    let Some(map) = obj(v, key) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut names: Vec<&String> = map.keys().collect();
    names.sort();
    for name in names {
        match quantity(&map[name.as_str()], &path.key(name)) {
            Ok(q) => out.push((name.as_str(), q)),
            Err(e) => errs.push(e),
        }
    }
    out
}

/// Container (and overhead) resource requirements.
pub fn validate_resource_requirements(
    req: &Value,
    pod_claims: &[&str],
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let lim_path = path.child("limits");
    let req_path = path.child("requests");
    let limits = resource_list(req, "limits", &lim_path, &mut errs);
    let requests = resource_list(req, "requests", &req_path, &mut errs);
    let (mut lim_cpu_mem, mut req_cpu_mem, mut lim_huge, mut req_huge) =
        (false, false, false, false);
    for (name, q) in &limits {
        let p = lim_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        errs.extend(validate_quantity_value(name, q, &p));
        if is_huge_page(name) {
            lim_huge = true;
        }
        if *name == "cpu" || *name == "memory" {
            lim_cpu_mem = true;
        }
    }
    for (name, q) in &requests {
        let p = req_path.key(name);
        errs.extend(validate_container_resource_name(name, &p));
        errs.extend(validate_quantity_value(name, q, &p));
        match limits.iter().find(|(n, _)| n == name) {
            Some((_, limit)) => {
                if q != limit && !is_overcommit_allowed(name) {
                    errs.push(FieldError::invalid(
                        req_path.clone(),
                        q.to_string(),
                        format!("must be equal to {name} limit of {limit}"),
                    ));
                } else if q > limit {
                    errs.push(FieldError::invalid(
                        req_path.clone(),
                        q.to_string(),
                        format!("must be less than or equal to {name} limit of {limit}"),
                    ));
                }
            }
            None if !is_overcommit_allowed(name) => errs.push(FieldError::required(
                lim_path.clone(),
                "Limit must be set for non overcommitable resources",
            )),
            None => {}
        }
        if is_huge_page(name) {
            req_huge = true;
        }
        if *name == "cpu" || *name == "memory" {
            req_cpu_mem = true;
        }
    }
    if !lim_cpu_mem && !req_cpu_mem && (lim_huge || req_huge) {
        errs.push(FieldError::forbidden(
            path.clone(),
            "HugePages require cpu or memory",
        ));
    }
    errs.extend(validate_claim_names(req, pod_claims, &path.child("claims")));
    errs
}

fn validate_claim_names(req: &Value, pod_claims: &[&str], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (i, claim) in arr(req, "claims").iter().enumerate() {
        let name = str_of(claim, "name");
        if name.is_empty() {
            errs.push(FieldError::required(path.index(i), ""));
            continue;
        }
        let request = str_of(claim, "request");
        let key = if request.is_empty() {
            name.to_owned()
        } else {
            format!("{name}/{request}")
        };
        if seen.contains(&key) || seen.iter().any(|s| s == name) {
            errs.push(FieldError::duplicate(path.index(i), key.clone()));
        }
        seen.push(key);
        if !pod_claims.contains(&name) {
            let mut e = FieldError::not_found(path.index(i), name);
            e.detail = if pod_claims.is_empty() {
                "must be one of the names in pod.spec.resourceClaims which is empty".to_owned()
            } else {
                format!(
                    "must be one of the names in pod.spec.resourceClaims: {}",
                    pod_claims.join(", ")
                )
            };
            errs.push(e);
        }
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
    fn requirements() {
        let p = Path::new("spec")
            .child("containers")
            .index(0)
            .child("resources");
        assert!(validate_resource_requirements(
            &json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "512Mi"}}),
            &[],
            &p
        )
        .is_empty());
        assert_eq!(
            msgs(validate_resource_requirements(
                &json!({"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}),
                &[],
                &p
            )),
            vec![
                "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1"
            ]
        );
        assert_eq!(
            msgs(validate_resource_requirements(
                &json!({"requests": {"cpu": "-1"}}),
                &[],
                &p
            )),
            vec![
                "spec.containers[0].resources.requests[cpu]: Invalid value: \"-1\": must be greater than or equal to 0"
            ]
        );
        assert_eq!(
            msgs(validate_resource_requirements(
                &json!({"limits": {"gpus": "1"}}),
                &[],
                &p
            )),
            vec![
                "spec.containers[0].resources.limits[gpus]: Invalid value: \"gpus\": must be a standard resource type or fully qualified",
                "spec.containers[0].resources.limits[gpus]: Invalid value: \"gpus\": must be a standard resource for containers",
            ]
        );
        assert_eq!(
            msgs(validate_resource_requirements(
                &json!({"limits": {"example.com/gpu": "1.5"}, "requests": {"example.com/gpu": "1"}}),
                &[],
                &p
            )),
            vec![
                "spec.containers[0].resources.limits[example.com/gpu]: Invalid value: \"1500m\": must be an integer",
                "spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to example.com/gpu limit of 1500m",
            ]
        );
        assert_eq!(
            msgs(validate_resource_requirements(
                &json!({"requests": {"cpu": "lots"}}),
                &[],
                &p
            )),
            vec![
                "spec.containers[0].resources.requests[cpu]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
            ]
        );
        assert_eq!(
            msgs(validate_resource_requirements(
                &json!({"limits": {"hugepages-2Mi": "2Mi"}, "requests": {"hugepages-2Mi": "2Mi"}}),
                &[],
                &p
            )),
            vec!["spec.containers[0].resources: Forbidden: HugePages require cpu or memory"]
        );
    }

    #[test]
    fn names() {
        let p = Path::new("spec").child("hard").key("x");
        assert!(validate_quota_resource_name("requests.cpu", &p).is_empty());
        assert!(validate_quota_resource_name("count/pods", &p).is_empty());
        assert_eq!(
            msgs(validate_quota_resource_name("storage", &p)),
            vec!["spec.hard[x]: Invalid value: \"storage\": must be a standard resource for quota"]
        );
    }
}
