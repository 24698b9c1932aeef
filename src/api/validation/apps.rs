//! apps/v1: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision
//! (`pkg/apis/apps/validation` and the selector immutability of the apps/v1 strategies).

use serde_json::Value;

use super::core::{validate_pvc_spec, validate_replica_status};
use super::gorepr;
use super::json::{IntOrString, arr, child, get, has, int, int_of, int_or_string, str_of, str_or};
use super::meta::{
    IMMUTABLE, SelectorOpts, immutable, nonneg, nonneg_field, nonneg_fields, selector_convertible,
    selector_is_empty, selector_matches, validate_label_selector, validate_template_meta,
};
use super::names::is_valid_percent;
use super::pod::{dns1123_label, restart_policy, validate_pod_template_spec};
use super::{NameRule, kube_meta, meta_update};
use crate::api::field::{FieldError, Path};

fn spec_path() -> Path {
    Path::new("spec")
}

/// The selector checks shared by the replicated workloads: required, valid, non-empty.
fn validate_selector(spec: &Value, what: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    match get(spec, "selector") {
        None => errs.push(FieldError::required(path.child("selector"), "")),
        Some(sel) => {
            errs.extend(validate_label_selector(
                Some(sel),
                SelectorOpts::default(),
                &path.child("selector"),
            ));
            if selector_is_empty(sel) {
                errs.push(
                    FieldError::invalid(
                        path.child("selector"),
                        sel.clone(),
                        format!("empty selector is invalid for {what}"),
                    )
                    .with_value_repr(gorepr::label_selector(sel)),
                );
            }
        }
    }
    errs
}

/// `selector does not match template labels`, as upstream reports it: a missing selector matches
/// nothing, an empty one everything.
fn template_selector_mismatch(spec: &Value, tpl_path: &Path) -> Option<FieldError> {
    let tpl_meta = child(child(spec, "template"), "metadata");
    let labels = child(tpl_meta, "labels");
    let matches = match get(spec, "selector") {
        None => false,
        Some(sel) if selector_is_empty(sel) => true,
        Some(sel) => selector_matches(sel, labels),
    };
    (!matches).then(|| {
        FieldError::invalid(
            tpl_path.child("metadata").child("labels"),
            labels.clone(),
            "`selector` does not match template `labels`",
        )
        .with_value_repr(gorepr::string_map(get(tpl_meta, "labels")))
    })
}

/// `ValidatePodTemplateSpecForReplicaSet`, shared by Deployments and ReplicaSets.
fn validate_template_for_replica_set(spec: &Value, kind: &str, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let tp = path.child("template");
    if let Some(sel) = get(spec, "selector")
        && !selector_convertible(sel)
    {
        errs.push(
            FieldError::invalid(
                path.child("selector"),
                sel.clone(),
                "invalid label selector",
            )
            .with_value_repr(gorepr::label_selector(sel)),
        );
        return errs;
    }
    errs.extend(template_selector_mismatch(spec, &tp));
    errs.extend(validate_template_restart(spec, kind, &tp));
    errs
}

fn validate_template_restart(spec: &Value, kind: &str, tp: &Path) -> Vec<FieldError> {
    let tpl = child(spec, "template");
    let mut errs = validate_pod_template_spec(tpl, tp);
    let tspec = child(tpl, "spec");
    let rp = restart_policy(tspec);
    if rp != "Always" {
        errs.push(FieldError::not_supported(
            tp.child("spec").child("restartPolicy"),
            rp,
            &["Always"],
        ));
    }
    if has(tspec, "activeDeadlineSeconds") {
        errs.push(FieldError::forbidden(
            tp.child("spec").child("activeDeadlineSeconds"),
            format!("activeDeadlineSeconds in {kind} is not Supported"),
        ));
    }
    errs
}

fn selector_immutable(new: &Value, old: &Value) -> Option<FieldError> {
    let (ns, os) = (
        child(child(new, "spec"), "selector"),
        child(child(old, "spec"), "selector"),
    );
    (!super::json::same(ns, os)).then(|| {
        FieldError::invalid(spec_path().child("selector"), ns.clone(), IMMUTABLE)
            .with_value_repr(gorepr::label_selector(ns))
    })
}

// ---------------------------------------------------------------------------------------------
// IntOrString helpers

/// `ValidatePositiveIntOrPercent`.
pub fn validate_positive_int_or_percent(v: &IntOrString, path: &Path) -> Vec<FieldError> {
    match v {
        IntOrString::Str(s) => is_valid_percent(s)
            .into_iter()
            .map(|m| {
                FieldError::invalid(path.clone(), v.to_value(), m).with_value_repr(v.go_repr())
            })
            .collect(),
        IntOrString::Int(i) => nonneg(path.clone(), *i).into_iter().collect(),
    }
}

fn percent_value(v: &IntOrString) -> Option<i64> {
    match v {
        IntOrString::Str(s) if is_valid_percent(s).is_empty() => {
            s.trim_end_matches('%').parse().ok()
        }
        _ => None,
    }
}

fn int_or_percent_value(v: &IntOrString) -> i64 {
    match (v, percent_value(v)) {
        (_, Some(p)) => p,
        (IntOrString::Int(i), None) => *i,
        _ => 0,
    }
}

/// `IsNotMoreThan100Percent`.
pub fn not_more_than_100_percent(v: &IntOrString, path: &Path) -> Vec<FieldError> {
    match percent_value(v) {
        Some(p) if p > 100 => vec![
            FieldError::invalid(path.clone(), v.to_value(), "must not be greater than 100%")
                .with_value_repr(v.go_repr()),
        ],
        _ => Vec::new(),
    }
}

fn intstr_or(v: &Value, key: &str, default: IntOrString) -> IntOrString {
    int_or_string(v, key).unwrap_or(default)
}

// ---------------------------------------------------------------------------------------------
// Deployment

fn validate_deployment_strategy(spec: &Value, path: &Path) -> Vec<FieldError> {
    let strategy = child(spec, "strategy");
    let p = path.child("strategy");
    let mut errs = Vec::new();
    match str_or(strategy, "type", "RollingUpdate") {
        "Recreate" => {
            if has(strategy, "rollingUpdate") {
                errs.push(FieldError::forbidden(p.child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"));
            }
        }
        "RollingUpdate" => {
            let ru = child(strategy, "rollingUpdate");
            let rp = p.child("rollingUpdate");
            let mu = intstr_or(ru, "maxUnavailable", IntOrString::Str("25%".to_owned()));
            let ms = intstr_or(ru, "maxSurge", IntOrString::Str("25%".to_owned()));
            errs.extend(validate_positive_int_or_percent(&mu, &rp.child("maxUnavailable")));
            errs.extend(validate_positive_int_or_percent(&ms, &rp.child("maxSurge")));
            if int_or_percent_value(&mu) == 0 && int_or_percent_value(&ms) == 0 {
                errs.push(
                    FieldError::invalid(rp.child("maxUnavailable"), mu.to_value(), "may not be 0 when `maxSurge` is 0")
                        .with_value_repr(mu.go_repr()),
                );
            }
            errs.extend(not_more_than_100_percent(&mu, &rp.child("maxUnavailable")));
        }
        other => errs.push(
            FieldError::not_supported(p, strategy.clone(), &["Recreate", "RollingUpdate"]).with_value_repr(format!(
                "apps.DeploymentStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}}",
                gorepr::quote(other)
            )),
        ),
    }
    errs
}

fn validate_deployment_spec(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    errs.extend(nonneg(
        path.child("replicas"),
        int(spec, "replicas").unwrap_or(1),
    ));
    errs.extend(validate_selector(spec, "deployment", path));
    errs.extend(validate_template_for_replica_set(spec, "ReplicaSet", path));
    errs.extend(validate_deployment_strategy(spec, path));
    nonneg_field(&mut errs, spec, "minReadySeconds", path);
    nonneg_field(&mut errs, spec, "revisionHistoryLimit", path);
    let pds = int(spec, "progressDeadlineSeconds").unwrap_or(600);
    errs.extend(nonneg(path.child("progressDeadlineSeconds"), pds));
    if pds <= int_of(spec, "minReadySeconds") {
        errs.push(FieldError::invalid(
            path.child("progressDeadlineSeconds"),
            pds,
            "must be greater than minReadySeconds",
        ));
    }
    errs
}

pub fn validate_deployment(d: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(d, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_deployment_spec(child(d, "spec"), &spec_path()));
    errs
}

pub fn validate_deployment_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_deployment_spec(child(new, "spec"), &spec_path()));
    errs.extend(selector_immutable(new, old));
    errs
}

fn collision_count_decremented(new: &Value, old: &Value) -> Option<FieldError> {
    let (n, o) = (
        int(child(new, "status"), "collisionCount"),
        int(child(old, "status"), "collisionCount"),
    );
    let decremented = match (n, o) {
        (None, Some(_)) => true,
        (Some(n), Some(o)) => n < o,
        _ => false,
    };
    decremented.then(|| {
        FieldError::invalid(
            Path::new("status").child("collisionCount"),
            n.unwrap_or(0),
            "cannot be decremented",
        )
    })
}

pub fn validate_deployment_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    let status = child(new, "status");
    let p = Path::new("status");
    nonneg_fields(
        &mut errs,
        status,
        &[
            "observedGeneration",
            "replicas",
            "updatedReplicas",
            "readyReplicas",
            "availableReplicas",
            "unavailableReplicas",
            "collisionCount",
        ],
        &p,
    );
    let (replicas, updated, ready, available) = (
        int_of(status, "replicas"),
        int_of(status, "updatedReplicas"),
        int_of(status, "readyReplicas"),
        int_of(status, "availableReplicas"),
    );
    let msg = "cannot be greater than status.replicas";
    if updated > replicas {
        errs.push(FieldError::invalid(
            p.child("updatedReplicas"),
            updated,
            msg,
        ));
    }
    if ready > replicas {
        errs.push(FieldError::invalid(p.child("readyReplicas"), ready, msg));
    }
    if available > replicas {
        errs.push(FieldError::invalid(
            p.child("availableReplicas"),
            available,
            msg,
        ));
    }
    if available > ready {
        errs.push(FieldError::invalid(
            p.child("availableReplicas"),
            available,
            "cannot be greater than readyReplicas",
        ));
    }
    errs.extend(collision_count_decremented(new, old));
    errs
}

// ---------------------------------------------------------------------------------------------
// ReplicaSet

fn validate_replica_set_spec(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    errs.extend(nonneg(
        path.child("replicas"),
        int(spec, "replicas").unwrap_or(1),
    ));
    nonneg_field(&mut errs, spec, "minReadySeconds", path);
    errs.extend(validate_selector(spec, "deployment", path));
    errs.extend(validate_template_for_replica_set(spec, "ReplicaSet", path));
    errs
}

pub fn validate_replica_set(rs: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(rs, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_replica_set_spec(child(rs, "spec"), &spec_path()));
    errs
}

pub fn validate_replica_set_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_replica_set_spec(child(new, "spec"), &spec_path()));
    errs.extend(selector_immutable(new, old));
    errs
}

pub fn validate_replica_set_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_replica_status(
        child(new, "status"),
        &Path::new("status"),
        true,
    ));
    errs
}

// ---------------------------------------------------------------------------------------------
// StatefulSet

struct StsOpts {
    /// Updates of objects whose serviceName was already invalid keep being accepted.
    allow_invalid_service_name: bool,
    validate_claim_templates: bool,
}

fn validate_stateful_set_spec(spec: &Value, path: &Path, opts: &StsOpts) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let pmp = str_or(spec, "podManagementPolicy", "OrderedReady");
    if pmp != "OrderedReady" && pmp != "Parallel" {
        errs.push(FieldError::invalid(
            path.child("podManagementPolicy"),
            pmp,
            "must be 'OrderedReady' or 'Parallel'",
        ));
    }
    let us = child(spec, "updateStrategy");
    let up = path.child("updateStrategy");
    match str_or(us, "type", "RollingUpdate") {
        "OnDelete" => {
            if let Some(ru) = get(us, "rollingUpdate") {
                errs.push(
                    FieldError::invalid(up.child("rollingUpdate"), ru.clone(), "only allowed for updateStrategy 'RollingUpdate'")
                        .with_value_repr(gorepr::structure("apps.RollingUpdateStatefulSetStrategy", ru)),
                );
            }
        }
        "RollingUpdate" => {
            if let Some(ru) = get(us, "rollingUpdate") {
                let rp = up.child("rollingUpdate");
                nonneg_field(&mut errs, ru, "partition", &rp);
                if let Some(mu) = int_or_string(ru, "maxUnavailable") {
                    let mp = rp.child("maxUnavailable");
                    errs.extend(validate_positive_int_or_percent(&mu, &mp));
                    if int_or_percent_value(&mu) == 0 {
                        errs.push(FieldError::invalid(mp.clone(), mu.to_value(), "cannot be 0").with_value_repr(mu.go_repr()));
                    }
                    errs.extend(not_more_than_100_percent(&mu, &mp));
                }
            }
        }
        other => errs.push(
            FieldError::invalid(up, us.clone(), "must be 'RollingUpdate' or 'OnDelete'").with_value_repr(format!(
                "apps.StatefulSetUpdateStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}}",
                gorepr::quote(other)
            )),
        ),
    }
    if let Some(policy) = get(spec, "persistentVolumeClaimRetentionPolicy") {
        let pp = path.child("persistentVolumeClaimRetentionPolicy");
        for key in ["whenDeleted", "whenScaled"] {
            let v = str_or(policy, key, "Retain");
            if v != "Retain" && v != "Delete" {
                errs.push(FieldError::not_supported(
                    pp.child(key),
                    v,
                    &["Retain", "Delete"],
                ));
            }
        }
    }
    errs.extend(nonneg(
        path.child("replicas"),
        int(spec, "replicas").unwrap_or(1),
    ));
    nonneg_field(&mut errs, spec, "minReadySeconds", path);
    if let Some(ord) = get(spec, "ordinals") {
        errs.extend(nonneg(path.child("ordinals.start"), int_of(ord, "start")));
    }
    let service_name = str_of(spec, "serviceName");
    if !opts.allow_invalid_service_name && !service_name.is_empty() {
        errs.extend(dns1123_label(service_name, &path.child("serviceName")));
    }
    errs.extend(validate_selector(spec, "statefulset", path));
    let tp = path.child("template");
    match get(spec, "selector") {
        Some(sel) if !selector_convertible(sel) => errs.push(
            FieldError::invalid(path.child("selector"), sel.clone(), "")
                .with_value_repr(gorepr::label_selector(sel)),
        ),
        _ => {
            errs.extend(template_selector_mismatch(spec, &tp));
        }
    }
    // Containers may mount the claims of `volumeClaimTemplates` (each pod gets its own PVC as a
    // volume of that name), so the template is checked with those volumes added.
    let mut with_claims = spec.clone();
    let claims: Vec<Value> = arr(spec, "volumeClaimTemplates")
        .iter()
        .filter_map(|c| c["metadata"]["name"].as_str())
        .map(|name| serde_json::json!({"name": name, "persistentVolumeClaim": {"claimName": name}}))
        .collect();
    if !claims.is_empty()
        && let Some(tspec) = with_claims
            .pointer_mut("/template/spec")
            .and_then(Value::as_object_mut)
    {
        let volumes = tspec
            .entry("volumes")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = volumes.as_array_mut() {
            for claim in claims {
                if !list.iter().any(|v| v["name"] == claim["name"]) {
                    list.push(claim);
                }
            }
        }
    }
    errs.extend(validate_template_restart(&with_claims, "StatefulSet", &tp));
    if opts.validate_claim_templates {
        for (i, claim) in arr(spec, "volumeClaimTemplates").iter().enumerate() {
            let cp = path.child("volumeClaimTemplates").index(i);
            errs.extend(validate_template_meta(
                child(claim, "metadata"),
                &cp.child("metadata"),
            ));
            errs.extend(validate_pvc_spec(child(claim, "spec"), &cp.child("spec")));
        }
    }
    errs
}

pub fn validate_stateful_set(sts: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(sts, "metadata"),
        true,
        NameRule::Dns1123Label,
        &Path::new("metadata"),
    );
    errs.extend(validate_stateful_set_spec(
        child(sts, "spec"),
        &spec_path(),
        &StsOpts {
            allow_invalid_service_name: false,
            validate_claim_templates: true,
        },
    ));
    errs
}

const STS_MUTABLE: &[&str] = &[
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

pub fn validate_stateful_set_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    let old_service = str_of(child(old, "spec"), "serviceName");
    errs.extend(validate_stateful_set_spec(
        child(new, "spec"),
        &spec_path(),
        &StsOpts {
            allow_invalid_service_name: !super::names::is_dns1123_label(old_service).is_empty()
                && !old_service.is_empty(),
            validate_claim_templates: false,
        },
    ));
    let strip = |v: &Value| {
        let mut s = child(v, "spec").clone();
        if let Some(m) = s.as_object_mut() {
            for k in STS_MUTABLE {
                m.remove(*k);
            }
        }
        s
    };
    if !super::json::same(&strip(new), &strip(old)) {
        errs.push(FieldError::forbidden(
            spec_path(),
            "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ));
    }
    errs
}

pub fn validate_stateful_set_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let status = child(new, "status");
    let p = Path::new("status");
    let mut errs = Vec::new();
    nonneg_fields(
        &mut errs,
        status,
        &[
            "replicas",
            "readyReplicas",
            "currentReplicas",
            "updatedReplicas",
            "availableReplicas",
            "observedGeneration",
            "collisionCount",
        ],
        &p,
    );
    let replicas = int_of(status, "replicas");
    let msg = "cannot be greater than status.replicas";
    for key in [
        "readyReplicas",
        "currentReplicas",
        "updatedReplicas",
        "availableReplicas",
    ] {
        let v = int_of(status, key);
        if v > replicas {
            errs.push(FieldError::invalid(p.child(key), v, msg));
        }
    }
    if int_of(status, "availableReplicas") > int_of(status, "readyReplicas") {
        errs.push(FieldError::invalid(
            p.child("availableReplicas"),
            int_of(status, "availableReplicas"),
            "cannot be greater than status.readyReplicas",
        ));
    }
    errs.extend(meta_update(new, old));
    errs.extend(collision_count_decremented(new, old));
    errs
}

// ---------------------------------------------------------------------------------------------
// DaemonSet

fn validate_daemon_set_spec(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = validate_label_selector(
        get(spec, "selector"),
        SelectorOpts::default(),
        &path.child("selector"),
    );
    let tp = path.child("template");
    let convertible = get(spec, "selector").is_none_or(selector_convertible);
    if convertible {
        errs.extend(template_selector_mismatch(spec, &tp));
    }
    if let Some(sel) = get(spec, "selector").filter(|s| selector_is_empty(s)) {
        errs.push(
            FieldError::invalid(
                path.child("selector"),
                sel.clone(),
                "empty selector is invalid for daemonset",
            )
            .with_value_repr(gorepr::label_selector(sel)),
        );
    }
    errs.extend(validate_template_restart(spec, "DaemonSet", &tp));
    nonneg_fields(
        &mut errs,
        spec,
        &["minReadySeconds", "templateGeneration"],
        path,
    );
    let us = child(spec, "updateStrategy");
    let up = path.child("updateStrategy");
    match str_or(us, "type", "RollingUpdate") {
        "OnDelete" => {}
        "RollingUpdate" => {
            let ru = child(us, "rollingUpdate");
            let rp = up.child("rollingUpdate");
            let mu = intstr_or(ru, "maxUnavailable", IntOrString::Int(1));
            let ms = intstr_or(ru, "maxSurge", IntOrString::Int(0));
            errs.extend(validate_positive_int_or_percent(&mu, &rp.child("maxUnavailable")));
            errs.extend(validate_positive_int_or_percent(&ms, &rp.child("maxSurge")));
            errs.extend(not_more_than_100_percent(&mu, &rp.child("maxUnavailable")));
            errs.extend(not_more_than_100_percent(&ms, &rp.child("maxSurge")));
            let (has_u, has_s) = (int_or_percent_value(&mu) != 0, int_or_percent_value(&ms) != 0);
            if has_u && has_s {
                errs.push(FieldError::invalid(rp.child("maxSurge"), ms.to_value(), "may not be set when maxUnavailable is non-zero").with_value_repr(ms.go_repr()));
            } else if !has_u && !has_s {
                errs.push(FieldError::required(rp.child("maxUnavailable"), "cannot be 0 when maxSurge is 0"));
            }
        }
        other => errs.push(
            FieldError::not_supported(up, us.clone(), &["RollingUpdate", "OnDelete"]).with_value_repr(format!(
                "apps.DaemonSetUpdateStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}}",
                gorepr::quote(other)
            )),
        ),
    }
    nonneg_field(&mut errs, spec, "revisionHistoryLimit", path);
    errs
}

pub fn validate_daemon_set(ds: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(ds, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_daemon_set_spec(child(ds, "spec"), &spec_path()));
    errs
}

pub fn validate_daemon_set_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_daemon_set_spec(child(new, "spec"), &spec_path()));
    errs.extend(selector_immutable(new, old));
    errs
}

pub fn validate_daemon_set_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    nonneg_fields(
        &mut errs,
        child(new, "status"),
        &[
            "currentNumberScheduled",
            "numberMisscheduled",
            "desiredNumberScheduled",
            "numberReady",
            "observedGeneration",
            "updatedNumberScheduled",
            "numberAvailable",
            "numberUnavailable",
            "collisionCount",
        ],
        &Path::new("status"),
    );
    errs.extend(collision_count_decremented(new, old));
    errs
}

// ---------------------------------------------------------------------------------------------
// ControllerRevision

pub fn validate_controller_revision(cr: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(cr, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    if !has(cr, "data") {
        errs.push(FieldError::required(Path::new("data"), "data is mandatory"));
    }
    errs.extend(nonneg(Path::new("revision"), int_of(cr, "revision")));
    errs
}

pub fn validate_controller_revision_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_controller_revision(new));
    errs.extend(immutable(
        Path::new("data"),
        child(new, "data"),
        child(old, "data"),
    ));
    errs
}

#[cfg(test)]
#[path = "apps_tests.rs"]
mod tests;
