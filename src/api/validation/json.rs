//! Reading objects as stored JSON. Absent, `null` and wrongly typed fields read as absent: type
//! errors are the decoder's business, validation only judges values.

use serde_json::{Map, Value};

static EMPTY_MAP: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

/// The field, unless absent or `null`.
pub fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

/// Whether the field is present and not `null`.
pub fn has(v: &Value, key: &str) -> bool {
    get(v, key).is_some()
}

/// A string field; absent reads as `None`.
pub fn opt_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A string field; absent reads as `""`, as Go's zero value.
pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    opt_str(v, key).unwrap_or("")
}

/// A string field with upstream's default applied when absent or empty.
pub fn str_or<'a>(v: &'a Value, key: &str, default: &'a str) -> &'a str {
    match str_of(v, key) {
        "" => default,
        s => s,
    }
}

/// An integer field.
pub fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key).and_then(Value::as_i64)
}

/// An integer field; absent reads as 0.
pub fn int_of(v: &Value, key: &str) -> i64 {
    int(v, key).unwrap_or(0)
}

/// A boolean field.
pub fn boolean(v: &Value, key: &str) -> Option<bool> {
    v.get(key).and_then(Value::as_bool)
}

/// A boolean field; absent reads as false.
pub fn is_true(v: &Value, key: &str) -> bool {
    boolean(v, key).unwrap_or(false)
}

/// An array field; absent reads as empty.
pub fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// An object field.
pub fn obj<'a>(v: &'a Value, key: &str) -> Option<&'a Map<String, Value>> {
    v.get(key).and_then(Value::as_object)
}

/// An object field; absent reads as empty.
pub fn map_of<'a>(v: &'a Value, key: &str) -> &'a Map<String, Value> {
    obj(v, key).unwrap_or(&EMPTY_MAP)
}

/// A nested object, `Value::Null` when absent.
pub fn child<'a>(v: &'a Value, key: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    get(v, key).unwrap_or(&NULL)
}

/// The entries of a string map, sorted by key (Go iterates maps in random order; sorting makes our
/// messages deterministic).
pub fn string_entries<'a>(v: &'a Value, key: &str) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = map_of(v, key)
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
        .collect();
    out.sort();
    out
}

/// The strings of a string array.
pub fn strings<'a>(v: &'a Value, key: &str) -> Vec<&'a str> {
    arr(v, key).iter().filter_map(Value::as_str).collect()
}

/// An `IntOrString` field.
#[derive(Clone, Debug, PartialEq)]
pub enum IntOrString {
    Int(i64),
    Str(String),
}

impl IntOrString {
    pub fn from_value(v: &Value) -> Option<IntOrString> {
        match v {
            Value::Number(n) => n.as_i64().map(IntOrString::Int),
            Value::String(s) => Some(IntOrString::Str(s.clone())),
            _ => None,
        }
    }

    /// As JSON, for messages.
    pub fn to_value(&self) -> Value {
        match self {
            IntOrString::Int(i) => Value::from(*i),
            IntOrString::Str(s) => Value::from(s.as_str()),
        }
    }

    /// Go's `%#v` of an `intstr.IntOrString`.
    pub fn go_repr(&self) -> String {
        match self {
            IntOrString::Int(i) => format!("intstr.IntOrString{{Type:0, IntVal:{i}, StrVal:\"\"}}"),
            IntOrString::Str(s) => format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{s:?}}}"),
        }
    }
}

/// An `IntOrString` field.
pub fn int_or_string(v: &Value, key: &str) -> Option<IntOrString> {
    get(v, key).and_then(IntOrString::from_value)
}

/// A copy with Go's zero values dropped (`null`, `""`, `0`, `false`, `[]`, `{}`), so that two
/// objects compare as upstream's semantic deep-equality compares typed structs.
pub fn normalized(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let n = normalized(x);
                if !is_zero(&n) {
                    out.insert(k.clone(), n);
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
    }
}

/// Semantic equality of two fields (see [`normalized`]).
pub fn same(a: &Value, b: &Value) -> bool {
    normalized(a) == normalized(b)
}

/// Semantic equality of the same field in two objects.
pub fn same_field(a: &Value, b: &Value, key: &str) -> bool {
    same(child(a, key), child(b, key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accessors() {
        let v = json!({"s": "x", "e": "", "n": 3, "b": true, "a": [1, "y"], "m": {"k": "v", "j": "w"}, "z": null});
        assert_eq!(str_of(&v, "s"), "x");
        assert_eq!(str_of(&v, "missing"), "");
        assert_eq!(str_or(&v, "e", "d"), "d");
        assert_eq!(int(&v, "n"), Some(3));
        assert!(is_true(&v, "b"));
        assert_eq!(arr(&v, "a").len(), 2);
        assert_eq!(strings(&v, "a"), vec!["y"]);
        assert_eq!(string_entries(&v, "m"), vec![("j", "w"), ("k", "v")]);
        assert!(!has(&v, "z"));
        assert!(child(&v, "z").is_null());
        assert_eq!(
            int_or_string(&json!({"p": 80}), "p"),
            Some(IntOrString::Int(80))
        );
        assert_eq!(
            IntOrString::Str("http".into()).go_repr(),
            "intstr.IntOrString{Type:1, IntVal:0, StrVal:\"http\"}"
        );
    }

    #[test]
    fn semantic_equality_ignores_zero_values() {
        assert!(same(
            &json!({"a": [], "b": "", "c": {"d": null}}),
            &json!({})
        ));
        assert!(!same(&json!({"a": 1}), &json!({})));
        assert!(same(&json!({"a": [{"x": 0}]}), &json!({"a": [{}]})));
    }
}
