//! Simulated Nodes: registration (or take-over after an agent restart), the node Lease the
//! kubelet keeps in `kube-node-lease`, and the Ready heartbeat.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{SimConfig, SimError, now, time_str};
use crate::apiserver::discovery::go_arch;
use crate::kubelet::heartbeat::{
    LEASE_NAMESPACE, LEASE_RENEW_INTERVAL, NODE_STATUS_REPORT_INTERVAL, healthy,
    healthy_conditions, kept_transitions, renew,
};

/// Annotation marking nodes this simulator runs.
pub const SIMULATED_ANNOTATION: &str = "sim.orch.dev/simulated";

/// Simulated node IPs come from 172.16.0.0/12 and their pod ranges from 10.64.0.0/10: slot `s`
/// is node IP 172.16.(s>>8).(s&255) with pods in 10.(64+(s>>8)).(s&255).0/24.
const SLOTS: u32 = 64 * 256;

/// One simulated node and the pod addresses it hands out.
#[derive(Debug)]
pub struct SimNode {
    pub name: String,
    pub internal_ip: Ipv4Addr,
    slot: u32,
    ipam: Mutex<PodIpam>,
}

impl SimNode {
    fn new(name: String, slot: u32) -> SimNode {
        SimNode {
            name,
            internal_ip: Ipv4Addr::new(172, 16, (slot >> 8) as u8, (slot & 255) as u8),
            slot,
            ipam: Mutex::new(PodIpam::default()),
        }
    }

    pub fn pod_cidr(&self) -> String {
        let [a, b, c, _] = self.pod_ip(0).octets();
        format!("{a}.{b}.{c}.0/24")
    }

    fn pod_ip(&self, host: u8) -> Ipv4Addr {
        Ipv4Addr::new(
            10,
            64 + (self.slot >> 8) as u8,
            (self.slot & 255) as u8,
            host,
        )
    }

    /// The address of pod `uid` (the same one when asked again), or `None` when the range is full.
    pub fn allocate_pod_ip(&self, uid: &str) -> Option<Ipv4Addr> {
        let host = self.ipam.lock().expect("ipam lock").allocate(uid)?;
        Some(self.pod_ip(host))
    }

    /// Records that pod `uid` holds `ip` (seen in its status when taking over).
    pub fn claim_pod_ip(&self, uid: &str, ip: &str) {
        if let Some(host) = self.host_part(ip) {
            self.ipam.lock().expect("ipam lock").claim(host, uid);
        }
    }

    /// Frees `ip` if pod `uid` holds it.
    pub fn release_pod_ip(&self, uid: &str, ip: &str) {
        if let Some(host) = self.host_part(ip) {
            self.ipam.lock().expect("ipam lock").release(host, uid);
        }
    }

    fn host_part(&self, ip: &str) -> Option<u8> {
        let ip: Ipv4Addr = ip.parse().ok()?;
        let [a, b, c, d] = ip.octets();
        let [x, y, z, _] = self.pod_ip(0).octets();
        ((a, b, c) == (x, y, z)).then_some(d)
    }
}

/// Pod addresses of one node: .2 to .254 (.1 is the gateway a real bridge would hold), handed
/// out round-robin so a freed address is not reused at once.
#[derive(Debug, Default)]
struct PodIpam {
    owners: HashMap<u8, String>,
    next: u8,
}

impl PodIpam {
    fn allocate(&mut self, uid: &str) -> Option<u8> {
        if let Some((host, _)) = self.owners.iter().find(|(_, o)| *o == uid) {
            return Some(*host);
        }
        for i in 0..253u16 {
            let host = 2 + ((self.next as u16 + i) % 253) as u8;
            if !self.owners.contains_key(&host) {
                self.owners.insert(host, uid.to_owned());
                self.next = host - 1;
                return Some(host);
            }
        }
        None
    }

    fn claim(&mut self, host: u8, uid: &str) {
        self.owners.insert(host, uid.to_owned());
    }

    fn release(&mut self, host: u8, uid: &str) {
        if self.owners.get(&host).is_some_and(|o| o == uid) {
            self.owners.remove(&host);
        }
    }
}

fn slot_of(node: &Node) -> Option<u32> {
    node.status
        .as_ref()?
        .addresses
        .as_ref()?
        .iter()
        .filter(|a| a.type_ == "InternalIP")
        .find_map(|a| {
            let [a, b, c, d] = a.address.parse::<Ipv4Addr>().ok()?.octets();
            let slot = (c as u32) << 8 | d as u32;
            (a == 172 && b == 16 && slot > 0 && slot < SLOTS).then_some(slot)
        })
}

fn preferred_slot(name: &str) -> u32 {
    // FNV-1a: stable across runs and agents.
    let mut h: u32 = 0x811c9dc5;
    for b in name.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x01000193);
    }
    1 + h % (SLOTS - 1)
}

/// Labels the kubelet puts on its Node, then the user's `--node-label`s.
fn labels(config: &SimConfig, name: &str) -> BTreeMap<String, String> {
    crate::kubelet::node::labels(name, false, &config.labels)
}

fn status(config: &SimConfig, node: &SimNode, boot_id: &str, existing: Option<&Node>) -> Value {
    let capacity = json!({
        "cpu": config.cpu,
        "ephemeral-storage": config.ephemeral_storage,
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "memory": config.memory,
        "pods": config.pods.to_string(),
    });
    let heartbeat = time_str(now());
    json!({
        "capacity": capacity,
        "allocatable": capacity,
        "conditions": healthy_conditions(&heartbeat, &kept_transitions(existing)),
        "addresses": [
            {"type": "InternalIP", "address": node.internal_ip.to_string()},
            {"type": "Hostname", "address": node.name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "machineID": machine_id(&node.name),
            "systemUUID": uuid_of(&node.name),
            "bootID": boot_id,
            "kernelVersion": "6.0.0-orch-sim",
            "osImage": "orch simulated node",
            "containerRuntimeVersion": format!("orch-sim://{}", crate::version::ORCH),
            "kubeletVersion": crate::version::git_version(),
            "operatingSystem": "linux",
            "architecture": go_arch(),
        },
    })
}

fn machine_id(name: &str) -> String {
    uuid_of(name).replace('-', "")
}

fn uuid_of(name: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("orch-sim-node/{name}").as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    uuid::Builder::from_random_bytes(b)
        .into_uuid()
        .hyphenated()
        .to_string()
}

fn node_object(config: &SimConfig, node: &SimNode, boot_id: &str) -> Value {
    let taints: Vec<Value> = config
        .taints
        .iter()
        .map(|t| serde_json::to_value(t).expect("taints serialize"))
        .collect();
    let mut spec = json!({
        "podCIDR": node.pod_cidr(),
        "podCIDRs": [node.pod_cidr()],
    });
    if !taints.is_empty() {
        spec["taints"] = json!(taints);
    }
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": node.name,
            "labels": labels(config, &node.name),
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                SIMULATED_ANNOTATION: "true",
            },
        },
        "spec": spec,
        "status": status(config, node, boot_id, None),
    })
}

/// Registers the configured nodes, taking over those that exist already.
pub async fn register(
    client: &Client,
    config: &SimConfig,
    boot_id: &str,
) -> Result<Vec<Arc<SimNode>>, SimError> {
    let api: Api<Node> = Api::all(client.clone());
    let existing = api
        .list(&ListParams::default())
        .await
        .map_err(|source| SimError::Api {
            what: "list nodes".into(),
            source,
        })?;
    let names: Vec<String> = (0..config.count)
        .map(|i| format!("{}{i}", config.prefix))
        .collect();
    let ours: HashSet<&str> = names.iter().map(String::as_str).collect();
    let by_name: HashMap<String, &Node> =
        existing.items.iter().map(|n| (n.name_any(), n)).collect();
    let mut used: HashSet<u32> = existing
        .items
        .iter()
        .filter(|n| !ours.contains(n.name_any().as_str()))
        .filter_map(slot_of)
        .collect();
    let mut nodes = Vec::with_capacity(names.len());
    // Nodes that keep their address first, so new ones do not take it.
    let mut fresh = Vec::new();
    for name in &names {
        match by_name.get(name).and_then(|n| slot_of(n)) {
            Some(slot) if used.insert(slot) => nodes.push(SimNode::new(name.clone(), slot)),
            _ => fresh.push(name.clone()),
        }
    }
    for name in fresh {
        let mut slot = preferred_slot(&name);
        while !used.insert(slot) {
            slot = 1 + slot % (SLOTS - 1);
            if used.len() as u32 >= SLOTS - 1 {
                return Err(SimError::TooManyNodes);
            }
        }
        nodes.push(SimNode::new(name, slot));
    }
    let nodes: Vec<Arc<SimNode>> = nodes.into_iter().map(Arc::new).collect();

    let results: Vec<Result<(), SimError>> = futures::stream::iter(nodes.iter().cloned())
        .map(|node| {
            let api = api.clone();
            let existing = by_name.get(&node.name).map(|n| (*n).clone());
            async move {
                match existing {
                    None => create_node(&api, config, &node, boot_id).await,
                    Some(old) => take_over(&api, config, &node, boot_id, &old).await,
                }
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    results.into_iter().collect::<Result<(), _>>()?;
    Ok(nodes)
}

async fn create_node(
    api: &Api<Node>,
    config: &SimConfig,
    node: &SimNode,
    boot_id: &str,
) -> Result<(), SimError> {
    let obj: Node = serde_json::from_value(node_object(config, node, boot_id))
        .expect("node objects deserialize");
    match api.create(&PostParams::default(), &obj).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 409 => {
            // Registered meanwhile (another start of this agent): take it over.
            let old = api.get(&node.name).await.map_err(|source| SimError::Api {
                what: format!("get node {}", node.name),
                source,
            })?;
            take_over(api, config, node, boot_id, &old).await
        }
        Err(source) => Err(SimError::Api {
            what: format!("register node {}", node.name),
            source,
        }),
    }
}

/// An agent restart: the kubelet refreshes its default labels and posts its status.
async fn take_over(
    api: &Api<Node>,
    config: &SimConfig,
    node: &SimNode,
    boot_id: &str,
    old: &Node,
) -> Result<(), SimError> {
    let mut meta = json!({
        "metadata": {
            "labels": labels(config, &node.name),
            "annotations": {SIMULATED_ANNOTATION: "true"},
        }
    });
    if old
        .spec
        .as_ref()
        .and_then(|s| s.pod_cidr.as_ref())
        .is_none()
    {
        meta["spec"] = json!({"podCIDR": node.pod_cidr(), "podCIDRs": [node.pod_cidr()]});
    }
    let err = |source| SimError::Api {
        what: format!("take over node {}", node.name),
        source,
    };
    api.patch(&node.name, &PatchParams::default(), &Patch::Merge(&meta))
        .await
        .map_err(err)?;
    let status = json!({"status": status(config, node, boot_id, Some(old))});
    api.patch_status(
        &node.name,
        &PatchParams::default(),
        &Patch::Strategic(&status),
    )
    .await
    .map_err(err)?;
    tracing::info!(node = %node.name, "took over an existing node");
    Ok(())
}

/// Posts the healthy conditions with a fresh heartbeat.
async fn post_conditions(api: &Api<Node>, node: &SimNode, current: Option<&Node>) {
    let patch = json!({"status": {"conditions": healthy_conditions(&time_str(now()), &kept_transitions(current))}});
    if let Err(err) = api
        .patch_status(
            &node.name,
            &PatchParams::default(),
            &Patch::Strategic(&patch),
        )
        .await
    {
        tracing::debug!(node = %node.name, error = %err, "cannot post node status");
    }
}

/// Keeps one node's Lease renewed and its Ready heartbeat fresh until `shutdown`.
pub async fn keep_alive(
    client: Client,
    node: Arc<SimNode>,
    node_uid: Option<String>,
    limit: Arc<tokio::sync::Semaphore>,
    shutdown: CancellationToken,
) {
    let leases: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let nodes: Api<Node> = Api::all(client);
    let mut lease: Option<Lease> = None;
    let mut last_report = tokio::time::Instant::now();
    // Spread the renewals of many nodes over the interval.
    let jitter = LEASE_RENEW_INTERVAL.mul_f64(fastrand::f64());
    let mut next = tokio::time::Instant::now();
    let span = tracing::info_span!("node lease", node = %node.name);
    async {
        loop {
            {
                let _permit = limit.acquire().await.expect("semaphore open");
                lease = renew(&leases, &node.name, node_uid.as_deref(), lease.take()).await;
                if last_report.elapsed() >= NODE_STATUS_REPORT_INTERVAL {
                    last_report = tokio::time::Instant::now();
                    let current = nodes.get(&node.name).await.ok();
                    post_conditions(&nodes, &node, current.as_ref()).await;
                }
            }
            next += if lease.is_some() {
                LEASE_RENEW_INTERVAL
            } else {
                Duration::from_secs(1)
            };
            if next < tokio::time::Instant::now() {
                next = tokio::time::Instant::now() + jitter / 10;
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep_until(next) => {}
            }
        }
    }
    .instrument(span)
    .await
}

/// Watches the simulated Nodes and posts a healthy status again when someone else (the node
/// lifecycle controller) changed it, as the kubelet's periodic status sync does.
pub async fn repair_status(
    client: Client,
    nodes: Arc<HashMap<String, Arc<SimNode>>>,
    limit: Arc<tokio::sync::Semaphore>,
    shutdown: CancellationToken,
) {
    let api: Api<Node> = Api::all(client);
    let mut events =
        std::pin::pin!(watcher(api.clone(), watcher::Config::default()).default_backoff());
    let mut last_post: HashMap<String, tokio::time::Instant> = HashMap::new();
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => return,
            e = events.next() => match e {
                Some(e) => e,
                None => return,
            },
        };
        let node = match event {
            Ok(watcher::Event::Apply(n) | watcher::Event::InitApply(n)) => n,
            Ok(_) => continue,
            Err(err) => {
                tracing::debug!(error = %err, "node watch failed; retrying");
                continue;
            }
        };
        let Some(sim) = nodes.get(&node.name_any()) else {
            continue;
        };
        if healthy(&node) {
            continue;
        }
        // At most one repair every few seconds per node.
        let now = tokio::time::Instant::now();
        if last_post
            .get(&sim.name)
            .is_some_and(|t| now.duration_since(*t) < Duration::from_secs(2))
        {
            continue;
        }
        last_post.insert(sim.name.clone(), now);
        let _permit = limit.acquire().await.expect("semaphore open");
        tracing::info!(node = %sim.name, "node status was changed; posting ready status");
        post_conditions(&api, sim, Some(&node)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipam_round_robin_and_owners() {
        let node = SimNode::new("n".into(), 0x0102);
        assert_eq!(node.internal_ip.to_string(), "172.16.1.2");
        assert_eq!(node.pod_cidr(), "10.65.2.0/24");
        let a = node.allocate_pod_ip("a").unwrap();
        let b = node.allocate_pod_ip("b").unwrap();
        assert_eq!(a.to_string(), "10.65.2.2");
        assert_eq!(b.to_string(), "10.65.2.3");
        assert_eq!(node.allocate_pod_ip("a"), Some(a));
        node.release_pod_ip("x", &a.to_string());
        assert_eq!(node.allocate_pod_ip("a"), Some(a));
        node.release_pod_ip("a", &a.to_string());
        // Not reused at once.
        assert_eq!(node.allocate_pod_ip("c").unwrap().to_string(), "10.65.2.4");
        for i in 0..251 {
            node.allocate_pod_ip(&format!("p{i}"));
        }
        assert_eq!(node.allocate_pod_ip("full"), None);
    }
}
