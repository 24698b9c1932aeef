//! Table-driven tests: each case decodes an object through its type (as the API server does),
//! applies the defaults and compares one subtree, exactly, with what kube-apiserver 1.33 stores.

use std::path::Path;

use serde_json::{Value, json};

use super::{apply, apply_on_create};
use crate::api::kinds;

/// One expectation: after defaulting `input` (of kind `gvk`), the subtree at JSON pointer `at`
/// is exactly `want` (`null` for "absent").
struct Case {
    name: &'static str,
    gvk: (&'static str, &'static str, &'static str),
    input: Value,
    at: &'static str,
    want: Value,
}

fn case(
    name: &'static str,
    gvk: (&'static str, &'static str, &'static str),
    input: Value,
    at: &'static str,
    want: Value,
) -> Case {
    Case {
        name,
        gvk,
        input,
        at,
        want,
    }
}

/// Decodes through the kind's type, then defaults: what the write path does.
fn defaulted((group, version, kind): (&str, &str, &str), input: Value) -> Value {
    let mut v = normalized((group, version, kind), input);
    apply(group, version, kind, &mut v);
    v
}

fn normalized((group, version, kind): (&str, &str, &str), input: Value) -> Value {
    let ops = kinds::ops(group, version, kind).expect("built-in kind");
    kinds::normalize(ops, input).expect("decodes").value
}

fn check(cases: Vec<Case>) {
    let mut failures = Vec::new();
    for c in &cases {
        let out = defaulted(c.gvk, c.input.clone());
        let got = out.pointer(c.at).cloned().unwrap_or(Value::Null);
        if got != c.want {
            failures.push(format!(
                "{}: at {}\n  got:  {}\n  want: {}",
                c.name, c.at, got, c.want
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

const POD: (&str, &str, &str) = ("", "v1", "Pod");
const SERVICE: (&str, &str, &str) = ("", "v1", "Service");
const DEPLOYMENT: (&str, &str, &str) = ("apps", "v1", "Deployment");
const STATEFULSET: (&str, &str, &str) = ("apps", "v1", "StatefulSet");
const DAEMONSET: (&str, &str, &str) = ("apps", "v1", "DaemonSet");
const JOB: (&str, &str, &str) = ("batch", "v1", "Job");
const CRONJOB: (&str, &str, &str) = ("batch", "v1", "CronJob");
const HPA_V2: (&str, &str, &str) = ("autoscaling", "v2", "HorizontalPodAutoscaler");
const HPA_V1: (&str, &str, &str) = ("autoscaling", "v1", "HorizontalPodAutoscaler");

fn pod(spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
}

fn pod_with_container(container: Value) -> Value {
    pod(json!({"containers": [container]}))
}

/// The defaults of a container `{name: c, image: <image>}` in any pod spec.
fn defaulted_container(image: &str, pull: &str) -> Value {
    json!({
        "name": "c",
        "image": image,
        "imagePullPolicy": pull,
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File"
    })
}

/// The pod spec fields every pod template gets.
fn template_spec_defaults(containers: Value) -> Value {
    json!({
        "containers": containers,
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30
    })
}

fn template(containers: Value) -> Value {
    json!({"metadata": {"labels": {"app": "a"}}, "spec": {"containers": containers}})
}

fn sample_container() -> Value {
    json!({"name": "c", "image": "nginx:1.25"})
}

// ---------------------------------------------------------------------------------------------
// core/v1

#[test]
fn pod_spec_defaults() {
    check(vec![
        case(
            "minimal pod",
            POD,
            pod_with_container(json!({"name": "c", "image": "nginx"})),
            "/spec",
            json!({
                "containers": [defaulted_container("nginx", "Always")],
                "dnsPolicy": "ClusterFirst",
                "enableServiceLinks": true,
                "restartPolicy": "Always",
                "schedulerName": "default-scheduler",
                "securityContext": {},
                "terminationGracePeriodSeconds": 30
            }),
        ),
        case(
            "explicit values are kept, zero pointers included",
            POD,
            pod(json!({
                "containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "Never",
                    "terminationMessagePath": "/tmp/t", "terminationMessagePolicy": "FallbackToLogsOnError"}],
                "dnsPolicy": "Default", "enableServiceLinks": false, "restartPolicy": "Never",
                "schedulerName": "mine", "securityContext": {"runAsUser": 1000},
                "terminationGracePeriodSeconds": 0
            })),
            "/spec",
            json!({
                "containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "Never",
                    "terminationMessagePath": "/tmp/t", "terminationMessagePolicy": "FallbackToLogsOnError"}],
                "dnsPolicy": "Default", "enableServiceLinks": false, "restartPolicy": "Never",
                "schedulerName": "mine", "securityContext": {"runAsUser": 1000},
                "terminationGracePeriodSeconds": 0
            }),
        ),
        case(
            "empty strings count as unset",
            POD,
            pod(
                json!({"containers": [{"name": "c", "image": "nginx:1.2", "imagePullPolicy": ""}],
                "restartPolicy": "", "dnsPolicy": ""}),
            ),
            "/spec/restartPolicy",
            json!("Always"),
        ),
        case(
            "empty pull policy is computed",
            POD,
            pod(
                json!({"containers": [{"name": "c", "image": "nginx:1.2", "imagePullPolicy": ""}]}),
            ),
            "/spec/containers/0/imagePullPolicy",
            json!("IfNotPresent"),
        ),
        case(
            "container without image",
            POD,
            pod(json!({"containers": [{"name": "c"}]})),
            "/spec/containers/0/imagePullPolicy",
            json!("IfNotPresent"),
        ),
        case(
            "ports default to TCP",
            POD,
            pod_with_container(json!({"name": "c", "image": "i:1",
                "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]})),
            "/spec/containers/0/ports",
            json!([{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}]),
        ),
        case(
            "host network: host ports default to container ports",
            POD,
            pod(json!({"hostNetwork": true,
                "initContainers": [{"name": "i", "image": "i:1", "ports": [{"containerPort": 9}]}],
                "containers": [{"name": "c", "image": "i:1",
                    "ports": [{"containerPort": 8080}, {"containerPort": 81, "hostPort": 81}]}]})),
            "/spec",
            json!({
                "hostNetwork": true,
                "initContainers": [{"name": "i", "image": "i:1", "ports": [{"containerPort": 9, "hostPort": 9, "protocol": "TCP"}],
                    "imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File"}],
                "containers": [{"name": "c", "image": "i:1",
                    "ports": [{"containerPort": 8080, "hostPort": 8080, "protocol": "TCP"},
                              {"containerPort": 81, "hostPort": 81, "protocol": "TCP"}],
                    "imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File"}],
                "dnsPolicy": "ClusterFirst", "enableServiceLinks": true, "restartPolicy": "Always",
                "schedulerName": "default-scheduler", "securityContext": {},
                "terminationGracePeriodSeconds": 30
            }),
        ),
        case(
            "no host network: no host ports",
            POD,
            pod_with_container(
                json!({"name": "c", "image": "i:1", "ports": [{"containerPort": 8080}]}),
            ),
            "/spec/containers/0/ports/0",
            json!({"containerPort": 8080, "protocol": "TCP"}),
        ),
        case(
            "probes and lifecycle handlers",
            POD,
            pod_with_container(json!({"name": "c", "image": "i:1",
                "livenessProbe": {"httpGet": {"port": 8080}},
                "readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 5, "timeoutSeconds": 0},
                "startupProbe": {"grpc": {"port": 9000}, "failureThreshold": 30},
                "lifecycle": {"postStart": {"httpGet": {"port": 80, "path": "/hook"}},
                              "preStop": {"exec": {"command": ["true"]}}}})),
            "/spec/containers/0",
            json!({"name": "c", "image": "i:1", "imagePullPolicy": "IfNotPresent",
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                "livenessProbe": {"httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
                    "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3},
                "readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 5,
                    "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
                "startupProbe": {"grpc": {"port": 9000, "service": ""}, "failureThreshold": 30,
                    "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1},
                "lifecycle": {"postStart": {"httpGet": {"port": 80, "path": "/hook", "scheme": "HTTP"}},
                              "preStop": {"exec": {"command": ["true"]}}}}),
        ),
        case(
            "downward API env gets apiVersion v1",
            POD,
            pod_with_container(json!({"name": "c", "image": "i:1", "env": [
                {"name": "A", "value": "x"},
                {"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "M", "valueFrom": {"fieldRef": {"apiVersion": "v2", "fieldPath": "metadata.name"}}},
                {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}}]})),
            "/spec/containers/0/env",
            json!([
                {"name": "A", "value": "x"},
                {"name": "N", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                {"name": "M", "valueFrom": {"fieldRef": {"apiVersion": "v2", "fieldPath": "metadata.name"}}},
                {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k"}}}]),
        ),
        case(
            "requests default to limits in pods",
            POD,
            pod(json!({
                "initContainers": [{"name": "i", "image": "i:1", "resources": {"limits": {"cpu": "1"}}}],
                "containers": [{"name": "c", "image": "i:1", "resources": {
                    "limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "100m"}}}]})),
            "/spec",
            json!({
                "initContainers": [{"name": "i", "image": "i:1", "imagePullPolicy": "IfNotPresent",
                    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                    "resources": {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}}],
                "containers": [{"name": "c", "image": "i:1", "imagePullPolicy": "IfNotPresent",
                    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                    "resources": {"limits": {"cpu": "500m", "memory": "128Mi"},
                                  "requests": {"cpu": "100m", "memory": "128Mi"}}}],
                "dnsPolicy": "ClusterFirst", "enableServiceLinks": true, "restartPolicy": "Always",
                "schedulerName": "default-scheduler", "securityContext": {},
                "terminationGracePeriodSeconds": 30
            }),
        ),
        case(
            "resource lists are rounded up to milli and canonical",
            POD,
            pod(
                json!({"overhead": {"cpu": "0.25"}, "containers": [{"name": "c", "image": "i:1", "resources": {
                "limits": {"cpu": "0.5", "memory": "1024Mi"}, "requests": {"cpu": "0.0001", "memory": "1.5Gi"}}}]}),
            ),
            "/spec",
            json!({
                "overhead": {"cpu": "250m"},
                "containers": [{"name": "c", "image": "i:1", "imagePullPolicy": "IfNotPresent",
                    "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                    "resources": {"limits": {"cpu": "500m", "memory": "1Gi"},
                                  "requests": {"cpu": "1m", "memory": "1536Mi"}}}],
                "dnsPolicy": "ClusterFirst", "enableServiceLinks": true, "restartPolicy": "Always",
                "schedulerName": "default-scheduler", "securityContext": {},
                "terminationGracePeriodSeconds": 30
            }),
        ),
        case(
            "ephemeral containers: container defaults, no requests from limits",
            POD,
            pod(json!({"containers": [sample_container()],
                "ephemeralContainers": [{"name": "debug", "image": "busybox", "targetContainerName": "c",
                    "resources": {"limits": {"cpu": "1"}}}]})),
            "/spec/ephemeralContainers",
            json!([{"name": "debug", "image": "busybox", "targetContainerName": "c",
                "imagePullPolicy": "Always", "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File", "resources": {"limits": {"cpu": "1"}}}]),
        ),
        case(
            "serviceAccount mirrors serviceAccountName",
            POD,
            pod(
                json!({"containers": [sample_container()], "serviceAccountName": "a", "serviceAccount": "b"}),
            ),
            "/spec/serviceAccount",
            json!("a"),
        ),
        case(
            "deprecated serviceAccount fills serviceAccountName",
            POD,
            pod(json!({"containers": [sample_container()], "serviceAccount": "b"})),
            "/spec/serviceAccountName",
            json!("b"),
        ),
        case(
            "no service account: none added (admission does that)",
            POD,
            pod(json!({"containers": [sample_container()]})),
            "/spec/serviceAccountName",
            Value::Null,
        ),
        case(
            "status container resources are rounded",
            POD,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [sample_container()]},
                "status": {"containerStatuses": [{"name": "c", "image": "i", "imageID": "", "ready": true,
                    "restartCount": 0, "allocatedResources": {"cpu": "0.5"},
                    "resources": {"requests": {"cpu": "1000m"}}}]}}),
            "/status/containerStatuses/0",
            json!({"name": "c", "image": "i", "imageID": "", "ready": true, "restartCount": 0,
                "allocatedResources": {"cpu": "500m"}, "resources": {"requests": {"cpu": "1"}}}),
        ),
        case(
            "no status phase: that is the registry's",
            POD,
            pod_with_container(sample_container()),
            "/status",
            Value::Null,
        ),
    ]);
}

#[test]
fn volume_defaults() {
    let volumes = json!([
        {"name": "bare"},
        {"name": "tmp", "emptyDir": {"medium": "Memory"}},
        {"name": "s", "secret": {"secretName": "x"}},
        {"name": "s2", "secret": {"secretName": "x", "defaultMode": 256}},
        {"name": "cm", "configMap": {"name": "x"}},
        {"name": "d", "downwardAPI": {"items": [{"path": "n", "fieldRef": {"fieldPath": "metadata.name"}}]}},
        {"name": "pr", "projected": {"sources": [
            {"serviceAccountToken": {"path": "token"}},
            {"serviceAccountToken": {"path": "t2", "expirationSeconds": 600}},
            {"downwardAPI": {"items": [{"path": "l", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
            {"configMap": {"name": "x"}}]}},
        {"name": "hp", "hostPath": {"path": "/data"}},
        {"name": "hp2", "hostPath": {"path": "/data", "type": "Directory"}},
        {"name": "pvc", "persistentVolumeClaim": {"claimName": "c"}},
        {"name": "eph", "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1024Mi"}}}}}},
        {"name": "iscsi", "iscsi": {"targetPortal": "p", "iqn": "q", "lun": 0}},
        {"name": "rbd", "rbd": {"monitors": ["m"], "image": "i"}},
        {"name": "az", "azureDisk": {"diskName": "d", "diskURI": "u"}},
        {"name": "sio", "scaleIO": {"gateway": "g", "system": "s", "secretRef": {"name": "x"}}}
    ]);
    check(vec![case(
        "every volume source",
        POD,
        pod(json!({"containers": [sample_container()], "volumes": volumes})),
        "/spec/volumes",
        json!([
            {"name": "bare", "emptyDir": {}},
            {"name": "tmp", "emptyDir": {"medium": "Memory"}},
            {"name": "s", "secret": {"secretName": "x", "defaultMode": 420}},
            {"name": "s2", "secret": {"secretName": "x", "defaultMode": 256}},
            {"name": "cm", "configMap": {"name": "x", "defaultMode": 420}},
            {"name": "d", "downwardAPI": {"defaultMode": 420, "items": [
                {"path": "n", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}]}},
            {"name": "pr", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
                {"serviceAccountToken": {"path": "t2", "expirationSeconds": 600}},
                {"downwardAPI": {"items": [{"path": "l", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.labels"}}]}},
                {"configMap": {"name": "x"}}]}},
            {"name": "hp", "hostPath": {"path": "/data", "type": ""}},
            {"name": "hp2", "hostPath": {"path": "/data", "type": "Directory"}},
            {"name": "pvc", "persistentVolumeClaim": {"claimName": "c"}},
            {"name": "eph", "ephemeral": {"volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}}, "volumeMode": "Filesystem"}}}},
            {"name": "iscsi", "iscsi": {"targetPortal": "p", "iqn": "q", "lun": 0, "iscsiInterface": "default"}},
            {"name": "rbd", "rbd": {"monitors": ["m"], "image": "i", "pool": "rbd", "user": "admin",
                "keyring": "/etc/ceph/keyring"}},
            {"name": "az", "azureDisk": {"diskName": "d", "diskURI": "u", "cachingMode": "ReadWrite",
                "kind": "Shared", "fsType": "ext4", "readOnly": false}},
            {"name": "sio", "scaleIO": {"gateway": "g", "system": "s", "secretRef": {"name": "x"},
                "storageMode": "ThinProvisioned", "fsType": "xfs"}}
        ]),
    )]);
}

#[test]
fn pod_templates_get_pod_spec_defaults_only() {
    let with_limits = json!([{"name": "c", "image": "nginx", "resources": {"limits": {"cpu": "1"}},
        "ports": [{"containerPort": 80}]}]);
    let want_containers = json!([{"name": "c", "image": "nginx", "imagePullPolicy": "Always",
        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
        "resources": {"limits": {"cpu": "1"}}, "ports": [{"containerPort": 80, "protocol": "TCP"}]}]);
    let mut host_network_spec = template_spec_defaults(want_containers.clone());
    host_network_spec["hostNetwork"] = json!(true);
    check(vec![
        case(
            "PodTemplate: no enableServiceLinks, no requests from limits",
            ("", "v1", "PodTemplate"),
            json!({"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"},
                "template": template(with_limits.clone())}),
            "/template/spec",
            template_spec_defaults(want_containers.clone()),
        ),
        case(
            "Deployment template under host networking: no host ports",
            DEPLOYMENT,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                "spec": {"selector": {"matchLabels": {"app": "a"}},
                    "template": {"metadata": {"labels": {"app": "a"}},
                        "spec": {"hostNetwork": true, "containers": with_limits}}}}),
            "/spec/template/spec",
            host_network_spec,
        ),
    ]);
}

#[test]
fn replication_controller_defaults() {
    check(vec![
        case(
            "selector, labels and replicas from the template",
            ("", "v1", "ReplicationController"),
            json!({"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
                "spec": {"template": template(json!([sample_container()]))}}),
            "",
            json!({"apiVersion": "v1", "kind": "ReplicationController",
                "metadata": {"name": "rc", "labels": {"app": "a"}},
                "spec": {"replicas": 1, "selector": {"app": "a"},
                    "template": {"metadata": {"labels": {"app": "a"}},
                        "spec": template_spec_defaults(json!([defaulted_container("nginx:1.25", "IfNotPresent")]))}}}),
        ),
        case(
            "own selector and labels are kept",
            ("", "v1", "ReplicationController"),
            json!({"apiVersion": "v1", "kind": "ReplicationController",
                "metadata": {"name": "rc", "labels": {"mine": "x"}},
                "spec": {"replicas": 0, "selector": {"app": "a", "tier": "t"},
                    "template": template(json!([sample_container()]))}}),
            "/metadata/labels",
            json!({"mine": "x"}),
        ),
    ]);
}

#[test]
fn service_defaults() {
    fn svc(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": spec})
    }
    check(vec![
        case(
            "ClusterIP",
            SERVICE,
            svc(json!({"selector": {"app": "a"}, "ports": [{"port": 80}]})),
            "/spec",
            json!({"selector": {"app": "a"}, "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
                "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster"}),
        ),
        case(
            "target ports: zero and empty mean the port, names are kept",
            SERVICE,
            svc(json!({"ports": [{"name": "a", "port": 80, "targetPort": 0},
                {"name": "b", "port": 81, "targetPort": ""},
                {"name": "c", "port": 82, "targetPort": "http", "protocol": "UDP"},
                {"name": "d", "port": 83, "targetPort": 8083}]})),
            "/spec/ports",
            json!([{"name": "a", "port": 80, "targetPort": 80, "protocol": "TCP"},
                {"name": "b", "port": 81, "targetPort": 81, "protocol": "TCP"},
                {"name": "c", "port": 82, "targetPort": "http", "protocol": "UDP"},
                {"name": "d", "port": 83, "targetPort": 8083, "protocol": "TCP"}]),
        ),
        case(
            "NodePort",
            SERVICE,
            svc(json!({"type": "NodePort", "ports": [{"port": 443, "targetPort": 8443}]})),
            "/spec",
            json!({"type": "NodePort", "ports": [{"port": 443, "targetPort": 8443, "protocol": "TCP"}],
                "sessionAffinity": "None", "externalTrafficPolicy": "Cluster",
                "internalTrafficPolicy": "Cluster"}),
        ),
        case(
            "LoadBalancer",
            SERVICE,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local", "ports": [{"port": 80}]},
                "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}, {"hostname": "lb.example"},
                    {"ip": "192.0.2.2", "ipMode": "Proxy"}]}}}),
            "",
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                "spec": {"type": "LoadBalancer", "externalTrafficPolicy": "Local",
                    "ports": [{"port": 80, "targetPort": 80, "protocol": "TCP"}],
                    "sessionAffinity": "None", "internalTrafficPolicy": "Cluster",
                    "allocateLoadBalancerNodePorts": true},
                "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1", "ipMode": "VIP"},
                    {"hostname": "lb.example"}, {"ip": "192.0.2.2", "ipMode": "Proxy"}]}}}),
        ),
        case(
            "ClusterIP with external IPs is externally accessible",
            SERVICE,
            svc(json!({"externalIPs": ["192.0.2.9"], "ports": [{"port": 80}]})),
            "/spec/externalTrafficPolicy",
            json!("Cluster"),
        ),
        case(
            "ExternalName: no traffic policies",
            SERVICE,
            svc(json!({"type": "ExternalName", "externalName": "db.example.com"})),
            "/spec",
            json!({"type": "ExternalName", "externalName": "db.example.com", "sessionAffinity": "None"}),
        ),
        case(
            "ClientIP affinity gets its timeout",
            SERVICE,
            svc(json!({"sessionAffinity": "ClientIP", "ports": [{"port": 80}]})),
            "/spec/sessionAffinityConfig",
            json!({"clientIP": {"timeoutSeconds": 10800}}),
        ),
        case(
            "ClientIP affinity keeps its timeout",
            SERVICE,
            svc(
                json!({"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}},
                "ports": [{"port": 80}]}),
            ),
            "/spec/sessionAffinityConfig",
            json!({"clientIP": {"timeoutSeconds": 60}}),
        ),
        case(
            "no affinity drops the affinity config",
            SERVICE,
            svc(
                json!({"sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}}, "ports": [{"port": 80}]}),
            ),
            "/spec/sessionAffinityConfig",
            Value::Null,
        ),
        case(
            "no cluster IP or IP families: those are the registry's",
            SERVICE,
            svc(json!({"ports": [{"port": 80}]})),
            "/spec/clusterIP",
            Value::Null,
        ),
    ]);
}

#[test]
fn namespace_secret_and_storage_defaults() {
    check(vec![
        case(
            "Namespace: name label and Active phase, no finalizer",
            ("", "v1", "Namespace"),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns", "labels": {"a": "b",
                "kubernetes.io/metadata.name": "wrong"}}}),
            "",
            json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "ns", "labels": {"a": "b", "kubernetes.io/metadata.name": "ns"}},
                "status": {"phase": "Active"}}),
        ),
        case(
            "Namespace from generateName: no label yet",
            ("", "v1", "Namespace"),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"generateName": "ns-"}}),
            "/metadata/labels",
            Value::Null,
        ),
        case(
            "Namespace keeps a Terminating phase",
            ("", "v1", "Namespace"),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"},
                "spec": {"finalizers": []}, "status": {"phase": "Terminating"}}),
            "/status/phase",
            json!("Terminating"),
        ),
        case(
            "Secret type",
            ("", "v1", "Secret"),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}),
            "/type",
            json!("Opaque"),
        ),
        case(
            "Secret stringData is merged into data",
            ("", "v1", "Secret"),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
                "data": {"a": "eA==", "c": "eg=="}, "stringData": {"a": "new", "b": "y"}}),
            "",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
                "data": {"a": "bmV3", "b": "eQ==", "c": "eg=="}}),
        ),
        case(
            "PersistentVolume",
            ("", "v1", "PersistentVolume"),
            json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"},
                "spec": {"capacity": {"storage": "1024Mi"}, "accessModes": ["ReadWriteOnce"],
                    "hostPath": {"path": "/d"}}}),
            "",
            json!({"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv"},
                "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                    "hostPath": {"path": "/d", "type": ""}, "persistentVolumeReclaimPolicy": "Retain",
                    "volumeMode": "Filesystem"},
                "status": {"phase": "Pending"}}),
        ),
        case(
            "PersistentVolumeClaim",
            ("", "v1", "PersistentVolumeClaim"),
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}),
            "",
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                    "volumeMode": "Filesystem"},
                "status": {"phase": "Pending"}}),
        ),
        case(
            "PersistentVolumeClaim keeps Block and Bound",
            ("", "v1", "PersistentVolumeClaim"),
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
                "spec": {"volumeMode": "Block"}, "status": {"phase": "Bound"}}),
            "",
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
                "spec": {"volumeMode": "Block"}, "status": {"phase": "Bound"}}),
        ),
    ]);
}

#[test]
fn namespace_finalizer_only_on_create() {
    let ns = |spec: Value| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns"}, "spec": spec});
    let gvk = ("", "v1", "Namespace");
    for (spec, want) in [
        (json!({}), json!(["kubernetes"])),
        (
            json!({"finalizers": ["example.com/x"]}),
            json!(["example.com/x", "kubernetes"]),
        ),
        (json!({"finalizers": ["kubernetes"]}), json!(["kubernetes"])),
    ] {
        let mut v = defaulted(gvk, ns(spec.clone()));
        assert_eq!(
            v.pointer("/spec/finalizers"),
            spec.get("finalizers"),
            "apply adds none"
        );
        apply_on_create("", "v1", "Namespace", &mut v);
        assert_eq!(v.pointer("/spec/finalizers"), Some(&want));
        assert_eq!(v.pointer("/status/phase"), Some(&json!("Active")));
    }
    // Other kinds: nothing.
    let mut cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
    apply_on_create("", "v1", "ConfigMap", &mut cm);
    assert_eq!(
        cm,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    );
}

#[test]
fn other_core_kinds() {
    check(vec![
        case(
            "Endpoints ports",
            ("", "v1", "Endpoints"),
            json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "e"},
                "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}]}),
            "/subsets/0/ports",
            json!([{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]),
        ),
        case(
            "Node allocatable from capacity",
            ("", "v1", "Node"),
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
                "status": {"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}),
            "/status",
            json!({"capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}),
        ),
        case(
            "Node keeps its allocatable",
            ("", "v1", "Node"),
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
                "status": {"capacity": {"cpu": "4"}, "allocatable": {"cpu": "3800m"}}}),
            "/status/allocatable",
            json!({"cpu": "3800m"}),
        ),
        case(
            "LimitRange container defaults",
            ("", "v1", "LimitRange"),
            json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l"}, "spec": {"limits": [
                {"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m"}},
                {"type": "Container", "default": {"cpu": "500m"}, "min": {"memory": "64Mi"}},
                {"type": "Container", "defaultRequest": {"cpu": "250m"}, "max": {"cpu": "1"}},
                {"type": "Pod", "max": {"cpu": "2000m"}}]}}),
            "/spec/limits",
            json!([
                {"type": "Container", "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m"},
                    "default": {"cpu": "2", "memory": "1Gi"}, "defaultRequest": {"cpu": "2", "memory": "1Gi"}},
                {"type": "Container", "default": {"cpu": "500m"}, "min": {"memory": "64Mi"},
                    "defaultRequest": {"cpu": "500m", "memory": "64Mi"}},
                {"type": "Container", "defaultRequest": {"cpu": "250m"}, "max": {"cpu": "1"},
                    "default": {"cpu": "1"}},
                {"type": "Pod", "max": {"cpu": "2"}}]),
        ),
        case(
            "ResourceQuota lists are canonical",
            ("", "v1", "ResourceQuota"),
            json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
                "spec": {"hard": {"cpu": "1000m", "pods": "10", "requests.memory": "2048Mi"}}}),
            "/spec/hard",
            json!({"cpu": "1", "pods": "10", "requests.memory": "2Gi"}),
        ),
    ]);
}

#[test]
fn kinds_without_defaults_are_unchanged() {
    let objects = [
        (
            ("", "v1", "ConfigMap"),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
        ),
        (
            ("", "v1", "ServiceAccount"),
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "s"}}),
        ),
        (
            ("", "v1", "Event"),
            json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"},
            "involvedObject": {"kind": "Pod", "name": "p"}}),
        ),
        (
            ("policy", "v1", "PodDisruptionBudget"),
            json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": {"name": "p"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"a": "b"}}}}),
        ),
        (
            ("coordination.k8s.io", "v1", "Lease"),
            json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": "l"}, "spec": {"holderIdentity": "me"}}),
        ),
        (
            ("networking.k8s.io", "v1", "Ingress"),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "i"}, "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}]}}),
        ),
        (
            ("certificates.k8s.io", "v1", "CertificateSigningRequest"),
            json!({"apiVersion": "certificates.k8s.io/v1",
            "kind": "CertificateSigningRequest", "metadata": {"name": "c"},
            "spec": {"request": "eA==", "signerName": "kubernetes.io/kube-apiserver-client"}}),
        ),
        (
            ("node.k8s.io", "v1", "RuntimeClass"),
            json!({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass",
            "metadata": {"name": "r"}, "handler": "runc"}),
        ),
        (
            ("rbac.authorization.k8s.io", "v1", "ClusterRole"),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole", "metadata": {"name": "r"}, "rules": [{"verbs": ["get"], "resources": ["pods"], "apiGroups": [""]}]}),
        ),
    ];
    for (gvk, input) in objects {
        let before = normalized(gvk, input.clone());
        assert_eq!(defaulted(gvk, input), before, "{gvk:?}");
    }
}

#[test]
fn unknown_kinds_and_undecodable_objects_are_left_alone() {
    let custom = json!({"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"size": 3}});
    let mut v = custom.clone();
    apply("example.com", "v1", "Widget", &mut v);
    assert_eq!(v, custom);

    let mut bad = json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": "nope"}});
    let before = bad.clone();
    apply("", "v1", "Pod", &mut bad);
    assert_eq!(bad, before);

    // A known kind asked under a version we do not default.
    let mut v1beta1 = json!({"apiVersion": "batch/v1beta1", "kind": "CronJob", "spec": {}});
    let before = v1beta1.clone();
    apply("batch", "v1beta1", "CronJob", &mut v1beta1);
    assert_eq!(v1beta1, before);
}

// ---------------------------------------------------------------------------------------------
// apps/v1

#[test]
fn apps_defaults() {
    let deployment = |spec_extra: Value| {
        let mut spec = json!({"selector": {"matchLabels": {"app": "a"}}, "template": template(json!([sample_container()]))});
        if let (Some(s), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
            s.extend(extra.clone());
        }
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": spec})
    };
    let sts = |spec_extra: Value| {
        let mut spec = json!({"selector": {"matchLabels": {"app": "a"}}, "serviceName": "s",
            "template": template(json!([sample_container()]))});
        if let (Some(s), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
            s.extend(extra.clone());
        }
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"}, "spec": spec})
    };
    let defaulted_template = json!({"metadata": {"labels": {"app": "a"}},
        "spec": template_spec_defaults(json!([defaulted_container("nginx:1.25", "IfNotPresent")]))});
    check(vec![
        case(
            "Deployment",
            DEPLOYMENT,
            deployment(json!({})),
            "/spec",
            json!({"replicas": 1, "selector": {"matchLabels": {"app": "a"}},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                "template": defaulted_template.clone()}),
        ),
        case(
            "Deployment Recreate has no rollingUpdate",
            DEPLOYMENT,
            deployment(json!({"strategy": {"type": "Recreate"}, "replicas": 0})),
            "/spec/strategy",
            json!({"type": "Recreate"}),
        ),
        case(
            "Deployment keeps a partial rollingUpdate",
            DEPLOYMENT,
            deployment(json!({"strategy": {"rollingUpdate": {"maxSurge": 1}}})),
            "/spec/strategy",
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}}),
        ),
        case(
            "Deployment keeps zero replicas and limits",
            DEPLOYMENT,
            deployment(
                json!({"replicas": 0, "revisionHistoryLimit": 0, "progressDeadlineSeconds": 60}),
            ),
            "/spec/replicas",
            json!(0),
        ),
        case(
            "ReplicaSet",
            ("apps", "v1", "ReplicaSet"),
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "r"},
                "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": template(json!([sample_container()]))}}),
            "/spec",
            json!({"replicas": 1, "selector": {"matchLabels": {"app": "a"}}, "template": defaulted_template.clone()}),
        ),
        case(
            "StatefulSet",
            STATEFULSET,
            sts(
                json!({"volumeClaimTemplates": [{"metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}),
            ),
            "/spec",
            json!({"replicas": 1, "selector": {"matchLabels": {"app": "a"}}, "serviceName": "s",
                "podManagementPolicy": "OrderedReady",
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                "revisionHistoryLimit": 10,
                "template": defaulted_template.clone(),
                "volumeClaimTemplates": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                        "volumeMode": "Filesystem"},
                    "status": {"phase": "Pending"}}]}),
        ),
        case(
            "StatefulSet explicit RollingUpdate gets no rollingUpdate",
            STATEFULSET,
            sts(json!({"updateStrategy": {"type": "RollingUpdate"}})),
            "/spec/updateStrategy",
            json!({"type": "RollingUpdate"}),
        ),
        case(
            "StatefulSet rollingUpdate without partition",
            STATEFULSET,
            sts(
                json!({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2}}}),
            ),
            "/spec/updateStrategy",
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 2, "partition": 0}}),
        ),
        case(
            "StatefulSet OnDelete",
            STATEFULSET,
            sts(
                json!({"updateStrategy": {"type": "OnDelete"}, "podManagementPolicy": "Parallel",
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete"}}),
            ),
            "/spec",
            json!({"replicas": 1, "selector": {"matchLabels": {"app": "a"}}, "serviceName": "s",
                "podManagementPolicy": "Parallel", "updateStrategy": {"type": "OnDelete"},
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"},
                "revisionHistoryLimit": 10, "template": defaulted_template.clone()}),
        ),
        case(
            "DaemonSet",
            DAEMONSET,
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"},
                "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": template(json!([sample_container()]))}}),
            "/spec",
            json!({"selector": {"matchLabels": {"app": "a"}},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                "revisionHistoryLimit": 10, "template": defaulted_template}),
        ),
        case(
            "DaemonSet OnDelete",
            DAEMONSET,
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"},
                "spec": {"selector": {"matchLabels": {"app": "a"}}, "updateStrategy": {"type": "OnDelete"},
                    "template": template(json!([sample_container()]))}}),
            "/spec/updateStrategy",
            json!({"type": "OnDelete"}),
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// batch/v1

#[test]
fn batch_defaults() {
    let job = |spec_extra: Value| {
        let mut spec = json!({"template": {"spec": {"restartPolicy": "Never", "containers": [sample_container()]}}});
        if let (Some(s), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
            s.extend(extra.clone());
        }
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": spec})
    };
    let mut never =
        template_spec_defaults(json!([defaulted_container("nginx:1.25", "IfNotPresent")]));
    never["restartPolicy"] = json!("Never");
    check(vec![
        case(
            "Job",
            JOB,
            job(json!({})),
            "/spec",
            json!({"backoffLimit": 6, "completionMode": "NonIndexed", "completions": 1, "manualSelector": false,
                "parallelism": 1, "podReplacementPolicy": "TerminatingOrFailed", "suspend": false,
                "template": {"spec": never}}),
        ),
        case(
            "Job with completions only: parallelism 1",
            JOB,
            job(json!({"completions": 5})),
            "/spec/parallelism",
            json!(1),
        ),
        case(
            "Job with parallelism only: completions stay unset",
            JOB,
            job(json!({"parallelism": 3})),
            "/spec/completions",
            Value::Null,
        ),
        case(
            "Job with a backoff limit per index",
            JOB,
            job(json!({"completionMode": "Indexed", "completions": 3, "backoffLimitPerIndex": 1})),
            "/spec/backoffLimit",
            json!(2147483647),
        ),
        case(
            "Job with a pod failure policy",
            JOB,
            job(json!({"podFailurePolicy": {"rules": [
                {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
                {"action": "FailJob", "onPodConditions": [{"type": "ConfigIssue", "status": "False"}]},
                {"action": "Count", "onExitCodes": {"operator": "In", "values": [42]}}]}})),
            "/spec",
            json!({"backoffLimit": 6, "completionMode": "NonIndexed", "completions": 1, "manualSelector": false,
                "parallelism": 1, "podReplacementPolicy": "Failed", "suspend": false,
                "podFailurePolicy": {"rules": [
                    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
                    {"action": "FailJob", "onPodConditions": [{"type": "ConfigIssue", "status": "False"}]},
                    {"action": "Count", "onExitCodes": {"operator": "In", "values": [42]}}]},
                "template": {"spec": never}}),
        ),
        case(
            "Job labels come from the template",
            JOB,
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                "spec": {"template": {"metadata": {"labels": {"app": "a"}},
                    "spec": {"restartPolicy": "Never", "containers": [sample_container()]}}}}),
            "/metadata/labels",
            json!({"app": "a"}),
        ),
        case(
            "Job keeps its own labels",
            JOB,
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "labels": {"mine": "x"}},
                "spec": {"template": {"metadata": {"labels": {"app": "a"}},
                    "spec": {"restartPolicy": "Never", "containers": [sample_container()]}}}}),
            "/metadata/labels",
            json!({"mine": "x"}),
        ),
        case(
            "Job keeps explicit values",
            JOB,
            job(
                json!({"suspend": true, "manualSelector": true, "backoffLimit": 0,
                "podReplacementPolicy": "Failed", "completionMode": "Indexed", "completions": 2, "parallelism": 2}),
            ),
            "/spec",
            json!({"backoffLimit": 0, "completionMode": "Indexed", "completions": 2, "manualSelector": true,
                "parallelism": 2, "podReplacementPolicy": "Failed", "suspend": true,
                "template": {"spec": never}}),
        ),
        case(
            "CronJob: job template gets template defaults only",
            CRONJOB,
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
                "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {
                    "podFailurePolicy": {"rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]},
                    "template": {"spec": {"restartPolicy": "Never", "containers": [sample_container()]}}}}}}),
            "/spec",
            json!({"schedule": "* * * * *", "concurrencyPolicy": "Allow", "suspend": false,
                "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                "jobTemplate": {"spec": {
                    "podFailurePolicy": {"rules": [{"action": "Ignore",
                        "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]}]},
                    "template": {"spec": never}}}}),
        ),
        case(
            "CronJob keeps explicit values",
            CRONJOB,
            json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
                "spec": {"schedule": "@daily", "concurrencyPolicy": "Forbid", "suspend": true,
                    "successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 0,
                    "jobTemplate": {"spec": {"template": {"spec": {"containers": [sample_container()]}}}}}}),
            "/spec/successfulJobsHistoryLimit",
            json!(0),
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// autoscaling

#[test]
fn autoscaling_defaults() {
    let target = json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"});
    let v2 = |spec_extra: Value| {
        let mut spec = json!({"scaleTargetRef": target, "maxReplicas": 5});
        if let (Some(s), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
            s.extend(extra.clone());
        }
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"}, "spec": spec})
    };
    let scale_up = json!({"policies": [{"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15}], "selectPolicy": "Max", "stabilizationWindowSeconds": 0});
    check(vec![
        case(
            "v2 without metrics or behavior",
            HPA_V2,
            v2(json!({})),
            "/spec",
            json!({"scaleTargetRef": target, "maxReplicas": 5, "minReplicas": 1,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 80}}}]}),
        ),
        case(
            "v2 keeps its metrics",
            HPA_V2,
            v2(
                json!({"minReplicas": 2, "metrics": [{"type": "Resource", "resource": {"name": "memory",
                "target": {"type": "AverageValue", "averageValue": "500Mi"}}}]}),
            ),
            "/spec/metrics",
            json!([{"type": "Resource", "resource": {"name": "memory",
                "target": {"type": "AverageValue", "averageValue": "500Mi"}}}]),
        ),
        case(
            "v2 behavior is completed rule by rule",
            HPA_V2,
            v2(json!({"behavior": {"scaleDown": {"stabilizationWindowSeconds": 60}}})),
            "/spec/behavior",
            json!({"scaleUp": scale_up,
                "scaleDown": {"policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
                    "selectPolicy": "Max", "stabilizationWindowSeconds": 60}}),
        ),
        case(
            "v2 empty behavior: scale down has no stabilization window",
            HPA_V2,
            v2(json!({"behavior": {}})),
            "/spec/behavior",
            json!({"scaleUp": scale_up,
                "scaleDown": {"policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
                    "selectPolicy": "Max"}}),
        ),
        case(
            "v2 behavior keeps given policies",
            HPA_V2,
            v2(
                json!({"behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                "selectPolicy": "Disabled"}}}),
            ),
            "/spec/behavior/scaleUp",
            json!({"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
                "selectPolicy": "Disabled", "stabilizationWindowSeconds": 0}),
        ),
        case(
            "v1",
            HPA_V1,
            json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
                "spec": {"scaleTargetRef": target, "maxReplicas": 5}}),
            "/spec",
            json!({"scaleTargetRef": target, "maxReplicas": 5, "minReplicas": 1,
                "targetCPUUtilizationPercentage": 80}),
        ),
        case(
            "v1 keeps its target",
            HPA_V1,
            json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
                "spec": {"scaleTargetRef": target, "maxReplicas": 5, "minReplicas": 3,
                    "targetCPUUtilizationPercentage": 50}}),
            "/spec",
            json!({"scaleTargetRef": target, "maxReplicas": 5, "minReplicas": 3,
                "targetCPUUtilizationPercentage": 50}),
        ),
        case(
            "v1 with other metrics in the annotation: no CPU default",
            HPA_V1,
            json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "h", "annotations": {"autoscaling.alpha.kubernetes.io/metrics": "[]"}},
                "spec": {"scaleTargetRef": target, "maxReplicas": 5}}),
            "/spec/targetCPUUtilizationPercentage",
            Value::Null,
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// The other groups

#[test]
fn other_group_defaults() {
    let np = |spec: Value| json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"}, "spec": spec});
    let rbac_subjects = json!([
        {"kind": "User", "name": "alice"},
        {"kind": "Group", "name": "devs"},
        {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
        {"kind": "User", "name": "bob", "apiGroup": "example.com"}]);
    let rbac_subjects_defaulted = json!([
        {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"},
        {"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"},
        {"kind": "ServiceAccount", "name": "sa", "namespace": "ns", "apiGroup": ""},
        {"kind": "User", "name": "bob", "apiGroup": "example.com"}]);
    check(vec![
        case(
            "NetworkPolicy ingress only",
            ("networking.k8s.io", "v1", "NetworkPolicy"),
            np(
                json!({"podSelector": {}, "ingress": [{"ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]}]}),
            ),
            "/spec",
            json!({"podSelector": {}, "policyTypes": ["Ingress"],
                "ingress": [{"ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}]}),
        ),
        case(
            "NetworkPolicy with egress",
            ("networking.k8s.io", "v1", "NetworkPolicy"),
            np(json!({"podSelector": {}, "egress": [{"ports": [{"port": 443}]}]})),
            "/spec",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                "egress": [{"ports": [{"port": 443, "protocol": "TCP"}]}]}),
        ),
        case(
            "NetworkPolicy keeps its policy types",
            ("networking.k8s.io", "v1", "NetworkPolicy"),
            np(json!({"podSelector": {}, "policyTypes": ["Egress"]})),
            "/spec/policyTypes",
            json!(["Egress"]),
        ),
        case(
            "IngressClass parameters are cluster-scoped",
            ("networking.k8s.io", "v1", "IngressClass"),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "i"},
                "spec": {"controller": "example.com/c", "parameters": {"kind": "P", "name": "p"}}}),
            "/spec/parameters",
            json!({"kind": "P", "name": "p", "scope": "Cluster"}),
        ),
        case(
            "IngressClass without parameters",
            ("networking.k8s.io", "v1", "IngressClass"),
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "i"},
                "spec": {"controller": "example.com/c"}}),
            "/spec",
            json!({"controller": "example.com/c"}),
        ),
        case(
            "RoleBinding",
            ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b"},
                "roleRef": {"kind": "Role", "name": "r"}, "subjects": rbac_subjects}),
            "",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
                "subjects": rbac_subjects_defaulted}),
        ),
        case(
            "ClusterRoleBinding",
            ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "r", "apiGroup": ""},
                "subjects": [{"kind": "Group", "name": "system:masters"}]}),
            "",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                "metadata": {"name": "b"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "r"},
                "subjects": [{"kind": "Group", "name": "system:masters", "apiGroup": "rbac.authorization.k8s.io"}]}),
        ),
        case(
            "StorageClass",
            ("storage.k8s.io", "v1", "StorageClass"),
            json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "s"},
                "provisioner": "rancher.io/local-path"}),
            "",
            json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "s"},
                "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete",
                "volumeBindingMode": "Immediate"}),
        ),
        case(
            "StorageClass keeps its policies",
            ("storage.k8s.io", "v1", "StorageClass"),
            json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "s"},
                "provisioner": "p", "reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer"}),
            "/volumeBindingMode",
            json!("WaitForFirstConsumer"),
        ),
        case(
            "CSIDriver",
            ("storage.k8s.io", "v1", "CSIDriver"),
            json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver", "metadata": {"name": "c"}, "spec": {}}),
            "/spec",
            json!({"attachRequired": true, "podInfoOnMount": false, "storageCapacity": false,
                "fsGroupPolicy": "ReadWriteOnceWithFSType", "volumeLifecycleModes": ["Persistent"],
                "requiresRepublish": false, "seLinuxMount": false}),
        ),
        case(
            "VolumeAttachment inline spec",
            ("storage.k8s.io", "v1", "VolumeAttachment"),
            json!({"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": {"name": "v"},
                "spec": {"attacher": "a", "nodeName": "n", "source": {"inlineVolumeSpec": {
                    "capacity": {"storage": "0.5Gi"}, "hostPath": {"path": "/x"}}}}}),
            "/spec/source/inlineVolumeSpec",
            json!({"capacity": {"storage": "512Mi"}, "hostPath": {"path": "/x", "type": ""}}),
        ),
        case(
            "EndpointSlice ports",
            ("discovery.k8s.io", "v1", "EndpointSlice"),
            json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "e"},
                "addressType": "IPv4", "endpoints": [], "ports": [{"port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]}),
            "/ports",
            json!([{"name": "", "port": 80, "protocol": "TCP"}, {"name": "dns", "port": 53, "protocol": "UDP"}]),
        ),
        case(
            "PriorityClass",
            ("scheduling.k8s.io", "v1", "PriorityClass"),
            json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "p"}, "value": 1000}),
            "/preemptionPolicy",
            json!("PreemptLowerPriority"),
        ),
        case(
            "PriorityClass keeps Never",
            ("scheduling.k8s.io", "v1", "PriorityClass"),
            json!({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "p"},
                "value": 1000, "preemptionPolicy": "Never"}),
            "/preemptionPolicy",
            json!("Never"),
        ),
        case(
            "TokenRequest lasts an hour",
            ("authentication.k8s.io", "v1", "TokenRequest"),
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "metadata": {"name": "t"},
                "spec": {"audiences": []}}),
            "/spec/expirationSeconds",
            json!(3600),
        ),
        case(
            "CustomResourceDefinition",
            ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"kind": "Widget", "plural": "widgets"},
                    "versions": [{"name": "v1beta1", "served": true, "storage": false},
                        {"name": "v1", "served": true, "storage": true}]}}),
            "",
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
                    "conversion": {"strategy": "None"},
                    "versions": [{"name": "v1beta1", "served": true, "storage": false},
                        {"name": "v1", "served": true, "storage": true}]},
                "status": {"storedVersions": ["v1"]}}),
        ),
        case(
            "CustomResourceDefinition conversion webhook port",
            ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Cluster",
                    "names": {"kind": "Widget", "plural": "widgets", "singular": "w"},
                    "conversion": {"strategy": "Webhook", "webhook": {"conversionReviewVersions": ["v1"],
                        "clientConfig": {"service": {"name": "s", "namespace": "ns"}}}},
                    "versions": [{"name": "v1", "served": true, "storage": true}]},
                "status": {"storedVersions": ["v0", "v1"]}}),
            "",
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Cluster",
                    "names": {"kind": "Widget", "plural": "widgets", "singular": "w", "listKind": "WidgetList"},
                    "conversion": {"strategy": "Webhook", "webhook": {"conversionReviewVersions": ["v1"],
                        "clientConfig": {"service": {"name": "s", "namespace": "ns", "port": 443}}}},
                    "versions": [{"name": "v1", "served": true, "storage": true}]},
                "status": {"storedVersions": ["v0", "v1"]}}),
        ),
        case(
            "APIService service port",
            ("apiregistration.k8s.io", "v1", "APIService"),
            json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1beta1.metrics.k8s.io"},
                "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100,
                    "versionPriority": 100, "service": {"name": "metrics-server", "namespace": "kube-system"}}}),
            "/spec/service",
            json!({"name": "metrics-server", "namespace": "kube-system", "port": 443}),
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// The course manifests

/// Every object of `examples/course/*.yaml`, in file order, with its file name.
fn course_objects() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/course");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/course exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable");
        for doc in serde_yaml_ng::Deserializer::from_str(&text) {
            let v: Value = serde::Deserialize::deserialize(doc).expect("YAML object");
            if !v.is_null() {
                let name = f
                    .file_name()
                    .expect("file name")
                    .to_string_lossy()
                    .into_owned();
                out.push((name, v));
            }
        }
    }
    out
}

fn gvk_of(v: &Value) -> (String, String, String) {
    let api_version = v["apiVersion"].as_str().expect("apiVersion");
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let kind = v["kind"].as_str().expect("kind");
    (group.to_owned(), version.to_owned(), kind.to_owned())
}

fn defaulted_course() -> Vec<(String, Value)> {
    course_objects()
        .into_iter()
        .map(|(file, v)| {
            let (g, ver, k) = gvk_of(&v);
            (file, defaulted((&g, &ver, &k), v))
        })
        .collect()
}

fn course(file: &str, kind: &str) -> Value {
    defaulted_course()
        .into_iter()
        .find(|(f, v)| f == file && v["kind"] == kind)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{file} has a {kind}"))
}

#[test]
fn course_manifests() {
    assert_eq!(
        course_objects().len(),
        14,
        "the course has 12 files, one with 3 objects"
    );

    let ns = course("01-namespace.yaml", "Namespace");
    assert_eq!(
        ns,
        json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "mon-namespace", "labels": {"kubernetes.io/metadata.name": "mon-namespace"}},
            "status": {"phase": "Active"}})
    );

    let pod = course("02-pod.yaml", "Pod");
    assert_eq!(
        pod["spec"],
        json!({
            "containers": [{"name": "nginx", "image": "nginx:latest", "imagePullPolicy": "Always",
                "ports": [{"containerPort": 80, "protocol": "TCP"}],
                "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
            "dnsPolicy": "ClusterFirst", "enableServiceLinks": true, "restartPolicy": "Always",
            "schedulerName": "default-scheduler", "securityContext": {},
            "terminationGracePeriodSeconds": 30
        })
    );

    let svc = course("03-service.yaml", "Service");
    assert_eq!(
        svc["spec"],
        json!({"selector": {"app": "mon-app"}, "ports": [{"protocol": "TCP", "port": 80, "targetPort": 8080}],
            "type": "ClusterIP", "sessionAffinity": "None", "internalTrafficPolicy": "Cluster"})
    );

    let rs = course("04-replicaset.yaml", "ReplicaSet");
    assert_eq!(rs["spec"]["replicas"], json!(3));
    assert_eq!(
        rs["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        json!("Always"),
        "nginx without a tag"
    );

    let deploy = course("05-deployment.yaml", "Deployment");
    assert_eq!(
        deploy["spec"],
        json!({
            "replicas": 3,
            "selector": {"matchLabels": {"app": "mon-app"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "template": {
                "metadata": {"labels": {"app": "mon-app"}},
                "spec": {
                    "containers": [{"name": "nginx", "image": "nginx:1.21.6", "imagePullPolicy": "IfNotPresent",
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                        "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
                    "dnsPolicy": "ClusterFirst", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                    "securityContext": {}, "terminationGracePeriodSeconds": 30
                }
            }
        })
    );

    let cm = course("06-configmap.yaml", "ConfigMap");
    assert_eq!(
        cm["data"],
        json!({"MA_CLE": "ma_valeur", "NODE_ENV": "production"})
    );

    let secret = course("07-secret.yaml", "Secret");
    assert_eq!(secret["type"], json!("Opaque"));
    assert_eq!(
        secret["data"],
        json!({"DB_PASSWORD": "bW9uX21vdF9kZV9wYXNzZV9zZWNyZXQ="})
    );

    let job = course("08-job.yaml", "Job");
    let mut job_spec = job["spec"].clone();
    let template = job_spec
        .as_object_mut()
        .and_then(|s| s.remove("template"))
        .expect("template");
    assert_eq!(
        job_spec,
        json!({"backoffLimit": 4, "completions": 1, "parallelism": 1, "completionMode": "NonIndexed",
            "suspend": false, "podReplacementPolicy": "TerminatingOrFailed", "manualSelector": false})
    );
    assert_eq!(template["spec"]["restartPolicy"], json!("Never"));
    assert_eq!(
        template["spec"]["containers"][0]["imagePullPolicy"],
        json!("IfNotPresent")
    );
    assert_eq!(
        template["spec"]["schedulerName"],
        json!("default-scheduler")
    );
    assert!(template["spec"].get("enableServiceLinks").is_none());

    let cron = course("09-cronjob.yaml", "CronJob");
    let job_template = &cron["spec"]["jobTemplate"];
    assert_eq!(
        cron["spec"],
        json!({"schedule": "*/1 * * * *", "concurrencyPolicy": "Allow", "suspend": false,
            "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1, "jobTemplate": job_template})
    );
    assert_eq!(
        job_template["spec"]["template"]["spec"],
        json!({
            "restartPolicy": "OnFailure",
            "containers": [{"name": "hello", "image": "busybox", "command": ["/bin/sh", "-c", "date; echo 'Hello!'"],
                "imagePullPolicy": "Always", "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File"}],
            "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler", "securityContext": {},
            "terminationGracePeriodSeconds": 30
        })
    );
    assert!(job_template["spec"].get("backoffLimit").is_none());

    let env_pod = course("10-env-and-volumes.yaml", "Pod");
    assert_eq!(
        env_pod["spec"]["volumes"],
        json!([{"name": "config", "configMap": {"name": "mon-configmap", "defaultMode": 420}},
            {"name": "secret", "secret": {"secretName": "mon-secret", "defaultMode": 420}}])
    );
    assert_eq!(
        env_pod["spec"]["containers"][0]["env"][1],
        json!({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "mon-secret", "key": "DB_PASSWORD"}}})
    );

    let node_port = course("11-nodeport-service.yaml", "Service");
    assert_eq!(
        node_port["spec"],
        json!({"type": "NodePort", "selector": {"app": "mon-app"},
            "ports": [{"port": 443, "targetPort": 8443, "protocol": "TCP"}],
            "sessionAffinity": "None", "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster"})
    );

    let multi = course("12-multi-document.yaml", "Deployment");
    assert_eq!(multi["spec"]["replicas"], json!(2));
    assert_eq!(multi["spec"]["strategy"]["type"], json!("RollingUpdate"));
    assert_eq!(
        multi["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        json!("Always")
    );
    let multi_svc = course("12-multi-document.yaml", "Service");
    assert_eq!(
        multi_svc["spec"]["ports"],
        json!([{"port": 80, "targetPort": 8080, "protocol": "TCP"}])
    );
}

// ---------------------------------------------------------------------------------------------
// Idempotence

/// Every input of every table above, plus the course manifests.
fn all_samples() -> Vec<((String, String, String), Value)> {
    let mut samples: Vec<_> = course_objects()
        .into_iter()
        .map(|(_, v)| (gvk_of(&v), v))
        .collect();
    let rich = [
        (
            POD,
            pod(json!({"hostNetwork": true, "serviceAccount": "x",
            "initContainers": [{"name": "i", "image": "i", "resources": {"limits": {"cpu": "0.5"}},
                "ports": [{"containerPort": 1}]}],
            "containers": [{"name": "c", "image": "nginx:latest",
                "resources": {"limits": {"cpu": "0.0001", "memory": "1.5Gi"}},
                "livenessProbe": {"httpGet": {"port": 80}}, "startupProbe": {"grpc": {"port": 1}},
                "lifecycle": {"preStop": {"httpGet": {"port": 80}}},
                "env": [{"name": "n", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]}],
            "ephemeralContainers": [{"name": "e", "image": "busybox"}],
            "volumes": [{"name": "a"}, {"name": "h", "hostPath": {"path": "/"}},
                {"name": "p", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}]})),
        ),
        (
            SERVICE,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"type": "LoadBalancer", "sessionAffinity": "ClientIP", "ports": [{"port": 80, "targetPort": ""}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}}),
        ),
        (
            ("", "v1", "Secret"),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "stringData": {"a": "b"}}),
        ),
        (
            ("", "v1", "LimitRange"),
            json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l"},
            "spec": {"limits": [{"type": "Container", "max": {"cpu": "1000m"}, "min": {"cpu": "0.1"}}]}}),
        ),
        (
            ("", "v1", "Node"),
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
            "status": {"capacity": {"cpu": "4000m"}}}),
        ),
        (
            STATEFULSET,
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
            "spec": {"selector": {}, "template": template(json!([sample_container()])),
                "volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {"resources": {"requests": {"storage": "0.5Gi"}}}}]}}),
        ),
        (
            DAEMONSET,
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"},
            "spec": {"selector": {}, "template": template(json!([sample_container()]))}}),
        ),
        (
            JOB,
            json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
            "spec": {"backoffLimitPerIndex": 1, "podFailurePolicy": {"rules": [{"action": "Ignore",
                "onPodConditions": [{"type": "DisruptionTarget"}]}]},
                "template": template(json!([sample_container()]))}}),
        ),
        (
            HPA_V2,
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3, "behavior": {}}}),
        ),
        (
            HPA_V1,
            json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d"}, "maxReplicas": 3}}),
        ),
        (
            ("", "v1", "ReplicationController"),
            json!({"apiVersion": "v1", "kind": "ReplicationController",
            "metadata": {"name": "r"}, "spec": {"template": template(json!([sample_container()]))}}),
        ),
        (
            ("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            json!({"apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition", "metadata": {"name": "ws.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced", "names": {"kind": "W", "plural": "ws"},
                "versions": [{"name": "v1", "served": true, "storage": true}]}}),
        ),
        (
            ("storage.k8s.io", "v1", "CSIDriver"),
            json!({"apiVersion": "storage.k8s.io/v1", "kind": "CSIDriver",
            "metadata": {"name": "c"}, "spec": {}}),
        ),
        (
            ("networking.k8s.io", "v1", "NetworkPolicy"),
            json!({"apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy", "metadata": {"name": "n"},
            "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 1}]}]}}),
        ),
        (
            ("rbac.authorization.k8s.io", "v1", "RoleBinding"),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding", "metadata": {"name": "b"}, "roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "u"}]}),
        ),
    ];
    for ((g, v, k), obj) in rich {
        samples.push(((g.to_owned(), v.to_owned(), k.to_owned()), obj));
    }
    samples
}

#[test]
fn applying_twice_is_applying_once() {
    let samples = all_samples();
    assert!(samples.len() > 25);
    for ((g, v, k), obj) in samples {
        let once = defaulted((&g, &v, &k), obj);
        let mut twice = once.clone();
        apply(&g, &v, &k, &mut twice);
        assert_eq!(twice, once, "{g}/{v} {k}");
        // And defaulting changes nothing that decoding through the type would change again.
        assert_eq!(normalized((&g, &v, &k), once.clone()), once, "{g}/{v} {k}");
    }
}

#[test]
fn every_built_in_kind_accepts_an_empty_object() {
    // Defaulting a kind that has (almost) nothing set must neither panic nor break decoding.
    for r in crate::api::registry::Registry::built_in().iter() {
        let (g, v, k) = (&r.gvk.group, &r.gvk.version, &r.gvk.kind);
        let Some(ops) = kinds::ops(g, v, k) else {
            continue;
        };
        let api_version = if g.is_empty() {
            v.clone()
        } else {
            format!("{g}/{v}")
        };
        let input = json!({"apiVersion": api_version, "kind": k, "metadata": {"name": "x"}});
        let Ok(n) = kinds::normalize(ops, input) else {
            continue;
        };
        let mut once = n.value;
        apply(g, v, k, &mut once);
        let mut twice = once.clone();
        apply(g, v, k, &mut twice);
        assert_eq!(twice, once, "{g}/{v} {k}");
        assert!(kinds::normalize(ops, once).is_ok(), "{g}/{v} {k}");
    }
}
