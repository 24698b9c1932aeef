//! Core kinds other than Pods and Services.

use super::*;
use base64::Engine;
use serde_json::json;

fn msgs(errs: Vec<FieldError>) -> Vec<String> {
    errs.into_iter().map(|e| e.to_string()).collect()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn with_rv(mut v: Value) -> Value {
    v["metadata"]["resourceVersion"] = json!("1");
    v
}

#[test]
fn config_maps() {
    let cm = |data: Value| {
        let mut v = json!({"metadata": {"name": "cfg", "namespace": "default"}});
        if let (Some(m), Some(d)) = (v.as_object_mut(), data.as_object()) {
            m.extend(d.clone());
        }
        v
    };
    assert!(
        validate_config_map(&cm(
            json!({"data": {"MA_CLE": "v", "app.conf": "x"}, "binaryData": {"bin": b64("\u{1}")}})
        ))
        .is_empty()
    );
    assert_eq!(
        msgs(validate_config_map(&cm(
            json!({"data": {"a b": "1", "dup": "x"}, "binaryData": {"dup": b64("y")}})
        ))),
        vec![
            "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            "data[dup]: Invalid value: \"dup\": duplicate of key present in binaryData",
        ]
    );
    let big = "x".repeat(MAX_SECRET_SIZE + 1);
    assert_eq!(
        msgs(validate_config_map(&cm(json!({"data": {"big": big}})))),
        vec![": Too long: may not be more than 1048576 bytes"]
    );
    let old = with_rv(cm(json!({"immutable": true, "data": {"a": "1"}})));
    let mut new = old.clone();
    new["data"]["a"] = json!("2");
    new["immutable"] = json!(false);
    assert_eq!(
        msgs(validate_config_map_update(&new, &old)),
        vec![
            "immutable: Forbidden: field is immutable when `immutable` is set",
            "data: Forbidden: field is immutable when `immutable` is set",
        ]
    );
}

#[test]
fn secrets() {
    let secret = |ty: &str, data: Value| json!({"metadata": {"name": "s", "namespace": "default"}, "type": ty, "data": data});
    assert!(validate_secret(&secret("Opaque", json!({"DB_PASSWORD": b64("pw")}))).is_empty());
    assert!(
        validate_secret(&secret(
            "kubernetes.io/tls",
            json!({"tls.crt": b64("c"), "tls.key": b64("k")})
        ))
        .is_empty()
    );
    assert!(
        validate_secret(&secret(
            "kubernetes.io/dockerconfigjson",
            json!({".dockerconfigjson": b64("{\"auths\":{}}")})
        ))
        .is_empty()
    );
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            secret("kubernetes.io/tls", json!({})),
            vec![
                "data[tls.crt]: Required value",
                "data[tls.key]: Required value",
            ],
        ),
        (
            secret("kubernetes.io/basic-auth", json!({})),
            vec![
                "data[username]: Required value",
                "data[password]: Required value",
            ],
        ),
        (
            secret("kubernetes.io/ssh-auth", json!({"ssh-privatekey": ""})),
            vec!["data[ssh-privatekey]: Required value"],
        ),
        (
            secret("kubernetes.io/dockerconfigjson", json!({})),
            vec!["data[.dockerconfigjson]: Required value"],
        ),
        (
            secret(
                "kubernetes.io/dockerconfigjson",
                json!({".dockerconfigjson": b64("nope")}),
            ),
            vec![
                "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": invalid character 'o' in literal null (expecting 'u')",
            ],
        ),
        (
            secret(
                "kubernetes.io/dockerconfigjson",
                json!({".dockerconfigjson": b64("xyz")}),
            ),
            vec![
                "data[.dockerconfigjson]: Invalid value: \"<secret contents redacted>\": invalid character 'x' looking for beginning of value",
            ],
        ),
        (
            secret("kubernetes.io/dockercfg", json!({".dockercfg": b64("[1]")})),
            vec![
                "data[.dockercfg]: Invalid value: \"<secret contents redacted>\": json: cannot unmarshal array into Go value of type map[string]interface {}",
            ],
        ),
        (
            secret("kubernetes.io/service-account-token", json!({})),
            vec!["metadata.annotations[kubernetes.io/service-account.name]: Required value"],
        ),
        (
            secret("Opaque", json!({"bad/key": b64("x")})),
            vec![
                "data[bad/key]: Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            ],
        ),
    ];
    for (s, want) in cases {
        assert_eq!(msgs(validate_secret(&s)), want, "{s}");
    }
    let mut string_data = secret("kubernetes.io/tls", json!({"tls.crt": b64("c")}));
    string_data["stringData"] = json!({"tls.key": "k"});
    assert!(validate_secret(&string_data).is_empty());
    let old = with_rv(secret("Opaque", json!({})));
    let mut new = old.clone();
    new["type"] = json!("kubernetes.io/tls");
    new["data"] = json!({"tls.crt": b64("c"), "tls.key": b64("k")});
    assert_eq!(
        msgs(validate_secret_update(&new, &old)),
        vec!["type: Invalid value: \"kubernetes.io/tls\": field is immutable"]
    );
}

#[test]
fn namespaces() {
    assert!(validate_namespace(&json!({"metadata": {"name": "mon-namespace"}})).is_empty());
    assert_eq!(
        msgs(validate_namespace(
            &json!({"metadata": {"name": "ns", "namespace": "x"}, "spec": {"finalizers": ["custom"]}})
        )),
        vec![
            "metadata.namespace: Forbidden: not allowed on this type",
            "spec.finalizers: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified",
        ]
    );
    let old = with_rv(json!({"metadata": {"name": "ns"}, "status": {"phase": "Active"}}));
    let mut new = old.clone();
    new["status"]["phase"] = json!("Terminating");
    assert_eq!(
        msgs(validate_namespace_status_update(&new, &old)),
        vec![
            "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty"
        ]
    );
}

#[test]
fn nodes() {
    let node = json!({"metadata": {"name": "node-1"}, "spec": {"podCIDRs": ["10.42.0.0/24"], "taints": [{"key": "k", "effect": "NoSchedule"}]},
                      "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}}});
    assert!(validate_node(&node).is_empty());
    let bad = json!({"metadata": {"name": "node-1"}, "spec": {"podCIDRs": ["10.42.0.1/24"], "taints": [{"key": "k", "effect": "NoSchedule"}, {"key": "k", "effect": "NoSchedule"}, {"key": "x", "effect": ""}]},
                     "status": {"capacity": {"pods": "1.5"}}});
    assert_eq!(
        msgs(validate_node(&bad)),
        vec![
            "metadata.taints[1]: Duplicate value: core.Taint{Key:\"k\", Value:\"\", Effect:\"NoSchedule\", TimeAdded:<nil>}: taints must be unique by key and effect pair",
            "metadata.taints[2].effect: Required value",
            "status.capacity.pods: Invalid value: \"1500m\": must be an integer",
            "spec.podCIDRs[0]: Invalid value: \"10.42.0.1/24\": must not have bits set beyond the prefix length",
        ]
    );
    let old = with_rv(node.clone());
    let mut new = old.clone();
    new["spec"]["podCIDRs"] = json!(["10.42.1.0/24"]);
    assert_eq!(
        msgs(validate_node_update(&new, &old)),
        vec![
            "spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to valid"
        ]
    );
}

#[test]
fn persistent_volumes() {
    let pv = json!({"metadata": {"name": "pv1"}, "spec": {"capacity": {"storage": "10Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/data"}, "storageClassName": "local"}});
    assert!(validate_pv(&pv).is_empty());
    let bad = json!({"metadata": {"name": "pv1"}, "spec": {"capacity": {"cpu": "1"}, "accessModes": ["ReadWriteOncePod", "ReadWriteOnce", "WriteMany"], "persistentVolumeReclaimPolicy": "Keep"}});
    assert_eq!(
        msgs(validate_pv(&bad)),
        vec![
            "spec.accessModes: Unsupported value: \"WriteMany\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
            "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes",
            "spec.capacity: Unsupported value: core.ResourceList{\"cpu\":\"1\"}: supported values: \"storage\"",
            "spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", \"Recycle\", \"Retain\"",
            "spec: Required value: must specify a volume type",
        ]
    );
    let local = json!({"metadata": {"name": "pv2"}, "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "local": {"path": "/mnt"}}});
    assert_eq!(
        msgs(validate_pv(&local)),
        vec!["spec.nodeAffinity: Required value: Local volume requires node affinity"]
    );
    let old = with_rv(pv.clone());
    let mut new = old.clone();
    new["spec"]["hostPath"]["path"] = json!("/other");
    let got = msgs(validate_pv_update(&new, &old));
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation\n"));
}

#[test]
fn persistent_volume_claims() {
    let pvc =
        |spec: Value| json!({"metadata": {"name": "data", "namespace": "default"}, "spec": spec});
    assert!(
        validate_pvc(&pvc(
            json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}})
        ))
        .is_empty()
    );
    assert_eq!(
        msgs(validate_pvc(&pvc(json!({})))),
        vec![
            "spec.accessModes: Required value: at least 1 access mode is required",
            "spec.resources[storage]: Required value"
        ]
    );
    assert_eq!(
        msgs(validate_pvc(&pvc(
            json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "0"}}, "volumeMode": "Raw", "storageClassName": "Fast_SSD"})
        ))),
        vec![
            "spec.resources[storage]: Invalid value: \"0\": must be greater than zero",
            "spec.storageClassName: Invalid value: \"Fast_SSD\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            "spec.volumeMode: Unsupported value: \"Raw\": supported values: \"Block\", \"Filesystem\"",
        ]
    );
    let old = with_rv(pvc(
        json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}),
    ));
    let mut bound = old.clone();
    bound["spec"]["volumeName"] = json!("pv-1");
    assert!(
        validate_pvc_update(&bound, &old).is_empty(),
        "volumeName may be set once"
    );
    let mut modes = old.clone();
    modes["spec"]["accessModes"] = json!(["ReadWriteMany"]);
    let got = msgs(validate_pvc_update(&modes, &old));
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"));
    let mut grown = old.clone();
    grown["status"] = json!({"phase": "Bound", "capacity": {"storage": "1Gi"}});
    grown["spec"]["resources"]["requests"]["storage"] = json!("2Gi");
    assert!(validate_pvc_update(&grown, &old).is_empty());
    let mut old_bound = old.clone();
    old_bound["status"] = json!({"phase": "Bound", "capacity": {"storage": "1Gi"}});
    let mut shrunk = old_bound.clone();
    shrunk["spec"]["resources"]["requests"]["storage"] = json!("512Mi");
    assert_eq!(
        msgs(validate_pvc_update(&shrunk, &old_bound)),
        vec![
            "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity"
        ]
    );
}

#[test]
fn endpoints_and_bindings() {
    let ep = json!({"metadata": {"name": "web", "namespace": "default"}, "subsets": [
        {"addresses": [{"ip": "10.42.0.5"}], "ports": [{"port": 80}]},
        {"ports": [{"name": "a", "port": 80}, {"port": 0, "protocol": "TCP"}]},
        {"addresses": [{"ip": "127.0.0.1"}]}
    ]});
    assert_eq!(
        msgs(validate_endpoints(&ep)),
        vec![
            "subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`",
            "subsets[1].ports[1].name: Required value",
            "subsets[1].ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive",
            "subsets[2].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ]
    );
    assert_eq!(
        msgs(validate_binding(&json!({"target": {"kind": "Pod"}}))),
        vec![
            "target.kind: Unsupported value: \"Pod\": supported values: \"Node\", \"<empty>\"",
            "target.name: Required value"
        ]
    );
}

#[test]
fn events() {
    let legacy = json!({"metadata": {"name": "web.1", "namespace": "default"}, "involvedObject": {"kind": "Pod", "namespace": "other"}, "reason": "Started"});
    assert_eq!(
        msgs(validate_event_create(&legacy)),
        vec!["involvedObject.namespace: Invalid value: \"other\": does not match event.namespace"]
    );
    let new_style = json!({"metadata": {"name": "web.2", "namespace": "default"}, "involvedObject": {"kind": "Pod", "namespace": "default"}, "eventTime": "2024-01-01T00:00:00.000000Z"});
    assert_eq!(
        msgs(validate_event_create(&new_style)),
        vec![
            "reportingComponent: Required value",
            "reportingComponent: Invalid value: \"\": name part must be non-empty",
            "reportingComponent: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            "reportingInstance: Required value",
            "action: Required value",
            "reason: Required value",
        ]
    );
    let v1 = json!({"metadata": {"name": "e", "namespace": "default"}, "eventTime": "2024-01-01T00:00:00.000000Z", "reportingController": "kubelet", "reportingInstance": "node-1", "action": "Pull", "reason": "Pulled", "type": "Info", "regarding": {"namespace": "default"}});
    assert_eq!(
        msgs(validate_events_v1_create(&v1)),
        vec!["type: Invalid value: \"\": has invalid value: Info"]
    );
}

#[test]
fn limit_ranges_and_quotas() {
    let lr = |limits: Value| json!({"metadata": {"name": "lr", "namespace": "default"}, "spec": {"limits": limits}});
    assert!(validate_limit_range(&lr(json!([{"type": "Container", "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "100m"}, "max": {"cpu": "2"}, "min": {"cpu": "50m"}}]))).is_empty());
    assert_eq!(
        msgs(validate_limit_range(&lr(json!([
            {"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}},
            {"type": "Pod", "default": {"cpu": "1"}},
            {"type": "PersistentVolumeClaim"},
            {"type": "Thing"}
        ])))),
        vec![
            "spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than max value 1",
            "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'",
            "spec.limits[2].limits: Required value: either minimum or maximum storage value is required, but neither was provided",
            "spec.limits[3].type: Invalid value: \"Thing\": must be a standard limit type or fully qualified",
        ]
    );
    let rq = |spec: Value| json!({"metadata": {"name": "q", "namespace": "default"}, "spec": spec});
    assert!(
        validate_resource_quota(&rq(
            json!({"hard": {"pods": "10", "requests.cpu": "4", "count/deployments.apps": "5"}})
        ))
        .is_empty()
    );
    assert_eq!(
        msgs(validate_resource_quota(&rq(
            json!({"hard": {"pods": "1.5", "widgets": "1"}, "scopes": ["BestEffort", "NotBestEffort"]})
        ))),
        vec![
            "spec.hard[pods]: Invalid value: \"1500m\": must be an integer",
            "spec.hard[widgets]: Invalid value: \"widgets\": must be a standard resource type or fully qualified",
            "spec.hard[widgets]: Invalid value: \"widgets\": must be a standard resource for quota",
            "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"NotBestEffort\"}: conflicting scopes",
        ]
    );
    let old = with_rv(rq(
        json!({"hard": {"pods": "1"}, "scopes": ["Terminating"]}),
    ));
    let mut new = old.clone();
    new["spec"]["scopes"] = json!(["NotTerminating"]);
    assert_eq!(
        msgs(validate_resource_quota_update(&new, &old)),
        vec![
            "spec.scopes: Invalid value: []core.ResourceQuotaScope{\"NotTerminating\"}: field is immutable"
        ]
    );
}

#[test]
fn replication_controllers() {
    let rc =
        |spec: Value| json!({"metadata": {"name": "rc", "namespace": "default"}, "spec": spec});
    let tpl = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}});
    assert!(
        validate_rc(&rc(json!({"replicas": 2, "template": tpl}))).is_empty(),
        "selector defaults to the template labels"
    );
    assert_eq!(
        msgs(validate_rc(&rc(
            json!({"replicas": -1, "selector": {"app": "db"}, "template": tpl})
        ))),
        vec![
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`",
        ]
    );
    let mut never = tpl.clone();
    never["spec"]["restartPolicy"] = json!("Never");
    assert_eq!(
        msgs(validate_rc(&rc(json!({"template": never})))),
        vec![
            "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""
        ]
    );
    assert_eq!(
        msgs(validate_rc(&rc(json!({})))),
        vec![
            "spec.selector: Required value",
            "spec.template: Required value"
        ]
    );
    let old = with_rv(rc(json!({"template": tpl})));
    let mut new = old.clone();
    new["status"] = json!({"replicas": 1, "readyReplicas": 2, "availableReplicas": 1});
    assert_eq!(
        msgs(validate_rc_status_update(&new, &old)),
        vec!["status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas"]
    );
}

#[test]
fn service_accounts_and_pod_templates() {
    assert!(
        validate_service_account(&json!({"metadata": {"name": "builder", "namespace": "ci"}}))
            .is_empty()
    );
    assert_eq!(
        msgs(validate_service_account(
            &json!({"metadata": {"name": "Builder", "namespace": "ci"}})
        ))
        .len(),
        1
    );
    let old = with_rv(
        json!({"metadata": {"name": "pt", "namespace": "d"}, "template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}}),
    );
    let mut new = old.clone();
    new["template"]["spec"]["containers"][0]["name"] = json!("C");
    assert_eq!(msgs(pod_template_update(&new, &old)).len(), 1);
}
