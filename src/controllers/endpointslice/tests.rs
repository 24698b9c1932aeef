use super::*;
use k8s_openapi::api::core::v1::ObjectReference;
use serde_json::json;

fn service(v: serde_json::Value) -> Service {
    serde_json::from_value(v).expect("a valid Service")
}

fn web() -> Service {
    service(json!({
        "metadata": {"name": "web", "namespace": "ns", "uid": "svc-uid", "labels": {"team": "a"}},
        "spec": {"selector": {"app": "web"}, "clusterIP": "10.43.0.5",
                  "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"}]},
    }))
}

fn pod(name: &str, ip: &str, ready: bool, port: i32, node: &str) -> Arc<Pod> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "ns", "uid": format!("uid-{name}"), "labels": {"app": "web"}},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i",
                     "ports": [{"name": "web", "containerPort": port, "protocol": "TCP"}]}]},
            "status": {"phase": "Running", "podIP": ip,
                       "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
        }))
        .expect("a valid Pod"),
    )
}

fn endpoint(i: usize) -> Endpoint {
    Endpoint {
        addresses: vec![format!("10.42.{}.{}", i / 250, i % 250 + 1)],
        conditions: Some(EndpointConditions {
            ready: Some(true),
            serving: Some(true),
            terminating: Some(false),
        }),
        target_ref: Some(ObjectReference {
            kind: Some("Pod".into()),
            namespace: Some("ns".into()),
            name: Some(format!("pod-{i}")),
            ..ObjectReference::default()
        }),
        ..Endpoint::default()
    }
}

fn http_ports(n: i32) -> Vec<EndpointPort> {
    vec![EndpointPort {
        name: Some("http".into()),
        port: Some(n),
        protocol: Some("TCP".into()),
        app_protocol: None,
    }]
}

/// Applies a plan to `existing`, naming created slices `web-<n>`, as the API server would.
fn apply(existing: Vec<Arc<EndpointSlice>>, plan: Plan) -> Vec<Arc<EndpointSlice>> {
    let mut by_name: BTreeMap<String, Arc<EndpointSlice>> =
        existing.into_iter().map(|s| (s.name_any(), s)).collect();
    for s in plan.delete {
        by_name.remove(&s.name_any());
    }
    for s in plan.update {
        by_name.insert(s.name_any(), Arc::new(s));
    }
    let mut n = by_name.len();
    for mut s in plan.create {
        n += 1;
        s.metadata.name = Some(format!("web-{n}"));
        s.metadata.uid = Some(format!("slice-{n}"));
        by_name.insert(s.name_any(), Arc::new(s));
    }
    by_name.into_values().collect()
}

fn sizes(slices: &[Arc<EndpointSlice>]) -> Vec<usize> {
    let mut v: Vec<usize> = slices.iter().map(|s| s.endpoints.len()).collect();
    v.sort();
    v
}

#[test]
fn desired_endpoints_conditions_zone_hostname_and_port_groups() {
    let mut svc = web();
    let mut terminating = Pod::clone(&pod("t", "10.42.0.9", true, 8080, "n1"));
    terminating.metadata.deletion_timestamp = Some(
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::now()),
    );
    let pods = vec![
        pod("a", "10.42.0.2", true, 8080, "n1"),
        pod("b", "10.42.0.3", false, 8080, "n2"),
        pod("c", "10.42.0.4", true, 9090, "n1"),
        pod("lost", "10.42.0.5", true, 8080, "gone"),
        Arc::new(terminating),
    ];
    let zone = |n: &str| match n {
        "n1" => Some(Some("zone-a".to_string())),
        "n2" => Some(None),
        _ => None,
    };
    let (groups, missing) = desired_endpoints(&svc, &pods, zone);
    assert_eq!(missing, ["gone"]);
    assert_eq!(groups.len(), 2, "{groups:#?}");
    let (ports, eps) = &groups[0];
    assert_eq!(ports[0].port, Some(8080));
    assert_eq!(ports[0].name.as_deref(), Some("http"));
    let names: Vec<&str> = eps
        .iter()
        .map(|e| e.target_ref.as_ref().unwrap().name.as_deref().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "t"]);
    let cond = |e: &Endpoint| {
        let c = e.conditions.as_ref().unwrap();
        (c.ready.unwrap(), c.serving.unwrap(), c.terminating.unwrap())
    };
    assert_eq!(cond(&eps[0]), (true, true, false));
    assert_eq!(cond(&eps[1]), (false, false, false));
    // Terminating pods stay, serving per readiness but never ready.
    assert_eq!(cond(&eps[2]), (false, true, true));
    assert_eq!(eps[0].zone.as_deref(), Some("zone-a"));
    assert_eq!(eps[1].zone, None);
    assert_eq!(eps[1].node_name.as_deref(), Some("n2"));
    assert_eq!(groups[1].0[0].port, Some(9090));

    // publishNotReadyAddresses: everything ready, and pods on unknown nodes published.
    svc.spec.as_mut().unwrap().publish_not_ready_addresses = Some(true);
    let (groups, missing) = desired_endpoints(&svc, &pods, zone);
    assert!(missing.is_empty());
    let eps = &groups[0].1;
    assert_eq!(eps.len(), 4);
    assert!(eps.iter().all(|e| cond(e).0));
}

#[test]
fn labels_and_owner_of_new_slices() {
    let mut svc = web();
    svc.metadata
        .labels
        .as_mut()
        .unwrap()
        .insert(MANAGED_BY_LABEL.into(), "someone-else".into());
    let labels = slice_labels(&svc);
    assert_eq!(labels.get("team").map(String::as_str), Some("a"));
    assert_eq!(
        labels.get(MANAGED_BY_LABEL).map(String::as_str),
        Some(CONTROLLER_NAME)
    );
    assert_eq!(
        labels.get(SERVICE_NAME_LABEL).map(String::as_str),
        Some("web")
    );
    assert!(!labels.contains_key(HEADLESS_LABEL));
    let slice = new_slice(&svc, &labels);
    assert_eq!(slice.metadata.generate_name.as_deref(), Some("web-"));
    let owner = &slice.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str()),
        ("Service", "svc-uid")
    );
    assert_eq!(owner.controller, Some(true));
    assert_eq!(slice.address_type, "IPv4");

    svc.spec.as_mut().unwrap().cluster_ip = Some("None".into());
    assert_eq!(
        slice_labels(&svc).get(HEADLESS_LABEL).map(String::as_str),
        Some("")
    );
}

#[test]
fn packs_at_most_max_endpoints_per_slice() {
    let svc = web();
    let labels = slice_labels(&svc);
    let template = new_slice(&svc, &labels);
    let desired = vec![(http_ports(80), (0..250).map(endpoint).collect())];
    let plan = plan(&[], desired, &labels, &template, 100);
    assert!(plan.update.is_empty() && plan.delete.is_empty());
    let created = apply(Vec::new(), plan);
    assert_eq!(sizes(&created), [50, 100, 100]);
    assert!(
        created
            .iter()
            .all(|s| s.ports.as_ref() == Some(&http_ports(80)))
    );
}

#[test]
fn unchanged_slices_are_left_alone_and_removals_update_only_their_slice() {
    let svc = web();
    let labels = slice_labels(&svc);
    let template = new_slice(&svc, &labels);
    let all: Vec<Endpoint> = (0..150).map(endpoint).collect();
    let slices = apply(
        Vec::new(),
        plan(
            &[],
            vec![(http_ports(80), all.clone())],
            &labels,
            &template,
            100,
        ),
    );
    // Same desired state: nothing to do.
    let again = plan(
        &slices,
        vec![(http_ports(80), all.clone())],
        &labels,
        &template,
        100,
    );
    assert!(again.create.is_empty() && again.update.is_empty() && again.delete.is_empty());

    // Endpoint 120 goes, 3 new ones come: one slice updated, nothing created.
    let mut next: Vec<Endpoint> = all
        .iter()
        .filter(|e| e != &&endpoint(120))
        .cloned()
        .collect();
    next.extend((200..203).map(endpoint));
    let p = plan(
        &slices,
        vec![(http_ports(80), next.clone())],
        &labels,
        &template,
        100,
    );
    assert!(p.create.is_empty() && p.delete.is_empty(), "{p:#?}");
    assert_eq!(p.update.len(), 1);
    let slices = apply(slices, p);
    assert_eq!(sizes(&slices), [52, 100]);

    // A changed condition updates just the slice holding it.
    let mut changed = next.clone();
    changed[0].conditions.as_mut().unwrap().ready = Some(false);
    let p = plan(
        &slices,
        vec![(http_ports(80), changed)],
        &labels,
        &template,
        100,
    );
    assert_eq!((p.create.len(), p.update.len(), p.delete.len()), (0, 1, 0));
}

#[test]
fn new_endpoints_fill_an_unchanged_slice_with_room() {
    let svc = web();
    let labels = slice_labels(&svc);
    let template = new_slice(&svc, &labels);
    let first: Vec<Endpoint> = (0..30).map(endpoint).collect();
    let slices = apply(
        Vec::new(),
        plan(
            &[],
            vec![(http_ports(80), first.clone())],
            &labels,
            &template,
            100,
        ),
    );
    let mut more = first;
    more.extend((30..40).map(endpoint));
    let p = plan(
        &slices,
        vec![(http_ports(80), more)],
        &labels,
        &template,
        100,
    );
    assert_eq!((p.create.len(), p.update.len(), p.delete.len()), (0, 1, 0));
    assert_eq!(p.update[0].endpoints.len(), 40);
}

#[test]
fn ports_change_replaces_slices_and_empty_service_keeps_a_placeholder() {
    let svc = web();
    let labels = slice_labels(&svc);
    let template = new_slice(&svc, &labels);
    let eps: Vec<Endpoint> = (0..3).map(endpoint).collect();
    let slices = apply(
        Vec::new(),
        plan(
            &[],
            vec![(http_ports(80), eps.clone())],
            &labels,
            &template,
            100,
        ),
    );
    let p = plan(
        &slices,
        vec![(http_ports(81), eps)],
        &labels,
        &template,
        100,
    );
    assert_eq!((p.create.len(), p.update.len(), p.delete.len()), (1, 0, 1));
    assert_eq!(p.create[0].ports.as_ref(), Some(&http_ports(81)));

    // No endpoints: the slice goes and an empty placeholder replaces it...
    let p = plan(&slices, Vec::new(), &labels, &template, 100);
    assert_eq!((p.create.len(), p.update.len(), p.delete.len()), (1, 0, 1));
    assert!(p.create[0].endpoints.is_empty());
    assert_eq!(p.create[0].ports.as_deref(), Some(&[][..]));
    let slices = apply(slices, p);
    assert_eq!(slices.len(), 1);
    // ...which then stays as it is.
    let p = plan(&slices, Vec::new(), &labels, &template, 100);
    assert!(
        p.create.is_empty() && p.update.is_empty() && p.delete.is_empty(),
        "{p:#?}"
    );
}

#[test]
fn label_changes_update_slices() {
    let mut svc = web();
    let labels = slice_labels(&svc);
    let template = new_slice(&svc, &labels);
    let eps: Vec<Endpoint> = (0..3).map(endpoint).collect();
    let slices = apply(
        Vec::new(),
        plan(
            &[],
            vec![(http_ports(80), eps.clone())],
            &labels,
            &template,
            100,
        ),
    );
    svc.metadata
        .labels
        .as_mut()
        .unwrap()
        .insert("team".into(), "b".into());
    let labels = slice_labels(&svc);
    let p = plan(
        &slices,
        vec![(http_ports(80), eps)],
        &labels,
        &template,
        100,
    );
    assert_eq!((p.create.len(), p.update.len(), p.delete.len()), (0, 1, 0));
    assert_eq!(
        p.update[0]
            .metadata
            .labels
            .as_ref()
            .unwrap()
            .get("team")
            .map(String::as_str),
        Some("b")
    );
}

#[test]
fn tracker_waits_for_the_cache_to_catch_up() {
    let mut t = Tracker::default();
    let slice = |rv: &str, uid: &str| {
        let mut s = EndpointSlice {
            metadata: ObjectMeta {
                name: Some("web-abc".into()),
                uid: Some(uid.into()),
                resource_version: Some(rv.into()),
                ..ObjectMeta::default()
            },
            address_type: "IPv4".into(),
            endpoints: Vec::new(),
            ports: None,
        };
        s.metadata.namespace = Some("ns".into());
        Arc::new(s)
    };
    assert!(!t.is_stale("ns", "web", &[]));
    t.expect("ns", "web", "web-abc".into(), Expect::Version(10));
    assert!(t.is_stale("ns", "web", &[]));
    assert!(t.is_stale("ns", "web", &[slice("9", "u1")]));
    assert!(!t.is_stale("ns", "web", &[slice("10", "u1")]));
    t.expect("ns", "web", "web-abc".into(), Expect::Deleted("u1".into()));
    assert!(t.is_stale("ns", "web", &[slice("10", "u1")]));
    assert!(!t.is_stale("ns", "web", &[slice("12", "u2")]));
}
