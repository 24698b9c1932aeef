//! The namespace controller: empties a namespace being deleted, then removes the `kubernetes`
//! finalizer so the API server deletes it (upstream's NamespacedResourcesDeleter).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PropagationPolicy,
};
use kube::runtime::controller::{Action, Controller};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

use super::discovery::Resources;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("discovery failed: {0}")]
    Discovery(String),
    #[error("cannot delete content: {0}")]
    Delete(String),
    #[error("cannot update namespace {namespace}")]
    Update {
        namespace: String,
        #[source]
        source: kube::Error,
    },
}

struct Ctx {
    client: Client,
    resources: Arc<Resources>,
}

pub async fn run(ctx: super::Context) {
    let namespaces = ctx.informers.get::<Namespace>();
    let ready = ctx.informers.wait_synced();
    let shutdown = ctx.shutdown.clone();
    let trigger = shutdown.clone();
    let state = Arc::new(Ctx {
        client: ctx.client.clone(),
        resources: ctx.resources.clone(),
    });
    let run = Controller::for_stream(namespaces.trigger_stream(), namespaces.store())
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    super::until_shutdown(run, ready, shutdown).await;
}

fn error_policy(ns: Arc<Namespace>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(namespace = %ns.name_any(), error = %err, "namespace cleanup failed; retrying");
    Action::requeue(Duration::from_secs(5))
}

async fn reconcile(ns: Arc<Namespace>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let name = ns.name_any();
    let span = tracing::info_span!("reconciling namespace", "object.ref" = %name);
    let _enter = span.enter();
    if ns.metadata.deletion_timestamp.is_none() {
        return Ok(Action::await_change());
    }
    let finalizers = ns
        .spec
        .as_ref()
        .and_then(|s| s.finalizers.clone())
        .unwrap_or_default();
    if !finalizers.iter().any(|f| f == "kubernetes") {
        return Ok(Action::await_change());
    }
    let mut report = Report::default();
    let resources = match ctx.resources.fresh().await {
        Ok(r) => r,
        Err(err) => {
            // Like upstream, a discovery failure is recorded; the namespace is retried.
            report.discovery_error = Some(err.to_string());
            Vec::new()
        }
    };
    for served in resources
        .iter()
        .filter(|s| s.namespaced && s.supports("list") && s.supports("delete"))
    {
        let api: Api<DynamicObject> =
            Api::namespaced_with(ctx.client.clone(), &name, &served.resource);
        let gr = format!("{}.{}", served.resource.plural, served.resource.group);
        if let Err(err) = delete_all(&api, &gr, &mut report).await {
            report.delete_errors.push(err.to_string());
        }
    }
    let namespaces: Api<Namespace> = Api::all(ctx.client.clone());
    let update_error = |source| Error::Update {
        namespace: name.clone(),
        source,
    };
    let old = ns
        .status
        .as_ref()
        .and_then(|s| s.conditions.clone())
        .unwrap_or_default();
    if let Some(conditions) = update_conditions(&old, &report.conditions()) {
        let status = json!({"status": {"phase": "Terminating", "conditions": conditions}});
        match namespaces
            .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(ref e)) if e.code == 404 => {}
            Err(e) => return Err(update_error(e)),
        }
    }
    if let Some(err) = report.discovery_error {
        return Err(Error::Discovery(err));
    }
    if let Some(err) = report.delete_errors.first() {
        return Err(Error::Delete(err.clone()));
    }
    let remaining: usize = report.remaining.values().sum();
    if remaining > 0 {
        tracing::debug!(remaining, "namespace not empty yet");
        return Ok(Action::requeue(Duration::from_secs(2)));
    }
    // Empty: drop our finalizer through the finalize subresource; the API server deletes it.
    let mut finalized = serde_json::to_value(ns.as_ref()).expect("a Namespace serialises");
    finalized["spec"]["finalizers"] = Value::Array(
        finalizers
            .iter()
            .filter(|f| *f != "kubernetes")
            .map(|f| Value::String(f.clone()))
            .collect(),
    );
    let body = serde_json::to_vec(&finalized).expect("JSON values serialise");
    let req = http::Request::put(format!("/api/v1/namespaces/{name}/finalize"))
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body)
        .expect("a valid request");
    match ctx.client.request::<Value>(req).await {
        Ok(_) => {}
        Err(kube::Error::Api(ref e)) if e.code == 404 => {}
        Err(e) => return Err(update_error(e)),
    }
    tracing::info!("namespace emptied and finalized");
    Ok(Action::await_change())
}

/// Deletes every object of one resource in the namespace and counts what remains (and the
/// finalizers holding it).
async fn delete_all(
    api: &Api<DynamicObject>,
    gr: &str,
    report: &mut Report,
) -> Result<(), kube::Error> {
    let objects = api.list(&ListParams::default()).await?;
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    for obj in &objects.items {
        if obj.metadata.deletion_timestamp.is_none() {
            match api.delete(&obj.name_any(), &params).await {
                Ok(_) => {}
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
    }
    let left = api.list(&ListParams::default()).await?;
    if !left.items.is_empty() {
        *report.remaining.entry(gr.to_owned()).or_default() += left.items.len();
    }
    for obj in &left.items {
        for f in obj.finalizers() {
            *report.finalizers.entry(f.clone()).or_default() += 1;
        }
    }
    Ok(())
}

/// What one pass over a terminating namespace found.
#[derive(Debug, Default)]
struct Report {
    discovery_error: Option<String>,
    delete_errors: Vec<String>,
    /// Objects left per `<resource>.<group>`.
    remaining: BTreeMap<String, usize>,
    /// Objects left per finalizer.
    finalizers: BTreeMap<String, usize>,
}

/// A namespace condition without its transition time: (type, status, reason, message).
type Condition = (&'static str, &'static str, &'static str, String);

/// The deletion condition types, in upstream's order.
const CONDITION_TYPES: [&str; 5] = [
    "NamespaceDeletionDiscoveryFailure",
    "NamespaceDeletionGroupVersionParsingFailure",
    "NamespaceDeletionContentFailure",
    "NamespaceContentRemaining",
    "NamespaceFinalizersRemaining",
];

impl Report {
    /// Upstream's deletion conditions (`deletion/status_condition_utils.go`), so
    /// `kubectl describe namespace` explains a slow or stuck deletion.
    fn conditions(&self) -> Vec<Condition> {
        let mut out = Vec::new();
        out.push(match &self.discovery_error {
            Some(e) => (
                "NamespaceDeletionDiscoveryFailure",
                "True",
                "DiscoveryFailed",
                e.clone(),
            ),
            None => (
                "NamespaceDeletionDiscoveryFailure",
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered".into(),
            ),
        });
        out.push((
            "NamespaceDeletionGroupVersionParsingFailure",
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed".into(),
        ));
        out.push(if self.delete_errors.is_empty() {
            (
                "NamespaceDeletionContentFailure",
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization".into(),
            )
        } else {
            let mut errs = self.delete_errors.clone();
            errs.sort();
            let msg = if errs.len() == 1 {
                errs.remove(0)
            } else {
                format!("[{}]", errs.join(", "))
            };
            (
                "NamespaceDeletionContentFailure",
                "True",
                "ContentDeletionFailed",
                msg,
            )
        });
        out.push(if self.remaining.is_empty() {
            (
                "NamespaceContentRemaining",
                "False",
                "ContentRemoved",
                "All content successfully removed".into(),
            )
        } else {
            let list: Vec<String> = self
                .remaining
                .iter()
                .map(|(gr, n)| format!("{gr} has {n} resource instances"))
                .collect();
            (
                "NamespaceContentRemaining",
                "True",
                "SomeResourcesRemain",
                format!("Some resources are remaining: {}", list.join(", ")),
            )
        });
        out.push(if self.finalizers.is_empty() {
            (
                "NamespaceFinalizersRemaining",
                "False",
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished".into(),
            )
        } else {
            let list: Vec<String> = self
                .finalizers
                .iter()
                .map(|(f, n)| format!("{f} in {n} resource instances"))
                .collect();
            (
                "NamespaceFinalizersRemaining",
                "True",
                "SomeFinalizersRemain",
                format!(
                    "Some content in the namespace has finalizers remaining: {}",
                    list.join(", ")
                ),
            )
        });
        out
    }
}

/// The namespace's conditions with `new` applied, keeping the transition time of conditions that
/// did not change (upstream's `updateConditions`); `None` when nothing changed.
fn update_conditions(
    old: &[k8s_openapi::api::core::v1::NamespaceCondition],
    new: &[Condition],
) -> Option<Value> {
    let now = crate::api::meta::now();
    let mut changed = false;
    let mut out: Vec<Value> = old
        .iter()
        .filter(|c| !CONDITION_TYPES.contains(&c.type_.as_str()))
        .map(|c| serde_json::to_value(c).expect("a condition serialises"))
        .collect();
    for (type_, status, reason, message) in new {
        let prev = old.iter().find(|c| c.type_ == *type_);
        let same = prev.is_some_and(|p| {
            p.status == *status
                && p.reason.as_deref() == Some(*reason)
                && p.message.as_deref() == Some(message.as_str())
        });
        let time = match prev.and_then(|p| p.last_transition_time.as_ref()) {
            Some(t) if same => crate::api::meta::format_time(t.0),
            _ => {
                changed = true;
                now.clone()
            }
        };
        out.push(json!({"type": type_, "status": status, "lastTransitionTime": time, "reason": reason, "message": message}));
    }
    changed.then_some(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_name_what_remains_like_upstream() {
        let report = Report {
            remaining: BTreeMap::from([
                ("configmaps.".into(), 1),
                ("widgets.example.com".into(), 2),
            ]),
            finalizers: BTreeMap::from([("example.com/hold".into(), 3)]),
            ..Report::default()
        };
        let c = report.conditions();
        let types: Vec<&str> = c.iter().map(|c| c.0).collect();
        assert_eq!(types, CONDITION_TYPES);
        assert_eq!(c[0].2, "ResourcesDiscovered");
        assert_eq!(
            c[2].3,
            "All content successfully deleted, may be waiting on finalization"
        );
        assert_eq!(
            (c[3].1, c[3].2, c[3].3.as_str()),
            (
                "True",
                "SomeResourcesRemain",
                "Some resources are remaining: configmaps. has 1 resource instances, widgets.example.com has 2 resource instances"
            )
        );
        assert_eq!(
            (c[4].1, c[4].2, c[4].3.as_str()),
            (
                "True",
                "SomeFinalizersRemain",
                "Some content in the namespace has finalizers remaining: example.com/hold in 3 resource instances"
            )
        );
        let done = Report::default().conditions();
        assert_eq!((done[3].1, done[3].2), ("False", "ContentRemoved"));
        assert_eq!((done[4].1, done[4].2), ("False", "ContentHasNoFinalizers"));
    }

    #[test]
    fn unchanged_conditions_keep_their_transition_time() {
        let c = Report::default().conditions();
        let first = update_conditions(&[], &c).expect("new conditions");
        let old: Vec<k8s_openapi::api::core::v1::NamespaceCondition> =
            serde_json::from_value(first).unwrap();
        assert!(update_conditions(&old, &c).is_none());
        let report = Report {
            remaining: BTreeMap::from([("pods.".into(), 1)]),
            ..Report::default()
        };
        let next = update_conditions(&old, &report.conditions()).expect("changed");
        assert_eq!(next.as_array().unwrap().len(), 5);
    }
}
