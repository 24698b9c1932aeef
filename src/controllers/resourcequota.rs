//! The resource quota controller: keeps every ResourceQuota's `status.hard` (= `spec.hard`) and
//! `status.used` (what the namespace really consumes) true. Admission charges new objects as they
//! are written; this controller recounts, which also gives back what deleted or finished objects
//! held (upstream's replenishment).

use std::sync::Arc;
use std::time::Duration;

use crate::controllers::cached::Pod;
use futures::StreamExt;
use k8s_openapi::api::core::v1::ResourceQuota;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

use super::Context;
use crate::api::quota::{Evaluator, Quota};
use crate::api::resources::{self, ResourceList};

/// How often every quota is recounted even without a triggering change (objects other than pods
/// are not watched).
const RESYNC: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot list {resource} in namespace {namespace}")]
    List {
        resource: String,
        namespace: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot update the status of quota {namespace}/{name}")]
    Update {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("discovery failed")]
    Discovery(#[source] kube::Error),
}

struct Ctx {
    ctx: Context,
}

pub async fn run(ctx: Context) {
    let quotas = ctx.informers.get::<ResourceQuota>();
    let pods = ctx.informers.get::<Pod>();
    let ready = ctx.informers.wait_synced();
    let quota_store = quotas.store();
    let by_namespace = quota_store.clone();
    let shutdown = ctx.shutdown.clone();
    let trigger = shutdown.clone();
    let controller = Controller::for_stream(quotas.trigger_stream(), quota_store.clone())
        .watches_stream(pods.trigger_stream(), move |pod: Pod| {
            let ns = pod.namespace().unwrap_or_default();
            by_namespace
                .state()
                .into_iter()
                .filter(|q| q.namespace().as_deref() == Some(ns.as_str()))
                .map(|q| ObjectRef::from_obj(q.as_ref()))
                .collect::<Vec<_>>()
        });
    let run = controller
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, Arc::new(Ctx { ctx }))
        .for_each(|_| async {});
    super::until_shutdown(run, ready, shutdown).await;
}

fn error_policy(quota: Arc<ResourceQuota>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(quota = %quota.name_any(), error = %err, "quota recount failed; retrying");
    Action::requeue(Duration::from_secs(5))
}

async fn reconcile(rq: Arc<ResourceQuota>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let ns = rq.namespace().unwrap_or_default();
    let name = rq.name_any();
    let span =
        tracing::info_span!("reconciling resourcequota", "object.ref" = %format!("{ns}/{name}"));
    let _enter = span.enter();
    if rq.metadata.deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let obj = serde_json::to_value(rq.as_ref()).unwrap_or(Value::Null);
    let hard = resources::parse_list(&obj["spec"]["hard"]);
    let mut quota = Quota::from_object(&obj);
    quota.hard = hard.clone();
    let mut used = ResourceList::new();
    let client = &ctx.ctx.client;

    // Pods from the shared cache; everything else listed.
    let pods: Vec<Value> = ctx
        .ctx
        .informers
        .get::<Pod>()
        .store()
        .state()
        .into_iter()
        .filter(|p| p.namespace().as_deref() == Some(ns.as_str()))
        .filter_map(|p| serde_json::to_value(p.as_ref()).ok())
        .collect();
    resources::add_into(
        &mut used,
        &crate::api::quota::total_usage(&quota, Evaluator::Pods, &hard, &pods),
    );
    for (plural, evaluator) in [
        ("services", Evaluator::Services),
        ("persistentvolumeclaims", Evaluator::Claims),
    ] {
        let names = hard.keys().cloned().collect();
        if evaluator.matching(&names).is_empty() {
            continue;
        }
        let objects = list_core(client, plural, &ns).await?;
        resources::add_into(
            &mut used,
            &crate::api::quota::total_usage(&quota, evaluator, &hard, &objects),
        );
    }
    // Object counts: `count/<resource>[.<group>]` and the legacy names (each resource once).
    let mut counted = std::collections::BTreeSet::new();
    for key in hard.keys() {
        let (group, plural) = match key.strip_prefix("count/") {
            Some(rest) => match rest.split_once('.') {
                Some((plural, group)) => (group.to_owned(), plural.to_owned()),
                None => (String::new(), rest.to_owned()),
            },
            None if matches!(
                key.as_str(),
                "configmaps" | "secrets" | "replicationcontrollers" | "resourcequotas"
            ) =>
            {
                (String::new(), key.clone())
            }
            None => continue,
        };
        if group.is_empty()
            && matches!(
                plural.as_str(),
                "pods" | "services" | "persistentvolumeclaims"
            )
        {
            continue;
        }
        if !counted.insert((group.clone(), plural.clone())) {
            continue;
        }
        let count = count_objects(&ctx.ctx, &group, &plural, &ns).await?;
        let evaluator = Evaluator::for_resource(&group, &plural);
        let total = crate::api::quota::total_usage(
            &quota,
            evaluator,
            &hard,
            std::iter::repeat_n(&Value::Null, count),
        );
        resources::add_into(&mut used, &total);
    }
    used.retain(|k, _| hard.contains_key(k));
    for k in hard.keys() {
        used.entry(k.clone())
            .or_insert(crate::api::quantity::Quantity::from_units(
                0,
                crate::api::quantity::Format::DecimalSI,
            ));
    }

    let want = json!({"hard": resources::to_json(&hard), "used": resources::to_json(&used)});
    let have = &obj["status"];
    if resources::parse_list(&have["hard"]) != hard || resources::parse_list(&have["used"]) != used
    {
        let api: Api<ResourceQuota> = Api::namespaced(client.clone(), &ns);
        api.patch_status(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": want})),
        )
        .await
        .map_err(|source| Error::Update {
            namespace: ns.clone(),
            name: name.clone(),
            source,
        })?;
    }
    Ok(Action::requeue(RESYNC))
}

async fn list_core(client: &Client, plural: &str, ns: &str) -> Result<Vec<Value>, Error> {
    let resource = kube::discovery::ApiResource {
        group: String::new(),
        version: "v1".into(),
        api_version: "v1".into(),
        kind: String::new(),
        plural: plural.into(),
    };
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &resource);
    let list = api
        .list(&ListParams::default())
        .await
        .map_err(|source| Error::List {
            resource: plural.into(),
            namespace: ns.into(),
            source,
        })?;
    Ok(list
        .items
        .into_iter()
        .filter_map(|o| serde_json::to_value(o).ok())
        .collect())
}

/// How many objects of `group`/`plural` exist in `ns` (0 for resources not served).
async fn count_objects(ctx: &Context, group: &str, plural: &str, ns: &str) -> Result<usize, Error> {
    let served = ctx.resources.all().await.map_err(Error::Discovery)?;
    let Some(s) = served
        .iter()
        .find(|s| s.resource.group == group && s.resource.plural == plural && s.namespaced)
    else {
        return Ok(0);
    };
    let api: Api<kube::core::PartialObjectMeta<DynamicObject>> =
        Api::namespaced_with(ctx.client.clone(), ns, &s.resource);
    let list = api
        .list_metadata(&ListParams::default())
        .await
        .map_err(|source| Error::List {
            resource: plural.into(),
            namespace: ns.into(),
            source,
        })?;
    Ok(list.items.len())
}
