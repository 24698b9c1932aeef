//! Validation of built-in kinds, answering bad input exactly as upstream kube-apiserver 1.33 does:
//! the same field paths and the same messages (`spec.containers[0].name: Required value`).
//!
//! Entry points take objects as stored JSON (camelCase, decoded through the typed structs). The
//! flow mirrors upstream's generic registry:
//!
//! - create: the kind's own validation (its strategy's `Validate`); only when that passes, the
//!   generic ObjectMeta rules every object follows (`rest.BeforeCreate`);
//! - update: the generic ObjectMeta rules and ObjectMeta update rules, then the kind's own update
//!   validation (`rest.BeforeUpdate`);
//! - status update: the same with the kind's status validation.
//!
//! Errors repeated by the overlapping layers are reported once, as upstream's aggregate message
//! does.
//!
//! Fields upstream defaults before validating are read with their default when absent, so these
//! functions answer the same whether or not defaulting already ran. Values a later stage assigns
//! (a Service's cluster IPs and node ports, a Job's generated selector) may be absent.

pub mod apiextensions;
pub mod apps;
pub mod autoscaling;
pub mod batch;
pub mod certificates;
pub mod coordination;
pub mod core;
pub mod cron;
pub mod discovery;
pub mod gorepr;
pub mod json;
pub mod meta;
pub mod names;
pub mod networking;
pub mod pod;
pub mod policy;
pub mod rbac;
pub mod resources;
pub mod scheduling;
pub mod service;
pub mod storage;

use serde_json::Value;

use crate::api::field::{FieldError, Path};
use json::child;
use meta::MetaRules;
pub use meta::{NameRule, Scope};
pub use names::{
    is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_qualified_name,
    is_valid_label_value,
};

/// Validation of a new object of a built-in kind. Unknown kinds: only metadata is validated.
pub fn validate_create(group: &str, version: &str, kind: &str, obj: &Value) -> Vec<FieldError> {
    let entry = lookup(group, version, kind);
    let scope = entry.as_ref().map_or(Scope::Either, |e| e.scope);
    let mut errs = entry.map(|e| (e.create)(obj)).unwrap_or_default();
    if errs.is_empty() {
        errs = generic_meta(obj, scope);
    }
    dedup(errs)
}

/// Validation of an update: everything `validate_create` checks plus immutability rules.
pub fn validate_update(
    group: &str,
    version: &str,
    kind: &str,
    new: &Value,
    old: &Value,
) -> Vec<FieldError> {
    let entry = lookup(group, version, kind);
    let scope = entry.as_ref().map_or(Scope::Either, |e| e.scope);
    let mut errs = generic_meta(new, scope);
    errs.extend(meta::validate_meta_update(
        child(new, "metadata"),
        child(old, "metadata"),
        &Path::new("metadata"),
    ));
    if let Some(e) = entry {
        errs.extend((e.update)(new, old));
    }
    dedup(errs)
}

/// Status-subresource updates validate the status (e.g. replicas >= 0) and metadata.
pub fn validate_status_update(
    group: &str,
    version: &str,
    kind: &str,
    new: &Value,
    old: &Value,
) -> Vec<FieldError> {
    let entry = lookup(group, version, kind);
    let scope = entry.as_ref().map_or(Scope::Either, |e| e.scope);
    let mut errs = generic_meta(new, scope);
    errs.extend(meta::validate_meta_update(
        child(new, "metadata"),
        child(old, "metadata"),
        &Path::new("metadata"),
    ));
    match entry.and_then(|e| e.status) {
        Some(status) => errs.extend(status(new, old)),
        None => errs.extend(meta_update(new, old)),
    }
    dedup(errs)
}

/// Validation of a new custom resource (or any object of a kind without its own rules) whose
/// scope is known: the generic ObjectMeta rules.
pub fn validate_custom_create(obj: &Value, namespaced: bool) -> Vec<FieldError> {
    dedup(generic_meta(obj, Scope::from_namespaced(namespaced)))
}

/// Validation of an update of a custom resource whose scope is known.
pub fn validate_custom_update(new: &Value, old: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = generic_meta(new, Scope::from_namespaced(namespaced));
    errs.extend(meta::validate_meta_update(
        child(new, "metadata"),
        child(old, "metadata"),
        &Path::new("metadata"),
    ));
    dedup(errs)
}

/// ObjectMeta of a new object: name (or generateName) per `name_rule`, namespace required for
/// namespaced kinds and forbidden otherwise, labels, annotations, owner references, finalizers.
pub fn validate_object_meta(
    meta: &Value,
    namespaced: bool,
    name_rule: NameRule,
    path: &Path,
) -> Vec<FieldError> {
    meta::validate_meta(
        meta,
        &MetaRules {
            scope: Scope::from_namespaced(namespaced),
            name: &|n, p| name_rule.check(n, p),
            kube_finalizers: false,
        },
        path,
    )
}

/// Whether a built-in kind is namespaced (`None` for kinds this module does not know).
pub fn is_namespaced(group: &str, version: &str, kind: &str) -> Option<bool> {
    lookup(group, version, kind).and_then(|e| match e.scope {
        Scope::Namespaced => Some(true),
        Scope::Cluster => Some(false),
        Scope::Either => None,
    })
}

/// Core's `ValidateObjectMeta`: the generic rules plus standard-or-qualified finalizer names.
pub(crate) fn kube_meta(
    meta: &Value,
    namespaced: bool,
    rule: NameRule,
    path: &Path,
) -> Vec<FieldError> {
    meta::validate_meta(
        meta,
        &MetaRules {
            scope: Scope::from_namespaced(namespaced),
            name: &|n, p| rule.check(n, p),
            kube_finalizers: true,
        },
        path,
    )
}

/// Core's `ValidateObjectMetaUpdate` on the objects' metadata.
pub(crate) fn meta_update(new: &Value, old: &Value) -> Vec<FieldError> {
    meta::validate_meta_update_kube(
        child(new, "metadata"),
        child(old, "metadata"),
        &Path::new("metadata"),
    )
}

/// The rules every object's metadata follows (`ValidateObjectMetaAccessor` with path-segment
/// names).
fn generic_meta(obj: &Value, scope: Scope) -> Vec<FieldError> {
    meta::validate_meta(
        child(obj, "metadata"),
        &MetaRules {
            scope,
            name: &|n, p| NameRule::PathSegment.check(n, p),
            kube_finalizers: false,
        },
        &Path::new("metadata"),
    )
}

fn dedup(errs: Vec<FieldError>) -> Vec<FieldError> {
    let mut seen = std::collections::HashSet::new();
    errs.into_iter()
        .filter(|e| seen.insert(e.to_string()))
        .collect()
}

type CreateFn = fn(&Value) -> Vec<FieldError>;
type UpdateFn = fn(&Value, &Value) -> Vec<FieldError>;

/// A kind's validation.
struct Entry {
    scope: Scope,
    create: CreateFn,
    update: UpdateFn,
    status: Option<UpdateFn>,
}

fn entry(
    namespaced: bool,
    create: CreateFn,
    update: UpdateFn,
    status: Option<UpdateFn>,
) -> Option<Entry> {
    Some(Entry {
        scope: Scope::from_namespaced(namespaced),
        create,
        update,
        status,
    })
}

fn no_rules(_: &Value) -> Vec<FieldError> {
    Vec::new()
}

fn no_update_rules(_: &Value, _: &Value) -> Vec<FieldError> {
    Vec::new()
}

fn lookup(group: &str, version: &str, kind: &str) -> Option<Entry> {
    use self::{
        apiextensions as ext, apps as a, autoscaling as hpa, batch as b, certificates as cert,
        coordination as coord, core as c, discovery as disc, networking as net, policy as pol,
        scheduling as sched, service as svc, storage as st,
    };
    match (group, kind) {
        ("", "Pod") => entry(
            true,
            pod::validate_pod_create,
            pod::validate_pod_update,
            Some(pod::validate_pod_status_update),
        ),
        ("", "PodTemplate") => entry(
            true,
            pod::validate_pod_template,
            c::pod_template_update,
            None,
        ),
        ("", "Service") => entry(
            true,
            svc::validate_service_create,
            svc::validate_service_update,
            Some(svc::validate_service_status_update),
        ),
        ("", "ConfigMap") => entry(
            true,
            c::validate_config_map,
            c::validate_config_map_update,
            None,
        ),
        ("", "Secret") => entry(true, c::validate_secret, c::validate_secret_update, None),
        ("", "Namespace") => entry(
            false,
            c::validate_namespace,
            c::validate_namespace_update,
            Some(c::validate_namespace_status_update),
        ),
        ("", "Node") => entry(
            false,
            c::validate_node,
            c::validate_node_update,
            Some(c::validate_node_update),
        ),
        ("", "PersistentVolume") => entry(
            false,
            c::validate_pv,
            c::validate_pv_update,
            Some(c::validate_pv_status_update),
        ),
        ("", "PersistentVolumeClaim") => entry(
            true,
            c::validate_pvc,
            c::validate_pvc_update,
            Some(c::validate_pvc_status_update),
        ),
        ("", "ServiceAccount") => entry(
            true,
            c::validate_service_account,
            c::validate_service_account_update,
            None,
        ),
        ("", "Endpoints") => entry(
            true,
            c::validate_endpoints,
            c::validate_endpoints_update,
            None,
        ),
        ("", "Event") => entry(
            true,
            c::validate_event_create,
            c::validate_event_update,
            None,
        ),
        ("", "LimitRange") => entry(
            true,
            c::validate_limit_range,
            c::validate_limit_range_update,
            None,
        ),
        ("", "ResourceQuota") => entry(
            true,
            c::validate_resource_quota,
            c::validate_resource_quota_update,
            Some(c::validate_resource_quota_status_update),
        ),
        ("", "ReplicationController") => entry(
            true,
            c::validate_rc,
            c::validate_rc_update,
            Some(c::validate_rc_status_update),
        ),
        ("", "Binding") => entry(true, c::validate_binding, no_update_rules, None),
        ("apps", "Deployment") => entry(
            true,
            a::validate_deployment,
            a::validate_deployment_update,
            Some(a::validate_deployment_status_update),
        ),
        ("apps", "ReplicaSet") => entry(
            true,
            a::validate_replica_set,
            a::validate_replica_set_update,
            Some(a::validate_replica_set_status_update),
        ),
        ("apps", "StatefulSet") => entry(
            true,
            a::validate_stateful_set,
            a::validate_stateful_set_update,
            Some(a::validate_stateful_set_status_update),
        ),
        ("apps", "DaemonSet") => entry(
            true,
            a::validate_daemon_set,
            a::validate_daemon_set_update,
            Some(a::validate_daemon_set_status_update),
        ),
        ("apps", "ControllerRevision") => entry(
            true,
            a::validate_controller_revision,
            a::validate_controller_revision_update,
            None,
        ),
        ("batch", "Job") => entry(
            true,
            b::validate_job,
            b::validate_job_update,
            Some(b::validate_job_status_update),
        ),
        ("batch", "CronJob") => entry(
            true,
            b::validate_cron_job,
            b::validate_cron_job_update,
            None,
        ),
        ("networking.k8s.io", "Ingress") => entry(
            true,
            net::validate_ingress,
            net::validate_ingress_update,
            Some(net::validate_ingress_status_update),
        ),
        ("networking.k8s.io", "IngressClass") => entry(
            false,
            net::validate_ingress_class,
            net::validate_ingress_class_update,
            None,
        ),
        ("networking.k8s.io", "NetworkPolicy") => entry(
            true,
            net::validate_network_policy,
            net::validate_network_policy_update,
            None,
        ),
        ("rbac.authorization.k8s.io", "Role") => {
            entry(true, rbac::validate_role, rbac::validate_role_update, None)
        }
        ("rbac.authorization.k8s.io", "ClusterRole") => entry(
            false,
            rbac::validate_cluster_role,
            rbac::validate_cluster_role_update,
            None,
        ),
        ("rbac.authorization.k8s.io", "RoleBinding") => entry(
            true,
            rbac::validate_role_binding,
            rbac::validate_role_binding_update,
            None,
        ),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => entry(
            false,
            rbac::validate_cluster_role_binding,
            rbac::validate_cluster_role_binding_update,
            None,
        ),
        ("storage.k8s.io", "StorageClass") => entry(
            false,
            st::validate_storage_class,
            st::validate_storage_class_update,
            None,
        ),
        ("storage.k8s.io", "CSIDriver") => entry(
            false,
            st::validate_csi_driver,
            st::validate_csi_driver_update,
            None,
        ),
        ("storage.k8s.io", "CSINode") => entry(
            false,
            st::validate_csi_node,
            st::validate_csi_node_update,
            None,
        ),
        ("storage.k8s.io", "VolumeAttachment") => entry(
            false,
            st::validate_volume_attachment,
            st::validate_volume_attachment_update,
            Some(st::validate_volume_attachment_status_update),
        ),
        ("storage.k8s.io", "CSIStorageCapacity") => entry(
            true,
            st::validate_csi_storage_capacity,
            st::validate_csi_storage_capacity_update,
            None,
        ),
        ("policy", "PodDisruptionBudget") => entry(
            true,
            pol::validate_pdb,
            pol::validate_pdb_update,
            Some(pol::validate_pdb_status_update),
        ),
        ("policy", "Eviction") => entry(true, no_rules, no_update_rules, None),
        ("autoscaling", "HorizontalPodAutoscaler") => entry(
            true,
            hpa::validate_hpa,
            hpa::validate_hpa_update,
            Some(hpa::validate_hpa_status_update),
        ),
        ("autoscaling", "Scale") => {
            entry(true, hpa::validate_scale, hpa::validate_scale_update, None)
        }
        ("scheduling.k8s.io", "PriorityClass") => entry(
            false,
            sched::validate_priority_class,
            sched::validate_priority_class_update,
            None,
        ),
        ("node.k8s.io", "RuntimeClass") => entry(
            false,
            sched::validate_runtime_class,
            sched::validate_runtime_class_update,
            None,
        ),
        ("coordination.k8s.io", "Lease") => entry(
            true,
            coord::validate_lease,
            coord::validate_lease_update,
            None,
        ),
        ("discovery.k8s.io", "EndpointSlice") => entry(
            true,
            disc::validate_endpoint_slice,
            disc::validate_endpoint_slice_update,
            None,
        ),
        ("events.k8s.io", "Event") => entry(
            true,
            c::validate_events_v1_create,
            c::validate_events_v1_update,
            None,
        ),
        ("certificates.k8s.io", "CertificateSigningRequest") => entry(
            false,
            cert::validate_csr,
            cert::validate_csr_update,
            Some(cert::validate_csr_status_update),
        ),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => entry(
            false,
            ext::validate_crd,
            ext::validate_crd_update,
            Some(ext::validate_crd_status_update),
        ),
        ("apiregistration.k8s.io", "APIService") => entry(
            false,
            ext::validate_api_service,
            ext::validate_api_service_update,
            None,
        ),
        ("authentication.k8s.io", "TokenRequest")
        | ("authorization.k8s.io", "LocalSubjectAccessReview") => {
            entry(true, no_rules, no_update_rules, None)
        }
        ("authentication.k8s.io", "TokenReview" | "SelfSubjectReview")
        | (
            "authorization.k8s.io",
            "SubjectAccessReview" | "SelfSubjectAccessReview" | "SelfSubjectRulesReview",
        ) => entry(false, no_rules, no_update_rules, None),
        _ => {
            let _ = version;
            None
        }
    }
}

#[cfg(test)]
mod tests;
