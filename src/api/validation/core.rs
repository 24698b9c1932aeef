//! Core kinds other than Pods and Services: ConfigMap, Secret, Namespace, Node, PV, PVC,
//! ServiceAccount, Endpoints, Event, LimitRange, ResourceQuota, ReplicationController, Binding.

use base64::Engine;
use serde_json::Value;

use super::gorepr;
use super::json::{
    arr, child, get, has, int, int_of, map_of, obj, opt_str, same, str_of, str_or, string_entries,
    strings,
};
use super::meta::{
    IMMUTABLE, SelectorOpts, immutable, nonneg, nonneg_fields, selector_matches,
    validate_finalizer_name, validate_label_name, validate_label_selector, validate_qualified_name,
};
use super::names::{
    is_config_map_key, is_dns1123_label, is_dns1123_subdomain, is_valid_cidr, is_valid_ip,
    is_valid_label_value, is_valid_port_num, parse_ip_sloppy,
};
use super::pod::{
    dns1123_label, validate_host_path, validate_node_selector, validate_pod_template_spec,
    validate_protocol, validate_taint_effect,
};
use super::resources::{
    quantity, resource_list, validate_container_resource_name, validate_positive_quantity,
    validate_quantity_value, validate_quota_resource_name, validate_resource_name,
};
use super::{NameRule, kube_meta, meta_update};
use crate::api::field::{FieldError, Path};

const MAX_SECRET_SIZE: usize = 1024 * 1024;

fn metadata() -> Path {
    Path::new("metadata")
}

// ---------------------------------------------------------------------------------------------
// PodTemplate

pub fn pod_template_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_pod_template_spec(
        child(new, "template"),
        &Path::new("template"),
    ));
    errs
}

// ---------------------------------------------------------------------------------------------
// ConfigMap and Secret

fn decoded_len(v: &Value) -> usize {
    let s = v.as_str().unwrap_or("");
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map(|b| b.len())
        .unwrap_or(s.len() * 3 / 4)
}

pub fn validate_config_map(cm: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(cm, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &metadata(),
    );
    let mut total = 0usize;
    let binary = map_of(cm, "binaryData");
    for (key, value) in string_entries(cm, "data") {
        let p = Path::new("data").key(key);
        for m in is_config_map_key(key) {
            errs.push(FieldError::invalid(p.clone(), key, m));
        }
        if binary.contains_key(key) {
            errs.push(FieldError::invalid(
                p,
                key,
                "duplicate of key present in binaryData",
            ));
        }
        total += value.len();
    }
    let mut keys: Vec<&String> = binary.keys().collect();
    keys.sort();
    for key in keys {
        for m in is_config_map_key(key) {
            errs.push(FieldError::invalid(
                Path::new("binaryData").key(key),
                key.as_str(),
                m,
            ));
        }
        total += decoded_len(&binary[key.as_str()]);
    }
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long(Path::root(), MAX_SECRET_SIZE));
    }
    errs
}

fn immutable_data(new: &Value, old: &Value, keys: &[&str]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if old.get("immutable").and_then(Value::as_bool) == Some(true) {
        if new.get("immutable").and_then(Value::as_bool) != Some(true) {
            errs.push(FieldError::forbidden(
                Path::new("immutable"),
                "field is immutable when `immutable` is set",
            ));
        }
        for key in keys {
            if !same(child(new, key), child(old, key)) {
                errs.push(FieldError::forbidden(
                    Path::new(key),
                    "field is immutable when `immutable` is set",
                ));
            }
        }
    }
    errs
}

pub fn validate_config_map_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(immutable_data(new, old, &["data", "binaryData"]));
    errs.extend(validate_config_map(new));
    errs
}

/// The keys and decoded sizes of a Secret's data, with `stringData` folded in as the strategy
/// does before validating.
fn secret_data(secret: &Value) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for (k, v) in map_of(secret, "data") {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or(""))
            .unwrap_or_default();
        out.push((k.clone(), bytes));
    }
    for (k, v) in string_entries(secret, "stringData") {
        out.retain(|(x, _)| x != k);
        out.push((k.to_owned(), v.as_bytes().to_vec()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

pub fn validate_secret(secret: &Value) -> Vec<FieldError> {
    let meta = child(secret, "metadata");
    let mut errs = kube_meta(meta, true, NameRule::Dns1123Subdomain, &metadata());
    let data_path = Path::new("data");
    let data = secret_data(secret);
    let mut total = 0usize;
    for (key, value) in &data {
        for m in is_config_map_key(key) {
            errs.push(FieldError::invalid(data_path.key(key), key.as_str(), m));
        }
        total += value.len();
    }
    if total > MAX_SECRET_SIZE {
        errs.push(FieldError::too_long(data_path.clone(), MAX_SECRET_SIZE));
    }
    let get_data = |k: &str| data.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_slice());
    match str_or(secret, "type", "Opaque") {
        "kubernetes.io/service-account-token" => {
            let name = child(meta, "annotations")
                .get("kubernetes.io/service-account.name")
                .and_then(Value::as_str)
                .unwrap_or("");
            if name.is_empty() {
                errs.push(FieldError::required(
                    Path::new("metadata")
                        .child("annotations")
                        .key("kubernetes.io/service-account.name"),
                    "",
                ));
            }
        }
        "kubernetes.io/dockercfg" => errs.extend(json_key(
            get_data(".dockercfg"),
            &data_path.key(".dockercfg"),
        )),
        "kubernetes.io/dockerconfigjson" => {
            errs.extend(json_key(
                get_data(".dockerconfigjson"),
                &data_path.key(".dockerconfigjson"),
            ));
        }
        "kubernetes.io/basic-auth"
            if get_data("username").is_none() && get_data("password").is_none() =>
        {
            errs.push(FieldError::required(data_path.key("username"), ""));
            errs.push(FieldError::required(data_path.key("password"), ""));
        }
        "kubernetes.io/ssh-auth" if get_data("ssh-privatekey").is_none_or(<[u8]>::is_empty) => {
            errs.push(FieldError::required(data_path.key("ssh-privatekey"), ""));
        }
        "kubernetes.io/tls" => {
            if get_data("tls.crt").is_none() {
                errs.push(FieldError::required(data_path.key("tls.crt"), ""));
            }
            if get_data("tls.key").is_none() {
                errs.push(FieldError::required(data_path.key("tls.key"), ""));
            }
        }
        _ => {}
    }
    errs
}

fn json_key(data: Option<&[u8]>, path: &Path) -> Vec<FieldError> {
    let Some(bytes) = data else {
        return vec![FieldError::required(path.clone(), "")];
    };
    match go_json_object_error(bytes) {
        None => Vec::new(),
        Some(e) => vec![FieldError::invalid(
            path.clone(),
            "<secret contents redacted>",
            e,
        )],
    }
}

/// The error Go's `json.Unmarshal` into a `map[string]interface{}` reports, for the common
/// cases; `None` when the bytes are a JSON object.
fn go_json_object_error(bytes: &[u8]) -> Option<String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(_)) | Ok(Value::Null) => None,
        Ok(other) => {
            let what = match other {
                Value::Array(_) => "array",
                Value::String(_) => "string",
                Value::Number(_) => "number",
                _ => "bool",
            };
            Some(format!(
                "json: cannot unmarshal {what} into Go value of type map[string]interface {{}}"
            ))
        }
        Err(e) => {
            let trimmed: Vec<u8> = bytes
                .iter()
                .copied()
                .skip_while(u8::is_ascii_whitespace)
                .collect();
            Some(match trimmed.first() {
                None => "unexpected end of JSON input".to_owned(),
                Some(&c) if !b"{[\"-0123456789tfn".contains(&c) => {
                    format!(
                        "invalid character '{}' looking for beginning of value",
                        c as char
                    )
                }
                Some(&c) if b"tfn".contains(&c) => {
                    go_literal_error(&trimmed).unwrap_or_else(|| e.to_string())
                }
                _ if e.is_eof() => "unexpected end of JSON input".to_owned(),
                _ => e.to_string(),
            })
        }
    }
}

/// Go's scanner error for a misspelled `true`/`false`/`null` literal at the start of `bytes`.
fn go_literal_error(bytes: &[u8]) -> Option<String> {
    let literal: &[u8] = match bytes.first()? {
        b't' => b"true",
        b'f' => b"false",
        _ => b"null",
    };
    let name = String::from_utf8_lossy(literal);
    for (i, want) in literal.iter().enumerate() {
        match bytes.get(i) {
            None => return Some("unexpected end of JSON input".to_owned()),
            Some(got) if got != want => {
                return Some(format!(
                    "invalid character '{}' in literal {name} (expecting '{}')",
                    *got as char, *want as char
                ));
            }
            Some(_) => {}
        }
    }
    None
}

pub fn validate_secret_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    let (nt, ot) = (str_or(new, "type", "Opaque"), str_or(old, "type", "Opaque"));
    if nt != ot {
        errs.push(FieldError::invalid(Path::new("type"), nt, IMMUTABLE));
    }
    errs.extend(immutable_data(new, old, &["data"]));
    errs.extend(validate_secret(new));
    errs
}

// ---------------------------------------------------------------------------------------------
// Namespace

pub fn validate_namespace(ns: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(ns, "metadata"),
        false,
        NameRule::Dns1123Label,
        &metadata(),
    );
    for f in strings(child(ns, "spec"), "finalizers") {
        errs.extend(validate_finalizer_name(
            f,
            &Path::new("spec").child("finalizers"),
        ));
    }
    errs
}

pub fn validate_namespace_update(new: &Value, old: &Value) -> Vec<FieldError> {
    meta_update(new, old)
}

pub fn validate_namespace_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    let phase = str_or(child(new, "status"), "phase", "Active");
    let deleting = !str_of(child(new, "metadata"), "deletionTimestamp").is_empty();
    let p = Path::new("status").child("Phase");
    if !deleting && phase != "Active" {
        errs.push(FieldError::invalid(
            p,
            phase,
            "may only be 'Active' if `deletionTimestamp` is empty",
        ));
    } else if deleting && phase != "Terminating" {
        errs.push(FieldError::invalid(
            p,
            phase,
            "may only be 'Terminating' if `deletionTimestamp` is not empty",
        ));
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Node

fn validate_taints(taints: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (i, t) in taints.iter().enumerate() {
        let p = path.index(i);
        let (key, value, effect) = (str_of(t, "key"), str_of(t, "value"), str_of(t, "effect"));
        errs.extend(validate_label_name(key, &p.child("key")));
        let msgs = is_valid_label_value(value);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(p.child("value"), value, msgs.join(";")));
        }
        errs.extend(validate_taint_effect(effect, &p.child("effect")));
        if seen.contains(&(effect, key)) {
            let mut e = FieldError::duplicate(p.clone(), t.clone()).with_value_repr(format!(
                "core.Taint{{Key:{}, Value:{}, Effect:{}, TimeAdded:<nil>}}",
                gorepr::quote(key),
                gorepr::quote(value),
                gorepr::quote(effect)
            ));
            e.detail = "taints must be unique by key and effect pair".to_owned();
            errs.push(e);
            continue;
        }
        seen.push((effect, key));
    }
    errs
}

fn validate_node_resources(node: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let status = child(node, "status");
    for key in ["capacity", "allocatable"] {
        let base = Path::new("status").child(key);
        let mut parse_errs = Vec::new();
        for (name, q) in resource_list(status, key, &base, &mut parse_errs) {
            errs.extend(validate_quantity_value(name, &q, &base.child(name)));
        }
        errs.extend(parse_errs);
    }
    errs
}

fn validate_pod_cidrs(node: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let cidrs = strings(child(node, "spec"), "podCIDRs");
    let p = Path::new("spec").child("podCIDRs");
    for (i, c) in cidrs.iter().enumerate() {
        errs.extend(is_valid_cidr(&p.index(i), c));
    }
    if cidrs.len() > 1 {
        let families: Vec<bool> = cidrs
            .iter()
            .filter_map(|c| super::names::parse_cidr_sloppy(c))
            .map(|c| c.addr.is_ipv4())
            .collect();
        let dual = families.len() == 2 && families[0] != families[1];
        if !dual || cidrs.len() > 2 {
            errs.push(
                FieldError::invalid(
                    p.clone(),
                    child(child(node, "spec"), "podCIDRs").clone(),
                    "may specify no more than one CIDR for each IP family",
                )
                .with_value_repr(gorepr::strs("string", &cidrs)),
            );
        }
        let mut seen: Vec<&str> = Vec::new();
        for (i, c) in cidrs.iter().enumerate() {
            if seen.contains(c) {
                errs.push(FieldError::duplicate(p.index(i), *c));
            }
            seen.push(c);
        }
    }
    errs
}

pub fn validate_node(node: &Value) -> Vec<FieldError> {
    let meta = child(node, "metadata");
    let mut errs = kube_meta(meta, false, NameRule::Dns1123Subdomain, &metadata());
    errs.extend(validate_taints(
        arr(child(node, "spec"), "taints"),
        &metadata().child("taints"),
    ));
    errs.extend(validate_node_resources(node));
    errs.extend(validate_pod_cidrs(node));
    errs
}

pub fn validate_node_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_node_resources(new));
    let mut seen: Vec<&Value> = Vec::new();
    for (i, a) in arr(child(new, "status"), "addresses").iter().enumerate() {
        if seen.contains(&a) {
            errs.push(
                FieldError::duplicate(Path::new("status").child("addresses").index(i), a.clone())
                    .with_value_repr(format!(
                        "core.NodeAddress{{Type:{}, Address:{}}}",
                        gorepr::quote(str_of(a, "type")),
                        gorepr::quote(str_of(a, "address"))
                    )),
            );
        }
        seen.push(a);
    }
    let (ns, os) = (child(new, "spec"), child(old, "spec"));
    let (nc, oc) = (strings(ns, "podCIDRs"), strings(os, "podCIDRs"));
    if !oc.is_empty() && nc != oc {
        let n = if nc.len() != oc.len() {
            1
        } else {
            oc.iter().zip(&nc).filter(|(a, b)| a != b).count()
        };
        for _ in 0..n {
            errs.push(FieldError::forbidden(
                Path::new("spec").child("podCIDRs"),
                "node updates may not change podCIDR except from \"\" to valid",
            ));
        }
    }
    let old_provider = str_of(os, "providerID");
    if !old_provider.is_empty() && old_provider != str_of(ns, "providerID") {
        errs.push(FieldError::forbidden(
            Path::new("spec").child("providerID"),
            "node updates may not change providerID except from \"\" to valid",
        ));
    }
    errs.extend(validate_taints(
        arr(ns, "taints"),
        &metadata().child("taints"),
    ));
    if str_of(ns, "externalID") != str_of(os, "externalID") {
        errs.push(FieldError::forbidden(
            Path::new("spec").child("externalID"),
            "may not be updated",
        ));
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// PersistentVolume and PersistentVolumeClaim

const ACCESS_MODES: &[&str] = &[
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];

fn validate_access_modes(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let (mut rwop, mut other) = (false, false);
    for mode in strings(spec, "accessModes") {
        if !ACCESS_MODES.contains(&mode) {
            errs.push(FieldError::not_supported(
                path.child("accessModes"),
                mode,
                ACCESS_MODES,
            ));
        }
        if mode == "ReadWriteOncePod" {
            rwop = true;
        } else if ACCESS_MODES.contains(&mode) {
            other = true;
        }
    }
    if rwop && other {
        errs.push(FieldError::forbidden(
            path.child("accessModes"),
            "may not use ReadWriteOncePod with other access modes",
        ));
    }
    errs
}

const PV_SOURCES: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "glusterfs",
    "flocker",
    "nfs",
    "rbd",
    "quobyte",
    "cephfs",
    "iscsi",
    "cinder",
    "fc",
    "flexVolume",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "portworxVolume",
    "azureDisk",
    "scaleIO",
    "local",
    "storageos",
    "csi",
];

fn validate_pv_spec(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if arr(spec, "accessModes").is_empty() {
        errs.push(FieldError::required(path.child("accessModes"), ""));
    }
    errs.extend(validate_access_modes(spec, path));
    let capacity = map_of(spec, "capacity");
    if capacity.is_empty() {
        errs.push(FieldError::required(path.child("capacity"), ""));
    }
    if !capacity.contains_key("storage") || capacity.len() > 1 {
        let entries: Vec<String> = string_entries(spec, "capacity")
            .into_iter()
            .map(|(k, v)| format!("{}:{}", gorepr::quote(k), gorepr::quote(v)))
            .collect();
        errs.push(
            FieldError::not_supported(
                path.child("capacity"),
                child(spec, "capacity").clone(),
                &["storage"],
            )
            .with_value_repr(format!("core.ResourceList{{{}}}", entries.join(", "))),
        );
    }
    let cap_path = path.child("capacity");
    let mut parse_errs = Vec::new();
    for (name, q) in resource_list(spec, "capacity", &cap_path, &mut parse_errs) {
        if q.value() < 0 {
            errs.push(FieldError::invalid(
                cap_path.key(name),
                q.value(),
                "must be a valid resource quantity",
            ));
        }
        errs.extend(validate_positive_quantity(&q, &cap_path.key(name)));
    }
    errs.extend(parse_errs);
    let reclaim = str_or(spec, "persistentVolumeReclaimPolicy", "Retain");
    if !["Delete", "Recycle", "Retain"].contains(&reclaim) {
        errs.push(FieldError::not_supported(
            path.child("persistentVolumeReclaimPolicy"),
            reclaim,
            &["Delete", "Recycle", "Retain"],
        ));
    }
    let mut node_affinity = false;
    if let Some(na) = get(spec, "nodeAffinity") {
        node_affinity = true;
        match get(na, "required") {
            Some(r) => errs.extend(validate_node_selector(
                r,
                false,
                &path.child("nodeAffinity").child("required"),
            )),
            None => errs.push(FieldError::required(
                path.child("nodeAffinity").child("required"),
                "must specify required node constraints",
            )),
        }
    }
    let mut count = 0;
    for key in PV_SOURCES {
        let Some(src) = get(spec, key) else { continue };
        if count > 0 && *key != "flexVolume" {
            errs.push(FieldError::forbidden(
                path.child(key),
                "may not specify more than 1 volume type",
            ));
            continue;
        }
        count += 1;
        let p = path.child(key);
        match *key {
            "hostPath" => errs.extend(validate_host_path(src, &p)),
            "nfs" => {
                for k in ["server", "path"] {
                    if str_of(src, k).is_empty() {
                        errs.push(FieldError::required(p.child(k), ""));
                    }
                }
                if !str_of(src, "path").starts_with('/') {
                    errs.push(FieldError::invalid(
                        p.child("path"),
                        str_of(src, "path"),
                        "must be an absolute path",
                    ));
                }
            }
            "local" => {
                let lp = str_of(src, "path");
                if lp.is_empty() {
                    errs.push(FieldError::required(p.child("path"), ""));
                } else if lp.split('/').any(|s| s == "..") {
                    errs.push(FieldError::invalid(
                        p.child("path"),
                        lp,
                        "must not contain '..'",
                    ));
                }
                if !node_affinity {
                    errs.push(FieldError::required(
                        path.child("nodeAffinity"),
                        "Local volume requires node affinity",
                    ));
                }
            }
            "csi" => {
                errs.extend(super::pod::validate_csi_driver_name(
                    str_of(src, "driver"),
                    &p.child("driver"),
                ));
                if str_of(src, "volumeHandle").is_empty() {
                    errs.push(FieldError::required(p.child("volumeHandle"), ""));
                }
                for r in [
                    "controllerPublishSecretRef",
                    "controllerExpandSecretRef",
                    "nodePublishSecretRef",
                    "nodeExpandSecretRef",
                    "nodeStageSecretRef",
                ] {
                    if let Some(sr) = get(src, r) {
                        let rp = p.child(r);
                        let n = str_of(sr, "name");
                        if n.is_empty() {
                            errs.push(FieldError::required(rp.child("name"), ""));
                        } else {
                            errs.extend(super::pod::dns1123_subdomain(n, &rp.child("name")));
                        }
                        let ns = str_of(sr, "namespace");
                        if ns.is_empty() {
                            errs.push(FieldError::required(rp.child("namespace"), ""));
                        } else {
                            errs.extend(dns1123_label(ns, &rp.child("namespace")));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if count == 0 {
        errs.push(FieldError::required(
            path.clone(),
            "must specify a volume type",
        ));
    }
    if let Some(hp) = get(spec, "hostPath") {
        let cleaned = str_of(hp, "path").trim_end_matches('/');
        if cleaned.is_empty() && !str_of(hp, "path").is_empty() && reclaim == "Recycle" {
            errs.push(FieldError::forbidden(
                path.child("persistentVolumeReclaimPolicy"),
                "may not be 'recycle' for a hostPath mount of '/'",
            ));
        }
    }
    let sc = str_of(spec, "storageClassName");
    if !sc.is_empty() {
        errs.extend(super::pod::dns1123_subdomain(
            sc,
            &path.child("storageClassName"),
        ));
    }
    let mode = str_or(spec, "volumeMode", "Filesystem");
    if mode != "Block" && mode != "Filesystem" {
        errs.push(FieldError::not_supported(
            path.child("volumeMode"),
            mode,
            &["Block", "Filesystem"],
        ));
    }
    errs
}

pub fn validate_pv(pv: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(pv, "metadata"),
        false,
        NameRule::Dns1123Subdomain,
        &metadata(),
    );
    errs.extend(validate_pv_spec(child(pv, "spec"), &Path::new("spec")));
    errs
}

fn pv_source(spec: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in PV_SOURCES {
        if let Some(v) = get(spec, key) {
            out.insert((*key).to_owned(), v.clone());
        }
    }
    Value::Object(out)
}

pub fn validate_pv_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_pv(new));
    let (ns, os) = (child(new, "spec"), child(old, "spec"));
    let mut new_source = pv_source(ns);
    let old_csi_expand = child(child(os, "csi"), "controllerExpandSecretRef");
    if has(os, "csi")
        && old_csi_expand.is_null()
        && let Some(csi) = new_source.get_mut("csi").and_then(Value::as_object_mut)
    {
        csi.remove("controllerExpandSecretRef");
    }
    let old_source = pv_source(os);
    if !same(&new_source, &old_source) {
        errs.push(FieldError::forbidden(
            Path::new("spec").child("persistentvolumesource"),
            format!(
                "spec.persistentvolumesource is immutable after creation\n{}",
                diff_lines(&old_source, &new_source)
            ),
        ));
    }
    let (nm, om) = (
        str_or(ns, "volumeMode", "Filesystem"),
        str_or(os, "volumeMode", "Filesystem"),
    );
    if nm != om {
        errs.push(FieldError::invalid(Path::new("volumeMode"), nm, IMMUTABLE));
    }
    if has(os, "nodeAffinity") && !same(child(ns, "nodeAffinity"), child(os, "nodeAffinity")) {
        errs.push(
            FieldError::invalid(
                Path::new("nodeAffinity"),
                child(ns, "nodeAffinity").clone(),
                "field is immutable, except for updating from beta label to GA",
            )
            .with_value_repr(gorepr::structure(
                "core.VolumeNodeAffinity",
                child(ns, "nodeAffinity"),
            )),
        );
    }
    errs
}

fn diff_lines(old: &Value, new: &Value) -> String {
    format!("- {old}\n+ {new}")
}

pub fn validate_pv_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    if str_of(child(new, "metadata"), "resourceVersion").is_empty() {
        errs.push(FieldError::required(Path::new("resourceVersion"), ""));
    }
    errs
}

/// `ValidatePersistentVolumeClaimSpec`.
pub fn validate_pvc_spec(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if arr(spec, "accessModes").is_empty() {
        errs.push(FieldError::required(
            path.child("accessModes"),
            "at least 1 access mode is required",
        ));
    }
    errs.extend(validate_label_selector(
        get(spec, "selector"),
        SelectorOpts::default(),
        &path.child("selector"),
    ));
    errs.extend(validate_access_modes(spec, path));
    let storage_path = path.child("resources").key("storage");
    match child(child(spec, "resources"), "requests").get("storage") {
        None => errs.push(FieldError::required(storage_path, "")),
        Some(v) => match quantity(v, &storage_path) {
            Err(e) => errs.push(e),
            Ok(q) => {
                let positive = validate_positive_quantity(&q, &storage_path);
                if positive.is_empty() {
                    errs.extend(validate_quantity_value("storage", &q, &storage_path));
                } else {
                    errs.extend(positive);
                }
            }
        },
    }
    if let Some(sc) = opt_str(spec, "storageClassName").filter(|s| !s.is_empty()) {
        errs.extend(super::pod::dns1123_subdomain(
            sc,
            &path.child("storageClassName"),
        ));
    }
    if let Some(mode) = opt_str(spec, "volumeMode")
        && mode != "Block"
        && mode != "Filesystem"
    {
        errs.push(FieldError::not_supported(
            path.child("volumeMode"),
            mode,
            &["Block", "Filesystem"],
        ));
    }
    for key in ["dataSource", "dataSourceRef"] {
        if let Some(ds) = get(spec, key) {
            let p = path.child(key);
            for k in ["name", "kind"] {
                if str_of(ds, k).is_empty() {
                    errs.push(FieldError::required(p.child(k), ""));
                }
            }
            let group = str_of(ds, "apiGroup");
            if group.is_empty() && str_of(ds, "kind") != "PersistentVolumeClaim" {
                errs.push(FieldError::invalid(
                    p.clone(),
                    str_of(ds, "kind"),
                    "must be 'PersistentVolumeClaim' when referencing the default apiGroup",
                ));
            }
            for m in is_dns1123_subdomain(group)
                .into_iter()
                .filter(|_| !group.is_empty())
            {
                errs.push(FieldError::invalid(p.child("apiGroup"), group, m));
            }
            let ns = str_of(ds, "namespace");
            if key == "dataSourceRef" && !ns.is_empty() {
                for m in is_dns1123_label(ns) {
                    errs.push(FieldError::invalid(p.child("namespace"), ns, m));
                }
            }
        }
    }
    let (ds, dsr) = (get(spec, "dataSource"), get(spec, "dataSourceRef"));
    if let (Some(ds), Some(dsr)) = (ds, dsr) {
        if !str_of(dsr, "namespace").is_empty() {
            errs.push(FieldError::invalid(
                path.clone(),
                path.child("dataSource").as_str(),
                "may not be specified when dataSourceRef.namespace is specified",
            ));
        } else if str_of(ds, "apiGroup") != str_of(dsr, "apiGroup")
            || str_of(ds, "kind") != str_of(dsr, "kind")
            || str_of(ds, "name") != str_of(dsr, "name")
        {
            errs.push(FieldError::invalid(
                path.clone(),
                path.child("dataSource").as_str(),
                "must match dataSourceRef",
            ));
        }
    }
    errs
}

pub fn validate_pvc(pvc: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(pvc, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &metadata(),
    );
    errs.extend(validate_pvc_spec(child(pvc, "spec"), &Path::new("spec")));
    errs
}

pub fn validate_pvc_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_pvc(new));
    let (ns, os) = (child(new, "spec"), child(old, "spec"));
    let mut new_clone = ns.clone();
    let mut old_clone = os.clone();
    if str_of(os, "volumeName").is_empty() {
        set(
            &mut old_clone,
            "volumeName",
            child(ns, "volumeName").clone(),
        );
    }
    if !has(os, "storageClassName") && has(ns, "storageClassName") {
        let old_ann = child(
            child(child(old, "metadata"), "annotations"),
            "volume.beta.kubernetes.io/storage-class",
        );
        if old_ann.is_null() || old_ann.as_str() == opt_str(ns, "storageClassName") {
            set(&mut new_clone, "storageClassName", Value::Null);
        }
    }
    let bound = str_of(child(new, "status"), "phase") == "Bound";
    if bound {
        let old_storage = child(child(child(os, "resources"), "requests"), "storage").clone();
        if let Some(req) = new_clone
            .get_mut("resources")
            .and_then(|r| r.get_mut("requests"))
            .and_then(Value::as_object_mut)
        {
            req.insert("storage".to_owned(), old_storage);
        }
    }
    if !same(&new_clone, &old_clone) {
        errs.push(FieldError::forbidden(
            Path::new("spec"),
            format!(
                "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n{}",
                diff_lines(&super::json::normalized(&old_clone), &super::json::normalized(&new_clone))
            ),
        ));
    }
    let size = |spec: &Value| {
        child(child(spec, "resources"), "requests")
            .get("storage")
            .and_then(|v| quantity(v, &Path::root()).ok())
            .unwrap_or(crate::api::quantity::Quantity::ZERO)
    };
    let (new_size, old_size) = (size(ns), size(os));
    let status_size = child(child(old, "status"), "capacity")
        .get("storage")
        .and_then(|v| quantity(v, &Path::root()).ok())
        .unwrap_or(crate::api::quantity::Quantity::ZERO);
    if new_size < old_size && new_size <= status_size {
        errs.push(FieldError::forbidden(
            Path::new("spec")
                .child("resources")
                .child("requests")
                .child("storage"),
            "field can not be less than status.capacity",
        ));
    }
    let (nm, om) = (opt_str(ns, "volumeMode"), opt_str(os, "volumeMode"));
    if nm != om {
        errs.push(FieldError::invalid(
            Path::new("volumeMode"),
            nm.map_or(Value::Null, Value::from),
            IMMUTABLE,
        ));
    }
    errs
}

fn set(v: &mut Value, key: &str, value: Value) {
    if let Some(m) = v.as_object_mut() {
        if value.is_null() {
            m.remove(key);
        } else {
            m.insert(key.to_owned(), value);
        }
    }
}

pub fn validate_pvc_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    if str_of(child(new, "metadata"), "resourceVersion").is_empty() {
        errs.push(FieldError::required(Path::new("resourceVersion"), ""));
    }
    if arr(child(new, "spec"), "accessModes").is_empty() {
        errs.push(FieldError::required(
            Path::new("Spec").child("accessModes"),
            "",
        ));
    }
    let cap = Path::new("status").child("capacity");
    let mut parse_errs = Vec::new();
    for (name, q) in resource_list(child(new, "status"), "capacity", &cap, &mut parse_errs) {
        if q.value() < 0 {
            errs.push(FieldError::invalid(
                cap.key(name),
                q.value(),
                "must be a valid resource quantity",
            ));
        }
    }
    errs.extend(parse_errs);
    errs
}

// ---------------------------------------------------------------------------------------------
// ServiceAccount, Endpoints, Binding

pub fn validate_service_account(sa: &Value) -> Vec<FieldError> {
    kube_meta(
        child(sa, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &metadata(),
    )
}

pub fn validate_service_account_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_service_account(new));
    errs
}

/// `ValidateNonSpecialIP`.
pub fn validate_non_special_ip(ip: &str, path: &Path) -> Vec<FieldError> {
    let Some(addr) = parse_ip_sloppy(ip) else {
        return vec![FieldError::invalid(
            path.clone(),
            ip,
            "must be a valid IP address",
        )];
    };
    let mut errs = Vec::new();
    let addr = match addr {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, std::net::IpAddr::V4),
        v4 => v4,
    };
    if addr.is_unspecified() {
        errs.push(FieldError::invalid(
            path.clone(),
            ip,
            format!("may not be unspecified ({ip})"),
        ));
    }
    if addr.is_loopback() {
        errs.push(FieldError::invalid(
            path.clone(),
            ip,
            "may not be in the loopback range (127.0.0.0/8, ::1/128)",
        ));
    }
    let link_local_unicast = match addr {
        std::net::IpAddr::V4(a) => a.is_link_local(),
        std::net::IpAddr::V6(a) => (a.segments()[0] & 0xffc0) == 0xfe80,
    };
    if link_local_unicast {
        errs.push(FieldError::invalid(
            path.clone(),
            ip,
            "may not be in the link-local range (169.254.0.0/16, fe80::/10)",
        ));
    }
    let link_local_multicast = match addr {
        std::net::IpAddr::V4(a) => a.octets()[..3] == [224, 0, 0],
        std::net::IpAddr::V6(a) => (a.segments()[0] & 0xff0f) == 0xff02,
    };
    if link_local_multicast {
        errs.push(FieldError::invalid(
            path.clone(),
            ip,
            "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)",
        ));
    }
    errs
}

pub fn validate_endpoints(ep: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(ep, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &metadata(),
    );
    for (i, ss) in arr(ep, "subsets").iter().enumerate() {
        let p = Path::new("subsets").index(i);
        if arr(ss, "addresses").is_empty() && arr(ss, "notReadyAddresses").is_empty() {
            errs.push(FieldError::required(
                p.clone(),
                "must specify `addresses` or `notReadyAddresses`",
            ));
        }
        for key in ["addresses", "notReadyAddresses"] {
            for (j, a) in arr(ss, key).iter().enumerate() {
                let ap = p.child(key).index(j);
                let ip = str_of(a, "ip");
                errs.extend(is_valid_ip(&ap.child("ip"), ip));
                let host = str_of(a, "hostname");
                if !host.is_empty() {
                    errs.extend(dns1123_label(host, &ap.child("hostname")));
                }
                if let Some(node) = opt_str(a, "nodeName") {
                    for m in is_dns1123_subdomain(node) {
                        errs.push(FieldError::invalid(ap.child("nodeName"), node, m));
                    }
                }
                errs.extend(validate_non_special_ip(ip, &ap.child("ip")));
            }
        }
        let ports = arr(ss, "ports");
        for (j, port) in ports.iter().enumerate() {
            let pp = p.child("ports").index(j);
            let name = str_of(port, "name");
            if ports.len() > 1 && name.is_empty() {
                errs.push(FieldError::required(pp.child("name"), ""));
            } else if !name.is_empty() {
                errs.extend(dns1123_label(name, &pp.child("name")));
            }
            let num = int_of(port, "port");
            for m in is_valid_port_num(num) {
                errs.push(FieldError::invalid(pp.child("port"), num, m));
            }
            errs.extend(validate_protocol(port, &pp));
            if let Some(ap) = opt_str(port, "appProtocol") {
                errs.extend(validate_qualified_name(ap, &pp.child("appProtocol")));
            }
        }
    }
    errs
}

pub fn validate_endpoints_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_endpoints(new));
    errs
}

pub fn validate_binding(b: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let target = child(b, "target");
    let kind = str_of(target, "kind");
    if !kind.is_empty() && kind != "Node" {
        errs.push(FieldError::not_supported(
            Path::new("target").child("kind"),
            kind,
            &["Node", "<empty>"],
        ));
    }
    if str_of(target, "name").is_empty() {
        errs.push(FieldError::required(Path::new("target").child("name"), ""));
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Events

const REPORTING_INSTANCE_MAX: usize = 128;
const ACTION_MAX: usize = 128;
const REASON_MAX: usize = 128;
const NOTE_MAX: usize = 1024;

/// An event in the internal field names (`involvedObject`, `message`, `source`, …).
struct EventView<'a> {
    namespace: &'a str,
    involved_namespace: &'a str,
    event_time: bool,
    reporting_controller: &'a str,
    reporting_instance: &'a str,
    action: &'a str,
    reason: &'a str,
    message: &'a str,
}

fn legacy_validate_event(ev: &EventView<'_>, controller_field: &str) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let involved = Path::new("involvedObject").child("namespace");
    if !ev.event_time {
        if ev.involved_namespace.is_empty() {
            if !ev.namespace.is_empty() && ev.namespace != "default" {
                errs.push(FieldError::invalid(
                    involved,
                    ev.involved_namespace,
                    "does not match event.namespace",
                ));
            }
        } else if ev.namespace != ev.involved_namespace {
            errs.push(FieldError::invalid(
                involved,
                ev.involved_namespace,
                "does not match event.namespace",
            ));
        }
    } else {
        if ev.involved_namespace.is_empty()
            && ev.namespace != "default"
            && ev.namespace != "kube-system"
        {
            errs.push(FieldError::invalid(
                involved,
                ev.involved_namespace,
                "does not match event.namespace",
            ));
        }
        if ev.reporting_controller.is_empty() {
            errs.push(FieldError::required(Path::new(controller_field), ""));
        }
        errs.extend(validate_qualified_name(
            ev.reporting_controller,
            &Path::new(controller_field),
        ));
        if ev.reporting_instance.is_empty() {
            errs.push(FieldError::required(Path::new("reportingInstance"), ""));
        }
        if ev.reporting_instance.len() > REPORTING_INSTANCE_MAX {
            errs.push(FieldError::invalid(
                Path::new("reportingInstance"),
                "",
                format!("can have at most {REPORTING_INSTANCE_MAX} characters"),
            ));
        }
        if ev.action.is_empty() {
            errs.push(FieldError::required(Path::new("action"), ""));
        }
        if ev.action.len() > ACTION_MAX {
            errs.push(FieldError::invalid(
                Path::new("action"),
                "",
                format!("can have at most {ACTION_MAX} characters"),
            ));
        }
        if ev.reason.is_empty() {
            errs.push(FieldError::required(Path::new("reason"), ""));
        }
        if ev.reason.len() > REASON_MAX {
            errs.push(FieldError::invalid(
                Path::new("reason"),
                "",
                format!("can have at most {REASON_MAX} characters"),
            ));
        }
        if ev.message.len() > NOTE_MAX {
            errs.push(FieldError::invalid(
                Path::new("message"),
                "",
                format!("can have at most {NOTE_MAX} characters"),
            ));
        }
    }
    for m in is_dns1123_subdomain(ev.namespace) {
        errs.push(FieldError::invalid(Path::new("namespace"), ev.namespace, m));
    }
    errs
}

fn core_event_view(ev: &Value) -> EventView<'_> {
    EventView {
        namespace: str_of(child(ev, "metadata"), "namespace"),
        involved_namespace: str_of(child(ev, "involvedObject"), "namespace"),
        event_time: !str_of(ev, "eventTime").is_empty(),
        reporting_controller: str_of(ev, "reportingComponent"),
        reporting_instance: str_of(ev, "reportingInstance"),
        action: str_of(ev, "action"),
        reason: str_of(ev, "reason"),
        message: str_of(ev, "message"),
    }
}

/// Core v1 Events: the legacy rules only.
pub fn validate_event_create(ev: &Value) -> Vec<FieldError> {
    legacy_validate_event(&core_event_view(ev), "reportingComponent")
}

pub fn validate_event_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = legacy_validate_event(&core_event_view(new), "reportingComponent");
    errs.extend(meta_update(new, old));
    errs
}

fn events_v1_view(ev: &Value) -> EventView<'_> {
    EventView {
        namespace: str_of(child(ev, "metadata"), "namespace"),
        involved_namespace: str_of(child(ev, "regarding"), "namespace"),
        event_time: !str_of(ev, "eventTime").is_empty(),
        reporting_controller: str_of(ev, "reportingController"),
        reporting_instance: str_of(ev, "reportingInstance"),
        action: str_of(ev, "action"),
        reason: str_of(ev, "reason"),
        message: str_of(ev, "note"),
    }
}

/// `events.k8s.io/v1` Events: the legacy rules plus the strict ones.
pub fn validate_events_v1_create(ev: &Value) -> Vec<FieldError> {
    let mut errs = legacy_validate_event(&events_v1_view(ev), "reportingController");
    errs.extend(kube_meta(
        child(ev, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &metadata(),
    ));
    if let Some(series) = get(ev, "series") {
        if int_of(series, "count") < 2 {
            errs.push(FieldError::invalid(
                Path::new("series").child("count"),
                "",
                "should be at least 2",
            ));
        }
        if str_of(series, "lastObservedTime").is_empty() {
            errs.push(FieldError::required(
                Path::new("series").child("lastObservedTime"),
                "",
            ));
        }
    }
    if str_of(ev, "eventTime").is_empty() {
        errs.push(FieldError::required(Path::new("eventTime"), ""));
    }
    let ty = str_of(ev, "type");
    if ty != "Normal" && ty != "Warning" {
        errs.push(FieldError::invalid(
            Path::new("type"),
            "",
            format!("has invalid value: {ty}"),
        ));
    }
    for (key, path) in [
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
    ] {
        if !str_of(ev, key).is_empty() {
            errs.push(FieldError::invalid(
                Path::new(path),
                "",
                "needs to be unset",
            ));
        }
    }
    if int_of(ev, "deprecatedCount") != 0 {
        errs.push(FieldError::invalid(
            Path::new("count"),
            "",
            "needs to be unset",
        ));
    }
    let src = child(ev, "deprecatedSource");
    if !str_of(src, "component").is_empty() || !str_of(src, "host").is_empty() {
        errs.push(FieldError::invalid(
            Path::new("source"),
            "",
            "needs to be unset",
        ));
    }
    errs
}

pub fn validate_events_v1_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = legacy_validate_event(&events_v1_view(new), "reportingController");
    errs.extend(meta_update(new, old));
    for (key, path) in [
        ("regarding", "involvedObject"),
        ("reason", "reason"),
        ("deprecatedSource", "source"),
        ("reportingController", "reportingController"),
        ("reportingInstance", "reportingInstance"),
        ("action", "action"),
        ("type", "type"),
    ] {
        if !same(child(new, key), child(old, key)) {
            errs.push(FieldError::invalid(
                Path::new(path),
                child(new, key).clone(),
                IMMUTABLE,
            ));
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// LimitRange and ResourceQuota

pub fn validate_limit_range(lr: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(lr, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &metadata(),
    );
    let path = Path::new("spec").child("limits");
    let mut types: Vec<&str> = Vec::new();
    for (i, limit) in arr(child(lr, "spec"), "limits").iter().enumerate() {
        let p = path.index(i);
        let ty = str_of(limit, "type");
        let name_errs = validate_label_name(ty, &p.child("type"));
        if name_errs.is_empty()
            && !ty.contains('/')
            && !["Pod", "Container", "PersistentVolumeClaim"].contains(&ty)
        {
            errs.push(FieldError::invalid(
                p.child("type"),
                ty,
                "must be a standard limit type or fully qualified",
            ));
        }
        errs.extend(name_errs);
        if types.contains(&ty) {
            errs.push(FieldError::duplicate(p.child("type"), ty));
        }
        types.push(ty);
        let name_check = |name: &str, path: &Path| {
            if ty == "Pod" || ty == "Container" {
                validate_container_resource_name(name, path)
            } else {
                validate_resource_name(name, path)
            }
        };
        let mut lists: Vec<(&str, Vec<(&str, crate::api::quantity::Quantity)>)> = Vec::new();
        for key in [
            "max",
            "min",
            "default",
            "defaultRequest",
            "maxLimitRequestRatio",
        ] {
            if ty == "Pod" && (key == "default" || key == "defaultRequest") {
                if obj(limit, key).is_some_and(|m| !m.is_empty()) {
                    errs.push(FieldError::forbidden(
                        p.child(key),
                        "may not be specified when `type` is 'Pod'",
                    ));
                }
                continue;
            }
            let mut parse_errs = Vec::new();
            let list = resource_list(limit, key, &p.child(key), &mut parse_errs);
            errs.extend(parse_errs);
            for (name, _) in &list {
                errs.extend(name_check(name, &p.child(key).key(name)));
            }
            lists.push((key, list));
        }
        let find = |key: &str, name: &str| {
            lists
                .iter()
                .find(|(k, _)| *k == key)
                .and_then(|(_, l)| l.iter().find(|(n, _)| *n == name))
                .map(|(_, q)| *q)
        };
        if ty == "PersistentVolumeClaim"
            && find("min", "storage").is_none()
            && find("max", "storage").is_none()
        {
            errs.push(FieldError::required(
                p.child("limits"),
                "either minimum or maximum storage value is required, but neither was provided",
            ));
        }
        let mut names: Vec<&str> = lists
            .iter()
            .flat_map(|(_, l)| l.iter().map(|(n, _)| *n))
            .collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let (min, max, def, def_req, ratio) = (
                find("min", name),
                find("max", name),
                find("default", name),
                find("defaultRequest", name),
                find("maxLimitRequestRatio", name),
            );
            if let (Some(mn), Some(mx)) = (min, max)
                && mn > mx
            {
                errs.push(FieldError::invalid(
                    p.child("min").key(name),
                    mn.to_string(),
                    format!("min value {mn} is greater than max value {mx}"),
                ));
            }
            if let (Some(dr), Some(mn)) = (def_req, min)
                && mn > dr
            {
                errs.push(FieldError::invalid(
                    p.child("defaultRequest").key(name),
                    dr.to_string(),
                    format!("min value {mn} is greater than default request value {dr}"),
                ));
            }
            if let (Some(dr), Some(mx)) = (def_req, max)
                && dr > mx
            {
                errs.push(FieldError::invalid(
                    p.child("defaultRequest").key(name),
                    dr.to_string(),
                    format!("default request value {dr} is greater than max value {mx}"),
                ));
            }
            if let (Some(dr), Some(d)) = (def_req, def)
                && dr > d
            {
                errs.push(FieldError::invalid(
                    p.child("defaultRequest").key(name),
                    dr.to_string(),
                    format!("default request value {dr} is greater than default limit value {d}"),
                ));
            }
            if let (Some(d), Some(mn)) = (def, min)
                && mn > d
            {
                errs.push(FieldError::invalid(
                    p.child("default").key(name),
                    mn.to_string(),
                    format!("min value {mn} is greater than default value {d}"),
                ));
            }
            if let (Some(d), Some(mx)) = (def, max)
                && d > mx
            {
                errs.push(FieldError::invalid(
                    p.child("default").key(name),
                    mx.to_string(),
                    format!("default value {d} is greater than max value {mx}"),
                ));
            }
            if let Some(r) = ratio {
                if r < crate::api::quantity::Quantity::from_units(
                    1,
                    crate::api::quantity::Format::DecimalSI,
                ) {
                    errs.push(FieldError::invalid(
                        p.child("maxLimitRequestRatio").key(name),
                        r.to_string(),
                        format!("ratio {r} is less than 1"),
                    ));
                }
                if let (Some(mn), Some(mx)) = (min, max) {
                    let limit = mx.as_nanos() as f64 / mn.as_nanos() as f64;
                    let rv = r.as_nanos() as f64 / 1e9;
                    if rv > limit {
                        errs.push(FieldError::invalid(
                            p.child("maxLimitRequestRatio").key(name),
                            r.to_string(),
                            format!("ratio {r} is greater than max/min = {limit:.6}"),
                        ));
                    }
                }
            }
            if !super::resources::is_overcommit_allowed(name)
                && let (Some(d), Some(dr)) = (def, def_req)
                && d != dr
            {
                errs.push(FieldError::invalid(
                    p.child("defaultRequest").key(name),
                    dr.to_string(),
                    format!("default value {d} must equal to defaultRequest value {dr} in {name}"),
                ));
            }
        }
    }
    errs
}

pub fn validate_limit_range_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_limit_range(new));
    errs
}

const QUOTA_SCOPES: &[&str] = &[
    "Terminating",
    "NotTerminating",
    "BestEffort",
    "NotBestEffort",
    "PriorityClass",
    "CrossNamespacePodAffinity",
    "VolumeAttributesClass",
];

fn scope_valid_for(scope: &str, resource: &str) -> bool {
    let pod_compute = [
        "cpu",
        "memory",
        "requests.cpu",
        "requests.memory",
        "limits.cpu",
        "limits.memory",
        "pods",
        "ephemeral-storage",
        "requests.ephemeral-storage",
        "limits.ephemeral-storage",
    ];
    match scope {
        "BestEffort" => resource == "pods",
        "Terminating"
        | "NotTerminating"
        | "NotBestEffort"
        | "PriorityClass"
        | "CrossNamespacePodAffinity" => {
            pod_compute.contains(&resource)
                || resource.starts_with("hugepages-")
                || resource.starts_with("requests.hugepages-")
        }
        "VolumeAttributesClass" => {
            ["persistentvolumeclaims", "requests.storage"].contains(&resource)
        }
        _ => true,
    }
}

fn validate_quota_spec(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let hard_path = path.child("hard");
    let mut parse_errs = Vec::new();
    let hard = resource_list(spec, "hard", &hard_path, &mut parse_errs);
    errs.extend(parse_errs);
    for (name, q) in &hard {
        errs.extend(validate_quota_resource_name(name, &hard_path.key(name)));
        errs.extend(validate_quantity_value(name, q, &hard_path.key(name)));
    }
    let scopes = strings(spec, "scopes");
    let scopes_repr = || gorepr::strs("core.ResourceQuotaScope", &scopes);
    let scope_path = path.child("scopes");
    let standard = |k: &str| {
        super::resources::validate_quota_resource_name(k, &Path::root()).is_empty()
            && !k.contains('/')
    };
    for scope in &scopes {
        if !QUOTA_SCOPES.contains(scope) {
            errs.push(
                FieldError::invalid(
                    scope_path.clone(),
                    child(spec, "scopes").clone(),
                    "unsupported scope",
                )
                .with_value_repr(scopes_repr()),
            );
        }
        for (name, _) in &hard {
            if standard(name) && !scope_valid_for(scope, name) {
                errs.push(
                    FieldError::invalid(
                        scope_path.clone(),
                        child(spec, "scopes").clone(),
                        "unsupported scope applied to resource",
                    )
                    .with_value_repr(scopes_repr()),
                );
            }
        }
    }
    let conflicting = (scopes.contains(&"BestEffort") && scopes.contains(&"NotBestEffort"))
        || (scopes.contains(&"Terminating") && scopes.contains(&"NotTerminating"));
    if conflicting {
        errs.push(
            FieldError::invalid(
                scope_path,
                child(spec, "scopes").clone(),
                "conflicting scopes",
            )
            .with_value_repr(scopes_repr()),
        );
    }
    if let Some(sel) = get(spec, "scopeSelector") {
        let mp = path.child("scopeSelector").child("matchExpressions");
        for req in arr(sel, "matchExpressions") {
            let name = str_of(req, "scopeName");
            if !QUOTA_SCOPES.contains(&name) {
                errs.push(FieldError::invalid(
                    mp.child("scopeName"),
                    name,
                    "unsupported scope",
                ));
            }
            let op = str_of(req, "operator");
            if [
                "BestEffort",
                "NotBestEffort",
                "Terminating",
                "NotTerminating",
                "CrossNamespacePodAffinity",
            ]
            .contains(&name)
                && op != "Exists"
            {
                errs.push(FieldError::invalid(mp.child("operator"), op, "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity"));
            }
            let values = arr(req, "values");
            match op {
                "In" | "NotIn" => {
                    if values.is_empty() {
                        errs.push(FieldError::required(mp.child("values"), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
                    }
                }
                "Exists" | "DoesNotExist" => {
                    if !values.is_empty() {
                        errs.push(FieldError::invalid(mp.child("values"), child(req, "values").clone(), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector").with_value_repr(gorepr::string_slice("string", get(req, "values"))));
                    }
                }
                other => errs.push(FieldError::invalid(
                    mp.child("operator"),
                    other,
                    "not a valid selector operator",
                )),
            }
        }
    }
    errs
}

fn validate_quota_status(status: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for key in ["hard", "used"] {
        let p = path.child(key);
        let mut parse_errs = Vec::new();
        for (name, q) in resource_list(status, key, &p, &mut parse_errs) {
            errs.extend(validate_quota_resource_name(name, &p.key(name)));
            errs.extend(validate_quantity_value(name, &q, &p.key(name)));
        }
        errs.extend(parse_errs);
    }
    errs
}

pub fn validate_resource_quota(rq: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(rq, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &metadata(),
    );
    errs.extend(validate_quota_spec(child(rq, "spec"), &Path::new("spec")));
    errs.extend(validate_quota_status(
        child(rq, "status"),
        &Path::new("status"),
    ));
    errs
}

pub fn validate_resource_quota_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_quota_spec(child(new, "spec"), &Path::new("spec")));
    let mut ns = strings(child(new, "spec"), "scopes");
    let mut os = strings(child(old, "spec"), "scopes");
    ns.sort_unstable();
    ns.dedup();
    os.sort_unstable();
    os.dedup();
    if ns != os {
        errs.push(
            FieldError::invalid(
                Path::new("spec").child("scopes"),
                child(child(new, "spec"), "scopes").clone(),
                IMMUTABLE,
            )
            .with_value_repr(gorepr::string_slice(
                "core.ResourceQuotaScope",
                get(child(new, "spec"), "scopes"),
            )),
        );
    }
    errs
}

pub fn validate_resource_quota_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    if str_of(child(new, "metadata"), "resourceVersion").is_empty() {
        errs.push(FieldError::required(Path::new("resourceVersion"), ""));
    }
    errs.extend(validate_quota_status(
        child(new, "status"),
        &Path::new("status"),
    ));
    errs
}

// ---------------------------------------------------------------------------------------------
// ReplicationController

fn validate_rc_spec(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(n) = int(spec, "minReadySeconds") {
        errs.extend(nonneg(path.child("minReadySeconds"), n));
    }
    let tpl = get(spec, "template");
    // The selector defaults to the template's labels.
    let selector = match obj(spec, "selector").filter(|m| !m.is_empty()) {
        Some(_) => child(spec, "selector").clone(),
        None => tpl
            .map(|t| child(child(t, "metadata"), "labels").clone())
            .unwrap_or(Value::Null),
    };
    if selector.as_object().is_none_or(|m| m.is_empty()) {
        errs.push(FieldError::required(path.child("selector"), ""));
    }
    errs.extend(nonneg(
        path.child("replicas"),
        int(spec, "replicas").unwrap_or(1),
    ));
    let tp = path.child("template");
    match tpl {
        None => errs.push(FieldError::required(tp, "")),
        Some(t) => {
            let labels = child(child(t, "metadata"), "labels");
            let sel = serde_json::json!({"matchLabels": selector});
            if selector.as_object().is_some_and(|m| !m.is_empty())
                && !selector_matches(&sel, labels)
            {
                errs.push(
                    FieldError::invalid(
                        tp.child("metadata").child("labels"),
                        labels.clone(),
                        "`selector` does not match template `labels`",
                    )
                    .with_value_repr(gorepr::string_map(get(child(t, "metadata"), "labels"))),
                );
            }
            errs.extend(validate_pod_template_spec(t, &tp));
            let rp = super::pod::restart_policy(child(t, "spec"));
            if rp != "Always" {
                errs.push(FieldError::not_supported(
                    tp.child("spec").child("restartPolicy"),
                    rp,
                    &["Always"],
                ));
            }
            if has(child(t, "spec"), "activeDeadlineSeconds") {
                errs.push(FieldError::forbidden(
                    tp.child("spec").child("activeDeadlineSeconds"),
                    "activeDeadlineSeconds in ReplicationController is not Supported",
                ));
            }
        }
    }
    errs
}

pub fn validate_rc(rc: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(rc, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &metadata(),
    );
    errs.extend(validate_rc_spec(child(rc, "spec"), &Path::new("spec")));
    errs
}

pub fn validate_rc_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_rc_spec(child(new, "spec"), &Path::new("spec")));
    errs
}

/// Replica counts of a status: non-negative and consistent.
pub fn validate_replica_status(
    status: &Value,
    path: &Path,
    fully_labeled: bool,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let keys: &[&str] = if fully_labeled {
        &[
            "replicas",
            "fullyLabeledReplicas",
            "readyReplicas",
            "availableReplicas",
            "observedGeneration",
        ]
    } else {
        &[
            "replicas",
            "readyReplicas",
            "availableReplicas",
            "observedGeneration",
        ]
    };
    nonneg_fields(&mut errs, status, keys, path);
    let (replicas, ready, available) = (
        int_of(status, "replicas"),
        int_of(status, "readyReplicas"),
        int_of(status, "availableReplicas"),
    );
    let msg = "cannot be greater than status.replicas";
    if fully_labeled && int_of(status, "fullyLabeledReplicas") > replicas {
        errs.push(FieldError::invalid(
            path.child("fullyLabeledReplicas"),
            int_of(status, "fullyLabeledReplicas"),
            msg,
        ));
    }
    if ready > replicas {
        errs.push(FieldError::invalid(path.child("readyReplicas"), ready, msg));
    }
    if available > replicas {
        errs.push(FieldError::invalid(
            path.child("availableReplicas"),
            available,
            msg,
        ));
    }
    if available > ready {
        errs.push(FieldError::invalid(
            path.child("availableReplicas"),
            available,
            "cannot be greater than readyReplicas",
        ));
    }
    errs
}

pub fn validate_rc_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_replica_status(
        child(new, "status"),
        &Path::new("status"),
        true,
    ));
    errs
}

/// Immutability helper for kinds that compare whole sub-objects.
pub fn immutable_field(new: &Value, old: &Value, key: &str, path: Path) -> Option<FieldError> {
    immutable(path, child(new, key), child(old, key))
}

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;
