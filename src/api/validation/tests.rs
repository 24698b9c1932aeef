//! Entry points: dispatch, the generic ObjectMeta layer, update flow, and the course manifests.

use super::*;
use serde_json::json;

fn msgs(errs: Vec<FieldError>) -> Vec<String> {
    errs.into_iter().map(|e| e.to_string()).collect()
}

/// Every object of every course manifest validates clean on create, and an unchanged update of
/// it (with a resourceVersion) does too.
#[test]
fn course_manifests_validate_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/course");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/course")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    entries.sort();
    assert!(entries.len() >= 12, "course manifests found: {entries:?}");
    let mut objects = 0;
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("read manifest");
        for doc in serde_yaml_ng::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(doc).expect("yaml");
            if value.is_null() {
                continue;
            }
            let mut obj = value;
            let (group, version) =
                crate::api::registry::split_api_version(obj["apiVersion"].as_str().unwrap_or(""));
            let (group, version) = (group.to_owned(), version.to_owned());
            let kind = obj["kind"].as_str().unwrap_or("").to_owned();
            if is_namespaced(&group, &version, &kind) == Some(true) {
                obj["metadata"]["namespace"] = json!("default");
            }
            let errs = msgs(validate_create(&group, &version, &kind, &obj));
            assert!(errs.is_empty(), "{}: {kind} {errs:#?}", path.display());
            let mut stored = obj.clone();
            stored["metadata"]["resourceVersion"] = json!("7");
            stored["metadata"]["uid"] = json!("0b1c5c3e-1111-4b8a-9f0e-2d1f0a9f3c11");
            let errs = msgs(validate_update(&group, &version, &kind, &stored, &stored));
            assert!(
                errs.is_empty(),
                "{}: update of {kind} {errs:#?}",
                path.display()
            );
            objects += 1;
        }
    }
    assert!(objects >= 14, "objects validated: {objects}");
}

#[test]
fn public_name_checks() {
    assert!(is_dns1123_subdomain("mon-pod.v1").is_empty());
    assert!(!is_dns1123_subdomain("Mon_Pod").is_empty());
    assert!(is_dns1123_label("mon-namespace").is_empty());
    assert_eq!(is_dns1123_label("a.b"), vec!["must not contain dots"]);
    assert!(is_dns1035_label("svc").is_empty());
    assert!(!is_dns1035_label("1svc").is_empty());
    assert!(is_qualified_name("app.kubernetes.io/name").is_empty());
    assert!(is_valid_label_value("").is_empty());
    assert!(!is_valid_label_value("a b").is_empty());
}

#[test]
fn object_meta_entry_point() {
    let p = Path::new("metadata");
    assert!(
        validate_object_meta(
            &json!({"name": "x", "namespace": "d"}),
            true,
            NameRule::Dns1123Subdomain,
            &p
        )
        .is_empty()
    );
    assert_eq!(
        msgs(validate_object_meta(
            &json!({"name": "x"}),
            true,
            NameRule::Dns1123Label,
            &p
        )),
        vec!["metadata.namespace: Required value"]
    );
    assert_eq!(
        msgs(validate_object_meta(
            &json!({"name": "x", "namespace": "d"}),
            false,
            NameRule::PathSegment,
            &p
        )),
        vec!["metadata.namespace: Forbidden: not allowed on this type"]
    );
    // Core's rule on finalizer names is not part of the generic one.
    assert!(
        validate_object_meta(
            &json!({"name": "x", "finalizers": ["custom"]}),
            false,
            NameRule::Dns1123Subdomain,
            &p
        )
        .is_empty()
    );
}

#[test]
fn names_per_kind() {
    let cases = [
        (
            "",
            "Namespace",
            json!({"metadata": {"name": "a.b"}}),
            "metadata.name: Invalid value: \"a.b\": must not contain dots",
        ),
        (
            "",
            "Service",
            json!({"metadata": {"name": "1svc", "namespace": "d"}, "spec": {"ports": [{"port": 80}]}}),
            "metadata.name: Invalid value: \"1svc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        ),
        (
            "",
            "ConfigMap",
            json!({"metadata": {"name": "Foo", "namespace": "d"}}),
            "metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ),
        (
            "apps",
            "StatefulSet",
            json!({"metadata": {"name": "db.v1", "namespace": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}}),
            "metadata.name: Invalid value: \"db.v1\": must not contain dots",
        ),
    ];
    for (group, kind, obj, want) in cases {
        assert_eq!(
            msgs(validate_create(group, "v1", kind, &obj)),
            vec![want],
            "{kind}"
        );
    }
}

#[test]
fn generic_meta_runs_after_kind_validation() {
    // A PodDisruptionBudget's own validation ignores metadata: the generic rules catch it.
    let pdb = json!({"metadata": {"name": "a/b", "namespace": "d"}, "spec": {"minAvailable": 1}});
    assert_eq!(
        msgs(validate_create("policy", "v1", "PodDisruptionBudget", &pdb)),
        vec!["metadata.name: Invalid value: \"a/b\": may not contain '/'"]
    );
    let pdb_ns = json!({"metadata": {"name": "web"}, "spec": {"minAvailable": 1}});
    assert_eq!(
        msgs(validate_create(
            "policy",
            "v1",
            "PodDisruptionBudget",
            &pdb_ns
        )),
        vec!["metadata.namespace: Required value"]
    );
    // When the kind's own validation fails, only its errors are reported.
    let pdb_bad =
        json!({"metadata": {"name": "a/b", "namespace": "d"}, "spec": {"minAvailable": -1}});
    assert_eq!(
        msgs(validate_create(
            "policy",
            "v1",
            "PodDisruptionBudget",
            &pdb_bad
        )),
        vec!["spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"]
    );
}

#[test]
fn unknown_kinds_validate_metadata_only() {
    let cr = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1", "namespace": "default"}, "spec": {"anything": true}});
    assert!(validate_create("example.com", "v1", "Widget", &cr).is_empty());
    let bad = json!({"metadata": {"name": "..", "labels": {"x": "-"}}});
    assert_eq!(
        msgs(validate_create("example.com", "v1", "Widget", &bad)),
        vec![
            "metadata.name: Invalid value: \"..\": may not be '..'",
            "metadata.labels: Invalid value: \"-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ]
    );
    assert_eq!(
        msgs(validate_custom_create(
            &json!({"metadata": {"name": "w"}}),
            true
        )),
        vec!["metadata.namespace: Required value"]
    );
    let old =
        json!({"metadata": {"name": "w", "namespace": "d", "resourceVersion": "1", "uid": "u1"}});
    let new =
        json!({"metadata": {"name": "w", "namespace": "d", "resourceVersion": "1", "uid": "u2"}});
    assert_eq!(
        msgs(validate_custom_update(&new, &old, true)),
        vec!["metadata.uid: Invalid value: \"u2\": field is immutable"]
    );
    assert_eq!(is_namespaced("example.com", "v1", "Widget"), None);
    assert_eq!(is_namespaced("", "v1", "Node"), Some(false));
    assert_eq!(is_namespaced("apps", "v1", "Deployment"), Some(true));
}

#[test]
fn update_reports_each_error_once() {
    let old = json!({"metadata": {"name": "cm", "namespace": "d", "resourceVersion": "3", "uid": "u"}, "data": {"a": "1"}});
    let mut new = old.clone();
    new["metadata"]["name"] = json!("other");
    new["metadata"]["labels"] = json!({"bad key": "v"});
    let got = msgs(validate_update("", "v1", "ConfigMap", &new, &old));
    assert_eq!(
        got,
        vec![
            "metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            "metadata.name: Invalid value: \"other\": field is immutable",
        ]
    );
    let mut no_rv = old.clone();
    no_rv["metadata"]["resourceVersion"] = json!("");
    assert_eq!(
        msgs(validate_update("", "v1", "ConfigMap", &no_rv, &old)),
        vec!["metadata.resourceVersion: Invalid value: \"\": must be specified for an update"]
    );
}

#[test]
fn status_updates() {
    let old = json!({"metadata": {"name": "web", "namespace": "d", "resourceVersion": "3"}, "spec": {}, "status": {}});
    let mut new = old.clone();
    new["status"] = json!({"replicas": -1, "readyReplicas": 2});
    assert_eq!(
        msgs(validate_status_update(
            "apps",
            "v1",
            "Deployment",
            &new,
            &old
        )),
        vec![
            "status.replicas: Invalid value: -1: must be greater than or equal to 0",
            "status.updatedReplicas: Invalid value: 0: cannot be greater than status.replicas",
            "status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas",
            "status.availableReplicas: Invalid value: 0: cannot be greater than status.replicas",
        ]
    );
    // Kinds without status rules: metadata only.
    let mut renamed = old.clone();
    renamed["metadata"]["namespace"] = json!("e");
    assert_eq!(
        msgs(validate_status_update(
            "example.com",
            "v1",
            "Widget",
            &renamed,
            &old
        )),
        vec!["metadata.namespace: Invalid value: \"e\": field is immutable"]
    );
}
