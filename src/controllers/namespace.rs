//! The namespace controller: empties a namespace being deleted, then removes the `kubernetes`
//! finalizer so the API server deletes it (upstream's NamespacedResourcesDeleter).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PropagationPolicy,
};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::discovery::Resources;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("discovery failed")]
    Discovery(#[source] kube::Error),
    #[error("cannot delete {resource} in namespace {namespace}")]
    Delete {
        resource: String,
        namespace: String,
        #[source]
        source: kube::Error,
    },
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

pub async fn run(client: Client, resources: Arc<Resources>, shutdown: CancellationToken) {
    let api: Api<Namespace> = Api::all(client.clone());
    let ctx = Arc::new(Ctx { client, resources });
    let controller = Controller::new(api, watcher::Config::default());
    let store = controller.store();
    let trigger = shutdown.clone();
    let run = controller
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, ctx)
        .for_each(|_| async {});
    super::until_shutdown(run, store, shutdown).await;
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
    let resources = ctx.resources.all().await.map_err(Error::Discovery)?;
    let mut remaining = 0usize;
    let mut remaining_finalizers = std::collections::BTreeSet::new();
    for served in resources
        .iter()
        .filter(|s| s.namespaced && s.supports("list") && s.supports("delete"))
    {
        let api: Api<DynamicObject> =
            Api::namespaced_with(ctx.client.clone(), &name, &served.resource);
        let delete_error = |source| Error::Delete {
            resource: served.resource.plural.clone(),
            namespace: name.clone(),
            source,
        };
        let objects = api
            .list(&ListParams::default())
            .await
            .map_err(delete_error)?;
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..DeleteParams::default()
        };
        for obj in &objects.items {
            if obj.metadata.deletion_timestamp.is_none() {
                match api.delete(&obj.name_any(), &params).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(e)) if e.code == 404 => continue,
                    Err(e) => return Err(delete_error(e)),
                }
            }
        }
        let left = api
            .list(&ListParams::default())
            .await
            .map_err(delete_error)?;
        remaining += left.items.len();
        for obj in &left.items {
            remaining_finalizers.extend(obj.finalizers().iter().cloned());
        }
    }
    let namespaces: Api<Namespace> = Api::all(ctx.client.clone());
    let update_error = |source| Error::Update {
        namespace: name.clone(),
        source,
    };
    let conditions = conditions(remaining, &remaining_finalizers);
    let status = json!({"status": {"phase": "Terminating", "conditions": conditions}});
    match namespaces
        .patch_status(&name, &PatchParams::default(), &Patch::Merge(&status))
        .await
    {
        Ok(_) => {}
        Err(kube::Error::Api(ref e)) if e.code == 404 => {}
        Err(e) => return Err(update_error(e)),
    }
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

/// Upstream's deletion conditions, so `kubectl describe namespace` explains a stuck deletion.
fn conditions(remaining: usize, finalizers: &std::collections::BTreeSet<String>) -> Value {
    let now = crate::api::meta::now();
    let cond = |type_: &str, status: &str, reason: &str, message: String| json!({"type": type_, "status": status, "lastTransitionTime": now, "reason": reason, "message": message});
    json!([
        cond(
            "NamespaceDeletionDiscoveryFailure",
            "False",
            "ResourcesDiscovered",
            "All resources successfully discovered".into()
        ),
        cond(
            "NamespaceDeletionGroupVersionParsingFailure",
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed".into()
        ),
        cond(
            "NamespaceDeletionContentFailure",
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization".into()
        ),
        if remaining > 0 {
            cond(
                "NamespaceContentRemaining",
                "True",
                "SomeResourcesRemain",
                format!("Some resources are remaining: {remaining} objects"),
            )
        } else {
            cond(
                "NamespaceContentRemaining",
                "False",
                "ContentRemoved",
                "All content successfully removed".into(),
            )
        },
        if finalizers.is_empty() {
            cond(
                "NamespaceFinalizersRemaining",
                "False",
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished".into(),
            )
        } else {
            let list: Vec<&str> = finalizers.iter().map(String::as_str).collect();
            cond(
                "NamespaceFinalizersRemaining",
                "True",
                "SomeFinalizersRemain",
                format!(
                    "Some content in the namespace has finalizers remaining: {}",
                    list.join(", ")
                ),
            )
        },
    ])
}
