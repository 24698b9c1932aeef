//! apps/v1 workloads.

use super::*;
use serde_json::json;

fn msgs(errs: Vec<FieldError>) -> Vec<String> {
    errs.into_iter().map(|e| e.to_string()).collect()
}

fn template() -> Value {
    json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}})
}

fn workload(spec: Value) -> Value {
    json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec})
}

fn deployment(extra: Value) -> Value {
    let mut spec =
        json!({"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template()});
    if let (Some(m), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    workload(spec)
}

fn stored(mut v: Value) -> Value {
    v["metadata"]["resourceVersion"] = json!("5");
    v
}

#[test]
fn deployments() {
    assert!(validate_deployment(&deployment(json!({}))).is_empty());
    assert!(validate_deployment(&deployment(json!({"strategy": {"type": "Recreate"}}))).is_empty());
    assert!(
        validate_deployment(&deployment(
            json!({"strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}})
        ))
        .is_empty()
    );
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            deployment(json!({"replicas": -1})),
            vec!["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (
            deployment(json!({"selector": {"matchLabels": {"app": "db"}}})),
            vec![
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`",
            ],
        ),
        (
            workload(json!({"template": template()})),
            vec![
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`",
            ],
        ),
        (
            deployment(json!({"selector": {}})),
            vec![
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment",
            ],
        ),
        (
            deployment(
                json!({"selector": {"matchExpressions": [{"key": "app", "operator": "In"}]}}),
            ),
            vec![
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:\"app\", Operator:\"In\", Values:[]string(nil)}}}: invalid label selector",
            ],
        ),
        (
            deployment(
                json!({"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"restartPolicy": "Never", "containers": [{"name": "nginx", "image": "nginx"}]}}}),
            ),
            vec![
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
            ],
        ),
        (
            deployment(
                json!({"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"activeDeadlineSeconds": 10, "containers": [{"name": "nginx", "image": "nginx"}]}}}),
            ),
            vec![
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
            ],
        ),
        (
            deployment(
                json!({"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "nginx"}]}}}),
            ),
            vec!["spec.template.spec.containers[0].image: Required value"],
        ),
        (
            deployment(
                json!({"strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}}),
            ),
            vec![
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0",
            ],
        ),
        (
            deployment(json!({"strategy": {"rollingUpdate": {"maxUnavailable": "120%"}}})),
            vec![
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"120%\"}: must not be greater than 100%",
            ],
        ),
        (
            deployment(json!({"strategy": {"rollingUpdate": {"maxSurge": "lots"}}})),
            vec![
                "spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"lots\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%', or '93%', regex used for validation is '[0-9]+%')",
            ],
        ),
        (
            deployment(json!({"strategy": {"type": "Recreate", "rollingUpdate": {}}})),
            vec![
                "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
            ],
        ),
        (
            deployment(json!({"strategy": {"type": "BlueGreen"}})),
            vec![
                "spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:\"BlueGreen\", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: \"Recreate\", \"RollingUpdate\"",
            ],
        ),
        (
            deployment(json!({"revisionHistoryLimit": -1, "minReadySeconds": -5})),
            vec![
                "spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0",
                "spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0",
            ],
        ),
        (
            deployment(json!({"minReadySeconds": 30, "progressDeadlineSeconds": 30})),
            vec![
                "spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds",
            ],
        ),
    ];
    for (d, want) in cases {
        assert_eq!(msgs(validate_deployment(&d)), want, "{d}");
    }
}

#[test]
fn deployment_updates() {
    let old = stored(deployment(json!({})));
    let mut scaled = old.clone();
    scaled["spec"]["replicas"] = json!(5);
    scaled["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.27");
    assert!(validate_deployment_update(&scaled, &old).is_empty());
    let mut reselected = old.clone();
    reselected["spec"]["selector"] = json!({"matchLabels": {"app": "web", "tier": "fe"}});
    reselected["spec"]["template"]["metadata"]["labels"]["tier"] = json!("fe");
    assert_eq!(
        msgs(validate_deployment_update(&reselected, &old)),
        vec![
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"fe\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
        ]
    );
    let mut status = old.clone();
    status["status"] = json!({"replicas": 3, "updatedReplicas": 4, "availableReplicas": 2, "readyReplicas": 1, "collisionCount": 1});
    let mut old_status = old.clone();
    old_status["status"] = json!({"collisionCount": 2});
    assert_eq!(
        msgs(validate_deployment_status_update(&status, &old_status)),
        vec![
            "status.updatedReplicas: Invalid value: 4: cannot be greater than status.replicas",
            "status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas",
            "status.collisionCount: Invalid value: 1: cannot be decremented",
        ]
    );
}

#[test]
fn replica_sets() {
    let rs = deployment(json!({}));
    assert!(validate_replica_set(&rs).is_empty());
    let mut bad = rs.clone();
    bad["spec"]["selector"] = json!({});
    assert_eq!(
        msgs(validate_replica_set(&bad)),
        vec![
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"
        ]
    );
    let old = stored(rs.clone());
    let mut new = old.clone();
    new["spec"]["selector"] = json!({"matchLabels": {"app": "web", "x": "y"}});
    new["spec"]["template"]["metadata"]["labels"]["x"] = json!("y");
    assert_eq!(msgs(validate_replica_set_update(&new, &old)).len(), 1);
    let mut status = old.clone();
    status["status"] = json!({"replicas": 1, "fullyLabeledReplicas": 2});
    assert_eq!(
        msgs(validate_replica_set_status_update(&status, &old)),
        vec![
            "status.fullyLabeledReplicas: Invalid value: 2: cannot be greater than status.replicas"
        ]
    );
}

fn sts(extra: Value) -> Value {
    let mut spec = json!({"serviceName": "web", "replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template(),
        "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]});
    if let (Some(m), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    workload(spec)
}

#[test]
fn stateful_sets() {
    assert!(validate_stateful_set(&sts(json!({}))).is_empty());
    assert!(
        validate_stateful_set(&sts(json!({"serviceName": ""}))).is_empty(),
        "serviceName is optional"
    );
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            sts(json!({"podManagementPolicy": "Random"})),
            vec![
                "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
            ],
        ),
        (
            sts(json!({"updateStrategy": {"type": "OnDelete", "rollingUpdate": {"partition": 1}}})),
            vec![
                "spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:1}: only allowed for updateStrategy 'RollingUpdate'",
            ],
        ),
        (
            sts(json!({"updateStrategy": {"type": "Canary"}})),
            vec![
                "spec.updateStrategy: Invalid value: apps.StatefulSetUpdateStrategy{Type:\"Canary\", RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}: must be 'RollingUpdate' or 'OnDelete'",
            ],
        ),
        (
            sts(
                json!({"updateStrategy": {"rollingUpdate": {"partition": -1, "maxUnavailable": 0}}}),
            ),
            vec![
                "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0",
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: cannot be 0",
            ],
        ),
        (
            sts(json!({"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Keep"}})),
            vec![
                "spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: \"Keep\": supported values: \"Retain\", \"Delete\"",
            ],
        ),
        (
            sts(json!({"serviceName": "Web_Svc"})),
            vec![
                "spec.serviceName: Invalid value: \"Web_Svc\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            ],
        ),
        (
            sts(json!({"ordinals": {"start": -1}})),
            vec!["spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0"],
        ),
        (
            sts(json!({"selector": {}})),
            vec![
                "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset",
            ],
        ),
        (
            sts(
                json!({"volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]}),
            ),
            vec!["spec.volumeClaimTemplates[0].spec.resources[storage]: Required value"],
        ),
    ];
    for (s, want) in cases {
        assert_eq!(msgs(validate_stateful_set(&s)), want, "{s}");
    }
    let old = stored(sts(json!({})));
    let mut new = old.clone();
    new["spec"]["replicas"] = json!(5);
    new["spec"]["updateStrategy"] = json!({"type": "OnDelete"});
    assert!(validate_stateful_set_update(&new, &old).is_empty());
    let mut renamed = old.clone();
    renamed["spec"]["serviceName"] = json!("other");
    assert_eq!(
        msgs(validate_stateful_set_update(&renamed, &old)),
        vec![
            "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
        ]
    );
    let mut status = old.clone();
    status["status"] = json!({"replicas": 2, "readyReplicas": 1, "availableReplicas": 2});
    assert_eq!(
        msgs(validate_stateful_set_status_update(&status, &old)),
        vec![
            "status.availableReplicas: Invalid value: 2: cannot be greater than status.readyReplicas"
        ]
    );
}

#[test]
fn daemon_sets() {
    let ds = |extra: Value| {
        let mut spec = json!({"selector": {"matchLabels": {"app": "web"}}, "template": template()});
        if let (Some(m), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        workload(spec)
    };
    assert!(validate_daemon_set(&ds(json!({}))).is_empty());
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            workload(json!({"template": template()})),
            vec![
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`",
            ],
        ),
        (
            ds(json!({"updateStrategy": {"rollingUpdate": {"maxUnavailable": 0}}})),
            vec![
                "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0",
            ],
        ),
        (
            ds(json!({"updateStrategy": {"rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}})),
            vec![
                "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:\"\"}: may not be set when maxUnavailable is non-zero",
            ],
        ),
        (
            ds(json!({"updateStrategy": {"type": "Surge"}})),
            vec![
                "spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:\"Surge\", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: \"RollingUpdate\", \"OnDelete\"",
            ],
        ),
        (
            ds(
                json!({"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "i"}]}}}),
            ),
            vec![
                "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"",
            ],
        ),
    ];
    for (d, want) in cases {
        assert_eq!(msgs(validate_daemon_set(&d)), want, "{d}");
    }
    let old = stored(ds(json!({})));
    let mut status = old.clone();
    status["status"] = json!({"numberReady": -1});
    assert_eq!(
        msgs(validate_daemon_set_status_update(&status, &old)),
        vec!["status.numberReady: Invalid value: -1: must be greater than or equal to 0"]
    );
}

#[test]
fn controller_revisions() {
    let cr = json!({"metadata": {"name": "web-6b7f", "namespace": "default"}, "data": {"spec": {}}, "revision": 1});
    assert!(validate_controller_revision(&cr).is_empty());
    assert_eq!(
        msgs(validate_controller_revision(
            &json!({"metadata": {"name": "web-6b7f", "namespace": "default"}, "revision": -1})
        )),
        vec![
            "data: Required value: data is mandatory",
            "revision: Invalid value: -1: must be greater than or equal to 0"
        ]
    );
    let old = stored(cr.clone());
    let mut new = old.clone();
    new["data"] = json!({"spec": {"x": 1}});
    assert_eq!(
        msgs(validate_controller_revision_update(&new, &old)),
        vec!["data: Invalid value: {Spec:{X:1}}: field is immutable"]
    );
}

#[test]
fn statefulset_containers_may_mount_their_claim_templates() {
    let sts = serde_json::json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"serviceName": "web", "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                "containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "IfNotPresent",
                    "terminationMessagePolicy": "File",
                    "volumeMounts": [{"name": "www", "mountPath": "/data"}]}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}],
            "podManagementPolicy": "OrderedReady", "updateStrategy": {"type": "RollingUpdate"},
            "revisionHistoryLimit": 10}});
    let errs = super::validate_stateful_set(&sts);
    assert!(
        !errs.iter().any(|e| e.to_string().contains("volumeMounts")),
        "{errs:?}"
    );
}
