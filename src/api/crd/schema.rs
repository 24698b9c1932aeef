//! Reading an `openAPIV3Schema` node (a `JSONSchemaProps` as JSON) the way upstream's structural
//! schema sees it.

use serde_json::{Map, Value};

pub const PRESERVE_UNKNOWN: &str = "x-kubernetes-preserve-unknown-fields";
pub const EMBEDDED: &str = "x-kubernetes-embedded-resource";
pub const INT_OR_STRING: &str = "x-kubernetes-int-or-string";
pub const LIST_TYPE: &str = "x-kubernetes-list-type";
pub const LIST_MAP_KEYS: &str = "x-kubernetes-list-map-keys";

/// What a node says about fields it does not list in `properties`.
#[derive(Clone, Copy, Debug)]
pub enum Additional<'a> {
    /// `additionalProperties: true` or `false`.
    Bool(bool),
    /// `additionalProperties: {…}`.
    Schema(&'a Value),
}

impl<'a> Additional<'a> {
    /// The schema of additional properties, if one is given.
    pub fn schema(self) -> Option<&'a Value> {
        match self {
            Additional::Schema(s) => Some(s),
            Additional::Bool(_) => None,
        }
    }
}

pub fn properties(s: &Value) -> Option<&Map<String, Value>> {
    s.get("properties").and_then(Value::as_object)
}

pub fn property<'a>(s: &'a Value, name: &str) -> Option<&'a Value> {
    properties(s).and_then(|p| p.get(name))
}

/// `items` when it is a single schema (CRDs do not allow the tuple form).
pub fn items(s: &Value) -> Option<&Value> {
    s.get("items").filter(|i| i.is_object())
}

pub fn additional(s: &Value) -> Option<Additional<'_>> {
    match s.get("additionalProperties")? {
        Value::Bool(b) => Some(Additional::Bool(*b)),
        v @ Value::Object(_) => Some(Additional::Schema(v)),
        _ => None,
    }
}

pub fn flag(s: &Value, key: &str) -> bool {
    s.get(key).and_then(Value::as_bool).unwrap_or(false)
}

pub fn preserves_unknown(s: &Value) -> bool {
    flag(s, PRESERVE_UNKNOWN)
}

pub fn embedded(s: &Value) -> bool {
    flag(s, EMBEDDED)
}

pub fn nullable(s: &Value) -> bool {
    flag(s, "nullable")
}

/// The `default`, unless absent or `null` (which upstream treats as no default).
pub fn default_of(s: &Value) -> Option<&Value> {
    s.get("default").filter(|d| !d.is_null())
}

/// The schema of a field of an object: its property, else the additional-properties schema.
pub fn field_schema<'a>(s: Option<&'a Value>, name: &str) -> Option<&'a Value> {
    let s = s?;
    property(s, name).or_else(|| additional(s).and_then(Additional::schema))
}

pub fn str_of<'a>(s: &'a Value, key: &str) -> &'a str {
    s.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The accepted JSON types of a node: `type`, or `integer,string` for
/// `x-kubernetes-int-or-string`.
pub fn types(s: &Value) -> Vec<&str> {
    if flag(s, INT_OR_STRING) {
        return vec!["integer", "string"];
    }
    match str_of(s, "type") {
        "" => Vec::new(),
        t => vec![t],
    }
}

pub fn list_type(s: &Value) -> &str {
    str_of(s, LIST_TYPE)
}

pub fn list_map_keys(s: &Value) -> Vec<&str> {
    s.get(LIST_MAP_KEYS)
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

pub fn int_of(s: &Value, key: &str) -> Option<i64> {
    let v = s.get(key)?;
    v.as_i64().or_else(|| v.as_f64().map(|f| f as i64))
}

pub fn float_of(s: &Value, key: &str) -> Option<f64> {
    s.get(key).and_then(Value::as_f64)
}

/// The schemas of `allOf`/`anyOf`/`oneOf`.
pub fn list<'a>(s: &'a Value, key: &str) -> &'a [Value] {
    s.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}
