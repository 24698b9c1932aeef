//! The kubelet's Node: registered (or taken over after a restart) with its labels, taints,
//! addresses, capacity and node info, then kept alive: the Lease renewed every 10 s and the
//! conditions re-posted when they are due or when someone else (the node lifecycle controller)
//! changed them.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::heartbeat::{
    LEASE_NAMESPACE, LEASE_RENEW_INTERVAL, NODE_STATUS_REPORT_INTERVAL, healthy,
    healthy_conditions, kept_transitions, renew, time_str,
};
use super::node::{Host, allocatable, capacity, labels, node_info};
use super::{KubeletConfig, KubeletError};

/// The Node's status as this kubelet reports it.
fn status(config: &KubeletConfig, host: &Host, port: u16, existing: Option<&Node>) -> Value {
    json!({
        "capacity": capacity(host, config.max_pods),
        "allocatable": allocatable(host, config.max_pods, &config.reserved),
        "conditions": healthy_conditions(&time_str(Timestamp::now()), &kept_transitions(existing)),
        "addresses": [
            {"type": "InternalIP", "address": config.node_ip.to_string()},
            {"type": "Hostname", "address": config.node_name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
        "nodeInfo": node_info(host),
    })
}

fn node_labels(config: &KubeletConfig) -> BTreeMap<String, String> {
    labels(&config.node_name, config.control_plane, &config.labels)
}

/// Registers the Node, or takes over the one registered under this name before. Returns its
/// uid (the Lease's owner).
pub async fn register(
    client: &Client,
    config: &KubeletConfig,
    host: &Host,
    port: u16,
) -> Result<String, KubeletError> {
    let api: Api<Node> = Api::all(client.clone());
    let err = |what: &str| {
        let what = format!("{what} node {}", config.node_name);
        move |source| KubeletError::Api { what, source }
    };
    loop {
        match api.get_opt(&config.node_name).await.map_err(err("get"))? {
            None => {
                let mut spec = json!({});
                if !config.taints.is_empty() {
                    spec["taints"] =
                        serde_json::to_value(&config.taints).expect("taints serialize");
                }
                let node: Node = serde_json::from_value(json!({
                    "apiVersion": "v1",
                    "kind": "Node",
                    "metadata": {
                        "name": config.node_name,
                        "labels": node_labels(config),
                        "annotations": {
                            "node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                        },
                    },
                    "spec": spec,
                }))
                .expect("node objects deserialize");
                match api.create(&PostParams::default(), &node).await {
                    Ok(created) => {
                        post_status(&api, config, host, port, Some(&created)).await?;
                        tracing::info!(node = %config.node_name, "registered the node");
                        return Ok(created.uid().unwrap_or_default());
                    }
                    // Created meanwhile: take it over.
                    Err(kube::Error::Api(s)) if s.code == 409 => continue,
                    Err(source) => return Err(err("register")(source)),
                }
            }
            Some(existing) => {
                // A restarted kubelet refreshes its default labels (k3s does the same) and its
                // status; taints given on the command line are added if missing.
                let mut patch = json!({"metadata": {"labels": node_labels(config)}});
                let mut taints = existing
                    .spec
                    .as_ref()
                    .and_then(|s| s.taints.clone())
                    .unwrap_or_default();
                let before = taints.len();
                for t in &config.taints {
                    if !taints
                        .iter()
                        .any(|x| x.key == t.key && x.effect == t.effect)
                    {
                        taints.push(t.clone());
                    }
                }
                if taints.len() != before {
                    patch["spec"] = json!({"taints": taints});
                }
                api.patch(
                    &config.node_name,
                    &PatchParams::default(),
                    &Patch::Merge(&patch),
                )
                .await
                .map_err(err("update"))?;
                post_status(&api, config, host, port, Some(&existing)).await?;
                tracing::info!(node = %config.node_name, "took over the registered node");
                return Ok(existing.uid().unwrap_or_default());
            }
        }
    }
}

async fn post_status(
    api: &Api<Node>,
    config: &KubeletConfig,
    host: &Host,
    port: u16,
    existing: Option<&Node>,
) -> Result<(), KubeletError> {
    let patch = json!({"status": status(config, host, port, existing)});
    api.patch_status(
        &config.node_name,
        &PatchParams::default(),
        &Patch::Strategic(&patch),
    )
    .await
    .map_err(|source| KubeletError::Api {
        what: format!("post the status of node {}", config.node_name),
        source,
    })?;
    Ok(())
}

/// Renews the Lease every 10 s and re-posts the node status when it is due (every 5 minutes)
/// or no longer healthy (the node lifecycle controller marked the node Unknown while this
/// kubelet could not reach the server), until `shutdown`.
pub async fn keep_alive(
    client: Client,
    config: std::sync::Arc<KubeletConfig>,
    host: Host,
    node_uid: String,
    port: u16,
    shutdown: CancellationToken,
) {
    let leases: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let nodes: Api<Node> = Api::all(client.clone());
    let mut lease: Option<Lease> = None;
    let mut last_report = tokio::time::Instant::now();
    loop {
        lease = renew(&leases, &config.node_name, Some(&node_uid), lease.take()).await;
        match nodes.get_opt(&config.node_name).await {
            Ok(Some(node))
                if !healthy(&node) || last_report.elapsed() >= NODE_STATUS_REPORT_INTERVAL =>
            {
                if post_status(&nodes, &config, &host, port, Some(&node))
                    .await
                    .is_ok()
                {
                    last_report = tokio::time::Instant::now();
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                // Deleted (`kubectl delete node`): register again, as the kubelet does.
                tracing::info!(node = %config.node_name, "the node was deleted; registering again");
                lease = None;
                if let Err(error) = register(&client, &config, &host, port).await {
                    tracing::warn!(error = %error, "cannot register the node again");
                }
            }
            Err(error) => tracing::debug!(error = %error, "cannot read the node"),
        }
        let wait = if lease.is_some() {
            LEASE_RENEW_INTERVAL
        } else {
            Duration::from_secs(1)
        };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
