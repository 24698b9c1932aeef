//! Airgap images: every image archive in `<data-dir>/agent/images/` is imported when the node
//! starts (as k3s does), so a machine without registry access can run pods from tarballs
//! copied next to the binary. Archives may be plain, gzip or zstd compressed (`.tar`,
//! `.tar.gz`, `.tgz`, `.tar.zst`). An archive already imported, unchanged since (same size
//! and modification time, recorded in `<image-store>/airgap.json`), is skipped.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::import::{ImportError, import_archive};
use super::reference::Reference;
use super::store::ImageStore;
use super::unpack::{Compression, ZstdFrames};

/// What happened to one archive.
#[derive(Debug)]
pub enum Outcome {
    Imported(Vec<Reference>),
    Unchanged,
    Failed(ImportError),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    size: u64,
    mtime_ns: i128,
}

fn is_archive(name: &str) -> bool {
    [".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.zstd"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Imports the archives in `dir` (a missing directory has none), in name order. Blocking.
pub fn import_dir(store: &ImageStore, dir: &Path) -> Vec<(PathBuf, Outcome)> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| is_archive(&n.to_string_lossy()))
        })
        .collect();
    files.sort();
    let record_path = store.root().join("airgap.json");
    let mut seen: BTreeMap<String, Seen> = fs::read(&record_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let mut out = Vec::new();
    for path in files {
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        let now = Seen {
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        };
        let key = path.to_string_lossy().into_owned();
        if seen.get(&key) == Some(&now) {
            out.push((path, Outcome::Unchanged));
            continue;
        }
        match import_file(store, &path) {
            Ok(names) => {
                seen.insert(key, now);
                out.push((path, Outcome::Imported(names)));
            }
            Err(e) => out.push((path, Outcome::Failed(e))),
        }
    }
    let tmp = record_path.with_extension("json.tmp");
    if fs::write(
        &tmp,
        serde_json::to_vec_pretty(&seen).expect("serialisable"),
    )
    .and_then(|()| fs::rename(&tmp, &record_path))
    .is_err()
    {
        tracing::warn!(path = %record_path.display(), "cannot record the imported airgap archives");
    }
    out
}

/// Imports one archive, decompressing it by its first bytes.
pub fn import_file(store: &ImageStore, path: &Path) -> Result<Vec<Reference>, ImportError> {
    let file = fs::File::open(path).map_err(ImportError::Archive)?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let prefix = reader.fill_buf().map_err(ImportError::Archive)?;
    match Compression::detect(prefix) {
        Compression::None => import_archive(store, reader),
        Compression::Gzip => import_archive(store, flate2::bufread::MultiGzDecoder::new(reader)),
        Compression::Zstd => {
            let frames = ZstdFrames::new(reader).map_err(|e| {
                ImportError::Archive(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
            })?;
            import_archive(store, frames)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::images::Digest;
    use crate::runtime::images::testutil::{gzip, image_blobs, tar_of};

    /// An OCI-layout archive of one image named `name`.
    fn archive(name: &str, content: &[u8]) -> Vec<u8> {
        let (layers, config, manifest) = image_blobs(&[tar_of(&[("f", content)])]);
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": Digest::of(&manifest).to_string(), "size": manifest.len(),
                "annotations": {"io.containerd.image.name": name}}],
        }))
        .unwrap();
        let mut files: Vec<(String, Vec<u8>)> = vec![
            (
                "oci-layout".into(),
                br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
            ),
            ("index.json".into(), index),
        ];
        for b in layers.iter().chain([&config, &manifest]) {
            files.push((format!("blobs/sha256/{}", Digest::of(b).hex()), b.clone()));
        }
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), &b[..])).collect();
        tar_of(&refs)
    }

    #[test]
    fn imports_every_archive_once_whatever_its_compression() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path().join("store")).unwrap();
        let airgap = dir.path().join("images");
        fs::create_dir_all(&airgap).unwrap();
        fs::write(airgap.join("a.tar"), archive("example.com/a:1", b"a")).unwrap();
        fs::write(
            airgap.join("b.tar.gz"),
            gzip(&archive("example.com/b:1", b"b")),
        )
        .unwrap();
        let zst = ruzstd::encoding::compress_to_vec(
            &archive("example.com/c:1", b"c")[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        fs::write(airgap.join("c.tar.zst"), zst).unwrap();
        fs::write(airgap.join("notes.txt"), b"not an archive").unwrap();
        fs::write(
            airgap.join("broken.tar"),
            tar_of(&[("README", b"no image")]),
        )
        .unwrap();

        let results = import_dir(&store, &airgap);
        let summary: Vec<String> = results
            .iter()
            .map(|(p, o)| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                match o {
                    Outcome::Imported(names) => format!("{name}: {}", names[0].familiar()),
                    Outcome::Unchanged => format!("{name}: unchanged"),
                    Outcome::Failed(e) => format!("{name}: failed: {e}"),
                }
            })
            .collect();
        assert_eq!(
            summary,
            [
                "a.tar: example.com/a:1",
                "b.tar.gz: example.com/b:1",
                "broken.tar: failed: the archive has neither index.json nor manifest.json: not an image archive",
                "c.tar.zst: example.com/c:1",
            ]
        );
        assert_eq!(store.list().unwrap().len(), 3);

        // A second start skips what it imported; a failed archive is tried again.
        let again = import_dir(&store, &airgap);
        let unchanged = again
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::Unchanged))
            .count();
        assert_eq!(unchanged, 3);
        assert!(matches!(again[2].1, Outcome::Failed(_)));
        assert!(import_dir(&store, &dir.path().join("missing")).is_empty());
    }
}
