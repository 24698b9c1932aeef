//! Services (`ValidateService`, `ValidateServiceUpdate`).
//!
//! Cluster IPs, IP families and node ports are assigned by the registry before upstream validates;
//! absent ones are taken as not yet allocated. On update, values the client left out are carried
//! over from the stored object first, as upstream's registry does.

use serde_json::Value;

use super::core::validate_non_special_ip;
use super::gorepr;
use super::json::{
    IntOrString, arr, child, get, has, int, int_of, int_or_string, opt_str, str_of, str_or, strings,
};
use super::meta::{IMMUTABLE, validate_labels, validate_qualified_name};
use super::names::{is_valid_cidr, is_valid_ip, is_valid_port_num, parse_ip_sloppy};
use super::pod::{dns1123_label, dns1123_subdomain, validate_port_num_or_name, validate_protocol};
use super::{NameRule, kube_meta, meta_update};
use crate::api::field::{FieldError, Path};

const MAX_AFFINITY_SECONDS: i64 = 86400;

/// The service as validation sees it: `clusterIPs` filled from `clusterIP` when only the latter
/// is given (upstream's strategy does this before validating).
fn effective_cluster_ips(spec: &Value) -> Vec<String> {
    let ips: Vec<String> = strings(spec, "clusterIPs")
        .into_iter()
        .map(str::to_owned)
        .collect();
    let ip = str_of(spec, "clusterIP");
    if ips.is_empty() && !ip.is_empty() {
        vec![ip.to_owned()]
    } else {
        ips
    }
}

fn svc_type(spec: &Value) -> &str {
    str_or(spec, "type", "ClusterIP")
}

fn is_headless(ips: &[String]) -> bool {
    ips.len() == 1 && ips[0] == "None"
}

pub fn validate_service_create(svc: &Value) -> Vec<FieldError> {
    validate_service(svc)
}

fn validate_service(svc: &Value) -> Vec<FieldError> {
    let meta = child(svc, "metadata");
    let mut errs = kube_meta(meta, true, NameRule::Dns1035Label, &Path::new("metadata"));
    let annotations = child(meta, "annotations");
    let hints = annotations
        .get("service.kubernetes.io/topology-aware-hints")
        .and_then(Value::as_str);
    let mode = annotations
        .get("service.kubernetes.io/topology-mode")
        .and_then(Value::as_str);
    if let (Some(h), Some(m)) = (hints, mode)
        && h != m
    {
        errs.push(FieldError::invalid(
                Path::new("metadata").child("annotations").key("service.kubernetes.io/topology-mode"),
                m,
                "must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified",
            ));
    }
    let spec = child(svc, "spec");
    let sp = Path::new("spec");
    let ips = effective_cluster_ips(spec);
    let headless = is_headless(&ips);
    let ty = svc_type(spec);
    let ports = arr(spec, "ports");
    if ports.is_empty() && !headless && ty != "ExternalName" {
        errs.push(FieldError::required(sp.child("ports"), ""));
    }
    match ty {
        "LoadBalancer" | "NodePort" if headless => errs.push(FieldError::invalid(
            sp.child("clusterIPs").index(0),
            "None",
            format!("may not be set to 'None' for {ty} services"),
        )),
        "ExternalName" => {
            if !ips.is_empty() {
                errs.push(FieldError::forbidden(
                    sp.child("clusterIPs"),
                    "may not be set for ExternalName services",
                ));
            }
            if !arr(spec, "ipFamilies").is_empty() {
                errs.push(FieldError::forbidden(
                    sp.child("ipFamilies"),
                    "may not be set for ExternalName services",
                ));
            }
            if has(spec, "ipFamilyPolicy") {
                errs.push(FieldError::forbidden(
                    sp.child("ipFamilyPolicy"),
                    "may not be set for ExternalName services",
                ));
            }
            let name = str_of(spec, "externalName");
            let cname = name.strip_suffix('.').unwrap_or(name);
            if cname.is_empty() {
                errs.push(FieldError::required(sp.child("externalName"), ""));
            } else {
                errs.extend(dns1123_subdomain(cname, &sp.child("externalName")));
            }
        }
        _ => {}
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        errs.extend(validate_service_port(
            port,
            ports.len() > 1,
            &mut names,
            &sp.child("ports").index(i),
        ));
    }
    if has(spec, "selector") {
        errs.extend(validate_labels(spec, "selector", &sp.child("selector")));
    }
    let affinity = str_or(spec, "sessionAffinity", "None");
    if affinity != "ClientIP" && affinity != "None" {
        errs.push(FieldError::not_supported(
            sp.child("sessionAffinity"),
            affinity,
            &["ClientIP", "None"],
        ));
    }
    let cfg_path = sp.child("sessionAffinityConfig");
    if affinity == "ClientIP" {
        let timeout = get(spec, "sessionAffinityConfig")
            .and_then(|c| get(c, "clientIP"))
            .and_then(|c| int(c, "timeoutSeconds"))
            .unwrap_or(10800);
        if timeout <= 0 || timeout > MAX_AFFINITY_SECONDS {
            errs.push(FieldError::invalid(
                cfg_path.child("clientIP").child("timeoutSeconds"),
                timeout,
                format!("must be greater than 0 and less than {MAX_AFFINITY_SECONDS}"),
            ));
        }
    } else if affinity == "None" && has(spec, "sessionAffinityConfig") {
        errs.push(FieldError::forbidden(
            cfg_path,
            "must not be set when session affinity is None",
        ));
    }
    errs.extend(validate_cluster_ips_related(spec, &ips));
    for (i, ip) in strings(spec, "externalIPs").into_iter().enumerate() {
        let p = sp.child("externalIPs").index(i);
        let ip_errs = is_valid_ip(&p, ip);
        if ip_errs.is_empty() {
            errs.extend(validate_non_special_ip(ip, &p));
        } else {
            errs.extend(ip_errs);
        }
    }
    const TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    if !TYPES.contains(&ty) {
        errs.push(FieldError::not_supported(sp.child("type"), ty, TYPES));
    }
    if ty == "ClusterIP" {
        for (i, port) in ports.iter().enumerate() {
            if int_of(port, "nodePort") != 0 {
                errs.push(FieldError::forbidden(
                    sp.child("ports").index(i).child("nodePort"),
                    "may not be used when `type` is 'ClusterIP'",
                ));
            }
        }
    }
    let mut node_ports: Vec<(&str, i64)> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let np = int_of(port, "nodePort");
        if np == 0 {
            continue;
        }
        let key = (str_or(port, "protocol", "TCP"), np);
        if node_ports.contains(&key) {
            errs.push(FieldError::duplicate(
                sp.child("ports").index(i).child("nodePort"),
                np,
            ));
        }
        node_ports.push(key);
    }
    let mut seen: Vec<(&str, i64)> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let proto = str_or(port, "protocol", "TCP");
        let key = (proto, int_of(port, "port"));
        if seen.contains(&key) {
            errs.push(
                FieldError::duplicate(sp.child("ports").index(i), port.clone()).with_value_repr(format!(
                    "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
                    gorepr::quote(proto),
                    key.1
                )),
            );
        }
        seen.push(key);
    }
    let ranges = strings(spec, "loadBalancerSourceRanges");
    if !ranges.is_empty() {
        let p = sp.child("LoadBalancerSourceRanges");
        if ty != "LoadBalancer" {
            errs.push(FieldError::forbidden(
                p.clone(),
                "may only be used when `type` is 'LoadBalancer'",
            ));
        }
        for (i, r) in ranges.iter().enumerate() {
            errs.extend(is_valid_cidr(&p.index(i), r.trim()));
        }
    } else if let Some(val) = child(meta, "annotations")
        .get("service.beta.kubernetes.io/load-balancer-source-ranges")
        .and_then(Value::as_str)
    {
        let p = Path::new("metadata")
            .child("annotations")
            .key("service.beta.kubernetes.io/load-balancer-source-ranges");
        if ty != "LoadBalancer" {
            errs.push(FieldError::forbidden(
                p.clone(),
                "may only be used when `type` is 'LoadBalancer'",
            ));
        }
        let val = val.trim();
        if !val.is_empty() {
            for r in val.split(',') {
                errs.extend(is_valid_cidr(&p, r.trim()));
            }
        }
    }
    if has(spec, "allocateLoadBalancerNodePorts") && ty != "LoadBalancer" {
        errs.push(FieldError::forbidden(
            sp.child("allocateLoadBalancerNodePorts"),
            "may only be used when `type` is 'LoadBalancer'",
        ));
    }
    match (ty, opt_str(spec, "loadBalancerClass")) {
        ("LoadBalancer", Some(c)) => {
            errs.extend(validate_qualified_name(c, &sp.child("loadBalancerClass")))
        }
        (_, Some(_)) => errs.push(FieldError::forbidden(
            sp.child("loadBalancerClass"),
            "may only be used when `type` is 'LoadBalancer'",
        )),
        _ => {}
    }
    errs.extend(validate_traffic_policies(spec, ty));
    errs
}

fn validate_service_port<'a>(
    port: &'a Value,
    require_name: bool,
    names: &mut Vec<&'a str>,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = str_of(port, "name");
    if require_name && name.is_empty() {
        errs.push(FieldError::required(path.child("name"), ""));
    } else if !name.is_empty() {
        errs.extend(dns1123_label(name, &path.child("name")));
        if names.contains(&name) {
            errs.push(FieldError::duplicate(path.child("name"), name));
        } else {
            names.push(name);
        }
    }
    let num = int_of(port, "port");
    for m in is_valid_port_num(num) {
        errs.push(FieldError::invalid(path.child("port"), num, m));
    }
    errs.extend(validate_protocol(port, path));
    // targetPort defaults to port.
    let target = match int_or_string(port, "targetPort") {
        None | Some(IntOrString::Int(0)) => Value::from(num),
        Some(IntOrString::Str(s)) if s.is_empty() => Value::from(num),
        Some(t) => t.to_value(),
    };
    errs.extend(validate_port_num_or_name(
        Some(&target),
        &path.child("targetPort"),
    ));
    if let Some(ap) = opt_str(port, "appProtocol") {
        errs.extend(validate_qualified_name(ap, &path.child("appProtocol")));
    }
    errs
}

fn externally_accessible(spec: &Value, ty: &str) -> bool {
    ty == "LoadBalancer"
        || ty == "NodePort"
        || (ty == "ClusterIP" && !arr(spec, "externalIPs").is_empty())
}

fn validate_traffic_policies(spec: &Value, ty: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let sp = Path::new("spec");
    let etp = str_of(spec, "externalTrafficPolicy");
    if !externally_accessible(spec, ty) {
        if !etp.is_empty() {
            errs.push(FieldError::invalid(
                sp.child("externalTrafficPolicy"),
                etp,
                "may only be set for externally-accessible services",
            ));
        }
    } else {
        let etp = if etp.is_empty() { "Cluster" } else { etp };
        if etp != "Cluster" && etp != "Local" {
            errs.push(FieldError::not_supported(
                sp.child("externalTrafficPolicy"),
                etp,
                &["Cluster", "Local"],
            ));
        }
    }
    let needs_hc =
        ty == "LoadBalancer" && str_or(spec, "externalTrafficPolicy", "Cluster") == "Local";
    let hc = int_of(spec, "healthCheckNodePort");
    if !needs_hc {
        if hc != 0 {
            errs.push(FieldError::invalid(sp.child("healthCheckNodePort"), hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
        }
    } else if hc != 0 {
        for m in is_valid_port_num(hc) {
            errs.push(FieldError::invalid(sp.child("healthCheckNodePort"), hc, m));
        }
    }
    if let Some(itp) = opt_str(spec, "internalTrafficPolicy")
        && itp != "Cluster"
        && itp != "Local"
    {
        errs.push(FieldError::not_supported(
            sp.child("internalTrafficPolicy"),
            itp,
            &["Cluster", "Local"],
        ));
    }
    if let Some(td) = opt_str(spec, "trafficDistribution")
        && td != "PreferClose"
    {
        errs.push(FieldError::not_supported(
            sp.child("trafficDistribution"),
            td,
            &["PreferClose"],
        ));
    }
    errs
}

fn validate_cluster_ips_related(spec: &Value, ips: &[String]) -> Vec<FieldError> {
    if svc_type(spec) == "ExternalName" {
        return Vec::new();
    }
    let mut errs = Vec::new();
    let sp = Path::new("spec");
    let ips_path = sp.child("clusterIPs");
    let ips_repr = || {
        gorepr::strs(
            "string",
            &ips.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    let ips_value = || Value::from(ips.to_vec());
    let ip = str_of(spec, "clusterIP");
    if !ip.is_empty() {
        if ips.first().map(String::as_str) != Some(ip) {
            errs.push(
                FieldError::invalid(
                    ips_path.clone(),
                    ips_value(),
                    "first value must match `clusterIP`",
                )
                .with_value_repr(ips_repr()),
            );
        }
    } else if !ips.is_empty() {
        errs.push(
            FieldError::invalid(
                ips_path.clone(),
                ips_value(),
                "must be empty when `clusterIP` is not specified",
            )
            .with_value_repr(ips_repr()),
        );
    }
    let families = strings(spec, "ipFamilies");
    let mut seen: Vec<&str> = Vec::new();
    for (i, f) in families.iter().enumerate() {
        if *f != "IPv4" && *f != "IPv6" {
            errs.push(FieldError::not_supported(
                sp.child("ipFamilies").index(i),
                *f,
                &["IPv4", "IPv6"],
            ));
        }
        if seen.contains(f) {
            errs.push(FieldError::duplicate(sp.child("ipFamilies").index(i), *f));
        }
        seen.push(f);
    }
    if let Some(policy) = opt_str(spec, "ipFamilyPolicy") {
        const POLICIES: &[&str] = &["PreferDualStack", "RequireDualStack", "SingleStack"];
        if !POLICIES.contains(&policy) {
            errs.push(FieldError::not_supported(
                sp.child("ipFamilyPolicy"),
                policy,
                POLICIES,
            ));
        }
    }
    let mut invalid = false;
    for (i, addr) in ips.iter().enumerate() {
        if i == 0 && addr == "None" {
            if ips.len() > 1 {
                invalid = true;
                errs.push(
                    FieldError::invalid(
                        ips_path.clone(),
                        ips_value(),
                        "'None' must be the first and only value",
                    )
                    .with_value_repr(ips_repr()),
                );
            }
            continue;
        }
        let e = is_valid_ip(&ips_path.index(i), addr);
        invalid |= !e.is_empty();
        errs.extend(e);
    }
    if ips.len() > 2 {
        errs.push(
            FieldError::invalid(
                ips_path.clone(),
                ips_value(),
                "may only hold up to 2 values",
            )
            .with_value_repr(ips_repr()),
        );
    }
    if invalid {
        return errs;
    }
    if ips.len() > 1 {
        let v4: Vec<bool> = ips
            .iter()
            .filter_map(|i| parse_ip_sloppy(i))
            .map(|a| a.is_ipv4())
            .collect();
        let dual = v4.len() == 2 && v4[0] != v4[1];
        if !dual {
            errs.push(
                FieldError::invalid(
                    ips_path.clone(),
                    ips_value(),
                    "may specify no more than one IP for each IP family",
                )
                .with_value_repr(ips_repr()),
            );
        }
    }
    if !is_headless(ips) {
        for (i, addr) in ips.iter().enumerate() {
            let Some(family) = families.get(i) else { break };
            let is_v6 = addr.contains(':');
            if *family == "IPv4" && is_v6 {
                errs.push(FieldError::invalid(
                    ips_path.index(i),
                    addr.as_str(),
                    format!("expected an IPv4 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
            if *family == "IPv6" && !is_v6 {
                errs.push(FieldError::invalid(
                    ips_path.index(i),
                    addr.as_str(),
                    format!("expected an IPv6 value as indicated by `ipFamilies[{i}]`"),
                ));
            }
        }
    }
    errs
}

/// Carry over what the registry allocated and the client left out, then sync `clusterIPs` with
/// `clusterIP` as upstream's strategy does.
fn patch_from_old(new: &Value, old: &Value) -> Value {
    let mut new = new.clone();
    let os = child(old, "spec");
    let needs_ip = |s: &Value| svc_type(s) != "ExternalName";
    let new_needs = needs_ip(child(&new, "spec"));
    if let Some(ns) = new.get_mut("spec").and_then(Value::as_object_mut) {
        if needs_ip(os) && new_needs {
            if ns
                .get("clusterIP")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
                && !str_of(os, "clusterIP").is_empty()
            {
                ns.insert("clusterIP".to_owned(), child(os, "clusterIP").clone());
            }
            let new_ips_empty = ns
                .get("clusterIPs")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty);
            if new_ips_empty && !arr(os, "clusterIPs").is_empty() {
                ns.insert("clusterIPs".to_owned(), child(os, "clusterIPs").clone());
            }
        }
        let new_ip = ns
            .get("clusterIP")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let old_ip = str_of(os, "clusterIP");
        let same_ips = ns.get("clusterIPs") == os.get("clusterIPs");
        if new_ip != old_ip && !new_ip.is_empty() && same_ips {
            ns.insert("clusterIPs".to_owned(), Value::from(vec![new_ip]));
        }
    }
    new
}

pub fn validate_service_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let new = &patch_from_old(new, old);
    let mut errs = meta_update(new, old);
    let (ns, os) = (child(new, "spec"), child(old, "spec"));
    errs.extend(validate_upgrade_downgrade(ns, os));
    if svc_type(ns) == "LoadBalancer"
        && svc_type(os) == "LoadBalancer"
        && opt_str(ns, "loadBalancerClass") != opt_str(os, "loadBalancerClass")
    {
        errs.push(FieldError::invalid(
            Path::new("spec").child("loadBalancerClass"),
            opt_str(ns, "loadBalancerClass").map_or(Value::Null, Value::from),
            "may not change once set",
        ));
    }
    let needs_hc = |s: &Value| {
        svc_type(s) == "LoadBalancer" && str_or(s, "externalTrafficPolicy", "Cluster") == "Local"
    };
    if needs_hc(ns)
        && needs_hc(os)
        && int_of(ns, "healthCheckNodePort") != int_of(os, "healthCheckNodePort")
        && int_of(ns, "healthCheckNodePort") != 0
    {
        errs.push(FieldError::forbidden(
            Path::new("spec").child("healthCheckNodePort"),
            IMMUTABLE,
        ));
    }
    errs.extend(validate_service(new));
    errs
}

fn validate_upgrade_downgrade(ns: &Value, os: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if svc_type(ns) == "ExternalName" || svc_type(os) == "ExternalName" {
        return errs;
    }
    let (nips, oips) = (effective_cluster_ips(ns), effective_cluster_ips(os));
    let (nh, oh) = (is_headless(&nips), is_headless(&oips));
    let p = Path::new("spec").child("clusterIPs");
    let repr = gorepr::strs(
        "string",
        &nips.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let value = Value::from(nips.clone());
    if !(nh && oh) {
        if nips.len() == oips.len() {
            for (i, ip) in oips.iter().enumerate() {
                if *ip != nips[i] {
                    errs.push(
                        FieldError::invalid(p.index(i), value.clone(), "may not change once set")
                            .with_value_repr(repr.clone()),
                    );
                }
            }
        } else if oips.len() > nips.len() {
            if nips.is_empty() {
                errs.push(
                    FieldError::invalid(
                        p.index(0),
                        value.clone(),
                        "primary clusterIP can not be unset",
                    )
                    .with_value_repr(repr.clone()),
                );
            }
            if !oips.is_empty() && !nips.is_empty() && nips[0] != oips[0] {
                errs.push(
                    FieldError::invalid(p.index(0), value.clone(), "may not change once set")
                        .with_value_repr(repr.clone()),
                );
            }
            if nips.len() == 1 && opt_str(ns, "ipFamilyPolicy") != Some("SingleStack") {
                errs.push(FieldError::invalid(
                    Path::new("spec").child("ipFamilyPolicy"),
                    opt_str(ns, "ipFamilyPolicy").map_or(Value::Null, Value::from),
                    "must be set to 'SingleStack' when releasing the secondary clusterIP",
                ));
            }
        } else if !oips.is_empty() && nips[0] != oips[0] {
            errs.push(
                FieldError::invalid(p.index(0), value.clone(), "may not change once set")
                    .with_value_repr(repr.clone()),
            );
        }
    }
    if nh != oh || nh {
        return errs;
    }
    let (nf, of) = (strings(ns, "ipFamilies"), strings(os, "ipFamilies"));
    let fp = Path::new("spec").child("ipFamilies");
    let frepr = gorepr::strs("core.IPFamily", &nf);
    if nf.len() == of.len() {
        for (i, f) in of.iter().enumerate() {
            if *f != nf[i] {
                errs.push(
                    FieldError::invalid(
                        fp.index(0),
                        Value::from(nf.clone()),
                        "may not change once set",
                    )
                    .with_value_repr(frepr.clone()),
                );
            }
        }
    } else if of.len() > nf.len() {
        if nips.is_empty() {
            errs.push(
                FieldError::invalid(
                    fp.index(0),
                    Value::from(nf.clone()),
                    "primary ipFamily can not be unset",
                )
                .with_value_repr(frepr.clone()),
            );
        }
        if !nf.is_empty() && nf[0] != of[0] {
            errs.push(
                FieldError::invalid(fp.index(0), value.clone(), "may not change once set")
                    .with_value_repr(repr.clone()),
            );
        }
        if nf.len() == 1 && opt_str(ns, "ipFamilyPolicy") != Some("SingleStack") {
            errs.push(FieldError::invalid(
                Path::new("spec").child("ipFamilyPolicy"),
                opt_str(ns, "ipFamilyPolicy").map_or(Value::Null, Value::from),
                "must be set to 'SingleStack' when releasing the secondary ipFamily",
            ));
        }
    } else if !of.is_empty() && !nf.is_empty() && nf[0] != of[0] {
        errs.push(
            FieldError::invalid(fp.index(0), value, "may not change once set")
                .with_value_repr(repr),
        );
    }
    errs
}

pub fn validate_service_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    let ty = svc_type(child(new, "spec"));
    let ingress = arr(child(child(new, "status"), "loadBalancer"), "ingress");
    let p = Path::new("status").child("loadBalancer").child("ingress");
    if ty != "LoadBalancer" && !ingress.is_empty() {
        errs.push(FieldError::forbidden(
            p,
            "may only be used when `spec.type` is 'LoadBalancer'",
        ));
        return errs;
    }
    for (i, ing) in ingress.iter().enumerate() {
        let ip_path = p.index(i);
        let ip = str_of(ing, "ip");
        if !ip.is_empty() {
            errs.extend(is_valid_ip(&ip_path.child("ip"), ip));
        }
        match opt_str(ing, "ipMode") {
            None if !ip.is_empty() => errs.push(FieldError::required(
                ip_path.child("ipMode"),
                "must be specified when `ip` is set",
            )),
            Some(_) if ip.is_empty() => errs.push(FieldError::forbidden(
                ip_path.child("ipMode"),
                "may not be specified when `ip` is not set",
            )),
            Some(m) if m != "VIP" && m != "Proxy" => errs.push(FieldError::not_supported(
                ip_path.child("ipMode"),
                m,
                &["Proxy", "VIP"],
            )),
            _ => {}
        }
        let host = str_of(ing, "hostname");
        if !host.is_empty() {
            errs.extend(dns1123_subdomain(host, &ip_path.child("hostname")));
            if parse_ip_sloppy(host).is_some() {
                errs.push(FieldError::invalid(
                    ip_path.child("hostname"),
                    host,
                    "must be a DNS name, not an IP address",
                ));
            }
        }
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

    fn svc(spec: Value) -> Value {
        json!({"metadata": {"name": "web", "namespace": "default"}, "spec": spec})
    }

    #[test]
    fn valid_services() {
        for spec in [
            json!({"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}),
            json!({"type": "NodePort", "ports": [{"port": 443, "targetPort": 8443, "nodePort": 30443}]}),
            json!({"clusterIP": "None", "selector": {"app": "db"}}),
            json!({"type": "ExternalName", "externalName": "db.example.com."}),
            json!({"ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443, "targetPort": "https"}]}),
            json!({"clusterIP": "10.43.0.10", "clusterIPs": ["10.43.0.10"], "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "ports": [{"name": "udp", "port": 53, "protocol": "UDP"}, {"name": "tcp", "port": 53, "protocol": "TCP"}]}),
            json!({"type": "LoadBalancer", "externalTrafficPolicy": "Local", "ports": [{"port": 80}], "loadBalancerSourceRanges": ["10.0.0.0/8"]}),
        ] {
            assert!(
                validate_service_create(&svc(spec.clone())).is_empty(),
                "{spec}"
            );
        }
    }

    #[test]
    fn invalid_services() {
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({}), vec!["spec.ports: Required value"]),
            (
                json!({"ports": [{"port": 0}]}),
                vec![
                    "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                    // targetPort is defaulted from port, so it is invalid too.
                    "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
                ],
            ),
            (
                json!({"ports": [{"port": 80}, {"port": 81}]}),
                vec![
                    "spec.ports[0].name: Required value",
                    "spec.ports[1].name: Required value",
                ],
            ),
            (
                json!({"ports": [{"name": "a", "port": 80}, {"name": "a", "port": 81}]}),
                vec!["spec.ports[1].name: Duplicate value: \"a\""],
            ),
            (
                json!({"ports": [{"port": 80, "protocol": "HTTP"}]}),
                vec![
                    "spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                ],
            ),
            (
                json!({"ports": [{"port": 80, "targetPort": 70000}]}),
                vec![
                    "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
                ],
            ),
            (
                json!({"ports": [{"port": 80, "targetPort": "http_port"}]}),
                vec![
                    "spec.ports[0].targetPort: Invalid value: \"http_port\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                ],
            ),
            (
                json!({"type": "Magic", "ports": [{"port": 80}]}),
                vec![
                    "spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
                ],
            ),
            (
                json!({"type": "ExternalName"}),
                vec!["spec.externalName: Required value"],
            ),
            (
                json!({"type": "NodePort", "clusterIP": "None", "ports": [{"port": 80}]}),
                vec![
                    "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services",
                ],
            ),
            (
                json!({"clusterIP": "10.0.0.300", "ports": [{"port": 80}]}),
                vec![
                    "spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                ],
            ),
            (
                json!({"ports": [{"port": 80, "nodePort": 30000}]}),
                vec![
                    "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
                ],
            ),
            (
                json!({"ports": [{"name": "a", "port": 80}, {"name": "b", "port": 80}]}),
                vec![
                    "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
                ],
            ),
            (
                json!({"sessionAffinity": "Sticky", "ports": [{"port": 80}]}),
                vec![
                    "spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"",
                ],
            ),
            (
                json!({"externalTrafficPolicy": "Local", "ports": [{"port": 80}]}),
                vec![
                    "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services",
                ],
            ),
            (
                json!({"loadBalancerSourceRanges": ["10.0.0.0/8"], "ports": [{"port": 80}]}),
                vec![
                    "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
                ],
            ),
            (
                json!({"selector": {"app": "-x"}, "ports": [{"port": 80}]}),
                vec![
                    "spec.selector: Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', or 'my_value', or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                ],
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(
                msgs(validate_service_create(&svc(spec.clone()))),
                want,
                "{spec}"
            );
        }
        let bad_name = json!({"metadata": {"name": "1web", "namespace": "default"}, "spec": {"ports": [{"port": 80}]}});
        assert_eq!(
            msgs(validate_service_create(&bad_name)),
            vec![
                "metadata.name: Invalid value: \"1web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
            ]
        );
    }

    #[test]
    fn updates() {
        let mut old = svc(
            json!({"clusterIP": "10.43.0.5", "clusterIPs": ["10.43.0.5"], "ipFamilies": ["IPv4"], "ports": [{"port": 80}]}),
        );
        old["metadata"]["resourceVersion"] = json!("1");
        let mut new = old.clone();
        assert!(validate_service_update(&new, &old).is_empty());
        // A client that omits the allocated IPs keeps them.
        let omitted = svc(json!({"ports": [{"port": 81}]}));
        let mut omitted = omitted;
        omitted["metadata"]["resourceVersion"] = json!("1");
        assert!(validate_service_update(&omitted, &old).is_empty());
        new["spec"]["clusterIP"] = json!("10.43.0.6");
        assert_eq!(
            msgs(validate_service_update(&new, &old)),
            vec![
                "spec.clusterIPs[0]: Invalid value: []string{\"10.43.0.6\"}: may not change once set"
            ]
        );
    }

    #[test]
    fn status() {
        let mut old = svc(json!({"ports": [{"port": 80}]}));
        old["metadata"]["resourceVersion"] = json!("1");
        let mut new = old.clone();
        new["status"] = json!({"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}});
        assert_eq!(
            msgs(validate_service_status_update(&new, &old)),
            vec![
                "status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'"
            ]
        );
    }
}
