//! Validation of embedded resources (`x-kubernetes-embedded-resource`) below the root: their
//! `apiVersion`, `kind` and ObjectMeta (`pkg/apiserver/schema/objectmeta/validation.go`).

use serde_json::{Map, Value};

use super::gofmt::error_value;
use super::schema::{Additional, additional, embedded, items, properties};
use crate::api::field::{ErrorType, FieldError, Path};
use crate::api::validation::{NameRule, is_dns1035_label, validate_object_meta};

pub fn validate(schema: &Value, obj: &Value) -> Vec<FieldError> {
    walk(&Path::root(), obj, schema)
}

fn walk(path: &Path, x: &Value, s: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match x {
        Value::Object(map) => {
            if embedded(s) {
                errs.extend(validate_embedded(path, map));
            }
            let props = properties(s);
            let add = additional(s).and_then(Additional::schema);
            for (k, v) in map {
                if let Some(prop) = props.and_then(|p| p.get(k)) {
                    errs.extend(walk(&path.child(k), v, prop));
                } else if let Some(add) = add {
                    errs.extend(walk(&path.key(k), v, add));
                }
            }
        }
        Value::Array(list) => {
            if let Some(item) = items(s) {
                for (i, v) in list.iter().enumerate() {
                    errs.extend(walk(&path.index(i), v, item));
                }
            }
        }
        _ => {}
    }
    errs
}

fn invalid(field: Path, value: &Value, detail: impl Into<String>) -> FieldError {
    FieldError {
        kind: ErrorType::Invalid,
        field,
        value: Some(value.clone()),
        value_repr: Some(error_value(value)),
        detail: detail.into(),
    }
}

fn validate_embedded(path: &Path, x: &Map<String, Value>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for key in ["apiVersion", "kind"] {
        if !x.contains_key(key) {
            errs.push(FieldError::required(path.child(key), "must not be empty"));
        }
    }
    for (k, v) in x {
        let field = path.child(k);
        match k.as_str() {
            "apiVersion" => match v.as_str() {
                None => errs.push(invalid(field, v, "must be a string")),
                Some("") => errs.push(invalid(field, v, "must not be empty")),
                Some(av) if av != "/" && av.matches('/').count() > 1 => {
                    errs.push(invalid(
                        field,
                        v,
                        format!("unexpected GroupVersion string: {av}"),
                    ));
                }
                Some(_) => {}
            },
            "kind" => match v.as_str() {
                None => errs.push(invalid(field, v, "must be a string")),
                Some("") => errs.push(invalid(field, v, "must not be empty")),
                Some(kind) => {
                    let problems = is_dns1035_label(&kind.to_lowercase());
                    if !problems.is_empty() {
                        errs.push(invalid(
                            field,
                            v,
                            format!(
                                "may have mixed case, but should otherwise match: {}",
                                problems.join(",")
                            ),
                        ));
                    }
                }
            },
            "metadata" => match object_meta_error(v) {
                Some(msg) => errs.push(invalid(field, v, msg)),
                None => {
                    let mut meta = match v {
                        Value::Object(m) => m.clone(),
                        _ => Map::new(),
                    };
                    if meta
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .is_empty()
                    {
                        meta.insert("name".to_owned(), Value::from("fakename"));
                    }
                    let namespaced = meta
                        .get("namespace")
                        .and_then(Value::as_str)
                        .is_some_and(|ns| !ns.is_empty());
                    errs.extend(validate_object_meta(
                        &Value::Object(meta),
                        namespaced,
                        NameRule::PathSegment,
                        &field,
                    ));
                }
            },
            _ => {}
        }
    }
    errs
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_error(v: &Value, field: &str, go_type: &str) -> String {
    format!(
        "json: cannot unmarshal {} into Go struct field ObjectMeta.{field} of type {go_type}",
        json_type(v)
    )
}

/// The error decoding `metadata` into an ObjectMeta gives, if any (Go's first type mismatch).
fn object_meta_error(meta: &Value) -> Option<String> {
    let map = match meta {
        Value::Null => return None,
        Value::Object(m) => m,
        other => {
            return Some(format!(
                "json: cannot unmarshal {} into Go value of type v1.ObjectMeta",
                json_type(other)
            ));
        }
    };
    for (k, v) in map {
        if v.is_null() {
            continue;
        }
        let err = match k.as_str() {
            "name" | "generateName" | "namespace" | "selfLink" | "uid" | "resourceVersion"
            | "creationTimestamp" | "deletionTimestamp" => {
                (!v.is_string()).then(|| type_error(v, k, "string"))
            }
            "generation" | "deletionGracePeriodSeconds" => {
                (!(v.is_i64() || v.is_u64())).then(|| type_error(v, k, "int64"))
            }
            "labels" | "annotations" => match v.as_object() {
                None => Some(type_error(v, k, "map[string]string")),
                Some(m) => m
                    .values()
                    .find(|x| !x.is_string() && !x.is_null())
                    .map(|x| type_error(x, k, "string")),
            },
            "finalizers" => match v.as_array() {
                None => Some(type_error(v, k, "[]string")),
                Some(items) => items
                    .iter()
                    .find(|x| !x.is_string() && !x.is_null())
                    .map(|x| type_error(x, k, "string")),
            },
            "ownerReferences" | "managedFields" => {
                let elem = if k == "ownerReferences" {
                    "v1.OwnerReference"
                } else {
                    "v1.ManagedFieldsEntry"
                };
                match v.as_array() {
                    None => Some(type_error(v, k, &format!("[]{elem}"))),
                    Some(items) => items
                        .iter()
                        .find(|x| !x.is_object() && !x.is_null())
                        .map(|x| type_error(x, k, elem)),
                }
            }
            _ => None,
        };
        if err.is_some() {
            return err;
        }
    }
    None
}
