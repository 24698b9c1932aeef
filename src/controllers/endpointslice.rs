//! The EndpointSlice controller: publishes the Pods selected by each Service as
//! discovery.k8s.io/v1 EndpointSlices (upstream's `pkg/controller/endpointslice` and its
//! reconciler in `staging/src/k8s.io/endpointslice`).
//!
//! Endpoints are grouped by the ports they serve (a named `targetPort` may resolve differently per
//! Pod); each group is packed into slices of at most `MAX_ENDPOINTS_PER_SLICE`, changing as few
//! slices as possible: existing slices keep the endpoints still wanted, new endpoints fill slices
//! being updated anyway, then an unchanged slice with room for all of them, then new slices.
//! A Service with no endpoints gets one empty placeholder slice. Slices are owned by their Service
//! (the garbage collector deletes them with it).
//!
//! The slice cache may lag behind this controller's own writes; like upstream's
//! `EndpointSliceTracker`, a reconcile that sees a cache older than what it wrote waits for it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::controllers::cached::Pod;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointPort, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, DeleteParams, ObjectMeta, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::{Client, ResourceExt};

use super::Context;
use super::endpoints::{
    HEADLESS_LABEL, LAST_CHANGE_TRIGGER_TIME, TriggerTimes, find_port, format_rfc3339_nano,
    has_selector, is_builtin, is_external_name, is_headless, pod_ipv4, pod_ready, pod_reference,
    selects, should_pod_be_in_endpoints, should_set_hostname,
};
use super::informers::{Change, Informer};

pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
pub const CONTROLLER_NAME: &str = "endpointslice-controller.k8s.io";
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";
/// How long a write of ours may take to show up in the cache before we stop waiting for it.
const TRACK_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot {verb} endpointslice for service {namespace}/{service}")]
    Write {
        verb: &'static str,
        namespace: String,
        service: String,
        #[source]
        source: kube::Error,
    },
    #[error("skipping pods of service {namespace}/{service}: nodes not found: {nodes}")]
    NodesNotFound {
        namespace: String,
        service: String,
        nodes: String,
    },
}

struct Ctx {
    client: Client,
    pods: Informer<Pod>,
    nodes: Informer<Node>,
    slices: Informer<EndpointSlice>,
    triggers: Mutex<TriggerTimes>,
    tracker: Mutex<Tracker>,
}

pub async fn run(ctx: Context) {
    let services = ctx.informers.get::<Service>();
    let pods = ctx.informers.get::<Pod>();
    let nodes = ctx.informers.get::<Node>();
    let slices = ctx.informers.get::<EndpointSlice>();
    let state = Arc::new(Ctx {
        client: ctx.client.clone(),
        pods: pods.clone(),
        nodes: nodes.clone(),
        slices: slices.clone(),
        triggers: Mutex::default(),
        tracker: Mutex::default(),
    });
    let forget = tokio::spawn(forget_deleted(
        state.clone(),
        services.clone(),
        ctx.shutdown.clone(),
    ));
    let store = services.store();
    let by_pod = {
        let services = services.clone();
        let slices = slices.clone();
        move |pod: Pod| services_for_pod(&services, &slices, &pod)
    };
    let by_slice = |slice: EndpointSlice| {
        let labels = slice.labels();
        let ours = labels.get(MANAGED_BY_LABEL).map(String::as_str) == Some(CONTROLLER_NAME);
        labels.get(SERVICE_NAME_LABEL).filter(|_| ours).map(|svc| {
            ObjectRef::<Service>::new(svc).within(&slice.namespace().unwrap_or_default())
        })
    };
    let by_node = {
        let services = services.clone();
        let slices = slices.clone();
        move |node: Node| services_on_node(&services, &slices, &node)
    };
    let trigger = ctx.shutdown.clone();
    let run = Controller::for_stream(services.trigger_stream(), store.clone())
        .watches_stream(pods.trigger_stream(), by_pod)
        .watches_stream(slices.trigger_stream(), by_slice)
        .watches_stream(nodes.trigger_stream(), by_node)
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    super::until_shutdown(run, ctx.informers.wait_synced(), ctx.shutdown.clone()).await;
    let _ = forget.await;
}

fn error_policy(svc: Arc<Service>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(service = %svc.name_any(), error = %err, "endpointslice sync failed; retrying");
    Action::requeue(Duration::from_secs(2))
}

fn slice_service(slice: &EndpointSlice) -> Option<&str> {
    let labels = slice.metadata.labels.as_ref()?;
    if labels.get(MANAGED_BY_LABEL).map(String::as_str) != Some(CONTROLLER_NAME) {
        return None;
    }
    labels.get(SERVICE_NAME_LABEL).map(String::as_str)
}

fn services_for_pod(
    services: &Informer<Service>,
    slices: &Informer<EndpointSlice>,
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
    for slice in slices.store().state() {
        if slice.namespace().as_deref() != Some(ns.as_str()) {
            continue;
        }
        let Some(svc) = slice_service(&slice) else {
            continue;
        };
        let lists = slice
            .endpoints
            .iter()
            .any(|e| e.target_ref.as_ref().and_then(|r| r.name.as_deref()) == Some(&name));
        if lists {
            refs.push(ObjectRef::new(svc).within(&ns));
        }
    }
    refs
}

/// Services with endpoints on (or Pods waiting for) a node whose zone may have changed.
fn services_on_node(
    services: &Informer<Service>,
    slices: &Informer<EndpointSlice>,
    node: &Node,
) -> Vec<ObjectRef<Service>> {
    let name = node.name_any();
    let _ = services;
    slices
        .store()
        .state()
        .iter()
        .filter(|s| {
            s.endpoints
                .iter()
                .any(|e| e.node_name.as_deref() == Some(name.as_str()))
        })
        .filter_map(|s| {
            let svc = slice_service(s)?;
            Some(ObjectRef::new(svc).within(&s.namespace().unwrap_or_default()))
        })
        .collect()
}

async fn forget_deleted(
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
        if let Change::Deleted(svc) = change {
            let ns = svc.namespace().unwrap_or_default();
            let name = svc.name_any();
            ctx.triggers
                .lock()
                .expect("trigger times lock poisoned")
                .forget(&ns, &name);
            ctx.tracker
                .lock()
                .expect("tracker lock poisoned")
                .forget(&ns, &name);
        }
    }
}

async fn reconcile(svc: Arc<Service>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let ns = svc.namespace().unwrap_or_default();
    let name = svc.name_any();
    let span = tracing::info_span!("reconciling service endpointslices", "object.ref" = %format!("{ns}/{name}"));
    let _enter = span.enter();
    if is_builtin(&ns, &name)
        || !has_selector(&svc)
        || is_external_name(&svc)
        || svc.metadata.deletion_timestamp.is_some()
    {
        return Ok(Action::await_change());
    }
    let existing: Vec<Arc<EndpointSlice>> = ctx
        .slices
        .store()
        .state()
        .into_iter()
        .filter(|s| {
            s.namespace().as_deref() == Some(ns.as_str()) && slice_service(s) == Some(&name)
        })
        .collect();
    if ctx
        .tracker
        .lock()
        .expect("tracker lock poisoned")
        .is_stale(&ns, &name, &existing)
    {
        tracing::debug!("endpointslice cache is behind our writes; waiting");
        return Ok(Action::requeue(Duration::from_millis(200)));
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
    let (desired, missing_nodes) = desired_endpoints(&svc, &pods, |node| {
        ctx.nodes
            .get(None, node)
            .map(|n| n.labels().get(ZONE_LABEL).cloned())
    });
    let labels = slice_labels(&svc);
    let template = new_slice(&svc, &labels);
    let mut plan = plan(
        &existing,
        desired,
        &labels,
        &template,
        MAX_ENDPOINTS_PER_SLICE,
    );
    for slice in plan.create.iter_mut().chain(plan.update.iter_mut()) {
        let annotations = slice.metadata.annotations.get_or_insert_with(BTreeMap::new);
        match trigger {
            Some(t) => {
                annotations.insert(LAST_CHANGE_TRIGGER_TIME.into(), format_rfc3339_nano(t));
            }
            None => {
                annotations.remove(LAST_CHANGE_TRIGGER_TIME);
            }
        }
    }

    let api: Api<EndpointSlice> = Api::namespaced(ctx.client.clone(), &ns);
    let write_error = |verb, source| Error::Write {
        verb,
        namespace: ns.clone(),
        service: name.clone(),
        source,
    };
    // Create first, then update, then delete, so that no endpoint disappears in between.
    for slice in &plan.create {
        match api.create(&PostParams::default(), slice).await {
            Ok(created) => ctx.tracker.lock().expect("tracker lock poisoned").expect(
                &ns,
                &name,
                created.name_any(),
                Expect::Version(resource_version(&created)),
            ),
            Err(kube::Error::Api(e)) if e.code == 403 && e.message.contains("being terminated") => {
                return Ok(Action::await_change());
            }
            Err(e) => return Err(write_error("create", e)),
        }
    }
    for slice in &plan.update {
        match api
            .replace(&slice.name_any(), &PostParams::default(), slice)
            .await
        {
            Ok(updated) => ctx.tracker.lock().expect("tracker lock poisoned").expect(
                &ns,
                &name,
                updated.name_any(),
                Expect::Version(resource_version(&updated)),
            ),
            Err(e) => return Err(write_error("update", e)),
        }
    }
    for slice in &plan.delete {
        match api
            .delete(&slice.name_any(), &DeleteParams::default())
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 404 => {}
            Err(e) => return Err(write_error("delete", e)),
        }
        ctx.tracker.lock().expect("tracker lock poisoned").expect(
            &ns,
            &name,
            slice.name_any(),
            Expect::Deleted(slice.uid().unwrap_or_default()),
        );
    }
    if !plan.create.is_empty() || !plan.update.is_empty() || !plan.delete.is_empty() {
        tracing::debug!(
            created = plan.create.len(),
            updated = plan.update.len(),
            deleted = plan.delete.len(),
            "endpointslices reconciled"
        );
    }
    if !missing_nodes.is_empty() {
        // Like upstream: publish what we can, and retry the Pods whose Node is not known yet.
        return Err(Error::NodesNotFound {
            namespace: ns,
            service: name,
            nodes: missing_nodes.join(", "),
        });
    }
    Ok(Action::await_change())
}

fn resource_version(obj: &EndpointSlice) -> u64 {
    obj.resource_version()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The labels of the Service's slices: its own (minus the reserved keys), then the service name,
/// the manager and, for a headless Service, the headless marker.
pub fn slice_labels(svc: &Service) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = svc
        .labels()
        .iter()
        .filter(|(k, _)| {
            ![SERVICE_NAME_LABEL, MANAGED_BY_LABEL, HEADLESS_LABEL].contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if is_headless(svc) {
        labels.insert(HEADLESS_LABEL.into(), String::new());
    }
    labels.insert(SERVICE_NAME_LABEL.into(), svc.name_any());
    labels.insert(MANAGED_BY_LABEL.into(), CONTROLLER_NAME.into());
    labels
}

/// An empty slice for the Service: generated name `<svc>-`, owned by it.
pub fn new_slice(svc: &Service, labels: &BTreeMap<String, String>) -> EndpointSlice {
    let name = svc.name_any();
    // A generated name adds 5 characters; keep the prefix a valid name.
    let prefix: String = format!("{name}-").chars().take(253 - 5).collect();
    EndpointSlice {
        metadata: ObjectMeta {
            generate_name: Some(prefix),
            namespace: svc.namespace(),
            labels: Some(labels.clone()),
            owner_references: Some(vec![OwnerReference {
                api_version: "v1".into(),
                kind: "Service".into(),
                name,
                uid: svc.uid().unwrap_or_default(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..ObjectMeta::default()
        },
        address_type: "IPv4".into(),
        endpoints: Vec::new(),
        ports: Some(Vec::new()),
    }
}

/// The endpoints the Service should publish, grouped by the ports they serve, and the nodes that
/// Pods run on but are not known (those Pods are left out unless not-ready addresses are
/// published). `node_zone(name)` is `None` for an unknown node, else the node's zone label.
pub fn desired_endpoints(
    svc: &Service,
    pods: &[Arc<Pod>],
    node_zone: impl Fn(&str) -> Option<Option<String>>,
) -> (Vec<(Vec<EndpointPort>, Vec<Endpoint>)>, Vec<String>) {
    let publish_not_ready = svc
        .spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false);
    let service_ports = svc
        .spec
        .as_ref()
        .and_then(|s| s.ports.clone())
        .unwrap_or_default();
    let mut groups: BTreeMap<String, (Vec<EndpointPort>, Vec<Endpoint>)> = BTreeMap::new();
    let mut missing = Vec::new();
    let mut pods: Vec<&Arc<Pod>> = pods.iter().collect();
    pods.sort_by_key(|p| p.name_any());
    for pod in pods {
        if !should_pod_be_in_endpoints(pod, true) {
            continue;
        }
        let Some(ip) = pod_ipv4(pod) else { continue };
        let node = pod
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .filter(|n| !n.is_empty());
        let mut zone = None;
        if let Some(n) = &node {
            match node_zone(n) {
                Some(z) => zone = z,
                None if publish_not_ready => {}
                None => {
                    if !missing.contains(n) {
                        missing.push(n.clone());
                    }
                    continue;
                }
            }
        }
        let ports: Vec<EndpointPort> = service_ports
            .iter()
            .filter_map(|sp| {
                let number = find_port(pod, sp)?;
                Some(EndpointPort {
                    name: Some(sp.name.clone().unwrap_or_default()),
                    port: Some(number),
                    protocol: Some(sp.protocol.clone().unwrap_or_else(|| "TCP".into())),
                    app_protocol: sp.app_protocol.clone(),
                })
            })
            .collect();
        let serving = pod_ready(pod);
        let terminating = pod.metadata.deletion_timestamp.is_some();
        let ready = publish_not_ready || (serving && !terminating);
        let endpoint = Endpoint {
            addresses: vec![ip],
            conditions: Some(EndpointConditions {
                ready: Some(ready),
                serving: Some(serving),
                terminating: Some(terminating),
            }),
            hostname: should_set_hostname(pod, svc)
                .then(|| pod.spec.as_ref().and_then(|s| s.hostname.clone()))
                .flatten(),
            node_name: node,
            target_ref: Some(pod_reference(pod)),
            zone,
            ..Endpoint::default()
        };
        groups
            .entry(ports_key(&ports))
            .or_insert_with(|| (ports, Vec::new()))
            .1
            .push(endpoint);
    }
    (groups.into_values().collect(), missing)
}

/// A key identifying a set of ports regardless of order.
fn ports_key(ports: &[EndpointPort]) -> String {
    let mut keys: Vec<String> = ports
        .iter()
        .map(|p| {
            format!(
                "{}/{}/{}/{}",
                p.name.as_deref().unwrap_or(""),
                p.port.unwrap_or(0),
                p.protocol.as_deref().unwrap_or(""),
                p.app_protocol.as_deref().unwrap_or("")
            )
        })
        .collect();
    keys.sort();
    keys.join(",")
}

/// Upstream's endpoint identity (`hashEndpoint`): addresses, hostname and the target's name.
fn endpoint_key(e: &Endpoint) -> (Vec<String>, Option<String>, Option<String>, Option<String>) {
    let mut addresses = e.addresses.clone();
    addresses.sort();
    let target = e.target_ref.as_ref();
    (
        addresses,
        e.hostname.clone(),
        target.and_then(|r| r.namespace.clone()),
        target.and_then(|r| r.name.clone()),
    )
}

/// What to write for one Service.
#[derive(Debug, Default)]
pub struct Plan {
    pub create: Vec<EndpointSlice>,
    pub update: Vec<EndpointSlice>,
    pub delete: Vec<EndpointSlice>,
}

/// Upstream's reconciler: decides which slices to create, update and delete so that `desired`
/// (endpoints grouped by ports) is published in slices of at most `max` endpoints, with as few
/// changes to existing slices as possible. `template` is an empty new slice of the Service.
pub fn plan(
    existing: &[Arc<EndpointSlice>],
    desired: Vec<(Vec<EndpointPort>, Vec<Endpoint>)>,
    labels: &BTreeMap<String, String>,
    template: &EndpointSlice,
    max: usize,
) -> Plan {
    let mut plan = Plan::default();
    let mut existing_by_ports: BTreeMap<String, Vec<EndpointSlice>> = BTreeMap::new();
    for s in existing {
        if s.address_type != "IPv4" {
            plan.delete.push(EndpointSlice::clone(s));
            continue;
        }
        existing_by_ports
            .entry(ports_key(s.ports.as_deref().unwrap_or_default()))
            .or_default()
            .push(EndpointSlice::clone(s));
    }
    let total_desired: usize = desired.iter().map(|(_, e)| e.len()).sum();
    for (ports, endpoints) in desired {
        let key = ports_key(&ports);
        let slices = existing_by_ports.remove(&key).unwrap_or_default();
        plan_ports(&mut plan, slices, ports, endpoints, labels, template, max);
    }
    // Slices for ports nobody serves any more.
    for (_, slices) in existing_by_ports {
        plan.delete.extend(slices);
    }
    // A Service with no endpoints keeps (or gets) one empty placeholder slice.
    if total_desired == 0 && plan.create.is_empty() && plan.update.is_empty() {
        let kept = existing.len() - plan.delete.len();
        if kept == 0 {
            let placeholder = plan
                .delete
                .iter()
                .position(|s| is_placeholder(s) && s.metadata.labels.as_ref() == Some(labels));
            match placeholder {
                Some(i) if plan.delete.len() == 1 => {
                    plan.delete.remove(i);
                }
                _ => plan.create.push(template.clone()),
            }
        }
    }
    plan
}

fn is_placeholder(s: &EndpointSlice) -> bool {
    s.endpoints.is_empty()
        && s.ports.as_deref().unwrap_or_default().is_empty()
        && s.address_type == "IPv4"
}

fn plan_ports(
    plan: &mut Plan,
    existing: Vec<EndpointSlice>,
    ports: Vec<EndpointPort>,
    endpoints: Vec<Endpoint>,
    labels: &BTreeMap<String, String>,
    template: &EndpointSlice,
    max: usize,
) {
    let mut wanted: Vec<Option<Endpoint>> = endpoints.into_iter().map(Some).collect();
    let index: HashMap<_, usize> = wanted
        .iter()
        .enumerate()
        .map(|(i, e)| (endpoint_key(e.as_ref().expect("all present")), i))
        .collect();
    let mut to_update = Vec::new();
    let mut unchanged = Vec::new();
    // 1. Existing slices keep the endpoints still wanted (refreshed), drop the others.
    for mut slice in existing {
        let mut changed = false;
        let mut kept = Vec::new();
        for old in &slice.endpoints {
            if let Some(&i) = index.get(&endpoint_key(old))
                && let Some(new) = wanted[i].take()
            {
                if !endpoints_equal(&new, old) {
                    changed = true;
                }
                kept.push(new);
            }
        }
        let labels_changed = slice.metadata.labels.as_ref() != Some(labels);
        if changed || kept.len() != slice.endpoints.len() {
            if kept.is_empty() {
                plan.delete.push(slice);
                continue;
            }
            slice.endpoints = kept;
            slice.metadata.labels = Some(labels.clone());
            to_update.push(slice);
        } else if labels_changed {
            slice.metadata.labels = Some(labels.clone());
            to_update.push(slice);
        } else {
            unchanged.push(slice);
        }
    }
    let mut remaining: std::collections::VecDeque<Endpoint> =
        wanted.into_iter().flatten().collect();
    // 2. New endpoints go first into slices that are being updated anyway.
    to_update.sort_by_key(|s| std::cmp::Reverse(s.endpoints.len()));
    for slice in &mut to_update {
        while slice.endpoints.len() < max {
            let Some(e) = remaining.pop_front() else {
                break;
            };
            slice.endpoints.push(e);
        }
    }
    // 3. Then into the fullest unchanged slice that has room for all of them, then new slices.
    while !remaining.is_empty() {
        let mut target = None;
        if remaining.len() < max {
            target = unchanged
                .iter()
                .enumerate()
                .filter(|(_, s)| s.endpoints.len() + remaining.len() <= max)
                .max_by_key(|(_, s)| s.endpoints.len())
                .map(|(i, _)| i);
        }
        let mut slice = match target {
            Some(i) => unchanged.swap_remove(i),
            None => {
                let mut s = template.clone();
                s.ports = Some(ports.clone());
                s
            }
        };
        while slice.endpoints.len() < max {
            let Some(e) = remaining.pop_front() else {
                break;
            };
            slice.endpoints.push(e);
        }
        if slice.metadata.name.is_some() {
            to_update.push(slice);
        } else {
            plan.create.push(slice);
        }
    }
    plan.update.extend(to_update);
}

fn endpoints_equal(a: &Endpoint, b: &Endpoint) -> bool {
    let strip = |e: &Endpoint| {
        let mut e = e.clone();
        e.addresses.sort();
        if let Some(r) = &mut e.target_ref {
            r.resource_version = None;
        }
        e
    };
    strip(a) == strip(b)
}

/// What the cache should eventually show of a slice we wrote.
#[derive(Clone, Debug)]
enum Expect {
    /// At least this resourceVersion.
    Version(u64),
    /// Gone (or replaced by another object: a different UID).
    Deleted(String),
}

/// Upstream's `EndpointSliceTracker`, by resourceVersion: the writes not yet seen in the cache.
#[derive(Default)]
struct Tracker {
    services: HashMap<(String, String), HashMap<String, (Expect, Instant)>>,
}

impl Tracker {
    fn expect(&mut self, ns: &str, svc: &str, slice: String, what: Expect) {
        self.services
            .entry((ns.to_owned(), svc.to_owned()))
            .or_default()
            .insert(slice, (what, Instant::now()));
    }

    fn forget(&mut self, ns: &str, svc: &str) {
        self.services.remove(&(ns.to_owned(), svc.to_owned()));
    }

    /// Whether the cached slices of the Service are older than our writes; forgets the writes the
    /// cache has caught up with (or that are too old to wait for).
    fn is_stale(&mut self, ns: &str, svc: &str, cached: &[Arc<EndpointSlice>]) -> bool {
        let key = (ns.to_owned(), svc.to_owned());
        let Some(expected) = self.services.get_mut(&key) else {
            return false;
        };
        expected.retain(|name, (what, at)| {
            if at.elapsed() > TRACK_TIMEOUT {
                return false;
            }
            let found = cached
                .iter()
                .find(|s| s.metadata.name.as_deref() == Some(name.as_str()));
            match (what, found) {
                (Expect::Version(v), Some(s)) => resource_version(s) < *v,
                (Expect::Version(_), None) => true,
                (Expect::Deleted(uid), Some(s)) => s.uid().as_deref() == Some(uid.as_str()),
                (Expect::Deleted(_), None) => false,
            }
        });
        let stale = !expected.is_empty();
        if !stale {
            self.services.remove(&key);
        }
        stale
    }
}

#[cfg(test)]
mod tests;
