//! Resource lists (`{"cpu": "100m", "memory": "1Gi"}`) and the pod-level sums upstream's
//! `resourcehelper.PodRequests` / `PodLimits` compute: the larger of the containers' sum and any
//! init container's need, plus sidecars (restartable init containers) and pod overhead.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::quantity::Quantity;

/// Resource name → quantity, sorted by name (as upstream prints them).
pub type ResourceList = BTreeMap<String, Quantity>;

/// Parses a JSON resource list; unparsable quantities are skipped (validation rejects them).
pub fn parse_list(v: &Value) -> ResourceList {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, q)| Some((k.clone(), Quantity::parse(q.as_str()?).ok()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// The JSON form of a resource list, canonical quantities.
pub fn to_json(list: &ResourceList) -> Value {
    Value::Object(
        list.iter()
            .map(|(k, q)| (k.clone(), Value::String(q.canonical())))
            .collect::<Map<_, _>>(),
    )
}

/// `a + b`; a zero value takes the other's format, as upstream's `Quantity.Add`.
pub fn add_quantity(a: &Quantity, b: &Quantity) -> Quantity {
    if a.is_zero() { *b } else { a.add(b) }
}

/// Adds `b` into `a`, resource by resource.
pub fn add_into(a: &mut ResourceList, b: &ResourceList) {
    for (k, q) in b {
        let sum = match a.get(k) {
            Some(existing) => add_quantity(existing, q),
            None => *q,
        };
        a.insert(k.clone(), sum);
    }
}

/// For every resource in `b`, keeps the larger of `a[r]` and `b[r]`.
pub fn max_into(a: &mut ResourceList, b: &ResourceList) {
    for (k, q) in b {
        match a.get(k) {
            Some(existing) if existing >= q => {}
            _ => {
                a.insert(k.clone(), *q);
            }
        }
    }
}

/// Which field of a container's `resources` to sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Requests,
    Limits,
}

impl Field {
    fn key(self) -> &'static str {
        match self {
            Field::Requests => "requests",
            Field::Limits => "limits",
        }
    }
}

/// One container's requests or limits.
pub fn container_list(container: &Value, field: Field) -> ResourceList {
    parse_list(&container["resources"][field.key()])
}

fn is_sidecar(init: &Value) -> bool {
    init["restartPolicy"] == "Always"
}

/// The pod's effective requests or limits: the containers' sum (with sidecars), or the largest
/// need of an init container (with the sidecars started before it), whichever is larger per
/// resource; plus `spec.overhead`.
pub fn pod_list(pod: &Value, field: Field) -> ResourceList {
    let spec = &pod["spec"];
    let mut sum = ResourceList::new();
    for c in spec["containers"].as_array().into_iter().flatten() {
        add_into(&mut sum, &container_list(c, field));
    }
    let mut sidecars = ResourceList::new();
    let mut init_max = ResourceList::new();
    for c in spec["initContainers"].as_array().into_iter().flatten() {
        let own = container_list(c, field);
        if is_sidecar(c) {
            add_into(&mut sidecars, &own);
            // A sidecar keeps running next to every later init container and the app containers.
            max_into(&mut init_max, &sidecars);
        } else {
            let mut need = sidecars.clone();
            add_into(&mut need, &own);
            max_into(&mut init_max, &need);
        }
    }
    add_into(&mut sum, &sidecars);
    max_into(&mut sum, &init_max);
    if !spec["overhead"].is_null() {
        add_into(&mut sum, &parse_list(&spec["overhead"]));
    }
    sum
}

/// Whether a pod no longer consumes resources (finished).
pub fn pod_is_terminal(pod: &Value) -> bool {
    matches!(
        pod["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    )
}

/// Upstream's QoS class: `BestEffort` when no container (incl. init) has any cpu/memory
/// request or limit.
pub fn pod_is_best_effort(pod: &Value) -> bool {
    let spec = &pod["spec"];
    let containers = spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(spec["initContainers"].as_array().into_iter().flatten());
    for c in containers {
        for field in [Field::Requests, Field::Limits] {
            let list = container_list(c, field);
            if list.keys().any(|k| k == "cpu" || k == "memory") {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap()
    }

    #[test]
    fn pod_requests_take_the_larger_of_containers_and_init_containers() {
        let pod = json!({"spec": {
            "initContainers": [
                {"name": "i1", "resources": {"requests": {"cpu": "2", "memory": "10Mi"}}},
            ],
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}},
                {"name": "b", "resources": {"requests": {"cpu": "250m"}}},
            ],
            "overhead": {"cpu": "10m"},
        }});
        let r = pod_list(&pod, Field::Requests);
        assert_eq!(r["cpu"].canonical(), "2010m");
        assert_eq!(r["memory"].canonical(), "1Gi");
    }

    #[test]
    fn sidecars_add_to_the_containers_and_to_later_init_containers() {
        let pod = json!({"spec": {
            "initContainers": [
                {"name": "side", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m"}}},
                {"name": "init", "resources": {"requests": {"cpu": "1"}}},
            ],
            "containers": [{"name": "a", "resources": {"requests": {"cpu": "200m"}}}],
        }});
        let r = pod_list(&pod, Field::Requests);
        assert_eq!(r["cpu"], q("1100m"));
    }

    #[test]
    fn sums_keep_the_binary_format_of_memory() {
        let mut a = ResourceList::new();
        add_into(&mut a, &[("memory".to_owned(), q("128Mi"))].into());
        add_into(&mut a, &[("memory".to_owned(), q("128Mi"))].into());
        assert_eq!(a["memory"].canonical(), "256Mi");
    }

    #[test]
    fn best_effort_means_no_cpu_or_memory_anywhere() {
        assert!(pod_is_best_effort(
            &json!({"spec": {"containers": [{"name": "a"}]}})
        ));
        assert!(!pod_is_best_effort(&json!({"spec": {"containers": [
            {"name": "a", "resources": {"limits": {"memory": "1Gi"}}}
        ]}})));
    }
}
