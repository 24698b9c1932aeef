//! The image store: the content store plus the named images (`images.json`: reference →
//! manifest digest).
//!
//! Invariant: a name is recorded only once every blob its manifest needs (config, layers) is
//! in the content store, so an interrupted pull or import never leaves a named image that
//! cannot run. `images.json` is replaced atomically (write, fsync, rename).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    names: Mutex<BTreeMap<String, ImageRecord>>,
}

impl ImageStore {
    /// Opens (creating) the store at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<ImageStore, StoreError> {
        let root = root.into();
        let content = ContentStore::open(root.join("content"))?;
        let index = root.join("images.json");
        let names = match fs::read(&index) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| StoreError::Corrupt {
                path: index.clone(),
                source,
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                return Err(StoreError::Io {
                    what: "cannot read",
                    path: index,
                    source: e,
                });
            }
        };
        Ok(ImageStore {
            root,
            content,
            names: Mutex::new(names),
        })
    }

    pub fn content(&self) -> &ContentStore {
        &self.content
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
        let mut names = self.names.lock().expect("image names lock");
        let previous = names.insert(reference.to_string(), record.clone());
        if let Err(err) = self.save(&names) {
            match previous {
                Some(p) => names.insert(reference.to_string(), p),
                None => names.remove(&reference.to_string()),
            };
            return Err(err);
        }
        Ok(record)
    }

    /// The image a reference names (a digest-only reference finds any name with that
    /// manifest).
    pub fn get(&self, reference: &Reference) -> Option<ImageRecord> {
        let names = self.names.lock().expect("image names lock");
        if let Some(r) = names.get(&reference.to_string()) {
            return Some(r.clone());
        }
        let digest = reference.digest.as_ref()?.to_string();
        let name = reference.name();
        names
            .iter()
            .find(|(n, r)| r.manifest == digest && n.starts_with(&name))
            .map(|(_, r)| r.clone())
    }

    /// Every named image, by name.
    pub fn list(&self) -> BTreeMap<String, ImageRecord> {
        self.names.lock().expect("image names lock").clone()
    }

    /// Forgets a name (the blobs stay until pruned).
    pub fn untag(&self, reference: &Reference) -> Result<ImageRecord, StoreError> {
        let mut names = self.names.lock().expect("image names lock");
        let key = reference.to_string();
        let record = names
            .remove(&key)
            .ok_or_else(|| StoreError::NotFound(reference.familiar()))?;
        if let Err(err) = self.save(&names) {
            names.insert(key, record);
            return Err(err);
        }
        Ok(record)
    }

    fn save(&self, names: &BTreeMap<String, ImageRecord>) -> Result<(), StoreError> {
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
