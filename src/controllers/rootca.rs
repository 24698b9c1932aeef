//! The root CA publisher: every namespace has the ConfigMap `kube-root-ca.crt` holding the
//! cluster CA under `ca.crt`, restored if deleted or edited (upstream's
//! `pkg/controller/certificates/rootcacertpublisher`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, ObjectMeta, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::{Client, ResourceExt};

use super::Context;
use super::informers::Informer;
use super::serviceaccount::{is_active, is_terminating};

pub const CONFIGMAP_NAME: &str = "kube-root-ca.crt";
pub const DESCRIPTION_ANNOTATION: &str = "kubernetes.io/description";
pub const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot {verb} configmap {namespace}/{CONFIGMAP_NAME}")]
    Write {
        verb: &'static str,
        namespace: String,
        #[source]
        source: kube::Error,
    },
}

struct Ctx {
    client: Client,
    configmaps: Informer<ConfigMap>,
    root_ca: String,
}

/// Publishes `root_ca` (PEM) in every namespace.
pub async fn run(ctx: Context, root_ca: String) {
    let namespaces = ctx.informers.get::<Namespace>();
    let configmaps = ctx.informers.get::<ConfigMap>();
    let state = Arc::new(Ctx {
        client: ctx.client.clone(),
        configmaps: configmaps.clone(),
        root_ca,
    });
    let store = namespaces.store();
    let by_configmap = |cm: ConfigMap| {
        (cm.name_any() == CONFIGMAP_NAME)
            .then(|| ObjectRef::<Namespace>::new(&cm.namespace().unwrap_or_default()))
    };
    let trigger = ctx.shutdown.clone();
    let run = Controller::for_stream(namespaces.trigger_stream(), store.clone())
        .watches_stream(configmaps.trigger_stream(), by_configmap)
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    super::until_shutdown(run, ctx.informers.wait_synced(), ctx.shutdown.clone()).await;
}

fn error_policy(ns: Arc<Namespace>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(namespace = %ns.name_any(), error = %err, "root CA publishing failed; retrying");
    Action::requeue(Duration::from_secs(2))
}

fn desired_data(root_ca: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("ca.crt".to_owned(), root_ca.to_owned())])
}

async fn reconcile(ns: Arc<Namespace>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let namespace = ns.name_any();
    let span = tracing::info_span!("publishing root CA", "object.ref" = %namespace);
    let _enter = span.enter();
    if !is_active(&ns) {
        return Ok(Action::await_change());
    }
    let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &namespace);
    let data = desired_data(&ctx.root_ca);
    let write_error = |verb, source| Error::Write {
        verb,
        namespace: namespace.clone(),
        source,
    };
    let Some(current) = ctx.configmaps.get(Some(&namespace), CONFIGMAP_NAME) else {
        let cm = ConfigMap {
            metadata: ObjectMeta {
                name: Some(CONFIGMAP_NAME.into()),
                namespace: Some(namespace.clone()),
                annotations: Some(BTreeMap::from([(
                    DESCRIPTION_ANNOTATION.into(),
                    DESCRIPTION.into(),
                )])),
                ..ObjectMeta::default()
            },
            data: Some(data),
            ..ConfigMap::default()
        };
        return match api.create(&PostParams::default(), &cm).await {
            Ok(_) => Ok(Action::await_change()),
            // Already there (our cache is behind), or the namespace is gone or going away.
            Err(kube::Error::Api(e)) if e.code == 409 || e.code == 404 || is_terminating(&e) => {
                Ok(Action::await_change())
            }
            Err(e) => Err(write_error("create", e)),
        };
    };
    let described = current
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(DESCRIPTION_ANNOTATION))
        .is_some_and(|d| !d.is_empty());
    if current.data.as_ref() == Some(&data) && described {
        return Ok(Action::await_change());
    }
    let mut cm = ConfigMap::clone(&current);
    cm.data = Some(data);
    cm.metadata
        .annotations
        .get_or_insert_with(BTreeMap::new)
        .insert(DESCRIPTION_ANNOTATION.into(), DESCRIPTION.into());
    match api
        .replace(CONFIGMAP_NAME, &PostParams::default(), &cm)
        .await
    {
        Ok(_) => {
            tracing::debug!("restored root CA configmap");
            Ok(Action::await_change())
        }
        Err(kube::Error::Api(e)) if e.code == 404 => {
            Ok(Action::requeue(Duration::from_millis(200)))
        }
        Err(e) => Err(write_error("update", e)),
    }
}
