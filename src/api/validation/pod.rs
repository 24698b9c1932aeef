//! Pods and pod specs: containers, volumes, probes, scheduling constraints, security contexts
//! (`pkg/apis/core/validation`, `ValidatePodSpec` and friends). Every workload template goes
//! through [`validate_pod_template_spec`].
//!
//! Fields upstream defaults before validating (restartPolicy, dnsPolicy, imagePullPolicy,
//! terminationMessagePolicy, probe thresholds, port protocols, …) are read with their default when
//! absent, so validation gives the same answer whether or not defaulting ran first.

use serde_json::Value;

use super::gorepr;
use super::json::{
    IntOrString, arr, child, get, has, int, int_or_string, is_true, map_of, normalized, obj,
    opt_str, str_of, str_or, string_entries, strings,
};
use super::meta::{
    SelectorOpts, nonneg, nonneg_fields, validate_label_name, validate_label_selector,
    validate_labels, validate_qualified_name, validate_template_meta,
};
use super::names::{
    inclusive_range_error, is_config_map_key, is_dns1123_label, is_dns1123_subdomain,
    is_env_var_name, is_http_header_name, is_valid_id, is_valid_ip, is_valid_label_value,
    is_valid_port_name, is_valid_port_num, regex_error,
};
use super::resources::{quantity, validate_resource_requirements};
use crate::api::field::{FieldError, Path};

const FILE_MODE_ERROR: &str = "must be a number between 0 and 0777 (octal), both inclusive";
const MAX_INT32: i64 = i32::MAX as i64;

/// Where a pod spec sits.
#[derive(Clone, Copy, Debug, Default)]
pub struct PodOpts {
    /// The spec is a Pod's own, not a template's.
    pub resource_is_pod: bool,
}

// ---------------------------------------------------------------------------------------------
// Pods

/// `ValidatePodCreate`.
pub fn validate_pod_create(pod: &Value) -> Vec<FieldError> {
    let mut errs = validate_pod_metadata_and_spec(pod);
    let spec = child(pod, "spec");
    let spec_path = Path::new("spec");
    if !arr(spec, "ephemeralContainers").is_empty() {
        errs.push(FieldError::forbidden(
            spec_path.child("ephemeralContainers"),
            "cannot be set on create",
        ));
    }
    if !str_of(spec, "nodeName").is_empty() && !arr(spec, "schedulingGates").is_empty() {
        errs.push(FieldError::forbidden(
            spec_path.child("nodeName"),
            "cannot be set until all schedulingGates have been cleared",
        ));
    }
    errs
}

fn validate_pod_metadata_and_spec(pod: &Value) -> Vec<FieldError> {
    let meta = child(pod, "metadata");
    let meta_path = Path::new("metadata");
    let spec = child(pod, "spec");
    let spec_path = Path::new("spec");
    let mut errs = super::kube_meta(meta, true, super::NameRule::Dns1123Subdomain, &meta_path);
    errs.extend(validate_pod_specific_annotations(
        meta,
        spec,
        &meta_path.child("annotations"),
    ));
    errs.extend(validate_pod_spec(
        spec,
        Some(meta),
        &spec_path,
        PodOpts {
            resource_is_pod: true,
        },
    ));
    for key in ["containers", "initContainers"] {
        for (i, c) in arr(spec, key).iter().enumerate() {
            let image = str_of(c, "image");
            if image.len() != image.trim().len() {
                errs.push(FieldError::invalid(
                    spec_path.child(key).index(i).child("image"),
                    image,
                    "must not have leading or trailing whitespace",
                ));
            }
        }
    }
    errs
}

/// Annotations with meaning for pods: mirror pods, tolerations, deletion cost, seccomp, AppArmor.
pub fn validate_pod_specific_annotations(
    meta: &Value,
    spec: &Value,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let annotations = map_of(meta, "annotations");
    let ann = |k: &str| annotations.get(k).and_then(Value::as_str);
    if let Some(v) = ann("kubernetes.io/config.mirror")
        && str_of(spec, "nodeName").is_empty()
    {
        errs.push(FieldError::invalid(
            path.key("kubernetes.io/config.mirror"),
            v,
            "must set spec.nodeName if mirror pod annotation is set",
        ));
    }
    if let Some(v) = ann("controller.kubernetes.io/pod-deletion-cost")
        && v.parse::<i32>().is_err()
    {
        errs.push(FieldError::invalid(
            path.key("controller.kubernetes.io/pod-deletion-cost"),
            v,
            "must be a 32bit integer",
        ));
    }
    for (k, v) in string_entries(meta, "annotations") {
        if k == "seccomp.security.alpha.kubernetes.io/pod"
            || k.starts_with("container.seccomp.security.alpha.kubernetes.io/")
        {
            errs.extend(validate_seccomp_profile_annotation(v, &path.child(k)));
        }
        if let Some(container) = k.strip_prefix("container.apparmor.security.beta.kubernetes.io/") {
            if !pod_has_container(spec, container) {
                errs.push(FieldError::invalid(
                    path.key(k),
                    container,
                    "container not found",
                ));
            }
            if !(v.is_empty()
                || v == "runtime/default"
                || v == "unconfined"
                || v.starts_with("localhost/"))
            {
                errs.push(FieldError::invalid(
                    path.key(k),
                    v,
                    format!("invalid AppArmor profile name: {}", gorepr::quote(v)),
                ));
            }
        }
    }
    errs
}

fn validate_seccomp_profile_annotation(p: &str, path: &Path) -> Vec<FieldError> {
    if p == "runtime/default" || p == "docker/default" || p == "unconfined" {
        return Vec::new();
    }
    if let Some(local) = p.strip_prefix("localhost/") {
        return validate_local_descending_path(local, path);
    }
    vec![FieldError::invalid(
        path.clone(),
        p,
        "must be a valid seccomp profile",
    )]
}

fn pod_has_container(spec: &Value, name: &str) -> bool {
    ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| arr(spec, k))
        .any(|c| str_of(c, "name") == name)
}

const UPDATABLE_POD_SPEC_FIELDS: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// `ValidatePodUpdate`: metadata, the new pod as on create, and the few mutable spec fields.
pub fn validate_pod_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let meta_path = Path::new("metadata");
    let mut errs = super::meta::validate_meta_update_kube(
        child(new, "metadata"),
        child(old, "metadata"),
        &meta_path,
    );
    errs.extend(validate_pod_metadata_and_spec(new));
    errs.extend(validate_pod_annotation_updates(
        new,
        old,
        &meta_path.child("annotations"),
    ));
    let spec_path = Path::new("spec");
    let (ns, os) = (child(new, "spec"), child(old, "spec"));
    for key in ["containers", "initContainers"] {
        let (nc, oc) = (arr(ns, key), arr(os, key));
        if nc.len() != oc.len() {
            errs.push(FieldError::forbidden(
                spec_path.child(key),
                "pod updates may not add or remove containers",
            ));
            return errs;
        }
        for (i, c) in nc.iter().enumerate() {
            if str_of(c, "image").is_empty() {
                errs.push(FieldError::required(
                    spec_path.child(key).index(i).child("image"),
                    "",
                ));
            }
        }
    }
    let new_ads = int(ns, "activeDeadlineSeconds");
    let old_ads = int(os, "activeDeadlineSeconds");
    match (new_ads, old_ads) {
        (Some(n), _) if !(0..=MAX_INT32).contains(&n) => {
            errs.push(FieldError::invalid(
                spec_path.child("activeDeadlineSeconds"),
                n,
                inclusive_range_error(0, MAX_INT32),
            ));
            return errs;
        }
        (Some(n), Some(o)) if o < n => {
            errs.push(FieldError::invalid(
                spec_path.child("activeDeadlineSeconds"),
                n,
                "must be less than or equal to previous value",
            ));
            return errs;
        }
        (None, Some(_)) => errs.push(FieldError::invalid(
            spec_path.child("activeDeadlineSeconds"),
            Value::Null,
            "must not update from a positive integer to nil value",
        )),
        _ => {}
    }
    errs.extend(validate_only_added_tolerations(
        arr(ns, "tolerations"),
        arr(os, "tolerations"),
        &spec_path.child("tolerations"),
    ));
    errs.extend(validate_only_deleted_scheduling_gates(
        arr(ns, "schedulingGates"),
        arr(os, "schedulingGates"),
        &spec_path.child("schedulingGates"),
    ));
    let munged = munge_pod_spec(ns, os);
    let gated = !arr(os, "schedulingGates").is_empty();
    let (munged, old_spec) = if gated {
        let mut m = munged;
        let mut o = normalized(os);
        if let (Some(mo), Some(oo)) = (m.as_object_mut(), o.as_object_mut()) {
            if !super::json::same(child(ns, "nodeSelector"), child(os, "nodeSelector")) {
                for (k, v) in string_entries(os, "nodeSelector") {
                    if child(ns, "nodeSelector").get(k).and_then(Value::as_str) != Some(v) {
                        errs.push(
                            FieldError::invalid(
                                spec_path.child("nodeSelector"),
                                child(ns, "nodeSelector").clone(),
                                "only additions to spec.nodeSelector are allowed (no mutations or deletions)",
                            )
                            .with_value_repr(gorepr::string_map(get(ns, "nodeSelector"))),
                        );
                        break;
                    }
                }
            }
            mo.remove("nodeSelector");
            oo.remove("nodeSelector");
        }
        (m, o)
    } else {
        (munged, normalized(os))
    };
    if munged != old_spec {
        errs.push(FieldError::forbidden(
            spec_path,
            format!(
                "pod updates may not change fields other than {UPDATABLE_POD_SPEC_FIELDS}\n{}",
                spec_diff(&old_spec, &munged)
            ),
        ));
    }
    errs
}

/// The new spec with the mutable fields taken from the old one, normalised for comparison.
fn munge_pod_spec(new: &Value, old: &Value) -> Value {
    let mut m = new.clone();
    if let Some(obj) = m.as_object_mut() {
        for key in ["containers", "initContainers"] {
            if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
                for (i, c) in list.iter_mut().enumerate() {
                    let old_image = arr(old, key).get(i).map(|o| child(o, "image").clone());
                    if let (Some(c), Some(img)) = (c.as_object_mut(), old_image) {
                        c.insert("image".to_owned(), img);
                    }
                }
            }
        }
        for key in ["activeDeadlineSeconds", "schedulingGates", "tolerations"] {
            match get(old, key) {
                Some(v) => obj.insert(key.to_owned(), v.clone()),
                None => obj.remove(key),
            };
        }
        let old_grace = int(old, "terminationGracePeriodSeconds");
        if old_grace.is_some_and(|g| g < 0) && int(new, "terminationGracePeriodSeconds") == Some(1)
        {
            obj.insert(
                "terminationGracePeriodSeconds".to_owned(),
                child(old, "terminationGracePeriodSeconds").clone(),
            );
        }
    }
    normalized(&m)
}

/// A readable account of what changed (upstream prints a `cmp.Diff` of the Go structs).
fn spec_diff(old: &Value, new: &Value) -> String {
    let mut lines = vec!["  core.PodSpec{".to_owned()];
    let empty = serde_json::Map::new();
    let (om, nm) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut keys: Vec<&String> = om.keys().chain(nm.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let (o, n) = (om.get(k.as_str()), nm.get(k.as_str()));
        if o != n {
            if let Some(o) = o {
                lines.push(format!("- \t{k}: {o},"));
            }
            if let Some(n) = n {
                lines.push(format!("+ \t{k}: {n},"));
            }
        }
    }
    lines.push("  }".to_owned());
    lines.join("\n")
}

fn validate_only_added_tolerations(new: &[Value], old: &[Value], path: &Path) -> Vec<FieldError> {
    for o in old {
        let mut o = normalized(o);
        if let Some(m) = o.as_object_mut() {
            m.remove("tolerationSeconds");
        }
        let found = new.iter().any(|n| {
            let mut n = normalized(n);
            if let Some(m) = n.as_object_mut() {
                m.remove("tolerationSeconds");
            }
            n == o
        });
        if !found {
            return vec![FieldError::forbidden(
                path.clone(),
                "existing toleration can not be modified except its tolerationSeconds",
            )];
        }
    }
    validate_tolerations(new, path)
}

fn validate_only_deleted_scheduling_gates(
    new: &[Value],
    old: &[Value],
    path: &Path,
) -> Vec<FieldError> {
    let old_names: Vec<&str> = old.iter().map(|g| str_of(g, "name")).collect();
    new.iter()
        .enumerate()
        .filter(|(_, g)| !old_names.contains(&str_of(g, "name")))
        .map(|(i, g)| {
            FieldError::forbidden(
                path.index(i).child("name"),
                format!(
                    "only deletion is allowed, but found new scheduling gate '{}'",
                    str_of(g, "name")
                ),
            )
        })
        .collect()
}

fn validate_pod_annotation_updates(new: &Value, old: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let (na, oa) = (
        map_of(child(new, "metadata"), "annotations"),
        map_of(child(old, "metadata"), "annotations"),
    );
    let watched = |k: &str| {
        k == "kubernetes.io/config.mirror"
            || k.starts_with("container.apparmor.security.beta.kubernetes.io/")
    };
    let mut old_keys: Vec<&String> = oa.keys().collect();
    old_keys.sort();
    for k in old_keys {
        if na.get(k.as_str()) == oa.get(k.as_str()) || !watched(k) {
            continue;
        }
        let what = if k.as_str() == "kubernetes.io/config.mirror" {
            "may not remove or update mirror pod annotation"
        } else {
            "may not remove or update AppArmor annotations"
        };
        errs.push(FieldError::forbidden(path.key(k), what));
    }
    let mut new_keys: Vec<&String> = na.keys().collect();
    new_keys.sort();
    for k in new_keys {
        if oa.contains_key(k.as_str()) || !watched(k) {
            continue;
        }
        let what = if k.as_str() == "kubernetes.io/config.mirror" {
            "may not add mirror pod annotation"
        } else {
            "may not add AppArmor annotations"
        };
        errs.push(FieldError::forbidden(path.key(k), what));
    }
    errs
}

/// `ValidatePodStatusUpdate` (the checks that do not need the kubelet's view).
pub fn validate_pod_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let meta_path = Path::new("metadata");
    let mut errs = super::meta::validate_meta_update_kube(
        child(new, "metadata"),
        child(old, "metadata"),
        &meta_path,
    );
    errs.extend(validate_pod_annotation_updates(
        new,
        old,
        &meta_path.child("annotations"),
    ));
    let status = child(new, "status");
    for (i, c) in arr(status, "conditions").iter().enumerate() {
        let ty = str_of(c, "type");
        if ["PodScheduled", "Ready", "Initialized"].contains(&ty) {
            continue;
        }
        errs.extend(validate_qualified_name(
            ty,
            &meta_path.child("conditions").index(i).child("Type"),
        ));
    }
    let status_path = Path::new("status");
    if str_of(child(new, "spec"), "nodeName") != str_of(child(old, "spec"), "nodeName") {
        errs.push(FieldError::forbidden(
            status_path.child("nodeName"),
            "may not be changed directly",
        ));
    }
    let nominated = str_of(status, "nominatedNodeName");
    if !nominated.is_empty() && nominated != str_of(child(old, "status"), "nominatedNodeName") {
        for msg in is_dns1123_subdomain(nominated) {
            errs.push(FieldError::invalid(
                status_path.child("nominatedNodeName"),
                nominated,
                msg,
            ));
        }
    }
    let (nq, oq) = (
        str_of(status, "qosClass"),
        str_of(child(old, "status"), "qosClass"),
    );
    if nq != oq {
        errs.push(FieldError::invalid(
            status_path.child("qosClass"),
            nq,
            super::meta::IMMUTABLE,
        ));
    }
    for key in ["podIPs", "hostIPs"] {
        let ips = arr(status, key);
        for (i, ip) in ips.iter().enumerate() {
            errs.extend(is_valid_ip(
                &status_path.child(key).index(i),
                str_of(ip, "ip"),
            ));
        }
        let mut seen: Vec<&str> = Vec::new();
        for (i, ip) in ips.iter().enumerate() {
            let s = str_of(ip, "ip");
            if seen.contains(&s) {
                errs.push(
                    FieldError::duplicate(status_path.child(key).index(i), ip.clone())
                        .with_value_repr(format!(
                            "core.{}{{IP:{}}}",
                            if key == "podIPs" { "PodIP" } else { "HostIP" },
                            gorepr::quote(s)
                        )),
                );
            }
            seen.push(s);
        }
    }
    if let Some(first) = arr(status, "hostIPs").first() {
        let host_ip = str_of(status, "hostIP");
        if str_of(first, "ip") != host_ip {
            errs.push(FieldError::invalid(
                status_path.child("hostIPs").index(0).child("ip"),
                str_of(first, "ip"),
                "must be equal to `hostIP`",
            ));
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Templates

/// `ValidatePodTemplateSpec`: labels, annotations and the pod spec of a workload's template.
pub fn validate_pod_template_spec(tpl: &Value, path: &Path) -> Vec<FieldError> {
    let meta = child(tpl, "metadata");
    let spec = child(tpl, "spec");
    let mut errs = validate_labels(meta, "labels", &path.child("labels"));
    errs.extend(super::meta::validate_annotations(
        meta,
        "annotations",
        &path.child("annotations"),
    ));
    errs.extend(validate_pod_specific_annotations(
        meta,
        spec,
        &path.child("annotations"),
    ));
    errs.extend(validate_pod_spec(
        spec,
        None,
        &path.child("spec"),
        PodOpts::default(),
    ));
    if !arr(spec, "ephemeralContainers").is_empty() {
        errs.push(FieldError::forbidden(
            path.child("spec").child("ephemeralContainers"),
            "ephemeral containers not allowed in pod template",
        ));
    }
    errs
}

/// The restart policy of a pod spec, defaulted.
pub fn restart_policy(spec: &Value) -> &str {
    str_or(spec, "restartPolicy", "Always")
}

/// `PodTemplate` objects.
pub fn validate_pod_template(obj: &Value) -> Vec<FieldError> {
    let mut errs = super::kube_meta(
        child(obj, "metadata"),
        true,
        super::NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_pod_template_spec(
        child(obj, "template"),
        &Path::new("template"),
    ));
    errs
}

/// Template metadata for PVC templates and similar.
pub fn validate_pvc_template_meta(meta: &Value, path: &Path) -> Vec<FieldError> {
    validate_template_meta(meta, path)
}

// ---------------------------------------------------------------------------------------------
// Pod spec

/// `ValidatePodSpec`.
pub fn validate_pod_spec(
    spec: &Value,
    pod_meta: Option<&Value>,
    path: &Path,
    opts: PodOpts,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let grace = int(spec, "terminationGracePeriodSeconds").or(Some(30));
    let host_users = child(spec, "securityContext")
        .get("hostUsers")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let (volumes, verrs) =
        validate_volumes(arr(spec, "volumes"), pod_meta, &path.child("volumes"), opts);
    errs.extend(verrs);
    let claim_names: Vec<&str> = arr(spec, "resourceClaims")
        .iter()
        .map(|c| str_of(c, "name"))
        .filter(|n| !n.is_empty())
        .collect();
    errs.extend(validate_pod_resource_claims(
        spec,
        &path.child("resourceClaims"),
    ));
    let ctx = ContainerCtx {
        volumes: &volumes,
        claims: &claim_names,
        grace,
        restart_policy: restart_policy(spec),
        host_users,
    };
    errs.extend(validate_containers(
        arr(spec, "containers"),
        &ctx,
        &path.child("containers"),
    ));
    errs.extend(validate_init_containers(
        spec,
        &ctx,
        &path.child("initContainers"),
    ));
    errs.extend(validate_ephemeral_containers(
        spec,
        &ctx,
        &path.child("ephemeralContainers"),
    ));
    errs.extend(validate_host_network_deps(spec, path, opts));
    errs.extend(validate_enum(
        spec,
        "restartPolicy",
        "Always",
        &["Always", "OnFailure", "Never"],
        path,
    ));
    errs.extend(validate_enum(
        spec,
        "dnsPolicy",
        "ClusterFirst",
        &["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
        path,
    ));
    errs.extend(validate_labels(
        spec,
        "nodeSelector",
        &path.child("nodeSelector"),
    ));
    errs.extend(validate_pod_security_context(
        spec,
        path,
        &path.child("securityContext"),
    ));
    errs.extend(validate_affinity(
        child(spec, "affinity"),
        &path.child("affinity"),
    ));
    errs.extend(validate_dns_config(spec, &path.child("dnsConfig")));
    for (i, g) in arr(spec, "readinessGates").iter().enumerate() {
        errs.extend(validate_qualified_name(
            str_of(g, "conditionType"),
            &path.child("readinessGates").index(i).child("conditionType"),
        ));
    }
    errs.extend(validate_scheduling_gates(
        arr(spec, "schedulingGates"),
        &path.child("schedulingGates"),
    ));
    errs.extend(validate_topology_spread(
        arr(spec, "topologySpreadConstraints"),
        &path.child("topologySpreadConstraints"),
    ));
    errs.extend(validate_host_users(spec, path));
    errs.extend(validate_dns_subdomain_field(
        spec,
        "serviceAccountName",
        path,
    ));
    errs.extend(validate_dns_subdomain_field(spec, "nodeName", path));
    if let Some(ads) = int(spec, "activeDeadlineSeconds")
        && !(1..=MAX_INT32).contains(&ads)
    {
        errs.push(FieldError::invalid(
            path.child("activeDeadlineSeconds"),
            ads,
            inclusive_range_error(1, MAX_INT32),
        ));
    }
    for key in ["hostname", "subdomain"] {
        let v = str_of(spec, key);
        if !v.is_empty() {
            errs.extend(dns1123_label(v, &path.child(key)));
        }
    }
    errs.extend(validate_tolerations(
        arr(spec, "tolerations"),
        &path.child("tolerations"),
    ));
    for (i, alias) in arr(spec, "hostAliases").iter().enumerate() {
        let p = path.child("hostAliases").index(i);
        errs.extend(is_valid_ip(&p.child("ip"), str_of(alias, "ip")));
        for (j, h) in strings(alias, "hostnames").into_iter().enumerate() {
            errs.extend(dns1123_subdomain(h, &p.child("hostnames").index(j)));
        }
    }
    errs.extend(validate_dns_subdomain_field(
        spec,
        "priorityClassName",
        path,
    ));
    if let Some(rc) = opt_str(spec, "runtimeClassName") {
        errs.extend(dns1123_subdomain(rc, &path.child("runtimeClassName")));
    }
    if let Some(pp) = opt_str(spec, "preemptionPolicy") {
        errs.extend(validate_preemption_policy(
            pp,
            &path.child("preemptionPolicy"),
        ));
    }
    if has(spec, "overhead") {
        let wrapped = serde_json::json!({"limits": child(spec, "overhead")});
        errs.extend(validate_resource_requirements(
            &wrapped,
            &[],
            &path.child("overhead"),
        ));
    }
    if has(spec, "os") {
        errs.extend(validate_os(spec, path));
    }
    errs
}

/// `ValidatePreemptionPolicy`.
pub fn validate_preemption_policy(pp: &str, path: &Path) -> Vec<FieldError> {
    match pp {
        "PreemptLowerPriority" | "Never" => Vec::new(),
        "" => vec![FieldError::required(path.clone(), "")],
        other => vec![FieldError::not_supported(
            path.clone(),
            other,
            &["PreemptLowerPriority", "Never"],
        )],
    }
}

fn validate_enum(
    v: &Value,
    key: &str,
    default: &str,
    allowed: &[&str],
    path: &Path,
) -> Vec<FieldError> {
    let value = str_or(v, key, default);
    if allowed.contains(&value) {
        Vec::new()
    } else {
        vec![FieldError::not_supported(path.child(key), value, allowed)]
    }
}

fn validate_dns_subdomain_field(spec: &Value, key: &str, path: &Path) -> Vec<FieldError> {
    let v = str_of(spec, key);
    if v.is_empty() {
        return Vec::new();
    }
    dns1123_subdomain(v, &path.child(key))
}

/// `ValidateDNS1123Label`.
pub fn dns1123_label(v: &str, path: &Path) -> Vec<FieldError> {
    is_dns1123_label(v)
        .into_iter()
        .map(|m| FieldError::invalid(path.clone(), v, m))
        .collect()
}

/// `ValidateDNS1123Subdomain`.
pub fn dns1123_subdomain(v: &str, path: &Path) -> Vec<FieldError> {
    is_dns1123_subdomain(v)
        .into_iter()
        .map(|m| FieldError::invalid(path.clone(), v, m))
        .collect()
}

fn validate_os(spec: &Value, path: &Path) -> Vec<FieldError> {
    let os = child(spec, "os");
    let name = str_of(os, "name");
    if name.is_empty() {
        return vec![FieldError::required(
            path.child("os").child("name"),
            "cannot be empty",
        )];
    }
    if name != "linux" && name != "windows" {
        return vec![FieldError::not_supported(
            path.child("os"),
            name,
            &["linux", "windows"],
        )];
    }
    let mut errs = Vec::new();
    let sc = child(spec, "securityContext");
    if name == "linux" {
        if has(sc, "windowsOptions") {
            errs.push(FieldError::forbidden(
                path.child("securityContext").child("windowsOptions"),
                "windows options cannot be set for a linux pod",
            ));
        }
        for (cpath, c) in all_containers(spec, path) {
            if has(child(c, "securityContext"), "windowsOptions") {
                errs.push(FieldError::forbidden(
                    cpath.child("securityContext").child("windowsOptions"),
                    "windows options cannot be set for a linux pod",
                ));
            }
        }
    } else {
        let pod_fields = [
            ("appArmorProfile", true),
            ("seLinuxOptions", true),
            ("seccompProfile", true),
            ("fsGroup", true),
            ("fsGroupChangePolicy", true),
            ("sysctls", true),
            ("runAsUser", true),
            ("runAsGroup", true),
            ("supplementalGroups", true),
            ("supplementalGroupsPolicy", true),
            ("seLinuxChangePolicy", true),
        ];
        for (f, _) in pod_fields {
            if has(sc, f) && !(f == "sysctls" && arr(sc, f).is_empty()) {
                errs.push(FieldError::forbidden(
                    path.child("securityContext").child(f),
                    "cannot be set for a windows pod",
                ));
            }
        }
        for f in ["hostPID", "hostIPC", "shareProcessNamespace"] {
            if is_true(spec, f) || (f == "shareProcessNamespace" && has(spec, f)) {
                errs.push(FieldError::forbidden(
                    path.child(f),
                    "cannot be set for a windows pod",
                ));
            }
        }
        for (cpath, c) in all_containers(spec, path) {
            let csc = child(c, "securityContext");
            for f in [
                "appArmorProfile",
                "seLinuxOptions",
                "seccompProfile",
                "capabilities",
                "readOnlyRootFilesystem",
                "privileged",
                "allowPrivilegeEscalation",
                "procMount",
                "runAsUser",
                "runAsGroup",
            ] {
                if has(csc, f) {
                    errs.push(FieldError::forbidden(
                        cpath.child("securityContext").child(f),
                        "cannot be set for a windows pod",
                    ));
                }
            }
        }
    }
    errs
}

fn all_containers<'a>(spec: &'a Value, path: &Path) -> Vec<(Path, &'a Value)> {
    let mut out = Vec::new();
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for (i, c) in arr(spec, key).iter().enumerate() {
            out.push((path.child(key).index(i), c));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Containers

/// A volume that validated, by name, with the kind of its source.
pub struct VolumeInfo<'a> {
    pub name: &'a str,
    pub source: &'a str,
}

struct ContainerCtx<'a> {
    volumes: &'a [VolumeInfo<'a>],
    claims: &'a [&'a str],
    grace: Option<i64>,
    restart_policy: &'a str,
    host_users: bool,
}

fn validate_containers(
    containers: &[Value],
    ctx: &ContainerCtx<'_>,
    path: &Path,
) -> Vec<FieldError> {
    if containers.is_empty() {
        return vec![FieldError::required(path.clone(), "")];
    }
    let mut errs = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_container_common(c, ctx, &p));
        let name = str_of(c, "name");
        if names.contains(&name) {
            errs.push(FieldError::duplicate(p.child("name"), name));
        } else {
            names.push(name);
        }
        if has(c, "lifecycle") {
            errs.extend(validate_lifecycle(
                child(c, "lifecycle"),
                ctx.grace,
                &p.child("lifecycle"),
            ));
        }
        errs.extend(validate_probes(c, ctx.grace, &p));
        if has(c, "restartPolicy") {
            errs.push(FieldError::forbidden(
                p.child("restartPolicy"),
                "may not be set for non-init containers",
            ));
        }
    }
    errs.extend(check_host_port_conflicts(containers, path));
    errs
}

fn validate_probes(c: &Value, grace: Option<i64>, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(probe) = get(c, key) {
            errs.extend(validate_probe(probe, grace, &p.child(key)));
            if key != "readinessProbe"
                && int(probe, "successThreshold").is_some_and(|s| s != 1 && s != 0)
            {
                errs.push(FieldError::invalid(
                    p.child(key).child("successThreshold"),
                    int(probe, "successThreshold").unwrap_or(0),
                    "must be 1",
                ));
            }
            if key == "readinessProbe"
                && let Some(t) = int(probe, "terminationGracePeriodSeconds")
            {
                errs.push(FieldError::invalid(
                    p.child(key).child("terminationGracePeriodSeconds"),
                    t,
                    "must not be set for readinessProbes",
                ));
            }
        }
    }
    errs
}

fn validate_init_containers(spec: &Value, ctx: &ContainerCtx<'_>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names: Vec<&str> = arr(spec, "containers")
        .iter()
        .map(|c| str_of(c, "name"))
        .collect();
    for (i, c) in arr(spec, "initContainers").iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_container_common(c, ctx, &p));
        let mut restart_always = false;
        if let Some(rp) = opt_str(c, "restartPolicy") {
            if rp != "Always" {
                errs.push(FieldError::not_supported(
                    p.child("restartPolicy"),
                    rp,
                    &["Always"],
                ));
            }
            restart_always = rp == "Always";
        }
        let name = str_of(c, "name");
        if names.contains(&name) {
            errs.push(FieldError::duplicate(p.child("name"), name));
        } else if !name.is_empty() {
            names.push(name);
        }
        errs.extend(check_host_port_conflicts(std::slice::from_ref(c), path));
        if restart_always {
            if has(c, "lifecycle") {
                errs.extend(validate_lifecycle(
                    child(c, "lifecycle"),
                    ctx.grace,
                    &p.child("lifecycle"),
                ));
            }
            errs.extend(validate_probes(c, ctx.grace, &p));
        } else {
            for key in [
                "lifecycle",
                "livenessProbe",
                "readinessProbe",
                "startupProbe",
            ] {
                if has(c, key) {
                    errs.push(FieldError::forbidden(
                        p.child(key),
                        "may not be set for init containers without restartPolicy=Always",
                    ));
                }
            }
        }
        if !arr(c, "resizePolicy").is_empty() && !restart_always {
            errs.push(
                FieldError::invalid(
                    p.child("resizePolicy"),
                    child(c, "resizePolicy").clone(),
                    "must not be set for init containers",
                )
                .with_value_repr(format!(
                    "[]core.ContainerResizePolicy{{{}}}",
                    arr(c, "resizePolicy")
                        .iter()
                        .map(|r| gorepr::structure("core.ContainerResizePolicy", r))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
    errs
}

const EPHEMERAL_FORBIDDEN: &[&str] = &[
    "ports",
    "resources",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "resizePolicy",
    "restartPolicy",
];

fn validate_ephemeral_containers(
    spec: &Value,
    ctx: &ContainerCtx<'_>,
    path: &Path,
) -> Vec<FieldError> {
    let eph = arr(spec, "ephemeralContainers");
    if eph.is_empty() {
        return Vec::new();
    }
    let mut errs = Vec::new();
    let others: Vec<&str> = ["containers", "initContainers"]
        .iter()
        .flat_map(|k| arr(spec, k))
        .map(|c| str_of(c, "name"))
        .collect();
    let mut all = others.clone();
    for (i, c) in eph.iter().enumerate() {
        let p = path.index(i);
        errs.extend(validate_container_common(c, ctx, &p));
        let image = str_of(c, "image");
        if image.len() != image.trim().len() {
            errs.push(FieldError::invalid(
                p.child("image"),
                image,
                "must not have leading or trailing whitespace",
            ));
        }
        let name = str_of(c, "name");
        if all.contains(&name) {
            errs.push(FieldError::duplicate(p.child("name"), name));
        } else {
            all.push(name);
        }
        let target = str_of(c, "targetContainerName");
        if !target.is_empty() && !others.contains(&target) {
            errs.push(FieldError::not_found(
                p.child("targetContainerName"),
                target,
            ));
        }
        for key in EPHEMERAL_FORBIDDEN {
            let set = match get(c, key) {
                Some(Value::Array(a)) => !a.is_empty(),
                Some(Value::Object(o)) => !o.is_empty(),
                Some(_) => true,
                None => false,
            };
            if set {
                errs.push(FieldError::forbidden(
                    p.child(key),
                    "cannot be set for an Ephemeral Container",
                ));
            }
        }
        for (j, vm) in arr(c, "volumeMounts").iter().enumerate() {
            for key in ["subPath", "subPathExpr"] {
                if !str_of(vm, key).is_empty() {
                    errs.push(FieldError::forbidden(
                        p.child("volumeMounts").index(j).child(key),
                        "cannot be set for an Ephemeral Container",
                    ));
                }
            }
        }
    }
    errs
}

fn validate_container_common(c: &Value, ctx: &ContainerCtx<'_>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = str_of(c, "name");
    if name.is_empty() {
        errs.push(FieldError::required(path.child("name"), ""));
    } else {
        errs.extend(dns1123_label(name, &path.child("name")));
    }
    if str_of(c, "image").is_empty() {
        errs.push(FieldError::required(path.child("image"), ""));
    }
    let tmp = str_or(c, "terminationMessagePolicy", "File");
    if tmp != "File" && tmp != "FallbackToLogsOnError" {
        errs.push(FieldError::not_supported(
            path.child("terminationMessagePolicy"),
            tmp,
            &["File", "FallbackToLogsOnError"],
        ));
    }
    errs.extend(validate_container_ports(
        arr(c, "ports"),
        &path.child("ports"),
    ));
    errs.extend(validate_env(arr(c, "env"), &path.child("env")));
    errs.extend(validate_env_from(arr(c, "envFrom"), &path.child("envFrom")));
    errs.extend(validate_volume_mounts(
        c,
        ctx.volumes,
        &path.child("volumeMounts"),
    ));
    errs.extend(validate_volume_devices(
        c,
        ctx.volumes,
        &path.child("volumeDevices"),
    ));
    let pull = str_or(c, "imagePullPolicy", "IfNotPresent");
    if !["Always", "IfNotPresent", "Never"].contains(&pull) {
        errs.push(FieldError::not_supported(
            path.child("imagePullPolicy"),
            pull,
            &["Always", "IfNotPresent", "Never"],
        ));
    }
    errs.extend(validate_resource_requirements(
        child(c, "resources"),
        ctx.claims,
        &path.child("resources"),
    ));
    errs.extend(validate_resize_policy(
        arr(c, "resizePolicy"),
        ctx.restart_policy,
        &path.child("resizePolicy"),
    ));
    errs.extend(validate_security_context(
        child(c, "securityContext"),
        ctx.host_users,
        &path.child("securityContext"),
    ));
    errs
}

fn validate_resize_policy(list: &[Value], restart_policy: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let res = str_of(p, "resourceName");
        if seen.contains(&res) {
            errs.push(FieldError::duplicate(path.index(i), res));
        }
        seen.push(res);
        match res {
            "cpu" | "memory" => {}
            "" => errs.push(FieldError::required(path.clone(), "")),
            other => errs.push(FieldError::not_supported(
                path.clone(),
                other,
                &["cpu", "memory"],
            )),
        }
        let rp = str_of(p, "restartPolicy");
        match rp {
            "NotRequired" | "RestartContainer" => {}
            "" => errs.push(FieldError::required(path.clone(), "")),
            other => errs.push(FieldError::not_supported(
                path.clone(),
                other,
                &["NotRequired", "RestartContainer"],
            )),
        }
        if restart_policy == "Never" && rp != "NotRequired" {
            errs.push(FieldError::invalid(
                path.clone(),
                rp,
                "must be 'NotRequired' when `restartPolicy` is 'Never'",
            ));
        }
    }
    errs
}

fn validate_container_ports(ports: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let p = path.index(i);
        let name = str_of(port, "name");
        if !name.is_empty() {
            let msgs = is_valid_port_name(name);
            if !msgs.is_empty() {
                for m in msgs {
                    errs.push(FieldError::invalid(p.child("name"), name, m));
                }
            } else if names.contains(&name) {
                errs.push(FieldError::duplicate(p.child("name"), name));
            } else {
                names.push(name);
            }
        }
        let cp = int(port, "containerPort").unwrap_or(0);
        if cp == 0 {
            errs.push(FieldError::required(p.child("containerPort"), ""));
        } else {
            for m in is_valid_port_num(cp) {
                errs.push(FieldError::invalid(p.child("containerPort"), cp, m));
            }
        }
        let hp = int(port, "hostPort").unwrap_or(0);
        if hp != 0 {
            for m in is_valid_port_num(hp) {
                errs.push(FieldError::invalid(p.child("hostPort"), hp, m));
            }
        }
        errs.extend(validate_protocol(port, &p));
    }
    errs
}

/// A port's protocol, TCP when absent.
pub fn validate_protocol(port: &Value, path: &Path) -> Vec<FieldError> {
    let proto = str_or(port, "protocol", "TCP");
    if ["SCTP", "TCP", "UDP"].contains(&proto) {
        Vec::new()
    } else {
        vec![FieldError::not_supported(
            path.child("protocol"),
            proto,
            &["SCTP", "TCP", "UDP"],
        )]
    }
}

fn check_host_port_conflicts(containers: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (ci, c) in containers.iter().enumerate() {
        for (pi, port) in arr(c, "ports").iter().enumerate() {
            let hp = int(port, "hostPort").unwrap_or(0);
            if hp == 0 {
                continue;
            }
            let key = format!(
                "{}/{}/{}",
                str_or(port, "protocol", "TCP"),
                str_of(port, "hostIP"),
                hp
            );
            if seen.contains(&key) {
                errs.push(FieldError::duplicate(
                    path.index(ci).child("ports").index(pi).child("hostPort"),
                    key.clone(),
                ));
            } else {
                seen.push(key);
            }
        }
    }
    errs
}

fn validate_host_network_deps(spec: &Value, path: &Path, opts: PodOpts) -> Vec<FieldError> {
    if !is_true(spec, "hostNetwork") {
        return Vec::new();
    }
    let mut errs = Vec::new();
    for (i, c) in arr(spec, "containers").iter().enumerate() {
        for (j, port) in arr(c, "ports").iter().enumerate() {
            let cp = int(port, "containerPort").unwrap_or(0);
            // Pods default hostPort to containerPort on the host network.
            let hp = match int(port, "hostPort").unwrap_or(0) {
                0 if opts.resource_is_pod => cp,
                other => other,
            };
            if (opts.resource_is_pod || hp != 0) && hp != cp {
                errs.push(FieldError::invalid(
                    path.child("containers")
                        .index(i)
                        .child("ports")
                        .index(j)
                        .child("hostPort"),
                    hp,
                    "must match `containerPort` when `hostNetwork` is true",
                ));
            }
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Environment

const ENV_FIELD_PATHS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
];
const VOLUME_FIELD_PATHS: &[&str] = &[
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
];
const RESOURCE_FIELD_PATHS: &[&str] = &[
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
];

fn validate_env(vars: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, ev) in vars.iter().enumerate() {
        let p = path.index(i);
        let name = str_of(ev, "name");
        if name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        } else {
            for m in is_env_var_name(name) {
                errs.push(FieldError::invalid(p.child("name"), name, m));
            }
        }
        errs.extend(validate_env_value_from(ev, &p.child("valueFrom")));
    }
    errs
}

fn validate_env_value_from(ev: &Value, path: &Path) -> Vec<FieldError> {
    let Some(from) = get(ev, "valueFrom") else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    let mut sources = 0;
    if let Some(fr) = get(from, "fieldRef") {
        sources += 1;
        errs.extend(validate_object_field_selector(
            fr,
            ENV_FIELD_PATHS,
            &path.child("fieldRef"),
        ));
    }
    if let Some(rr) = get(from, "resourceFieldRef") {
        sources += 1;
        errs.extend(validate_resource_field_selector(
            rr,
            false,
            &path.child("resourceFieldRef"),
        ));
    }
    if let Some(cm) = get(from, "configMapKeyRef") {
        sources += 1;
        errs.extend(validate_key_selector(cm, &path.child("configMapKeyRef")));
    }
    if let Some(s) = get(from, "secretKeyRef") {
        sources += 1;
        errs.extend(validate_key_selector(s, &path.child("secretKeyRef")));
    }
    if sources == 0 {
        errs.push(FieldError::invalid(
            path.clone(),
            "",
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
        ));
    } else if !str_of(ev, "value").is_empty() {
        errs.push(FieldError::invalid(
            path.clone(),
            "",
            "may not be specified when `value` is not empty",
        ));
    } else if sources > 1 {
        errs.push(FieldError::invalid(
            path.clone(),
            "",
            "may not have more than one field specified at a time",
        ));
    }
    errs
}

fn validate_object_field_selector(
    fs: &Value,
    expressions: &[&str],
    path: &Path,
) -> Vec<FieldError> {
    let api_version = str_or(fs, "apiVersion", "v1");
    let field_path = str_of(fs, "fieldPath");
    if field_path.is_empty() {
        return vec![FieldError::required(path.child("fieldPath"), "")];
    }
    if api_version != "v1" {
        return vec![FieldError::invalid(
            path.child("fieldPath"),
            field_path,
            format!("error converting fieldPath: unsupported pod version: {api_version}"),
        )];
    }
    if let Some((base, subscript)) = split_subscripted(field_path) {
        return match base {
            "metadata.annotations" => validate_qualified_name(&subscript.to_lowercase(), path),
            "metadata.labels" => validate_qualified_name(subscript, path),
            _ => vec![FieldError::invalid(
                path.child("fieldPath"),
                field_path,
                format!(
                    "error converting fieldPath: field label does not support subscript: {field_path}"
                ),
            )],
        };
    }
    const CONVERTIBLE: &[&str] = &[
        "metadata.annotations",
        "metadata.labels",
        "metadata.name",
        "metadata.namespace",
        "metadata.uid",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.serviceAccountName",
        "spec.schedulerName",
        "status.phase",
        "status.hostIP",
        "status.hostIPs",
        "status.podIP",
        "status.podIPs",
        "spec.host",
    ];
    if !CONVERTIBLE.contains(&field_path) {
        return vec![FieldError::invalid(
            path.child("fieldPath"),
            field_path,
            format!("error converting fieldPath: field label not supported: {field_path}"),
        )];
    }
    let internal = if field_path == "spec.host" {
        "spec.nodeName"
    } else {
        field_path
    };
    if !expressions.contains(&internal) {
        return vec![FieldError::not_supported(
            path.child("fieldPath"),
            internal,
            expressions,
        )];
    }
    Vec::new()
}

fn split_subscripted(p: &str) -> Option<(&str, &str)> {
    let inner = p.strip_suffix("']")?;
    let (base, sub) = inner.split_once("['")?;
    Some((base, sub))
}

fn validate_resource_field_selector(fs: &Value, volume: bool, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let resource = str_of(fs, "resource");
    if volume && str_of(fs, "containerName").is_empty() {
        errs.push(FieldError::required(path.child("containerName"), ""));
    } else if resource.is_empty() {
        errs.push(FieldError::required(path.child("resource"), ""));
    } else if !RESOURCE_FIELD_PATHS.contains(&resource)
        && !resource.starts_with("requests.hugepages-")
        && !resource.starts_with("limits.hugepages-")
    {
        errs.push(FieldError::not_supported(
            path.child("resource"),
            resource,
            RESOURCE_FIELD_PATHS,
        ));
    }
    if let Some(d) = get(fs, "divisor")
        && let Ok(q) = quantity(d, &path.child("divisor"))
        && !q.is_zero()
    {
        let d = q.to_string();
        let mem = [
            "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei",
        ];
        let (ok, what) = match resource {
            "limits.cpu" | "requests.cpu" => (
                ["1m", "1"].contains(&d.as_str()),
                "only divisor's values 1m and 1 are supported with the cpu resource",
            ),
            "limits.memory" | "requests.memory" => (
                mem.contains(&d.as_str()),
                "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource",
            ),
            "limits.ephemeral-storage" | "requests.ephemeral-storage" => (
                mem.contains(&d.as_str()),
                "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource",
            ),
            r if r.starts_with("requests.hugepages-") || r.starts_with("limits.hugepages-") => (
                mem.contains(&d.as_str()),
                "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the hugepages resource",
            ),
            _ => (true, ""),
        };
        if !ok {
            errs.push(FieldError::invalid(path.child("divisor"), resource, what));
        }
    }
    errs
}

fn validate_key_selector(s: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = str_of(s, "name");
    for m in is_dns1123_subdomain(name) {
        errs.push(FieldError::invalid(path.child("name"), name, m));
    }
    let key = str_of(s, "key");
    if key.is_empty() {
        errs.push(FieldError::required(path.child("key"), ""));
    } else {
        for m in is_config_map_key(key) {
            errs.push(FieldError::invalid(path.child("key"), key, m));
        }
    }
    errs
}

fn validate_env_from(vars: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, ev) in vars.iter().enumerate() {
        let p = path.index(i);
        let prefix = str_of(ev, "prefix");
        if !prefix.is_empty() {
            for m in is_env_var_name(prefix) {
                errs.push(FieldError::invalid(p.child("prefix"), prefix, m));
            }
        }
        let mut sources = 0;
        for key in ["configMapRef", "secretRef"] {
            if let Some(r) = get(ev, key) {
                sources += 1;
                let name = str_of(r, "name");
                if name.is_empty() {
                    errs.push(FieldError::required(p.child(key).child("name"), ""));
                } else {
                    for m in super::NameRule::Dns1123Subdomain.check(name, true) {
                        errs.push(FieldError::invalid(p.child(key).child("name"), name, m));
                    }
                }
            }
        }
        if sources == 0 {
            errs.push(FieldError::invalid(
                path.clone(),
                "",
                "must specify one of: `configMapRef` or `secretRef`",
            ));
        } else if sources > 1 {
            errs.push(FieldError::invalid(
                path.clone(),
                "",
                "may not have more than one field specified at a time",
            ));
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Volumes

/// The volume sources, in upstream's checking order, with the path name upstream uses when a
/// second source is rejected.
const VOLUME_SOURCES: &[(&str, &str)] = &[
    ("emptyDir", "emptyDir"),
    ("hostPath", "hostPath"),
    ("gitRepo", "gitRepo"),
    ("gcePersistentDisk", "gcePersistentDisk"),
    ("awsElasticBlockStore", "awsElasticBlockStore"),
    ("secret", "secret"),
    ("nfs", "nfs"),
    ("iscsi", "iscsi"),
    ("glusterfs", "glusterfs"),
    ("flocker", "flocker"),
    ("persistentVolumeClaim", "persistentVolumeClaim"),
    ("rbd", "rbd"),
    ("cinder", "cinder"),
    ("cephfs", "cephFS"),
    ("quobyte", "quobyte"),
    ("downwardAPI", "downwarAPI"),
    ("fc", "fc"),
    ("flexVolume", "flexVolume"),
    ("configMap", "configMap"),
    ("azureFile", "azureFile"),
    ("vsphereVolume", "vsphereVolume"),
    ("photonPersistentDisk", "photonPersistentDisk"),
    ("portworxVolume", "portworxVolume"),
    ("azureDisk", "azureDisk"),
    ("storageos", "storageos"),
    ("projected", "projected"),
    ("scaleIO", "scaleIO"),
    ("csi", "csi"),
    ("ephemeral", "ephemeral"),
    ("image", "image"),
];

/// `ValidateVolumes`: returns the volumes that validated, by name.
pub fn validate_volumes<'a>(
    volumes: &'a [Value],
    pod_meta: Option<&Value>,
    path: &Path,
    opts: PodOpts,
) -> (Vec<VolumeInfo<'a>>, Vec<FieldError>) {
    let mut errs = Vec::new();
    let mut ok: Vec<VolumeInfo<'a>> = Vec::new();
    let pod_name = pod_meta.map(|m| str_of(m, "name")).unwrap_or("");
    let created_pvcs: Vec<String> = if pod_name.is_empty() {
        Vec::new()
    } else {
        volumes
            .iter()
            .filter(|v| has(v, "ephemeral"))
            .map(|v| format!("{pod_name}-{}", str_of(v, "name")))
            .collect()
    };
    for (i, vol) in volumes.iter().enumerate() {
        let p = path.index(i);
        let name = str_of(vol, "name");
        let (source, mut el) = validate_volume_source(vol, &p, name, pod_name, opts);
        if name.is_empty() {
            el.push(FieldError::required(p.child("name"), ""));
        } else {
            el.extend(dns1123_label(name, &p.child("name")));
        }
        if ok.iter().any(|v| v.name == name) {
            el.push(FieldError::duplicate(p.child("name"), name));
        }
        if el.is_empty() {
            ok.push(VolumeInfo { name, source });
        } else {
            errs.extend(el);
        }
        if let Some(pvc) = get(vol, "persistentVolumeClaim") {
            let claim = str_of(pvc, "claimName");
            if created_pvcs.iter().any(|c| c == claim) {
                errs.push(FieldError::invalid(
                    p.child("persistentVolumeClaim").child("claimName"),
                    claim,
                    "must not reference a PVC that gets created for an ephemeral volume",
                ));
            }
        }
    }
    (ok, errs)
}

fn validate_volume_source<'a>(
    vol: &'a Value,
    path: &Path,
    vol_name: &str,
    pod_name: &str,
    opts: PodOpts,
) -> (&'a str, Vec<FieldError>) {
    let mut errs = Vec::new();
    let mut first: Option<&'a str> = None;
    for (key, forbidden_name) in VOLUME_SOURCES {
        let Some(src) = get(vol, key) else { continue };
        if first.is_some() {
            errs.push(FieldError::forbidden(
                path.child(forbidden_name),
                "may not specify more than 1 volume type",
            ));
            continue;
        }
        first = VOLUME_SOURCES
            .iter()
            .find(|(k, _)| k == key)
            .map(|(k, _)| *k);
        let p = path.child(key);
        errs.extend(validate_one_source(key, src, &p, opts));
        if *key == "ephemeral" && !pod_name.is_empty() && !vol_name.is_empty() {
            let pvc = format!("{pod_name}-{vol_name}");
            for m in is_dns1123_subdomain(&pvc) {
                errs.push(FieldError::invalid(
                    path.child("name"),
                    vol_name,
                    format!("PVC name {pvc:?}: {m}"),
                ));
            }
        }
    }
    if first.is_none() {
        errs.push(FieldError::required(
            path.clone(),
            "must specify a volume type",
        ));
    }
    (first.unwrap_or(""), errs)
}

fn required_fields(src: &Value, keys: &[&str], path: &Path) -> Vec<FieldError> {
    keys.iter()
        .filter(|k| match get(src, k) {
            None => true,
            Some(Value::String(s)) => s.is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(_) => false,
        })
        .map(|k| FieldError::required(path.child(k), ""))
        .collect()
}

fn validate_one_source(key: &str, src: &Value, p: &Path, opts: PodOpts) -> Vec<FieldError> {
    match key {
        "emptyDir" => {
            let mut errs = Vec::new();
            if let Some(sl) = get(src, "sizeLimit")
                && quantity(sl, &p.child("sizeLimit")).is_ok_and(|q| q.signum() < 0)
            {
                errs.push(FieldError::forbidden(
                    p.child("sizeLimit"),
                    "SizeLimit field must be a valid resource quantity",
                ));
            }
            let medium = str_of(src, "medium");
            if !["", "Memory", "HugePages"].contains(&medium) && !medium.starts_with("HugePages-") {
                // Upstream has no explicit check; an unknown medium fails at the kubelet.
            }
            errs
        }
        "hostPath" => validate_host_path(src, p),
        "gitRepo" => {
            let mut errs = required_fields(src, &["repository"], p);
            errs.extend(validate_local_descending_path(
                str_of(src, "directory"),
                &p.child("directory"),
            ));
            errs
        }
        "gcePersistentDisk" => {
            let mut errs = required_fields(src, &["pdName"], &p.parent_or(p, "persistentDisk"));
            errs.extend(partition(src, &p.parent_or(p, "persistentDisk")));
            errs
        }
        "awsElasticBlockStore" => {
            let mut errs = required_fields(src, &["volumeID"], p);
            errs.extend(partition(src, p));
            errs
        }
        "secret" => {
            let mut errs = required_fields(src, &["secretName"], p);
            errs.extend(validate_mode(src, "defaultMode", p));
            for (i, item) in arr(src, "items").iter().enumerate() {
                errs.extend(validate_key_to_path(item, &p.child("items").index(i)));
            }
            errs
        }
        "configMap" => {
            let mut errs = required_fields(src, &["name"], p);
            errs.extend(validate_mode(src, "defaultMode", p));
            for (i, item) in arr(src, "items").iter().enumerate() {
                errs.extend(validate_key_to_path(item, &p.child("items").index(i)));
            }
            errs
        }
        "nfs" => {
            let mut errs = required_fields(src, &["server", "path"], p);
            if !str_of(src, "path").starts_with('/') {
                errs.push(FieldError::invalid(
                    p.child("path"),
                    str_of(src, "path"),
                    "must be an absolute path",
                ));
            }
            errs
        }
        "iscsi" => {
            let mut errs = required_fields(src, &["targetPortal", "iqn"], p);
            let iqn = str_of(src, "iqn");
            if !iqn.is_empty() && !["iqn", "eui", "naa"].iter().any(|x| iqn.starts_with(x)) {
                errs.push(FieldError::invalid(
                    p.child("iqn"),
                    iqn,
                    "must be valid format starting with iqn, eui, or naa",
                ));
            }
            let lun = int(src, "lun").unwrap_or(0);
            if !(0..=255).contains(&lun) {
                errs.push(FieldError::invalid(
                    p.child("lun"),
                    lun,
                    inclusive_range_error(0, 255),
                ));
            }
            if (is_true(src, "chapAuthDiscovery") || is_true(src, "chapAuthSession"))
                && !has(src, "secretRef")
            {
                errs.push(FieldError::required(p.child("secretRef"), ""));
            }
            errs
        }
        "glusterfs" => required_fields(src, &["endpoints", "path"], p),
        "flocker" => {
            let mut errs = Vec::new();
            let (n, u) = (str_of(src, "datasetName"), str_of(src, "datasetUUID"));
            if n.is_empty() && u.is_empty() {
                errs.push(FieldError::required(
                    p.clone(),
                    "one of datasetName and datasetUUID is required",
                ));
            }
            if !n.is_empty() && !u.is_empty() {
                errs.push(FieldError::invalid(
                    p.clone(),
                    "resource",
                    "datasetName and datasetUUID can not be specified simultaneously",
                ));
            }
            if n.contains('/') {
                errs.push(FieldError::invalid(
                    p.child("datasetName"),
                    n,
                    "must not contain '/'",
                ));
            }
            errs
        }
        "persistentVolumeClaim" => required_fields(src, &["claimName"], p),
        "rbd" => required_fields(src, &["monitors", "image"], p),
        "cinder" => {
            let mut errs = required_fields(src, &["volumeID"], p);
            if let Some(sr) = get(src, "secretRef")
                && str_of(sr, "name").is_empty()
            {
                errs.push(FieldError::required(p.child("secretRef").child("name"), ""));
            }
            errs
        }
        "cephfs" => required_fields(src, &["monitors"], &p.parent_or(p, "cephfs")),
        "quobyte" => {
            let mut errs = Vec::new();
            if str_of(src, "registry").is_empty() {
                errs.push(FieldError::required(
                    p.child("registry"),
                    "must be a host:port pair or multiple pairs separated by commas",
                ));
            }
            errs.extend(required_fields(src, &["volume"], p));
            errs
        }
        "downwardAPI" => {
            let mut errs = validate_mode(src, "defaultMode", p);
            for item in arr(src, "items") {
                errs.extend(validate_downward_api_file(item, p));
            }
            errs
        }
        "fc" => {
            let mut errs = Vec::new();
            let (wwns, wwids) = (arr(src, "targetWWNs"), arr(src, "wwids"));
            if wwns.is_empty() && wwids.is_empty() {
                errs.push(FieldError::required(
                    p.child("targetWWNs"),
                    "must specify either targetWWNs or wwids, but not both",
                ));
            }
            if !wwns.is_empty() && !wwids.is_empty() {
                errs.push(
                    FieldError::invalid(
                        p.child("targetWWNs"),
                        child(src, "targetWWNs").clone(),
                        "targetWWNs and wwids can not be specified simultaneously",
                    )
                    .with_value_repr(gorepr::string_slice("string", get(src, "targetWWNs"))),
                );
            }
            if !wwns.is_empty() {
                match int(src, "lun") {
                    None => errs.push(FieldError::required(
                        p.child("lun"),
                        "lun is required if targetWWNs is specified",
                    )),
                    Some(l) if !(0..=255).contains(&l) => errs.push(FieldError::invalid(
                        p.child("lun"),
                        l,
                        inclusive_range_error(0, 255),
                    )),
                    Some(_) => {}
                }
            }
            errs
        }
        "flexVolume" => {
            let mut errs = required_fields(src, &["driver"], p);
            for (k, _) in string_entries(src, "options") {
                let ns = k.split_once('/').map_or(k, |(a, _)| a);
                let norm = format!(".{}", ns.to_lowercase());
                if norm.ends_with(".kubernetes.io") || norm.ends_with(".k8s.io") {
                    errs.push(FieldError::invalid(
                        p.child("options").key(k),
                        k,
                        "kubernetes.io and k8s.io namespaces are reserved",
                    ));
                }
            }
            errs
        }
        "azureFile" => required_fields(src, &["secretName", "shareName"], p),
        "vsphereVolume" => required_fields(src, &["volumePath"], p),
        "photonPersistentDisk" => required_fields(src, &["pdID"], p),
        "portworxVolume" => required_fields(src, &["volumeID"], p),
        "azureDisk" => required_fields(src, &["diskName", "diskURI"], p),
        "storageos" => {
            let mut errs = required_fields(src, &["volumeName"], p);
            let vn = str_of(src, "volumeName");
            if !vn.is_empty() {
                errs.extend(dns1123_label(vn, &p.child("volumeName")));
            }
            let vns = str_of(src, "volumeNamespace");
            if !vns.is_empty() {
                errs.extend(dns1123_label(vns, &p.child("volumeNamespace")));
            }
            errs
        }
        "projected" => validate_projected(src, p),
        "scaleIO" => required_fields(src, &["gateway", "system", "volumeName"], p),
        "csi" => {
            let mut errs = validate_csi_driver_name(str_of(src, "driver"), &p.child("driver"));
            if let Some(sr) = get(src, "nodePublishSecretRef") {
                let n = str_of(sr, "name");
                if n.is_empty() {
                    errs.push(FieldError::required(
                        p.child("nodePublishSecretRef").child("name"),
                        "",
                    ));
                } else {
                    for m in is_dns1123_subdomain(n) {
                        errs.push(FieldError::invalid(p.child("name"), n, m));
                    }
                }
            }
            errs
        }
        "ephemeral" => match get(src, "volumeClaimTemplate") {
            None => vec![FieldError::required(p.child("volumeClaimTemplate"), "")],
            Some(t) => {
                let tp = p.child("volumeClaimTemplate");
                let mut errs = validate_template_meta(child(t, "metadata"), &tp.child("metadata"));
                let meta = child(t, "metadata");
                let allowed = ["labels", "annotations"];
                if let Some(m) = meta.as_object() {
                    let mut keys: Vec<&String> = m
                        .keys()
                        .filter(|k| !allowed.contains(&k.as_str()) && !m[k.as_str()].is_null())
                        .collect();
                    keys.sort();
                    for k in keys {
                        errs.push(FieldError::forbidden(
                            tp.child("metadata").child(k),
                            "cannot be set",
                        ));
                    }
                }
                errs.extend(super::core::validate_pvc_spec(
                    child(t, "spec"),
                    &tp.child("spec"),
                ));
                errs
            }
        },
        "image" => {
            let mut errs = Vec::new();
            if opts.resource_is_pod && str_of(src, "reference").is_empty() {
                errs.push(FieldError::required(p.child("reference"), ""));
            }
            let pull = str_of(src, "pullPolicy");
            if !pull.is_empty() && !["Always", "IfNotPresent", "Never"].contains(&pull) {
                errs.push(FieldError::not_supported(
                    p.child("pullPolicy"),
                    pull,
                    &["Always", "IfNotPresent", "Never"],
                ));
            }
            errs
        }
        _ => Vec::new(),
    }
}

trait PathExt {
    fn parent_or(&self, p: &Path, replacement: &str) -> Path;
}

impl PathExt for Path {
    /// Upstream validates some sources under a differently named path (`persistentDisk` for
    /// `gcePersistentDisk`): replace the last segment.
    fn parent_or(&self, p: &Path, replacement: &str) -> Path {
        let s = p.as_str();
        match s.rfind('.') {
            Some(i) => Path::new(&format!("{}.{replacement}", &s[..i])),
            None => Path::new(replacement),
        }
    }
}

fn partition(src: &Value, p: &Path) -> Vec<FieldError> {
    let part = int(src, "partition").unwrap_or(0);
    if (0..=255).contains(&part) {
        Vec::new()
    } else {
        vec![FieldError::invalid(
            p.child("partition"),
            part,
            inclusive_range_error(1, 255),
        )]
    }
}

/// `ValidateCSIDriverName`.
pub fn validate_csi_driver_name(driver: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if driver.is_empty() {
        errs.push(FieldError::required(path.clone(), ""));
    }
    if driver.len() > 63 {
        errs.push(FieldError::too_long(path.clone(), 63));
    }
    for m in is_dns1123_subdomain(&driver.to_lowercase()) {
        errs.push(FieldError::invalid(path.clone(), driver, m));
    }
    errs
}

const HOST_PATH_TYPES: &[&str] = &[
    "",
    "BlockDevice",
    "CharDevice",
    "Directory",
    "DirectoryOrCreate",
    "File",
    "FileOrCreate",
    "Socket",
];

/// `validateHostPathVolumeSource`.
pub fn validate_host_path(src: &Value, p: &Path) -> Vec<FieldError> {
    let path = str_of(src, "path");
    if path.is_empty() {
        return vec![FieldError::required(p.child("path"), "")];
    }
    let mut errs = validate_path_no_backsteps(path, &p.child("path"));
    if let Some(t) = opt_str(src, "type")
        && !HOST_PATH_TYPES.contains(&t)
    {
        errs.push(FieldError::not_supported(
            p.child("type"),
            t,
            HOST_PATH_TYPES,
        ));
    }
    errs
}

fn validate_mode(src: &Value, key: &str, p: &Path) -> Vec<FieldError> {
    match int(src, key) {
        Some(m) if !(0..=0o777).contains(&m) => {
            vec![FieldError::invalid(p.child(key), m, FILE_MODE_ERROR)]
        }
        _ => Vec::new(),
    }
}

fn validate_key_to_path(kp: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if str_of(kp, "key").is_empty() {
        errs.push(FieldError::required(p.child("key"), ""));
    }
    let path = str_of(kp, "path");
    if path.is_empty() {
        errs.push(FieldError::required(p.child("path"), ""));
    }
    errs.extend(validate_local_non_reserved_path(path, &p.child("path")));
    errs.extend(validate_mode(kp, "mode", p));
    errs
}

fn validate_downward_api_file(file: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let path = str_of(file, "path");
    if path.is_empty() {
        errs.push(FieldError::required(p.child("path"), ""));
    }
    errs.extend(validate_local_non_reserved_path(path, &p.child("path")));
    if let Some(fr) = get(file, "fieldRef") {
        errs.extend(validate_object_field_selector(
            fr,
            VOLUME_FIELD_PATHS,
            &p.child("fieldRef"),
        ));
        if has(file, "resourceFieldRef") {
            errs.push(FieldError::invalid(
                p.clone(),
                "resource",
                "fieldRef and resourceFieldRef can not be specified simultaneously",
            ));
        }
    } else if let Some(rr) = get(file, "resourceFieldRef") {
        errs.extend(validate_resource_field_selector(
            rr,
            true,
            &p.child("resourceFieldRef"),
        ));
    } else {
        errs.push(FieldError::required(
            p.clone(),
            "one of fieldRef and resourceFieldRef is required",
        ));
    }
    errs.extend(validate_mode(file, "mode", p));
    errs
}

fn validate_projected(src: &Value, p: &Path) -> Vec<FieldError> {
    let mut errs = validate_mode(src, "defaultMode", p);
    let mut all_paths: Vec<String> = Vec::new();
    for (i, source) in arr(src, "sources").iter().enumerate() {
        let sp = p.child("sources").index(i);
        let mut count = 0;
        for key in ["secret", "configMap"] {
            if let Some(s) = get(source, key) {
                count += 1;
                let pp = sp.child(key);
                if str_of(s, "name").is_empty() {
                    errs.push(FieldError::required(pp.child("name"), ""));
                }
                for (j, item) in arr(s, "items").iter().enumerate() {
                    errs.extend(validate_key_to_path(item, &pp.child("items").index(j)));
                    let path = str_of(item, "path");
                    if !path.is_empty() {
                        if all_paths.iter().any(|x| x == path) {
                            errs.push(FieldError::invalid(
                                p.clone(),
                                str_of(s, "name"),
                                "conflicting duplicate paths",
                            ));
                        } else {
                            all_paths.push(path.to_owned());
                        }
                    }
                }
            }
        }
        if let Some(d) = get(source, "downwardAPI") {
            count += 1;
            let pp = sp.child("downwardAPI");
            for item in arr(d, "items") {
                errs.extend(validate_downward_api_file(item, &pp));
                let path = str_of(item, "path");
                if !path.is_empty() {
                    if all_paths.iter().any(|x| x == path) {
                        errs.push(FieldError::invalid(
                            p.clone(),
                            path,
                            "conflicting duplicate paths",
                        ));
                    } else {
                        all_paths.push(path.to_owned());
                    }
                }
            }
        }
        if let Some(t) = get(source, "serviceAccountToken") {
            count += 1;
            let pp = sp.child("serviceAccountToken");
            let exp = int(t, "expirationSeconds").unwrap_or(3600);
            if exp < 600 {
                errs.push(FieldError::invalid(
                    pp.child("expirationSeconds"),
                    exp,
                    "may not specify a duration less than 10 minutes",
                ));
            }
            if exp > 1 << 32 {
                errs.push(FieldError::invalid(
                    pp.child("expirationSeconds"),
                    exp,
                    "may not specify a duration larger than 2^32 seconds",
                ));
            }
            let path = str_of(t, "path");
            if path.is_empty() {
                errs.push(FieldError::required(p.child("path"), ""));
            } else {
                errs.extend(validate_local_non_reserved_path(path, &p.child("path")));
            }
        }
        if let Some(ctb) = get(source, "clusterTrustBundle") {
            count += 1;
            let pp = sp.child("clusterTrustBundle");
            let (name, signer) = (opt_str(ctb, "name"), opt_str(ctb, "signerName"));
            match (name, signer) {
                (Some(_), Some(_)) => errs.push(
                    FieldError::invalid(
                        pp.clone(),
                        ctb.clone(),
                        "only one of name and signerName may be used",
                    )
                    .with_value_repr(gorepr::structure("core.ClusterTrustBundleProjection", ctb)),
                ),
                (Some(""), None) => errs.push(FieldError::required(
                    pp.child("name"),
                    "must be a valid object name",
                )),
                (None, Some("")) => errs.push(FieldError::required(
                    pp.child("signerName"),
                    "must be a valid signer name",
                )),
                (None, None) => errs.push(FieldError::required(
                    pp.clone(),
                    "either name or signerName must be specified",
                )),
                _ => {}
            }
            let path = str_of(ctb, "path");
            if path.is_empty() {
                errs.push(FieldError::required(pp.child("path"), ""));
            }
            errs.extend(validate_local_non_reserved_path(path, &pp.child("path")));
        }
        if count > 1 {
            errs.push(FieldError::forbidden(
                sp,
                "may not specify more than 1 volume type per source",
            ));
        }
    }
    errs
}

/// `validateLocalDescendingPath`: relative, without `..` elements.
pub fn validate_local_descending_path(target: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if target.starts_with('/') {
        errs.push(FieldError::invalid(
            path.clone(),
            target,
            "must be a relative path",
        ));
    }
    errs.extend(validate_path_no_backsteps(target, path));
    errs
}

fn validate_path_no_backsteps(target: &str, path: &Path) -> Vec<FieldError> {
    if target.split('/').any(|p| p == "..") {
        vec![FieldError::invalid(
            path.clone(),
            target,
            "must not contain '..'",
        )]
    } else {
        Vec::new()
    }
}

fn validate_local_non_reserved_path(target: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_local_descending_path(target, path);
    if target.starts_with("..") && !target.starts_with("../") {
        errs.push(FieldError::invalid(
            path.clone(),
            target,
            "must not start with '..'",
        ));
    }
    errs
}

fn validate_volume_mounts(c: &Value, volumes: &[VolumeInfo<'_>], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let devices: Vec<(&str, &str)> = arr(c, "volumeDevices")
        .iter()
        .map(|d| (str_of(d, "name"), str_of(d, "devicePath")))
        .collect();
    let privileged = child(c, "securityContext")
        .get("privileged")
        .and_then(Value::as_bool)
        == Some(true);
    let mut mount_points: Vec<&str> = Vec::new();
    for (i, m) in arr(c, "volumeMounts").iter().enumerate() {
        let p = path.index(i);
        let name = str_of(m, "name");
        let mount_path = str_of(m, "mountPath");
        if name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        }
        let volume = volumes.iter().find(|v| v.name == name);
        if volume.is_none() {
            errs.push(FieldError::not_found(p.child("name"), name));
        }
        if mount_path.is_empty() {
            errs.push(FieldError::required(p.child("mountPath"), ""));
        }
        if mount_points.contains(&mount_path) {
            errs.push(FieldError::invalid(
                p.child("mountPath"),
                mount_path,
                "must be unique",
            ));
        }
        mount_points.push(mount_path);
        if devices.iter().any(|(n, _)| *n == name) {
            errs.push(FieldError::invalid(
                p.child("name"),
                name,
                "must not already exist in volumeDevices",
            ));
        }
        if devices.iter().any(|(_, d)| *d == mount_path) {
            errs.push(FieldError::invalid(
                p.child("mountPath"),
                mount_path,
                "must not already exist as a path in volumeDevices",
            ));
        }
        let sub_path = str_of(m, "subPath");
        let sub_expr = str_of(m, "subPathExpr");
        if volume.is_some_and(|v| v.source == "image") {
            if !sub_path.is_empty() {
                errs.push(FieldError::invalid(
                    p.child("subPath"),
                    sub_path,
                    "not allowed in image volume sources",
                ));
            }
            if !sub_expr.is_empty() {
                errs.push(FieldError::invalid(
                    p.child("subPathExpr"),
                    sub_expr,
                    "not allowed in image volume sources",
                ));
            }
        }
        if !sub_path.is_empty() {
            errs.extend(validate_local_descending_path(
                sub_path,
                &path.child("subPath"),
            ));
        }
        if !sub_expr.is_empty() {
            if !sub_path.is_empty() {
                errs.push(FieldError::invalid(
                    p.child("subPathExpr"),
                    sub_expr,
                    "subPathExpr and subPath are mutually exclusive",
                ));
            }
            errs.extend(validate_local_descending_path(
                sub_expr,
                &path.child("subPathExpr"),
            ));
        }
        let propagation = opt_str(m, "mountPropagation");
        if let Some(mp) = propagation {
            let supported = ["Bidirectional", "HostToContainer", "None"];
            if !supported.contains(&mp) {
                errs.push(FieldError::not_supported(
                    path.child("mountPropagation"),
                    mp,
                    &supported,
                ));
            }
            if mp == "Bidirectional" && !privileged {
                errs.push(FieldError::forbidden(
                    path.child("mountPropagation"),
                    "Bidirectional mount propagation is available only to privileged containers",
                ));
            }
        }
        if let Some(rro) = opt_str(m, "recursiveReadOnly") {
            let rp = path.child("recursiveReadOnly");
            match rro {
                "Disabled" => {}
                "Enabled" | "IfPossible" => {
                    if !is_true(m, "readOnly") {
                        errs.push(FieldError::forbidden(
                            rp.clone(),
                            "may only be specified when readOnly is true",
                        ));
                    }
                    if propagation.is_some_and(|p| p != "None") {
                        errs.push(FieldError::forbidden(
                            rp,
                            "may only be specified when mountPropagation is None or not specified",
                        ));
                    }
                }
                other => errs.push(FieldError::not_supported(
                    rp,
                    other,
                    &["Disabled", "Enabled", "IfPossible"],
                )),
            }
        }
    }
    errs
}

fn validate_volume_devices(c: &Value, volumes: &[VolumeInfo<'_>], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mounts: Vec<(&str, &str)> = arr(c, "volumeMounts")
        .iter()
        .map(|m| (str_of(m, "name"), str_of(m, "mountPath")))
        .collect();
    let mut names: Vec<&str> = Vec::new();
    let mut paths: Vec<&str> = Vec::new();
    for (i, d) in arr(c, "volumeDevices").iter().enumerate() {
        let p = path.index(i);
        let (name, dev_path) = (str_of(d, "name"), str_of(d, "devicePath"));
        let volume = volumes.iter().find(|v| v.name == name);
        if name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        }
        if names.contains(&name) {
            errs.push(FieldError::invalid(p.child("name"), name, "must be unique"));
        }
        match volume {
            Some(v) if v.source != "persistentVolumeClaim" && v.source != "ephemeral" => {
                errs.push(FieldError::invalid(p.child("name"), name, "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode"));
            }
            None => errs.push(FieldError::not_found(p.child("name"), name)),
            _ => {}
        }
        if dev_path.is_empty() {
            errs.push(FieldError::required(p.child("devicePath"), ""));
        }
        if paths.contains(&dev_path) {
            errs.push(FieldError::invalid(
                p.child("devicePath"),
                dev_path,
                "must be unique",
            ));
        }
        if !dev_path.is_empty() && dev_path.split('/').any(|s| s == "..") {
            errs.push(FieldError::invalid(
                p.child("devicePath"),
                dev_path,
                "can not contain backsteps ('..')",
            ));
        } else {
            paths.push(dev_path);
        }
        if mounts.iter().any(|(n, _)| *n == name) {
            errs.push(FieldError::invalid(
                p.child("name"),
                name,
                "must not already exist in volumeMounts",
            ));
        }
        if mounts.iter().any(|(_, m)| *m == dev_path) {
            errs.push(FieldError::invalid(
                p.child("devicePath"),
                dev_path,
                "must not already exist as a path in volumeMounts",
            ));
        }
        if !name.is_empty() {
            names.push(name);
        }
    }
    errs
}

fn validate_pod_resource_claims(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in arr(spec, "resourceClaims").iter().enumerate() {
        let p = path.index(i);
        let name = str_of(c, "name");
        if name.is_empty() {
            errs.push(FieldError::required(p.child("name"), ""));
        } else if seen.contains(&name) {
            errs.push(FieldError::duplicate(p.child("name"), name));
        } else {
            errs.extend(dns1123_label(name, &p.child("name")));
            seen.push(name);
        }
        let (rc, rct) = (
            opt_str(c, "resourceClaimName"),
            opt_str(c, "resourceClaimTemplateName"),
        );
        if rc.is_some() && rct.is_some() {
            errs.push(FieldError::invalid(p.clone(), c.clone(), "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified").with_value_repr(gorepr::structure("core.PodResourceClaim", c)));
        }
        if rc.is_none() && rct.is_none() {
            errs.push(
                FieldError::invalid(
                    p.clone(),
                    c.clone(),
                    "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`",
                )
                .with_value_repr(gorepr::structure("core.PodResourceClaim", c)),
            );
        }
        if let Some(n) = rc {
            errs.extend(dns1123_subdomain(n, &p.child("resourceClaimName")));
        }
        if let Some(n) = rct {
            errs.extend(dns1123_subdomain(n, &p.child("resourceClaimTemplateName")));
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Probes and lifecycle

fn validate_probe(probe: &Value, grace: Option<i64>, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_handler(probe, false, grace, path);
    nonneg_fields(
        &mut errs,
        probe,
        &[
            "initialDelaySeconds",
            "timeoutSeconds",
            "periodSeconds",
            "successThreshold",
            "failureThreshold",
        ],
        path,
    );
    if let Some(t) = int(probe, "terminationGracePeriodSeconds").filter(|t| *t <= 0) {
        errs.push(FieldError::invalid(
            path.child("terminationGracePeriodSeconds"),
            t,
            "must be greater than 0",
        ));
    }
    errs
}

fn validate_lifecycle(lc: &Value, grace: Option<i64>, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for key in ["postStart", "preStop"] {
        if let Some(h) = get(lc, key) {
            errs.extend(validate_handler(h, true, grace, &path.child(key)));
        }
    }
    errs
}

fn validate_handler(
    h: &Value,
    lifecycle: bool,
    grace: Option<i64>,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let kinds: &[&str] = if lifecycle {
        &["exec", "httpGet", "tcpSocket", "sleep"]
    } else {
        &["exec", "httpGet", "tcpSocket", "grpc"]
    };
    let mut count = 0;
    for kind in kinds {
        let Some(action) = get(h, kind) else { continue };
        let p = path.child(kind);
        if count > 0 {
            errs.push(FieldError::forbidden(
                p,
                "may not specify more than 1 handler type",
            ));
            continue;
        }
        count += 1;
        match *kind {
            "exec" => {
                if arr(action, "command").is_empty() {
                    errs.push(FieldError::required(p.child("command"), ""));
                }
            }
            "httpGet" => {
                errs.extend(validate_port_num_or_name(
                    get(action, "port"),
                    &p.child("port"),
                ));
                let scheme = str_or(action, "scheme", "HTTP");
                if scheme != "HTTP" && scheme != "HTTPS" {
                    errs.push(FieldError::not_supported(
                        p.child("scheme"),
                        scheme,
                        &["HTTP", "HTTPS"],
                    ));
                }
                for header in arr(action, "httpHeaders") {
                    let name = str_of(header, "name");
                    for m in is_http_header_name(name) {
                        errs.push(FieldError::invalid(p.child("httpHeaders"), name, m));
                    }
                }
            }
            "tcpSocket" => errs.extend(validate_port_num_or_name(
                get(action, "port"),
                &p.child("port"),
            )),
            "grpc" => {
                let port = int(action, "port").unwrap_or(0);
                for m in is_valid_port_num(port) {
                    errs.push(FieldError::invalid(p.child("port"), port, m));
                }
            }
            _ => {
                let secs = int(action, "seconds").unwrap_or(0);
                if let Some(g) = grace
                    && (secs < 0 || secs > g)
                {
                    errs.push(FieldError::invalid(
                        p,
                        secs,
                        format!(
                            "must be non-negative and less than terminationGracePeriodSeconds ({g})"
                        ),
                    ));
                }
            }
        }
    }
    if count == 0 {
        errs.push(FieldError::required(
            path.clone(),
            "must specify a handler type",
        ));
    }
    errs
}

/// `ValidatePortNumOrName`.
pub fn validate_port_num_or_name(port: Option<&Value>, path: &Path) -> Vec<FieldError> {
    match port.and_then(IntOrString::from_value) {
        Some(IntOrString::Int(n)) => is_valid_port_num(n)
            .into_iter()
            .map(|m| FieldError::invalid(path.clone(), n, m))
            .collect(),
        Some(IntOrString::Str(s)) => is_valid_port_name(&s)
            .into_iter()
            .map(|m| FieldError::invalid(path.clone(), s.as_str(), m))
            .collect(),
        None => is_valid_port_num(0)
            .into_iter()
            .map(|m| FieldError::invalid(path.clone(), 0, m))
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Scheduling

/// `ValidateTolerations`.
pub fn validate_tolerations(tolerations: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, t) in tolerations.iter().enumerate() {
        let p = path.index(i);
        let key = str_of(t, "key");
        if !key.is_empty() {
            errs.extend(validate_label_name(key, &p.child("key")));
        }
        let op = str_of(t, "operator");
        if key.is_empty() && op != "Exists" {
            errs.push(FieldError::invalid(
                p.child("operator"),
                op,
                "operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
            ));
        }
        let effect = str_of(t, "effect");
        if has(t, "tolerationSeconds") && effect != "NoExecute" {
            errs.push(FieldError::invalid(
                p.child("effect"),
                effect,
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            ));
        }
        let value = str_of(t, "value");
        match op {
            "Equal" | "" => {
                let msgs = is_valid_label_value(value);
                if !msgs.is_empty() {
                    errs.push(FieldError::invalid(
                        p.child("operator"),
                        value,
                        msgs.join(";"),
                    ));
                }
            }
            "Exists" => {
                if !value.is_empty() {
                    errs.push(FieldError::invalid(
                        p.child("operator"),
                        value,
                        "value must be empty when `operator` is 'Exists'",
                    ));
                }
            }
            other => errs.push(FieldError::not_supported(
                p.child("operator"),
                other,
                &["Equal", "Exists"],
            )),
        }
        if !effect.is_empty() {
            errs.extend(validate_taint_effect(effect, &p.child("effect")));
        }
    }
    errs
}

/// A taint effect.
pub fn validate_taint_effect(effect: &str, path: &Path) -> Vec<FieldError> {
    match effect {
        "NoSchedule" | "PreferNoSchedule" | "NoExecute" => Vec::new(),
        "" => vec![FieldError::required(path.clone(), "")],
        other => vec![FieldError::not_supported(
            path.clone(),
            other,
            &["NoSchedule", "PreferNoSchedule", "NoExecute"],
        )],
    }
}

fn validate_scheduling_gates(gates: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, g) in gates.iter().enumerate() {
        let name = str_of(g, "name");
        errs.extend(validate_qualified_name(name, &path.index(i)));
        if seen.contains(&name) {
            errs.push(FieldError::duplicate(path.index(i), name));
        }
        seen.push(name);
    }
    errs
}

fn validate_affinity(aff: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if let Some(na) = get(aff, "nodeAffinity") {
        let p = path.child("nodeAffinity");
        if let Some(req) = get(na, "requiredDuringSchedulingIgnoredDuringExecution") {
            errs.extend(validate_node_selector(
                req,
                false,
                &p.child("requiredDuringSchedulingIgnoredDuringExecution"),
            ));
        }
        for (i, term) in arr(na, "preferredDuringSchedulingIgnoredDuringExecution")
            .iter()
            .enumerate()
        {
            let tp = p
                .child("preferredDuringSchedulingIgnoredDuringExecution")
                .index(i);
            let w = int(term, "weight").unwrap_or(0);
            if w <= 0 || w > 100 {
                errs.push(FieldError::invalid(
                    tp.child("weight"),
                    w,
                    "must be in the range 1-100",
                ));
            }
            errs.extend(validate_node_selector_term(
                child(term, "preference"),
                true,
                &tp.child("preference"),
            ));
        }
    }
    for key in ["podAffinity", "podAntiAffinity"] {
        if let Some(pa) = get(aff, key) {
            let p = path.child(key);
            for (i, term) in arr(pa, "requiredDuringSchedulingIgnoredDuringExecution")
                .iter()
                .enumerate()
            {
                errs.extend(validate_pod_affinity_term(
                    term,
                    &p.child("requiredDuringSchedulingIgnoredDuringExecution")
                        .index(i),
                ));
            }
            for (i, wt) in arr(pa, "preferredDuringSchedulingIgnoredDuringExecution")
                .iter()
                .enumerate()
            {
                let wp = p
                    .child("preferredDuringSchedulingIgnoredDuringExecution")
                    .index(i);
                let w = int(wt, "weight").unwrap_or(0);
                if w <= 0 || w > 100 {
                    errs.push(FieldError::invalid(
                        wp.child("weight"),
                        w,
                        "must be in the range 1-100",
                    ));
                }
                errs.extend(validate_pod_affinity_term(
                    child(wt, "podAffinityTerm"),
                    &wp.child("podAffinityTerm"),
                ));
            }
        }
    }
    errs
}

fn validate_pod_affinity_term(term: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_label_selector(
        get(term, "labelSelector"),
        SelectorOpts::default(),
        &path.child("labelSelector"),
    );
    errs.extend(validate_label_selector(
        get(term, "namespaceSelector"),
        SelectorOpts::default(),
        &path.child("namespaceSelector"),
    ));
    for ns in strings(term, "namespaces") {
        for m in is_dns1123_label(ns) {
            errs.push(FieldError::invalid(path.child("namespace"), ns, m));
        }
    }
    errs.extend(validate_match_label_keys(term, path));
    let tk = str_of(term, "topologyKey");
    if tk.is_empty() {
        errs.push(FieldError::required(
            path.child("topologyKey"),
            "can not be empty",
        ));
    }
    errs.extend(validate_label_name(tk, &path.child("topologyKey")));
    errs
}

fn validate_match_label_keys(term: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let sel = get(term, "labelSelector");
    for key in ["matchLabelKeys", "mismatchLabelKeys"] {
        let keys = strings(term, key);
        if keys.is_empty() {
            continue;
        }
        if sel.is_none() {
            errs.push(FieldError::forbidden(
                path.child(key),
                "must not be specified when labelSelector is not set",
            ));
            continue;
        }
        for (i, k) in keys.iter().enumerate() {
            errs.extend(validate_label_name(k, &path.child(key).index(i)));
        }
    }
    let mismatch = strings(term, "mismatchLabelKeys");
    for (i, k) in strings(term, "matchLabelKeys").into_iter().enumerate() {
        if mismatch.contains(&k) {
            errs.push(FieldError::invalid(
                path.child("matchLabelKeys").index(i),
                k,
                "exists in both matchLabelKeys and mismatchLabelKeys",
            ));
        }
    }
    errs
}

/// `ValidateNodeSelector` (required node affinity, PV node affinity).
pub fn validate_node_selector(
    sel: &Value,
    allow_invalid_values: bool,
    path: &Path,
) -> Vec<FieldError> {
    let terms = arr(sel, "nodeSelectorTerms");
    let tp = path.child("nodeSelectorTerms");
    if terms.is_empty() {
        return vec![FieldError::required(
            tp,
            "must have at least one node selector term",
        )];
    }
    terms
        .iter()
        .enumerate()
        .flat_map(|(i, t)| validate_node_selector_term(t, allow_invalid_values, &tp.index(i)))
        .collect()
}

fn validate_node_selector_term(
    term: &Value,
    allow_invalid_values: bool,
    path: &Path,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (j, req) in arr(term, "matchExpressions").iter().enumerate() {
        let p = path.child("matchExpressions").index(j);
        let values = strings(req, "values");
        match str_of(req, "operator") {
            "In" | "NotIn" => {
                if values.is_empty() {
                    errs.push(FieldError::required(
                        p.child("values"),
                        "must be specified when `operator` is 'In' or 'NotIn'",
                    ));
                }
            }
            "Exists" | "DoesNotExist" => {
                if !values.is_empty() {
                    errs.push(FieldError::forbidden(
                        p.child("values"),
                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                    ));
                }
            }
            "Gt" | "Lt" => {
                if values.len() != 1 {
                    errs.push(FieldError::required(
                        p.child("values"),
                        "must be specified single value when `operator` is 'Lt' or 'Gt'",
                    ));
                }
            }
            other => errs.push(FieldError::invalid(
                p.child("operator"),
                other,
                "not a valid selector operator",
            )),
        }
        errs.extend(validate_label_name(str_of(req, "key"), &p.child("key")));
        if !allow_invalid_values {
            for (k, v) in values.iter().enumerate() {
                for m in is_valid_label_value(v) {
                    errs.push(FieldError::invalid(p.child("values").index(k), *v, m));
                }
            }
        }
    }
    for (j, req) in arr(term, "matchFields").iter().enumerate() {
        let p = path.child("matchFields").index(j);
        let op = str_of(req, "operator");
        match op {
            "In" | "NotIn" => {
                if arr(req, "values").len() != 1 {
                    errs.push(FieldError::required(p.child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
                }
            }
            other => errs.push(FieldError::invalid(
                p.child("operator"),
                other,
                "not a valid selector operator",
            )),
        }
        let key = str_of(req, "key");
        if key != "metadata.name" {
            errs.push(FieldError::invalid(
                p.child("key"),
                key,
                "not a valid field selector key",
            ));
        } else {
            for (k, v) in strings(req, "values").into_iter().enumerate() {
                errs.extend(dns1123_subdomain(v, &p.child("values").index(k)));
            }
        }
    }
    errs
}

fn validate_topology_spread(constraints: &[Value], path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, c) in constraints.iter().enumerate() {
        let p = path.index(i);
        let skew = int(c, "maxSkew").unwrap_or(0);
        if skew <= 0 {
            errs.push(FieldError::invalid(
                p.child("maxSkew"),
                skew,
                "must be greater than zero",
            ));
        }
        let key = str_of(c, "topologyKey");
        if key.is_empty() {
            errs.push(FieldError::required(
                p.child("topologyKey"),
                "can not be empty",
            ));
        }
        let action = str_of(c, "whenUnsatisfiable");
        if action != "DoNotSchedule" && action != "ScheduleAnyway" {
            errs.push(FieldError::not_supported(
                p.child("whenUnsatisfiable"),
                action,
                &["DoNotSchedule", "ScheduleAnyway"],
            ));
        }
        if constraints[i + 1..]
            .iter()
            .any(|o| str_of(o, "topologyKey") == key && str_of(o, "whenUnsatisfiable") == action)
        {
            errs.push(FieldError::duplicate(
                p.child("{topologyKey, whenUnsatisfiable}"),
                format!("{{{key}, {action}}}"),
            ));
        }
        if let Some(md) = int(c, "minDomains") {
            if md <= 0 {
                errs.push(FieldError::invalid(
                    p.child("minDomains"),
                    md,
                    "must be greater than zero",
                ));
            }
            if action != "DoNotSchedule" {
                errs.push(FieldError::invalid(
                    p.child("minDomains"),
                    md,
                    format!(
                        "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {action}"
                    ),
                ));
            }
        }
        for key in ["nodeAffinityPolicy", "nodeTaintsPolicy"] {
            if let Some(v) = opt_str(c, key)
                && v != "Honor"
                && v != "Ignore"
            {
                errs.push(FieldError::not_supported(
                    p.child(key),
                    v,
                    &["Honor", "Ignore"],
                ));
            }
        }
        let mlk = strings(c, "matchLabelKeys");
        if !mlk.is_empty() {
            let sel = get(c, "labelSelector");
            if sel.is_none() {
                errs.push(FieldError::forbidden(
                    p.child("matchLabelKeys"),
                    "must not be specified when labelSelector is not set",
                ));
            }
            let sel_keys: Vec<&str> = sel
                .map(|s| {
                    let mut k: Vec<&str> = string_entries(s, "matchLabels")
                        .into_iter()
                        .map(|(k, _)| k)
                        .collect();
                    k.extend(arr(s, "matchExpressions").iter().map(|r| str_of(r, "key")));
                    k
                })
                .unwrap_or_default();
            for (j, k) in mlk.into_iter().enumerate() {
                errs.extend(validate_label_name(k, &p.child("matchLabelKeys").index(j)));
                if sel_keys.contains(&k) {
                    errs.push(FieldError::invalid(
                        p.child("matchLabelKeys").index(j),
                        k,
                        "exists in both matchLabelKeys and labelSelector",
                    ));
                }
            }
        }
        errs.extend(validate_label_selector(
            get(c, "labelSelector"),
            SelectorOpts::default(),
            &p.child("labelSelector"),
        ));
    }
    errs
}

fn validate_dns_config(spec: &Value, path: &Path) -> Vec<FieldError> {
    let policy = str_or(spec, "dnsPolicy", "ClusterFirst");
    let cfg = get(spec, "dnsConfig");
    if policy == "None" {
        let Some(cfg) = cfg else {
            return vec![FieldError::required(
                path.clone(),
                "must provide `dnsConfig` when `dnsPolicy` is None",
            )];
        };
        if arr(cfg, "nameservers").is_empty() {
            return vec![FieldError::required(
                path.child("nameservers"),
                "must provide at least one DNS nameserver when `dnsPolicy` is None",
            )];
        }
    }
    let Some(cfg) = cfg else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    let ns = strings(cfg, "nameservers");
    if ns.len() > 3 {
        errs.push(
            FieldError::invalid(
                path.child("nameservers"),
                child(cfg, "nameservers").clone(),
                "must not have more than 3 nameservers",
            )
            .with_value_repr(gorepr::strs("string", &ns)),
        );
    }
    for (i, n) in ns.iter().enumerate() {
        errs.extend(is_valid_ip(&path.child("nameservers").index(i), n));
    }
    let searches = strings(cfg, "searches");
    if searches.len() > 32 {
        errs.push(
            FieldError::invalid(
                path.child("searches"),
                child(cfg, "searches").clone(),
                "must not have more than 32 search paths",
            )
            .with_value_repr(gorepr::strs("string", &searches)),
        );
    }
    if searches.join(" ").len() > 2048 {
        errs.push(
            FieldError::invalid(
                path.child("searches"),
                child(cfg, "searches").clone(),
                "must not have more than 2048 characters (including spaces) in the search list",
            )
            .with_value_repr(gorepr::strs("string", &searches)),
        );
    }
    for (i, s) in searches.iter().enumerate() {
        if *s == "." {
            continue;
        }
        let s = s.strip_suffix('.').unwrap_or(s);
        if !valid_subdomain_with_underscore(s) {
            errs.push(FieldError::invalid(
                path.child("searches").index(i),
                s,
                regex_error(
                    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character",
                    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
                    &["example.com"],
                ),
            ));
        }
    }
    for (i, o) in arr(cfg, "options").iter().enumerate() {
        if str_of(o, "name").is_empty() {
            errs.push(FieldError::required(
                path.child("options").index(i),
                "must not be empty",
            ));
        }
    }
    errs
}

/// `_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?` labels joined by dots, at most 253 characters.
fn valid_subdomain_with_underscore(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            let l = label.strip_prefix('_').unwrap_or(label);
            let b = l.as_bytes();
            let an = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
            match (b.first(), b.last()) {
                (Some(&f), Some(&e)) => {
                    an(f) && an(e) && b.iter().all(|&c| an(c) || c == b'-' || c == b'_')
                }
                _ => false,
            }
        })
}

// ---------------------------------------------------------------------------------------------
// Security

fn validate_host_users(spec: &Value, path: &Path) -> Vec<FieldError> {
    let sc = child(spec, "securityContext");
    if sc.get("hostUsers").and_then(Value::as_bool) != Some(false) {
        return Vec::new();
    }
    let mut errs = Vec::new();
    for (key, p) in [
        ("hostNetwork", "hostNetwork"),
        ("hostPID", "HostPID"),
        ("hostIPC", "HostIPC"),
    ] {
        if is_true(spec, key) {
            errs.push(FieldError::forbidden(
                path.child(p),
                "when `pod.Spec.HostUsers` is false",
            ));
        }
    }
    errs
}

const SYSCTL_REGEX: &str =
    "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$";

fn is_valid_sysctl_name(name: &str) -> bool {
    if name.len() > 253 {
        return false;
    }
    let seg = |s: &str| {
        let b = s.as_bytes();
        let an = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        match (b.first(), b.last()) {
            (Some(&f), Some(&l)) => {
                an(f) && an(l) && b.iter().all(|&c| an(c) || c == b'-' || c == b'_')
            }
            _ => false,
        }
    };
    name.split(['.', '/']).all(seg)
}

fn sysctl_namespace(name: &str) -> Option<&'static str> {
    let n = name.replace('/', ".");
    if n.starts_with("net.") {
        Some("net")
    } else if n == "kernel.sem"
        || n.starts_with("kernel.shm")
        || n.starts_with("kernel.msg")
        || n.starts_with("fs.mqueue.")
    {
        Some("ipc")
    } else {
        None
    }
}

fn validate_pod_security_context(spec: &Value, _spec_path: &Path, path: &Path) -> Vec<FieldError> {
    let Some(sc) = get(spec, "securityContext") else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    for key in ["fsGroup", "runAsUser", "runAsGroup"] {
        if let Some(id) = int(sc, key) {
            for m in is_valid_id(id) {
                errs.push(FieldError::invalid(path.child(key), id, m));
            }
        }
    }
    for (i, g) in arr(sc, "supplementalGroups").iter().enumerate() {
        let g = g.as_i64().unwrap_or(0);
        for m in is_valid_id(g) {
            errs.push(FieldError::invalid(
                path.child("supplementalGroups").index(i),
                g,
                m,
            ));
        }
    }
    if is_true(spec, "shareProcessNamespace") && is_true(spec, "hostPID") {
        errs.push(FieldError::invalid(
            path.child("shareProcessNamespace"),
            true,
            "ShareProcessNamespace and HostPID cannot both be enabled",
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, s) in arr(sc, "sysctls").iter().enumerate() {
        let p = path.child("sysctls").index(i).child("name");
        let name = str_of(s, "name");
        if name.is_empty() {
            errs.push(FieldError::required(p.clone(), ""));
        } else if !is_valid_sysctl_name(name) {
            errs.push(FieldError::invalid(
                p.clone(),
                name,
                format!("must have at most 253 characters and match regex {SYSCTL_REGEX}"),
            ));
        } else if seen.contains(&name) {
            errs.push(FieldError::duplicate(p.clone(), name));
        }
        match sysctl_namespace(name) {
            Some("net") if is_true(spec, "hostNetwork") => {
                errs.push(FieldError::invalid(
                    p.clone(),
                    name,
                    "may not be specified when 'hostNetwork' is true",
                ));
            }
            Some("ipc") if is_true(spec, "hostIPC") => {
                errs.push(FieldError::invalid(
                    p.clone(),
                    name,
                    "may not be specified when 'hostIPC' is true",
                ));
            }
            _ => {}
        }
        seen.push(name);
    }
    if let Some(p) = opt_str(sc, "fsGroupChangePolicy")
        && p != "Always"
        && p != "OnRootMismatch"
    {
        errs.push(FieldError::not_supported(
            path.child("fsGroupChangePolicy"),
            p,
            &["Always", "OnRootMismatch"],
        ));
    }
    errs.extend(validate_seccomp_profile(
        get(sc, "seccompProfile"),
        &path.child("seccompProfile"),
    ));
    errs.extend(validate_windows_options(
        get(sc, "windowsOptions"),
        &path.child("windowsOptions"),
    ));
    errs.extend(validate_apparmor_profile(
        get(sc, "appArmorProfile"),
        &path.child("appArmorProfile"),
    ));
    if let Some(p) = opt_str(sc, "supplementalGroupsPolicy")
        && p != "Merge"
        && p != "Strict"
    {
        errs.push(FieldError::not_supported(
            path.child("supplementalGroupsPolicy"),
            p,
            &["Merge", "Strict"],
        ));
    }
    if let Some(p) = opt_str(sc, "seLinuxChangePolicy")
        && p != "MountOption"
        && p != "Recursive"
    {
        errs.push(FieldError::not_supported(
            path.child("seLinuxChangePolicy"),
            p,
            &["MountOption", "Recursive"],
        ));
    }
    errs
}

fn validate_security_context(sc: &Value, host_users: bool, path: &Path) -> Vec<FieldError> {
    if sc.is_null() {
        return Vec::new();
    }
    let mut errs = Vec::new();
    for key in ["runAsUser", "runAsGroup"] {
        if let Some(id) = int(sc, key) {
            for m in is_valid_id(id) {
                errs.push(FieldError::invalid(path.child(key), id, m));
            }
        }
    }
    if let Some(pm) = opt_str(sc, "procMount") {
        if pm != "Default" && pm != "Unmasked" {
            errs.push(FieldError::not_supported(
                path.child("procMount"),
                pm,
                &["Default", "Unmasked"],
            ));
        }
        if host_users && pm == "Unmasked" {
            errs.push(FieldError::invalid(
                path.child("procMount"),
                pm,
                "`hostUsers` must be false to use `Unmasked`",
            ));
        }
    }
    errs.extend(validate_seccomp_profile(
        get(sc, "seccompProfile"),
        &path.child("seccompProfile"),
    ));
    if sc.get("allowPrivilegeEscalation").and_then(Value::as_bool) == Some(false) {
        if sc.get("privileged").and_then(Value::as_bool) == Some(true) {
            errs.push(
                FieldError::invalid(
                    path.clone(),
                    sc.clone(),
                    "cannot set `allowPrivilegeEscalation` to false and `privileged` to true",
                )
                .with_value_repr(gorepr::structure("core.SecurityContext", sc)),
            );
        }
        if strings(child(sc, "capabilities"), "add").contains(&"CAP_SYS_ADMIN") {
            errs.push(FieldError::invalid(path.clone(), sc.clone(), "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN").with_value_repr(gorepr::structure("core.SecurityContext", sc)));
        }
    }
    errs.extend(validate_windows_options(
        get(sc, "windowsOptions"),
        &path.child("windowsOptions"),
    ));
    errs.extend(validate_apparmor_profile(
        get(sc, "appArmorProfile"),
        &path.child("appArmorProfile"),
    ));
    errs
}

fn validate_seccomp_profile(sp: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let Some(sp) = sp else { return Vec::new() };
    let mut errs = Vec::new();
    let ty = str_of(sp, "type");
    match ty {
        "Localhost" | "RuntimeDefault" | "Unconfined" => {}
        "" => errs.push(FieldError::required(
            path.child("type"),
            "type is required when seccompProfile is set",
        )),
        other => errs.push(FieldError::not_supported(
            path.child("type"),
            other,
            &["Localhost", "RuntimeDefault", "Unconfined"],
        )),
    }
    let local = opt_str(sp, "localhostProfile");
    if ty == "Localhost" {
        match local {
            None => errs.push(FieldError::required(
                path.child("localhostProfile"),
                "must be set when seccomp type is Localhost",
            )),
            Some(l) => errs.extend(validate_local_descending_path(
                l,
                &path.child("localhostProfile"),
            )),
        }
    } else if local.is_some() {
        errs.push(
            FieldError::invalid(
                path.child("localhostProfile"),
                sp.clone(),
                "can only be set when seccomp type is Localhost",
            )
            .with_value_repr(gorepr::structure("core.SeccompProfile", sp)),
        );
    }
    errs
}

fn validate_apparmor_profile(p: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let Some(p) = p else { return Vec::new() };
    let mut errs = Vec::new();
    let local = opt_str(p, "localhostProfile");
    match str_of(p, "type") {
        "Localhost" => match local {
            None => errs.push(FieldError::required(
                path.child("localhostProfile"),
                "must be set when AppArmor type is Localhost",
            )),
            Some(l) if l.trim() != l => errs.push(FieldError::invalid(
                path.child("localhostProfile"),
                l,
                "must not be padded with whitespace",
            )),
            Some("") => errs.push(FieldError::required(
                path.child("localhostProfile"),
                "must be set when AppArmor type is Localhost",
            )),
            Some(l) if l.len() > 4095 => {
                errs.push(FieldError::too_long(path.child("localhostProfile"), 4095))
            }
            Some(_) => {}
        },
        "RuntimeDefault" | "Unconfined" => {
            if let Some(l) = local {
                errs.push(FieldError::invalid(
                    path.child("localhostProfile"),
                    l,
                    "can only be set when AppArmor type is Localhost",
                ));
            }
        }
        "" => errs.push(FieldError::required(
            path.child("type"),
            "type is required when appArmorProfile is set",
        )),
        other => errs.push(FieldError::not_supported(
            path.child("type"),
            other,
            &["Localhost", "RuntimeDefault", "Unconfined"],
        )),
    }
    errs
}

fn validate_windows_options(w: Option<&Value>, path: &Path) -> Vec<FieldError> {
    let Some(w) = w else { return Vec::new() };
    let mut errs = Vec::new();
    if let Some(n) = opt_str(w, "gmsaCredentialSpecName") {
        for m in is_dns1123_subdomain(n) {
            errs.push(FieldError::invalid(
                path.child("gmsaCredentialSpecName"),
                n,
                m,
            ));
        }
    }
    if let Some(s) = opt_str(w, "gmsaCredentialSpec") {
        if s.is_empty() {
            errs.push(FieldError::invalid(
                path.child("gmsaCredentialSpec"),
                s,
                "gmsaCredentialSpec cannot be an empty string",
            ));
        } else if s.len() > 64 * 1024 {
            errs.push(FieldError::invalid(
                path.child("gmsaCredentialSpec"),
                s,
                "gmsaCredentialSpec size must be under 64 KiB",
            ));
        }
    }
    if let Some(u) = opt_str(w, "runAsUserName") {
        let p = path.child("runAsUserName");
        if u.is_empty() {
            errs.push(FieldError::invalid(
                p,
                u,
                "runAsUserName cannot be an empty string",
            ));
        } else if u.chars().any(char::is_control) {
            errs.push(FieldError::invalid(
                p,
                u,
                "runAsUserName cannot contain control characters",
            ));
        } else if u.matches('\\').count() > 1 {
            errs.push(FieldError::invalid(
                p,
                u,
                "runAsUserName cannot contain more than one backslash",
            ));
        } else {
            let user = u.rsplit('\\').next().unwrap_or("");
            if user.is_empty() {
                errs.push(FieldError::invalid(
                    p.clone(),
                    u,
                    "runAsUserName's User cannot be empty",
                ));
            } else if user.len() > 104 {
                errs.push(FieldError::invalid(
                    p.clone(),
                    u,
                    "runAsUserName's User length must not be longer than 104 characters",
                ));
            }
            if !user.is_empty() && user.chars().all(|c| c == '.' || c == ' ') {
                errs.push(FieldError::invalid(
                    p.clone(),
                    u,
                    "runAsUserName's User cannot contain only periods or spaces",
                ));
            }
            if user.chars().any(|c| "\"/\\:;|=,+*?<>@[]".contains(c)) {
                errs.push(FieldError::invalid(p, u, "runAsUserName's User cannot contain the following characters: \"/\\:;|=,+*?<>@[]"));
            }
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// Helpers shared with other kinds

/// A non-negative integer `spec.x` (used by workload specs).
pub fn nonneg_int(v: &Value, key: &str, path: &Path) -> Option<FieldError> {
    int(v, key).and_then(|n| nonneg(path.child(key), n))
}

/// Whether the object carries a non-empty map.
pub fn has_map(v: &Value, key: &str) -> bool {
    obj(v, key).is_some_and(|m| !m.is_empty())
}

/// The value of an `IntOrString` field, defaulted.
pub fn int_or_str_or(v: &Value, key: &str, default: IntOrString) -> IntOrString {
    int_or_string(v, key).unwrap_or(default)
}

#[cfg(test)]
mod tests;
