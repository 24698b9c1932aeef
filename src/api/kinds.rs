//! The typed side of every built-in kind: which k8s-openapi type decodes it. Generic code works on
//! JSON; decoding through the type once per write normalises an object (unknown fields dropped,
//! representations canonical) and tells which fields were unknown.

use std::collections::HashMap;
use std::sync::OnceLock;

use k8s_openapi::api;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1 as apiregistration;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Operations on one kind's typed representation.
pub struct KindOps {
    /// Decode + re-encode through the typed struct.
    pub roundtrip: fn(Value) -> Result<Value, serde_json::Error>,
    /// The kind's JSON schema (schemars, OpenAPI 3 flavoured), registering referenced types in the
    /// generator's definitions.
    pub schema: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
    /// `io.k8s.api.core.v1.Pod`: the OpenAPI definition name.
    pub definition: fn() -> String,
}

fn roundtrip<T: DeserializeOwned + Serialize>(v: Value) -> Result<Value, serde_json::Error> {
    let typed: T = serde_json::from_value(v)?;
    serde_json::to_value(typed)
}

fn schema<T: schemars::JsonSchema>(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<T>()
}

fn definition<T: schemars::JsonSchema>() -> String {
    T::schema_name().into_owned()
}

macro_rules! kinds {
    ($( ($group:expr, $version:expr, $kind:expr) => $ty:ty ),* $(,)?) => {
        fn table() -> HashMap<String, KindOps> {
            let mut m = HashMap::new();
            $(
                m.insert(key($group, $version, $kind), KindOps {
                    roundtrip: roundtrip::<$ty>,
                    schema: schema::<$ty>,
                    definition: definition::<$ty>,
                });
            )*
            m
        }
    };
}

kinds! {
    ("", "v1", "Binding") => api::core::v1::Binding,
    ("", "v1", "ConfigMap") => api::core::v1::ConfigMap,
    ("", "v1", "Endpoints") => api::core::v1::Endpoints,
    ("", "v1", "Event") => api::core::v1::Event,
    ("", "v1", "LimitRange") => api::core::v1::LimitRange,
    ("", "v1", "Namespace") => api::core::v1::Namespace,
    ("", "v1", "Node") => api::core::v1::Node,
    ("", "v1", "PersistentVolumeClaim") => api::core::v1::PersistentVolumeClaim,
    ("", "v1", "PersistentVolume") => api::core::v1::PersistentVolume,
    ("", "v1", "Pod") => api::core::v1::Pod,
    ("", "v1", "PodTemplate") => api::core::v1::PodTemplate,
    ("", "v1", "ReplicationController") => api::core::v1::ReplicationController,
    ("", "v1", "ResourceQuota") => api::core::v1::ResourceQuota,
    ("", "v1", "Secret") => api::core::v1::Secret,
    ("", "v1", "ServiceAccount") => api::core::v1::ServiceAccount,
    ("", "v1", "Service") => api::core::v1::Service,
    ("apps", "v1", "ControllerRevision") => api::apps::v1::ControllerRevision,
    ("apps", "v1", "DaemonSet") => api::apps::v1::DaemonSet,
    ("apps", "v1", "Deployment") => api::apps::v1::Deployment,
    ("apps", "v1", "ReplicaSet") => api::apps::v1::ReplicaSet,
    ("apps", "v1", "StatefulSet") => api::apps::v1::StatefulSet,
    ("authentication.k8s.io", "v1", "SelfSubjectReview") => api::authentication::v1::SelfSubjectReview,
    ("authentication.k8s.io", "v1", "TokenReview") => api::authentication::v1::TokenReview,
    ("authentication.k8s.io", "v1", "TokenRequest") => api::authentication::v1::TokenRequest,
    ("authorization.k8s.io", "v1", "LocalSubjectAccessReview") => api::authorization::v1::LocalSubjectAccessReview,
    ("authorization.k8s.io", "v1", "SelfSubjectAccessReview") => api::authorization::v1::SelfSubjectAccessReview,
    ("authorization.k8s.io", "v1", "SelfSubjectRulesReview") => api::authorization::v1::SelfSubjectRulesReview,
    ("authorization.k8s.io", "v1", "SubjectAccessReview") => api::authorization::v1::SubjectAccessReview,
    ("autoscaling", "v1", "HorizontalPodAutoscaler") => api::autoscaling::v1::HorizontalPodAutoscaler,
    ("autoscaling", "v1", "Scale") => api::autoscaling::v1::Scale,
    ("autoscaling", "v2", "HorizontalPodAutoscaler") => api::autoscaling::v2::HorizontalPodAutoscaler,
    ("batch", "v1", "CronJob") => api::batch::v1::CronJob,
    ("batch", "v1", "Job") => api::batch::v1::Job,
    ("certificates.k8s.io", "v1", "CertificateSigningRequest") => api::certificates::v1::CertificateSigningRequest,
    ("coordination.k8s.io", "v1", "Lease") => api::coordination::v1::Lease,
    ("discovery.k8s.io", "v1", "EndpointSlice") => api::discovery::v1::EndpointSlice,
    ("events.k8s.io", "v1", "Event") => api::events::v1::Event,
    ("networking.k8s.io", "v1", "IngressClass") => api::networking::v1::IngressClass,
    ("networking.k8s.io", "v1", "Ingress") => api::networking::v1::Ingress,
    ("networking.k8s.io", "v1", "NetworkPolicy") => api::networking::v1::NetworkPolicy,
    ("node.k8s.io", "v1", "RuntimeClass") => api::node::v1::RuntimeClass,
    ("policy", "v1", "PodDisruptionBudget") => api::policy::v1::PodDisruptionBudget,
    ("policy", "v1", "Eviction") => api::policy::v1::Eviction,
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding") => api::rbac::v1::ClusterRoleBinding,
    ("rbac.authorization.k8s.io", "v1", "ClusterRole") => api::rbac::v1::ClusterRole,
    ("rbac.authorization.k8s.io", "v1", "RoleBinding") => api::rbac::v1::RoleBinding,
    ("rbac.authorization.k8s.io", "v1", "Role") => api::rbac::v1::Role,
    ("scheduling.k8s.io", "v1", "PriorityClass") => api::scheduling::v1::PriorityClass,
    ("storage.k8s.io", "v1", "CSIDriver") => api::storage::v1::CSIDriver,
    ("storage.k8s.io", "v1", "CSINode") => api::storage::v1::CSINode,
    ("storage.k8s.io", "v1", "CSIStorageCapacity") => api::storage::v1::CSIStorageCapacity,
    ("storage.k8s.io", "v1", "StorageClass") => api::storage::v1::StorageClass,
    ("storage.k8s.io", "v1", "VolumeAttachment") => api::storage::v1::VolumeAttachment,
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition") => apiextensions::CustomResourceDefinition,
    ("apiregistration.k8s.io", "v1", "APIService") => apiregistration::APIService,
    ("meta.k8s.io", "v1", "DeleteOptions") => meta::DeleteOptions,
    ("meta.k8s.io", "v1", "Status") => meta::Status,
}

/// The typed operations of a built-in kind, if we have a type for it.
pub fn ops(group: &str, version: &str, kind: &str) -> Option<&'static KindOps> {
    static TABLE: OnceLock<HashMap<String, KindOps>> = OnceLock::new();
    TABLE.get_or_init(table).get(&key(group, version, kind))
}

fn key(group: &str, version: &str, kind: &str) -> String {
    format!("{group}/{version}/{kind}")
}

/// The result of decoding an object through its type.
#[derive(Debug)]
pub struct Normalized {
    pub value: Value,
    /// Paths of fields the type does not know (dropped), as upstream names them in strict
    /// decoding errors: `spec.foo`, `spec.containers[0].bar`.
    pub unknown_fields: Vec<String>,
}

/// Decodes `value` through the kind's type. `apiVersion` and `kind` must already be set.
pub fn normalize(ops: &KindOps, value: Value) -> Result<Normalized, serde_json::Error> {
    let typed = (ops.roundtrip)(value.clone())?;
    let mut unknown_fields = Vec::new();
    dropped_fields(&value, &typed, "", &mut unknown_fields);
    Ok(Normalized {
        value: typed,
        unknown_fields,
    })
}

/// Collects the paths of fields present (and not null) in `input` but absent from `output`.
pub fn dropped_fields(input: &Value, output: &Value, path: &str, out: &mut Vec<String>) {
    match (input, output) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match b.get(k) {
                    Some(w) => dropped_fields(v, w, &child, out),
                    None if v.is_null() => {}
                    None => out.push(child),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (v, w)) in a.iter().zip(b.iter()).enumerate() {
                dropped_fields(v, w, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::registry::{Registry, Shape};
    use serde_json::json;

    #[test]
    fn every_stored_built_in_resource_has_a_type() {
        for r in Registry::built_in()
            .iter()
            .filter(|r| r.shape != Shape::Virtual)
        {
            assert!(
                ops(&r.gvk.group, &r.gvk.version, &r.gvk.kind).is_some(),
                "{:?}",
                r.gvk
            );
        }
    }

    #[test]
    fn normalize_reports_unknown_fields_by_path() {
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "creationTimestamp": null, "bogus": 1},
            "spec": {"containers": [{"name": "c", "image": "busybox", "imagePullPolicyy": "Always"}], "foo": {"bar": 1}}
        });
        let n = normalize(ops("", "v1", "Pod").unwrap(), pod).unwrap();
        assert_eq!(
            n.unknown_fields,
            [
                "metadata.bogus",
                "spec.containers[0].imagePullPolicyy",
                "spec.foo"
            ]
        );
        assert_eq!(n.value["spec"]["containers"][0]["image"], "busybox");
        assert!(n.value["spec"].get("foo").is_none());
    }

    #[test]
    fn normalize_rejects_wrong_types() {
        let bad = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": 1}});
        assert!(normalize(ops("", "v1", "ConfigMap").unwrap(), bad).is_err());
    }
}
