//! Patches real clients send, applied to plausible stored objects. Bodies marked "trace" are
//! byte for byte what kubectl 1.32 sent (shared/kubectl-traces); the others follow the shape of
//! kubectl's three-way patches and of the kubelet's status patches.

use serde_json::{Value, json};

use super::{PatchType, apply};

const DEPLOYMENT: (&str, &str, &str) = ("apps", "v1", "Deployment");

fn patch(pt: PatchType, gvk: (&str, &str, &str), doc: &Value, body: &str) -> Value {
    let patch: Value = serde_json::from_str(body).expect("patch body is JSON");
    apply(pt, doc, &patch, gvk).unwrap_or_else(|e| panic!("patch {body} failed: {e}"))
}

fn smp(gvk: (&str, &str, &str), doc: &Value, body: &str) -> Value {
    patch(PatchType::Strategic, gvk, doc, body)
}

/// A Deployment as kube-apiserver stores it after `kubectl create deployment web --image nginx:1.27`.
fn web_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "5d3a6c5e-1b7e-4b52-9a53-2f0f6f6d7e01",
            "resourceVersion": "1042",
            "generation": 1,
            "labels": {"app": "web"},
            "annotations": {"deployment.kubernetes.io/revision": "1"}
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [{
                        "name": "web",
                        "image": "nginx:1.27",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                        "resources": {},
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                        "imagePullPolicy": "IfNotPresent"
                    }],
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst",
                    "securityContext": {},
                    "schedulerName": "default-scheduler"
                }
            },
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600
        },
        "status": {
            "observedGeneration": 1,
            "replicas": 1,
            "updatedReplicas": 1,
            "readyReplicas": 1,
            "availableReplicas": 1,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
            ]
        }
    })
}

fn container_names(d: &Value) -> Vec<&str> {
    d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers is a list")
        .iter()
        .map(|c| c["name"].as_str().expect("container has a name"))
        .collect()
}

#[test]
fn set_image() {
    // trace: setimage.jsonl
    let body = r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"image":"nginx:1.28","name":"web"}]}}}}"#;
    let stored = web_deployment();
    let got = smp(DEPLOYMENT, &stored, body);
    let mut want = stored.clone();
    want["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    assert_eq!(got, want);
}

#[test]
fn set_image_leaves_other_containers_in_place() {
    let mut stored = web_deployment();
    stored["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .expect("containers is a list")
        .push(json!({"name": "sidecar", "image": "busybox"}));
    let body = r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"sidecar"}],"containers":[{"image":"busybox:1.36","name":"sidecar"}]}}}}"#;
    let got = smp(DEPLOYMENT, &stored, body);
    assert_eq!(container_names(&got), ["web", "sidecar"]);
    let containers = &got["spec"]["template"]["spec"]["containers"];
    assert_eq!(containers[0]["image"], json!("nginx:1.27"));
    assert_eq!(
        containers[0]["env"],
        stored["spec"]["template"]["spec"]["containers"][0]["env"]
    );
    assert_eq!(
        containers[1],
        json!({"name": "sidecar", "image": "busybox:1.36"})
    );
}

#[test]
fn rollout_restart() {
    // trace: rollout.jsonl
    let body = r#"{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-22T04:33:58Z"}}}}}"#;
    let stored = web_deployment();
    let got = smp(DEPLOYMENT, &stored, body);
    assert_eq!(
        got["spec"]["template"]["metadata"],
        json!({
            "labels": {"app": "web"},
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-22T04:33:58Z"}
        })
    );
    // A second restart replaces the timestamp and keeps other annotations.
    let mut restarted = got.clone();
    restarted["spec"]["template"]["metadata"]["annotations"]["other"] = json!("x");
    let again = smp(
        DEPLOYMENT,
        &restarted,
        r#"{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-22T05:00:00Z"}}}}}"#,
    );
    assert_eq!(
        again["spec"]["template"]["metadata"]["annotations"],
        json!({"kubectl.kubernetes.io/restartedAt": "2026-11-22T05:00:00Z", "other": "x"})
    );
    assert_eq!(
        again["spec"]["template"]["spec"],
        stored["spec"]["template"]["spec"]
    );
}

#[test]
fn rollout_undo() {
    // trace: undo.jsonl
    let body = r#"[{"op":"replace","path":"/spec/template","value":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.24","resources":{}}]}}},{"op":"replace","path":"/metadata/annotations","value":{"deployment.kubernetes.io/revision":"2","kubernetes.io/change-cause":"kubectl set image deployment/web web=nginx:1.24"}}]"#;
    let stored = web_deployment();
    let got = patch(PatchType::Json, DEPLOYMENT, &stored, body);
    assert_eq!(
        got["spec"]["template"],
        json!({
            "metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.24", "resources": {}}]}
        })
    );
    assert_eq!(
        got["metadata"]["annotations"],
        json!({
            "deployment.kubernetes.io/revision": "2",
            "kubernetes.io/change-cause": "kubectl set image deployment/web web=nginx:1.24"
        })
    );
    assert_eq!(got["spec"]["strategy"], stored["spec"]["strategy"]);
    assert_eq!(got["metadata"]["name"], json!("web"));
}

#[test]
fn apply_existing_unchanged_manifest() {
    // trace: apply-existing.jsonl
    let body = r#"{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx:1.27\",\"name\":\"web\"}]}}}}\n"}},"spec":{"replicas":2,"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"image":"nginx:1.27","name":"web"}]}}}}"#;
    let stored = web_deployment();
    let got = smp(DEPLOYMENT, &stored, body);
    assert_eq!(got["spec"]["replicas"], json!(2));
    let annotations = got["metadata"]["annotations"]
        .as_object()
        .expect("annotations");
    assert_eq!(annotations.len(), 2);
    assert!(
        annotations["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .is_some_and(|s| s.contains("nginx:1.27"))
    );
    assert_eq!(got["spec"]["template"], stored["spec"]["template"]);
}

/// `kubectl apply` after removing a container, an env var, a label and `replicas` from the
/// manifest: kubectl's three-way patch deletes them with `$patch: delete` items and nulls.
#[test]
fn apply_three_way_removes_what_the_manifest_dropped() {
    // trace: 3way.jsonl; the stored object is what that kubectl created just before.
    let stored = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}\n"},
            "labels": {"app": "web3", "tier": "fe"},
            "name": "web3",
            "namespace": "default",
            "uid": "0b4e8a47-64d4-4c1b-a6c4-4a5b8ed0f2a9"
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web3"}},
            "template": {
                "metadata": {"labels": {"app": "web3"}},
                "spec": {
                    "containers": [
                        {
                            "env": [{"name": "X", "value": "1"}, {"name": true, "value": "2"}],
                            "image": "nginx:1",
                            "name": "a",
                            "terminationMessagePolicy": "File"
                        },
                        {"image": "busybox", "name": "b", "terminationMessagePolicy": "File"}
                    ],
                    "restartPolicy": "Always"
                }
            }
        }
    });
    let body = r#"{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web3\"},\"name\":\"web3\",\"namespace\":\"default\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web3\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web3\"}},\"spec\":{\"containers\":[{\"env\":[{\"name\":true,\"value\":\"2\"}],\"image\":\"nginx:2\",\"name\":\"a\"}]}}}}\n"},"labels":{"tier":null}},"spec":{"replicas":null,"template":{"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"$setElementOrder/env":[{"name":true}],"env":[{"$patch":"delete","name":"X"}],"image":"nginx:2","name":"a"},{"$patch":"delete","name":"b"}]}}}}"#;
    let got = smp(DEPLOYMENT, &stored, body);
    assert_eq!(got["metadata"]["labels"], json!({"app": "web3"}));
    assert!(got["spec"].get("replicas").is_none(), "{got}");
    assert_eq!(
        got["spec"]["template"]["spec"]["containers"],
        json!([{
            "env": [{"name": true, "value": "2"}],
            "image": "nginx:2",
            "name": "a",
            "terminationMessagePolicy": "File"
        }])
    );
    assert_eq!(
        got["spec"]["template"]["spec"]["restartPolicy"],
        json!("Always")
    );
    assert!(
        got["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
            .as_str()
            .is_some_and(|s| s.contains("nginx:2"))
    );
}

/// `kubectl apply` after removing a port and env var `B` and adding env var `C` between `A` and
/// `B`'s old place, in the shape kubectl produces.
#[test]
fn apply_edits_container_lists() {
    let stored = web_deployment();
    let mut stored = stored;
    stored["spec"]["template"]["spec"]["containers"][0]["ports"] = json!([
        {"containerPort": 80, "protocol": "TCP"},
        {"containerPort": 443, "protocol": "TCP"}
    ]);
    let body = r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"$setElementOrder/env":[{"name":"C"},{"name":"A"}],"$setElementOrder/ports":[{"containerPort":80}],"env":[{"name":"C","value":"3"},{"$patch":"delete","name":"B"}],"name":"web","ports":[{"$patch":"delete","containerPort":443}]}]}}}}"#;
    let got = smp(DEPLOYMENT, &stored, body);
    let container = &got["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        container["env"],
        json!([{"name": "C", "value": "3"}, {"name": "A", "value": "1"}])
    );
    assert_eq!(
        container["ports"],
        json!([{"containerPort": 80, "protocol": "TCP"}])
    );
    assert_eq!(container["image"], json!("nginx:1.27"));
}

/// `kubectl apply` adding a container to a Deployment whose live pod template also has a
/// container injected by someone else: the new one follows the manifest's order, the injected
/// one (which the patch does not name) goes after.
#[test]
fn apply_adds_a_container_next_to_an_injected_one() {
    let mut stored = web_deployment();
    stored["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .expect("containers is a list")
        .push(json!({"name": "injected", "image": "proxy"}));
    let body = r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"extra"}],"containers":[{"image":"redis","name":"extra"}]}}}}"#;
    let got = smp(DEPLOYMENT, &stored, body);
    assert_eq!(container_names(&got), ["web", "extra", "injected"]);
    assert_eq!(
        got["spec"]["template"]["spec"]["containers"][1],
        json!({"name": "extra", "image": "redis"})
    );
}

/// Removing a whole field from the manifest: kubectl sends null.
#[test]
fn apply_null_removes_container_field() {
    let body = r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"env":null,"name":"web"}]}}}}"#;
    let got = smp(DEPLOYMENT, &web_deployment(), body);
    let container = &got["spec"]["template"]["spec"]["containers"][0];
    assert!(container.get("env").is_none(), "{container}");
    assert_eq!(
        container["ports"],
        json!([{"containerPort": 80, "protocol": "TCP"}])
    );
}

/// Switching to the Recreate strategy: kubectl sends `$retainKeys`, which clears `rollingUpdate`.
#[test]
fn apply_switches_deployment_strategy() {
    let body = r#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#;
    let got = smp(DEPLOYMENT, &web_deployment(), body);
    assert_eq!(got["spec"]["strategy"], json!({"type": "Recreate"}));
    // Without the directive the old key would stay.
    let merged = smp(
        DEPLOYMENT,
        &web_deployment(),
        r#"{"spec":{"strategy":{"type":"Recreate"}}}"#,
    );
    assert_eq!(
        merged["spec"]["strategy"]["rollingUpdate"],
        json!({"maxUnavailable": "25%", "maxSurge": "25%"})
    );
}

/// Changing a volume's source: kubectl sends `$retainKeys` in the volume item.
#[test]
fn apply_switches_volume_source() {
    let pod = json!({
        "metadata": {"name": "p"},
        "spec": {
            "containers": [{"name": "c", "image": "busybox"}],
            "volumes": [
                {"name": "data", "emptyDir": {}},
                {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}}
            ]
        }
    });
    let body = r#"{"spec":{"$setElementOrder/volumes":[{"name":"data"},{"name":"cfg"}],"volumes":[{"$retainKeys":["hostPath","name"],"hostPath":{"path":"/data"},"name":"data"}]}}"#;
    let got = smp(("", "v1", "Pod"), &pod, body);
    assert_eq!(
        got["spec"]["volumes"],
        json!([
            {"name": "data", "hostPath": {"path": "/data"}},
            {"name": "cfg", "configMap": {"name": "cfg", "defaultMode": 420}}
        ])
    );
}

#[test]
fn tolerations_are_replaced_whole() {
    let pod = json!({"spec": {"tolerations": [
        {"key": "a", "operator": "Exists"},
        {"key": "b", "operator": "Exists"}
    ]}});
    let got = smp(
        ("", "v1", "Pod"),
        &pod,
        r#"{"spec":{"tolerations":[{"key":"c","operator":"Exists"}]}}"#,
    );
    assert_eq!(
        got["spec"]["tolerations"],
        json!([{"key": "c", "operator": "Exists"}])
    );
}

#[test]
fn finalizers_merge_as_a_set() {
    let cm =
        json!({"metadata": {"name": "c", "finalizers": ["a.example.com/x", "b.example.com/y"]}});
    let gvk = ("", "v1", "ConfigMap");
    let added = smp(
        gvk,
        &cm,
        r#"{"metadata":{"finalizers":["c.example.com/z"]}}"#,
    );
    assert_eq!(
        added["metadata"]["finalizers"],
        json!(["c.example.com/z", "a.example.com/x", "b.example.com/y"])
    );
    let removed = smp(
        gvk,
        &cm,
        r#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a.example.com/x"],"$setElementOrder/finalizers":["b.example.com/y"]}}"#,
    );
    assert_eq!(
        removed["metadata"]["finalizers"],
        json!(["b.example.com/y"])
    );
    // A merge patch replaces the list.
    let replaced = patch(
        PatchType::Merge,
        gvk,
        &cm,
        r#"{"metadata":{"finalizers":["c.example.com/z"]}}"#,
    );
    assert_eq!(
        replaced["metadata"]["finalizers"],
        json!(["c.example.com/z"])
    );
}

#[test]
fn owner_references_merge_by_uid() {
    let pod = json!({"metadata": {"ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1", "controller": true}
    ]}});
    let got = smp(
        ("", "v1", "Pod"),
        &pod,
        r#"{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"cm","uid":"u2"},{"uid":"u1","controller":null}]}}"#,
    );
    assert_eq!(
        got["metadata"]["ownerReferences"],
        json!([
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "u2"},
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1"}
        ])
    );
}

#[test]
fn service_ports_merge_by_port() {
    let svc = json!({"spec": {"type": "ClusterIP", "ports": [
        {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
        {"name": "https", "port": 443, "targetPort": 8443, "protocol": "TCP"}
    ]}});
    let body = r#"{"spec":{"$setElementOrder/ports":[{"port":80}],"ports":[{"port":80,"targetPort":9090},{"$patch":"delete","port":443}]}}"#;
    let got = smp(("", "v1", "Service"), &svc, body);
    assert_eq!(
        got["spec"]["ports"],
        json!([{"name": "http", "port": 80, "targetPort": 9090, "protocol": "TCP"}])
    );
}

#[test]
fn node_cordon_and_status_heartbeat() {
    let node = json!({
        "metadata": {"name": "node1", "labels": {"kubernetes.io/hostname": "node1"}},
        "spec": {"podCIDR": "10.42.0.0/24", "podCIDRs": ["10.42.0.0/24"]},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": "t0"},
                {"type": "Ready", "status": "True", "lastHeartbeatTime": "t0"}
            ],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.5"}, {"type": "Hostname", "address": "node1"}]
        }
    });
    let gvk = ("", "v1", "Node");
    // trace: misc2.jsonl (kubectl cordon)
    let cordoned = smp(gvk, &node, r#"{"spec":{"unschedulable":true}}"#);
    assert_eq!(cordoned["spec"]["unschedulable"], json!(true));
    assert_eq!(cordoned["spec"]["podCIDRs"], json!(["10.42.0.0/24"]));
    // The kubelet's heartbeat: conditions merge by type.
    let body = r#"{"status":{"$setElementOrder/conditions":[{"type":"MemoryPressure"},{"type":"Ready"}],"conditions":[{"lastHeartbeatTime":"t1","type":"MemoryPressure"},{"lastHeartbeatTime":"t1","type":"Ready"}]}}"#;
    let beat = smp(gvk, &node, body);
    assert_eq!(
        beat["status"]["conditions"],
        json!([
            {"type": "MemoryPressure", "status": "False", "lastHeartbeatTime": "t1"},
            {"type": "Ready", "status": "True", "lastHeartbeatTime": "t1"}
        ])
    );
    assert_eq!(beat["status"]["addresses"], node["status"]["addresses"]);
}

#[test]
fn pod_status_patch_from_the_kubelet() {
    let pod = json!({
        "metadata": {"name": "p", "uid": "u"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]},
        "status": {
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": "c", "ready": false, "restartCount": 0}]
        }
    });
    let body = r#"{"metadata":{"uid":"u"},"status":{"$setElementOrder/conditions":[{"type":"Initialized"},{"type":"Ready"},{"type":"PodScheduled"}],"conditions":[{"status":"True","type":"Initialized"},{"status":"True","type":"Ready"}],"containerStatuses":[{"name":"c","ready":true,"restartCount":0,"started":true}],"phase":"Running","podIP":"10.42.0.7","podIPs":[{"ip":"10.42.0.7"}]}}"#;
    let got = smp(("", "v1", "Pod"), &pod, body);
    assert_eq!(
        got["status"]["conditions"],
        json!([
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": "True"},
            {"type": "PodScheduled", "status": "True"}
        ])
    );
    assert_eq!(
        got["status"]["containerStatuses"],
        json!([{"name": "c", "ready": true, "restartCount": 0, "started": true}])
    );
    assert_eq!(got["status"]["phase"], json!("Running"));
    assert_eq!(got["status"]["podIPs"], json!([{"ip": "10.42.0.7"}]));
}

#[test]
fn cronjob_pod_template_is_reached() {
    let cj = json!({"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
        "restartPolicy": "OnFailure",
        "containers": [{"name": "job", "image": "busybox", "env": [{"name": "A", "value": "1"}]}]
    }}}}}});
    let body = r#"{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"job","env":[{"name":"B","value":"2"}]}]}}}}}}"#;
    let got = smp(("batch", "v1", "CronJob"), &cj, body);
    assert_eq!(
        got["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"],
        json!([{"name": "job", "image": "busybox", "env": [
            {"name": "B", "value": "2"},
            {"name": "A", "value": "1"}
        ]}])
    );
}

/// `kubectl label` and `kubectl annotate` send merge patches; null removes.
#[test]
fn label_and_annotate() {
    let stored = web_deployment();
    let labelled = patch(
        PatchType::Merge,
        DEPLOYMENT,
        &stored,
        r#"{"metadata":{"labels":{"env":"prod"}}}"#,
    );
    assert_eq!(
        labelled["metadata"]["labels"],
        json!({"app": "web", "env": "prod"})
    );
    let unlabelled = patch(
        PatchType::Merge,
        DEPLOYMENT,
        &labelled,
        r#"{"metadata":{"labels":{"env":null}}}"#,
    );
    assert_eq!(unlabelled["metadata"]["labels"], json!({"app": "web"}));
    let annotated = patch(
        PatchType::Merge,
        DEPLOYMENT,
        &stored,
        r#"{"metadata":{"annotations":{"note":"hi","deployment.kubernetes.io/revision":null}}}"#,
    );
    assert_eq!(annotated["metadata"]["annotations"], json!({"note": "hi"}));
    assert_eq!(annotated["spec"], stored["spec"]);
}

#[test]
fn merge_patch_scale() {
    // trace: scale.jsonl (to the scale subresource, whose object is an autoscaling/v1 Scale)
    let scale = json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 1},
        "status": {"replicas": 1, "selector": "app=web"}
    });
    let got = patch(
        PatchType::Merge,
        ("autoscaling", "v1", "Scale"),
        &scale,
        r#"{"spec":{"replicas":3}}"#,
    );
    assert_eq!(got["spec"], json!({"replicas": 3}));
    assert_eq!(got["status"], scale["status"]);
}
