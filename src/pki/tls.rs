//! rustls configuration for the API server and identities from client certificates.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use super::{Pki, PkiError, cert};

/// ALPN protocols the API server offers, in preference order.
pub const ALPN_PROTOCOLS: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// The authenticated user behind a client certificate, as Kubernetes derives it: the subject
/// common name is the user name, each subject organization is a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    pub groups: Vec<String>,
}

/// Extracts the [`Identity`] from a DER certificate (the first of
/// `ServerConnection::peer_certificates()`).
///
/// This does not verify anything: call it only for certificates the TLS layer has already
/// verified against the client CA (as [`Pki::server_tls_config`] does).
pub fn identity_from_cert(der: &[u8]) -> Result<Identity, PkiError> {
    let (cn, groups) = cert::with_parsed(der, cert::subject_names)?;
    match cn {
        Some(user) if !user.is_empty() => Ok(Identity { user, groups }),
        _ => Err(PkiError::NoCommonName),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_err(what: &'static str) -> impl FnOnce(rustls::Error) -> PkiError {
    move |source| PkiError::Tls { what, source }
}

fn pem_certs(pem: &str, what: &'static str) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PkiError::InvalidCertificate(format!("{what}: {e}")))?;
    if certs.is_empty() {
        return Err(PkiError::InvalidCertificate(format!(
            "{what}: no certificate in pem"
        )));
    }
    Ok(certs)
}

fn pem_key(pem: &str, what: &'static str) -> Result<PrivateKeyDer<'static>, PkiError> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| PkiError::InvalidCertificate(format!("{what} key: {e}")))
}

fn roots(pem: &str, what: &'static str) -> Result<RootCertStore, PkiError> {
    let mut roots = RootCertStore::empty();
    for cert in pem_certs(pem, what)? {
        roots
            .add(cert)
            .map_err(tls_err("add trusted ca certificate"))?;
    }
    Ok(roots)
}

impl Pki {
    /// The API server's TLS configuration: the serving certificate, ALPN `h2` and `http/1.1`, and
    /// optional client certificates verified against the client CA (clients without a certificate
    /// still connect, for anonymous and bearer-token requests; a certificate from any other CA
    /// fails the handshake). Uses the ring provider explicitly.
    pub fn server_tls_config(&self) -> Result<Arc<ServerConfig>, PkiError> {
        let provider = provider();
        let verifier = WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots(self.client_ca_pem(), "client ca")?),
            provider.clone(),
        )
        .allow_unauthenticated()
        .build()?;
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(tls_err("choose tls versions"))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                pem_certs(self.serving_cert_pem(), "serving certificate")?,
                pem_key(self.serving_key_pem(), "serving")?,
            )
            .map_err(tls_err("load serving certificate"))?;
        config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }
}

/// A kubelet's TLS configuration: its serving certificate, ALPN `http/1.1` (streaming upgrades
/// need HTTP/1.1), and a client certificate from `client_ca_pem` required (the API server's).
pub fn kubelet_tls_config(
    cert_pem: &str,
    key_pem: &str,
    client_ca_pem: &str,
) -> Result<Arc<ServerConfig>, PkiError> {
    let provider = provider();
    let verifier = WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots(client_ca_pem, "client ca")?),
        provider.clone(),
    )
    .build()?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_err("choose tls versions"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            pem_certs(cert_pem, "kubelet serving certificate")?,
            pem_key(key_pem, "kubelet serving")?,
        )
        .map_err(tls_err("load the kubelet serving certificate"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A client TLS configuration trusting only `ca_pem` (a PEM bundle), presenting the client
/// certificate `(cert_pem, key_pem)` if given, offering ALPN `h2` and `http/1.1`. Uses the ring
/// provider explicitly. For in-process clients (agents, tests) of our own servers.
pub fn client_tls_config(
    ca_pem: &str,
    client_cert: Option<(&str, &str)>,
) -> Result<Arc<ClientConfig>, PkiError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(tls_err("choose tls versions"))?
        .with_root_certificates(roots(ca_pem, "server ca")?);
    let mut config = match client_cert {
        Some((cert_pem, key_pem)) => builder
            .with_client_auth_cert(
                pem_certs(cert_pem, "client certificate")?,
                pem_key(key_pem, "client")?,
            )
            .map_err(tls_err("load client certificate"))?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}
