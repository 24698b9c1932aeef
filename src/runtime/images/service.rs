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
    #[error("cannot tell how full the filesystem of {} is", path.display())]
    Usage {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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

/// When image garbage collection starts and where it stops, as percentages of the image
/// filesystem's capacity in use (the kubelet's `imageGCHighThresholdPercent` and
/// `imageGCLowThresholdPercent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcThresholds {
    pub high_percent: u8,
    pub low_percent: u8,
}

impl Default for GcThresholds {
    fn default() -> GcThresholds {
        GcThresholds {
            high_percent: 85,
            low_percent: 80,
        }
    }
}

/// What a disk-pressure collection did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Collected {
    /// Image names removed, in order.
    pub images: Vec<String>,
    pub pruned: Pruned,
    pub percent_before: u8,
    pub percent_after: u8,
}

/// Used and total bytes of the filesystem holding `path`.
pub fn filesystem_usage(path: &Path) -> std::io::Result<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: an all-zero statvfs is valid; statvfs fills it from a NUL-terminated path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let block = st.f_frsize;
    let total = st.f_blocks * block;
    Ok((total - st.f_bavail * block, total))
}

fn percent((used, total): (u64, u64)) -> u8 {
    if total == 0 {
        return 0;
    }
    (used.saturating_mul(100) / total).min(100) as u8
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

impl Images {
    /// The kubelet's image garbage collection: when the image filesystem is more than
    /// `high_percent` full, removes images whose manifest no container uses (`in_use`), least
    /// recently used first (`last_used` by name, as the caller tracks it; never used counts as
    /// oldest, then by name), pruning after each, until it is under `low_percent`. Blocking.
    pub fn collect_for_disk_pressure(
        &self,
        thresholds: GcThresholds,
        in_use: &BTreeSet<Digest>,
        last_used: &std::collections::HashMap<String, std::time::SystemTime>,
    ) -> Result<Collected, ImagesError> {
        let root = self.root.clone();
        self.collect_with(thresholds, in_use, last_used, &mut || {
            filesystem_usage(&root)
        })
    }

    fn collect_with(
        &self,
        thresholds: GcThresholds,
        in_use: &BTreeSet<Digest>,
        last_used: &std::collections::HashMap<String, std::time::SystemTime>,
        usage: &mut dyn FnMut() -> std::io::Result<(u64, u64)>,
    ) -> Result<Collected, ImagesError> {
        let usage_err = |source| ImagesError::Usage {
            path: self.root.clone(),
            source,
        };
        let before = percent(usage().map_err(usage_err)?);
        let mut collected = Collected {
            percent_before: before,
            percent_after: before,
            ..Collected::default()
        };
        if before <= thresholds.high_percent {
            return Ok(collected);
        }
        let mut candidates: Vec<(std::time::SystemTime, String)> = self
            .store
            .list()?
            .into_iter()
            .filter(|(_, r)| {
                r.manifest
                    .parse()
                    .is_ok_and(|d: Digest| !in_use.contains(&d))
            })
            .map(|(name, _)| {
                let used = last_used
                    .get(&name)
                    .copied()
                    .unwrap_or(std::time::UNIX_EPOCH);
                (used, name)
            })
            .collect();
        candidates.sort();
        for (_, name) in candidates {
            let Ok(reference) = name.parse::<Reference>() else {
                continue;
            };
            self.store.untag(&reference)?;
            let pruned = self.prune(in_use)?;
            tracing::info!(image = %name, bytes = pruned.bytes, "image garbage-collected for disk pressure");
            collected.images.push(name);
            collected.pruned.blobs.extend(pruned.blobs);
            collected.pruned.layers.extend(pruned.layers);
            collected.pruned.bytes += pruned.bytes;
            collected.percent_after = percent(usage().map_err(usage_err)?);
            if collected.percent_after < thresholds.low_percent {
                break;
            }
        }
        Ok(collected)
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

    #[test]
    fn disk_pressure_removes_unused_images_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let images =
            Images::open(dir.path(), Registries::new(RegistriesConfig::default())).unwrap();
        // 64 KiB of noise each, so that gzip keeps them that size.
        let big = |name: &str| {
            let noise: Vec<u8> = (0..64 << 10).map(|_| fastrand::u8(..)).collect();
            put_image(images.store(), name, &[tar_of(&[(name, &noise[..])])])
        };
        let old = big("example.com/old:1");
        let recent = big("example.com/recent:1");
        let running = big("example.com/running:1");
        let never = big("example.com/never:1");
        // The "disk": whatever the content store holds, in a 1 MiB filesystem with 500 KiB
        // taken by other things.
        let content = dir.path().join("content");
        let mut usage = || -> std::io::Result<(u64, u64)> {
            let mut used = 500 << 10;
            for e in walk(&content) {
                used += e;
            }
            Ok((used, 1 << 20))
        };
        fn walk(dir: &Path) -> Vec<u64> {
            let mut sizes = Vec::new();
            for e in fs::read_dir(dir).into_iter().flatten().flatten() {
                let m = e.metadata().unwrap();
                if m.is_dir() {
                    sizes.extend(walk(&e.path()));
                } else {
                    sizes.push(m.len());
                }
            }
            sizes
        }
        let in_use: BTreeSet<Digest> = [running.manifest.parse().unwrap()].into();
        let now = std::time::SystemTime::now();
        let last_used = std::collections::HashMap::from([
            (
                "example.com/old:1".to_owned(),
                now - std::time::Duration::from_secs(3600),
            ),
            ("example.com/recent:1".to_owned(), now),
            (
                "example.com/running:1".to_owned(),
                now - std::time::Duration::from_secs(7200),
            ),
        ]);

        // Under the high threshold: nothing happens.
        let relaxed = GcThresholds {
            high_percent: 95,
            low_percent: 90,
        };
        let c = images
            .collect_with(relaxed, &in_use, &last_used, &mut usage)
            .unwrap();
        assert!(c.images.is_empty(), "{c:?}");

        // Over it: never-used first, then the oldest, until under the low threshold; the
        // running image stays whatever its age, and so does the recently used one.
        let before = usage().unwrap();
        let tight = GcThresholds {
            high_percent: (before.0 * 100 / before.1) as u8 - 1,
            low_percent: ((before.0 - (100 << 10)) * 100 / before.1) as u8,
        };
        let c = images
            .collect_with(tight, &in_use, &last_used, &mut usage)
            .unwrap();
        assert_eq!(
            c.images,
            ["example.com/never:1", "example.com/old:1"],
            "{c:?}"
        );
        assert!(c.percent_after < tight.low_percent, "{c:?}");
        assert!(c.pruned.bytes > 0);
        let names: Vec<String> = images.store().list().unwrap().into_keys().collect();
        assert_eq!(names, ["example.com/recent:1", "example.com/running:1"]);
        for gone in [&old, &never] {
            assert!(
                !images
                    .store()
                    .content()
                    .contains(&gone.config.parse().unwrap())
            );
        }
        let _ = recent;

        // The real filesystem's numbers are sane.
        let (used, total) = filesystem_usage(dir.path()).unwrap();
        assert!(total > 0 && used <= total);
    }
}
