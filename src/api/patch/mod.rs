//! The three patch formats of `PATCH` requests, applied to a stored object as kube-apiserver
//! applies them: JSON patch (RFC 6902, as `gopkg.in/evanphx/json-patch.v4` does it), JSON merge
//! patch (RFC 7386, same library) and strategic merge patch (`k8s.io/apimachinery`'s
//! `strategicpatch`, with the patch metadata of the built-in kinds in `schema`).
//!
//! Everything here is a pure function on [`serde_json::Value`]. The caller decodes the body,
//! picks the format from the Content-Type ([`PatchType::from_content_type`]), applies it to the
//! stored object in its request version, and turns a [`PatchError`] into a `Status` with
//! [`PatchError::status_code`], [`PatchError::reason`] and [`PatchError::upstream_message`].
//!
//! Left to the caller, as upstream does it outside these libraries: decoding the result into the
//! typed object (which drops nulls and unknown fields) and `fieldValidation` (strict decoding of
//! the patch body and of the result).
//!
//! Server-side apply (`application/apply-patch+yaml`) is not one of these formats; it can reuse
//! [`list_strategy`] and [`map_strategy`] for the built-in kinds.

mod gofmt;
mod json_patch;
mod merge_patch;
mod schema;
mod strategic;

#[cfg(test)]
mod kubectl_tests;

use serde_json::Value;

pub use json_patch::MAX_OPERATIONS as MAX_JSON_PATCH_OPERATIONS;
pub use schema::{
    ListStrategy, MapStrategy, list_strategy, map_strategy, strategic_merge_supported,
};

/// The patch formats a `PATCH` request can use (besides server-side apply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json`: RFC 6902 operations.
    Json,
    /// `application/merge-patch+json`: RFC 7386.
    Merge,
    /// `application/strategic-merge-patch+json`: Kubernetes' strategic merge patch.
    Strategic,
}

impl PatchType {
    /// The format named by a request's Content-Type; parameters (`; charset=utf-8`) and case are
    /// ignored. `None` for anything else, including `application/apply-patch+yaml`.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let essence = ct.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("application/json-patch+json") {
            Some(PatchType::Json)
        } else if essence.eq_ignore_ascii_case("application/merge-patch+json") {
            Some(PatchType::Merge)
        } else if essence.eq_ignore_ascii_case("application/strategic-merge-patch+json") {
            Some(PatchType::Strategic)
        } else {
            None
        }
    }

    /// The Content-Type of this format.
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::Strategic => "application/strategic-merge-patch+json",
        }
    }
}

/// Why a patch could not be applied. [`PatchError::status_code`], [`PatchError::reason`] and
/// [`PatchError::upstream_message`] give the `Status` kube-apiserver answers with; `Display`
/// gives the detail, for logs.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// A JSON patch that is not a list (400).
    #[error("json: cannot unmarshal {found} into Go value of type jsonpatch.Patch")]
    JsonPatchNotList { found: &'static str },
    /// A JSON patch operation that is not an object (400).
    #[error("json: cannot unmarshal {found} into Go value of type jsonpatch.Operation")]
    JsonPatchOperationNotObject { found: &'static str },
    /// A JSON patch with more operations than the server accepts (413).
    #[error("the allowed maximum operations in a json patch is {max}, got {got}")]
    TooManyOperations { max: usize, got: usize },
    /// A JSON patch operation that does not apply to the object: a missing path, a failed
    /// `test`, an unknown `op`… (422). `message` is the library's text, which upstream logs but
    /// does not send.
    #[error("{}", lowercase_first(.message))]
    JsonPatchFailed { message: String },
    /// A merge patch that is neither an object nor a list (400).
    #[error("invalid json patch")]
    InvalidMergePatch,
    /// The stored object is not a JSON object (500).
    #[error("invalid json document")]
    InvalidDocument,
    /// Strategic merge patch for a kind without patch metadata: custom resources and
    /// aggregated APIs (upstream answers 415 Unsupported Media Type).
    #[error("strategic merge patch format is not supported")]
    StrategicUnsupported,
    /// A strategic merge patch that is not an object (400).
    #[error("json: cannot unmarshal {found} into Go value of type map[string]interface {{}}")]
    StrategicPatchNotObject { found: &'static str },
    /// A malformed `$deleteFromPrimitiveList/…` directive (400).
    #[error("invalid patch format of primitive list")]
    BadPrimitiveListDirective,
    /// A malformed `$retainKeys` directive, or patch keys missing from it (400).
    #[error("invalid patch format of retainKeys")]
    BadRetainKeysDirective,
    /// A malformed `$setElementOrder/…` directive (400).
    #[error("invalid patch format of setElementOrder list")]
    BadSetElementOrderDirective,
    /// A list of lists in a merged list (422).
    #[error("lists of lists are not supported")]
    ListOfLists,
    /// An item of a merged list without its merge key (500, as upstream).
    #[error("map: {map} does not contain declared merge key: {key}")]
    MissingMergeKey { map: String, key: &'static str },
    /// A value of the wrong JSON type where the patch needs a list or an object (500).
    #[error("expected a {expected}, but received a {actual}")]
    WrongType {
        expected: &'static str,
        actual: &'static str,
    },
    /// A `$patch` directive other than `replace`, `delete` (or `merge` in a list) (500).
    #[error("unknown patch type: {directive} in map: {map}")]
    UnknownDirective { directive: String, map: String },
    /// `$patch: merge` inside a list (500).
    #[error("merging lists cannot yet be specified in the patch")]
    MergeDirectiveInList,
    /// The items of a merged list and its `$setElementOrder` list disagree (500).
    #[error("the order in patch list:\n{patch}\n doesn't match $setElementOrder list:\n{order}")]
    SetElementOrderMismatch { patch: String, order: String },
    /// A merged list whose items are not all of one JSON type (500).
    #[error("list element types are not identical: {lists}")]
    MixedListTypes { lists: String },
    /// A `$setElementOrder` directive for a list that has no items on either side (500).
    #[error("no elements in any of the given slices")]
    NoListElements,
    /// An item of a list matched by merge key that is not an object (500).
    #[error("value for key {index} is not a map")]
    ListItemNotObject { index: usize },
    /// A list of objects merged without a merge key (500).
    #[error("cannot merge lists without merge key for struct")]
    NoMergeKeyForList,
}

impl PatchError {
    /// The HTTP status kube-apiserver answers with. Errors upstream returns as plain Go errors
    /// (not API statuses) become 500 there, and so here.
    pub fn status_code(&self) -> u16 {
        use PatchError::*;
        match self {
            JsonPatchNotList { .. }
            | JsonPatchOperationNotObject { .. }
            | InvalidMergePatch
            | StrategicPatchNotObject { .. }
            | BadPrimitiveListDirective
            | BadRetainKeysDirective
            | BadSetElementOrderDirective => 400,
            TooManyOperations { .. } => 413,
            StrategicUnsupported => 415,
            JsonPatchFailed { .. } | ListOfLists => 422,
            InvalidDocument
            | MissingMergeKey { .. }
            | WrongType { .. }
            | UnknownDirective { .. }
            | MergeDirectiveInList
            | SetElementOrderMismatch { .. }
            | MixedListTypes { .. }
            | NoListElements
            | ListItemNotObject { .. }
            | NoMergeKeyForList => 500,
        }
    }

    /// The `reason` of kube-apiserver's `Status`; empty (`Unknown`, left out of the JSON) for
    /// the 500s.
    pub fn reason(&self) -> &'static str {
        match self.status_code() {
            400 => "BadRequest",
            413 => "RequestEntityTooLarge",
            415 => "UnsupportedMediaType",
            422 => "Invalid",
            _ => "",
        }
    }

    /// The `message` of kube-apiserver's `Status`, letter for letter. For the 422s upstream
    /// answers a fixed text and drops the detail, which [`Display`](std::fmt::Display) keeps.
    pub fn upstream_message(&self) -> String {
        use PatchError::*;
        match self {
            TooManyOperations { max, got } => format!(
                "Request entity too large: The allowed maximum operations in a JSON patch is {max}, got {got}"
            ),
            JsonPatchFailed { .. } | ListOfLists => {
                "the server rejected our request due to an error in our request".to_owned()
            }
            InvalidMergePatch => "Invalid JSON Patch".to_owned(),
            InvalidDocument => "Invalid JSON Document".to_owned(),
            // The media types a custom resource accepts for PATCH.
            StrategicUnsupported => "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml".to_owned(),
            SetElementOrderMismatch { patch, order } => format!(
                "The order in patch list:\n{patch}\n doesn't match $setElementOrder list:\n{order}\n"
            ),
            other => other.to_string(),
        }
    }
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Applies an RFC 6902 JSON patch to `doc`.
pub fn apply_json_patch(doc: &Value, patch: &Value) -> Result<Value, PatchError> {
    json_patch::apply(doc, patch)
}

/// Applies an RFC 7386 JSON merge patch to `doc`.
pub fn apply_merge_patch(doc: &Value, patch: &Value) -> Result<Value, PatchError> {
    merge_patch::apply(doc, patch)
}

/// Applies a strategic merge patch to `doc`, an object of kind `gvk` = (group, version, kind)
/// in that version. [`PatchError::StrategicUnsupported`] for groups that are not built in.
pub fn apply_strategic_merge_patch(
    doc: &Value,
    patch: &Value,
    gvk: (&str, &str, &str),
) -> Result<Value, PatchError> {
    let (group, version, kind) = gvk;
    let ty = schema::root_type(group, version, kind).ok_or(PatchError::StrategicUnsupported)?;
    strategic::apply(doc, patch, Some(ty))
}

/// Applies a patch of format `pt` to `doc`, an object of kind `gvk` = (group, version, kind).
pub fn apply(
    pt: PatchType,
    doc: &Value,
    patch: &Value,
    gvk: (&str, &str, &str),
) -> Result<Value, PatchError> {
    match pt {
        PatchType::Json => apply_json_patch(doc, patch),
        PatchType::Merge => apply_merge_patch(doc, patch),
        PatchType::Strategic => apply_strategic_merge_patch(doc, patch, gvk),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn content_types() {
        let cases = [
            ("application/json-patch+json", Some(PatchType::Json)),
            ("application/merge-patch+json", Some(PatchType::Merge)),
            (
                "application/strategic-merge-patch+json",
                Some(PatchType::Strategic),
            ),
            (
                "application/merge-patch+json; charset=utf-8",
                Some(PatchType::Merge),
            ),
            ("Application/JSON-Patch+JSON", Some(PatchType::Json)),
            ("application/apply-patch+yaml", None),
            ("application/json", None),
            ("", None),
        ];
        for (ct, want) in cases {
            assert_eq!(PatchType::from_content_type(ct), want, "{ct}");
        }
        for pt in [PatchType::Json, PatchType::Merge, PatchType::Strategic] {
            assert_eq!(PatchType::from_content_type(pt.content_type()), Some(pt));
        }
    }

    #[test]
    fn dispatches_on_type() {
        let doc = json!({"metadata": {"finalizers": ["a"]}, "spec": {"x": 1}});
        let gvk = ("", "v1", "ConfigMap");
        let merged = apply(
            PatchType::Merge,
            &doc,
            &json!({"metadata": {"finalizers": ["b"]}}),
            gvk,
        )
        .expect("merge patch applies");
        assert_eq!(merged["metadata"]["finalizers"], json!(["b"]));
        let strategic = apply(
            PatchType::Strategic,
            &doc,
            &json!({"metadata": {"finalizers": ["b"]}}),
            gvk,
        )
        .expect("strategic merge patch applies");
        assert_eq!(strategic["metadata"]["finalizers"], json!(["b", "a"]));
        let json_patched = apply(
            PatchType::Json,
            &doc,
            &json!([{"op": "replace", "path": "/spec/x", "value": 2}]),
            gvk,
        )
        .expect("json patch applies");
        assert_eq!(json_patched["spec"]["x"], json!(2));
    }

    #[test]
    fn custom_resources_refuse_strategic_merge_patch() {
        let err = apply(
            PatchType::Strategic,
            &json!({"spec": {}}),
            &json!({"spec": {"a": 1}}),
            ("example.com", "v1", "Widget"),
        )
        .expect_err("no strategic merge patch for custom resources");
        assert!(matches!(err, PatchError::StrategicUnsupported));
        assert_eq!(err.status_code(), 415);
        // The other formats work for them.
        let merged = apply(
            PatchType::Merge,
            &json!({"spec": {}}),
            &json!({"spec": {"a": 1}}),
            ("example.com", "v1", "Widget"),
        )
        .expect("merge patch applies to custom resources");
        assert_eq!(merged, json!({"spec": {"a": 1}}));
    }

    #[test]
    fn errors_map_to_upstream_statuses() {
        // (error, status, reason, our message, kube-apiserver's Status message)
        let cases: Vec<(PatchError, u16, &str, &str, &str)> = vec![
            (
                PatchError::JsonPatchNotList { found: "object" },
                400,
                "BadRequest",
                "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
                "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
            ),
            (
                PatchError::TooManyOperations {
                    max: 10000,
                    got: 10001,
                },
                413,
                "RequestEntityTooLarge",
                "the allowed maximum operations in a json patch is 10000, got 10001",
                "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
            ),
            (
                PatchError::JsonPatchFailed {
                    message: "Unexpected kind: frob".to_owned(),
                },
                422,
                "Invalid",
                "unexpected kind: frob",
                "the server rejected our request due to an error in our request",
            ),
            (
                PatchError::ListOfLists,
                422,
                "Invalid",
                "lists of lists are not supported",
                "the server rejected our request due to an error in our request",
            ),
            (
                PatchError::InvalidMergePatch,
                400,
                "BadRequest",
                "invalid json patch",
                "Invalid JSON Patch",
            ),
            (
                PatchError::StrategicUnsupported,
                415,
                "UnsupportedMediaType",
                "strategic merge patch format is not supported",
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            ),
            (
                PatchError::BadRetainKeysDirective,
                400,
                "BadRequest",
                "invalid patch format of retainKeys",
                "invalid patch format of retainKeys",
            ),
            (
                PatchError::MissingMergeKey {
                    map: "map[image:x]".to_owned(),
                    key: "name",
                },
                500,
                "",
                "map: map[image:x] does not contain declared merge key: name",
                "map: map[image:x] does not contain declared merge key: name",
            ),
            (
                PatchError::SetElementOrderMismatch {
                    patch: "[map[name:b]]".to_owned(),
                    order: "[map[name:a]]".to_owned(),
                },
                500,
                "",
                "the order in patch list:\n[map[name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]",
                "The order in patch list:\n[map[name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]\n",
            ),
        ];
        for (err, status, reason, display, upstream) in cases {
            assert_eq!(err.status_code(), status, "{err:?}");
            assert_eq!(err.reason(), reason, "{err:?}");
            assert_eq!(err.to_string(), display);
            assert_eq!(err.upstream_message(), upstream);
        }
    }
}
