//! Which resources the API serves: group, version, kind, plural and singular names, scope, short
//! names, categories, verbs and subresources — the facts discovery, routing, storage and OpenAPI
//! all derive from. Built-in resources are a static table; custom resources are added at run time.

use std::collections::HashMap;
use std::sync::Arc;

/// A group/version/kind triple. The core group is `""`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gvk {
    pub group: String,
    pub version: String,
    pub kind: String,
}

impl Gvk {
    pub fn new(group: &str, version: &str, kind: &str) -> Self {
        Gvk {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// `v1` for the core group, `apps/v1` otherwise.
    pub fn api_version(&self) -> String {
        api_version(&self.group, &self.version)
    }

    pub fn as_tuple(&self) -> (&str, &str, &str) {
        (&self.group, &self.version, &self.kind)
    }
}

pub fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    }
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

pub const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const NO_COLLECTION_DELETE: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];
const CREATE_ONLY: &[&str] = &["create"];
const READ_ONLY: &[&str] = &["get", "list", "watch"];
const STATUS_VERBS: &[&str] = &["get", "patch", "update"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subresource {
    pub name: String,
    /// The kind the subresource speaks (e.g. `autoscaling/v1 Scale` for `scale`).
    pub gvk: Gvk,
    pub verbs: Vec<String>,
}

/// How a resource's objects behave beyond plain storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Stored like any object.
    Stored,
    /// Create-only "virtual" review objects, answered and never stored (TokenReview, …).
    Review,
    /// Read-only, served from elsewhere (metrics).
    Virtual,
}

/// One served resource at one version.
#[derive(Clone, Debug)]
pub struct Resource {
    pub gvk: Gvk,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub verbs: Vec<String>,
    pub subresources: Vec<Subresource>,
    /// Where objects live: `/registry/<storage>/…`. Versions of one resource, and resources that
    /// upstream stores together (core and events.k8s.io Events), share it.
    pub storage: String,
    /// The version objects are stored in; others are converted.
    pub storage_version: String,
    pub shape: Shape,
    /// Preferred version of its group in discovery.
    pub preferred: bool,
    /// For custom resources: the CRD's entry for this version (`schema`,
    /// `additionalPrinterColumns`, `subresources`, …).
    pub crd_version: Option<Arc<serde_json::Value>>,
}

impl Resource {
    pub fn is_custom(&self) -> bool {
        self.crd_version.is_some()
    }

    pub fn has_verb(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }

    pub fn subresource(&self, name: &str) -> Option<&Subresource> {
        self.subresources.iter().find(|s| s.name == name)
    }

    pub fn has_status(&self) -> bool {
        self.subresource("status").is_some()
    }

    /// `pods`, `deployments.apps` — how upstream names a resource in messages.
    pub fn qualified(&self) -> String {
        if self.gvk.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.gvk.group)
        }
    }

    /// `Pod`, `Deployment.apps` — how upstream names a kind in "is invalid" messages.
    pub fn qualified_kind(&self) -> String {
        if self.gvk.group.is_empty() {
            self.gvk.kind.clone()
        } else {
            format!("{}.{}", self.gvk.kind, self.gvk.group)
        }
    }

    /// The storage key prefix of every object of this resource (with a trailing `/`).
    pub fn key_prefix(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) if self.namespaced => format!("/registry/{}/{ns}/", self.storage),
            _ => format!("/registry/{}/", self.storage),
        }
    }

    pub fn key(&self, namespace: Option<&str>, name: &str) -> String {
        format!("{}{name}", self.key_prefix(namespace))
    }
}

/// A compact row of the built-in table.
struct Row {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    categories: &'static [&'static str],
    verbs: &'static [&'static str],
    /// (name, group, version, kind, verbs); an empty kind means "the resource's own kind".
    subresources: &'static [(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    )],
    storage: &'static str,
    storage_version: &'static str,
    shape: Shape,
    preferred: bool,
}

const ALL: &[&str] = &["all"];
const STATUS: (&str, &str, &str, &str, &[&str]) = ("status", "", "", "", STATUS_VERBS);
const SCALE: (&str, &str, &str, &str, &[&str]) =
    ("scale", "autoscaling", "v1", "Scale", STATUS_VERBS);

macro_rules! row {
    ($g:expr, $v:expr, $kind:expr, $plural:expr, ns=$ns:expr, short=$short:expr, cat=$cat:expr, verbs=$verbs:expr, sub=$sub:expr, storage=$storage:expr, sv=$sv:expr, shape=$shape:expr, preferred=$pref:expr) => {
        Row {
            group: $g,
            version: $v,
            kind: $kind,
            plural: $plural,
            namespaced: $ns,
            short: $short,
            categories: $cat,
            verbs: $verbs,
            subresources: $sub,
            storage: $storage,
            storage_version: $sv,
            shape: $shape,
            preferred: $pref,
        }
    };
    ($g:expr, $v:expr, $kind:expr, $plural:expr, ns=$ns:expr, short=$short:expr, cat=$cat:expr, verbs=$verbs:expr, sub=$sub:expr) => {
        row!(
            $g,
            $v,
            $kind,
            $plural,
            ns = $ns,
            short = $short,
            cat = $cat,
            verbs = $verbs,
            sub = $sub,
            storage = "",
            sv = $v,
            shape = Shape::Stored,
            preferred = true
        )
    };
}

const fn no_sub() -> &'static [(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
)] {
    &[]
}

const POD_SUBRESOURCES: &[(&str, &str, &str, &str, &[&str])] = &[
    ("attach", "", "v1", "PodAttachOptions", &["create", "get"]),
    ("binding", "", "v1", "Binding", CREATE_ONLY),
    ("ephemeralcontainers", "", "", "", STATUS_VERBS),
    ("eviction", "policy", "v1", "Eviction", CREATE_ONLY),
    ("exec", "", "v1", "PodExecOptions", &["create", "get"]),
    ("log", "", "v1", "Pod", &["get"]),
    (
        "portforward",
        "",
        "v1",
        "PodPortForwardOptions",
        &["create", "get"],
    ),
    (
        "proxy",
        "",
        "v1",
        "PodProxyOptions",
        &["create", "delete", "get", "patch", "update"],
    ),
    ("resize", "", "", "", STATUS_VERBS),
    STATUS,
];

fn rows() -> Vec<Row> {
    vec![
        // core/v1
        row!(
            "",
            "v1",
            "Binding",
            "bindings",
            ns = true,
            short = &[],
            cat = &[],
            verbs = CREATE_ONLY,
            sub = no_sub(),
            storage = "bindings",
            sv = "v1",
            shape = Shape::Review,
            preferred = true
        ),
        row!(
            "",
            "v1",
            "ConfigMap",
            "configmaps",
            ns = true,
            short = &["cm"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "",
            "v1",
            "Endpoints",
            "endpoints",
            ns = true,
            short = &["ep"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "",
            "v1",
            "Event",
            "events",
            ns = true,
            short = &["ev"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "",
            "v1",
            "LimitRange",
            "limitranges",
            ns = true,
            short = &["limits"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "",
            "v1",
            "Namespace",
            "namespaces",
            ns = false,
            short = &["ns"],
            cat = &[],
            verbs = NO_COLLECTION_DELETE,
            sub = &[("finalize", "", "", "", &["update"]), STATUS]
        ),
        row!(
            "",
            "v1",
            "Node",
            "nodes",
            ns = false,
            short = &["no"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = &[
                (
                    "proxy",
                    "",
                    "v1",
                    "NodeProxyOptions",
                    &["create", "delete", "get", "patch", "update"]
                ),
                STATUS
            ]
        ),
        row!(
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            ns = true,
            short = &["pvc"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = &[STATUS]
        ),
        row!(
            "",
            "v1",
            "PersistentVolume",
            "persistentvolumes",
            ns = false,
            short = &["pv"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = &[STATUS]
        ),
        row!(
            "",
            "v1",
            "Pod",
            "pods",
            ns = true,
            short = &["po"],
            cat = ALL,
            verbs = ALL_VERBS,
            sub = POD_SUBRESOURCES
        ),
        row!(
            "",
            "v1",
            "PodTemplate",
            "podtemplates",
            ns = true,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "",
            "v1",
            "ReplicationController",
            "replicationcontrollers",
            ns = true,
            short = &["rc"],
            cat = ALL,
            verbs = ALL_VERBS,
            sub = &[SCALE, STATUS]
        ),
        row!(
            "",
            "v1",
            "ResourceQuota",
            "resourcequotas",
            ns = true,
            short = &["quota"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = &[STATUS]
        ),
        row!(
            "",
            "v1",
            "Secret",
            "secrets",
            ns = true,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "",
            "v1",
            "ServiceAccount",
            "serviceaccounts",
            ns = true,
            short = &["sa"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = &[(
                "token",
                "authentication.k8s.io",
                "v1",
                "TokenRequest",
                CREATE_ONLY
            )]
        ),
        row!(
            "",
            "v1",
            "Service",
            "services",
            ns = true,
            short = &["svc"],
            cat = ALL,
            verbs = NO_COLLECTION_DELETE,
            sub = &[
                (
                    "proxy",
                    "",
                    "v1",
                    "ServiceProxyOptions",
                    &["create", "delete", "get", "patch", "update"]
                ),
                STATUS
            ]
        ),
        // apps/v1
        row!(
            "apps",
            "v1",
            "ControllerRevision",
            "controllerrevisions",
            ns = true,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "apps",
            "v1",
            "DaemonSet",
            "daemonsets",
            ns = true,
            short = &["ds"],
            cat = ALL,
            verbs = ALL_VERBS,
            sub = &[STATUS]
        ),
        row!(
            "apps",
            "v1",
            "Deployment",
            "deployments",
            ns = true,
            short = &["deploy"],
            cat = ALL,
            verbs = ALL_VERBS,
            sub = &[SCALE, STATUS]
        ),
        row!(
            "apps",
            "v1",
            "ReplicaSet",
            "replicasets",
            ns = true,
            short = &["rs"],
            cat = ALL,
            verbs = ALL_VERBS,
            sub = &[SCALE, STATUS]
        ),
        row!(
            "apps",
            "v1",
            "StatefulSet",
            "statefulsets",
            ns = true,
            short = &["sts"],
            cat = ALL,
            verbs = ALL_VERBS,
            sub = &[SCALE, STATUS]
        ),
        // authentication, authorization
        row!(
            "authentication.k8s.io",
            "v1",
            "SelfSubjectReview",
            "selfsubjectreviews",
            ns = false,
            short = &[],
            cat = &[],
            verbs = CREATE_ONLY,
            sub = no_sub(),
            storage = "selfsubjectreviews",
            sv = "v1",
            shape = Shape::Review,
            preferred = true
        ),
        row!(
            "authentication.k8s.io",
            "v1",
            "TokenReview",
            "tokenreviews",
            ns = false,
            short = &[],
            cat = &[],
            verbs = CREATE_ONLY,
            sub = no_sub(),
            storage = "tokenreviews",
            sv = "v1",
            shape = Shape::Review,
            preferred = true
        ),
        row!(
            "authorization.k8s.io",
            "v1",
            "LocalSubjectAccessReview",
            "localsubjectaccessreviews",
            ns = true,
            short = &[],
            cat = &[],
            verbs = CREATE_ONLY,
            sub = no_sub(),
            storage = "localsubjectaccessreviews",
            sv = "v1",
            shape = Shape::Review,
            preferred = true
        ),
        row!(
            "authorization.k8s.io",
            "v1",
            "SelfSubjectAccessReview",
            "selfsubjectaccessreviews",
            ns = false,
            short = &[],
            cat = &[],
            verbs = CREATE_ONLY,
            sub = no_sub(),
            storage = "selfsubjectaccessreviews",
            sv = "v1",
            shape = Shape::Review,
            preferred = true
        ),
        row!(
            "authorization.k8s.io",
            "v1",
            "SelfSubjectRulesReview",
            "selfsubjectrulesreviews",
            ns = false,
            short = &[],
            cat = &[],
            verbs = CREATE_ONLY,
            sub = no_sub(),
            storage = "selfsubjectrulesreviews",
            sv = "v1",
            shape = Shape::Review,
            preferred = true
        ),
        row!(
            "authorization.k8s.io",
            "v1",
            "SubjectAccessReview",
            "subjectaccessreviews",
            ns = false,
            short = &[],
            cat = &[],
            verbs = CREATE_ONLY,
            sub = no_sub(),
            storage = "subjectaccessreviews",
            sv = "v1",
            shape = Shape::Review,
            preferred = true
        ),
        // autoscaling: v2 is stored and preferred, v1 converted
        row!(
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            ns = true,
            short = &["hpa"],
            cat = ALL,
            verbs = ALL_VERBS,
            sub = &[STATUS],
            storage = "autoscaling/horizontalpodautoscalers",
            sv = "v2",
            shape = Shape::Stored,
            preferred = true
        ),
        row!(
            "autoscaling",
            "v1",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
            ns = true,
            short = &["hpa"],
            cat = ALL,
            verbs = ALL_VERBS,
            sub = &[STATUS],
            storage = "autoscaling/horizontalpodautoscalers",
            sv = "v2",
            shape = Shape::Stored,
            preferred = false
        ),
        // batch/v1
        row!(
            "batch",
            "v1",
            "CronJob",
            "cronjobs",
            ns = true,
            short = &["cj"],
            cat = ALL,
            verbs = ALL_VERBS,
            sub = &[STATUS]
        ),
        row!(
            "batch",
            "v1",
            "Job",
            "jobs",
            ns = true,
            short = &[],
            cat = ALL,
            verbs = ALL_VERBS,
            sub = &[STATUS]
        ),
        // certificates
        row!(
            "certificates.k8s.io",
            "v1",
            "CertificateSigningRequest",
            "certificatesigningrequests",
            ns = false,
            short = &["csr"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = &[("approval", "", "", "", STATUS_VERBS), STATUS]
        ),
        // coordination
        row!(
            "coordination.k8s.io",
            "v1",
            "Lease",
            "leases",
            ns = true,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        // discovery
        row!(
            "discovery.k8s.io",
            "v1",
            "EndpointSlice",
            "endpointslices",
            ns = true,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        // events.k8s.io shares storage with core events (stored as core v1)
        row!(
            "events.k8s.io",
            "v1",
            "Event",
            "events",
            ns = true,
            short = &["ev"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub(),
            storage = "events",
            sv = "core/v1",
            shape = Shape::Stored,
            preferred = true
        ),
        // networking
        row!(
            "networking.k8s.io",
            "v1",
            "IngressClass",
            "ingressclasses",
            ns = false,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "networking.k8s.io",
            "v1",
            "Ingress",
            "ingresses",
            ns = true,
            short = &["ing"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = &[STATUS]
        ),
        row!(
            "networking.k8s.io",
            "v1",
            "NetworkPolicy",
            "networkpolicies",
            ns = true,
            short = &["netpol"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        // node
        row!(
            "node.k8s.io",
            "v1",
            "RuntimeClass",
            "runtimeclasses",
            ns = false,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        // policy
        row!(
            "policy",
            "v1",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
            ns = true,
            short = &["pdb"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = &[STATUS]
        ),
        // rbac
        row!(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRoleBinding",
            "clusterrolebindings",
            ns = false,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole",
            "clusterroles",
            ns = false,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "rbac.authorization.k8s.io",
            "v1",
            "RoleBinding",
            "rolebindings",
            ns = true,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "rbac.authorization.k8s.io",
            "v1",
            "Role",
            "roles",
            ns = true,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        // scheduling
        row!(
            "scheduling.k8s.io",
            "v1",
            "PriorityClass",
            "priorityclasses",
            ns = false,
            short = &["pc"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        // storage
        row!(
            "storage.k8s.io",
            "v1",
            "CSIDriver",
            "csidrivers",
            ns = false,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "storage.k8s.io",
            "v1",
            "CSINode",
            "csinodes",
            ns = false,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "storage.k8s.io",
            "v1",
            "CSIStorageCapacity",
            "csistoragecapacities",
            ns = true,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "storage.k8s.io",
            "v1",
            "StorageClass",
            "storageclasses",
            ns = false,
            short = &["sc"],
            cat = &[],
            verbs = ALL_VERBS,
            sub = no_sub()
        ),
        row!(
            "storage.k8s.io",
            "v1",
            "VolumeAttachment",
            "volumeattachments",
            ns = false,
            short = &[],
            cat = &[],
            verbs = ALL_VERBS,
            sub = &[STATUS]
        ),
        // apiextensions, apiregistration
        row!(
            "apiextensions.k8s.io",
            "v1",
            "CustomResourceDefinition",
            "customresourcedefinitions",
            ns = false,
            short = &["crd", "crds"],
            cat = &["api-extensions"],
            verbs = ALL_VERBS,
            sub = &[STATUS]
        ),
        row!(
            "apiregistration.k8s.io",
            "v1",
            "APIService",
            "apiservices",
            ns = false,
            short = &[],
            cat = &["api-extensions"],
            verbs = ALL_VERBS,
            sub = &[STATUS]
        ),
        // metrics (served by the metrics add-on; discovery placeholder until then)
        row!(
            "metrics.k8s.io",
            "v1beta1",
            "NodeMetrics",
            "nodes",
            ns = false,
            short = &[],
            cat = &[],
            verbs = READ_ONLY,
            sub = no_sub(),
            storage = "metrics-nodes",
            sv = "v1beta1",
            shape = Shape::Virtual,
            preferred = true
        ),
        row!(
            "metrics.k8s.io",
            "v1beta1",
            "PodMetrics",
            "pods",
            ns = true,
            short = &[],
            cat = &[],
            verbs = READ_ONLY,
            sub = no_sub(),
            storage = "metrics-pods",
            sv = "v1beta1",
            shape = Shape::Virtual,
            preferred = true
        ),
    ]
}

fn build(row: Row) -> Resource {
    let gvk = Gvk::new(row.group, row.version, row.kind);
    let subresources = row
        .subresources
        .iter()
        .map(|&(name, g, v, k, verbs)| Subresource {
            name: name.to_owned(),
            gvk: if k.is_empty() {
                gvk.clone()
            } else {
                Gvk::new(g, v, k)
            },
            verbs: verbs.iter().map(|s| s.to_string()).collect(),
        })
        .collect();
    // Uniform storage keys: `/registry/<plural>` for core, `/registry/<group>/<plural>` otherwise,
    // unless the row names a shared storage explicitly.
    let storage = match (row.storage, row.group) {
        ("", "") => row.plural.to_owned(),
        ("", group) => format!("{group}/{}", row.plural),
        (explicit, _) => explicit.to_owned(),
    };
    Resource {
        singular: row.kind.to_lowercase(),
        plural: row.plural.to_owned(),
        namespaced: row.namespaced,
        short_names: row.short.iter().map(|s| s.to_string()).collect(),
        categories: row.categories.iter().map(|s| s.to_string()).collect(),
        verbs: row.verbs.iter().map(|s| s.to_string()).collect(),
        subresources,
        storage,
        storage_version: row.storage_version.to_owned(),
        shape: row.shape,
        preferred: row.preferred,
        crd_version: None,
        gvk,
    }
}

/// Every served resource, indexed for routing. Cheap to clone (`Arc`s); replaced wholesale when
/// custom resources change.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    resources: Vec<Arc<Resource>>,
    by_path: HashMap<(String, String, String), Arc<Resource>>,
}

impl Registry {
    pub fn built_in() -> Self {
        let mut reg = Registry::default();
        for row in rows() {
            reg.insert(Arc::new(build(row)));
        }
        reg
    }

    pub fn insert(&mut self, res: Arc<Resource>) {
        let key = (
            res.gvk.group.clone(),
            res.gvk.version.clone(),
            res.plural.clone(),
        );
        self.resources
            .retain(|r| !(r.gvk.group == key.0 && r.gvk.version == key.1 && r.plural == key.2));
        self.by_path.insert(key, res.clone());
        self.resources.push(res);
    }

    /// Removes every version of a group's resource (a deleted CRD).
    pub fn remove(&mut self, group: &str, plural: &str) {
        self.resources
            .retain(|r| !(r.gvk.group == group && r.plural == plural));
        self.by_path
            .retain(|(g, _, p), _| !(g == group && p == plural));
    }

    /// The resource served at `/apis/<group>/<version>/<plural>`.
    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<&Arc<Resource>> {
        self.by_path
            .get(&(group.to_owned(), version.to_owned(), plural.to_owned()))
    }

    pub fn by_kind(&self, gvk: &Gvk) -> Option<&Arc<Resource>> {
        self.resources.iter().find(|r| &r.gvk == gvk)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Resource>> {
        self.resources.iter()
    }

    /// Groups with their versions, in discovery order: core first, then groups by name as
    /// upstream orders built-ins (alphabetically is close enough for clients: they sort
    /// themselves), preferred version first.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for r in &self.resources {
            match groups.iter_mut().find(|(g, _)| *g == r.gvk.group) {
                Some((_, versions)) => {
                    if !versions.contains(&r.gvk.version) {
                        if r.preferred {
                            versions.insert(0, r.gvk.version.clone());
                        } else {
                            versions.push(r.gvk.version.clone());
                        }
                    }
                }
                None => groups.push((r.gvk.group.clone(), vec![r.gvk.version.clone()])),
            }
        }
        groups.sort_by(|a, b| (a.0 != "", &a.0).cmp(&(b.0 != "", &b.0)));
        groups
    }

    /// Resources of one group version, sorted by plural name.
    pub fn resources_of(&self, group: &str, version: &str) -> Vec<&Arc<Resource>> {
        let mut v: Vec<_> = self
            .resources
            .iter()
            .filter(|r| r.gvk.group == group && r.gvk.version == version)
            .collect();
        v.sort_by(|a, b| a.plural.cmp(&b.plural));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_table_is_consistent() {
        let reg = Registry::built_in();
        let pods = reg.get("", "v1", "pods").unwrap();
        assert_eq!(pods.gvk.kind, "Pod");
        assert!(pods.namespaced);
        assert_eq!(pods.key(Some("default"), "x"), "/registry/pods/default/x");
        assert_eq!(pods.qualified(), "pods");
        let deploy = reg.get("apps", "v1", "deployments").unwrap();
        assert_eq!(deploy.key(None, "x"), "/registry/apps/deployments/x");
        assert_eq!(deploy.qualified_kind(), "Deployment.apps");
        assert_eq!(
            deploy.subresource("scale").unwrap().gvk,
            Gvk::new("autoscaling", "v1", "Scale")
        );
        assert_eq!(deploy.subresource("status").unwrap().gvk.kind, "Deployment");
        let ev = reg.get("events.k8s.io", "v1", "events").unwrap();
        assert_eq!(ev.storage, reg.get("", "v1", "events").unwrap().storage);
        let hpa1 = reg
            .get("autoscaling", "v1", "horizontalpodautoscalers")
            .unwrap();
        let hpa2 = reg
            .get("autoscaling", "v2", "horizontalpodautoscalers")
            .unwrap();
        assert_eq!(hpa1.storage, hpa2.storage);
        let groups = reg.groups();
        assert_eq!(groups[0].0, "");
        let autoscaling = groups.iter().find(|(g, _)| g == "autoscaling").unwrap();
        assert_eq!(autoscaling.1, ["v2", "v1"]);
        // No two resources claim the same kind in the same group version.
        let mut seen = std::collections::HashSet::new();
        for r in reg.iter() {
            assert!(seen.insert(r.gvk.clone()), "duplicate {:?}", r.gvk);
        }
    }
}
