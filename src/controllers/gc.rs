//! The garbage collector: deletes objects whose owners are gone, and carries out the `orphan` and
//! `foregroundDeletion` finalizers (upstream's GarbageCollector, much condensed).
//!
//! It watches the metadata of every deletable resource and keeps a graph of owner → dependents by
//! UID. Work is level-triggered: a UID is queued whenever something about it or its owners or
//! dependents changes, and the worker decides from the current graph, confirming with the API
//! before deleting anything.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, DeleteParams, DynamicObject, PartialObjectMeta, PropagationPolicy};
use kube::runtime::watcher::{self, Event};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::discovery::{Resources, Served};

/// Resources the collector ignores (upstream ignores events: they are many and never owners).
const IGNORED: &[(&str, &str)] = &[("", "events"), ("events.k8s.io", "events")];

#[derive(Clone, Debug)]
struct Node {
    served: Served,
    namespace: Option<String>,
    name: String,
    owners: Vec<OwnerReference>,
    deleting: bool,
    finalizers: Vec<String>,
}

#[derive(Default)]
struct Graph {
    nodes: HashMap<String, Node>,
    dependents: HashMap<String, HashSet<String>>,
    /// Resource types whose initial list is complete.
    synced: HashSet<String>,
    expected: usize,
}

impl Graph {
    fn is_synced(&self) -> bool {
        self.expected > 0 && self.synced.len() >= self.expected
    }

    fn upsert(&mut self, uid: String, node: Node) -> Vec<String> {
        let mut touched = vec![uid.clone()];
        if let Some(old) = self.nodes.remove(&uid) {
            for o in &old.owners {
                if let Some(d) = self.dependents.get_mut(&o.uid) {
                    d.remove(&uid);
                }
            }
        }
        for o in &node.owners {
            self.dependents
                .entry(o.uid.clone())
                .or_default()
                .insert(uid.clone());
            touched.push(o.uid.clone());
        }
        if node.deleting {
            touched.extend(self.dependents.get(&uid).into_iter().flatten().cloned());
        }
        self.nodes.insert(uid, node);
        touched
    }

    fn remove(&mut self, uid: &str) -> Vec<String> {
        let mut touched = Vec::new();
        if let Some(old) = self.nodes.remove(uid) {
            for o in &old.owners {
                if let Some(d) = self.dependents.get_mut(&o.uid) {
                    d.remove(uid);
                }
                touched.push(o.uid.clone());
            }
        }
        touched.extend(self.dependents.get(uid).into_iter().flatten().cloned());
        touched
    }
}

struct Gc {
    client: Client,
    resources: Arc<Resources>,
    graph: Mutex<Graph>,
    queue: mpsc::UnboundedSender<String>,
}

pub async fn run(client: Client, resources: Arc<Resources>, shutdown: CancellationToken) {
    let served = loop {
        match resources.all().await {
            Ok(all) => break all,
            Err(err) => {
                tracing::warn!(error = %err, "garbage collector: discovery failed; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
            }
        }
    };
    let watched: Vec<Served> = served
        .into_iter()
        .filter(|s| s.supports("list") && s.supports("watch") && s.supports("delete"))
        .filter(|s| !IGNORED.contains(&(s.resource.group.as_str(), s.resource.plural.as_str())))
        .collect();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let gc = Arc::new(Gc {
        client: client.clone(),
        resources,
        graph: Mutex::new(Graph {
            expected: watched.len(),
            ..Graph::default()
        }),
        queue: tx,
    });
    let mut tasks = Vec::new();
    for served in watched {
        tasks.push(tokio::spawn(watch(gc.clone(), served, shutdown.clone())));
    }
    let span = tracing::info_span!("garbage-collector");
    loop {
        let uid = tokio::select! {
            _ = shutdown.cancelled() => break,
            next = rx.recv() => match next { Some(u) => u, None => break },
        };
        if !gc.graph.lock().expect("graph lock poisoned").is_synced() {
            continue;
        }
        let result = {
            let _e = span.enter();
            gc.process(&uid).await
        };
        if let Err(err) = result {
            tracing::debug!(parent: &span, %uid, error = %err, "will retry");
            let gc = gc.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let _ = gc.queue.send(uid);
            });
        }
    }
    for t in tasks {
        t.abort();
    }
}

async fn watch(gc: Arc<Gc>, served: Served, shutdown: CancellationToken) {
    let api: Api<PartialObjectMeta<DynamicObject>> =
        Api::all_with(gc.client.clone(), &served.resource);
    let key = format!("{}/{}", served.resource.group, served.resource.plural);
    let mut stream = watcher::watcher(api, watcher::Config::default()).boxed();
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => return,
            e = stream.next() => match e { Some(e) => e, None => return },
        };
        match event {
            Ok(Event::Apply(obj)) | Ok(Event::InitApply(obj)) => {
                let uid = obj.uid().unwrap_or_default();
                let node = Node {
                    served: served.clone(),
                    namespace: obj.namespace(),
                    name: obj.name_any(),
                    owners: obj.owner_references().to_vec(),
                    deleting: obj.metadata.deletion_timestamp.is_some(),
                    finalizers: obj.finalizers().to_vec(),
                };
                let touched = gc
                    .graph
                    .lock()
                    .expect("graph lock poisoned")
                    .upsert(uid, node);
                for t in touched {
                    let _ = gc.queue.send(t);
                }
            }
            Ok(Event::Delete(obj)) => {
                let uid = obj.uid().unwrap_or_default();
                let touched = gc.graph.lock().expect("graph lock poisoned").remove(&uid);
                for t in touched {
                    let _ = gc.queue.send(t);
                }
            }
            Ok(Event::InitDone) => {
                let became_synced = {
                    let mut g = gc.graph.lock().expect("graph lock poisoned");
                    let before = g.is_synced();
                    g.synced.insert(key.clone());
                    !before && g.is_synced()
                };
                if became_synced {
                    tracing::info!("garbage collector synced");
                    let all: Vec<String> = gc
                        .graph
                        .lock()
                        .expect("graph lock poisoned")
                        .nodes
                        .keys()
                        .cloned()
                        .collect();
                    for uid in all {
                        let _ = gc.queue.send(uid);
                    }
                }
            }
            Ok(Event::Init) => {}
            Err(err) => {
                tracing::debug!(resource = %key, error = %err, "watch error; restarting");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

impl Gc {
    fn api(&self, served: &Served, namespace: Option<&str>) -> Api<DynamicObject> {
        match (served.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, &served.resource),
            _ => Api::all_with(self.client.clone(), &served.resource),
        }
    }

    async fn process(&self, uid: &str) -> Result<(), kube::Error> {
        let Some(node) = self
            .graph
            .lock()
            .expect("graph lock poisoned")
            .nodes
            .get(uid)
            .cloned()
        else {
            return Ok(());
        };
        if node.deleting && node.finalizers.iter().any(|f| f == "orphan") {
            self.orphan_dependents(uid, &node).await?;
        }
        if node.deleting && node.finalizers.iter().any(|f| f == "foregroundDeletion") {
            self.delete_dependents(uid, &node).await?;
        }
        if !node.owners.is_empty() {
            self.check_owners(uid, &node).await?;
        }
        Ok(())
    }

    fn dependents_of(&self, uid: &str) -> Vec<(String, Node)> {
        let g = self.graph.lock().expect("graph lock poisoned");
        g.dependents
            .get(uid)
            .into_iter()
            .flatten()
            .filter_map(|d| g.nodes.get(d).map(|n| (d.clone(), n.clone())))
            .collect()
    }

    /// Removes the owner reference to `uid` from every dependent, then the `orphan` finalizer.
    async fn orphan_dependents(&self, uid: &str, node: &Node) -> Result<(), kube::Error> {
        for (dep_uid, dep) in self.dependents_of(uid) {
            let refs: Vec<&OwnerReference> = dep.owners.iter().filter(|o| o.uid != uid).collect();
            self.json_patch(&dep, &dep_uid, "/metadata/ownerReferences", json!(refs))
                .await?;
        }
        self.remove_finalizer(uid, node, "orphan").await
    }

    /// Deletes the dependents of an owner deleted in the foreground; removes its finalizer once no
    /// blocking dependent is left.
    async fn delete_dependents(&self, uid: &str, node: &Node) -> Result<(), kube::Error> {
        let dependents = self.dependents_of(uid);
        let mut blocking = 0;
        for (dep_uid, dep) in &dependents {
            let blocks = dep
                .owners
                .iter()
                .any(|o| o.uid == uid && o.block_owner_deletion == Some(true));
            if blocks {
                blocking += 1;
            }
            if !dep.deleting {
                self.delete(dep_uid, dep, PropagationPolicy::Foreground)
                    .await?;
            }
        }
        if blocking == 0 {
            self.remove_finalizer(uid, node, "foregroundDeletion")
                .await?;
        }
        Ok(())
    }

    /// Deletes an object whose owners are all gone; drops references to owners that are gone when
    /// others remain; deletes in the foreground when a blocking owner waits for it.
    async fn check_owners(&self, uid: &str, node: &Node) -> Result<(), kube::Error> {
        let mut dangling = Vec::new();
        let mut waiting_owner = false;
        for owner in &node.owners {
            let known = self
                .graph
                .lock()
                .expect("graph lock poisoned")
                .nodes
                .get(&owner.uid)
                .cloned();
            match known {
                Some(o) => {
                    if o.deleting
                        && o.finalizers.iter().any(|f| f == "foregroundDeletion")
                        && owner.block_owner_deletion == Some(true)
                    {
                        waiting_owner = true;
                    }
                }
                None => {
                    if !self.owner_exists(node, owner).await? {
                        dangling.push(owner.uid.clone());
                    }
                }
            }
        }
        if !dangling.is_empty() && dangling.len() == node.owners.len() {
            if !node.deleting {
                tracing::info!(resource = %node.served.resource.plural, name = %node.name, "deleting an object whose owners are gone");
                self.delete(uid, node, PropagationPolicy::Background)
                    .await?;
            }
        } else if !dangling.is_empty() {
            let refs: Vec<&OwnerReference> = node
                .owners
                .iter()
                .filter(|o| !dangling.contains(&o.uid))
                .collect();
            self.json_patch(node, uid, "/metadata/ownerReferences", json!(refs))
                .await?;
        } else if waiting_owner && !node.deleting {
            self.delete(uid, node, PropagationPolicy::Foreground)
                .await?;
        }
        Ok(())
    }

    /// Asks the API whether an owner exists (the graph may lag).
    async fn owner_exists(&self, node: &Node, owner: &OwnerReference) -> Result<bool, kube::Error> {
        let Some(served) = self
            .resources
            .by_kind(&owner.api_version, &owner.kind)
            .await?
        else {
            // An unknown kind cannot be verified: keep the dependent, as upstream does.
            return Ok(true);
        };
        let ns = if served.namespaced {
            node.namespace.as_deref()
        } else {
            None
        };
        match self.api(&served, ns).get_metadata_opt(&owner.name).await? {
            Some(obj) => Ok(obj.uid().as_deref() == Some(owner.uid.as_str())),
            None => Ok(false),
        }
    }

    async fn delete(
        &self,
        uid: &str,
        node: &Node,
        policy: PropagationPolicy,
    ) -> Result<(), kube::Error> {
        let params = DeleteParams {
            propagation_policy: Some(policy),
            preconditions: Some(kube::api::Preconditions {
                uid: Some(uid.to_owned()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match self
            .api(&node.served, node.namespace.as_deref())
            .delete(&node.name, &params)
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn remove_finalizer(
        &self,
        uid: &str,
        node: &Node,
        finalizer: &str,
    ) -> Result<(), kube::Error> {
        let remaining: Vec<&String> = node.finalizers.iter().filter(|f| *f != finalizer).collect();
        self.json_patch(node, uid, "/metadata/finalizers", json!(remaining))
            .await
    }

    /// A JSON patch replacing one metadata field, guarded by the object's UID.
    async fn json_patch(
        &self,
        node: &Node,
        uid: &str,
        path: &str,
        value: Value,
    ) -> Result<(), kube::Error> {
        let patch = json!([
            {"op": "test", "path": "/metadata/uid", "value": uid},
            {"op": "add", "path": path, "value": value},
        ]);
        let ar = &node.served.resource;
        let prefix = if ar.group.is_empty() {
            "/api".to_owned()
        } else {
            format!("/apis/{}", ar.group)
        };
        let ns = match (&node.served.namespaced, &node.namespace) {
            (true, Some(ns)) => format!("/namespaces/{ns}"),
            _ => String::new(),
        };
        let url = format!("{prefix}/{}{ns}/{}/{}", ar.version, ar.plural, node.name);
        let req = http::Request::patch(url)
            .header(http::header::CONTENT_TYPE, "application/json-patch+json")
            .body(serde_json::to_vec(&patch).expect("JSON values serialise"))
            .expect("a valid request");
        match self.client.request::<Value>(req).await {
            Ok(_) => Ok(()),
            // Gone, recreated (test failed) or changed: the next event brings the new state.
            Err(kube::Error::Api(e)) if matches!(e.code, 404 | 409 | 422) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
