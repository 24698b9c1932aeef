//! The ServiceAccount controller: every active namespace has a `default` ServiceAccount, created
//! again if deleted (upstream's `pkg/controller/serviceaccount`, ServiceAccountsController).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{Api, ObjectMeta, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::ObjectRef;
use kube::{Client, ResourceExt};

use super::Context;
use super::informers::Informer;

/// The ServiceAccounts every namespace gets (upstream's `--service-account-names` default).
pub const SERVICE_ACCOUNTS: &[&str] = &["default"];

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create serviceaccount {namespace}/{name}")]
    Create {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
}

struct Ctx {
    client: Client,
    accounts: Informer<ServiceAccount>,
}

pub async fn run(ctx: Context) {
    let namespaces = ctx.informers.get::<Namespace>();
    let accounts = ctx.informers.get::<ServiceAccount>();
    let state = Arc::new(Ctx {
        client: ctx.client.clone(),
        accounts: accounts.clone(),
    });
    let store = namespaces.store();
    let by_account = |sa: ServiceAccount| {
        SERVICE_ACCOUNTS
            .contains(&sa.name_any().as_str())
            .then(|| ObjectRef::<Namespace>::new(&sa.namespace().unwrap_or_default()))
    };
    let trigger = ctx.shutdown.clone();
    let run = Controller::for_stream(namespaces.trigger_stream(), store.clone())
        .watches_stream(accounts.trigger_stream(), by_account)
        .graceful_shutdown_on(async move { trigger.cancelled().await })
        .run(reconcile, error_policy, state)
        .for_each(|_| async {});
    super::until_shutdown(run, ctx.informers.wait_synced(), ctx.shutdown.clone()).await;
}

fn error_policy(ns: Arc<Namespace>, err: &Error, _: Arc<Ctx>) -> Action {
    tracing::warn!(namespace = %ns.name_any(), error = %err, "serviceaccount sync failed; retrying");
    Action::requeue(Duration::from_secs(2))
}

pub(crate) fn is_active(ns: &Namespace) -> bool {
    ns.metadata.deletion_timestamp.is_none()
        && ns
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .unwrap_or("Active")
            == "Active"
}

async fn reconcile(ns: Arc<Namespace>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let namespace = ns.name_any();
    let span =
        tracing::info_span!("reconciling namespace serviceaccounts", "object.ref" = %namespace);
    let _enter = span.enter();
    if !is_active(&ns) {
        return Ok(Action::await_change());
    }
    let api: Api<ServiceAccount> = Api::namespaced(ctx.client.clone(), &namespace);
    for name in SERVICE_ACCOUNTS {
        if ctx.accounts.get(Some(&namespace), name).is_some() {
            continue;
        }
        let sa = ServiceAccount {
            metadata: ObjectMeta {
                name: Some((*name).to_owned()),
                namespace: Some(namespace.clone()),
                ..ObjectMeta::default()
            },
            ..ServiceAccount::default()
        };
        match api.create(&PostParams::default(), &sa).await {
            Ok(_) => tracing::debug!(%name, "created serviceaccount"),
            Err(kube::Error::Api(e)) if e.code == 409 => {}
            // The namespace is gone or going away.
            Err(kube::Error::Api(e)) if e.code == 404 || is_terminating(&e) => {}
            Err(source) => {
                return Err(Error::Create {
                    namespace: namespace.clone(),
                    name: (*name).to_owned(),
                    source,
                });
            }
        }
    }
    Ok(Action::await_change())
}

pub(crate) fn is_terminating(e: &kube::core::Status) -> bool {
    e.code == 403 && e.message.contains("because it is being terminated")
}
