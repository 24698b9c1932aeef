//! Go's `%#v` of the few values upstream's messages print as Go syntax: string maps and slices,
//! label selectors, timestamps. Structs upstream prints with pointer addresses (not reproducible)
//! are rendered without them.

use serde_json::Value;

use super::json::{arr, get, obj, str_of, strings};

/// Go's `%q` of a string.
pub fn quote(s: &str) -> String {
    crate::api::field::go_quote(s)
}

/// `map[string]string{"a":"b", "c":"d"}`, or `map[string]string(nil)` when absent.
pub fn string_map(v: Option<&Value>) -> String {
    let Some(map) = v.and_then(Value::as_object) else {
        return "map[string]string(nil)".to_owned();
    };
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let entries: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                "{}:{}",
                quote(k),
                quote(map[k.as_str()].as_str().unwrap_or(""))
            )
        })
        .collect();
    format!("map[string]string{{{}}}", entries.join(", "))
}

/// `[]T{"a", "b"}`, or `[]T(nil)` when absent.
pub fn string_slice(type_name: &str, v: Option<&Value>) -> String {
    match v.and_then(Value::as_array) {
        None => format!("[]{type_name}(nil)"),
        Some(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|i| quote(i.as_str().unwrap_or("")))
                .collect();
            format!("[]{type_name}{{{}}}", items.join(", "))
        }
    }
}

/// `[]T{"a", "b"}` from string slices already in hand.
pub fn strs(type_name: &str, items: &[&str]) -> String {
    let items: Vec<String> = items.iter().map(|i| quote(i)).collect();
    format!("[]{type_name}{{{}}}", items.join(", "))
}

/// A label selector as upstream prints a dereferenced `*metav1.LabelSelector`.
pub fn label_selector(sel: &Value) -> String {
    let exprs = match get(sel, "matchExpressions").and_then(Value::as_array) {
        None => "[]v1.LabelSelectorRequirement(nil)".to_owned(),
        Some(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|r| {
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                        quote(str_of(r, "key")),
                        quote(str_of(r, "operator")),
                        string_slice("string", get(r, "values"))
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
    };
    format!(
        "v1.LabelSelector{{MatchLabels:{}, MatchExpressions:{exprs}}}",
        string_map(get(sel, "matchLabels"))
    )
}

/// A timestamp as Go's `time.Time.String()` prints it (`2024-01-02 03:04:05 +0000 UTC`); `"null"`
/// when absent, as upstream prints a nil `*metav1.Time`.
pub fn time(v: Option<&Value>) -> String {
    let Some(s) = v.and_then(Value::as_str) else {
        return "\"null\"".to_owned();
    };
    match s.parse::<jiff::Timestamp>() {
        Ok(ts) => {
            let base = ts.strftime("%Y-%m-%d %H:%M:%S").to_string();
            let nanos = ts.subsec_nanosecond();
            if nanos == 0 {
                format!("{base} +0000 UTC")
            } else {
                let frac = format!("{nanos:09}");
                format!("{base}.{} +0000 UTC", frac.trim_end_matches('0'))
            }
        }
        Err(_) => quote(s),
    }
}

/// A generic struct rendering for values upstream prints with `%#v` of an internal type:
/// `type{Field:value, …}` with JSON field names capitalised. Pointers print as their target
/// (upstream prints addresses, which no client can rely on).
pub fn structure(type_name: &str, v: &Value) -> String {
    format!("{type_name}{}", struct_body(v))
}

fn struct_body(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let fields: Vec<String> = m
                .iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| format!("{}:{}", capitalise(k), plain(x)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        other => plain(other),
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(plain).collect();
            format!("[]{{{}}}", items.join(", "))
        }
        Value::Object(_) => struct_body(v),
        other => other.to_string(),
    }
}

fn capitalise(k: &str) -> String {
    let mut c = k.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `[]string{…}` of an object's string array field.
pub fn field_strings(v: &Value, key: &str) -> String {
    if obj(v, key).is_some() || get(v, key).is_none() {
        return "[]string(nil)".to_owned();
    }
    strs("string", &strings(v, key))
}

/// Number of elements of an array field (for messages that print a count).
pub fn len(v: &Value, key: &str) -> usize {
    arr(v, key).len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_like_go() {
        assert_eq!(quote("a\"b\n"), "\"a\\\"b\\n\"");
        assert_eq!(
            string_map(Some(&json!({"b": "2", "a": "1"}))),
            "map[string]string{\"a\":\"1\", \"b\":\"2\"}"
        );
        assert_eq!(string_map(None), "map[string]string(nil)");
        assert_eq!(string_map(Some(&json!({}))), "map[string]string{}");
        assert_eq!(
            string_slice("string", Some(&json!(["a", "b"]))),
            "[]string{\"a\", \"b\"}"
        );
        assert_eq!(
            label_selector(&json!({"matchLabels": {"app": "nginx2"}})),
            "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"nginx2\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}"
        );
        assert_eq!(
            label_selector(
                &json!({"matchExpressions": [{"key": "a", "operator": "In", "values": ["x"]}]})
            ),
            "v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"a\", Operator:\"In\", Values:[]string{\"x\"}}}}"
        );
        assert_eq!(
            time(Some(&json!("2024-01-02T03:04:05Z"))),
            "2024-01-02 03:04:05 +0000 UTC"
        );
        assert_eq!(time(None), "\"null\"");
        assert_eq!(
            structure("core.X", &json!({"name": "a", "port": 80})),
            "core.X{Name:\"a\", Port:80}"
        );
        assert_eq!(field_strings(&json!({"x": ["a"]}), "x"), "[]string{\"a\"}");
        assert_eq!(len(&json!({"x": [1, 2]}), "x"), 2);
    }
}
