//! The image documents: OCI and Docker schema 2 manifests, indexes / manifest lists, and image
//! configs, parsed leniently (unknown fields ignored), and the choice of a platform's manifest
//! from an index.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::digest::Digest;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// What a registry is asked for: every manifest and index type (a Docker-only `Accept` gets a
/// 404 from registries for OCI manifests).
pub const MANIFEST_ACCEPT: &[&str] = &[
    OCI_INDEX,
    OCI_MANIFEST,
    DOCKER_MANIFEST_LIST,
    DOCKER_MANIFEST,
];

#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("malformed {what}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("unsupported manifest media type {0:?}")]
    MediaType(String),
    #[error("invalid digest in {what}: {digest:?}")]
    Digest { what: &'static str, digest: String },
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Platform {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.variant {
            Some(v) => write!(f, "/{v}"),
            None => Ok(()),
        }
    }
}

impl Platform {
    /// The platform this binary runs on, with Go's architecture names.
    pub fn host() -> Platform {
        let (architecture, variant) = match std::env::consts::ARCH {
            "x86_64" => ("amd64", None),
            "aarch64" => ("arm64", Some("v8")),
            "arm" => ("arm", Some("v7")),
            "x86" => ("386", None),
            "powerpc64" => ("ppc64le", None),
            "s390x" => ("s390x", None),
            "riscv64" => ("riscv64", None),
            other => (other, None),
        };
        Platform {
            architecture: architecture.to_owned(),
            os: "linux".to_owned(),
            variant: variant.map(str::to_owned),
        }
    }

    /// Whether an image for `self` runs on `host`; an absent variant matches any.
    pub fn runs_on(&self, host: &Platform) -> bool {
        self.os == host.os
            && self.architecture == host.architecture
            && match (&self.variant, &host.variant) {
                (Some(v), Some(h)) => v == h || (host.architecture == "arm64" && v == "v8"),
                _ => true,
            }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Descriptor {
    pub fn digest(&self, what: &'static str) -> Result<Digest, OciError> {
        self.digest.parse().map_err(|_| OciError::Digest {
            what,
            digest: self.digest.clone(),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    #[serde(default)]
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub config: Descriptor,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    #[serde(default)]
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub manifests: Vec<Descriptor>,
}

impl Index {
    /// The manifest for `host`: an exact variant match first, then one without a variant.
    /// Attestation manifests (`unknown/unknown` platforms) never match.
    pub fn select(&self, host: &Platform) -> Option<&Descriptor> {
        let candidates = || {
            self.manifests
                .iter()
                .filter(|d| d.platform.as_ref().is_some_and(|p| p.runs_on(host)))
        };
        candidates()
            .find(|d| d.platform.as_ref().and_then(|p| p.variant.as_ref()) == host.variant.as_ref())
            .or_else(|| candidates().next())
    }
}

/// A manifest document: one image, or an index of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Document {
    Manifest(Manifest),
    Index(Index),
}

impl Document {
    /// Parses by the media type (the one in the document wins over `content_type`); without
    /// one, by shape (`manifests` for an index, `config` for a manifest).
    pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Document, OciError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|source| OciError::Json {
                what: "manifest",
                source,
            })?;
        let media_type = value
            .get("mediaType")
            .and_then(serde_json::Value::as_str)
            .or(content_type)
            .map(|m| m.split(';').next().unwrap_or_default().trim().to_owned());
        let index = match media_type.as_deref() {
            Some(OCI_INDEX | DOCKER_MANIFEST_LIST) => true,
            Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
            Some(other) if !other.is_empty() && other != "application/json" => {
                return Err(OciError::MediaType(other.to_owned()));
            }
            _ => value.get("manifests").is_some(),
        };
        if index {
            serde_json::from_value(value)
                .map(Document::Index)
                .map_err(|source| OciError::Json {
                    what: "image index",
                    source,
                })
        } else {
            serde_json::from_value(value)
                .map(Document::Manifest)
                .map_err(|source| OciError::Json {
                    what: "image manifest",
                    source,
                })
        }
    }
}

/// The parts of an image config a runtime uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default)]
    pub config: Option<ContainerConfig>,
    #[serde(default)]
    pub rootfs: RootFs,
}

impl ImageConfig {
    pub fn parse(bytes: &[u8]) -> Result<ImageConfig, OciError> {
        serde_json::from_slice(bytes).map_err(|source| OciError::Json {
            what: "image config",
            source,
        })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub env: Option<Vec<String>>,
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub stop_signal: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn desc(arch: &str, variant: Option<&str>, os: &str) -> serde_json::Value {
        let mut p = serde_json::json!({"architecture": arch, "os": os});
        if let Some(v) = variant {
            p["variant"] = v.into();
        }
        serde_json::json!({"mediaType": OCI_MANIFEST, "digest": D, "size": 1, "platform": p})
    }

    #[test]
    fn picks_the_host_platform_from_an_index() {
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                desc("unknown", None, "unknown"),
                desc("arm", Some("v6"), "linux"),
                desc("arm", Some("v7"), "linux"),
                desc("arm64", Some("v8"), "linux"),
                desc("amd64", None, "windows"),
                desc("amd64", None, "linux"),
            ]
        });
        let Document::Index(index) = Document::parse(index.to_string().as_bytes(), None).unwrap()
        else {
            panic!("not an index");
        };
        let pick = |arch: &str, variant: Option<&str>| {
            let host = Platform {
                architecture: arch.into(),
                os: "linux".into(),
                variant: variant.map(Into::into),
            };
            index.select(&host).map(|d| {
                index
                    .manifests
                    .iter()
                    .position(|m| std::ptr::eq(m, d))
                    .unwrap()
            })
        };
        assert_eq!(pick("amd64", None), Some(5));
        assert_eq!(pick("arm", Some("v7")), Some(2));
        assert_eq!(pick("arm64", Some("v8")), Some(3));
        assert_eq!(pick("s390x", None), None);
        assert_eq!(Platform::host().os, "linux");
    }

    #[test]
    fn parses_manifests_by_media_type_or_shape() {
        let docker = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "digest": D, "size": 10},
            "layers": [{"mediaType": DOCKER_LAYER_GZIP, "digest": D, "size": 20}],
        });
        let Document::Manifest(m) = Document::parse(docker.to_string().as_bytes(), None).unwrap()
        else {
            panic!("not a manifest");
        };
        assert_eq!(m.layers.len(), 1);
        assert_eq!(m.config.digest("config").unwrap().to_string(), D);
        // No media type in the document: the shape decides.
        let bare = serde_json::json!({"schemaVersion": 2, "manifests": []});
        assert!(matches!(
            Document::parse(bare.to_string().as_bytes(), Some("application/json")),
            Ok(Document::Index(_))
        ));
        // Schema 1 and other types are refused by name.
        let v1 = serde_json::json!({"schemaVersion": 1, "mediaType": "application/vnd.docker.distribution.manifest.v1+prettyjws"});
        assert!(matches!(
            Document::parse(v1.to_string().as_bytes(), None),
            Err(OciError::MediaType(_))
        ));
        assert!(Document::parse(b"{", None).is_err());
        let bad_digest = serde_json::json!({"config": {"digest": "md5:x"}, "layers": []});
        let Document::Manifest(m) =
            Document::parse(bad_digest.to_string().as_bytes(), None).unwrap()
        else {
            panic!("not a manifest");
        };
        assert!(m.config.digest("config").is_err());
    }

    #[test]
    fn reads_the_runtime_parts_of_a_config() {
        let config = serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Env": ["PATH=/bin"], "Entrypoint": null, "Cmd": ["sh"], "WorkingDir": "/",
                       "User": "1000:1000", "ExposedPorts": {"80/tcp": {}}, "StopSignal": "SIGQUIT"},
            "rootfs": {"type": "layers", "diff_ids": [D]},
            "history": [{"created_by": "x"}],
        });
        let c = ImageConfig::parse(config.to_string().as_bytes()).unwrap();
        let cc = c.config.unwrap();
        assert_eq!(cc.cmd, Some(vec!["sh".to_owned()]));
        assert_eq!(cc.entrypoint, None);
        assert_eq!(cc.user.as_deref(), Some("1000:1000"));
        assert_eq!(c.rootfs.diff_ids, vec![D.to_owned()]);
    }
}
