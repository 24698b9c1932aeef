//! Simulated nodes (`orch agent --simulate`): they look like real kubelets to kubectl and drive
//! the pods bound to them.

use std::time::{Duration, Instant};

use crate::common::{TestServer, eventually};

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

#[test]
fn simulated_nodes_look_like_kubelets() {
    let server = TestServer::start();
    let _agent = server.simulate_nodes(
        "sn-",
        2,
        &[
            "--node-label",
            "zone=west",
            "--node-taint",
            "dedicated=sim:NoSchedule",
            "--sim-cpu",
            "4",
        ],
    );
    let version = server.kubectl(&["version", "-o", "json"]).json();
    let git_version = version["serverVersion"]["gitVersion"].as_str().unwrap();
    assert!(git_version.starts_with("v1.33."), "{git_version}");

    let out = server.kubectl(&["get", "nodes"]).ok().to_string();
    let mut lines = out.lines();
    assert_eq!(
        words(lines.next().unwrap()),
        ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    );
    let rows: Vec<Vec<&str>> = lines.map(words).collect();
    for name in ["sn-0", "sn-1"] {
        let row = rows
            .iter()
            .find(|r| r[0] == name)
            .unwrap_or_else(|| panic!("{name} not listed:\n{out}"));
        assert_eq!(row[1], "Ready", "{out}");
        assert_eq!(row[2], "<none>", "{out}");
        assert_eq!(row[4], git_version, "{out}");
    }

    let wide = server
        .kubectl(&["get", "nodes", "-o", "wide"])
        .ok()
        .to_string();
    let header = words(wide.lines().next().unwrap());
    let ip_col = header.iter().position(|h| *h == "INTERNAL-IP").unwrap();
    assert_eq!(header.last(), Some(&"CONTAINER-RUNTIME"), "{wide}");
    let ips: Vec<&str> = wide.lines().skip(1).map(|l| words(l)[ip_col]).collect();
    assert_eq!(ips.len(), 2, "{wide}");
    assert_ne!(ips[0], ips[1], "node IPs are unique:\n{wide}");
    for ip in &ips {
        assert!(ip.parse::<std::net::Ipv4Addr>().is_ok(), "{wide}");
    }
    assert!(
        wide.lines()
            .skip(1)
            .all(|l| words(l).last().unwrap().starts_with("orch-sim://")),
        "{wide}"
    );

    let node = server
        .kubectl(&["get", "node", "sn-0", "-o", "json"])
        .json();
    let labels = &node["metadata"]["labels"];
    assert_eq!(labels["kubernetes.io/hostname"], "sn-0");
    assert_eq!(labels["kubernetes.io/os"], "linux");
    assert_eq!(labels["beta.kubernetes.io/os"], "linux");
    assert!(labels["kubernetes.io/arch"].is_string());
    assert_eq!(labels["zone"], "west");
    assert_eq!(node["spec"]["taints"][0]["key"], "dedicated");
    assert_eq!(node["spec"]["taints"][0]["effect"], "NoSchedule");
    assert_eq!(node["status"]["capacity"]["cpu"], "4");
    assert_eq!(node["status"]["allocatable"]["memory"], "32Gi");
    assert_eq!(node["status"]["capacity"]["pods"], "110");
    assert_eq!(node["status"]["nodeInfo"]["kubeletVersion"], git_version);
    assert_eq!(node["status"]["nodeInfo"]["operatingSystem"], "linux");

    let describe = server.kubectl(&["describe", "node", "sn-0"]);
    describe.ok_contains_words("Ready True");
    describe.ok_contains_words("KubeletReady kubelet is posting ready status");
    describe.ok_contains_words("MemoryPressure False");
    describe.ok_contains_words("KubeletHasSufficientMemory");
    describe.ok_contains_words("HolderIdentity: sn-0");
    describe.ok_contains_words("Taints: dedicated=sim:NoSchedule");

    let lease = server
        .kubectl(&[
            "get",
            "lease",
            "-n",
            "kube-node-lease",
            "sn-1",
            "-o",
            "json",
        ])
        .json();
    assert_eq!(lease["spec"]["holderIdentity"], "sn-1");
    assert_eq!(lease["spec"]["leaseDurationSeconds"], 40);
    assert_eq!(lease["metadata"]["ownerReferences"][0]["kind"], "Node");
}

#[test]
fn agent_restart_takes_over_its_nodes() {
    let server = TestServer::start();
    let mut agent = server.simulate_nodes("tk-", 1, &[]);
    let before = server
        .kubectl(&["get", "node", "tk-0", "-o", "json"])
        .json();
    agent.signal(libc::SIGTERM);
    assert_eq!(
        agent.wait(Duration::from_secs(15)),
        Some(0),
        "{}",
        agent.log()
    );
    // Stopped like a kubelet: the node stays.
    server.kubectl(&["get", "node", "tk-0"]).ok_contains("tk-0");

    let _again = server.simulate_nodes("tk-", 1, &[]);
    let after = server
        .kubectl(&["get", "node", "tk-0", "-o", "json"])
        .json();
    assert_eq!(after["metadata"]["uid"], before["metadata"]["uid"]);
    assert_eq!(after["status"]["addresses"], before["status"]["addresses"]);
    assert_ne!(
        after["status"]["nodeInfo"]["bootID"],
        before["status"]["nodeInfo"]["bootID"]
    );
}

fn pod_yaml(name: &str, node: &str, policy: &str, command: &str) -> String {
    format!(
        r#"apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  nodeName: {node}
  restartPolicy: {policy}
  terminationGracePeriodSeconds: 30
  containers:
  - name: main
    image: busybox:1.36
    command: {command}
"#
    )
}

fn pod_row(server: &TestServer, name: &str) -> Vec<String> {
    let out = server.kubectl(&["get", "pod", name]).ok().to_string();
    words(out.lines().nth(1).unwrap_or_default())
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[test]
fn pods_on_simulated_nodes_run_finish_and_go() {
    let server = TestServer::start();
    let _agent = server.simulate_nodes("sp-", 2, &[]);
    let pods = [
        pod_yaml("runner", "sp-0", "Always", r#"["sleep", "3600"]"#),
        pod_yaml(
            "failer",
            "sp-1",
            "Never",
            r#"["sh", "-c", "sleep 1; exit 3"]"#,
        ),
        pod_yaml("finisher", "sp-1", "Never", r#"["sh", "-c", "sleep 1"]"#),
        pod_yaml("crasher", "sp-0", "OnFailure", r#"["sh", "-c", "exit 2"]"#),
    ]
    .join("---\n");
    server
        .kubectl_stdin("1.33", &["apply", "-f", "-"], &pods)
        .ok();

    server
        .kubectl(&[
            "wait",
            "--for=condition=Ready",
            "pod/runner",
            "--timeout=30s",
        ])
        .ok_contains("condition met");
    let row = pod_row(&server, "runner");
    assert_eq!(&row[1..3], ["1/1", "Running"], "{row:?}");
    let pod = server
        .kubectl(&["get", "pod", "runner", "-o", "json"])
        .json();
    let status = &pod["status"];
    let node = server
        .kubectl(&["get", "node", "sp-0", "-o", "json"])
        .json();
    assert_eq!(status["hostIP"], node["status"]["addresses"][0]["address"]);
    assert_eq!(status["hostIPs"][0]["ip"], status["hostIP"]);
    assert!(status["podIP"].as_str().is_some_and(|ip| !ip.is_empty()));
    assert_eq!(status["podIPs"][0]["ip"], status["podIP"]);
    assert!(status["startTime"].is_string());
    for t in [
        "PodReadyToStartContainers",
        "Initialized",
        "ContainersReady",
        "Ready",
    ] {
        let c = status["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == t)
            .unwrap_or_else(|| panic!("no {t} condition: {status}"));
        assert_eq!(c["status"], "True", "{t}");
        assert!(c["lastTransitionTime"].is_string(), "{t}");
    }
    let cs = &status["containerStatuses"][0];
    assert_eq!(cs["name"], "main");
    assert_eq!(cs["ready"], true);
    assert_eq!(cs["started"], true);
    assert_eq!(cs["restartCount"], 0);
    assert!(cs["containerID"].as_str().unwrap().starts_with("sim://"));
    assert!(cs["imageID"].as_str().unwrap().contains("busybox@sha256:"));
    assert!(cs["state"]["running"]["startedAt"].is_string());

    // A pod that fails with exit code 3 after a second.
    let failed = eventually(Duration::from_secs(20), || {
        let row = pod_row(&server, "failer");
        (row[2] == "Error").then_some(row)
    })
    .expect("failer ends in Error");
    assert_eq!(failed[1], "0/1");
    server
        .kubectl(&[
            "get",
            "pod",
            "failer",
            "-o",
            "jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].state.terminated.reason}",
        ])
        .ok_contains("Failed 3 Error");

    let done = eventually(Duration::from_secs(20), || {
        let row = pod_row(&server, "finisher");
        (row[2] == "Completed").then_some(row)
    })
    .expect("finisher completes");
    assert_eq!(done[1], "0/1");
    server
        .kubectl(&["get", "pod", "finisher", "-o", "jsonpath={.status.phase}"])
        .ok_contains("Succeeded");

    // OnFailure: restarted, then backing off.
    let crashing = eventually(Duration::from_secs(20), || {
        let pod = server
            .kubectl(&["get", "pod", "crasher", "-o", "json"])
            .json();
        let cs = pod["status"]["containerStatuses"][0].clone();
        (cs["restartCount"].as_i64() >= Some(1)
            && cs["state"]["waiting"]["reason"] == "CrashLoopBackOff")
            .then_some(cs)
    })
    .expect("crasher restarts and backs off");
    assert_eq!(crashing["lastState"]["terminated"]["exitCode"], 2);
    server
        .kubectl(&["get", "pod", "crasher", "-o", "jsonpath={.status.phase}"])
        .ok_contains("Running");

    // Deleting a running pod (30 s grace period) returns promptly and the pod is gone.
    let started = Instant::now();
    server.kubectl(&["delete", "pod", "runner"]).ok();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "delete took {:?}",
        started.elapsed()
    );
    server
        .kubectl(&["get", "pod", "runner"])
        .fails()
        .contains("NotFound")
        .then_some(())
        .expect("runner is gone");
}

#[test]
fn nodes_only_simulation_leaves_bound_pods_pending() {
    let server = TestServer::start();
    let _agent = server.simulate_nodes("sn-", 1, &["--sim-run-pods=false"]);
    server
        .kubectl(&[
            "run",
            "parked",
            "--image=busybox:1.36",
            "--",
            "sleep",
            "3600",
        ])
        .ok();
    // The scheduler binds it to the only node…
    let bound = eventually(Duration::from_secs(30), || {
        let pod = server
            .kubectl(&["get", "pod", "parked", "-o", "json"])
            .json();
        (pod["spec"]["nodeName"] == "sn-0").then_some(pod)
    });
    assert!(bound.is_some(), "the pod was not bound to sn-0");
    // …and no simulated kubelet takes it further: it stays Pending, without a pod IP.
    std::thread::sleep(Duration::from_secs(3));
    let pod = server
        .kubectl(&["get", "pod", "parked", "-o", "json"])
        .json();
    assert_eq!(pod["status"]["phase"], "Pending", "{pod}");
    assert!(pod["status"]["podIP"].is_null(), "{pod}");
    assert!(pod["status"]["containerStatuses"].is_null(), "{pod}");
}
