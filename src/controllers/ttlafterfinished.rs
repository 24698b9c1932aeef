//! The TTL-after-finished controller (upstream `pkg/controller/ttlafterfinished`): deletes a
//! finished Job `ttlSecondsAfterFinished` seconds after it finished, with background
//! propagation (its pods go through the garbage collector).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::batch::v1::Job;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams, Preconditions, PropagationPolicy};
use kube::runtime::controller::{Action, Controller};

use super::Context;
use super::job::{finished_at, is_finished};
use super::podutil;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot delete job {name}")]
    Delete {
        name: String,
        #[source]
        source: kube::Error,
    },
}

pub async fn run(ctx: Context) {
    let jobs = ctx.informers.get::<Job>();
    let ready = ctx.informers.wait_synced();
    let shutdown = ctx.shutdown.clone();
    let trigger = shutdown.clone();
    let run = Controller::for_stream(jobs.trigger_stream(), jobs.store())
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, Arc::new(ctx))
        .for_each(|_| async {});
    super::until_shutdown(run, ready, shutdown).await;
}

fn error_policy(job: Arc<Job>, err: &Error, _: Arc<Context>) -> Action {
    tracing::warn!(job = %job.name_any(), error = %err, "ttl-after-finished cleanup failed; retrying");
    Action::requeue(Duration::from_secs(2))
}

/// How long until a finished job with `ttl` expires (zero: now), if it is due at all.
pub fn time_left(finished: Timestamp, ttl: i32, now: Timestamp) -> Duration {
    let expires = finished + SignedDuration::from_secs(i64::from(ttl));
    Duration::try_from(expires.duration_since(now)).unwrap_or(Duration::ZERO)
}

async fn reconcile(job: Arc<Job>, ctx: Arc<Context>) -> Result<Action, Error> {
    let name = job.name_any();
    let ns = job.namespace().unwrap_or_default();
    let span = tracing::info_span!("reconciling job ttl", "object.ref" = %format!("{ns}/{name}"));
    let _enter = span.enter();
    let Some(ttl) = job.spec.as_ref().and_then(|s| s.ttl_seconds_after_finished) else {
        return Ok(Action::await_change());
    };
    if job.metadata.deletion_timestamp.is_some() || !is_finished(&job) {
        return Ok(Action::await_change());
    }
    let finished = job
        .status
        .as_ref()
        .and_then(|s| s.completion_time.as_ref().map(|t| t.0))
        .or_else(|| finished_at(&job))
        .unwrap_or_else(Timestamp::now);
    let left = time_left(finished, ttl, Timestamp::now());
    if !left.is_zero() {
        return Ok(Action::requeue(left));
    }
    tracing::info!("deleting job whose ttl after finishing expired");
    let api: Api<Job> = Api::namespaced(ctx.client.clone(), &ns);
    // The uid precondition keeps a newer Job of the same name safe.
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        preconditions: Some(Preconditions {
            uid: job.uid(),
            resource_version: None,
        }),
        ..Default::default()
    };
    match api.delete(&name, &params).await {
        Ok(_) => Ok(Action::await_change()),
        Err(e) if podutil::is_not_found(&e) || podutil::is_conflict(&e) => {
            Ok(Action::await_change())
        }
        Err(source) => Err(Error::Delete { name, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry() {
        let t: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        let now: Timestamp = "2024-01-01T00:00:05Z".parse().unwrap();
        assert_eq!(time_left(t, 10, now), Duration::from_secs(5));
        assert_eq!(time_left(t, 0, now), Duration::ZERO);
        assert_eq!(time_left(t, 5, now), Duration::ZERO);
    }
}
