//! Endpoints, EndpointSlices, default ServiceAccounts, the root CA ConfigMap and namespace
//! deletion, driven with the real kubectl against `orch server`.
//!
//! Pods get their IP and readiness through `kubectl patch --subresource=status`, as a kubelet
//! would report them.

use std::time::Duration;

use crate::common::{TestServer, eventually};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

fn apply(server: &TestServer, manifest: &str) {
    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], manifest)
        .ok();
}

/// A pod labelled `app=<app>` with one container port named `web`, on `node` (if any).
fn create_pod(server: &TestServer, ns: &str, name: &str, app: &str, port: i32, node: Option<&str>) {
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
        "spec": {"containers": [{"name": "c", "image": "busybox",
                 "ports": [{"name": "web", "containerPort": port}]}]},
    });
    if let Some(n) = node {
        pod["spec"]["nodeName"] = json!(n);
    }
    apply(server, &pod.to_string());
}

/// Reports the pod running at `ip`, ready or not, as a kubelet would.
fn set_pod_status(server: &TestServer, ns: &str, name: &str, ip: &str, ready: bool) {
    let now = "2026-01-01T00:00:00Z";
    let status = json!({"status": {
        "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
        "conditions": [
            {"type": "Ready", "status": if ready { "True" } else { "False" }, "lastTransitionTime": now},
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": now},
        ],
    }});
    server
        .kubectl(&[
            "patch",
            "pod",
            name,
            "-n",
            ns,
            "--subresource=status",
            "--type=merge",
            "-p",
            &status.to_string(),
        ])
        .ok();
}

fn get_json(server: &TestServer, args: &[&str]) -> Option<Value> {
    let mut full = vec!["get"];
    full.extend_from_slice(args);
    full.extend_from_slice(&["-o", "json"]);
    let run = server.kubectl(&full);
    (run.status == 0).then(|| serde_json::from_str(&run.stdout).expect("json"))
}

/// Waits until `f` holds for the JSON of `kubectl get <args>`, returning it.
#[track_caller]
fn wait_json(server: &TestServer, args: &[&str], what: &str, f: impl Fn(&Value) -> bool) -> Value {
    let mut last = None;
    let found = eventually(WAIT, || {
        let v = get_json(server, args);
        let ok = v.as_ref().is_some_and(&f);
        last = v.clone();
        ok.then(|| v.unwrap())
    });
    found.unwrap_or_else(|| panic!("{what}: `kubectl get {}` is now {last:#?}", args.join(" ")))
}

/// The ready and not-ready `ip:port` of each Endpoints subset, sorted.
fn subsets(ep: &Value) -> Vec<(Vec<String>, Vec<String>)> {
    let addrs = |s: &Value, key: &str| -> Vec<String> {
        let mut out = Vec::new();
        for a in s[key].as_array().into_iter().flatten() {
            let ports = s["ports"].as_array().cloned().unwrap_or_default();
            if ports.is_empty() {
                out.push(a["ip"].as_str().unwrap().to_owned());
            }
            for p in ports {
                out.push(format!("{}:{}", a["ip"].as_str().unwrap(), p["port"]));
            }
        }
        out.sort();
        out
    };
    let mut v: Vec<_> = ep["subsets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| (addrs(s, "addresses"), addrs(s, "notReadyAddresses")))
        .collect();
    v.sort();
    v
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// (pod, ready, serving, terminating) of every endpoint in the slices of a service, sorted.
fn slice_endpoints(slices: &Value) -> Vec<(String, bool, bool, bool)> {
    let mut out: Vec<_> = slices["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
        .map(|e| {
            let c = &e["conditions"];
            (
                e["targetRef"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                c["ready"].as_bool().unwrap_or(false),
                c["serving"].as_bool().unwrap_or(false),
                c["terminating"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn endpoints_and_slices_follow_pods() {
    let server = TestServer::start();
    apply(
        &server,
        r#"{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": {"topology.kubernetes.io/zone": "zone-a"}}}"#,
    );
    apply(
        &server,
        r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, labels: {team: blue}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: web}]
---
apiVersion: v1
kind: Service
metadata: {name: web-all, namespace: default}
spec:
  selector: {app: web}
  publishNotReadyAddresses: true
  ports: [{port: 80, targetPort: 8080}]
"#,
    );
    // No pods yet: empty Endpoints and one empty placeholder slice.
    wait_json(&server, &["endpoints", "web"], "empty endpoints", |ep| {
        subsets(ep).is_empty()
    });
    let slices = wait_json(
        &server,
        &["endpointslices", "-l", "kubernetes.io/service-name=web"],
        "placeholder slice",
        |l| l["items"].as_array().is_some_and(|i| i.len() == 1),
    );
    let placeholder = &slices["items"][0];
    assert!(
        placeholder["endpoints"]
            .as_array()
            .is_none_or(|e| e.is_empty())
    );
    assert!(
        placeholder["metadata"]["name"]
            .as_str()
            .unwrap()
            .starts_with("web-")
    );

    create_pod(&server, "default", "web-a", "web", 8080, Some("node-1"));
    create_pod(&server, "default", "web-b", "web", 8080, Some("node-1"));
    create_pod(&server, "default", "web-c", "web", 9090, Some("node-1"));
    set_pod_status(&server, "default", "web-a", "10.42.0.11", true);
    set_pod_status(&server, "default", "web-b", "10.42.0.12", false);
    set_pod_status(&server, "default", "web-c", "10.42.0.13", true);

    // The named targetPort resolves per pod: two subsets, not-ready pods apart.
    let ep = wait_json(&server, &["endpoints", "web"], "endpoints of web", |ep| {
        subsets(ep)
            == vec![
                (strs(&["10.42.0.11:8080"]), strs(&["10.42.0.12:8080"])),
                (strs(&["10.42.0.13:9090"]), vec![]),
            ]
    });
    assert_eq!(ep["metadata"]["labels"]["team"], "blue");
    assert!(
        ep["metadata"]["labels"]
            .get("service.kubernetes.io/headless")
            .is_none()
    );
    assert!(
        ep["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]
            .is_string(),
        "{ep:#}"
    );
    let addr = ep["subsets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["addresses"].as_array().cloned().unwrap_or_default())
        .find(|a| a["ip"] == "10.42.0.11")
        .unwrap();
    assert_eq!(addr["nodeName"], "node-1");
    assert_eq!(addr["targetRef"]["kind"], "Pod");
    assert_eq!(addr["targetRef"]["name"], "web-a");
    assert_eq!(addr["targetRef"]["namespace"], "default");

    let out = server.kubectl(&["get", "endpoints", "web"]);
    out.ok_contains_words("NAME ENDPOINTS AGE");
    let line = out.stdout.lines().find(|l| l.starts_with("web ")).unwrap();
    assert!(line.contains("10.42.0.11:8080"), "{line}");
    assert!(line.contains("10.42.0.13:9090"), "{line}");
    assert!(
        !line.contains("10.42.0.12"),
        "not-ready addresses are not listed: {line}"
    );

    // publishNotReadyAddresses: every pod is a ready address.
    wait_json(
        &server,
        &["endpoints", "web-all"],
        "endpoints of web-all",
        |ep| {
            subsets(ep)
                == vec![(
                    strs(&["10.42.0.11:8080", "10.42.0.12:8080", "10.42.0.13:8080"]),
                    vec![],
                )]
        },
    );

    // Slices: one per port set, with conditions, zone, node and owner.
    let slices = wait_json(
        &server,
        &["endpointslices", "-l", "kubernetes.io/service-name=web"],
        "slices of web",
        |l| {
            slice_endpoints(l)
                == vec![
                    ("web-a".into(), true, true, false),
                    ("web-b".into(), false, false, false),
                    ("web-c".into(), true, true, false),
                ]
        },
    );
    let items = slices["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{slices:#}");
    for s in items {
        assert_eq!(s["addressType"], "IPv4");
        assert_eq!(
            s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
            "endpointslice-controller.k8s.io"
        );
        assert_eq!(s["metadata"]["labels"]["team"], "blue");
        assert_eq!(s["metadata"]["generateName"], "web-");
        let owner = &s["metadata"]["ownerReferences"][0];
        assert_eq!(
            (owner["kind"].as_str(), owner["name"].as_str()),
            (Some("Service"), Some("web"))
        );
        assert_eq!(owner["controller"], true);
        assert_eq!(s["ports"][0]["name"], "http");
        for e in s["endpoints"].as_array().unwrap() {
            assert_eq!(e["nodeName"], "node-1");
            assert_eq!(e["zone"], "zone-a");
        }
    }
    let table = server.kubectl(&[
        "get",
        "endpointslices",
        "-l",
        "kubernetes.io/service-name=web",
    ]);
    table.ok_contains_words("NAME ADDRESSTYPE PORTS ENDPOINTS AGE");
    table.ok_contains_words("IPv4 8080 10.42.0.11,10.42.0.12");
    table.ok_contains_words("IPv4 9090 10.42.0.13");

    let describe = server.kubectl(&["describe", "svc", "web"]);
    let endpoints_line = describe
        .ok()
        .lines()
        .find(|l| l.starts_with("Endpoints:"))
        .unwrap_or_else(|| panic!("no Endpoints line:\n{}", describe.stdout))
        .to_owned();
    assert!(
        endpoints_line.contains("10.42.0.11:8080"),
        "{endpoints_line}"
    );

    // web-b becomes ready.
    set_pod_status(&server, "default", "web-b", "10.42.0.12", true);
    wait_json(&server, &["endpoints", "web"], "web-b ready", |ep| {
        subsets(ep)
            == vec![
                (strs(&["10.42.0.11:8080", "10.42.0.12:8080"]), vec![]),
                (strs(&["10.42.0.13:9090"]), vec![]),
            ]
    });

    // A terminating pod (no kubelet confirms it) leaves Endpoints but stays in slices as
    // serving and terminating, never ready.
    server
        .kubectl(&["delete", "pod", "web-a", "--wait=false"])
        .ok();
    wait_json(&server, &["endpoints", "web"], "web-a terminating", |ep| {
        subsets(ep)
            == vec![
                (strs(&["10.42.0.12:8080"]), vec![]),
                (strs(&["10.42.0.13:9090"]), vec![]),
            ]
    });
    wait_json(
        &server,
        &["endpointslices", "-l", "kubernetes.io/service-name=web"],
        "web-a terminating in slices",
        |l| {
            slice_endpoints(l)
                == vec![
                    ("web-a".into(), false, true, true),
                    ("web-b".into(), true, true, false),
                    ("web-c".into(), true, true, false),
                ]
        },
    );
    server
        .kubectl(&["delete", "pod", "web-a", "--grace-period=0", "--force"])
        .ok();
    wait_json(
        &server,
        &["endpointslices", "-l", "kubernetes.io/service-name=web"],
        "web-a gone from slices",
        |l| {
            slice_endpoints(l)
                == vec![
                    ("web-b".into(), true, true, false),
                    ("web-c".into(), true, true, false),
                ]
        },
    );

    // A pod whose labels stop matching leaves.
    server
        .kubectl(&["label", "pod", "web-c", "app=other", "--overwrite"])
        .ok();
    wait_json(&server, &["endpoints", "web"], "web-c relabelled", |ep| {
        subsets(ep) == vec![(strs(&["10.42.0.12:8080"]), vec![])]
    });

    // Deleting the Service deletes its Endpoints and slices.
    server.kubectl(&["delete", "svc", "web"]).ok();
    assert!(
        eventually(WAIT, || get_json(&server, &["endpoints", "web"])
            .is_none()
            .then_some(()))
        .is_some(),
        "endpoints of a deleted service remain"
    );
    wait_json(
        &server,
        &["endpointslices", "-l", "kubernetes.io/service-name=web"],
        "slices of a deleted service",
        |l| l["items"].as_array().is_some_and(|i| i.is_empty()),
    );
    // The API server's own endpoints are untouched.
    let k = get_json(&server, &["endpoints", "kubernetes"]).unwrap();
    assert_eq!(subsets(&k).len(), 1);
}

#[test]
fn headless_and_selectorless_services() {
    let server = TestServer::start();
    apply(
        &server,
        r#"{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}}"#,
    );
    apply(
        &server,
        r#"
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: external, namespace: default}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: external, namespace: default}
subsets: [{addresses: [{ip: 192.0.2.10}], ports: [{port: 80}]}]
"#,
    );
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "db-0", "namespace": "default", "labels": {"app": "db"}},
        "spec": {"hostname": "db-0", "subdomain": "db", "nodeName": "node-1",
                 "containers": [{"name": "c", "image": "busybox"}]},
    });
    apply(&server, &pod.to_string());
    set_pod_status(&server, "default", "db-0", "10.42.0.21", true);
    let ep = wait_json(&server, &["endpoints", "db"], "headless endpoints", |ep| {
        subsets(ep) == vec![(strs(&["10.42.0.21:5432"]), vec![])]
    });
    assert_eq!(ep["subsets"][0]["addresses"][0]["hostname"], "db-0");
    assert_eq!(
        ep["metadata"]["labels"]["service.kubernetes.io/headless"],
        ""
    );
    let slices = wait_json(
        &server,
        &["endpointslices", "-l", "kubernetes.io/service-name=db"],
        "headless slice",
        |l| slice_endpoints(l).len() == 1,
    );
    let s = &slices["items"][0];
    assert_eq!(s["endpoints"][0]["hostname"], "db-0");
    assert_eq!(
        s["metadata"]["labels"]["service.kubernetes.io/headless"],
        ""
    );

    // A Service without a selector keeps the Endpoints its user wrote, and gets no slices.
    std::thread::sleep(Duration::from_secs(2));
    let ep = get_json(&server, &["endpoints", "external"]).unwrap();
    assert_eq!(subsets(&ep), vec![(strs(&["192.0.2.10:80"]), vec![])]);
    let slices = get_json(
        &server,
        &[
            "endpointslices",
            "-l",
            "kubernetes.io/service-name=external",
        ],
    )
    .unwrap();
    assert_eq!(slices["items"].as_array().unwrap().len(), 0);
}

#[test]
fn namespaces_get_service_account_and_root_ca_and_delete_cleanly() {
    let server = TestServer::start();
    server.kubectl(&["create", "namespace", "team-a"]).ok();
    let sa = wait_json(
        &server,
        &["sa", "default", "-n", "team-a"],
        "default sa",
        |_| true,
    );
    let cm = wait_json(
        &server,
        &["configmap", "kube-root-ca.crt", "-n", "team-a"],
        "root ca configmap",
        |_| true,
    );
    let ca_b64 = server
        .kubectl(&[
            "config",
            "view",
            "--raw",
            "-o",
            "jsonpath={.clusters[0].cluster.certificate-authority-data}",
        ])
        .ok()
        .trim()
        .to_owned();
    use base64::Engine as _;
    let ca = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(ca_b64)
            .unwrap(),
    )
    .unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(cm["data"]["ca.crt"], ca.as_str());
    assert!(
        cm["metadata"]["annotations"]["kubernetes.io/description"]
            .as_str()
            .unwrap()
            .starts_with("Contains a CA bundle")
    );
    // Built-in namespaces get them too.
    wait_json(
        &server,
        &["sa", "default", "-n", "kube-system"],
        "kube-system sa",
        |_| true,
    );
    wait_json(
        &server,
        &["configmap", "kube-root-ca.crt", "-n", "kube-public"],
        "kube-public ca",
        |_| true,
    );

    // Deleted or edited, they come back.
    server
        .kubectl(&["delete", "sa", "default", "-n", "team-a"])
        .ok();
    let old_uid = sa["metadata"]["uid"].clone();
    wait_json(
        &server,
        &["sa", "default", "-n", "team-a"],
        "default sa re-created",
        |s| s["metadata"]["uid"] != old_uid,
    );
    server
        .kubectl(&[
            "patch",
            "configmap",
            "kube-root-ca.crt",
            "-n",
            "team-a",
            "--type=merge",
            "-p",
            r#"{"data": {"ca.crt": "tampered"}}"#,
        ])
        .ok();
    wait_json(
        &server,
        &["configmap", "kube-root-ca.crt", "-n", "team-a"],
        "ca restored",
        |c| c["data"]["ca.crt"] == ca.as_str(),
    );
    server
        .kubectl(&["delete", "configmap", "kube-root-ca.crt", "-n", "team-a"])
        .ok();
    wait_json(
        &server,
        &["configmap", "kube-root-ca.crt", "-n", "team-a"],
        "ca re-created",
        |c| c["data"]["ca.crt"] == ca.as_str(),
    );

    // Namespace deletion: pods, deployments, configmaps and custom resources all go; a finalizer
    // holds the namespace in Terminating with upstream's conditions.
    apply(
        &server,
        r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"#,
    );
    server.kubectl(&["create", "namespace", "doomed"]).ok();
    eventually(WAIT, || {
        (server.kubectl(&["get", "widgets", "-n", "doomed"]).status == 0).then_some(())
    })
    .expect("the widgets resource is served");
    apply(
        &server,
        r#"
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: doomed}
spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: doomed}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: plain, namespace: doomed}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: held, namespace: doomed, finalizers: [example.com/hold]}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: doomed}
"#,
    );
    server
        .kubectl(&["delete", "namespace", "doomed", "--wait=false"])
        .ok();
    let ns = wait_json(
        &server,
        &["namespace", "doomed"],
        "terminating conditions",
        |ns| {
            let conds = ns["status"]["conditions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let find = |t: &str| {
                conds
                    .iter()
                    .find(|c| c["type"] == t)
                    .cloned()
                    .unwrap_or_default()
            };
            find("NamespaceContentRemaining")["message"]
                == "Some resources are remaining: configmaps. has 1 resource instances"
                && find("NamespaceFinalizersRemaining")["message"]
                    == "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
        },
    );
    assert_eq!(ns["status"]["phase"], "Terminating");
    let conds = ns["status"]["conditions"].as_array().unwrap();
    let by_type = |t: &str| conds.iter().find(|c| c["type"] == t).unwrap();
    assert_eq!(
        by_type("NamespaceContentRemaining")["reason"],
        "SomeResourcesRemain"
    );
    assert_eq!(by_type("NamespaceContentRemaining")["status"], "True");
    assert_eq!(
        by_type("NamespaceFinalizersRemaining")["reason"],
        "SomeFinalizersRemain"
    );
    assert_eq!(
        by_type("NamespaceDeletionDiscoveryFailure")["reason"],
        "ResourcesDiscovered"
    );
    assert_eq!(
        by_type("NamespaceDeletionDiscoveryFailure")["status"],
        "False"
    );
    assert_eq!(
        by_type("NamespaceDeletionGroupVersionParsingFailure")["reason"],
        "ParsedGroupVersions"
    );
    assert_eq!(
        by_type("NamespaceDeletionContentFailure")["reason"],
        "ContentDeleted"
    );
    for gone in [
        ["pod", "p"],
        ["deployment", "d"],
        ["configmap", "plain"],
        ["widget", "w"],
    ] {
        let run = server.kubectl(&["get", gone[0], gone[1], "-n", "doomed"]);
        assert!(
            run.stderr.contains("NotFound"),
            "{gone:?} should be gone: {}",
            run.stderr
        );
    }
    // The root CA and the default ServiceAccount are not re-created in a terminating namespace.
    let run = server.kubectl(&["get", "configmap", "kube-root-ca.crt", "-n", "doomed"]);
    assert!(run.stderr.contains("NotFound"), "{}", run.stderr);

    let describe = server.kubectl(&["describe", "namespace", "doomed"]);
    describe.ok_contains_words("Status: Terminating");
    describe.ok_contains_words("NamespaceContentRemaining True");
    describe.ok_contains("SomeResourcesRemain");
    describe.ok_contains("NamespaceFinalizersRemaining");

    let refused = server.kubectl(&["create", "configmap", "late", "-n", "doomed"]);
    assert!(
        refused.fails().contains(
            "unable to create new content in namespace doomed because it is being terminated"
        ),
        "{}",
        refused.stderr
    );

    server
        .kubectl(&[
            "patch",
            "configmap",
            "held",
            "-n",
            "doomed",
            "--type=json",
            "-p",
            r#"[{"op": "remove", "path": "/metadata/finalizers"}]"#,
        ])
        .ok();
    assert!(
        eventually(WAIT, || get_json(&server, &["namespace", "doomed"])
            .is_none()
            .then_some(()))
        .is_some(),
        "namespace doomed was not removed"
    );
}
