//! What exists from the start: the namespaces `default`, `kube-system`, `kube-public`,
//! `kube-node-lease`, and the `kubernetes` Service with its endpoints. Also rebuilds the Service
//! allocators from the stored Services.

use serde_json::{Value, json};

use super::State;
use super::error::{ApiError, ApiResult};
use crate::api::meta;

pub const NAMESPACES: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

async fn ensure(
    state: &State,
    group: &str,
    version: &str,
    plural: &str,
    mut obj: Value,
) -> ApiResult<()> {
    let registry = state.registry();
    let res = registry
        .get(group, version, plural)
        .ok_or_else(|| ApiError::internal(format!("{plural} is not registered")))?;
    let name = meta::name(&obj).to_owned();
    let ns = meta::namespace(&obj).map(str::to_owned);
    if state
        .storage
        .get(res, ns.as_deref(), &name)
        .await?
        .is_some()
    {
        return Ok(());
    }
    {
        let m = meta::metadata_mut(&mut obj);
        m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        m.insert("creationTimestamp".into(), json!(meta::now()));
    }
    crate::api::defaults::apply(group, version, &res.gvk.kind, &mut obj);
    match state.storage.create(res, ns.as_deref(), &name, &obj).await {
        Ok(_) => {
            tracing::info!(resource = %res.qualified(), %name, "created");
            Ok(())
        }
        Err(e) if e.code == 409 => Ok(()),
        Err(e) => Err(e),
    }
}

pub async fn run(state: &State) -> ApiResult<()> {
    // Allocations first, so the built-in Service's IP is known to be taken.
    let registry = state.registry();
    let services = registry
        .get("", "v1", "services")
        .expect("services are built in")
        .clone();
    let mut all = Vec::new();
    let mut cont: Option<String> = None;
    loop {
        let page = state
            .storage
            .list(&services, None, 1000, cont.as_deref(), None)
            .await?;
        all.extend(page.items);
        match page.continue_token {
            Some(t) => cont = Some(t),
            None => break,
        }
    }
    state.allocators.load(&all);

    for ns in NAMESPACES {
        ensure(
            state,
            "",
            "v1",
            "namespaces",
            json!({
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }),
        )
        .await?;
    }

    let cluster_ip = state.config.service_cidr.nth(1).to_string();
    let mut svc = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {
            "type": "ClusterIP",
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            "clusterIP": cluster_ip,
            "clusterIPs": [cluster_ip],
            "sessionAffinity": "None",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster",
        },
        "status": {"loadBalancer": {}},
    });
    if state
        .storage
        .get(&services, Some("default"), "kubernetes")
        .await?
        .is_none()
    {
        // Reserve the IP (a restart finds it loaded already).
        let _ = state.allocators.assign(&mut svc, None);
    }
    ensure(state, "", "v1", "services", svc).await?;

    let (host, port) = advertise_host_port(&state.config.advertise);
    ensure(
        state,
        "",
        "v1",
        "endpoints",
        json!({
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": [{"addresses": [{"ip": host}], "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}],
        }),
    )
    .await?;
    ensure(
        state,
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        json!({
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"kubernetes.io/service-name": "kubernetes"}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [host], "conditions": {"ready": true}}],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
        }),
    )
    .await?;
    super::crds::refresh(state).await?;
    Ok(())
}

fn advertise_host_port(advertise: &str) -> (String, u16) {
    match advertise.rsplit_once(':') {
        Some((h, p)) => (
            h.trim_matches(['[', ']']).to_owned(),
            p.parse().unwrap_or(6443),
        ),
        None => (advertise.to_owned(), 6443),
    }
}
