//! The Endpoints controller: keeps the core/v1 Endpoints of every Service with a selector in line
//! with the Pods it selects (upstream's `pkg/controller/endpoint`).
//!
//! One reconcile per Service: the selected Pods that have an IP and are not finished become
//! addresses (ready ones under `addresses`, the others under `notReadyAddresses` unless the Service
//! publishes not-ready addresses), with ports resolved per Pod from the Service's `targetPort`;
//! the per-pod subsets are then repacked so that addresses offering the same ports share one
//! subset. Services without a selector keep user-managed Endpoints; a deleted Service's Endpoints
//! are deleted. The helpers here (readiness, port lookup, hostnames, trigger times) are shared with
//! the EndpointSlice controller, as upstream shares `endpointutil`.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::controllers::cached::Pod;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Service, ServicePort,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::{Client, ResourceExt};

use super::Context;
use super::informers::{Change, Informer};

/// Endpoints hold at most this many addresses; the rest are dropped and the object annotated.
pub const MAX_CAPACITY: usize = 1000;
pub const LAST_CHANGE_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";
pub const OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";
pub const HEADLESS_LABEL: &str = "service.kubernetes.io/headless";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create endpoints {namespace}/{name}")]
    Create {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot update endpoints {namespace}/{name}")]
    Update {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
}

struct Ctx {
    client: Client,
    pods: Informer<Pod>,
    endpoints: Informer<Endpoints>,
    triggers: Mutex<TriggerTimes>,
}

pub async fn run(ctx: Context) {
    let services = ctx.informers.get::<Service>();
    let pods = ctx.informers.get::<Pod>();
    let endpoints = ctx.informers.get::<Endpoints>();
    let state = Arc::new(Ctx {
        client: ctx.client.clone(),
        pods: pods.clone(),
        endpoints: endpoints.clone(),
        triggers: Mutex::default(),
    });
    let cleanup = tokio::spawn(delete_orphans(
        state.clone(),
        services.clone(),
        ctx.shutdown.clone(),
    ));
    let store = services.store();
    let by_pod = {
        let services = services.clone();
        let endpoints = endpoints.clone();
        move |pod: Pod| services_for_pod(&services, &endpoints, &pod)
    };
    let by_endpoints = |ep: Endpoints| {
        let ns = ep.namespace().unwrap_or_default();
        Some(ObjectRef::<Service>::new(&ep.name_any()).within(&ns))
    };
    let trigger = ctx.shutdown.clone();
    let run = Controller::for_stream(services.trigger_stream(), store.clone())
        .watches_stream(pods.trigger_stream(), by_pod)
        .watches_stream(endpoints.trigger_stream(), by_endpoints)
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    super::until_shutdown(run, ctx.informers.wait_synced(), ctx.shutdown.clone()).await;
    let _ = cleanup.await;
}

fn error_policy(svc: Arc<Service>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(service = %svc.name_any(), error = %err, "endpoints sync failed; retrying");
    Action::requeue(Duration::from_secs(1))
}

/// The Services a Pod change concerns: those selecting it now, and those whose Endpoints list it
/// (it may have stopped matching).
pub(crate) fn services_for_pod(
    services: &Informer<Service>,
    endpoints: &Informer<Endpoints>,
    pod: &Pod,
) -> Vec<ObjectRef<Service>> {
    let ns = pod.namespace().unwrap_or_default();
    let name = pod.name_any();
    let mut refs: Vec<ObjectRef<Service>> = services
        .store()
        .state()
        .iter()
        .filter(|s| s.namespace().as_deref() == Some(ns.as_str()) && selects(s, pod))
        .map(|s| ObjectRef::from_obj(s.as_ref()))
        .collect();
    for ep in endpoints.store().state() {
        if ep.namespace().as_deref() != Some(ns.as_str()) {
            continue;
        }
        let lists = ep.subsets.iter().flatten().any(|s| {
            s.addresses
                .iter()
                .chain(s.not_ready_addresses.iter())
                .flatten()
                .any(|a| a.target_ref.as_ref().and_then(|r| r.name.as_deref()) == Some(&name))
        });
        if lists {
            refs.push(ObjectRef::new(&ep.name_any()).within(&ns));
        }
    }
    refs
}

/// Deletes the Endpoints of deleted Services (a reconcile only runs for Services that exist).
async fn delete_orphans(
    ctx: Arc<Ctx>,
    services: Informer<Service>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    let mut changes = std::pin::pin!(services.changes());
    loop {
        let change = tokio::select! {
            _ = shutdown.cancelled() => return,
            c = changes.next() => match c { Some(c) => c, None => return },
        };
        let Change::Deleted(svc) = change else {
            continue;
        };
        let ns = svc.namespace().unwrap_or_default();
        let name = svc.name_any();
        if is_builtin(&ns, &name) || services.get(Some(&ns), &name).is_some() {
            continue;
        }
        ctx.triggers
            .lock()
            .expect("trigger times lock poisoned")
            .forget(&ns, &name);
        let api: Api<Endpoints> = Api::namespaced(ctx.client.clone(), &ns);
        match api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {
                tracing::debug!(namespace = %ns, %name, "deleted endpoints of deleted service")
            }
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(err) => {
                tracing::warn!(namespace = %ns, %name, error = %err, "cannot delete endpoints")
            }
        }
    }
}

/// The API server's own `default/kubernetes` Service: its endpoints are the server's.
pub(crate) fn is_builtin(namespace: &str, name: &str) -> bool {
    namespace == "default" && name == "kubernetes"
}

async fn reconcile(svc: Arc<Service>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let ns = svc.namespace().unwrap_or_default();
    let name = svc.name_any();
    let span = tracing::info_span!("reconciling service endpoints", "object.ref" = %format!("{ns}/{name}"));
    let _enter = span.enter();
    if is_builtin(&ns, &name) || !has_selector(&svc) || is_external_name(&svc) {
        return Ok(Action::await_change());
    }
    if svc.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let pods: Vec<Arc<Pod>> = ctx
        .pods
        .store()
        .state()
        .into_iter()
        .filter(|p| p.namespace().as_deref() == Some(ns.as_str()) && selects(&svc, p))
        .collect();
    let trigger = ctx
        .triggers
        .lock()
        .expect("trigger times lock poisoned")
        .compute(&svc, &pods);
    let mut subsets = desired_subsets(&svc, &pods);

    let current = ctx.endpoints.get(Some(&ns), &name);
    let service_labels = svc.metadata.labels.clone().unwrap_or_default();
    if let Some(cur) = &current {
        let mut labels = cur.metadata.labels.clone().unwrap_or_default();
        labels.remove(HEADLESS_LABEL);
        if subsets_equal(cur.subsets.as_deref().unwrap_or_default(), &subsets)
            && labels == service_labels
            && over_capacity_annotated_correctly(cur)
        {
            return Ok(Action::await_change());
        }
    }

    let mut annotations = current
        .as_ref()
        .and_then(|c| c.metadata.annotations.clone())
        .unwrap_or_default();
    match trigger {
        Some(t) => {
            annotations.insert(LAST_CHANGE_TRIGGER_TIME.into(), format_rfc3339_nano(t));
        }
        None => {
            annotations.remove(LAST_CHANGE_TRIGGER_TIME);
        }
    }
    if truncate(&mut subsets) {
        annotations.insert(OVER_CAPACITY.into(), "truncated".into());
    } else {
        annotations.remove(OVER_CAPACITY);
    }
    let mut labels = service_labels;
    if is_headless(&svc) {
        labels.insert(HEADLESS_LABEL.into(), String::new());
    } else {
        labels.remove(HEADLESS_LABEL);
    }
    let api: Api<Endpoints> = Api::namespaced(ctx.client.clone(), &ns);
    match current {
        None => {
            let ep = Endpoints {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(ns.clone()),
                    labels: Some(labels),
                    annotations: Some(annotations).filter(|a| !a.is_empty()),
                    ..ObjectMeta::default()
                },
                subsets: Some(subsets),
            };
            match api.create(&PostParams::default(), &ep).await {
                Ok(_) => {}
                // The namespace is going away: nothing to do.
                Err(kube::Error::Api(e)) if super::serviceaccount::is_terminating(&e) => {}
                Err(source) => {
                    return Err(Error::Create {
                        namespace: ns,
                        name,
                        source,
                    });
                }
            }
        }
        Some(cur) => {
            let mut ep = Endpoints::clone(&cur);
            ep.metadata.labels = Some(labels);
            ep.metadata.annotations = Some(annotations);
            ep.subsets = Some(subsets);
            if let Err(source) = api.replace(&name, &PostParams::default(), &ep).await {
                return Err(Error::Update {
                    namespace: ns,
                    name,
                    source,
                });
            }
        }
    }
    tracing::debug!("endpoints updated");
    Ok(Action::await_change())
}

pub(crate) fn has_selector(svc: &Service) -> bool {
    svc.spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .is_some_and(|s| !s.is_empty())
}

pub(crate) fn is_external_name(svc: &Service) -> bool {
    svc.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("ExternalName")
}

/// A Service without a cluster IP (`clusterIP: None`).
pub(crate) fn is_headless(svc: &Service) -> bool {
    svc.spec.as_ref().and_then(|s| s.cluster_ip.as_deref()) == Some("None")
}

fn publishes_not_ready(svc: &Service) -> bool {
    svc.spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false)
}

/// Whether the Service's selector matches the Pod's labels.
pub(crate) fn selects(svc: &Service, pod: &Pod) -> bool {
    let Some(selector) = svc.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
        return false;
    };
    if selector.is_empty() {
        return false;
    }
    let labels = pod.metadata.labels.as_ref();
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// `status.conditions[Ready] == True`.
pub(crate) fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True")
}

/// Upstream's `ShouldPodBeInEndpoints`: not finished, has an IP, and (unless terminating pods
/// are wanted) not being deleted.
pub(crate) fn should_pod_be_in_endpoints(pod: &Pod, include_terminating: bool) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    if matches!(phase, Some("Failed") | Some("Succeeded")) {
        return false;
    }
    if pod_ipv4(pod).is_none() {
        return false;
    }
    include_terminating || pod.metadata.deletion_timestamp.is_none()
}

/// The Pod's IPv4 address (Services here are single-stack IPv4).
pub(crate) fn pod_ipv4(pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?;
    let ipv4 = |ip: &str| ip.parse::<Ipv4Addr>().is_ok();
    status
        .pod_ips
        .iter()
        .flatten()
        .map(|p| p.ip.as_str())
        .chain(status.pod_ip.as_deref())
        .find(|ip| ipv4(ip))
        .map(str::to_owned)
}

/// Upstream's `FindPort`: a numeric `targetPort` as is; a named one looked up among the Pod's
/// container ports (and restartable init containers) with the Service port's protocol.
pub(crate) fn find_port(pod: &Pod, port: &ServicePort) -> Option<i32> {
    let protocol = port.protocol.as_deref().unwrap_or("TCP");
    match &port.target_port {
        None => Some(port.port),
        Some(IntOrString::Int(n)) => Some(*n),
        Some(IntOrString::String(name)) => {
            let spec = pod.spec.as_ref()?;
            let sidecars = spec
                .init_containers
                .iter()
                .flatten()
                .filter(|c| c.restart_policy.as_deref() == Some("Always"));
            spec.containers
                .iter()
                .chain(sidecars)
                .flat_map(|c| c.ports.iter().flatten())
                .find(|p| {
                    p.name.as_deref() == Some(name.as_str())
                        && p.protocol.as_deref().unwrap_or("TCP") == protocol
                })
                .map(|p| p.container_port)
        }
    }
}

/// Upstream's `ShouldSetHostname`: the Pod names a hostname and its subdomain is this Service.
pub(crate) fn should_set_hostname(pod: &Pod, svc: &Service) -> bool {
    let Some(spec) = pod.spec.as_ref() else {
        return false;
    };
    spec.hostname.as_deref().is_some_and(|h| !h.is_empty())
        && spec.subdomain.as_deref() == Some(svc.name_any().as_str())
        && pod.namespace() == svc.namespace()
}

pub(crate) fn pod_reference(pod: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".into()),
        namespace: pod.namespace(),
        name: Some(pod.name_any()),
        uid: pod.uid(),
        ..ObjectReference::default()
    }
}

/// The Endpoints subsets the Service should have for these (selected) Pods.
pub fn desired_subsets(svc: &Service, pods: &[Arc<Pod>]) -> Vec<EndpointSubset> {
    let tolerate_unready = publishes_not_ready(svc);
    let ports = svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .unwrap_or_default();
    let mut per_pod = Vec::new();
    for pod in pods {
        if !should_pod_be_in_endpoints(pod, tolerate_unready) {
            continue;
        }
        let Some(ip) = pod_ipv4(pod) else { continue };
        let address = EndpointAddress {
            ip,
            hostname: should_set_hostname(pod, svc)
                .then(|| pod.spec.as_ref().and_then(|s| s.hostname.clone()))
                .flatten(),
            node_name: pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .filter(|n| !n.is_empty()),
            target_ref: Some(pod_reference(pod)),
        };
        let ready = tolerate_unready || pod_ready(pod);
        let mut add = |port: Option<EndpointPort>| {
            per_pod.push(EndpointSubset {
                addresses: ready.then(|| vec![address.clone()]),
                not_ready_addresses: (!ready).then(|| vec![address.clone()]),
                ports: port.map(|p| vec![p]),
            })
        };
        if ports.is_empty() {
            // A headless Service may have no ports at all.
            if is_headless(svc) {
                add(None);
            }
            continue;
        }
        for sp in &ports {
            let Some(number) = find_port(pod, sp) else {
                tracing::debug!(pod = %pod.name_any(), port = ?sp.name, "no suitable port on pod");
                continue;
            };
            add(Some(EndpointPort {
                name: sp.name.clone(),
                port: number,
                protocol: Some(sp.protocol.clone().unwrap_or_else(|| "TCP".into())),
                app_protocol: sp.app_protocol.clone(),
            }));
        }
    }
    repack_subsets(per_pod)
}

/// Identity of an address across subsets: IP and target UID.
type AddressKey = (String, String);

fn address_key(a: &EndpointAddress) -> AddressKey {
    (
        a.ip.clone(),
        a.target_ref
            .as_ref()
            .and_then(|r| r.uid.clone())
            .unwrap_or_default(),
    )
}

/// A port as a map key (`None` stands for upstream's "no ports" sentinel).
type PortKey = Option<(Option<String>, i32, Option<String>, Option<String>)>;

fn port_key(p: &EndpointPort) -> PortKey {
    Some((
        p.name.clone(),
        p.port,
        p.protocol.clone(),
        p.app_protocol.clone(),
    ))
}

/// Upstream's `RepackSubsets`: regroups addresses so that each subset holds the addresses that
/// offer exactly the same set of ports (an address ready for any port counts as ready), sorted.
pub fn repack_subsets(subsets: Vec<EndpointSubset>) -> Vec<EndpointSubset> {
    let mut all: BTreeMap<AddressKey, EndpointAddress> = BTreeMap::new();
    let mut by_port: BTreeMap<PortKey, (EndpointPort, BTreeMap<AddressKey, bool>)> =
        BTreeMap::new();
    for s in &subsets {
        let ports: Vec<(PortKey, EndpointPort)> = match s.ports.as_deref() {
            Some(p) if !p.is_empty() => p.iter().map(|p| (port_key(p), p.clone())).collect(),
            _ => vec![(None, EndpointPort::default())],
        };
        for (key, port) in ports {
            let entry = by_port
                .entry(key)
                .or_insert_with(|| (port, BTreeMap::new()));
            for a in s.addresses.iter().flatten() {
                let k = address_key(a);
                all.entry(k.clone()).or_insert_with(|| a.clone());
                entry.1.insert(k, true);
            }
            for a in s.not_ready_addresses.iter().flatten() {
                let k = address_key(a);
                all.entry(k.clone()).or_insert_with(|| a.clone());
                entry.1.entry(k).or_insert(false);
            }
        }
    }
    // Group ports by the exact (address, readiness) set that offers them.
    let mut by_addresses: BTreeMap<Vec<(AddressKey, bool)>, Vec<EndpointPort>> = BTreeMap::new();
    for (key, (port, addrs)) in by_port {
        let set: Vec<(AddressKey, bool)> = addrs.into_iter().collect();
        let ports = by_addresses.entry(set).or_default();
        if key.is_some() {
            ports.push(port);
        }
    }
    let mut out: Vec<EndpointSubset> = by_addresses
        .into_iter()
        .map(|(set, mut ports)| {
            let mut ready = Vec::new();
            let mut not_ready = Vec::new();
            for (k, is_ready) in set {
                let a = all[&k].clone();
                if is_ready {
                    ready.push(a)
                } else {
                    not_ready.push(a)
                }
            }
            ports.sort_by(|a, b| {
                (&a.name, a.port, &a.protocol).cmp(&(&b.name, b.port, &b.protocol))
            });
            EndpointSubset {
                addresses: Some(ready).filter(|v| !v.is_empty()),
                not_ready_addresses: Some(not_ready).filter(|v| !v.is_empty()),
                ports: Some(ports).filter(|v| !v.is_empty()),
            }
        })
        .collect();
    let first = |s: &EndpointSubset| {
        s.addresses
            .iter()
            .flatten()
            .chain(s.not_ready_addresses.iter().flatten())
            .map(address_key)
            .next()
    };
    out.sort_by(|a, b| {
        first(a).cmp(&first(b)).then_with(|| {
            a.ports
                .as_ref()
                .map(|p| p[0].port)
                .cmp(&b.ports.as_ref().map(|p| p[0].port))
        })
    });
    out
}

/// Subsets compared the way upstream does (ignoring the target's resourceVersion).
fn subsets_equal(current: &[EndpointSubset], desired: &[EndpointSubset]) -> bool {
    let strip = |subsets: &[EndpointSubset]| {
        let mut v = subsets.to_vec();
        for s in &mut v {
            for a in s
                .addresses
                .iter_mut()
                .flatten()
                .chain(s.not_ready_addresses.iter_mut().flatten())
            {
                if let Some(r) = &mut a.target_ref {
                    r.resource_version = None;
                }
            }
            if s.addresses.as_ref().is_some_and(|a| a.is_empty()) {
                s.addresses = None;
            }
            if s.not_ready_addresses.as_ref().is_some_and(|a| a.is_empty()) {
                s.not_ready_addresses = None;
            }
            if s.ports.as_ref().is_some_and(|a| a.is_empty()) {
                s.ports = None;
            }
        }
        v
    };
    strip(current) == strip(desired)
}

fn address_count(subsets: &[EndpointSubset]) -> usize {
    subsets
        .iter()
        .map(|s| {
            s.addresses.as_ref().map_or(0, Vec::len)
                + s.not_ready_addresses.as_ref().map_or(0, Vec::len)
        })
        .sum()
}

fn over_capacity_annotated_correctly(ep: &Endpoints) -> bool {
    let annotated = ep
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(OVER_CAPACITY));
    let over = address_count(ep.subsets.as_deref().unwrap_or_default()) > MAX_CAPACITY;
    annotated == over
}

/// Upstream's `truncateEndpoints`: keeps at most `MAX_CAPACITY` addresses, ready ones first,
/// taking from each subset in proportion to its size. Returns whether anything was dropped.
pub fn truncate(subsets: &mut [EndpointSubset]) -> bool {
    let total_ready: usize = subsets
        .iter()
        .map(|s| s.addresses.as_ref().map_or(0, Vec::len))
        .sum();
    let total_not_ready: usize = subsets
        .iter()
        .map(|s| s.not_ready_addresses.as_ref().map_or(0, Vec::len))
        .sum();
    if total_ready + total_not_ready <= MAX_CAPACITY {
        return false;
    }
    let truncate_ready = total_ready > MAX_CAPACITY;
    let (max, total) = if truncate_ready {
        (MAX_CAPACITY, total_ready)
    } else {
        (MAX_CAPACITY - total_ready, total_not_ready)
    };
    let mut can_add = max;
    for s in subsets.iter_mut() {
        let in_subset = if truncate_ready {
            s.addresses.as_ref().map_or(0, Vec::len)
        } else {
            s.not_ready_addresses.as_ref().map_or(0, Vec::len)
        };
        let share = (in_subset * max).div_ceil(total).min(can_add);
        if truncate_ready {
            if let Some(a) = &mut s.addresses {
                a.truncate(share);
                can_add -= a.len();
            }
            s.not_ready_addresses = None;
        } else if let Some(a) = &mut s.not_ready_addresses {
            a.truncate(share);
            can_add -= a.len();
        }
    }
    true
}

/// Upstream's `TriggerTimeTracker`: per Service, the earliest change (a Pod's Ready transition or
/// the Service's creation) not yet reflected in its Endpoints.
#[derive(Default)]
pub(crate) struct TriggerTimes {
    services: HashMap<(String, String), TriggerState>,
}

#[derive(Default)]
struct TriggerState {
    pods: HashMap<String, jiff::Timestamp>,
    service: Option<jiff::Timestamp>,
}

impl TriggerTimes {
    pub(crate) fn compute(&mut self, svc: &Service, pods: &[Arc<Pod>]) -> Option<jiff::Timestamp> {
        let key = (svc.namespace().unwrap_or_default(), svc.name_any());
        let state = self.services.entry(key).or_default();
        let mut min: Option<jiff::Timestamp> = None;
        let mut now_pods = HashMap::new();
        for pod in pods {
            let Some(t) = ready_transition(pod) else {
                continue;
            };
            now_pods.insert(pod.name_any(), t);
            if state.pods.get(&pod.name_any()).is_none_or(|prev| t > *prev) {
                min = Some(min.map_or(t, |m| m.min(t)));
            }
        }
        let created = svc.metadata.creation_timestamp.as_ref().map(|t| t.0);
        if let Some(c) = created
            && state.service.is_none_or(|prev| c > prev)
        {
            min = Some(min.map_or(c, |m| m.min(c)));
        }
        state.pods = now_pods;
        state.service = created;
        min
    }

    pub(crate) fn forget(&mut self, namespace: &str, name: &str) {
        self.services
            .remove(&(namespace.to_owned(), name.to_owned()));
    }
}

fn ready_transition(pod: &Pod) -> Option<jiff::Timestamp> {
    pod.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")?
        .last_transition_time
        .as_ref()
        .map(|t| t.0)
}

/// RFC 3339 with nanoseconds, as Go's `time.RFC3339Nano` prints a UTC time.
pub(crate) fn format_rfc3339_nano(t: jiff::Timestamp) -> String {
    // jiff prints the shortest fractional part, like RFC3339Nano, and `Z` for UTC.
    t.to_string()
}

#[cfg(test)]
mod tests;
