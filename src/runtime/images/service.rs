//! A node's images as one thing: the named images and their blobs, the unpacked layers, and
//! the registries to pull from. Layout under the image-store directory: `content/`,
//! `images.json`, `layers/`.

use std::collections::BTreeSet;
use std::fs;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::content::ContentError;
use super::digest::Digest;
use super::layers::{LayerError, LayerStore};
use super::pull::{self, Progress, PullError, Pulled};
use super::reference::Reference;
use super::registry::{Credentials, Registries};
use super::store::{ImageStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ImagesError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error(transparent)]
    Layers(#[from] LayerError),
    #[error("cannot lock {}", path.display())]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What a prune removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub blobs: Vec<Digest>,
    pub layers: Vec<Digest>,
    /// Bytes of blobs removed (unpacked layers not counted).
    pub bytes: u64,
}

pub struct Images {
    store: Arc<ImageStore>,
    layers: LayerStore,
    registries: Registries,
    root: PathBuf,
}

impl Images {
    /// Opens (creating) the node's images under `dir`. Blocking.
    pub fn open(dir: &Path, registries: Registries) -> Result<Images, ImagesError> {
        let store = Arc::new(ImageStore::open(dir)?);
        let layers = LayerStore::open(dir.join("layers"))?;
        Ok(Images {
            store,
            layers,
            registries,
            root: dir.to_owned(),
        })
    }

    pub fn store(&self) -> &Arc<ImageStore> {
        &self.store
    }

    pub fn layers(&self) -> &LayerStore {
        &self.layers
    }

    pub fn registries(&self) -> &Registries {
        &self.registries
    }

    /// Pulls `reference`; while it runs, prunes (in any process) wait, so nothing the pull has
    /// stored but not yet named is taken as garbage.
    pub async fn pull(
        &self,
        reference: &Reference,
        creds: Option<&Credentials>,
        progress: Progress,
    ) -> Result<Pulled, PullError> {
        let lock_path = self.root.join("gc.lock");
        let lock = tokio::task::spawn_blocking(move || lock_file(&lock_path, libc::LOCK_SH))
            .await
            .map_err(|e| PullError::Writer(e.to_string()))?
            .map_err(|e| PullError::Writer(e.to_string()))?;
        let result = pull::pull(&self.registries, &self.store, reference, creds, progress).await;
        drop(lock);
        result
    }

    /// Removes every blob and unpacked layer no named image needs, except those of the
    /// manifests in `in_use` (images of running containers whose name was removed). Waits for
    /// pulls in progress. Blocking.
    pub fn prune(&self, in_use: &BTreeSet<Digest>) -> Result<Pruned, ImagesError> {
        let _lock = lock_file(&self.root.join("gc.lock"), libc::LOCK_EX)?;
        let mut manifests: BTreeSet<Digest> = in_use.clone();
        for record in self.store.list()?.values() {
            if let Ok(d) = record.manifest.parse() {
                manifests.insert(d);
            }
        }
        let mut keep_blobs = BTreeSet::new();
        let mut keep_layers = BTreeSet::new();
        for digest in &manifests {
            let Ok(manifest) = self.store.manifest(digest) else {
                continue;
            };
            keep_blobs.insert(digest.clone());
            for d in std::iter::once(&manifest.config).chain(&manifest.layers) {
                if let Ok(d) = d.digest("blob") {
                    keep_blobs.insert(d);
                }
            }
            if let Ok(config) = manifest.config.digest("image config")
                && let Ok(bytes) = self.store.content().read(&config)
                && let Ok(cfg) = super::oci::ImageConfig::parse(&bytes)
                && let Ok(diff_ids) = super::layers::diff_ids(&cfg)
            {
                keep_layers.extend(super::layers::chain_ids(&diff_ids));
            }
        }
        let mut pruned = Pruned::default();
        for blob in self.store.content().list()? {
            if keep_blobs.contains(&blob) {
                continue;
            }
            pruned.bytes += fs::metadata(self.store.content().path(&blob))
                .map(|m| m.len())
                .unwrap_or(0);
            self.store.content().remove(&blob)?;
            pruned.blobs.push(blob);
        }
        pruned.layers = self.layers.retain(&keep_layers)?;
        Ok(pruned)
    }
}

fn lock_file(path: &Path, mode: libc::c_int) -> Result<fs::File, ImagesError> {
    let err = |source| ImagesError::Lock {
        path: path.to_owned(),
        source,
    };
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(err)?;
    // SAFETY: an open descriptor for the duration of the call; the lock goes with the file.
    while unsafe { libc::flock(file.as_raw_fd(), mode) } != 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(err(e));
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::images::registry::RegistriesConfig;
    use crate::runtime::images::testutil::{put_image, tar_of};

    #[test]
    fn prune_keeps_what_named_and_running_images_need() {
        let dir = tempfile::tempdir().unwrap();
        let images =
            Images::open(dir.path(), Registries::new(RegistriesConfig::default())).unwrap();
        let base = tar_of(&[("base", b"b")]);
        let one = put_image(
            images.store(),
            "example.com/one:1",
            &[base.clone(), tar_of(&[("one", b"1")])],
        );
        let two = put_image(
            images.store(),
            "example.com/two:1",
            &[base, tar_of(&[("two", b"2")])],
        );
        let three = put_image(
            images.store(),
            "example.com/three:1",
            &[tar_of(&[("three", b"3")])],
        );
        for r in [&one, &two, &three] {
            images.layers().prepare(images.store(), r, |_| {}).unwrap();
        }
        assert_eq!(images.layers().list().unwrap().len(), 4);
        let stray = images.store().content().put(b"stray").unwrap();

        // Nothing but the stray blob is garbage.
        let pruned = images.prune(&BTreeSet::new()).unwrap();
        assert_eq!(pruned.blobs, vec![stray]);
        assert!(pruned.layers.is_empty());

        // Image two loses its name; image three too, but a container still runs it.
        images
            .store()
            .untag(&"example.com/two:1".parse().unwrap())
            .unwrap();
        images
            .store()
            .untag(&"example.com/three:1".parse().unwrap())
            .unwrap();
        let running: BTreeSet<Digest> = [three.manifest.parse().unwrap()].into();
        let pruned = images.prune(&running).unwrap();
        assert_eq!(
            pruned.blobs.len(),
            3,
            "two's manifest, config and top layer: {pruned:?}"
        );
        assert_eq!(
            pruned.layers.len(),
            1,
            "two's top layer; the shared base stays"
        );
        assert!(
            images
                .store()
                .content()
                .contains(&three.config.parse().unwrap())
        );
        assert!(
            images
                .store()
                .content()
                .contains(&one.config.parse().unwrap())
        );
        assert_eq!(images.layers().list().unwrap().len(), 3);
        images
            .layers()
            .prepare(images.store(), &one, |_| panic!("nothing to unpack"))
            .unwrap();
    }
}
