//! RFC 6902 JSON patch as kube-apiserver applies it (`gopkg.in/evanphx/json-patch.v4`), quirks
//! and messages included:
//!
//! - negative array indices count from the end (`/spec/containers/-1`);
//! - `replace` of a missing object key adds it (only array indices must exist);
//! - a null (or missing) `value` adds a null; `test` treats null and missing alike;
//! - a path without a leading `/` ignores its first segment;
//! - `copy` may add at most 3 MiB in total to the object.
//!
//! Errors carry the library's message text (upstream's 422 `Status` replaces it with a fixed
//! text); they all answer 422, except a patch that is not a list of objects (400) and one with
//! too many operations (413).

use serde_json::Value;

use super::PatchError;
use super::gofmt::json_kind;

/// Most operations kube-apiserver accepts in one JSON patch.
pub const MAX_OPERATIONS: usize = 10_000;

/// Most bytes `copy` operations may add to an object, in total (kube-apiserver's
/// `--json-patch-max-copy-bytes` default).
const MAX_COPY_BYTES: usize = 3 * 1024 * 1024;

/// Upstream's `ErrMissing` text, which ends most messages.
const MISSING: &str = "missing value";

pub(crate) fn apply(doc: &Value, patch: &Value) -> Result<Value, PatchError> {
    let ops: &[Value] = match patch {
        Value::Array(ops) => ops,
        // `null` decodes to an empty patch.
        Value::Null => &[],
        other => {
            return Err(PatchError::JsonPatchNotList {
                found: json_kind(other),
            });
        }
    };
    if let Some(op) = ops.iter().find(|op| !(op.is_object() || op.is_null())) {
        return Err(PatchError::JsonPatchOperationNotObject {
            found: json_kind(op),
        });
    }
    if ops.len() > MAX_OPERATIONS {
        return Err(PatchError::TooManyOperations {
            max: MAX_OPERATIONS,
            got: ops.len(),
        });
    }
    if !(doc.is_object() || doc.is_array()) {
        return Err(PatchError::InvalidDocument);
    }
    let mut root = doc.clone();
    let mut copied = 0;
    for op in ops {
        apply_op(&mut root, op, &mut copied)
            .map_err(|message| PatchError::JsonPatchFailed { message })?;
    }
    Ok(root)
}

fn apply_op(root: &mut Value, op: &Value, copied: &mut usize) -> Result<(), String> {
    match kind(op) {
        "add" => add(root, op),
        "remove" => remove(root, op),
        "replace" => replace(root, op),
        "move" => move_op(root, op),
        "test" => test(root, op),
        "copy" => copy(root, op, copied),
        other => Err(format!("Unexpected kind: {other}")),
    }
}

/// The `op` member; anything but a string is "unknown".
fn kind(op: &Value) -> &str {
    op.get("op").and_then(Value::as_str).unwrap_or("unknown")
}

fn string_member(op: &Value, name: &str, missing: &str) -> Result<String, String> {
    match op.get(name) {
        None | Some(Value::Null) => Err(missing.to_owned()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!(
            "json: cannot unmarshal {} into Go value of type string",
            json_kind(other)
        )),
    }
}

fn path(op: &Value) -> Result<String, String> {
    string_member(
        op,
        "path",
        &format!("operation missing path field: {MISSING}"),
    )
}

fn from(op: &Value) -> Result<String, String> {
    string_member(
        op,
        "from",
        &format!("operation, missing from field: {MISSING}"),
    )
}

/// The `value` member; a missing value behaves as null.
fn value(op: &Value) -> Value {
    op.get("value").cloned().unwrap_or(Value::Null)
}

/// RFC 6901 unescaping, in one pass (`~01` is `~1`, not `/`).
fn unescape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.peek() {
                Some('1') => {
                    chars.next();
                    out.push('/');
                    continue;
                }
                Some('0') => {
                    chars.next();
                    out.push('~');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// Go's `strconv.Atoi`, with its error text.
fn atoi(s: &str) -> Result<i64, String> {
    s.parse::<i64>().map_err(|e| {
        let reason = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        format!("strconv.Atoi: parsing {s:?}: {reason}")
    })
}

fn invalid_index(idx: i64) -> String {
    format!("Unable to access invalid index: {idx}: invalid index referenced")
}

/// An existing array position for `key`, negative indices counting from the end.
fn existing_index(len: usize, key: &str) -> Result<usize, String> {
    let idx = atoi(key)?;
    let len = i64::try_from(len).map_err(|_| invalid_index(idx))?;
    let pos = if idx < 0 {
        if idx < -len {
            return Err(invalid_index(idx));
        }
        idx + len
    } else {
        idx
    };
    if pos >= len {
        return Err(invalid_index(idx));
    }
    usize::try_from(pos).map_err(|_| invalid_index(idx))
}

/// Resolves all but the last token of `path` to the object or array that holds the target,
/// returning it with the (unescaped) last token. `None` where upstream's `findObject` finds
/// nothing: a path with no `/`, a missing or null intermediate, or a scalar on the way.
fn find<'a>(root: &'a mut Value, path: &str) -> Option<(&'a mut Value, String)> {
    let tokens: Vec<&str> = path.split('/').collect();
    if tokens.len() < 2 {
        return None;
    }
    let (last, middle) = tokens[1..].split_last()?;
    let mut cur = root;
    for token in middle {
        let key = unescape(token);
        let next = match cur {
            Value::Object(map) => map.get_mut(&key)?,
            Value::Array(items) => {
                let pos = existing_index(items.len(), &key).ok()?;
                items.get_mut(pos)?
            }
            _ => return None,
        };
        if !(next.is_object() || next.is_array()) {
            return None;
        }
        cur = next;
    }
    Some((cur, unescape(last)))
}

/// What upstream's `container.get` answers: a missing object key is null, not an error.
fn get(container: &Value, key: &str) -> Result<Value, String> {
    match container {
        Value::Object(map) => Ok(map.get(key).cloned().unwrap_or(Value::Null)),
        Value::Array(items) => {
            let pos = existing_index(items.len(), key)?;
            Ok(items[pos].clone())
        }
        _ => Err(MISSING.to_owned()),
    }
}

fn insert(container: &mut Value, key: &str, val: Value) -> Result<(), String> {
    match container {
        Value::Object(map) => {
            map.insert(key.to_owned(), val);
            Ok(())
        }
        Value::Array(items) => {
            if key == "-" {
                items.push(val);
                return Ok(());
            }
            let idx = atoi(key)
                .map_err(|e| format!("value was not a proper array index: '{key}': {e}"))?;
            let size = i64::try_from(items.len() + 1).map_err(|_| invalid_index(idx))?;
            if idx >= size {
                return Err(invalid_index(idx));
            }
            let pos = if idx < 0 {
                if idx < -size {
                    return Err(invalid_index(idx));
                }
                idx + size
            } else {
                idx
            };
            let pos = usize::try_from(pos).map_err(|_| invalid_index(idx))?;
            items.insert(pos, val);
            Ok(())
        }
        _ => Err(MISSING.to_owned()),
    }
}

fn delete(container: &mut Value, key: &str) -> Result<(), String> {
    match container {
        Value::Object(map) => match map.remove(key) {
            Some(_) => Ok(()),
            None => Err(format!(
                "Unable to remove nonexistent key: {key}: {MISSING}"
            )),
        },
        Value::Array(items) => {
            let idx = atoi(key)?;
            let len = i64::try_from(items.len()).map_err(|_| invalid_index(idx))?;
            if idx >= len {
                return Err(invalid_index(idx));
            }
            let pos = if idx < 0 {
                if idx < -len {
                    return Err(invalid_index(idx));
                }
                idx + len
            } else {
                idx
            };
            let pos = usize::try_from(pos).map_err(|_| invalid_index(idx))?;
            items.remove(pos);
            Ok(())
        }
        _ => Err(MISSING.to_owned()),
    }
}

fn add(root: &mut Value, op: &Value) -> Result<(), String> {
    let path = path(op).map_err(|_| format!("add operation failed to decode path: {MISSING}"))?;
    let Some((container, key)) = find(root, &path) else {
        return Err(format!(
            "add operation does not apply: doc is missing path: \"{path}\": {MISSING}"
        ));
    };
    insert(container, &key, value(op)).map_err(|e| format!("error in add for path: '{path}': {e}"))
}

fn remove(root: &mut Value, op: &Value) -> Result<(), String> {
    let path =
        path(op).map_err(|_| format!("remove operation failed to decode path: {MISSING}"))?;
    let Some((container, key)) = find(root, &path) else {
        return Err(format!(
            "remove operation does not apply: doc is missing path: \"{path}\": {MISSING}"
        ));
    };
    delete(container, &key).map_err(|e| format!("error in remove for path: '{path}': {e}"))
}

fn replace(root: &mut Value, op: &Value) -> Result<(), String> {
    let path = path(op).map_err(|e| format!("replace operation failed to decode path: {e}"))?;
    if path.is_empty() {
        let val = value(op);
        if !(val.is_object() || val.is_array()) {
            return Err("replace operation value must be object or array".to_owned());
        }
        *root = val;
        return Ok(());
    }
    let Some((container, key)) = find(root, &path) else {
        return Err(format!(
            "replace operation does not apply: doc is missing path: {path}: {MISSING}"
        ));
    };
    match container {
        Value::Object(map) => {
            // Upstream does not check that the key exists: replace adds.
            map.insert(key, value(op));
        }
        Value::Array(items) => {
            let pos = existing_index(items.len(), &key).map_err(|_| {
                format!("replace operation does not apply: doc is missing key: {path}: {MISSING}")
            })?;
            items[pos] = value(op);
        }
        _ => {
            return Err(format!(
                "replace operation does not apply: doc is missing path: {path}: {MISSING}"
            ));
        }
    }
    Ok(())
}

fn move_op(root: &mut Value, op: &Value) -> Result<(), String> {
    let from = from(op).map_err(|e| format!("move operation failed to decode from: {e}"))?;
    let Some((container, key)) = find(root, &from) else {
        return Err(format!(
            "move operation does not apply: doc is missing from path: {from}: {MISSING}"
        ));
    };
    let val = get(container, &key).map_err(|e| format!("error in move for path: '{key}': {e}"))?;
    delete(container, &key).map_err(|e| format!("error in move for path: '{key}': {e}"))?;
    let path = path(op).map_err(|e| format!("move operation failed to decode path: {e}"))?;
    let Some((container, key)) = find(root, &path) else {
        return Err(format!(
            "move operation does not apply: doc is missing destination path: {path}: {MISSING}"
        ));
    };
    insert(container, &key, val).map_err(|e| format!("error in move for path: '{path}': {e}"))
}

fn test(root: &mut Value, op: &Value) -> Result<(), String> {
    let path = path(op).map_err(|e| format!("test operation failed to decode path: {e}"))?;
    let failed = || format!("testing value {path} failed: test failed");
    let expected = value(op);
    if path.is_empty() {
        return if *root == expected {
            Ok(())
        } else {
            Err(failed())
        };
    }
    let Some((container, key)) = find(root, &path) else {
        return Err(format!(
            "test operation does not apply: is missing path: {path}: {MISSING}"
        ));
    };
    let actual =
        get(container, &key).map_err(|e| format!("error in test for path: '{path}': {e}"))?;
    if actual == expected {
        Ok(())
    } else {
        Err(failed())
    }
}

fn copy(root: &mut Value, op: &Value, copied: &mut usize) -> Result<(), String> {
    let from = from(op).map_err(|e| format!("copy operation failed to decode from: {e}"))?;
    let Some((container, key)) = find(root, &from) else {
        return Err(format!(
            "copy operation does not apply: doc is missing from path: {from}: {MISSING}"
        ));
    };
    let val = get(container, &key).map_err(|e| format!("error in copy for from: '{from}': {e}"))?;
    let path = path(op).map_err(|_| format!("copy operation failed to decode path: {MISSING}"))?;
    let Some((container, key)) = find(root, &path) else {
        return Err(format!(
            "copy operation does not apply: doc is missing destination path: {path}: {MISSING}"
        ));
    };
    // Upstream counts the encoded size of each copied value; a missing source copies nothing.
    if !val.is_null() {
        *copied += serde_json::to_vec(&val).map_or(0, |bytes| bytes.len());
    }
    if *copied > MAX_COPY_BYTES {
        return Err(format!(
            "Unable to complete the copy, the accumulated size increase of copy is {copied}, exceeding the limit {MAX_COPY_BYTES}"
        ));
    }
    insert(container, &key, val).map_err(|e| format!("error while adding value during copy: {e}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn doc() -> Value {
        json!({
            "metadata": {"name": "web", "labels": {"app": "web", "a/b": "slash", "t~x": "tilde"}},
            "spec": {
                "replicas": 1,
                "containers": [
                    {"name": "a", "image": "nginx:1"},
                    {"name": "b", "image": "busybox"}
                ]
            }
        })
    }

    /// (name, patch, expected result).
    #[test]
    fn operations_apply() {
        let cases: Vec<(&str, Value, Value)> = vec![
            (
                "add object member",
                json!([{"op": "add", "path": "/metadata/labels/tier", "value": "fe"}]),
                json!({"app": "web", "a/b": "slash", "t~x": "tilde", "tier": "fe"}),
            ),
            (
                "add replaces an existing member",
                json!([{"op": "add", "path": "/metadata/labels/app", "value": "x"}]),
                json!({"app": "x", "a/b": "slash", "t~x": "tilde"}),
            ),
            (
                "remove with escaped tokens",
                json!([
                    {"op": "remove", "path": "/metadata/labels/a~1b"},
                    {"op": "remove", "path": "/metadata/labels/t~0x"}
                ]),
                json!({"app": "web"}),
            ),
            (
                "replace a missing object key adds it",
                json!([{"op": "replace", "path": "/metadata/labels/new", "value": "v"}]),
                json!({"app": "web", "a/b": "slash", "t~x": "tilde", "new": "v"}),
            ),
            (
                "test then replace",
                json!([
                    {"op": "test", "path": "/metadata/labels/app", "value": "web"},
                    {"op": "replace", "path": "/metadata/labels/app", "value": "api"}
                ]),
                json!({"app": "api", "a/b": "slash", "t~x": "tilde"}),
            ),
            (
                "add null when value is missing",
                json!([{"op": "add", "path": "/metadata/labels/n"}]),
                json!({"app": "web", "a/b": "slash", "t~x": "tilde", "n": null}),
            ),
        ];
        for (name, patch, want) in cases {
            let got = apply(&doc(), &patch).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(got["metadata"]["labels"], want, "{name}");
        }
    }

    #[test]
    fn array_operations() {
        let names = |v: &Value| -> Vec<String> {
            v["spec"]["containers"]
                .as_array()
                .expect("containers stay a list")
                .iter()
                .map(|c| c["name"].as_str().unwrap_or("?").to_owned())
                .collect()
        };
        let cases: Vec<(&str, Value, Vec<&str>)> = vec![
            (
                "append with -",
                json!([{"op": "add", "path": "/spec/containers/-", "value": {"name": "c"}}]),
                vec!["a", "b", "c"],
            ),
            (
                "insert at index",
                json!([{"op": "add", "path": "/spec/containers/1", "value": {"name": "c"}}]),
                vec!["a", "c", "b"],
            ),
            (
                "insert at len appends",
                json!([{"op": "add", "path": "/spec/containers/2", "value": {"name": "c"}}]),
                vec!["a", "b", "c"],
            ),
            (
                "negative add index counts from the end",
                json!([{"op": "add", "path": "/spec/containers/-1", "value": {"name": "c"}}]),
                vec!["a", "b", "c"],
            ),
            (
                "remove first",
                json!([{"op": "remove", "path": "/spec/containers/0"}]),
                vec!["b"],
            ),
            (
                "remove negative",
                json!([{"op": "remove", "path": "/spec/containers/-1"}]),
                vec!["a"],
            ),
            (
                "move within list",
                json!([{"op": "move", "from": "/spec/containers/0", "path": "/spec/containers/-"}]),
                vec!["b", "a"],
            ),
            (
                "copy item",
                json!([{"op": "copy", "from": "/spec/containers/1", "path": "/spec/containers/0"}]),
                vec!["b", "a", "b"],
            ),
            (
                "replace item member through negative index",
                json!([{"op": "replace", "path": "/spec/containers/-2/name", "value": "z"}]),
                vec!["z", "b"],
            ),
        ];
        for (name, patch, want) in cases {
            let got = apply(&doc(), &patch).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(names(&got), want, "{name}");
        }
    }

    #[test]
    fn move_copy_and_root() {
        let got = apply(
            &doc(),
            &json!([
                {"op": "move", "from": "/metadata/labels/app", "path": "/metadata/app"},
                {"op": "copy", "from": "/spec/replicas", "path": "/spec/copied"}
            ]),
        )
        .expect("move and copy apply");
        assert_eq!(got["metadata"]["app"], json!("web"));
        assert!(got["metadata"]["labels"].get("app").is_none());
        assert_eq!(got["spec"]["copied"], json!(1));

        let got = apply(
            &doc(),
            &json!([{"op": "replace", "path": "", "value": {"kind": "X"}}]),
        )
        .expect("root replace applies");
        assert_eq!(got, json!({"kind": "X"}));

        // Upstream ignores the first segment of a path without a leading slash.
        let got = apply(
            &doc(),
            &json!([{"op": "add", "path": "ignored/top", "value": 1}]),
        )
        .expect("path without leading slash applies");
        assert_eq!(got["top"], json!(1));

        assert_eq!(
            apply(&doc(), &Value::Null).expect("null is an empty patch"),
            doc()
        );
    }

    #[test]
    fn test_op_semantics() {
        let ok = |patch: Value| apply(&doc(), &patch).is_ok();
        assert!(ok(
            json!([{"op": "test", "path": "/spec/replicas", "value": 1}])
        ));
        assert!(!ok(
            json!([{"op": "test", "path": "/spec/replicas", "value": 2}])
        ));
        assert!(!ok(
            json!([{"op": "test", "path": "/spec/replicas", "value": "1"}])
        ));
        // Null and missing are alike, for the document and for the value.
        assert!(ok(
            json!([{"op": "test", "path": "/spec/missing", "value": null}])
        ));
        assert!(ok(json!([{"op": "test", "path": "/spec/missing"}])));
        assert!(!ok(
            json!([{"op": "test", "path": "/spec/missing", "value": 0}])
        ));
        assert!(!ok(json!([{"op": "test", "path": "/spec/replicas"}])));
        assert!(ok(
            json!([{"op": "test", "path": "/spec/containers/1", "value": {"name": "b", "image": "busybox"}}])
        ));
        assert!(ok(json!([{"op": "test", "path": "", "value": doc()}])));
        assert!(!ok(json!([{"op": "test", "path": "", "value": {}}])));
    }

    /// (name, patch, upstream message).
    #[test]
    fn failures_carry_the_library_messages() {
        let cases: Vec<(&str, Value, &str)> = vec![
            (
                "failed test",
                json!([{"op": "test", "path": "/spec/replicas", "value": 5}]),
                "testing value /spec/replicas failed: test failed",
            ),
            (
                "remove missing key",
                json!([{"op": "remove", "path": "/metadata/labels/nope"}]),
                "error in remove for path: '/metadata/labels/nope': Unable to remove nonexistent key: nope: missing value",
            ),
            (
                "add under missing parent",
                json!([{"op": "add", "path": "/spec/nope/x", "value": 1}]),
                "add operation does not apply: doc is missing path: \"/spec/nope/x\": missing value",
            ),
            (
                "add beyond the end",
                json!([{"op": "add", "path": "/spec/containers/5", "value": {}}]),
                "error in add for path: '/spec/containers/5': Unable to access invalid index: 5: invalid index referenced",
            ),
            (
                "add with a bad index",
                json!([{"op": "add", "path": "/spec/containers/x", "value": {}}]),
                "error in add for path: '/spec/containers/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax",
            ),
            (
                "replace beyond the end",
                json!([{"op": "replace", "path": "/spec/containers/2", "value": {}}]),
                "replace operation does not apply: doc is missing key: /spec/containers/2: missing value",
            ),
            (
                "replace under a scalar",
                json!([{"op": "replace", "path": "/spec/replicas/x", "value": 1}]),
                "replace operation does not apply: doc is missing path: /spec/replicas/x: missing value",
            ),
            (
                "remove out of range",
                json!([{"op": "remove", "path": "/spec/containers/-3"}]),
                "error in remove for path: '/spec/containers/-3': Unable to access invalid index: -3: invalid index referenced",
            ),
            (
                "move from missing key",
                json!([{"op": "move", "from": "/metadata/nope", "path": "/spec/x"}]),
                "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value",
            ),
            (
                "move into a missing parent",
                json!([{"op": "move", "from": "/spec/replicas", "path": "/nope/x"}]),
                "move operation does not apply: doc is missing destination path: /nope/x: missing value",
            ),
            (
                "copy from a missing parent",
                json!([{"op": "copy", "from": "/nope/x", "path": "/spec/x"}]),
                "copy operation does not apply: doc is missing from path: /nope/x: missing value",
            ),
            (
                "unknown op",
                json!([{"op": "frobnicate", "path": "/spec"}]),
                "Unexpected kind: frobnicate",
            ),
            (
                "missing op",
                json!([{"path": "/spec"}]),
                "Unexpected kind: unknown",
            ),
            (
                "missing path",
                json!([{"op": "add", "value": 1}]),
                "add operation failed to decode path: missing value",
            ),
            (
                "missing path for replace",
                json!([{"op": "replace", "value": 1}]),
                "replace operation failed to decode path: operation missing path field: missing value",
            ),
            (
                "missing from",
                json!([{"op": "move", "path": "/a"}]),
                "move operation failed to decode from: operation, missing from field: missing value",
            ),
            (
                "add at the root",
                json!([{"op": "add", "path": "", "value": {}}]),
                "add operation does not apply: doc is missing path: \"\": missing value",
            ),
            (
                "root replace with a scalar",
                json!([{"op": "replace", "path": "", "value": 1}]),
                "replace operation value must be object or array",
            ),
        ];
        for (name, patch, want) in cases {
            let err = apply(&doc(), &patch).expect_err(name);
            assert!(
                matches!(&err, PatchError::JsonPatchFailed { message } if message == want),
                "{name}: {err:?}"
            );
            assert_eq!(err.status_code(), 422, "{name}");
        }
    }

    #[test]
    fn an_operation_failing_leaves_no_partial_result() {
        let patch = json!([
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "test", "path": "/spec/replicas", "value": 1}
        ]);
        assert!(apply(&doc(), &patch).is_err());
    }

    #[test]
    fn malformed_patches_are_bad_requests() {
        let cases: Vec<(Value, &str)> = vec![
            (
                json!({"op": "add"}),
                "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
            ),
            (
                json!("x"),
                "json: cannot unmarshal string into Go value of type jsonpatch.Patch",
            ),
            (
                json!([{"op": "add", "path": "/a", "value": 1}, 5]),
                "json: cannot unmarshal number into Go value of type jsonpatch.Operation",
            ),
        ];
        for (patch, want) in cases {
            let err = apply(&doc(), &patch).expect_err(want);
            assert_eq!(err.status_code(), 400, "{patch}");
            assert_eq!(err.to_string(), want);
        }
        let too_many = Value::Array(vec![
            json!({"op": "test", "path": "/spec/replicas", "value": 1});
            MAX_OPERATIONS + 1
        ]);
        let err = apply(&doc(), &too_many).expect_err("too many operations");
        assert_eq!(err.status_code(), 413);
        let max = Value::Array(vec![
            json!({"op": "test", "path": "/spec/replicas", "value": 1});
            MAX_OPERATIONS
        ]);
        assert!(apply(&doc(), &max).is_ok());
    }

    #[test]
    fn copies_are_bounded() {
        // Each copy adds exactly 1 MiB: the string and its two quotes.
        let big = "x".repeat(1024 * 1024 - 2);
        let doc = json!({"a": big});
        let ops: Vec<Value> = (0..3)
            .map(|i| json!({"op": "copy", "from": "/a", "path": format!("/c{i}")}))
            .collect();
        assert!(apply(&doc, &Value::Array(ops.clone())).is_ok());
        let mut ops = ops;
        ops.push(json!({"op": "copy", "from": "/a", "path": "/c3"}));
        let err = apply(&doc, &Value::Array(ops)).expect_err("fourth megabyte is over the limit");
        assert!(
            matches!(&err, PatchError::JsonPatchFailed { message } if message == &format!(
                "Unable to complete the copy, the accumulated size increase of copy is {}, exceeding the limit {MAX_COPY_BYTES}",
                4 * 1024 * 1024
            )),
            "{err}"
        );
    }

    /// Standard RFC 6902 patches give what the json-patch crate gives.
    #[test]
    fn agrees_with_json_patch_crate_on_standard_patches() {
        let patches = [
            json!([{"op": "add", "path": "/spec/containers/0/env", "value": [{"name": "A", "value": "1"}]}]),
            json!([{"op": "remove", "path": "/spec/containers/1"}, {"op": "add", "path": "/spec/containers/-", "value": {"name": "c"}}]),
            json!([{"op": "move", "from": "/metadata/labels", "path": "/spec/labels"}]),
            json!([{"op": "copy", "from": "/spec/containers/0", "path": "/spec/first"}]),
            json!([{"op": "replace", "path": "/spec/replicas", "value": 7}, {"op": "test", "path": "/spec/replicas", "value": 7}]),
            json!([{"op": "add", "path": "/metadata/labels/a~1c", "value": "x"}]),
        ];
        for patch in patches {
            let ours = apply(&doc(), &patch).expect("our json patch applies");
            let mut theirs = doc();
            let parsed: json_patch::Patch =
                serde_json::from_value(patch.clone()).expect("valid RFC 6902 patch");
            json_patch::patch(&mut theirs, &parsed).expect("json-patch crate applies");
            assert_eq!(ours, theirs, "{patch}");
        }
    }
}
