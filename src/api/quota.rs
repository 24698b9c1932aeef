//! ResourceQuota accounting, as pure functions: what an object consumes (upstream's quota
//! evaluators for pods, services, claims and object counts), which quotas it falls under
//! (scopes), and the admission check with upstream's messages.

use std::collections::BTreeSet;

use serde_json::Value;

use super::quantity::Quantity;
use super::resources::{self, Field, ResourceList};

/// Resource names that count objects under their legacy, unprefixed names.
const LEGACY_COUNTS: &[&str] = &[
    "configmaps",
    "secrets",
    "replicationcontrollers",
    "resourcequotas",
];

const STORAGE_CLASS_SUFFIX: &str = ".storageclass.storage.k8s.io/";

/// Pod resources whose presence a quota demands of every container (a historical rule upstream
/// keeps for cpu and memory only).
const MUST_SPECIFY: &[&str] = &[
    "cpu",
    "memory",
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
];

/// What kind of object is being counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evaluator<'a> {
    Pods,
    Services,
    Claims,
    /// Any other resource: counted as `count/<resource>[.<group>]`.
    Count {
        group: &'a str,
        resource: &'a str,
    },
}

impl<'a> Evaluator<'a> {
    pub fn for_resource(group: &'a str, resource: &'a str) -> Evaluator<'a> {
        match (group, resource) {
            ("", "pods") => Evaluator::Pods,
            ("", "services") => Evaluator::Services,
            ("", "persistentvolumeclaims") => Evaluator::Claims,
            _ => Evaluator::Count { group, resource },
        }
    }

    fn count_name(self) -> String {
        let (group, resource) = match self {
            Evaluator::Pods => ("", "pods"),
            Evaluator::Services => ("", "services"),
            Evaluator::Claims => ("", "persistentvolumeclaims"),
            Evaluator::Count { group, resource } => (group, resource),
        };
        if group.is_empty() {
            format!("count/{resource}")
        } else {
            format!("count/{resource}.{group}")
        }
    }

    /// Whether admission charges this operation (`update` = true for updates).
    pub fn handles(self, update: bool) -> bool {
        match self {
            Evaluator::Services | Evaluator::Claims => true,
            Evaluator::Pods | Evaluator::Count { .. } => !update,
        }
    }

    /// The subset of `names` this evaluator accounts for.
    pub fn matching(self, names: &BTreeSet<String>) -> BTreeSet<String> {
        let count = self.count_name();
        names
            .iter()
            .filter(|n| {
                if **n == count {
                    return true;
                }
                match self {
                    Evaluator::Pods => {
                        matches!(
                            n.as_str(),
                            "pods"
                                | "cpu"
                                | "memory"
                                | "ephemeral-storage"
                                | "requests.cpu"
                                | "requests.memory"
                                | "requests.ephemeral-storage"
                                | "limits.cpu"
                                | "limits.memory"
                                | "limits.ephemeral-storage"
                        ) || n.starts_with("hugepages-")
                            || n.starts_with("requests.hugepages-")
                            || (n.starts_with("requests.") && is_extended(&n["requests.".len()..]))
                    }
                    Evaluator::Services => matches!(
                        n.as_str(),
                        "services" | "services.nodeports" | "services.loadbalancers"
                    ),
                    Evaluator::Claims => {
                        matches!(n.as_str(), "persistentvolumeclaims" | "requests.storage")
                            || n.ends_with(&format!("{STORAGE_CLASS_SUFFIX}persistentvolumeclaims"))
                            || n.ends_with(&format!("{STORAGE_CLASS_SUFFIX}requests.storage"))
                    }
                    Evaluator::Count { group, resource } => {
                        group.is_empty() && LEGACY_COUNTS.contains(&resource) && *n == resource
                    }
                }
            })
            .cloned()
            .collect()
    }

    /// What one object consumes.
    pub fn usage(self, obj: &Value) -> ResourceList {
        let one = Quantity::from_units(1, super::quantity::Format::DecimalSI);
        let mut out = ResourceList::new();
        match self {
            Evaluator::Pods => {
                if resources::pod_is_terminal(obj) {
                    return out;
                }
                out.insert("pods".into(), one);
                out.insert(self.count_name(), one);
                let requests = resources::pod_list(obj, Field::Requests);
                let limits = resources::pod_list(obj, Field::Limits);
                for (k, q) in &requests {
                    match k.as_str() {
                        "cpu" | "memory" | "ephemeral-storage" => {
                            out.insert(k.clone(), *q);
                            out.insert(format!("requests.{k}"), *q);
                        }
                        k if k.starts_with("hugepages-") => {
                            out.insert(format!("requests.{k}"), *q);
                        }
                        k if is_extended(k) => {
                            out.insert(format!("requests.{k}"), *q);
                        }
                        _ => {}
                    }
                }
                for (k, q) in &limits {
                    if matches!(k.as_str(), "cpu" | "memory" | "ephemeral-storage") {
                        out.insert(format!("limits.{k}"), *q);
                    }
                }
            }
            Evaluator::Services => {
                out.insert("services".into(), one);
                out.insert(self.count_name(), one);
                let ports = obj["spec"]["ports"].as_array().map_or(0, Vec::len) as i64;
                let zero = Quantity::from_units(0, super::quantity::Format::DecimalSI);
                let ports = Quantity::from_units(ports, super::quantity::Format::DecimalSI);
                let (node_ports, balancers) = match obj["spec"]["type"].as_str() {
                    Some("NodePort") => (ports, zero),
                    Some("LoadBalancer") => (ports, one),
                    _ => (zero, zero),
                };
                out.insert("services.nodeports".into(), node_ports);
                out.insert("services.loadbalancers".into(), balancers);
            }
            Evaluator::Claims => {
                out.insert("persistentvolumeclaims".into(), one);
                out.insert(self.count_name(), one);
                let class = obj["spec"]["storageClassName"].as_str().unwrap_or_default();
                if !class.is_empty() {
                    out.insert(
                        format!("{class}{STORAGE_CLASS_SUFFIX}persistentvolumeclaims"),
                        one,
                    );
                }
                if let Some(storage) =
                    resources::parse_list(&obj["spec"]["resources"]["requests"]).get("storage")
                {
                    out.insert("requests.storage".into(), *storage);
                    if !class.is_empty() {
                        out.insert(
                            format!("{class}{STORAGE_CLASS_SUFFIX}requests.storage"),
                            *storage,
                        );
                    }
                }
            }
            Evaluator::Count { group, resource } => {
                out.insert(self.count_name(), one);
                if group.is_empty() && LEGACY_COUNTS.contains(&resource) {
                    out.insert(resource.to_owned(), one);
                }
            }
        }
        out
    }

    /// Upstream's constraint: a quota on cpu/memory requires every container to state them.
    fn constraints(self, required: &BTreeSet<String>, obj: &Value) -> Option<String> {
        if self != Evaluator::Pods {
            return None;
        }
        let required: BTreeSet<&str> = required
            .iter()
            .map(String::as_str)
            .filter(|r| MUST_SPECIFY.contains(r))
            .collect();
        if required.is_empty() {
            return None;
        }
        let mut missing = BTreeSet::new();
        let spec = &obj["spec"];
        for c in spec["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(spec["initContainers"].as_array().into_iter().flatten())
        {
            let requests = resources::container_list(c, Field::Requests);
            let limits = resources::container_list(c, Field::Limits);
            let mut has = BTreeSet::new();
            for r in ["cpu", "memory"] {
                if requests.contains_key(r) {
                    has.insert(r.to_owned());
                    has.insert(format!("requests.{r}"));
                }
                if limits.contains_key(r) {
                    has.insert(format!("limits.{r}"));
                }
            }
            for r in &required {
                if !has.contains(*r) {
                    missing.insert((*r).to_owned());
                }
            }
        }
        (!missing.is_empty()).then(|| {
            format!(
                "must specify {}",
                missing.into_iter().collect::<Vec<_>>().join(",")
            )
        })
    }
}

/// Extended resources (`example.com/gpu`): not in the `kubernetes.io` namespace, with a domain.
fn is_extended(name: &str) -> bool {
    name.contains('/') && !name.contains("kubernetes.io/")
}

/// Whether `pod` falls under one scope selector requirement of a quota.
fn pod_in_scope(pod: &Value, scope: &str, operator: &str, values: &[String]) -> bool {
    let spec = &pod["spec"];
    let matched = match scope {
        "Terminating" => spec["activeDeadlineSeconds"]
            .as_i64()
            .is_some_and(|s| s >= 0),
        "NotTerminating" => !spec["activeDeadlineSeconds"]
            .as_i64()
            .is_some_and(|s| s >= 0),
        "BestEffort" => resources::pod_is_best_effort(pod),
        "NotBestEffort" => !resources::pod_is_best_effort(pod),
        "PriorityClass" => {
            let class = spec["priorityClassName"].as_str().unwrap_or_default();
            return match operator {
                "Exists" => !class.is_empty(),
                "DoesNotExist" => class.is_empty(),
                "In" => values.iter().any(|v| v == class),
                "NotIn" => !values.iter().any(|v| v == class),
                _ => false,
            };
        }
        "CrossNamespacePodAffinity" => {
            let terms = |kind: &str| {
                let a = &spec["affinity"][kind];
                a["requiredDuringSchedulingIgnoredDuringExecution"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .chain(
                        a["preferredDuringSchedulingIgnoredDuringExecution"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|w| &w["podAffinityTerm"]),
                    )
                    .any(|t| {
                        t["namespaces"].as_array().is_some_and(|n| !n.is_empty())
                            || t["namespaceSelector"].is_object()
                    })
            };
            terms("podAffinity") || terms("podAntiAffinity")
        }
        _ => false,
    };
    match operator {
        "DoesNotExist" | "NotIn" => !matched,
        _ => matched,
    }
}

/// A quota as admission and the controller see it.
#[derive(Clone, Debug)]
pub struct Quota {
    pub name: String,
    pub hard: ResourceList,
    pub used: ResourceList,
    /// (scopeName, operator, values): `spec.scopes` become `Exists` requirements.
    pub scopes: Vec<(String, String, Vec<String>)>,
}

impl Quota {
    pub fn from_object(obj: &Value) -> Quota {
        let mut scopes: Vec<(String, String, Vec<String>)> = obj["spec"]["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|s| (s.to_owned(), "Exists".to_owned(), Vec::new()))
            .collect();
        for req in obj["spec"]["scopeSelector"]["matchExpressions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            scopes.push((
                req["scopeName"].as_str().unwrap_or_default().to_owned(),
                req["operator"].as_str().unwrap_or_default().to_owned(),
                req["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            ));
        }
        Quota {
            name: obj["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            hard: resources::parse_list(&obj["status"]["hard"]),
            used: resources::parse_list(&obj["status"]["used"]),
            scopes,
        }
    }

    /// Whether `obj` is charged to this quota by `evaluator`, judging by `hard`.
    pub fn matches(&self, evaluator: Evaluator, hard: &ResourceList, obj: &Value) -> bool {
        let names: BTreeSet<String> = hard.keys().cloned().collect();
        if evaluator.matching(&names).is_empty() {
            return false;
        }
        self.scopes.iter().all(|(scope, op, values)| {
            evaluator == Evaluator::Pods && pod_in_scope(obj, scope, op, values)
        })
    }
}

fn pretty(list: &ResourceList) -> String {
    list.iter()
        .map(|(k, q)| format!("{k}={q}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Admission: charges `obj` (replacing `old` on updates) to every matching quota in the
/// namespace. Returns the indexes of the quotas whose `used` changed (to be written back), or
/// upstream's message for a refusal.
pub fn admit(
    quotas: &mut [Quota],
    evaluator: Evaluator,
    obj: &Value,
    old: Option<&Value>,
) -> Result<Vec<usize>, String> {
    if !evaluator.handles(old.is_some()) {
        return Ok(Vec::new());
    }
    let mut interesting = Vec::new();
    for (i, quota) in quotas.iter().enumerate() {
        if !quota.matches(evaluator, &quota.hard, obj) {
            continue;
        }
        let names: BTreeSet<String> = quota.hard.keys().cloned().collect();
        let restricted = evaluator.matching(&names);
        if let Some(msg) = evaluator.constraints(&restricted, obj) {
            return Err(format!("failed quota: {}: {msg}", quota.name));
        }
        if restricted.iter().any(|r| !quota.used.contains_key(r)) {
            return Err(format!(
                "status unknown for quota: {}, resources: {}",
                quota.name,
                restricted.into_iter().collect::<Vec<_>>().join(",")
            ));
        }
        interesting.push(i);
    }
    if interesting.is_empty() {
        return Ok(Vec::new());
    }
    let usage = evaluator.usage(obj);
    let mut changed = Vec::new();
    for i in interesting {
        let quota = &quotas[i];
        let mut delta = usage.clone();
        if let Some(old) = old
            && quota.matches(evaluator, &quota.hard, old)
        {
            let before = evaluator.usage(old);
            for (k, q) in delta.iter_mut() {
                if let Some(b) = before.get(k) {
                    let d = q.sub(b);
                    *q = if d.signum() < 0 {
                        Quantity::from_units(0, q.format())
                    } else {
                        d
                    };
                }
            }
        }
        delta.retain(|k, q| quota.hard.contains_key(k) && !q.is_zero());
        if delta.is_empty() {
            continue;
        }
        let mut new_used = quota.used.clone();
        resources::add_into(&mut new_used, &delta);
        let exceeded: BTreeSet<&String> = delta
            .keys()
            .filter(|k| new_used[*k] > quota.hard[*k])
            .collect();
        if !exceeded.is_empty() {
            let mask = |list: &ResourceList| -> ResourceList {
                list.iter()
                    .filter(|(k, _)| exceeded.contains(k))
                    .map(|(k, q)| (k.clone(), *q))
                    .collect()
            };
            let mut used = mask(&quota.used);
            for k in &exceeded {
                used.entry((*k).clone())
                    .or_insert(Quantity::from_units(0, super::quantity::Format::DecimalSI));
            }
            return Err(format!(
                "exceeded quota: {}, requested: {}, used: {}, limited: {}",
                quota.name,
                pretty(&mask(&delta)),
                pretty(&used),
                pretty(&mask(&quota.hard)),
            ));
        }
        quotas[i].used = new_used;
        changed.push(i);
    }
    Ok(changed)
}

/// The controller's view: what `objects` (all of one evaluator's kind in the namespace) consume
/// of the resources `hard` names, for a quota with `scopes`.
pub fn total_usage<'a>(
    quota: &Quota,
    evaluator: Evaluator,
    hard: &ResourceList,
    objects: impl IntoIterator<Item = &'a Value>,
) -> ResourceList {
    let names: BTreeSet<String> = hard.keys().cloned().collect();
    let tracked = evaluator.matching(&names);
    let mut total: ResourceList = tracked
        .iter()
        .map(|k| {
            (
                k.clone(),
                Quantity::from_units(0, super::quantity::Format::DecimalSI),
            )
        })
        .collect();
    for obj in objects {
        if !quota.matches(evaluator, hard, obj) {
            continue;
        }
        let mut usage = evaluator.usage(obj);
        usage.retain(|k, _| tracked.contains(k));
        resources::add_into(&mut total, &usage);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn quota(hard: Value, used: Value) -> Quota {
        Quota::from_object(&json!({"metadata": {"name": "compute"},
            "spec": {"hard": hard}, "status": {"hard": hard, "used": used}}))
    }

    fn pod(cpu: &str, memory: &str) -> Value {
        json!({"spec": {"containers": [{"name": "app", "resources": {
            "requests": {"cpu": cpu, "memory": memory},
            "limits": {"cpu": cpu, "memory": memory}}}]}})
    }

    #[test]
    fn pods_are_charged_and_refused_beyond_hard() {
        let mut quotas = vec![quota(
            json!({"pods": "2", "requests.cpu": "1", "limits.memory": "1Gi"}),
            json!({"pods": "1", "requests.cpu": "500m", "limits.memory": "512Mi"}),
        )];
        let changed = admit(&mut quotas, Evaluator::Pods, &pod("250m", "256Mi"), None).unwrap();
        assert_eq!(changed, [0]);
        assert_eq!(
            resources::to_json(&quotas[0].used),
            json!({"pods": "2", "requests.cpu": "750m", "limits.memory": "768Mi"})
        );
        let err = admit(&mut quotas, Evaluator::Pods, &pod("500m", "128Mi"), None).unwrap_err();
        assert_eq!(
            err,
            "exceeded quota: compute, requested: pods=1,requests.cpu=500m, used: pods=2,requests.cpu=750m, limited: pods=2,requests.cpu=1"
        );
    }

    #[test]
    fn a_cpu_quota_requires_containers_to_state_cpu() {
        let mut quotas = vec![quota(
            json!({"requests.cpu": "1", "limits.memory": "1Gi"}),
            json!({"requests.cpu": "0", "limits.memory": "0"}),
        )];
        let bare = json!({"spec": {"containers": [{"name": "app"}]}});
        assert_eq!(
            admit(&mut quotas, Evaluator::Pods, &bare, None).unwrap_err(),
            "failed quota: compute: must specify limits.memory,requests.cpu"
        );
    }

    #[test]
    fn a_quota_without_usage_yet_refuses_until_the_controller_has_counted() {
        let mut quotas = vec![quota(json!({"configmaps": "3"}), json!({}))];
        let cm = Evaluator::for_resource("", "configmaps");
        assert_eq!(
            admit(&mut quotas, cm, &json!({}), None).unwrap_err(),
            "status unknown for quota: compute, resources: configmaps"
        );
    }

    #[test]
    fn object_counts_use_legacy_and_count_names() {
        let mut quotas = vec![quota(
            json!({"configmaps": "1", "count/deployments.apps": "5"}),
            json!({"configmaps": "1", "count/deployments.apps": "0"}),
        )];
        let cm = Evaluator::for_resource("", "configmaps");
        assert_eq!(
            admit(&mut quotas, cm, &json!({}), None).unwrap_err(),
            "exceeded quota: compute, requested: configmaps=1, used: configmaps=1, limited: configmaps=1"
        );
        let deploy = Evaluator::for_resource("apps", "deployments");
        assert_eq!(admit(&mut quotas, deploy, &json!({}), None).unwrap(), [0]);
    }

    #[test]
    fn services_count_node_ports_and_updates_charge_the_difference() {
        let mut quotas = vec![quota(
            json!({"services.nodeports": "2"}),
            json!({"services.nodeports": "1"}),
        )];
        let cluster_ip =
            json!({"spec": {"type": "ClusterIP", "ports": [{"port": 80}, {"port": 443}]}});
        let node_port =
            json!({"spec": {"type": "NodePort", "ports": [{"port": 80}, {"port": 443}]}});
        assert_eq!(
            admit(
                &mut quotas,
                Evaluator::Services,
                &node_port,
                Some(&cluster_ip)
            )
            .unwrap_err(),
            "exceeded quota: compute, requested: services.nodeports=2, used: services.nodeports=1, limited: services.nodeports=2"
        );
        let one_port = json!({"spec": {"type": "NodePort", "ports": [{"port": 80}]}});
        assert_eq!(
            admit(
                &mut quotas,
                Evaluator::Services,
                &one_port,
                Some(&cluster_ip)
            )
            .unwrap(),
            [0]
        );
    }

    #[test]
    fn scopes_select_pods() {
        let q = Quota::from_object(&json!({"metadata": {"name": "be"},
            "spec": {"hard": {"pods": "1"}, "scopes": ["BestEffort"]},
            "status": {"hard": {"pods": "1"}, "used": {"pods": "0"}}}));
        let hard = q.hard.clone();
        let best_effort = json!({"spec": {"containers": [{"name": "a"}]}});
        assert!(q.matches(Evaluator::Pods, &hard, &best_effort));
        assert!(!q.matches(Evaluator::Pods, &hard, &pod("1", "1Gi")));
        // Scoped quotas never match other kinds.
        assert!(!q.matches(Evaluator::Services, &hard, &json!({})));
        let finished =
            json!({"spec": {"containers": [{"name": "a"}]}, "status": {"phase": "Succeeded"}});
        let total = total_usage(&q, Evaluator::Pods, &hard, [&best_effort, &finished]);
        assert_eq!(resources::to_json(&total), json!({"pods": "1"}));
    }
}
