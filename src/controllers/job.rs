//! The Job controller (upstream `pkg/controller/job`): runs pods to completion, NonIndexed or
//! Indexed, within `parallelism`, retrying failures with exponential backoff up to
//! `backoffLimit`, honouring `activeDeadlineSeconds` and `suspend`. Finished pods are counted
//! through the `batch.kubernetes.io/job-tracking` finalizer and `uncountedTerminatedPods`, as
//! upstream does, so a pod deleted early is never lost or counted twice.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use crate::controllers::cached::Pod;
use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::EventType;

use crate::controllers::events::Recorder;
use kube::runtime::reflector::Store;
use serde_json::{Value, json};

use super::Context;
use super::podutil::{self, record};

pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
pub const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";
const INITIAL_BACKOFF: Duration = Duration::from_secs(10);
const MAX_BACKOFF: Duration = Duration::from_secs(360);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create pod for job")]
    CreatePod(#[source] kube::Error),
    #[error("cannot delete pod {name}")]
    DeletePod {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot remove the tracking finalizer of pod {name}")]
    Finalizer {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot update job status")]
    Status(#[source] kube::Error),
}

struct Ctx {
    ctx: Context,
    jobs: Store<Job>,
    pods: Store<Pod>,
    recorder: Recorder,
}

pub async fn run(ctx: Context) {
    let jobs = ctx.informers.get::<Job>();
    let pods = ctx.informers.get::<Pod>();
    let ready = ctx.informers.wait_synced();
    let shutdown = ctx.shutdown.clone();
    let trigger = shutdown.clone();
    let state = Arc::new(Ctx {
        recorder: ctx.recorder("job-controller"),
        jobs: jobs.store(),
        pods: pods.store(),
        ctx,
    });
    let run = Controller::for_stream(jobs.trigger_stream(), jobs.store())
        .owns_stream(pods.trigger_stream())
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    super::until_shutdown(run, ready, shutdown).await;
}

fn error_policy(job: Arc<Job>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(job = %job.name_any(), error = %err, "job sync failed; retrying");
    Action::requeue(Duration::from_secs(2))
}

/// Whether the job has a condition of `type_` with status True.
pub fn has_condition(job: &Job, type_: &str) -> bool {
    job.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == type_ && c.status == "True"))
}

/// Whether the job is finished (`Complete` or `Failed`).
pub fn is_finished(job: &Job) -> bool {
    has_condition(job, "Complete") || has_condition(job, "Failed")
}

/// When the job finished, from its terminal condition.
pub fn finished_at(job: &Job) -> Option<Timestamp> {
    job.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")
        .and_then(|c| c.last_transition_time.as_ref().map(|t| t.0))
}

/// The delay before the next pod after `consecutive_failures` failures: 10 s doubling, capped
/// at 6 min (upstream's `DefaultJobPodFailureBackOff` / `MaxJobPodFailureBackOff`).
pub fn backoff_delay(consecutive_failures: u32) -> Duration {
    if consecutive_failures == 0 {
        return Duration::ZERO;
    }
    let exp = (consecutive_failures - 1).min(16);
    INITIAL_BACKOFF.saturating_mul(1u32 << exp).min(MAX_BACKOFF)
}

/// Parses `completedIndexes` ("1,3-5") into a set.
pub fn parse_indexes(s: &str) -> BTreeSet<i32> {
    let mut out = BTreeSet::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<i32>(), b.parse::<i32>()) {
                    out.extend(a..=b);
                }
            }
            None => {
                if let Ok(i) = part.parse() {
                    out.insert(i);
                }
            }
        }
    }
    out
}

/// Formats a set of indexes as upstream does: ascending, consecutive runs as `a-b`.
pub fn format_indexes(set: &BTreeSet<i32>) -> String {
    let mut parts = Vec::new();
    let mut iter = set.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    parts.join(",")
}

fn completion_index(pod: &Pod) -> Option<i32> {
    pod.annotations()
        .get(COMPLETION_INDEX)
        .or_else(|| pod.labels().get(COMPLETION_INDEX))
        .and_then(|v| v.parse().ok())
}

fn has_finalizer(pod: &Pod) -> bool {
    pod.finalizers().iter().any(|f| f == TRACKING_FINALIZER)
}

/// When a pod finished: the latest container termination, else its deletion or creation.
fn finish_time(pod: &Pod) -> Timestamp {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|c| {
            c.state
                .as_ref()?
                .terminated
                .as_ref()?
                .finished_at
                .as_ref()
                .map(|t| t.0)
        })
        .max()
        .or_else(|| pod.metadata.deletion_timestamp.as_ref().map(|t| t.0))
        .or_else(|| pod.metadata.creation_timestamp.as_ref().map(|t| t.0))
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Upstream's `isPodFailed` (no pod failure policy): Failed, or deleted before succeeding.
fn is_failed(pod: &Pod) -> bool {
    let phase = podutil::phase(pod);
    phase == "Failed" || (podutil::is_terminating(pod) && phase != "Succeeded")
}

/// Failures since the last success and when the last one happened (upstream's backoff record).
pub fn backoff_record(finished: &[(bool, Timestamp)]) -> (u32, Option<Timestamp>) {
    let mut sorted = finished.to_vec();
    sorted.sort_by_key(|(_, t)| *t);
    let mut failures = 0u32;
    let mut last = None;
    for (succeeded, t) in sorted {
        if succeeded {
            failures = 0;
        } else {
            failures += 1;
            last = Some(t);
        }
    }
    (failures, last)
}

fn condition(type_: &str, reason: &str, message: &str, now: Timestamp) -> Value {
    json!({
        "type": type_, "status": "True", "reason": reason, "message": message,
        "lastProbeTime": now.to_string(), "lastTransitionTime": now.to_string(),
    })
}

async fn reconcile(job: Arc<Job>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let name = job.name_any();
    let ns = job.namespace().unwrap_or_default();
    let span = tracing::info_span!("reconciling job", "object.ref" = %format!("{ns}/{name}"));
    let _enter = span.enter();
    let client = &ctx.ctx.client;
    let pods_api: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), &ns);
    let jobs_api: Api<Job> = Api::namespaced(client.clone(), &ns);
    let uid = job.uid().unwrap_or_default();
    let spec = job.spec.clone().unwrap_or_default();
    let status = job.status.clone().unwrap_or_default();
    let pods: Vec<Pod> = podutil::owned_pods(&ctx.pods, &ns, &uid)
        .into_iter()
        .filter(|p| podutil::selector_matches(spec.selector.as_ref(), p.labels()))
        .collect();
    let now = Timestamp::now();

    if job.metadata.deletion_timestamp.is_some() || is_finished(&job) {
        // Nothing more to count: release every pod still held.
        for pod in pods.iter().filter(|p| has_finalizer(p)) {
            remove_finalizer(&pods_api, pod).await?;
        }
        return Ok(Action::await_change());
    }

    let indexed = spec.completion_mode.as_deref() == Some("Indexed");
    let parallelism = spec.parallelism.unwrap_or(1).max(0);
    let completions = spec.completions;
    let backoff_limit = spec.backoff_limit.unwrap_or(6);
    let suspended = spec.suspend == Some(true);

    // 1. Record newly finished pods as uncounted, then release them, then count them.
    let uncounted = status.uncounted_terminated_pods.clone().unwrap_or_default();
    let mut unc_succeeded: Vec<String> = uncounted.succeeded.clone().unwrap_or_default();
    let mut unc_failed: Vec<String> = uncounted.failed.clone().unwrap_or_default();
    let mut completed = parse_indexes(status.completed_indexes.as_deref().unwrap_or(""));
    let mut new_finished = false;
    for pod in pods.iter().filter(|p| has_finalizer(p)) {
        let pod_uid = pod.uid().unwrap_or_default();
        if unc_succeeded.contains(&pod_uid) || unc_failed.contains(&pod_uid) {
            continue;
        }
        if podutil::phase(pod) == "Succeeded" {
            unc_succeeded.push(pod_uid);
            if let Some(i) = completion_index(pod).filter(|_| indexed) {
                completed.insert(i);
            }
            new_finished = true;
        } else if is_failed(pod) {
            unc_failed.push(pod_uid);
            new_finished = true;
        }
    }
    if new_finished {
        let mut patch = json!({"status": {"uncountedTerminatedPods": {"succeeded": unc_succeeded, "failed": unc_failed}}});
        if indexed {
            patch["status"]["completedIndexes"] = json!(format_indexes(&completed));
        }
        let written = jobs_api
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(Error::Status)?;
        let rv = written.resource_version().unwrap_or_default();
        podutil::await_versions(&ctx.jobs, &ns, &[(name.clone(), rv)]).await;
    }
    let mut released = Vec::new();
    for pod in pods.iter().filter(|p| has_finalizer(p)) {
        let pod_uid = pod.uid().unwrap_or_default();
        if unc_succeeded.contains(&pod_uid) || unc_failed.contains(&pod_uid) {
            if let Some(rv) = remove_finalizer(&pods_api, pod).await? {
                released.push((pod.name_any(), rv));
            }
        }
    }
    // Later syncs must not see these pods with the finalizer again.
    podutil::await_versions(&ctx.pods, &ns, &released).await;
    let mut succeeded =
        status.succeeded.unwrap_or(0) + i32::try_from(unc_succeeded.len()).unwrap_or(0);
    let failed = status.failed.unwrap_or(0) + i32::try_from(unc_failed.len()).unwrap_or(0);
    if indexed {
        succeeded = i32::try_from(completed.len()).unwrap_or(i32::MAX);
    }

    // 2. What is running.
    let active: Vec<&Pod> = pods
        .iter()
        .filter(|p| {
            !podutil::is_terminating(p) && !matches!(podutil::phase(p), "Succeeded" | "Failed")
        })
        .collect();
    let terminating = pods
        .iter()
        .filter(|p| {
            podutil::is_terminating(p) && !matches!(podutil::phase(p), "Succeeded" | "Failed")
        })
        .count();

    // 3. Terminal conditions: first the target (FailureTarget / SuccessCriteriaMet), then, once
    // no pod is left running, the final one (Failed / Complete), as 1.33 does.
    let mut conditions: Vec<Value> = status
        .conditions
        .iter()
        .flatten()
        .map(|c| serde_json::to_value(c).expect("conditions serialise"))
        .collect();
    let has = |conds: &[Value], t: &str| {
        conds
            .iter()
            .any(|c| c["type"] == t && c["status"] == "True")
    };
    let start_time = status.start_time.as_ref().map(|t| t.0);
    if !has(&conditions, "FailureTarget") && !has(&conditions, "SuccessCriteriaMet") {
        let complete = if indexed {
            completions.is_some_and(|c| {
                i32::try_from(completed.iter().filter(|i| **i < c).count()).unwrap_or(0) >= c
            })
        } else {
            match completions {
                Some(c) => succeeded >= c,
                None => succeeded > 0 && active.is_empty(),
            }
        };
        let deadline_passed = match (spec.active_deadline_seconds, start_time) {
            (Some(ads), Some(st)) if !suspended => st + SignedDuration::from_secs(ads) <= now,
            _ => false,
        };
        if complete {
            conditions.push(condition(
                "SuccessCriteriaMet",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                now,
            ));
        } else if failed > backoff_limit {
            conditions.push(condition(
                "FailureTarget",
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                now,
            ));
        } else if deadline_passed {
            conditions.push(condition(
                "FailureTarget",
                "DeadlineExceeded",
                "Job was active longer than specified deadline",
                now,
            ));
        }
    }
    let finishing = has(&conditions, "FailureTarget") || has(&conditions, "SuccessCriteriaMet");

    let mut created = Vec::new();
    let mut deleted = Vec::new();
    let mut requeue: Option<Duration> = None;
    let mut active_count = i32::try_from(active.len()).unwrap_or(0);

    if finishing || suspended {
        for pod in &active {
            release_and_delete(&ctx, &job, &pods_api, pod).await?;
            deleted.push(pod.name_any());
        }
        active_count = 0;
    } else {
        // 4. Pods to create or remove.
        let finished: Vec<(bool, Timestamp)> = pods
            .iter()
            .filter_map(|p| match podutil::phase(p) {
                "Succeeded" => Some((true, finish_time(p))),
                _ if is_failed(p) => Some((false, finish_time(p))),
                _ => None,
            })
            .collect();
        let (failures, last_failure) = backoff_record(&finished);
        let wait = last_failure
            .map(|t| {
                let ready_at =
                    t + SignedDuration::try_from(backoff_delay(failures)).unwrap_or_default();
                ready_at.duration_since(now)
            })
            .filter(|d| d.is_positive())
            .and_then(|d| Duration::try_from(d).ok());

        if indexed {
            let c = completions.unwrap_or(0);
            let running: HashSet<i32> = active.iter().filter_map(|p| completion_index(p)).collect();
            let mut to_create: Vec<i32> = (0..c)
                .filter(|i| !completed.contains(i) && !running.contains(i))
                .collect();
            let room = usize::try_from((parallelism - active_count).max(0)).unwrap_or(0);
            to_create.truncate(room);
            if !to_create.is_empty() {
                if let Some(w) = wait {
                    requeue = Some(w);
                } else {
                    for i in to_create {
                        created.push(create_pod(&ctx, &job, &pods_api, Some(i)).await?);
                        active_count += 1;
                    }
                }
            }
            // Duplicates of an index (or indexes already completed) are removed.
            let mut seen = HashSet::new();
            for pod in &active {
                let keep = completion_index(pod)
                    .is_some_and(|i| i < c && !completed.contains(&i) && seen.insert(i));
                if !keep {
                    release_and_delete(&ctx, &job, &pods_api, pod).await?;
                    deleted.push(pod.name_any());
                    active_count -= 1;
                }
            }
        } else {
            let want = match completions {
                Some(c) => (c - succeeded).clamp(0, parallelism),
                None if succeeded > 0 => active_count.min(parallelism),
                None => parallelism,
            };
            if active_count > want {
                // Remove the newest, not-ready pods first.
                let mut extra: Vec<&&Pod> = active.iter().collect();
                extra.sort_by_key(|p| {
                    (
                        podutil::is_ready(p),
                        std::cmp::Reverse(p.metadata.creation_timestamp.as_ref().map(|t| t.0)),
                    )
                });
                for pod in extra
                    .into_iter()
                    .take(usize::try_from(active_count - want).unwrap_or(0))
                {
                    release_and_delete(&ctx, &job, &pods_api, pod).await?;
                    deleted.push(pod.name_any());
                }
                active_count = want;
            } else if active_count < want {
                if let Some(w) = wait {
                    requeue = Some(w);
                } else {
                    for _ in active_count..want {
                        created.push(create_pod(&ctx, &job, &pods_api, None).await?);
                    }
                    active_count = want;
                }
            }
        }
        if let (Some(ads), Some(st)) = (spec.active_deadline_seconds, start_time.or(Some(now))) {
            let left = (st + SignedDuration::from_secs(ads)).duration_since(now);
            if let Ok(left) = Duration::try_from(left) {
                requeue = Some(
                    requeue
                        .map_or(left, |r| r.min(left))
                        .max(Duration::from_millis(100)),
                );
            }
        }
    }

    // Suspension is a condition too.
    let was_suspended = has(&conditions, "Suspended");
    if suspended && !was_suspended {
        conditions.retain(|c| c["type"] != "Suspended");
        conditions.push(condition("Suspended", "JobSuspended", "Job suspended", now));
        record(
            &ctx.recorder,
            job.as_ref(),
            EventType::Normal,
            "Suspended",
            "Job suspended".into(),
        )
        .await;
    } else if !suspended && was_suspended {
        for c in conditions.iter_mut().filter(|c| c["type"] == "Suspended") {
            *c = json!({"type": "Suspended", "status": "False", "reason": "JobResumed", "message": "Job resumed",
                "lastProbeTime": now.to_string(), "lastTransitionTime": now.to_string()});
        }
        record(
            &ctx.recorder,
            job.as_ref(),
            EventType::Normal,
            "Resumed",
            "Job resumed".into(),
        )
        .await;
    }

    // Final condition once nothing runs any more.
    let still_running = active_count > 0 || terminating > 0 || !deleted.is_empty();
    let mut completion_time = None;
    if finishing && !still_running {
        if has(&conditions, "SuccessCriteriaMet") {
            conditions.push(condition(
                "Complete",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                now,
            ));
            completion_time = Some(now.to_string());
            record(
                &ctx.recorder,
                job.as_ref(),
                EventType::Normal,
                "Completed",
                "Job completed".into(),
            )
            .await;
        } else if let Some(target) = conditions
            .iter()
            .find(|c| c["type"] == "FailureTarget")
            .cloned()
        {
            let reason = target["reason"]
                .as_str()
                .unwrap_or("BackoffLimitExceeded")
                .to_string();
            let message = target["message"].as_str().unwrap_or("").to_string();
            conditions.push(condition("Failed", &reason, &message, now));
            record(
                &ctx.recorder,
                job.as_ref(),
                EventType::Warning,
                &reason,
                message,
            )
            .await;
        }
    } else if finishing {
        requeue = Some(Duration::from_secs(1));
    }

    podutil::await_cache(&ctx.pods, &ns, &created, &deleted).await;

    // Ready pods among the active ones.
    let ready = podutil::owned_pods(&ctx.pods, &ns, &uid)
        .iter()
        .filter(|p| {
            !podutil::is_terminating(p) && podutil::phase(p) == "Running" && podutil::is_ready(p)
        })
        .count();
    let mut new_status = json!({
        "active": active_count,
        "ready": ready,
        "terminating": terminating,
        "succeeded": succeeded,
        "failed": failed,
        "uncountedTerminatedPods": {"succeeded": null, "failed": null},
        "conditions": conditions,
    });
    if start_time.is_none() && !suspended {
        new_status["startTime"] = json!(now.to_string());
    }
    if suspended && start_time.is_some() && !was_suspended {
        new_status["startTime"] = Value::Null;
    }
    if let Some(t) = completion_time {
        new_status["completionTime"] = json!(t);
    }
    if indexed {
        new_status["completedIndexes"] = json!(format_indexes(&completed));
    }
    for key in ["active", "succeeded", "failed"] {
        if new_status[key] == json!(0) {
            new_status[key] = Value::Null;
        }
    }
    let old = serde_json::to_value(&status).expect("status serialises");
    let changed = new_status
        .as_object()
        .expect("an object")
        .iter()
        .any(|(k, v)| podutil::differs(old.get(k), Some(v)));
    if changed {
        let written = jobs_api
            .patch_status(
                &name,
                &PatchParams::default(),
                &Patch::Merge(&json!({"status": new_status})),
            )
            .await
            .map_err(Error::Status)?;
        // The next sync must see this status, or it would count released pods again.
        let rv = written.resource_version().unwrap_or_default();
        podutil::await_versions(&ctx.jobs, &ns, &[(name.clone(), rv)]).await;
    }
    Ok(requeue.map_or_else(Action::await_change, Action::requeue))
}

async fn create_pod(
    ctx: &Ctx,
    job: &Job,
    api: &Api<k8s_openapi::api::core::v1::Pod>,
    index: Option<i32>,
) -> Result<String, Error> {
    let spec = job.spec.clone().unwrap_or_default();
    let job_name = job.name_any();
    let mut pod = podutil::pod_from_template(&spec.template, podutil::controller_ref(job));
    pod.metadata.generate_name = Some(match index {
        Some(i) => format!("{job_name}-{i}-"),
        None => format!("{job_name}-"),
    });
    pod.metadata.namespace = job.namespace();
    pod.metadata
        .finalizers
        .get_or_insert_with(Vec::new)
        .push(TRACKING_FINALIZER.into());
    if let Some(i) = index {
        pod.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(COMPLETION_INDEX.into(), i.to_string());
        pod.metadata
            .labels
            .get_or_insert_with(Default::default)
            .insert(COMPLETION_INDEX.into(), i.to_string());
        let pod_spec = pod.spec.get_or_insert_with(Default::default);
        if pod_spec.hostname.is_none() {
            pod_spec.hostname = Some(format!("{job_name}-{i}"));
        }
        let env = EnvVar {
            name: "JOB_COMPLETION_INDEX".into(),
            value: None,
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector {
                    api_version: None,
                    field_path: format!("metadata.annotations['{COMPLETION_INDEX}']"),
                }),
                ..Default::default()
            }),
        };
        for c in pod_spec
            .containers
            .iter_mut()
            .chain(pod_spec.init_containers.iter_mut().flatten())
        {
            let envs = c.env.get_or_insert_with(Vec::new);
            if !envs.iter().any(|e| e.name == "JOB_COMPLETION_INDEX") {
                envs.push(env.clone());
            }
        }
    }
    match api.create(&PostParams::default(), &pod).await {
        Ok(created) => {
            let pod_name = created.name_any();
            record(
                &ctx.recorder,
                job,
                EventType::Normal,
                "SuccessfulCreate",
                format!("Created pod: {pod_name}"),
            )
            .await;
            Ok(pod_name)
        }
        Err(e) => {
            record(
                &ctx.recorder,
                job,
                EventType::Warning,
                "FailedCreate",
                format!("Error creating: {e}"),
            )
            .await;
            Err(Error::CreatePod(e))
        }
    }
}

/// Removes the tracking finalizer (keeping any other finalizer); returns the pod's new
/// resourceVersion if it still exists.
async fn remove_finalizer(
    api: &Api<k8s_openapi::api::core::v1::Pod>,
    pod: &Pod,
) -> Result<Option<String>, Error> {
    let finalizers: Vec<&String> = pod
        .finalizers()
        .iter()
        .filter(|f| *f != TRACKING_FINALIZER)
        .collect();
    let patch =
        json!({"metadata": {"finalizers": finalizers, "resourceVersion": pod.resource_version()}});
    match api
        .patch(
            &pod.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(p) => Ok(p.resource_version()),
        Err(e) if podutil::is_not_found(&e) => Ok(None),
        Err(source) => Err(Error::Finalizer {
            name: pod.name_any(),
            source,
        }),
    }
}

/// Deletes a pod the job no longer wants; it is not a failure, so it is released first.
async fn release_and_delete(
    ctx: &Ctx,
    job: &Job,
    api: &Api<k8s_openapi::api::core::v1::Pod>,
    pod: &Pod,
) -> Result<(), Error> {
    if has_finalizer(pod) {
        remove_finalizer(api, pod).await?;
    }
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..Default::default()
    };
    match api.delete(&pod.name_any(), &params).await {
        Ok(_) => {
            record(
                ctx_recorder(ctx),
                job,
                EventType::Normal,
                "SuccessfulDelete",
                format!("Deleted pod: {}", pod.name_any()),
            )
            .await;
            Ok(())
        }
        Err(e) if podutil::is_not_found(&e) => Ok(()),
        Err(source) => Err(Error::DeletePod {
            name: pod.name_any(),
            source,
        }),
    }
}

fn ctx_recorder(ctx: &Ctx) -> &Recorder {
    &ctx.recorder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff_delay(0), Duration::ZERO);
        assert_eq!(backoff_delay(1), Duration::from_secs(10));
        assert_eq!(backoff_delay(2), Duration::from_secs(20));
        assert_eq!(backoff_delay(3), Duration::from_secs(40));
        assert_eq!(backoff_delay(6), Duration::from_secs(320));
        assert_eq!(backoff_delay(7), Duration::from_secs(360));
        assert_eq!(backoff_delay(100), Duration::from_secs(360));
    }

    #[test]
    fn backoff_counts_failures_after_the_last_success() {
        let t = |s: i64| Timestamp::from_second(s).unwrap();
        assert_eq!(backoff_record(&[]), (0, None));
        assert_eq!(
            backoff_record(&[(false, t(1)), (true, t(2)), (false, t(3))]),
            (1, Some(t(3)))
        );
        assert_eq!(
            backoff_record(&[(false, t(5)), (false, t(1)), (true, t(0))]),
            (2, Some(t(5)))
        );
        assert_eq!(
            backoff_record(&[(false, t(1)), (true, t(2))]),
            (0, Some(t(1)))
        );
    }

    #[test]
    fn index_sets() {
        let set = parse_indexes("0,2-4,7");
        assert_eq!(set.iter().copied().collect::<Vec<_>>(), vec![0, 2, 3, 4, 7]);
        assert_eq!(format_indexes(&set), "0,2-4,7");
        assert_eq!(format_indexes(&BTreeSet::new()), "");
        assert_eq!(format_indexes(&[1, 2].into_iter().collect()), "1-2");
    }
}
