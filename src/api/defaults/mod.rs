//! Upstream's defaulting (`SetDefaults_*` / `SetObjectDefaults_*`, Kubernetes 1.33) for every
//! built-in kind, so that stored objects carry the same defaulted fields as on a real cluster.
//!
//! kube-apiserver defaults an object every time it decodes one: the request body on create,
//! update and patch, and the stored bytes on every read. [`apply`] is that step. It is pure,
//! deterministic and idempotent, so it can run on every decode too (that is how, upstream, a
//! Job's `metadata.labels` pick up the selector labels the registry writes into its template).
//!
//! Each kind is decoded into its k8s-openapi type, defaulted on the typed struct, and encoded
//! back. One file per API group; `image.rs` and `quantity.rs` are helpers (image pull policy,
//! resource quantity canonical form).
//!
//! Not here, because upstream sets them outside defaulting (registry strategies, admission
//! plugins, allocators), for the layer that implements those:
//!
//! - Pod: `status.phase: Pending` and `status.qosClass` (registry `PrepareForCreate`; qosClass is
//!   computed from the defaulted resources); `spec.serviceAccountName: default`, the projected
//!   token volume and its mounts (ServiceAccount admission); `spec.priority` and
//!   `spec.preemptionPolicy` from the PriorityClass (Priority admission); the two NoExecute
//!   tolerations with `tolerationSeconds: 300` (DefaultTolerationSeconds admission); container
//!   requests/limits from LimitRange defaults (LimitRanger admission).
//! - Service: `clusterIP`/`clusterIPs`, `ipFamilies`, `ipFamilyPolicy`, `nodePort`s,
//!   `healthCheckNodePort` (registry REST with the IP and port allocators).
//! - Namespace: `spec.finalizers: [kubernetes]` (registry `PrepareForCreate`; offered here as
//!   [`apply_on_create`]); the `kubernetes.io/metadata.name` label when the name comes from
//!   `generateName` (registry `Canonicalize`, once the name is known).
//! - Job: `spec.selector` and the template labels `controller-uid`, `job-name`,
//!   `batch.kubernetes.io/controller-uid`, `batch.kubernetes.io/job-name` when `manualSelector`
//!   is false (registry `PrepareForCreate`; needs the UID).
//! - PVC: `spec.storageClassName` from the default StorageClass (DefaultStorageClass admission).
//! - Every kind: `metadata.uid`, `creationTimestamp`, `generation`, `resourceVersion`, the name
//!   from `generateName` (registry `BeforeCreate`), status reset on create, and dropping fields
//!   of disabled feature gates (registry `PrepareForCreate`/`PrepareForUpdate`).
//!
//! Also not here, because they come from Go's JSON encoding rather than from defaulting: the
//! canonical form of quantities outside resource lists (`emptyDir.sizeLimit`, HPA targets, …;
//! [`quantity::canonical`] does it), and the fields Go always writes for non-pointer structs
//! (`resources: {}` in every container, `metadata.creationTimestamp: null` in templates,
//! `status: {}`, a Service's `status.loadBalancer: {}`).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

mod apiextensions;
mod apiregistration;
mod apps;
mod authentication;
mod autoscaling;
mod batch;
mod core;
mod discovery;
pub(crate) mod image;
mod networking;
pub mod quantity;
mod rbac;
mod scheduling;
mod storage;

#[cfg(test)]
mod tests;

/// Applies upstream's defaults (SetDefaults_* / SetObjectDefaults_*) to an object of a built-in
/// kind, given as JSON (camelCase, already decoded through the k8s-openapi type so field types
/// are right). Unknown kinds: no-op. An object that does not decode as its kind is left as it
/// is (validation reports it).
pub fn apply(group: &str, version: &str, kind: &str, obj: &mut Value) {
    match (group, version) {
        ("", "v1") => core::apply(kind, obj),
        ("apps", "v1") => apps::apply(kind, obj),
        ("batch", "v1") => batch::apply(kind, obj),
        ("autoscaling", "v1") => autoscaling::apply_v1(kind, obj),
        ("autoscaling", "v2") => autoscaling::apply_v2(kind, obj),
        ("networking.k8s.io", "v1") => networking::apply(kind, obj),
        ("rbac.authorization.k8s.io", "v1") => rbac::apply(kind, obj),
        ("storage.k8s.io", "v1") => storage::apply(kind, obj),
        ("discovery.k8s.io", "v1") => discovery::apply(kind, obj),
        ("scheduling.k8s.io", "v1") => scheduling::apply(kind, obj),
        ("authentication.k8s.io", "v1") => authentication::apply(kind, obj),
        ("apiextensions.k8s.io", "v1") => apiextensions::apply(kind, obj),
        ("apiregistration.k8s.io", "v1") => apiregistration::apply(kind, obj),
        // policy/v1, coordination.k8s.io/v1, certificates.k8s.io/v1, events.k8s.io/v1,
        // node.k8s.io/v1, authorization.k8s.io/v1 and meta: upstream registers no defaulting
        // functions for the kinds we serve.
        _ => {}
    }
}

/// Create-only defaults that upstream sets in a registry strategy's `PrepareForCreate` and that
/// need nothing but the object itself. They must NOT run on update or read, which is why they
/// are not part of [`apply`]: today only the Namespace's `spec.finalizers: ["kubernetes"]`
/// (the namespace controller removes it during deletion through the `finalize` subresource;
/// re-adding it on every decode would make namespaces undeletable). Call after [`apply`].
pub fn apply_on_create(group: &str, version: &str, kind: &str, obj: &mut Value) {
    if (group, version, kind) == ("", "v1", "Namespace") {
        typed(obj, core::namespace_on_create);
    }
}

/// Decodes `obj` as `T`, runs `f`, encodes back. Leaves `obj` untouched if it does not decode.
fn typed<T: DeserializeOwned + Serialize>(obj: &mut Value, f: impl FnOnce(&mut T)) {
    let Ok(mut t) = T::deserialize(&*obj) else {
        return;
    };
    f(&mut t);
    if let Ok(v) = serde_json::to_value(&t) {
        *obj = v;
    }
}

// Field helpers. Go's defaulting tests a non-pointer string against "" and a non-pointer number
// against 0; k8s-openapi makes every optional field an `Option`, so "unset" is `None` or the
// zero value for those fields, and only `None` for Go pointer fields.

/// Go `string` field: `if s == "" { s = v }`.
fn default_str(field: &mut Option<String>, value: &str) {
    if field.as_deref().is_none_or(str::is_empty) {
        *field = Some(value.to_owned());
    }
}

/// Go `*T` field: `if p == nil { p = &v }`.
fn default_ptr<T>(field: &mut Option<T>, value: T) {
    if field.is_none() {
        *field = Some(value);
    }
}

/// Go `int32` field: `if n == 0 { n = v }`.
fn default_i32(field: &mut Option<i32>, value: i32) {
    if field.is_none_or(|n| n == 0) {
        *field = Some(value);
    }
}
