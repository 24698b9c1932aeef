//! Pods and pod specs, table-driven: each case is a pod (or a change to a valid one) and the exact
//! messages upstream reports.

use super::*;
use serde_json::json;

fn msgs(errs: Vec<FieldError>) -> Vec<String> {
    errs.into_iter().map(|e| e.to_string()).collect()
}

fn pod(spec: Value) -> Value {
    json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec})
}

fn container() -> Value {
    json!({"name": "app", "image": "nginx"})
}

fn with_container(c: Value) -> Value {
    pod(json!({"containers": [c]}))
}

const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

#[test]
fn valid_pods() {
    let cases = [
        pod(json!({"containers": [container()]})),
        pod(json!({
            "restartPolicy": "OnFailure",
            "dnsPolicy": "None",
            "dnsConfig": {"nameservers": ["10.0.0.10"], "searches": ["svc.cluster.local", "_tcp.example.com"], "options": [{"name": "ndots", "value": "2"}]},
            "initContainers": [{"name": "init", "image": "busybox", "command": ["true"]},
                               {"name": "sidecar", "image": "envoy", "restartPolicy": "Always", "readinessProbe": {"tcpSocket": {"port": 9901}}}],
            "containers": [{
                "name": "app", "image": "nginx:1.27",
                "ports": [{"name": "http", "containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
                "env": [{"name": "A", "value": "1"},
                        {"name": "my.env-var", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                        {"name": "LABEL", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
                        {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}}},
                        {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k.ey"}}}],
                "envFrom": [{"configMapRef": {"name": "cm"}, "prefix": "CM_"}],
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}},
                "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "cfg", "mountPath": "/etc/cfg", "readOnly": true, "subPath": "x"}],
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5},
                "startupProbe": {"exec": {"command": ["true"]}},
                "lifecycle": {"preStop": {"sleep": {"seconds": 5}}},
                "securityContext": {"runAsUser": 1000, "allowPrivilegeEscalation": false, "seccompProfile": {"type": "RuntimeDefault"}}
            }],
            "volumes": [
                {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}},
                {"name": "cfg", "projected": {"sources": [{"configMap": {"name": "cm", "items": [{"key": "a", "path": "a.conf"}]}}, {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}]}},
                {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}},
                {"name": "claim", "persistentVolumeClaim": {"claimName": "data"}},
                {"name": "sec", "secret": {"secretName": "s", "defaultMode": 420}}
            ],
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"},
                            {"operator": "Exists"},
                            {"key": "k", "value": "v", "effect": "NoExecute", "tolerationSeconds": 30}],
            "affinity": {
                "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}},
                "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 50, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "web"}}}}]}
            },
            "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}, "minDomains": 2}],
            "securityContext": {"fsGroup": 2000, "sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}]},
            "hostAliases": [{"ip": "127.0.0.1", "hostnames": ["foo.local"]}],
            "activeDeadlineSeconds": 600,
            "terminationGracePeriodSeconds": 30,
            "priorityClassName": "high",
            "serviceAccountName": "default",
            "hostname": "web-0",
            "subdomain": "web"
        })),
        pod(
            json!({"hostNetwork": true, "containers": [{"name": "app", "image": "i", "ports": [{"containerPort": 8080}]}]}),
        ),
    ];
    for p in cases {
        assert_eq!(msgs(validate_pod_create(&p)), Vec::<String>::new(), "{p}");
    }
}

#[test]
fn containers() {
    let cases: Vec<(Value, Vec<String>)> = vec![
        (pod(json!({})), vec!["spec.containers: Required value".into()]),
        (pod(json!({"containers": []})), vec!["spec.containers: Required value".into()]),
        (with_container(json!({"image": "nginx"})), vec!["spec.containers[0].name: Required value".into()]),
        (with_container(json!({"name": "App", "image": "nginx"})), vec![format!("spec.containers[0].name: Invalid value: \"App\": {LABEL_MSG}")]),
        (with_container(json!({"name": "app"})), vec!["spec.containers[0].image: Required value".into()]),
        (with_container(json!({"name": "app", "image": " nginx"})), vec!["spec.containers[0].image: Invalid value: \" nginx\": must not have leading or trailing whitespace".into()]),
        (pod(json!({"containers": [container(), container()]})), vec!["spec.containers[1].name: Duplicate value: \"app\"".into()]),
        (pod(json!({"initContainers": [container()], "containers": [container()]})), vec!["spec.initContainers[0].name: Duplicate value: \"app\"".into()]),
        (with_container(json!({"name": "app", "image": "i", "imagePullPolicy": "Sometimes"})),
         vec!["spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"".into()]),
        (with_container(json!({"name": "app", "image": "i", "terminationMessagePolicy": "Log"})),
         vec!["spec.containers[0].terminationMessagePolicy: Unsupported value: \"Log\": supported values: \"File\", \"FallbackToLogsOnError\"".into()]),
        (with_container(json!({"name": "app", "image": "i", "restartPolicy": "Always"})),
         vec!["spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers".into()]),
        (pod(json!({"initContainers": [{"name": "i", "image": "i", "restartPolicy": "OnFailure", "livenessProbe": {"exec": {"command": ["x"]}}}], "containers": [container()]})),
         vec!["spec.initContainers[0].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"".into(),
              "spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always".into()]),
        (pod(json!({"containers": [container()], "ephemeralContainers": [{"name": "debug", "image": "busybox"}]})),
         vec!["spec.ephemeralContainers: Forbidden: cannot be set on create".into()]),
    ];
    for (p, want) in cases {
        assert_eq!(msgs(validate_pod_create(&p)), want, "{p}");
    }
}

#[test]
fn ports() {
    let port = |p: Value| with_container(json!({"name": "app", "image": "i", "ports": [p]}));
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            port(json!({})),
            vec!["spec.containers[0].ports[0].containerPort: Required value"],
        ),
        (
            port(json!({"containerPort": 70000})),
            vec![
                "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            ],
        ),
        (
            port(json!({"containerPort": -1})),
            vec![
                "spec.containers[0].ports[0].containerPort: Invalid value: -1: must be between 1 and 65535, inclusive",
            ],
        ),
        (
            port(json!({"containerPort": 80, "protocol": "HTTP"})),
            vec![
                "spec.containers[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ],
        ),
        (
            port(json!({"containerPort": 80, "name": "http-web-server-1"})),
            vec![
                "spec.containers[0].ports[0].name: Invalid value: \"http-web-server-1\": must be no more than 15 characters",
            ],
        ),
        (
            port(json!({"containerPort": 80, "hostPort": 70000})),
            vec![
                "spec.containers[0].ports[0].hostPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            ],
        ),
        (
            with_container(
                json!({"name": "app", "image": "i", "ports": [{"containerPort": 80, "name": "web"}, {"containerPort": 81, "name": "web"}]}),
            ),
            vec!["spec.containers[0].ports[1].name: Duplicate value: \"web\""],
        ),
        (
            pod(
                json!({"containers": [{"name": "a", "image": "i", "ports": [{"containerPort": 80, "hostPort": 8080}]}, {"name": "b", "image": "i", "ports": [{"containerPort": 81, "hostPort": 8080}]}]}),
            ),
            vec!["spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\""],
        ),
        (
            pod(
                json!({"hostNetwork": true, "containers": [{"name": "a", "image": "i", "ports": [{"containerPort": 80, "hostPort": 8080}]}]}),
            ),
            vec![
                "spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true",
            ],
        ),
    ];
    for (p, want) in cases {
        assert_eq!(msgs(validate_pod_create(&p)), want, "{p}");
    }
}

#[test]
fn env() {
    let env = |e: Value| with_container(json!({"name": "app", "image": "i", "env": [e]}));
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            env(json!({"value": "x"})),
            vec!["spec.containers[0].env[0].name: Required value"],
        ),
        (
            env(json!({"name": "A=B"})),
            vec![
                "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
            ],
        ),
        (
            env(json!({"name": "A", "valueFrom": {}})),
            vec![
                "spec.containers[0].env[0].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
            ],
        ),
        (
            env(
                json!({"name": "A", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}),
            ),
            vec![
                "spec.containers[0].env[0].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty",
            ],
        ),
        (
            env(
                json!({"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}, "secretKeyRef": {"name": "s", "key": "k"}}}),
            ),
            vec![
                "spec.containers[0].env[0].valueFrom: Invalid value: \"\": may not have more than one field specified at a time",
            ],
        ),
        (
            env(json!({"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeIP"}}})),
            vec![
                "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Invalid value: \"spec.nodeIP\": error converting fieldPath: field label not supported: spec.nodeIP",
            ],
        ),
        (
            env(json!({"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels"}}})),
            vec![
                "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: \"metadata.labels\": supported values: \"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", \"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
            ],
        ),
        (
            env(
                json!({"name": "A", "valueFrom": {"resourceFieldRef": {"resource": "limits.gpu"}}}),
            ),
            vec![
                "spec.containers[0].env[0].valueFrom.resourceFieldRef.resource: Unsupported value: \"limits.gpu\": supported values: \"limits.cpu\", \"limits.ephemeral-storage\", \"limits.memory\", \"requests.cpu\", \"requests.ephemeral-storage\", \"requests.memory\"",
            ],
        ),
        (
            env(
                json!({"name": "A", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "2"}}}),
            ),
            vec![
                "spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: \"limits.cpu\": only divisor's values 1m and 1 are supported with the cpu resource",
            ],
        ),
        (
            env(json!({"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm"}}})),
            vec!["spec.containers[0].env[0].valueFrom.configMapKeyRef.key: Required value"],
        ),
        (
            env(json!({"name": "A", "valueFrom": {"secretKeyRef": {"name": "s", "key": "a b"}}})),
            vec![
                "spec.containers[0].env[0].valueFrom.secretKeyRef.key: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            ],
        ),
        (
            with_container(json!({"name": "app", "image": "i", "envFrom": [{}]})),
            vec![
                "spec.containers[0].envFrom: Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`",
            ],
        ),
        (
            with_container(
                json!({"name": "app", "image": "i", "envFrom": [{"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}}]}),
            ),
            vec![
                "spec.containers[0].envFrom: Invalid value: \"\": may not have more than one field specified at a time",
            ],
        ),
        (
            with_container(json!({"name": "app", "image": "i", "envFrom": [{"secretRef": {}}]})),
            vec!["spec.containers[0].envFrom[0].secretRef.name: Required value"],
        ),
    ];
    for (p, want) in cases {
        assert_eq!(msgs(validate_pod_create(&p)), want, "{p}");
    }
}

#[test]
fn volumes() {
    let vol = |v: Value| pod(json!({"containers": [container()], "volumes": [v]}));
    let cases: Vec<(Value, Vec<String>)> = vec![
        (vol(json!({"name": "v"})), vec!["spec.volumes[0]: Required value: must specify a volume type".into()]),
        (vol(json!({"emptyDir": {}})), vec!["spec.volumes[0].name: Required value".into()]),
        (vol(json!({"name": "V", "emptyDir": {}})), vec![format!("spec.volumes[0].name: Invalid value: \"V\": {LABEL_MSG}")]),
        (vol(json!({"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}})), vec!["spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type".into()]),
        (vol(json!({"name": "v", "downwardAPI": {}, "configMap": {"name": "x"}})), vec!["spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type".into()]),
        (vol(json!({"name": "v", "secret": {"secretName": "x"}, "downwardAPI": {}})), vec!["spec.volumes[0].downwarAPI: Forbidden: may not specify more than 1 volume type".into()]),
        (vol(json!({"name": "v", "hostPath": {}})), vec!["spec.volumes[0].hostPath.path: Required value".into()]),
        (vol(json!({"name": "v", "hostPath": {"path": "/a/../b"}})), vec!["spec.volumes[0].hostPath.path: Invalid value: \"/a/../b\": must not contain '..'".into()]),
        (vol(json!({"name": "v", "hostPath": {"path": "/a", "type": "Dir"}})), vec!["spec.volumes[0].hostPath.type: Unsupported value: \"Dir\": supported values: \"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", \"File\", \"FileOrCreate\", \"Socket\"".into()]),
        (vol(json!({"name": "v", "secret": {"defaultMode": 1000}})), vec![
            "spec.volumes[0].secret.secretName: Required value".into(),
            "spec.volumes[0].secret.defaultMode: Invalid value: 1000: must be a number between 0 and 0777 (octal), both inclusive".into()]),
        (vol(json!({"name": "v", "configMap": {"name": "c", "items": [{"key": "k", "path": "/etc/x"}]}})), vec!["spec.volumes[0].configMap.items[0].path: Invalid value: \"/etc/x\": must be a relative path".into()]),
        (vol(json!({"name": "v", "configMap": {"name": "c", "items": [{"key": "k", "path": "..x"}]}})), vec!["spec.volumes[0].configMap.items[0].path: Invalid value: \"..x\": must not start with '..'".into()]),
        (vol(json!({"name": "v", "persistentVolumeClaim": {}})), vec!["spec.volumes[0].persistentVolumeClaim.claimName: Required value".into()]),
        (vol(json!({"name": "v", "nfs": {"server": "nfs", "path": "exports"}})), vec!["spec.volumes[0].nfs.path: Invalid value: \"exports\": must be an absolute path".into()]),
        (vol(json!({"name": "v", "emptyDir": {"sizeLimit": "-1Gi"}})), vec!["spec.volumes[0].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid resource quantity".into()]),
        (vol(json!({"name": "v", "downwardAPI": {"items": [{"path": "x"}]}})), vec!["spec.volumes[0].downwardAPI: Required value: one of fieldRef and resourceFieldRef is required".into()]),
        (vol(json!({"name": "v", "projected": {"sources": [{"secret": {"name": "a", "items": [{"key": "k", "path": "p"}]}, "configMap": {"name": "b"}}]}})), vec!["spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type per source".into()]),
        (vol(json!({"name": "v", "csi": {"driver": ""}})), vec![
            "spec.volumes[0].csi.driver: Required value".into(),
            "spec.volumes[0].csi.driver: Invalid value: \"\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into()]),
        (pod(json!({"containers": [container()], "volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}]})), vec!["spec.volumes[1].name: Duplicate value: \"v\"".into()]),
    ];
    for (p, want) in cases {
        assert_eq!(msgs(validate_pod_create(&p)), want, "{p}");
    }
}

#[test]
fn volume_mounts() {
    let mounts = |m: Value| {
        pod(
            json!({"containers": [{"name": "app", "image": "i", "volumeMounts": m}], "volumes": [{"name": "data", "emptyDir": {}}, {"name": "img", "image": {"reference": "x"}}]}),
        )
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            mounts(json!([{"name": "missing", "mountPath": "/x"}])),
            vec!["spec.containers[0].volumeMounts[0].name: Not found: \"missing\""],
        ),
        (
            mounts(json!([{"name": "data"}])),
            vec!["spec.containers[0].volumeMounts[0].mountPath: Required value"],
        ),
        (
            mounts(
                json!([{"name": "data", "mountPath": "/x"}, {"name": "data", "mountPath": "/x"}]),
            ),
            vec![
                "spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/x\": must be unique",
            ],
        ),
        (
            mounts(json!([{"name": "data", "mountPath": "/x", "subPath": "/abs"}])),
            vec![
                "spec.containers[0].volumeMounts.subPath: Invalid value: \"/abs\": must be a relative path",
            ],
        ),
        (
            mounts(
                json!([{"name": "data", "mountPath": "/x", "subPath": "a", "subPathExpr": "$(POD)"}]),
            ),
            vec![
                "spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: \"$(POD)\": subPathExpr and subPath are mutually exclusive",
            ],
        ),
        (
            mounts(json!([{"name": "img", "mountPath": "/x", "subPath": "a"}])),
            vec![
                "spec.containers[0].volumeMounts[0].subPath: Invalid value: \"a\": not allowed in image volume sources",
            ],
        ),
        (
            mounts(
                json!([{"name": "data", "mountPath": "/x", "mountPropagation": "Bidirectional"}]),
            ),
            vec![
                "spec.containers[0].volumeMounts.mountPropagation: Forbidden: Bidirectional mount propagation is available only to privileged containers",
            ],
        ),
        (
            mounts(json!([{"name": "data", "mountPath": "/x", "recursiveReadOnly": "Enabled"}])),
            vec![
                "spec.containers[0].volumeMounts.recursiveReadOnly: Forbidden: may only be specified when readOnly is true",
            ],
        ),
        (
            pod(
                json!({"containers": [{"name": "app", "image": "i", "volumeMounts": [{"name": "bad", "mountPath": "/x"}]}], "volumes": [{"name": "bad"}]}),
            ),
            vec![
                "spec.volumes[0]: Required value: must specify a volume type",
                "spec.containers[0].volumeMounts[0].name: Not found: \"bad\"",
            ],
        ),
    ];
    for (p, want) in cases {
        assert_eq!(msgs(validate_pod_create(&p)), want, "{p}");
    }
}

#[test]
fn resources() {
    let res = |r: Value| with_container(json!({"name": "app", "image": "i", "resources": r}));
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            res(json!({"requests": {"cpu": "2"}, "limits": {"cpu": "1"}})),
            vec![
                "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1",
            ],
        ),
        (
            res(json!({"requests": {"memory": "2Gi"}, "limits": {"memory": "1024Mi"}})),
            vec![
                "spec.containers[0].resources.requests: Invalid value: \"2Gi\": must be less than or equal to memory limit of 1Gi",
            ],
        ),
        (
            res(json!({"limits": {"memory": "-1"}})),
            vec![
                "spec.containers[0].resources.limits[memory]: Invalid value: \"-1\": must be greater than or equal to 0",
            ],
        ),
        (
            res(json!({"requests": {"cpu": "1 core"}})),
            vec![
                "spec.containers[0].resources.requests[cpu]: Invalid value: \"1 core\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
            ],
        ),
        (
            res(json!({"requests": {"example.com/foo": "1"}})),
            vec![
                "spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources",
            ],
        ),
    ];
    for (p, want) in cases {
        assert_eq!(msgs(validate_pod_create(&p)), want, "{p}");
    }
}

#[test]
fn probes_and_lifecycle() {
    let probe = |key: &str, p: Value| with_container(json!({"name": "app", "image": "i", key: p}));
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            probe("livenessProbe", json!({})),
            vec!["spec.containers[0].livenessProbe: Required value: must specify a handler type"],
        ),
        (
            probe(
                "livenessProbe",
                json!({"exec": {"command": ["x"]}, "tcpSocket": {"port": 80}}),
            ),
            vec![
                "spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type",
            ],
        ),
        (
            probe("livenessProbe", json!({"exec": {}})),
            vec!["spec.containers[0].livenessProbe.exec.command: Required value"],
        ),
        (
            probe("livenessProbe", json!({"tcpSocket": {"port": 0}})),
            vec![
                "spec.containers[0].livenessProbe.tcpSocket.port: Invalid value: 0: must be between 1 and 65535, inclusive",
            ],
        ),
        (
            probe(
                "readinessProbe",
                json!({"httpGet": {"port": "HTTP", "scheme": "FTP"}}),
            ),
            vec![
                "spec.containers[0].readinessProbe.httpGet.port: Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "spec.containers[0].readinessProbe.httpGet.port: Invalid value: \"HTTP\": must contain at least one letter (a-z)",
                "spec.containers[0].readinessProbe.httpGet.scheme: Unsupported value: \"FTP\": supported values: \"HTTP\", \"HTTPS\"",
            ],
        ),
        (
            probe(
                "livenessProbe",
                json!({"grpc": {"port": 9000}, "periodSeconds": -1, "successThreshold": 2}),
            ),
            vec![
                "spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0",
                "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
            ],
        ),
        (
            probe(
                "readinessProbe",
                json!({"grpc": {"port": 9000}, "terminationGracePeriodSeconds": 5}),
            ),
            vec![
                "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes",
            ],
        ),
        (
            probe("lifecycle", json!({"preStop": {"sleep": {"seconds": 60}}})),
            vec![
                "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be non-negative and less than terminationGracePeriodSeconds (30)",
            ],
        ),
        (
            probe("lifecycle", json!({"postStart": {"grpc": {"port": 1}}})),
            vec![
                "spec.containers[0].lifecycle.postStart: Required value: must specify a handler type",
            ],
        ),
    ];
    for (p, want) in cases {
        assert_eq!(msgs(validate_pod_create(&p)), want, "{p}");
    }
}

#[test]
fn pod_level_fields() {
    let spec = |extra: Value| {
        let mut s = json!({"containers": [container()]});
        if let (Some(m), Some(e)) = (s.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        pod(s)
    };
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            spec(json!({"restartPolicy": "Sometimes"})),
            vec![
                "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
            ],
        ),
        (
            spec(json!({"dnsPolicy": "Custom"})),
            vec![
                "spec.dnsPolicy: Unsupported value: \"Custom\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
            ],
        ),
        (
            spec(json!({"dnsPolicy": "None"})),
            vec![
                "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None",
            ],
        ),
        (
            spec(
                json!({"dnsConfig": {"nameservers": ["1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1"]}}),
            ),
            vec![
                "spec.dnsConfig.nameservers: Invalid value: []string{\"1.1.1.1\", \"8.8.8.8\", \"9.9.9.9\", \"1.0.0.1\"}: must not have more than 3 nameservers",
            ],
        ),
        (
            spec(json!({"activeDeadlineSeconds": 0})),
            vec![
                "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive",
            ],
        ),
        (
            spec(json!({"nodeSelector": {"disk": "ssd drive"}})),
            vec![
                "spec.nodeSelector: Invalid value: \"ssd drive\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            ],
        ),
        (
            spec(json!({"serviceAccountName": "My_SA"})),
            vec![
                "spec.serviceAccountName: Invalid value: \"My_SA\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            ],
        ),
        (
            spec(json!({"hostname": "a.b"})),
            vec!["spec.hostname: Invalid value: \"a.b\": must not contain dots"],
        ),
        (
            spec(json!({"tolerations": [{"key": "", "operator": "Equal", "value": "x"}]})),
            vec![
                "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ],
        ),
        (
            spec(json!({"tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]})),
            vec![
                "spec.tolerations[0].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'",
            ],
        ),
        (
            spec(json!({"tolerations": [{"key": "k", "operator": "In"}]})),
            vec![
                "spec.tolerations[0].operator: Unsupported value: \"In\": supported values: \"Equal\", \"Exists\"",
            ],
        ),
        (
            spec(
                json!({"tolerations": [{"key": "k", "effect": "NoSchedule", "tolerationSeconds": 10}]}),
            ),
            vec![
                "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
            ],
        ),
        (
            spec(json!({"tolerations": [{"key": "k", "effect": "Never"}]})),
            vec![
                "spec.tolerations[0].effect: Unsupported value: \"Never\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
            ],
        ),
        (
            spec(
                json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}}),
            ),
            vec![
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term",
            ],
        ),
        (
            spec(
                json!({"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {"matchLabels": {"a": "b"}}}]}}}),
            ),
            vec![
                "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty",
                "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: \"\": name part must be non-empty",
                "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ],
        ),
        (
            spec(
                json!({"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 0, "preference": {}}]}}}),
            ),
            vec![
                "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100",
            ],
        ),
        (
            spec(
                json!({"topologySpreadConstraints": [{"maxSkew": 0, "topologyKey": "zone", "whenUnsatisfiable": "Maybe"}]}),
            ),
            vec![
                "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
                "spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: \"Maybe\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
            ],
        ),
        (
            spec(
                json!({"securityContext": {"runAsUser": -1, "sysctls": [{"name": "net.core.somaxconn"}, {"name": "net.core.somaxconn"}]}, "hostNetwork": true}),
            ),
            vec![
                "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive",
                "spec.securityContext.sysctls[0].name: Invalid value: \"net.core.somaxconn\": may not be specified when 'hostNetwork' is true",
                "spec.securityContext.sysctls[1].name: Duplicate value: \"net.core.somaxconn\"",
                "spec.securityContext.sysctls[1].name: Invalid value: \"net.core.somaxconn\": may not be specified when 'hostNetwork' is true",
            ],
        ),
        (
            spec(json!({"securityContext": {"seccompProfile": {"type": "Localhost"}}})),
            vec![
                "spec.securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost",
            ],
        ),
        (
            spec(json!({"hostAliases": [{"ip": "not-an-ip", "hostnames": ["ok.local"]}]})),
            vec![
                "spec.hostAliases[0].ip: Invalid value: \"not-an-ip\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            ],
        ),
        (
            spec(json!({"os": {"name": "plan9"}})),
            vec!["spec.os: Unsupported value: \"plan9\": supported values: \"linux\", \"windows\""],
        ),
        (
            spec(json!({"readinessGates": [{"conditionType": "bad type"}]})),
            vec![
                "spec.readinessGates[0].conditionType: Invalid value: \"bad type\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', or 'my.name', or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ],
        ),
        (
            spec(json!({"nodeName": "n1", "schedulingGates": [{"name": "example.com/gate"}]})),
            vec![
                "spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared",
            ],
        ),
        (
            spec(json!({"preemptionPolicy": "Always"})),
            vec![
                "spec.preemptionPolicy: Unsupported value: \"Always\": supported values: \"PreemptLowerPriority\", \"Never\"",
            ],
        ),
    ];
    for (p, want) in cases {
        assert_eq!(msgs(validate_pod_create(&p)), want, "{p}");
    }
    let mut deletion_cost = pod(json!({"containers": [container()]}));
    deletion_cost["metadata"]["annotations"] =
        json!({"controller.kubernetes.io/pod-deletion-cost": "cheap"});
    assert_eq!(
        msgs(validate_pod_create(&deletion_cost)),
        vec![
            "metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: \"cheap\": must be a 32bit integer"
        ]
    );
}

fn stored(spec: Value) -> Value {
    let mut p = pod(spec);
    p["metadata"]["resourceVersion"] = json!("10");
    p["metadata"]["uid"] = json!("11111111-2222-3333-4444-555555555555");
    p
}

#[test]
fn updates() {
    let old = stored(
        json!({"containers": [{"name": "app", "image": "nginx:1.0"}], "activeDeadlineSeconds": 100,
        "tolerations": [{"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 10}]}),
    );
    let mut new = old.clone();
    new["spec"]["containers"][0]["image"] = json!("nginx:1.1");
    new["spec"]["activeDeadlineSeconds"] = json!(50);
    new["spec"]["tolerations"][0]["tolerationSeconds"] = json!(20);
    new["spec"]["tolerations"]
        .as_array_mut()
        .expect("array")
        .push(json!({"key": "b", "operator": "Exists"}));
    assert_eq!(msgs(validate_pod_update(&new, &old)), Vec::<String>::new());

    let mut longer = old.clone();
    longer["spec"]["activeDeadlineSeconds"] = json!(200);
    assert_eq!(
        msgs(validate_pod_update(&longer, &old)),
        vec![
            "spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to previous value"
        ]
    );
    let mut unset = old.clone();
    unset["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("activeDeadlineSeconds");
    assert_eq!(
        msgs(validate_pod_update(&unset, &old)),
        vec![
            "spec.activeDeadlineSeconds: Invalid value: \"null\": must not update from a positive integer to nil value"
        ]
    );
    let mut removed = old.clone();
    removed["spec"]["tolerations"] = json!([]);
    assert_eq!(
        msgs(validate_pod_update(&removed, &old)),
        vec![
            "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds"
        ]
    );
    let mut more = old.clone();
    more["spec"]["containers"]
        .as_array_mut()
        .expect("array")
        .push(json!({"name": "b", "image": "b"}));
    assert_eq!(
        msgs(validate_pod_update(&more, &old)),
        vec!["spec.containers: Forbidden: pod updates may not add or remove containers"]
    );
    let mut env = old.clone();
    env["spec"]["containers"][0]["env"] = json!([{"name": "A", "value": "1"}]);
    let got = msgs(validate_pod_update(&env, &old));
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"), "{got:?}");
    let mut renamed = old.clone();
    renamed["metadata"]["name"] = json!("other");
    assert_eq!(
        msgs(validate_pod_update(&renamed, &old)),
        vec!["metadata.name: Invalid value: \"other\": field is immutable"]
    );
    let gated = stored(
        json!({"containers": [container()], "schedulingGates": [{"name": "a.io/g"}], "nodeSelector": {"a": "1"}}),
    );
    let mut ungated = gated.clone();
    ungated["spec"]["schedulingGates"] = json!([]);
    ungated["spec"]["nodeSelector"] = json!({"a": "1", "b": "2"});
    assert_eq!(
        msgs(validate_pod_update(&ungated, &gated)),
        Vec::<String>::new()
    );
    let mut new_gate = gated.clone();
    new_gate["spec"]["schedulingGates"] = json!([{"name": "a.io/g"}, {"name": "b.io/g"}]);
    assert_eq!(
        msgs(validate_pod_update(&new_gate, &gated)),
        vec![
            "spec.schedulingGates[1].name: Forbidden: only deletion is allowed, but found new scheduling gate 'b.io/g'"
        ]
    );
}

#[test]
fn status_updates() {
    let old = stored(json!({"containers": [container()], "nodeName": "n1"}));
    let mut new = old.clone();
    new["status"] = json!({"podIPs": [{"ip": "10.42.0.5"}, {"ip": "10.42.0.5"}], "hostIP": "10.0.0.1", "hostIPs": [{"ip": "10.0.0.2"}]});
    assert_eq!(
        msgs(validate_pod_status_update(&new, &old)),
        vec![
            "status.podIPs[1]: Duplicate value: core.PodIP{IP:\"10.42.0.5\"}",
            "status.hostIPs[0].ip: Invalid value: \"10.0.0.2\": must be equal to `hostIP`",
        ]
    );
    let mut moved = old.clone();
    moved["spec"]["nodeName"] = json!("n2");
    assert_eq!(
        msgs(validate_pod_status_update(&moved, &old)),
        vec!["status.nodeName: Forbidden: may not be changed directly"]
    );
}

#[test]
fn templates() {
    let tpl = json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container()], "ephemeralContainers": [{"name": "d", "image": "d"}]}});
    assert_eq!(
        msgs(validate_pod_template_spec(&tpl, &Path::new("template"))),
        vec![
            "template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template"
        ]
    );
    let pt = json!({"metadata": {"name": "pt", "namespace": "d"}, "template": {"spec": {"containers": [{"name": "c"}]}}});
    assert_eq!(
        msgs(validate_pod_template(&pt)),
        vec!["template.spec.containers[0].image: Required value"]
    );
    // hostPort may be left unset in templates on the host network (defaulted when the Pod is made).
    let host = json!({"spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80}]}]}});
    assert!(validate_pod_template_spec(&host, &Path::new("template")).is_empty());
}
