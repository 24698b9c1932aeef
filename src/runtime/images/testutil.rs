//! Building small images in tests.

use std::io::Write;

use super::digest::Digest;
use super::oci::{self, Platform};
use super::reference::Reference;
use super::store::{ImageRecord, ImageStore};

/// A tar of regular files (mode 0644).
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// The blobs of an image of `layers` (uncompressed tars, bottom first; stored gzipped):
/// `(layer blobs, config, manifest)`.
pub fn image_blobs(layers: &[Vec<u8>]) -> (Vec<Vec<u8>>, Vec<u8>, Vec<u8>) {
    let host = Platform::host();
    let gz: Vec<Vec<u8>> = layers.iter().map(|l| gzip(l)).collect();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": host.architecture, "os": "linux",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids":
            layers.iter().map(|l| Digest::of(l).to_string()).collect::<Vec<_>>()},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": oci::OCI_MANIFEST,
        "config": {"mediaType": oci::OCI_CONFIG, "digest": Digest::of(&config).to_string(), "size": config.len()},
        "layers": gz.iter().map(|b| serde_json::json!({
            "mediaType": oci::OCI_LAYER_GZIP, "digest": Digest::of(b).to_string(), "size": b.len()
        })).collect::<Vec<_>>(),
    }))
    .unwrap();
    (gz, config, manifest)
}

/// Stores an image of `layers` under `name`.
pub fn put_image(store: &ImageStore, name: &str, layers: &[Vec<u8>]) -> ImageRecord {
    let (gz, config, manifest) = image_blobs(layers);
    for b in gz.iter().chain([&config, &manifest]) {
        store.content().put(b).unwrap();
    }
    let reference: Reference = name.parse().unwrap();
    store.tag(&reference, &Digest::of(&manifest)).unwrap()
}
