//! How a container's process ended, in the kubelet's terms (exit code, signal, reason,
//! times), and the cgroup check that tells an OOM kill from another SIGKILL. The containers
//! themselves are run by the pod's shim (`runtime::shim`).

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Why a container's process ended, in the kubelet's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    Completed,
    Error,
    OOMKilled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitInfo {
    /// The exit code, or 128 + the signal that killed it.
    pub code: i32,
    pub signal: Option<i32>,
    pub reason: Reason,
    pub started_at: String,
    pub finished_at: String,
}

/// A wait status as (exit code, signal): 128 + the signal for a killed process.
pub fn decode(status: i32) -> (i32, Option<i32>) {
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        (128 + sig, Some(sig))
    } else {
        (libc::WEXITSTATUS(status), None)
    }
}

/// How many times the kernel's OOM killer acted in the cgroup (v1 `memory.oom_control`, v2
/// `memory.events`).
pub fn oom_kills(cgroup_path: &str) -> u64 {
    let rel = cgroup_path.trim_start_matches('/');
    let candidates = [
        (Path::new("/sys/fs/cgroup/memory")
            .join(rel)
            .join("memory.oom_control")),
        (Path::new("/sys/fs/cgroup").join(rel).join("memory.events")),
    ];
    for file in candidates {
        if let Ok(text) = std::fs::read_to_string(&file) {
            return text
                .lines()
                .find_map(|l| l.strip_prefix("oom_kill "))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
        }
    }
    0
}
