//! The subset of Kubernetes JSONPath that CRD printer columns use, evaluated like client-go's
//! `jsonpath` with `AllowMissingKeys(true)`: fields (`.spec.replicas`, `['a.b']`, `a\.b`),
//! wildcards, indexes and slices, recursive descent (`..name`) and filters
//! (`[?(@.type=="Ready")]`, `[?(@.ready)]`).

use serde_json::Value;

/// Why a path could not be parsed or evaluated; printed cells become `null`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Error;

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Path(Vec<Segment>),
    Literal(Literal),
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Field(String),
    Wildcard,
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: Option<i64>,
        single: bool,
    },
    Recursive,
    Filter {
        left: Vec<Segment>,
        op: Option<(String, Operand)>,
    },
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct JsonPath(Vec<Segment>);

pub(super) fn parse(expr: &str) -> Result<JsonPath, Error> {
    let mut text = expr.trim();
    if let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        text = inner.trim();
    }
    let text = text.strip_prefix('$').unwrap_or(text);
    Ok(JsonPath(parse_segments(text)?))
}

fn is_terminator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}')
}

/// Reads an identifier at the start of `s` (backslash escapes a character); returns it and the
/// rest.
fn identifier(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            if let Some((_, escaped)) = chars.next() {
                out.push(escaped);
            }
            continue;
        }
        if is_terminator(c) {
            return (out, &s[i..]);
        }
        out.push(c);
    }
    (out, "")
}

/// The index of the `]` closing the bracket opened at the start of `s`, skipping quoted text
/// and nested brackets.
fn closing_bracket(s: &str) -> Result<usize, Error> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '[' | '(' => depth += 1,
                ')' => depth -= 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                _ => {}
            },
        }
    }
    Err(Error)
}

fn parse_segments(mut s: &str) -> Result<Vec<Segment>, Error> {
    let mut segments = Vec::new();
    while !s.is_empty() {
        if let Some(rest) = s.strip_prefix("..") {
            segments.push(Segment::Recursive);
            s = rest;
            if !s.starts_with('[') {
                let (name, rest) = identifier(s);
                if name.is_empty() {
                    return Err(Error);
                }
                segments.push(field_or_wildcard(name));
                s = rest;
            }
        } else if let Some(rest) = s.strip_prefix('.') {
            let (name, rest) = identifier(rest);
            // A bare `.` (the whole object) selects nothing further.
            if !name.is_empty() {
                segments.push(field_or_wildcard(name));
            }
            s = rest;
        } else if s.starts_with('[') {
            let close = closing_bracket(s)?;
            segments.push(parse_bracket(s[1..close].trim())?);
            s = &s[close + 1..];
        } else {
            // A leading identifier without a dot, e.g. `spec.replicas`.
            let (name, rest) = identifier(s);
            if name.is_empty() {
                return Err(Error);
            }
            segments.push(field_or_wildcard(name));
            s = rest;
        }
    }
    Ok(segments)
}

fn field_or_wildcard(name: String) -> Segment {
    if name == "*" {
        Segment::Wildcard
    } else {
        Segment::Field(name)
    }
}

fn unquote(s: &str) -> Option<&str> {
    let s = s.trim();
    if s.len() >= 2
        && ((s.starts_with('\'') && s.ends_with('\'')) || (s.starts_with('"') && s.ends_with('"')))
    {
        Some(&s[1..s.len() - 1])
    } else {
        None
    }
}

fn parse_bracket(inner: &str) -> Result<Segment, Error> {
    if let Some(filter) = inner.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) {
        return parse_filter(filter.trim());
    }
    if inner == "*" {
        return Ok(Segment::Wildcard);
    }
    if let Some(key) = unquote(inner) {
        return Ok(Segment::Field(key.to_owned()));
    }
    let parts: Vec<&str> = inner.split(':').map(str::trim).collect();
    let number = |p: &str| -> Result<Option<i64>, Error> {
        if p.is_empty() {
            Ok(None)
        } else {
            p.parse().map(Some).map_err(|_| Error)
        }
    };
    match parts.as_slice() {
        [index] => {
            let index = number(index)?.ok_or(Error)?;
            Ok(Segment::Slice {
                start: Some(index),
                end: Some(index + 1),
                step: None,
                single: true,
            })
        }
        [start, end] => Ok(Segment::Slice {
            start: number(start)?,
            end: number(end)?,
            step: None,
            single: false,
        }),
        [start, end, step] => Ok(Segment::Slice {
            start: number(start)?,
            end: number(end)?,
            step: number(step)?,
            single: false,
        }),
        _ => Err(Error),
    }
}

/// Splits `a OP b` at the first comparison operator outside quotes.
fn split_operator(s: &str) -> Option<(&str, &str, &str)> {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None => {
                for op in ["==", "!=", "<=", ">=", "<", ">"] {
                    if s[i..].starts_with(op) {
                        return Some((&s[..i], op, &s[i + op.len()..]));
                    }
                }
            }
        }
    }
    None
}

fn parse_operand(s: &str) -> Result<Operand, Error> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('@') {
        return Ok(Operand::Path(parse_segments(rest)?));
    }
    if let Some(text) = unquote(s) {
        return Ok(Operand::Literal(Literal::String(text.to_owned())));
    }
    match s {
        "true" => return Ok(Operand::Literal(Literal::Bool(true))),
        "false" => return Ok(Operand::Literal(Literal::Bool(false))),
        _ => {}
    }
    if let Ok(i) = s.parse::<i64>() {
        return Ok(Operand::Literal(Literal::Int(i)));
    }
    s.parse::<f64>()
        .map(|f| Operand::Literal(Literal::Float(f)))
        .map_err(|_| Error)
}

fn parse_filter(s: &str) -> Result<Segment, Error> {
    match split_operator(s) {
        None => {
            let path = s.strip_prefix('@').ok_or(Error)?;
            Ok(Segment::Filter {
                left: parse_segments(path)?,
                op: None,
            })
        }
        Some((left, op, right)) => {
            let Operand::Path(left) = parse_operand(left)? else {
                return Err(Error);
            };
            Ok(Segment::Filter {
                left,
                op: Some((op.to_owned(), parse_operand(right)?)),
            })
        }
    }
}

impl JsonPath {
    /// Every value the path selects, in order; `Err` where client-go reports an error.
    pub(super) fn find<'a>(&self, root: &'a Value) -> Result<Vec<&'a Value>, Error> {
        eval(&self.0, vec![root])
    }
}

fn eval<'a>(segments: &[Segment], mut current: Vec<&'a Value>) -> Result<Vec<&'a Value>, Error> {
    for segment in segments {
        current = step(segment, current)?;
    }
    Ok(current)
}

fn descendants<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    out.push(v);
    match v {
        Value::Object(m) => m.values().for_each(|c| descendants(c, out)),
        Value::Array(a) => a.iter().for_each(|c| descendants(c, out)),
        _ => {}
    }
}

fn step<'a>(segment: &Segment, input: Vec<&'a Value>) -> Result<Vec<&'a Value>, Error> {
    let mut out = Vec::new();
    match segment {
        Segment::Field(name) => {
            for v in input {
                if let Some(found) = v.as_object().and_then(|m| m.get(name)) {
                    out.push(found);
                }
            }
        }
        Segment::Wildcard => {
            for v in input {
                match v {
                    Value::Object(m) => out.extend(m.values()),
                    Value::Array(a) => out.extend(a.iter()),
                    _ => {}
                }
            }
        }
        Segment::Recursive => {
            for v in input {
                descendants(v, &mut out);
            }
        }
        Segment::Slice {
            start,
            end,
            step,
            single,
        } => {
            for v in input {
                if v.is_null() {
                    continue;
                }
                let items = v.as_array().ok_or(Error)?;
                let len = i64::try_from(items.len()).map_err(|_| Error)?;
                let mut from = start.unwrap_or(0);
                if from < 0 {
                    from += len;
                }
                let mut to = end.unwrap_or(len);
                // `[-1]` means "the last one": its derived end (0) counts from the end too.
                if to < 0 || (*single && to == 0) {
                    to += len;
                }
                if from == to {
                    continue;
                }
                if from < 0 || from >= len || to < 0 || to > len || from > to {
                    return Err(Error);
                }
                let stride = match step {
                    Some(s) if *s <= 0 => return Err(Error),
                    Some(s) => usize::try_from(*s).map_err(|_| Error)?,
                    None => 1,
                };
                let (from, to) = (
                    usize::try_from(from).map_err(|_| Error)?,
                    usize::try_from(to).map_err(|_| Error)?,
                );
                out.extend(items[from..to].iter().step_by(stride));
            }
        }
        Segment::Filter { left, op } => {
            for v in input {
                let Some(items) = v.as_array() else {
                    continue;
                };
                for item in items {
                    let lefts = eval(left, vec![item])?;
                    let Some((op, right)) = op else {
                        if !lefts.is_empty() {
                            out.push(item);
                        }
                        continue;
                    };
                    let left_value = match lefts.as_slice() {
                        [] => continue,
                        [one] => *one,
                        _ => return Err(Error),
                    };
                    let right_value = match right {
                        Operand::Literal(l) => literal_value(l),
                        Operand::Path(p) => match eval(p, vec![item])?.as_slice() {
                            [one] => (*one).clone(),
                            _ => return Err(Error),
                        },
                    };
                    if compare(left_value, op, &right_value)? {
                        out.push(item);
                    }
                }
            }
        }
    }
    Ok(out)
}

fn literal_value(l: &Literal) -> Value {
    match l {
        Literal::String(s) => Value::from(s.as_str()),
        Literal::Int(i) => Value::from(*i),
        Literal::Float(f) => Value::from(*f),
        Literal::Bool(b) => Value::from(*b),
    }
}

/// Go template comparison: same basic kinds only (all numbers compare as numbers).
fn compare(left: &Value, op: &str, right: &Value) -> Result<bool, Error> {
    use std::cmp::Ordering;
    let ordering = match (left, right) {
        (Value::String(a), Value::String(b)) => a.cmp(b),
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => {
                let (a, b) = (a.as_f64().ok_or(Error)?, b.as_f64().ok_or(Error)?);
                a.partial_cmp(&b).ok_or(Error)?
            }
        },
        (Value::Bool(a), Value::Bool(b)) => {
            return match op {
                "==" => Ok(a == b),
                "!=" => Ok(a != b),
                _ => Err(Error),
            };
        }
        _ => return Err(Error),
    };
    Ok(match op {
        "==" => ordering == Ordering::Equal,
        "!=" => ordering != Ordering::Equal,
        "<" => ordering == Ordering::Less,
        "<=" => ordering != Ordering::Greater,
        ">" => ordering == Ordering::Greater,
        ">=" => ordering != Ordering::Less,
        _ => return Err(Error),
    })
}

/// A value as Go's `fmt.Fprint` prints the decoded JSON (`map[a:1 b:x]`, `[a b]`, `1e+06`).
pub(super) fn go_format(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            // Integers beyond int64 decode as float64 in Go.
            (None, Some(u)) => go_float(u as f64),
            _ => go_float(n.as_f64().unwrap_or(0.0)),
        },
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(go_format).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_format(&map[k.as_str()])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// A float64 as Go's `%v` prints it: shortest digits, exponent form when the decimal exponent
/// is below -4 or at least 6 (`strconv`'s `%g` rule for shortest precision).
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".to_owned()
        } else {
            "-Inf".to_owned()
        };
    }
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn find(path: &str, v: &Value) -> Result<Vec<Value>, Error> {
        parse(path)?
            .find(v)
            .map(|r| r.into_iter().cloned().collect())
    }

    #[test]
    fn paths() {
        let obj = json!({
            "metadata": {"name": "x", "annotations": {"example.com/a.b": "dotted"}},
            "spec": {"replicas": 3, "items": [{"n": 1}, {"n": 2}, {"n": 3}], "nothing": null},
            "status": {"conditions": [
                {"type": "Synced", "status": "True"},
                {"type": "Ready", "status": "False", "reason": "Waiting"},
                {"type": "Ready", "status": "Unknown"}
            ]}
        });
        assert_eq!(find(".spec.replicas", &obj), Ok(vec![json!(3)]));
        assert_eq!(find("{.spec.replicas}", &obj), Ok(vec![json!(3)]));
        assert_eq!(find("$.spec.replicas", &obj), Ok(vec![json!(3)]));
        assert_eq!(find(".spec.missing.deeper", &obj), Ok(vec![]));
        assert_eq!(find(".spec.nothing", &obj), Ok(vec![json!(null)]));
        assert_eq!(find(".spec.items[1].n", &obj), Ok(vec![json!(2)]));
        assert_eq!(find(".spec.items[-1].n", &obj), Ok(vec![json!(3)]));
        assert_eq!(
            find(".spec.items[*].n", &obj),
            Ok(vec![json!(1), json!(2), json!(3)])
        );
        assert_eq!(
            find(".spec.items[0:2].n", &obj),
            Ok(vec![json!(1), json!(2)])
        );
        assert_eq!(
            find(".spec.items[::2].n", &obj),
            Ok(vec![json!(1), json!(3)])
        );
        assert_eq!(find(".spec.items[5].n", &obj), Err(Error));
        assert_eq!(find(".spec.replicas[0]", &obj), Err(Error));
        assert_eq!(
            find(".status.conditions[?(@.type==\"Ready\")].status", &obj),
            Ok(vec![json!("False"), json!("Unknown")])
        );
        assert_eq!(
            find(".status.conditions[?(@.type == 'Synced')].status", &obj),
            Ok(vec![json!("True")])
        );
        assert_eq!(
            find(".status.conditions[?(@.reason)].type", &obj),
            Ok(vec![json!("Ready")])
        );
        assert_eq!(
            find(".spec.items[?(@.n > 1)].n", &obj),
            Ok(vec![json!(2), json!(3)])
        );
        assert_eq!(find(".spec.items[?(@.n == 'x')].n", &obj), Err(Error));
        assert_eq!(
            find(".metadata.annotations['example.com/a.b']", &obj),
            Ok(vec![json!("dotted")])
        );
        assert_eq!(
            find(".metadata.annotations.example\\.com/a\\.b", &obj),
            Ok(vec![json!("dotted")])
        );
        assert_eq!(find("..type", &obj).map(|v| v.len()), Ok(3));
        assert!(parse(".spec[?(@.a ==)]").is_err());
    }

    #[test]
    fn go_formatting() {
        assert_eq!(go_format(&json!("s")), "s");
        assert_eq!(go_format(&json!(12)), "12");
        assert_eq!(go_format(&json!(1.5)), "1.5");
        assert_eq!(go_format(&json!(1.0)), "1");
        assert_eq!(go_format(&json!(1e21)), "1e+21");
        assert_eq!(go_format(&json!(1e6)), "1e+06");
        assert_eq!(go_format(&json!(1234567.0)), "1.234567e+06");
        assert_eq!(go_format(&json!(123456.0)), "123456");
        assert_eq!(go_format(&json!(0.0001)), "0.0001");
        assert_eq!(go_format(&json!(0.00001)), "1e-05");
        assert_eq!(go_format(&json!(true)), "true");
        assert_eq!(go_format(&json!([1, "a", null])), "[1 a <nil>]");
        assert_eq!(
            go_format(&json!({"b": {"c": 1}, "a": [2]})),
            "map[a:[2] b:map[c:1]]"
        );
    }
}
