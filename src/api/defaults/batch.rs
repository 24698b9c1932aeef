//! `batch/v1`: `pkg/apis/batch/v1/defaults.go`.
//!
//! `SetDefaults_Job` applies to Jobs only: a CronJob's `jobTemplate.spec` gets the pod template
//! and pod failure policy defaults, not `completions`, `backoffLimit` and the rest (the CronJob
//! controller's Jobs get those when they are created).
//!
//! 1.33 gates: JobPodReplacementPolicy is beta and on (`podReplacementPolicy` is defaulted),
//! JobBackoffLimitPerIndex is GA.

use k8s_openapi::api::batch::v1::{CronJob, Job, JobSpec, PodFailurePolicy};
use serde_json::Value;

use super::core::pod_template_spec;
use super::{default_ptr, default_str, typed};

pub(super) fn apply(kind: &str, obj: &mut Value) {
    match kind {
        "Job" => typed(obj, job),
        "CronJob" => typed(obj, cron_job),
        _ => {}
    }
}

/// `SetObjectDefaults_Job`.
fn job(j: &mut Job) {
    let Some(spec) = &mut j.spec else {
        return;
    };
    // A non-parallel job may leave both unset: both become 1. Otherwise only parallelism
    // defaults (an unset completions means "until one succeeds" with parallel workers).
    if spec.completions.is_none() && spec.parallelism.is_none() {
        spec.completions = Some(1);
        spec.parallelism = Some(1);
    }
    default_ptr(&mut spec.parallelism, 1);
    if spec.backoff_limit.is_none() {
        spec.backoff_limit = Some(if spec.backoff_limit_per_index.is_some() {
            i32::MAX
        } else {
            6
        });
    }
    let template_labels = spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .filter(|l| !l.is_empty());
    if let Some(labels) = template_labels
        && j.metadata.labels.as_ref().is_none_or(|l| l.is_empty())
    {
        j.metadata.labels = Some(labels);
    }
    default_ptr(&mut spec.completion_mode, "NonIndexed".to_owned());
    default_ptr(&mut spec.suspend, false);
    if spec.pod_replacement_policy.is_none() {
        let policy = if spec.pod_failure_policy.is_some() {
            "Failed"
        } else {
            "TerminatingOrFailed"
        };
        spec.pod_replacement_policy = Some(policy.to_owned());
    }
    default_ptr(&mut spec.manual_selector, false);
    job_spec_nested(spec);
}

/// The defaults of the structs nested in a job spec (for Jobs and CronJob job templates).
fn job_spec_nested(spec: &mut JobSpec) {
    if let Some(p) = &mut spec.pod_failure_policy {
        pod_failure_policy(p);
    }
    pod_template_spec(&mut spec.template);
}

/// `SetDefaults_PodFailurePolicyOnPodConditionsPattern`: `status: "True"`.
fn pod_failure_policy(p: &mut PodFailurePolicy) {
    for rule in &mut p.rules {
        for pattern in rule.on_pod_conditions.iter_mut().flatten() {
            if pattern.status.is_empty() {
                pattern.status = "True".to_owned();
            }
        }
    }
}

/// `SetObjectDefaults_CronJob`.
fn cron_job(c: &mut CronJob) {
    let Some(spec) = &mut c.spec else {
        return;
    };
    default_str(&mut spec.concurrency_policy, "Allow");
    default_ptr(&mut spec.suspend, false);
    default_ptr(&mut spec.successful_jobs_history_limit, 3);
    default_ptr(&mut spec.failed_jobs_history_limit, 1);
    if let Some(job_spec) = &mut spec.job_template.spec {
        job_spec_nested(job_spec);
    }
}
