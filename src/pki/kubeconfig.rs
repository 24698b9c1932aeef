//! Kubeconfig files, shaped like the one k3s writes to `/etc/rancher/k3s/k3s.yaml`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use super::{Pki, PkiError, fsutil};

/// The mode k3s uses for its admin kubeconfig unless `--write-kubeconfig-mode` says otherwise.
pub const DEFAULT_KUBECONFIG_MODE: u32 = 0o600;

#[derive(Serialize)]
struct Kubeconfig<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    clusters: Vec<Named<'a, Cluster<'a>>>,
    contexts: Vec<Named<'a, Context<'a>>>,
    #[serde(rename = "current-context")]
    current_context: &'a str,
    kind: &'a str,
    preferences: Preferences,
    users: Vec<NamedUser<'a>>,
}

#[derive(Serialize)]
struct Named<'a, T> {
    #[serde(flatten)]
    inner: T,
    name: &'a str,
}

#[derive(Serialize)]
struct Cluster<'a> {
    cluster: ClusterSpec<'a>,
}

#[derive(Serialize)]
struct ClusterSpec<'a> {
    #[serde(rename = "certificate-authority-data")]
    certificate_authority_data: String,
    server: &'a str,
}

#[derive(Serialize)]
struct Context<'a> {
    context: ContextSpec<'a>,
}

#[derive(Serialize)]
struct ContextSpec<'a> {
    cluster: &'a str,
    user: &'a str,
}

#[derive(Serialize)]
struct Preferences {}

#[derive(Serialize)]
struct NamedUser<'a> {
    name: &'a str,
    user: UserSpec,
}

#[derive(Serialize)]
struct UserSpec {
    #[serde(rename = "client-certificate-data")]
    client_certificate_data: String,
    #[serde(rename = "client-key-data")]
    client_key_data: String,
}

/// Renders a kubeconfig with one cluster, user and context, all named `default` (as k3s does),
/// trusting `ca_pem` for `server_url` and authenticating with the given client certificate and
/// key. All three PEMs are embedded base64-encoded (`*-data` fields).
pub fn kubeconfig_yaml(
    server_url: &str,
    ca_pem: &str,
    client_cert_pem: &str,
    client_key_pem: &str,
) -> String {
    let name = "default";
    let config = Kubeconfig {
        api_version: "v1",
        clusters: vec![Named {
            inner: Cluster {
                cluster: ClusterSpec {
                    certificate_authority_data: STANDARD.encode(ca_pem),
                    server: server_url,
                },
            },
            name,
        }],
        contexts: vec![Named {
            inner: Context {
                context: ContextSpec {
                    cluster: name,
                    user: name,
                },
            },
            name,
        }],
        current_context: name,
        kind: "Config",
        preferences: Preferences {},
        users: vec![NamedUser {
            name,
            user: UserSpec {
                client_certificate_data: STANDARD.encode(client_cert_pem),
                client_key_data: STANDARD.encode(client_key_pem),
            },
        }],
    };
    serde_yaml_ng::to_string(&config).expect("a kubeconfig of plain strings always serializes")
}

/// Writes the admin kubeconfig (`system:admin`, group `system:masters`) for `server_url` to
/// `path`, atomically and with exactly `mode` (use [`DEFAULT_KUBECONFIG_MODE`] unless told
/// otherwise). Missing parent directories are created with mode 0755. Blocking.
pub fn write_admin_kubeconfig(
    path: &Path,
    server_url: &str,
    pki: &Pki,
    mode: u32,
) -> Result<(), PkiError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        fs::create_dir_all(parent).map_err(|source| PkiError::Io {
            op: "create directory",
            path: parent.to_path_buf(),
            source,
        })?;
        // Not private: kubeconfigs of other modes may live here (k3s: /etc/rancher/k3s).
        let _ = fs::set_permissions(parent, fs::Permissions::from_mode(0o755));
    }
    let yaml = kubeconfig_yaml(
        server_url,
        pki.server_ca_pem(),
        pki.admin_cert_pem(),
        pki.admin_key_pem(),
    );
    fsutil::write_atomic(path, yaml.as_bytes(), mode)?;
    tracing::info!(path = %path.display(), server = server_url, "wrote admin kubeconfig");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_has_kubeconfig_structure() {
        let yaml = kubeconfig_yaml("https://127.0.0.1:6443", "CA", "CERT", "KEY");
        let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(&yaml).unwrap();
        assert_eq!(v["apiVersion"], "v1");
        assert_eq!(v["kind"], "Config");
        assert_eq!(v["current-context"], "default");
        assert_eq!(v["clusters"][0]["name"], "default");
        assert_eq!(
            v["clusters"][0]["cluster"]["server"],
            "https://127.0.0.1:6443"
        );
        assert_eq!(
            v["clusters"][0]["cluster"]["certificate-authority-data"],
            STANDARD.encode("CA").as_str()
        );
        assert_eq!(v["contexts"][0]["name"], "default");
        assert_eq!(v["contexts"][0]["context"]["cluster"], "default");
        assert_eq!(v["contexts"][0]["context"]["user"], "default");
        assert_eq!(v["users"][0]["name"], "default");
        assert_eq!(
            v["users"][0]["user"]["client-certificate-data"],
            STANDARD.encode("CERT").as_str()
        );
        assert_eq!(
            v["users"][0]["user"]["client-key-data"],
            STANDARD.encode("KEY").as_str()
        );
        assert!(v["preferences"].as_mapping().unwrap().is_empty());
    }
}
