//! Field paths and sets of them, as structured-merge-diff's `fieldpath` package has them: path
//! elements (a field name, the key of an associative-list item, the value of a set item, an
//! index into an atomic list), their order, the set operations server-side apply needs, and the
//! `FieldsV1` encoding of a set (`{"f:spec":{"f:replicas":{}}}`).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

/// One step of a path.
#[derive(Clone, Debug)]
pub(crate) enum Pe {
    /// A field of an object: `f:name`, shown `.name`.
    Field(String),
    /// An item of an associative list, by its key fields sorted by name:
    /// `k:{"name":"nginx"}`, shown `[name="nginx"]`.
    Key(Vec<(String, Value)>),
    /// An item of a set, by value: `v:"a"`, shown `[="a"]`.
    Value(Value),
    /// An item of an atomic list, by index: `i:3`, shown `[3]`.
    Index(usize),
}

impl Pe {
    pub(crate) fn field(name: &str) -> Pe {
        Pe::Field(name.to_owned())
    }

    fn rank(&self) -> u8 {
        match self {
            Pe::Field(_) => 0,
            Pe::Key(_) => 1,
            Pe::Value(_) => 2,
            Pe::Index(_) => 3,
        }
    }

    /// The `FieldsV1` spelling.
    pub(crate) fn serialize(&self) -> String {
        match self {
            Pe::Field(name) => format!("f:{name}"),
            Pe::Key(fields) => {
                let mut out = String::from("k:{");
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&go_json_string(name));
                    out.push(':');
                    out.push_str(&go_json(value));
                }
                out.push('}');
                out
            }
            Pe::Value(v) => format!("v:{}", go_json(v)),
            Pe::Index(i) => format!("i:{i}"),
        }
    }

    /// Parses a `FieldsV1` key; `Ok(None)` for a kind of element this version does not know
    /// (upstream drops those).
    fn deserialize(s: &str) -> Result<Option<Pe>, String> {
        let Some((kind, rest)) = s.split_at_checked(2) else {
            return Err("key must be 2 characters long:".to_owned());
        };
        if !kind.ends_with(':') {
            return Err(format!("missing colon: {s}"));
        }
        match kind {
            "f:" => Ok(Some(Pe::Field(rest.to_owned()))),
            "v:" => serde_json::from_str(rest)
                .map(|v| Some(Pe::Value(v)))
                .map_err(|e| e.to_string()),
            "k:" => {
                let map: Map<String, Value> =
                    serde_json::from_str(rest).map_err(|e| e.to_string())?;
                // serde_json's map is sorted by name already.
                Ok(Some(Pe::Key(map.into_iter().collect())))
            }
            "i:" => rest
                .parse()
                .map(|i| Some(Pe::Index(i)))
                .map_err(|e: std::num::ParseIntError| e.to_string()),
            _ => Ok(None),
        }
    }
}

impl PartialEq for Pe {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pe {}

impl PartialOrd for Pe {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pe {
    /// Upstream's order: field names, then keys, then values, then indices.
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Pe::Field(a), Pe::Field(b)) => a.cmp(b),
            (Pe::Key(a), Pe::Key(b)) => {
                for ((an, av), (bn, bv)) in a.iter().zip(b) {
                    let c = an.cmp(bn).then_with(|| compare_values(av, bv));
                    if c != Ordering::Equal {
                        return c;
                    }
                }
                a.len().cmp(&b.len())
            }
            (Pe::Value(a), Pe::Value(b)) => compare_values(a, b),
            (Pe::Index(a), Pe::Index(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl fmt::Display for Pe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pe::Field(name) => write!(f, ".{name}"),
            Pe::Key(fields) => {
                f.write_str("[")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{name}={}", go_value_string(value))?;
                }
                f.write_str("]")
            }
            Pe::Value(v) => write!(f, "[={}]", go_value_string(v)),
            Pe::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A path from the root of an object.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Path(pub(crate) Vec<Pe>);

impl fmt::Display for Path {
    /// `.spec.template.spec.containers[name="nginx"].image`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for pe in &self.0 {
            write!(f, "{pe}")?;
        }
        Ok(())
    }
}

/// A set of paths, as a tree: the elements that are members here, and the subsets below
/// elements that have members further down. Child sets are never empty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Set {
    members: BTreeSet<Pe>,
    children: BTreeMap<Pe, Set>,
}

impl Set {
    pub(crate) fn new() -> Self {
        Set::default()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.is_empty()
    }

    pub(crate) fn insert(&mut self, path: &[Pe]) {
        match path {
            [] => {}
            [last] => {
                self.members.insert(last.clone());
            }
            [first, rest @ ..] => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    /// Whether `path` is a member.
    pub(crate) fn has(&self, path: &[Pe]) -> bool {
        match path {
            [] => false,
            [last] => self.members.contains(last),
            [first, rest @ ..] => self.children.get(first).is_some_and(|c| c.has(rest)),
        }
    }

    /// The subset below `pe`, without the prefix.
    pub(crate) fn child(&self, pe: &Pe) -> Option<&Set> {
        self.children.get(pe)
    }

    pub(crate) fn has_member(&self, pe: &Pe) -> bool {
        self.members.contains(pe)
    }

    pub(crate) fn union(&self, other: &Set) -> Set {
        let mut out = self.clone();
        out.members.extend(other.members.iter().cloned());
        for (pe, set) in &other.children {
            let merged = match out.children.get(pe) {
                Some(mine) => mine.union(set),
                None => set.clone(),
            };
            out.children.insert(pe.clone(), merged);
        }
        out
    }

    pub(crate) fn intersection(&self, other: &Set) -> Set {
        let members = self.members.intersection(&other.members).cloned().collect();
        let children = self
            .children
            .iter()
            .filter_map(|(pe, set)| {
                let theirs = other.children.get(pe)?;
                let both = set.intersection(theirs);
                (!both.is_empty()).then(|| (pe.clone(), both))
            })
            .collect();
        Set { members, children }
    }

    /// The paths of `self` that are not in `other`.
    pub(crate) fn difference(&self, other: &Set) -> Set {
        let members = self.members.difference(&other.members).cloned().collect();
        let children = self
            .children
            .iter()
            .filter_map(|(pe, set)| match other.children.get(pe) {
                Some(theirs) => {
                    let diff = set.difference(theirs);
                    (!diff.is_empty()).then(|| (pe.clone(), diff))
                }
                None => Some((pe.clone(), set.clone())),
            })
            .collect();
        Set { members, children }
    }

    /// Like [`Set::difference`], but a member of `other` also removes everything below it.
    pub(crate) fn recursive_difference(&self, other: &Set) -> Set {
        let members = self.members.difference(&other.members).cloned().collect();
        let children = self
            .children
            .iter()
            .filter(|(pe, _)| !other.members.contains(pe))
            .filter_map(|(pe, set)| match other.children.get(pe) {
                Some(theirs) => {
                    let diff = set.recursive_difference(theirs);
                    (!diff.is_empty()).then(|| (pe.clone(), diff))
                }
                None => Some((pe.clone(), set.clone())),
            })
            .collect();
        Set { members, children }
    }

    /// Only the paths at or below a member of `other` (the complement of
    /// [`Set::recursive_difference`]).
    pub(crate) fn recursive_intersection(&self, other: &Set) -> Set {
        self.difference(&self.recursive_difference(other))
    }

    /// The set with every field name that has paths below it also a member: a set holding
    /// `.a.b.c` also owns `.a` and `.a.b` when they are fields (not when `b` is a list item).
    /// Upstream adds only fields declared by the schema; every object key counts here.
    pub(crate) fn ensure_named_fields_are_members(&self) -> Set {
        let mut members = self.members.clone();
        let mut children = BTreeMap::new();
        for (pe, set) in &self.children {
            if matches!(pe, Pe::Field(_)) {
                members.insert(pe.clone());
            }
            children.insert(pe.clone(), set.ensure_named_fields_are_members());
        }
        Set { members, children }
    }

    /// Every path, members before the paths below, each level in order.
    pub(crate) fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect_paths(&mut Vec::new(), &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Vec<Pe>, out: &mut Vec<Path>) {
        for pe in &self.members {
            let mut p = prefix.clone();
            p.push(pe.clone());
            out.push(Path(p));
        }
        for (pe, set) in &self.children {
            prefix.push(pe.clone());
            set.collect_paths(prefix, out);
            prefix.pop();
        }
    }

    /// The `FieldsV1` encoding.
    pub(crate) fn to_fields_v1(&self) -> Value {
        Value::Object(self.fields_v1_contents(false))
    }

    fn fields_v1_contents(&self, include_self: bool) -> Map<String, Value> {
        let mut out = Map::new();
        if include_self && !self.is_empty() {
            out.insert(".".to_owned(), Value::Object(Map::new()));
        }
        for pe in &self.members {
            if !self.children.contains_key(pe) {
                out.insert(pe.serialize(), Value::Object(Map::new()));
            }
        }
        for (pe, set) in &self.children {
            let also_member = self.members.contains(pe);
            out.insert(
                pe.serialize(),
                Value::Object(set.fields_v1_contents(also_member)),
            );
        }
        out
    }

    /// Decodes `FieldsV1`.
    pub(crate) fn from_fields_v1(v: &Value) -> Result<Set, String> {
        let Value::Object(map) = v else {
            return Err("FieldsV1 is not an object".to_owned());
        };
        let (set, _) = Self::read_fields_v1(map)?;
        Ok(set)
    }

    /// The subset an object of FieldsV1 describes, and whether its parent element is a member
    /// (it has `"."`, or nothing at all).
    fn read_fields_v1(map: &Map<String, Value>) -> Result<(Set, bool), String> {
        let mut set = Set::new();
        let mut is_member = false;
        for (key, value) in map {
            if key == "." {
                is_member = true;
                continue;
            }
            let Some(pe) = Pe::deserialize(key)? else {
                continue;
            };
            let Value::Object(inner) = value else {
                return Err(format!("expected an object under {key}"));
            };
            let (child, child_is_member) = Self::read_fields_v1(inner)?;
            if child_is_member {
                set.members.insert(pe.clone());
            }
            if !child.is_empty() {
                set.children.insert(pe, child);
            }
        }
        if set.is_empty() {
            is_member = true;
        }
        Ok((set, is_member))
    }
}

/// A total order on JSON values, as structured-merge-diff's `value.Compare`: numbers (ints and
/// floats compared numerically), then strings, booleans, lists, maps, and null last.
pub(crate) fn compare_values(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Number(_) => 0,
            Value::String(_) => 1,
            Value::Bool(_) => 2,
            Value::Array(_) => 3,
            Value::Object(_) => 4,
            Value::Null => 5,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => {
                let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (l, r) in x.iter().zip(y) {
                let c = compare_values(l, r);
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            for ((lk, lv), (rk, rv)) in x.iter().zip(y) {
                let c = lk.cmp(rk).then_with(|| compare_values(lv, rv));
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Equality of JSON values with ints and floats compared numerically.
pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => compare_values(a, b) == Ordering::Equal,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(l, r)| values_equal(l, r))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

/// A value as Go's `encoding/json` writes it (HTML-sensitive characters escaped).
pub(crate) fn go_json(v: &Value) -> String {
    match v {
        Value::String(s) => go_json_string(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(go_json).collect();
            format!("[{}]", inner.join(","))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}:{}", go_json_string(k), go_json(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        other => other.to_string(),
    }
}

fn go_json_string(s: &str) -> String {
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

/// A value as structured-merge-diff's `value.ToString` shows it in paths: strings quoted as Go's
/// `%q` does, numbers and booleans bare.
fn go_value_string(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::String(s) => go_quote(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(go_value_string).collect();
            format!("[{}]", inner.join(","))
        }
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", go_value_string(v)))
            .collect(),
        other => other.to_string(),
    }
}

/// Go's `%q` of a string.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn key(fields: &[(&str, Value)]) -> Pe {
        let mut f: Vec<(String, Value)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        f.sort_by(|a, b| a.0.cmp(&b.0));
        Pe::Key(f)
    }

    #[test]
    fn serializes_path_elements() {
        let cases = [
            (Pe::field("replicas"), "f:replicas", ".replicas"),
            (
                key(&[("name", json!("nginx"))]),
                r#"k:{"name":"nginx"}"#,
                r#"[name="nginx"]"#,
            ),
            (
                key(&[("protocol", json!("TCP")), ("containerPort", json!(80))]),
                r#"k:{"containerPort":80,"protocol":"TCP"}"#,
                r#"[containerPort=80,protocol="TCP"]"#,
            ),
            (Pe::Value(json!("a<b")), r#"v:"a\u003cb""#, r#"[="a<b"]"#),
            (Pe::Index(3), "i:3", "[3]"),
        ];
        for (pe, serialized, shown) in cases {
            assert_eq!(pe.serialize(), serialized);
            assert_eq!(pe.to_string(), shown);
            assert_eq!(
                Pe::deserialize(serialized).expect("parses"),
                Some(pe.clone())
            );
        }
        assert_eq!(
            Pe::deserialize("x:what").expect("unknown kinds are skipped"),
            None
        );
        assert!(Pe::deserialize("f").is_err());
        assert!(Pe::deserialize("fx").is_err());
    }

    #[test]
    fn orders_like_upstream() {
        let mut pes = vec![
            Pe::Index(0),
            Pe::Value(json!("a")),
            key(&[("port", json!(10))]),
            key(&[("port", json!(9))]),
            Pe::field("b"),
            Pe::field("a"),
        ];
        pes.sort();
        assert_eq!(
            pes,
            vec![
                Pe::field("a"),
                Pe::field("b"),
                key(&[("port", json!(9))]),
                key(&[("port", json!(10))]),
                Pe::Value(json!("a")),
                Pe::Index(0),
            ]
        );
    }

    #[test]
    fn fields_v1_round_trip() {
        let fields = json!({
            "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
            "f:spec": {
                "f:replicas": {},
                "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}
                }}}
            }
        });
        let set = Set::from_fields_v1(&fields).expect("decodes");
        assert!(set.has(&[Pe::field("spec"), Pe::field("replicas")]));
        assert!(set.has(&[Pe::field("metadata"), Pe::field("labels")]));
        assert!(!set.has(&[Pe::field("metadata")]));
        assert!(set.has(&[
            Pe::field("spec"),
            Pe::field("template"),
            Pe::field("spec"),
            Pe::field("containers"),
            key(&[("name", json!("nginx"))]),
        ]));
        assert_eq!(set.to_fields_v1(), fields);
        let shown: Vec<String> = set.paths().iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                ".metadata.labels",
                ".metadata.labels.app",
                ".spec.replicas",
                ".spec.template.spec.containers[name=\"nginx\"]",
                ".spec.template.spec.containers[name=\"nginx\"].image",
                ".spec.template.spec.containers[name=\"nginx\"].name",
            ]
        );
        assert!(Set::from_fields_v1(&json!([])).is_err());
        assert!(Set::from_fields_v1(&json!({"f:a": 1})).is_err());
    }

    #[test]
    fn set_operations() {
        let p = |names: &[&str]| -> Vec<Pe> { names.iter().map(|n| Pe::field(n)).collect() };
        let mut a = Set::new();
        a.insert(&p(&["spec", "replicas"]));
        a.insert(&p(&["spec", "paused"]));
        a.insert(&p(&["status", "replicas"]));
        let mut b = Set::new();
        b.insert(&p(&["spec", "replicas"]));
        b.insert(&p(&["status"]));

        let diff = a.difference(&b);
        assert!(!diff.has(&p(&["spec", "replicas"])));
        assert!(diff.has(&p(&["spec", "paused"])));
        assert!(diff.has(&p(&["status", "replicas"])));

        let rdiff = a.recursive_difference(&b);
        assert!(rdiff.has(&p(&["spec", "paused"])));
        assert!(!rdiff.has(&p(&["status", "replicas"])));
        let rint = a.recursive_intersection(&b);
        assert_eq!(rint.paths().len(), 2);
        assert!(rint.has(&p(&["status", "replicas"])));

        let inter = a.intersection(&b);
        assert_eq!(inter.paths(), vec![Path(p(&["spec", "replicas"]))]);

        let union = a.union(&b);
        assert_eq!(union.paths().len(), 4);

        // Differences never leave empty subsets behind.
        let mut c = Set::new();
        c.insert(&p(&["spec", "replicas"]));
        assert!(c.difference(&b).is_empty());
        assert_eq!(c.difference(&b), Set::new());

        let named = c.ensure_named_fields_are_members();
        assert!(named.has(&p(&["spec"])));
        assert!(named.has(&p(&["spec", "replicas"])));
    }

    #[test]
    fn compares_values() {
        assert_eq!(compare_values(&json!(1), &json!(1.0)), Ordering::Equal);
        assert!(values_equal(&json!({"a": [1]}), &json!({"a": [1.0]})));
        assert!(!values_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert_eq!(compare_values(&json!(2), &json!("a")), Ordering::Less);
        assert_eq!(compare_values(&json!(null), &json!({})), Ordering::Greater);
    }
}
