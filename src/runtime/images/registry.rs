//! Talking to registries over the OCI distribution API: endpoints (mirrors from
//! `registries.yaml`, then the registry itself), TLS per host, and authentication (HTTP basic,
//! and the bearer-token flow Docker Hub and most registries use).
//!
//! `registries.yaml` has k3s's shape:
//!
//! ```yaml
//! mirrors:
//!   docker.io:
//!     endpoint: ["https://mirror.example:5000"]
//!   "*":                       # every registry
//!     endpoint: ["http://10.0.0.1:5000"]
//! configs:
//!   "mirror.example:5000":
//!     auth: {username: u, password: p}     # or auth: <base64 user:pass>, identity_token
//!     tls: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem, insecure_skip_verify: false}
//! ```
//!
//! A registry's mirrors are tried in order, then the registry itself (`docker.io` is served
//! by `registry-1.docker.io`). Registries on loopback (`localhost`, `127.0.0.0/8`, `::1`) are
//! spoken to over plain HTTP, as containerd does; others over HTTPS unless an endpoint URL says
//! `http://`.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde::Deserialize;
use tokio::net::TcpStream;

/// Where k3s keeps its equivalent; `--registries-config` overrides it.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/orch/registries.yaml";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// A response (headers, or the next piece of a body) that takes longer than this is a failure.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);
const MAX_REDIRECTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot read the registries config {}", path.display())]
    ReadConfig {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("invalid registries config {}", path.display())]
    ParseConfig {
        path: PathBuf,
        #[source]
        source: serde_yaml_ng::Error,
    },
    #[error("invalid endpoint {endpoint:?} for registry {registry}: {why}")]
    BadEndpoint {
        registry: String,
        endpoint: String,
        why: String,
    },
    #[error("tls settings for {host}: {what}")]
    Tls { host: String, what: String },
    #[error("{method} {url}")]
    Request {
        method: Method,
        url: String,
        #[source]
        source: Box<hyper_util::client::legacy::Error>,
    },
    #[error("{method} {url}: no response within {}s", READ_TIMEOUT.as_secs())]
    Timeout { method: Method, url: String },
    #[error("{url}: too many redirects")]
    Redirects { url: String },
    #[error("authentication to {url} failed: {why}")]
    Auth { url: String, why: String },
}

/// Credentials for one registry host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Credentials {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// `base64(username:password)`, as in Docker's config.json.
    #[serde(default)]
    pub auth: String,
    #[serde(default, alias = "identitytoken")]
    pub identity_token: String,
}

impl Credentials {
    fn basic(&self) -> Option<String> {
        if !self.auth.is_empty() {
            return Some(self.auth.clone());
        }
        if self.username.is_empty() && self.password.is_empty() {
            return None;
        }
        Some(
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", self.username, self.password)),
        )
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct TlsConfig {
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct HostConfig {
    #[serde(default)]
    pub auth: Option<Credentials>,
    #[serde(default)]
    pub tls: Option<TlsConfig>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Mirror {
    #[serde(default)]
    pub endpoint: Vec<String>,
}

/// The contents of `registries.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistriesConfig {
    #[serde(default)]
    pub mirrors: BTreeMap<String, Mirror>,
    #[serde(default)]
    pub configs: BTreeMap<String, HostConfig>,
}

impl RegistriesConfig {
    /// Reads the config at `path`; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<RegistriesConfig, RegistryError> {
        match std::fs::read(path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(Self::default()),
            Ok(bytes) => {
                serde_yaml_ng::from_slice(&bytes).map_err(|source| RegistryError::ParseConfig {
                    path: path.to_owned(),
                    source,
                })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(RegistryError::ReadConfig {
                path: path.to_owned(),
                source,
            }),
        }
    }
}

/// One place to fetch a registry's content from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://host[:port]`.
    pub base: Uri,
    pub mirror: bool,
}

impl Endpoint {
    /// The `host[:port]` this endpoint's settings are looked up by.
    pub fn host(&self) -> &str {
        self.base.authority().map(|a| a.as_str()).unwrap_or("")
    }

    pub fn url(&self, path: &str) -> Uri {
        format!("{}{}", self.base.to_string().trim_end_matches('/'), path)
            .parse()
            .unwrap_or_else(|_| self.base.clone())
    }
}

/// Whether a `host[:port]` is on this machine's loopback.
fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host),
    };
    name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

type HttpClient = Client<Connector, Empty<Bytes>>;

/// Registries as this node sees them: the config, one HTTP client per host (its own TLS
/// settings), and the bearer tokens obtained so far.
pub struct Registries {
    config: RegistriesConfig,
    clients: Mutex<HashMap<String, HttpClient>>,
    tokens: Mutex<HashMap<(String, String), HeaderValue>>,
    system_roots: Mutex<Option<Arc<rustls::RootCertStore>>>,
}

impl std::fmt::Debug for Registries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registries")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Registries {
    pub fn new(config: RegistriesConfig) -> Registries {
        Registries {
            config,
            clients: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            system_roots: Mutex::new(None),
        }
    }

    pub fn config(&self) -> &RegistriesConfig {
        &self.config
    }

    /// Where to fetch `registry`'s content from, in order.
    pub fn endpoints(&self, registry: &str) -> Result<Vec<Endpoint>, RegistryError> {
        let mut out = Vec::new();
        let mirrors = self
            .config
            .mirrors
            .get(registry)
            .or_else(|| self.config.mirrors.get("*"));
        for raw in mirrors.map(|m| m.endpoint.as_slice()).unwrap_or_default() {
            let bad = |why: &str| RegistryError::BadEndpoint {
                registry: registry.to_owned(),
                endpoint: raw.clone(),
                why: why.to_owned(),
            };
            let with_scheme = if raw.contains("://") {
                raw.clone()
            } else if is_loopback(raw) {
                format!("http://{raw}")
            } else {
                format!("https://{raw}")
            };
            let uri: Uri = with_scheme.parse().map_err(|_| bad("not a URL"))?;
            if !matches!(uri.scheme_str(), Some("http" | "https")) {
                return Err(bad("the scheme must be http or https"));
            }
            let authority = uri.authority().ok_or_else(|| bad("no host"))?;
            let base = format!("{}://{}", uri.scheme_str().unwrap_or("https"), authority)
                .parse()
                .map_err(|_| bad("not a URL"))?;
            let endpoint = Endpoint { base, mirror: true };
            if !out.contains(&endpoint) {
                out.push(endpoint);
            }
        }
        let host = if registry == "docker.io" {
            "registry-1.docker.io"
        } else {
            registry
        };
        let scheme = if is_loopback(host) { "http" } else { "https" };
        let base =
            format!("{scheme}://{host}")
                .parse()
                .map_err(|_| RegistryError::BadEndpoint {
                    registry: registry.to_owned(),
                    endpoint: host.to_owned(),
                    why: "not a host".to_owned(),
                })?;
        let endpoint = Endpoint {
            base,
            mirror: false,
        };
        if !out.iter().any(|e| e.base == endpoint.base) {
            out.push(endpoint);
        }
        Ok(out)
    }

    fn host_config(&self, host: &str) -> Option<&HostConfig> {
        self.config.configs.get(host)
    }

    fn client(&self, endpoint: &Endpoint) -> Result<HttpClient, RegistryError> {
        let host = endpoint.host().to_owned();
        if let Some(c) = self.clients.lock().expect("clients lock").get(&host) {
            return Ok(c.clone());
        }
        let tls = if endpoint.base.scheme_str() == Some("https") {
            Some(tokio_rustls::TlsConnector::from(self.tls_config(&host)?))
        } else {
            None
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(Connector { tls });
        self.clients
            .lock()
            .expect("clients lock")
            .insert(host, client.clone());
        Ok(client)
    }

    fn tls_config(&self, host: &str) -> Result<Arc<rustls::ClientConfig>, RegistryError> {
        let err = |what: String| RegistryError::Tls {
            host: host.to_owned(),
            what,
        };
        let settings = self
            .host_config(host)
            .and_then(|c| c.tls.clone())
            .unwrap_or_default();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| err(e.to_string()))?;
        let builder = if settings.insecure_skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
        } else {
            let mut roots = (*self.system_roots()).clone();
            if let Some(ca) = &settings.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| err(format!("cannot read ca_file {}: {e}", ca.display())))?;
                for cert in CertificateDer::pem_slice_iter(&pem) {
                    let cert = cert.map_err(|e| err(format!("ca_file {}: {e}", ca.display())))?;
                    roots
                        .add(cert)
                        .map_err(|e| err(format!("ca_file {}: {e}", ca.display())))?;
                }
            }
            builder.with_root_certificates(roots)
        };
        let mut config = match (&settings.cert_file, &settings.key_file) {
            (Some(cert), Some(key)) => {
                let certs = std::fs::read(cert)
                    .map_err(|e| err(format!("cannot read cert_file {}: {e}", cert.display())))
                    .and_then(|pem| {
                        CertificateDer::pem_slice_iter(&pem)
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(|e| err(format!("cert_file {}: {e}", cert.display())))
                    })?;
                let key = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| err(format!("key_file {}: {e}", key.display())))?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| err(e.to_string()))?
            }
            (None, None) => builder.with_no_client_auth(),
            _ => return Err(err("cert_file and key_file go together".to_owned())),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// The system's trusted CAs (Debian's bundle), read once.
    fn system_roots(&self) -> Arc<rustls::RootCertStore> {
        let mut cached = self.system_roots.lock().expect("roots lock");
        cached
            .get_or_insert_with(|| {
                let mut roots = rustls::RootCertStore::empty();
                for path in [
                    "/etc/ssl/certs/ca-certificates.crt",
                    "/etc/pki/tls/certs/ca-bundle.crt",
                    "/etc/ssl/cert.pem",
                ] {
                    if let Ok(pem) = std::fs::read(path) {
                        for cert in CertificateDer::pem_slice_iter(&pem).flatten() {
                            let _ = roots.add(cert);
                        }
                        break;
                    }
                }
                Arc::new(roots)
            })
            .clone()
    }

    /// `GET` (or `HEAD`) `path` on `endpoint` for `repository`, authenticating as the registry
    /// asks (with `creds`, else the configured credentials for the endpoint's host) and
    /// following redirects. Returns the final response, whatever its status.
    pub async fn get(
        &self,
        endpoint: &Endpoint,
        repository: &str,
        path: &str,
        headers: HeaderMap,
        creds: Option<&Credentials>,
    ) -> Result<Response<Incoming>, RegistryError> {
        let client = self.client(endpoint)?;
        let creds = creds.cloned().or_else(|| {
            self.host_config(endpoint.host())
                .and_then(|c| c.auth.clone())
        });
        let key = (endpoint.host().to_owned(), repository.to_owned());
        let mut url = endpoint.url(path);
        let mut authorized_retry = false;
        let mut redirects = 0;
        loop {
            let same_host = url.authority() == endpoint.base.authority();
            let mut req = Request::get(url.clone())
                .body(Empty::new())
                .expect("valid request");
            *req.headers_mut() = headers.clone();
            req.headers_mut().insert(
                header::USER_AGENT,
                HeaderValue::from_static(concat!("orch/", env!("CARGO_PKG_VERSION"))),
            );
            if same_host
                && let Some(auth) = self.tokens.lock().expect("tokens lock").get(&key).cloned()
            {
                req.headers_mut().insert(header::AUTHORIZATION, auth);
            }
            let resp = match tokio::time::timeout(READ_TIMEOUT, client.request(req)).await {
                Ok(Ok(r)) => r,
                Ok(Err(source)) => {
                    return Err(RegistryError::Request {
                        method: Method::GET,
                        url: url.to_string(),
                        source: Box::new(source),
                    });
                }
                Err(_) => {
                    return Err(RegistryError::Timeout {
                        method: Method::GET,
                        url: url.to_string(),
                    });
                }
            };
            let status = resp.status();
            if status.is_redirection()
                && let Some(location) = resp.headers().get(header::LOCATION)
            {
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(RegistryError::Redirects {
                        url: url.to_string(),
                    });
                }
                url = resolve(&url, location.to_str().unwrap_or_default());
                if url.authority() != endpoint.base.authority() {
                    // Storage backends (S3 and the like) get the request unauthenticated,
                    // with a client of their own.
                    let target = Endpoint {
                        base: format!(
                            "{}://{}",
                            url.scheme_str().unwrap_or("https"),
                            url.authority().map(|a| a.as_str()).unwrap_or_default()
                        )
                        .parse()
                        .unwrap_or_else(|_| url.clone()),
                        mirror: false,
                    };
                    return self.fetch_plain(&target, url, headers).await;
                }
                continue;
            }
            if status == StatusCode::UNAUTHORIZED && same_host && !authorized_retry {
                authorized_retry = true;
                let challenge = resp
                    .headers()
                    .get(header::WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                // Drain the error body so the connection can be reused.
                let _ = tokio::time::timeout(READ_TIMEOUT, resp.into_body().collect()).await;
                let Some(challenge) = challenge else {
                    return Err(RegistryError::Auth {
                        url: url.to_string(),
                        why: "401 without a WWW-Authenticate challenge".to_owned(),
                    });
                };
                let auth = self
                    .authenticate(&url, &challenge, repository, creds.as_ref())
                    .await?;
                self.tokens
                    .lock()
                    .expect("tokens lock")
                    .insert(key.clone(), auth);
                continue;
            }
            return Ok(resp);
        }
    }

    /// A request to a host that is not a registry (a redirect target): no credentials.
    async fn fetch_plain(
        &self,
        target: &Endpoint,
        url: Uri,
        headers: HeaderMap,
    ) -> Result<Response<Incoming>, RegistryError> {
        let client = self.client(target)?;
        let mut req = Request::get(url.clone())
            .body(Empty::new())
            .expect("valid request");
        *req.headers_mut() = headers;
        req.headers_mut().remove(header::ACCEPT);
        match tokio::time::timeout(READ_TIMEOUT, client.request(req)).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(source)) => Err(RegistryError::Request {
                method: Method::GET,
                url: url.to_string(),
                source: Box::new(source),
            }),
            Err(_) => Err(RegistryError::Timeout {
                method: Method::GET,
                url: url.to_string(),
            }),
        }
    }

    /// Answers a `WWW-Authenticate` challenge: the `Authorization` value to send.
    async fn authenticate(
        &self,
        url: &Uri,
        challenge: &str,
        repository: &str,
        creds: Option<&Credentials>,
    ) -> Result<HeaderValue, RegistryError> {
        let auth_err = |why: String| RegistryError::Auth {
            url: url.to_string(),
            why,
        };
        let (scheme, params) = parse_challenge(challenge);
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => {
                let basic = creds.and_then(Credentials::basic).ok_or_else(|| {
                    auth_err(
                        "the registry wants a user name and password; none is configured"
                            .to_owned(),
                    )
                })?;
                HeaderValue::from_str(&format!("Basic {basic}"))
                    .map_err(|_| auth_err("credentials are not valid in a header".to_owned()))
            }
            "bearer" => {
                let realm = params
                    .get("realm")
                    .ok_or_else(|| auth_err("the bearer challenge has no realm".to_owned()))?;
                // The serializer is not `Send`: it must be gone before the next await.
                let query = {
                    let mut query = form_urlencoded::Serializer::new(String::new());
                    if let Some(service) = params.get("service") {
                        query.append_pair("service", service);
                    }
                    let scope = params
                        .get("scope")
                        .cloned()
                        .unwrap_or_else(|| format!("repository:{repository}:pull"));
                    for s in scope.split(' ').filter(|s| !s.is_empty()) {
                        query.append_pair("scope", s);
                    }
                    query.finish()
                };
                let sep = if realm.contains('?') { '&' } else { '?' };
                let token_url: Uri = format!("{realm}{sep}{query}")
                    .parse()
                    .map_err(|_| auth_err(format!("invalid token realm {realm:?}")))?;
                let endpoint = Endpoint {
                    base: format!(
                        "{}://{}",
                        token_url.scheme_str().unwrap_or("https"),
                        token_url
                            .authority()
                            .map(|a| a.as_str())
                            .unwrap_or_default()
                    )
                    .parse()
                    .map_err(|_| auth_err(format!("invalid token realm {realm:?}")))?,
                    mirror: false,
                };
                let mut headers = HeaderMap::new();
                if let Some(basic) = creds.and_then(Credentials::basic) {
                    headers.insert(
                        header::AUTHORIZATION,
                        HeaderValue::from_str(&format!("Basic {basic}")).map_err(|_| {
                            auth_err("credentials are not valid in a header".to_owned())
                        })?,
                    );
                }
                let client = self.client(&endpoint)?;
                let mut req = Request::get(token_url.clone())
                    .body(Empty::new())
                    .expect("valid request");
                *req.headers_mut() = headers;
                let resp = tokio::time::timeout(READ_TIMEOUT, client.request(req))
                    .await
                    .map_err(|_| RegistryError::Timeout {
                        method: Method::GET,
                        url: token_url.to_string(),
                    })?
                    .map_err(|source| RegistryError::Request {
                        method: Method::GET,
                        url: token_url.to_string(),
                        source: Box::new(source),
                    })?;
                let status = resp.status();
                let body = tokio::time::timeout(READ_TIMEOUT, resp.into_body().collect())
                    .await
                    .map_err(|_| RegistryError::Timeout {
                        method: Method::GET,
                        url: token_url.to_string(),
                    })?
                    .map_err(|e| auth_err(format!("reading the token response: {e}")))?
                    .to_bytes();
                if !status.is_success() {
                    return Err(auth_err(format!(
                        "the token service {realm} answered {status}"
                    )));
                }
                #[derive(Deserialize)]
                struct Token {
                    #[serde(default)]
                    token: String,
                    #[serde(default)]
                    access_token: String,
                }
                let t: Token = serde_json::from_slice(&body)
                    .map_err(|e| auth_err(format!("the token response is not JSON: {e}")))?;
                let token = if t.token.is_empty() {
                    t.access_token
                } else {
                    t.token
                };
                if token.is_empty() {
                    return Err(auth_err("the token response has no token".to_owned()));
                }
                HeaderValue::from_str(&format!("Bearer {token}"))
                    .map_err(|_| auth_err("the token is not valid in a header".to_owned()))
            }
            other => Err(auth_err(format!(
                "unsupported authentication scheme {other:?}"
            ))),
        }
    }
}

/// Splits `Bearer realm="r",service="s"` into the scheme and its parameters.
fn parse_challenge(challenge: &str) -> (String, BTreeMap<String, String>) {
    let challenge = challenge.trim();
    let (scheme, rest) = challenge.split_once(' ').unwrap_or((challenge, ""));
    let mut params = BTreeMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                value.push(*c);
                chars.next();
            }
        }
        params.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    (scheme.to_owned(), params)
}

/// A `Location` resolved against the URL it came from.
fn resolve(base: &Uri, location: &str) -> Uri {
    if location.contains("://") {
        return location.parse().unwrap_or_else(|_| base.clone());
    }
    let authority = base.authority().map(|a| a.as_str()).unwrap_or_default();
    let scheme = base.scheme_str().unwrap_or("https");
    let path = if location.starts_with('/') {
        location.to_owned()
    } else {
        let dir = base.path().rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        format!("{dir}/{location}")
    };
    format!("{scheme}://{authority}{path}")
        .parse()
        .unwrap_or_else(|_| base.clone())
}

/// Accepts any server certificate (`insecure_skip_verify`), still checking signatures.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Connects plain TCP for `http` URLs and TLS for `https` ones.
#[derive(Clone)]
struct Connector {
    tls: Option<tokio_rustls::TlsConnector>,
}

impl tower::Service<Uri> for Connector {
    type Response = Stream;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Stream>> + Send>>;

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
            let https = uri.scheme_str() == Some("https");
            let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
            let tcp =
                tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host.as_str(), port)))
                    .await
                    .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
            tcp.set_nodelay(true)?;
            match (https, tls) {
                (false, _) => Ok(Stream::Plain(TokioIo::new(tcp))),
                (true, Some(tls)) => {
                    let name = ServerName::try_from(host)
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                    let stream = tls.connect(name, tcp).await?;
                    Ok(Stream::Tls(Box::new(TokioIo::new(stream))))
                }
                (true, None) => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "an https url on a plain-http endpoint",
                )),
            }
        })
    }
}

enum Stream {
    Plain(TokioIo<TcpStream>),
    Tls(Box<TokioIo<tokio_rustls::client::TlsStream<TcpStream>>>),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl hyper::rt::Write for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse() {
        let (scheme, p) = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(p["realm"], "https://auth.docker.io/token");
        assert_eq!(p["service"], "registry.docker.io");
        assert_eq!(p["scope"], "repository:library/busybox:pull");
        let (scheme, p) = parse_challenge(r#"Basic realm="basic-realm""#);
        assert_eq!(
            (scheme.as_str(), p["realm"].as_str()),
            ("Basic", "basic-realm")
        );
        let (_, p) = parse_challenge(r#"Bearer realm=plain, error="invalid_token""#);
        assert_eq!(p["realm"], "plain");
        assert_eq!(p["error"], "invalid_token");
    }

    #[test]
    fn endpoints_put_mirrors_first_and_loopback_on_http() {
        let config: RegistriesConfig = serde_yaml_ng::from_str(
            r#"
mirrors:
  docker.io:
    endpoint: ["https://mirror.example:5000", "127.0.0.1:5001"]
  "*":
    endpoint: ["http://catch.all"]
configs:
  "mirror.example:5000":
    auth: {username: u, password: p}
"#,
        )
        .unwrap();
        let r = Registries::new(config);
        let hosts: Vec<String> = r
            .endpoints("docker.io")
            .unwrap()
            .iter()
            .map(|e| format!("{} {}", e.base, e.mirror))
            .collect();
        assert_eq!(
            hosts,
            [
                "https://mirror.example:5000/ true",
                "http://127.0.0.1:5001/ true",
                "https://registry-1.docker.io/ false"
            ]
        );
        let quay: Vec<String> = r
            .endpoints("quay.io")
            .unwrap()
            .iter()
            .map(|e| e.base.to_string())
            .collect();
        assert_eq!(quay, ["http://catch.all/", "https://quay.io/"]);
        let local = Registries::new(RegistriesConfig::default());
        for host in ["localhost:5000", "127.0.0.1:5000", "[::1]:5000"] {
            assert_eq!(
                local.endpoints(host).unwrap()[0].base.scheme_str(),
                Some("http"),
                "{host}"
            );
        }
        assert_eq!(
            r.host_config("mirror.example:5000")
                .and_then(|c| c.auth.as_ref())
                .and_then(Credentials::basic),
            Some(base64::engine::general_purpose::STANDARD.encode("u:p"))
        );
    }

    #[test]
    fn config_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registries.yaml");
        assert_eq!(
            RegistriesConfig::load(&path).unwrap(),
            RegistriesConfig::default()
        );
        std::fs::write(&path, "mirrors: [oops").unwrap();
        let err = RegistriesConfig::load(&path).unwrap_err();
        assert!(err.to_string().contains("registries.yaml"), "{err}");
        std::fs::write(&path, "mirors: {}").unwrap();
        assert!(
            RegistriesConfig::load(&path).is_err(),
            "unknown keys are mistakes"
        );
    }

    #[test]
    fn redirects_resolve() {
        let base: Uri = "http://r:5000/v2/x/blobs/sha256:a".parse().unwrap();
        assert_eq!(resolve(&base, "/other").to_string(), "http://r:5000/other");
        assert_eq!(
            resolve(&base, "https://s3.example/b?sig=1").to_string(),
            "https://s3.example/b?sig=1"
        );
    }
}
