//! Shared informers: ONE watch and ONE cache per kind for every controller and the scheduler,
//! like upstream's shared informer factory.
//!
//! A reflector cache costs a few KiB per object, so caching Pods once per consumer would not fit
//! the memory budget. `Informers::get::<K>()` starts (once) a cluster-wide watcher for `K` that
//! keeps a kube-runtime [`Store`] and broadcasts every change, deletions included (kube-runtime's
//! own shared streams drop deletions, which owners such as the ReplicaSet controller need).
//!
//! Consumers either read the store, follow [`Informer::changes`], or hand
//! [`Informer::trigger_stream`] to a kube-runtime `Controller` (`for_stream`, `owns_stream`,
//! `watches_stream`). A consumer that subscribes late first receives every cached object, so the
//! order in which controllers start does not matter.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use futures::{Stream, StreamExt};
use kube::api::Api;
use kube::runtime::reflector::{ObjectRef, Store, store::Writer};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;

/// How many changes a consumer may fall behind before it is resynchronised from the cache.
const CHANGE_BUFFER: usize = 16 * 1024;

/// A change to one cached object.
#[derive(Debug)]
pub enum Change<K> {
    /// Created or updated (also: present at a (re)list).
    Applied(Arc<K>),
    /// Deleted; carries the last state seen.
    Deleted(Arc<K>),
}

impl<K> Clone for Change<K> {
    fn clone(&self) -> Self {
        match self {
            Change::Applied(o) => Change::Applied(o.clone()),
            Change::Deleted(o) => Change::Deleted(o.clone()),
        }
    }
}

impl<K> Change<K> {
    pub fn object(&self) -> &Arc<K> {
        match self {
            Change::Applied(o) | Change::Deleted(o) => o,
        }
    }
}

/// A kind that can be shared through [`Informers`].
pub trait Kind:
    Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
}
impl<K> Kind for K where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
}

/// The shared cache and change feed of one kind.
pub struct Informer<K: Kind> {
    store: Store<K>,
    changes: broadcast::Sender<Change<K>>,
}

impl<K: Kind> Clone for Informer<K> {
    fn clone(&self) -> Self {
        Informer {
            store: self.store.clone(),
            changes: self.changes.clone(),
        }
    }
}

impl<K: Kind> Informer<K> {
    /// The cache: every object of the kind, cluster-wide. Empty until the first list completes
    /// (`Informers::wait_synced`).
    pub fn store(&self) -> Store<K> {
        self.store.clone()
    }

    /// Every change from now on, preceded by every object already cached (as `Applied`).
    /// A consumer that falls too far behind receives the whole cache again rather than a gap.
    pub fn changes(&self) -> impl Stream<Item = Change<K>> + Send + 'static {
        let rx = self.changes.subscribe();
        let store = self.store.clone();
        let initial: Vec<Change<K>> = store.state().into_iter().map(Change::Applied).collect();
        let live = futures::stream::unfold((rx, store), |(mut rx, store)| async move {
            match rx.recv().await {
                Ok(change) => Some((vec![change], (rx, store))),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(
                        kind = %K::kind(&()),
                        missed,
                        "informer consumer fell behind; resynchronising from the cache"
                    );
                    let all = store.state().into_iter().map(Change::Applied).collect();
                    Some((all, (rx, store)))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        })
        .flat_map(futures::stream::iter);
        futures::stream::iter(initial).chain(live)
    }

    /// The changed objects (applied or deleted) in the form kube-runtime's `Controller`
    /// `for_stream` / `owns_stream` / `watches_stream` take.
    pub fn trigger_stream(&self) -> impl Stream<Item = Result<K, watcher::Error>> + Send + 'static {
        self.changes().map(|change| Ok(K::clone(change.object())))
    }

    /// Looks up one object in the cache.
    pub fn get(&self, namespace: Option<&str>, name: &str) -> Option<Arc<K>> {
        let mut key = ObjectRef::<K>::new(name);
        if let Some(ns) = namespace {
            key = key.within(ns);
        }
        self.store.get(&key)
    }
}

/// The set of shared informers of one server; cheap to clone.
#[derive(Clone)]
pub struct Informers {
    client: Client,
    shutdown: CancellationToken,
    started: Arc<Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
    /// One flag per informer, true once its first list is in the cache.
    synced: Arc<Mutex<Vec<watch::Receiver<bool>>>>,
}

impl Informers {
    /// Informers stop watching when `shutdown` is cancelled.
    pub fn new(client: Client, shutdown: CancellationToken) -> Self {
        Informers {
            client,
            shutdown,
            started: Arc::default(),
            synced: Arc::default(),
        }
    }

    /// Resolves once every informer started so far has its first list in the cache (client-go's
    /// `WaitForCacheSync`). A consumer takes its informers first, then waits here before it
    /// acts on their caches.
    ///
    /// Consumers must wait here rather than on `Store::wait_until_ready`: kube-runtime's store
    /// readiness wakes only the task that polled it last, so tasks sharing one store there can
    /// sleep forever.
    pub fn wait_synced(&self) -> impl Future<Output = ()> + Send + 'static {
        let flags = self.synced.lock().expect("informers lock poisoned").clone();
        async move {
            for mut flag in flags {
                // An error means the informer stopped (shutdown): nothing left to wait for.
                let _ = flag.wait_for(|synced| *synced).await;
            }
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The informer of kind `K`, starting its watch on first use.
    pub fn get<K: Kind>(&self) -> Informer<K> {
        let mut started = self.started.lock().expect("informers lock poisoned");
        if let Some(existing) = started.get(&TypeId::of::<K>()) {
            return existing
                .downcast_ref::<Informer<K>>()
                .expect("informer registered under its own type")
                .clone();
        }
        let writer = Writer::<K>::default();
        let (changes, _) = broadcast::channel(CHANGE_BUFFER);
        let (synced_tx, synced_rx) = watch::channel(false);
        self.synced
            .lock()
            .expect("informers lock poisoned")
            .push(synced_rx);
        let informer = Informer {
            store: writer.as_reader(),
            changes: changes.clone(),
        };
        started.insert(TypeId::of::<K>(), Box::new(informer.clone()));
        let api: Api<K> = Api::all(self.client.clone());
        let shutdown = self.shutdown.clone();
        let kind = K::kind(&()).to_string();
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = feed(api, writer, changes, synced_tx) => {}
            }
            tracing::debug!(%kind, "informer stopped");
        });
        informer
    }
}

/// Drops what no consumer reads before an object is cached: `managedFields`, which were more
/// than half of a cached Pod's memory (upstream's scheduler and controller manager strip them
/// with an informer transform too).
fn strip<K: Kind>(event: &mut watcher::Event<K>) {
    match event {
        watcher::Event::Apply(obj)
        | watcher::Event::InitApply(obj)
        | watcher::Event::Delete(obj) => {
            obj.meta_mut().managed_fields = None;
        }
        watcher::Event::Init | watcher::Event::InitDone => {}
    }
}

/// Runs the watch of one kind: keeps the cache and publishes changes, forever (the watcher
/// retries with backoff and relists after a `410 Gone`).
async fn feed<K: Kind>(
    api: Api<K>,
    mut writer: Writer<K>,
    changes: broadcast::Sender<Change<K>>,
    synced: watch::Sender<bool>,
) {
    let mut events = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
    // The cache as it was when a relist began, to announce objects that vanished meanwhile.
    let mut before_relist: Option<HashMap<ObjectRef<K>, Arc<K>>> = None;
    while let Some(event) = events.next().await {
        let mut event = match event {
            Ok(event) => event,
            Err(err) => {
                tracing::debug!(kind = %K::kind(&()), error = %err, "informer watch failed; retrying");
                continue;
            }
        };
        strip(&mut event);
        if let watcher::Event::Init = event {
            before_relist = Some(
                writer
                    .as_reader()
                    .state()
                    .into_iter()
                    .map(|o| (ObjectRef::from_obj(o.as_ref()), o))
                    .collect(),
            );
        }
        let deleted = match &event {
            watcher::Event::Delete(obj) => Some(Arc::new(obj.clone())),
            _ => None,
        };
        writer.apply_watcher_event(&event);
        // `send` fails only when nobody listens, which is fine.
        match event {
            watcher::Event::Apply(obj) => {
                let cached = writer
                    .as_reader()
                    .get(&ObjectRef::from_obj(&obj))
                    .unwrap_or_else(|| Arc::new(obj));
                let _ = changes.send(Change::Applied(cached));
            }
            watcher::Event::Delete(_) => {
                if let Some(obj) = deleted {
                    let _ = changes.send(Change::Deleted(obj));
                }
            }
            watcher::Event::InitDone => {
                synced.send_replace(true);
                let now = writer.as_reader().state();
                if let Some(mut before) = before_relist.take() {
                    for obj in &now {
                        before.remove(&ObjectRef::from_obj(obj.as_ref()));
                    }
                    for (_, gone) in before {
                        let _ = changes.send(Change::Deleted(gone));
                    }
                }
                for obj in now {
                    let _ = changes.send(Change::Applied(obj));
                }
            }
            watcher::Event::Init | watcher::Event::InitApply(_) => {}
        }
    }
}
