//! Printers for `networking.k8s.io` and `discovery.k8s.io`.

use jiff::Timestamp;
use serde_json::Value;

use super::core::load_balancer_ingress;
use super::docs as d;
use super::labels::format_label_selector;
use super::{
    AGE, Column, NAME, age, arr_at, col, get, list_with_more, name, opt_int, opt_str, str_at,
};

pub(super) const INGRESS: &[Column] = &[
    NAME,
    col(
        "Class",
        "string",
        "The name of the IngressClass resource that should be used for additional configuration",
    ),
    col(
        "Hosts",
        "string",
        "Hosts that incoming requests are matched against before the ingress rule",
    ),
    col(
        "Address",
        "string",
        "Address is a list containing ingress points for the load-balancer",
    ),
    col("Ports", "string", "Ports of TLS configurations that open"),
    AGE,
];

/// Upstream's `formatHosts`: up to three hosts, `*` when no rule names one.
fn format_hosts(rules: &[Value]) -> String {
    const MAX: usize = 3;
    let mut list: Vec<&str> = Vec::new();
    let mut more = false;
    for rule in rules {
        if list.len() == MAX {
            more = true;
        }
        let host = str_at(rule, &["host"]);
        if !more && !host.is_empty() {
            list.push(host);
        }
    }
    if list.is_empty() {
        return "*".to_owned();
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", rules.len() - MAX)
    } else {
        ret
    }
}

pub(super) fn ingress(obj: &Value, now: Timestamp) -> Vec<Value> {
    let ports = if arr_at(obj, &["spec", "tls"]).is_empty() {
        "80"
    } else {
        "80, 443"
    };
    vec![
        Value::from(name(obj)),
        Value::from(opt_str(obj, &["spec", "ingressClassName"]).unwrap_or("<none>")),
        Value::from(format_hosts(arr_at(obj, &["spec", "rules"]))),
        Value::from(load_balancer_ingress(obj)),
        Value::from(ports),
        age(obj, now),
    ]
}

pub(super) const INGRESS_CLASS: &[Column] = &[
    NAME,
    col(
        "Controller",
        "string",
        "Controller that is responsible for handling this class",
    ),
    col(
        "Parameters",
        "string",
        "A reference to a resource with additional parameters",
    ),
    AGE,
];

pub(super) fn ingress_class(obj: &Value, now: Timestamp) -> Vec<Value> {
    let parameters = match get(obj, &["spec", "parameters"]) {
        None => "<none>".to_owned(),
        Some(p) => {
            let mut s = str_at(p, &["kind"]).to_owned();
            if let Some(group) = opt_str(p, &["apiGroup"]) {
                s = format!("{s}.{group}");
            }
            format!("{s}/{}", str_at(p, &["name"]))
        }
    };
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["spec", "controller"])),
        Value::from(parameters),
        age(obj, now),
    ]
}

pub(super) const NETWORK_POLICY: &[Column] = &[
    NAME,
    col("Pod-Selector", "string", d::NETPOL_SPEC_POD_SELECTOR),
    AGE,
];

pub(super) fn network_policy(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(format_label_selector(get(obj, &["spec", "podSelector"]))),
        age(obj, now),
    ]
}

pub(super) const SERVICE_CIDR: &[Column] =
    &[NAME, col("CIDRs", "string", d::SERVICE_CIDR_CIDRS), AGE];

pub(super) fn service_cidr(obj: &Value, now: Timestamp) -> Vec<Value> {
    let cidrs: Vec<&str> = arr_at(obj, &["spec", "cidrs"])
        .iter()
        .map(|c| c.as_str().unwrap_or(""))
        .collect();
    vec![
        Value::from(name(obj)),
        Value::from(cidrs.join(",")),
        age(obj, now),
    ]
}

/// Upstream defines two columns for IPAddress but prints the age as a third cell; we send the
/// same row.
pub(super) const IP_ADDRESS: &[Column] =
    &[NAME, col("ParentRef", "string", d::IPADDRESS_PARENT_REF)];

pub(super) fn ip_address(obj: &Value, now: Timestamp) -> Vec<Value> {
    let parent = match get(obj, &["spec", "parentRef"]) {
        None => "<none>".to_owned(),
        Some(p) => {
            let group = str_at(p, &["group"]);
            let resource = str_at(p, &["resource"]);
            let group_resource = if group.is_empty() {
                resource.to_owned()
            } else {
                format!("{resource}.{group}")
            };
            let mut s = group_resource.to_lowercase();
            let namespace = str_at(p, &["namespace"]);
            if !namespace.is_empty() {
                s = format!("{s}/{namespace}");
            }
            format!("{s}/{}", str_at(p, &["name"]))
        }
    };
    vec![Value::from(name(obj)), Value::from(parent), age(obj, now)]
}

pub(super) const ENDPOINT_SLICE: &[Column] = &[
    NAME,
    col("AddressType", "string", d::EPS_ADDRESS_TYPE),
    col("Ports", "string", d::EPS_PORTS),
    col("Endpoints", "string", d::EPS_ENDPOINTS),
    AGE,
];

/// Upstream's `formatDiscoveryPorts`.
fn format_discovery_ports(ports: &[Value]) -> String {
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    for port in ports {
        if list.len() < MAX {
            let text = match (opt_int(port, &["port"]), opt_str(port, &["name"])) {
                (Some(n), _) => n.to_string(),
                (None, Some(name)) => name.to_owned(),
                (None, None) => "*".to_owned(),
            };
            list.push(text);
        } else if list.len() == MAX {
            more = true;
        }
    }
    list_with_more(&list, more, ports.len(), MAX)
}

/// Upstream's `formatDiscoveryEndpoints`: up to three addresses over all endpoints.
fn format_discovery_endpoints(endpoints: &[Value]) -> String {
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for endpoint in endpoints {
        for address in arr_at(endpoint, &["addresses"]) {
            if list.len() < MAX {
                list.push(address.as_str().unwrap_or("").to_owned());
            } else if list.len() == MAX {
                more = true;
            }
            count += 1;
        }
    }
    list_with_more(&list, more, count, MAX)
}

pub(super) fn endpoint_slice(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["addressType"])),
        Value::from(format_discovery_ports(arr_at(obj, &["ports"]))),
        Value::from(format_discovery_endpoints(arr_at(obj, &["endpoints"]))),
        age(obj, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use serde_json::json;

    #[test]
    fn ingress() {
        assert_eq!(
            headers("networking.k8s.io", "Ingress"),
            ["Name", "Class", "Hosts", "Address", "Ports", "Age"]
        );
        let obj = json!({
            "metadata": {"name": "web", "creationTimestamp": ago(120)},
            "spec": {
                "ingressClassName": "traefik",
                "tls": [{"hosts": ["a.example.com"], "secretName": "tls"}],
                "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}]
            },
            "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}, {"hostname": "lb.example.com"}, {"ip": "10.0.0.10"}]}}
        });
        assert_eq!(
            row("networking.k8s.io", "Ingress", &obj),
            [
                "web",
                "traefik",
                "a.example.com,b.example.com",
                "10.0.0.10,10.0.0.9,lb.example.com",
                "80, 443",
                "2m"
            ]
        );
        let bare = json!({"metadata": {"name": "catch-all"}, "spec": {"defaultBackend": {}, "rules": [{"http": {}}]}});
        assert_eq!(
            row("networking.k8s.io", "Ingress", &bare),
            ["catch-all", "<none>", "*", "", "80", "<unknown>"]
        );
        let many = json!({"spec": {"rules": [{"host": "a"}, {}, {"host": "b"}, {"host": "c"}, {"host": "d"}, {"host": "e"}]}});
        assert_eq!(
            row("networking.k8s.io", "Ingress", &many)[2],
            "a,b,c + 3 more..."
        );
    }

    #[test]
    fn ingress_class_and_network_policy() {
        let obj = json!({
            "metadata": {"name": "nginx", "creationTimestamp": ago(60)},
            "spec": {"controller": "k8s.io/ingress-nginx", "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "external-lb"}}
        });
        assert_eq!(
            row("networking.k8s.io", "IngressClass", &obj),
            [
                "nginx",
                "k8s.io/ingress-nginx",
                "IngressParameters.k8s.example.com/external-lb",
                "60s"
            ]
        );
        let core_params = json!({"spec": {"controller": "c", "parameters": {"kind": "ConfigMap", "name": "cfg"}}});
        assert_eq!(
            row("networking.k8s.io", "IngressClass", &core_params)[2],
            "ConfigMap/cfg"
        );
        assert_eq!(
            row("networking.k8s.io", "IngressClass", &json!({}))[2],
            "<none>"
        );

        let np = json!({"metadata": {"name": "deny"}, "spec": {"podSelector": {"matchLabels": {"role": "db"}}}});
        assert_eq!(
            row("networking.k8s.io", "NetworkPolicy", &np),
            ["deny", "role=db", "<unknown>"]
        );
        let all = json!({"metadata": {"name": "all"}, "spec": {"podSelector": {}}});
        assert_eq!(row("networking.k8s.io", "NetworkPolicy", &all)[1], "<none>");
    }

    #[test]
    fn service_cidr_and_ip_address() {
        let cidr = json!({"metadata": {"name": "kubernetes"}, "spec": {"cidrs": ["10.43.0.0/16", "fd00::/108"]}});
        assert_eq!(
            row("networking.k8s.io", "ServiceCIDR", &cidr),
            ["kubernetes", "10.43.0.0/16,fd00::/108", "<unknown>"]
        );
        let ip = json!({"metadata": {"name": "10.43.0.1", "creationTimestamp": ago(10)}, "spec": {"parentRef": {"group": "", "resource": "services", "namespace": "default", "name": "kubernetes"}}});
        let cells = super::super::cells("networking.k8s.io", "IPAddress", &ip, now());
        assert_eq!(
            render(&cells),
            ["10.43.0.1", "services/default/kubernetes", "10s"]
        );
        let gw = json!({"spec": {"parentRef": {"group": "Gateway.Networking.k8s.io", "resource": "Gateways", "name": "gw"}}});
        assert_eq!(
            render(&super::super::cells(
                "networking.k8s.io",
                "IPAddress",
                &gw,
                now()
            ))[1],
            "gateways.gateway.networking.k8s.io/gw"
        );
    }

    #[test]
    fn endpoint_slice() {
        assert_eq!(
            headers("discovery.k8s.io", "EndpointSlice"),
            ["Name", "AddressType", "Ports", "Endpoints", "Age"]
        );
        let obj = json!({
            "metadata": {"name": "web-abc12", "creationTimestamp": ago(3)},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "metrics"}, {}, {"port": 9000}],
            "endpoints": [{"addresses": ["10.42.0.5"]}, {"addresses": ["10.42.0.6", "10.42.0.7", "10.42.0.8"]}]
        });
        assert_eq!(
            row("discovery.k8s.io", "EndpointSlice", &obj),
            [
                "web-abc12",
                "IPv4",
                "80,metrics,* + 1 more...",
                "10.42.0.5,10.42.0.6,10.42.0.7 + 1 more...",
                "3s"
            ]
        );
        let empty = json!({"metadata": {"name": "e"}, "addressType": "IPv6", "endpoints": []});
        assert_eq!(
            row("discovery.k8s.io", "EndpointSlice", &empty),
            ["e", "IPv6", "<unset>", "<unset>", "<unknown>"]
        );
    }
}
