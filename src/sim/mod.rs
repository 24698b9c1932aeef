//! Simulated nodes, like kwok: `orch agent --simulate N` registers N Nodes that look like real
//! kubelets to the rest of the cluster (status, Lease, heartbeat) and drives the pods bound to
//! them through their life without running anything.
//!
//! Everything goes through a kube [`Client`], so the same code runs in the `orch agent` process
//! (over HTTPS) or inside a test or benchmark (in-process client). One Pod watch and one Node
//! watch serve every simulated node; API writes share one concurrency limit.

pub mod node;
pub mod pods;
pub mod program;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Node, Taint};
use kube::Client;
use kube::api::Api;
use tokio_util::sync::CancellationToken;

pub use node::SimNode;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot {what}")]
    Api {
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error("no node addresses left for simulated nodes")]
    TooManyNodes,
    #[error("invalid {flag} {value:?}: {reason}")]
    InvalidFlag {
        flag: &'static str,
        value: String,
        reason: &'static str,
    },
}

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// How many nodes: `<prefix>0` … `<prefix>{count-1}`.
    pub count: usize,
    pub prefix: String,
    /// Extra node labels (`--node-label`).
    pub labels: BTreeMap<String, String>,
    /// Taints registered with the nodes (`--node-taint`).
    pub taints: Vec<Taint>,
    /// Capacity (= allocatable) of each node.
    pub cpu: String,
    pub memory: String,
    pub pods: u32,
    pub ephemeral_storage: String,
    /// How many API requests may be in flight at once.
    pub max_in_flight: usize,
    /// Whether bound pods are driven through their life (Running, Ready, completion). Without
    /// it they stay Pending on their nodes, as in upstream's scheduler_perf.
    pub run_pods: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            count: 1,
            prefix: "sim-".into(),
            labels: BTreeMap::new(),
            taints: Vec::new(),
            cpu: "8".into(),
            memory: "32Gi".into(),
            pods: 110,
            ephemeral_storage: "100Gi".into(),
            max_in_flight: 64,
            run_pods: true,
        }
    }
}

/// Parses `key=value` (`--node-label`).
pub fn parse_label(s: &str) -> Result<(String, String), SimError> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(SimError::InvalidFlag {
            flag: "--node-label",
            value: s.into(),
            reason: "expected key=value",
        }),
    }
}

/// Parses `key=value:Effect` or `key:Effect` (`--node-taint`, as the kubelet's
/// `--register-with-taints`).
pub fn parse_taint(s: &str) -> Result<Taint, SimError> {
    let invalid = |reason| SimError::InvalidFlag {
        flag: "--node-taint",
        value: s.into(),
        reason,
    };
    let (kv, effect) = s
        .rsplit_once(':')
        .ok_or_else(|| invalid("expected key=value:Effect"))?;
    if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        return Err(invalid(
            "the effect must be NoSchedule, PreferNoSchedule or NoExecute",
        ));
    }
    let (key, value) = match kv.split_once('=') {
        Some((k, v)) => (k, Some(v.to_string())),
        None => (kv, None),
    };
    if key.is_empty() {
        return Err(invalid("the key is empty"));
    }
    Ok(Taint {
        key: key.to_string(),
        value,
        effect: effect.to_string(),
        time_added: None,
    })
}

pub(crate) fn now() -> Timestamp {
    Timestamp::now()
}

/// A `metav1.Time` rendering (whole seconds, UTC).
pub(crate) fn time_str(t: Timestamp) -> String {
    jiff::fmt::strtime::format("%Y-%m-%dT%H:%M:%SZ", t).expect("timestamps format")
}

/// Retry delay after `failures` failed writes: 200 ms doubling to 10 s.
pub(crate) fn backoff(failures: u32) -> Duration {
    Duration::from_millis((200u64 << failures.min(6)).min(10_000))
}

/// Registers the nodes, then keeps them alive and drives their pods until `shutdown`. The
/// nodes stay registered afterwards (like a stopped kubelet's).
pub async fn run(
    client: Client,
    config: SimConfig,
    shutdown: CancellationToken,
) -> Result<(), SimError> {
    let boot_id = uuid::Uuid::new_v4().to_string();
    let mut failures = 0;
    let nodes = loop {
        // Like the kubelet, keep trying until the server answers.
        match node::register(&client, &config, &boot_id).await {
            Ok(nodes) => break nodes,
            Err(err @ SimError::Api { .. }) if failures < 30 => {
                failures += 1;
                tracing::warn!(error = %err, "cannot register the simulated nodes; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(backoff(failures)) => {}
                }
            }
            Err(err) => return Err(err),
        }
    };
    tracing::info!(
        nodes = nodes.len(),
        prefix = %config.prefix,
        "simulated nodes registered"
    );
    let limit = Arc::new(tokio::sync::Semaphore::new(config.max_in_flight.max(1)));
    let uids: HashMap<String, String> = {
        let api: Api<Node> = Api::all(client.clone());
        let list = api
            .list(&Default::default())
            .await
            .map_err(|source| SimError::Api {
                what: "list nodes".into(),
                source,
            })?;
        list.items
            .into_iter()
            .filter_map(|n| Some((n.metadata.name?, n.metadata.uid?)))
            .collect()
    };
    let by_name: Arc<HashMap<String, Arc<SimNode>>> =
        Arc::new(nodes.iter().map(|n| (n.name.clone(), n.clone())).collect());
    let mut tasks = tokio::task::JoinSet::new();
    for n in &nodes {
        tasks.spawn(node::keep_alive(
            client.clone(),
            n.clone(),
            uids.get(&n.name).cloned(),
            limit.clone(),
            shutdown.clone(),
        ));
    }
    tasks.spawn(node::repair_status(
        client.clone(),
        by_name.clone(),
        limit.clone(),
        shutdown.clone(),
    ));
    if config.run_pods {
        tasks.spawn(pods::run(Arc::new(pods::Shared {
            client,
            nodes: by_name,
            limit,
            shutdown: shutdown.clone(),
        })));
    }
    while tasks.join_next().await.is_some() {}
    tracing::info!("simulated nodes stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taints_and_labels() {
        let t = parse_taint("dedicated=gpu:NoSchedule").unwrap();
        assert_eq!(
            (t.key.as_str(), t.value.as_deref(), t.effect.as_str()),
            ("dedicated", Some("gpu"), "NoSchedule")
        );
        let t = parse_taint("example.com/flag:NoExecute").unwrap();
        assert_eq!((t.key.as_str(), t.value), ("example.com/flag", None));
        assert!(parse_taint("a=b").is_err());
        assert!(parse_taint("a=b:Sometimes").is_err());
        assert_eq!(
            parse_label("zone=a").unwrap(),
            ("zone".to_string(), "a".to_string())
        );
        assert!(parse_label("zone").is_err());
    }
}
