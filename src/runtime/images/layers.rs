//! Unpacked layers, shared between images.
//!
//! Each layer is unpacked once, into `<root>/<chain id>/fs`, and every image whose layer stack
//! has the same chain ID shares the directory. A layer's chain ID names the layer *and
//! everything under it* (`ChainID(L₀) = DiffID(L₀)`, `ChainID(Lₙ) = sha256(ChainID(Lₙ₋₁) + " " +
//! DiffID(Lₙ))`), so a directory is only ever stacked on the parents it was unpacked for.
//!
//! Invariants: a layer directory appears (by rename) only once it is completely unpacked and
//! its DiffID matched the image config's; an interrupted unpack leaves a `tmp-*` directory that
//! the next `open` removes.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::digest::Digest;
use super::oci::ImageConfig;
use super::store::{ImageRecord, ImageStore, StoreError};
use super::unpack::{UnpackError, unpack_layer};

#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unpacking layer {layer}")]
    Unpack {
        layer: Digest,
        #[source]
        source: UnpackError,
    },
    #[error("{what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "layer {layer} does not match the image config: its content is {actual}, the config says {expected}"
    )]
    DiffIdMismatch {
        layer: Digest,
        expected: Digest,
        actual: Digest,
    },
    #[error("the image has {layers} layers but its config lists {diff_ids} diff IDs")]
    LayerCount { layers: usize, diff_ids: usize },
    #[error("the image config has an invalid diff ID {0:?}")]
    BadDiffId(String),
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> LayerError + 'a {
    move |source| LayerError::Io {
        what,
        path: path.to_owned(),
        source,
    }
}

/// The chain IDs of a stack of layers, bottom first.
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    let mut out: Vec<Digest> = Vec::with_capacity(diff_ids.len());
    for diff in diff_ids {
        let next = match out.last() {
            None => diff.clone(),
            Some(parent) => {
                Digest::from_hasher(Sha256::new_with_prefix(format!("{parent} {diff}")))
            }
        };
        out.push(next);
    }
    out
}

/// The DiffIDs an image config lists, bottom first.
pub fn diff_ids(config: &ImageConfig) -> Result<Vec<Digest>, LayerError> {
    config
        .rootfs
        .diff_ids
        .iter()
        .map(|d| d.parse().map_err(|_| LayerError::BadDiffId(d.clone())))
        .collect()
}

/// What is recorded next to an unpacked layer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    pub diff_id: String,
    /// The chain ID of the layer below; `None` for a base layer.
    pub parent: Option<String>,
    /// Bytes of regular-file content unpacked.
    pub size: u64,
}

/// Progress of [`LayerStore::prepare`], for a person watching.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prepare<'a> {
    Unpacking { layer: &'a Digest, size: u64 },
    Unpacked { layer: &'a Digest },
}

#[derive(Debug)]
pub struct LayerStore {
    root: PathBuf,
}

impl LayerStore {
    /// Opens (creating) the layer directory at `root`, removing unpacks a crash interrupted.
    pub fn open(root: impl Into<PathBuf>) -> Result<LayerStore, LayerError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(io_err("cannot create", &root))?;
        for entry in fs::read_dir(&root).map_err(io_err("cannot list", &root))? {
            let entry = entry.map_err(io_err("cannot list", &root))?;
            if entry.file_name().to_string_lossy().starts_with("tmp-") {
                let path = entry.path();
                fs::remove_dir_all(&path).map_err(io_err("cannot remove", &path))?;
            }
        }
        Ok(LayerStore { root })
    }

    /// The directory overlayfs stacks for the layer with this chain ID.
    pub fn path(&self, chain: &Digest) -> PathBuf {
        self.root.join(chain.hex()).join("fs")
    }

    pub fn contains(&self, chain: &Digest) -> bool {
        self.root.join(chain.hex()).join("layer.json").is_file()
    }

    pub fn info(&self, chain: &Digest) -> Option<LayerInfo> {
        let bytes = fs::read(self.root.join(chain.hex()).join("layer.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The image's chain IDs, bottom first.
    pub fn image_chain(
        &self,
        images: &ImageStore,
        record: &ImageRecord,
    ) -> Result<Vec<Digest>, LayerError> {
        Ok(chain_ids(&diff_ids(&images.config(record)?)?))
    }

    /// Unpacks whichever of the image's layers are not unpacked yet and returns the layer
    /// directories, **topmost first** (overlayfs's `lowerdir` order). Blocking.
    pub fn prepare(
        &self,
        images: &ImageStore,
        record: &ImageRecord,
        mut progress: impl FnMut(Prepare<'_>),
    ) -> Result<Vec<PathBuf>, LayerError> {
        let manifest_digest: Digest = record
            .manifest
            .parse()
            .map_err(|_| LayerError::BadDiffId(record.manifest.clone()))?;
        let manifest = images.manifest(&manifest_digest)?;
        let diff_ids = diff_ids(&images.config(record)?)?;
        if diff_ids.len() != manifest.layers.len() {
            return Err(LayerError::LayerCount {
                layers: manifest.layers.len(),
                diff_ids: diff_ids.len(),
            });
        }
        let chain = chain_ids(&diff_ids);
        for (i, layer) in manifest.layers.iter().enumerate() {
            if self.contains(&chain[i]) {
                continue;
            }
            let blob = layer.digest("image layer").map_err(StoreError::from)?;
            progress(Prepare::Unpacking {
                layer: &blob,
                size: layer.size,
            });
            self.unpack(
                images,
                &blob,
                &diff_ids[i],
                &chain[i],
                i.checked_sub(1).map(|p| &chain[p]),
            )?;
            progress(Prepare::Unpacked { layer: &blob });
        }
        Ok(chain.iter().rev().map(|c| self.path(c)).collect())
    }

    fn unpack(
        &self,
        images: &ImageStore,
        blob: &Digest,
        diff_id: &Digest,
        chain: &Digest,
        parent: Option<&Digest>,
    ) -> Result<(), LayerError> {
        let tmp = self.root.join(format!(
            "tmp-{}-{}",
            &chain.hex()[..12],
            uuid::Uuid::new_v4().simple()
        ));
        let result = (|| {
            let fs_dir = tmp.join("fs");
            fs::create_dir_all(&fs_dir).map_err(io_err("cannot create", &fs_dir))?;
            let file = images.content().open_blob(blob).map_err(StoreError::from)?;
            let done = unpack_layer(file, &fs_dir).map_err(|source| LayerError::Unpack {
                layer: blob.clone(),
                source,
            })?;
            if &done.diff_id != diff_id {
                return Err(LayerError::DiffIdMismatch {
                    layer: blob.clone(),
                    expected: diff_id.clone(),
                    actual: done.diff_id,
                });
            }
            let info = LayerInfo {
                diff_id: diff_id.to_string(),
                parent: parent.map(Digest::to_string),
                size: done.bytes,
            };
            let meta = tmp.join("layer.json");
            fs::write(&meta, serde_json::to_vec(&info).expect("serialisable"))
                .map_err(io_err("cannot write", &meta))?;
            // Durable before it becomes visible: a crash must not leave a named layer with
            // missing files.
            sync_tree(&tmp)?;
            let dest = self.root.join(chain.hex());
            match fs::rename(&tmp, &dest) {
                Ok(()) => {}
                // Another unpack of the same layer won the race: keep its copy.
                Err(e) if self.contains(chain) => {
                    tracing::debug!(layer = %chain, error = %e, "layer unpacked concurrently");
                    let _ = fs::remove_dir_all(&tmp);
                }
                Err(e) => return Err(io_err("cannot rename the unpacked layer to", &dest)(e)),
            }
            fs::File::open(&self.root)
                .and_then(|d| d.sync_all())
                .map_err(io_err("cannot sync", &self.root))
        })();
        if result.is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
        result
    }

    /// Every unpacked layer's chain ID.
    pub fn list(&self) -> Result<Vec<Digest>, LayerError> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.root).map_err(io_err("cannot list", &self.root))? {
            let entry = entry.map_err(io_err("cannot list", &self.root))?;
            let name = entry.file_name();
            if let Ok(d) = format!("sha256:{}", name.to_string_lossy()).parse::<Digest>()
                && self.contains(&d)
            {
                out.push(d);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes every layer not in `keep`; returns the removed chain IDs.
    pub fn retain(&self, keep: &BTreeSet<Digest>) -> Result<Vec<Digest>, LayerError> {
        let mut removed = Vec::new();
        for chain in self.list()? {
            if keep.contains(&chain) {
                continue;
            }
            let dir = self.root.join(chain.hex());
            // Made invisible first (rename is atomic), then deleted.
            let doomed = self.root.join(format!("tmp-rm-{}", chain.hex()));
            fs::rename(&dir, &doomed).map_err(io_err("cannot remove", &dir))?;
            fs::remove_dir_all(&doomed).map_err(io_err("cannot remove", &doomed))?;
            removed.push(chain);
        }
        Ok(removed)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Flushes the filesystem holding `dir`: one `syncfs` is far cheaper than an fsync per file of
/// a layer with thousands of them.
fn sync_tree(dir: &Path) -> Result<(), LayerError> {
    use std::os::fd::AsRawFd;
    let d = fs::File::open(dir).map_err(io_err("cannot open", dir))?;
    // SAFETY: `d` is an open descriptor for the duration of the call.
    if unsafe { libc::syncfs(d.as_raw_fd()) } != 0 {
        return Err(io_err("cannot sync the filesystem of", dir)(
            io::Error::last_os_error(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::images::testutil::{put_image, tar_of};

    fn stores() -> (tempfile::TempDir, ImageStore, LayerStore) {
        let dir = tempfile::tempdir().unwrap();
        let images = ImageStore::open(dir.path().join("images")).unwrap();
        let layers = LayerStore::open(dir.path().join("layers")).unwrap();
        (dir, images, layers)
    }

    #[test]
    fn chain_ids_follow_the_oci_definition() {
        let a: Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
        let b: Digest = format!("sha256:{}", "b".repeat(64)).parse().unwrap();
        let chain = chain_ids(&[a.clone(), b.clone()]);
        assert_eq!(chain[0], a);
        assert_eq!(chain[1], Digest::of(format!("{a} {b}").as_bytes()));
        assert!(chain_ids(&[]).is_empty());
    }

    #[test]
    fn layers_are_unpacked_once_and_shared_between_images() {
        let (_dir, images, layers) = stores();
        let base = tar_of(&[("etc/os-release", b"base\n"), ("bin/tool", b"v1")]);
        let app = tar_of(&[("app", b"one")]);
        let other = tar_of(&[("app", b"two")]);
        let one = put_image(&images, "example.com/one:1", &[base.clone(), app]);
        let two = put_image(&images, "example.com/two:1", &[base, other]);

        let mut unpacked = Vec::new();
        let dirs = layers
            .prepare(&images, &one, |p| {
                if let Prepare::Unpacked { layer } = p {
                    unpacked.push(layer.clone())
                }
            })
            .unwrap();
        assert_eq!(unpacked.len(), 2);
        assert_eq!(dirs.len(), 2);
        assert_eq!(
            fs::read(dirs[0].join("app")).unwrap(),
            b"one",
            "topmost first"
        );
        assert_eq!(fs::read(dirs[1].join("bin/tool")).unwrap(), b"v1");

        unpacked.clear();
        let dirs2 = layers
            .prepare(&images, &two, |p| {
                if let Prepare::Unpacked { layer } = p {
                    unpacked.push(layer.clone())
                }
            })
            .unwrap();
        assert_eq!(unpacked.len(), 1, "the shared base is not unpacked again");
        assert_eq!(dirs2[1], dirs[1]);
        assert_eq!(fs::read(dirs2[0].join("app")).unwrap(), b"two");
        assert_eq!(layers.list().unwrap().len(), 3);
        let info = layers
            .info(&layers.image_chain(&images, &two).unwrap()[1])
            .unwrap();
        assert!(info.parent.is_some());
        assert_eq!(info.size, 3);

        // Keeping only image one's chain removes image two's top layer alone.
        let keep: BTreeSet<Digest> = layers
            .image_chain(&images, &one)
            .unwrap()
            .into_iter()
            .collect();
        let removed = layers.retain(&keep).unwrap();
        assert_eq!(removed.len(), 1);
        assert!(!dirs2[0].exists());
        assert!(dirs[0].exists() && dirs[1].exists());
    }

    #[test]
    fn a_layer_whose_content_does_not_match_its_diff_id_is_refused_and_left_nowhere() {
        let (dir, images, layers) = stores();
        let real = tar_of(&[("a", b"1")]);
        let (gz, _, _) = crate::runtime::images::testutil::image_blobs(&[real]);
        // An image whose config claims a different DiffID for the same blob.
        let claimed = tar_of(&[("a", b"2")]);
        let (_, config, _) = crate::runtime::images::testutil::image_blobs(&[claimed]);
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "config": {"digest": Digest::of(&config).to_string(), "size": config.len()},
            "layers": [{"digest": Digest::of(&gz[0]).to_string(), "size": gz[0].len()}],
        }))
        .unwrap();
        for b in [&gz[0], &config, &manifest] {
            images.content().put(b).unwrap();
        }
        let record = images
            .tag(
                &"example.com/bad:1".parse().unwrap(),
                &Digest::of(&manifest),
            )
            .unwrap();
        let err = layers.prepare(&images, &record, |_| {}).unwrap_err();
        assert!(matches!(err, LayerError::DiffIdMismatch { .. }), "{err}");
        assert!(layers.list().unwrap().is_empty());
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("layers")).unwrap().collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn open_removes_interrupted_unpacks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("layers");
        fs::create_dir_all(root.join("tmp-abc/fs/x")).unwrap();
        let layers = LayerStore::open(&root).unwrap();
        assert!(!root.join("tmp-abc").exists());
        assert!(layers.list().unwrap().is_empty());
    }
}
