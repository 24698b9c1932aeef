//! ControllerRevisions: the template history StatefulSets and DaemonSets keep, as upstream's
//! `controller/history` package does (`kubectl rollout history/undo` read and apply them).

use k8s_openapi::api::apps::v1::ControllerRevision;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::reflector::Store;
use kube::{Client, Resource, ResourceExt};
use serde_json::{Value, json};

use super::podutil;

/// The label carrying a revision's hash, on revisions and on the pods made from them.
pub const REVISION_HASH_LABEL: &str = "controller-revision-hash";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot create controller revision {name}")]
    Create {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot update controller revision {name}")]
    Update {
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot delete controller revision {name}")]
    Delete {
        name: String,
        #[source]
        source: kube::Error,
    },
}

/// Upstream's `getPatch`: the template as a strategic-merge patch that replaces it.
pub fn template_patch(template: &Value) -> Value {
    let mut template = template.clone();
    if let Some(t) = template.as_object_mut() {
        t.insert("$patch".into(), json!("replace"));
    }
    json!({"spec": {"template": template}})
}

/// `HashControllerRevision`: FNV-32a of the revision data (and the collision count when
/// non-zero), safely encoded.
pub fn hash(data: &Value, collision_count: i32) -> String {
    let mut bytes = serde_json::to_vec(data).expect("JSON values serialise");
    if collision_count != 0 {
        bytes.extend_from_slice(&collision_count.to_le_bytes());
    }
    podutil::safe_encode(&podutil::fnv32a(&bytes).to_string())
}

/// The revisions controlled by `uid` in `namespace`, oldest first.
pub fn owned(
    store: &Store<ControllerRevision>,
    namespace: &str,
    uid: &str,
) -> Vec<ControllerRevision> {
    let mut revs: Vec<ControllerRevision> = store
        .state()
        .into_iter()
        .filter(|r| {
            r.namespace().as_deref() == Some(namespace)
                && podutil::is_controlled_by(&r.metadata, uid)
        })
        .map(|r| ControllerRevision::clone(&r))
        .collect();
    revs.sort_by_key(|r| {
        (
            r.revision,
            r.metadata.creation_timestamp.as_ref().map(|t| t.0),
        )
    });
    revs
}

fn data_of(rev: &ControllerRevision) -> Value {
    rev.data
        .as_ref()
        .map(|d| serde_json::to_value(d).expect("raw extension serialises"))
        .unwrap_or(Value::Null)
}

/// Finds or creates the revision holding `data` for `owner` (`history.CreateControllerRevision`
/// plus the StatefulSet/DaemonSet rules): an equal existing revision is reused, renumbered to the
/// newest if it is not; a name collision with different data bumps `collision_count`.
/// Returns the revision and the collision count to record in the owner's status.
pub async fn ensure<K>(
    client: &Client,
    owner: &K,
    revisions: &[ControllerRevision],
    data: Value,
    selector_labels: std::collections::BTreeMap<String, String>,
    mut collision_count: i32,
) -> Result<(ControllerRevision, i32), Error>
where
    K: Resource<DynamicType = ()>,
{
    let namespace = owner.meta().namespace.clone().unwrap_or_default();
    let api: Api<ControllerRevision> = Api::namespaced(client.clone(), &namespace);
    let max = revisions.iter().map(|r| r.revision).max().unwrap_or(0);
    if let Some(equal) = revisions.iter().rev().find(|r| data_of(r) == data) {
        if equal.revision == max {
            return Ok((equal.clone(), collision_count));
        }
        // A rollback to an older template: it becomes the newest revision again.
        let name = equal.name_any();
        let patch = json!({"revision": max + 1});
        let updated = api
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|source| Error::Update { name, source })?;
        return Ok((updated, collision_count));
    }
    let owner_name = owner.meta().name.clone().unwrap_or_default();
    loop {
        let h = hash(&data, collision_count);
        let name = format!("{owner_name}-{h}");
        let mut labels = selector_labels.clone();
        labels.insert(REVISION_HASH_LABEL.to_string(), h.clone());
        let rev = ControllerRevision {
            metadata: kube::api::ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace.clone()),
                labels: Some(labels),
                owner_references: Some(vec![podutil::controller_ref(owner)]),
                ..Default::default()
            },
            data: Some(k8s_openapi::apimachinery::pkg::runtime::RawExtension(
                data.clone(),
            )),
            revision: max + 1,
        };
        match api.create(&PostParams::default(), &rev).await {
            Ok(created) => return Ok((created, collision_count)),
            Err(err) if podutil::is_conflict(&err) => {
                let existing = api.get(&name).await.map_err(|source| Error::Create {
                    name: name.clone(),
                    source,
                })?;
                if data_of(&existing) == data
                    && podutil::is_controlled_by(
                        &existing.metadata,
                        owner.meta().uid.as_deref().unwrap_or_default(),
                    )
                {
                    return Ok((existing, collision_count));
                }
                collision_count += 1;
            }
            Err(source) => return Err(Error::Create { name, source }),
        }
    }
}

/// Deletes the oldest revisions beyond `limit` that no live pod uses (`truncateHistory`).
pub async fn truncate(
    client: &Client,
    namespace: &str,
    revisions: &[ControllerRevision],
    live: &std::collections::HashSet<String>,
    limit: i32,
) -> Result<(), Error> {
    let api: Api<ControllerRevision> = Api::namespaced(client.clone(), namespace);
    let unused: Vec<&ControllerRevision> = revisions
        .iter()
        .filter(|r| !live.contains(&r.name_any()))
        .collect();
    let excess = unused
        .len()
        .saturating_sub(usize::try_from(limit.max(0)).unwrap_or(0));
    for rev in unused.into_iter().take(excess) {
        let name = rev.name_any();
        match api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(e) if podutil::is_not_found(&e) => {}
            Err(source) => return Err(Error::Delete { name, source }),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_depend_on_data_and_collisions() {
        let a = template_patch(&json!({"spec": {"containers": [{"name": "c", "image": "a"}]}}));
        let b = template_patch(&json!({"spec": {"containers": [{"name": "c", "image": "b"}]}}));
        assert_eq!(a["spec"]["template"]["$patch"], "replace");
        assert_eq!(hash(&a, 0), hash(&a, 0));
        assert_ne!(hash(&a, 0), hash(&b, 0));
        assert_ne!(hash(&a, 0), hash(&a, 1));
        assert!(
            hash(&a, 0)
                .chars()
                .all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c))
        );
    }
}
