//! networking.k8s.io/v1: Ingress, IngressClass, NetworkPolicy (`pkg/apis/networking/validation`).

use serde_json::Value;

use super::gorepr;
use super::json::{
    IntOrString, arr, child, get, has, int, int_or_string, opt_str, str_of, str_or, strings,
};
use super::meta::{SelectorOpts, immutable_str, validate_label_selector};
use super::names::{
    is_dns1035_label, is_dns1123_label, is_dns1123_subdomain, is_domain_prefixed_path,
    is_valid_cidr_legacy, is_valid_path_segment_name, is_valid_port_name, is_valid_port_num,
    is_wildcard_dns1123_subdomain, parse_cidr_sloppy, parse_ip_sloppy,
};
use super::{NameRule, kube_meta, meta_update};
use crate::api::field::{FieldError, Path};

// ---------------------------------------------------------------------------------------------
// Ingress

#[derive(Default)]
struct IngressOpts {
    allow_invalid_secret_name: bool,
    allow_invalid_wildcard_host_rule: bool,
}

fn invalid_each(msgs: Vec<String>, path: &Path, value: &str) -> Vec<FieldError> {
    msgs.into_iter()
        .map(|m| FieldError::invalid(path.clone(), value, m))
        .collect()
}

fn validate_typed_ref(r: &Value, path: &Path, scope_check: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(g) = opt_str(r, "apiGroup") {
        errs.extend(invalid_each(
            is_dns1123_subdomain(g),
            &path.child("apiGroup"),
            g,
        ));
    }
    for key in ["kind", "name"] {
        let v = str_of(r, key);
        if v.is_empty() {
            errs.push(FieldError::required(path.child(key), ""));
        } else {
            errs.extend(invalid_each(
                is_valid_path_segment_name(v),
                &path.child(key),
                v,
            ));
        }
    }
    if scope_check {
        let scope = str_or(r, "scope", "Cluster");
        if scope != "Cluster" && scope != "Namespace" {
            errs.push(FieldError::not_supported(
                path.child("scope"),
                scope,
                &["Cluster", "Namespace"],
            ));
        } else if scope == "Namespace" {
            match opt_str(r, "namespace") {
                None => errs.push(FieldError::required(
                    path.child("namespace"),
                    "`parameters.scope` is set to 'Namespace'",
                )),
                Some(ns) => errs.extend(invalid_each(
                    is_dns1123_label(ns),
                    &path.child("namespace"),
                    ns,
                )),
            }
        } else if has(r, "namespace") {
            errs.push(FieldError::forbidden(
                path.child("namespace"),
                "`parameters.scope` is set to 'Cluster'",
            ));
        }
    }
    errs
}

fn validate_backend(b: &Value, path: &Path) -> Vec<FieldError> {
    let (resource, service) = (get(b, "resource"), get(b, "service"));
    match (resource, service) {
        (Some(_), Some(_)) => vec![FieldError::invalid(
            path.clone(),
            "",
            "cannot set both resource and service backends",
        )],
        (Some(r), None) => validate_typed_ref(r, &path.child("resource"), false),
        (None, Some(s)) => {
            let mut errs = Vec::new();
            let sp = path.child("service");
            let name = str_of(s, "name");
            if name.is_empty() {
                errs.push(FieldError::required(sp.child("name"), ""));
            } else {
                errs.extend(invalid_each(
                    is_dns1035_label(name),
                    &sp.child("name"),
                    name,
                ));
            }
            let port = child(s, "port");
            let pname = str_of(port, "name");
            let pnum = int(port, "number").unwrap_or(0);
            match (!pname.is_empty(), pnum != 0) {
                (true, true) => errs.push(FieldError::invalid(
                    path.clone(),
                    "",
                    "cannot set both port name & port number",
                )),
                (true, false) => errs.extend(invalid_each(
                    is_valid_port_name(pname),
                    &sp.child("port").child("name"),
                    pname,
                )),
                (false, true) => {
                    for m in is_valid_port_num(pnum) {
                        errs.push(FieldError::invalid(
                            sp.child("port").child("number"),
                            pnum,
                            m,
                        ));
                    }
                }
                (false, false) => errs.push(FieldError::required(
                    path.clone(),
                    "port name or number is required",
                )),
            }
            errs
        }
        (None, None) => vec![FieldError::invalid(
            path.clone(),
            "",
            "resource or service backend is required",
        )],
    }
}

fn validate_http_path(p: &Value, path: &Path) -> Vec<FieldError> {
    let Some(pt) = opt_str(p, "pathType") else {
        return vec![FieldError::required(
            path.child("pathType"),
            "pathType must be specified",
        )];
    };
    let mut errs = Vec::new();
    let value = str_of(p, "path");
    let pp = path.child("path");
    match pt {
        "Exact" | "Prefix" => {
            if !value.starts_with('/') {
                errs.push(FieldError::invalid(
                    pp.clone(),
                    value,
                    "must be an absolute path",
                ));
            }
            if !value.is_empty() {
                for seq in ["//", "/./", "/../", "%2f", "%2F"] {
                    if value.contains(seq) {
                        errs.push(FieldError::invalid(
                            pp.clone(),
                            value,
                            format!("must not contain '{seq}'"),
                        ));
                    }
                }
                for suffix in ["/..", "/."] {
                    if value.ends_with(suffix) {
                        errs.push(FieldError::invalid(
                            pp.clone(),
                            value,
                            format!("cannot end with '{suffix}'"),
                        ));
                    }
                }
            }
        }
        "ImplementationSpecific" => {
            if !value.is_empty() && !value.starts_with('/') {
                errs.push(FieldError::invalid(pp, value, "must be an absolute path"));
            }
        }
        other => errs.push(FieldError::not_supported(
            path.child("pathType"),
            other,
            &["Exact", "ImplementationSpecific", "Prefix"],
        )),
    }
    errs.extend(validate_backend(
        child(p, "backend"),
        &path.child("backend"),
    ));
    errs
}

fn validate_rule_value(rule: &Value, path: &Path) -> Vec<FieldError> {
    let Some(http) = get(rule, "http") else {
        return Vec::new();
    };
    let hp = path.child("http");
    let paths = arr(http, "paths");
    let mut errs = Vec::new();
    if paths.is_empty() {
        errs.push(FieldError::required(hp.child("paths"), ""));
    }
    for (i, p) in paths.iter().enumerate() {
        errs.extend(validate_http_path(p, &hp.child("paths").index(i)));
    }
    errs
}

fn validate_ingress_spec(spec: &Value, path: &Path, opts: &IngressOpts) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let rules = arr(spec, "rules");
    if rules.is_empty() && !has(spec, "defaultBackend") {
        let repr = if get(spec, "rules").is_some() {
            "[]networking.IngressRule{}"
        } else {
            "[]networking.IngressRule(nil)"
        };
        errs.push(
            FieldError::invalid(
                path.clone(),
                Value::Null,
                "either `defaultBackend` or `rules` must be specified",
            )
            .with_value_repr(repr),
        );
    }
    if let Some(b) = get(spec, "defaultBackend") {
        errs.extend(validate_backend(b, &path.child("defaultBackend")));
    }
    let rp = path.child("rules");
    for (i, rule) in rules.iter().enumerate() {
        let host = str_of(rule, "host");
        let mut wildcard = false;
        if !host.is_empty() {
            let hp = rp.index(i).child("host");
            if parse_ip_sloppy(host).is_some() {
                errs.push(FieldError::invalid(
                    hp.clone(),
                    host,
                    "must be a DNS name, not an IP address",
                ));
            }
            if host.contains('*') {
                errs.extend(invalid_each(is_wildcard_dns1123_subdomain(host), &hp, host));
                wildcard = true;
            } else {
                errs.extend(invalid_each(is_dns1123_subdomain(host), &hp, host));
            }
        }
        if !wildcard || !opts.allow_invalid_wildcard_host_rule {
            errs.extend(validate_rule_value(rule, &rp.index(i)));
        }
    }
    let tp = path.child("tls");
    for (i, tls) in arr(spec, "tls").iter().enumerate() {
        for (j, host) in strings(tls, "hosts").into_iter().enumerate() {
            let hp = tp.index(i).child("hosts").index(j);
            if host.contains('*') {
                errs.extend(invalid_each(is_wildcard_dns1123_subdomain(host), &hp, host));
            } else {
                errs.extend(invalid_each(is_dns1123_subdomain(host), &hp, host));
            }
        }
        let secret = str_of(tls, "secretName");
        if !opts.allow_invalid_secret_name && !secret.is_empty() {
            errs.extend(invalid_each(
                is_dns1123_subdomain(secret),
                &tp.index(i).child("secretName"),
                secret,
            ));
        }
    }
    if let Some(c) = opt_str(spec, "ingressClassName") {
        errs.extend(invalid_each(
            is_dns1123_subdomain(c),
            &path.child("ingressClassName"),
            c,
        ));
    }
    errs
}

fn validate_ingress_with(ing: &Value, opts: &IngressOpts) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(ing, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_ingress_spec(
        child(ing, "spec"),
        &Path::new("spec"),
        opts,
    ));
    errs
}

pub fn validate_ingress(ing: &Value) -> Vec<FieldError> {
    let mut errs = validate_ingress_with(ing, &IngressOpts::default());
    let annotation = child(child(ing, "metadata"), "annotations")
        .get("kubernetes.io/ingress.class")
        .and_then(Value::as_str);
    if let (Some(a), Some(c)) = (annotation, opt_str(child(ing, "spec"), "ingressClassName"))
        && a != c
    {
        errs.push(FieldError::invalid(
            Path::new("annotations").child("kubernetes.io/ingress.class"),
            a,
            "must match `ingressClassName` when both are specified",
        ));
    }
    errs
}

pub fn validate_ingress_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let os = child(old, "spec");
    let opts = IngressOpts {
        allow_invalid_secret_name: arr(os, "tls").iter().any(|t| {
            let s = str_of(t, "secretName");
            !s.is_empty() && !is_dns1123_subdomain(s).is_empty()
        }),
        allow_invalid_wildcard_host_rule: arr(os, "rules").iter().any(|r| {
            str_of(r, "host").contains('*') && !validate_rule_value(r, &Path::root()).is_empty()
        }),
    };
    let mut errs = meta_update(new, old);
    errs.extend(validate_ingress_with(new, &opts));
    errs
}

pub fn validate_ingress_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    let old_ips: Vec<&str> = arr(child(child(old, "status"), "loadBalancer"), "ingress")
        .iter()
        .map(|i| str_of(i, "ip"))
        .collect();
    let p = Path::new("status").child("loadBalancer").child("ingress");
    for (i, ing) in arr(child(child(new, "status"), "loadBalancer"), "ingress")
        .iter()
        .enumerate()
    {
        let ip = str_of(ing, "ip");
        if !ip.is_empty() && !old_ips.contains(&ip) && parse_ip_sloppy(ip).is_none() {
            errs.push(FieldError::invalid(
                p.index(i).child("ip"),
                ip,
                "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            ));
        }
        let host = str_of(ing, "hostname");
        if !host.is_empty() {
            errs.extend(invalid_each(
                is_dns1123_subdomain(host),
                &p.index(i).child("hostname"),
                host,
            ));
            if parse_ip_sloppy(host).is_some() {
                errs.push(FieldError::invalid(
                    p.index(i).child("hostname"),
                    host,
                    "must be a DNS name, not an IP address",
                ));
            }
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// IngressClass

pub fn validate_ingress_class(ic: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(ic, "metadata"),
        false,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    let spec = child(ic, "spec");
    let sp = Path::new("spec");
    let controller = str_of(spec, "controller");
    if controller.is_empty() {
        errs.push(FieldError::required(sp.child("controller"), ""));
    } else {
        if controller.len() > 250 {
            errs.push(FieldError::too_long(sp.child("controller"), 250));
        }
        errs.extend(is_domain_prefixed_path(&sp.child("controller"), controller));
    }
    if let Some(params) = get(spec, "parameters") {
        errs.extend(validate_typed_ref(params, &sp.child("parameters"), true));
    }
    errs
}

pub fn validate_ingress_class_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(immutable_str(
        Path::new("spec").child("controller"),
        child(new, "spec"),
        child(old, "spec"),
        "controller",
    ));
    errs.extend(validate_ingress_class(new));
    errs
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicy

fn validate_np_port(port: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(proto) = opt_str(port, "protocol")
        && !["TCP", "UDP", "SCTP"].contains(&proto)
    {
        errs.push(FieldError::not_supported(
            path.child("protocol"),
            proto,
            &["TCP", "UDP", "SCTP"],
        ));
    }
    let end = int(port, "endPort");
    match int_or_string(port, "port") {
        Some(IntOrString::Int(n)) => {
            for m in is_valid_port_num(n) {
                errs.push(FieldError::invalid(path.child("port"), n, m));
            }
            if let Some(e) = end {
                if e < n {
                    errs.push(FieldError::invalid(
                        path.child("endPort"),
                        e,
                        "must be greater than or equal to `port`",
                    ));
                }
                for m in is_valid_port_num(e) {
                    errs.push(FieldError::invalid(path.child("endPort"), e, m));
                }
            }
        }
        Some(IntOrString::Str(s)) => {
            if let Some(e) = end {
                errs.push(FieldError::invalid(
                    path.child("endPort"),
                    e,
                    "may not be specified when `port` is non-numeric",
                ));
            }
            errs.extend(invalid_each(
                is_valid_port_name(&s),
                &path.child("port"),
                &s,
            ));
        }
        None => {
            if let Some(e) = end {
                errs.push(FieldError::invalid(
                    path.child("endPort"),
                    e,
                    "may not be specified when `port` is not specified",
                ));
            }
        }
    }
    errs
}

fn validate_ip_block(b: &Value, path: &Path, old_cidrs: &[String]) -> Vec<FieldError> {
    let cidr = str_of(b, "cidr");
    if cidr.is_empty() {
        return vec![FieldError::required(path.child("cidr"), "")];
    }
    let allowed = |c: &str| old_cidrs.iter().any(|o| o == c);
    let mut errs = Vec::new();
    if !allowed(cidr) {
        errs.extend(is_valid_cidr_legacy(&path.child("cidr"), cidr));
    }
    let Some(outer) = parse_cidr_sloppy(cidr) else {
        return errs;
    };
    for (i, except) in strings(b, "except").into_iter().enumerate() {
        let ep = path.child("except").index(i);
        if !allowed(except) {
            errs.extend(is_valid_cidr_legacy(&ep, except));
        }
        let Some(inner) = parse_cidr_sloppy(except) else {
            continue;
        };
        if !outer.strictly_contains(&inner) {
            errs.push(FieldError::invalid(
                ep,
                except,
                "must be a strict subset of `cidr`",
            ));
        }
    }
    errs
}

fn validate_np_peer(peer: &Value, path: &Path, old_cidrs: &[String]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut count = 0;
    for key in ["podSelector", "namespaceSelector"] {
        if let Some(sel) = get(peer, key) {
            count += 1;
            errs.extend(validate_label_selector(
                Some(sel),
                SelectorOpts::default(),
                &path.child(key),
            ));
        }
    }
    if let Some(b) = get(peer, "ipBlock") {
        count += 1;
        errs.extend(validate_ip_block(b, &path.child("ipBlock"), old_cidrs));
    }
    if count == 0 {
        errs.push(FieldError::required(path.clone(), "must specify a peer"));
    } else if count > 1 && has(peer, "ipBlock") {
        errs.push(FieldError::forbidden(
            path.clone(),
            "may not specify both ipBlock and another peer",
        ));
    }
    errs
}

fn validate_np_spec(spec: &Value, path: &Path, old_cidrs: &[String]) -> Vec<FieldError> {
    let mut errs = validate_label_selector(
        Some(child(spec, "podSelector")),
        SelectorOpts::default(),
        &path.child("podSelector"),
    );
    for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
        for (i, rule) in arr(spec, dir).iter().enumerate() {
            let rp = path.child(dir).index(i);
            for (j, port) in arr(rule, "ports").iter().enumerate() {
                errs.extend(validate_np_port(port, &rp.child("ports").index(j)));
            }
            for (j, peer) in arr(rule, peers).iter().enumerate() {
                errs.extend(validate_np_peer(peer, &rp.child(peers).index(j), old_cidrs));
            }
        }
    }
    let types = strings(spec, "policyTypes");
    if types.len() > 2 {
        errs.push(
            FieldError::invalid(
                path.child("policyTypes"),
                child(spec, "policyTypes").clone(),
                "may not specify more than two policyTypes",
            )
            .with_value_repr(gorepr::strs("networking.PolicyType", &types)),
        );
        return errs;
    }
    for (i, t) in types.iter().enumerate() {
        if *t != "Ingress" && *t != "Egress" {
            errs.push(FieldError::not_supported(
                path.child("policyTypes").index(i),
                *t,
                &["Ingress", "Egress"],
            ));
        }
    }
    errs
}

pub fn validate_network_policy(np: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(np, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_np_spec(child(np, "spec"), &Path::new("spec"), &[]));
    errs
}

pub fn validate_network_policy_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let os = child(old, "spec");
    let mut old_cidrs: Vec<String> = Vec::new();
    for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
        for rule in arr(os, dir) {
            for peer in arr(rule, peers) {
                if let Some(b) = get(peer, "ipBlock") {
                    old_cidrs.push(str_of(b, "cidr").to_owned());
                    old_cidrs.extend(strings(b, "except").into_iter().map(str::to_owned));
                }
            }
        }
    }
    let mut errs = meta_update(new, old);
    errs.extend(validate_np_spec(
        child(new, "spec"),
        &Path::new("spec"),
        &old_cidrs,
    ));
    errs
}

/// DNS-1123 label check for namespaces referenced from other objects.
pub fn namespace_name_errors(ns: &str, path: &Path) -> Vec<FieldError> {
    invalid_each(is_dns1123_label(ns), path, ns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.to_string()).collect()
    }

    fn ingress(spec: Value) -> Value {
        json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec})
    }

    fn backend(name: &str, port: Value) -> Value {
        json!({"service": {"name": name, "port": port}})
    }

    #[test]
    fn ingresses() {
        let ok = ingress(
            json!({"ingressClassName": "traefik", "rules": [{"host": "example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": backend("web", json!({"number": 80}))},
            {"path": "/api", "pathType": "Exact", "backend": backend("api", json!({"name": "http"}))}
        ]}}], "tls": [{"hosts": ["*.example.com"], "secretName": "tls"}]}),
        );
        assert!(validate_ingress(&ok).is_empty());
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                json!({}),
                vec![
                    "spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified",
                ],
            ),
            (
                json!({"rules": [{"http": {"paths": [{"path": "/", "backend": backend("web", json!({"number": 80}))}]}}]}),
                vec![
                    "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified",
                ],
            ),
            (
                json!({"rules": [{"http": {"paths": [{"path": "api", "pathType": "Prefix", "backend": backend("web", json!({"number": 80}))}]}}]}),
                vec![
                    "spec.rules[0].http.paths[0].path: Invalid value: \"api\": must be an absolute path",
                ],
            ),
            (
                json!({"rules": [{"http": {"paths": [{"path": "/", "pathType": "Regex", "backend": backend("web", json!({"number": 80}))}]}}]}),
                vec![
                    "spec.rules[0].http.paths[0].pathType: Unsupported value: \"Regex\": supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\"",
                ],
            ),
            (
                json!({"defaultBackend": backend("web", json!({}))}),
                vec!["spec.defaultBackend: Required value: port name or number is required"],
            ),
            (
                json!({"defaultBackend": backend("web", json!({"name": "http", "number": 80}))}),
                vec![
                    "spec.defaultBackend: Invalid value: \"\": cannot set both port name & port number",
                ],
            ),
            (
                json!({"defaultBackend": {}}),
                vec![
                    "spec.defaultBackend: Invalid value: \"\": resource or service backend is required",
                ],
            ),
            (
                json!({"rules": [{"host": "1.2.3.4"}]}),
                vec![
                    "spec.rules[0].host: Invalid value: \"1.2.3.4\": must be a DNS name, not an IP address",
                ],
            ),
            (
                json!({"rules": [{"http": {"paths": []}}]}),
                vec!["spec.rules[0].http.paths: Required value"],
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(
                msgs(validate_ingress(&ingress(spec.clone()))),
                want,
                "{spec}"
            );
        }
        let mut both = ingress(
            json!({"ingressClassName": "a", "defaultBackend": backend("web", json!({"number": 80}))}),
        );
        both["metadata"]["annotations"] = json!({"kubernetes.io/ingress.class": "b"});
        assert_eq!(
            msgs(validate_ingress(&both)),
            vec![
                "annotations.kubernetes.io/ingress.class: Invalid value: \"b\": must match `ingressClassName` when both are specified"
            ]
        );
    }

    #[test]
    fn ingress_classes() {
        let ic = |spec: Value| json!({"metadata": {"name": "traefik"}, "spec": spec});
        assert!(
            validate_ingress_class(&ic(json!({"controller": "traefik.io/ingress-controller"})))
                .is_empty()
        );
        assert_eq!(
            msgs(validate_ingress_class(&ic(json!({})))),
            vec!["spec.controller: Required value"]
        );
        assert_eq!(
            msgs(validate_ingress_class(&ic(
                json!({"controller": "example.com/x", "parameters": {"kind": "Cfg", "name": "c", "scope": "Namespace"}})
            ))),
            vec![
                "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"
            ]
        );
    }

    #[test]
    fn network_policies() {
        let np = |spec: Value| json!({"metadata": {"name": "deny", "namespace": "default"}, "spec": spec});
        assert!(
            validate_network_policy(&np(json!({"podSelector": {}, "policyTypes": ["Ingress"]})))
                .is_empty()
        );
        assert!(validate_network_policy(&np(json!({"podSelector": {"matchLabels": {"app": "db"}},
            "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}, {"namespaceSelector": {}, "podSelector": {}}],
                         "ports": [{"port": 5432}, {"port": 8000, "endPort": 9000}, {"port": "http"}]}]}))).is_empty());
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                json!({"ingress": [{"from": [{}]}]}),
                vec!["spec.ingress[0].from[0]: Required value: must specify a peer"],
            ),
            (
                json!({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}]}]}),
                vec![
                    "spec.egress[0].to[0]: Forbidden: may not specify both ipBlock and another peer",
                ],
            ),
            (
                json!({"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/8"]}}]}]}),
                vec![
                    "spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`",
                ],
            ),
            (
                json!({"ingress": [{"ports": [{"port": 90, "endPort": 80}]}]}),
                vec![
                    "spec.ingress[0].ports[0].endPort: Invalid value: 80: must be greater than or equal to `port`",
                ],
            ),
            (
                json!({"ingress": [{"ports": [{"protocol": "ICMP"}]}]}),
                vec![
                    "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\"",
                ],
            ),
            (
                json!({"policyTypes": ["Both"]}),
                vec![
                    "spec.policyTypes[0]: Unsupported value: \"Both\": supported values: \"Ingress\", \"Egress\"",
                ],
            ),
            (
                json!({"policyTypes": ["Ingress", "Egress", "Ingress"]}),
                vec![
                    "spec.policyTypes: Invalid value: []networking.PolicyType{\"Ingress\", \"Egress\", \"Ingress\"}: may not specify more than two policyTypes",
                ],
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(
                msgs(validate_network_policy(&np(spec.clone()))),
                want,
                "{spec}"
            );
        }
    }
}
