//! The uniqueness invariants of `x-kubernetes-list-type: set` and `map` lists
//! (`pkg/apiserver/schema/listtype`).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::gofmt::{GoNum, error_value, go_json};
use super::schema::{Additional, additional, items, list_map_keys, list_type, properties};
use crate::api::field::{ErrorType, FieldError, Path};

pub fn validate(schema: &Value, obj: &Value) -> Vec<FieldError> {
    match obj {
        Value::Object(map) => validate_map(&Path::root(), schema, map),
        _ => Vec::new(),
    }
}

fn validate_map(path: &Path, s: &Value, map: &Map<String, Value>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(add) = additional(s).and_then(Additional::schema) {
        for (k, v) in map {
            errs.extend(validate_any(&path.key(k), add, v));
        }
    }
    if let Some(props) = properties(s) {
        for (k, v) in map {
            if let Some(prop) = props.get(k) {
                errs.extend(validate_any(&path.child(k), prop, v));
            }
        }
    }
    errs
}

fn validate_any(path: &Path, s: &Value, v: &Value) -> Vec<FieldError> {
    match v {
        Value::Array(list) => validate_array(path, s, list),
        Value::Object(map) => validate_map(path, s, map),
        _ => Vec::new(),
    }
}

fn duplicate(field: Path, value: Value) -> FieldError {
    let repr = error_value(&value);
    FieldError {
        kind: ErrorType::Duplicate,
        field,
        value: Some(value),
        value_repr: Some(repr),
        detail: String::new(),
    }
}

fn validate_array(path: &Path, s: &Value, list: &[Value]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match list_type(s) {
        "set" => {
            let keys: Vec<Key> = list.iter().map(Key::of).collect();
            for i in non_unique(&keys) {
                errs.push(duplicate(path.index(i), list[i].clone()));
            }
        }
        "map" => errs.extend(validate_list_map(path, s, list)),
        _ => {}
    }
    if let Some(item) = items(s) {
        for (i, v) in list.iter().enumerate() {
            errs.extend(validate_any(&path.index(i), item, v));
        }
    }
    errs
}

/// How Go compares the elements of a set: scalars by type and value, compound values by their
/// JSON.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Unspecified,
    Null,
    Bool(bool),
    Str(String),
    Int(i64),
    Float(u64),
    Json(String),
}

impl Key {
    fn of(v: &Value) -> Key {
        match v {
            Value::Null => Key::Null,
            Value::Bool(b) => Key::Bool(*b),
            Value::String(s) => Key::Str(s.clone()),
            Value::Number(n) => match GoNum::of(n) {
                GoNum::Int(i) => Key::Int(i),
                GoNum::Float(f) => Key::Float(f.to_bits()),
            },
            other => Key::Json(go_json(other)),
        }
    }
}

/// The indices of the second appearance of each repeated key.
fn non_unique(keys: &[Key]) -> Vec<usize> {
    if keys.len() <= 1 {
        return Vec::new();
    }
    let mut seen: HashMap<&Key, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let times = seen.entry(k).or_insert(0);
        *times += 1;
        if *times == 2 {
            out.push(i);
        }
    }
    out
}

fn validate_list_map(path: &Path, s: &Value, list: &[Value]) -> Vec<FieldError> {
    if let Some((i, x)) = list
        .iter()
        .enumerate()
        .find(|(_, x)| !x.is_null() && !x.is_object())
    {
        let repr = error_value(x);
        return vec![FieldError {
            kind: ErrorType::Invalid,
            field: path.index(i),
            value: Some(x.clone()),
            value_repr: Some(repr),
            detail: "must be an object for an array of list-type map".to_owned(),
        }];
    }
    if list.len() <= 1 {
        return Vec::new();
    }
    let key_fields = list_map_keys(s);
    if let [field] = key_fields.as_slice() {
        let values: Vec<Option<&Value>> = list
            .iter()
            .map(|x| x.as_object().and_then(|o| o.get(*field)))
            .collect();
        let keys: Vec<Key> = values
            .iter()
            .map(|v| v.map_or(Key::Unspecified, Key::of))
            .collect();
        return non_unique(&keys)
            .into_iter()
            .map(|i| {
                let value = match values[i] {
                    None => json!({}),
                    Some(v) => json!({ *field: v }),
                };
                duplicate(path.index(i), value)
            })
            .collect();
    }
    let key_maps: Vec<Value> = list
        .iter()
        .map(|x| {
            let mut key = Map::new();
            if let Some(o) = x.as_object() {
                for f in &key_fields {
                    if let Some(v) = o.get(*f) {
                        key.insert((*f).to_owned(), v.clone());
                    }
                }
            }
            Value::Object(key)
        })
        .collect();
    let keys: Vec<Key> = key_maps.iter().map(Key::of).collect();
    non_unique(&keys)
        .into_iter()
        .map(|i| duplicate(path.index(i), key_maps[i].clone()))
        .collect()
}
