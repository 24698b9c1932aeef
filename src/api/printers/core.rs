//! Printers for the core (`""`) group, plus `events.k8s.io` Events.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde_json::Value;

use super::docs as d;
use super::labels::format_labels;
use super::quantity;
use super::{
    AGE, CONTAINERS_DESC, Column, IMAGES_DESC, NAME, age, arr_at, bool_at, col, get, int_at,
    is_deleting, layout_containers, len_at, name, opt_bool, opt_str, since, str_at, time_at, wide,
};

pub(super) const POD: &[Column] = &[
    NAME,
    col(
        "Ready",
        "string",
        "The aggregate readiness state of this pod for accepting traffic.",
    ),
    col(
        "Status",
        "string",
        "The aggregate status of the containers in this pod.",
    ),
    col(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    ),
    AGE,
    wide("IP", "string", d::POD_STATUS_POD_IP),
    wide("Node", "string", d::POD_SPEC_NODE_NAME),
    wide(
        "Nominated Node",
        "string",
        d::POD_STATUS_NOMINATED_NODE_NAME,
    ),
    wide("Readiness Gates", "string", d::POD_SPEC_READINESS_GATES),
];

/// Whether an init container is a sidecar (`restartPolicy: Always`).
fn is_restartable_init_container(c: &Value) -> bool {
    str_at(c, &["restartPolicy"]) == "Always"
}

/// The later of two optional times, `None` standing for Go's zero time.
fn later(current: Option<Timestamp>, candidate: Option<Timestamp>) -> Option<Timestamp> {
    match (current, candidate) {
        (Some(a), Some(b)) if b > a => Some(b),
        (None, b) => b,
        (a, _) => a,
    }
}

fn condition_true(pod: &Value, type_: &str) -> bool {
    arr_at(pod, &["status", "conditions"])
        .iter()
        .any(|c| str_at(c, &["type"]) == type_ && str_at(c, &["status"]) == "True")
}

/// Upstream's `isPodInitializedConditionTrue`: the first `Initialized` condition decides.
fn initialized_condition_true(pod: &Value) -> bool {
    arr_at(pod, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Initialized")
        .is_some_and(|c| str_at(c, &["status"]) == "True")
}

/// The `Ready`, `Status`, `Restarts` … row of `kubectl get pods`.
pub(super) fn pod(pod: &Value, now: Timestamp) -> Vec<Value> {
    let containers = arr_at(pod, &["spec", "containers"]);
    let init_containers = arr_at(pod, &["spec", "initContainers"]);
    let mut restarts = 0i64;
    let mut restartable_init_restarts = 0i64;
    let mut total_containers = containers.len();
    let mut ready_containers = 0usize;
    let mut last_restart: Option<Timestamp> = None;
    let mut last_restartable_init_restart: Option<Timestamp> = None;

    let phase = str_at(pod, &["status", "phase"]);
    let mut reason = phase.to_owned();
    let status_reason = str_at(pod, &["status", "reason"]);
    if !status_reason.is_empty() {
        reason = status_reason.to_owned();
    }
    for condition in arr_at(pod, &["status", "conditions"]) {
        if str_at(condition, &["type"]) == "PodScheduled"
            && str_at(condition, &["reason"]) == "SchedulingGated"
        {
            reason = "SchedulingGated".to_owned();
        }
    }

    let restartable: BTreeSet<&str> = init_containers
        .iter()
        .filter(|c| is_restartable_init_container(c))
        .map(|c| str_at(c, &["name"]))
        .collect();
    total_containers += init_containers
        .iter()
        .filter(|c| is_restartable_init_container(c))
        .count();

    let last_terminated =
        |c: &Value| get(c, &["lastState", "terminated"]).map(|t| time_at(t, &["finishedAt"]));

    let mut initializing = false;
    for (i, container) in arr_at(pod, &["status", "initContainerStatuses"])
        .iter()
        .enumerate()
    {
        let restart_count = int_at(container, &["restartCount"]);
        restarts += restart_count;
        if let Some(finished) = last_terminated(container) {
            last_restart = later(last_restart, finished);
        }
        let is_restartable = restartable.contains(str_at(container, &["name"]));
        if is_restartable {
            restartable_init_restarts += restart_count;
            if let Some(finished) = last_terminated(container) {
                last_restartable_init_restart = later(last_restartable_init_restart, finished);
            }
        }
        let terminated = get(container, &["state", "terminated"]);
        let waiting = get(container, &["state", "waiting"]);
        if terminated.is_some_and(|t| int_at(t, &["exitCode"]) == 0) {
            continue;
        }
        if is_restartable && opt_bool(container, &["started"]) == Some(true) {
            if bool_at(container, &["ready"]) {
                ready_containers += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            let term_reason = str_at(t, &["reason"]);
            reason = if !term_reason.is_empty() {
                format!("Init:{term_reason}")
            } else if int_at(t, &["signal"]) != 0 {
                format!("Init:Signal:{}", int_at(t, &["signal"]))
            } else {
                format!("Init:ExitCode:{}", int_at(t, &["exitCode"]))
            };
        } else if let Some(w) = waiting.filter(|w| {
            let r = str_at(w, &["reason"]);
            !r.is_empty() && r != "PodInitializing"
        }) {
            reason = format!("Init:{}", str_at(w, &["reason"]));
        } else {
            reason = format!("Init:{i}/{}", init_containers.len());
        }
        initializing = true;
        break;
    }

    if !initializing || initialized_condition_true(pod) {
        restarts = restartable_init_restarts;
        last_restart = last_restartable_init_restart;
        let mut has_running = false;
        for container in arr_at(pod, &["status", "containerStatuses"]).iter().rev() {
            restarts += int_at(container, &["restartCount"]);
            if let Some(finished) = last_terminated(container) {
                last_restart = later(last_restart, finished);
            }
            let waiting_reason = opt_str(container, &["state", "waiting", "reason"]).unwrap_or("");
            let terminated = get(container, &["state", "terminated"]);
            if get(container, &["state", "waiting"]).is_some() && !waiting_reason.is_empty() {
                reason = waiting_reason.to_owned();
            } else if let Some(t) = terminated {
                let term_reason = str_at(t, &["reason"]);
                reason = if !term_reason.is_empty() {
                    term_reason.to_owned()
                } else if int_at(t, &["signal"]) != 0 {
                    format!("Signal:{}", int_at(t, &["signal"]))
                } else {
                    format!("ExitCode:{}", int_at(t, &["exitCode"]))
                };
            } else if bool_at(container, &["ready"])
                && get(container, &["state", "running"]).is_some()
            {
                has_running = true;
                ready_containers += 1;
            }
        }
        // A pod whose last container completed while others still run is Running (or NotReady).
        if reason == "Completed" && has_running {
            reason = if condition_true(pod, "Ready") {
                "Running".to_owned()
            } else {
                "NotReady".to_owned()
            };
        }
    }

    if is_deleting(pod) && status_reason == "NodeLost" {
        reason = "Unknown".to_owned();
    } else if is_deleting(pod) && phase != "Failed" && phase != "Succeeded" {
        reason = "Terminating".to_owned();
    }

    let restarts_cell = match last_restart {
        Some(t) if restarts != 0 => format!("{restarts} ({} ago)", since(Some(t), now)),
        _ => restarts.to_string(),
    };

    // The v1 → internal conversion makes `podIP` authoritative when set.
    let pod_ip = match str_at(pod, &["status", "podIP"]) {
        "" => arr_at(pod, &["status", "podIPs"])
            .first()
            .map(|ip| str_at(ip, &["ip"]))
            .unwrap_or(""),
        ip => ip,
    };
    let or_none = |s: &str| {
        if s.is_empty() {
            "<none>".to_owned()
        } else {
            s.to_owned()
        }
    };

    let gates = arr_at(pod, &["spec", "readinessGates"]);
    let readiness_gates = if gates.is_empty() {
        "<none>".to_owned()
    } else {
        let conditions = arr_at(pod, &["status", "conditions"]);
        let true_conditions = gates
            .iter()
            .filter(|gate| {
                let wanted = str_at(gate, &["conditionType"]);
                conditions
                    .iter()
                    .find(|c| str_at(c, &["type"]) == wanted)
                    .is_some_and(|c| str_at(c, &["status"]) == "True")
            })
            .count();
        format!("{true_conditions}/{}", gates.len())
    };

    vec![
        Value::from(name(pod)),
        Value::from(format!("{ready_containers}/{total_containers}")),
        Value::from(reason),
        Value::from(restarts_cell),
        age(pod, now),
        Value::from(or_none(pod_ip)),
        Value::from(or_none(str_at(pod, &["spec", "nodeName"]))),
        Value::from(or_none(str_at(pod, &["status", "nominatedNodeName"]))),
        Value::from(readiness_gates),
    ]
}

pub(super) const POD_TEMPLATE: &[Column] = &[
    NAME,
    col("Containers", "string", CONTAINERS_DESC),
    col("Images", "string", IMAGES_DESC),
    col("Pod Labels", "string", "The labels for the pod template."),
];

pub(super) fn pod_template(obj: &Value, _now: Timestamp) -> Vec<Value> {
    let (names, images) = layout_containers(arr_at(obj, &["template", "spec", "containers"]));
    vec![
        Value::from(name(obj)),
        names,
        images,
        Value::from(format_labels(get(obj, &["template", "metadata", "labels"]))),
    ]
}

pub(super) const REPLICATION_CONTROLLER: &[Column] = &[
    NAME,
    col("Desired", "integer", d::RC_SPEC_REPLICAS),
    col("Current", "integer", d::RC_STATUS_REPLICAS),
    col("Ready", "integer", d::RC_STATUS_READY_REPLICAS),
    AGE,
    wide("Containers", "string", CONTAINERS_DESC),
    wide("Images", "string", IMAGES_DESC),
    wide("Selector", "string", d::RC_SPEC_SELECTOR),
];

pub(super) fn replication_controller(obj: &Value, now: Timestamp) -> Vec<Value> {
    let (names, images) =
        layout_containers(arr_at(obj, &["spec", "template", "spec", "containers"]));
    vec![
        Value::from(name(obj)),
        Value::from(int_at(obj, &["spec", "replicas"])),
        Value::from(int_at(obj, &["status", "replicas"])),
        Value::from(int_at(obj, &["status", "readyReplicas"])),
        age(obj, now),
        names,
        images,
        Value::from(format_labels(get(obj, &["spec", "selector"]))),
    ]
}

pub(super) const SERVICE: &[Column] = &[
    NAME,
    col("Type", "string", d::SVC_SPEC_TYPE),
    col("Cluster-IP", "string", d::SVC_SPEC_CLUSTER_IP),
    col("External-IP", "string", d::SVC_SPEC_EXTERNAL_IPS),
    col("Port(s)", "string", d::SVC_SPEC_PORTS),
    AGE,
    wide("Selector", "string", d::SVC_SPEC_SELECTOR),
];

/// Upstream's `loadBalancerStatusStringer` (wide, as the server always prints): the sorted,
/// de-duplicated IPs or hostnames of `status.loadBalancer.ingress`.
pub(super) fn load_balancer_ingress(obj: &Value) -> String {
    let set: BTreeSet<&str> = arr_at(obj, &["status", "loadBalancer", "ingress"])
        .iter()
        .filter_map(|i| match (str_at(i, &["ip"]), str_at(i, &["hostname"])) {
            ("", "") => None,
            ("", host) => Some(host),
            (ip, _) => Some(ip),
        })
        .collect();
    set.into_iter().collect::<Vec<_>>().join(",")
}

fn service_external_ip(svc: &Value) -> String {
    let external_ips: Vec<&str> = arr_at(svc, &["spec", "externalIPs"])
        .iter()
        .map(|ip| ip.as_str().unwrap_or(""))
        .collect();
    match str_at(svc, &["spec", "type"]) {
        "ClusterIP" | "NodePort" => {
            if external_ips.is_empty() {
                "<none>".to_owned()
            } else {
                external_ips.join(",")
            }
        }
        "LoadBalancer" => {
            let lb = load_balancer_ingress(svc);
            if !external_ips.is_empty() {
                let mut results: Vec<&str> = Vec::new();
                if !lb.is_empty() {
                    results.extend(lb.split(','));
                }
                results.extend(external_ips);
                results.join(",")
            } else if !lb.is_empty() {
                lb
            } else {
                "<pending>".to_owned()
            }
        }
        "ExternalName" => str_at(svc, &["spec", "externalName"]).to_owned(),
        _ => "<unknown>".to_owned(),
    }
}

/// Upstream's `makePortString`: `80/TCP`, `80:30080/TCP`, comma-separated.
fn service_ports(svc: &Value) -> String {
    arr_at(svc, &["spec", "ports"])
        .iter()
        .map(|p| {
            let port = int_at(p, &["port"]);
            let protocol = str_at(p, &["protocol"]);
            match int_at(p, &["nodePort"]) {
                n if n > 0 => format!("{port}:{n}/{protocol}"),
                _ => format!("{port}/{protocol}"),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

pub(super) fn service(svc: &Value, now: Timestamp) -> Vec<Value> {
    // `clusterIPs` is authoritative; objects from before dual-stack only carry `clusterIP`.
    let cluster_ip = arr_at(svc, &["spec", "clusterIPs"])
        .first()
        .and_then(Value::as_str)
        .or_else(|| opt_str(svc, &["spec", "clusterIP"]).filter(|ip| !ip.is_empty()))
        .unwrap_or("<none>");
    let ports = match service_ports(svc) {
        p if p.is_empty() => "<none>".to_owned(),
        p => p,
    };
    vec![
        Value::from(name(svc)),
        Value::from(str_at(svc, &["spec", "type"])),
        Value::from(cluster_ip),
        Value::from(service_external_ip(svc)),
        Value::from(ports),
        age(svc, now),
        Value::from(format_labels(get(svc, &["spec", "selector"]))),
    ]
}

pub(super) const ENDPOINTS: &[Column] =
    &[NAME, col("Endpoints", "string", d::ENDPOINTS_SUBSETS), AGE];

/// Go's `net.JoinHostPort`.
pub(super) fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Upstream's `formatEndpoints` with all ports: at most three `ip:port`, then `+ N more...`.
fn format_endpoints(obj: &Value) -> String {
    let subsets = arr_at(obj, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".to_owned();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0usize;
    for subset in subsets {
        let addresses = arr_at(subset, &["addresses"]);
        let ports = arr_at(subset, &["ports"]);
        if ports.is_empty() {
            // Headless services may have no ports.
            count += addresses.len();
            for address in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(str_at(address, &["ip"]).to_owned());
            }
            continue;
        }
        for port in ports {
            count += addresses.len();
            for address in addresses {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(join_host_port(
                    str_at(address, &["ip"]),
                    int_at(port, &["port"]),
                ));
            }
        }
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", count - MAX)
    } else {
        ret
    }
}

pub(super) fn endpoints(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(format_endpoints(obj)),
        age(obj, now),
    ]
}

pub(super) const NODE: &[Column] = &[
    NAME,
    col("Status", "string", "The status of the node"),
    col("Roles", "string", "The roles of the node"),
    AGE,
    col("Version", "string", d::NODE_INFO_KUBELET_VERSION),
    wide("Internal-IP", "string", d::NODE_STATUS_ADDRESSES),
    wide("External-IP", "string", d::NODE_STATUS_ADDRESSES),
    wide("OS-Image", "string", d::NODE_INFO_OS_IMAGE),
    wide("Kernel-Version", "string", d::NODE_INFO_KERNEL_VERSION),
    wide(
        "Container-Runtime",
        "string",
        d::NODE_INFO_CONTAINER_RUNTIME,
    ),
];

/// Roles from `node-role.kubernetes.io/<role>` labels and the legacy `kubernetes.io/role`
/// label, sorted.
fn node_roles(node: &Value) -> Vec<&str> {
    let mut roles = BTreeSet::new();
    if let Some(Value::Object(labels)) = get(node, &["metadata", "labels"]) {
        for (key, value) in labels {
            if let Some(role) = key.strip_prefix("node-role.kubernetes.io/") {
                if !role.is_empty() {
                    roles.insert(role);
                }
            } else if key == "kubernetes.io/role"
                && let Some(v) = value.as_str().filter(|v| !v.is_empty())
            {
                roles.insert(v);
            }
        }
    }
    roles.into_iter().collect()
}

fn node_address(node: &Value, type_: &str) -> String {
    arr_at(node, &["status", "addresses"])
        .iter()
        .find(|a| str_at(a, &["type"]) == type_)
        .map(|a| str_at(a, &["address"]).to_owned())
        .unwrap_or_else(|| "<none>".to_owned())
}

pub(super) fn node(node: &Value, now: Timestamp) -> Vec<Value> {
    // Only the Ready condition shows; the last one of that type wins, as in upstream's map.
    let ready = arr_at(node, &["status", "conditions"])
        .iter()
        .rev()
        .find(|c| str_at(c, &["type"]) == "Ready");
    let mut status = vec![match ready {
        Some(c) if str_at(c, &["status"]) == "True" => "Ready",
        Some(_) => "NotReady",
        None => "Unknown",
    }];
    if bool_at(node, &["spec", "unschedulable"]) {
        status.push("SchedulingDisabled");
    }
    let roles = match node_roles(node).join(",") {
        r if r.is_empty() => "<none>".to_owned(),
        r => r,
    };
    let info = |key: &str| match str_at(node, &["status", "nodeInfo", key]) {
        "" => "<unknown>".to_owned(),
        v => v.to_owned(),
    };
    vec![
        Value::from(name(node)),
        Value::from(status.join(",")),
        Value::from(roles),
        age(node, now),
        Value::from(str_at(node, &["status", "nodeInfo", "kubeletVersion"])),
        Value::from(node_address(node, "InternalIP")),
        Value::from(node_address(node, "ExternalIP")),
        Value::from(info("osImage")),
        Value::from(info("kernelVersion")),
        Value::from(info("containerRuntimeVersion")),
    ]
}

pub(super) const EVENT: &[Column] = &[
    col("Last Seen", "string", d::EVENT_LAST_TIMESTAMP),
    col("Type", "string", d::EVENT_TYPE),
    col("Reason", "string", d::EVENT_REASON),
    col("Object", "string", d::EVENT_INVOLVED_OBJECT),
    wide("Subobject", "string", d::OBJECT_REFERENCE_FIELD_PATH),
    wide("Source", "string", d::EVENT_SOURCE),
    col("Message", "string", d::EVENT_MESSAGE),
    wide("First Seen", "string", d::EVENT_FIRST_TIMESTAMP),
    wide("Count", "string", d::EVENT_COUNT),
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: d::META_NAME,
        priority: 1,
    },
];

/// The fields of the internal Event the printer reads, wherever the served version keeps them.
struct EventFields<'a> {
    involved_object: Option<&'a Value>,
    source: Option<&'a Value>,
    message: &'a str,
    first_timestamp: Option<Timestamp>,
    last_timestamp: Option<Timestamp>,
    count: i64,
}

fn print_event(obj: &Value, f: EventFields<'_>, now: Timestamp) -> Vec<Value> {
    let first_seen = match f.first_timestamp {
        Some(t) => since(Some(t), now),
        None => since(time_at(obj, &["eventTime"]), now),
    };
    let mut last_seen = match f.last_timestamp {
        Some(t) => since(Some(t), now),
        None => first_seen.clone(),
    };
    let mut count = f.count;
    if let Some(series) = get(obj, &["series"]) {
        last_seen = since(time_at(series, &["lastObservedTime"]), now);
        count = int_at(series, &["count"]);
    } else if count == 0 {
        // Singleton events don't have a count set in the new API.
        count = 1;
    }
    let involved = f.involved_object.unwrap_or(&Value::Null);
    let kind = str_at(involved, &["kind"]).to_lowercase();
    let target = match str_at(involved, &["name"]) {
        "" => kind,
        n => format!("{kind}/{n}"),
    };
    let source = f.source.unwrap_or(&Value::Null);
    vec![
        Value::from(last_seen),
        Value::from(str_at(obj, &["type"])),
        Value::from(str_at(obj, &["reason"])),
        Value::from(target),
        Value::from(str_at(involved, &["fieldPath"])),
        Value::from(format_event_source(
            str_at(source, &["component"]),
            str_at(source, &["host"]),
            str_at(obj, &["reportingController"]),
            str_at(obj, &["reportingInstance"]),
        )),
        Value::from(f.message.trim()),
        Value::from(first_seen),
        Value::from(count),
        Value::from(name(obj)),
    ]
}

/// Upstream's `formatEventSource`: component (or reporting controller), then `, host` (or
/// reporting instance) when there is one.
fn format_event_source(component: &str, host: &str, controller: &str, instance: &str) -> String {
    let component = if component.is_empty() {
        controller
    } else {
        component
    };
    let host = if host.is_empty() { instance } else { host };
    if host.is_empty() {
        component.to_owned()
    } else {
        format!("{component}, {host}")
    }
}

/// A core/v1 Event.
pub(super) fn event(obj: &Value, now: Timestamp) -> Vec<Value> {
    let fields = EventFields {
        involved_object: get(obj, &["involvedObject"]),
        source: get(obj, &["source"]),
        message: str_at(obj, &["message"]),
        first_timestamp: time_at(obj, &["firstTimestamp"]),
        last_timestamp: time_at(obj, &["lastTimestamp"]),
        count: int_at(obj, &["count"]),
    };
    print_event(obj, fields, now)
}

/// An events.k8s.io/v1 Event: converted to the internal Event (`regarding` is the involved
/// object, `note` the message, the `deprecated*` fields the legacy ones) and printed alike.
pub(super) fn events_v1_event(obj: &Value, now: Timestamp) -> Vec<Value> {
    let fields = EventFields {
        involved_object: get(obj, &["regarding"]),
        source: get(obj, &["deprecatedSource"]),
        message: str_at(obj, &["note"]),
        first_timestamp: time_at(obj, &["deprecatedFirstTimestamp"]),
        last_timestamp: time_at(obj, &["deprecatedLastTimestamp"]),
        count: int_at(obj, &["deprecatedCount"]),
    };
    print_event(obj, fields, now)
}

pub(super) const NAMESPACE: &[Column] = &[
    NAME,
    col("Status", "string", "The status of the namespace"),
    AGE,
];

pub(super) fn namespace(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["status", "phase"])),
        age(obj, now),
    ]
}

pub(super) const SECRET: &[Column] = &[
    NAME,
    col("Type", "string", d::SECRET_TYPE),
    col("Data", "string", d::SECRET_DATA),
    AGE,
];

pub(super) fn secret(obj: &Value, now: Timestamp) -> Vec<Value> {
    // Converting to the internal type merges `stringData` into `data`.
    let mut keys: BTreeSet<&str> = BTreeSet::new();
    for field in ["data", "stringData"] {
        if let Some(Value::Object(m)) = get(obj, &[field]) {
            keys.extend(m.keys().map(String::as_str));
        }
    }
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["type"])),
        Value::from(keys.len()),
        age(obj, now),
    ]
}

pub(super) const SERVICE_ACCOUNT: &[Column] = &[NAME, col("Secrets", "string", d::SA_SECRETS), AGE];

pub(super) fn service_account(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(len_at(obj, &["secrets"])),
        age(obj, now),
    ]
}

pub(super) const PERSISTENT_VOLUME: &[Column] = &[
    NAME,
    col("Capacity", "string", d::PV_SPEC_CAPACITY),
    col("Access Modes", "string", d::PV_SPEC_ACCESS_MODES),
    col("Reclaim Policy", "string", d::PV_SPEC_RECLAIM_POLICY),
    col("Status", "string", d::PV_STATUS_PHASE),
    col("Claim", "string", d::PV_SPEC_CLAIM_REF),
    col("StorageClass", "string", "StorageClass of the pv"),
    col(
        "VolumeAttributesClass",
        "string",
        "VolumeAttributesClass of the pv",
    ),
    col("Reason", "string", d::PV_STATUS_REASON),
    AGE,
    wide("VolumeMode", "string", d::PV_SPEC_VOLUME_MODE),
];

/// Upstream's `GetAccessModesAsString`: `RWO,ROX,RWX,RWOP` in that order, de-duplicated.
fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(mode, _)| has(mode))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

/// The storage class: the beta annotation wins over the field, as upstream's helpers do.
fn storage_class<'a>(obj: &'a Value, field: Option<&'a str>) -> &'a str {
    match get(
        obj,
        &[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ],
    ) {
        Some(v) => v.as_str().unwrap_or(""),
        None => field.unwrap_or(""),
    }
}

pub(super) fn persistent_volume(obj: &Value, now: Timestamp) -> Vec<Value> {
    let claim = match get(obj, &["spec", "claimRef"]) {
        Some(c) => format!("{}/{}", str_at(c, &["namespace"]), str_at(c, &["name"])),
        None => String::new(),
    };
    let phase = if is_deleting(obj) {
        "Terminating"
    } else {
        str_at(obj, &["status", "phase"])
    };
    vec![
        Value::from(name(obj)),
        Value::from(quantity::of(get(obj, &["spec", "capacity", "storage"]))),
        Value::from(access_modes(arr_at(obj, &["spec", "accessModes"]))),
        Value::from(str_at(obj, &["spec", "persistentVolumeReclaimPolicy"])),
        Value::from(phase),
        Value::from(claim),
        Value::from(storage_class(
            obj,
            opt_str(obj, &["spec", "storageClassName"]),
        )),
        Value::from(opt_str(obj, &["spec", "volumeAttributesClassName"]).unwrap_or("<unset>")),
        Value::from(str_at(obj, &["status", "reason"])),
        age(obj, now),
        Value::from(opt_str(obj, &["spec", "volumeMode"]).unwrap_or("<unset>")),
    ]
}

pub(super) const PERSISTENT_VOLUME_CLAIM: &[Column] = &[
    NAME,
    col("Status", "string", d::PVC_STATUS_PHASE),
    col("Volume", "string", d::PVC_SPEC_VOLUME_NAME),
    col("Capacity", "string", d::PVC_STATUS_CAPACITY),
    col("Access Modes", "string", d::PVC_STATUS_ACCESS_MODES),
    col("StorageClass", "string", "StorageClass of the pvc"),
    col(
        "VolumeAttributesClass",
        "string",
        "VolumeAttributesClass of the pvc",
    ),
    AGE,
    wide("VolumeMode", "string", d::PVC_SPEC_VOLUME_MODE),
];

pub(super) fn persistent_volume_claim(obj: &Value, now: Timestamp) -> Vec<Value> {
    let phase = if is_deleting(obj) {
        "Terminating"
    } else {
        str_at(obj, &["status", "phase"])
    };
    let volume_name = str_at(obj, &["spec", "volumeName"]);
    // Capacity and access modes only show once bound to a volume.
    let (capacity, modes) = if volume_name.is_empty() {
        (String::new(), String::new())
    } else {
        (
            quantity::of(get(obj, &["status", "capacity", "storage"])),
            access_modes(arr_at(obj, &["status", "accessModes"])),
        )
    };
    vec![
        Value::from(name(obj)),
        Value::from(phase),
        Value::from(volume_name),
        Value::from(capacity),
        Value::from(modes),
        Value::from(storage_class(
            obj,
            opt_str(obj, &["spec", "storageClassName"]),
        )),
        Value::from(opt_str(obj, &["spec", "volumeAttributesClassName"]).unwrap_or("<unset>")),
        age(obj, now),
        Value::from(opt_str(obj, &["spec", "volumeMode"]).unwrap_or("<unset>")),
    ]
}

pub(super) const COMPONENT_STATUS: &[Column] = &[
    NAME,
    col("Status", "string", "Status of the component conditions"),
    col("Message", "string", "Message of the component conditions"),
    col("Error", "string", "Error of the component conditions"),
];

pub(super) fn component_status(obj: &Value, _now: Timestamp) -> Vec<Value> {
    let healthy = arr_at(obj, &["conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Healthy");
    let (status, message, error) = match healthy {
        Some(c) => (
            if str_at(c, &["status"]) == "True" {
                "Healthy"
            } else {
                "Unhealthy"
            },
            str_at(c, &["message"]),
            str_at(c, &["error"]),
        ),
        None => ("Unknown", "", ""),
    };
    vec![
        Value::from(name(obj)),
        Value::from(status),
        Value::from(message),
        Value::from(error),
    ]
}

pub(super) const CONFIG_MAP: &[Column] = &[NAME, col("Data", "string", d::CONFIGMAP_DATA), AGE];

pub(super) fn config_map(obj: &Value, now: Timestamp) -> Vec<Value> {
    let data = len_at(obj, &["data"]) + len_at(obj, &["binaryData"]);
    vec![Value::from(name(obj)), Value::from(data), age(obj, now)]
}

pub(super) const RESOURCE_QUOTA: &[Column] = &[
    NAME,
    col(
        "Request",
        "string",
        "Request represents a minimum amount of cpu/memory that a container may consume.",
    ),
    col(
        "Limit",
        "string",
        "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
    ),
    AGE,
];

pub(super) fn resource_quota(obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut requests: Vec<String> = Vec::new();
    let mut limits: Vec<String> = Vec::new();
    if let Some(Value::Object(hard)) = get(obj, &["status", "hard"]) {
        let mut resources: Vec<&String> = hard.keys().collect();
        resources.sort();
        for resource in resources {
            let used = quantity::of(get(obj, &["status", "used", resource]));
            let limit = quantity::of(hard.get(resource.as_str()));
            let text = format!("{resource}: {used}/{limit}");
            match resource.split_once('.') {
                Some(("limits", _)) => limits.push(text),
                _ => requests.push(text),
            }
        }
    }
    vec![
        Value::from(name(obj)),
        Value::from(requests.join(", ")),
        Value::from(limits.join(", ")),
        age(obj, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use serde_json::{Value, json};

    fn container_status(name: &str, state: Value, ready: bool, restarts: i64) -> Value {
        json!({"name": name, "state": state, "ready": ready, "restartCount": restarts, "image": "img", "imageID": ""})
    }

    fn running() -> Value {
        json!({"running": {"startedAt": ago(3600)}})
    }

    fn pod(spec: Value, status: Value) -> Value {
        json!({"metadata": {"name": "web-0", "namespace": "default", "creationTimestamp": ago(7200)}, "spec": spec, "status": status})
    }

    fn one_container() -> Value {
        json!({"containers": [{"name": "app", "image": "nginx"}]})
    }

    /// (READY, STATUS, RESTARTS) of a pod.
    fn summary(p: &Value) -> (String, String, String) {
        let cells = row("", "Pod", p);
        (cells[1].clone(), cells[2].clone(), cells[3].clone())
    }

    fn s(ready: &str, status: &str, restarts: &str) -> (String, String, String) {
        (ready.to_owned(), status.to_owned(), restarts.to_owned())
    }

    #[test]
    fn pod_columns() {
        assert_eq!(
            headers("", "Pod"),
            [
                "Name",
                "Ready",
                "Status",
                "Restarts",
                "Age",
                "IP*",
                "Node*",
                "Nominated Node*",
                "Readiness Gates*"
            ]
        );
        let cols = super::super::columns("", "Pod").expect("printer");
        assert_eq!(cols[3].type_, "string");
        assert_eq!(
            cols[5].description,
            "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."
        );
    }

    #[test]
    fn pod_built_from_typed_api_objects() {
        use k8s_openapi::api::core::v1::{
            Container, ContainerState, ContainerStateRunning, ContainerStatus, Pod, PodIP, PodSpec,
            PodStatus,
        };
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
        let created = jiff::Timestamp::from_second(now().as_second() - 300).expect("valid");
        let pod = Pod {
            metadata: ObjectMeta {
                name: Some("nginx".into()),
                creation_timestamp: Some(Time(created)),
                ..Default::default()
            },
            spec: Some(PodSpec {
                containers: vec![Container {
                    name: "nginx".into(),
                    image: Some("nginx:1.27".into()),
                    ..Default::default()
                }],
                node_name: Some("server-1".into()),
                ..Default::default()
            }),
            status: Some(PodStatus {
                phase: Some("Running".into()),
                pod_ips: Some(vec![PodIP {
                    ip: "10.42.0.7".into(),
                }]),
                container_statuses: Some(vec![ContainerStatus {
                    name: "nginx".into(),
                    ready: true,
                    restart_count: 0,
                    image: "nginx:1.27".into(),
                    image_id: String::new(),
                    state: Some(ContainerState {
                        running: Some(ContainerStateRunning { started_at: None }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        };
        let obj = serde_json::to_value(&pod).expect("serializes");
        assert_eq!(
            row("", "Pod", &obj),
            [
                "nginx",
                "1/1",
                "Running",
                "0",
                "5m",
                "10.42.0.7",
                "server-1",
                "<none>",
                "<none>"
            ]
        );
    }

    #[test]
    fn pod_status_cases() {
        let cases: Vec<(&str, Value, (String, String, String))> = vec![
            (
                "running with two ready containers",
                pod(
                    json!({"containers": [{"name": "a"}, {"name": "b"}]}),
                    json!({"phase": "Running", "containerStatuses": [
                        container_status("a", running(), true, 0),
                        container_status("b", running(), true, 0)
                    ]}),
                ),
                s("2/2", "Running", "0"),
            ),
            (
                "running but not ready",
                pod(
                    one_container(),
                    json!({"phase": "Running", "containerStatuses": [container_status("app", running(), false, 0)]}),
                ),
                s("0/1", "Running", "0"),
            ),
            (
                "pending without statuses",
                pod(one_container(), json!({"phase": "Pending"})),
                s("0/1", "Pending", "0"),
            ),
            (
                "no status at all",
                pod(one_container(), json!(null)),
                s("0/1", "", "0"),
            ),
            (
                "container creating",
                pod(
                    one_container(),
                    json!({"phase": "Pending", "containerStatuses": [
                        container_status("app", json!({"waiting": {"reason": "ContainerCreating"}}), false, 0)
                    ]}),
                ),
                s("0/1", "ContainerCreating", "0"),
            ),
            (
                "crash loop with restart age",
                pod(
                    one_container(),
                    json!({"phase": "Running", "containerStatuses": [{
                        "name": "app", "ready": false, "restartCount": 5,
                        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
                        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(300)}}
                    }]}),
                ),
                s("0/1", "CrashLoopBackOff", "5 (5m ago)"),
            ),
            (
                "restarts without a finish time",
                pod(
                    one_container(),
                    json!({"phase": "Running", "containerStatuses": [
                        {"name": "app", "ready": true, "restartCount": 3, "state": running(), "lastState": {}}
                    ]}),
                ),
                s("1/1", "Running", "3"),
            ),
            (
                "completed",
                pod(
                    one_container(),
                    json!({"phase": "Succeeded", "containerStatuses": [
                        container_status("app", json!({"terminated": {"exitCode": 0, "reason": "Completed"}}), false, 0)
                    ]}),
                ),
                s("0/1", "Completed", "0"),
            ),
            (
                "error",
                pod(
                    one_container(),
                    json!({"phase": "Failed", "containerStatuses": [
                        container_status("app", json!({"terminated": {"exitCode": 1, "reason": "Error"}}), false, 0)
                    ]}),
                ),
                s("0/1", "Error", "0"),
            ),
            (
                "oom killed",
                pod(
                    one_container(),
                    json!({"phase": "Running", "containerStatuses": [
                        container_status("app", json!({"terminated": {"exitCode": 137, "reason": "OOMKilled"}}), false, 2)
                    ]}),
                ),
                s("0/1", "OOMKilled", "2"),
            ),
            (
                "terminated by signal without reason",
                pod(
                    one_container(),
                    json!({"phase": "Running", "containerStatuses": [
                        container_status("app", json!({"terminated": {"exitCode": 143, "signal": 15}}), false, 0)
                    ]}),
                ),
                s("0/1", "Signal:15", "0"),
            ),
            (
                "terminated with exit code without reason",
                pod(
                    one_container(),
                    json!({"phase": "Running", "containerStatuses": [
                        container_status("app", json!({"terminated": {"exitCode": 2}}), false, 0)
                    ]}),
                ),
                s("0/1", "ExitCode:2", "0"),
            ),
            (
                "completed container beside a running one, pod ready",
                pod(
                    json!({"containers": [{"name": "job"}, {"name": "server"}]}),
                    json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "containerStatuses": [
                        container_status("job", json!({"terminated": {"exitCode": 0, "reason": "Completed"}}), false, 0),
                        container_status("server", running(), true, 0)
                    ]}),
                ),
                s("1/2", "Running", "0"),
            ),
            (
                "completed container beside a running one, pod not ready",
                pod(
                    json!({"containers": [{"name": "job"}, {"name": "server"}]}),
                    json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}], "containerStatuses": [
                        container_status("job", json!({"terminated": {"exitCode": 0, "reason": "Completed"}}), false, 0),
                        container_status("server", running(), true, 0)
                    ]}),
                ),
                s("1/2", "NotReady", "0"),
            ),
            (
                "evicted",
                pod(
                    one_container(),
                    json!({"phase": "Failed", "reason": "Evicted", "message": "low on memory"}),
                ),
                s("0/1", "Evicted", "0"),
            ),
            (
                "scheduling gated",
                pod(
                    one_container(),
                    json!({"phase": "Pending", "conditions": [
                        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}
                    ]}),
                ),
                s("0/1", "SchedulingGated", "0"),
            ),
            (
                "unschedulable stays pending",
                pod(
                    one_container(),
                    json!({"phase": "Pending", "conditions": [
                        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}
                    ]}),
                ),
                s("0/1", "Pending", "0"),
            ),
            (
                "node lost without deletion",
                pod(
                    one_container(),
                    json!({"phase": "Running", "reason": "NodeLost", "containerStatuses": [
                        container_status("app", running(), true, 0)
                    ]}),
                ),
                s("1/1", "NodeLost", "0"),
            ),
        ];
        for (what, p, want) in cases {
            assert_eq!(summary(&p), want, "{what}");
        }
    }

    #[test]
    fn pod_init_containers() {
        let spec = json!({
            "initContainers": [{"name": "init-a"}, {"name": "init-b"}],
            "containers": [{"name": "app"}]
        });
        let with_init = |statuses: Value, conditions: Value| {
            pod(
                spec.clone(),
                json!({"phase": "Pending", "conditions": conditions, "initContainerStatuses": statuses,
                       "containerStatuses": [container_status("app", json!({"waiting": {"reason": "PodInitializing"}}), false, 0)]}),
            )
        };
        let done = json!({"terminated": {"exitCode": 0, "reason": "Completed"}});
        let cases: Vec<(&str, Value, (String, String, String))> = vec![
            (
                "first init running",
                with_init(
                    json!([
                        container_status("init-a", running(), false, 0),
                        container_status(
                            "init-b",
                            json!({"waiting": {"reason": "PodInitializing"}}),
                            false,
                            0
                        )
                    ]),
                    json!([]),
                ),
                s("0/1", "Init:0/2", "0"),
            ),
            (
                "second init waiting to initialize",
                with_init(
                    json!([
                        container_status("init-a", done.clone(), false, 0),
                        container_status(
                            "init-b",
                            json!({"waiting": {"reason": "PodInitializing"}}),
                            false,
                            0
                        )
                    ]),
                    json!([]),
                ),
                s("0/1", "Init:1/2", "0"),
            ),
            (
                "init image pull backoff",
                with_init(
                    json!([container_status(
                        "init-a",
                        json!({"waiting": {"reason": "ImagePullBackOff"}}),
                        false,
                        0
                    )]),
                    json!([]),
                ),
                s("0/1", "Init:ImagePullBackOff", "0"),
            ),
            (
                "init failed with reason, restarts count while initializing",
                with_init(
                    json!([{"name": "init-a", "ready": false, "restartCount": 4,
                            "state": {"terminated": {"exitCode": 1, "reason": "Error"}},
                            "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(45)}}}]),
                    json!([{"type": "Initialized", "status": "False"}]),
                ),
                s("0/1", "Init:Error", "4 (45s ago)"),
            ),
            (
                "init killed by signal",
                with_init(
                    json!([container_status(
                        "init-a",
                        json!({"terminated": {"exitCode": 137, "signal": 9}}),
                        false,
                        0
                    )]),
                    json!([]),
                ),
                s("0/1", "Init:Signal:9", "0"),
            ),
            (
                "init exit code",
                with_init(
                    json!([container_status(
                        "init-a",
                        json!({"terminated": {"exitCode": 3}}),
                        false,
                        0
                    )]),
                    json!([]),
                ),
                s("0/1", "Init:ExitCode:3", "0"),
            ),
            (
                "initialized condition overrides a stuck init status",
                with_init(
                    json!([container_status("init-a", running(), false, 0)]),
                    json!([{"type": "Initialized", "status": "True"}]),
                ),
                s("0/1", "PodInitializing", "0"),
            ),
            (
                "all init done",
                with_init(
                    json!([
                        container_status("init-a", done.clone(), false, 0),
                        container_status("init-b", done, false, 0)
                    ]),
                    json!([]),
                ),
                s("0/1", "PodInitializing", "0"),
            ),
        ];
        for (what, p, want) in cases {
            assert_eq!(summary(&p), want, "{what}");
        }
    }

    #[test]
    fn pod_sidecars() {
        let spec = json!({
            "initContainers": [{"name": "proxy", "restartPolicy": "Always"}, {"name": "setup"}],
            "containers": [{"name": "app"}]
        });
        let p = pod(
            spec.clone(),
            json!({
                "phase": "Running",
                "conditions": [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}],
                "initContainerStatuses": [
                    {"name": "proxy", "ready": true, "started": true, "restartCount": 2, "state": running(),
                     "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(3600)}}},
                    {"name": "setup", "ready": false, "restartCount": 7, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
                     "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(60)}}}
                ],
                "containerStatuses": [
                    {"name": "app", "ready": true, "restartCount": 1, "state": running(),
                     "lastState": {"terminated": {"exitCode": 1, "finishedAt": ago(600)}}}
                ]
            }),
        );
        // Sidecar counts towards READY; regular init restarts drop out once initialized.
        assert_eq!(summary(&p), s("2/2", "Running", "3 (10m ago)"));

        // A sidecar that has not started yet blocks initialization.
        let starting = pod(
            spec,
            json!({"phase": "Pending", "initContainerStatuses": [
                {"name": "proxy", "ready": false, "started": false, "restartCount": 0, "state": running()}
            ]}),
        );
        assert_eq!(summary(&starting), s("0/2", "Init:0/2", "0"));
    }

    #[test]
    fn pod_terminating() {
        let mut p = pod(
            one_container(),
            json!({"phase": "Running", "containerStatuses": [container_status("app", running(), true, 0)]}),
        );
        p["metadata"]["deletionTimestamp"] = json!(ago(5));
        assert_eq!(summary(&p), s("1/1", "Terminating", "0"));
        // Terminal pods keep their final status.
        let mut done = pod(
            one_container(),
            json!({"phase": "Succeeded", "containerStatuses": [
                container_status("app", json!({"terminated": {"exitCode": 0, "reason": "Completed"}}), false, 0)
            ]}),
        );
        done["metadata"]["deletionTimestamp"] = json!(ago(5));
        assert_eq!(summary(&done), s("0/1", "Completed", "0"));
        // Unreachable node: Unknown.
        let mut lost = pod(
            one_container(),
            json!({"phase": "Running", "reason": "NodeLost"}),
        );
        lost["metadata"]["deletionTimestamp"] = json!(ago(5));
        assert_eq!(summary(&lost), s("0/1", "Unknown", "0"));
    }

    #[test]
    fn pod_wide_cells() {
        let p = pod(
            json!({"containers": [{"name": "app"}], "nodeName": "node-2", "readinessGates": [
                {"conditionType": "example.com/lb-ready"}, {"conditionType": "example.com/dns-ready"}
            ]}),
            json!({
                "phase": "Running",
                "podIP": "10.42.1.5",
                "podIPs": [{"ip": "10.42.1.5"}, {"ip": "fd00::5"}],
                "nominatedNodeName": "node-3",
                "conditions": [
                    {"type": "example.com/lb-ready", "status": "True"},
                    {"type": "example.com/dns-ready", "status": "False"},
                    {"type": "example.com/lb-ready", "status": "False"}
                ]
            }),
        );
        assert_eq!(
            row("", "Pod", &p)[4..],
            ["120m", "10.42.1.5", "node-2", "node-3", "1/2"]
        );
        let only_ips = pod(one_container(), json!({"podIPs": [{"ip": "fd00::9"}]}));
        assert_eq!(
            row("", "Pod", &only_ips)[5..],
            ["fd00::9", "<none>", "<none>", "<none>"]
        );
    }

    #[test]
    fn service() {
        assert_eq!(
            headers("", "Service"),
            [
                "Name",
                "Type",
                "Cluster-IP",
                "External-IP",
                "Port(s)",
                "Age",
                "Selector*"
            ]
        );
        let svc = |spec: Value, status: Value| json!({"metadata": {"name": "svc", "creationTimestamp": ago(86400 * 3)}, "spec": spec, "status": status});
        let cases: Vec<(&str, Value, [&str; 7])> = vec![
            (
                "cluster ip",
                svc(
                    json!({"type": "ClusterIP", "clusterIP": "10.43.0.10", "clusterIPs": ["10.43.0.10"], "selector": {"k8s-app": "kube-dns"},
                           "ports": [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}, {"name": "metrics", "port": 9153, "protocol": "TCP"}]}),
                    json!({}),
                ),
                [
                    "svc",
                    "ClusterIP",
                    "10.43.0.10",
                    "<none>",
                    "53/UDP,53/TCP,9153/TCP",
                    "3d",
                    "k8s-app=kube-dns",
                ],
            ),
            (
                "cluster ip with external ips, dual stack",
                svc(
                    json!({"type": "ClusterIP", "clusterIPs": ["10.43.0.20", "fd00::20"], "externalIPs": ["1.2.3.4", "5.6.7.8"], "ports": [{"port": 80, "protocol": "TCP"}]}),
                    json!({}),
                ),
                [
                    "svc",
                    "ClusterIP",
                    "10.43.0.20",
                    "1.2.3.4,5.6.7.8",
                    "80/TCP",
                    "3d",
                    "<none>",
                ],
            ),
            (
                "headless",
                svc(
                    json!({"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"], "selector": {"app": "db"}}),
                    json!({}),
                ),
                [
                    "svc",
                    "ClusterIP",
                    "None",
                    "<none>",
                    "<none>",
                    "3d",
                    "app=db",
                ],
            ),
            (
                "node port",
                svc(
                    json!({"type": "NodePort", "clusterIPs": ["10.43.5.5"], "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}, {"port": 443, "nodePort": 30443, "protocol": "TCP"}]}),
                    json!({}),
                ),
                [
                    "svc",
                    "NodePort",
                    "10.43.5.5",
                    "<none>",
                    "80:30080/TCP,443:30443/TCP",
                    "3d",
                    "<none>",
                ],
            ),
            (
                "load balancer pending",
                svc(
                    json!({"type": "LoadBalancer", "clusterIPs": ["10.43.7.7"], "ports": [{"port": 80, "nodePort": 31000, "protocol": "TCP"}]}),
                    json!({"loadBalancer": {}}),
                ),
                [
                    "svc",
                    "LoadBalancer",
                    "10.43.7.7",
                    "<pending>",
                    "80:31000/TCP",
                    "3d",
                    "<none>",
                ],
            ),
            (
                "load balancer with ingress, long hostnames not truncated",
                svc(
                    json!({"type": "LoadBalancer", "clusterIPs": ["10.43.7.7"], "ports": [{"port": 443, "nodePort": 31443, "protocol": "TCP"}]}),
                    json!({"loadBalancer": {"ingress": [{"hostname": "a1b2c3.elb.us-east-1.amazonaws.com"}, {"ip": "192.168.1.10"}]}}),
                ),
                [
                    "svc",
                    "LoadBalancer",
                    "10.43.7.7",
                    "192.168.1.10,a1b2c3.elb.us-east-1.amazonaws.com",
                    "443:31443/TCP",
                    "3d",
                    "<none>",
                ],
            ),
            (
                "load balancer with external ips",
                svc(
                    json!({"type": "LoadBalancer", "clusterIPs": ["10.43.7.8"], "externalIPs": ["9.9.9.9"], "ports": [{"port": 53, "protocol": "UDP"}]}),
                    json!({"loadBalancer": {"ingress": [{"ip": "192.168.1.11"}]}}),
                ),
                [
                    "svc",
                    "LoadBalancer",
                    "10.43.7.8",
                    "192.168.1.11,9.9.9.9",
                    "53/UDP",
                    "3d",
                    "<none>",
                ],
            ),
            (
                "load balancer pending with external ips",
                svc(
                    json!({"type": "LoadBalancer", "clusterIPs": ["10.43.7.9"], "externalIPs": ["9.9.9.9"]}),
                    json!({}),
                ),
                [
                    "svc",
                    "LoadBalancer",
                    "10.43.7.9",
                    "9.9.9.9",
                    "<none>",
                    "3d",
                    "<none>",
                ],
            ),
            (
                "external name",
                svc(
                    json!({"type": "ExternalName", "externalName": "db.example.com"}),
                    json!({}),
                ),
                [
                    "svc",
                    "ExternalName",
                    "<none>",
                    "db.example.com",
                    "<none>",
                    "3d",
                    "<none>",
                ],
            ),
            (
                "legacy cluster ip only",
                svc(
                    json!({"type": "ClusterIP", "clusterIP": "10.43.0.1", "ports": [{"port": 443, "protocol": "TCP"}]}),
                    json!({}),
                ),
                [
                    "svc",
                    "ClusterIP",
                    "10.43.0.1",
                    "<none>",
                    "443/TCP",
                    "3d",
                    "<none>",
                ],
            ),
            (
                "no type",
                svc(json!({}), json!({})),
                ["svc", "", "<none>", "<unknown>", "<none>", "3d", "<none>"],
            ),
        ];
        for (what, obj, want) in cases {
            assert_eq!(row("", "Service", &obj), want, "{what}");
        }
    }

    #[test]
    fn endpoints() {
        let ep = |subsets: Value| json!({"metadata": {"name": "web", "creationTimestamp": ago(30)}, "subsets": subsets});
        assert_eq!(
            row("", "Endpoints", &ep(json!([]))),
            ["web", "<none>", "30s"]
        );
        assert_eq!(
            row("", "Endpoints", &json!({"metadata": {"name": "x"}})),
            ["x", "<none>", "<unknown>"]
        );
        assert_eq!(
            row(
                "",
                "Endpoints",
                &ep(
                    json!([{"addresses": [{"ip": "10.42.0.5"}, {"ip": "10.42.0.6"}], "ports": [{"port": 8080}]}])
                )
            ),
            ["web", "10.42.0.5:8080,10.42.0.6:8080", "30s"]
        );
        assert_eq!(
            row(
                "",
                "Endpoints",
                &ep(
                    json!([{"addresses": [{"ip": "10.42.0.5"}, {"ip": "10.42.0.6"}], "ports": [{"port": 80}, {"port": 443}]}])
                )
            ),
            [
                "web",
                "10.42.0.5:80,10.42.0.6:80,10.42.0.5:443 + 1 more...",
                "30s"
            ]
        );
        assert_eq!(
            row(
                "",
                "Endpoints",
                &ep(
                    json!([{"addresses": [{"ip": "fd00::1"}], "ports": [{"port": 80}]}, {"addresses": [{"ip": "10.0.0.1"}]}])
                )
            ),
            ["web", "[fd00::1]:80,10.0.0.1", "30s"]
        );
        assert_eq!(
            row(
                "",
                "Endpoints",
                &ep(json!([{"notReadyAddresses": [{"ip": "10.0.0.2"}], "ports": [{"port": 80}]}]))
            ),
            ["web", "", "30s"]
        );
    }

    #[test]
    fn node() {
        assert_eq!(
            headers("", "Node"),
            [
                "Name",
                "Status",
                "Roles",
                "Age",
                "Version",
                "Internal-IP*",
                "External-IP*",
                "OS-Image*",
                "Kernel-Version*",
                "Container-Runtime*"
            ]
        );
        let server = json!({
            "metadata": {"name": "server-1", "creationTimestamp": ago(86400 * 12), "labels": {
                "node-role.kubernetes.io/control-plane": "true",
                "node-role.kubernetes.io/master": "true",
                "node-role.kubernetes.io/": "ignored",
                "kubernetes.io/hostname": "server-1"
            }},
            "spec": {},
            "status": {
                "conditions": [
                    {"type": "MemoryPressure", "status": "False"},
                    {"type": "Ready", "status": "True", "reason": "KubeletReady"}
                ],
                "addresses": [{"type": "InternalIP", "address": "192.168.1.2"}, {"type": "Hostname", "address": "server-1"}, {"type": "InternalIP", "address": "fd00::2"}],
                "nodeInfo": {"kubeletVersion": "v1.33.1+orch1", "osImage": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": "6.1.0-18-amd64", "containerRuntimeVersion": "containerd://2.0.5"}
            }
        });
        assert_eq!(
            row("", "Node", &server),
            [
                "server-1",
                "Ready",
                "control-plane,master",
                "12d",
                "v1.33.1+orch1",
                "192.168.1.2",
                "<none>",
                "Debian GNU/Linux 12 (bookworm)",
                "6.1.0-18-amd64",
                "containerd://2.0.5"
            ]
        );
        let cordoned = json!({
            "metadata": {"name": "agent-1", "labels": {"kubernetes.io/role": "worker"}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "Unknown"}], "addresses": [{"type": "ExternalIP", "address": "3.3.3.3"}]}
        });
        assert_eq!(
            row("", "Node", &cordoned),
            [
                "agent-1",
                "NotReady,SchedulingDisabled",
                "worker",
                "<unknown>",
                "",
                "<none>",
                "3.3.3.3",
                "<unknown>",
                "<unknown>",
                "<unknown>"
            ]
        );
        let fresh = json!({"metadata": {"name": "n", "labels": {"kubernetes.io/role": ""}}, "spec": {"unschedulable": true}});
        assert_eq!(
            row("", "Node", &fresh)[1..3],
            ["Unknown,SchedulingDisabled", "<none>"]
        );
    }

    #[test]
    fn events() {
        assert_eq!(
            headers("", "Event"),
            [
                "Last Seen",
                "Type",
                "Reason",
                "Object",
                "Subobject*",
                "Source*",
                "Message",
                "First Seen*",
                "Count*",
                "Name*"
            ]
        );
        assert_eq!(headers("events.k8s.io", "Event"), headers("", "Event"));
        let classic = json!({
            "metadata": {"name": "web-0.17d2", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "web-0", "fieldPath": "spec.containers{nginx}"},
            "reason": "Pulled", "type": "Normal", "message": "  Successfully pulled image \"nginx\"\n",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": ago(600), "lastTimestamp": ago(120), "count": 3
        });
        assert_eq!(
            row("", "Event", &classic),
            [
                "2m",
                "Normal",
                "Pulled",
                "pod/web-0",
                "spec.containers{nginx}",
                "kubelet, node-1",
                "Successfully pulled image \"nginx\"",
                "10m",
                "3",
                "web-0.17d2"
            ]
        );
        let new_style = json!({
            "metadata": {"name": "web-0.17d3"},
            "involvedObject": {"kind": "Pod", "name": "web-0"},
            "reason": "Scheduled", "type": "Normal", "message": "Successfully assigned default/web-0 to node-1",
            "source": {}, "eventTime": "2024-06-01T11:59:15.123456Z",
            "reportingComponent": "default-scheduler", "reportingController": "default-scheduler", "reportingInstance": "default-scheduler-server-1"
        });
        assert_eq!(
            row("", "Event", &new_style),
            [
                "44s",
                "Normal",
                "Scheduled",
                "pod/web-0",
                "",
                "default-scheduler, default-scheduler-server-1",
                "Successfully assigned default/web-0 to node-1",
                "44s",
                "1",
                "web-0.17d3"
            ]
        );
        let series = json!({
            "metadata": {"name": "n.1"}, "involvedObject": {"kind": "Node"}, "type": "Warning", "reason": "FreeDiskSpaceFailed",
            "eventTime": ago(7200), "series": {"count": 12, "lastObservedTime": ago(30)}, "reportingController": "kubelet"
        });
        assert_eq!(
            row("", "Event", &series),
            [
                "30s",
                "Warning",
                "FreeDiskSpaceFailed",
                "node",
                "",
                "kubelet",
                "",
                "120m",
                "12",
                "n.1"
            ]
        );
        assert_eq!(
            row("", "Event", &json!({})),
            ["<unknown>", "", "", "", "", "", "", "<unknown>", "1", ""]
        );
    }

    #[test]
    fn events_k8s_io_event() {
        let ev = json!({
            "apiVersion": "events.k8s.io/v1",
            "metadata": {"name": "web.1"},
            "regarding": {"kind": "Deployment", "name": "web", "fieldPath": ""},
            "reason": "ScalingReplicaSet", "type": "Normal", "note": "Scaled up replica set web-5d4f to 3",
            "deprecatedSource": {"component": "deployment-controller"},
            "deprecatedFirstTimestamp": ago(3600), "deprecatedLastTimestamp": ago(90), "deprecatedCount": 2,
            "eventTime": null, "reportingController": "deployment-controller", "reportingInstance": ""
        });
        assert_eq!(
            row("events.k8s.io", "Event", &ev),
            [
                "90s",
                "Normal",
                "ScalingReplicaSet",
                "deployment/web",
                "",
                "deployment-controller",
                "Scaled up replica set web-5d4f to 3",
                "60m",
                "2",
                "web.1"
            ]
        );
        let modern = json!({
            "metadata": {"name": "p.2"}, "regarding": {"kind": "Pod", "name": "p"}, "reason": "Started", "type": "Normal",
            "note": "Started container", "eventTime": ago(20), "reportingController": "kubelet", "reportingInstance": "node-1",
            "series": {"count": 4, "lastObservedTime": ago(2)}
        });
        assert_eq!(
            row("events.k8s.io", "Event", &modern),
            [
                "2s",
                "Normal",
                "Started",
                "pod/p",
                "",
                "kubelet, node-1",
                "Started container",
                "20s",
                "4",
                "p.2"
            ]
        );
    }

    #[test]
    fn config_and_secrets() {
        let cm = json!({"metadata": {"name": "cfg", "creationTimestamp": ago(45)}, "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AAE="}});
        assert_eq!(headers("", "ConfigMap"), ["Name", "Data", "Age"]);
        assert_eq!(row("", "ConfigMap", &cm), ["cfg", "3", "45s"]);
        assert_eq!(
            row("", "ConfigMap", &json!({"metadata": {"name": "e"}})),
            ["e", "0", "<unknown>"]
        );

        let secret = json!({"metadata": {"name": "tls", "creationTimestamp": ago(60)}, "type": "kubernetes.io/tls",
                            "data": {"tls.crt": "x", "tls.key": "y"}, "stringData": {"tls.key": "z", "ca.crt": "w"}});
        assert_eq!(headers("", "Secret"), ["Name", "Type", "Data", "Age"]);
        assert_eq!(
            row("", "Secret", &secret),
            ["tls", "kubernetes.io/tls", "3", "60s"]
        );

        let sa = json!({"metadata": {"name": "default", "creationTimestamp": ago(600)}, "secrets": [{"name": "default-token"}]});
        assert_eq!(row("", "ServiceAccount", &sa), ["default", "1", "10m"]);
        assert_eq!(
            row("", "ServiceAccount", &json!({"metadata": {"name": "x"}}))[1],
            "0"
        );

        let ns = json!({"metadata": {"name": "kube-system", "creationTimestamp": ago(86400)}, "status": {"phase": "Active"}});
        assert_eq!(row("", "Namespace", &ns), ["kube-system", "Active", "24h"]);
        let mut deleting = ns.clone();
        deleting["status"]["phase"] = json!("Terminating");
        assert_eq!(row("", "Namespace", &deleting)[1], "Terminating");
    }

    #[test]
    fn persistent_volumes() {
        assert_eq!(
            headers("", "PersistentVolume"),
            [
                "Name",
                "Capacity",
                "Access Modes",
                "Reclaim Policy",
                "Status",
                "Claim",
                "StorageClass",
                "VolumeAttributesClass",
                "Reason",
                "Age",
                "VolumeMode*"
            ]
        );
        let pv = json!({
            "metadata": {"name": "pvc-1234", "creationTimestamp": ago(3600)},
            "spec": {"capacity": {"storage": "5120Mi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"],
                     "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "local-path", "volumeMode": "Filesystem",
                     "claimRef": {"namespace": "default", "name": "data"}},
            "status": {"phase": "Bound"}
        });
        assert_eq!(
            row("", "PersistentVolume", &pv),
            [
                "pvc-1234",
                "5Gi",
                "RWO,RWX",
                "Delete",
                "Bound",
                "default/data",
                "local-path",
                "<unset>",
                "",
                "60m",
                "Filesystem"
            ]
        );
        let mut released = pv.clone();
        released["metadata"]["deletionTimestamp"] = json!(ago(1));
        released["metadata"]["annotations"] =
            json!({"volume.beta.kubernetes.io/storage-class": "legacy"});
        released["spec"]["volumeAttributesClassName"] = json!("gold");
        released["status"] = json!({"phase": "Failed", "reason": "ReclaimFailed"});
        assert_eq!(
            row("", "PersistentVolume", &released)[4..9],
            [
                "Terminating",
                "default/data",
                "legacy",
                "gold",
                "ReclaimFailed"
            ]
        );
        assert_eq!(
            row(
                "",
                "PersistentVolume",
                &json!({"metadata": {"name": "bare"}})
            ),
            [
                "bare",
                "0",
                "",
                "",
                "",
                "",
                "",
                "<unset>",
                "",
                "<unknown>",
                "<unset>"
            ]
        );

        assert_eq!(
            headers("", "PersistentVolumeClaim"),
            [
                "Name",
                "Status",
                "Volume",
                "Capacity",
                "Access Modes",
                "StorageClass",
                "VolumeAttributesClass",
                "Age",
                "VolumeMode*"
            ]
        );
        let bound = json!({
            "metadata": {"name": "data", "creationTimestamp": ago(3600)},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}, "storageClassName": "local-path",
                     "volumeName": "pvc-1234", "volumeMode": "Filesystem"},
            "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce", "ReadWriteOncePod"], "capacity": {"storage": "2Gi"}}
        });
        assert_eq!(
            row("", "PersistentVolumeClaim", &bound),
            [
                "data",
                "Bound",
                "pvc-1234",
                "2Gi",
                "RWO,RWOP",
                "local-path",
                "<unset>",
                "60m",
                "Filesystem"
            ]
        );
        let pending = json!({"metadata": {"name": "wait"}, "spec": {"resources": {"requests": {"storage": "1Gi"}}}, "status": {"phase": "Pending"}});
        assert_eq!(
            row("", "PersistentVolumeClaim", &pending),
            [
                "wait",
                "Pending",
                "",
                "",
                "",
                "",
                "<unset>",
                "<unknown>",
                "<unset>"
            ]
        );
        let mut gone = bound.clone();
        gone["metadata"]["deletionTimestamp"] = json!(ago(1));
        assert_eq!(row("", "PersistentVolumeClaim", &gone)[1], "Terminating");
    }

    #[test]
    fn controllers_templates_and_quotas() {
        let rc = json!({
            "metadata": {"name": "legacy", "creationTimestamp": ago(100)},
            "spec": {"replicas": 3, "selector": {"app": "legacy"}, "template": {"spec": {"containers": [{"name": "c", "image": "i:1"}]}}},
            "status": {"replicas": 3, "readyReplicas": 1}
        });
        assert_eq!(
            headers("", "ReplicationController"),
            [
                "Name",
                "Desired",
                "Current",
                "Ready",
                "Age",
                "Containers*",
                "Images*",
                "Selector*"
            ]
        );
        assert_eq!(
            row("", "ReplicationController", &rc),
            ["legacy", "3", "3", "1", "100s", "c", "i:1", "app=legacy"]
        );

        let pt = json!({"metadata": {"name": "tmpl"}, "template": {"metadata": {"labels": {"b": "2", "a": "1"}},
                        "spec": {"containers": [{"name": "x", "image": "x:1"}, {"name": "y", "image": "y:2"}]}}});
        assert_eq!(
            headers("", "PodTemplate"),
            ["Name", "Containers", "Images", "Pod Labels"]
        );
        assert_eq!(
            row("", "PodTemplate", &pt),
            ["tmpl", "x,y", "x:1,y:2", "a=1,b=2"]
        );

        let rq = json!({
            "metadata": {"name": "quota", "creationTimestamp": ago(300)},
            "status": {
                "hard": {"requests.cpu": "2", "limits.memory": "4Gi", "pods": "10", "limits.cpu": "4000m", "requests.memory": "2048Mi"},
                "used": {"requests.cpu": "500m", "limits.memory": "1Gi", "pods": "3", "limits.cpu": "1"}
            }
        });
        assert_eq!(
            headers("", "ResourceQuota"),
            ["Name", "Request", "Limit", "Age"]
        );
        assert_eq!(
            row("", "ResourceQuota", &rq),
            [
                "quota",
                "pods: 3/10, requests.cpu: 500m/2, requests.memory: 0/2Gi",
                "limits.cpu: 1/4, limits.memory: 1Gi/4Gi",
                "5m"
            ]
        );

        let cs = json!({"metadata": {"name": "etcd-0"}, "conditions": [{"type": "Healthy", "status": "True", "message": "ok"}]});
        assert_eq!(
            row("", "ComponentStatus", &cs),
            ["etcd-0", "Healthy", "ok", ""]
        );
        let bad = json!({"metadata": {"name": "scheduler"}, "conditions": [{"type": "Healthy", "status": "False", "error": "refused"}]});
        assert_eq!(
            row("", "ComponentStatus", &bad),
            ["scheduler", "Unhealthy", "", "refused"]
        );
        assert_eq!(row("", "ComponentStatus", &json!({}))[1], "Unknown");
    }
}
