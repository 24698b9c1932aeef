//! Tests of the PKI as a whole: files on disk, reload, renewal, tokens, kubeconfig and real TLS
//! handshakes.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};
use x509_parser::extensions::GeneralName;

use super::*;

fn opts() -> PkiOptions {
    PkiOptions {
        hostname: Some("Node-A".to_string()),
        ..PkiOptions::default()
    }
}

fn tls_dir(root: &Path) -> PathBuf {
    root.join("server").join("tls")
}

/// Every regular file under `root`, by path relative to `root`.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn der_of(pem: &str) -> Vec<u8> {
    cert::parse_pem_cert(pem.as_bytes()).unwrap()
}

/// SANs of a PEM certificate, as strings.
fn sans_of(pem: &str) -> BTreeSet<String> {
    let der = der_of(pem);
    let (_, x509) = x509_parser::parse_x509_certificate(&der).unwrap();
    let ext = x509.subject_alternative_name().unwrap().unwrap();
    ext.value
        .general_names
        .iter()
        .map(|n| match n {
            GeneralName::DNSName(d) => d.to_string(),
            GeneralName::IPAddress(b) => cert::ip_from_bytes(b).unwrap().to_string(),
            other => panic!("unexpected san {other:?}"),
        })
        .collect()
}

fn not_after_of(pem: &str) -> i64 {
    let der = der_of(pem);
    let (_, x509) = x509_parser::parse_x509_certificate(&der).unwrap();
    x509.validity().not_after.timestamp()
}

fn signed_by(leaf_pem: &str, ca_pem: &str) -> bool {
    let leaf = der_of(leaf_pem);
    let ca = der_of(ca_pem);
    let (_, leaf) = x509_parser::parse_x509_certificate(&leaf).unwrap();
    let (_, ca) = x509_parser::parse_x509_certificate(&ca).unwrap();
    leaf.verify_signature(Some(ca.public_key())).is_ok()
}

#[test]
fn pki_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Pki>();
}

#[test]
fn create_then_reload_is_byte_identical() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    let first = Pki::load_or_create(&dir, &opts()).unwrap();
    let files_before = snapshot(root.path());
    let expected: BTreeSet<PathBuf> = [
        "server/token",
        "server/tls/server-ca.crt",
        "server/tls/server-ca.key",
        "server/tls/client-ca.crt",
        "server/tls/client-ca.key",
        "server/tls/serving-kube-apiserver.crt",
        "server/tls/serving-kube-apiserver.key",
        "server/tls/client-admin.crt",
        "server/tls/client-admin.key",
    ]
    .into_iter()
    .map(PathBuf::from)
    .collect();
    assert_eq!(
        files_before.keys().cloned().collect::<BTreeSet<_>>(),
        expected
    );

    let second = Pki::load_or_create(&dir, &opts()).unwrap();
    assert_eq!(snapshot(root.path()), files_before);
    assert_eq!(first.server_ca_pem(), second.server_ca_pem());
    assert_eq!(first.client_ca_pem(), second.client_ca_pem());
    assert_eq!(first.serving_cert_pem(), second.serving_cert_pem());
    assert_eq!(first.serving_key_pem(), second.serving_key_pem());
    assert_eq!(first.admin_cert_pem(), second.admin_cert_pem());
    assert_eq!(first.admin_key_pem(), second.admin_key_pem());
    assert_eq!(first.join_token(), second.join_token());
    // What is in memory is exactly what is on disk.
    assert_eq!(
        second.server_ca_pem().as_bytes(),
        &files_before[Path::new("server/tls/server-ca.crt")][..]
    );
    assert_ne!(first.server_ca_pem(), first.client_ca_pem());
}

#[test]
fn certificates_have_expected_subjects_and_sans() {
    let root = tempfile::tempdir().unwrap();
    let o = PkiOptions {
        hostname: Some("Node-A".to_string()),
        node_ips: vec![
            IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10)),
            "fd00::10".parse().unwrap(),
        ],
        extra_sans: vec![
            "api.example.com".to_string(),
            "10.0.0.5".to_string(),
            "LB.Example.com.".to_string(),
        ],
        cluster_domain: "corp.local".to_string(),
        service_cidr: "10.96.0.0/12,fd00:43::/112".to_string(),
        ..PkiOptions::default()
    };
    let pki = Pki::load_or_create(&tls_dir(root.path()), &o).unwrap();
    let sans = sans_of(pki.serving_cert_pem());
    for want in [
        "127.0.0.1",
        "::1",
        "localhost",
        "node-a",
        "192.168.1.10",
        "fd00::10",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.corp.local",
        "10.96.0.1",
        "fd00:43::1",
        "api.example.com",
        "10.0.0.5",
        "lb.example.com",
    ] {
        assert!(sans.contains(want), "missing {want} in {sans:?}");
    }
    assert_eq!(sans.len(), 15, "{sans:?}");

    // Default options: default service IP and cluster domain.
    let root2 = tempfile::tempdir().unwrap();
    let pki2 = Pki::load_or_create(&tls_dir(root2.path()), &PkiOptions::default()).unwrap();
    let sans2 = sans_of(pki2.serving_cert_pem());
    assert!(sans2.contains("10.43.0.1"));
    assert!(sans2.contains("kubernetes.default.svc.cluster.local"));

    // Serving certificate: CN, server auth, signed by the server CA, valid about a year.
    let serving = der_of(pki.serving_cert_pem());
    let (_, x) = x509_parser::parse_x509_certificate(&serving).unwrap();
    assert_eq!(
        cert::subject_names(&x),
        (Some(SERVING_CN.to_string()), vec![])
    );
    let eku = x.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.server_auth && !eku.client_auth);
    assert!(!x.is_ca());
    assert!(signed_by(pki.serving_cert_pem(), pki.server_ca_pem()));
    assert!(!signed_by(pki.serving_cert_pem(), pki.client_ca_pem()));
    let days = (not_after_of(pki.serving_cert_pem()) - cert::now_unix()) / 86400;
    assert!((364..=365).contains(&days), "{days}");

    // Admin: system:admin in system:masters, client auth, signed by the client CA.
    let id = identity_from_cert(&der_of(pki.admin_cert_pem())).unwrap();
    assert_eq!(
        id,
        Identity {
            user: "system:admin".into(),
            groups: vec!["system:masters".into()]
        }
    );
    let admin = der_of(pki.admin_cert_pem());
    let (_, x) = x509_parser::parse_x509_certificate(&admin).unwrap();
    let eku = x.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth);
    assert!(signed_by(pki.admin_cert_pem(), pki.client_ca_pem()));

    // CAs: self-signed, CA, ECDSA P-256, CN prefix@time, ten years.
    for (pem, prefix) in [
        (pki.server_ca_pem(), "orch-server-ca@"),
        (pki.client_ca_pem(), "orch-client-ca@"),
    ] {
        let der = der_of(pem);
        let (_, x) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert!(x.is_ca());
        let (cn, _) = cert::subject_names(&x);
        let cn = cn.unwrap();
        let stamp: i64 = cn.strip_prefix(prefix).unwrap().parse().unwrap();
        assert!((stamp - cert::now_unix()).abs() < 600);
        assert!(signed_by(pem, pem));
        assert_eq!(
            x.public_key().algorithm.algorithm,
            x509_parser::oid_registry::OID_KEY_TYPE_EC_PUBLIC_KEY
        );
        let days = (x.validity().not_after.timestamp() - cert::now_unix()) / 86400;
        assert!((3649..=3650).contains(&days), "ten years: {days}");
    }
}

#[test]
fn new_extra_san_reissues_only_the_serving_cert() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    let first = Pki::load_or_create(&dir, &opts()).unwrap();
    let before = snapshot(root.path());

    let mut o = opts();
    o.extra_sans.push("orch.example.org".to_string());
    o.node_ips.push("10.1.2.3".parse().unwrap());
    let second = Pki::load_or_create(&dir, &o).unwrap();
    let after = snapshot(root.path());

    let changed: BTreeSet<_> = before
        .keys()
        .filter(|k| before[*k] != after[*k])
        .cloned()
        .collect();
    let want: BTreeSet<PathBuf> = [
        "server/tls/serving-kube-apiserver.crt",
        "server/tls/serving-kube-apiserver.key",
    ]
    .into_iter()
    .map(PathBuf::from)
    .collect();
    assert_eq!(changed, want);
    assert_eq!(first.server_ca_pem(), second.server_ca_pem());
    let sans = sans_of(second.serving_cert_pem());
    assert!(sans.contains("orch.example.org"));
    assert!(sans.contains("10.1.2.3"));
    assert!(signed_by(second.serving_cert_pem(), first.server_ca_pem()));

    // Dropping the extra SAN again does not churn the certificate (it still covers the set).
    let third = Pki::load_or_create(&dir, &opts()).unwrap();
    assert_eq!(third.serving_cert_pem(), second.serving_cert_pem());
}

#[test]
fn expiring_leaf_is_renewed_by_the_same_ca() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    let pki = Pki::load_or_create(&dir, &opts()).unwrap();

    // Replace the serving certificate with one that expires in ten days.
    let short = pki
        .server_ca
        .issue(&LeafSpec {
            cn: SERVING_CN.to_string(),
            orgs: vec![],
            sans: opts().serving_sans().unwrap(),
            usage: Usage::Server,
            validity: 10 * DAY,
        })
        .unwrap();
    fs::write(dir.join(files::SERVING_CERT), &short.cert_pem).unwrap();
    fs::write(dir.join(files::SERVING_KEY), &short.key_pem).unwrap();
    let short_days = (not_after_of(&short.cert_pem) - cert::now_unix()) / 86400;
    assert!(short_days <= 10);

    // Loaded as is while outside the renewal window...
    let o = PkiOptions {
        renew_before: 5 * DAY,
        ..opts()
    };
    let kept = Pki::load_or_create(&dir, &o).unwrap();
    assert_eq!(kept.serving_cert_pem(), short.cert_pem);

    // ...and renewed inside it (default: 90 days).
    let renewed = Pki::load_or_create(&dir, &opts()).unwrap();
    assert_ne!(renewed.serving_cert_pem(), short.cert_pem);
    assert!(not_after_of(renewed.serving_cert_pem()) - cert::now_unix() > 300 * 86400);
    assert_eq!(renewed.server_ca_pem(), pki.server_ca_pem());
    assert_eq!(renewed.admin_cert_pem(), pki.admin_cert_pem());
    assert!(signed_by(renewed.serving_cert_pem(), pki.server_ca_pem()));
    assert_eq!(
        fs::read_to_string(dir.join(files::SERVING_CERT)).unwrap(),
        renewed.serving_cert_pem()
    );

    // An expiring admin certificate is renewed the same way.
    let (cert_pem, key_pem) = pki
        .issue_client_cert(ADMIN_USER, &[ADMIN_GROUP], DAY)
        .unwrap();
    fs::write(dir.join(files::ADMIN_CERT), &cert_pem).unwrap();
    fs::write(dir.join(files::ADMIN_KEY), &key_pem).unwrap();
    let renewed = Pki::load_or_create(&dir, &opts()).unwrap();
    assert_ne!(renewed.admin_cert_pem(), cert_pem);
    assert!(not_after_of(renewed.admin_cert_pem()) - cert::now_unix() > 300 * 86400);
}

#[test]
fn broken_leaves_are_reissued() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    let pki = Pki::load_or_create(&dir, &opts()).unwrap();

    // A serving certificate signed by some other CA.
    let other_root = tempfile::tempdir().unwrap();
    let other = Pki::load_or_create(&tls_dir(other_root.path()), &opts()).unwrap();
    fs::write(dir.join(files::SERVING_CERT), other.serving_cert_pem()).unwrap();
    fs::write(dir.join(files::SERVING_KEY), other.serving_key_pem()).unwrap();
    // An admin key that does not match its certificate.
    let (_, wrong_key) = pki.issue_client_cert("x", &[], DAY).unwrap();
    fs::write(dir.join(files::ADMIN_KEY), &wrong_key).unwrap();

    let fixed = Pki::load_or_create(&dir, &opts()).unwrap();
    assert!(signed_by(fixed.serving_cert_pem(), pki.server_ca_pem()));
    assert_ne!(fixed.admin_cert_pem(), pki.admin_cert_pem());
    assert!(signed_by(fixed.admin_cert_pem(), pki.client_ca_pem()));
    assert_eq!(fixed.server_ca_pem(), pki.server_ca_pem());

    // Garbage and missing leaf files are re-issued too.
    fs::write(dir.join(files::SERVING_CERT), "garbage").unwrap();
    fs::remove_file(dir.join(files::ADMIN_KEY)).unwrap();
    let fixed = Pki::load_or_create(&dir, &opts()).unwrap();
    assert!(signed_by(fixed.serving_cert_pem(), pki.server_ca_pem()));
    assert!(signed_by(fixed.admin_cert_pem(), pki.client_ca_pem()));
}

#[test]
fn corrupt_ca_key_is_an_error_naming_the_file() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    Pki::load_or_create(&dir, &opts()).unwrap();

    for name in [files::SERVER_CA_KEY, files::CLIENT_CA_KEY] {
        let key_path = dir.join(name);
        let good = fs::read(&key_path).unwrap();
        fs::write(
            &key_path,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .unwrap();
        let before = snapshot(root.path());
        let err = Pki::load_or_create(&dir, &opts()).unwrap_err();
        assert!(matches!(err, PkiError::Corrupt { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with("parse ca private key ")
                && msg.contains(&key_path.display().to_string()),
            "{msg}"
        );
        assert_eq!(snapshot(root.path()), before, "nothing may be overwritten");
        fs::write(&key_path, good).unwrap();
    }

    // A key of another CA is a mismatch, also named.
    let other_root = tempfile::tempdir().unwrap();
    Pki::load_or_create(&tls_dir(other_root.path()), &opts()).unwrap();
    fs::copy(
        tls_dir(other_root.path()).join(files::SERVER_CA_KEY),
        dir.join(files::SERVER_CA_KEY),
    )
    .unwrap();
    let before = snapshot(root.path());
    let err = Pki::load_or_create(&dir, &opts()).unwrap_err();
    assert!(matches!(err, PkiError::CaKeyMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("server-ca.key"), "{err}");
    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn missing_ca_files_are_errors_unless_nothing_depends_on_them() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    let pki = Pki::load_or_create(&dir, &opts()).unwrap();

    // Missing key next to its certificate.
    let key = fs::read(dir.join(files::CLIENT_CA_KEY)).unwrap();
    fs::remove_file(dir.join(files::CLIENT_CA_KEY)).unwrap();
    let before = snapshot(root.path());
    let err = Pki::load_or_create(&dir, &opts()).unwrap_err();
    assert!(matches!(err, PkiError::MissingCaFile { .. }), "{err:?}");
    assert!(
        err.to_string().contains("client-ca.key is missing"),
        "{err}"
    );
    assert_eq!(snapshot(root.path()), before);
    fs::write(dir.join(files::CLIENT_CA_KEY), key).unwrap();

    // Both CA files gone while the serving certificate it signed remains.
    fs::remove_file(dir.join(files::SERVER_CA_CERT)).unwrap();
    fs::remove_file(dir.join(files::SERVER_CA_KEY)).unwrap();
    let before = snapshot(root.path());
    let err = Pki::load_or_create(&dir, &opts()).unwrap_err();
    assert!(
        err.to_string().contains("server-ca.crt is missing"),
        "{err}"
    );
    assert!(err.to_string().contains("serving-kube-apiserver"), "{err}");
    assert_eq!(snapshot(root.path()), before);
    drop(pki);
}

#[test]
fn expired_ca_is_an_error_not_replaced() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    let o = PkiOptions {
        ca_validity: Duration::ZERO,
        ..opts()
    };
    let err = Pki::load_or_create(&dir, &o).unwrap_err();
    assert!(matches!(err, PkiError::CaExpired { .. }), "{err:?}");
    assert!(err.to_string().contains("server-ca.crt"), "{err}");
    let ca = fs::read(dir.join(files::SERVER_CA_CERT)).unwrap();
    let err = Pki::load_or_create(&dir, &opts()).unwrap_err();
    assert!(matches!(err, PkiError::CaExpired { .. }), "{err:?}");
    assert_eq!(fs::read(dir.join(files::SERVER_CA_CERT)).unwrap(), ca);
}

#[test]
fn interrupted_first_start_is_resumed_with_the_same_key() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    Pki::load_or_create(&dir, &opts()).unwrap();
    // As if the first start had crashed right after writing the server CA key.
    let key = fs::read(dir.join(files::SERVER_CA_KEY)).unwrap();
    for name in [
        files::SERVER_CA_CERT,
        files::SERVING_CERT,
        files::SERVING_KEY,
    ] {
        fs::remove_file(dir.join(name)).unwrap();
    }
    let pki = Pki::load_or_create(&dir, &opts()).unwrap();
    assert_eq!(fs::read(dir.join(files::SERVER_CA_KEY)).unwrap(), key);
    assert!(signed_by(pki.serving_cert_pem(), pki.server_ca_pem()));
}

#[test]
fn file_and_directory_modes() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    let pki = Pki::load_or_create(&dir, &opts()).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&root.path().join("server")), 0o700);
    for key in [
        files::SERVER_CA_KEY,
        files::CLIENT_CA_KEY,
        files::SERVING_KEY,
        files::ADMIN_KEY,
    ] {
        assert_eq!(mode(&dir.join(key)), 0o600, "{key}");
    }
    for cert in [
        files::SERVER_CA_CERT,
        files::CLIENT_CA_CERT,
        files::SERVING_CERT,
        files::ADMIN_CERT,
    ] {
        assert_eq!(mode(&dir.join(cert)), 0o644, "{cert}");
    }
    assert_eq!(pki.token_path(), root.path().join("server/token"));
    assert_eq!(mode(pki.token_path()), 0o600);

    // A loosened directory and token file are tightened again on load.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(pki.token_path(), fs::Permissions::from_mode(0o644)).unwrap();
    Pki::load_or_create(&dir, &opts()).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(pki.token_path()), 0o600);
}

#[test]
fn join_token_is_k3s_shaped_and_stable() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    let pki = Pki::load_or_create(&dir, &opts()).unwrap();
    let text = fs::read_to_string(pki.token_path()).unwrap();
    let ca_bytes = fs::read(dir.join(files::SERVER_CA_CERT)).unwrap();
    let hash = token::sha256_hex(&ca_bytes);
    let prefix = format!("K10{hash}::server:");
    assert!(text.starts_with(&prefix), "{text}");
    let secret = text[prefix.len()..].trim_end_matches('\n');
    assert_eq!(secret.len(), 32);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(pki.join_token().to_string(), text.trim_end());
    assert_eq!(pki.server_ca_hash(), hash);
    assert!(
        pki.join_token()
            .ca_hash_matches(pki.server_ca_pem().as_bytes())
    );

    assert!(pki.verify_join_secret(secret));
    assert!(pki.verify_join_secret(&text));
    assert!(pki.verify_join_secret(&format!("K10::server:{secret}")));
    assert!(!pki.verify_join_secret("nope"));
    assert!(!pki.verify_join_secret(&format!("K10{}::server:{secret}", "0".repeat(64))));

    let again = Pki::load_or_create(&dir, &opts()).unwrap();
    assert_eq!(again.join_token(), pki.join_token());
    assert_eq!(fs::read_to_string(pki.token_path()).unwrap(), text);
}

#[test]
fn given_token_is_adopted_and_checked() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    let o = PkiOptions {
        token: Some("my-secret".to_string()),
        ..opts()
    };
    let pki = Pki::load_or_create(&dir, &o).unwrap();
    assert_eq!(pki.join_token().secret(), "my-secret");
    assert_eq!(
        pki.join_token().to_string(),
        format!("K10{}::server:my-secret", pki.server_ca_hash())
    );
    // The full form with our CA hash is accepted as well.
    let full = PkiOptions {
        token: Some(pki.join_token().to_string()),
        ..opts()
    };
    Pki::load_or_create(&dir, &full).unwrap();
    // Without --token the stored one stays.
    let again = Pki::load_or_create(&dir, &opts()).unwrap();
    assert_eq!(again.join_token().secret(), "my-secret");
    // A token for another cluster's CA is refused, and the stored token is untouched.
    let before = fs::read(pki.token_path()).unwrap();
    let foreign = PkiOptions {
        token: Some(format!("K10{}::server:my-secret", "ab".repeat(32))),
        ..opts()
    };
    let err = Pki::load_or_create(&dir, &foreign).unwrap_err();
    assert!(matches!(err, PkiError::TokenCaMismatch { .. }), "{err:?}");
    assert_eq!(fs::read(pki.token_path()).unwrap(), before);
    // A corrupt token file names the file.
    fs::write(pki.token_path(), "K10abc::x").unwrap();
    let err = Pki::load_or_create(&dir, &opts()).unwrap_err();
    assert!(
        err.to_string()
            .contains(&pki.token_path().display().to_string()),
        "{err}"
    );
}

#[test]
fn invalid_options_are_rejected() {
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    let bad_san = PkiOptions {
        extra_sans: vec!["not a name".to_string()],
        ..opts()
    };
    let err = Pki::load_or_create(&dir, &bad_san).unwrap_err();
    assert!(matches!(err, PkiError::InvalidSan { .. }), "{err:?}");
    assert!(
        !dir.exists(),
        "validation happens before anything is created"
    );
    let bad_cidr = PkiOptions {
        service_cidr: "10.43.0.0".to_string(),
        ..opts()
    };
    let err = Pki::load_or_create(&dir, &bad_cidr).unwrap_err();
    assert!(matches!(err, PkiError::InvalidCidr { .. }), "{err:?}");
}

#[test]
fn service_cidr_first_ips() {
    assert_eq!(
        first_service_ips("10.43.0.0/16").unwrap(),
        vec![IpAddr::V4(Ipv4Addr::new(10, 43, 0, 1))]
    );
    assert_eq!(
        first_service_ips("10.43.17.9/16, fd00:43::/112").unwrap(),
        vec![
            IpAddr::V4(Ipv4Addr::new(10, 43, 0, 1)),
            IpAddr::V6("fd00:43::1".parse::<Ipv6Addr>().unwrap())
        ]
    );
    for bad in [
        "",
        "10.43.0.0",
        "10.43.0.0/33",
        "10.43.0.0/32",
        "x/16",
        "10.0.0.0/x",
    ] {
        assert!(first_service_ips(bad).is_err(), "{bad}");
    }
}

#[test]
fn san_parsing() {
    assert_eq!(
        San::parse("Example.COM.").unwrap(),
        San::Dns("example.com".into())
    );
    assert_eq!(
        San::parse("[::1]").unwrap(),
        San::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST))
    );
    assert_eq!(
        San::parse("*.apps.example.com").unwrap(),
        San::Dns("*.apps.example.com".into())
    );
    for bad in [
        "",
        "a..b",
        "has space",
        "ü.example",
        "a.*.b",
        &"x".repeat(64),
    ] {
        assert!(San::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn issued_certificates() {
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::load_or_create(&tls_dir(root.path()), &opts()).unwrap();

    let (cert_pem, key_pem) = pki
        .issue_client_cert("system:node:n1", &["system:nodes"], 30 * DAY)
        .unwrap();
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(signed_by(&cert_pem, pki.client_ca_pem()));
    assert_eq!(
        identity_from_cert(&der_of(&cert_pem)).unwrap(),
        Identity {
            user: "system:node:n1".into(),
            groups: vec!["system:nodes".into()]
        }
    );
    let days = (not_after_of(&cert_pem) - cert::now_unix()) / 86400;
    assert!((29..=30).contains(&days), "{days}");

    let (serving, _) = pki
        .issue_serving_cert("n1", &["n1", "10.0.0.7", "n1.example.com"])
        .unwrap();
    assert!(signed_by(&serving, pki.server_ca_pem()));
    assert_eq!(
        sans_of(&serving),
        ["10.0.0.7", "n1", "n1.example.com"]
            .into_iter()
            .map(String::from)
            .collect()
    );

    assert!(pki.issue_client_cert("", &[], DAY).is_err());
    assert!(pki.issue_serving_cert("n1", &[]).is_err());
    assert!(pki.issue_serving_cert("n1", &["bad name"]).is_err());
    // Validity never exceeds the CA's.
    let (long, _) = pki.issue_client_cert("u", &[], 100 * 365 * DAY).unwrap();
    assert!(not_after_of(&long) <= not_after_of(pki.client_ca_pem()));
}

#[test]
fn identity_requires_common_name() {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "g");
    let cert = params.self_signed(&key).unwrap();
    assert!(matches!(
        identity_from_cert(cert.der()),
        Err(PkiError::NoCommonName)
    ));
    assert!(matches!(
        identity_from_cert(b"junk"),
        Err(PkiError::InvalidCertificate(_))
    ));
}

#[test]
fn admin_kubeconfig_is_written() {
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::load_or_create(&tls_dir(root.path()), &opts()).unwrap();
    let path = root.path().join("etc/orch/orch.yaml");
    write_admin_kubeconfig(
        &path,
        "https://127.0.0.1:6443",
        &pki,
        DEFAULT_KUBECONFIG_MODE,
    )
    .unwrap();
    assert_eq!(mode(&path), 0o600);
    let v: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let b64 = |v: &serde_yaml_ng::Value| {
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap())
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(v["current-context"], "default");
    assert_eq!(
        v["clusters"][0]["cluster"]["server"],
        "https://127.0.0.1:6443"
    );
    assert_eq!(
        b64(&v["clusters"][0]["cluster"]["certificate-authority-data"]),
        pki.server_ca_pem()
    );
    assert_eq!(
        b64(&v["users"][0]["user"]["client-certificate-data"]),
        pki.admin_cert_pem()
    );
    assert_eq!(
        b64(&v["users"][0]["user"]["client-key-data"]),
        pki.admin_key_pem()
    );

    // Rewriting with another mode replaces the file atomically with that mode.
    write_admin_kubeconfig(&path, "https://10.0.0.1:6443", &pki, 0o644).unwrap();
    assert_eq!(mode(&path), 0o644);
    assert!(
        fs::read_to_string(&path)
            .unwrap()
            .contains("https://10.0.0.1:6443")
    );
}

/// Sanity check with the `openssl` CLI, when installed: the chain verifies for its purpose.
#[test]
fn openssl_verifies_chains() {
    if std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("openssl not installed; skipping");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    let dir = tls_dir(root.path());
    Pki::load_or_create(&dir, &opts()).unwrap();
    for (ca, leaf, purpose) in [
        (files::SERVER_CA_CERT, files::SERVING_CERT, "sslserver"),
        (files::CLIENT_CA_CERT, files::ADMIN_CERT, "sslclient"),
    ] {
        let out = std::process::Command::new("openssl")
            .arg("verify")
            .arg("-purpose")
            .arg(purpose)
            .arg("-CAfile")
            .arg(dir.join(ca))
            .arg(dir.join(leaf))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

// ---- real TLS handshakes ----

#[derive(Debug)]
struct ServerSide {
    identity: Option<Identity>,
    alpn: Option<Vec<u8>>,
}

/// Accepts one TLS connection, reports the peer's identity, and answers "ok".
async fn serve_once(
    config: Arc<rustls::ServerConfig>,
) -> (
    SocketAddr,
    tokio::task::JoinHandle<Result<ServerSide, String>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(config);
    let handle = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let mut tls = acceptor.accept(tcp).await.map_err(|e| e.to_string())?;
        let (_, conn) = tls.get_ref();
        let identity = conn
            .peer_certificates()
            .and_then(|certs| certs.first())
            .map(|c| identity_from_cert(c).map_err(|e| e.to_string()))
            .transpose()?;
        let alpn = conn.alpn_protocol().map(<[u8]>::to_vec);
        tls.write_all(b"ok").await.map_err(|e| e.to_string())?;
        tls.shutdown().await.map_err(|e| e.to_string())?;
        Ok(ServerSide { identity, alpn })
    });
    (addr, handle)
}

/// Connects, reads the answer. Errors from connecting or reading are returned as strings.
async fn client(
    addr: SocketAddr,
    config: Arc<rustls::ClientConfig>,
    server_name: &str,
) -> Result<String, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::try_from(server_name.to_string()).unwrap();
    let mut tls = TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    tls.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .expect("tls test timed out")
}

#[tokio::test]
async fn tls_client_certificate_yields_identity() {
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::load_or_create(&tls_dir(root.path()), &opts()).unwrap();
    let server = pki.server_tls_config().unwrap();
    let client_config = client_tls_config(
        pki.server_ca_pem(),
        Some((pki.admin_cert_pem(), pki.admin_key_pem())),
    )
    .unwrap();

    for name in ["127.0.0.1", "localhost", "kubernetes.default.svc"] {
        let (addr, handle) = serve_once(server.clone()).await;
        let answer = within(client(addr, client_config.clone(), name)).await;
        assert_eq!(answer.as_deref(), Ok("ok"), "{name}");
        let side = within(handle).await.unwrap().unwrap();
        assert_eq!(
            side.identity,
            Some(Identity {
                user: "system:admin".into(),
                groups: vec!["system:masters".into()]
            })
        );
        assert_eq!(side.alpn.as_deref(), Some(&b"h2"[..]));
    }

    // A node certificate issued later is accepted too.
    let (cert_pem, key_pem) = pki
        .issue_client_cert("system:node:n1", &["system:nodes"], DAY)
        .unwrap();
    let node_config = client_tls_config(pki.server_ca_pem(), Some((&cert_pem, &key_pem))).unwrap();
    let (addr, handle) = serve_once(server.clone()).await;
    assert_eq!(
        within(client(addr, node_config, "localhost"))
            .await
            .as_deref(),
        Ok("ok")
    );
    let side = within(handle).await.unwrap().unwrap();
    assert_eq!(side.identity.unwrap().user, "system:node:n1");
}

#[tokio::test]
async fn tls_anonymous_client_connects() {
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::load_or_create(&tls_dir(root.path()), &opts()).unwrap();
    let (addr, handle) = serve_once(pki.server_tls_config().unwrap()).await;
    let mut config = (*client_tls_config(pki.server_ca_pem(), None).unwrap()).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let answer = within(client(addr, Arc::new(config), "127.0.0.1")).await;
    assert_eq!(answer.as_deref(), Ok("ok"));
    let side = within(handle).await.unwrap().unwrap();
    assert_eq!(side.identity, None);
    assert_eq!(side.alpn.as_deref(), Some(&b"http/1.1"[..]));
}

#[tokio::test]
async fn tls_rejects_foreign_client_cert_and_untrusted_server() {
    let root = tempfile::tempdir().unwrap();
    let pki = Pki::load_or_create(&tls_dir(root.path()), &opts()).unwrap();
    let other_root = tempfile::tempdir().unwrap();
    let other = Pki::load_or_create(&tls_dir(other_root.path()), &opts()).unwrap();

    // The other cluster's admin certificate, trusted server CA: the server refuses.
    let (addr, handle) = serve_once(pki.server_tls_config().unwrap()).await;
    let config = client_tls_config(
        pki.server_ca_pem(),
        Some((other.admin_cert_pem(), other.admin_key_pem())),
    )
    .unwrap();
    let answer = within(client(addr, config, "localhost")).await;
    assert!(answer.is_err(), "client must not get an answer: {answer:?}");
    let side = within(handle).await.unwrap();
    assert!(side.is_err(), "server must fail the handshake: {side:?}");

    // A certificate of ours signed by the server CA (not the client CA) is refused as well.
    let (serving_as_client, key) = pki.issue_serving_cert("x", &["x"]).unwrap();
    let (addr, handle) = serve_once(pki.server_tls_config().unwrap()).await;
    let config = client_tls_config(pki.server_ca_pem(), Some((&serving_as_client, &key))).unwrap();
    assert!(within(client(addr, config, "localhost")).await.is_err());
    assert!(within(handle).await.unwrap().is_err());

    // A client trusting only the other cluster's CA refuses our server.
    let (addr, handle) = serve_once(pki.server_tls_config().unwrap()).await;
    let config = client_tls_config(other.server_ca_pem(), None).unwrap();
    let answer = within(client(addr, config, "localhost")).await;
    assert!(answer.is_err(), "{answer:?}");
    assert!(within(handle).await.unwrap().is_err());

    // A name outside the SANs is refused by the client.
    let (addr, handle) = serve_once(pki.server_tls_config().unwrap()).await;
    let config = client_tls_config(pki.server_ca_pem(), None).unwrap();
    let answer = within(client(addr, config, "elsewhere.example")).await;
    assert!(answer.is_err(), "{answer:?}");
    assert!(within(handle).await.unwrap().is_err());
}
