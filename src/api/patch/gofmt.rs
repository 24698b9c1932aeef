//! Upstream's patch errors print decoded JSON with Go's `%v` (`map[name:web $patch:delete]`) and
//! name Go types (`map[string]interface {}`). These helpers render a [`Value`] the same way so
//! our messages read like kube-apiserver's.

use std::fmt::Write;

use serde_json::Value;

/// Renders `v` as Go's `fmt` `%v` prints the same value decoded into `interface{}`: maps with
/// sorted keys as `map[k:v …]`, lists as `[a b]`, strings bare, null as `<nil>`.
pub(crate) fn value(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    out
}

/// Renders a list of values as Go prints a `[]interface{}`.
pub(crate) fn list(items: &[Value]) -> String {
    let mut out = String::new();
    write_list(&mut out, items);
    out
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                let _ = write!(out, "{i}");
            }
            (None, Some(u), _) => {
                let _ = write!(out, "{u}");
            }
            (None, None, Some(f)) => out.push_str(&float(f)),
            (None, None, None) => {
                let _ = write!(out, "{n}");
            }
        },
        Value::String(s) => out.push_str(s),
        Value::Array(items) => write_list(out, items),
        Value::Object(map) => {
            out.push_str("map[");
            // serde_json's map is ordered by key, as Go's fmt orders map keys.
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_value(out, v);
            }
            out.push(']');
        }
    }
}

fn write_list(out: &mut String, items: &[Value]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_value(out, item);
    }
    out.push(']');
}

/// Go's `%v` for a float64 (`%g`, shortest): plain decimal while the exponent is in -4..6,
/// otherwise an exponent with at least two digits (`1e+06`, `1.5e-07`).
fn float(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        return format!("{f}");
    }
    let exp = f.abs().log10().floor() as i32;
    if (-4..6).contains(&exp) {
        return format!("{f}");
    }
    // Rust's `{:e}` is shortest-roundtrip too: `1e6`, `1.5e-7`; Go writes `1e+06`, `1.5e-07`.
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// The Go type `encoding/json` decodes `v` into, as `reflect.Type` prints it; null has no type
/// and prints as Go prints a nil `reflect.Type` with `%s`.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "%!s(<nil>)",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// The JSON type name `encoding/json` uses in "cannot unmarshal X into …" errors.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_print_like_go() {
        let cases = [
            (json!(null), "<nil>"),
            (json!(true), "true"),
            (json!(80), "80"),
            (json!(-3), "-3"),
            (json!(1.5), "1.5"),
            (json!(1e21), "1e+21"),
            (json!(1000000.0), "1e+06"),
            (json!(123456.0), "123456"),
            (json!(0.00001), "1e-05"),
            (json!("web"), "web"),
            (json!([1, "a", null]), "[1 a <nil>]"),
            (
                json!({"name": "X", "$patch": "delete"}),
                "map[$patch:delete name:X]",
            ),
            (json!({"a": {"b": [1]}}), "map[a:map[b:[1]]]"),
        ];
        for (v, want) in cases {
            assert_eq!(value(&v), want, "{v}");
        }
    }

    #[test]
    fn types_print_like_go() {
        assert_eq!(type_name(&json!({})), "map[string]interface {}");
        assert_eq!(type_name(&json!([])), "[]interface {}");
        assert_eq!(type_name(&json!(1)), "int64");
        assert_eq!(type_name(&json!(1.5)), "float64");
        assert_eq!(json_kind(&json!([])), "array");
        assert_eq!(json_kind(&json!("s")), "string");
    }
}
