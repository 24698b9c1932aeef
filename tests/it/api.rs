//! The API over raw HTTPS: bad input gets a clear 4xx Status and changes nothing; authentication;
//! optimistic concurrency; watch semantics.

use crate::common::TestServer;
use crate::common::http::Http;
use serde_json::json;

const CMS: &str = "/api/v1/namespaces/default/configmaps";

fn status_of(reply: &crate::common::http::Reply) -> serde_json::Value {
    let s = reply.json();
    assert_eq!(s["kind"], "Status", "{s}");
    assert_eq!(s["status"], "Failure");
    assert_eq!(s["code"], reply.status);
    s
}

#[test]
fn bad_input_is_refused_with_a_status_and_stores_nothing() {
    // API semantics alone: no controller may add objects (such as kube-root-ca.crt).
    let server = TestServer::start_with(&["--disable-controller-manager"]);
    let http = Http::new(&server, true);
    let cm = |name: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "b"}});

    // Malformed JSON, YAML and protobuf.
    let r = http.request("POST", CMS, None, b"{\"apiVersion\": \"v1\", ".to_vec());
    assert_eq!(r.status, 400);
    status_of(&r);
    let r = http.request(
        "POST",
        CMS,
        Some("application/yaml"),
        b"apiVersion: v1\nkind: [unclosed".to_vec(),
    );
    assert_eq!(r.status, 400);
    assert!(status_of(&r)["message"].as_str().unwrap().contains("YAML"));
    let r = http.request(
        "POST",
        CMS,
        Some("application/vnd.kubernetes.protobuf"),
        b"k8s\0\xff\xff\xff".to_vec(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let r = http.request(
        "POST",
        CMS,
        Some("application/vnd.kubernetes.protobuf"),
        b"not protobuf".to_vec(),
    );
    assert!(r.status == 400 || r.status == 415, "{}", r.text());
    // Unknown content type.
    let r = http.request("POST", CMS, Some("text/plain"), b"hello".to_vec());
    assert_eq!(r.status, 415);
    assert_eq!(status_of(&r)["reason"], "UnsupportedMediaType");
    // A Deployment sent to the ConfigMap URL.
    let r = http.post_json(
        CMS,
        &json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}}),
    );
    assert_eq!(r.status, 400);
    assert!(
        status_of(&r)["message"]
            .as_str()
            .unwrap()
            .contains("does not match the expected API version")
    );
    // Wrong field types.
    let r = http.post_json(CMS, &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t"}, "data": {"a": 1}}));
    assert_eq!(r.status, 400);
    // Deep nesting.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = http.request("POST", CMS, None, deep.into_bytes());
    assert_eq!(r.status, 400);
    // Too large.
    let huge = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "huge"}, "data": {"a": "x".repeat(4 << 20)}});
    let r = http.post_json(CMS, &huge);
    assert_eq!(r.status, 413);
    assert_eq!(status_of(&r)["reason"], "RequestEntityTooLarge");
    // Invalid name: 422 with the field.
    let r = http.post_json(CMS, &cm("Bad_Name"));
    assert_eq!(r.status, 422);
    let s = status_of(&r);
    assert_eq!(s["reason"], "Invalid");
    assert_eq!(s["details"]["causes"][0]["field"], "metadata.name");
    assert_eq!(s["details"]["kind"], "ConfigMap");
    assert!(
        s["message"].as_str().unwrap().starts_with(
            "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\""
        ),
        "{s}"
    );
    // Unknown fields: strict refuses, warn warns.
    let mut odd = cm("odd");
    odd["spec"] = json!({"foo": 1});
    let r = http.post_json(&format!("{CMS}?fieldValidation=Strict"), &odd);
    assert_eq!(r.status, 400);
    assert_eq!(
        status_of(&r)["message"],
        "strict decoding error: unknown field \"spec\""
    );
    // Namespace in the body that disagrees with the URL.
    let mut other_ns = cm("x");
    other_ns["metadata"]["namespace"] = json!("kube-system");
    assert_eq!(http.post_json(CMS, &other_ns).status, 400);
    // Missing namespace.
    let r = http.post_json("/api/v1/namespaces/nope/configmaps", &cm("x"));
    assert_eq!(r.status, 404);
    assert_eq!(status_of(&r)["message"], "namespaces \"nope\" not found");

    // Nothing of that was stored, and the server still serves.
    let list = http.get(CMS).json();
    assert_eq!(list["items"], json!([]), "{list}");
    assert_eq!(http.get("/readyz").status, 200);
    let r = http.post_json(&format!("{CMS}?fieldValidation=Warn"), &odd);
    assert_eq!(r.status, 201);
    assert_eq!(
        r.headers.get("warning").unwrap(),
        "299 - \"unknown field \\\"spec\\\"\""
    );
}

#[test]
fn authentication_and_public_endpoints() {
    let server = TestServer::start();
    let anon = Http::new(&server, false);
    assert_eq!(anon.get("/version").status, 200);
    assert_eq!(anon.get("/version").json()["minor"], "33");
    for p in ["/healthz", "/livez", "/readyz"] {
        assert_eq!(anon.get(p).status, 200, "{p}");
    }
    let r = anon.get("/api/v1/namespaces");
    assert_eq!(r.status, 401);
    assert_eq!(status_of(&r)["reason"], "Unauthorized");
    let r = anon.request_with(
        "GET",
        "/api",
        &[("authorization", "Bearer nonsense")],
        Vec::new(),
    );
    assert_eq!(r.status, 401);
    let admin = Http::new(&server, true);
    assert_eq!(admin.get("/api/v1/namespaces").status, 200);
    // Discovery content types.
    let r = admin.request_with(
        "GET",
        "/apis",
        &[(
            "accept",
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json",
        )],
        Vec::new(),
    );
    assert_eq!(
        r.headers["content-type"],
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    );
    assert_eq!(admin.get("/openapi/v2").status, 404);
    let index = admin.get("/openapi/v3").json();
    let apps = index["paths"]["apis/apps/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap();
    assert_eq!(admin.get(apps).status, 200);
}

#[test]
fn optimistic_concurrency_and_generation() {
    // API semantics only: no controller may touch the Deployment between the test's writes.
    let server = TestServer::start_with(&["--disable-controller-manager"]);
    let http = Http::new(&server, true);
    let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
    let url = "/apis/apps/v1/namespaces/default/deployments";
    let created = http.post_json(url, &d).json();
    assert_eq!(created["metadata"]["generation"], 1);
    assert_eq!(created["spec"]["replicas"], 1, "defaulted");
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut v1 = created.clone();
    v1["spec"]["replicas"] = json!(3);
    let r = http.request(
        "PUT",
        &format!("{url}/web"),
        None,
        serde_json::to_vec(&v1).unwrap(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let updated = r.json();
    assert_eq!(
        updated["metadata"]["generation"], 2,
        "spec change bumps generation"
    );
    assert_ne!(updated["metadata"]["resourceVersion"], rv);
    // The same stale version again: 409 Conflict.
    let r = http.request(
        "PUT",
        &format!("{url}/web"),
        None,
        serde_json::to_vec(&v1).unwrap(),
    );
    assert_eq!(r.status, 409);
    let s = status_of(&r);
    assert_eq!(s["reason"], "Conflict");
    assert!(
        s["message"]
            .as_str()
            .unwrap()
            .contains("the object has been modified")
    );
    // Metadata-only change: no generation bump. Status changes through the main resource are ignored.
    let mut labeled = updated.clone();
    labeled["metadata"]["labels"] = json!({"x": "y"});
    labeled["status"] = json!({"replicas": 42});
    let r = http
        .request(
            "PUT",
            &format!("{url}/web"),
            None,
            serde_json::to_vec(&labeled).unwrap(),
        )
        .json();
    assert_eq!(r["metadata"]["generation"], 2);
    assert!(r["status"].get("replicas").is_none(), "{r}");
    // The status subresource changes only the status.
    let mut st = r.clone();
    st["status"] = json!({"replicas": 3, "observedGeneration": 2});
    st["spec"]["replicas"] = json!(9);
    let r = http.request(
        "PUT",
        &format!("{url}/web/status"),
        None,
        serde_json::to_vec(&st).unwrap(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = r.json();
    assert_eq!(r["status"]["replicas"], 3);
    assert_eq!(r["spec"]["replicas"], 3);
    // Scale subresource.
    let scale = http.get(&format!("{url}/web/scale")).json();
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(scale["status"]["selector"], "app=web");
    // dryRun changes nothing.
    let r = http.request("DELETE", &format!("{url}/web?dryRun=All"), None, Vec::new());
    assert_eq!(r.status, 200);
    assert_eq!(http.get(&format!("{url}/web")).status, 200);
}

#[test]
fn watch_semantics() {
    // API semantics alone: no controller may add objects (such as kube-root-ca.crt).
    let server = TestServer::start_with(&["--disable-controller-manager"]);
    let http = Http::new(&server, true);
    let cm =
        |name: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}});
    http.post_json(CMS, &cm("a"));
    let list = http.get(CMS).json();
    let rv: i64 = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    http.post_json(CMS, &cm("b"));
    // From the list's revision: only later events; with a timeout the stream ends.
    let r = http.get(&format!(
        "{CMS}?watch=true&resourceVersion={rv}&timeoutSeconds=1"
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    let events: Vec<serde_json::Value> = r
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "ADDED");
    assert_eq!(events[0]["object"]["metadata"]["name"], "b");
    // Without a revision: synthetic ADDED for the current state.
    let r = http.get(&format!("{CMS}?watch=true&timeoutSeconds=1"));
    let names: Vec<String> = r
        .text()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["object"]["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names, ["a", "b"]);
    // Label selectors turn leaving the selection into DELETED.
    let start = http.get(CMS).json()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    http.request(
        "PATCH",
        &format!("{CMS}/a"),
        Some("application/merge-patch+json"),
        br#"{"metadata":{"labels":{"x":"1"}}}"#.to_vec(),
    );
    http.request(
        "PATCH",
        &format!("{CMS}/a"),
        Some("application/merge-patch+json"),
        br#"{"metadata":{"labels":{"x":null}}}"#.to_vec(),
    );
    let r = http.get(&format!(
        "{CMS}?watch=true&resourceVersion={start}&labelSelector=x%3D1&timeoutSeconds=1"
    ));
    let types: Vec<String> = r
        .text()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(types, ["ADDED", "DELETED"]);
}

/// The API server in-process over a store we compact by hand: watches and lists from compacted
/// revisions get upstream's 410 Expired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compacted_revisions_are_expired() {
    use http_body_util::BodyExt;
    use orch::store::Backend;
    use tower::ServiceExt;

    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(
        orch::store::sqlite::SqliteBackend::open(orch::store::sqlite::SqliteConfig::new(
            dir.path().join("db"),
        ))
        .unwrap(),
    );
    let pki = orch::pki::Pki::load_or_create(&dir.path().join("tls"), &Default::default()).unwrap();
    let config = orch::apiserver::ApiServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    let server =
        orch::apiserver::ApiServer::build(config, store.clone(), pki.server_tls_config().unwrap())
            .await
            .unwrap();
    let router = server.router();
    let admin = orch::apiserver::auth::PeerIdentity(orch::apiserver::auth::UserInfo::new(
        "admin",
        &["system:masters"],
    ));
    let call = |method: &str, uri: &str, body: serde_json::Value| {
        let mut req = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(serde_json::to_vec(&body).unwrap()))
            .unwrap();
        req.extensions_mut().insert(admin.clone());
        let router = router.clone();
        async move {
            let resp = router.oneshot(req).await.unwrap();
            let status = resp.status().as_u16();
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    for i in 0..5 {
        let (code, _) = call(
            "POST",
            CMS,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("c{i}")}}),
        )
        .await;
        assert_eq!(code, 201);
    }
    let current = store.current_revision();
    store.compact(current).await.unwrap();
    let (code, body) = call(
        "GET",
        &format!("{CMS}?watch=true&resourceVersion=2"),
        json!(null),
    )
    .await;
    assert_eq!(code, 200);
    let event: serde_json::Value = serde_json::from_str(body.lines().next().unwrap()).unwrap();
    assert_eq!(event["type"], "ERROR");
    assert_eq!(event["object"]["code"], 410);
    assert_eq!(event["object"]["reason"], "Expired");
    let (code, body) = call(
        "GET",
        &format!("{CMS}?resourceVersion=2&resourceVersionMatch=Exact"),
        json!(null),
    )
    .await;
    assert_eq!(code, 410, "{body}");
    // Paged lists: a continue token from before the compaction has expired.
    let (_, page) = call("GET", &format!("{CMS}?limit=2"), json!(null)).await;
    let token = serde_json::from_str::<serde_json::Value>(&page).unwrap()["metadata"]["continue"]
        .as_str()
        .unwrap()
        .to_owned();
    call(
        "POST",
        CMS,
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "later"}}),
    )
    .await;
    store.compact(store.current_revision()).await.unwrap();
    let (code, body) = call(
        "GET",
        &format!("{CMS}?limit=2&continue={token}"),
        json!(null),
    )
    .await;
    assert_eq!(code, 410, "{body}");
    assert!(body.contains("continue parameter is too old"));
    store.shutdown().await;
}
