//! The node's container runtime: images (content store, layer unpacking) and containers
//! run by a per-pod shim. Knows nothing about Kubernetes objects: its inputs are image
//! references, OCI runtime specs and netns paths.

pub mod container;
pub mod images;
pub mod logs;
pub mod rootfs;
pub mod sandbox;
pub mod shim;
pub mod spec;

use std::path::{Path, PathBuf};

/// Where a node keeps what lasts only until reboot (a tmpfs): the pods' shims and sandboxes.
/// Configurable, so that several nodes can share a machine.
pub const DEFAULT_RUN_ROOT: &str = "/run/orch";

/// The shims' directories, one per pod (`<run>/shims/<pod>`).
pub fn shims_dir(run_root: &Path) -> PathBuf {
    run_root.join("shims")
}

/// A pod's sandbox namespaces (`<run>/netns/<pod>/{net,ipc,uts}`).
pub fn sandbox_dir(run_root: &Path, pod: &str) -> PathBuf {
    run_root.join("netns").join(pod)
}
