//! The CronJob controller (upstream `pkg/controller/cronjob`, the v2 controller): creates a Job
//! per activation of the schedule (`<cronjob>-<minutes since epoch>`), honouring
//! `concurrencyPolicy`, `startingDeadlineSeconds`, `suspend` and `timeZone`, tracks its Jobs
//! in `status.active`, `lastScheduleTime` and `lastSuccessfulTime`, and prunes finished Jobs
//! beyond the history limits.

pub mod schedule;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, PropagationPolicy};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::EventType;

use crate::controllers::events::Recorder;
use kube::runtime::reflector::Store;
use serde_json::{Value, json};

use super::Context;
use super::job::{finished_at, has_condition, is_finished};
use super::podutil::{self, record};

pub const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/// Upstream gives up counting missed activations beyond this many.
const MAX_MISSED: u32 = 100;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create job {name}")]
    CreateJob {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot delete job {name}")]
    DeleteJob {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot update status")]
    Status(#[source] kube::Error),
}

/// The controller's clock: real time, or real time sped up `speed` times since `origin`.
#[derive(Clone, Copy)]
pub struct Clock {
    origin: Timestamp,
    started: Instant,
    speed: u32,
}

impl Clock {
    pub fn new(speed: u32) -> Self {
        Clock {
            origin: Timestamp::now(),
            started: Instant::now(),
            speed: speed.max(1),
        }
    }

    pub fn now(&self) -> Timestamp {
        let elapsed = self.started.elapsed().saturating_mul(self.speed);
        self.origin + SignedDuration::try_from(elapsed).unwrap_or_default()
    }

    /// A real-time delay for a clock-time one.
    pub fn real(&self, d: Duration) -> Duration {
        d / self.speed
    }
}

struct Ctx {
    ctx: Context,
    jobs: Store<Job>,
    recorder: Recorder,
    clock: Clock,
}

pub async fn run(ctx: Context) {
    let cronjobs = ctx.informers.get::<CronJob>();
    let jobs = ctx.informers.get::<Job>();
    let ready = ctx.informers.wait_synced();
    let shutdown = ctx.shutdown.clone();
    let trigger = shutdown.clone();
    let state = Arc::new(Ctx {
        recorder: ctx.recorder("cronjob-controller"),
        jobs: jobs.store(),
        clock: Clock::new(ctx.config.cronjob_clock_speed),
        ctx,
    });
    let run = Controller::for_stream(cronjobs.trigger_stream(), cronjobs.store())
        .owns_stream(jobs.trigger_stream())
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    super::until_shutdown(run, ready, shutdown).await;
}

fn error_policy(cj: Arc<CronJob>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(cronjob = %cj.name_any(), error = %err, "cronjob sync failed; retrying");
    Action::requeue(Duration::from_secs(2))
}

/// `getJobName`: the scheduled time in minutes since the epoch.
pub fn job_name(cronjob: &str, scheduled: Timestamp) -> String {
    format!("{cronjob}-{}", scheduled.as_second().div_euclid(60))
}

fn job_ref(job: &Job) -> Value {
    json!({
        "kind": "Job", "apiVersion": "batch/v1", "namespace": job.namespace(),
        "name": job.name_any(), "uid": job.uid(), "resourceVersion": job.resource_version(),
    })
}

async fn reconcile(cj: Arc<CronJob>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let name = cj.name_any();
    let ns = cj.namespace().unwrap_or_default();
    let span = tracing::info_span!("reconciling cronjob", "object.ref" = %format!("{ns}/{name}"));
    let _enter = span.enter();
    if cj.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let client = &ctx.ctx.client;
    let jobs_api: Api<Job> = Api::namespaced(client.clone(), &ns);
    let uid = cj.uid().unwrap_or_default();
    let spec = cj.spec.clone().unwrap_or_default();
    let status = cj.status.clone().unwrap_or_default();
    let now = ctx.clock.now();

    let mut jobs: Vec<Job> = ctx
        .jobs
        .state()
        .into_iter()
        .filter(|j| {
            j.namespace().as_deref() == Some(ns.as_str())
                && podutil::is_controlled_by(&j.metadata, &uid)
        })
        .map(|j| Job::clone(&j))
        .collect();
    jobs.sort_by_key(|j| j.metadata.creation_timestamp.as_ref().map(|t| t.0));

    // Track the Jobs: finished ones leave `active`, vanished ones too.
    let mut active: Vec<Value> = status
        .active
        .iter()
        .flatten()
        .map(|r| serde_json::to_value(r).expect("references serialise"))
        .collect();
    let mut last_successful = status.last_successful_time.as_ref().map(|t| t.0);
    for job in &jobs {
        let job_uid = job.uid().unwrap_or_default();
        let in_active = active.iter().any(|r| r["uid"] == json!(job_uid));
        if is_finished(job) {
            if in_active {
                active.retain(|r| r["uid"] != json!(job_uid));
                let cond = if has_condition(job, "Complete") {
                    "Complete"
                } else {
                    "Failed"
                };
                record(
                    &ctx.recorder,
                    cj.as_ref(),
                    EventType::Normal,
                    "SawCompletedJob",
                    format!("Saw completed job: {}, condition: {cond}", job.name_any()),
                )
                .await;
            }
            if has_condition(job, "Complete") {
                let t = job
                    .status
                    .as_ref()
                    .and_then(|s| s.completion_time.as_ref().map(|t| t.0))
                    .or_else(|| finished_at(job));
                if t > last_successful {
                    last_successful = t;
                }
            }
        } else if !in_active && job.metadata.deletion_timestamp.is_none() {
            active.push(job_ref(job));
        }
    }
    active.retain(|r| jobs.iter().any(|j| r["uid"] == json!(j.uid())));

    // Remove finished Jobs beyond the history limits, oldest first.
    let mut deleted_jobs = Vec::new();
    for (want_complete, limit) in [
        (true, spec.successful_jobs_history_limit.unwrap_or(3)),
        (false, spec.failed_jobs_history_limit.unwrap_or(1)),
    ] {
        let mut finished: Vec<&Job> = jobs
            .iter()
            .filter(|j| j.metadata.deletion_timestamp.is_none())
            .filter(|j| {
                if want_complete {
                    has_condition(j, "Complete")
                } else {
                    has_condition(j, "Failed")
                }
            })
            .collect();
        finished.sort_by_key(|j| {
            finished_at(j).or(j.metadata.creation_timestamp.as_ref().map(|t| t.0))
        });
        let excess = finished
            .len()
            .saturating_sub(usize::try_from(limit.max(0)).unwrap_or(0));
        for job in finished.into_iter().take(excess) {
            delete_job(&ctx, &cj, &jobs_api, job).await?;
            deleted_jobs.push(job.name_any());
        }
    }

    let mut last_schedule = status.last_schedule_time.as_ref().map(|t| t.0);
    let mut requeue = None;
    let tz = match spec.time_zone.as_deref() {
        None | Some("") => Some(TimeZone::UTC),
        Some(zone) => match TimeZone::get(zone) {
            Ok(tz) => Some(tz),
            Err(_) => {
                record(
                    &ctx.recorder,
                    cj.as_ref(),
                    EventType::Warning,
                    "UnknownTimeZone",
                    format!("invalid timeZone: {zone:?}: unknown time zone {zone}"),
                )
                .await;
                None
            }
        },
    };
    let sched = match schedule::parse(&spec.schedule) {
        Ok(s) => Some(s),
        Err(e) => {
            record(
                &ctx.recorder,
                cj.as_ref(),
                EventType::Warning,
                "UnparseableSchedule",
                format!("unparseable schedule: {:?} : {e}", spec.schedule),
            )
            .await;
            None
        }
    };
    let mut created = Vec::new();
    if let (Some(tz), Some(sched)) = (tz, sched)
        && spec.suspend != Some(true)
    {
        let created_at = cj
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0)
            .unwrap_or(now);
        let mut earliest = last_schedule.unwrap_or(created_at);
        if let Some(sds) = spec.starting_deadline_seconds {
            let window = now - SignedDuration::from_secs(sds);
            if window > earliest {
                earliest = window;
            }
        }
        let (scheduled, missed) = schedule::most_recent(&sched, &tz, earliest, now);
        if missed > MAX_MISSED {
            record(
                &ctx.recorder,
                cj.as_ref(),
                EventType::Warning,
                "TooManyMissedTimes",
                format!("too many missed start times: {missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew"),
            )
            .await;
        }
        if let Some(scheduled) = scheduled {
            let too_late = spec
                .starting_deadline_seconds
                .is_some_and(|sds| scheduled + SignedDuration::from_secs(sds) < now);
            let job_name = job_name(&name, scheduled);
            let already =
                last_schedule == Some(scheduled) || jobs.iter().any(|j| j.name_any() == job_name);
            if too_late {
                record(
                    &ctx.recorder,
                    cj.as_ref(),
                    EventType::Warning,
                    "MissSchedule",
                    format!(
                        "Missed scheduled time to start a job: {}",
                        scheduled
                            .to_zoned(tz.clone())
                            .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    ),
                )
                .await;
            } else if !already {
                let policy = spec.concurrency_policy.as_deref().unwrap_or("Allow");
                let mut blocked = false;
                if policy == "Forbid" && !active.is_empty() {
                    tracing::debug!("not starting a job: concurrency policy forbids it");
                    blocked = true;
                }
                if policy == "Replace" {
                    for r in std::mem::take(&mut active) {
                        if let Some(job) = jobs.iter().find(|j| r["uid"] == json!(j.uid())) {
                            delete_job(&ctx, &cj, &jobs_api, job).await?;
                        }
                    }
                }
                if !blocked {
                    let job = new_job(&cj, &job_name, scheduled, &tz);
                    match jobs_api.create(&PostParams::default(), &job).await {
                        Ok(j) => {
                            record(
                                &ctx.recorder,
                                cj.as_ref(),
                                EventType::Normal,
                                "SuccessfulCreate",
                                format!("Created job {job_name}"),
                            )
                            .await;
                            active.push(job_ref(&j));
                            created.push(job_name);
                        }
                        Err(e) if podutil::is_conflict(&e) => {}
                        Err(source) => {
                            record(
                                &ctx.recorder,
                                cj.as_ref(),
                                EventType::Warning,
                                "FailedCreate",
                                format!("Error creating job: {source}"),
                            )
                            .await;
                            return Err(Error::CreateJob {
                                name: job_name,
                                source,
                            });
                        }
                    }
                    last_schedule = Some(scheduled);
                }
            }
        }
        if let Some(next) = sched.next(now, &tz) {
            let wait = Duration::try_from(next.duration_since(now)).unwrap_or_default()
                + Duration::from_millis(100);
            requeue = Some(ctx.clock.real(wait).max(Duration::from_millis(50)));
        }
    }
    podutil::await_cache(&ctx.jobs, &ns, &created, &deleted_jobs).await;

    let mut new_status =
        json!({"active": if active.is_empty() { Value::Null } else { json!(active) }});
    if let Some(t) = last_schedule {
        new_status["lastScheduleTime"] = json!(t.to_string());
    }
    if let Some(t) = last_successful {
        new_status["lastSuccessfulTime"] = json!(t.to_string());
    }
    let old = serde_json::to_value(&status).expect("status serialises");
    let uids = |v: &Value| -> Vec<Value> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|r| r["uid"].clone())
            .collect()
    };
    let changed = uids(&old["active"]) != uids(&new_status["active"])
        || old
            .get("lastScheduleTime")
            .map(|v| v.as_str().and_then(|s| s.parse::<Timestamp>().ok()))
            != new_status
                .get("lastScheduleTime")
                .map(|v| v.as_str().and_then(|s| s.parse::<Timestamp>().ok()))
        || old
            .get("lastSuccessfulTime")
            .map(|v| v.as_str().and_then(|s| s.parse::<Timestamp>().ok()))
            != new_status
                .get("lastSuccessfulTime")
                .map(|v| v.as_str().and_then(|s| s.parse::<Timestamp>().ok()));
    if changed {
        let api: Api<CronJob> = Api::namespaced(client.clone(), &ns);
        match api
            .patch_status(
                &name,
                &PatchParams::default(),
                &Patch::Merge(&json!({"status": new_status})),
            )
            .await
        {
            Ok(_) => {}
            Err(e) if podutil::is_not_found(&e) => return Ok(Action::await_change()),
            Err(e) => return Err(Error::Status(e)),
        }
    }
    Ok(requeue.map_or_else(Action::await_change, Action::requeue))
}

/// `getJobFromTemplate2`: the job template's labels, annotations and spec, the scheduled
/// time annotation, controlled by the CronJob.
fn new_job(cj: &CronJob, name: &str, scheduled: Timestamp, tz: &TimeZone) -> Job {
    let spec = cj.spec.clone().unwrap_or_default();
    let tmpl = spec.job_template;
    let tmeta = tmpl.metadata.unwrap_or_default();
    let mut job = Job {
        spec: tmpl.spec,
        ..Job::default()
    };
    job.metadata.name = Some(name.to_string());
    job.metadata.namespace = cj.namespace();
    job.metadata.labels = tmeta.labels;
    let mut annotations = tmeta.annotations.unwrap_or_default();
    annotations.insert(
        SCHEDULED_TIMESTAMP.into(),
        scheduled
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
            .replace("+00:00", "Z"),
    );
    job.metadata.annotations = Some(annotations);
    job.metadata.owner_references = Some(vec![podutil::controller_ref(cj)]);
    job
}

async fn delete_job(ctx: &Ctx, cj: &CronJob, api: &Api<Job>, job: &Job) -> Result<(), Error> {
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..Default::default()
    };
    match api.delete(&job.name_any(), &params).await {
        Ok(_) => {
            record(
                &ctx.recorder,
                cj,
                EventType::Normal,
                "SuccessfulDelete",
                format!("Deleted job {}", job.name_any()),
            )
            .await;
            Ok(())
        }
        Err(e) if podutil::is_not_found(&e) => Ok(()),
        Err(source) => Err(Error::DeleteJob {
            name: job.name_any(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_count_minutes() {
        let t: Timestamp = "2024-01-01T00:05:00Z".parse().unwrap();
        assert_eq!(job_name("hello", t), "hello-28401125");
    }

    #[test]
    fn fast_clock() {
        let c = Clock::new(6);
        assert_eq!(c.real(Duration::from_secs(60)), Duration::from_secs(10));
        assert!(c.now() >= c.origin);
    }
}
