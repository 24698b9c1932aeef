//! What server-side apply needs to know about the shape of each built-in type: which lists are
//! associative (and by which keys), which are sets, which structs and maps are atomic, and which
//! fields the Go zero value of a type always carries.
//!
//! Upstream reads this from the OpenAPI schema (`x-kubernetes-list-type`,
//! `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`, key defaults), itself generated from the
//! `+listType`, `+listMapKey`, `+structType`, `+mapType` and `+default` markers of k8s.io/api.
//! Here it comes from two sources:
//!
//! - the tables below, written from those markers (k8s.io/api v0.33), for the types on the way to
//!   something the patch metadata does not say: lists keyed by several fields (container and
//!   service ports, topology spread constraints), key defaults (`protocol: TCP`), atomic structs
//!   (label selectors, object references, key selectors), lists whose list type differs from
//!   their patch strategy, and the fields the Go zero value always carries;
//! - everywhere else, the strategic-merge-patch metadata of [`crate::api::patch`]: a list merged
//!   by a `patchMergeKey` is an associative list keyed by it, a primitive list merged as a set is
//!   a set, any other list is atomic. Upstream's schema converter makes the same inference when a
//!   list has a patch strategy and no list type, and the two agree almost everywhere else.
//!
//! Objects are granular (merged field by field) unless a table says atomic. Custom resources have
//! no tables yet: their lists are atomic (a CRD's `x-kubernetes-list-type` is not read), their
//! objects granular; `metadata` is the standard ObjectMeta.

use crate::api::patch::{self, ListStrategy};

/// A Go struct type: its fields that matter to apply.
#[derive(Debug)]
pub(crate) struct TypeDef {
    pub(crate) fields: &'static [FieldDef],
    /// Fields the Go zero value of the type always has (non-pointer struct fields, slices and
    /// pointers without `omitempty`), so that they are never "added" as a whole.
    pub(crate) present: &'static [(&'static str, Zero)],
}

/// How a field the zero value carries looks.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Zero {
    Map,
    List,
}

#[derive(Debug)]
pub(crate) struct FieldDef {
    pub(crate) name: &'static str,
    pub(crate) ty: FieldTy,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum FieldTy {
    /// A granular struct with more to know below.
    Struct(&'static TypeDef),
    /// An atomic struct or map (`+structType=atomic`, `+mapType=atomic`): owned and replaced
    /// whole.
    Atomic,
    /// A list.
    List(ListKind, Elem),
}

/// The kind of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ListKind {
    /// Owned and replaced whole (`+listType=atomic`, the default).
    Atomic,
    /// A set of scalars (`+listType=set`): items are owned one by one, by value.
    Set,
    /// An associative list (`+listType=map`): items are objects identified by their key fields.
    Map(Keys),
}

/// The key fields of an associative list, with the defaults of key fields that have one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keys {
    One(&'static str),
    Many(
        &'static [&'static str],
        &'static [(&'static str, &'static str)],
    ),
}

impl Keys {
    pub(crate) fn names(&self) -> &[&'static str] {
        match self {
            Keys::One(k) => std::slice::from_ref(k),
            Keys::Many(ks, _) => ks,
        }
    }

    /// The default of a key field, when the item leaves it out.
    pub(crate) fn default_of(&self, name: &str) -> Option<&'static str> {
        match self {
            Keys::One(_) => None,
            Keys::Many(_, defaults) => defaults.iter().find(|(k, _)| *k == name).map(|(_, v)| *v),
        }
    }
}

/// The items of a list.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Elem {
    /// Nothing more known: objects are granular.
    Plain,
    /// Atomic structs.
    Atomic,
    Struct(&'static TypeDef),
}

const fn field(name: &'static str, ty: FieldTy) -> FieldDef {
    FieldDef { name, ty }
}

const fn strukt(name: &'static str, ty: &'static TypeDef) -> FieldDef {
    field(name, FieldTy::Struct(ty))
}

const fn atomic(name: &'static str) -> FieldDef {
    field(name, FieldTy::Atomic)
}

const fn atomic_list(name: &'static str) -> FieldDef {
    field(name, FieldTy::List(ListKind::Atomic, Elem::Plain))
}

const fn set_list(name: &'static str) -> FieldDef {
    field(name, FieldTy::List(ListKind::Set, Elem::Plain))
}

const fn map_list(name: &'static str, key: &'static str, elem: Elem) -> FieldDef {
    field(name, FieldTy::List(ListKind::Map(Keys::One(key)), elem))
}

const fn map_list_keys(
    name: &'static str,
    keys: &'static [&'static str],
    defaults: &'static [(&'static str, &'static str)],
    elem: Elem,
) -> FieldDef {
    field(
        name,
        FieldTy::List(ListKind::Map(Keys::Many(keys, defaults)), elem),
    )
}

const PORT_KEYS_DEFAULTS: &[(&str, &str)] = &[("protocol", "TCP")];

static OBJECT_META: TypeDef = TypeDef {
    fields: &[
        map_list("ownerReferences", "uid", Elem::Atomic),
        set_list("finalizers"),
        atomic_list("managedFields"),
    ],
    present: &[],
};

/// Any object: what every kind has.
static OBJECT: TypeDef = TypeDef {
    fields: &[strukt("metadata", &OBJECT_META)],
    present: &[],
};

/// A built-in kind we have no table for: the zero value has metadata.
static BUILTIN_OBJECT: TypeDef = TypeDef {
    fields: &[strukt("metadata", &OBJECT_META)],
    present: &[("metadata", Zero::Map)],
};

static ENV_VAR_SOURCE: TypeDef = TypeDef {
    fields: &[
        atomic("configMapKeyRef"),
        atomic("fieldRef"),
        atomic("fileKeyRef"),
        atomic("resourceFieldRef"),
        atomic("secretKeyRef"),
    ],
    present: &[],
};

static ENV_VAR: TypeDef = TypeDef {
    fields: &[strukt("valueFrom", &ENV_VAR_SOURCE)],
    present: &[],
};

static RESOURCE_REQUIREMENTS: TypeDef = TypeDef {
    fields: &[map_list("claims", "name", Elem::Plain)],
    present: &[],
};

static VOLUME_MOUNT: TypeDef = TypeDef {
    fields: &[set_list("bindMountOptions")],
    present: &[],
};

static CONTAINER: TypeDef = TypeDef {
    fields: &[
        map_list_keys(
            "ports",
            &["containerPort", "protocol"],
            PORT_KEYS_DEFAULTS,
            Elem::Plain,
        ),
        map_list("env", "name", Elem::Struct(&ENV_VAR)),
        atomic_list("envFrom"),
        map_list("volumeMounts", "mountPath", Elem::Struct(&VOLUME_MOUNT)),
        map_list("volumeDevices", "devicePath", Elem::Plain),
        atomic_list("resizePolicy"),
        strukt("resources", &RESOURCE_REQUIREMENTS),
    ],
    present: &[("resources", Zero::Map)],
};

static NODE_AFFINITY: TypeDef = TypeDef {
    fields: &[atomic("requiredDuringSchedulingIgnoredDuringExecution")],
    present: &[],
};

static AFFINITY: TypeDef = TypeDef {
    fields: &[strukt("nodeAffinity", &NODE_AFFINITY)],
    present: &[],
};

static TOPOLOGY_SPREAD_CONSTRAINT: TypeDef = TypeDef {
    fields: &[atomic("labelSelector")],
    present: &[],
};

static PVC_SPEC: TypeDef = TypeDef {
    fields: &[
        atomic("selector"),
        atomic("dataSource"),
        atomic("dataSourceRef"),
    ],
    present: &[("resources", Zero::Map)],
};

static PVC_TEMPLATE: TypeDef = TypeDef {
    fields: &[strukt("metadata", &OBJECT_META), strukt("spec", &PVC_SPEC)],
    present: &[("metadata", Zero::Map), ("spec", Zero::Map)],
};

static EPHEMERAL_VOLUME_SOURCE: TypeDef = TypeDef {
    fields: &[strukt("volumeClaimTemplate", &PVC_TEMPLATE)],
    present: &[],
};

static VOLUME: TypeDef = TypeDef {
    fields: &[strukt("ephemeral", &EPHEMERAL_VOLUME_SOURCE)],
    present: &[],
};

static POD_SPEC: TypeDef = TypeDef {
    fields: &[
        map_list("containers", "name", Elem::Struct(&CONTAINER)),
        map_list("initContainers", "name", Elem::Struct(&CONTAINER)),
        map_list("ephemeralContainers", "name", Elem::Struct(&CONTAINER)),
        map_list("volumes", "name", Elem::Struct(&VOLUME)),
        map_list_keys("imagePullSecrets", &["name"], &[("name", "")], Elem::Atomic),
        atomic("nodeSelector"),
        strukt("affinity", &AFFINITY),
        map_list_keys(
            "topologySpreadConstraints",
            &["topologyKey", "whenUnsatisfiable"],
            &[],
            Elem::Struct(&TOPOLOGY_SPREAD_CONSTRAINT),
        ),
        map_list("hostAliases", "ip", Elem::Plain),
        map_list("schedulingGates", "name", Elem::Plain),
        map_list("resourceClaims", "name", Elem::Plain),
        atomic_list("tolerations"),
        atomic_list("readinessGates"),
    ],
    present: &[("containers", Zero::List)],
};

static POD_STATUS: TypeDef = TypeDef {
    fields: &[
        map_list("conditions", "type", Elem::Plain),
        map_list("podIPs", "ip", Elem::Plain),
        atomic_list("hostIPs"),
        atomic_list("containerStatuses"),
        atomic_list("initContainerStatuses"),
        atomic_list("ephemeralContainerStatuses"),
    ],
    present: &[],
};

static POD_TEMPLATE_SPEC: TypeDef = TypeDef {
    fields: &[strukt("metadata", &OBJECT_META), strukt("spec", &POD_SPEC)],
    present: &[("metadata", Zero::Map), ("spec", Zero::Map)],
};

static POD: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &POD_SPEC),
        strukt("status", &POD_STATUS),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static POD_TEMPLATE: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("template", &POD_TEMPLATE_SPEC),
    ],
    present: &[("metadata", Zero::Map), ("template", Zero::Map)],
};

static WORKLOAD_STATUS: TypeDef = TypeDef {
    fields: &[map_list("conditions", "type", Elem::Plain)],
    present: &[],
};

static DEPLOYMENT_SPEC: TypeDef = TypeDef {
    fields: &[atomic("selector"), strukt("template", &POD_TEMPLATE_SPEC)],
    present: &[("template", Zero::Map), ("strategy", Zero::Map)],
};

static DEPLOYMENT: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &DEPLOYMENT_SPEC),
        strukt("status", &WORKLOAD_STATUS),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static REPLICA_SET_SPEC: TypeDef = TypeDef {
    fields: &[atomic("selector"), strukt("template", &POD_TEMPLATE_SPEC)],
    present: &[("template", Zero::Map)],
};

static REPLICA_SET: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &REPLICA_SET_SPEC),
        strukt("status", &WORKLOAD_STATUS),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static STATEFUL_SET_SPEC: TypeDef = TypeDef {
    fields: &[
        atomic("selector"),
        strukt("template", &POD_TEMPLATE_SPEC),
        atomic_list("volumeClaimTemplates"),
    ],
    present: &[("template", Zero::Map), ("updateStrategy", Zero::Map)],
};

static STATEFUL_SET: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &STATEFUL_SET_SPEC),
        strukt("status", &WORKLOAD_STATUS),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static DAEMON_SET_SPEC: TypeDef = TypeDef {
    fields: &[atomic("selector"), strukt("template", &POD_TEMPLATE_SPEC)],
    present: &[("template", Zero::Map), ("updateStrategy", Zero::Map)],
};

static DAEMON_SET: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &DAEMON_SET_SPEC),
        strukt("status", &WORKLOAD_STATUS),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static JOB_SPEC: TypeDef = TypeDef {
    fields: &[atomic("selector"), strukt("template", &POD_TEMPLATE_SPEC)],
    present: &[("template", Zero::Map)],
};

static UNCOUNTED_TERMINATED_PODS: TypeDef = TypeDef {
    fields: &[set_list("succeeded"), set_list("failed")],
    present: &[],
};

static JOB_STATUS: TypeDef = TypeDef {
    fields: &[
        atomic_list("conditions"),
        strukt("uncountedTerminatedPods", &UNCOUNTED_TERMINATED_PODS),
    ],
    present: &[],
};

static JOB: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &JOB_SPEC),
        strukt("status", &JOB_STATUS),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static JOB_TEMPLATE_SPEC: TypeDef = TypeDef {
    fields: &[strukt("metadata", &OBJECT_META), strukt("spec", &JOB_SPEC)],
    present: &[("metadata", Zero::Map), ("spec", Zero::Map)],
};

static CRON_JOB_SPEC: TypeDef = TypeDef {
    fields: &[strukt("jobTemplate", &JOB_TEMPLATE_SPEC)],
    present: &[("jobTemplate", Zero::Map)],
};

static CRON_JOB: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &CRON_JOB_SPEC),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static REPLICATION_CONTROLLER_SPEC: TypeDef = TypeDef {
    fields: &[atomic("selector"), strukt("template", &POD_TEMPLATE_SPEC)],
    present: &[],
};

static REPLICATION_CONTROLLER: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &REPLICATION_CONTROLLER_SPEC),
        strukt("status", &WORKLOAD_STATUS),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static SERVICE_SPEC: TypeDef = TypeDef {
    fields: &[
        map_list_keys(
            "ports",
            &["port", "protocol"],
            PORT_KEYS_DEFAULTS,
            Elem::Plain,
        ),
        atomic("selector"),
    ],
    present: &[],
};

static SERVICE_STATUS: TypeDef = TypeDef {
    fields: &[map_list("conditions", "type", Elem::Plain)],
    present: &[("loadBalancer", Zero::Map)],
};

static SERVICE: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &SERVICE_SPEC),
        strukt("status", &SERVICE_STATUS),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static SERVICE_ACCOUNT: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        map_list("secrets", "name", Elem::Atomic),
        map_list_keys("imagePullSecrets", &["name"], &[("name", "")], Elem::Atomic),
    ],
    present: &[("metadata", Zero::Map)],
};

static PVC: TypeDef = TypeDef {
    fields: &[strukt("metadata", &OBJECT_META), strukt("spec", &PVC_SPEC)],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static PV_SPEC: TypeDef = TypeDef {
    fields: &[atomic("claimRef"), atomic("nodeAffinity")],
    present: &[],
};

static PV: TypeDef = TypeDef {
    fields: &[strukt("metadata", &OBJECT_META), strukt("spec", &PV_SPEC)],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static NAMESPACE_SPEC: TypeDef = TypeDef {
    fields: &[atomic_list("finalizers")],
    present: &[],
};

static NAMESPACE: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &NAMESPACE_SPEC),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static NODE_SPEC: TypeDef = TypeDef {
    fields: &[set_list("podCIDRs"), atomic_list("taints")],
    present: &[],
};

static NODE: TypeDef = TypeDef {
    fields: &[strukt("metadata", &OBJECT_META), strukt("spec", &NODE_SPEC)],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static EVENT: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        atomic("involvedObject"),
        atomic("related"),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("involvedObject", Zero::Map),
        ("source", Zero::Map),
    ],
};

static PDB_SPEC: TypeDef = TypeDef {
    fields: &[atomic("selector")],
    present: &[],
};

static PDB: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &PDB_SPEC),
        strukt("status", &WORKLOAD_STATUS),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static NETWORK_POLICY_SPEC: TypeDef = TypeDef {
    fields: &[
        atomic("podSelector"),
        atomic_list("ingress"),
        atomic_list("egress"),
        atomic_list("policyTypes"),
    ],
    present: &[("podSelector", Zero::Map)],
};

static NETWORK_POLICY: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("spec", &NETWORK_POLICY_SPEC),
    ],
    present: &[("metadata", Zero::Map), ("spec", Zero::Map)],
};

static INGRESS: TypeDef = TypeDef {
    fields: &[strukt("metadata", &OBJECT_META)],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static SPEC_STATUS_OBJECT: TypeDef = TypeDef {
    fields: &[strukt("metadata", &OBJECT_META)],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static CSR_STATUS: TypeDef = TypeDef {
    fields: &[map_list("conditions", "type", Elem::Plain)],
    present: &[],
};

static CSR: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        strukt("status", &CSR_STATUS),
    ],
    present: &[
        ("metadata", Zero::Map),
        ("spec", Zero::Map),
        ("status", Zero::Map),
    ],
};

static ROLE_BINDING: TypeDef = TypeDef {
    fields: &[
        strukt("metadata", &OBJECT_META),
        atomic_list("subjects"),
        atomic("roleRef"),
    ],
    present: &[("metadata", Zero::Map), ("roleRef", Zero::Map)],
};

/// The tables by (group, kind); versions share them.
static KINDS: &[(&str, &str, &TypeDef)] = &[
    ("", "Pod", &POD),
    ("", "PodTemplate", &POD_TEMPLATE),
    ("", "ReplicationController", &REPLICATION_CONTROLLER),
    ("", "Service", &SERVICE),
    ("", "ServiceAccount", &SERVICE_ACCOUNT),
    ("", "PersistentVolumeClaim", &PVC),
    ("", "PersistentVolume", &PV),
    ("", "Namespace", &NAMESPACE),
    ("", "Node", &NODE),
    ("", "Event", &EVENT),
    ("", "ResourceQuota", &SPEC_STATUS_OBJECT),
    ("", "LimitRange", &SPEC_STATUS_OBJECT),
    ("apps", "Deployment", &DEPLOYMENT),
    ("apps", "ReplicaSet", &REPLICA_SET),
    ("apps", "StatefulSet", &STATEFUL_SET),
    ("apps", "DaemonSet", &DAEMON_SET),
    ("batch", "Job", &JOB),
    ("batch", "CronJob", &CRON_JOB),
    ("policy", "PodDisruptionBudget", &PDB),
    ("networking.k8s.io", "NetworkPolicy", &NETWORK_POLICY),
    ("networking.k8s.io", "Ingress", &INGRESS),
    (
        "autoscaling",
        "HorizontalPodAutoscaler",
        &SPEC_STATUS_OBJECT,
    ),
    ("certificates.k8s.io", "CertificateSigningRequest", &CSR),
    ("rbac.authorization.k8s.io", "RoleBinding", &ROLE_BINDING),
    (
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        &ROLE_BINDING,
    ),
];

/// The schema of one kind, and a cursor ([`Ty`]) walking it.
#[derive(Debug)]
pub(crate) struct Schema {
    group: String,
    version: String,
    kind: String,
    root: &'static TypeDef,
    builtin: bool,
}

/// Where a walk stands: the known type of the value there, and the field names from the root
/// (list items left out) for the patch-metadata fallback.
#[derive(Clone, Debug)]
pub(crate) struct Ty {
    node: Node,
    path: Vec<String>,
}

#[derive(Clone, Copy, Debug)]
enum Node {
    Struct(&'static TypeDef),
    /// Nothing known: objects granular, lists per the patch metadata.
    Plain,
    Atomic,
    List(ListKind, Elem),
}

impl Schema {
    pub(crate) fn new(gvk: (&str, &str, &str)) -> Self {
        let (group, version, kind) = gvk;
        let builtin = patch::strategic_merge_supported(group);
        let root = KINDS
            .iter()
            .find(|(g, k, _)| *g == group && *k == kind)
            .map(|(.., ty)| *ty)
            .unwrap_or(if builtin { &BUILTIN_OBJECT } else { &OBJECT });
        Schema {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
            root,
            builtin,
        }
    }

    pub(crate) fn root(&self) -> Ty {
        Ty {
            node: Node::Struct(self.root),
            path: Vec::new(),
        }
    }

    /// The type of field `name` of an object of type `ty`.
    pub(crate) fn field(&self, ty: &Ty, name: &str) -> Ty {
        let mut path = ty.path.clone();
        path.push(name.to_owned());
        let node = match ty.node {
            Node::Struct(def) => match def.fields.iter().find(|f| f.name == name) {
                Some(f) => match f.ty {
                    FieldTy::Struct(t) => Node::Struct(t),
                    FieldTy::Atomic => Node::Atomic,
                    FieldTy::List(kind, elem) => Node::List(kind, elem),
                },
                None => Node::Plain,
            },
            Node::Atomic => Node::Atomic,
            Node::Plain | Node::List(..) => Node::Plain,
        };
        Ty { node, path }
    }

    /// The type of the items of a list of type `ty`.
    pub(crate) fn item(&self, ty: &Ty) -> Ty {
        let node = match ty.node {
            Node::List(_, Elem::Struct(t)) => Node::Struct(t),
            Node::List(_, Elem::Atomic) | Node::Atomic => Node::Atomic,
            _ => Node::Plain,
        };
        Ty {
            node,
            path: ty.path.clone(),
        }
    }

    /// How a list at `ty` behaves.
    pub(crate) fn list_kind(&self, ty: &Ty) -> ListKind {
        match ty.node {
            Node::List(kind, _) => kind,
            Node::Atomic => ListKind::Atomic,
            Node::Struct(_) | Node::Plain => {
                if !self.builtin {
                    return ListKind::Atomic;
                }
                let path: Vec<&str> = ty.path.iter().map(String::as_str).collect();
                let gvk = (
                    self.group.as_str(),
                    self.version.as_str(),
                    self.kind.as_str(),
                );
                match patch::list_strategy(gvk, &path) {
                    ListStrategy::Atomic => ListKind::Atomic,
                    ListStrategy::MergePrimitives => ListKind::Set,
                    ListStrategy::Merge { key } => ListKind::Map(Keys::One(key)),
                }
            }
        }
    }

    /// Whether an object at `ty` is atomic.
    pub(crate) fn map_atomic(&self, ty: &Ty) -> bool {
        matches!(ty.node, Node::Atomic)
    }

    /// The fields the zero value of an object at `ty` carries.
    pub(crate) fn present(&self, ty: &Ty) -> &'static [(&'static str, Zero)] {
        match ty.node {
            Node::Struct(def) if self.builtin => def.present,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(schema: &Schema, path: &[&str]) -> Ty {
        let mut ty = schema.root();
        for p in path {
            ty = if *p == "[]" {
                schema.item(&ty)
            } else {
                schema.field(&ty, p)
            };
        }
        ty
    }

    #[test]
    fn list_kinds() {
        let deploy = Schema::new(("apps", "v1", "Deployment"));
        let containers = ["spec", "template", "spec", "containers"];
        let cases: Vec<(&Schema, Vec<&str>, ListKind)> = vec![
            (
                &deploy,
                containers.to_vec(),
                ListKind::Map(Keys::One("name")),
            ),
            (
                &deploy,
                [&containers[..], &["[]", "ports"]].concat(),
                ListKind::Map(Keys::Many(
                    &["containerPort", "protocol"],
                    PORT_KEYS_DEFAULTS,
                )),
            ),
            (
                &deploy,
                [&containers[..], &["[]", "args"]].concat(),
                ListKind::Atomic,
            ),
            (
                &deploy,
                [&containers[..], &["[]", "env"]].concat(),
                ListKind::Map(Keys::One("name")),
            ),
            (
                &deploy,
                vec!["spec", "template", "spec", "tolerations"],
                ListKind::Atomic,
            ),
            (&deploy, vec!["metadata", "finalizers"], ListKind::Set),
            (
                &deploy,
                vec!["status", "conditions"],
                ListKind::Map(Keys::One("type")),
            ),
        ];
        for (schema, path, want) in cases {
            assert_eq!(schema.list_kind(&walk(schema, &path)), want, "{path:?}");
        }
        // Through the patch-metadata fallback: a kind without a table here.
        let webhooks = Schema::new((
            "admissionregistration.k8s.io",
            "v1",
            "ValidatingWebhookConfiguration",
        ));
        assert_eq!(
            webhooks.list_kind(&walk(&webhooks, &["webhooks"])),
            ListKind::Map(Keys::One("name"))
        );
        // Custom resources: atomic lists, but metadata is ObjectMeta.
        let cr = Schema::new(("example.com", "v1", "Widget"));
        assert_eq!(
            cr.list_kind(&walk(&cr, &["spec", "items"])),
            ListKind::Atomic
        );
        assert_eq!(
            cr.list_kind(&walk(&cr, &["metadata", "finalizers"])),
            ListKind::Set
        );
        assert!(cr.present(&cr.root()).is_empty());
    }

    #[test]
    fn atomic_structs() {
        let deploy = Schema::new(("apps", "v1", "Deployment"));
        assert!(deploy.map_atomic(&walk(&deploy, &["spec", "selector"])));
        assert!(!deploy.map_atomic(&walk(&deploy, &["spec", "strategy"])));
        assert!(deploy.map_atomic(&walk(
            &deploy,
            &[
                "spec",
                "template",
                "spec",
                "containers",
                "[]",
                "env",
                "[]",
                "valueFrom",
                "secretKeyRef"
            ]
        )));
        let svc = Schema::new(("", "v1", "Service"));
        assert!(svc.map_atomic(&walk(&svc, &["spec", "selector"])));
        assert!(!svc.map_atomic(&walk(&svc, &["metadata", "labels"])));
    }
}
