//! What this build is and which Kubernetes API it implements.

/// orch's own version.
pub const ORCH: &str = env!("CARGO_PKG_VERSION");

/// The Kubernetes release whose API orch serves; clients pick their behaviour from it.
pub const KUBERNETES_MAJOR: &str = "1";
pub const KUBERNETES_MINOR: &str = "33";
pub const KUBERNETES_PATCH: &str = "0";

/// `v1.33.0+orch0.1.0`, as `/version` reports it (k3s reports `v1.33.x+k3s1`).
pub fn git_version() -> String {
    format!("v{KUBERNETES_MAJOR}.{KUBERNETES_MINOR}.{KUBERNETES_PATCH}+orch{ORCH}")
}
