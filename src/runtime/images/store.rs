//! The image store: the content store plus the named images (`images.json`: reference →
//! manifest digest).
//!
//! Invariant: a name is recorded only once every blob its manifest needs (config, layers) is
//! in the content store, so an interrupted pull or import never leaves a named image that
//! cannot run. `images.json` is replaced atomically (write, fsync, rename), under an exclusive
//! `flock` on `images.lock` that readers share: the agent and `orch images` use one store.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::content::{ContentError, ContentStore};
use super::digest::Digest;
use super::oci::{Document, ImageConfig, Manifest, OciError};
use super::reference::Reference;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error(transparent)]
    Oci(#[from] OciError),
    #[error("{what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the image index {} is corrupt", path.display())]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("image {image} is incomplete: blob {blob} is missing")]
    Incomplete { image: String, blob: Digest },
    #[error("{0} is an image index, not a manifest")]
    NotAManifest(Digest),
    #[error("image {0} not found")]
    NotFound(String),
}

/// A named image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// The manifest (for this platform) the name points to.
    pub manifest: String,
    pub config: String,
    /// Size of the blobs as stored (compressed layers, config).
    pub size: u64,
}

#[derive(Debug)]
pub struct ImageStore {
    root: PathBuf,
    content: ContentStore,
}

type Names = BTreeMap<String, ImageRecord>;

impl ImageStore {
    /// Opens (creating) the store at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<ImageStore, StoreError> {
        let root = root.into();
        let content = ContentStore::open(root.join("content"))?;
        let store = ImageStore { root, content };
        // A corrupt index is reported now rather than at the first pull.
        store.with_names(false, |_| Ok(()))?;
        Ok(store)
    }

    pub fn content(&self) -> &ContentStore {
        &self.content
    }

    /// Runs `f` on the names, under a lock shared with other processes using the store (the
    /// agent and `orch images`): re-read from disk each time, and saved when `write`.
    fn with_names<T>(
        &self,
        write: bool,
        f: impl FnOnce(&mut Names) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        use std::os::fd::AsRawFd;
        let lock_path = self.root.join("images.lock");
        let io = |what, path: &Path| {
            let path = path.to_owned();
            move |source| StoreError::Io { what, path, source }
        };
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io("cannot open", &lock_path))?;
        let mode = if write { libc::LOCK_EX } else { libc::LOCK_SH };
        // SAFETY: an open descriptor for the duration of the call; the lock goes with it.
        while unsafe { libc::flock(lock.as_raw_fd(), mode) } != 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(io("cannot lock", &lock_path)(e));
            }
        }
        let index = self.root.join("images.json");
        let mut names: Names = match fs::read(&index) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| StoreError::Corrupt {
                path: index.clone(),
                source,
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(io("cannot read", &index)(e)),
        };
        let out = f(&mut names)?;
        if write {
            self.save(&names)?;
        }
        Ok(out)
    }

    /// The manifest stored under `digest` (not an index).
    pub fn manifest(&self, digest: &Digest) -> Result<Manifest, StoreError> {
        match Document::parse(&self.content.read(digest)?, None)? {
            Document::Manifest(m) => Ok(m),
            Document::Index(_) => Err(StoreError::NotAManifest(digest.clone())),
        }
    }

    pub fn config(&self, record: &ImageRecord) -> Result<ImageConfig, StoreError> {
        let digest: Digest = record.config.parse().map_err(|_| OciError::Digest {
            what: "image record",
            digest: record.config.clone(),
        })?;
        Ok(ImageConfig::parse(&self.content.read(&digest)?)?)
    }

    /// Names `reference` the image whose manifest is `manifest`, after checking that every
    /// blob it needs is present.
    pub fn tag(&self, reference: &Reference, manifest: &Digest) -> Result<ImageRecord, StoreError> {
        let m = self.manifest(manifest)?;
        let config = m.config.digest("image config")?;
        let mut size = m.config.size;
        for blob in std::iter::once(&m.config).chain(&m.layers) {
            let digest = blob.digest("image layer")?;
            if !self.content.contains(&digest) {
                return Err(StoreError::Incomplete {
                    image: reference.to_string(),
                    blob: digest,
                });
            }
        }
        size += m.layers.iter().map(|l| l.size).sum::<u64>();
        let record = ImageRecord {
            manifest: manifest.to_string(),
            config: config.to_string(),
            size,
        };
        self.with_names(true, |names| {
            names.insert(reference.to_string(), record.clone());
            Ok(())
        })?;
        Ok(record)
    }

    /// The image a reference names (a digest-only reference finds any name with that
    /// manifest).
    pub fn get(&self, reference: &Reference) -> Result<Option<ImageRecord>, StoreError> {
        self.with_names(false, |names| {
            if let Some(r) = names.get(&reference.to_string()) {
                return Ok(Some(r.clone()));
            }
            let Some(digest) = reference.digest.as_ref().map(Digest::to_string) else {
                return Ok(None);
            };
            let name = reference.name();
            Ok(names
                .iter()
                .find(|(n, r)| r.manifest == digest && n.starts_with(&name))
                .map(|(_, r)| r.clone()))
        })
    }

    /// Every named image, by name.
    pub fn list(&self) -> Result<Names, StoreError> {
        self.with_names(false, |names| Ok(std::mem::take(names)))
    }

    /// Forgets a name (the blobs stay until pruned).
    pub fn untag(&self, reference: &Reference) -> Result<ImageRecord, StoreError> {
        self.with_names(true, |names| {
            names
                .remove(&reference.to_string())
                .ok_or_else(|| StoreError::NotFound(reference.familiar()))
        })
    }

    fn save(&self, names: &Names) -> Result<(), StoreError> {
        let path = self.root.join("images.json");
        let tmp = self.root.join("images.json.tmp");
        let io = |what| {
            let path = path.clone();
            move |source| StoreError::Io { what, path, source }
        };
        let bytes = serde_json::to_vec_pretty(names).expect("serialisable");
        let mut f = fs::File::create(&tmp).map_err(io("cannot write"))?;
        f.write_all(&bytes).map_err(io("cannot write"))?;
        f.sync_all().map_err(io("cannot sync"))?;
        fs::rename(&tmp, &path).map_err(io("cannot replace"))?;
        fs::File::open(&self.root)
            .and_then(|d| d.sync_all())
            .map_err(io("cannot sync the directory of"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}
