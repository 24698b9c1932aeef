//! Structural pruning (`pkg/apiserver/schema/pruning`), the pruning of `metadata` to ObjectMeta's
//! fields (`schema/objectmeta`), and the removal of non-nullable nulls without a default
//! (`schema/defaulting/prunenulls.go`), reporting the removed unknown fields as upstream's
//! strict field validation names them.

use serde_json::{Map, Value};

use super::schema::{Additional, additional, field_schema, items, nullable, preserves_unknown};
use super::schema::{default_of, embedded, properties};
use crate::api::field::Path;

const META_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

const OBJECT_META: &[&str] = &[
    "annotations",
    "creationTimestamp",
    "deletionGracePeriodSeconds",
    "deletionTimestamp",
    "finalizers",
    "generateName",
    "generation",
    "labels",
    "managedFields",
    "name",
    "namespace",
    "ownerReferences",
    "resourceVersion",
    "selfLink",
    "uid",
];
const OWNER_REFERENCE: &[&str] = &[
    "apiVersion",
    "blockOwnerDeletion",
    "controller",
    "kind",
    "name",
    "uid",
];
const MANAGED_FIELDS_ENTRY: &[&str] = &[
    "apiVersion",
    "fieldsType",
    "fieldsV1",
    "manager",
    "operation",
    "subresource",
    "time",
];

fn is_meta_field(k: &str) -> bool {
    META_FIELDS.contains(&k)
}

/// The whole coercion upstream applies to a decoded custom resource: unknown fields of the root
/// `metadata`, structural pruning, non-nullable nulls, unknown fields of embedded `metadata`.
pub fn prune_object(schema: &Value, obj: &mut Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(meta) = obj.get_mut("metadata") {
        prune_object_meta(meta, "metadata", &mut out);
    }
    let mut pruned = Vec::new();
    prune_node(obj, Some(schema), true, &mut String::new(), &mut pruned);
    pruned.sort();
    out.extend(pruned);
    prune_nulls(obj, Some(schema));
    let mut embedded_meta = Vec::new();
    coerce_embedded(obj, schema, &Path::root(), &mut embedded_meta);
    embedded_meta.sort();
    out.extend(embedded_meta);
    out
}

/// Structural pruning of a value against a (sub)schema, without ObjectMeta handling: used for
/// default values.
pub fn prune_value(schema: &Value, v: &mut Value) {
    prune_node(v, Some(schema), false, &mut String::new(), &mut Vec::new());
}

fn record(path: &str, key: &str, out: &mut Vec<String>) {
    if path.is_empty() {
        out.push(key.to_owned());
    } else {
        out.push(format!("{path}.{key}"));
    }
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

fn prune_node(
    x: &mut Value,
    s: Option<&Value>,
    root: bool,
    path: &mut String,
    out: &mut Vec<String>,
) {
    if let Some(s) = s.filter(|s| preserves_unknown(s)) {
        skip_prune(x, s, root, path, out);
        return;
    }
    let len = path.len();
    match x {
        Value::Object(map) => {
            let Some(s) = s else {
                for k in map.keys() {
                    record(path, k, out);
                }
                map.clear();
                return;
            };
            let is_embedded = root || embedded(s);
            let props = properties(s);
            let add = additional(s);
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                if is_embedded && is_meta_field(&k) {
                    continue;
                }
                let sub = match props.and_then(|p| p.get(&k)) {
                    Some(prop) => Some(Some(prop)),
                    None => add.map(Additional::schema),
                };
                match sub {
                    Some(sub) => {
                        if let Some(v) = map.get_mut(&k) {
                            push_key(path, &k);
                            prune_node(v, sub, false, path, out);
                            path.truncate(len);
                        }
                    }
                    None => {
                        if !is_meta_field(&k) || !path.is_empty() {
                            record(path, &k, out);
                        }
                        map.remove(&k);
                    }
                }
            }
        }
        Value::Array(list) => {
            let item = s.and_then(items);
            for (i, v) in list.iter_mut().enumerate() {
                path.push_str(&format!("[{i}]"));
                prune_node(v, item, false, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Below `x-kubernetes-preserve-unknown-fields`: unknown fields stay, known ones are pruned by
/// their schemas.
fn skip_prune(x: &mut Value, s: &Value, root: bool, path: &mut String, out: &mut Vec<String>) {
    let len = path.len();
    match x {
        Value::Object(map) => {
            let is_embedded = root || embedded(s);
            let props = properties(s);
            let add = additional(s);
            for (k, v) in map.iter_mut() {
                if is_embedded && is_meta_field(k) {
                    continue;
                }
                let sub = match props.and_then(|p| p.get(k)) {
                    Some(prop) => Some(Some(prop)),
                    None => add.map(Additional::schema),
                };
                if let Some(sub) = sub {
                    push_key(path, k);
                    prune_node(v, sub, false, path, out);
                    path.truncate(len);
                }
            }
        }
        Value::Array(list) => {
            if let Some(item) = items(s) {
                for (i, v) in list.iter_mut().enumerate() {
                    path.push_str(&format!("[{i}]"));
                    skip_prune(v, item, false, path, out);
                    path.truncate(len);
                }
            }
        }
        _ => {}
    }
}

/// Removes `null`s the schema neither allows (`nullable`) nor defaults.
pub fn prune_nulls(x: &mut Value, s: Option<&Value>) {
    match x {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                let sub = field_schema(s, &k);
                let drop = map.get(&k).is_some_and(Value::is_null)
                    && sub.is_some_and(|sub| !nullable(sub) && default_of(sub).is_none());
                if drop {
                    map.remove(&k);
                } else if let Some(v) = map.get_mut(&k) {
                    prune_nulls(v, sub);
                }
            }
        }
        Value::Array(list) => {
            let item = s.and_then(items);
            for v in list {
                prune_nulls(v, item);
            }
        }
        _ => {}
    }
}

/// Prunes a `metadata` value to ObjectMeta's fields, recording `<prefix>.<field>` for each
/// unknown one in the order a strict decode into `metav1.ObjectMeta` meets them (fields in name
/// order, `ownerReferences[0].foo` for nested ones).
pub fn prune_object_meta(meta: &mut Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = meta {
        prune_fields(map, OBJECT_META, prefix, out);
    }
}

fn prune_fields(map: &mut Map<String, Value>, known: &[&str], prefix: &str, out: &mut Vec<String>) {
    let keys: Vec<String> = map.keys().cloned().collect();
    for k in keys {
        if !known.contains(&k.as_str()) {
            out.push(format!("{prefix}.{k}"));
            map.remove(&k);
            continue;
        }
        let nested = match (known == OBJECT_META, k.as_str()) {
            (true, "ownerReferences") => OWNER_REFERENCE,
            (true, "managedFields") => MANAGED_FIELDS_ENTRY,
            _ => continue,
        };
        if let Some(Value::Array(list)) = map.get_mut(&k) {
            for (i, entry) in list.iter_mut().enumerate() {
                if let Value::Object(entry) = entry {
                    prune_fields(entry, nested, &format!("{prefix}.{k}[{i}]"), out);
                }
            }
        }
    }
}

/// The unknown fields of the `metadata` of embedded resources (`x-kubernetes-embedded-resource`)
/// below the root.
fn coerce_embedded(x: &mut Value, s: &Value, path: &Path, out: &mut Vec<String>) {
    match x {
        Value::Object(map) => {
            if embedded(s)
                && let Some(meta) = map.get_mut("metadata")
            {
                let prefix = path.child("metadata");
                prune_object_meta(meta, prefix.as_str(), out);
            }
            let props = properties(s);
            let add = additional(s).and_then(Additional::schema);
            for (k, v) in map.iter_mut() {
                if let Some(prop) = props.and_then(|p| p.get(k)) {
                    coerce_embedded(v, prop, &path.child(k), out);
                } else if let Some(add) = add {
                    coerce_embedded(v, add, &path.key(k), out);
                }
            }
        }
        Value::Array(list) => {
            if let Some(item) = items(s) {
                for (i, v) in list.iter_mut().enumerate() {
                    coerce_embedded(v, item, &path.index(i), out);
                }
            }
        }
        _ => {}
    }
}
