use super::*;
use serde_json::json;

fn service(v: serde_json::Value) -> Service {
    serde_json::from_value(v).expect("a valid Service")
}

fn pod(name: &str, ip: &str, ready: bool, ports: serde_json::Value) -> Arc<Pod> {
    Arc::new(
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "ns", "uid": format!("uid-{name}"), "labels": {"app": "web"}},
            "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "i", "ports": ports}]},
            "status": {
                "phase": "Running",
                "podIP": ip,
                "podIPs": [{"ip": ip}],
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
            },
        }))
        .expect("a valid Pod"),
    )
}

fn web_service(target: serde_json::Value) -> Service {
    service(json!({
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"selector": {"app": "web"}, "clusterIP": "10.43.0.5",
                  "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": target}]},
    }))
}

fn ips(addrs: &Option<Vec<EndpointAddress>>) -> Vec<&str> {
    addrs.iter().flatten().map(|a| a.ip.as_str()).collect()
}

#[test]
fn ready_and_not_ready_pods_share_one_subset() {
    let svc = web_service(json!(8080));
    let pods = vec![
        pod("b", "10.42.0.3", true, json!([])),
        pod("a", "10.42.0.2", true, json!([])),
        pod("c", "10.42.0.4", false, json!([])),
    ];
    let subsets = desired_subsets(&svc, &pods);
    assert_eq!(subsets.len(), 1, "{subsets:#?}");
    assert_eq!(ips(&subsets[0].addresses), ["10.42.0.2", "10.42.0.3"]);
    assert_eq!(ips(&subsets[0].not_ready_addresses), ["10.42.0.4"]);
    let ports = subsets[0].ports.as_ref().unwrap();
    assert_eq!(ports.len(), 1);
    assert_eq!(ports[0].port, 8080);
    assert_eq!(ports[0].name.as_deref(), Some("http"));
    assert_eq!(ports[0].protocol.as_deref(), Some("TCP"));
    let a = &subsets[0].addresses.as_ref().unwrap()[0];
    assert_eq!(a.node_name.as_deref(), Some("node-1"));
    let r = a.target_ref.as_ref().unwrap();
    assert_eq!(
        (r.kind.as_deref(), r.name.as_deref(), r.uid.as_deref()),
        (Some("Pod"), Some("a"), Some("uid-a"))
    );
}

#[test]
fn named_target_ports_resolve_per_pod_and_split_subsets() {
    let svc = web_service(json!("web"));
    let pods = vec![
        pod(
            "a",
            "10.42.0.2",
            true,
            json!([{"name": "web", "containerPort": 8080, "protocol": "TCP"}]),
        ),
        pod(
            "b",
            "10.42.0.3",
            true,
            json!([{"name": "web", "containerPort": 9090, "protocol": "TCP"}]),
        ),
        pod(
            "c",
            "10.42.0.4",
            true,
            json!([{"name": "web", "containerPort": 8080, "protocol": "TCP"}]),
        ),
        // No port of that name (or of another protocol): not an endpoint.
        pod(
            "d",
            "10.42.0.5",
            true,
            json!([{"name": "web", "containerPort": 8080, "protocol": "UDP"}]),
        ),
    ];
    let subsets = desired_subsets(&svc, &pods);
    assert_eq!(subsets.len(), 2, "{subsets:#?}");
    assert_eq!(ips(&subsets[0].addresses), ["10.42.0.2", "10.42.0.4"]);
    assert_eq!(subsets[0].ports.as_ref().unwrap()[0].port, 8080);
    assert_eq!(ips(&subsets[1].addresses), ["10.42.0.3"]);
    assert_eq!(subsets[1].ports.as_ref().unwrap()[0].port, 9090);
}

#[test]
fn find_port_by_number_name_and_default() {
    let p = pod(
        "a",
        "10.42.0.2",
        true,
        json!([{"name": "metrics", "containerPort": 9100}]),
    );
    let sp = |target: serde_json::Value| -> ServicePort {
        serde_json::from_value(json!({"port": 80, "protocol": "TCP", "targetPort": target}))
            .unwrap()
    };
    assert_eq!(find_port(&p, &sp(json!(8080))), Some(8080));
    assert_eq!(find_port(&p, &sp(json!("metrics"))), Some(9100));
    assert_eq!(find_port(&p, &sp(json!("nope"))), None);
    let no_target: ServicePort = serde_json::from_value(json!({"port": 80})).unwrap();
    assert_eq!(find_port(&p, &no_target), Some(80));
}

#[test]
fn terminating_finished_and_ipless_pods_are_left_out() {
    let svc = web_service(json!(80));
    let mut terminating = Pod::clone(&pod("t", "10.42.0.6", true, json!([])));
    terminating.metadata.deletion_timestamp = Some(
        k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::now()),
    );
    let mut done = Pod::clone(&pod("d", "10.42.0.7", false, json!([])));
    done.status.as_mut().unwrap().phase = Some("Succeeded".into());
    let mut no_ip = Pod::clone(&pod("n", "10.42.0.8", false, json!([])));
    no_ip.status.as_mut().unwrap().pod_ip = None;
    no_ip.status.as_mut().unwrap().pod_ips = None;
    let pods = vec![Arc::new(terminating), Arc::new(done), Arc::new(no_ip)];
    assert!(desired_subsets(&svc, &pods).is_empty());
}

#[test]
fn publish_not_ready_addresses_makes_every_address_ready() {
    let mut svc = web_service(json!(80));
    svc.spec.as_mut().unwrap().publish_not_ready_addresses = Some(true);
    let pods = vec![pod("a", "10.42.0.2", false, json!([]))];
    let subsets = desired_subsets(&svc, &pods);
    assert_eq!(ips(&subsets[0].addresses), ["10.42.0.2"]);
    assert!(subsets[0].not_ready_addresses.is_none());
}

#[test]
fn hostname_only_when_subdomain_names_the_service() {
    let svc = service(json!({
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"selector": {"app": "web"}, "clusterIP": "None"},
    }));
    let mut with = Pod::clone(&pod("a", "10.42.0.2", true, json!([])));
    with.spec.as_mut().unwrap().hostname = Some("host-a".into());
    with.spec.as_mut().unwrap().subdomain = Some("web".into());
    let mut other = Pod::clone(&pod("b", "10.42.0.3", true, json!([])));
    other.spec.as_mut().unwrap().hostname = Some("host-b".into());
    other.spec.as_mut().unwrap().subdomain = Some("elsewhere".into());
    let subsets = desired_subsets(&svc, &[Arc::new(with), Arc::new(other)]);
    // A headless Service without ports still gets its addresses, in one port-less subset.
    assert_eq!(subsets.len(), 1, "{subsets:#?}");
    assert!(subsets[0].ports.is_none());
    let addrs = subsets[0].addresses.as_ref().unwrap();
    assert_eq!(addrs[0].hostname.as_deref(), Some("host-a"));
    assert_eq!(addrs[1].hostname, None);
}

#[test]
fn repack_merges_ports_of_the_same_addresses() {
    let addr = |ip: &str| EndpointAddress {
        ip: ip.into(),
        ..EndpointAddress::default()
    };
    let port = |n: i32| EndpointPort {
        name: Some(format!("p{n}")),
        port: n,
        protocol: Some("TCP".into()),
        app_protocol: None,
    };
    let subsets = vec![
        EndpointSubset {
            addresses: Some(vec![addr("10.0.0.1")]),
            not_ready_addresses: None,
            ports: Some(vec![port(80)]),
        },
        EndpointSubset {
            addresses: Some(vec![addr("10.0.0.1")]),
            not_ready_addresses: None,
            ports: Some(vec![port(443)]),
        },
        // Ready for one port and not ready for the other: ready wins per port.
        EndpointSubset {
            addresses: None,
            not_ready_addresses: Some(vec![addr("10.0.0.1")]),
            ports: Some(vec![port(80)]),
        },
        EndpointSubset {
            addresses: Some(vec![addr("10.0.0.2")]),
            not_ready_addresses: None,
            ports: Some(vec![port(80)]),
        },
    ];
    let out = repack_subsets(subsets);
    // Port 80 is offered by both addresses, port 443 only by the first.
    assert_eq!(out.len(), 2, "{out:#?}");
    let ports =
        |s: &EndpointSubset| -> Vec<i32> { s.ports.iter().flatten().map(|p| p.port).collect() };
    assert_eq!(ips(&out[0].addresses), ["10.0.0.1", "10.0.0.2"]);
    assert_eq!(ports(&out[0]), [80]);
    assert!(out[0].not_ready_addresses.is_none());
    assert_eq!(ips(&out[1].addresses), ["10.0.0.1"]);
    assert_eq!(ports(&out[1]), [443]);
}

#[test]
fn truncation_keeps_ready_addresses_first_in_proportion() {
    let addrs = |prefix: u8, n: usize| {
        (0..n)
            .map(|i| EndpointAddress {
                ip: format!("10.{prefix}.{}.{}", i / 256, i % 256),
                ..EndpointAddress::default()
            })
            .collect::<Vec<_>>()
    };
    // 900 ready + 300 not ready: all ready kept, 100 not-ready spread 2:1.
    let mut subsets = vec![
        EndpointSubset {
            addresses: Some(addrs(1, 600)),
            not_ready_addresses: Some(addrs(2, 200)),
            ports: None,
        },
        EndpointSubset {
            addresses: Some(addrs(3, 300)),
            not_ready_addresses: Some(addrs(4, 100)),
            ports: None,
        },
    ];
    assert!(truncate(&mut subsets));
    assert_eq!(address_count(&subsets), MAX_CAPACITY);
    assert_eq!(subsets[0].not_ready_addresses.as_ref().unwrap().len(), 67);
    assert_eq!(subsets[1].not_ready_addresses.as_ref().unwrap().len(), 33);
    // More ready addresses than fit: not-ready ones all go.
    let mut subsets = vec![EndpointSubset {
        addresses: Some(addrs(1, 1200)),
        not_ready_addresses: Some(addrs(2, 5)),
        ports: None,
    }];
    assert!(truncate(&mut subsets));
    assert_eq!(subsets[0].addresses.as_ref().unwrap().len(), MAX_CAPACITY);
    assert!(subsets[0].not_ready_addresses.is_none());
    let mut small = vec![EndpointSubset {
        addresses: Some(addrs(1, 10)),
        not_ready_addresses: None,
        ports: None,
    }];
    assert!(!truncate(&mut small));
}

#[test]
fn trigger_time_is_the_earliest_unseen_change() {
    let svc = service(json!({
        "metadata": {"name": "web", "namespace": "ns", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"selector": {"app": "web"}},
    }));
    let with_ready_at = |name: &str, t: &str| {
        let mut p = Pod::clone(&pod(name, "10.42.0.2", true, json!([])));
        p.status.as_mut().unwrap().conditions.as_mut().unwrap()[0].last_transition_time = Some(
            k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(t.parse().unwrap()),
        );
        Arc::new(p)
    };
    let mut tt = TriggerTimes::default();
    let first = tt.compute(&svc, &[with_ready_at("a", "2026-01-01T00:00:05Z")]);
    assert_eq!(first.unwrap().to_string(), "2026-01-01T00:00:00Z");
    // Nothing new: no trigger time.
    assert_eq!(
        tt.compute(&svc, &[with_ready_at("a", "2026-01-01T00:00:05Z")]),
        None
    );
    let later = tt.compute(
        &svc,
        &[
            with_ready_at("a", "2026-01-01T00:00:09.5Z"),
            with_ready_at("b", "2026-01-01T00:00:07Z"),
        ],
    );
    assert_eq!(format_rfc3339_nano(later.unwrap()), "2026-01-01T00:00:07Z");
}
