//! ObjectMeta, labels, annotations, label selectors and the small shared checks
//! (`k8s.io/apimachinery/pkg/api/validation`, `…/apis/meta/v1/validation`).

use serde_json::Value;

use super::gorepr;
use super::json::{
    arr, child, get, int, int_of, obj, opt_str, same, str_of, string_entries, strings,
};
use super::names::{
    is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_qualified_name,
    is_valid_label_value, is_valid_path_segment_name, is_valid_path_segment_prefix,
};
use crate::api::field::{FieldError, Path};

pub const IS_NEGATIVE: &str = "must be greater than or equal to 0";
pub const IMMUTABLE: &str = "field is immutable";
const TOTAL_ANNOTATION_SIZE: usize = 256 * 1024;

/// Which syntax an object's name must follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRule {
    /// Most kinds: an RFC 1123 subdomain (`my.name-1`).
    Dns1123Subdomain,
    /// Namespaces, StatefulSets: an RFC 1123 label.
    Dns1123Label,
    /// Services: an RFC 1035 label (starts with a letter).
    Dns1035Label,
    /// The generic rule every object passes: a usable path segment (RBAC names, custom resources).
    PathSegment,
}

impl NameRule {
    /// The problems with `name`; `prefix` when it is a `generateName` (a trailing `-` is fine).
    pub fn check(self, name: &str, prefix: bool) -> Vec<String> {
        let masked;
        let name = if prefix && self != NameRule::PathSegment {
            masked = mask_trailing_dash(name);
            masked.as_str()
        } else {
            name
        };
        match self {
            NameRule::Dns1123Subdomain => is_dns1123_subdomain(name),
            NameRule::Dns1123Label => is_dns1123_label(name),
            NameRule::Dns1035Label => is_dns1035_label(name),
            NameRule::PathSegment if prefix => is_valid_path_segment_prefix(name),
            NameRule::PathSegment => is_valid_path_segment_name(name),
        }
    }
}

/// Upstream's `maskTrailingDash` (which drops two characters, not one).
fn mask_trailing_dash(name: &str) -> String {
    if name.len() > 1 && name.ends_with('-') {
        let cut = name.len().saturating_sub(2);
        match name.get(..cut) {
            Some(head) => format!("{head}a"),
            None => name.to_owned(),
        }
    } else {
        name.to_owned()
    }
}

/// Whether an object must, must not, or may have a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Namespaced,
    Cluster,
    /// Unknown scope (custom resources validated without their definition): only the syntax of a
    /// namespace that is present is checked.
    Either,
}

impl Scope {
    pub fn from_namespaced(namespaced: bool) -> Scope {
        if namespaced {
            Scope::Namespaced
        } else {
            Scope::Cluster
        }
    }
}

/// How a kind's own validation checks its metadata.
pub struct MetaRules<'a> {
    pub scope: Scope,
    pub name: &'a dyn Fn(&str, bool) -> Vec<String>,
    /// Core's `ValidateObjectMeta` also requires finalizers to be standard or qualified
    /// (`kubernetes`, `orphan`, `foregroundDeletion`, or `domain/name`).
    pub kube_finalizers: bool,
}

/// `must be greater than or equal to 0` when negative.
pub fn nonneg(path: Path, value: i64) -> Option<FieldError> {
    (value < 0).then(|| FieldError::invalid(path, value, IS_NEGATIVE))
}

/// Push the non-negativity error of an optional integer field.
pub fn nonneg_field(errs: &mut Vec<FieldError>, v: &Value, key: &str, path: &Path) {
    if let Some(n) = int(v, key) {
        errs.extend(nonneg(path.child(key), n));
    }
}

/// `field is immutable` when the values differ semantically; `repr` prints the new value.
pub fn immutable(path: Path, new: &Value, old: &Value) -> Option<FieldError> {
    if same(new, old) {
        return None;
    }
    let err = FieldError::invalid(path, new.clone(), IMMUTABLE);
    Some(match new {
        Value::Object(_) | Value::Array(_) => {
            let repr = gorepr::structure("", new);
            err.with_value_repr(repr)
        }
        _ => err,
    })
}

/// Immutability of the same string field in two objects.
pub fn immutable_str(path: Path, new: &Value, old: &Value, key: &str) -> Option<FieldError> {
    let (n, o) = (str_of(new, key), str_of(old, key));
    (n != o).then(|| FieldError::invalid(path, n, IMMUTABLE))
}

/// A label key.
pub fn validate_label_name(name: &str, path: &Path) -> Vec<FieldError> {
    is_qualified_name(name)
        .into_iter()
        .map(|m| FieldError::invalid(path.clone(), name, m))
        .collect()
}

/// A qualified name (label keys, condition types, finalizers, …).
pub fn validate_qualified_name(name: &str, path: &Path) -> Vec<FieldError> {
    validate_label_name(name, path)
}

/// A label map: keys are qualified names, values label values. Errors are reported on the map's
/// path, as upstream does.
pub fn validate_labels(v: &Value, key: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (k, val) in string_entries(v, key) {
        errs.extend(validate_label_name(k, path));
        for msg in is_valid_label_value(val) {
            errs.push(FieldError::invalid(path.clone(), val, msg));
        }
    }
    errs
}

/// An annotation map: keys are qualified names (case-insensitively), total size ≤ 256 KiB.
pub fn validate_annotations(v: &Value, key: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0usize;
    for (k, val) in string_entries(v, key) {
        for msg in is_qualified_name(&k.to_lowercase()) {
            errs.push(FieldError::invalid(path.clone(), k, msg));
        }
        total += k.len() + val.len();
    }
    if total > TOTAL_ANNOTATION_SIZE {
        errs.push(FieldError::too_long(path.clone(), TOTAL_ANNOTATION_SIZE));
    }
    errs
}

/// Options of label selector validation.
#[derive(Clone, Copy, Debug, Default)]
pub struct SelectorOpts {
    pub allow_invalid_label_value: bool,
}

/// A `metav1.LabelSelector` (absent is fine).
pub fn validate_label_selector(
    sel: Option<&Value>,
    opts: SelectorOpts,
    path: &Path,
) -> Vec<FieldError> {
    let Some(sel) = sel.filter(|s| !s.is_null()) else {
        return Vec::new();
    };
    let mut errs = validate_labels(sel, "matchLabels", &path.child("matchLabels"));
    for (i, req) in arr(sel, "matchExpressions").iter().enumerate() {
        errs.extend(validate_selector_requirement(
            req,
            opts,
            &path.child("matchExpressions").index(i),
        ));
    }
    errs
}

fn validate_selector_requirement(req: &Value, opts: SelectorOpts, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let values = arr(req, "values");
    match str_of(req, "operator") {
        "In" | "NotIn" => {
            if values.is_empty() {
                errs.push(FieldError::required(
                    path.child("values"),
                    "must be specified when `operator` is 'In' or 'NotIn'",
                ));
            }
        }
        "Exists" | "DoesNotExist" => {
            if !values.is_empty() {
                errs.push(FieldError::forbidden(
                    path.child("values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                ));
            }
        }
        other => errs.push(FieldError::invalid(
            path.child("operator"),
            other,
            "not a valid selector operator",
        )),
    }
    errs.extend(validate_label_name(str_of(req, "key"), &path.child("key")));
    if !opts.allow_invalid_label_value {
        for (i, v) in strings(req, "values").into_iter().enumerate() {
            for msg in is_valid_label_value(v) {
                errs.push(FieldError::invalid(path.child("values").index(i), v, msg));
            }
        }
    }
    errs
}

/// Whether a label selector matches a label set (`None` selector matches nothing, an empty one
/// everything), as `metav1.LabelSelectorAsSelector(...).Matches(...)`.
pub fn selector_matches(sel: &Value, labels: &Value) -> bool {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    for (k, v) in string_entries(sel, "matchLabels") {
        if label(k) != Some(v) {
            return false;
        }
    }
    for req in arr(sel, "matchExpressions") {
        let key = str_of(req, "key");
        let values = strings(req, "values");
        let ok = match str_of(req, "operator") {
            "In" => label(key).is_some_and(|l| values.contains(&l)),
            "NotIn" => label(key).is_none_or(|l| !values.contains(&l)),
            "Exists" => label(key).is_some(),
            "DoesNotExist" => label(key).is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Whether a selector selects nothing in particular (no labels, no expressions).
pub fn selector_is_empty(sel: &Value) -> bool {
    arr(sel, "matchExpressions").is_empty() && obj(sel, "matchLabels").is_none_or(|m| m.is_empty())
}

/// Whether a selector converts to a `labels.Selector` (`LabelSelectorAsSelector`).
pub fn selector_convertible(sel: &Value) -> bool {
    arr(sel, "matchExpressions").iter().all(|r| {
        let n = arr(r, "values").len();
        match str_of(r, "operator") {
            "In" | "NotIn" => n > 0,
            "Exists" | "DoesNotExist" => n == 0,
            _ => false,
        }
    }) && string_entries(sel, "matchLabels")
        .iter()
        .all(|(k, v)| is_qualified_name(k).is_empty() && is_valid_label_value(v).is_empty())
}

const STANDARD_FINALIZERS: &[&str] = &["kubernetes", "orphan", "foregroundDeletion"];

/// The generic rules every object's metadata follows on create (`ValidateObjectMetaAccessor`).
pub fn validate_meta(meta: &Value, rules: &MetaRules<'_>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let generate_name = str_of(meta, "generateName");
    if !generate_name.is_empty() {
        for msg in (rules.name)(generate_name, true) {
            errs.push(FieldError::invalid(
                path.child("generateName"),
                generate_name,
                msg,
            ));
        }
    }
    let name = str_of(meta, "name");
    if name.is_empty() {
        // Upstream generates the name before validating; a name still missing while
        // generateName is set is left for the caller to generate.
        if generate_name.is_empty() {
            errs.push(FieldError::required(
                path.child("name"),
                "name or generateName is required",
            ));
        }
    } else {
        for msg in (rules.name)(name, false) {
            errs.push(FieldError::invalid(path.child("name"), name, msg));
        }
    }
    errs.extend(validate_namespace_field(meta, rules.scope, path));
    if let Some(g) = int(meta, "generation") {
        errs.extend(nonneg(path.child("generation"), g));
    }
    errs.extend(validate_labels(meta, "labels", &path.child("labels")));
    errs.extend(validate_annotations(
        meta,
        "annotations",
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        meta,
        &path.child("ownerReferences"),
    ));
    errs.extend(validate_finalizers(meta, &path.child("finalizers")));
    errs.extend(validate_managed_fields(meta, &path.child("managedFields")));
    if rules.kube_finalizers {
        errs.extend(validate_kube_finalizers(meta, &path.child("finalizers")));
    }
    errs
}

fn validate_namespace_field(meta: &Value, scope: Scope, path: &Path) -> Vec<FieldError> {
    let ns = str_of(meta, "namespace");
    let syntax = || {
        NameRule::Dns1123Label
            .check(ns, false)
            .into_iter()
            .map(|m| FieldError::invalid(path.child("namespace"), ns, m))
            .collect::<Vec<_>>()
    };
    match scope {
        Scope::Namespaced if ns.is_empty() => {
            vec![FieldError::required(path.child("namespace"), "")]
        }
        Scope::Namespaced => syntax(),
        Scope::Cluster if !ns.is_empty() => vec![FieldError::forbidden(
            path.child("namespace"),
            "not allowed on this type",
        )],
        Scope::Cluster => Vec::new(),
        Scope::Either if ns.is_empty() => Vec::new(),
        Scope::Either => syntax(),
    }
}

fn validate_owner_references(meta: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut first_controller: Option<String> = None;
    for r in arr(meta, "ownerReferences") {
        let api_version = str_of(r, "apiVersion");
        let (group, version) = match api_version.matches('/').count() {
            0 => ("", api_version),
            1 => api_version.split_once('/').unwrap_or(("", "")),
            _ => ("", ""),
        };
        let kind = str_of(r, "kind");
        if version.is_empty() {
            errs.push(FieldError::invalid(
                path.child("apiVersion"),
                api_version,
                "version must not be empty",
            ));
        }
        if kind.is_empty() {
            errs.push(FieldError::invalid(
                path.child("kind"),
                kind,
                "kind must not be empty",
            ));
        }
        let name = str_of(r, "name");
        if name.is_empty() {
            errs.push(FieldError::invalid(
                path.child("name"),
                name,
                "name must not be empty",
            ));
        }
        let uid = str_of(r, "uid");
        if uid.is_empty() {
            errs.push(FieldError::invalid(
                path.child("uid"),
                uid,
                "uid must not be empty",
            ));
        }
        if group.is_empty() && version == "v1" && kind == "Event" {
            errs.push(
                FieldError::invalid(
                    path.clone(),
                    r.clone(),
                    "/v1, Kind=Event is disallowed from being an owner",
                )
                .with_value_repr(gorepr::structure("v1.OwnerReference", r)),
            );
        }
        if r.get("controller").and_then(Value::as_bool) == Some(true) {
            let current = format!("{kind}/{name}");
            match &first_controller {
                Some(first) => errs.push(
                    FieldError::invalid(
                        path.clone(),
                        child(meta, "ownerReferences").clone(),
                        format!(
                            "Only one reference can have Controller set to true. Found \"true\" in references for {first} and {current}"
                        ),
                    )
                    .with_value_repr(format!(
                        "[]v1.OwnerReference{{{}}}",
                        arr(meta, "ownerReferences")
                            .iter()
                            .map(|o| gorepr::structure("v1.OwnerReference", o))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ),
                None => first_controller = Some(current),
            }
        }
    }
    errs
}

fn validate_finalizers(meta: &Value, path: &Path) -> Vec<FieldError> {
    let finalizers = strings(meta, "finalizers");
    let mut errs: Vec<FieldError> = finalizers
        .iter()
        .flat_map(|f| validate_qualified_name(f, path))
        .collect();
    if finalizers.contains(&"orphan") && finalizers.contains(&"foregroundDeletion") {
        errs.push(
            FieldError::invalid(
                path.clone(),
                child(meta, "finalizers").clone(),
                "finalizer orphan and foregroundDeletion cannot be both set",
            )
            .with_value_repr(gorepr::strs("string", &finalizers)),
        );
    }
    errs
}

fn validate_kube_finalizers(meta: &Value, path: &Path) -> Vec<FieldError> {
    strings(meta, "finalizers")
        .into_iter()
        .enumerate()
        .filter(|(_, f)| !f.contains('/') && !STANDARD_FINALIZERS.contains(f))
        .map(|(i, f)| {
            FieldError::invalid(
                path.index(i),
                f,
                "name is neither a standard finalizer name nor is it fully qualified",
            )
        })
        .collect()
}

/// A finalizer name in `spec.finalizers` of a Namespace.
pub fn validate_finalizer_name(name: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_qualified_name(name, path);
    if !name.contains('/') && !STANDARD_FINALIZERS.contains(&name) {
        errs.push(FieldError::invalid(
            path.clone(),
            name,
            "name is neither a standard finalizer name nor is it fully qualified",
        ));
    }
    errs
}

fn validate_managed_fields(meta: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, entry) in arr(meta, "managedFields").iter().enumerate() {
        let p = path.index(i);
        let op = str_of(entry, "operation");
        if op != "Apply" && op != "Update" {
            errs.push(FieldError::invalid(
                p.child("operation"),
                op,
                "must be `Apply` or `Update`",
            ));
        }
        let fields_type = str_of(entry, "fieldsType");
        if !fields_type.is_empty() && fields_type != "FieldsV1" {
            errs.push(FieldError::invalid(
                p.child("fieldsType"),
                fields_type,
                "must be `FieldsV1`",
            ));
        }
        errs.extend(validate_field_manager(
            str_of(entry, "manager"),
            &p.child("manager"),
        ));
        if str_of(entry, "subresource").len() > 256 {
            errs.push(FieldError::too_long(p.child("subresource"), 256));
        }
    }
    errs
}

fn validate_field_manager(manager: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if manager.len() > 128 {
        errs.push(FieldError::too_long(path.clone(), 128));
    }
    for (i, c) in manager.char_indices() {
        if c.is_control() {
            errs.push(FieldError::invalid(
                path.clone(),
                manager,
                format!("invalid character U+{:04X} (at position {i})", c as u32),
            ));
        }
    }
    errs
}

/// The generic rules of an update's metadata (`ValidateObjectMetaAccessorUpdate`).
pub fn validate_meta_update(new: &Value, old: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if has_str(old, "deletionTimestamp") {
        let old_f = strings(old, "finalizers");
        let mut extra: Vec<&str> = strings(new, "finalizers")
            .into_iter()
            .filter(|f| !old_f.contains(f))
            .collect();
        extra.sort_unstable();
        extra.dedup();
        if !extra.is_empty() {
            errs.push(FieldError::forbidden(
                path.child("finalizers"),
                format!(
                    "no new finalizers can be added if the object is being deleted, found new finalizers {}",
                    gorepr::strs("string", &extra)
                ),
            ));
        }
    }
    if str_of(new, "resourceVersion").is_empty() {
        errs.push(FieldError::invalid(
            path.child("resourceVersion"),
            "",
            "must be specified for an update",
        ));
    }
    let (ng, og) = (int_of(new, "generation"), int_of(old, "generation"));
    if ng < og {
        errs.push(FieldError::invalid(
            path.child("generation"),
            ng,
            "must not be decremented",
        ));
    }
    for key in ["name", "namespace", "uid"] {
        errs.extend(immutable_str(path.child(key), new, old, key));
    }
    for key in ["creationTimestamp", "deletionTimestamp"] {
        if opt_str(new, key) != opt_str(old, key) {
            errs.push(
                FieldError::invalid(path.child(key), child(new, key).clone(), IMMUTABLE)
                    .with_value_repr(time_repr(new, key)),
            );
        }
    }
    let (nd, od) = (
        int(new, "deletionGracePeriodSeconds"),
        int(old, "deletionGracePeriodSeconds"),
    );
    if nd != od {
        let value = nd.map_or(Value::Null, Value::from);
        errs.push(FieldError::invalid(
            path.child("deletionGracePeriodSeconds"),
            value,
            IMMUTABLE,
        ));
    }
    errs.extend(validate_labels(new, "labels", &path.child("labels")));
    errs.extend(validate_annotations(
        new,
        "annotations",
        &path.child("annotations"),
    ));
    errs.extend(validate_owner_references(
        new,
        &path.child("ownerReferences"),
    ));
    errs.extend(validate_managed_fields(new, &path.child("managedFields")));
    errs
}

fn time_repr(meta: &Value, key: &str) -> String {
    match get(meta, key) {
        // A zero creationTimestamp prints as Go's zero time.
        None if key == "creationTimestamp" => "0001-01-01 00:00:00 +0000 UTC".to_owned(),
        v => gorepr::time(v),
    }
}

fn has_str(v: &Value, key: &str) -> bool {
    opt_str(v, key).is_some_and(|s| !s.is_empty())
}

/// Core's `ValidateObjectMetaUpdate`: the generic update rules plus the finalizer-name rule.
pub fn validate_meta_update_kube(new: &Value, old: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_meta_update(new, old, path);
    errs.extend(validate_kube_finalizers(new, &path.child("finalizers")));
    errs
}

/// Validate `metav1.Condition`s (`ValidateConditions`).
pub fn validate_conditions(conditions: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in conditions.iter().enumerate() {
        let p = path.index(i);
        let ty = str_of(c, "type");
        if seen.contains(&ty) {
            errs.push(FieldError::duplicate(p.child("type"), ty));
        } else {
            seen.push(ty);
        }
        errs.extend(validate_label_name(ty, &p.child("type")));
        let status = str_of(c, "status");
        if !["False", "True", "Unknown"].contains(&status) {
            errs.push(FieldError::not_supported(
                p.child("status"),
                status,
                &["False", "True", "Unknown"],
            ));
        }
        if let Some(g) = int(c, "observedGeneration").filter(|g| *g < 0) {
            errs.push(FieldError::invalid(
                p.child("observedGeneration"),
                g,
                "must be greater than or equal to zero",
            ));
        }
        if str_of(c, "lastTransitionTime").is_empty() {
            errs.push(FieldError::required(
                p.child("lastTransitionTime"),
                "must be set",
            ));
        }
        let reason = str_of(c, "reason");
        if reason.is_empty() {
            errs.push(FieldError::required(p.child("reason"), "must be set"));
        } else {
            if !valid_condition_reason(reason) {
                errs.push(FieldError::invalid(
                    p.child("reason"),
                    reason,
                    super::names::regex_error(
                        "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_'",
                        "[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?",
                        &["my_name", "MY_NAME", "MyName", "ReasonA,ReasonB", "ReasonA:ReasonB"],
                    ),
                ));
            }
            if reason.len() > 1024 {
                errs.push(FieldError::too_long(p.child("reason"), 1024));
            }
        }
        if str_of(c, "message").len() > 32 * 1024 {
            errs.push(FieldError::too_long(p.child("message"), 32 * 1024));
        }
    }
    errs
}

fn valid_condition_reason(r: &str) -> bool {
    let b = r.as_bytes();
    let mid = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b',' || c == b':';
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphabetic()
                && (b.len() == 1 || l.is_ascii_alphanumeric() || *l == b'_')
                && b.iter().all(|&c| mid(c))
        }
        _ => false,
    }
}

/// Template metadata (pod templates, PVC templates): only labels and annotations are checked.
pub fn validate_template_meta(meta: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_labels(meta, "labels", &path.child("labels"));
    errs.extend(validate_annotations(
        meta,
        "annotations",
        &path.child("annotations"),
    ));
    errs
}

/// Whether a JSON value is present with a non-empty array.
pub fn non_empty(v: &Value, key: &str) -> bool {
    !arr(v, key).is_empty()
}

/// Errors `ValidateNonnegativeField` would report for each listed integer field.
pub fn nonneg_fields(errs: &mut Vec<FieldError>, v: &Value, keys: &[&str], path: &Path) {
    for key in keys {
        nonneg_field(errs, v, key, path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(scope: Scope) -> MetaRules<'static> {
        MetaRules {
            scope,
            name: &|n, p| NameRule::Dns1123Subdomain.check(n, p),
            kube_finalizers: true,
        }
    }

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.to_string()).collect()
    }

    fn meta(v: Value, scope: Scope) -> Vec<String> {
        msgs(validate_meta(&v, &rules(scope), &Path::new("metadata")))
    }

    #[test]
    fn names_and_namespaces() {
        assert!(
            meta(
                json!({"name": "ok", "namespace": "default"}),
                Scope::Namespaced
            )
            .is_empty()
        );
        assert_eq!(
            meta(json!({"namespace": "default"}), Scope::Namespaced),
            vec!["metadata.name: Required value: name or generateName is required"]
        );
        assert!(
            meta(
                json!({"generateName": "web-", "namespace": "d"}),
                Scope::Namespaced
            )
            .is_empty()
        );
        assert_eq!(
            meta(
                json!({"name": "Foo", "namespace": "default"}),
                Scope::Namespaced
            ),
            vec![
                "metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
            ]
        );
        assert_eq!(
            meta(json!({"name": "a"}), Scope::Namespaced),
            vec!["metadata.namespace: Required value"]
        );
        assert_eq!(
            meta(json!({"name": "a", "namespace": "x"}), Scope::Cluster),
            vec!["metadata.namespace: Forbidden: not allowed on this type"]
        );
        assert_eq!(
            meta(
                json!({"name": "a", "namespace": "Bad_NS"}),
                Scope::Namespaced
            )
            .len(),
            1
        );
        assert_eq!(
            meta(
                json!({"generateName": "Web-", "namespace": "d"}),
                Scope::Namespaced
            )[0]
            .split(':')
            .next(),
            Some("metadata.generateName")
        );
        assert!(NameRule::Dns1123Label.check("abc-", true).is_empty());
        assert_eq!(
            NameRule::PathSegment.check("a/b", false),
            vec!["may not contain '/'"]
        );
    }

    #[test]
    fn labels_annotations_finalizers_owners() {
        let got = meta(
            json!({"name": "a", "namespace": "d",
                   "labels": {"bad key": "ok", "app": "-bad"},
                   "annotations": {"Example.COM/Key": "v", "no way": "x"},
                   "finalizers": ["foo", "example.com/ok", "orphan", "foregroundDeletion"],
                   "ownerReferences": [
                       {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "1", "controller": true},
                       {"apiVersion": "apps/", "kind": "", "name": "", "uid": "", "controller": true}
                   ],
                   "generation": -1}),
            Scope::Namespaced,
        );
        assert_eq!(
            got[0],
            "metadata.generation: Invalid value: -1: must be greater than or equal to 0"
        );
        assert!(got[1].starts_with(
            "metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string"
        ));
        assert!(
            got[2].starts_with(
                "metadata.labels: Invalid value: \"bad key\": name part must consist of"
            )
        );
        assert!(got[3].starts_with(
            "metadata.annotations: Invalid value: \"no way\": name part must consist of"
        ));
        assert_eq!(
            got[4],
            "metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be empty"
        );
        assert_eq!(
            got[5],
            "metadata.ownerReferences.kind: Invalid value: \"\": kind must not be empty"
        );
        assert_eq!(
            got[6],
            "metadata.ownerReferences.name: Invalid value: \"\": name must not be empty"
        );
        assert_eq!(
            got[7],
            "metadata.ownerReferences.uid: Invalid value: \"\": uid must not be empty"
        );
        assert!(
            got[8].starts_with("metadata.ownerReferences: Invalid value: []v1.OwnerReference{")
        );
        assert!(got[8].ends_with("Only one reference can have Controller set to true. Found \"true\" in references for ReplicaSet/rs and /"));
        assert_eq!(
            got[9],
            "metadata.finalizers: Invalid value: []string{\"foo\", \"example.com/ok\", \"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set"
        );
        assert_eq!(
            got[10],
            "metadata.finalizers[0]: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified"
        );
        assert_eq!(got.len(), 11);
        let big = "x".repeat(TOTAL_ANNOTATION_SIZE);
        assert_eq!(
            meta(
                json!({"name": "a", "namespace": "d", "annotations": {"k": big}}),
                Scope::Namespaced
            ),
            vec!["metadata.annotations: Too long: may not be more than 262144 bytes"]
        );
    }

    #[test]
    fn updates() {
        let old = json!({"name": "a", "namespace": "d", "uid": "1", "resourceVersion": "5",
                         "creationTimestamp": "2024-01-02T03:04:05Z", "generation": 3});
        let mut new = old.clone();
        assert!(validate_meta_update(&new, &old, &Path::new("metadata")).is_empty());
        new["name"] = json!("b");
        new["uid"] = json!("2");
        new["generation"] = json!(2);
        new["creationTimestamp"] = json!("2025-01-02T03:04:05Z");
        new["resourceVersion"] = json!("");
        assert_eq!(
            msgs(validate_meta_update(&new, &old, &Path::new("metadata"))),
            vec![
                "metadata.resourceVersion: Invalid value: \"\": must be specified for an update",
                "metadata.generation: Invalid value: 2: must not be decremented",
                "metadata.name: Invalid value: \"b\": field is immutable",
                "metadata.uid: Invalid value: \"2\": field is immutable",
                "metadata.creationTimestamp: Invalid value: 2025-01-02 03:04:05 +0000 UTC: field is immutable",
            ]
        );
        let deleting = json!({"name": "a", "resourceVersion": "1", "deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["a/x"]});
        let mut added = deleting.clone();
        added["finalizers"] = json!(["a/x", "b/y"]);
        assert_eq!(
            msgs(validate_meta_update(
                &added,
                &deleting,
                &Path::new("metadata")
            )),
            vec![
                "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"b/y\"}"
            ]
        );
    }

    #[test]
    fn selectors() {
        let p = Path::new("spec").child("selector");
        let sel = json!({"matchExpressions": [
            {"key": "a", "operator": "In"},
            {"key": "b", "operator": "Exists", "values": ["x"]},
            {"key": "c", "operator": "Near", "values": ["-x"]}
        ]});
        assert_eq!(
            msgs(validate_label_selector(
                Some(&sel),
                SelectorOpts::default(),
                &p
            ))[..3],
            [
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                "spec.selector.matchExpressions[2].operator: Invalid value: \"Near\": not a valid selector operator",
            ]
        );
        let labels = json!({"app": "web", "tier": "fe"});
        assert!(selector_matches(
            &json!({"matchLabels": {"app": "web"}}),
            &labels
        ));
        assert!(!selector_matches(
            &json!({"matchLabels": {"app": "db"}}),
            &labels
        ));
        assert!(selector_matches(
            &json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "be"]}]}),
            &labels
        ));
        assert!(selector_matches(
            &json!({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}),
            &labels
        ));
        assert!(!selector_matches(
            &json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}),
            &labels
        ));
        assert!(selector_is_empty(&json!({"matchLabels": {}})));
        assert!(!selector_convertible(&sel));
    }

    #[test]
    fn conditions() {
        let c = json!([{"type": "Ready", "status": "Maybe", "reason": "bad reason", "lastTransitionTime": "2024-01-01T00:00:00Z"},
                       {"type": "Ready", "status": "True"}]);
        let got = msgs(validate_conditions(
            c.as_array().map(Vec::as_slice).unwrap_or(&[]),
            &Path::new("status").child("conditions"),
        ));
        assert_eq!(
            got[0],
            "status.conditions[0].status: Unsupported value: \"Maybe\": supported values: \"False\", \"True\", \"Unknown\""
        );
        assert!(got[1].starts_with("status.conditions[0].reason: Invalid value: \"bad reason\": a condition reason must start"));
        assert_eq!(
            got[2],
            "status.conditions[1].type: Duplicate value: \"Ready\""
        );
        assert_eq!(
            got[3],
            "status.conditions[1].lastTransitionTime: Required value: must be set"
        );
        assert_eq!(
            got[4],
            "status.conditions[1].reason: Required value: must be set"
        );
    }
}
