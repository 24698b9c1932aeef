//! How Go prints the decoded JSON values of custom resources in upstream's messages: `%v` and
//! `%#v` of `map[string]interface {}`, `[]interface {}`, `int64` and `float64`, and
//! `encoding/json`'s spelling of numbers. JSON integers that fit an `int64` are Go `int64`s,
//! every other number a `float64` (as `k8s.io/apimachinery/pkg/util/json` decodes them).

use serde_json::{Number, Value};

use crate::api::field::go_quote;

/// A JSON number as Go holds it after decoding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GoNum {
    Int(i64),
    Float(f64),
}

impl GoNum {
    pub fn of(n: &Number) -> GoNum {
        match n.as_i64() {
            Some(i) => GoNum::Int(i),
            None => GoNum::Float(n.as_f64().unwrap_or(0.0)),
        }
    }

    pub fn as_f64(self) -> f64 {
        match self {
            GoNum::Int(i) => i as f64,
            GoNum::Float(f) => f,
        }
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which is also `%v` of a `float64`: the shortest
/// representation, in exponent form when the exponent is below -4 or at least 6.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    let (neg, digits, exp) = shortest_digits(f);
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
    } else {
        out.push_str(&fixed(&digits, exp));
    }
    out
}

/// `encoding/json`'s spelling of a `float64`: plain decimal between 1e-6 and 1e21, exponent form
/// (`1e+21`, `1e-7`) outside.
pub fn json_float(f: f64) -> String {
    if f == 0.0 || !f.is_finite() {
        return go_float(f);
    }
    let abs = f.abs();
    let (neg, digits, exp) = shortest_digits(f);
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(1e-6..1e21).contains(&abs) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&exp.unsigned_abs().to_string());
    } else {
        out.push_str(&fixed(&digits, exp));
    }
    out
}

/// The shortest round-tripping decimal digits of `f` and its decimal exponent (the value is
/// `d.ddd × 10^exp`).
fn shortest_digits(f: f64) -> (bool, String, i32) {
    let s = format!("{:e}", f.abs());
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let digits = match digits.trim_end_matches('0') {
        "" => "0".to_owned(),
        d => d.to_owned(),
    };
    (f < 0.0, digits, exp.parse().unwrap_or(0))
}

fn fixed(digits: &str, exp: i32) -> String {
    if exp < 0 {
        let zeros = "0".repeat(exp.unsigned_abs() as usize - 1);
        return format!("0.{zeros}{digits}");
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        format!("{digits}{}", "0".repeat(int_len - digits.len()))
    } else {
        format!("{}.{}", &digits[..int_len], &digits[int_len..])
    }
}

fn go_num(n: &Number) -> String {
    match GoNum::of(n) {
        GoNum::Int(i) => i.to_string(),
        GoNum::Float(f) => go_float(f),
    }
}

/// Go's `%#v` of a decoded JSON value: `map[string]interface {}{"a":1}`,
/// `[]interface {}{"x", true}`, a quoted string, `interface {}(nil)` for null.
pub fn sharp_v(v: &Value) -> String {
    match v {
        Value::Null => "interface {}(nil)".to_owned(),
        _ => sharp_v_inner(v),
    }
}

fn sharp_v_inner(v: &Value) -> String {
    match v {
        Value::Null => "interface {}(nil)".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_num(n),
        Value::String(s) => go_quote(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(sharp_v_inner).collect();
            format!("[]interface {{}}{{{}}}", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{}", go_quote(k), sharp_v_inner(v)))
                .collect();
            format!("map[string]interface {{}}{{{}}}", inner.join(", "))
        }
    }
}

/// Go's `%v` of a decoded JSON value: `map[a:1 b:x]`, `[x true]`, `<nil>`.
pub fn plain_v(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_num(n),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(plain_v).collect();
            format!("[{}]", inner.join(" "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}:{}", plain_v(v)))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
    }
}

/// How upstream's `field.Error` prints a bad value: `"null"` for nil, strings quoted, numbers
/// and booleans bare, anything else as `%#v`.
pub fn error_value(v: &Value) -> String {
    match v {
        Value::Null => "\"null\"".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => go_num(n),
        Value::String(s) => go_quote(s),
        other => sharp_v(other),
    }
}

/// `encoding/json.Marshal` of a decoded value, with Go's spelling of numbers (keys are sorted,
/// as Go sorts map keys).
pub fn go_json(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match GoNum::of(n) {
            GoNum::Int(i) => i.to_string(),
            GoNum::Float(f) => json_float(f),
        },
        Value::String(s) => json_string(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(go_json).collect();
            format!("[{}]", inner.join(","))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{}", json_string(k), go_json(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
    }
}

/// A JSON string as `encoding/json` writes it (HTML-sensitive characters escaped).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_like_go() {
        for (f, want) in [
            (10.0, "10"),
            (1.5, "1.5"),
            (-2.25, "-2.25"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1e21, "1e+21"),
            (0.1, "0.1"),
        ] {
            assert_eq!(go_float(f), want, "{f}");
        }
        for (f, want) in [
            (1e6, "1000000"),
            (1.5, "1.5"),
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (3.0, "3"),
        ] {
            assert_eq!(json_float(f), want, "{f}");
        }
    }

    #[test]
    fn values_print_like_go() {
        let v = json!({"b": [1, "x", null], "a": 1.5, "c": {"d": true}});
        assert_eq!(
            sharp_v(&v),
            r#"map[string]interface {}{"a":1.5, "b":[]interface {}{1, "x", interface {}(nil)}, "c":map[string]interface {}{"d":true}}"#
        );
        assert_eq!(plain_v(&json!(["a", 1, 2.5])), "[a 1 2.5]");
        assert_eq!(error_value(&json!("x")), "\"x\"");
        assert_eq!(error_value(&json!(1e6)), "1e+06");
        assert_eq!(error_value(&Value::Null), "\"null\"");
        assert_eq!(
            error_value(&json!({"name": "a"})),
            r#"map[string]interface {}{"name":"a"}"#
        );
        assert_eq!(
            go_json(&json!({"b": 1.0, "a": "<x>"})),
            r#"{"a":"\u003cx\u003e","b":1}"#
        );
    }
}
