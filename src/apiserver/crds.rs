//! Serving custom resources: after every change to CustomResourceDefinitions (and at start-up)
//! the registry is rebuilt from the stored CRDs, their status is set as upstream's naming and
//! establishing controllers would, and CRDs being deleted are emptied then released.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::State;
use super::error::ApiResult;
use super::storage::revision_of;
use crate::api::registry::{Registry, Resource};
use crate::api::{crd, meta};

/// The finalizer that makes the API server delete a CRD's objects before the CRD.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

fn crd_resource(state: &State) -> Arc<Resource> {
    state
        .registry()
        .get("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        .expect("CRDs are built in")
        .clone()
}

/// Rebuilds the served resources from the stored CRDs. Serialised: concurrent calls queue.
pub async fn refresh(state: &State) -> ApiResult<()> {
    let _guard = state.crd_refresh.lock().await;
    let crds_res = crd_resource(state);
    let crds = state
        .storage
        .list(&crds_res, None, 0, None, None)
        .await?
        .items;
    let mut registry = Registry::built_in();
    let mut schemas: HashMap<(String, String, String), Value> = HashMap::new();
    for mut crd_obj in crds {
        let name = meta::name(&crd_obj).to_owned();
        if meta::deletion_timestamp(&crd_obj).is_some() {
            cleanup(state, &crds_res, &crd_obj).await?;
            continue;
        }
        // Names already served by another group resource of the same group conflict.
        let group = crd_obj["spec"]["group"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let plural = crd_obj["spec"]["names"]["plural"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let kind = crd_obj["spec"]["names"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let conflicting = registry
            .iter()
            .find(|r| r.gvk.group == group && (r.plural == plural || r.gvk.kind == kind))
            .map(|r| {
                if r.plural == plural {
                    plural.clone()
                } else {
                    kind.clone()
                }
            });
        let status = crd::status(&crd_obj, conflicting.clone(), &meta::now());
        if crd_obj.get("status") != Some(&status) {
            let rev = revision_of(&crd_obj)?;
            crd_obj["status"] = status;
            match state
                .storage
                .update(&crds_res, None, &name, &crd_obj, rev)
                .await
            {
                Ok(updated) => crd_obj = updated,
                // Changed meanwhile: the writer of that change refreshes again.
                Err(e) if e.code == 409 => {}
                Err(e) => return Err(e),
            }
        }
        if conflicting.is_some() {
            continue;
        }
        match crd::resources(&crd_obj) {
            Ok(resources) => {
                for r in resources {
                    if let Some(schema) = r.crd_version.as_deref().and_then(crd::schema_of) {
                        schemas.insert(
                            (
                                r.gvk.group.clone(),
                                r.gvk.version.clone(),
                                r.gvk.kind.clone(),
                            ),
                            schema.clone(),
                        );
                    }
                    registry.insert(Arc::new(r));
                }
            }
            Err(err) => {
                tracing::warn!(crd = %name, error = %err, "not serving a CustomResourceDefinition")
            }
        }
    }
    state.set_registry(registry, &|g, v, k| {
        schemas
            .get(&(g.to_owned(), v.to_owned(), k.to_owned()))
            .cloned()
    });
    Ok(())
}

/// Deletes every object of a CRD being deleted, then its cleanup finalizer.
async fn cleanup(state: &State, crds_res: &Resource, crd_obj: &Value) -> ApiResult<()> {
    let name = meta::name(crd_obj).to_owned();
    if let Ok(resources) = crd::resources(crd_obj) {
        if let Some(r) = resources.first() {
            let backend = state.storage.backend();
            loop {
                let page = state.storage.list(r, None, 500, None, None).await?;
                if page.items.is_empty() {
                    break;
                }
                for obj in &page.items {
                    let key = r.key(meta::namespace(obj), meta::name(obj));
                    let _ = backend.delete(&key, None).await;
                }
            }
        }
    }
    let finalizers: Vec<String> = meta::finalizers(crd_obj)
        .into_iter()
        .filter(|f| f != CLEANUP_FINALIZER)
        .collect();
    let mut released = crd_obj.clone();
    meta::set_finalizers(&mut released, &finalizers);
    let rev = revision_of(crd_obj)?;
    let result = if finalizers.is_empty() {
        state
            .storage
            .delete(crds_res, None, &name, Some(rev))
            .await
            .map(|_| ())
    } else {
        state
            .storage
            .update(crds_res, None, &name, &released, rev)
            .await
            .map(|_| ())
    };
    match result {
        Ok(()) => {
            tracing::info!(crd = %name, "removed a CustomResourceDefinition and its objects");
            Ok(())
        }
        Err(e) if e.code == 409 || e.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

/// The schema of a custom resource's served version.
pub fn schema(res: &Resource) -> Option<&Value> {
    res.crd_version.as_deref().and_then(crd::schema_of)
}
