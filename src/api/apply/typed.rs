//! Operations on objects seen through their schema, as structured-merge-diff's `typed` package
//! has them: the set of fields an object sets, the merge of an applied configuration into a live
//! object, the comparison of two objects (fields added, modified, removed), and the removal of a
//! set of fields from an object.
//!
//! One deliberate difference: a field that is `null` on one side and absent on the other is not
//! a change. Upstream compares Go structs, where the two are the same thing after decoding; here
//! objects are JSON, where they are not.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::{Map, Value};

use super::fieldpath::{Pe, Set, values_equal};
use super::schema::{Keys, ListKind, Schema, Ty, Zero};

/// What changed between two objects.
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    pub(crate) added: Set,
    pub(crate) modified: Set,
    pub(crate) removed: Set,
}

impl Comparison {
    pub(crate) fn is_same(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }

    /// Keeps only what `keep` says of each set.
    pub(crate) fn filtered(self, keep: impl Fn(&Set) -> Set) -> Comparison {
        Comparison {
            added: keep(&self.added),
            modified: keep(&self.modified),
            removed: keep(&self.removed),
        }
    }
}

/// Shows a path the way structured-merge-diff prefixes its validation errors.
fn show(path: &[Pe]) -> String {
    path.iter().map(ToString::to_string).collect()
}

fn is_empty_object(v: &Value) -> bool {
    v.as_object().is_some_and(Map::is_empty)
}

fn is_empty_or_null(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false,
    }
}

/// Go's `%q` of a list of strings: `["containerPort" "protocol"]`.
fn go_string_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    format!("[{}]", quoted.join(" "))
}

/// The path element of a list item.
pub(crate) fn item_pe(kind: ListKind, item: &Value) -> Result<Pe, String> {
    match kind {
        ListKind::Map(keys) => keyed_item_pe(keys, item),
        ListKind::Set => match item {
            Value::Object(_) => {
                Err("associative list without keys has an element that's a map type".to_owned())
            }
            Value::Array(_) => {
                Err("not supported: associative list with lists as elements".to_owned())
            }
            Value::Null => Err(
                "associative list without keys has an element that's an explicit null".to_owned(),
            ),
            v => Ok(Pe::Value(v.clone())),
        },
        ListKind::Atomic => Err("invalid indexing of non-associative list".to_owned()),
    }
}

fn keyed_item_pe(keys: Keys, item: &Value) -> Result<Pe, String> {
    let map = match item {
        Value::Object(m) => m,
        Value::Null => {
            return Err("associative list with keys may not have a null element".to_owned());
        }
        _ => return Err("associative list with keys may not have non-map elements".to_owned()),
    };
    let mut fields = Vec::new();
    for name in keys.names() {
        if let Some(v) = map.get(*name) {
            fields.push(((*name).to_owned(), v.clone()));
        } else if let Some(d) = keys.default_of(name) {
            fields.push(((*name).to_owned(), Value::String(d.to_owned())));
        }
    }
    if fields.is_empty() {
        return Err(format!(
            "associative list with keys has an element that omits all key fields {} (and doesn't have default values for any key fields)",
            go_string_list(keys.names())
        ));
    }
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Pe::Key(fields))
}

/// The fields `value` sets.
pub(crate) fn to_field_set(schema: &Schema, value: &Value) -> Set {
    let mut set = Set::new();
    field_set_walk(schema, &schema.root(), value, &mut Vec::new(), &mut set);
    set
}

fn field_set_walk(schema: &Schema, ty: &Ty, value: &Value, path: &mut Vec<Pe>, set: &mut Set) {
    match value {
        Value::Object(map) => {
            if schema.map_atomic(ty) {
                set.insert(path);
                return;
            }
            for (key, v) in map {
                path.push(Pe::Field(key.clone()));
                field_set_walk(schema, &schema.field(ty, key), v, path, set);
                if v.is_null() || is_empty_object(v) {
                    set.insert(path);
                }
                path.pop();
            }
        }
        Value::Array(items) => {
            let kind = schema.list_kind(ty);
            if kind == ListKind::Atomic {
                set.insert(path);
                return;
            }
            let item_ty = schema.item(ty);
            let pes: Vec<Option<Pe>> = items.iter().map(|i| item_pe(kind, i).ok()).collect();
            let mut seen = BTreeSet::new();
            let mut duplicates = BTreeSet::new();
            for pe in pes.iter().flatten() {
                if !seen.insert(pe.clone()) && duplicates.insert(pe.clone()) {
                    path.push(pe.clone());
                    set.insert(path);
                    path.pop();
                }
            }
            for (item, pe) in items.iter().zip(pes) {
                let Some(pe) = pe else { continue };
                if duplicates.contains(&pe) {
                    continue;
                }
                path.push(pe);
                field_set_walk(schema, &item_ty, item, path, set);
                set.insert(path);
                path.pop();
            }
        }
        _ => set.insert(path),
    }
}

/// Merges the applied configuration `rhs` into the live object `lhs`: objects field by field,
/// associative lists and sets item by item, everything else replaced by `rhs`. Duplicate items
/// are an error in `rhs`, tolerated in `lhs`.
pub(crate) fn merge(schema: &Schema, lhs: Option<&Value>, rhs: &Value) -> Result<Value, String> {
    Ok(
        merge_walk(schema, &schema.root(), lhs, Some(rhs), &mut Vec::new())?
            .unwrap_or(Value::Object(Map::new())),
    )
}

fn merge_walk(
    schema: &Schema,
    ty: &Ty,
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    path: &mut Vec<Pe>,
) -> Result<Option<Value>, String> {
    let keep_rhs = || rhs.or(lhs).cloned();
    // A null (or missing) side of a granular object or list takes the other side's shape.
    let lhs_c = lhs.filter(|v| !v.is_null());
    let rhs_c = rhs.filter(|v| !v.is_null());
    match (lhs_c, rhs_c) {
        (Some(Value::Object(_)) | None, Some(Value::Object(_)))
        | (Some(Value::Object(_)), None) => {
            if schema.map_atomic(ty) || (is_empty_or_null(lhs) && is_empty_or_null(rhs)) {
                return Ok(keep_rhs());
            }
            let empty = Map::new();
            let l = lhs_c.and_then(Value::as_object).unwrap_or(&empty);
            let r = rhs_c.and_then(Value::as_object).unwrap_or(&empty);
            let mut out = Map::new();
            let keys: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
            for key in keys {
                path.push(Pe::Field(key.clone()));
                let merged =
                    merge_walk(schema, &schema.field(ty, key), l.get(key), r.get(key), path)?;
                path.pop();
                if let Some(v) = merged {
                    out.insert(key.clone(), v);
                }
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
        (Some(Value::Array(_)) | None, Some(Value::Array(_))) | (Some(Value::Array(_)), None) => {
            let kind = schema.list_kind(ty);
            if kind == ListKind::Atomic || (is_empty_or_null(lhs) && is_empty_or_null(rhs)) {
                return Ok(keep_rhs());
            }
            let empty = Vec::new();
            let l = lhs_c.and_then(Value::as_array).unwrap_or(&empty);
            let r = rhs_c.and_then(Value::as_array).unwrap_or(&empty);
            merge_list(schema, ty, kind, l, r, path)
        }
        _ => Ok(keep_rhs()),
    }
}

fn merge_list(
    schema: &Schema,
    ty: &Ty,
    kind: ListKind,
    lhs: &[Value],
    rhs: &[Value],
    path: &mut Vec<Pe>,
) -> Result<Option<Value>, String> {
    let item_ty = schema.item(ty);
    let mut errors = Vec::new();
    // The right side: no duplicates allowed.
    let mut rhs_pes = Vec::new();
    let mut observed_rhs: BTreeMap<Pe, &Value> = BTreeMap::new();
    for (i, item) in rhs.iter().enumerate() {
        match item_pe(kind, item) {
            Ok(pe) => {
                if observed_rhs.contains_key(&pe) {
                    errors.push(format!("duplicate entries for key {pe}"));
                    continue;
                }
                observed_rhs.insert(pe.clone(), item);
                rhs_pes.push(pe);
            }
            Err(e) => errors.push(format!("element {i}: {e}")),
        }
    }
    // The left side: duplicates are kept in place but never merged with anything.
    let mut lhs_pes = Vec::new();
    let mut lhs_items = Vec::new();
    let mut observed_lhs: BTreeMap<Pe, Option<&Value>> = BTreeMap::new();
    for (i, item) in lhs.iter().enumerate() {
        match item_pe(kind, item) {
            Ok(pe) => {
                match observed_lhs.get_mut(&pe) {
                    Some(slot) => *slot = None,
                    None => {
                        observed_lhs.insert(pe.clone(), Some(item));
                    }
                }
                lhs_pes.push(pe);
                lhs_items.push(item);
            }
            Err(e) => errors.push(format!("element {i}: {e}")),
        }
    }
    if !errors.is_empty() {
        let prefix = show(path);
        let errors: Vec<String> = errors.iter().map(|e| format!("{prefix}: {e}")).collect();
        return Err(errors.join("\n"));
    }

    let mut shared: VecDeque<&Pe> = rhs_pes
        .iter()
        .filter(|pe| observed_lhs.contains_key(pe))
        .collect();
    let mut next_shared = shared.pop_front();
    let mut merged_rhs: BTreeSet<&Pe> = BTreeSet::new();
    let mut out = Vec::new();
    let mut merge_item = |pe: &Pe,
                          l: Option<&Value>,
                          r: Option<&Value>,
                          out: &mut Vec<Value>|
     -> Result<(), String> {
        path.push(pe.clone());
        let merged = merge_walk(schema, &item_ty, l, r, path);
        path.pop();
        if let Some(v) = merged? {
            out.push(v);
        }
        Ok(())
    };
    let (mut li, mut ri) = (0, 0);
    while li < lhs_pes.len() || ri < rhs_pes.len() {
        if li < lhs_pes.len() && ri < rhs_pes.len() {
            let pe = &lhs_pes[li];
            if *pe == rhs_pes[ri] {
                merged_rhs.insert(pe);
                let l = observed_lhs.get(pe).copied().flatten();
                merge_item(pe, l, observed_rhs.get(pe).copied(), &mut out)?;
                li += 1;
                ri += 1;
                next_shared = shared.pop_front();
                continue;
            }
            if observed_rhs.contains_key(pe) && next_shared.is_some_and(|n| n != pe) {
                // A shared item, but not the next one the right side orders.
                li += 1;
                continue;
            }
        }
        if li < lhs_pes.len() {
            let pe = &lhs_pes[li];
            if !observed_rhs.contains_key(pe) {
                merge_item(pe, Some(lhs_items[li]), None, &mut out)?;
                li += 1;
                continue;
            } else if merged_rhs.contains(pe) {
                li += 1;
            }
        }
        if ri < rhs_pes.len() {
            let pe = &rhs_pes[ri];
            merged_rhs.insert(pe);
            let l = observed_lhs.get(pe).copied().flatten();
            merge_item(pe, l, observed_rhs.get(pe).copied(), &mut out)?;
            ri += 1;
            if next_shared == Some(pe) {
                next_shared = shared.pop_front();
            }
        }
    }
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

/// What changed from `lhs` to `rhs`.
pub(crate) fn compare(schema: &Schema, lhs: &Value, rhs: &Value) -> Comparison {
    let mut cmp = Comparison::default();
    compare_walk(
        schema,
        &schema.root(),
        Some(lhs),
        Some(rhs),
        &mut Vec::new(),
        &mut cmp,
    );
    cmp
}

fn compare_leaf(lhs: Option<&Value>, rhs: Option<&Value>, path: &[Pe], cmp: &mut Comparison) {
    match (lhs, rhs) {
        (None, Some(_)) => cmp.added.insert(path),
        (Some(_), None) => cmp.removed.insert(path),
        (Some(l), Some(r)) if !values_equal(l, r) => cmp.modified.insert(path),
        _ => {}
    }
}

fn compare_walk(
    schema: &Schema,
    ty: &Ty,
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    path: &mut Vec<Pe>,
    cmp: &mut Comparison,
) {
    // null on one side, nothing on the other: the same thing once decoded.
    let (lhs, rhs) = match (lhs, rhs) {
        (Some(Value::Null), None) | (None, Some(Value::Null)) | (None, None) => return,
        pair => pair,
    };
    let both_empty = is_empty_or_null(lhs) && is_empty_or_null(rhs);
    match (lhs, rhs) {
        (Some(Value::Object(_)) | None, Some(Value::Object(_)))
        | (Some(Value::Object(_)), None) => {
            if schema.map_atomic(ty) || both_empty {
                compare_leaf(lhs, rhs, path, cmp);
                return;
            }
            let empty = Map::new();
            let l = lhs.and_then(Value::as_object).unwrap_or(&empty);
            let r = rhs.and_then(Value::as_object).unwrap_or(&empty);
            let keys: BTreeSet<&String> = l.keys().chain(r.keys()).collect();
            for key in keys {
                path.push(Pe::Field(key.clone()));
                compare_walk(
                    schema,
                    &schema.field(ty, key),
                    l.get(key),
                    r.get(key),
                    path,
                    cmp,
                );
                path.pop();
            }
        }
        (Some(Value::Array(_)) | None, Some(Value::Array(_))) | (Some(Value::Array(_)), None) => {
            let kind = schema.list_kind(ty);
            if kind == ListKind::Atomic || both_empty {
                compare_leaf(lhs, rhs, path, cmp);
                return;
            }
            let empty = Vec::new();
            let l = lhs.and_then(Value::as_array).unwrap_or(&empty);
            let r = rhs.and_then(Value::as_array).unwrap_or(&empty);
            compare_list(schema, ty, kind, l, r, path, cmp);
        }
        _ => {
            compare_leaf(lhs, rhs, path, cmp);
            return;
        }
    }
    match (lhs, rhs) {
        (None, _) => cmp.added.insert(path),
        (_, None) => cmp.removed.insert(path),
        _ => {}
    }
}

fn compare_list(
    schema: &Schema,
    ty: &Ty,
    kind: ListKind,
    lhs: &[Value],
    rhs: &[Value],
    path: &mut Vec<Pe>,
    cmp: &mut Comparison,
) {
    let item_ty = schema.item(ty);
    let mut order: Vec<Pe> = Vec::new();
    let mut l_values: BTreeMap<Pe, Vec<&Value>> = BTreeMap::new();
    let mut r_values: BTreeMap<Pe, Vec<&Value>> = BTreeMap::new();
    for item in lhs {
        let Ok(pe) = item_pe(kind, item) else {
            continue;
        };
        let entry = l_values.entry(pe.clone()).or_default();
        if entry.is_empty() {
            order.push(pe);
        }
        entry.push(item);
    }
    for item in rhs {
        let Ok(pe) = item_pe(kind, item) else {
            continue;
        };
        let entry = r_values.entry(pe.clone()).or_default();
        if entry.is_empty() && !l_values.contains_key(&pe) {
            order.push(pe);
        }
        entry.push(item);
    }
    let none = Vec::new();
    for pe in order {
        let l = l_values.get(&pe).unwrap_or(&none);
        let r = r_values.get(&pe).unwrap_or(&none);
        path.push(pe);
        match (l.len(), r.len()) {
            (0 | 1, 0 | 1) => {
                compare_walk(
                    schema,
                    &item_ty,
                    l.first().copied(),
                    r.first().copied(),
                    path,
                    cmp,
                );
            }
            (ln, rn) if ln >= 2 && rn >= 2 => {
                let equal = ln == rn && l.iter().zip(r).all(|(a, b)| values_equal(a, b));
                if !equal {
                    cmp.modified.insert(path);
                }
            }
            (ln, _) if ln >= 2 => {
                if let Some(first) = r.first() {
                    compare_walk(schema, &item_ty, None, Some(first), path, cmp);
                }
                cmp.removed.insert(path);
            }
            _ => {
                if let Some(first) = l.first() {
                    compare_walk(schema, &item_ty, Some(first), None, path, cmp);
                }
                cmp.added.insert(path);
            }
        }
        path.pop();
    }
}

/// `value` without the fields and items that are members of `set` (members remove whole
/// subtrees). Objects and lists left empty by the removal are dropped from their parent.
pub(crate) fn remove_items(schema: &Schema, value: &Value, set: &Set) -> Value {
    remove_walk(schema, &schema.root(), value, set).unwrap_or(Value::Object(Map::new()))
}

fn remove_walk(schema: &Schema, ty: &Ty, value: &Value, set: &Set) -> Option<Value> {
    match value {
        Value::Object(map) if !schema.map_atomic(ty) && !map.is_empty() => {
            let mut out = Map::new();
            for (key, v) in map {
                let pe = Pe::Field(key.clone());
                if set.has_member(&pe) {
                    continue;
                }
                match set.child(&pe) {
                    Some(sub) => {
                        if let Some(kept) = remove_walk(schema, &schema.field(ty, key), v, sub) {
                            out.insert(key.clone(), kept);
                        }
                    }
                    None => {
                        out.insert(key.clone(), v.clone());
                    }
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        Value::Array(items) if !items.is_empty() => {
            let kind = schema.list_kind(ty);
            if kind == ListKind::Atomic {
                return Some(value.clone());
            }
            let item_ty = schema.item(ty);
            let mut out = Vec::new();
            for item in items {
                let Ok(pe) = item_pe(kind, item) else {
                    out.push(item.clone());
                    continue;
                };
                if set.has_member(&pe) {
                    continue;
                }
                match set.child(&pe) {
                    Some(sub) => {
                        if let Some(kept) = remove_walk(schema, &item_ty, item, sub) {
                            out.push(kept);
                        }
                    }
                    None => out.push(item.clone()),
                }
            }
            (!out.is_empty()).then_some(Value::Array(out))
        }
        _ => Some(value.clone()),
    }
}

/// `value` with the fields the Go zero value of its type always carries filled in where
/// missing, so that comparing two objects treats them as present on both sides (as upstream,
/// which compares decoded Go structs, does).
pub(crate) fn with_zero_fields(schema: &Schema, value: &Value) -> Value {
    let mut v = value.clone();
    fill_zero(schema, &schema.root(), &mut v);
    v
}

/// [`with_zero_fields`] in place.
pub(crate) fn fill_zero_fields(schema: &Schema, value: &mut Value) {
    fill_zero(schema, &schema.root(), value);
}

fn fill_zero(schema: &Schema, ty: &Ty, value: &mut Value) {
    match value {
        Value::Object(map) => {
            if schema.map_atomic(ty) {
                return;
            }
            for (name, zero) in schema.present(ty) {
                if map.get(*name).is_none_or(Value::is_null) {
                    let z = match zero {
                        Zero::Map => Value::Object(Map::new()),
                        Zero::List => Value::Array(Vec::new()),
                    };
                    map.insert((*name).to_owned(), z);
                }
            }
            for (key, v) in map.iter_mut() {
                if v.is_object() || v.is_array() {
                    fill_zero(schema, &schema.field(ty, key), v);
                }
            }
        }
        Value::Array(items) => {
            if schema.list_kind(ty) == ListKind::Atomic {
                return;
            }
            let item_ty = schema.item(ty);
            for item in items {
                fill_zero(schema, &item_ty, item);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deploy() -> Schema {
        Schema::new(("apps", "v1", "Deployment"))
    }

    fn fields(set: &Set) -> Value {
        set.to_fields_v1()
    }

    #[test]
    fn field_sets() {
        let schema = deploy();
        let obj = json!({
            "metadata": {"labels": {"app": "web"}, "annotations": {}},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"spec": {"containers": [
                    {"name": "web", "image": "nginx", "ports": [{"containerPort": 80}], "args": ["a"], "resources": {}}
                ]}}
            }
        });
        assert_eq!(
            fields(&to_field_set(&schema, &obj)),
            json!({
                "f:metadata": {"f:labels": {"f:app": {}}, "f:annotations": {}},
                "f:spec": {
                    "f:selector": {},
                    "f:template": {"f:spec": {"f:containers": {
                        "k:{\"name\":\"web\"}": {
                            ".": {}, "f:name": {}, "f:image": {}, "f:args": {}, "f:resources": {},
                            "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}
                        }
                    }}}
                }
            })
        );
    }

    #[test]
    fn field_set_of_duplicates_owns_the_item_only() {
        let schema = deploy();
        let obj = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "x"}, {"name": "a", "image": "y"}
        ]}}}});
        assert_eq!(
            fields(&to_field_set(&schema, &obj)),
            json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"a\"}": {}}}}}})
        );
    }

    #[test]
    fn merges_lists_by_key_keeping_order() {
        let schema = deploy();
        let containers = |v: Value| json!({"spec": {"template": {"spec": {"containers": v}}}});
        // (live, applied, merged)
        let cases = [
            (
                json!([{"name": "a", "image": "1"}, {"name": "b", "image": "1"}]),
                json!([{"name": "b", "image": "2"}]),
                json!([{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]),
            ),
            (
                json!([{"name": "a"}, {"name": "b"}]),
                json!([{"name": "c"}, {"name": "a"}]),
                json!([{"name": "c"}, {"name": "a"}, {"name": "b"}]),
            ),
            (
                json!([{"name": "a"}, {"name": "b"}, {"name": "c"}]),
                json!([{"name": "c"}, {"name": "a"}]),
                json!([{"name": "b"}, {"name": "c"}, {"name": "a"}]),
            ),
            (
                json!([{"name": "a", "args": ["x", "y"]}]),
                json!([{"name": "a", "args": ["z"]}]),
                json!([{"name": "a", "args": ["z"]}]),
            ),
        ];
        for (live, applied, want) in cases {
            let merged = merge(
                &schema,
                Some(&containers(live.clone())),
                &containers(applied.clone()),
            )
            .expect("merges");
            assert_eq!(merged, containers(want), "{live} + {applied}");
        }
        // Sets merge by value; atomic maps are replaced.
        let merged = merge(
            &schema,
            Some(&json!({"metadata": {"finalizers": ["a", "b"]}, "spec": {"selector": {"matchLabels": {"x": "1"}}}})),
            &json!({"metadata": {"finalizers": ["c", "a"]}, "spec": {"selector": {"matchLabels": {"y": "2"}}}}),
        )
        .expect("merges");
        assert_eq!(
            merged,
            json!({"metadata": {"finalizers": ["c", "a", "b"]}, "spec": {"selector": {"matchLabels": {"y": "2"}}}})
        );
    }

    #[test]
    fn merge_refuses_bad_configurations() {
        let schema = deploy();
        let err = merge(
            &schema,
            None,
            &json!({"spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}}}),
        )
        .expect_err("duplicates");
        assert_eq!(
            err,
            ".spec.template.spec.containers: duplicate entries for key [name=\"a\"]"
        );
        let err = merge(
            &schema,
            None,
            &json!({"spec": {"template": {"spec": {"containers": [{"image": "a"}]}}}}),
        )
        .expect_err("no key");
        assert_eq!(
            err,
            ".spec.template.spec.containers: element 0: associative list with keys has an element that omits all key fields [\"name\"] (and doesn't have default values for any key fields)"
        );
    }

    #[test]
    fn compares() {
        let schema = deploy();
        let old =
            json!({"metadata": {"labels": {"a": "1"}}, "spec": {"replicas": 1, "paused": null}});
        let new = json!({"metadata": {"labels": {"a": "2", "b": "1"}, "annotations": {"x": "y"}}, "spec": {}});
        let cmp = compare(&schema, &old, &new);
        assert_eq!(
            fields(&cmp.added),
            json!({"f:metadata": {"f:labels": {"f:b": {}}, "f:annotations": {".": {}, "f:x": {}}}})
        );
        assert_eq!(
            fields(&cmp.modified),
            json!({"f:metadata": {"f:labels": {"f:a": {}}}})
        );
        assert_eq!(fields(&cmp.removed), json!({"f:spec": {"f:replicas": {}}}));
        assert!(compare(&schema, &old, &old).is_same());
        // null and absent are the same.
        assert!(
            compare(
                &schema,
                &json!({"spec": {"paused": null}}),
                &json!({"spec": {}})
            )
            .is_same()
        );
    }

    #[test]
    fn removes_items() {
        let schema = deploy();
        let obj = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}}});
        let set = Set::from_fields_v1(&json!({
            "f:metadata": {"f:labels": {"f:a": {}}},
            "f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"a\"}": {}}}}}
        }))
        .expect("decodes");
        assert_eq!(
            remove_items(&schema, &obj, &set),
            json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "b"}]}}}})
        );
    }

    #[test]
    fn zero_fields() {
        let schema = deploy();
        assert_eq!(
            with_zero_fields(
                &schema,
                &json!({"spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}})
            ),
            json!({
                "metadata": {},
                "spec": {
                    "strategy": {},
                    "template": {"metadata": {}, "spec": {"containers": [{"name": "a", "resources": {}}]}}
                },
                "status": {}
            })
        );
        let cr = Schema::new(("example.com", "v1", "Widget"));
        assert_eq!(
            with_zero_fields(&cr, &json!({"spec": {}})),
            json!({"spec": {}})
        );
    }
}
