//! The cluster PKI: certificate authorities, the API server's serving certificate, the admin
//! client certificate, the cluster join token, kubeconfigs and rustls configurations.
//!
//! k3s is the model (`/var/lib/rancher/k3s/server/tls`). [`Pki::load_or_create`] manages this
//! layout (file names are in [`files`]):
//!
//! ```text
//! <data>/                           created 0700 if missing (k3s: /var/lib/rancher/k3s/server)
//! ├── token                         0600  K10<server ca hash>::server:<32 hex>
//! └── tls/                          0700  the `dir` argument
//!     ├── server-ca.crt / .key      0644 / 0600  self-signed, signs serving certificates
//!     ├── client-ca.crt / .key      0644 / 0600  self-signed, signs client certificates
//!     ├── serving-kube-apiserver.crt / .key      the API server's serving certificate
//!     └── client-admin.crt / .key                CN system:admin, O system:masters
//! ```
//!
//! All keys are ECDSA P-256 in PKCS#8 PEM. CAs are valid ten years, leaves one year by default.
//! Every file is written atomically (temporary file, fsync, rename), created with its final mode.
//!
//! On every load, a leaf certificate is re-issued (with a fresh key, by the same CA) when it is
//! unreadable, its key is missing or does not match, it was not signed by the current CA, it
//! expires within [`PkiOptions::renew_before`], or (serving certificate) its SANs do not cover
//! the requested set. CAs are never replaced: a missing or corrupt CA file next to files that
//! depend on it is an error naming the file. A crash between writing a leaf's new key and its new
//! certificate leaves a mismatched pair, which the next load re-issues; a crash between writing a
//! new CA's key and its certificate (first start only) is resumed by self-signing the key.

mod cert;
mod error;
mod fsutil;
mod kubeconfig;
mod tls;
mod token;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::PkiError;

/// The user the API server presents to kubelets (its client certificate's CN).
pub const KUBELET_CLIENT_USER: &str = "kube-apiserver-kubelet-client";
pub use kubeconfig::{DEFAULT_KUBECONFIG_MODE, kubeconfig_yaml, write_admin_kubeconfig};
pub use tls::{
    ALPN_PROTOCOLS, Identity, client_tls_config, identity_from_cert, kubelet_tls_config,
};
pub use token::{JoinCredentials, JoinToken, TOKEN_PREFIX, ca_bundle_hash, parse_join_token};

use cert::{Ca, LeafSpec, San, Usage, now_unix};

/// File names inside the PKI directory (and, for [`files::TOKEN`], its parent).
pub mod files {
    pub const SERVER_CA_CERT: &str = "server-ca.crt";
    pub const SERVER_CA_KEY: &str = "server-ca.key";
    pub const CLIENT_CA_CERT: &str = "client-ca.crt";
    pub const CLIENT_CA_KEY: &str = "client-ca.key";
    pub const SERVING_CERT: &str = "serving-kube-apiserver.crt";
    pub const SERVING_KEY: &str = "serving-kube-apiserver.key";
    pub const ADMIN_CERT: &str = "client-admin.crt";
    pub const ADMIN_KEY: &str = "client-admin.key";
    /// The join token lives in the parent of the PKI directory, as k3s keeps `server/token` next
    /// to `server/tls/`.
    pub const TOKEN: &str = "token";
}

/// One day.
pub const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Common name of the API server's serving certificate.
pub const SERVING_CN: &str = "kube-apiserver";
/// The admin identity written into the admin kubeconfig.
pub const ADMIN_USER: &str = "system:admin";
pub const ADMIN_GROUP: &str = "system:masters";
/// Username of the server join token's credentials.
pub const TOKEN_USERNAME: &str = "server";

/// Inputs of [`Pki::load_or_create`].
#[derive(Clone, Debug)]
pub struct PkiOptions {
    /// The node's hostname, added as a SAN. `None`: read from the system (lowercased); skipped
    /// if it cannot be determined or is not a valid DNS name.
    pub hostname: Option<String>,
    /// The node's IPs (`--node-ip`, `--advertise-address`), added as SANs.
    pub node_ips: Vec<IpAddr>,
    /// Additional SANs (`--tls-san`): IP addresses or DNS names.
    pub extra_sans: Vec<String>,
    /// Cluster DNS domain, for the `kubernetes.default.svc.<domain>` SAN.
    pub cluster_domain: String,
    /// Service CIDR(s), comma-separated; the first address of each is a SAN (the `kubernetes`
    /// service's cluster IP).
    pub service_cidr: String,
    /// Validity of newly created CAs.
    pub ca_validity: Duration,
    /// Validity of leaf certificates (never beyond the CA's expiry).
    pub leaf_validity: Duration,
    /// Leaves expiring within this window are re-issued at load.
    pub renew_before: Duration,
    /// The cluster join token (`--token`), full or short form. `None`: keep the stored token or
    /// generate a random one.
    pub token: Option<String>,
}

impl Default for PkiOptions {
    fn default() -> Self {
        PkiOptions {
            hostname: None,
            node_ips: Vec::new(),
            extra_sans: Vec::new(),
            cluster_domain: "cluster.local".to_string(),
            service_cidr: "10.43.0.0/16".to_string(),
            ca_validity: 10 * 365 * DAY,
            leaf_validity: 365 * DAY,
            renew_before: 90 * DAY,
            token: None,
        }
    }
}

impl PkiOptions {
    /// The SAN set the serving certificate must cover.
    fn serving_sans(&self) -> Result<BTreeSet<San>, PkiError> {
        let mut sans = BTreeSet::new();
        sans.insert(San::Ip(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        sans.insert(San::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        sans.insert(San::Dns("localhost".to_string()));
        match &self.hostname {
            Some(h) => {
                sans.insert(San::parse(h)?);
            }
            None => match detect_hostname().map(|h| San::parse(&h)) {
                Some(Ok(san)) => {
                    sans.insert(san);
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "hostname not added to serving certificate")
                }
                None => {
                    tracing::warn!("cannot determine hostname; not added to serving certificate")
                }
            },
        }
        sans.extend(self.node_ips.iter().copied().map(San::Ip));
        let domain = self.cluster_domain.trim().trim_matches('.');
        for name in [
            "kubernetes".to_string(),
            "kubernetes.default".to_string(),
            "kubernetes.default.svc".to_string(),
            format!("kubernetes.default.svc.{domain}"),
        ] {
            sans.insert(San::parse(&name)?);
        }
        for ip in first_service_ips(&self.service_cidr)? {
            sans.insert(San::Ip(ip));
        }
        for extra in &self.extra_sans {
            sans.insert(San::parse(extra)?);
        }
        Ok(sans)
    }
}

fn detect_hostname() -> Option<String> {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| fs::read_to_string("/etc/hostname").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
}

/// The first usable address of each comma-separated CIDR (network address + 1).
fn first_service_ips(cidrs: &str) -> Result<Vec<IpAddr>, PkiError> {
    let mut out = Vec::new();
    for cidr in cidrs.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let invalid = |reason| PkiError::InvalidCidr {
            value: cidr.to_string(),
            reason,
        };
        let (addr, len) = cidr
            .split_once('/')
            .ok_or_else(|| invalid("missing prefix length"))?;
        let addr: IpAddr = addr.parse().map_err(|_| invalid("invalid address"))?;
        let len: u32 = len.parse().map_err(|_| invalid("invalid prefix length"))?;
        let ip = match addr {
            IpAddr::V4(a) => {
                if len > 30 {
                    return Err(invalid("prefix length must be at most 30"));
                }
                let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from((u32::from(a) & mask) + 1))
            }
            IpAddr::V6(a) => {
                if len > 126 {
                    return Err(invalid("prefix length must be at most 126"));
                }
                let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from((u128::from(a) & mask) + 1))
            }
        };
        out.push(ip);
    }
    if out.is_empty() {
        return Err(PkiError::InvalidCidr {
            value: cidrs.to_string(),
            reason: "no cidr given",
        });
    }
    Ok(out)
}

/// A leaf certificate and key as stored.
struct Leaf {
    cert_pem: String,
    key_pem: String,
}

/// The loaded cluster PKI. Cheap to share behind an `Arc`; everything is in memory after
/// [`Pki::load_or_create`].
pub struct Pki {
    dir: PathBuf,
    server_ca: Ca,
    client_ca: Ca,
    serving: Leaf,
    admin: Leaf,
    token: JoinToken,
    token_path: PathBuf,
    leaf_validity: Duration,
}

impl fmt::Debug for Pki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pki")
            .field("dir", &self.dir)
            .field("server_ca", &self.server_ca)
            .field("client_ca", &self.client_ca)
            .field("token_path", &self.token_path)
            .finish_non_exhaustive()
    }
}

impl Pki {
    /// Loads the PKI from `dir`, creating whatever is missing and renewing leaves as described in
    /// the [module documentation](self). The join token goes to `dir/../token`.
    ///
    /// Blocking: file I/O, fsync and key generation. Call it before starting the async runtime
    /// or from `tokio::task::spawn_blocking`. Not safe against two processes creating the same
    /// directory concurrently.
    pub fn load_or_create(dir: &Path, opts: &PkiOptions) -> Result<Pki, PkiError> {
        let serving_sans = opts.serving_sans()?;
        fsutil::ensure_private_dir(dir)?;
        let now = now_unix();

        let server_ca = load_or_create_ca(
            dir,
            (files::SERVER_CA_CERT, files::SERVER_CA_KEY),
            "orch-server-ca",
            &[files::SERVING_CERT, files::SERVING_KEY],
            opts,
            now,
        )?;
        let client_ca = load_or_create_ca(
            dir,
            (files::CLIENT_CA_CERT, files::CLIENT_CA_KEY),
            "orch-client-ca",
            &[files::ADMIN_CERT, files::ADMIN_KEY],
            opts,
            now,
        )?;
        let serving = ensure_leaf(
            dir,
            (files::SERVING_CERT, files::SERVING_KEY),
            &server_ca,
            &LeafSpec {
                cn: SERVING_CN.to_string(),
                orgs: Vec::new(),
                sans: serving_sans,
                usage: Usage::Server,
                validity: opts.leaf_validity,
            },
            opts.renew_before,
            now,
        )?;
        let admin = ensure_leaf(
            dir,
            (files::ADMIN_CERT, files::ADMIN_KEY),
            &client_ca,
            &LeafSpec {
                cn: ADMIN_USER.to_string(),
                orgs: vec![ADMIN_GROUP.to_string()],
                sans: BTreeSet::new(),
                usage: Usage::Client,
                validity: opts.leaf_validity,
            },
            opts.renew_before,
            now,
        )?;

        let token_path = match dir.parent() {
            Some(p) if p.as_os_str().is_empty() => Path::new(".").join(files::TOKEN),
            Some(p) => p.join(files::TOKEN),
            None => dir.join(files::TOKEN),
        };
        let token = load_or_create_token(&token_path, &server_ca, opts.token.as_deref())?;

        Ok(Pki {
            dir: dir.to_path_buf(),
            server_ca,
            client_ca,
            serving,
            admin,
            token,
            token_path,
            leaf_validity: opts.leaf_validity,
        })
    }

    /// The PKI directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The server CA certificate exactly as stored: what `/cacerts` serves and kubeconfigs trust.
    pub fn server_ca_pem(&self) -> &str {
        &self.server_ca.cert_pem
    }

    /// The client CA certificate, which verifies client certificates.
    pub fn client_ca_pem(&self) -> &str {
        &self.client_ca.cert_pem
    }

    /// The API server's serving certificate.
    pub fn serving_cert_pem(&self) -> &str {
        &self.serving.cert_pem
    }

    /// The API server's serving key.
    pub fn serving_key_pem(&self) -> &str {
        &self.serving.key_pem
    }

    /// The admin client certificate (`system:admin`, `system:masters`).
    pub fn admin_cert_pem(&self) -> &str {
        &self.admin.cert_pem
    }

    /// The admin client key.
    pub fn admin_key_pem(&self) -> &str {
        &self.admin.key_pem
    }

    /// Hex SHA-256 of [`Pki::server_ca_pem`], the CA hash of full join tokens.
    pub fn server_ca_hash(&self) -> String {
        ca_bundle_hash(self.server_ca.cert_pem.as_bytes())
    }

    /// The cluster join token (always in full form, with this cluster's CA hash).
    pub fn join_token(&self) -> &JoinToken {
        &self.token
    }

    /// Where the join token is stored.
    pub fn token_path(&self) -> &Path {
        &self.token_path
    }

    /// Whether `presented` is this cluster's join secret: a full or short token, or the bare
    /// password (e.g. from HTTP basic auth). A full token must carry this cluster's CA hash.
    /// Constant time in the secret.
    pub fn verify_join_secret(&self, presented: &str) -> bool {
        let Ok(t) = parse_join_token(presented) else {
            return false;
        };
        if let Some(hash) = &t.ca_hash
            && Some(hash) != self.token.ca_hash.as_ref()
        {
            return false;
        }
        token::ct_eq(t.secret().as_bytes(), self.token.secret().as_bytes())
    }

    /// Issues a client certificate signed by the client CA: `cn` becomes the Kubernetes user,
    /// `orgs` its groups. Returns `(cert_pem, key_pem)`; nothing is written to disk.
    pub fn issue_client_cert(
        &self,
        cn: &str,
        orgs: &[&str],
        validity: Duration,
    ) -> Result<(String, String), PkiError> {
        if cn.is_empty() {
            return Err(PkiError::NoCommonName);
        }
        let issued = self.client_ca.issue(&LeafSpec {
            cn: cn.to_string(),
            orgs: orgs.iter().map(|o| o.to_string()).collect(),
            sans: BTreeSet::new(),
            usage: Usage::Client,
            validity,
        })?;
        Ok((issued.cert_pem, issued.key_pem))
    }

    /// Issues a serving certificate signed by the server CA (e.g. for a kubelet), valid for the
    /// configured leaf validity, for `sans` (IP addresses or DNS names). Returns
    /// `(cert_pem, key_pem)`; nothing is written to disk.
    pub fn issue_serving_cert(
        &self,
        cn: &str,
        sans: &[&str],
    ) -> Result<(String, String), PkiError> {
        if cn.is_empty() {
            return Err(PkiError::NoCommonName);
        }
        let sans = sans
            .iter()
            .map(|s| San::parse(s))
            .collect::<Result<BTreeSet<_>, _>>()?;
        if sans.is_empty() {
            return Err(PkiError::InvalidSan {
                value: String::new(),
                reason: "a serving certificate needs at least one subject alternative name",
            });
        }
        let issued = self.server_ca.issue(&LeafSpec {
            cn: cn.to_string(),
            orgs: Vec::new(),
            sans,
            usage: Usage::Server,
            validity: self.leaf_validity,
        })?;
        Ok((issued.cert_pem, issued.key_pem))
    }
}

fn timestamp(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| unix.to_string())
}

fn load_or_create_ca(
    dir: &Path,
    (cert_name, key_name): (&str, &str),
    cn_prefix: &str,
    dependents: &[&str],
    opts: &PkiOptions,
    now: i64,
) -> Result<Ca, PkiError> {
    let cert_path = dir.join(cert_name);
    let key_path = dir.join(key_name);
    let cert = fsutil::read_optional(&cert_path)?;
    let key = fsutil::read_optional(&key_path)?;
    let missing = |missing: &Path, existing: &Path| PkiError::MissingCaFile {
        missing: missing.to_path_buf(),
        existing: existing.to_path_buf(),
        dir: dir.to_path_buf(),
    };
    let dependent = dependents
        .iter()
        .map(|name| dir.join(name))
        .find(|p| fsutil::exists(p));

    let ca = match (cert, key) {
        (Some(cert), Some(key)) => Ca::load(&cert, &key, &cert_path, &key_path)?,
        (Some(_), None) => return Err(missing(&key_path, &cert_path)),
        (None, key) => {
            if let Some(dep) = &dependent {
                return Err(missing(&cert_path, dep));
            }
            let existing_key = match key {
                // A first start crashed between writing the key and the certificate: nothing
                // depends on this CA yet, so finish the job with the same key.
                Some(key) => {
                    tracing::warn!(
                        key = %key_path.display(),
                        "ca certificate missing but nothing was issued yet; self-signing the existing key"
                    );
                    Some(cert::parse_key(&key, &key_path)?)
                }
                None => None,
            };
            let fresh_key = existing_key.is_none();
            let (ca, key_pem) = Ca::generate(cn_prefix, opts.ca_validity, existing_key)?;
            if fresh_key {
                fsutil::write_atomic(&key_path, key_pem.as_bytes(), fsutil::KEY_MODE)?;
            }
            fsutil::write_atomic(&cert_path, ca.cert_pem.as_bytes(), fsutil::CERT_MODE)?;
            tracing::info!(cert = %cert_path.display(), expires = %timestamp(ca.not_after), "generated certificate authority");
            ca
        }
    };
    if ca.not_after <= now {
        return Err(PkiError::CaExpired {
            path: cert_path,
            not_after: ca.not_after,
        });
    }
    if ca.not_after - now < cert::duration_secs(opts.renew_before) {
        tracing::warn!(
            cert = %cert_path.display(),
            expires = %timestamp(ca.not_after),
            "certificate authority expires soon and is not renewed automatically"
        );
    }
    Ok(ca)
}

/// Loads a leaf, re-issuing it if needed (see the module documentation).
fn ensure_leaf(
    dir: &Path,
    (cert_name, key_name): (&str, &str),
    ca: &Ca,
    spec: &LeafSpec,
    renew_before: Duration,
    now: i64,
) -> Result<Leaf, PkiError> {
    let cert_path = dir.join(cert_name);
    let key_path = dir.join(key_name);
    let cert = fsutil::read_optional(&cert_path)?;
    let key = fsutil::read_optional(&key_path)?;

    let reason = match (cert, key) {
        (None, None) => None,
        (Some(cert), Some(key)) => match leaf_problem(&cert, &key, ca, spec, renew_before, now) {
            None => {
                // Both parsed as PEM, so both are UTF-8.
                let cert_pem = String::from_utf8(cert).expect("valid pem is utf-8");
                let key_pem = String::from_utf8(key).expect("valid pem is utf-8");
                return Ok(Leaf { cert_pem, key_pem });
            }
            problem => problem,
        },
        (Some(_), None) => Some("its key is missing".to_string()),
        (None, Some(_)) => Some("the certificate is missing".to_string()),
    };

    let issued = ca.issue(spec)?;
    // Key first: a crash in between leaves a mismatched pair, which the next load re-issues.
    fsutil::write_atomic(&key_path, issued.key_pem.as_bytes(), fsutil::KEY_MODE)?;
    fsutil::write_atomic(&cert_path, issued.cert_pem.as_bytes(), fsutil::CERT_MODE)?;
    match reason {
        None => tracing::info!(cert = %cert_path.display(), cn = %spec.cn, "issued certificate"),
        Some(reason) => tracing::info!(
            cert = %cert_path.display(),
            cn = %spec.cn,
            %reason,
            "re-issued certificate"
        ),
    }
    Ok(Leaf {
        cert_pem: issued.cert_pem,
        key_pem: issued.key_pem,
    })
}

/// Why a stored leaf must be re-issued, or `None` if it is fine.
fn leaf_problem(
    cert: &[u8],
    key: &[u8],
    ca: &Ca,
    spec: &LeafSpec,
    renew_before: Duration,
    now: i64,
) -> Option<String> {
    let info = match cert::inspect_leaf(cert, key, ca, spec.usage) {
        Ok(info) => info,
        Err(e) => return Some(format!("it is unreadable ({e})")),
    };
    if !info.key_matches {
        return Some("its key does not match".to_string());
    }
    if !info.signed_by_ca {
        return Some("it was not signed by the current ca".to_string());
    }
    if !info.usage_ok {
        return Some("it lacks the required extended key usage".to_string());
    }
    let mut want_orgs = spec.orgs.clone();
    want_orgs.sort();
    let mut have_orgs = info.orgs;
    have_orgs.sort();
    if info.cn.as_deref() != Some(spec.cn.as_str()) || have_orgs != want_orgs {
        return Some("its subject differs".to_string());
    }
    if info.not_after - now < cert::duration_secs(renew_before) {
        return Some(format!("it expires at {}", timestamp(info.not_after)));
    }
    let missing: Vec<String> = spec
        .sans
        .difference(&info.sans)
        .map(|s| s.to_string())
        .collect();
    if !missing.is_empty() {
        return Some(format!(
            "it lacks subject alternative names {}",
            missing.join(", ")
        ));
    }
    None
}

/// Loads, adopts or creates the join token and (re)writes the token file if it changed.
fn load_or_create_token(
    path: &Path,
    server_ca: &Ca,
    given: Option<&str>,
) -> Result<JoinToken, PkiError> {
    let ca_hash = ca_bundle_hash(server_ca.cert_pem.as_bytes());
    let stored_bytes = fsutil::read_optional(path)?;
    let stored = match &stored_bytes {
        Some(bytes) => {
            let corrupt = |reason: String| PkiError::Corrupt {
                what: "parse join token",
                path: path.to_path_buf(),
                reason,
            };
            let text = std::str::from_utf8(bytes).map_err(|_| corrupt("not utf-8".into()))?;
            Some(parse_join_token(text).map_err(|e| corrupt(e.to_string()))?)
        }
        None => None,
    };

    let credentials = match given {
        Some(given) => {
            let t = parse_join_token(given)?;
            if let Some(hash) = &t.ca_hash
                && *hash != ca_hash
            {
                return Err(PkiError::TokenCaMismatch {
                    origin: "from options".to_string(),
                    token_hash: hash.clone(),
                    ca_hash,
                });
            }
            let creds = match t.credentials {
                JoinCredentials::Basic { username, password } if username.is_empty() => {
                    JoinCredentials::Basic {
                        username: TOKEN_USERNAME.to_string(),
                        password,
                    }
                }
                other => other,
            };
            if let Some(stored) = &stored
                && stored.credentials != creds
            {
                tracing::warn!(path = %path.display(), "join token changed; nodes must use the new token");
            }
            creds
        }
        None => match stored {
            Some(stored) => {
                if let Some(hash) = &stored.ca_hash
                    && *hash != ca_hash
                {
                    tracing::warn!(
                        path = %path.display(),
                        "stored join token names another server ca; keeping its secret with the current ca hash"
                    );
                }
                stored.credentials
            }
            None => JoinCredentials::Basic {
                username: TOKEN_USERNAME.to_string(),
                password: token::random_secret()?,
            },
        },
    };

    let token = JoinToken {
        ca_hash: Some(ca_hash),
        credentials,
    };
    let text = format!("{token}\n");
    if stored_bytes.as_deref() != Some(text.as_bytes()) {
        fsutil::write_atomic(path, text.as_bytes(), fsutil::KEY_MODE)?;
        tracing::info!(path = %path.display(), "wrote join token");
    } else {
        let mode = fs::metadata(path)
            .map_err(|source| PkiError::Io {
                op: "stat",
                path: path.to_path_buf(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o777 != fsutil::KEY_MODE {
            fs::set_permissions(path, fs::Permissions::from_mode(fsutil::KEY_MODE)).map_err(
                |source| PkiError::Io {
                    op: "chmod",
                    path: path.to_path_buf(),
                    source,
                },
            )?;
        }
    }
    Ok(token)
}
