//! The real kubectl, every release from 1.27 to 1.33, against a real `orch server`: the commands of
//! the course and of everyday use, asserting on what kubectl prints.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use crate::common::{Run, TestServer, eventually, repo_path, write};

fn course(name: &str) -> String {
    repo_path(&format!("examples/course/{name}"))
        .to_string_lossy()
        .into_owned()
}

/// Everything a user does with kubectl on the API alone (no nodes, no controllers).
fn suite(v: &str) {
    let s = TestServer::start();
    let k = |args: &[&str]| -> Run { s.kubectl_v(v, args) };
    let dir = s.dir.path().to_path_buf();

    // Version and discovery.
    let out = k(&["version"]);
    out.ok_contains("v1.33.0+orch");
    k(&["cluster-info"]).ok_contains(&format!("is running at https://127.0.0.1:{}", s.port));
    let resources = k(&["api-resources"]);
    let resources = resources.ok();
    for line in ["deployments", "deploy", "apps/v1", "Deployment"] {
        assert!(
            resources.contains(line),
            "api-resources lacks {line}:\n{resources}"
        );
    }
    assert!(resources.lines().any(|l| l.starts_with("pods ")
        && l.contains(" po ")
        && l.contains("true")
        && l.contains("Pod")));
    let versions = k(&["api-versions"]);
    for gv in [
        "apps/v1",
        "batch/v1",
        "v1",
        "networking.k8s.io/v1",
        "autoscaling/v2",
    ] {
        assert!(
            versions.ok().lines().any(|l| l == gv),
            "api-versions lacks {gv}"
        );
    }
    k(&["explain", "pod.spec.containers"]).ok_contains("image");
    k(&["explain", "deployment.spec.strategy"]).ok_contains("rollingUpdate");

    // Namespaces.
    k(&["create", "namespace", "mon-namespace"]).ok_contains("namespace/mon-namespace created");
    k(&["get", "namespaces"]).ok_contains("kube-system");
    k(&["create", "namespace", "mon-namespace"])
        .fails()
        .contains("AlreadyExists");
    let err = k(&["create", "namespace", "Bad_Name"]);
    assert!(
        err.fails().contains("is invalid") || err.stderr.contains("invalid"),
        "{}",
        err.stderr
    );

    // apply -f of every course manifest, then again (unchanged).
    let manifests = [
        ("02-pod.yaml", "pod/mon-pod"),
        ("03-service.yaml", "service/mon-service"),
        ("04-replicaset.yaml", "replicaset.apps/mon-replicaset"),
        ("05-deployment.yaml", "deployment.apps/mon-deployment"),
        ("06-configmap.yaml", "configmap/mon-configmap"),
        ("07-secret.yaml", "secret/mon-secret"),
        ("08-job.yaml", "job.batch/mon-job"),
        ("09-cronjob.yaml", "cronjob.batch/mon-cronjob"),
        ("11-nodeport-service.yaml", "service/mon-service-nodeport"),
    ];
    for (file, obj) in manifests {
        k(&["apply", "-f", &course(file)]).ok_contains(&format!("{obj} created"));
    }
    for (file, obj) in manifests {
        k(&["apply", "-f", &course(file)]).ok_contains(&format!("{obj} unchanged"));
    }
    k(&["apply", "-f", &course("12-multi-document.yaml")])
        .ok_contains("deployment.apps/multi-deployment created");
    k(&[
        "apply",
        "-f",
        &course("06-configmap.yaml"),
        "-n",
        "mon-namespace",
    ])
    .ok_contains("configmap/mon-configmap created");
    k(&["get", "configmaps", "-n", "mon-namespace"]).ok_contains("mon-configmap");

    // Defaults as upstream sets them.
    let job = k(&["get", "job", "mon-job", "-o", "json"]).json();
    assert_eq!(job["spec"]["backoffLimit"], 4);
    assert_eq!(job["spec"]["completions"], 1);
    assert_eq!(job["spec"]["parallelism"], 1);
    let deploy = k(&["get", "deployment", "mon-deployment", "-o", "json"]).json();
    assert_eq!(
        deploy["spec"]["strategy"]["rollingUpdate"]["maxSurge"],
        "25%"
    );
    assert_eq!(deploy["spec"]["revisionHistoryLimit"], 10);
    assert_eq!(
        deploy["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"],
        "IfNotPresent"
    );
    assert_eq!(deploy["metadata"]["generation"], 1);
    let svc = k(&["get", "service", "mon-service-nodeport", "-o", "json"]).json();
    let node_port = svc["spec"]["ports"][0]["nodePort"]
        .as_i64()
        .expect("a node port");
    assert!((30000..=32767).contains(&node_port));
    assert!(
        svc["spec"]["clusterIP"]
            .as_str()
            .unwrap()
            .starts_with("10.43.")
    );

    // 3-way merge: removing a container, an env var and a port from the manifest removes them.
    let rich = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: mon-deployment
spec:
  replicas: 3
  selector:
    matchLabels:
      app: mon-app
  template:
    metadata:
      labels:
        app: mon-app
    spec:
      containers:
        - name: nginx
          image: "nginx:1.21.6"
          env:
            - {name: A, value: "1"}
            - {name: B, value: "2"}
          ports:
            - containerPort: 80
            - containerPort: 443
        - name: side
          image: busybox
"#;
    let rich_path = write(&dir, "rich.yaml", rich);
    k(&["apply", "-f", rich_path.to_str().unwrap()]).ok_contains("configured");
    let d = k(&["get", "deploy", "mon-deployment", "-o", "json"]).json();
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(d["metadata"]["generation"], 2);
    let lean = rich
        .replace("            - {name: B, value: \"2\"}\n", "")
        .replace("            - containerPort: 443\n", "");
    let lean = lean
        .split("        - name: side")
        .next()
        .unwrap()
        .to_owned();
    let lean_path = write(&dir, "lean.yaml", &lean);
    k(&["apply", "-f", lean_path.to_str().unwrap()]).ok_contains("configured");
    let d = k(&["get", "deploy", "mon-deployment", "-o", "json"]).json();
    let containers = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(
        containers.len(),
        1,
        "removed container is gone: {containers:?}"
    );
    assert_eq!(
        containers[0]["env"],
        serde_json::json!([{"name": "A", "value": "1"}])
    );
    assert_eq!(containers[0]["ports"].as_array().unwrap().len(), 1);

    // Server-side apply, with a conflict against another manager.
    let ssa = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: ssa
data:
  owner: first
"#;
    let ssa_path = write(&dir, "ssa.yaml", ssa);
    k(&["apply", "--server-side", "-f", ssa_path.to_str().unwrap()])
        .ok_contains("configmap/ssa serverside-applied");
    k(&["apply", "--server-side", "-f", ssa_path.to_str().unwrap()])
        .ok_contains("serverside-applied");
    let managed = k(&["get", "cm", "ssa", "-o", "json", "--show-managed-fields"]).json();
    assert_eq!(
        managed["metadata"]["managedFields"][0]["manager"],
        "kubectl"
    );
    assert_eq!(
        managed["metadata"]["managedFields"][0]["operation"],
        "Apply"
    );
    let other = write(&dir, "ssa2.yaml", &ssa.replace("first", "second"));
    let conflict = k(&[
        "apply",
        "--server-side",
        "--field-manager=other",
        "-f",
        other.to_str().unwrap(),
    ]);
    let err = conflict.fails();
    assert!(
        err.contains("conflict with \"kubectl\"") && err.contains(".data.owner"),
        "{err}"
    );
    k(&[
        "apply",
        "--server-side",
        "--field-manager=other",
        "--force-conflicts",
        "-f",
        other.to_str().unwrap(),
    ])
    .ok_contains("serverside-applied");
    assert_eq!(
        k(&["get", "cm", "ssa", "-o", "jsonpath={.data.owner}"]).ok(),
        "second"
    );

    // A CustomResourceDefinition and its objects.
    let crd = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab, shortNames: [ct]}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {status: {}}
      additionalPrinterColumns:
        - {name: Spec, type: string, jsonPath: .spec.cronSpec}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                cronSpec: {type: string}
                replicas: {type: integer, minimum: 1, maximum: 10, default: 1}
"#;
    let crd_path = write(&dir, "crd.yaml", crd);
    k(&["apply", "-f", crd_path.to_str().unwrap()]).ok_contains("created");
    let ct = write(
        &dir,
        "ct.yaml",
        "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata: {name: tab}\nspec: {cronSpec: '*/5 * * * *'}\n",
    );
    k(&["apply", "-f", ct.to_str().unwrap()]).ok_contains("crontab.stable.example.com/tab created");
    k(&["get", "ct"]).ok_contains_words("tab */5 * * * *");
    assert_eq!(
        k(&["get", "crontab", "tab", "-o", "jsonpath={.spec.replicas}"]).ok(),
        "1",
        "schema default"
    );
    let bad = write(
        &dir,
        "bad.yaml",
        "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata: {name: bad}\nspec: {replicas: 50}\n",
    );
    k(&["apply", "-f", bad.to_str().unwrap()])
        .fails()
        .contains("should be less than or equal to 10");
    k(&["explain", "crontab.spec"]).ok_contains("cronSpec");
    k(&["delete", "crd", "crontabs.stable.example.com"]).ok_contains("deleted");

    // get: output formats and selectors.
    k(&["get", "pods", "-o", "wide"]).ok_contains("NOMINATED NODE");
    k(&["get", "pod", "mon-pod", "-o", "yaml"]).ok_contains("name: mon-pod");
    assert_eq!(
        k(&["get", "pod", "mon-pod", "-o", "json"]).json()["status"]["phase"],
        "Pending"
    );
    assert_eq!(
        k(&[
            "get",
            "pod",
            "mon-pod",
            "-o",
            "jsonpath={.spec.containers[0].image}"
        ])
        .ok(),
        "nginx:latest"
    );
    let all = k(&["get", "configmaps", "-A"]);
    assert!(
        all.ok()
            .lines()
            .any(|l| l.starts_with("mon-namespace") && l.contains("mon-configmap")),
        "{}",
        all.stdout
    );
    k(&["get", "all", "-A"]).ok_contains("service/kubernetes");
    k(&["label", "pod", "mon-pod", "tier=front"]).ok_contains("pod/mon-pod labeled");
    k(&["get", "pods", "-l", "tier=front", "--show-labels"]).ok_contains("tier=front");
    k(&["get", "pods", "-l", "tier in (back)"]).ok();
    assert!(
        !k(&["get", "pods", "-l", "tier in (back)"])
            .stdout
            .contains("mon-pod")
    );
    k(&["label", "pod", "mon-pod", "tier-"]).ok_contains("unlabeled");
    k(&["annotate", "pod", "mon-pod", "note=hello"]).ok_contains("pod/mon-pod annotate");
    assert_eq!(
        k(&[
            "get",
            "pod",
            "mon-pod",
            "-o",
            "jsonpath={.metadata.annotations.note}"
        ])
        .ok(),
        "hello"
    );
    k(&["describe", "pod", "mon-pod"]).ok_contains_words("Status:       Pending");
    k(&["describe", "deployment", "mon-deployment"])
        .ok_contains_words("RollingUpdateStrategy:  25% max unavailable, 25% max surge");
    k(&["describe", "namespace", "kube-system"]).ok_contains_words("Status:       Active");
    k(&["describe", "service", "mon-service"]).ok_contains_words("TargetPort:        8080/TCP");
    k(&["describe", "configmap", "mon-configmap"]).ok_contains("ma_valeur");
    k(&["describe", "secret", "mon-secret"]).ok_contains_words("DB_PASSWORD: 23 bytes");

    // patch in all three flavours.
    k(&[
        "patch",
        "deployment",
        "mon-deployment",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/replicas","value":2}]"#,
    ])
    .ok_contains("patched");
    k(&[
        "patch",
        "deployment",
        "mon-deployment",
        "--type=merge",
        "-p",
        r#"{"metadata":{"labels":{"m":"1"}}}"#,
    ])
    .ok_contains("patched");
    k(&[
        "patch",
        "deployment",
        "mon-deployment",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.22"}]}}}}"#,
    ])
    .ok_contains("patched");
    let d = k(&["get", "deploy", "mon-deployment", "-o", "json"]).json();
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(d["metadata"]["labels"]["m"], "1");
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.22"
    );
    k(&[
        "patch",
        "deployment",
        "mon-deployment",
        "--type=json",
        "-p",
        r#"[{"op":"test","path":"/spec/replicas","value":7}]"#,
    ])
    .fails();

    // scale, set image, rollout restart.
    k(&["scale", "deployment", "mon-deployment", "--replicas=5"]).ok_contains("scaled");
    k(&["scale", "replicaset", "mon-replicaset", "--replicas=4"]).ok_contains("scaled");
    k(&[
        "set",
        "image",
        "deployment/mon-deployment",
        "nginx=nginx:1.22.0",
    ])
    .ok_contains("image updated");
    k(&["rollout", "restart", "deployment/mon-deployment"]).ok_contains("restarted");
    let d = k(&["get", "deploy", "mon-deployment", "-o", "json"]).json();
    assert_eq!(d["spec"]["replicas"], 5);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.22.0"
    );
    assert!(
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    );
    assert_eq!(
        k(&[
            "get",
            "rs",
            "mon-replicaset",
            "-o",
            "jsonpath={.spec.replicas}"
        ])
        .ok(),
        "4"
    );

    // edit through an editor script.
    let editor = write(
        &dir,
        "editor.sh",
        "#!/bin/sh\nsed -i 's/ma_valeur/edited/' \"$1\"\n",
    );
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = s
        .kubectl_cmd(v)
        .args(["edit", "configmap", "mon-configmap"])
        .env("KUBE_EDITOR", &editor)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "edit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        k(&[
            "get",
            "cm",
            "mon-configmap",
            "-o",
            "jsonpath={.data.MA_CLE}"
        ])
        .ok(),
        "edited"
    );

    // create secret / configmap generators (protobuf bodies on 1.32+).
    let env_file = write(&dir, ".env", "USER=admin\nPASSWORD=s3cr3t\n");
    k(&[
        "create",
        "secret",
        "generic",
        "from-env",
        &format!("--from-env-file={}", env_file.display()),
    ])
    .ok_contains("secret/from-env created");
    k(&[
        "create",
        "secret",
        "generic",
        "from-lit",
        "--from-literal=token=abc",
    ])
    .ok_contains("created");
    let secret = k(&["get", "secret", "from-env", "-o", "json"]).json();
    assert_eq!(secret["data"]["PASSWORD"], "czNjcjN0");
    assert_eq!(secret["type"], "Opaque");
    let file = write(&dir, "greeting.txt", "bonjour\n");
    k(&[
        "create",
        "configmap",
        "from-file",
        &format!("--from-file={}", file.display()),
    ])
    .ok_contains("created");
    assert_eq!(
        k(&[
            "get",
            "cm",
            "from-file",
            "-o",
            "jsonpath={.data.greeting\\.txt}"
        ])
        .ok(),
        "bonjour\n"
    );
    k(&[
        "create",
        "deployment",
        "zero",
        "--image=nginx",
        "--replicas=0",
    ])
    .ok_contains("created");
    assert_eq!(
        k(&["get", "deploy", "zero", "-o", "jsonpath={.spec.replicas}"]).ok(),
        "0"
    );
    k(&["run", "runner", "--image=busybox", "-n", "mon-namespace"])
        .ok_contains("pod/runner created");
    k(&[
        "expose",
        "deployment",
        "mon-deployment",
        "--port=80",
        "--name=exposed",
    ])
    .ok_contains("service/exposed exposed");
    k(&[
        "get",
        "svc",
        "exposed",
        "-o",
        "jsonpath={.spec.selector.app}",
    ])
    .ok_contains("mon-app");

    // replace and diff.
    let cm = k(&["get", "cm", "from-file", "-o", "yaml"]);
    let replaced = write(&dir, "replace.yaml", &cm.ok().replace("bonjour", "hallo"));
    k(&["replace", "-f", replaced.to_str().unwrap()]).ok_contains("configmap/from-file replaced");
    assert_eq!(
        k(&[
            "get",
            "cm",
            "from-file",
            "-o",
            "jsonpath={.data.greeting\\.txt}"
        ])
        .ok(),
        "hallo\n"
    );
    let changed = write(
        &dir,
        "diff.yaml",
        &std::fs::read_to_string(course("06-configmap.yaml"))
            .unwrap()
            .replace("production", "staging"),
    );
    let diff = k(&["diff", "-f", changed.to_str().unwrap()]);
    assert_eq!(diff.status, 1, "diff reports a difference: {}", diff.stderr);
    assert!(
        diff.stdout.contains("+  NODE_ENV: staging")
            && diff.stdout.contains("-  NODE_ENV: production"),
        "{}",
        diff.stdout
    );

    // contexts and auth.
    k(&[
        "config",
        "set-context",
        "--current",
        "--namespace=mon-namespace",
    ])
    .ok_contains("modified");
    k(&["get", "pods"]).ok_contains("runner");
    k(&["config", "set-context", "--current", "--namespace=default"]).ok();
    assert_eq!(k(&["auth", "can-i", "create", "pods"]).ok().trim(), "yes");
    assert_eq!(
        k(&[
            "auth",
            "can-i",
            "delete",
            "deployments",
            "-n",
            "kube-system"
        ])
        .ok()
        .trim(),
        "yes"
    );

    // wait.
    k(&[
        "wait",
        "--for=jsonpath={.data.NODE_ENV}=production",
        "cm/mon-configmap",
        "--timeout=10s",
    ])
    .ok_contains("condition met");
    let waiter = s
        .kubectl_cmd(v)
        .args([
            "wait",
            "--for=delete",
            "configmap/from-file",
            "--timeout=20s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    k(&["delete", "configmap", "from-file"]).ok_contains("deleted");
    let out = waiter.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "wait --for=delete: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // get -w sees a concurrent change.
    let mut watcher = s
        .kubectl_cmd(v)
        .args(["get", "configmaps", "-w", "--request-timeout=20s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = watcher.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // The initial list arrives first.
    assert!(
        eventually(Duration::from_secs(10), || rx
            .try_recv()
            .ok()
            .filter(|l| l.contains("mon-configmap")))
        .is_some()
    );
    k(&["create", "configmap", "watched", "--from-literal=a=b"]).ok();
    let seen = eventually(Duration::from_secs(10), || {
        rx.try_recv().ok().filter(|l| l.starts_with("watched"))
    });
    let _ = watcher.kill();
    let _ = watcher.wait();
    assert!(seen.is_some(), "get -w did not show the new configmap");

    // events.
    k(&["get", "events"]).ok();

    // delete, in each cascade mode.
    k(&["delete", "configmap", "watched"]).ok_contains("configmap \"watched\" deleted");
    k(&["get", "configmap", "watched"])
        .fails()
        .contains("NotFound");
    k(&["delete", "secret", "from-lit", "--cascade=orphan"]).ok_contains("deleted");
    k(&[
        "delete",
        "secret",
        "from-env",
        "--cascade=background",
        "--wait",
    ])
    .ok_contains("deleted");
    k(&["delete", "job", "mon-job"]).ok_contains("deleted");
    k(&["delete", "pod", "mon-pod", "--wait"]).ok_contains("deleted");
    k(&["delete", "-f", &course("07-secret.yaml")]).ok_contains("deleted");
    k(&["delete", "namespace", "default"])
        .fails()
        .contains("may not be deleted");
}

macro_rules! versions {
    ($($name:ident => $v:expr),*) => {
        $(#[test] fn $name() { suite($v); })*
    };
}

versions! {
    kubectl_1_27 => "1.27",
    kubectl_1_28 => "1.28",
    kubectl_1_29 => "1.29",
    kubectl_1_30 => "1.30",
    kubectl_1_31 => "1.31",
    kubectl_1_32 => "1.32",
    kubectl_1_33 => "1.33"
}
