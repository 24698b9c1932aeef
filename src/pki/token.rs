//! Cluster join tokens in the k3s format.
//!
//! A full ("secure") token is `K10<ca hash>::<credentials>`: the CA hash lets a joining node
//! authenticate the server before it sends any secret, the credentials authenticate the node.
//! The CA hash is the lowercase hex SHA-256 of the CA bundle exactly as the server serves it at
//! `/cacerts` (for our single self-signed CA: the bytes of `server-ca.crt`). When the bundle holds
//! more than one certificate, the hash is instead taken over the DER of the root that the first
//! certificate chains to, so an intermediate can be rotated without changing tokens.
//!
//! Credentials are either `<username>:<password>` (our server token uses username `server`) or a
//! kubeadm-style bootstrap token `<6 chars>.<16 chars>`. The "short" form is credentials without
//! the `K10<hash>::` part; a bare password is accepted as credentials with an empty username.

use std::fmt;

use sha2::{Digest, Sha256};

use super::PkiError;

/// The fixed prefix of full tokens.
pub const TOKEN_PREFIX: &str = "K10";
/// Length of the hex CA hash in a full token.
const CA_HASH_LEN: usize = 64;

/// The credential part of a join token.
#[derive(Clone, PartialEq, Eq)]
pub enum JoinCredentials {
    /// `<username>:<password>`; `username` is empty for a bare short-form password.
    Basic { username: String, password: String },
    /// A kubeadm-style bootstrap token `<id>.<secret>`.
    Bootstrap { id: String, secret: String },
}

impl fmt::Debug for JoinCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinCredentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"[redacted]")
                .finish(),
            JoinCredentials::Bootstrap { id, .. } => f
                .debug_struct("Bootstrap")
                .field("id", id)
                .field("secret", &"[redacted]")
                .finish(),
        }
    }
}

/// A parsed join token. `Display` renders a form that parses back to the same value: the full
/// k3s form when `ca_hash` is set, `K10::<user>:<password>` without a hash, or just the password
/// for a short token without username. `Debug` redacts the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinToken {
    /// Lowercase hex SHA-256 of the cluster CA bundle, if the token carries one.
    pub ca_hash: Option<String>,
    pub credentials: JoinCredentials,
}

impl fmt::Display for JoinToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hash = self.ca_hash.as_deref().unwrap_or("");
        match &self.credentials {
            JoinCredentials::Basic { username, password }
                if username.is_empty() && hash.is_empty() =>
            {
                f.write_str(password)
            }
            JoinCredentials::Basic { username, password } => {
                write!(f, "{TOKEN_PREFIX}{hash}::{username}:{password}")
            }
            JoinCredentials::Bootstrap { id, secret } if hash.is_empty() => {
                write!(f, "{id}.{secret}")
            }
            JoinCredentials::Bootstrap { id, secret } => {
                write!(f, "{TOKEN_PREFIX}{hash}::{id}.{secret}")
            }
        }
    }
}

impl JoinToken {
    /// Whether the token carries a CA hash and it equals the hash of `ca_pem` (the CA bundle as
    /// downloaded from the server's `/cacerts`). A token without a hash never "matches": the
    /// caller decides whether to proceed unverified (k3s does, with a warning).
    pub fn ca_hash_matches(&self, ca_pem: &[u8]) -> bool {
        match &self.ca_hash {
            Some(hash) => ct_eq(hash.as_bytes(), ca_bundle_hash(ca_pem).as_bytes()),
            None => false,
        }
    }

    /// The secret part: the password, or the bootstrap token secret.
    pub fn secret(&self) -> &str {
        match &self.credentials {
            JoinCredentials::Basic { password, .. } => password,
            JoinCredentials::Bootstrap { secret, .. } => secret,
        }
    }
}

/// Parses a join token in full (`K10<hash>::<creds>`) or short (`<creds>`) form. Surrounding
/// whitespace is ignored.
///
/// Unlike k3s, a string that starts with `K10` but has no `::` is taken as a short-form password
/// as a whole rather than having its first three characters stripped.
pub fn parse_join_token(s: &str) -> Result<JoinToken, PkiError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(PkiError::InvalidToken("token must not be empty"));
    }
    let (ca_hash, creds) = match s
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|rest| rest.split_once("::"))
    {
        Some((hash, creds)) => {
            let hash = if hash.is_empty() {
                None
            } else if hash.len() != CA_HASH_LEN {
                return Err(PkiError::InvalidToken("invalid token ca hash length"));
            } else if !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(PkiError::InvalidToken("token ca hash is not hex"));
            } else {
                Some(hash.to_ascii_lowercase())
            };
            (hash, parse_credentials(creds)?)
        }
        None => (None, parse_short(s)),
    };
    Ok(JoinToken {
        ca_hash,
        credentials: creds,
    })
}

/// Short form: a bootstrap token, or else the whole string is a password (k3s does not split a
/// short token on `:`).
fn parse_short(s: &str) -> JoinCredentials {
    bootstrap(s).unwrap_or_else(|| JoinCredentials::Basic {
        username: String::new(),
        password: s.to_string(),
    })
}

/// Credentials after `::`: a bootstrap token or `<username>:<password>` (either part may contain
/// further `:` only in the password). A leading `:` means an empty username.
fn parse_credentials(s: &str) -> Result<JoinCredentials, PkiError> {
    if let Some(b) = bootstrap(s) {
        return Ok(b);
    }
    match s.split_once(':') {
        Some((username, password)) if !password.is_empty() => Ok(JoinCredentials::Basic {
            username: username.to_string(),
            password: password.to_string(),
        }),
        _ => Err(PkiError::InvalidToken("invalid token format")),
    }
}

/// `^[a-z0-9]{6}\.[a-z0-9]{16}$`
fn bootstrap(s: &str) -> Option<JoinCredentials> {
    let (id, secret) = s.split_once('.')?;
    let ok = |p: &str, n: usize| {
        p.len() == n
            && p.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
    };
    (ok(id, 6) && ok(secret, 16)).then(|| JoinCredentials::Bootstrap {
        id: id.to_string(),
        secret: secret.to_string(),
    })
}

/// The k3s CA hash of a PEM bundle: SHA-256 of the bytes as given for a single certificate, or of
/// the DER of the root the first certificate chains to when there are several (falling back to
/// the bytes as given if no root is found in the bundle).
pub fn ca_bundle_hash(ca_pem: &[u8]) -> String {
    let ders: Vec<Vec<u8>> = x509_parser::pem::Pem::iter_from_buffer(ca_pem)
        .map_while(Result::ok)
        .filter(|p| p.label == "CERTIFICATE")
        .map(|p| p.contents)
        .collect();
    if ders.len() > 1
        && let Some(root) = chain_root(&ders)
    {
        return sha256_hex(root);
    }
    sha256_hex(ca_pem)
}

/// Follows issuer links from `ders[0]` through `ders[1..]` to a self-issued certificate.
fn chain_root(ders: &[Vec<u8>]) -> Option<&[u8]> {
    let parsed: Vec<_> = ders
        .iter()
        .map(|d| x509_parser::parse_x509_certificate(d).ok().map(|(_, c)| c))
        .collect::<Option<_>>()?;
    let mut current = 0usize;
    for _ in 0..ders.len() {
        let cert = &parsed[current];
        let next = (1..ders.len()).find(|&i| {
            i != current
                && parsed[i].subject().as_raw() == cert.issuer().as_raw()
                && cert.verify_signature(Some(parsed[i].public_key())).is_ok()
        })?;
        if parsed[next].subject().as_raw() == parsed[next].issuer().as_raw() {
            return Some(&ders[next]);
        }
        current = next;
    }
    None
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Constant-time comparison (the length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 16 random bytes as 32 lowercase hex characters.
pub(crate) fn random_secret() -> Result<String, PkiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| PkiError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "c1f1e4e4b8a1a1e4f0a6d0c9e5b3d2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5";

    #[test]
    fn full_token_roundtrip() {
        let s = format!("K10{HASH}::server:0123456789abcdef0123456789abcdef");
        let t = parse_join_token(&s).unwrap();
        assert_eq!(t.ca_hash.as_deref(), Some(HASH));
        assert_eq!(
            t.credentials,
            JoinCredentials::Basic {
                username: "server".into(),
                password: "0123456789abcdef0123456789abcdef".into()
            }
        );
        assert_eq!(t.secret(), "0123456789abcdef0123456789abcdef");
        assert_eq!(t.to_string(), s);
        // The secret never shows in Debug.
        assert!(!format!("{t:?}").contains("0123456789abcdef"));
    }

    #[test]
    fn short_forms() {
        let t = parse_join_token("  s3cr3t:with:colons\n").unwrap();
        assert_eq!(t.ca_hash, None);
        assert_eq!(t.secret(), "s3cr3t:with:colons");
        assert_eq!(t.to_string(), "s3cr3t:with:colons");
        for s in [
            "K10::server:pw",
            "K10:::pw",
            "pw",
            "abcdef.0123456789abcdef",
            &format!("K10{HASH}:::pw"),
            &format!("K10{HASH}::abcdef.0123456789abcdef"),
        ] {
            let t = parse_join_token(s).unwrap();
            assert_eq!(parse_join_token(&t.to_string()).unwrap(), t, "{s}");
        }

        let t = parse_join_token("abcdef.0123456789abcdef").unwrap();
        assert_eq!(
            t.credentials,
            JoinCredentials::Bootstrap {
                id: "abcdef".into(),
                secret: "0123456789abcdef".into()
            }
        );

        // "K10:::pw" is a full token with neither hash nor username.
        let t = parse_join_token("K10:::pw").unwrap();
        assert_eq!(t.ca_hash, None);
        assert_eq!(
            t.credentials,
            JoinCredentials::Basic {
                username: String::new(),
                password: "pw".into()
            }
        );
        let t = parse_join_token(&format!("K10{HASH}::abcdef.0123456789abcdef")).unwrap();
        assert!(matches!(t.credentials, JoinCredentials::Bootstrap { .. }));
        // No "::": the whole string is a password.
        assert_eq!(parse_join_token("K10abc").unwrap().secret(), "K10abc");
    }

    #[test]
    fn invalid_tokens() {
        for bad in [
            "",
            "   ",
            "K10abcd::server:pw",
            &format!("K10{HASH}::nocolon"),
            &format!("K10{HASH}::server:"),
            &format!("K10{}::server:pw", "z".repeat(64)),
        ] {
            let err = parse_join_token(bad).unwrap_err();
            assert!(err.to_string().starts_with("invalid join token: "), "{err}");
        }
    }

    #[test]
    fn hash_is_sha256_of_single_cert_bytes() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["x".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let pem = cert.pem();
        let expected = sha256_hex(pem.as_bytes());
        assert_eq!(ca_bundle_hash(pem.as_bytes()), expected);
        let t = parse_join_token(&format!("K10{}::server:pw", expected.to_uppercase())).unwrap();
        assert!(t.ca_hash_matches(pem.as_bytes()));
        assert!(!t.ca_hash_matches(b"something else"));
        let short = parse_join_token("pw").unwrap();
        assert!(!short.ca_hash_matches(pem.as_bytes()));
    }

    #[test]
    fn hash_of_bundle_is_root_der() {
        let root_key = rcgen::KeyPair::generate().unwrap();
        let mut root_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        root_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        root_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "root");
        let root = rcgen::CertifiedIssuer::self_signed(root_params, root_key).unwrap();
        let int_key = rcgen::KeyPair::generate().unwrap();
        let mut int_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        int_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        int_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "intermediate");
        let int = rcgen::CertifiedIssuer::signed_by(int_params, int_key, &root).unwrap();
        let bundle = format!("{}{}", int.pem(), root.pem());
        assert_eq!(ca_bundle_hash(bundle.as_bytes()), sha256_hex(root.der()));
    }

    #[test]
    fn random_secret_shape() {
        let a = random_secret().unwrap();
        let b = random_secret().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(ct_eq(a.as_bytes(), a.as_bytes()));
        assert!(!ct_eq(a.as_bytes(), b.as_bytes()));
    }
}
