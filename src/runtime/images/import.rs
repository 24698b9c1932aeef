//! Importing image archives: OCI-layout tarballs (`skopeo copy … oci-archive:`, `docker save` of
//! Docker 25+) and the older `docker save` format (`manifest.json` with `RepoTags`).
//!
//! The archive is read once, as a stream: every blob goes straight into the content store
//! (those under `blobs/sha256/` verified against their names), the small index files are kept
//! in memory, and the images are named at the end, only when complete.

use std::collections::HashMap;
use std::io::{self, Read};

use serde::Deserialize;

use super::content::ContentError;
use super::digest::Digest;
use super::oci::{self, Descriptor, Document, Platform};
use super::reference::Reference;
use super::store::{ImageStore, StoreError};
use super::unpack::Compression;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("reading the image archive")]
    Archive(#[source] io::Error),
    #[error("blob {path} of the archive")]
    Blob {
        path: String,
        #[source]
        source: ContentError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Oci(#[from] oci::OciError),
    #[error("malformed {file} in the image archive")]
    Json {
        file: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("the archive has neither index.json nor manifest.json: not an image archive")]
    NotAnImage,
    #[error("{file} refers to {path}, which the archive does not have")]
    Missing { file: &'static str, path: String },
    #[error("no image in the archive is for {0}")]
    NoPlatform(String),
    #[error("image {0} in the archive has no name (org.opencontainers.image.ref.name)")]
    Unnamed(String),
    #[error("invalid image name {name:?} in the archive")]
    BadName {
        name: String,
        #[source]
        source: super::reference::ReferenceError,
    },
}

/// Index files larger than this are not image metadata.
const MAX_METADATA: u64 = 4 << 20;

/// Imports every image of the archive read from `reader`; returns the names given.
pub fn import_archive(
    store: &ImageStore,
    reader: impl Read,
) -> Result<Vec<Reference>, ImportError> {
    let mut archive = tar::Archive::new(reader);
    // Archive path → (digest, size) of every file stored as a blob.
    let mut blobs: HashMap<String, (Digest, u64)> = HashMap::new();
    let mut index_json: Option<Vec<u8>> = None;
    let mut manifest_json: Option<Vec<u8>> = None;
    for entry in archive.entries().map_err(ImportError::Archive)? {
        let mut entry = entry.map_err(ImportError::Archive)?;
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            continue;
        }
        let path = normalize(&entry.path_bytes());
        let size = entry.header().size().unwrap_or(0);
        match path.as_str() {
            "index.json" | "manifest.json" if size <= MAX_METADATA => {
                let mut bytes = Vec::with_capacity(size as usize);
                entry
                    .read_to_end(&mut bytes)
                    .map_err(ImportError::Archive)?;
                if path == "index.json" {
                    index_json = Some(bytes);
                } else {
                    manifest_json = Some(bytes);
                }
                continue;
            }
            "oci-layout" | "repositories" => continue,
            _ => {}
        }
        let stored = match path
            .strip_prefix("blobs/sha256/")
            .and_then(|hex| format!("sha256:{hex}").parse::<Digest>().ok())
        {
            Some(digest) => store
                .content()
                .write(&digest, &mut entry)
                .map(|n| (digest, n)),
            None => store.content().write_any(&mut entry),
        };
        let stored = stored.map_err(|source| ImportError::Blob {
            path: path.clone(),
            source,
        })?;
        blobs.insert(path, stored);
    }
    if let Some(index) = index_json {
        import_oci_layout(store, &index)
    } else if let Some(manifest) = manifest_json {
        import_docker_save(store, &manifest, &blobs)
    } else {
        Err(ImportError::NotAnImage)
    }
}

/// `./a//b` → `a/b`.
fn normalize(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn import_oci_layout(store: &ImageStore, index: &[u8]) -> Result<Vec<Reference>, ImportError> {
    let index: oci::Index = serde_json::from_slice(index).map_err(|source| ImportError::Json {
        file: "index.json",
        source,
    })?;
    let host = Platform::host();
    let mut named = Vec::new();
    for desc in &index.manifests {
        let name = desc
            .annotations
            .get("io.containerd.image.name")
            .or_else(|| desc.annotations.get("org.opencontainers.image.ref.name"))
            .cloned()
            .ok_or_else(|| ImportError::Unnamed(desc.digest.clone()))?;
        let reference: Reference = name
            .parse()
            .map_err(|source| ImportError::BadName { name, source })?;
        let manifest = resolve(store, desc, &host)?;
        store.tag(&reference, &manifest)?;
        named.push(reference);
    }
    Ok(named)
}

/// The manifest digest a descriptor leads to on `host` (through nested indexes).
fn resolve(store: &ImageStore, desc: &Descriptor, host: &Platform) -> Result<Digest, ImportError> {
    let mut digest = desc.digest("index.json")?;
    for _depth in 0..4 {
        let bytes = store
            .content()
            .read(&digest)
            .map_err(|source| ImportError::Blob {
                path: format!("blobs/sha256/{}", digest.hex()),
                source,
            })?;
        match Document::parse(&bytes, Some(&desc.media_type))? {
            Document::Manifest(_) => return Ok(digest),
            Document::Index(index) => {
                let chosen = index.select(host).ok_or_else(|| {
                    ImportError::NoPlatform(format!("{}/{}", host.os, host.architecture))
                })?;
                digest = chosen.digest("image index")?;
            }
        }
    }
    Err(ImportError::NoPlatform("nested image indexes".into()))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerSaveEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

fn import_docker_save(
    store: &ImageStore,
    manifest: &[u8],
    blobs: &HashMap<String, (Digest, u64)>,
) -> Result<Vec<Reference>, ImportError> {
    let entries: Vec<DockerSaveEntry> =
        serde_json::from_slice(manifest).map_err(|source| ImportError::Json {
            file: "manifest.json",
            source,
        })?;
    let blob = |path: &str| {
        blobs
            .get(&normalize(path.as_bytes()))
            .cloned()
            .ok_or_else(|| ImportError::Missing {
                file: "manifest.json",
                path: path.to_owned(),
            })
    };
    let mut named = Vec::new();
    for entry in entries {
        let (config, config_size) = blob(&entry.config)?;
        let mut layers = Vec::new();
        for path in &entry.layers {
            let (digest, size) = blob(path)?;
            // Layers are plain tars, but some tools write them compressed.
            let mut head = [0u8; 4];
            let n = store
                .content()
                .open_blob(&digest)
                .and_then(|mut f| {
                    f.read(&mut head).map_err(|source| ContentError::Io {
                        what: "cannot read",
                        path: store.content().path(&digest),
                        source,
                    })
                })
                .map_err(|source| ImportError::Blob {
                    path: path.clone(),
                    source,
                })?;
            let media_type = match Compression::detect(&head[..n]) {
                Compression::Gzip => oci::DOCKER_LAYER_GZIP,
                Compression::Zstd => oci::OCI_LAYER_ZSTD,
                Compression::None => oci::DOCKER_LAYER,
            };
            layers.push(serde_json::json!({"mediaType": media_type, "digest": digest.to_string(), "size": size}));
        }
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": oci::DOCKER_MANIFEST,
            "config": {"mediaType": oci::DOCKER_CONFIG, "digest": config.to_string(), "size": config_size},
            "layers": layers,
        });
        let digest = store
            .content()
            .put(&serde_json::to_vec(&manifest).expect("serialisable"))
            .map_err(|source| ImportError::Blob {
                path: "manifest.json".into(),
                source,
            })?;
        let tags = entry.repo_tags.unwrap_or_default();
        if tags.is_empty() {
            return Err(ImportError::Unnamed(digest.to_string()));
        }
        for tag in tags {
            let reference: Reference = tag
                .parse()
                .map_err(|source| ImportError::BadName { name: tag, source })?;
            store.tag(&reference, &digest)?;
            named.push(reference);
        }
    }
    Ok(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(files: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, path, &data[..]).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn blob_path(d: &Digest) -> String {
        format!("blobs/sha256/{}", d.hex())
    }

    /// One image's blobs: (layer, config, manifest) bytes and digests.
    fn image_blobs() -> Vec<(Digest, Vec<u8>)> {
        let layer = tar_of(&[("hello", b"world".to_vec())]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, &layer).unwrap();
        let layer_gz = gz.finish().unwrap();
        let host = Platform::host();
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": host.architecture, "os": "linux",
            "config": {"Cmd": ["sh"]},
            "rootfs": {"type": "layers", "diff_ids": [Digest::of(&layer).to_string()]},
        }))
        .unwrap();
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": oci::OCI_MANIFEST,
            "config": {"mediaType": oci::OCI_CONFIG, "digest": Digest::of(&config).to_string(), "size": config.len()},
            "layers": [{"mediaType": oci::OCI_LAYER_GZIP, "digest": Digest::of(&layer_gz).to_string(), "size": layer_gz.len()}],
        }))
        .unwrap();
        [layer_gz, config, manifest]
            .into_iter()
            .map(|b| (Digest::of(&b), b))
            .collect()
    }

    fn index_json(target: &Digest, media_type: &str, name: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{"mediaType": media_type, "digest": target.to_string(), "size": 1,
                "annotations": {"org.opencontainers.image.ref.name": name}}],
        }))
        .unwrap()
    }

    fn oci_archive(blobs: &[(Digest, Vec<u8>)], index: Vec<u8>) -> Vec<u8> {
        let mut files: Vec<(String, Vec<u8>)> = vec![
            (
                "oci-layout".into(),
                br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
            ),
            ("index.json".into(), index),
        ];
        files.extend(blobs.iter().map(|(d, b)| (blob_path(d), b.clone())));
        let refs: Vec<(&str, Vec<u8>)> =
            files.iter().map(|(p, b)| (p.as_str(), b.clone())).collect();
        tar_of(&refs)
    }

    fn store() -> (tempfile::TempDir, ImageStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn imports_an_oci_layout_archive() {
        let blobs = image_blobs();
        let manifest = blobs[2].0.clone();
        let archive = oci_archive(
            &blobs,
            index_json(&manifest, oci::OCI_MANIFEST, "127.0.0.1:5000/t/busybox:1"),
        );
        let (dir, store) = store();
        let names = import_archive(&store, &archive[..]).unwrap();
        assert_eq!(names.len(), 1);
        assert_eq!(names[0].to_string(), "127.0.0.1:5000/t/busybox:1");
        let record = store.get(&names[0]).unwrap().expect("named");
        assert_eq!(record.manifest, manifest.to_string());
        assert_eq!(
            store.config(&record).unwrap().config.unwrap().cmd,
            Some(vec!["sh".to_owned()])
        );
        // The names survive a reopen.
        let again = ImageStore::open(dir.path()).unwrap();
        assert_eq!(again.list().unwrap().len(), 1);
    }

    #[test]
    fn picks_the_host_manifest_of_a_multi_platform_archive() {
        let mut blobs = image_blobs();
        let manifest = blobs[2].0.clone();
        let host = Platform::host();
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": oci::OCI_INDEX,
            "manifests": [
                {"mediaType": oci::OCI_MANIFEST, "digest": Digest::of(b"other").to_string(), "size": 5,
                 "platform": {"architecture": "s390x", "os": "linux"}},
                {"mediaType": oci::OCI_MANIFEST, "digest": manifest.to_string(), "size": 1,
                 "platform": {"architecture": host.architecture, "os": "linux", "variant": host.variant}},
            ],
        }))
        .unwrap();
        let index_digest = Digest::of(&index);
        blobs.push((index_digest.clone(), index));
        let archive = oci_archive(
            &blobs,
            index_json(
                &index_digest,
                oci::OCI_INDEX,
                "docker.io/library/busybox:latest",
            ),
        );
        let (_dir, store) = store();
        let names = import_archive(&store, &archive[..]).unwrap();
        assert_eq!(names[0].familiar(), "busybox:latest");
        assert_eq!(
            store.get(&names[0]).unwrap().unwrap().manifest,
            manifest.to_string()
        );
    }

    #[test]
    fn refuses_a_tampered_blob_and_names_nothing() {
        let mut blobs = image_blobs();
        let manifest = blobs[2].0.clone();
        // The layer's content no longer matches its name.
        blobs[0].1[20] ^= 0xff;
        let archive = oci_archive(&blobs, index_json(&manifest, oci::OCI_MANIFEST, "x.io/a:1"));
        let (_dir, store) = store();
        let err = import_archive(&store, &archive[..]).unwrap_err();
        assert!(
            matches!(
                &err,
                ImportError::Blob {
                    source: ContentError::DigestMismatch { .. },
                    ..
                }
            ),
            "{err}"
        );
        assert!(store.list().unwrap().is_empty());
        assert!(!store.content().contains(&blobs[0].0));
    }

    #[test]
    fn an_incomplete_archive_names_nothing() {
        let blobs = image_blobs();
        let manifest = blobs[2].0.clone();
        // Without the layer.
        let archive = oci_archive(
            &blobs[1..],
            index_json(&manifest, oci::OCI_MANIFEST, "x.io/a:1"),
        );
        let (_dir, store) = store();
        let err = import_archive(&store, &archive[..]).unwrap_err();
        assert!(
            matches!(err, ImportError::Store(StoreError::Incomplete { .. })),
            "{err}"
        );
        assert!(store.list().unwrap().is_empty());
        // Not an image archive at all.
        let err = import_archive(&store, &tar_of(&[("README", b"hi".to_vec())])[..]).unwrap_err();
        assert!(matches!(err, ImportError::NotAnImage), "{err}");
    }

    #[test]
    fn imports_a_docker_save_archive() {
        let layer = tar_of(&[("hello", b"world".to_vec())]);
        let config = br#"{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec();
        let config_name = format!("{}.json", Digest::of(&config).hex());
        let manifest = serde_json::to_vec(&serde_json::json!([
            {"Config": config_name, "RepoTags": ["busybox:latest", "localhost:5000/bb:1"], "Layers": ["abc123/layer.tar"]}
        ]))
        .unwrap();
        let archive = tar_of(&[
            ("abc123/layer.tar", layer.clone()),
            ("abc123/VERSION", b"1.0".to_vec()),
            (config_name.as_str(), config.clone()),
            ("repositories", b"{}".to_vec()),
            ("manifest.json", manifest),
        ]);
        let (_dir, store) = store();
        let names = import_archive(&store, &archive[..]).unwrap();
        let names: Vec<String> = names.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            ["docker.io/library/busybox:latest", "localhost:5000/bb:1"]
        );
        let record = store.get(&"busybox".parse().unwrap()).unwrap().unwrap();
        let m = store.manifest(&record.manifest.parse().unwrap()).unwrap();
        assert_eq!(m.layers.len(), 1);
        assert_eq!(m.layers[0].media_type, oci::DOCKER_LAYER);
        assert_eq!(m.layers[0].digest, Digest::of(&layer).to_string());
        assert_eq!(record.config, Digest::of(&config).to_string());
    }
}
