//! LimitRanger (upstream's admission plugin), as pure functions: default container requests and
//! limits from the namespace's LimitRanges, then enforce their `min`, `max` and
//! `maxLimitRequestRatio` for containers, pods and PersistentVolumeClaims, with upstream's
//! messages.

use serde_json::{Value, json};

use super::resources::{self, Field, ResourceList};

/// The annotation recording what LimitRanger set.
pub const ANNOTATION: &str = "kubernetes.io/limit-ranger";

fn items<'a>(ranges: &'a [Value], kind: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
    ranges
        .iter()
        .flat_map(|lr| lr["spec"]["limits"].as_array().into_iter().flatten())
        .filter(move |item| item["type"] == kind)
}

/// Fills missing container requests/limits from `Container` items' `defaultRequest`/`default`
/// and records what it set in the `kubernetes.io/limit-ranger` annotation.
pub fn default_pod(pod: &mut Value, ranges: &[Value]) {
    let mut default_requests = ResourceList::new();
    let mut default_limits = ResourceList::new();
    for item in items(ranges, "Container") {
        for (k, q) in resources::parse_list(&item["defaultRequest"]) {
            default_requests.entry(k).or_insert(q);
        }
        for (k, q) in resources::parse_list(&item["default"]) {
            default_limits.entry(k).or_insert(q);
        }
    }
    if default_requests.is_empty() && default_limits.is_empty() {
        return;
    }
    let mut notes = Vec::new();
    for list in ["initContainers", "containers"] {
        let Some(containers) = pod["spec"][list].as_array_mut() else {
            continue;
        };
        for c in containers {
            let name = c["name"].as_str().unwrap_or_default().to_owned();
            let mut set_requests = Vec::new();
            let mut set_limits = Vec::new();
            if !c["resources"].is_object() {
                c["resources"] = json!({});
            }
            let res = &mut c["resources"];
            let limits_now = resources::parse_list(&res["limits"]);
            for (k, q) in &default_limits {
                if !limits_now.contains_key(k) {
                    if !res["limits"].is_object() {
                        res["limits"] = json!({});
                    }
                    res["limits"][k] = json!(q.canonical());
                    set_limits.push(k.clone());
                }
            }
            let requests_now = resources::parse_list(&res["requests"]);
            for (k, q) in &default_requests {
                if !requests_now.contains_key(k) {
                    if !res["requests"].is_object() {
                        res["requests"] = json!({});
                    }
                    res["requests"][k] = json!(q.canonical());
                    set_requests.push(k.clone());
                }
            }
            if res.as_object().is_some_and(|m| m.is_empty()) {
                c.as_object_mut().map(|m| m.remove("resources"));
            }
            if !set_requests.is_empty() {
                notes.push(format!(
                    "{} request for {} {name}",
                    set_requests.join(", "),
                    if list == "containers" {
                        "container"
                    } else {
                        "init container"
                    }
                ));
            }
            if !set_limits.is_empty() {
                notes.push(format!(
                    "{} limit for {} {name}",
                    set_limits.join(", "),
                    if list == "containers" {
                        "container"
                    } else {
                        "init container"
                    }
                ));
            }
        }
    }
    if notes.is_empty() {
        return;
    }
    let meta = &mut pod["metadata"];
    if !meta["annotations"].is_object() {
        meta["annotations"] = json!({});
    }
    meta["annotations"][ANNOTATION] =
        json!(format!("LimitRanger plugin set: {}", notes.join("; ")));
}

/// Checks one request/limit pair against one item's constraints for `resource`.
fn check(
    errors: &mut Vec<String>,
    item: &Value,
    kind: &str,
    requests: &ResourceList,
    limits: &ResourceList,
) {
    for (resource, min) in resources::parse_list(&item["min"]) {
        match requests.get(&resource) {
            None => errors.push(format!(
                "minimum {resource} usage per {kind} is {min}.  No request is specified"
            )),
            Some(r) if *r < min => errors.push(format!(
                "minimum {resource} usage per {kind} is {min}, but request is {r}"
            )),
            Some(_) => {
                if let Some(l) = limits.get(&resource).filter(|l| **l < min) {
                    errors.push(format!(
                        "minimum {resource} usage per {kind} is {min}, but limit is {l}"
                    ));
                }
            }
        }
    }
    for (resource, max) in resources::parse_list(&item["max"]) {
        if kind == "PersistentVolumeClaim" {
            // Claims have no limits: the request is what is bounded.
            match requests.get(&resource) {
                None => errors.push(format!(
                    "maximum {resource} usage per {kind} is {max}.  No request is specified"
                )),
                Some(r) if *r > max => errors.push(format!(
                    "maximum {resource} usage per {kind} is {max}, but request is {r}"
                )),
                Some(_) => {}
            }
            continue;
        }
        match limits.get(&resource) {
            None => errors.push(format!(
                "maximum {resource} usage per {kind} is {max}.  No limit is specified"
            )),
            Some(l) if *l > max => errors.push(format!(
                "maximum {resource} usage per {kind} is {max}, but limit is {l}"
            )),
            Some(_) => {
                if let Some(r) = requests.get(&resource).filter(|r| **r > max) {
                    errors.push(format!(
                        "maximum {resource} usage per {kind} is {max}, but request is {r}"
                    ));
                }
            }
        }
    }
    for (resource, ratio) in resources::parse_list(&item["maxLimitRequestRatio"]) {
        let request = requests.get(&resource).filter(|r| !r.is_zero());
        let limit = limits.get(&resource).filter(|l| !l.is_zero());
        let (Some(request), Some(limit)) = (request, limit) else {
            let missing = if request.is_none() {
                "no request is specified or request is 0"
            } else {
                "no limit is specified or limit is 0"
            };
            errors.push(format!(
                "{resource} max limit to request ratio per {kind} is {ratio}, but {missing}"
            ));
            continue;
        };
        let observed = limit.as_nanos() as f64 / request.as_nanos() as f64;
        let allowed = ratio.as_nanos() as f64 / 1e9;
        if observed > allowed {
            errors.push(format!(
                "{resource} max limit to request ratio per {kind} is {ratio}, but provided ratio is {observed:.6}"
            ));
        }
    }
}

/// Validates a (defaulted) pod against `Container` and `Pod` items; returns upstream's messages.
pub fn validate_pod(pod: &Value, ranges: &[Value]) -> Vec<String> {
    let mut errors = Vec::new();
    let spec = &pod["spec"];
    let containers: Vec<&Value> = spec["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(spec["containers"].as_array().into_iter().flatten())
        .collect();
    for item in items(ranges, "Container") {
        for c in &containers {
            let requests = resources::container_list(c, Field::Requests);
            let limits = resources::container_list(c, Field::Limits);
            check(&mut errors, item, "Container", &requests, &limits);
        }
    }
    for item in items(ranges, "Pod") {
        // A pod-level value exists only when every container states it.
        let complete = |field: Field| -> ResourceList {
            let mut total = resources::pod_list(pod, field);
            total.retain(|resource, _| {
                containers
                    .iter()
                    .all(|c| resources::container_list(c, field).contains_key(resource))
            });
            total
        };
        check(
            &mut errors,
            item,
            "Pod",
            &complete(Field::Requests),
            &complete(Field::Limits),
        );
    }
    errors
}

/// Validates a PersistentVolumeClaim's storage request against `PersistentVolumeClaim` items.
pub fn validate_claim(claim: &Value, ranges: &[Value]) -> Vec<String> {
    let mut errors = Vec::new();
    let requests = resources::parse_list(&claim["spec"]["resources"]["requests"]);
    let limits = resources::parse_list(&claim["spec"]["resources"]["limits"]);
    for item in items(ranges, "PersistentVolumeClaim") {
        check(
            &mut errors,
            item,
            "PersistentVolumeClaim",
            &requests,
            &limits,
        );
    }
    errors
}

/// Upstream's aggregate error text: one message as is, several in brackets.
pub fn aggregate(errors: &[String]) -> String {
    match errors {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(limits: Value) -> Vec<Value> {
        vec![json!({"spec": {"limits": limits}})]
    }

    #[test]
    fn defaults_fill_missing_requests_and_limits_and_annotate() {
        let ranges = range(json!([{"type": "Container",
            "default": {"cpu": "500m", "memory": "512Mi"},
            "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]));
        let mut pod = json!({"metadata": {"name": "p"}, "spec": {"containers": [
            {"name": "nginx", "image": "nginx"},
            // API defaulting already copied the limit into the request.
            {"name": "side", "image": "x", "resources": {"limits": {"cpu": "50m"}, "requests": {"cpu": "50m"}}},
        ]}});
        default_pod(&mut pod, &ranges);
        let c0 = &pod["spec"]["containers"][0]["resources"];
        assert_eq!(c0["requests"], json!({"cpu": "100m", "memory": "128Mi"}));
        assert_eq!(c0["limits"], json!({"cpu": "500m", "memory": "512Mi"}));
        let c1 = &pod["spec"]["containers"][1]["resources"];
        assert_eq!(c1["limits"], json!({"cpu": "50m", "memory": "512Mi"}));
        assert_eq!(c1["requests"], json!({"cpu": "50m", "memory": "128Mi"}));
        assert_eq!(
            pod["metadata"]["annotations"][ANNOTATION],
            "LimitRanger plugin set: cpu, memory request for container nginx; cpu, memory limit for container nginx; \
             memory request for container side; memory limit for container side"
        );
    }

    #[test]
    fn min_max_and_ratio_violations_use_upstream_messages() {
        let ranges = range(json!([{"type": "Container",
            "min": {"cpu": "100m"}, "max": {"cpu": "2", "memory": "1Gi"},
            "maxLimitRequestRatio": {"cpu": "2"}}]));
        let pod = json!({"spec": {"containers": [{"name": "a", "resources": {
            "requests": {"cpu": "50m"}, "limits": {"cpu": "3"}}}]}});
        let errors = validate_pod(&pod, &ranges);
        assert_eq!(
            aggregate(&errors),
            "[minimum cpu usage per Container is 100m, but request is 50m, \
              maximum cpu usage per Container is 2, but limit is 3, \
              maximum memory usage per Container is 1Gi.  No limit is specified, \
              cpu max limit to request ratio per Container is 2, but provided ratio is 60.000000]"
        );
        let ok = json!({"spec": {"containers": [{"name": "a", "resources": {
            "requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "1Gi"}}}]}});
        assert!(validate_pod(&ok, &ranges).is_empty());
    }

    #[test]
    fn pod_items_bound_the_sum_of_containers() {
        let ranges = range(json!([{"type": "Pod", "max": {"memory": "1Gi"}}]));
        let pod = json!({"spec": {"containers": [
            {"name": "a", "resources": {"limits": {"memory": "768Mi"}}},
            {"name": "b", "resources": {"limits": {"memory": "512Mi"}}},
        ]}});
        assert_eq!(
            validate_pod(&pod, &ranges),
            ["maximum memory usage per Pod is 1Gi, but limit is 1280Mi"]
        );
    }

    #[test]
    fn claims_are_bounded_by_their_request() {
        let ranges = range(json!([{"type": "PersistentVolumeClaim",
            "min": {"storage": "1Gi"}, "max": {"storage": "10Gi"}}]));
        let claim = json!({"spec": {"resources": {"requests": {"storage": "20Gi"}}}});
        assert_eq!(
            validate_claim(&claim, &ranges),
            ["maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi"]
        );
    }
}
