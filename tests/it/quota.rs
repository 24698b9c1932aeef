//! LimitRange defaults and bounds (LimitRanger admission) and ResourceQuota accounting (quota
//! admission + the quota controller), driven with the real kubectl.

use std::time::Duration;

use crate::common::{TestServer, eventually};

const LIMITS: &str = r#"
apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: lr}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 64Mi}
    max: {cpu: "2"}
"#;

fn pod(name: &str, ns: &str, resources: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {ns}}}
spec:
  containers:
  - name: app
    image: registry.local/app:1
    {resources}
"#
    )
}

#[test]
fn limit_range_defaults_and_bounds_containers() {
    let server = TestServer::start();
    let k = |args: &[&str]| server.kubectl(args);
    k(&["create", "namespace", "lr"]).ok();
    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], LIMITS)
        .ok_contains("limitrange/limits created");
    k(&["describe", "limitrange", "limits", "-n", "lr"])
        .ok_contains_words("Container cpu - 2 100m 500m -");

    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], &pod("plain", "lr", ""))
        .ok();
    let got = k(&["get", "pod", "plain", "-n", "lr", "-o", "json"]).json();
    let res = &got["spec"]["containers"][0]["resources"];
    assert_eq!(res["requests"]["cpu"], "100m", "{res}");
    assert_eq!(res["requests"]["memory"], "64Mi", "{res}");
    assert_eq!(res["limits"]["cpu"], "500m", "{res}");
    assert_eq!(res["limits"]["memory"], "256Mi", "{res}");
    assert_eq!(
        got["metadata"]["annotations"]["kubernetes.io/limit-ranger"],
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app"
    );

    let too_big = server.kubectl_stdin(
        "1.33",
        &["apply", "-f", "-"],
        &pod("big", "lr", "resources: {limits: {cpu: \"3\"}}"),
    );
    let err = too_big.fails();
    assert!(
        err.contains(
            r#"pods "big" is forbidden: maximum cpu usage per Container is 2, but limit is 3"#
        ),
        "{err}"
    );
    k(&["get", "pod", "big", "-n", "lr"]).fails();
}

#[test]
fn resource_quota_counts_refuses_and_gives_back() {
    let server = TestServer::start();
    let k = |args: &[&str]| server.kubectl(args);
    k(&["create", "namespace", "rq"]).ok();
    k(&[
        "create",
        "quota",
        "compute",
        "-n",
        "rq",
        "--hard=pods=2,requests.cpu=1,services.nodeports=1",
    ])
    .ok_contains("resourcequota/compute created");
    // The controller fills in status; until then admission refuses what the quota covers.
    let used = |resource: &str| -> Option<String> {
        let q = k(&["get", "quota", "compute", "-n", "rq", "-o", "json"]).json();
        q["status"]["used"][resource].as_str().map(str::to_owned)
    };
    eventually(Duration::from_secs(20), || {
        (used("pods").as_deref() == Some("0")).then_some(())
    })
    .expect("quota status counted");

    let with_cpu = |name: &str, cpu: &str| {
        pod(
            name,
            "rq",
            &format!("resources: {{requests: {{cpu: {cpu}}}}}"),
        )
    };
    // A pod without a cpu request is refused: the quota covers requests.cpu.
    let bare = server.kubectl_stdin("1.33", &["apply", "-f", "-"], &pod("bare", "rq", ""));
    let err = bare.fails();
    assert!(
        err.contains(
            r#"pods "bare" is forbidden: failed quota: compute: must specify requests.cpu"#
        ),
        "{err}"
    );
    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], &with_cpu("a", "400m"))
        .ok();
    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], &with_cpu("b", "400m"))
        .ok();
    assert_eq!(used("pods").as_deref(), Some("2"));
    assert_eq!(used("requests.cpu").as_deref(), Some("800m"));
    let third = server.kubectl_stdin("1.33", &["apply", "-f", "-"], &with_cpu("c", "100m"));
    let err = third.fails();
    assert!(
        err.contains(
            r#"pods "c" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2"#
        ),
        "{err}"
    );
    k(&["describe", "quota", "compute", "-n", "rq"]).ok_contains_words("pods 2 2");

    // NodePort services count their ports.
    k(&[
        "create",
        "service",
        "nodeport",
        "np",
        "-n",
        "rq",
        "--tcp=80:80",
    ])
    .ok();
    let err = k(&[
        "create",
        "service",
        "nodeport",
        "np2",
        "-n",
        "rq",
        "--tcp=81:81",
    ])
    .fails()
    .to_owned();
    assert!(
        err.contains("exceeded quota: compute, requested: services.nodeports=1, used: services.nodeports=1, limited: services.nodeports=1"),
        "{err}"
    );

    // Deleting a pod gives its share back (the controller recounts), so a new one fits.
    k(&["delete", "pod", "a", "-n", "rq", "--wait=false"]).ok();
    eventually(Duration::from_secs(20), || {
        (used("pods").as_deref() == Some("1")).then_some(())
    })
    .expect("usage recounted after the deletion");
    assert_eq!(used("requests.cpu").as_deref(), Some("400m"));
    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], &with_cpu("c", "100m"))
        .ok();
}
