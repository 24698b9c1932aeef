//! The patch metadata of the built-in kinds of Kubernetes 1.33, from the `patchStrategy` and
//! `patchMergeKey` struct tags of k8s.io/api v0.33 (plus ObjectMeta from k8s.io/apimachinery,
//! CustomResourceDefinition from k8s.io/apiextensions-apiserver and APIService from
//! k8s.io/kube-aggregator), for the GA versions served by default.
//!
//! Only types on the way to a tagged field appear; see the parent module for what is left out.
//! When Kubernetes adds a tagged field, add it here and to the tests in `schema.rs`.

use super::{
    TypeDef, merge_list, merge_list_retain_keys, merge_primitives, object, replace, retain_keys,
};

/// API groups whose kinds are built in: strategic merge patch works for every kind in them.
pub(super) static GROUPS: &[&str] = &[
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
];

/// Any object: only `metadata` has tagged fields.
pub(super) static OBJECT: TypeDef = TypeDef {
    name: "meta/v1.Object",
    fields: &[object("metadata", &OBJECT_META)],
};

static OBJECT_META: TypeDef = TypeDef {
    name: "meta/v1.ObjectMeta",
    fields: &[
        merge_list("ownerReferences", "uid", None),
        merge_primitives("finalizers"),
    ],
};

static MUTATING_WEBHOOK: TypeDef = TypeDef {
    name: "admissionregistration/v1.MutatingWebhook",
    fields: &[merge_list("matchConditions", "name", None)],
};

static MUTATING_WEBHOOK_CONFIGURATION: TypeDef = TypeDef {
    name: "admissionregistration/v1.MutatingWebhookConfiguration",
    fields: &[
        object("metadata", &OBJECT_META),
        merge_list("webhooks", "name", Some(&MUTATING_WEBHOOK)),
    ],
};

static VALIDATING_ADMISSION_POLICY: TypeDef = TypeDef {
    name: "admissionregistration/v1.ValidatingAdmissionPolicy",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &VALIDATING_ADMISSION_POLICY_SPEC),
    ],
};

static VALIDATING_ADMISSION_POLICY_SPEC: TypeDef = TypeDef {
    name: "admissionregistration/v1.ValidatingAdmissionPolicySpec",
    fields: &[
        merge_list("matchConditions", "name", None),
        merge_list("variables", "name", None),
    ],
};

static VALIDATING_WEBHOOK: TypeDef = TypeDef {
    name: "admissionregistration/v1.ValidatingWebhook",
    fields: &[merge_list("matchConditions", "name", None)],
};

static VALIDATING_WEBHOOK_CONFIGURATION: TypeDef = TypeDef {
    name: "admissionregistration/v1.ValidatingWebhookConfiguration",
    fields: &[
        object("metadata", &OBJECT_META),
        merge_list("webhooks", "name", Some(&VALIDATING_WEBHOOK)),
    ],
};

static API_SERVICE: TypeDef = TypeDef {
    name: "apiregistration/v1.APIService",
    fields: &[
        object("metadata", &OBJECT_META),
        object("status", &API_SERVICE_STATUS),
    ],
};

static API_SERVICE_STATUS: TypeDef = TypeDef {
    name: "apiregistration/v1.APIServiceStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static DAEMON_SET: TypeDef = TypeDef {
    name: "apps/v1.DaemonSet",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &DAEMON_SET_SPEC),
        object("status", &DAEMON_SET_STATUS),
    ],
};

static DAEMON_SET_SPEC: TypeDef = TypeDef {
    name: "apps/v1.DaemonSetSpec",
    fields: &[object("template", &POD_TEMPLATE_SPEC)],
};

static DAEMON_SET_STATUS: TypeDef = TypeDef {
    name: "apps/v1.DaemonSetStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static DEPLOYMENT: TypeDef = TypeDef {
    name: "apps/v1.Deployment",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &DEPLOYMENT_SPEC),
        object("status", &DEPLOYMENT_STATUS),
    ],
};

static DEPLOYMENT_SPEC: TypeDef = TypeDef {
    name: "apps/v1.DeploymentSpec",
    fields: &[
        object("template", &POD_TEMPLATE_SPEC),
        retain_keys("strategy", None),
    ],
};

static DEPLOYMENT_STATUS: TypeDef = TypeDef {
    name: "apps/v1.DeploymentStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static REPLICA_SET: TypeDef = TypeDef {
    name: "apps/v1.ReplicaSet",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &REPLICA_SET_SPEC),
        object("status", &REPLICA_SET_STATUS),
    ],
};

static REPLICA_SET_SPEC: TypeDef = TypeDef {
    name: "apps/v1.ReplicaSetSpec",
    fields: &[object("template", &POD_TEMPLATE_SPEC)],
};

static REPLICA_SET_STATUS: TypeDef = TypeDef {
    name: "apps/v1.ReplicaSetStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static STATEFUL_SET: TypeDef = TypeDef {
    name: "apps/v1.StatefulSet",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &STATEFUL_SET_SPEC),
        object("status", &STATEFUL_SET_STATUS),
    ],
};

static STATEFUL_SET_SPEC: TypeDef = TypeDef {
    name: "apps/v1.StatefulSetSpec",
    fields: &[object("template", &POD_TEMPLATE_SPEC)],
};

static STATEFUL_SET_STATUS: TypeDef = TypeDef {
    name: "apps/v1.StatefulSetStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static HORIZONTAL_POD_AUTOSCALER_V2: TypeDef = TypeDef {
    name: "autoscaling/v2.HorizontalPodAutoscaler",
    fields: &[
        object("metadata", &OBJECT_META),
        object("status", &HORIZONTAL_POD_AUTOSCALER_STATUS),
    ],
};

static HORIZONTAL_POD_AUTOSCALER_STATUS: TypeDef = TypeDef {
    name: "autoscaling/v2.HorizontalPodAutoscalerStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static CRON_JOB: TypeDef = TypeDef {
    name: "batch/v1.CronJob",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &CRON_JOB_SPEC),
    ],
};

static CRON_JOB_SPEC: TypeDef = TypeDef {
    name: "batch/v1.CronJobSpec",
    fields: &[object("jobTemplate", &JOB_TEMPLATE_SPEC)],
};

static JOB: TypeDef = TypeDef {
    name: "batch/v1.Job",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &JOB_SPEC),
        object("status", &JOB_STATUS),
    ],
};

static JOB_SPEC: TypeDef = TypeDef {
    name: "batch/v1.JobSpec",
    fields: &[object("template", &POD_TEMPLATE_SPEC)],
};

static JOB_STATUS: TypeDef = TypeDef {
    name: "batch/v1.JobStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static JOB_TEMPLATE_SPEC: TypeDef = TypeDef {
    name: "batch/v1.JobTemplateSpec",
    fields: &[object("metadata", &OBJECT_META), object("spec", &JOB_SPEC)],
};

static COMPONENT_STATUS: TypeDef = TypeDef {
    name: "core/v1.ComponentStatus",
    fields: &[
        object("metadata", &OBJECT_META),
        merge_list("conditions", "type", None),
    ],
};

static CONTAINER: TypeDef = TypeDef {
    name: "core/v1.Container",
    fields: &[
        merge_list("ports", "containerPort", None),
        merge_list("env", "name", None),
        merge_list("volumeMounts", "mountPath", None),
        merge_list("volumeDevices", "devicePath", None),
    ],
};

static EPHEMERAL_CONTAINER: TypeDef = TypeDef {
    name: "core/v1.EphemeralContainer",
    fields: &[
        merge_list("ports", "containerPort", None),
        merge_list("env", "name", None),
        merge_list("volumeMounts", "mountPath", None),
        merge_list("volumeDevices", "devicePath", None),
    ],
};

static EPHEMERAL_VOLUME_SOURCE: TypeDef = TypeDef {
    name: "core/v1.EphemeralVolumeSource",
    fields: &[object(
        "volumeClaimTemplate",
        &PERSISTENT_VOLUME_CLAIM_TEMPLATE,
    )],
};

static NAMESPACE: TypeDef = TypeDef {
    name: "core/v1.Namespace",
    fields: &[
        object("metadata", &OBJECT_META),
        object("status", &NAMESPACE_STATUS),
    ],
};

static NAMESPACE_STATUS: TypeDef = TypeDef {
    name: "core/v1.NamespaceStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static NODE: TypeDef = TypeDef {
    name: "core/v1.Node",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &NODE_SPEC),
        object("status", &NODE_STATUS),
    ],
};

static NODE_SPEC: TypeDef = TypeDef {
    name: "core/v1.NodeSpec",
    fields: &[merge_primitives("podCIDRs")],
};

static NODE_STATUS: TypeDef = TypeDef {
    name: "core/v1.NodeStatus",
    fields: &[
        merge_list("conditions", "type", None),
        merge_list("addresses", "type", None),
    ],
};

static PERSISTENT_VOLUME_CLAIM: TypeDef = TypeDef {
    name: "core/v1.PersistentVolumeClaim",
    fields: &[
        object("metadata", &OBJECT_META),
        object("status", &PERSISTENT_VOLUME_CLAIM_STATUS),
    ],
};

static PERSISTENT_VOLUME_CLAIM_STATUS: TypeDef = TypeDef {
    name: "core/v1.PersistentVolumeClaimStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static PERSISTENT_VOLUME_CLAIM_TEMPLATE: TypeDef = TypeDef {
    name: "core/v1.PersistentVolumeClaimTemplate",
    fields: &[object("metadata", &OBJECT_META)],
};

static POD: TypeDef = TypeDef {
    name: "core/v1.Pod",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &POD_SPEC),
        object("status", &POD_STATUS),
    ],
};

static POD_SPEC: TypeDef = TypeDef {
    name: "core/v1.PodSpec",
    fields: &[
        merge_list_retain_keys("volumes", "name", Some(&VOLUME)),
        merge_list("initContainers", "name", Some(&CONTAINER)),
        merge_list("containers", "name", Some(&CONTAINER)),
        merge_list("ephemeralContainers", "name", Some(&EPHEMERAL_CONTAINER)),
        merge_list("imagePullSecrets", "name", None),
        merge_list("hostAliases", "ip", None),
        merge_list("topologySpreadConstraints", "topologyKey", None),
        merge_list("schedulingGates", "name", None),
        merge_list_retain_keys("resourceClaims", "name", None),
    ],
};

static POD_STATUS: TypeDef = TypeDef {
    name: "core/v1.PodStatus",
    fields: &[
        merge_list("conditions", "type", None),
        merge_list("hostIPs", "ip", None),
        merge_list("podIPs", "ip", None),
        merge_list_retain_keys("resourceClaimStatuses", "name", None),
    ],
};

static POD_STATUS_RESULT: TypeDef = TypeDef {
    name: "core/v1.PodStatusResult",
    fields: &[
        object("metadata", &OBJECT_META),
        object("status", &POD_STATUS),
    ],
};

static POD_TEMPLATE: TypeDef = TypeDef {
    name: "core/v1.PodTemplate",
    fields: &[
        object("metadata", &OBJECT_META),
        object("template", &POD_TEMPLATE_SPEC),
    ],
};

static POD_TEMPLATE_SPEC: TypeDef = TypeDef {
    name: "core/v1.PodTemplateSpec",
    fields: &[object("metadata", &OBJECT_META), object("spec", &POD_SPEC)],
};

static REPLICATION_CONTROLLER: TypeDef = TypeDef {
    name: "core/v1.ReplicationController",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &REPLICATION_CONTROLLER_SPEC),
        object("status", &REPLICATION_CONTROLLER_STATUS),
    ],
};

static REPLICATION_CONTROLLER_SPEC: TypeDef = TypeDef {
    name: "core/v1.ReplicationControllerSpec",
    fields: &[object("template", &POD_TEMPLATE_SPEC)],
};

static REPLICATION_CONTROLLER_STATUS: TypeDef = TypeDef {
    name: "core/v1.ReplicationControllerStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static SERVICE: TypeDef = TypeDef {
    name: "core/v1.Service",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &SERVICE_SPEC),
        object("status", &SERVICE_STATUS),
    ],
};

static SERVICE_ACCOUNT: TypeDef = TypeDef {
    name: "core/v1.ServiceAccount",
    fields: &[
        object("metadata", &OBJECT_META),
        merge_list("secrets", "name", None),
    ],
};

static SERVICE_SPEC: TypeDef = TypeDef {
    name: "core/v1.ServiceSpec",
    fields: &[merge_list("ports", "port", None)],
};

static SERVICE_STATUS: TypeDef = TypeDef {
    name: "core/v1.ServiceStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static VOLUME: TypeDef = TypeDef {
    name: "core/v1.Volume",
    fields: &[object("ephemeral", &EPHEMERAL_VOLUME_SOURCE)],
};

static FLOW_SCHEMA: TypeDef = TypeDef {
    name: "flowcontrol/v1.FlowSchema",
    fields: &[
        object("metadata", &OBJECT_META),
        object("status", &FLOW_SCHEMA_STATUS),
    ],
};

static FLOW_SCHEMA_STATUS: TypeDef = TypeDef {
    name: "flowcontrol/v1.FlowSchemaStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static PRIORITY_LEVEL_CONFIGURATION: TypeDef = TypeDef {
    name: "flowcontrol/v1.PriorityLevelConfiguration",
    fields: &[
        object("metadata", &OBJECT_META),
        object("status", &PRIORITY_LEVEL_CONFIGURATION_STATUS),
    ],
};

static PRIORITY_LEVEL_CONFIGURATION_STATUS: TypeDef = TypeDef {
    name: "flowcontrol/v1.PriorityLevelConfigurationStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static SERVICE_CIDR: TypeDef = TypeDef {
    name: "networking/v1.ServiceCIDR",
    fields: &[
        object("metadata", &OBJECT_META),
        object("status", &SERVICE_CIDR_STATUS),
    ],
};

static SERVICE_CIDR_STATUS: TypeDef = TypeDef {
    name: "networking/v1.ServiceCIDRStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static POD_DISRUPTION_BUDGET: TypeDef = TypeDef {
    name: "policy/v1.PodDisruptionBudget",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &POD_DISRUPTION_BUDGET_SPEC),
        object("status", &POD_DISRUPTION_BUDGET_STATUS),
    ],
};

static POD_DISRUPTION_BUDGET_SPEC: TypeDef = TypeDef {
    name: "policy/v1.PodDisruptionBudgetSpec",
    fields: &[replace("selector")],
};

static POD_DISRUPTION_BUDGET_STATUS: TypeDef = TypeDef {
    name: "policy/v1.PodDisruptionBudgetStatus",
    fields: &[merge_list("conditions", "type", None)],
};

static CSI_NODE: TypeDef = TypeDef {
    name: "storage/v1.CSINode",
    fields: &[
        object("metadata", &OBJECT_META),
        object("spec", &CSI_NODE_SPEC),
    ],
};

static CSI_NODE_SPEC: TypeDef = TypeDef {
    name: "storage/v1.CSINodeSpec",
    fields: &[merge_list("drivers", "name", None)],
};

/// (group, version, kind) → the type of its root object.
pub(super) static KINDS: &[(&str, &str, &str, &TypeDef)] = &[
    ("", "v1", "Binding", &OBJECT),
    ("", "v1", "ComponentStatus", &COMPONENT_STATUS),
    ("", "v1", "ConfigMap", &OBJECT),
    ("", "v1", "Endpoints", &OBJECT),
    ("", "v1", "Event", &OBJECT),
    ("", "v1", "LimitRange", &OBJECT),
    ("", "v1", "Namespace", &NAMESPACE),
    ("", "v1", "Node", &NODE),
    ("", "v1", "PersistentVolume", &OBJECT),
    ("", "v1", "PersistentVolumeClaim", &PERSISTENT_VOLUME_CLAIM),
    ("", "v1", "Pod", &POD),
    ("", "v1", "PodStatusResult", &POD_STATUS_RESULT),
    ("", "v1", "PodTemplate", &POD_TEMPLATE),
    ("", "v1", "RangeAllocation", &OBJECT),
    ("", "v1", "ReplicationController", &REPLICATION_CONTROLLER),
    ("", "v1", "ResourceQuota", &OBJECT),
    ("", "v1", "Secret", &OBJECT),
    ("", "v1", "Service", &SERVICE),
    ("", "v1", "ServiceAccount", &SERVICE_ACCOUNT),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        &MUTATING_WEBHOOK_CONFIGURATION,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicy",
        &VALIDATING_ADMISSION_POLICY,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingAdmissionPolicyBinding",
        &OBJECT,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        &VALIDATING_WEBHOOK_CONFIGURATION,
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        &OBJECT,
    ),
    ("apiregistration.k8s.io", "v1", "APIService", &API_SERVICE),
    ("apps", "v1", "ControllerRevision", &OBJECT),
    ("apps", "v1", "DaemonSet", &DAEMON_SET),
    ("apps", "v1", "Deployment", &DEPLOYMENT),
    ("apps", "v1", "ReplicaSet", &REPLICA_SET),
    ("apps", "v1", "StatefulSet", &STATEFUL_SET),
    ("authentication.k8s.io", "v1", "SelfSubjectReview", &OBJECT),
    ("authentication.k8s.io", "v1", "TokenRequest", &OBJECT),
    ("authentication.k8s.io", "v1", "TokenReview", &OBJECT),
    (
        "authorization.k8s.io",
        "v1",
        "LocalSubjectAccessReview",
        &OBJECT,
    ),
    (
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        &OBJECT,
    ),
    (
        "authorization.k8s.io",
        "v1",
        "SelfSubjectRulesReview",
        &OBJECT,
    ),
    ("authorization.k8s.io", "v1", "SubjectAccessReview", &OBJECT),
    ("autoscaling", "v1", "HorizontalPodAutoscaler", &OBJECT),
    ("autoscaling", "v1", "Scale", &OBJECT),
    (
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        &HORIZONTAL_POD_AUTOSCALER_V2,
    ),
    ("batch", "v1", "CronJob", &CRON_JOB),
    ("batch", "v1", "Job", &JOB),
    (
        "certificates.k8s.io",
        "v1",
        "CertificateSigningRequest",
        &OBJECT,
    ),
    ("coordination.k8s.io", "v1", "Lease", &OBJECT),
    ("discovery.k8s.io", "v1", "EndpointSlice", &OBJECT),
    ("events.k8s.io", "v1", "Event", &OBJECT),
    (
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "FlowSchema",
        &FLOW_SCHEMA,
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "PriorityLevelConfiguration",
        &PRIORITY_LEVEL_CONFIGURATION,
    ),
    ("networking.k8s.io", "v1", "IPAddress", &OBJECT),
    ("networking.k8s.io", "v1", "Ingress", &OBJECT),
    ("networking.k8s.io", "v1", "IngressClass", &OBJECT),
    ("networking.k8s.io", "v1", "NetworkPolicy", &OBJECT),
    ("networking.k8s.io", "v1", "ServiceCIDR", &SERVICE_CIDR),
    ("node.k8s.io", "v1", "RuntimeClass", &OBJECT),
    ("policy", "v1", "Eviction", &OBJECT),
    (
        "policy",
        "v1",
        "PodDisruptionBudget",
        &POD_DISRUPTION_BUDGET,
    ),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", &OBJECT),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        &OBJECT,
    ),
    ("rbac.authorization.k8s.io", "v1", "Role", &OBJECT),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", &OBJECT),
    ("scheduling.k8s.io", "v1", "PriorityClass", &OBJECT),
    ("storage.k8s.io", "v1", "CSIDriver", &OBJECT),
    ("storage.k8s.io", "v1", "CSINode", &CSI_NODE),
    ("storage.k8s.io", "v1", "CSIStorageCapacity", &OBJECT),
    ("storage.k8s.io", "v1", "StorageClass", &OBJECT),
    ("storage.k8s.io", "v1", "VolumeAttachment", &OBJECT),
];
