//! Certificate mechanics: SANs, CA handling, leaf issuance and inspection.
//!
//! Everything is ECDSA P-256 / SHA-256. Times are handled as unix seconds and converted at the
//! edge, so no date library appears in our own signatures.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::CertificateDer;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::time::ASN1Time;

use super::PkiError;

/// Backdating of `notBefore`, to tolerate modest clock skew between nodes.
const BACKDATE_SECS: i64 = 3600;

/// Current time in unix seconds.
pub(crate) fn now_unix() -> i64 {
    ASN1Time::now().timestamp()
}

pub(crate) fn duration_secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 4)
}

/// One subject alternative name, normalised: DNS names are lowercase without a trailing dot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum San {
    Dns(String),
    Ip(IpAddr),
}

impl San {
    /// Parses `--tls-san`-style input: an IP address, or else a DNS name.
    pub(crate) fn parse(s: &str) -> Result<San, PkiError> {
        let s = s.trim();
        let bare = s
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(s);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return Ok(San::Ip(ip));
        }
        let invalid = |reason| PkiError::InvalidSan {
            value: s.to_string(),
            reason,
        };
        let name = s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
        if name.is_empty() {
            return Err(invalid("empty name"));
        }
        if name.len() > 253 {
            return Err(invalid("dns name longer than 253 characters"));
        }
        for (i, label) in name.split('.').enumerate() {
            if label.is_empty() {
                return Err(invalid("empty dns label"));
            }
            if label.len() > 63 {
                return Err(invalid("dns label longer than 63 characters"));
            }
            if label == "*" && i == 0 {
                continue;
            }
            if !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(invalid("not an ip address and not a valid dns name"));
            }
        }
        Ok(San::Dns(name))
    }

    fn to_rcgen(&self) -> Result<SanType, PkiError> {
        Ok(match self {
            San::Ip(ip) => SanType::IpAddress(*ip),
            San::Dns(name) => {
                SanType::DnsName(name.clone().try_into().map_err(|_| PkiError::InvalidSan {
                    value: name.clone(),
                    reason: "not representable as ia5 string",
                })?)
            }
        })
    }
}

impl fmt::Display for San {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            San::Dns(n) => f.write_str(n),
            San::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// What a leaf certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Usage {
    Client,
    Server,
}

/// Everything needed to issue one leaf certificate.
#[derive(Clone, Debug)]
pub(crate) struct LeafSpec {
    pub cn: String,
    pub orgs: Vec<String>,
    pub sans: BTreeSet<San>,
    pub usage: Usage,
    pub validity: Duration,
}

/// A freshly issued leaf: PEM certificate and PEM (PKCS#8) private key.
pub(crate) struct Issued {
    pub cert_pem: String,
    pub key_pem: String,
}

fn random_serial() -> Result<SerialNumber, PkiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| PkiError::Random(e.to_string()))?;
    // Positive and without a leading zero byte, so the DER INTEGER is exactly 16 bytes.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::from_slice(&bytes))
}

fn gen_err(what: impl Into<String>) -> impl FnOnce(rcgen::Error) -> PkiError {
    let what = what.into();
    move |source| PkiError::Generate { what, source }
}

fn asn1_time(unix: i64) -> Result<ASN1Time, PkiError> {
    ASN1Time::from_timestamp(unix).map_err(|e| PkiError::InvalidCertificate(e.to_string()))
}

fn new_key(what: &str) -> Result<KeyPair, PkiError> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(gen_err(format!("{what} key")))
}

/// Parses a CA's PEM private key; the path is only used in the error.
pub(crate) fn parse_key(key_pem: &[u8], key_path: &Path) -> Result<KeyPair, PkiError> {
    let corrupt = |reason: String| PkiError::Corrupt {
        what: "parse ca private key",
        path: key_path.to_path_buf(),
        reason,
    };
    let key_str = std::str::from_utf8(key_pem).map_err(|_| corrupt("not utf-8 pem".into()))?;
    let key = KeyPair::from_pem(key_str).map_err(|e| corrupt(e.to_string()))?;
    if key.algorithm() != &rcgen::PKCS_ECDSA_P256_SHA256 {
        return Err(corrupt("not an ecdsa p-256 key".into()));
    }
    Ok(key)
}

/// Parses the single certificate of a PEM document.
pub(crate) fn parse_pem_cert(pem: &[u8]) -> Result<Vec<u8>, String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem).map_err(|e| e.to_string())?;
    if pem.label != "CERTIFICATE" {
        return Err(format!("unexpected pem block {:?}", pem.label));
    }
    Ok(pem.contents)
}

fn parse_der(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    let (rest, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| e.to_string())?;
    if !rest.is_empty() {
        return Err("trailing data after certificate".to_string());
    }
    Ok(cert)
}

/// A certificate authority we can sign with.
pub(crate) struct Ca {
    /// The certificate exactly as stored on disk (its hash is the join token's CA hash).
    pub cert_pem: String,
    pub cert_der: CertificateDer<'static>,
    pub not_after: i64,
    issuer: Issuer<'static, KeyPair>,
}

impl fmt::Debug for Ca {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ca")
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl Ca {
    /// Generates a self-signed CA with common name `<cn_prefix>@<unix time>`, for `key` or a
    /// fresh key. Returns the CA and the PEM of its private key.
    pub(crate) fn generate(
        cn_prefix: &str,
        validity: Duration,
        key: Option<KeyPair>,
    ) -> Result<(Ca, String), PkiError> {
        let key = match key {
            Some(key) => key,
            None => new_key(cn_prefix)?,
        };
        let now = now_unix();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, format!("{cn_prefix}@{now}"));
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
        params.serial_number = Some(random_serial()?);
        params.not_before = asn1_time(now - BACKDATE_SECS)?.to_datetime();
        params.not_after = asn1_time(now + duration_secs(validity))?.to_datetime();
        let cert = params
            .self_signed(&key)
            .map_err(gen_err(format!("{cn_prefix} certificate")))?;
        let key_pem = key.serialize_pem();
        let cert_pem = cert.pem();
        let ca = Ca::from_parts(cert_pem, key, Path::new(""), Path::new(""))?;
        Ok((ca, key_pem))
    }

    /// Loads a CA from its PEM certificate and key, checking that they belong together. The paths
    /// are only used in error messages.
    pub(crate) fn load(
        cert_pem: &[u8],
        key_pem: &[u8],
        cert_path: &Path,
        key_path: &Path,
    ) -> Result<Ca, PkiError> {
        let key = parse_key(key_pem, key_path)?;
        let cert_str = String::from_utf8(cert_pem.to_vec()).map_err(|_| PkiError::Corrupt {
            what: "parse ca certificate",
            path: cert_path.to_path_buf(),
            reason: "not utf-8 pem".to_string(),
        })?;
        Ca::from_parts(cert_str, key, cert_path, key_path)
    }

    fn from_parts(
        cert_pem: String,
        key: KeyPair,
        cert_path: &Path,
        key_path: &Path,
    ) -> Result<Ca, PkiError> {
        let corrupt = |reason: String| PkiError::Corrupt {
            what: "parse ca certificate",
            path: cert_path.to_path_buf(),
            reason,
        };
        let der = parse_pem_cert(cert_pem.as_bytes()).map_err(corrupt)?;
        let not_after;
        {
            let x509 = parse_der(&der).map_err(corrupt)?;
            if !x509.is_ca() {
                return Err(corrupt("not a ca certificate".to_string()));
            }
            if x509.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
                return Err(PkiError::CaKeyMismatch {
                    key: key_path.to_path_buf(),
                    cert: cert_path.to_path_buf(),
                });
            }
            not_after = x509.validity().not_after.timestamp();
        }
        let cert_der = CertificateDer::from(der);
        let issuer = Issuer::from_ca_cert_der(&cert_der, key)
            .map_err(|e| corrupt(format!("use as issuer: {e}")))?;
        Ok(Ca {
            cert_pem,
            cert_der,
            not_after,
            issuer,
        })
    }

    /// Issues a leaf certificate with a fresh key. `notAfter` never exceeds the CA's.
    pub(crate) fn issue(&self, spec: &LeafSpec) -> Result<Issued, PkiError> {
        let key = new_key(&spec.cn)?;
        let now = now_unix();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        for org in &spec.orgs {
            dn.push(DnType::OrganizationName, org.as_str());
        }
        dn.push(DnType::CommonName, spec.cn.as_str());
        params.distinguished_name = dn;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![match spec.usage {
            Usage::Client => ExtendedKeyUsagePurpose::ClientAuth,
            Usage::Server => ExtendedKeyUsagePurpose::ServerAuth,
        }];
        params.subject_alt_names = spec
            .sans
            .iter()
            .map(San::to_rcgen)
            .collect::<Result<_, _>>()?;
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(random_serial()?);
        params.not_before = asn1_time(now - BACKDATE_SECS)?.to_datetime();
        let not_after = (now + duration_secs(spec.validity)).min(self.not_after);
        params.not_after = asn1_time(not_after)?.to_datetime();
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(gen_err(format!("certificate for {:?}", spec.cn)))?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Whether `der` carries a valid signature by this CA.
    pub(crate) fn signed(&self, cert: &X509Certificate<'_>) -> bool {
        let Ok(ca) = parse_der(&self.cert_der) else {
            return false;
        };
        cert.issuer().as_raw() == ca.subject().as_raw()
            && cert.verify_signature(Some(ca.public_key())).is_ok()
    }
}

/// What we learn from an existing leaf certificate on disk.
pub(crate) struct LeafInfo {
    pub not_after: i64,
    pub sans: BTreeSet<San>,
    pub cn: Option<String>,
    pub orgs: Vec<String>,
    pub signed_by_ca: bool,
    pub key_matches: bool,
    pub usage_ok: bool,
}

/// Inspects a PEM leaf and its PEM key against `ca`. Errors mean "unusable, re-issue".
pub(crate) fn inspect_leaf(
    cert_pem: &[u8],
    key_pem: &[u8],
    ca: &Ca,
    usage: Usage,
) -> Result<LeafInfo, String> {
    let der = parse_pem_cert(cert_pem)?;
    let x509 = parse_der(&der)?;
    let key_str = std::str::from_utf8(key_pem).map_err(|_| "key is not utf-8 pem".to_string())?;
    let key = KeyPair::from_pem(key_str).map_err(|e| format!("parse key: {e}"))?;
    let key_matches = x509.public_key().subject_public_key.data.as_ref() == key.public_key_raw();

    let mut sans = BTreeSet::new();
    if let Ok(Some(ext)) = x509.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(n) => {
                    sans.insert(San::Dns(
                        n.strip_suffix('.').unwrap_or(n).to_ascii_lowercase(),
                    ));
                }
                GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_from_bytes(bytes) {
                        sans.insert(San::Ip(ip));
                    }
                }
                _ => {}
            }
        }
    }
    let usage_ok = match x509.extended_key_usage() {
        Ok(Some(eku)) => match usage {
            Usage::Client => eku.value.client_auth,
            Usage::Server => eku.value.server_auth,
        },
        _ => false,
    };
    let (cn, orgs) = subject_names(&x509);
    Ok(LeafInfo {
        not_after: x509.validity().not_after.timestamp(),
        sans,
        cn,
        orgs,
        signed_by_ca: ca.signed(&x509),
        key_matches,
        usage_ok,
    })
}

/// The first subject CN and all subject O values.
pub(crate) fn subject_names(x509: &X509Certificate<'_>) -> (Option<String>, Vec<String>) {
    let cn = x509
        .subject()
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .map(str::to_string);
    let orgs = x509
        .subject()
        .iter_organization()
        .filter_map(|a| a.as_str().ok())
        .map(str::to_string)
        .collect();
    (cn, orgs)
}

pub(crate) fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Parses a certificate DER with x509-parser, for callers outside this file.
pub(crate) fn with_parsed<T>(
    der: &[u8],
    f: impl FnOnce(&X509Certificate<'_>) -> T,
) -> Result<T, PkiError> {
    let cert = parse_der(der).map_err(PkiError::InvalidCertificate)?;
    Ok(f(&cert))
}
