use serde_json::{Value, json};

use super::*;
use crate::api::field::ErrorType;

/// The CronTab definition of upstream's documentation, with a second (v1beta1) version.
fn crontab_crd() -> Value {
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "cronSpec": {
                        "type": "string",
                        "pattern": r"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$"
                    },
                    "image": {"type": "string"},
                    "replicas": {"type": "integer", "minimum": 1, "maximum": 10}
                },
                "required": ["cronSpec"]
            },
            "status": {
                "type": "object",
                "properties": {
                    "replicas": {"type": "integer"},
                    "labelSelector": {"type": "string"}
                }
            }
        }
    });
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "crontabs.stable.example.com"},
        "spec": {
            "group": "stable.example.com",
            "scope": "Namespaced",
            "names": {
                "plural": "crontabs",
                "singular": "crontab",
                "kind": "CronTab",
                "shortNames": ["ct"],
                "categories": ["all"]
            },
            "versions": [
                {
                    "name": "v1beta1",
                    "served": true,
                    "storage": false,
                    "schema": {"openAPIV3Schema": schema.clone()}
                },
                {
                    "name": "v1",
                    "served": true,
                    "storage": true,
                    "schema": {"openAPIV3Schema": schema},
                    "subresources": {
                        "status": {},
                        "scale": {
                            "specReplicasPath": ".spec.replicas",
                            "statusReplicasPath": ".status.replicas",
                            "labelSelectorPath": ".status.labelSelector"
                        }
                    },
                    "additionalPrinterColumns": [
                        {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
                        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
                    ]
                },
                {
                    "name": "v1alpha1",
                    "served": false,
                    "storage": false,
                    "schema": {"openAPIV3Schema": {"type": "object"}}
                }
            ]
        }
    })
}

fn crontab_schema() -> Value {
    crontab_crd()["spec"]["versions"][1]["schema"]["openAPIV3Schema"].clone()
}

fn msgs(errs: &[FieldError]) -> Vec<String> {
    errs.iter().map(|e| e.to_string()).collect()
}

/// A schema whose `spec` has the given properties.
fn spec_schema(props: Value) -> Value {
    json!({
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": props}}
    })
}

fn with_spec(spec: Value) -> Value {
    json!({
        "apiVersion": "example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "t", "namespace": "default"},
        "spec": spec
    })
}

// ---- resources ----

#[test]
fn crontab_resources() {
    let crd = crontab_crd();
    let res = resources(&crd).expect("resources");
    let versions: Vec<&str> = res.iter().map(|r| r.gvk.version.as_str()).collect();
    assert_eq!(
        versions,
        ["v1", "v1beta1"],
        "served versions, preferred first"
    );
    let v1 = &res[0];
    assert_eq!(v1.gvk, Gvk::new("stable.example.com", "v1", "CronTab"));
    assert!(v1.preferred);
    assert!(!res[1].preferred);
    assert_eq!(v1.plural, "crontabs");
    assert_eq!(v1.singular, "crontab");
    assert!(v1.namespaced);
    assert_eq!(v1.short_names, ["ct"]);
    assert_eq!(v1.categories, ["all"]);
    assert_eq!(v1.verbs, ALL_VERBS);
    assert_eq!(v1.storage, "stable.example.com/crontabs");
    assert_eq!(res[1].storage, "stable.example.com/crontabs");
    assert_eq!(v1.storage_version, "v1");
    assert_eq!(res[1].storage_version, "v1");
    assert_eq!(v1.shape, Shape::Stored);
    assert_eq!(
        v1.qualified(),
        "crontabs.stable.example.com",
        "resource names as upstream prints them"
    );
    let subs: Vec<(&str, String, &Vec<String>)> = v1
        .subresources
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.gvk.api_version() + " " + &s.gvk.kind,
                &s.verbs,
            )
        })
        .collect();
    let verbs = vec!["get".to_owned(), "patch".to_owned(), "update".to_owned()];
    assert_eq!(
        subs,
        [
            ("status", "stable.example.com/v1 CronTab".to_owned(), &verbs),
            ("scale", "autoscaling/v1 Scale".to_owned(), &verbs),
        ]
    );
    assert!(
        res[1].subresources.is_empty(),
        "v1beta1 has no subresources"
    );
    let entry = v1.crd_version.as_deref().expect("crd_version");
    assert_eq!(entry["additionalPrinterColumns"][0]["name"], "Spec");
    assert_eq!(schema_of(entry), Some(&crontab_schema()));
    assert!(v1.is_custom());
}

#[test]
fn resources_use_accepted_names_and_defaults() {
    let mut crd = crontab_crd();
    crd["spec"]["names"] = json!({"plural": "crontabs", "kind": "CronTab"});
    crd["spec"]["scope"] = json!("Cluster");
    let res = resources(&crd).expect("resources");
    assert_eq!(
        res[0].singular, "crontab",
        "singular defaults to the lowercased kind"
    );
    assert!(!res[0].namespaced);
    assert!(res[0].short_names.is_empty());

    crd["status"] =
        json!({"acceptedNames": {"plural": "crontabs", "kind": "CronTab", "shortNames": ["cron"]}});
    assert_eq!(resources(&crd).expect("resources")[0].short_names, ["cron"]);

    crd["status"] = json!({"conditions": [{"type": "Terminating", "status": "True"}]});
    assert_eq!(
        resources(&crd).expect("resources")[0].verbs,
        ["delete", "deletecollection", "get", "list", "watch"]
    );
}

#[test]
fn resources_reject_incomplete_definitions() {
    let mut crd = crontab_crd();
    crd["spec"]["versions"][1]["storage"] = json!(false);
    assert_eq!(
        resources(&crd).err().as_deref(),
        Some("the definition has no storage version")
    );
    let mut crd = crontab_crd();
    crd["spec"]["group"] = json!("");
    assert!(resources(&crd).is_err());
    let mut crd = crontab_crd();
    crd["spec"]["scope"] = json!("Galaxy");
    assert!(resources(&crd).is_err());
}

#[test]
fn legacy_top_level_fields_reach_versions() {
    let crd = json!({
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "things", "kind": "Thing"},
            "version": "v1",
            "validation": {"openAPIV3Schema": {"type": "object"}},
            "subresources": {"status": {}}
        }
    });
    let res = resources(&crd).expect("resources");
    assert_eq!(res.len(), 1);
    let entry = res[0].crd_version.as_deref().expect("entry");
    assert_eq!(schema_of(entry), Some(&json!({"type": "object"})));
    assert_eq!(res[0].subresources[0].name, "status");
    assert_eq!(
        schema_of(&json!({"validation": {"openAPIV3Schema": {"type": "object"}}})),
        Some(&json!({"type": "object"}))
    );
    assert_eq!(schema_of(&json!({"name": "v1"})), None);
}

#[test]
fn version_priority() {
    let mut versions = vec![
        "v1alpha1",
        "v2",
        "foo",
        "v1beta2",
        "v1",
        "v1beta1",
        "bar",
        "v10",
        "v11alpha2",
        "v2beta1",
    ];
    versions.sort_by(|a, b| compare_versions(b, a));
    assert_eq!(
        versions,
        [
            "v10",
            "v2",
            "v1",
            "v2beta1",
            "v1beta2",
            "v1beta1",
            "v11alpha2",
            "v1alpha1",
            "bar",
            "foo"
        ]
    );
}

// ---- pruning ----

#[test]
fn pruning() {
    let embedded_template = json!({
        "type": "object",
        "x-kubernetes-embedded-resource": true,
        "properties": {"spec": {"type": "object", "properties": {"a": {"type": "string"}}}}
    });
    // (name, spec properties, spec given, spec kept, reported paths)
    let cases: Vec<(&str, Value, Value, Value, Vec<&str>)> = vec![
        (
            "unknown field",
            json!({"a": {"type": "string"}}),
            json!({"a": "x", "foo": 1}),
            json!({"a": "x"}),
            vec!["spec.foo"],
        ),
        (
            "inside array items",
            json!({"items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}}),
            json!({"items": [{"name": "a", "bar": 1}, {"name": "b"}, {"baz": {"x": 1}}]}),
            json!({"items": [{"name": "a"}, {"name": "b"}, {}]}),
            vec!["spec.items[0].bar", "spec.items[2].baz"],
        ),
        (
            "preserve-unknown-fields keeps unknown fields but prunes known ones",
            json!({"free": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": true,
                "properties": {"known": {"type": "object", "properties": {"k": {"type": "string"}}}}
            }}),
            json!({"free": {"anything": {"deep": [1, 2]}, "known": {"k": "v", "junk": true}}}),
            json!({"free": {"anything": {"deep": [1, 2]}, "known": {"k": "v"}}}),
            vec!["spec.free.known.junk"],
        ),
        (
            "additionalProperties",
            json!({"labels": {"type": "object", "additionalProperties": {
                "type": "object", "properties": {"x": {"type": "integer"}}
            }}}),
            json!({"labels": {"a": {"x": 1, "y": 2}, "b": {}}}),
            json!({"labels": {"a": {"x": 1}, "b": {}}}),
            vec!["spec.labels.a.y"],
        ),
        (
            "a nested field named metadata is not special",
            json!({"inner": {"type": "object", "properties": {}}}),
            json!({"inner": {"metadata": {"name": "x"}, "kind": "K"}}),
            json!({"inner": {}}),
            vec!["spec.inner.kind", "spec.inner.metadata"],
        ),
        (
            "embedded resources keep apiVersion, kind and ObjectMeta",
            json!({"template": embedded_template}),
            json!({"template": {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "labels": {"a": "b"}, "junk": 1},
                "spec": {"a": "x", "b": "y"},
                "other": 1
            }}),
            json!({"template": {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "labels": {"a": "b"}},
                "spec": {"a": "x"}
            }}),
            vec![
                "spec.template.other",
                "spec.template.spec.b",
                "spec.template.metadata.junk",
            ],
        ),
        (
            "non-nullable nulls without default are dropped, silently",
            json!({
                "plain": {"type": "string"},
                "nullable": {"type": "string", "nullable": true},
                "defaulted": {"type": "string", "default": "d"}
            }),
            json!({"plain": null, "nullable": null, "defaulted": null}),
            json!({"nullable": null, "defaulted": null}),
            vec![],
        ),
    ];
    for (name, props, spec, kept, paths) in cases {
        let schema = spec_schema(props);
        let mut obj = with_spec(spec);
        let got = prune(&schema, &mut obj);
        assert_eq!(got, paths, "{name}: reported paths");
        assert_eq!(obj, with_spec(kept), "{name}: pruned object");
    }
}

#[test]
fn pruning_the_root_and_metadata() {
    let schema = crontab_schema();
    let mut obj = json!({
        "apiVersion": "stable.example.com/v1",
        "kind": "CronTab",
        "metadata": {
            "name": "my-new-cron-object",
            "junk": "x",
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "u", "bogus": 1}],
            "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}, "extra": 1}]
        },
        "spec": {"cronSpec": "* * * * */5", "image": "my-awesome-cron-image", "unknown": 1},
        "status": {"replicas": 1, "extra": true},
        "topLevel": "dropped"
    });
    let got = prune(&schema, &mut obj);
    assert_eq!(
        got,
        [
            "metadata.junk",
            "metadata.managedFields[0].extra",
            "metadata.ownerReferences[0].bogus",
            "spec.unknown",
            "status.extra",
            "topLevel",
        ]
    );
    assert_eq!(
        obj,
        json!({
            "apiVersion": "stable.example.com/v1",
            "kind": "CronTab",
            "metadata": {
                "name": "my-new-cron-object",
                "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "u"}],
                "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {}}}]
            },
            "spec": {"cronSpec": "* * * * */5", "image": "my-awesome-cron-image"},
            "status": {"replicas": 1}
        })
    );

    // A root that preserves unknown fields keeps everything but still prunes metadata.
    let mut obj = json!({"apiVersion": "a/v1", "kind": "K", "metadata": {"name": "n", "x": 1}, "free": {"y": 2}});
    let got = prune(
        &json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
        &mut obj,
    );
    assert_eq!(got, ["metadata.x"]);
    assert_eq!(obj["free"], json!({"y": 2}));

    // Without a schema only apiVersion, kind and metadata survive.
    let mut obj = json!({"apiVersion": "a/v1", "kind": "K", "metadata": {"name": "n"}, "spec": {}});
    assert_eq!(prune(&Value::Null, &mut obj), ["spec"]);
    assert_eq!(
        obj,
        json!({"apiVersion": "a/v1", "kind": "K", "metadata": {"name": "n"}})
    );
}

// ---- defaulting ----

#[test]
fn defaulting() {
    let props = json!({
        "replicas": {"type": "integer", "default": 1},
        "mode": {"type": "string", "default": "auto"},
        "nested": {
            "type": "object",
            "default": {},
            "properties": {
                "b": {"type": "string", "default": "x"},
                "c": {"type": "object", "properties": {"d": {"type": "integer", "default": 4}}}
            }
        },
        "ports": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "protocol": {"type": "string", "default": "TCP"}
                }
            }
        },
        "limits": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {"unit": {"type": "string", "default": "Gi"}}
            }
        },
        "optional": {"type": "string", "nullable": true, "default": "unset"},
        "notNullable": {"type": "string", "default": "filled"},
        "pruned": {
            "type": "object",
            "default": {"keep": 1, "drop": 2},
            "properties": {"keep": {"type": "integer"}}
        }
    });
    let schema = spec_schema(props);
    // (name, given spec, defaulted spec)
    let cases = vec![
        (
            "absent fields, recursively",
            json!({}),
            json!({
                "replicas": 1,
                "mode": "auto",
                "nested": {"b": "x"},
                "notNullable": "filled",
                "optional": "unset",
                "pruned": {"keep": 1}
            }),
        ),
        (
            "given values are kept; nullable null stays null",
            json!({
                "replicas": 3,
                "mode": "manual",
                "nested": {"b": "given", "c": {}},
                "optional": null,
                "notNullable": null,
                "pruned": {}
            }),
            json!({
                "replicas": 3,
                "mode": "manual",
                "nested": {"b": "given", "c": {"d": 4}},
                "optional": null,
                "notNullable": "filled",
                "pruned": {}
            }),
        ),
        (
            "inside array items and additional properties",
            json!({
                "ports": [{"name": "http"}, {"name": "dns", "protocol": "UDP"}],
                "limits": {"memory": {}, "disk": {"unit": "Ti"}}
            }),
            json!({
                "replicas": 1,
                "mode": "auto",
                "nested": {"b": "x"},
                "notNullable": "filled",
                "optional": "unset",
                "pruned": {"keep": 1},
                "ports": [{"name": "http", "protocol": "TCP"}, {"name": "dns", "protocol": "UDP"}],
                "limits": {"memory": {"unit": "Gi"}, "disk": {"unit": "Ti"}}
            }),
        ),
    ];
    for (name, spec, want) in cases {
        let mut obj = with_spec(spec);
        apply_defaults(&schema, &mut obj);
        assert_eq!(obj, with_spec(want), "{name}");
    }
    // Array items and map values that are null take the item default.
    let schema = spec_schema(json!({
        "list": {"type": "array", "items": {"type": "string", "default": "z"}},
        "map": {"type": "object", "additionalProperties": {"type": "integer", "default": 7}}
    }));
    let mut obj = with_spec(json!({"list": ["a", null], "map": {"a": null, "b": 1}}));
    apply_defaults(&schema, &mut obj);
    assert_eq!(
        obj["spec"],
        json!({"list": ["a", "z"], "map": {"a": 7, "b": 1}})
    );
}

// ---- validation ----

/// (spec properties, spec value, expected messages)
fn check(cases: Vec<(Value, Value, Vec<&str>)>) {
    for (props, spec, want) in cases {
        let schema = spec_schema(props.clone());
        let got = msgs(&validate(&schema, &with_spec(spec.clone())));
        assert_eq!(got, want, "schema {props} with spec {spec}");
    }
}

#[test]
fn validation_of_types() {
    check(vec![
        (
            json!({"replicas": {"type": "integer"}}),
            json!({"replicas": "3"}),
            vec![
                r#"spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#,
            ],
        ),
        (
            json!({"replicas": {"type": "integer"}}),
            json!({"replicas": 3}),
            vec![],
        ),
        (
            json!({"replicas": {"type": "integer"}}),
            json!({"replicas": 3.0}),
            vec![],
        ),
        (
            json!({"replicas": {"type": "integer"}}),
            json!({"replicas": 3.5}),
            vec![
                r#"spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number""#,
            ],
        ),
        (
            json!({"ratio": {"type": "number"}}),
            json!({"ratio": 3}),
            vec![],
        ),
        (
            json!({"ratio": {"type": "number"}}),
            json!({"ratio": true}),
            vec![
                r#"spec.ratio: Invalid value: "boolean": spec.ratio in body must be of type number: "boolean""#,
            ],
        ),
        (
            json!({"name": {"type": "string"}}),
            json!({"name": {"a": 1}}),
            vec![
                r#"spec.name: Invalid value: "object": spec.name in body must be of type string: "object""#,
            ],
        ),
        (
            json!({"list": {"type": "array"}}),
            json!({"list": "a"}),
            vec![
                r#"spec.list: Invalid value: "string": spec.list in body must be of type array: "string""#,
            ],
        ),
        (
            json!({"flag": {"type": "boolean"}}),
            json!({"flag": "true"}),
            vec![
                r#"spec.flag: Invalid value: "string": spec.flag in body must be of type boolean: "string""#,
            ],
        ),
        (
            json!({"name": {"type": "string"}}),
            json!({"name": null}),
            vec![
                r#"spec.name: Invalid value: "null": spec.name in body must be of type string: "null""#,
            ],
        ),
        (
            json!({"name": {"type": "string", "nullable": true}}),
            json!({"name": null}),
            vec![],
        ),
        (
            json!({"port": {"x-kubernetes-int-or-string": true}}),
            json!({"port": true}),
            vec![
                r#"spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean""#,
            ],
        ),
        (
            json!({"port": {"x-kubernetes-int-or-string": true}}),
            json!({"port": 80}),
            vec![],
        ),
        (
            json!({"port": {"x-kubernetes-int-or-string": true}}),
            json!({"port": "http"}),
            vec![],
        ),
        (
            // the shape of `resources.limits.cpu` in generated CRDs
            json!({"cpu": {
                "x-kubernetes-int-or-string": true,
                "anyOf": [{"type": "integer"}, {"type": "string"}],
                "pattern": "^[0-9]+m?$"
            }}),
            json!({"cpu": 0.5}),
            vec![
                r#"spec.cpu: Invalid value: "number": spec.cpu in body must be of type integer,string: "number""#,
                r#"<nil>: Invalid value: "": "spec.cpu" must validate at least one schema (anyOf)"#,
                r#"spec.cpu: Invalid value: "number": spec.cpu in body must be of type integer: "number""#,
            ],
        ),
        (
            json!({"cpu": {
                "x-kubernetes-int-or-string": true,
                "anyOf": [{"type": "integer"}, {"type": "string"}],
                "pattern": "^[0-9]+m?$"
            }}),
            json!({"cpu": "500m"}),
            vec![],
        ),
    ]);
    // Type errors carry their own cause reason.
    let errs = validate(
        &spec_schema(json!({"replicas": {"type": "integer"}})),
        &with_spec(json!({"replicas": "3"})),
    );
    assert_eq!(errs[0].kind, ErrorType::TypeInvalid);
    assert_eq!(errs[0].kind.cause_reason(), "FieldValueTypeInvalid");
}

#[test]
fn validation_of_values() {
    check(vec![
        (
            json!({"size": {"type": "integer", "maximum": 10}}),
            json!({"size": 11}),
            vec![
                "spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10",
            ],
        ),
        (
            json!({"size": {"type": "integer", "maximum": 10}}),
            json!({"size": 10}),
            vec![],
        ),
        (
            json!({"size": {"type": "integer", "maximum": 10, "exclusiveMaximum": true}}),
            json!({"size": 10}),
            vec!["spec.size: Invalid value: 10: spec.size in body should be less than 10"],
        ),
        (
            json!({"size": {"type": "integer", "minimum": 1}}),
            json!({"size": 0}),
            vec![
                "spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1",
            ],
        ),
        (
            json!({"size": {"type": "integer", "minimum": 1, "exclusiveMinimum": true}}),
            json!({"size": 1}),
            vec!["spec.size: Invalid value: 1: spec.size in body should be greater than 1"],
        ),
        (
            json!({"ratio": {"type": "number", "maximum": 1.5}}),
            json!({"ratio": 2.25}),
            vec![
                "spec.ratio: Invalid value: 2.25: spec.ratio in body should be less than or equal to 1.5",
            ],
        ),
        (
            json!({"big": {"type": "number", "maximum": 1000000}}),
            json!({"big": 2000000.5}),
            vec![
                "spec.big: Invalid value: 2.0000005e+06: spec.big in body should be less than or equal to 1e+06",
            ],
        ),
        (
            json!({"n": {"type": "integer", "multipleOf": 5}}),
            json!({"n": 7}),
            vec!["spec.n: Invalid value: 7: spec.n in body should be a multiple of 5"],
        ),
        (
            json!({"n": {"type": "integer", "multipleOf": 5}}),
            json!({"n": -10}),
            vec![],
        ),
        (
            json!({"f": {"type": "number", "multipleOf": 0.1}}),
            json!({"f": 0.35}),
            vec!["spec.f: Invalid value: 0.35: spec.f in body should be a multiple of 0.1"],
        ),
        (
            json!({"f": {"type": "number", "multipleOf": 0.1}}),
            json!({"f": 0.3}),
            vec![],
        ),
        (
            json!({"mode": {"type": "string", "enum": ["a", "b"]}}),
            json!({"mode": "x"}),
            vec![r#"spec.mode: Unsupported value: "x": supported values: "a", "b""#],
        ),
        (
            json!({"mode": {"type": "string", "enum": ["a", "b"]}}),
            json!({"mode": "b"}),
            vec![],
        ),
        (
            json!({"n": {"type": "integer", "enum": [1, 2]}}),
            json!({"n": 3}),
            vec![r#"spec.n: Unsupported value: 3: supported values: "1", "2""#],
        ),
        (
            json!({"mode": {"type": "string", "nullable": true, "enum": ["a"]}}),
            json!({"mode": null}),
            vec![r#"spec.mode: Unsupported value: "null": supported values: "a""#],
        ),
        (
            json!({"s": {"type": "string", "minLength": 3}}),
            json!({"s": "ab"}),
            vec![r#"spec.s: Invalid value: "ab": spec.s in body should be at least 3 chars long"#],
        ),
        (
            json!({"s": {"type": "string", "maxLength": 5}}),
            json!({"s": "abcdef"}),
            vec!["spec.s: Too long: may not be more than 5 bytes"],
        ),
        (
            json!({"s": {"type": "string", "maxLength": 5}}),
            json!({"s": "héllo"}),
            vec![],
        ),
        (
            json!({"s": {"type": "string", "maxLength": 2, "pattern": "^a+$"}}),
            json!({"s": "bbb"}),
            vec!["spec.s: Too long: may not be more than 2 bytes"],
        ),
        (
            json!({"name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}}),
            json!({"name": "Bad_Name"}),
            vec![
                r#"spec.name: Invalid value: "Bad_Name": spec.name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"#,
            ],
        ),
    ]);
}

#[test]
fn validation_of_formats() {
    check(vec![
        (
            json!({"t": {"type": "string", "format": "date-time"}}),
            json!({"t": "yesterday"}),
            vec![
                r#"spec.t: Invalid value: "yesterday": spec.t in body must be of type date-time: "yesterday""#,
            ],
        ),
        (
            json!({"t": {"type": "string", "format": "date-time"}}),
            json!({"t": "2024-05-01T10:00:00Z"}),
            vec![],
        ),
        (
            json!({"d": {"type": "string", "format": "date"}}),
            json!({"d": "2024-02-30"}),
            vec![
                r#"spec.d: Invalid value: "2024-02-30": spec.d in body must be of type date: "2024-02-30""#,
            ],
        ),
        (
            json!({"b": {"type": "string", "format": "byte"}}),
            json!({"b": "not base64!"}),
            vec![
                r#"spec.b: Invalid value: "not base64!": spec.b in body must be of type byte: "not base64!""#,
            ],
        ),
        (
            json!({"id": {"type": "string", "format": "uuid"}}),
            json!({"id": "1234"}),
            vec![r#"spec.id: Invalid value: "1234": spec.id in body must be of type uuid: "1234""#],
        ),
        (
            json!({"host": {"type": "string", "format": "hostname"}}),
            json!({"host": "under_score"}),
            vec![
                r#"spec.host: Invalid value: "under_score": spec.host in body must be of type hostname: "under_score""#,
            ],
        ),
        (
            json!({"mail": {"type": "string", "format": "email"}}),
            json!({"mail": "ops@example.com"}),
            vec![],
        ),
        // 1.33 ignores integer formats: no int32 range check.
        (
            json!({"n": {"type": "integer", "format": "int32"}}),
            json!({"n": 99999999999i64}),
            vec![],
        ),
        // Unknown formats are ignored.
        (
            json!({"q": {"type": "string", "format": "quantity"}}),
            json!({"q": "anything"}),
            vec![],
        ),
        // A known format on a non-string value complains about the format.
        (
            json!({"t": {"type": "string", "format": "date-time"}}),
            json!({"t": 5}),
            vec![
                r#"spec.t: Invalid value: "int64": spec.t in body must be of type date-time: "int64""#,
            ],
        ),
    ]);
}

#[test]
fn validation_of_arrays_and_objects() {
    check(vec![
        (
            json!({"l": {"type": "array", "minItems": 1}}),
            json!({"l": []}),
            vec!["spec.l: Invalid value: 0: spec.l in body should have at least 1 items"],
        ),
        (
            json!({"l": {"type": "array", "maxItems": 2}}),
            json!({"l": [1, 2, 3]}),
            vec!["spec.l: Too many: 3: must have at most 2 items"],
        ),
        (
            json!({"l": {"type": "array", "uniqueItems": true}}),
            json!({"l": ["a", "b", "a"]}),
            vec![r#"spec.l: Invalid value: "": spec.l in body shouldn't contain duplicates"#],
        ),
        (
            json!({"m": {"type": "object", "minProperties": 1}}),
            json!({"m": {}}),
            vec!["spec.m: Invalid value: 0: spec.m in body should have at least 1 properties"],
        ),
        (
            json!({"m": {"type": "object", "maxProperties": 1, "additionalProperties": {"type": "string"}}}),
            json!({"m": {"a": "x", "b": "y"}}),
            vec!["spec.m: Too many: 2: must have at most 1 items"],
        ),
        (
            json!({"m": {"type": "object", "additionalProperties": false, "properties": {"ok": {"type": "string"}}}}),
            json!({"m": {"ok": "x", "extra": 1}}),
            vec![r#"spec.m: Invalid value: "extra": spec.m.extra in body is a forbidden property"#],
        ),
        (
            json!({"labels": {"type": "object", "additionalProperties": {"type": "string"}}}),
            json!({"labels": {"a": "x", "b": 2}}),
            vec![
                r#"spec.labels.b: Invalid value: "integer": spec.labels.b in body must be of type string: "integer""#,
            ],
        ),
        (
            json!({"items": {"type": "array", "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "size": {"type": "integer", "minimum": 0}}
            }}}),
            json!({"items": [{"name": "a"}, {"size": -1}]}),
            vec![
                "spec.items[1].size: Invalid value: -1: spec.items[1].size in body should be greater than or equal to 0",
                "spec.items[1].name: Required value",
            ],
        ),
        (
            json!({"tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}}),
            json!({"tags": ["a", "b", "a", "a", "b"]}),
            vec![
                r#"spec.tags[2]: Duplicate value: "a""#,
                r#"spec.tags[4]: Duplicate value: "b""#,
            ],
        ),
        (
            json!({"tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "integer"}}}),
            json!({"tags": [1, 2]}),
            vec![],
        ),
        (
            json!({"ports": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}
            }}),
            json!({"ports": [{"name": "http", "port": 80}, {"name": "http", "port": 8080}, {"port": 1}, {"port": 2}]}),
            vec![
                r#"spec.ports[1]: Duplicate value: map[string]interface {}{"name":"http"}"#,
                r#"spec.ports[3]: Duplicate value: map[string]interface {}{}"#,
            ],
        ),
        (
            json!({"ports": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name", "protocol"],
                "items": {"type": "object", "properties": {"name": {"type": "string"}, "protocol": {"type": "string"}}}
            }}),
            json!({"ports": [{"name": "dns", "protocol": "UDP"}, {"name": "dns", "protocol": "TCP"}, {"name": "dns", "protocol": "UDP"}]}),
            vec![
                r#"spec.ports[2]: Duplicate value: map[string]interface {}{"name":"dns", "protocol":"UDP"}"#,
            ],
        ),
        (
            json!({"ports": {
                "type": "array",
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["name"],
                "items": {"type": "string"}
            }}),
            json!({"ports": ["x"]}),
            vec![
                r#"spec.ports[0]: Invalid value: "x": must be an object for an array of list-type map"#,
            ],
        ),
    ]);
}

#[test]
fn validation_of_compositions() {
    check(vec![
        (
            json!({"x": {"type": "integer", "oneOf": [{"minimum": 0}, {"maximum": 10}]}}),
            json!({"x": 5}),
            vec![
                r#"<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found 2 valid alternatives"#,
            ],
        ),
        (
            json!({"x": {"type": "integer", "oneOf": [{"minimum": 0}, {"maximum": 10}]}}),
            json!({"x": 20}),
            vec![],
        ),
        (
            json!({"x": {"type": "integer", "oneOf": [{"minimum": 100}, {"maximum": -100}]}}),
            json!({"x": 5}),
            vec![
                r#"<nil>: Invalid value: "": "spec.x" must validate one and only one schema (oneOf). Found none valid"#,
                "spec.x: Invalid value: 5: spec.x in body should be greater than or equal to 100",
            ],
        ),
        (
            json!({"x": {"type": "string", "allOf": [{"minLength": 2}, {"maxLength": 3}]}}),
            json!({"x": "a"}),
            vec![
                r#"spec.x: Invalid value: "a": spec.x in body should be at least 2 chars long"#,
                r#"<nil>: Invalid value: "": "spec.x" must validate all the schemas (allOf)"#,
            ],
        ),
        (
            json!({"x": {"type": "string", "not": {"enum": ["forbidden"]}}}),
            json!({"x": "forbidden"}),
            vec![r#"<nil>: Invalid value: "": "spec.x" must not validate the schema (not)"#],
        ),
        (
            json!({"x": {"type": "object", "anyOf": [{"required": ["a"]}, {"required": ["b"]}]}}),
            json!({"x": {"c": 1}}),
            vec![
                r#"<nil>: Invalid value: "": "spec.x" must validate at least one schema (anyOf)"#,
                "spec.x.a: Required value",
            ],
        ),
        (
            json!({"x": {"type": "object", "anyOf": [{"required": ["a"]}, {"required": ["b"]}]}}),
            json!({"x": {"b": 1}}),
            vec![],
        ),
    ]);
}

#[test]
fn validation_of_embedded_resources() {
    let template = json!({
        "type": "object",
        "x-kubernetes-embedded-resource": true,
        "x-kubernetes-preserve-unknown-fields": true
    });
    // The DNS-1035 wording comes from the shared name rules.
    let kind_msg = format!(
        "spec.template.kind: Invalid value: \"Not_A_Kind\": may have mixed case, but should otherwise match: {}",
        crate::api::validation::is_dns1035_label("not_a_kind").join(",")
    );
    assert!(
        kind_msg.contains("a DNS-1035 label must consist of lower case alphanumeric characters")
    );
    check(vec![
        (
            json!({"template": template.clone()}),
            json!({"template": {"metadata": {"name": "a/b"}}}),
            vec![
                "spec.template.apiVersion: Required value: must not be empty",
                "spec.template.kind: Required value: must not be empty",
                "spec.template.metadata.name: Invalid value: \"a/b\": may not contain '/'",
            ],
        ),
        (
            json!({"template": template.clone()}),
            json!({"template": {"apiVersion": "a/b/c", "kind": "Not_A_Kind", "metadata": {"labels": {"a": 1}}}}),
            vec![
                "spec.template.apiVersion: Invalid value: \"a/b/c\": unexpected GroupVersion string: a/b/c",
                kind_msg.as_str(),
                "spec.template.metadata: Invalid value: map[string]interface {}{\"labels\":map[string]interface {}{\"a\":1}}: json: cannot unmarshal number into Go struct field ObjectMeta.labels of type string",
            ],
        ),
        (
            json!({"template": template}),
            json!({"template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {"app": "web"}}}}),
            vec![],
        ),
    ]);
}

#[test]
fn crontab_validation() {
    let schema = crontab_schema();
    let good = json!({
        "apiVersion": "stable.example.com/v1",
        "kind": "CronTab",
        "metadata": {"name": "my-new-cron-object"},
        "spec": {"cronSpec": "* * * * */5", "image": "my-awesome-cron-image", "replicas": 3}
    });
    assert!(validate(&schema, &good).is_empty());
    let bad = json!({
        "apiVersion": "stable.example.com/v1",
        "kind": "CronTab",
        "metadata": {"name": "my-new-cron-object"},
        "spec": {"cronSpec": "* * * *", "image": 5, "replicas": 15}
    });
    assert_eq!(
        msgs(&validate(&schema, &bad)),
        [
            r#"spec.cronSpec: Invalid value: "* * * *": spec.cronSpec in body should match '^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'"#,
            r#"spec.image: Invalid value: "integer": spec.image in body must be of type string: "integer""#,
            "spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10",
        ]
    );
    let missing = json!({"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": {"name": "x"}, "spec": {}});
    assert_eq!(
        msgs(&validate(&schema, &missing)),
        ["spec.cronSpec: Required value"]
    );
}

/// A cert-manager `Certificate` (the course's CRD example), trimmed to the fields that matter.
fn certificate_schema() -> Value {
    json!({
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "required": ["issuerRef", "secretName"],
                "properties": {
                    "commonName": {"type": "string"},
                    "dnsNames": {"type": "array", "items": {"type": "string"}},
                    "duration": {"type": "string"},
                    "renewBefore": {"type": "string"},
                    "isCA": {"type": "boolean"},
                    "issuerRef": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {
                            "group": {"type": "string"},
                            "kind": {"type": "string"},
                            "name": {"type": "string"}
                        }
                    },
                    "privateKey": {
                        "type": "object",
                        "properties": {
                            "algorithm": {"type": "string", "enum": ["RSA", "ECDSA", "Ed25519"]},
                            "encoding": {"type": "string", "enum": ["PKCS1", "PKCS8"]},
                            "rotationPolicy": {"type": "string", "enum": ["Never", "Always"]},
                            "size": {"type": "integer"}
                        }
                    },
                    "secretName": {"type": "string"},
                    "usages": {
                        "type": "array",
                        "items": {"type": "string", "enum": ["digital signature", "key encipherment", "server auth", "client auth"]}
                    }
                }
            },
            "status": {
                "type": "object",
                "properties": {
                    "conditions": {
                        "type": "array",
                        "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["type"],
                        "items": {
                            "type": "object",
                            "required": ["status", "type"],
                            "properties": {
                                "lastTransitionTime": {"type": "string", "format": "date-time"},
                                "message": {"type": "string"},
                                "reason": {"type": "string"},
                                "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
                                "type": {"type": "string"}
                            }
                        }
                    },
                    "notAfter": {"type": "string", "format": "date-time"}
                }
            }
        }
    })
}

#[test]
fn certificate_validation() {
    let schema = certificate_schema();
    let cert = json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "example-com", "namespace": "default"},
        "spec": {
            "secretName": "example-com-tls",
            "duration": "2160h",
            "renewBefore": "360h",
            "commonName": "example.com",
            "isCA": false,
            "privateKey": {"algorithm": "RSA", "encoding": "PKCS1", "size": 2048},
            "usages": ["server auth", "client auth"],
            "dnsNames": ["example.com", "www.example.com"],
            "issuerRef": {"name": "ca-issuer", "kind": "Issuer", "group": "cert-manager.io"}
        },
        "status": {
            "conditions": [{
                "type": "Ready",
                "status": "True",
                "reason": "Ready",
                "message": "Certificate is up to date and has not expired",
                "lastTransitionTime": "2024-05-01T10:00:00Z"
            }],
            "notAfter": "2024-07-30T10:00:00Z"
        }
    });
    let mut pruned = cert.clone();
    assert!(prune(&schema, &mut pruned).is_empty());
    assert_eq!(pruned, cert);
    assert!(validate(&schema, &cert).is_empty());

    let broken = json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "example-com", "namespace": "default"},
        "spec": {
            "dnsNames": ["example.com", 42],
            "issuerRef": {"kind": "ClusterIssuer"},
            "privateKey": {"algorithm": "DSA"},
            "usages": ["server auth", "code signing"]
        }
    });
    assert_eq!(
        msgs(&validate(&schema, &broken)),
        [
            r#"spec.dnsNames[1]: Invalid value: "integer": spec.dnsNames[1] in body must be of type string: "integer""#,
            "spec.issuerRef.name: Required value",
            r#"spec.privateKey.algorithm: Unsupported value: "DSA": supported values: "RSA", "ECDSA", "Ed25519""#,
            r#"spec.usages[1]: Unsupported value: "code signing": supported values: "digital signature", "key encipherment", "server auth", "client auth""#,
            "spec.secretName: Required value",
        ]
    );

    let no_spec = json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": {"name": "x"}});
    assert_eq!(msgs(&validate(&schema, &no_spec)), ["spec: Required value"]);

    let mut dup = cert.clone();
    dup["status"]["conditions"] = json!([
        {"type": "Ready", "status": "True"},
        {"type": "Ready", "status": "Maybe"}
    ]);
    assert_eq!(
        msgs(&validate(&schema, &dup)),
        [
            r#"status.conditions[1].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown""#,
            r#"status.conditions[1]: Duplicate value: map[string]interface {}{"type":"Ready"}"#,
        ]
    );
}

#[test]
fn status_subresource_validation() {
    let schema = crontab_schema();
    let old = json!({"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": {"name": "x"},
        "spec": {"cronSpec": "* * * * *"}, "status": {"replicas": 1}});
    let mut new = old.clone();
    new["status"]["replicas"] = json!("three");
    assert_eq!(
        msgs(&validate_status_update(&schema, &new, &old)),
        [
            r#"status.replicas: Invalid value: "string": replicas in body must be of type integer: "string""#
        ]
    );
    // the spec is not validated through the status subresource
    new["status"]["replicas"] = json!(2);
    new["spec"] = json!({});
    assert!(validate_status_update(&schema, &new, &old).is_empty());
}

#[test]
fn ratcheting_updates() {
    let schema = spec_schema(json!({
        "name": {"type": "string", "maxLength": 3},
        "other": {"type": "string"},
        "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
        "ports": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer", "maximum": 100}}}
        }
    }));
    // An old object made invalid by a schema change may still be updated elsewhere.
    let old = with_spec(
        json!({"name": "toolong", "other": "a", "tags": ["x", "x"], "ports": [{"name": "a", "port": 500}, {"name": "b", "port": 1}]}),
    );
    let mut new = old.clone();
    new["spec"]["other"] = json!("b");
    assert!(validate_update(&schema, &new, &old).is_empty());
    // The same errors on create.
    assert_eq!(
        msgs(&validate(&schema, &new)),
        [
            "spec.name: Too long: may not be more than 3 bytes",
            "spec.ports[0].port: Invalid value: 500: spec.ports[0].port in body should be less than or equal to 100",
            r#"spec.tags[1]: Duplicate value: "x""#,
        ]
    );
    // Map-list items correlate by key, whatever their order.
    new["spec"]["ports"] = json!([{"name": "b", "port": 1}, {"name": "a", "port": 500}]);
    assert!(validate_update(&schema, &new, &old).is_empty());
    // Changed values are validated.
    new["spec"]["name"] = json!("toolong2");
    new["spec"]["ports"] = json!([{"name": "a", "port": 501}]);
    assert_eq!(
        msgs(&validate_update(&schema, &new, &old)),
        [
            "spec.name: Too long: may not be more than 3 bytes",
            "spec.ports[0].port: Invalid value: 501: spec.ports[0].port in body should be less than or equal to 100",
        ]
    );
    // List-type errors count when the old object had none.
    let clean_old = with_spec(json!({"tags": ["x"]}));
    let dup_new = with_spec(json!({"tags": ["x", "x"]}));
    assert_eq!(
        msgs(&validate_update(&schema, &dup_new, &clean_old)),
        [r#"spec.tags[1]: Duplicate value: "x""#]
    );
}

// ---- status ----

#[test]
fn status_of_a_new_definition() {
    let crd = crontab_crd();
    let now = "2024-05-01T10:00:00Z";
    assert_eq!(
        status(&crd, None, now),
        json!({
            "acceptedNames": {
                "plural": "crontabs",
                "singular": "crontab",
                "shortNames": ["ct"],
                "kind": "CronTab",
                "listKind": "CronTabList",
                "categories": ["all"]
            },
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now,
                 "reason": "NoConflicts", "message": "no conflicts found"},
                {"type": "Established", "status": "True", "lastTransitionTime": now,
                 "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"}
            ],
            "storedVersions": ["v1"]
        })
    );
}

#[test]
fn status_keeps_transition_times_and_stored_versions() {
    let mut crd = crontab_crd();
    let then = "2024-01-01T00:00:00Z";
    crd["status"] = status(&crd, None, then);
    crd["status"]["storedVersions"] = json!(["v1beta1"]);
    let st = status(&crd, None, "2024-05-01T10:00:00Z");
    assert_eq!(st["conditions"][0]["lastTransitionTime"], then);
    assert_eq!(st["conditions"][1]["lastTransitionTime"], then);
    assert_eq!(st["conditions"].as_array().map(Vec::len), Some(2));
    assert_eq!(st["storedVersions"], json!(["v1beta1", "v1"]));
}

#[test]
fn status_with_conflicting_names() {
    let crd = crontab_crd();
    let now = "2024-05-01T10:00:00Z";
    let cases = [
        ("crontabs", "PluralConflict"),
        ("crontab", "SingularConflict"),
        ("ct", "ShortNamesConflict"),
        ("CronTab", "KindConflict"),
        ("CronTabList", "ListKindConflict"),
    ];
    for (name, reason) in cases {
        let st = status(&crd, Some(name.to_owned()), now);
        assert_eq!(
            st["conditions"],
            json!([
                {"type": "NamesAccepted", "status": "False", "lastTransitionTime": now,
                 "reason": reason, "message": format!("\"{name}\" is already in use")},
                {"type": "Established", "status": "False", "lastTransitionTime": now,
                 "reason": "NotAccepted", "message": "not all names are accepted"}
            ]),
            "{name}"
        );
    }
    let st = status(&crd, Some("crontabs".to_owned()), now);
    assert_eq!(
        st["acceptedNames"]["plural"], "",
        "the conflicting name is not accepted"
    );
    assert_eq!(st["acceptedNames"]["kind"], "CronTab");
    let st = status(&crd, Some("CronTab".to_owned()), now);
    assert_eq!(st["acceptedNames"]["kind"], "");
    assert_eq!(st["acceptedNames"]["plural"], "crontabs");

    // An established definition stays established when a later change conflicts.
    let mut crd = crontab_crd();
    crd["status"] = status(&crd, None, "2024-01-01T00:00:00Z");
    crd["spec"]["names"]["plural"] = json!("crontabz");
    let st = status(&crd, Some("crontabz".to_owned()), now);
    assert_eq!(st["conditions"][1]["status"], "True");
    assert_eq!(st["conditions"][0]["reason"], "PluralConflict");
    assert_eq!(st["acceptedNames"]["plural"], "crontabs");
}

#[test]
fn status_of_protected_groups() {
    let mut crd = crontab_crd();
    crd["spec"]["group"] = json!("stable.k8s.io");
    let now = "2024-05-01T10:00:00Z";
    let cases = [
        (
            json!(null),
            "False",
            "MissingAnnotation",
            "protected groups must have approval annotation \"api-approved.kubernetes.io\", see https://github.com/kubernetes/enhancements/pull/1111",
        ),
        (
            json!("https://github.com/kubernetes/kubernetes/pull/78458"),
            "True",
            "ApprovedAnnotation",
            "approved in https://github.com/kubernetes/kubernetes/pull/78458",
        ),
        (
            json!("unapproved, experimental-only"),
            "False",
            "UnapprovedAnnotation",
            "not approved: \"unapproved, experimental-only\"",
        ),
    ];
    for (annotation, st, reason, message) in cases {
        crd["metadata"]["annotations"] = json!({"api-approved.kubernetes.io": annotation});
        let got = status(&crd, None, now);
        assert_eq!(
            got["conditions"][2],
            json!({"type": "KubernetesAPIApprovalPolicyConformant", "status": st,
                   "lastTransitionTime": now, "reason": reason, "message": message})
        );
    }
    assert_eq!(
        status(&crontab_crd(), None, now)["conditions"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

// ---- conversion ----

#[test]
fn conversion() {
    let crd = crontab_crd();
    let obj = json!({"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": {"name": "x"}, "spec": {"cronSpec": "* * * * *"}});
    let converted = convert(obj.clone(), "v1beta1", &crd).expect("convert");
    let mut want = obj.clone();
    want["apiVersion"] = json!("stable.example.com/v1beta1");
    assert_eq!(converted, want);
    assert_eq!(convert(obj.clone(), "v1", &crd), Ok(obj.clone()));
    assert_eq!(
        convert(obj.clone(), "v2", &crd),
        Err("request to convert CR to an invalid group/version: stable.example.com/v2".to_owned())
    );
    let foreign = json!({"apiVersion": "other.example.com/v1", "kind": "CronTab"});
    assert_eq!(
        convert(foreign, "v1", &crd),
        Err("request to convert CR from an invalid group/version: other.example.com/v1".to_owned())
    );

    let list = json!({
        "apiVersion": "stable.example.com/v1",
        "kind": "CronTabList",
        "metadata": {"resourceVersion": "5"},
        "items": [obj.clone(), {"apiVersion": "stable.example.com/v1beta1", "kind": "CronTab", "metadata": {"name": "y"}}]
    });
    let converted = convert(list, "v1beta1", &crd).expect("convert list");
    assert_eq!(converted["apiVersion"], "stable.example.com/v1beta1");
    assert_eq!(
        converted["items"][0]["apiVersion"],
        "stable.example.com/v1beta1"
    );
    assert_eq!(
        converted["items"][1]["apiVersion"],
        "stable.example.com/v1beta1"
    );
    assert_eq!(converted["items"][0]["spec"], obj["spec"]);

    let mut webhook = crontab_crd();
    webhook["spec"]["conversion"] =
        json!({"strategy": "Webhook", "webhook": {"conversionReviewVersions": ["v1"]}});
    assert_eq!(
        convert(obj.clone(), "v1beta1", &webhook),
        Err("conversion webhook for stable.example.com/v1, Kind=CronTab failed: webhook conversion is not supported".to_owned())
    );
    assert_eq!(convert(obj.clone(), "v1", &webhook), Ok(obj));
}

#[test]
fn scale_subresource_validation() {
    let crd = crontab_crd();
    let v1 = &crd["spec"]["versions"][1];
    let obj = |spec: Value, status: Value| json!({"spec": spec, "status": status});
    let cases = vec![
        (
            obj(
                json!({"replicas": 3}),
                json!({"replicas": 3, "labelSelector": "app=x"}),
            ),
            true,
            vec![],
        ),
        (obj(json!({}), json!({})), true, vec![]),
        (
            obj(json!({"replicas": -1}), json!({"replicas": 2147483648i64})),
            true,
            vec![
                ".spec.replicas: Invalid value: -1: should be a non-negative integer",
                ".status.replicas: Invalid value: 2147483648: should be less than or equal to 2147483647",
            ],
        ),
        (
            obj(
                json!({"replicas": -1}),
                json!({"replicas": "two", "labelSelector": 5}),
            ),
            false,
            vec![
                ".status.replicas: Invalid value: 0: .status.replicas accessor error: two is of the type string, expected int64",
                ".status.labelSelector: Invalid value: \"\": .status.labelSelector accessor error: 5 is of the type int64, expected string",
            ],
        ),
        (
            obj(json!({"replicas": 1.5}), json!({})),
            true,
            vec![
                ".spec.replicas: Invalid value: 0: .spec.replicas accessor error: 1.5 is of the type float64, expected int64",
            ],
        ),
    ];
    for (o, spec, want) in cases {
        assert_eq!(msgs(&validate_scale(v1, &o, spec)), want, "{o}");
    }
    assert!(
        validate_scale(
            &crd["spec"]["versions"][0],
            &obj(json!({"replicas": -1}), json!({})),
            true
        )
        .is_empty()
    );
}
