//! A kube-rs [`Client`] that reaches an orch API server over HTTPS, configured from a
//! kubeconfig file — what agents (and simulated agents) use to talk to the server.
//!
//! kube-rs' own TLS stacks are not compiled in (they would add a second crypto provider); this
//! builds the transport from hyper-util's pooled client and tokio-rustls with the ring provider,
//! offering HTTP/2 so that every watch and request shares one TLS connection.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::Uri;
use http::uri::{Authority, Scheme};
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use kube::Client;
use rustls::pki_types::ServerName;
use serde_json::Value;
use tokio::net::TcpStream;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot read kubeconfig {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("kubeconfig {path} is not valid yaml")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("kubeconfig {path}: {what}")]
    Invalid { path: PathBuf, what: String },
    #[error("kubeconfig {path}: cannot build the tls configuration")]
    Tls {
        path: PathBuf,
        #[source]
        source: crate::pki::PkiError,
    },
}

/// What a kubeconfig's current context says about reaching the server.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub server: Uri,
    pub ca_pem: String,
    pub client_cert: Option<(String, String)>,
    pub token: Option<String>,
}

impl Endpoint {
    /// Reads the current context of the kubeconfig at `path` (embedded `*-data` or file
    /// references, client certificates or a bearer token).
    pub fn from_kubeconfig(path: &Path) -> Result<Endpoint, ClientError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClientError::Read {
            path: path.to_owned(),
            source,
        })?;
        let doc: Value = serde_yaml_ng::from_str(&text).map_err(|source| ClientError::Parse {
            path: path.to_owned(),
            source,
        })?;
        let invalid = |what: String| ClientError::Invalid {
            path: path.to_owned(),
            what,
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let named = |list: &str, name: &str, field: &str| -> Option<Value> {
            doc[list]
                .as_array()?
                .iter()
                .find(|e| e["name"].as_str() == Some(name))
                .map(|e| e[field].clone())
        };
        let context_name = doc["current-context"]
            .as_str()
            .or_else(|| doc["contexts"][0]["name"].as_str())
            .ok_or_else(|| invalid("no current context".into()))?;
        let context = named("contexts", context_name, "context")
            .ok_or_else(|| invalid(format!("context {context_name:?} not found")))?;
        let cluster_name = context["cluster"].as_str().unwrap_or_default();
        let cluster = named("clusters", cluster_name, "cluster")
            .ok_or_else(|| invalid(format!("cluster {cluster_name:?} not found")))?;
        let user = context["user"]
            .as_str()
            .and_then(|u| named("users", u, "user"))
            .unwrap_or(Value::Null);

        let data = |obj: &Value, field: &str| -> Result<Option<String>, ClientError> {
            if let Some(b64) = obj[format!("{field}-data")].as_str() {
                let bytes = STANDARD
                    .decode(b64.trim())
                    .map_err(|e| invalid(format!("{field}-data is not base64: {e}")))?;
                return String::from_utf8(bytes)
                    .map(Some)
                    .map_err(|_| invalid(format!("{field}-data is not pem text")));
            }
            if let Some(file) = obj[field].as_str() {
                let file = base.join(file);
                return std::fs::read_to_string(&file)
                    .map(Some)
                    .map_err(|source| ClientError::Read { path: file, source });
            }
            Ok(None)
        };
        let server: Uri = cluster["server"]
            .as_str()
            .ok_or_else(|| invalid("the cluster has no server".into()))?
            .parse()
            .map_err(|e| invalid(format!("bad server url: {e}")))?;
        if server.scheme() != Some(&Scheme::HTTPS) || server.authority().is_none() {
            return Err(invalid(format!("server {server} is not an https url")));
        }
        let ca_pem = data(&cluster, "certificate-authority")?
            .ok_or_else(|| invalid("the cluster has no certificate authority".into()))?;
        let client_cert = match (
            data(&user, "client-certificate")?,
            data(&user, "client-key")?,
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            _ => None,
        };
        let token = match (user["token"].as_str(), user["tokenFile"].as_str()) {
            (Some(t), _) => Some(t.to_owned()),
            (None, Some(file)) => Some(
                std::fs::read_to_string(base.join(file))
                    .map_err(|source| ClientError::Read {
                        path: base.join(file),
                        source,
                    })?
                    .trim()
                    .to_owned(),
            ),
            _ => None,
        };
        Ok(Endpoint {
            server,
            ca_pem,
            client_cert,
            token,
        })
    }
}

/// A client for the server and credentials of the kubeconfig at `path`. Must be called inside
/// a tokio runtime.
pub fn from_kubeconfig(path: &Path) -> Result<Client, ClientError> {
    let endpoint = Endpoint::from_kubeconfig(path)?;
    let tls = crate::pki::client_tls_config(
        &endpoint.ca_pem,
        endpoint
            .client_cert
            .as_ref()
            .map(|(c, k)| (c.as_str(), k.as_str())),
    )
    .map_err(|source| ClientError::Tls {
        path: path.to_owned(),
        source,
    })?;
    Ok(client(endpoint, tls))
}

/// A client for `endpoint` over the given TLS configuration.
pub fn client(endpoint: Endpoint, tls: Arc<rustls::ClientConfig>) -> Client {
    let authority = endpoint
        .server
        .authority()
        .cloned()
        .expect("endpoint urls have an authority");
    let connector = TlsConnector {
        tls: tokio_rustls::TlsConnector::from(tls),
    };
    let https = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build::<_, kube::client::Body>(connector);
    let bearer = endpoint
        .token
        .as_ref()
        .and_then(|t| http::HeaderValue::from_str(&format!("Bearer {t}")).ok());
    let service = tower::ServiceBuilder::new()
        .map_request(move |mut req: http::Request<kube::client::Body>| {
            let uri = absolute(&authority, req.uri());
            *req.uri_mut() = uri;
            if let Some(bearer) = &bearer {
                req.headers_mut()
                    .insert(http::header::AUTHORIZATION, bearer.clone());
            }
            req
        })
        .service(https);
    Client::new(service, "default")
}

/// kube-rs sends path-only URIs; the pooled client needs them absolute.
fn absolute(authority: &Authority, uri: &Uri) -> Uri {
    let mut parts = uri.clone().into_parts();
    parts.scheme = Some(Scheme::HTTPS);
    parts.authority = Some(authority.clone());
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

#[derive(Clone)]
struct TlsConnector {
    tls: tokio_rustls::TlsConnector,
}

impl tower::Service<Uri> for TlsConnector {
    type Response = TlsIo;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<TlsIo>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let tls = self.tls.clone();
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "url without host"))?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = uri.port_u16().unwrap_or(443);
            let tcp = TcpStream::connect((host.as_str(), port)).await?;
            tcp.set_nodelay(true)?;
            let name = ServerName::try_from(host)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let stream = tls.connect(name, tcp).await?;
            Ok(TlsIo(TokioIo::new(stream)))
        })
    }
}

/// A TLS connection to the server, telling the pool whether HTTP/2 was negotiated.
struct TlsIo(TokioIo<tokio_rustls::client::TlsStream<TcpStream>>);

impl Connection for TlsIo {
    fn connected(&self) -> Connected {
        let (_, session) = self.0.inner().get_ref();
        if session.alpn_protocol() == Some(b"h2") {
            Connected::new().negotiated_h2()
        } else {
            Connected::new()
        }
    }
}

impl hyper::rt::Read for TlsIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for TlsIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }
}
