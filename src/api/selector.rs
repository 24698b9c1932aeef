//! Label and field selectors: parsing upstream's string syntax and `LabelSelector` objects, and
//! matching.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: BTreeSet<String>,
}

impl Requirement {
    fn matches(&self, labels: &Map<String, Value>) -> bool {
        let value = labels.get(&self.key).and_then(Value::as_str);
        match self.op {
            Op::Equals | Op::In => value.is_some_and(|v| self.values.contains(v)),
            Op::NotEquals | Op::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Op::Exists => value.is_some(),
            Op::DoesNotExist => value.is_none(),
            Op::GreaterThan | Op::LessThan => {
                let (Some(v), Some(bound)) = (
                    value.and_then(|v| v.parse::<i64>().ok()),
                    self.values
                        .iter()
                        .next()
                        .and_then(|b| b.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                if self.op == Op::GreaterThan {
                    v > bound
                } else {
                    v < bound
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = || self.values.iter().cloned().collect::<Vec<_>>().join(",");
        match self.op {
            Op::Equals => write!(f, "{}={}", self.key, values()),
            Op::NotEquals => write!(f, "{}!={}", self.key, values()),
            Op::In => write!(f, "{} in ({})", self.key, values()),
            Op::NotIn => write!(f, "{} notin ({})", self.key, values()),
            Op::Exists => write!(f, "{}", self.key),
            Op::DoesNotExist => write!(f, "!{}", self.key),
            Op::GreaterThan => write!(f, "{}>{}", self.key, values()),
            Op::LessThan => write!(f, "{}<{}", self.key, values()),
        }
    }
}

/// A conjunction of label requirements. The empty selector matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector {
    pub requirements: Vec<Requirement>,
    /// A selector that matches nothing (a `null` selector where upstream means "none").
    pub nothing: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct SelectorError(pub String);

impl LabelSelector {
    pub fn everything() -> Self {
        LabelSelector::default()
    }

    pub fn nothing() -> Self {
        LabelSelector {
            requirements: Vec::new(),
            nothing: true,
        }
    }

    pub fn is_everything(&self) -> bool {
        !self.nothing && self.requirements.is_empty()
    }

    /// Matches against an object's `metadata.labels` (absent labels = no labels).
    pub fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        if self.nothing {
            return false;
        }
        let empty = Map::new();
        let labels = labels.unwrap_or(&empty);
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Parses upstream's string syntax: `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        for part in split_top_level(s) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            requirements.push(parse_requirement(part)?);
        }
        Ok(LabelSelector {
            requirements,
            nothing: false,
        })
    }

    /// Converts a `metav1.LabelSelector` object (`matchLabels` + `matchExpressions`).
    pub fn from_object(obj: &Value) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        if let Some(labels) = obj.get("matchLabels").and_then(Value::as_object) {
            for (k, v) in labels {
                let v = v
                    .as_str()
                    .ok_or_else(|| SelectorError(format!("matchLabels[{k}] must be a string")))?;
                requirements.push(Requirement {
                    key: k.clone(),
                    op: Op::Equals,
                    values: [v.to_owned()].into(),
                });
            }
        }
        for expr in obj
            .get("matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = expr
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let values: BTreeSet<String> = expr
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let op = match expr
                .get("operator")
                .and_then(Value::as_str)
                .unwrap_or_default()
            {
                "In" => Op::In,
                "NotIn" => Op::NotIn,
                "Exists" => Op::Exists,
                "DoesNotExist" => Op::DoesNotExist,
                other => {
                    return Err(SelectorError(format!(
                        "{other:?} is not a valid label selector operator"
                    )));
                }
            };
            match op {
                Op::In | Op::NotIn if values.is_empty() => {
                    return Err(SelectorError(format!(
                        "for '{}', '{}' operators, values set can't be empty",
                        "in", "notin"
                    )));
                }
                Op::Exists | Op::DoesNotExist if !values.is_empty() => {
                    return Err(SelectorError(
                        "values set must be empty for exists and does not exist".into(),
                    ));
                }
                _ => {}
            }
            requirements.push(Requirement { key, op, values });
        }
        Ok(LabelSelector {
            requirements,
            nothing: false,
        })
    }
}

impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.requirements.iter().map(|r| r.to_string()).collect();
        f.write_str(&parts.join(","))
    }
}

/// Splits on commas that are not inside parentheses.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn parse_requirement(part: &str) -> Result<Requirement, SelectorError> {
    let err =
        |detail: &str| SelectorError(format!("unable to parse requirement: {detail}: {part:?}"));
    if let Some(key) = part.strip_prefix('!') {
        let key = key.trim();
        check_key(key).map_err(|e| err(&e))?;
        return Ok(Requirement {
            key: key.to_owned(),
            op: Op::DoesNotExist,
            values: BTreeSet::new(),
        });
    }
    for (token, op) in [(" notin ", Op::NotIn), (" in ", Op::In)] {
        if let Some(idx) = part.find(token) {
            let key = part[..idx].trim();
            let rest = part[idx + token.len()..].trim();
            let inner = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .ok_or_else(|| err("expected a parenthesised list of values"))?;
            check_key(key).map_err(|e| err(&e))?;
            let values: BTreeSet<String> = inner.split(',').map(|v| v.trim().to_owned()).collect();
            for v in &values {
                check_value(v).map_err(|e| err(&e))?;
            }
            return Ok(Requirement {
                key: key.to_owned(),
                op,
                values,
            });
        }
    }
    for (token, op) in [
        ("!=", Op::NotEquals),
        ("==", Op::Equals),
        ("=", Op::Equals),
        (">", Op::GreaterThan),
        ("<", Op::LessThan),
    ] {
        if let Some(idx) = part.find(token) {
            let key = part[..idx].trim();
            let value = part[idx + token.len()..].trim();
            check_key(key).map_err(|e| err(&e))?;
            check_value(value).map_err(|e| err(&e))?;
            if matches!(op, Op::GreaterThan | Op::LessThan) && value.parse::<i64>().is_err() {
                return Err(err(
                    "for 'Gt', 'Lt' operators, the value must be an integer",
                ));
            }
            return Ok(Requirement {
                key: key.to_owned(),
                op,
                values: [value.to_owned()].into(),
            });
        }
    }
    let key = part.trim();
    check_key(key).map_err(|e| err(&e))?;
    Ok(Requirement {
        key: key.to_owned(),
        op: Op::Exists,
        values: BTreeSet::new(),
    })
}

fn check_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'))
    });
    if name_ok && prefix_ok {
        Ok(())
    } else {
        Err(format!("invalid label key {key:?}"))
    }
}

fn check_value(value: &str) -> Result<(), String> {
    let ok = value.is_empty()
        || (value.len() <= 63
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && value.ends_with(|c: char| c.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(format!("invalid label value {value:?}"))
    }
}

/// One `field=value` / `field!=value` term of a field selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRequirement {
    pub field: String,
    pub negate: bool,
    pub value: String,
}

/// A conjunction of field terms: `metadata.name=x,status.phase!=Running`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSelector {
    pub requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut requirements = Vec::new();
        for term in split_unescaped(s, ',') {
            if term.trim().is_empty() {
                continue;
            }
            let (field, negate, value) = if let Some((f, v)) = split_once_unescaped(&term, "!=") {
                (f, true, v)
            } else if let Some((f, v)) = split_once_unescaped(&term, "==") {
                (f, false, v)
            } else if let Some((f, v)) = split_once_unescaped(&term, "=") {
                (f, false, v)
            } else {
                return Err(SelectorError(format!(
                    "invalid selector: '{s}'; can't understand '{term}'"
                )));
            };
            requirements.push(FieldRequirement {
                field: field.trim().to_owned(),
                negate,
                value: unescape(value.trim()),
            });
        }
        Ok(FieldSelector { requirements })
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// The value a term requires for `field` with `=`, if any (lets callers narrow a list).
    pub fn required_value(&self, field: &str) -> Option<&str> {
        self.requirements
            .iter()
            .find(|r| r.field == field && !r.negate)
            .map(|r| r.value.as_str())
    }

    /// `get(field)` returns the object's value for a field (None: not set, compared as "").
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.requirements.iter().all(|r| {
            let v = get(&r.field).unwrap_or_default();
            (v == r.value) != r.negate
        })
    }
}

fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            cur.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
            }
        } else if c == sep {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

fn split_once_unescaped<'a>(s: &'a str, op: &str) -> Option<(&'a str, &'a str)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if s[i..].starts_with(op) {
            return Some((&s[..i], &s[i + op.len()..]));
        }
        i += 1;
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn label_selector_table() {
        let l = labels(json!({"app": "web", "tier": "front", "n": "5"}));
        let cases = [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app=db", false),
            ("app!=db", true),
            ("missing!=x", true),
            ("app in (web,db)", true),
            ("app in (db)", false),
            ("app notin (db)", true),
            ("missing notin (db)", true),
            ("app", true),
            ("missing", false),
            ("!missing", true),
            ("!app", false),
            ("app=web,tier=front", true),
            ("app=web,tier=back", false),
            ("app in (web, db),tier", true),
            ("n>4", true),
            ("n<5", false),
            (" app = web ", true),
        ];
        for (sel, want) in cases {
            let s = LabelSelector::parse(sel).unwrap_or_else(|e| panic!("{sel}: {e}"));
            assert_eq!(s.matches(Some(&l)), want, "{sel}");
        }
        assert!(LabelSelector::parse("app=web").unwrap().matches(Some(&l)));
        assert!(!LabelSelector::parse("app=web").unwrap().matches(None));
    }

    #[test]
    fn label_selector_errors() {
        for bad in ["a in b", "=x", "a=b c", "-a", "a in (b", "n>x", "a/b/c=d"] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn label_selector_objects() {
        let l = labels(json!({"app": "web", "env": "prod"}));
        let s = LabelSelector::from_object(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "qa"]}, {"key": "x", "operator": "DoesNotExist"}]
        }))
        .unwrap();
        assert!(s.matches(Some(&l)));
        assert!(
            LabelSelector::from_object(&json!({}))
                .unwrap()
                .is_everything()
        );
        assert!(
            LabelSelector::from_object(
                &json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})
            )
            .is_err()
        );
        assert!(!LabelSelector::nothing().matches(Some(&l)));
    }

    #[test]
    fn field_selector_table() {
        let get = |f: &str| match f {
            "metadata.name" => Some("web-1".to_owned()),
            "status.phase" => Some("Running".to_owned()),
            "spec.nodeName" => None,
            _ => None,
        };
        let cases = [
            ("metadata.name=web-1", true),
            ("metadata.name==web-1", true),
            ("metadata.name!=web-1", false),
            ("status.phase!=Succeeded,status.phase!=Failed", true),
            ("spec.nodeName=", true),
            ("spec.nodeName!=", false),
            ("metadata.name=web-1,status.phase=Pending", false),
        ];
        for (sel, want) in cases {
            assert_eq!(
                FieldSelector::parse(sel).unwrap().matches(get),
                want,
                "{sel}"
            );
        }
        let s = FieldSelector::parse(r"metadata.name=a\,b").unwrap();
        assert_eq!(s.requirements[0].value, "a,b");
        assert_eq!(
            FieldSelector::parse("metadata.name=x")
                .unwrap()
                .required_value("metadata.name"),
            Some("x")
        );
        assert!(FieldSelector::parse("nonsense").is_err());
    }
}
