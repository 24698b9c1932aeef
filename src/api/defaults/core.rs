//! Core group (`v1`): `pkg/apis/core/v1/defaults.go` and the `+default` markers of
//! `k8s.io/api/core/v1/types.go`, applied where `zz_generated.defaults.go` applies them.
//!
//! The pod spec defaults ([`pod_spec`]) are shared by every object that embeds a pod template;
//! [`pod`] adds what upstream only does for Pods themselves (`SetDefaults_Pod`: requests from
//! limits, `enableServiceLinks`, host ports under host networking).
//!
//! Feature-gated defaults follow 1.33's default gates: the image volume pull policy (ImageVolume,
//! off) and pod-level resource defaults (PodLevelResources, off) are not applied.
//!
//! Two conversion effects are reproduced too, because Go's round trip through the internal
//! version makes them visible on every object: `serviceAccount` mirrors `serviceAccountName` in
//! pod specs, and a Secret's `stringData` is merged into `data`.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{
    AzureDiskVolumeSource, ClientIPConfig, Container, ContainerStatus, DownwardAPIVolumeFile,
    EnvVar, EphemeralContainer, Lifecycle, LimitRange, Namespace, Node, PersistentVolume,
    PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeSpec, Pod, PodSpec,
    PodTemplate, PodTemplateSpec, Probe, ReplicationController, ResourceQuota,
    ResourceRequirements, Secret, Service, SessionAffinityConfig, Volume,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::{default_i32, default_ptr, default_str, image, quantity, typed};

/// RBD volume and persistent volume sources (`+default` markers).
macro_rules! rbd_defaults {
    ($s:expr) => {{
        let s = $s;
        default_str(&mut s.pool, "rbd");
        default_str(&mut s.user, "admin");
        default_str(&mut s.keyring, "/etc/ceph/keyring");
    }};
}

/// ScaleIO volume and persistent volume sources.
macro_rules! scale_io_defaults {
    ($s:expr) => {{
        let s = $s;
        default_str(&mut s.storage_mode, "ThinProvisioned");
        default_str(&mut s.fs_type, "xfs");
    }};
}

pub(super) fn apply(kind: &str, obj: &mut Value) {
    match kind {
        "Pod" => typed(obj, pod),
        "PodTemplate" => typed(obj, |t: &mut PodTemplate| {
            if let Some(template) = &mut t.template {
                pod_template_spec(template);
            }
        }),
        "ReplicationController" => typed(obj, replication_controller),
        "Service" => typed(obj, service),
        "Namespace" => typed(obj, namespace),
        "Secret" => typed(obj, secret),
        "PersistentVolume" => typed(obj, persistent_volume),
        "PersistentVolumeClaim" => typed(obj, persistent_volume_claim),
        "Endpoints" => typed(obj, endpoints),
        "Node" => typed(obj, node),
        "LimitRange" => typed(obj, limit_range),
        "ResourceQuota" => typed(obj, resource_quota),
        // ConfigMap (SetDefaults_ConfigMap only makes an empty map, invisible once encoded),
        // ServiceAccount, Event, Binding: nothing.
        _ => {}
    }
}

/// `SetObjectDefaults_Pod`.
fn pod(p: &mut Pod) {
    if let Some(spec) = &mut p.spec {
        // SetDefaults_Pod.
        for c in spec
            .containers
            .iter_mut()
            .chain(spec.init_containers.iter_mut().flatten())
        {
            if let Some(r) = &mut c.resources {
                requests_from_limits(r);
            }
        }
        default_ptr(&mut spec.enable_service_links, true);
        if spec.host_network == Some(true) {
            for c in spec
                .containers
                .iter_mut()
                .chain(spec.init_containers.iter_mut().flatten())
            {
                for port in c.ports.iter_mut().flatten() {
                    default_i32(&mut port.host_port, port.container_port);
                }
            }
        }
        pod_spec(spec);
    }
    if let Some(status) = &mut p.status {
        for s in status
            .init_container_statuses
            .iter_mut()
            .chain(status.container_statuses.iter_mut())
            .chain(status.ephemeral_container_statuses.iter_mut())
            .flatten()
        {
            container_status(s);
        }
    }
}

/// Requests default to limits for the resources that have a limit and no request (Pods only,
/// not templates).
fn requests_from_limits(r: &mut ResourceRequirements) {
    let Some(limits) = r.limits.as_ref().filter(|l| !l.is_empty()) else {
        return;
    };
    let requests = r.requests.get_or_insert_with(BTreeMap::new);
    for (name, value) in limits {
        requests
            .entry(name.clone())
            .or_insert_with(|| value.clone());
    }
}

fn container_status(s: &mut ContainerStatus) {
    resource_list(&mut s.allocated_resources);
    if let Some(r) = &mut s.resources {
        resource_list(&mut r.limits);
        resource_list(&mut r.requests);
    }
}

/// The defaults of a pod template (`SetDefaults_PodSpec` and everything nested).
pub(super) fn pod_template_spec(t: &mut PodTemplateSpec) {
    if let Some(spec) = &mut t.spec {
        pod_spec(spec);
    }
}

/// `SetDefaults_PodSpec` and the defaults of every struct nested in a pod spec.
pub(super) fn pod_spec(spec: &mut PodSpec) {
    default_str(&mut spec.dns_policy, "ClusterFirst");
    default_str(&mut spec.restart_policy, "Always");
    default_ptr(&mut spec.security_context, Default::default());
    default_ptr(&mut spec.termination_grace_period_seconds, 30);
    default_str(&mut spec.scheduler_name, "default-scheduler");
    service_account_alias(spec);

    for v in spec.volumes.iter_mut().flatten() {
        volume(v);
    }
    for c in spec.init_containers.iter_mut().flatten() {
        container(c);
    }
    for c in &mut spec.containers {
        container(c);
    }
    for c in spec.ephemeral_containers.iter_mut().flatten() {
        ephemeral_container(c);
    }
    resource_list(&mut spec.overhead);
    if let Some(r) = &mut spec.resources {
        resource_list(&mut r.limits);
        resource_list(&mut r.requests);
    }
}

/// Conversion, not defaulting: v1's `serviceAccount` is a deprecated alias of
/// `serviceAccountName`. Decoding takes it when the name is empty; encoding writes the name into
/// both.
fn service_account_alias(spec: &mut PodSpec) {
    let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let name = non_empty(&spec.service_account_name).or_else(|| non_empty(&spec.service_account));
    if name.is_some() {
        spec.service_account_name.clone_from(&name);
        spec.service_account = name;
    }
}

/// `SetDefaults_Container` and the nested defaults; the same for ephemeral containers, whose
/// fields are a copy of a container's.
macro_rules! container_defaults {
    ($c:expr) => {{
        let c = $c;
        if c.image_pull_policy.as_deref().is_none_or(str::is_empty) {
            c.image_pull_policy =
                Some(image::pull_policy(c.image.as_deref().unwrap_or("")).to_owned());
        }
        default_str(&mut c.termination_message_path, "/dev/termination-log");
        default_str(&mut c.termination_message_policy, "File");
        for port in c.ports.iter_mut().flatten() {
            default_str(&mut port.protocol, "TCP");
        }
        env(&mut c.env);
        if let Some(r) = &mut c.resources {
            resource_list(&mut r.limits);
            resource_list(&mut r.requests);
        }
        for p in [
            &mut c.liveness_probe,
            &mut c.readiness_probe,
            &mut c.startup_probe,
        ] {
            if let Some(p) = p {
                probe(p);
            }
        }
        if let Some(l) = &mut c.lifecycle {
            lifecycle(l);
        }
    }};
}

fn container(c: &mut Container) {
    container_defaults!(c);
}

fn ephemeral_container(c: &mut EphemeralContainer) {
    container_defaults!(c);
}

fn env(env: &mut Option<Vec<EnvVar>>) {
    for e in env.iter_mut().flatten() {
        if let Some(field_ref) = e.value_from.as_mut().and_then(|v| v.field_ref.as_mut()) {
            default_str(&mut field_ref.api_version, "v1");
        }
    }
}

/// `SetDefaults_Probe` and its handler's.
fn probe(p: &mut Probe) {
    default_i32(&mut p.timeout_seconds, 1);
    default_i32(&mut p.period_seconds, 10);
    default_i32(&mut p.success_threshold, 1);
    default_i32(&mut p.failure_threshold, 3);
    if let Some(h) = &mut p.http_get {
        default_str(&mut h.path, "/");
        default_str(&mut h.scheme, "HTTP");
    }
    if let Some(g) = &mut p.grpc {
        // `+default=""` on a pointer: encoded as `service: ""`.
        default_ptr(&mut g.service, String::new());
    }
}

fn lifecycle(l: &mut Lifecycle) {
    for handler in [&mut l.post_start, &mut l.pre_stop].into_iter().flatten() {
        if let Some(h) = &mut handler.http_get {
            default_str(&mut h.path, "/");
            default_str(&mut h.scheme, "HTTP");
        }
    }
}

/// 0644, the mode of files from secret, configMap, downwardAPI and projected volumes.
const DEFAULT_MODE: i32 = 0o644;

/// `SetDefaults_Volume` and the defaults of each volume source.
fn volume(v: &mut Volume) {
    // A volume without any source is an emptyDir.
    let has_source = serde_json::to_value(&*v)
        .ok()
        .and_then(|j| j.as_object().map(|o| o.keys().any(|k| k != "name")))
        .unwrap_or(true);
    if !has_source {
        v.empty_dir = Some(Default::default());
    }
    if let Some(h) = &mut v.host_path {
        // HostPathUnset, encoded as `type: ""`.
        default_ptr(&mut h.type_, String::new());
    }
    if let Some(s) = &mut v.secret {
        default_ptr(&mut s.default_mode, DEFAULT_MODE);
    }
    if let Some(s) = &mut v.config_map {
        default_ptr(&mut s.default_mode, DEFAULT_MODE);
    }
    if let Some(s) = &mut v.downward_api {
        default_ptr(&mut s.default_mode, DEFAULT_MODE);
        downward_api_items(&mut s.items);
    }
    if let Some(s) = &mut v.projected {
        default_ptr(&mut s.default_mode, DEFAULT_MODE);
        for source in s.sources.iter_mut().flatten() {
            if let Some(d) = &mut source.downward_api {
                downward_api_items(&mut d.items);
            }
            if let Some(t) = &mut source.service_account_token {
                default_ptr(&mut t.expiration_seconds, 3600);
            }
        }
    }
    if let Some(s) = &mut v.iscsi {
        default_str(&mut s.iscsi_interface, "default");
    }
    if let Some(s) = &mut v.rbd {
        rbd_defaults!(s);
    }
    if let Some(s) = &mut v.azure_disk {
        azure_disk(s);
    }
    if let Some(s) = &mut v.scale_io {
        scale_io_defaults!(s);
    }
    if let Some(t) = v
        .ephemeral
        .as_mut()
        .and_then(|e| e.volume_claim_template.as_mut())
    {
        persistent_volume_claim_spec(&mut t.spec);
    }
}

fn downward_api_items(items: &mut Option<Vec<DownwardAPIVolumeFile>>) {
    for item in items.iter_mut().flatten() {
        if let Some(f) = &mut item.field_ref {
            default_str(&mut f.api_version, "v1");
        }
    }
}

fn azure_disk(s: &mut AzureDiskVolumeSource) {
    default_ptr(&mut s.caching_mode, "ReadWrite".to_owned());
    default_ptr(&mut s.kind, "Shared".to_owned());
    default_ptr(&mut s.fs_type, "ext4".to_owned());
    default_ptr(&mut s.read_only, false);
}

/// `SetDefaults_ResourceList`: every value rounded up to a multiple of 1m and re-encoded in
/// canonical form. Values that are not quantities are left for validation.
pub(super) fn resource_list(list: &mut Option<BTreeMap<String, Quantity>>) {
    for q in list.iter_mut().flat_map(|l| l.values_mut()) {
        if let Some(c) = quantity::round_up_to_milli(&q.0) {
            q.0 = c;
        }
    }
}

/// `SetObjectDefaults_ReplicationController`.
fn replication_controller(rc: &mut ReplicationController) {
    let Some(spec) = &mut rc.spec else {
        return;
    };
    let labels = spec
        .template
        .as_ref()
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .filter(|l| !l.is_empty());
    if let Some(labels) = labels {
        if spec.selector.as_ref().is_none_or(BTreeMap::is_empty) {
            spec.selector = Some(labels.clone());
        }
        if rc.metadata.labels.as_ref().is_none_or(BTreeMap::is_empty) {
            rc.metadata.labels = Some(labels);
        }
    }
    default_ptr(&mut spec.replicas, 1);
    if let Some(t) = &mut spec.template {
        pod_template_spec(t);
    }
}

/// `SetObjectDefaults_Service`.
fn service(s: &mut Service) {
    let Some(spec) = &mut s.spec else {
        return;
    };
    default_str(&mut spec.session_affinity, "None");
    match spec.session_affinity.as_deref() {
        Some("None") => spec.session_affinity_config = None,
        Some("ClientIP") => {
            let timeout = spec
                .session_affinity_config
                .as_ref()
                .and_then(|c| c.client_ip.as_ref())
                .and_then(|c| c.timeout_seconds);
            if timeout.is_none() {
                spec.session_affinity_config = Some(SessionAffinityConfig {
                    client_ip: Some(ClientIPConfig {
                        timeout_seconds: Some(10800),
                    }),
                });
            }
        }
        _ => {}
    }
    default_str(&mut spec.type_, "ClusterIP");
    for port in spec.ports.iter_mut().flatten() {
        default_str(&mut port.protocol, "TCP");
        let unset = match &port.target_port {
            None => true,
            Some(IntOrString::Int(0)) => true,
            Some(IntOrString::String(s)) => s.is_empty(),
            Some(IntOrString::Int(_)) => false,
        };
        if unset {
            port.target_port = Some(IntOrString::Int(port.port));
        }
    }
    let type_ = spec.type_.as_deref().unwrap_or_default();
    let externally_accessible = matches!(type_, "LoadBalancer" | "NodePort")
        || (type_ == "ClusterIP"
            && spec
                .external_ips
                .as_ref()
                .is_some_and(|ips| !ips.is_empty()));
    if externally_accessible {
        default_str(&mut spec.external_traffic_policy, "Cluster");
    }
    if matches!(type_, "NodePort" | "LoadBalancer" | "ClusterIP") {
        default_ptr(&mut spec.internal_traffic_policy, "Cluster".to_owned());
    }
    if type_ == "LoadBalancer" {
        default_ptr(&mut spec.allocate_load_balancer_node_ports, true);
        let ingress = s
            .status
            .as_mut()
            .and_then(|st| st.load_balancer.as_mut())
            .and_then(|lb| lb.ingress.as_mut());
        for ing in ingress.into_iter().flatten() {
            if ing.ip.as_deref().is_some_and(|ip| !ip.is_empty()) {
                default_ptr(&mut ing.ip_mode, "VIP".to_owned());
            }
        }
    }
}

/// `SetObjectDefaults_Namespace`: the `kubernetes.io/metadata.name` label (when the name is known)
/// and `status.phase: Active`.
fn namespace(ns: &mut Namespace) {
    if let Some(name) = ns.metadata.name.clone().filter(|n| !n.is_empty()) {
        ns.metadata
            .labels
            .get_or_insert_with(BTreeMap::new)
            .insert("kubernetes.io/metadata.name".to_owned(), name);
    }
    let status = ns.status.get_or_insert_with(Default::default);
    default_str(&mut status.phase, "Active");
}

/// The namespace registry's `PrepareForCreate`: the `kubernetes` finalizer is required on create.
pub(super) fn namespace_on_create(ns: &mut Namespace) {
    let spec = ns.spec.get_or_insert_with(Default::default);
    let finalizers = spec.finalizers.get_or_insert_with(Vec::new);
    if !finalizers.iter().any(|f| f == "kubernetes") {
        finalizers.push("kubernetes".to_owned());
    }
}

/// `SetDefaults_Secret`, plus the conversion that merges `stringData` into `data` (the internal
/// version has no `stringData`, so upstream never returns it).
fn secret(s: &mut Secret) {
    default_str(&mut s.type_, "Opaque");
    if let Some(string_data) = s.string_data.take().filter(|d| !d.is_empty()) {
        let data = s.data.get_or_insert_with(BTreeMap::new);
        for (k, v) in string_data {
            data.insert(k, ByteString(v.into_bytes()));
        }
    }
}

/// `SetObjectDefaults_PersistentVolume`.
fn persistent_volume(pv: &mut PersistentVolume) {
    let status = pv.status.get_or_insert_with(Default::default);
    default_str(&mut status.phase, "Pending");
    if let Some(spec) = &mut pv.spec {
        default_str(&mut spec.persistent_volume_reclaim_policy, "Retain");
        default_ptr(&mut spec.volume_mode, "Filesystem".to_owned());
        persistent_volume_sources(spec);
    }
}

/// The defaults of the volume sources of a persistent volume spec, also applied to the inline
/// spec of a VolumeAttachment.
pub(super) fn persistent_volume_sources(spec: &mut PersistentVolumeSpec) {
    resource_list(&mut spec.capacity);
    if let Some(h) = &mut spec.host_path {
        default_ptr(&mut h.type_, String::new());
    }
    if let Some(s) = &mut spec.rbd {
        rbd_defaults!(s);
    }
    if let Some(s) = &mut spec.iscsi {
        default_str(&mut s.iscsi_interface, "default");
    }
    if let Some(s) = &mut spec.azure_disk {
        azure_disk(s);
    }
    if let Some(s) = &mut spec.scale_io {
        scale_io_defaults!(s);
    }
}

/// `SetObjectDefaults_PersistentVolumeClaim`; also for StatefulSet volume claim templates.
pub(super) fn persistent_volume_claim(pvc: &mut PersistentVolumeClaim) {
    let status = pvc.status.get_or_insert_with(Default::default);
    default_str(&mut status.phase, "Pending");
    resource_list(&mut status.capacity);
    resource_list(&mut status.allocated_resources);
    if let Some(spec) = &mut pvc.spec {
        persistent_volume_claim_spec(spec);
    }
}

/// `SetDefaults_PersistentVolumeClaimSpec` and its resource lists.
fn persistent_volume_claim_spec(spec: &mut PersistentVolumeClaimSpec) {
    default_ptr(&mut spec.volume_mode, "Filesystem".to_owned());
    if let Some(r) = &mut spec.resources {
        resource_list(&mut r.limits);
        resource_list(&mut r.requests);
    }
}

fn endpoints(e: &mut k8s_openapi::api::core::v1::Endpoints) {
    for subset in e.subsets.iter_mut().flatten() {
        for port in subset.ports.iter_mut().flatten() {
            default_str(&mut port.protocol, "TCP");
        }
    }
}

/// `SetDefaults_NodeStatus`: allocatable defaults to capacity.
fn node(n: &mut Node) {
    let Some(status) = &mut n.status else {
        return;
    };
    if status.allocatable.is_none() && status.capacity.as_ref().is_some_and(|c| !c.is_empty()) {
        status.allocatable.clone_from(&status.capacity);
    }
    resource_list(&mut status.capacity);
    resource_list(&mut status.allocatable);
}

/// `SetDefaults_LimitRangeItem`: for `Container` items, `default` from `max`, then
/// `defaultRequest` from `default`, then from `min`.
fn limit_range(lr: &mut LimitRange) {
    let Some(spec) = &mut lr.spec else {
        return;
    };
    for item in &mut spec.limits {
        if item.type_ == "Container" {
            let fill = |into: &mut Option<BTreeMap<String, Quantity>>,
                        from: &Option<BTreeMap<String, Quantity>>| {
                let Some(from) = from.as_ref().filter(|f| !f.is_empty()) else {
                    return;
                };
                let into = into.get_or_insert_with(BTreeMap::new);
                for (k, v) in from {
                    into.entry(k.clone()).or_insert_with(|| v.clone());
                }
            };
            fill(&mut item.default, &item.max);
            fill(&mut item.default_request, &item.default);
            fill(&mut item.default_request, &item.min);
        }
        resource_list(&mut item.max);
        resource_list(&mut item.min);
        resource_list(&mut item.default);
        resource_list(&mut item.default_request);
        resource_list(&mut item.max_limit_request_ratio);
    }
}

fn resource_quota(rq: &mut ResourceQuota) {
    if let Some(spec) = &mut rq.spec {
        resource_list(&mut spec.hard);
    }
    if let Some(status) = &mut rq.status {
        resource_list(&mut status.hard);
        resource_list(&mut status.used);
    }
}
