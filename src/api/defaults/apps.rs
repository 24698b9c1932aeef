//! `apps/v1`: `pkg/apis/apps/v1/defaults.go`. Every workload also gets the pod template defaults
//! (`SetDefaults_PodSpec` and nested, not the Pod-only ones), and a StatefulSet's volume claim
//! templates get the PersistentVolumeClaim defaults, `status.phase: Pending` included.
//!
//! 1.33 gates: StatefulSetAutoDeletePVC is GA (the retention policy is defaulted);
//! MaxUnavailableStatefulSet is alpha and off (`rollingUpdate.maxUnavailable` is not defaulted).
//! ControllerRevision has no defaults.

use k8s_openapi::api::apps::v1::{
    DaemonSet, Deployment, ReplicaSet, RollingUpdateDaemonSet, RollingUpdateDeployment,
    RollingUpdateStatefulSetStrategy, StatefulSet,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::core::{persistent_volume_claim, pod_template_spec};
use super::{default_ptr, default_str, typed};

pub(super) fn apply(kind: &str, obj: &mut Value) {
    match kind {
        "Deployment" => typed(obj, deployment),
        "ReplicaSet" => typed(obj, replica_set),
        "StatefulSet" => typed(obj, stateful_set),
        "DaemonSet" => typed(obj, daemon_set),
        _ => {}
    }
}

fn deployment(d: &mut Deployment) {
    let Some(spec) = &mut d.spec else {
        return;
    };
    default_ptr(&mut spec.replicas, 1);
    let strategy = spec.strategy.get_or_insert_with(Default::default);
    default_str(&mut strategy.type_, "RollingUpdate");
    if strategy.type_.as_deref() == Some("RollingUpdate") {
        let ru = strategy
            .rolling_update
            .get_or_insert_with(RollingUpdateDeployment::default);
        default_ptr(
            &mut ru.max_unavailable,
            IntOrString::String("25%".to_owned()),
        );
        default_ptr(&mut ru.max_surge, IntOrString::String("25%".to_owned()));
    }
    default_ptr(&mut spec.revision_history_limit, 10);
    default_ptr(&mut spec.progress_deadline_seconds, 600);
    pod_template_spec(&mut spec.template);
}

fn replica_set(rs: &mut ReplicaSet) {
    let Some(spec) = &mut rs.spec else {
        return;
    };
    default_ptr(&mut spec.replicas, 1);
    if let Some(t) = &mut spec.template {
        pod_template_spec(t);
    }
}

fn stateful_set(s: &mut StatefulSet) {
    let Some(spec) = &mut s.spec else {
        return;
    };
    default_str(&mut spec.pod_management_policy, "OrderedReady");
    let strategy = spec.update_strategy.get_or_insert_with(Default::default);
    if strategy.type_.as_deref().is_none_or(str::is_empty) {
        strategy.type_ = Some("RollingUpdate".to_owned());
        // Only an unset type brings an empty rollingUpdate; an explicit RollingUpdate without one
        // stays without (and so without a partition).
        default_ptr(
            &mut strategy.rolling_update,
            RollingUpdateStatefulSetStrategy::default(),
        );
    }
    if strategy.type_.as_deref() == Some("RollingUpdate")
        && let Some(ru) = &mut strategy.rolling_update
    {
        default_ptr(&mut ru.partition, 0);
    }
    let retention = spec
        .persistent_volume_claim_retention_policy
        .get_or_insert_with(Default::default);
    default_str(&mut retention.when_deleted, "Retain");
    default_str(&mut retention.when_scaled, "Retain");
    default_ptr(&mut spec.replicas, 1);
    default_ptr(&mut spec.revision_history_limit, 10);
    pod_template_spec(&mut spec.template);
    for pvc in spec.volume_claim_templates.iter_mut().flatten() {
        persistent_volume_claim(pvc);
    }
}

fn daemon_set(d: &mut DaemonSet) {
    let Some(spec) = &mut d.spec else {
        return;
    };
    let strategy = spec.update_strategy.get_or_insert_with(Default::default);
    default_str(&mut strategy.type_, "RollingUpdate");
    if strategy.type_.as_deref() == Some("RollingUpdate") {
        let ru = strategy
            .rolling_update
            .get_or_insert_with(RollingUpdateDaemonSet::default);
        default_ptr(&mut ru.max_unavailable, IntOrString::Int(1));
        default_ptr(&mut ru.max_surge, IntOrString::Int(0));
    }
    default_ptr(&mut spec.revision_history_limit, 10);
    pod_template_spec(&mut spec.template);
}
