//! Pulling an image: resolve the reference to a manifest (choosing this platform's from an
//! index), then fetch the config and the missing layers, several at a time, into the content
//! store, and name the image.
//!
//! Every blob is verified against its digest before it becomes visible. A download that
//! breaks off is resumed where it stopped (an HTTP `Range` request) a few times before the
//! pull fails; blobs already complete stay in the content store, so pulling again fetches only
//! what is missing (unreferenced blobs go at the next prune). A failed pull names nothing and
//! leaves no partial file.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt as _;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::content::ContentError;
use super::digest::Digest;
use super::oci::{Descriptor, Document, MANIFEST_ACCEPT, OciError, Platform};
use super::reference::Reference;
use super::registry::{Credentials, Endpoint, READ_TIMEOUT, Registries, RegistryError};
use super::store::{ImageRecord, ImageStore, StoreError};

/// Manifests and indexes larger than this are refused (real ones are a few KiB).
const MAX_MANIFEST: usize = 4 << 20;
/// Layers fetched at the same time.
const CONCURRENT_LAYERS: usize = 3;
/// Attempts per blob (the first plus resumptions).
const ATTEMPTS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("failed to resolve reference {reference:?}: {reference}: not found")]
    NotFound { reference: String },
    #[error(
        "pull access denied for {reference}, repository does not exist or may require authorization: {why}"
    )]
    Unauthorized { reference: String, why: String },
    #[error("{what}: the registry answered {status}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        what: String,
        status: StatusCode,
        message: Option<String>,
    },
    #[error(transparent)]
    Registry(RegistryError),
    #[error("reading {what}")]
    Body {
        what: String,
        #[source]
        source: hyper::Error,
    },
    #[error("reading {what}: no data for {}s", READ_TIMEOUT.as_secs())]
    Stalled { what: String },
    #[error("{what} is larger than {limit} bytes")]
    TooLarge { what: String, limit: u64 },
    #[error("{what} has digest {actual}, not the {expected} asked for")]
    BadDigest {
        what: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("no manifest in {reference} is for {platform}")]
    NoPlatform { reference: String, platform: String },
    #[error(transparent)]
    Content(#[from] ContentError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Oci(#[from] OciError),
    #[error("writing to the content store: {0}")]
    Writer(String),
}

/// What kind of failure a pull was, for the kubelet's reasons and the CLI's exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullFailure {
    NotFound,
    Unauthorized,
    BadDigest,
    NoSpace,
    Network,
    Other,
}

impl PullError {
    pub fn failure(&self) -> PullFailure {
        match self {
            PullError::NotFound { .. } => PullFailure::NotFound,
            PullError::Unauthorized { .. } => PullFailure::Unauthorized,
            PullError::BadDigest { .. }
            | PullError::Content(ContentError::DigestMismatch { .. }) => PullFailure::BadDigest,
            PullError::Content(ContentError::Io { source, .. })
                if source.raw_os_error() == Some(libc::ENOSPC) =>
            {
                PullFailure::NoSpace
            }
            PullError::Registry(RegistryError::Auth { .. }) => PullFailure::Unauthorized,
            PullError::Registry(_)
            | PullError::Body { .. }
            | PullError::Stalled { .. }
            | PullError::Status { .. } => PullFailure::Network,
            _ => PullFailure::Other,
        }
    }
}

/// Progress of a pull.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullEvent {
    /// The manifest is known: the blobs the image needs (config first, then layers).
    Resolved {
        manifest: Digest,
        blobs: Vec<(Digest, u64)>,
    },
    /// The blob was already in the store.
    Exists {
        blob: Digest,
    },
    /// Bytes of a blob received so far.
    Progress {
        blob: Digest,
        done: u64,
        total: u64,
    },
    /// A download broke off and is being resumed.
    Retrying {
        blob: Digest,
        at: u64,
        error: String,
    },
    Done {
        blob: Digest,
    },
}

/// What a pull did.
#[derive(Clone, Debug)]
pub struct Pulled {
    pub record: ImageRecord,
    pub manifest: Digest,
    /// Bytes downloaded (blobs already present excluded).
    pub downloaded: u64,
}

pub type Progress = Arc<dyn Fn(PullEvent) + Send + Sync>;

/// Pulls `reference` into `store`. `creds`, when given, override the configured credentials
/// (a pod's image pull secret).
pub async fn pull(
    registries: &Registries,
    store: &Arc<ImageStore>,
    reference: &Reference,
    creds: Option<&Credentials>,
    progress: Progress,
) -> Result<Pulled, PullError> {
    let endpoints = registries
        .endpoints(&reference.registry)
        .map_err(PullError::Registry)?;
    let mut last_err = None;
    for endpoint in &endpoints {
        let puller = Puller {
            registries,
            store,
            endpoint,
            reference,
            creds,
            progress: progress.clone(),
        };
        match puller.run().await {
            Ok(p) => return Ok(p),
            // A mirror that fails is skipped; the registry itself is the last word.
            Err(err) if endpoint.mirror => {
                tracing::warn!(mirror = %endpoint.base, image = %reference, error = %err, "mirror failed, trying the next endpoint");
                last_err = Some(err);
            }
            Err(err) => return Err(err),
        }
    }
    Err(last_err.expect("at least the registry itself is an endpoint"))
}

struct Puller<'a> {
    registries: &'a Registries,
    store: &'a Arc<ImageStore>,
    endpoint: &'a Endpoint,
    reference: &'a Reference,
    creds: Option<&'a Credentials>,
    progress: Progress,
}

impl Puller<'_> {
    async fn run(&self) -> Result<Pulled, PullError> {
        let wanted = match (&self.reference.digest, &self.reference.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_owned(),
        };
        let (mut digest, bytes, content_type) = self
            .fetch_manifest(&wanted, self.reference.digest.as_ref())
            .await?;
        let mut doc = Document::parse(&bytes, content_type.as_deref())?;
        self.store_blob(&digest, bytes).await?;
        if let Document::Index(index) = &doc {
            let host = Platform::host();
            let chosen = index.select(&host).ok_or_else(|| PullError::NoPlatform {
                reference: self.reference.familiar(),
                platform: host.to_string(),
            })?;
            let child = chosen.digest("manifest")?;
            let (d, bytes, content_type) = self
                .fetch_manifest(&child.to_string(), Some(&child))
                .await?;
            doc = Document::parse(&bytes, content_type.as_deref().or(Some(&chosen.media_type)))?;
            self.store_blob(&d, bytes).await?;
            digest = d;
        }
        let Document::Manifest(manifest) = doc else {
            return Err(StoreError::NotAManifest(digest).into());
        };
        let blobs: Vec<&Descriptor> = std::iter::once(&manifest.config)
            .chain(&manifest.layers)
            .collect();
        let mut wanted: Vec<(Digest, u64)> = Vec::with_capacity(blobs.len());
        for b in &blobs {
            wanted.push((b.digest("image blob")?, b.size));
        }
        (self.progress)(PullEvent::Resolved {
            manifest: digest.clone(),
            blobs: wanted.clone(),
        });
        let downloads = futures::stream::iter(wanted.into_iter().map(|(blob, size)| async move {
            if self.store.content().contains(&blob) {
                (self.progress)(PullEvent::Exists { blob });
                return Ok(0);
            }
            let n = self.fetch_blob(&blob, size).await?;
            (self.progress)(PullEvent::Done { blob });
            Ok::<u64, PullError>(n)
        }))
        .buffer_unordered(CONCURRENT_LAYERS)
        .collect::<Vec<_>>()
        .await;
        let mut downloaded = 0;
        for d in downloads {
            downloaded += d?;
        }
        let store = self.store.clone();
        let reference = self.reference.clone();
        let manifest_digest = digest.clone();
        let record = tokio::task::spawn_blocking(move || store.tag(&reference, &manifest_digest))
            .await
            .map_err(|e| PullError::Writer(e.to_string()))??;
        Ok(Pulled {
            record,
            manifest: digest,
            downloaded,
        })
    }

    fn what(&self, kind: &str, name: &str) -> String {
        format!(
            "{kind} {}@{name} from {}",
            self.reference.name(),
            self.endpoint.base
        )
    }

    /// The manifest or index `wanted` names (a tag or digest), its digest (checked against
    /// `expect`) and its content type.
    async fn fetch_manifest(
        &self,
        wanted: &str,
        expect: Option<&Digest>,
    ) -> Result<(Digest, Bytes, Option<String>), PullError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(&MANIFEST_ACCEPT.join(", ")).expect("ascii"),
        );
        let path = format!("/v2/{}/manifests/{wanted}", self.reference.repository);
        let resp = self
            .registries
            .get(
                self.endpoint,
                &self.reference.repository,
                &path,
                headers,
                self.creds,
            )
            .await
            .map_err(|e| self.registry_error(e))?;
        let what = self.what("manifest", wanted);
        let status = resp.status();
        if !status.is_success() {
            return Err(self.status_error(what, resp, true).await);
        }
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(';').next().unwrap_or(s).trim().to_owned());
        let bytes = read_limited(resp.into_body(), MAX_MANIFEST, &what).await?;
        let digest = Digest::of(&bytes);
        if let Some(expected) = expect
            && *expected != digest
        {
            return Err(PullError::BadDigest {
                what,
                expected: expected.clone(),
                actual: digest,
            });
        }
        Ok((digest, bytes, content_type))
    }

    async fn store_blob(&self, digest: &Digest, bytes: Bytes) -> Result<(), PullError> {
        let store = self.store.clone();
        let digest = digest.clone();
        tokio::task::spawn_blocking(move || store.content().write(&digest, &bytes[..]))
            .await
            .map_err(|e| PullError::Writer(e.to_string()))??;
        Ok(())
    }

    /// Downloads one blob into the content store, resuming after a broken connection.
    async fn fetch_blob(&self, blob: &Digest, size: u64) -> Result<u64, PullError> {
        let what = self.what("blob", &blob.to_string());
        // The file is written on a blocking thread, fed through a channel.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Chunk>(32);
        let store = self.store.clone();
        let expected = blob.clone();
        let writer = tokio::task::spawn_blocking(move || {
            let mut w = store.content().writer()?;
            while let Some(chunk) = rx.blocking_recv() {
                match chunk {
                    Chunk::Data(b) => w.write(&b)?,
                    Chunk::Reset => w.reset()?,
                    Chunk::Commit => return w.commit(Some(&expected)).map(Some),
                }
            }
            // The sender gave up: the writer's drop removes the partial file.
            Ok::<_, ContentError>(None)
        });
        let received = self.download(blob, size, &what, &tx).await;
        let commit = match &received {
            Ok(_) => tx.send(Chunk::Commit).await.is_ok(),
            Err(_) => false,
        };
        drop(tx);
        let written = writer.await.map_err(|e| PullError::Writer(e.to_string()))?;
        let n = received?;
        match written {
            Ok(Some(_)) if commit => Ok(n),
            Ok(_) => Err(PullError::Writer(
                "the blob writer stopped early".to_owned(),
            )),
            Err(ContentError::DigestMismatch { expected, actual }) => Err(PullError::BadDigest {
                what,
                expected,
                actual,
            }),
            Err(e) => Err(e.into()),
        }
    }

    async fn download(
        &self,
        blob: &Digest,
        size: u64,
        what: &str,
        tx: &tokio::sync::mpsc::Sender<Chunk>,
    ) -> Result<u64, PullError> {
        let path = format!("/v2/{}/blobs/{blob}", self.reference.repository);
        let mut done = 0u64;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut headers = HeaderMap::new();
            if done > 0 {
                headers.insert(
                    header::RANGE,
                    HeaderValue::from_str(&format!("bytes={done}-")).expect("ascii"),
                );
            }
            let result = async {
                let resp = self
                    .registries
                    .get(
                        self.endpoint,
                        &self.reference.repository,
                        &path,
                        headers,
                        self.creds,
                    )
                    .await
                    .map_err(|e| self.registry_error(e))?;
                let status = resp.status();
                if done > 0 && status == StatusCode::OK {
                    // The server ignored the range: start over.
                    done = 0;
                    tx.send(Chunk::Reset).await.map_err(|_| writer_gone())?;
                } else if !status.is_success() {
                    return Err(self.status_error(what.to_owned(), resp, false).await);
                }
                let mut body = resp.into_body();
                loop {
                    let frame = match tokio::time::timeout(READ_TIMEOUT, body.frame()).await {
                        Err(_) => {
                            return Err(PullError::Stalled {
                                what: what.to_owned(),
                            });
                        }
                        Ok(None) => return Ok(()),
                        Ok(Some(f)) => f.map_err(|source| PullError::Body {
                            what: what.to_owned(),
                            source,
                        })?,
                    };
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    done += data.len() as u64;
                    if done > size {
                        return Err(PullError::TooLarge {
                            what: what.to_owned(),
                            limit: size,
                        });
                    }
                    tx.send(Chunk::Data(data))
                        .await
                        .map_err(|_| writer_gone())?;
                    (self.progress)(PullEvent::Progress {
                        blob: blob.clone(),
                        done,
                        total: size,
                    });
                }
            }
            .await;
            match result {
                Ok(()) if done == size => return Ok(done),
                Ok(()) if attempt < ATTEMPTS => {
                    (self.progress)(PullEvent::Retrying {
                        blob: blob.clone(),
                        at: done,
                        error: "the response ended early".to_owned(),
                    });
                }
                Ok(()) => {
                    return Err(PullError::Writer(format!(
                        "{what}: got {done} of {size} bytes"
                    )));
                }
                Err(e)
                    if attempt < ATTEMPTS
                        && matches!(e.failure(), PullFailure::Network)
                        && !matches!(e, PullError::Status { status, .. } if status.is_client_error()) =>
                {
                    (self.progress)(PullEvent::Retrying {
                        blob: blob.clone(),
                        at: done,
                        error: e.to_string(),
                    });
                    tokio::time::sleep(std::time::Duration::from_millis(200 * attempt as u64))
                        .await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn registry_error(&self, e: RegistryError) -> PullError {
        match e {
            RegistryError::Auth { why, .. } => PullError::Unauthorized {
                reference: self.reference.familiar(),
                why,
            },
            e => PullError::Registry(e),
        }
    }

    /// The error for a non-success response, with the registry's own message when it sent
    /// one (`{"errors":[{"code":…,"message":…}]}`).
    async fn status_error(
        &self,
        what: String,
        resp: hyper::Response<Incoming>,
        manifest: bool,
    ) -> PullError {
        let status = resp.status();
        let body = read_limited(resp.into_body(), 64 << 10, &what)
            .await
            .unwrap_or_default();
        #[derive(serde::Deserialize)]
        struct Errors {
            errors: Vec<ErrorItem>,
        }
        #[derive(serde::Deserialize)]
        struct ErrorItem {
            #[serde(default)]
            code: String,
            #[serde(default)]
            message: String,
        }
        let message = serde_json::from_slice::<Errors>(&body).ok().and_then(|e| {
            e.errors
                .first()
                .map(|i| format!("{}: {}", i.code, i.message))
        });
        match status {
            StatusCode::NOT_FOUND if manifest => PullError::NotFound {
                reference: self.reference.familiar(),
            },
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => PullError::Unauthorized {
                reference: self.reference.familiar(),
                why: message.unwrap_or_else(|| status.to_string()),
            },
            _ => PullError::Status {
                what,
                status,
                message,
            },
        }
    }
}

enum Chunk {
    Data(Bytes),
    Reset,
    Commit,
}

fn writer_gone() -> PullError {
    PullError::Writer("the blob writer stopped".to_owned())
}

async fn read_limited(mut body: Incoming, limit: usize, what: &str) -> Result<Bytes, PullError> {
    let mut out = Vec::new();
    loop {
        let frame = match tokio::time::timeout(READ_TIMEOUT, body.frame()).await {
            Err(_) => {
                return Err(PullError::Stalled {
                    what: what.to_owned(),
                });
            }
            Ok(None) => return Ok(out.into()),
            Ok(Some(f)) => f.map_err(|source| PullError::Body {
                what: what.to_owned(),
                source,
            })?,
        };
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(PullError::TooLarge {
                    what: what.to_owned(),
                    limit: limit as u64,
                });
            }
            out.extend_from_slice(&data);
        }
    }
}
