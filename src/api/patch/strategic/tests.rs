use serde::Deserialize;
use serde_json::json;

use super::*;
use crate::api::patch::schema::{
    TypeDef, merge_list, merge_list_retain_keys, merge_primitives, replace, retain_keys,
};

/// Upstream's test type `MergeItem`, as a schema table: `mergingList` merges by `name`,
/// `nonMergingList` is replaced, `mergingIntList` is a set, `replacingItem` is replaced whole,
/// `retainKeysMap` and `retainKeysMergingList` carry `retainKeys`.
static MERGE_ITEM: TypeDef = TypeDef {
    name: "MergeItem",
    fields: &[
        merge_list("mergingList", "name", Some(&MERGE_ITEM)),
        merge_primitives("mergingIntList"),
        merge_list("mergeItemPtr", "name", Some(&MERGE_ITEM)),
        replace("replacingItem"),
        retain_keys("retainKeysMap", Some(&RETAIN_KEYS_MERGE_ITEM)),
        merge_list_retain_keys("retainKeysMergingList", "name", Some(&MERGE_ITEM)),
    ],
};

static RETAIN_KEYS_MERGE_ITEM: TypeDef = TypeDef {
    name: "RetainKeysMergeItem",
    fields: &[
        merge_primitives("mergingIntList"),
        merge_list("mergingList", "name", Some(&MERGE_ITEM)),
    ],
};

fn smp(doc: Value, patch: Value) -> Result<Value, PatchError> {
    apply(&doc, &patch, Some(&MERGE_ITEM))
}

/// One case of `testdata/upstream_smp_cases.json`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpstreamCase {
    description: String,
    suite: String,
    sorted: bool,
    #[serde(default)]
    two_way_only: bool,
    original: Option<Value>,
    two_way: Option<Value>,
    modified: Option<Value>,
    two_way_result: Option<Value>,
    current: Option<Value>,
    three_way: Option<Value>,
    result: Option<Value>,
    expected_error: Option<String>,
}

/// Upstream's harness sorts merge lists by merge key (scalars by their text) before comparing
/// order-insensitive cases; this does the same with our schema tables.
fn sort_merge_lists(v: &Value, schema: Schema) -> Value {
    let Value::Object(map) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    for (k, v) in map {
        let sorted = if k == RETAIN_KEYS || k.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            let mut items = v.as_array().cloned().unwrap_or_default();
            items.sort_by_key(gofmt::value);
            Value::Array(items)
        } else if k.starts_with(SET_ELEMENT_ORDER) || k == DIRECTIVE {
            v.clone()
        } else {
            match v {
                Value::Object(_) => sort_merge_lists(v, schema::lookup(schema, k).sub),
                Value::Array(items) => {
                    let meta = schema::lookup(schema, k);
                    if meta.tag.merges() {
                        sort_list(items, meta)
                    } else {
                        v.clone()
                    }
                }
                _ => v.clone(),
            }
        };
        out.insert(k.clone(), sorted);
    }
    Value::Object(out)
}

fn sort_list(items: &[Value], meta: FieldMeta) -> Value {
    if items.first().is_some_and(|v| !v.is_object()) {
        let mut unique: Vec<Value> = Vec::new();
        for v in items {
            if !unique.contains(v) {
                unique.push(v.clone());
            }
        }
        unique.sort_by_key(gofmt::value);
        return Value::Array(unique);
    }
    let mut sorted: Vec<Value> = items
        .iter()
        .map(|v| sort_merge_lists(v, meta.sub))
        .collect();
    sorted.sort_by_key(|v| gofmt::value(v.get(meta.merge_key).unwrap_or(&Value::Null)));
    Value::Array(sorted)
}

fn check_case(
    failures: &mut Vec<String>,
    name: String,
    doc: Value,
    patch: Value,
    expected: Option<Value>,
    expected_error: Option<&str>,
) {
    let got = smp(doc.clone(), patch.clone());
    match (got, expected_error) {
        (Err(e), Some(want)) if e.upstream_message().contains(want) => {}
        (got, Some(want)) => failures.push(format!(
            "{name}: expected an error containing {want:?}, got {got:?}"
        )),
        (Ok(got), None) => {
            if let Some(expected) = expected
                && got != expected
            {
                failures.push(format!(
                    "{name}:\n  doc:      {doc}\n  patch:    {patch}\n  expected: {expected}\n  got:      {got}"
                ));
            }
        }
        (Err(e), None) => failures.push(format!("{name}: {e}\n  doc: {doc}\n  patch: {patch}")),
    }
}

/// Every patch-application case of upstream's `patch_test.go`: two-way patches applied to the
/// original must give the modified document, three-way patches applied to the live document
/// must give the expected result.
#[test]
fn upstream_cases() {
    let cases: Vec<UpstreamCase> =
        serde_json::from_str(include_str!("../testdata/upstream_smp_cases.json"))
            .expect("test data parses");
    let mut failures = Vec::new();
    let mut checked = 0;
    for c in &cases {
        let prep = |v: Option<&Value>| {
            let v = v.cloned().unwrap_or_else(|| json!({}));
            if c.sorted {
                sort_merge_lists(&v, Some(&MERGE_ITEM))
            } else {
                v
            }
        };
        if let Some(two_way) = &c.two_way {
            let expected = c.two_way_result.as_ref().or(c.modified.as_ref());
            check_case(
                &mut failures,
                format!("{} [{}] two-way", c.description, c.suite),
                prep(c.original.as_ref()),
                prep(Some(two_way)),
                expected.map(|e| prep(Some(e))),
                c.expected_error.as_deref(),
            );
            checked += 1;
        }
        if !c.two_way_only
            && let (Some(three_way), Some(result)) = (&c.three_way, &c.result)
        {
            check_case(
                &mut failures,
                format!("{} [{}] three-way", c.description, c.suite),
                prep(c.current.as_ref()),
                prep(Some(three_way)),
                Some(prep(Some(result))),
                c.expected_error.as_deref(),
            );
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} upstream checks ran");
    assert!(
        failures.is_empty(),
        "{} of {checked} upstream checks failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// (name, stored, patch, expected) for behaviour worth pinning beyond upstream's table.
#[test]
fn merge_semantics() {
    let cases: Vec<(&str, Value, Value, Value)> = vec![
        (
            "new merged item goes before stored items that follow no patch item",
            json!({"mergingList": [{"name": "a"}, {"name": "b"}]}),
            json!({"mergingList": [{"name": "c"}]}),
            json!({"mergingList": [{"name": "c"}, {"name": "a"}, {"name": "b"}]}),
        ),
        (
            "set element order puts a new item where it is named",
            json!({"mergingList": [{"name": "a"}, {"name": "b"}]}),
            json!({
                "$setElementOrder/mergingList": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
                "mergingList": [{"name": "c"}]
            }),
            json!({"mergingList": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}),
        ),
        (
            "set element order alone reorders",
            json!({"mergingList": [{"name": "a", "value": "1"}, {"name": "b"}]}),
            json!({"$setElementOrder/mergingList": [{"name": "b"}, {"name": "a"}]}),
            json!({"mergingList": [{"name": "b"}, {"name": "a", "value": "1"}]}),
        ),
        (
            "merging an item keeps its other fields",
            json!({"mergingList": [{"name": "a", "value": "1", "other": "x"}]}),
            json!({"mergingList": [{"name": "a", "value": "2", "other": null}]}),
            json!({"mergingList": [{"name": "a", "value": "2"}]}),
        ),
        (
            "non-merging list is replaced",
            json!({"nonMergingList": [{"name": "a"}, {"name": "b"}]}),
            json!({"nonMergingList": [{"name": "c"}]}),
            json!({"nonMergingList": [{"name": "c"}]}),
        ),
        (
            "scalars merge as a set",
            json!({"mergingIntList": [1, 2]}),
            json!({"mergingIntList": [2, 3]}),
            json!({"mergingIntList": [1, 2, 3]}),
        ),
        (
            "delete from primitive list",
            json!({"mergingIntList": [1, 2, 3]}),
            json!({"$deleteFromPrimitiveList/mergingIntList": [2, 5]}),
            json!({"mergingIntList": [1, 3]}),
        ),
        (
            "delete from a primitive list that is not stored does nothing",
            json!({"name": "x"}),
            json!({"$deleteFromPrimitiveList/mergingIntList": [2]}),
            json!({"name": "x"}),
        ),
        (
            "retainKeys clears unlisted keys and merges listed ones",
            json!({"retainKeysMap": {"name": "a", "value": "b", "other": "c"}}),
            json!({"retainKeysMap": {"$retainKeys": ["name", "other"], "other": "d"}}),
            json!({"retainKeysMap": {"name": "a", "other": "d"}}),
        ),
        (
            "replace strategy replaces a map whole",
            json!({"replacingItem": {"a": 1, "b": 2}}),
            json!({"replacingItem": {"c": 3}}),
            json!({"replacingItem": {"c": 3}}),
        ),
        (
            "$patch replace on a map",
            json!({"simpleMap": {"a": "1", "b": "2"}}),
            json!({"simpleMap": {"$patch": "replace", "c": "3"}}),
            json!({"simpleMap": {"c": "3"}}),
        ),
        (
            "$patch delete on a map empties it",
            json!({"simpleMap": {"a": "1"}}),
            json!({"simpleMap": {"$patch": "delete"}}),
            json!({"simpleMap": {}}),
        ),
        (
            "a new map carrying $patch is dropped, as upstream does",
            json!({}),
            json!({"simpleMap": {"$patch": "replace", "a": "1"}}),
            json!({}),
        ),
        (
            "$patch replace inside a merged list",
            json!({"mergingList": [{"name": "a"}, {"name": "b"}]}),
            json!({"mergingList": [{"$patch": "replace"}, {"name": "c", "value": "1"}]}),
            json!({"mergingList": [{"name": "c", "value": "1"}]}),
        ),
        (
            "$patch delete of an absent item is harmless",
            json!({"mergingList": [{"name": "a"}]}),
            json!({"mergingList": [{"name": "z", "$patch": "delete"}]}),
            json!({"mergingList": [{"name": "a"}]}),
        ),
        (
            "null deletes; nulls inside new values are dropped",
            json!({"name": "x", "value": "y"}),
            json!({"value": null, "simpleMap": {"a": "1", "b": null}}),
            json!({"name": "x", "simpleMap": {"a": "1"}}),
        ),
        (
            "type change replaces",
            json!({"value": {"a": 1}}),
            json!({"value": "now a string"}),
            json!({"value": "now a string"}),
        ),
        (
            "directives copied with a new subtree are dropped",
            json!({}),
            json!({"mergeItemPtr": {
                "$setElementOrder/mergingList": [{"name": "a"}],
                "mergingList": [{"name": "a", "$retainKeys": ["name"]}]
            }}),
            json!({"mergeItemPtr": {"mergingList": [{"name": "a"}]}}),
        ),
        (
            "directives in an appended item are dropped",
            json!({"mergingList": [{"name": "a"}]}),
            json!({"mergingList": [{
                "name": "b",
                "$setElementOrder/mergingList": [{"name": "x"}],
                "mergingList": [{"name": "x"}]
            }]}),
            json!({"mergingList": [{"name": "b", "mergingList": [{"name": "x"}]}, {"name": "a"}]}),
        ),
        (
            "null patch changes nothing",
            json!({"name": "x"}),
            Value::Null,
            json!({"name": "x"}),
        ),
        (
            "top-level $patch delete empties the object",
            json!({"name": "x"}),
            json!({"$patch": "delete"}),
            json!({}),
        ),
        (
            "merged items equal by merge key only when the types match",
            json!({"mergingList": [{"name": 1, "value": "int"}]}),
            json!({"mergingList": [{"name": "1", "value": "str"}]}),
            json!({"mergingList": [{"name": "1", "value": "str"}, {"name": 1, "value": "int"}]}),
        ),
    ];
    for (name, stored, patch, want) in cases {
        let got = smp(stored, patch).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
    }
}

/// (name, stored, patch, status, detail) for patches upstream refuses.
#[test]
fn errors() {
    let cases: Vec<(&str, Value, Value, u16, &str)> = vec![
        (
            "patch key missing from $retainKeys",
            json!({"retainKeysMap": {"name": "a"}}),
            json!({"retainKeysMap": {"$retainKeys": ["name"], "value": "b"}}),
            400,
            "invalid patch format of retainKeys",
        ),
        (
            "$retainKeys not a list",
            json!({"retainKeysMap": {"name": "a"}}),
            json!({"retainKeysMap": {"$retainKeys": "name"}}),
            400,
            "invalid patch format of retainKeys",
        ),
        (
            "malformed delete list directive",
            json!({"mergingIntList": [1]}),
            json!({"$deleteFromPrimitiveListmergingIntList": [1]}),
            400,
            "invalid patch format of primitive list",
        ),
        (
            "malformed set element order directive",
            json!({"mergingIntList": [1]}),
            json!({"$setElementOrdermergingIntList": [1]}),
            400,
            "invalid patch format of setElementOrder list",
        ),
        (
            "set element order not a list",
            json!({"mergingIntList": [1]}),
            json!({"$setElementOrder/mergingIntList": {"a": 1}}),
            500,
            "expected a []interface {}, but received a map[string]interface {}",
        ),
        (
            "lists of lists",
            json!({"mergingIntList": [[1]]}),
            json!({"mergingIntList": [[2]]}),
            422,
            "lists of lists are not supported",
        ),
        (
            "mixed item types",
            json!({"mergingIntList": [1]}),
            json!({"mergingIntList": ["a"]}),
            500,
            "list element types are not identical: [[1] [a]]",
        ),
        (
            "item without merge key",
            json!({"mergingList": [{"name": "a"}]}),
            json!({"mergingList": [{"value": "b"}]}),
            500,
            "map: map[value:b] does not contain declared merge key: name",
        ),
        (
            "delete directive without merge key",
            json!({"mergingList": [{"name": "a"}]}),
            json!({"mergingList": [{"$patch": "delete"}]}),
            500,
            "map: map[$patch:delete] does not contain declared merge key: name",
        ),
        (
            "merge directive in a list",
            json!({"mergingList": [{"name": "a"}]}),
            json!({"mergingList": [{"$patch": "merge"}]}),
            500,
            "merging lists cannot yet be specified in the patch",
        ),
        (
            "unknown directive in a map",
            json!({"simpleMap": {"a": "1"}}),
            json!({"simpleMap": {"$patch": "frob"}}),
            500,
            "unknown patch type: frob in map: map[$patch:frob]",
        ),
        (
            "merge directive in a map",
            json!({"simpleMap": {"a": "1"}}),
            json!({"simpleMap": {"$patch": "merge", "b": "2"}}),
            500,
            "unknown patch type: merge in map: map[$patch:merge b:2]",
        ),
        (
            "objects in a set-like list",
            json!({"mergingIntList": [{"a": 1}]}),
            json!({"mergingIntList": [{"a": 2}]}),
            500,
            "cannot merge lists without merge key for struct",
        ),
        (
            "set element order naming items the patch does not order",
            json!({"mergingList": [{"name": "a"}, {"name": "b"}]}),
            json!({
                "$setElementOrder/mergingList": [{"name": "a"}],
                "mergingList": [{"name": "b"}]
            }),
            500,
            "the order in patch list:\n[map[name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]",
        ),
        (
            "patch is a list",
            json!({}),
            json!([1]),
            400,
            "json: cannot unmarshal array into Go value of type map[string]interface {}",
        ),
    ];
    for (name, stored, patch, status, message) in cases {
        let err = smp(stored, patch).expect_err(name);
        assert_eq!(err.status_code(), status, "{name}: {err:?}");
        assert_eq!(err.to_string(), message, "{name}");
    }
}

#[test]
fn stored_object_must_be_an_object() {
    let err = apply(&json!([1]), &json!({}), Some(&MERGE_ITEM)).expect_err("a list is no object");
    assert!(matches!(err, PatchError::InvalidDocument));
}
