//! The pure bookkeeping of the Deployment controller, after upstream's
//! `pkg/controller/deployment/util/deployment_util.go`: the pod-template hash, revisions and
//! their annotations, maxSurge/maxUnavailable arithmetic, proportional scaling, and the status
//! and conditions kubectl reads. No I/O here.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
/// Upstream caps the revision-history annotation at this many characters.
pub const MAX_REVISION_HISTORY_CHARS: usize = 2000;

/// Annotations of a Deployment that are not copied onto its ReplicaSets.
const NOT_COPIED: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

// Condition types and reasons, as upstream names them.
pub const AVAILABLE: &str = "Available";
pub const PROGRESSING: &str = "Progressing";
pub const REPLICA_FAILURE: &str = "ReplicaFailure";
pub const MIN_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MIN_UNAVAILABLE: &str = "MinimumReplicasUnavailable";
pub const NEW_RS_CREATED: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
pub const RS_UPDATED: &str = "ReplicaSetUpdated";
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";
pub const FAILED_RS_CREATE: &str = "ReplicaSetCreateError";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid value for IntOrString: {0}")]
pub struct IntOrPercentError(pub String);

/// Upstream's `rand.SafeEncodeString`: maps each byte onto consonants and digits so generated
/// names contain no vowels (no accidental words) and no confusable characters.
pub fn safe_encode(s: &str) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    s.bytes()
        .map(|b| ALPHANUMS[b as usize % ALPHANUMS.len()] as char)
        .collect()
}

fn fnv32a(data: &[u8], mut hash: u32) -> u32 {
    for b in data {
        hash ^= u32::from(*b);
        hash = hash.wrapping_mul(16_777_619);
    }
    hash
}

/// The `pod-template-hash` of a template (upstream's `ComputeHash`): FNV-32a over the template
/// then the collision count (little-endian u32), printed in decimal and safe-encoded. Upstream
/// hashes Go's printed form of the struct; we hash its canonical JSON, so values differ from a
/// real cluster's but have the same shape and the same stability.
pub fn compute_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let bytes = serde_json::to_vec(template).expect("a PodTemplateSpec serialises");
    let mut hash = fnv32a(&bytes, 2_166_136_261);
    if let Some(c) = collision_count {
        hash = fnv32a(&(c as u32).to_le_bytes(), hash);
    }
    safe_encode(&hash.to_string())
}

/// Whether two templates are equal apart from the `pod-template-hash` label.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let strip = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.remove(POD_TEMPLATE_HASH);
        }
        t
    };
    strip(a) == strip(b)
}

/// Upstream's `GetScaledValueFromIntOrPercent`.
pub fn scaled_value(v: &IntOrString, total: i32, round_up: bool) -> Result<i32, IntOrPercentError> {
    match v {
        IntOrString::Int(i) => Ok(*i),
        IntOrString::String(s) => {
            let pct: i64 = s
                .strip_suffix('%')
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| IntOrPercentError(s.clone()))?;
            let scaled = pct * i64::from(total);
            let value = if round_up {
                (scaled + 99).div_euclid(100)
            } else {
                scaled.div_euclid(100)
            };
            Ok(value as i32)
        }
    }
}

pub fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

pub fn is_rolling(d: &Deployment) -> bool {
    d.spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        .is_none_or(|t| t == "RollingUpdate")
}

/// `(maxSurge, maxUnavailable)` as numbers for `desired` replicas: surge rounds up,
/// unavailability down, and both zero becomes unavailability 1 (upstream's `ResolveFenceposts`).
pub fn resolve_fenceposts(
    max_surge: Option<&IntOrString>,
    max_unavailable: Option<&IntOrString>,
    desired: i32,
) -> Result<(i32, i32), IntOrPercentError> {
    let zero = IntOrString::Int(0);
    let surge = scaled_value(max_surge.unwrap_or(&zero), desired, true)?;
    let unavailable = scaled_value(max_unavailable.unwrap_or(&zero), desired, false)?;
    if surge == 0 && unavailable == 0 {
        return Ok((0, 1));
    }
    Ok((surge, unavailable))
}

fn fenceposts(d: &Deployment) -> (i32, i32) {
    let ru = d
        .spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.rolling_update.as_ref());
    let default = IntOrString::String("25%".into());
    let surge = ru.and_then(|r| r.max_surge.as_ref()).unwrap_or(&default);
    let unavailable = ru
        .and_then(|r| r.max_unavailable.as_ref())
        .unwrap_or(&default);
    resolve_fenceposts(Some(surge), Some(unavailable), replicas(d)).unwrap_or((0, 1))
}

/// Upstream's `MaxUnavailable`.
pub fn max_unavailable(d: &Deployment) -> i32 {
    if !is_rolling(d) || replicas(d) == 0 {
        return 0;
    }
    fenceposts(d).1.min(replicas(d))
}

/// Upstream's `MaxSurge`.
pub fn max_surge(d: &Deployment) -> i32 {
    if !is_rolling(d) {
        return 0;
    }
    fenceposts(d).0
}

pub fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

pub fn rs_status_replicas(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().map(|s| s.replicas).unwrap_or(0)
}

pub fn rs_available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
}

pub fn rs_ready(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0)
}

fn annotation<'a>(rs: &'a ReplicaSet, key: &str) -> Option<&'a str> {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(key))
        .map(String::as_str)
}

pub fn revision(rs: &ReplicaSet) -> i64 {
    annotation(rs, REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

pub fn max_revision(rss: &[ReplicaSet]) -> i64 {
    rss.iter().map(revision).max().unwrap_or(0)
}

/// Sum of `spec.replicas`.
pub fn total_spec(rss: &[&ReplicaSet]) -> i32 {
    rss.iter().map(|r| rs_replicas(r)).sum()
}

/// Upstream's `ReplicaSetsByCreationTimestamp`: oldest first, then by name.
pub fn sort_by_creation(rss: &mut [ReplicaSet]) {
    rss.sort_by(|a, b| {
        let t = |r: &ReplicaSet| r.metadata.creation_timestamp.as_ref().map(|t| t.0);
        t(a).cmp(&t(b))
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
}

/// The ReplicaSet whose template equals the Deployment's (the oldest if several), and the others.
pub fn split_new_old(d: &Deployment, rss: &[ReplicaSet]) -> (Option<ReplicaSet>, Vec<ReplicaSet>) {
    let mut sorted = rss.to_vec();
    sort_by_creation(&mut sorted);
    let template = d
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let new_idx = sorted.iter().position(|rs| {
        rs.spec
            .as_ref()
            .and_then(|s| s.template.as_ref())
            .is_some_and(|t| equal_ignore_hash(t, &template))
    });
    match new_idx {
        Some(i) => {
            let new = sorted.remove(i);
            (Some(new), sorted)
        }
        None => (None, sorted),
    }
}

/// Sets the desired/max replicas annotations; returns whether they changed.
pub fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    let annotations = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
    let mut changed = false;
    for (k, v) in [(DESIRED_REPLICAS, desired), (MAX_REPLICAS, max)] {
        let v = v.to_string();
        if annotations.get(k) != Some(&v) {
            annotations.insert(k.to_string(), v);
            changed = true;
        }
    }
    changed
}

/// Upstream's `SetNewReplicaSetAnnotations`: copies the Deployment's annotations, advances the
/// revision (keeping the old one in `revision-history`), and for a new ReplicaSet sets the
/// replicas annotations. Returns whether anything changed.
pub fn set_new_rs_annotations(
    d: &Deployment,
    rs: &mut ReplicaSet,
    new_revision: i64,
    exists: bool,
) -> bool {
    let mut changed = false;
    let annotations = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
    for (k, v) in d.metadata.annotations.iter().flatten() {
        if NOT_COPIED.contains(&k.as_str()) || annotations.get(k) == Some(v) {
            continue;
        }
        annotations.insert(k.clone(), v.clone());
        changed = true;
    }
    let old_revision = annotations.get(REVISION).cloned().unwrap_or_default();
    let old: i64 = match old_revision.parse() {
        Ok(r) => r,
        Err(_) if old_revision.is_empty() => 0,
        Err(_) => return false,
    };
    if old < new_revision {
        annotations.insert(REVISION.into(), new_revision.to_string());
        changed = true;
        if !old_revision.is_empty() {
            let history = annotations
                .get(REVISION_HISTORY)
                .cloned()
                .unwrap_or_default();
            if history.is_empty() {
                annotations.insert(REVISION_HISTORY.into(), old_revision);
            } else {
                let mut revisions: Vec<&str> = history.split(',').collect();
                let mut total = history.len() + old_revision.len() + 1;
                let mut start = 0;
                while total > MAX_REVISION_HISTORY_CHARS && start < revisions.len() {
                    total -= revisions[start].len() + 1;
                    start += 1;
                }
                if total <= MAX_REVISION_HISTORY_CHARS {
                    revisions = revisions.split_off(start);
                    revisions.push(&old_revision);
                    let joined = revisions.join(",");
                    annotations.insert(REVISION_HISTORY.into(), joined);
                }
            }
        }
    }
    if !exists && set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)) {
        changed = true;
    }
    changed
}

/// Upstream's `NewRSNewReplicas`: how big the new ReplicaSet may be now.
pub fn new_rs_new_replicas(d: &Deployment, all: &[&ReplicaSet], new_rs: &ReplicaSet) -> i32 {
    if !is_rolling(d) {
        return replicas(d);
    }
    let new_size = rs_replicas(new_rs);
    let current = total_spec(all);
    let max_total = replicas(d) + max_surge(d);
    if current >= max_total {
        return new_size;
    }
    let up = (max_total - current).min(replicas(d) - new_size);
    new_size + up
}

fn annotated(rs: &ReplicaSet, key: &str) -> Option<i32> {
    annotation(rs, key).and_then(|v| v.parse().ok())
}

/// Upstream's `IsSaturated`: the new ReplicaSet has all desired replicas, available.
pub fn is_saturated(d: &Deployment, rs: Option<&ReplicaSet>) -> bool {
    let Some(rs) = rs else { return false };
    let Some(desired) = annotated(rs, DESIRED_REPLICAS) else {
        return false;
    };
    rs_replicas(rs) == replicas(d) && desired == replicas(d) && rs_available(rs) == replicas(d)
}

/// Upstream's `getReplicaSetFraction`: this ReplicaSet's share of a resize.
fn rs_fraction(rs: &ReplicaSet, d: &Deployment) -> i32 {
    if replicas(d) == 0 {
        return -rs_replicas(rs);
    }
    let deployment_replicas = replicas(d) + max_surge(d);
    let annotated = annotated(rs, MAX_REPLICAS)
        .unwrap_or_else(|| d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0));
    if annotated == 0 {
        return 0;
    }
    let size = f64::from(rs_replicas(rs)) * f64::from(deployment_replicas) / f64::from(annotated);
    // Go's math.Round: half away from zero, as f64::round.
    size.round() as i32 - rs_replicas(rs)
}

/// Upstream's `GetProportion`.
fn proportion(rs: &ReplicaSet, d: &Deployment, to_add: i32, added: i32) -> i32 {
    if rs_replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = rs_fraction(rs, d);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// Proportional scaling of the active ReplicaSets of a rolling Deployment whose size changed
/// mid-rollout (the rolling-update branch of upstream's `scale`): the new size of each, by name.
pub fn proportional_sizes(d: &Deployment, active: &[ReplicaSet]) -> BTreeMap<String, i32> {
    let refs: Vec<&ReplicaSet> = active.iter().collect();
    let current = total_spec(&refs);
    let allowed = if replicas(d) > 0 {
        replicas(d) + max_surge(d)
    } else {
        replicas(d)
    };
    let to_add = allowed - current;
    let mut sorted = active.to_vec();
    let created = |r: &ReplicaSet| r.metadata.creation_timestamp.as_ref().map(|t| t.0);
    if to_add > 0 {
        // Largest first; newer first among equals.
        sorted.sort_by(|a, b| {
            rs_replicas(b)
                .cmp(&rs_replicas(a))
                .then_with(|| created(b).cmp(&created(a)))
        });
    } else {
        // Largest first; older first among equals.
        sorted.sort_by(|a, b| {
            rs_replicas(b)
                .cmp(&rs_replicas(a))
                .then_with(|| created(a).cmp(&created(b)))
        });
    }
    let mut sizes = BTreeMap::new();
    let mut added = 0;
    for rs in &sorted {
        let name = rs.metadata.name.clone().unwrap_or_default();
        if to_add != 0 {
            let p = proportion(rs, d, to_add, added);
            sizes.insert(name, rs_replicas(rs) + p);
            added += p;
        } else {
            sizes.insert(name, rs_replicas(rs));
        }
    }
    if to_add != 0
        && let Some(first) = sorted.first()
    {
        let name = first.metadata.name.clone().unwrap_or_default();
        let leftover = to_add - added;
        let size = sizes.get(&name).copied().unwrap_or(0) + leftover;
        sizes.insert(name, size.max(0));
    }
    sizes
}

/// Upstream's `cleanupUnhealthyReplicas`: scale down unavailable pods of old ReplicaSets (oldest
/// first) by at most `max_cleanup`; returns `(name, new size)` pairs.
pub fn cleanup_unhealthy(old: &[ReplicaSet], max_cleanup: i32) -> Vec<(String, i32)> {
    let mut sorted = old.to_vec();
    sort_by_creation(&mut sorted);
    let mut total = 0;
    let mut plan = Vec::new();
    for rs in &sorted {
        if total >= max_cleanup {
            break;
        }
        let (want, available) = (rs_replicas(rs), rs_available(rs));
        if want == 0 || want == available {
            continue;
        }
        let down = (max_cleanup - total).min(want - available);
        plan.push((rs.metadata.name.clone().unwrap_or_default(), want - down));
        total += down;
    }
    plan
}

/// Upstream's `scaleDownOldReplicaSetsForRollingUpdate`: `(name, new size)` pairs keeping at least
/// `replicas - maxUnavailable` available.
pub fn scale_down_old_for_rolling(
    d: &Deployment,
    all: &[&ReplicaSet],
    old: &[ReplicaSet],
) -> Vec<(String, i32)> {
    let min_available = replicas(d) - max_unavailable(d);
    let available: i32 = all.iter().map(|r| rs_available(r)).sum();
    if available <= min_available {
        return Vec::new();
    }
    let mut sorted = old.to_vec();
    sort_by_creation(&mut sorted);
    let budget = available - min_available;
    let mut total = 0;
    let mut plan = Vec::new();
    for rs in &sorted {
        if total >= budget {
            break;
        }
        if rs_replicas(rs) == 0 {
            continue;
        }
        let down = rs_replicas(rs).min(budget - total);
        plan.push((
            rs.metadata.name.clone().unwrap_or_default(),
            rs_replicas(rs) - down,
        ));
        total += down;
    }
    plan
}

/// How many old replicas a rolling update may remove now (upstream's `reconcileOldReplicaSets`
/// arithmetic): `allPods - minAvailable - newRSUnavailable`.
pub fn max_scaled_down(d: &Deployment, all: &[&ReplicaSet], new_rs: Option<&ReplicaSet>) -> i32 {
    let all_pods = total_spec(all);
    let min_available = replicas(d) - max_unavailable(d);
    let new_unavailable = new_rs
        .map(|rs| rs_replicas(rs) - rs_available(rs))
        .unwrap_or(0);
    all_pods - min_available - new_unavailable
}

pub fn condition<'a>(status: &'a DeploymentStatus, type_: &str) -> Option<&'a DeploymentCondition> {
    status
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
}

pub fn new_condition(
    type_: &str,
    status: &str,
    reason: &str,
    message: String,
    now: Timestamp,
) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        reason: Some(reason.into()),
        message: Some(message),
        last_update_time: Some(Time(now)),
        last_transition_time: Some(Time(now)),
    }
}

/// Upstream's `SetDeploymentCondition`: same status and reason is no change; same status keeps
/// the transition time; the condition moves to the end.
pub fn set_condition(status: &mut DeploymentStatus, mut cond: DeploymentCondition) {
    if let Some(current) = condition(status, &cond.type_) {
        if current.status == cond.status && current.reason == cond.reason {
            return;
        }
        if current.status == cond.status {
            cond.last_transition_time = current.last_transition_time.clone();
        }
    }
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    conditions.retain(|c| c.type_ != cond.type_);
    conditions.push(cond);
}

pub fn remove_condition(status: &mut DeploymentStatus, type_: &str) {
    if let Some(c) = status.conditions.as_mut() {
        c.retain(|c| c.type_ != type_);
    }
}

/// Upstream's `calculateStatus`.
pub fn calculate_status(
    d: &Deployment,
    all: &[&ReplicaSet],
    new_rs: Option<&ReplicaSet>,
    now: Timestamp,
) -> DeploymentStatus {
    let available: i32 = all.iter().map(|r| rs_available(r)).sum();
    let total = total_spec(all);
    let unavailable = (total - available).max(0);
    let old = d.status.clone().unwrap_or_default();
    let mut status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: Some(all.iter().map(|r| rs_status_replicas(r)).sum()),
        updated_replicas: Some(new_rs.map(rs_status_replicas).unwrap_or(0)),
        ready_replicas: Some(all.iter().map(|r| rs_ready(r)).sum()),
        available_replicas: Some(available),
        unavailable_replicas: Some(unavailable),
        collision_count: old.collision_count,
        conditions: old.conditions.clone(),
        terminating_replicas: None,
    };
    if available >= replicas(d) - max_unavailable(d) {
        set_condition(
            &mut status,
            new_condition(
                AVAILABLE,
                "True",
                MIN_AVAILABLE,
                "Deployment has minimum availability.".into(),
                now,
            ),
        );
    } else {
        set_condition(
            &mut status,
            new_condition(
                AVAILABLE,
                "False",
                MIN_UNAVAILABLE,
                "Deployment does not have minimum availability.".into(),
                now,
            ),
        );
    }
    status
}

pub fn progress_deadline(d: &Deployment) -> Option<i32> {
    d.spec
        .as_ref()
        .and_then(|s| s.progress_deadline_seconds)
        .filter(|s| *s != i32::MAX)
}

/// Upstream's `DeploymentComplete`.
pub fn deployment_complete(d: &Deployment, status: &DeploymentStatus) -> bool {
    let r = replicas(d);
    status.updated_replicas == Some(r)
        && status.replicas == Some(r)
        && status.available_replicas == Some(r)
        && status.observed_generation >= d.metadata.generation
}

/// Upstream's `DeploymentProgressing`: something moved since the last status.
pub fn deployment_progressing(d: &Deployment, new: &DeploymentStatus) -> bool {
    let old = d.status.clone().unwrap_or_default();
    let n = |v: Option<i32>| v.unwrap_or(0);
    let old_old = n(old.replicas) - n(old.updated_replicas);
    let new_old = n(new.replicas) - n(new.updated_replicas);
    n(new.updated_replicas) > n(old.updated_replicas)
        || new_old < old_old
        || n(new.ready_replicas) > n(old.ready_replicas)
        || n(new.available_replicas) > n(old.available_replicas)
}

/// Upstream's `DeploymentTimedOut`.
pub fn deployment_timed_out(d: &Deployment, status: &DeploymentStatus, now: Timestamp) -> bool {
    let Some(deadline) = progress_deadline(d) else {
        return false;
    };
    let Some(cond) = condition(status, PROGRESSING) else {
        return false;
    };
    match cond.reason.as_deref() {
        Some(NEW_RS_AVAILABLE) => false,
        Some(TIMED_OUT) => true,
        _ => cond.last_update_time.as_ref().is_some_and(|from| {
            from.0 + jiff::SignedDuration::from_secs(i64::from(deadline)) < now
        }),
    }
}

/// Upstream's `syncRolloutStatus` minus the write: the status with the Progressing condition
/// brought up to date.
pub fn rollout_status(
    d: &Deployment,
    all: &[&ReplicaSet],
    new_rs: Option<&ReplicaSet>,
    now: Timestamp,
) -> DeploymentStatus {
    let mut status = calculate_status(d, all, new_rs, now);
    if progress_deadline(d).is_none() {
        remove_condition(&mut status, PROGRESSING);
    }
    let current = condition(&status, PROGRESSING).cloned();
    let complete = status.replicas == status.updated_replicas
        && current
            .as_ref()
            .is_some_and(|c| c.reason.as_deref() == Some(NEW_RS_AVAILABLE));
    if progress_deadline(d).is_some() && !complete {
        let rs_name = new_rs.and_then(|r| r.metadata.name.clone());
        if deployment_complete(d, &status) {
            let message = match &rs_name {
                Some(n) => format!("ReplicaSet \"{n}\" has successfully progressed."),
                None => "Deployment has successfully progressed.".into(),
            };
            set_condition(
                &mut status,
                new_condition(PROGRESSING, "True", NEW_RS_AVAILABLE, message, now),
            );
        } else if deployment_progressing(d, &status) {
            let message = match &rs_name {
                Some(n) => format!("ReplicaSet \"{n}\" is progressing."),
                None => "Deployment is progressing.".into(),
            };
            let mut cond = new_condition(PROGRESSING, "True", RS_UPDATED, message, now);
            // Progress refreshes lastUpdateTime even with an unchanged reason.
            if let Some(c) = &current
                && c.status == "True"
            {
                cond.last_transition_time = c.last_transition_time.clone();
            }
            remove_condition(&mut status, PROGRESSING);
            set_condition(&mut status, cond);
        } else if deployment_timed_out(d, &status, now) {
            let message = match &rs_name {
                Some(n) => format!("ReplicaSet \"{n}\" has timed out progressing."),
                None => "Deployment has timed out progressing.".into(),
            };
            set_condition(
                &mut status,
                new_condition(PROGRESSING, "False", TIMED_OUT, message, now),
            );
        }
    }
    status
}

/// When to look again for a progress deadline (upstream's `requeueStuckDeployment`).
pub fn requeue_after(
    d: &Deployment,
    status: &DeploymentStatus,
    now: Timestamp,
) -> Option<std::time::Duration> {
    let deadline = progress_deadline(d)?;
    let cond = condition(status, PROGRESSING)?;
    if deployment_complete(d, status) || cond.reason.as_deref() == Some(TIMED_OUT) {
        return None;
    }
    let from = cond.last_update_time.as_ref()?.0;
    let at = from + jiff::SignedDuration::from_secs(i64::from(deadline));
    let after = at.duration_since(now);
    if after < jiff::SignedDuration::from_secs(1) {
        return Some(std::time::Duration::from_secs(1));
    }
    Some(std::time::Duration::from_secs(after.as_secs() as u64 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(
        replicas: i32,
        surge: serde_json::Value,
        unavailable: serde_json::Value,
    ) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "default", "generation": 1},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}},
                "template": {"metadata": {"labels": {"app": "web"}},
                             "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}},
                "progressDeadlineSeconds": 600
            }
        }))
        .unwrap()
    }

    fn rs(
        name: &str,
        created: i64,
        replicas: i32,
        available: i32,
        annotations: serde_json::Value,
    ) -> ReplicaSet {
        let base: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let t = base + jiff::SignedDuration::from_secs(created);
        serde_json::from_value(json!({
            "metadata": {"name": name, "creationTimestamp": t.to_string(), "annotations": annotations},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}}},
            "status": {"replicas": replicas, "availableReplicas": available, "readyReplicas": available}
        }))
        .unwrap()
    }

    #[test]
    fn percentages_round_like_upstream() {
        let pct = |s: &str| IntOrString::String(s.into());
        assert_eq!(scaled_value(&pct("25%"), 10, true), Ok(3));
        assert_eq!(scaled_value(&pct("25%"), 10, false), Ok(2));
        assert_eq!(scaled_value(&pct("25%"), 3, true), Ok(1));
        assert_eq!(scaled_value(&pct("25%"), 3, false), Ok(0));
        assert_eq!(scaled_value(&IntOrString::Int(2), 3, false), Ok(2));
        assert!(scaled_value(&pct("abc"), 3, false).is_err());
        // Both zero: one may be unavailable so a rollout can proceed.
        assert_eq!(
            resolve_fenceposts(Some(&pct("25%")), Some(&pct("25%")), 3),
            Ok((1, 0))
        );
        assert_eq!(
            resolve_fenceposts(Some(&pct("0%")), Some(&pct("0%")), 3),
            Ok((0, 1))
        );
        assert_eq!(
            resolve_fenceposts(Some(&pct("25%")), Some(&pct("25%")), 4),
            Ok((1, 1))
        );
        let d = deployment(3, json!("25%"), json!("25%"));
        assert_eq!((max_surge(&d), max_unavailable(&d)), (1, 0));
        let d = deployment(2, json!(0), json!(5));
        assert_eq!(max_unavailable(&d), 2);
    }

    #[test]
    fn hashes_are_stable_safe_and_change_with_collisions() {
        let d = deployment(3, json!(1), json!(0));
        let t = d.spec.as_ref().unwrap().template.clone();
        let h = compute_hash(&t, None);
        assert_eq!(h, compute_hash(&t, None));
        assert!(h.len() <= 10 && !h.is_empty());
        assert!(
            h.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)),
            "{h}"
        );
        assert_ne!(h, compute_hash(&t, Some(1)));
        assert_eq!(safe_encode("0123456789"), "456789bcdf");
    }

    #[test]
    fn templates_compare_without_the_hash_label() {
        let d = deployment(3, json!(1), json!(0));
        let t = d.spec.as_ref().unwrap().template.clone();
        let mut labelled = t.clone();
        labelled
            .metadata
            .as_mut()
            .unwrap()
            .labels
            .as_mut()
            .unwrap()
            .insert(POD_TEMPLATE_HASH.into(), "abc".into());
        assert!(equal_ignore_hash(&t, &labelled));
        let mut other = t.clone();
        other.spec.as_mut().unwrap().containers[0].image = Some("nginx:2".into());
        assert!(!equal_ignore_hash(&t, &other));
    }

    #[test]
    fn new_replica_set_grows_within_max_surge() {
        let d = deployment(3, json!(1), json!(0));
        let old = rs("old", 0, 3, 3, json!({}));
        let new = rs("new", 10, 0, 0, json!({}));
        assert_eq!(new_rs_new_replicas(&d, &[&old, &new], &new), 1);
        let new1 = rs("new", 10, 1, 0, json!({}));
        assert_eq!(new_rs_new_replicas(&d, &[&old, &new1], &new1), 1);
        let old2 = rs("old", 0, 2, 2, json!({}));
        assert_eq!(new_rs_new_replicas(&d, &[&old2, &new1], &new1), 2);
    }

    #[test]
    fn old_replica_sets_scale_down_keeping_min_available() {
        let d = deployment(3, json!(1), json!(0));
        let old = rs("old", 0, 3, 3, json!({}));
        let new = rs("new", 10, 1, 0, json!({}));
        // 4 pods, 3 must stay available, the new one is not yet: nothing to remove.
        assert_eq!(max_scaled_down(&d, &[&old, &new], Some(&new)), 0);
        let new = rs("new", 10, 1, 1, json!({}));
        assert_eq!(max_scaled_down(&d, &[&old, &new], Some(&new)), 1);
        assert_eq!(
            scale_down_old_for_rolling(&d, &[&old, &new], std::slice::from_ref(&old)),
            vec![("old".to_string(), 2)]
        );
        // Unavailable old pods go first, oldest ReplicaSet first.
        let a = rs("a", 0, 2, 1, json!({}));
        let b = rs("b", 5, 2, 0, json!({}));
        assert_eq!(
            cleanup_unhealthy(&[b, a], 2),
            vec![("a".to_string(), 1), ("b".to_string(), 1)]
        );
    }

    #[test]
    fn revisions_advance_with_history() {
        let mut d = deployment(3, json!(1), json!(0));
        d.metadata.annotations = Some(
            [
                (
                    "kubernetes.io/change-cause".to_string(),
                    "set image".to_string(),
                ),
                (REVISION.to_string(), "9".to_string()),
            ]
            .into(),
        );
        let mut r = rs("r", 0, 0, 0, json!({REVISION: "1"}));
        assert!(set_new_rs_annotations(&d, &mut r, 3, true));
        let a = r.metadata.annotations.clone().unwrap();
        assert_eq!(a[REVISION], "3");
        assert_eq!(a[REVISION_HISTORY], "1");
        assert_eq!(a["kubernetes.io/change-cause"], "set image");
        assert!(!a.contains_key(DESIRED_REPLICAS));
        assert!(set_new_rs_annotations(&d, &mut r, 5, true));
        assert_eq!(
            r.metadata.annotations.as_ref().unwrap()[REVISION_HISTORY],
            "1,3"
        );
        assert!(!set_new_rs_annotations(&d, &mut r, 5, true));
        let mut fresh = rs("f", 0, 0, 0, json!({}));
        assert!(set_new_rs_annotations(&d, &mut fresh, 1, false));
        let a = fresh.metadata.annotations.unwrap();
        assert_eq!(
            (
                a[REVISION].as_str(),
                a[DESIRED_REPLICAS].as_str(),
                a[MAX_REPLICAS].as_str()
            ),
            ("1", "3", "4")
        );
        assert!(!a.contains_key(REVISION_HISTORY));
    }

    #[test]
    fn proportional_scaling_splits_by_size() {
        // Mid-rollout at 10 replicas (maxSurge 3): old 8, new 5; scaled to 20 (maxSurge 5).
        let d = deployment(20, json!("25%"), json!("25%"));
        let old = rs("old", 0, 8, 8, json!({MAX_REPLICAS: "13"}));
        let new = rs("new", 10, 5, 0, json!({MAX_REPLICAS: "13"}));
        let sizes = proportional_sizes(&d, &[old, new]);
        // 25 allowed, 13 present: 12 to add, ~8*25/13-8 = 7 to old, 5*25/13-5 = 5 to new.
        assert_eq!(sizes["old"] + sizes["new"], 25);
        assert_eq!(sizes["old"], 15);
        assert_eq!(sizes["new"], 10);
        // Scale to zero.
        let d0 = deployment(0, json!("25%"), json!("25%"));
        let old = rs("old", 0, 8, 8, json!({MAX_REPLICAS: "13"}));
        let new = rs("new", 10, 5, 0, json!({MAX_REPLICAS: "13"}));
        let sizes = proportional_sizes(&d0, &[old, new]);
        assert_eq!((sizes["old"], sizes["new"]), (0, 0));
    }

    #[test]
    fn status_and_conditions_follow_upstream() {
        let now: Timestamp = "2026-01-01T00:10:00Z".parse().unwrap();
        let d = deployment(3, json!(1), json!(0));
        let new = rs("web-abc", 0, 3, 3, json!({}));
        let s = rollout_status(&d, &[&new], Some(&new), now);
        assert_eq!(s.replicas, Some(3));
        assert_eq!(s.updated_replicas, Some(3));
        assert_eq!(s.unavailable_replicas, Some(0));
        let avail = condition(&s, AVAILABLE).unwrap();
        assert_eq!(
            (avail.status.as_str(), avail.reason.as_deref()),
            ("True", Some(MIN_AVAILABLE))
        );
        let prog = condition(&s, PROGRESSING).unwrap();
        assert_eq!(prog.reason.as_deref(), Some(NEW_RS_AVAILABLE));
        assert_eq!(
            prog.message.as_deref(),
            Some("ReplicaSet \"web-abc\" has successfully progressed.")
        );

        // Stuck past the deadline: ProgressDeadlineExceeded.
        let mut stuck = d.clone();
        let mut old_status = DeploymentStatus {
            replicas: Some(3),
            updated_replicas: Some(3),
            ..Default::default()
        };
        set_condition(
            &mut old_status,
            new_condition(
                PROGRESSING,
                "True",
                RS_UPDATED,
                "x".into(),
                now - jiff::SignedDuration::from_secs(700),
            ),
        );
        stuck.status = Some(old_status);
        let new = rs("web-abc", 0, 3, 0, json!({}));
        let s = rollout_status(&stuck, &[&new], Some(&new), now);
        let prog = condition(&s, PROGRESSING).unwrap();
        assert_eq!(
            (prog.status.as_str(), prog.reason.as_deref()),
            ("False", Some(TIMED_OUT))
        );
        assert_eq!(
            condition(&s, AVAILABLE).unwrap().reason.as_deref(),
            Some(MIN_UNAVAILABLE)
        );
        assert_eq!(requeue_after(&stuck, &s, now), None);
    }
}
