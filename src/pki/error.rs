//! The one error type of the PKI module.

use std::path::PathBuf;

/// Everything that can go wrong while creating, loading or using the cluster PKI.
///
/// Messages are lowercase, carry the file and the operation involved, and never include key
/// material.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A filesystem operation failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What we were doing: "read", "write", "create directory", ...
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A file that must be valid (a CA certificate or key, the token file) is not.
    #[error("{what} {}: {reason}", path.display())]
    Corrupt {
        /// What the file should hold, e.g. "parse ca private key".
        what: &'static str,
        path: PathBuf,
        reason: String,
    },

    /// One half of a CA (or files it signed) exists but another part is gone; replacing the CA
    /// would silently invalidate every credential it issued, so we refuse.
    #[error(
        "ca file {} is missing but {} exists; restore it, or remove every file in {} to create a new cluster ca",
        missing.display(),
        existing.display(),
        dir.display()
    )]
    MissingCaFile {
        missing: PathBuf,
        existing: PathBuf,
        dir: PathBuf,
    },

    /// The CA private key does not belong to the CA certificate.
    #[error("ca key {} does not match certificate {}", key.display(), cert.display())]
    CaKeyMismatch { key: PathBuf, cert: PathBuf },

    /// The CA certificate is past its expiry; it has to be rotated by an operator.
    #[error("ca certificate {} expired at unix time {not_after}", path.display())]
    CaExpired { path: PathBuf, not_after: i64 },

    /// Key or certificate generation failed.
    #[error("generate {what}: {source}")]
    Generate {
        what: String,
        #[source]
        source: rcgen::Error,
    },

    /// A subject alternative name (`--tls-san`, hostname, ...) is neither an IP nor a DNS name.
    #[error("invalid subject alternative name {value:?}: {reason}")]
    InvalidSan { value: String, reason: &'static str },

    /// The service CIDR could not be parsed.
    #[error("invalid service cidr {value:?}: {reason}")]
    InvalidCidr { value: String, reason: &'static str },

    /// A join token could not be parsed.
    #[error("invalid join token: {0}")]
    InvalidToken(&'static str),

    /// A join token names a CA (by hash) other than this cluster's.
    #[error("join token {origin} has ca hash {token_hash} but the cluster ca hash is {ca_hash}")]
    TokenCaMismatch {
        /// Where the token came from, e.g. "from --token" or a file path.
        origin: String,
        token_hash: String,
        ca_hash: String,
    },

    /// rustls refused the configuration.
    #[error("{what}: {source}")]
    Tls {
        what: &'static str,
        #[source]
        source: rustls::Error,
    },

    /// rustls could not build the client-certificate verifier.
    #[error("build client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),

    /// A certificate handed to us (PEM or DER) could not be parsed.
    #[error("parse certificate: {0}")]
    InvalidCertificate(String),

    /// A client certificate without a subject common name carries no user name.
    #[error("client certificate has no subject common name")]
    NoCommonName,

    /// The operating system's random number generator failed.
    #[error("read random bytes: {0}")]
    Random(String),
}
