//! Image references as Docker and containerd normalise them: `nginx` is
//! `docker.io/library/nginx:latest`, `quay.io/a/b@sha256:…` keeps its digest.

use std::fmt;
use std::str::FromStr;

use super::digest::Digest;
// The Docker reference grammar, shared with the API's image pull-policy default.
use crate::api::defaults::image::{valid_domain, valid_path_component, valid_tag};

pub const DEFAULT_REGISTRY: &str = "docker.io";
const DEFAULT_TAG: &str = "latest";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReferenceError {
    #[error("invalid image reference {reference:?}: {why}")]
    Invalid {
        reference: String,
        why: &'static str,
    },
}

/// A normalised image reference: registry, repository path, and a tag and/or digest.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    pub registry: String,
    pub repository: String,
    /// `None` only when a digest is given without a tag.
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

impl Reference {
    /// `registry/repository`, without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The shortest form Docker prints (`busybox:1.36`, `quay.io/x/y:z`).
    pub fn familiar(&self) -> String {
        let name = if self.registry == DEFAULT_REGISTRY {
            self.repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository)
                .to_owned()
        } else {
            self.name()
        };
        self.with_suffix(name)
    }

    fn with_suffix(&self, mut s: String) -> String {
        if let Some(tag) = &self.tag {
            s.push(':');
            s.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            s.push('@');
            s.push_str(&digest.to_string());
        }
        s
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.with_suffix(self.name()))
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Reference, ReferenceError> {
        let invalid = |why| ReferenceError::Invalid {
            reference: s.to_owned(),
            why,
        };
        if s.is_empty() || s.len() > 4096 {
            return Err(invalid("empty or too long"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (
                r,
                Some(
                    d.parse::<Digest>()
                        .map_err(|_| invalid("the digest is not sha256:<64 hex digits>"))?,
                ),
            ),
            None => (s, None),
        };
        // A tag follows the last `:` after the last `/` (a registry may have a port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if tag.is_some_and(|t| !valid_tag(t)) {
            return Err(invalid("the tag must be [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"));
        }
        // The first component is a registry when it looks like a host: has a `.` or a `:`, or
        // is `localhost`.
        let (registry, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), path.to_owned())
            }
            _ => (DEFAULT_REGISTRY.to_owned(), name.to_owned()),
        };
        if !valid_domain(&registry) {
            return Err(invalid("the registry must be host[:port]"));
        }
        let registry = if registry == "index.docker.io" {
            DEFAULT_REGISTRY.to_owned()
        } else {
            registry
        };
        if path.is_empty() || !path.split('/').all(valid_path_component) {
            return Err(invalid(
                "repository components must be lowercase letters, digits and separators (. _ __ -)",
            ));
        }
        let repository = if registry == DEFAULT_REGISTRY && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_owned()),
            (None, None) => Some(DEFAULT_TAG.to_owned()),
            (None, Some(_)) => None,
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn normalises_like_docker() {
        for (input, full, familiar) in [
            ("nginx", "docker.io/library/nginx:latest", "nginx:latest"),
            (
                "busybox:1.36",
                "docker.io/library/busybox:1.36",
                "busybox:1.36",
            ),
            (
                "library/busybox",
                "docker.io/library/busybox:latest",
                "busybox:latest",
            ),
            (
                "bitnami/redis:7",
                "docker.io/bitnami/redis:7",
                "bitnami/redis:7",
            ),
            (
                "index.docker.io/library/nginx",
                "docker.io/library/nginx:latest",
                "nginx:latest",
            ),
            (
                "quay.io/coreos/etcd:v3.5",
                "quay.io/coreos/etcd:v3.5",
                "quay.io/coreos/etcd:v3.5",
            ),
            (
                "127.0.0.1:5000/test/busybox:t1",
                "127.0.0.1:5000/test/busybox:t1",
                "127.0.0.1:5000/test/busybox:t1",
            ),
            (
                "localhost/app",
                "localhost/app:latest",
                "localhost/app:latest",
            ),
            (
                "localhost:5000/app",
                "localhost:5000/app:latest",
                "localhost:5000/app:latest",
            ),
            ("a/b/c/d", "docker.io/a/b/c/d:latest", "a/b/c/d:latest"),
            (
                "my-app_x.y__z",
                "docker.io/library/my-app_x.y__z:latest",
                "my-app_x.y__z:latest",
            ),
        ] {
            let r: Reference = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.to_string(), full, "{input}");
            assert_eq!(r.familiar(), familiar, "{input}");
        }
    }

    #[test]
    fn digests_with_and_without_tags() {
        let r: Reference = format!("busybox@{D}").parse().unwrap();
        assert_eq!(r.tag, None);
        assert_eq!(r.to_string(), format!("docker.io/library/busybox@{D}"));
        let r: Reference = format!("127.0.0.1:5000/x:1@{D}").parse().unwrap();
        assert_eq!(r.tag.as_deref(), Some("1"));
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.digest.unwrap().to_string(), D);
    }

    #[test]
    fn refuses_invalid() {
        for bad in [
            "",
            "Nginx",
            "nginx:",
            "nginx:-x",
            "nginx@sha256:abc",
            "a//b",
            "a/-b",
            "a/b-",
            "a..b",
            "a___b",
            "quay.io/",
            "nginx:a/b",
            "with space",
        ] {
            assert!(bad.parse::<Reference>().is_err(), "{bad:?}");
        }
    }
}
