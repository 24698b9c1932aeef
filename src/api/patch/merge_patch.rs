//! RFC 7386 JSON merge patch as kube-apiserver applies it (`gopkg.in/evanphx/json-patch.v4`'s
//! `MergePatch`): objects merge recursively, `null` deletes a member, anything else replaces.
//!
//! Like upstream, nulls are pruned from values the patch adds (also inside objects within
//! lists), a list patch replaces the whole document, and a patch that is `null` or a scalar is
//! refused (400 "Invalid JSON Patch").

use serde_json::{Map, Value};

use super::PatchError;

pub(crate) fn apply(doc: &Value, patch: &Value) -> Result<Value, PatchError> {
    match (doc, patch) {
        (Value::Null, _) => Err(PatchError::InvalidDocument),
        (_, Value::Null) => Err(PatchError::InvalidMergePatch),
        (Value::Object(doc), Value::Object(patch)) => {
            let mut out = doc.clone();
            merge_objects(&mut out, patch);
            Ok(Value::Object(out))
        }
        // A document that is not an object becomes the patch.
        (_, Value::Object(patch)) => {
            let mut out = Value::Object(patch.clone());
            prune_nulls(&mut out);
            Ok(out)
        }
        (_, Value::Array(items)) => {
            let mut out = Value::Array(items.clone());
            prune_nulls(&mut out);
            Ok(out)
        }
        _ => Err(PatchError::InvalidMergePatch),
    }
}

fn merge_objects(doc: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, patch_value) in patch {
        if patch_value.is_null() {
            doc.remove(key);
            continue;
        }
        match doc.get_mut(key) {
            Some(current) if !current.is_null() => merge_value(current, patch_value),
            _ => {
                let mut added = patch_value.clone();
                prune_nulls(&mut added);
                doc.insert(key.clone(), added);
            }
        }
    }
}

fn merge_value(current: &mut Value, patch: &Value) {
    match (current.as_object_mut(), patch) {
        (Some(current), Value::Object(patch)) => merge_objects(current, patch),
        // Upstream prunes nulls from the patch value only when the current value is not an
        // object; an object replaced by a list keeps the list as sent.
        (Some(_), _) => *current = patch.clone(),
        (None, _) => {
            let mut replacement = patch.clone();
            prune_nulls(&mut replacement);
            *current = replacement;
        }
    }
}

/// Drops null members of objects, recursively, also in objects inside lists; null list items
/// stay.
fn prune_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(prune_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(prune_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The examples of RFC 7386 appendix A, then kubectl's label/annotate/scale patches.
    #[test]
    fn merge_patch_cases() {
        let cases: Vec<(&str, Value, Value, Value)> = vec![
            (
                "replace member",
                json!({"a": "b"}),
                json!({"a": "c"}),
                json!({"a": "c"}),
            ),
            (
                "add member",
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (
                "delete member",
                json!({"a": "b"}),
                json!({"a": null}),
                json!({}),
            ),
            (
                "delete one of two",
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (
                "list replaces list",
                json!({"a": ["b"]}),
                json!({"a": "c"}),
                json!({"a": "c"}),
            ),
            (
                "scalar replaces list",
                json!({"a": "c"}),
                json!({"a": ["b"]}),
                json!({"a": ["b"]}),
            ),
            (
                "nested merge",
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                "lists are not merged",
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (
                "nested null in an added object is dropped",
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                "array patch replaces the document",
                json!({"a": "foo"}),
                json!(["a", "b"]),
                json!(["a", "b"]),
            ),
            (
                "empty patch",
                json!({"a": "foo"}),
                json!({}),
                json!({"a": "foo"}),
            ),
            (
                "added object loses its nulls",
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
            (
                "object replacing a scalar loses its nulls",
                json!({"a": 1}),
                json!({"a": {"x": null, "y": 2}}),
                json!({"a": {"y": 2}}),
            ),
            (
                "nulls inside objects inside added lists are dropped, null items stay",
                json!({}),
                json!({"l": [{"x": null, "y": 1}, null]}),
                json!({"l": [{"y": 1}, null]}),
            ),
            (
                "kubectl label adds and removes",
                json!({"metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}}}),
                json!({"metadata": {"labels": {"tier": null, "env": "prod"}}}),
                json!({"metadata": {"name": "web", "labels": {"app": "web", "env": "prod"}}}),
            ),
            (
                "kubectl annotate on an object without annotations",
                json!({"metadata": {"name": "web"}}),
                json!({"metadata": {"annotations": {"note": "hi", "gone": null}}}),
                json!({"metadata": {"name": "web", "annotations": {"note": "hi"}}}),
            ),
            (
                "kubectl scale",
                json!({"spec": {"replicas": 1}, "status": {"replicas": 1}}),
                json!({"spec": {"replicas": 3}}),
                json!({"spec": {"replicas": 3}, "status": {"replicas": 1}}),
            ),
            (
                "merge patch replaces lists whole",
                json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b"}]}}),
                json!({"spec": {"containers": [{"name": "a", "image": "y"}]}}),
                json!({"spec": {"containers": [{"name": "a", "image": "y"}]}}),
            ),
            (
                "null member in the document is replaced",
                json!({"a": null}),
                json!({"a": {"b": null, "c": 1}}),
                json!({"a": {"c": 1}}),
            ),
        ];
        for (name, doc, patch, want) in cases {
            let got = apply(&doc, &patch).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn invalid_merge_patches() {
        let doc = json!({"a": 1});
        for patch in [json!(null), json!("x"), json!(1), json!(true)] {
            let err = apply(&doc, &patch).expect_err("not a merge patch");
            assert!(matches!(err, PatchError::InvalidMergePatch), "{patch}");
            assert_eq!(err.status_code(), 400);
            assert_eq!(err.upstream_message(), "Invalid JSON Patch");
        }
        let err = apply(&Value::Null, &json!({})).expect_err("null document");
        assert!(matches!(err, PatchError::InvalidDocument));
    }
}
