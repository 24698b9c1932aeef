//! Custom resources as apiextensions-apiserver (Kubernetes 1.33) serves them, as pure functions
//! over JSON: the resources a CustomResourceDefinition defines, structural pruning, defaulting
//! and schema validation of custom objects, the status the CRD controllers set, and conversion
//! between versions.
//!
//! Not covered: `x-kubernetes-validations` (CEL) rules are not evaluated, and webhook conversion
//! is refused.

mod defaults;
mod embedded;
pub mod formats;
pub mod gofmt;
mod listtype;
pub mod pattern;
mod prune;
mod schema;
mod validate;

#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::api::field::{FieldError, Path, go_quote};
use crate::api::registry::{ALL_VERBS, Gvk, Resource, Shape, Subresource};

const SUBRESOURCE_VERBS: [&str; 3] = ["get", "patch", "update"];
const TERMINATING_VERBS: [&str; 5] = ["delete", "deletecollection", "get", "list", "watch"];
const APPROVAL_ANNOTATION: &str = "api-approved.kubernetes.io";

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn is_true(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// `spec.names` with upstream's defaults: `singular` is the lowercased kind, `listKind` the kind
/// followed by `List`.
fn defaulted_names(names: &Value) -> Map<String, Value> {
    let mut out = names.as_object().cloned().unwrap_or_default();
    let kind = text(names, "kind").to_owned();
    if text(names, "singular").is_empty() && !kind.is_empty() {
        out.insert("singular".to_owned(), Value::from(kind.to_lowercase()));
    }
    if text(names, "listKind").is_empty() && !kind.is_empty() {
        out.insert("listKind".to_owned(), Value::from(format!("{kind}List")));
    }
    out
}

/// The names the CRD is served under: `status.acceptedNames` once set, else `spec.names`.
fn served_names(crd: &Value) -> Value {
    let accepted = crd.pointer("/status/acceptedNames");
    match accepted {
        Some(a) if !text(a, "plural").is_empty() && !text(a, "kind").is_empty() => {
            Value::Object(defaulted_names(a))
        }
        _ => Value::Object(defaulted_names(
            crd.pointer("/spec/names").unwrap_or(&Value::Null),
        )),
    }
}

fn parse_kube_version(v: &str) -> Option<(u64, u8, u64)> {
    let rest = v.strip_prefix('v')?;
    let major_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if major_len == 0 {
        return None;
    }
    let major: u64 = rest[..major_len].parse().ok()?;
    let rest = &rest[major_len..];
    if rest.is_empty() {
        return Some((major, 2, 0));
    }
    let (kind, minor) = if let Some(m) = rest.strip_prefix("alpha") {
        (0, m)
    } else if let Some(m) = rest.strip_prefix("beta") {
        (1, m)
    } else {
        return None;
    };
    if minor.is_empty() || !minor.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((major, kind, minor.parse().ok()?))
}

/// Upstream's version priority (`version.CompareKubeAwareVersionStrings`): `Greater` when `a`
/// comes first. GA before beta before alpha, then higher major, then higher minor; versions that
/// are not Kubernetes-like come last, in alphabetical order: v2, v1, v1beta2, v1beta1, v1alpha1,
/// foo.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    match (parse_kube_version(a), parse_kube_version(b)) {
        (None, None) => b.cmp(a),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some((ma, ta, na)), Some((mb, tb, nb))) => ta.cmp(&tb).then(ma.cmp(&mb)).then(na.cmp(&nb)),
    }
}

/// A version entry with the deprecated top-level `validation`, `subresources` and
/// `additionalPrinterColumns` filled in when it has none of its own.
fn version_entry(spec: &Value, version: &Value) -> Value {
    let mut entry = version.as_object().cloned().unwrap_or_default();
    for (own, top) in [
        ("schema", "validation"),
        ("subresources", "subresources"),
        ("additionalPrinterColumns", "additionalPrinterColumns"),
    ] {
        if !entry.contains_key(own)
            && let Some(v) = spec.get(top).filter(|v| !v.is_null())
        {
            entry.insert(own.to_owned(), v.clone());
        }
    }
    Value::Object(entry)
}

fn condition_true(crd: &Value, kind: &str) -> bool {
    conditions(crd)
        .iter()
        .any(|c| text(c, "type") == kind && text(c, "status") == "True")
}

fn conditions(crd: &Value) -> Vec<Value> {
    crd.pointer("/status/conditions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The versions of a CRD: `spec.versions`, or the single `spec.version` of old v1beta1 objects.
fn versions(spec: &Value) -> Vec<Value> {
    match spec.get("versions").and_then(Value::as_array) {
        Some(v) if !v.is_empty() => v.clone(),
        _ => match spec.get("version").and_then(Value::as_str) {
            Some(name) if !name.is_empty() => {
                vec![json!({"name": name, "served": true, "storage": true})]
            }
            _ => Vec::new(),
        },
    }
}

/// The resources a CRD serves: one per `served` version, most preferred first. Call it only for
/// CRDs that are Established. `preferred` is set on the highest-priority served version of this
/// CRD; when several CRDs share a group, the caller picks the group's preferred version with
/// [`compare_versions`].
pub fn resources(crd: &Value) -> Result<Vec<Resource>, String> {
    let spec = crd.get("spec").unwrap_or(&Value::Null);
    let group = text(spec, "group");
    if group.is_empty() {
        return Err("the definition has no spec.group".to_owned());
    }
    let names = served_names(crd);
    let (plural, kind) = (text(&names, "plural"), text(&names, "kind"));
    if plural.is_empty() || kind.is_empty() {
        return Err("the definition names no plural or kind".to_owned());
    }
    let namespaced = match text(spec, "scope") {
        "Namespaced" => true,
        "Cluster" => false,
        other => return Err(format!("unknown scope {other:?}")),
    };
    let all = versions(spec);
    let storage_version = all
        .iter()
        .find(|v| is_true(v, "storage"))
        .map(|v| text(v, "name").to_owned())
        .ok_or_else(|| "the definition has no storage version".to_owned())?;
    let mut served: Vec<&Value> = all.iter().filter(|v| is_true(v, "served")).collect();
    served.sort_by(|a, b| compare_versions(text(b, "name"), text(a, "name")));
    let verbs: Vec<String> = if condition_true(crd, "Terminating") {
        TERMINATING_VERBS.iter().map(|v| v.to_string()).collect()
    } else {
        ALL_VERBS.iter().map(|v| v.to_string()).collect()
    };
    let subresource_verbs: Vec<String> = SUBRESOURCE_VERBS.iter().map(|v| v.to_string()).collect();
    let mut out = Vec::with_capacity(served.len());
    for (i, version) in served.into_iter().enumerate() {
        let name = text(version, "name");
        let entry = version_entry(spec, version);
        let gvk = Gvk::new(group, name, kind);
        let mut subresources = Vec::new();
        let sub = entry.get("subresources").unwrap_or(&Value::Null);
        if sub.get("status").is_some_and(|s| !s.is_null()) {
            subresources.push(Subresource {
                name: "status".to_owned(),
                gvk: gvk.clone(),
                verbs: subresource_verbs.clone(),
            });
        }
        if sub.get("scale").is_some_and(|s| !s.is_null()) {
            subresources.push(Subresource {
                name: "scale".to_owned(),
                gvk: Gvk::new("autoscaling", "v1", "Scale"),
                verbs: subresource_verbs.clone(),
            });
        }
        out.push(Resource {
            gvk,
            plural: plural.to_owned(),
            singular: text(&names, "singular").to_owned(),
            namespaced,
            short_names: strings(&names, "shortNames"),
            categories: strings(&names, "categories"),
            verbs: verbs.clone(),
            subresources,
            storage: format!("{group}/{plural}"),
            storage_version: storage_version.clone(),
            shape: Shape::Stored,
            preferred: i == 0,
            crd_version: Some(Arc::new(entry)),
        });
    }
    Ok(out)
}

/// The `openAPIV3Schema` of a version entry (its `schema`, or the deprecated `validation`).
pub fn schema_of(crd_version: &Value) -> Option<&Value> {
    ["schema", "validation"]
        .iter()
        .find_map(|k| crd_version.get(*k)?.get("openAPIV3Schema"))
        .filter(|s| s.is_object())
}

static EMPTY_SCHEMA: Value = Value::Null;

fn schema_or_empty(schema: &Value) -> &Value {
    if schema.is_object() {
        schema
    } else {
        &EMPTY_SCHEMA
    }
}

/// Removes the fields the structural schema does not know, as upstream does when it decodes a
/// custom resource: unknown fields of the root `metadata` (ObjectMeta's fields only), fields
/// outside the schema (kept below `x-kubernetes-preserve-unknown-fields`, and `apiVersion`,
/// `kind`, `metadata` of the root and of `x-kubernetes-embedded-resource`s), `null`s that are
/// neither nullable nor defaulted, and unknown fields of embedded `metadata`. Returns the paths of
/// the removed unknown fields (`metadata.foo`, `spec.bar`, `spec.items[0].baz`), as
/// `fieldValidation=Strict`/`Warn` report them (`unknown field "spec.bar"`).
pub fn prune(schema: &Value, obj: &mut Value) -> Vec<String> {
    prune::prune_object(schema_or_empty(schema), obj)
}

/// Applies the schema's `default`s to absent fields (and non-nullable `null`s), recursively,
/// including inside array items and additional properties. Upstream defaults on every decode:
/// requests and reads from storage alike.
pub fn apply_defaults(schema: &Value, obj: &mut Value) {
    defaults::default(obj, schema_or_empty(schema));
}

/// Validates a new custom object against its version's schema: the OpenAPI value validations
/// with upstream's messages, embedded resources, and `x-kubernetes-list-type` uniqueness.
/// `x-kubernetes-validations` (CEL) rules are not evaluated.
pub fn validate(schema: &Value, obj: &Value) -> Vec<FieldError> {
    let schema = schema_or_empty(schema);
    let mut errs = validate::validate_value(schema, obj, None, None);
    errs.extend(embedded::validate(schema, obj));
    errs.extend(listtype::validate(schema, obj));
    errs
}

/// Validates an update: like [`validate`], but with upstream's validation ratcheting: errors in
/// parts equal to the old object are dropped, and list-type errors only count when the old
/// object had none.
pub fn validate_update(schema: &Value, new: &Value, old: &Value) -> Vec<FieldError> {
    let schema = schema_or_empty(schema);
    let mut errs = validate::validate_value(schema, new, None, Some(old));
    errs.extend(embedded::validate(schema, new));
    if listtype::validate(schema, old).is_empty() {
        errs.extend(listtype::validate(schema, new));
    }
    errs
}

/// Validates an update through the `status` subresource: only `status`, against the schema's
/// `status` property, with errors under `status` (the messages name the field relative to it:
/// `status.replicas: Invalid value: "string": replicas in body must be of type integer`).
pub fn validate_status_update(schema: &Value, new: &Value, old: &Value) -> Vec<FieldError> {
    let schema = schema_or_empty(schema);
    let mut errs = Vec::new();
    if let Some(status) = new.get("status") {
        let status_schema = schema::property(schema, "status").unwrap_or(&EMPTY_SCHEMA);
        errs = validate::validate_value(
            status_schema,
            status,
            Some(&Path::new("status")),
            old.get("status"),
        );
    }
    let list_errs = listtype::validate(schema, new);
    if !list_errs.is_empty() && listtype::validate(schema, old).is_empty() {
        errs.extend(list_errs);
    }
    errs
}

/// Go's `%T` of a decoded JSON value.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) => match gofmt::GoNum::of(n) {
            gofmt::GoNum::Int(_) => "int64",
            gofmt::GoNum::Float(_) => "float64",
        },
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// `unstructured.NestedInt64`/`NestedString` at a scale path (`.spec.replicas`): the value (zero
/// when absent) or the accessor error.
fn nested<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let trimmed = path.strip_prefix('.').unwrap_or(path);
    trimmed
        .split('.')
        .try_fold(obj, |v, key| v.as_object()?.get(key))
}

fn accessor_error(path: &str, v: &Value, expected: &str) -> String {
    let trimmed = path.strip_prefix('.').unwrap_or(path);
    format!(
        ".{trimmed} accessor error: {} is of the type {}, expected {expected}",
        gofmt::plain_v(v),
        go_type(v)
    )
}

fn check_replicas(obj: &Value, path: &str) -> Option<FieldError> {
    let field = Path::new(path);
    let (value, detail) = match nested(obj, path) {
        None => return None,
        Some(v) => match v.as_i64() {
            None => (0, accessor_error(path, v, "int64")),
            Some(n) if n < 0 => (n, "should be a non-negative integer".to_owned()),
            Some(n) if n > i64::from(i32::MAX) => {
                (n, format!("should be less than or equal to {}", i32::MAX))
            }
            Some(_) => return None,
        },
    };
    Some(FieldError::invalid(field, value, detail))
}

/// The checks upstream makes of the replica counts (and label selector) the `scale` subresource
/// reads: `spec` for create and update, `status` for every write. Paths are printed as the CRD
/// spells them (`.spec.replicas: Invalid value: -1: should be a non-negative integer`). Upstream
/// reports these after the schema errors and before those of embedded resources and list types.
pub fn validate_scale(crd_version: &Value, obj: &Value, spec: bool) -> Vec<FieldError> {
    let Some(scale) = crd_version
        .pointer("/subresources/scale")
        .filter(|s| s.is_object())
    else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    if spec {
        errs.extend(check_replicas(obj, text(scale, "specReplicasPath")));
    }
    errs.extend(check_replicas(obj, text(scale, "statusReplicasPath")));
    let selector_path = text(scale, "labelSelectorPath");
    if !selector_path.is_empty()
        && let Some(v) = nested(obj, selector_path).filter(|v| !v.is_string())
    {
        errs.push(FieldError::invalid(
            Path::new(selector_path),
            "",
            accessor_error(selector_path, v, "string"),
        ));
    }
    errs
}

fn condition(kind: &str, status: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({
        "type": kind,
        "status": status,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    })
}

/// Upstream's `SetCRDCondition`: replaces the condition of the same type, keeping its
/// `lastTransitionTime` when the status does not change.
fn set_condition(conds: &mut Vec<Value>, new: Value) {
    let kind = text(&new, "type").to_owned();
    match conds.iter_mut().find(|c| text(c, "type") == kind) {
        None => conds.push(new),
        Some(existing) => {
            let keep_time = text(existing, "status") == text(&new, "status")
                && !text(existing, "lastTransitionTime").is_empty();
            let time = if keep_time {
                existing.get("lastTransitionTime").cloned()
            } else {
                new.get("lastTransitionTime").cloned()
            };
            let mut updated = new;
            if let (Some(obj), Some(time)) = (updated.as_object_mut(), time) {
                obj.insert("lastTransitionTime".to_owned(), time);
            }
            *existing = updated;
        }
    }
}

/// `acceptedNames` as upstream serializes `CustomResourceDefinitionNames`.
fn names_json(n: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    let get = |k: &str| n.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    out.insert("plural".to_owned(), Value::from(get("plural")));
    if !get("singular").is_empty() {
        out.insert("singular".to_owned(), Value::from(get("singular")));
    }
    for list in ["shortNames", "categories"] {
        if let Some(items) = n
            .get(list)
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
        {
            out.insert(list.to_owned(), Value::Array(items.clone()));
        }
    }
    out.insert("kind".to_owned(), Value::from(get("kind")));
    if !get("listKind").is_empty() {
        out.insert("listKind".to_owned(), Value::from(get("listKind")));
    }
    Value::Object(out)
}

/// The condition of the API-approval controller for protected groups (`*.k8s.io`,
/// `*.kubernetes.io`).
fn approval_condition(crd: &Value, now: &str) -> Option<Value> {
    let group = crd.pointer("/spec/group").and_then(Value::as_str)?;
    let protected = group == "k8s.io"
        || group.ends_with(".k8s.io")
        || group == "kubernetes.io"
        || group.ends_with(".kubernetes.io");
    if !protected {
        return None;
    }
    let annotation = crd
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(APPROVAL_ANNOTATION))
        .and_then(Value::as_str)
        .unwrap_or("");
    let kind = "KubernetesAPIApprovalPolicyConformant";
    let quoted = go_quote(APPROVAL_ANNOTATION);
    let url_like = annotation.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && !rest.is_empty()
            && !rest.starts_with('/')
    });
    Some(if annotation.is_empty() {
        condition(
            kind,
            "False",
            "MissingAnnotation",
            &format!(
                "protected groups must have approval annotation {quoted}, see https://github.com/kubernetes/enhancements/pull/1111"
            ),
            now,
        )
    } else if annotation.starts_with("unapproved") {
        condition(
            kind,
            "False",
            "UnapprovedAnnotation",
            &format!("not approved: {}", go_quote(annotation)),
            now,
        )
    } else if url_like {
        condition(
            kind,
            "True",
            "ApprovedAnnotation",
            &format!("approved in {annotation}"),
            now,
        )
    } else {
        condition(
            kind,
            "False",
            "InvalidAnnotation",
            &format!(
                "protected groups must have approval annotation {quoted} with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111"
            ),
            now,
        )
    })
}

/// The status upstream's CRD controllers (naming, establishing, API approval) converge to once
/// the definition is served. `conflicting` is a requested name (plural, singular, short name,
/// kind or list kind) that another definition of the group already uses: the names are then not
/// accepted (`NamesAccepted=False` with upstream's reason and message) and a definition not yet
/// established stays so. `storedVersions` gains the storage version. `now` is an RFC 3339
/// timestamp for conditions that change.
pub fn status(crd: &Value, conflicting: Option<String>, now: &str) -> Value {
    let requested = defaulted_names(crd.pointer("/spec/names").unwrap_or(&Value::Null));
    let old_status = crd.get("status").cloned().unwrap_or(Value::Null);
    let mut conds = conditions(crd);
    let mut accepted = old_status
        .get("acceptedNames")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();

    let conflict = conflicting.map(|name| {
        let req = |k: &str| requested.get(k).and_then(Value::as_str).unwrap_or("");
        let field = if req("plural") == name {
            "plural"
        } else if req("singular") == name {
            "singular"
        } else if strings(&Value::Object(requested.clone()), "shortNames").contains(&name) {
            "shortNames"
        } else if req("kind") == name {
            "kind"
        } else if req("listKind") == name {
            "listKind"
        } else {
            "plural"
        };
        (field, name)
    });
    for field in [
        "plural",
        "singular",
        "shortNames",
        "kind",
        "listKind",
        "categories",
    ] {
        if conflict.as_ref().is_some_and(|(f, _)| *f == field) {
            continue;
        }
        match requested.get(field) {
            Some(v) => accepted.insert(field.to_owned(), v.clone()),
            None => accepted.remove(field),
        };
    }

    let names_accepted = match &conflict {
        None => condition(
            "NamesAccepted",
            "True",
            "NoConflicts",
            "no conflicts found",
            now,
        ),
        Some((field, name)) => {
            let reason = match *field {
                "singular" => "SingularConflict",
                "shortNames" => "ShortNamesConflict",
                "kind" => "KindConflict",
                "listKind" => "ListKindConflict",
                _ => "PluralConflict",
            };
            let message = format!("{} is already in use", go_quote(name));
            condition("NamesAccepted", "False", reason, &message, now)
        }
    };
    set_condition(&mut conds, names_accepted);
    let established = conds.iter().any(|c| text(c, "type") == "Established");
    if conflict.is_none() {
        if !condition_true(crd, "Established") {
            set_condition(
                &mut conds,
                condition(
                    "Established",
                    "True",
                    "InitialNamesAccepted",
                    "the initial names have been accepted",
                    now,
                ),
            );
        }
    } else if !established {
        set_condition(
            &mut conds,
            condition(
                "Established",
                "False",
                "NotAccepted",
                "not all names are accepted",
                now,
            ),
        );
    }
    if let Some(approval) = approval_condition(crd, now) {
        set_condition(&mut conds, approval);
    }

    let mut stored: Vec<Value> = old_status
        .get("storedVersions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let spec = crd.get("spec").unwrap_or(&Value::Null);
    if let Some(storage) = versions(spec)
        .iter()
        .find(|v| is_true(v, "storage"))
        .map(|v| text(v, "name").to_owned())
        && !stored.iter().any(|s| s.as_str() == Some(storage.as_str()))
    {
        stored.push(Value::from(storage));
    }

    json!({
        "acceptedNames": names_json(&accepted),
        "conditions": conds,
        "storedVersions": stored,
    })
}

/// Converts a custom object (or a list of them) to another version of its CRD. With the `None`
/// strategy only `apiVersion` changes, as upstream's no-op converter does; `Webhook` conversion
/// is not supported (an error, unless the object is already at that version).
pub fn convert(mut obj: Value, to_version: &str, crd: &Value) -> Result<Value, String> {
    let spec = crd.get("spec").unwrap_or(&Value::Null);
    let group = text(spec, "group");
    let kind = text(&served_names(crd), "kind").to_owned();
    let all = versions(spec);
    let valid = |api_version: &str| {
        all.iter()
            .any(|v| format!("{group}/{}", text(v, "name")) == api_version)
    };
    let target = format!("{group}/{to_version}");
    if !valid(&target) {
        return Err(format!(
            "request to convert CR to an invalid group/version: {target}"
        ));
    }
    let from = text(&obj, "apiVersion").to_owned();
    if !valid(&from) {
        return Err(format!(
            "request to convert CR from an invalid group/version: {from}"
        ));
    }
    let is_list = obj.get("items").is_some_and(Value::is_array)
        && text(&obj, "kind").ends_with("List")
        && text(&obj, "kind") != kind;
    let mut to_convert = !is_list && from != target;
    if is_list && let Some(items) = obj.get("items").and_then(Value::as_array) {
        for (i, item) in items.iter().enumerate() {
            let item_version = text(item, "apiVersion");
            if !valid(item_version) {
                return Err(format!(
                    "request to convert CR list failed, list index {i} has invalid group/version: {item_version}"
                ));
            }
            to_convert |= item_version != target;
        }
    }
    let strategy = match crd
        .pointer("/spec/conversion/strategy")
        .and_then(Value::as_str)
    {
        None | Some("") => "None",
        Some(s) => s,
    };
    match strategy {
        "None" => {}
        "Webhook" if !to_convert => {}
        "Webhook" => {
            return Err(format!(
                "conversion webhook for {from}, Kind={kind} failed: webhook conversion is not supported"
            ));
        }
        other => {
            return Err(format!(
                "unknown conversion strategy {} for CRD {}",
                go_quote(other),
                crd.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            ));
        }
    }
    if is_list && let Some(items) = obj.get_mut("items").and_then(Value::as_array_mut) {
        for item in items {
            if let Some(m) = item.as_object_mut() {
                m.insert("apiVersion".to_owned(), Value::from(target.clone()));
            }
        }
    }
    if let Some(m) = obj.as_object_mut() {
        m.insert("apiVersion".to_owned(), Value::from(target));
    }
    Ok(obj)
}
