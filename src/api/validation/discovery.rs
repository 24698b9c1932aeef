//! discovery.k8s.io/v1 EndpointSlice (`pkg/apis/discovery/validation`).

use serde_json::Value;

use super::core::validate_non_special_ip;
use super::json::{arr, child, opt_str, str_of, strings};
use super::meta::{IMMUTABLE, validate_labels};
use super::names::{
    is_fully_qualified_domain_name, is_qualified_name, is_valid_ipv4, is_valid_ipv6,
};
use super::pod::{dns1123_label, validate_protocol};
use super::{NameRule, kube_meta, meta_update};
use crate::api::field::{FieldError, Path};

const MAX_ENDPOINTS: usize = 1000;
const MAX_ADDRESSES: usize = 100;
const MAX_PORTS: usize = 100;
const MAX_TOPOLOGY_LABELS: usize = 16;

fn validate_endpoints(slice: &Value, addr_type: &str) -> Vec<FieldError> {
    let endpoints = arr(slice, "endpoints");
    let p = Path::new("endpoints");
    if endpoints.len() > MAX_ENDPOINTS {
        return vec![FieldError::too_many(p, endpoints.len(), MAX_ENDPOINTS)];
    }
    let mut errs = Vec::new();
    for (i, ep) in endpoints.iter().enumerate() {
        let ip = p.index(i);
        let ap = ip.child("addresses");
        let addresses = strings(ep, "addresses");
        if addresses.is_empty() {
            errs.push(FieldError::required(
                ap.clone(),
                "must contain at least 1 address",
            ));
        } else if addresses.len() > MAX_ADDRESSES {
            errs.push(FieldError::too_many(
                ap.clone(),
                addresses.len(),
                MAX_ADDRESSES,
            ));
        }
        for (j, a) in addresses.iter().enumerate() {
            let aj = ap.index(j);
            match addr_type {
                "IPv4" => {
                    errs.extend(is_valid_ipv4(&aj, a));
                    errs.extend(validate_non_special_ip(a, &aj));
                }
                "IPv6" => {
                    errs.extend(is_valid_ipv6(&aj, a));
                    errs.extend(validate_non_special_ip(a, &aj));
                }
                "FQDN" => errs.extend(is_fully_qualified_domain_name(&aj, a)),
                _ => {}
            }
        }
        let topo = child(ep, "deprecatedTopology");
        let tp = ip.child("deprecatedTopology");
        if let Some(m) = topo.as_object().filter(|m| m.len() > MAX_TOPOLOGY_LABELS) {
            errs.push(FieldError::too_many(
                tp.clone(),
                m.len(),
                MAX_TOPOLOGY_LABELS,
            ));
        }
        errs.extend(validate_labels(ep, "deprecatedTopology", &tp));
        if let Some(h) = opt_str(ep, "hostname") {
            errs.extend(dns1123_label(h, &ip.child("hostname")));
        }
    }
    errs
}

fn validate_ports(slice: &Value) -> Vec<FieldError> {
    let ports = arr(slice, "ports");
    let p = Path::new("ports");
    if ports.len() > MAX_PORTS {
        return vec![FieldError::too_many(p, ports.len(), MAX_PORTS)];
    }
    let mut errs = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let pp = p.index(i);
        let name = str_of(port, "name");
        if !name.is_empty() {
            errs.extend(dns1123_label(name, &pp.child("name")));
        }
        if names.contains(&name) {
            errs.push(FieldError::duplicate(pp.child("name"), name));
        } else {
            names.push(name);
        }
        errs.extend(validate_protocol(port, &pp));
        if let Some(ap) = opt_str(port, "appProtocol") {
            for m in is_qualified_name(ap) {
                errs.push(FieldError::invalid(pp.child("appProtocol"), ap, m));
            }
        }
    }
    errs
}

fn validate(slice: &Value, allowed: &[&str]) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(slice, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    let addr_type = str_of(slice, "addressType");
    if addr_type.is_empty() {
        errs.push(FieldError::required(Path::new("addressType"), ""));
    } else if !allowed.contains(&addr_type) {
        errs.push(FieldError::not_supported(
            Path::new("addressType"),
            addr_type,
            allowed,
        ));
    }
    errs.extend(validate_endpoints(slice, addr_type));
    errs.extend(validate_ports(slice));
    errs
}

pub fn validate_endpoint_slice(slice: &Value) -> Vec<FieldError> {
    validate(slice, &["FQDN", "IPv4", "IPv6"])
}

pub fn validate_endpoint_slice_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate(new, &["FQDN", "IP", "IPv4", "IPv6"]));
    let (n, o) = (str_of(new, "addressType"), str_of(old, "addressType"));
    if n != o {
        errs.push(FieldError::invalid(Path::new("addressType"), n, IMMUTABLE));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn endpoint_slices() {
        let es = |body: Value| {
            let mut v = json!({"metadata": {"name": "web-abc", "namespace": "default"}});
            if let (Some(m), Some(b)) = (v.as_object_mut(), body.as_object()) {
                m.extend(b.clone());
            }
            v
        };
        assert!(validate_endpoint_slice(&es(json!({"addressType": "IPv4", "endpoints": [{"addresses": ["10.42.0.5"]}], "ports": [{"name": "http", "port": 80}]}))).is_empty());
        assert_eq!(
            msgs(validate_endpoint_slice(&es(json!({"addressType": "IP"})))),
            vec![
                "addressType: Unsupported value: \"IP\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""
            ]
        );
        assert_eq!(
            msgs(validate_endpoint_slice(&es(
                json!({"addressType": "IPv4", "endpoints": [{"addresses": ["127.0.0.1"]}, {"addresses": []}]})
            ))),
            vec![
                "endpoints[0].addresses[0]: Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)",
                "endpoints[1].addresses: Required value: must contain at least 1 address",
            ]
        );
        assert_eq!(
            msgs(validate_endpoint_slice(&es(
                json!({"addressType": "IPv4", "ports": [{"name": "a"}, {"name": "a"}]})
            ))),
            vec!["ports[1].name: Duplicate value: \"a\""]
        );
    }
}
