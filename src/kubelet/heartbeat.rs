//! What every kubelet (real or simulated) posts to say it is alive: the node Lease in
//! `kube-node-lease`, renewed every 10 s, and the node conditions with their heartbeat.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta, OwnerReference};
use kube::api::{Api, PostParams};
use serde_json::{Value, json};

/// A `metav1.Time` rendering (whole seconds, UTC).
pub fn time_str(t: Timestamp) -> String {
    jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%SZ", t).expect("timestamps format")
}

fn now() -> Timestamp {
    Timestamp::now()
}

/// Namespace of the node Leases.
pub const LEASE_NAMESPACE: &str = "kube-node-lease";
/// The kubelet's `nodeLeaseDurationSeconds`.
pub const LEASE_DURATION_SECONDS: i32 = 40;
/// The kubelet renews its Lease every quarter of its duration.
pub const LEASE_RENEW_INTERVAL: Duration = Duration::from_secs(10);
/// The kubelet's `nodeStatusReportFrequency`: the Ready heartbeat is refreshed this often even
/// when nothing changed.
pub const NODE_STATUS_REPORT_INTERVAL: Duration = Duration::from_secs(300);
/// The four conditions a healthy kubelet posts, with upstream's reasons and messages.
pub fn healthy_conditions(heartbeat: &str, transitions: &HashMap<String, String>) -> Value {
    let cond = |type_: &str, status: &str, reason: &str, message: &str| {
        let transition = transitions
            .get(type_)
            .cloned()
            .unwrap_or_else(|| heartbeat.to_string());
        json!({
            "type": type_,
            "status": status,
            "lastHeartbeatTime": heartbeat,
            "lastTransitionTime": transition,
            "reason": reason,
            "message": message,
        })
    };
    json!([
        cond(
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available"
        ),
        cond(
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure"
        ),
        cond(
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available"
        ),
        cond(
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status"
        ),
    ])
}

/// The transition times of conditions already in the wanted state (kept on a heartbeat).
pub fn kept_transitions(node: Option<&Node>) -> HashMap<String, String> {
    let wanted = |t: &str| if t == "Ready" { "True" } else { "False" };
    node.and_then(|n| n.status.as_ref())
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten()
        .filter(|c| c.status == wanted(&c.type_))
        .filter_map(|c| {
            let t = c.last_transition_time.as_ref()?;
            Some((c.type_.clone(), time_str(t.0)))
        })
        .collect()
}

/// One renewal: update the known Lease, or fetch/create it. Returns the Lease as stored.
pub async fn renew(
    api: &Api<Lease>,
    name: &str,
    node_uid: Option<&str>,
    known: Option<Lease>,
) -> Option<Lease> {
    let renew_time = MicroTime(now());
    let lease = match known {
        Some(l) => l,
        None => match api.get_opt(name).await {
            Ok(Some(l)) => l,
            Ok(None) => {
                let lease = Lease {
                    metadata: ObjectMeta {
                        name: Some(name.to_string()),
                        namespace: Some(LEASE_NAMESPACE.to_string()),
                        owner_references: node_uid.map(|uid| {
                            vec![OwnerReference {
                                api_version: "v1".into(),
                                kind: "Node".into(),
                                name: name.to_string(),
                                uid: uid.to_string(),
                                ..Default::default()
                            }]
                        }),
                        ..Default::default()
                    },
                    spec: Some(LeaseSpec {
                        holder_identity: Some(name.to_string()),
                        lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
                        renew_time: Some(renew_time),
                        ..Default::default()
                    }),
                };
                return match api.create(&PostParams::default(), &lease).await {
                    Ok(l) => Some(l),
                    Err(err) => {
                        tracing::debug!(error = %err, "cannot create the node lease");
                        None
                    }
                };
            }
            Err(err) => {
                tracing::debug!(error = %err, "cannot get the node lease");
                return None;
            }
        },
    };
    let mut lease = lease;
    let spec = lease.spec.get_or_insert_with(Default::default);
    spec.holder_identity = Some(name.to_string());
    spec.lease_duration_seconds = Some(LEASE_DURATION_SECONDS);
    spec.renew_time = Some(renew_time);
    match api.replace(name, &PostParams::default(), &lease).await {
        Ok(l) => Some(l),
        Err(err) => {
            tracing::debug!(error = %err, "cannot renew the node lease");
            None
        }
    }
}

/// Whether the Node shows the conditions a healthy kubelet posts.
pub fn healthy(node: &Node) -> bool {
    let conditions = node.status.as_ref().and_then(|s| s.conditions.as_ref());
    let status_of = |t: &str| {
        conditions
            .into_iter()
            .flatten()
            .find(|c| c.type_ == t)
            .map(|c| c.status.as_str())
    };
    status_of("Ready") == Some("True")
        && ["MemoryPressure", "DiskPressure", "PIDPressure"]
            .iter()
            .all(|t| status_of(t) == Some("False"))
}
