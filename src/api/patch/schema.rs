//! What strategic merge patch needs to know about each built-in type: which lists merge (and by
//! which key), which maps are replaced whole, which carry `patchStrategy: retainKeys`.
//!
//! Upstream reads this from Go struct tags (`patchStrategy:"merge" patchMergeKey:"name"`). Here it
//! is a set of per-type tables ([`TypeDef`]) that point at each other, so `PodSpec` is written once
//! and reached from a Pod's `spec`, a Deployment's `spec.template.spec`, a CronJob's
//! `spec.jobTemplate.spec.template.spec` and so on. A table lists only the fields that matter to a
//! patch: tagged fields, and untagged object fields whose type (transitively) has tagged fields.
//! Everything else is a plain field: maps merge key by key, lists are replaced whole.
//!
//! Lists without a merge strategy (tolerations, `volumeClaimTemplates`, container statuses…) are
//! replaced whole by a patch, so nothing below them is ever looked up and the tables stop there.

mod builtin;

/// How a patch treats a list field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListStrategy {
    /// The patch's list replaces the stored one (no `patchStrategy`).
    Atomic,
    /// A list of objects merged item by item, matched on `key` (`patchStrategy: merge` with a
    /// `patchMergeKey`), e.g. containers by `name`.
    Merge { key: &'static str },
    /// A set-like list of scalars (`patchStrategy: merge` without a key), e.g.
    /// `metadata.finalizers`: patch values are added, `$deleteFromPrimitiveList` removes.
    MergePrimitives,
}

/// How a patch treats an object (map) field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapStrategy {
    /// Merged key by key (the default).
    Merge,
    /// `patchStrategy: retainKeys`: a union-like object (a Deployment's `spec.strategy`, the volume
    /// source inside each `spec.volumes` item) where clients send `$retainKeys` so that keys not
    /// listed are cleared. Still merged key by key when the patch has no `$retainKeys`.
    RetainKeys,
    /// `patchStrategy: replace`: the patch's object replaces the stored one whole (a
    /// PodDisruptionBudget's `spec.selector`).
    Replace,
}

/// The `patchStrategy` tag of a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    /// No tag.
    None,
    /// `patchStrategy:"merge"`.
    Merge,
    /// `patchStrategy:"merge,retainKeys"` on a list: merged by key, items carry `$retainKeys`.
    MergeRetainKeys,
    /// `patchStrategy:"retainKeys"` on an object.
    RetainKeys,
    /// `patchStrategy:"replace"`.
    Replace,
}

impl Tag {
    /// The strategy left once `retainKeys` is set aside, as upstream's patch application sees
    /// it: `$retainKeys` is honoured wherever a patch carries it, so the tag only matters to
    /// clients that build patches.
    pub(crate) fn merges(self) -> bool {
        matches!(self, Tag::Merge | Tag::MergeRetainKeys)
    }

    pub(crate) fn replaces(self) -> bool {
        matches!(self, Tag::Replace)
    }
}

/// One Go struct type: the fields of it that a patch needs to know about.
#[derive(Debug)]
pub(crate) struct TypeDef {
    /// `package.Type`: names the table in `Debug` output and tests.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) name: &'static str,
    pub(crate) fields: &'static [FieldDef],
}

/// One field of a [`TypeDef`].
#[derive(Debug)]
pub(crate) struct FieldDef {
    /// The JSON name.
    pub(crate) name: &'static str,
    pub(crate) tag: Tag,
    /// `patchMergeKey`, empty when none.
    pub(crate) merge_key: &'static str,
    /// The type of the field (an object field) or of its items (a list field), when something
    /// below it needs patch metadata.
    pub(crate) ty: Option<&'static TypeDef>,
}

/// An object field whose type has patch metadata somewhere below.
pub(crate) const fn object(name: &'static str, ty: &'static TypeDef) -> FieldDef {
    FieldDef {
        name,
        tag: Tag::None,
        merge_key: "",
        ty: Some(ty),
    }
}

/// A list of objects merged by `key`.
pub(crate) const fn merge_list(
    name: &'static str,
    key: &'static str,
    ty: Option<&'static TypeDef>,
) -> FieldDef {
    FieldDef {
        name,
        tag: Tag::Merge,
        merge_key: key,
        ty,
    }
}

/// A list of objects merged by `key` whose items are union-like (`merge,retainKeys`).
pub(crate) const fn merge_list_retain_keys(
    name: &'static str,
    key: &'static str,
    ty: Option<&'static TypeDef>,
) -> FieldDef {
    FieldDef {
        name,
        tag: Tag::MergeRetainKeys,
        merge_key: key,
        ty,
    }
}

/// A set-like list of scalars.
pub(crate) const fn merge_primitives(name: &'static str) -> FieldDef {
    FieldDef {
        name,
        tag: Tag::Merge,
        merge_key: "",
        ty: None,
    }
}

/// A union-like object field (`retainKeys`).
pub(crate) const fn retain_keys(name: &'static str, ty: Option<&'static TypeDef>) -> FieldDef {
    FieldDef {
        name,
        tag: Tag::RetainKeys,
        merge_key: "",
        ty,
    }
}

/// An object field replaced whole.
pub(crate) const fn replace(name: &'static str) -> FieldDef {
    FieldDef {
        name,
        tag: Tag::Replace,
        merge_key: "",
        ty: None,
    }
}

/// Where a merge stands in the type tables: the type of the object being merged, or `None` when
/// nothing below has patch metadata (free-form maps, types without tags, unknown fields).
pub(crate) type Schema = Option<&'static TypeDef>;

/// What the tables say about one field of the object being merged.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldMeta {
    pub(crate) tag: Tag,
    pub(crate) merge_key: &'static str,
    /// The schema of the field's value (object field) or of its items (list field).
    pub(crate) sub: Schema,
}

impl FieldMeta {
    const PLAIN: FieldMeta = FieldMeta {
        tag: Tag::None,
        merge_key: "",
        sub: None,
    };
}

/// Looks a field up. Unknown fields are plain: upstream fails on fields its Go struct lacks, but
/// only where both the stored object and the patch hold an object or list under that name, which a
/// typed stored object cannot; being lenient also covers free-form maps of objects.
pub(crate) fn lookup(schema: Schema, field: &str) -> FieldMeta {
    schema
        .and_then(|ty| ty.fields.iter().find(|f| f.name == field))
        .map_or(FieldMeta::PLAIN, |f| FieldMeta {
            tag: f.tag,
            merge_key: f.merge_key,
            sub: f.ty,
        })
}

/// The type of a kind's root object, `None` when the group is not one we know (custom
/// resources: strategic merge patch is refused for them). Kinds of known groups missing from the
/// tables (new kinds, subresource kinds such as Scale) get the fields every object has.
pub(crate) fn root_type(group: &str, version: &str, kind: &str) -> Option<&'static TypeDef> {
    if let Some((.., ty)) = builtin::KINDS
        .iter()
        .find(|(g, v, k, _)| *g == group && *v == version && *k == kind)
    {
        return Some(ty);
    }
    builtin::GROUPS.contains(&group).then_some(&builtin::OBJECT)
}

/// Whether strategic merge patch is available for objects of `group`: true for the built-in
/// groups, false for custom resources and aggregated APIs (upstream answers 415 there).
pub fn strategic_merge_supported(group: &str) -> bool {
    builtin::GROUPS.contains(&group)
}

/// Follows `path` (field names from the object root, list indices left out) through the tables,
/// returning the metadata of the last field.
fn field_at(gvk: (&str, &str, &str), path: &[&str]) -> FieldMeta {
    let (group, version, kind) = gvk;
    let mut schema = root_type(group, version, kind);
    let mut meta = FieldMeta::PLAIN;
    for name in path {
        if schema.is_none() {
            return FieldMeta::PLAIN;
        }
        meta = lookup(schema, name);
        schema = meta.sub;
    }
    meta
}

/// How strategic merge patch treats the list at `path` of a `gvk` object: `path` names fields
/// from the object root, leaving list indices out (`["spec", "template", "spec", "containers",
/// "env"]`). Lists the tables do not know, and lists below an atomic list, are
/// [`ListStrategy::Atomic`].
pub fn list_strategy(gvk: (&str, &str, &str), path: &[&str]) -> ListStrategy {
    let meta = field_at(gvk, path);
    if !meta.tag.merges() {
        ListStrategy::Atomic
    } else if meta.merge_key.is_empty() {
        ListStrategy::MergePrimitives
    } else {
        ListStrategy::Merge {
            key: meta.merge_key,
        }
    }
}

/// How strategic merge patch treats the object at `path` of a `gvk` object (same path rules as
/// [`list_strategy`]). Items of a `merge,retainKeys` list (each entry of `spec.volumes`) are
/// [`MapStrategy::RetainKeys`] when `path` names the list.
pub fn map_strategy(gvk: (&str, &str, &str), path: &[&str]) -> MapStrategy {
    match field_at(gvk, path).tag {
        Tag::RetainKeys | Tag::MergeRetainKeys => MapStrategy::RetainKeys,
        Tag::Replace => MapStrategy::Replace,
        Tag::None | Tag::Merge => MapStrategy::Merge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Gvk = (&'static str, &'static str, &'static str);

    const POD: Gvk = ("", "v1", "Pod");
    const DEPLOYMENT: Gvk = ("apps", "v1", "Deployment");
    const CRONJOB: Gvk = ("batch", "v1", "CronJob");

    #[test]
    fn list_strategies_follow_upstream_tags() {
        use ListStrategy::*;
        let cases: &[(Gvk, &[&str], ListStrategy)] = &[
            (POD, &["spec", "containers"], Merge { key: "name" }),
            (POD, &["spec", "initContainers"], Merge { key: "name" }),
            (POD, &["spec", "ephemeralContainers"], Merge { key: "name" }),
            (POD, &["spec", "volumes"], Merge { key: "name" }),
            (POD, &["spec", "imagePullSecrets"], Merge { key: "name" }),
            (POD, &["spec", "hostAliases"], Merge { key: "ip" }),
            (POD, &["spec", "tolerations"], Atomic),
            (POD, &["spec", "resourceClaims"], Merge { key: "name" }),
            (
                POD,
                &["spec", "topologySpreadConstraints"],
                Merge { key: "topologyKey" },
            ),
            (POD, &["spec", "containers", "env"], Merge { key: "name" }),
            (
                POD,
                &["spec", "containers", "ports"],
                Merge {
                    key: "containerPort",
                },
            ),
            (
                POD,
                &["spec", "containers", "volumeMounts"],
                Merge { key: "mountPath" },
            ),
            (
                POD,
                &["spec", "containers", "volumeDevices"],
                Merge { key: "devicePath" },
            ),
            (POD, &["spec", "containers", "args"], Atomic),
            (
                POD,
                &["spec", "ephemeralContainers", "env"],
                Merge { key: "name" },
            ),
            (POD, &["status", "conditions"], Merge { key: "type" }),
            (POD, &["status", "podIPs"], Merge { key: "ip" }),
            (POD, &["status", "containerStatuses"], Atomic),
            (POD, &["metadata", "finalizers"], MergePrimitives),
            (POD, &["metadata", "ownerReferences"], Merge { key: "uid" }),
            (POD, &["metadata", "managedFields"], Atomic),
            (
                DEPLOYMENT,
                &["spec", "template", "spec", "containers"],
                Merge { key: "name" },
            ),
            (
                DEPLOYMENT,
                &["spec", "template", "metadata", "finalizers"],
                MergePrimitives,
            ),
            (DEPLOYMENT, &["status", "conditions"], Merge { key: "type" }),
            (
                CRONJOB,
                &[
                    "spec",
                    "jobTemplate",
                    "spec",
                    "template",
                    "spec",
                    "containers",
                    "env",
                ],
                Merge { key: "name" },
            ),
            (
                ("", "v1", "PodTemplate"),
                &["template", "spec", "volumes"],
                Merge { key: "name" },
            ),
            (
                ("", "v1", "Service"),
                &["spec", "ports"],
                Merge { key: "port" },
            ),
            (
                ("", "v1", "Node"),
                &["status", "addresses"],
                Merge { key: "type" },
            ),
            (
                ("", "v1", "Node"),
                &["status", "conditions"],
                Merge { key: "type" },
            ),
            (("", "v1", "Node"), &["spec", "podCIDRs"], MergePrimitives),
            (("", "v1", "Node"), &["spec", "taints"], Atomic),
            (
                ("", "v1", "ServiceAccount"),
                &["secrets"],
                Merge { key: "name" },
            ),
            (
                ("", "v1", "ConfigMap"),
                &["metadata", "finalizers"],
                MergePrimitives,
            ),
            (("", "v1", "Endpoints"), &["subsets"], Atomic),
            (
                ("apps", "v1", "StatefulSet"),
                &["spec", "volumeClaimTemplates"],
                Atomic,
            ),
            (
                ("batch", "v1", "Job"),
                &["status", "conditions"],
                Merge { key: "type" },
            ),
            (
                ("autoscaling", "v2", "HorizontalPodAutoscaler"),
                &["status", "conditions"],
                Merge { key: "type" },
            ),
            (
                ("autoscaling", "v1", "HorizontalPodAutoscaler"),
                &["status", "conditions"],
                Atomic,
            ),
            (
                ("policy", "v1", "PodDisruptionBudget"),
                &["status", "conditions"],
                Merge { key: "type" },
            ),
            (
                ("storage.k8s.io", "v1", "CSINode"),
                &["spec", "drivers"],
                Merge { key: "name" },
            ),
            (
                (
                    "admissionregistration.k8s.io",
                    "v1",
                    "ValidatingWebhookConfiguration",
                ),
                &["webhooks", "matchConditions"],
                Merge { key: "name" },
            ),
            (
                ("apiregistration.k8s.io", "v1", "APIService"),
                &["status", "conditions"],
                Merge { key: "type" },
            ),
            (
                ("rbac.authorization.k8s.io", "v1", "Role"),
                &["rules"],
                Atomic,
            ),
            (
                ("example.com", "v1", "Widget"),
                &["metadata", "finalizers"],
                Atomic,
            ),
            (
                ("apps", "v1", "NoSuchKind"),
                &["metadata", "ownerReferences"],
                Merge { key: "uid" },
            ),
        ];
        for (gvk, path, want) in cases {
            assert_eq!(list_strategy(*gvk, path), *want, "{gvk:?} {path:?}");
        }
    }

    #[test]
    fn map_strategies_follow_upstream_tags() {
        use MapStrategy::*;
        let cases: &[(Gvk, &[&str], MapStrategy)] = &[
            (DEPLOYMENT, &["spec", "strategy"], RetainKeys),
            (DEPLOYMENT, &["spec", "template"], Merge),
            (DEPLOYMENT, &["spec", "selector"], Merge),
            (POD, &["spec", "volumes"], RetainKeys),
            (POD, &["metadata", "labels"], Merge),
            (
                ("policy", "v1", "PodDisruptionBudget"),
                &["spec", "selector"],
                Replace,
            ),
            (
                ("apps", "v1", "DaemonSet"),
                &["spec", "updateStrategy"],
                Merge,
            ),
        ];
        for (gvk, path, want) in cases {
            assert_eq!(map_strategy(*gvk, path), *want, "{gvk:?} {path:?}");
        }
    }

    #[test]
    fn groups_decide_support() {
        for group in [
            "",
            "apps",
            "batch",
            "networking.k8s.io",
            "policy",
            "rbac.authorization.k8s.io",
            "autoscaling",
            "storage.k8s.io",
            "discovery.k8s.io",
            "coordination.k8s.io",
            "scheduling.k8s.io",
            "events.k8s.io",
            "certificates.k8s.io",
            "apiextensions.k8s.io",
            "apiregistration.k8s.io",
            "admissionregistration.k8s.io",
            "flowcontrol.apiserver.k8s.io",
            "node.k8s.io",
        ] {
            assert!(strategic_merge_supported(group), "{group}");
        }
        for group in ["example.com", "metrics.k8s.io", "stable.example.com"] {
            assert!(!strategic_merge_supported(group), "{group}");
        }
        assert!(root_type("example.com", "v1", "Widget").is_none());
        assert_eq!(
            root_type("", "v1", "Pod").map(|t| t.name),
            Some("core/v1.Pod")
        );
    }

    /// Every table is reachable and every merge list has a key or is a list of scalars; a
    /// field appears once per type.
    #[test]
    fn tables_are_well_formed() {
        for (g, v, k, ty) in builtin::KINDS {
            assert!(builtin::GROUPS.contains(g), "{g}/{v} {k}");
            let mut seen = std::collections::HashSet::new();
            check(ty, &mut seen);
        }
        fn check(ty: &'static TypeDef, seen: &mut std::collections::HashSet<&'static str>) {
            if !seen.insert(ty.name) {
                return;
            }
            let mut names: Vec<_> = ty.fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                ty.fields.len(),
                "duplicate field in {}",
                ty.name
            );
            for f in ty.fields {
                if f.tag == Tag::MergeRetainKeys {
                    assert!(!f.merge_key.is_empty(), "{}.{}", ty.name, f.name);
                }
                if let Some(sub) = f.ty {
                    check(sub, seen);
                }
            }
        }
    }
}
