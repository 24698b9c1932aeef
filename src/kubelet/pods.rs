//! The node's pods: one watch of the pods bound to this node, one [`worker`] task per pod
//! (by uid) fed the pod's latest state. A pod that disappears from the API closes its worker's
//! channel; runtime state left by pods that are gone (a previous run's shims and directories)
//! is removed once the first list is in.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{Kubelet, worker};
use crate::runtime::shim::client::Shim;

/// Watches the node's pods and runs their workers until `shutdown`.
pub async fn run(k: Arc<Kubelet>, shutdown: CancellationToken) {
    let api: Api<Pod> = Api::all(k.client.clone());
    let config =
        watcher::Config::default().fields(&format!("spec.nodeName={}", k.config.node_name));
    let mut events = std::pin::pin!(watcher(api, config).default_backoff());
    let mut workers: HashMap<String, watch::Sender<Arc<Pod>>> = HashMap::new();
    let mut running = JoinSet::new();
    let mut relist: Vec<Pod> = Vec::new();
    let mut cleaned = false;
    loop {
        let event = tokio::select! {
            _ = shutdown.cancelled() => break,
            e = events.next() => match e {
                Some(e) => e,
                None => break,
            },
        };
        while running.try_join_next().is_some() {}
        let event = match event {
            Ok(e) => e,
            Err(error) => {
                tracing::debug!(error = %error, "pod watch failed; retrying");
                continue;
            }
        };
        match event {
            watcher::Event::Init => relist.clear(),
            watcher::Event::InitApply(pod) => relist.push(pod),
            watcher::Event::InitDone => {
                let seen: HashSet<String> = relist.iter().filter_map(|p| p.uid()).collect();
                workers.retain(|uid, _| seen.contains(uid));
                if !cleaned {
                    cleaned = true;
                    remove_leftovers(&k, &seen).await;
                }
                for pod in relist.drain(..) {
                    dispatch(&k, &mut workers, &mut running, pod, &shutdown);
                }
            }
            watcher::Event::Apply(pod) => dispatch(&k, &mut workers, &mut running, pod, &shutdown),
            watcher::Event::Delete(pod) => {
                if let Some(uid) = pod.uid() {
                    workers.remove(&uid);
                }
            }
        }
    }
    drop(workers);
    // Workers return at once on shutdown, leaving their containers to their shims.
    while running.join_next().await.is_some() {}
}

fn dispatch(
    k: &Arc<Kubelet>,
    workers: &mut HashMap<String, watch::Sender<Arc<Pod>>>,
    running: &mut JoinSet<()>,
    pod: Pod,
    shutdown: &CancellationToken,
) {
    let Some(uid) = pod.uid() else { return };
    let pod = Arc::new(pod);
    if let Some(tx) = workers.get(&uid)
        && !tx.is_closed()
    {
        tx.send_replace(pod);
        return;
    }
    // A pod that finished before this kubelet saw it needs no worker.
    let (tx, rx) = watch::channel(pod.clone());
    workers.insert(uid, tx);
    let span = tracing::info_span!(
        "pod",
        pod = %format!("{}/{}", pod.namespace().unwrap_or_default(), pod.name_any()),
    );
    running.spawn(worker::run(k.clone(), rx, shutdown.clone()).instrument(span));
}

/// Shims and pod directories of pods that no longer exist: stopped and removed.
async fn remove_leftovers(k: &Arc<Kubelet>, live: &HashSet<String>) {
    let shims = crate::runtime::shims_dir(&k.config.run_root);
    let pods = k.config.pods_dir();
    let mut gone: HashSet<String> = HashSet::new();
    for dir in [&shims, &pods] {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for e in entries.flatten() {
                let uid = e.file_name().to_string_lossy().into_owned();
                if !live.contains(&uid) {
                    gone.insert(uid);
                }
            }
        }
    }
    for uid in gone {
        tracing::info!(uid = %uid, "removing the runtime state of a pod that is gone");
        let shim = Shim::at(shims.join(&uid));
        if shim.list().await.is_ok() {
            let _ = shim.shutdown().await;
        }
        let run_root = k.config.run_root.clone();
        let pod_dir = pods.join(&uid);
        let shim_dir = shims.join(&uid);
        let result = tokio::task::spawn_blocking(move || {
            remove_pod_state(&run_root, &pod_dir, &shim_dir, &uid)
        })
        .await
        .expect("cleanup panicked");
        if let Err(error) = result {
            tracing::warn!(error = %error, "cannot remove a pod's runtime state");
        }
    }
}

/// Removes a pod's containers' root filesystems (under `containers`), its sandbox and its
/// shim's directory. Blocking.
pub(super) fn remove_runtime_dirs(
    containers: &Path,
    sandbox: &Path,
    shim_dir: &Path,
) -> Result<(), String> {
    if let Ok(entries) = std::fs::read_dir(containers) {
        for e in entries.flatten() {
            crate::runtime::rootfs::remove(&e.path()).map_err(|e| e.to_string())?;
        }
    }
    if sandbox.exists() {
        crate::runtime::sandbox::remove(sandbox).map_err(|e| e.to_string())?;
    }
    match std::fs::remove_dir_all(shim_dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", shim_dir.display())),
    }
}

/// Everything a pod left on the node, its logs included. Blocking.
fn remove_pod_state(
    run_root: &Path,
    pod_dir: &Path,
    shim_dir: &Path,
    uid: &str,
) -> Result<(), String> {
    let sandbox = crate::runtime::sandbox_dir(run_root, uid);
    remove_runtime_dirs(&pod_dir.join("containers"), &sandbox, shim_dir)?;
    match std::fs::remove_dir_all(pod_dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", pod_dir.display())),
    }
}
