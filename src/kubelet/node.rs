//! What the kubelet reports about its machine: capacity (CPUs of its cpuset, memory,
//! ephemeral storage of the data directory's filesystem, hugepages, pods), allocatable (capacity
//! less reservations and the default hard-eviction thresholds, as upstream computes it), the
//! `nodeInfo` block and the node's well-known labels.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde_json::{Value, json};

use crate::apiserver::discovery::go_arch;

/// The kubelet's default `maxPods`.
pub const MAX_PODS: u32 = 110;

/// Facts read from the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    pub cpus: u32,
    pub memory: u64,
    /// Size of the filesystem holding the data directory.
    pub ephemeral_storage: u64,
    pub kernel_version: String,
    pub os_image: String,
    pub machine_id: String,
    pub boot_id: String,
    pub system_uuid: String,
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
pub fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut fields = line.split_whitespace().skip(1);
    let value: u64 = fields.next()?.parse().ok()?;
    Some(match fields.next() {
        Some("kB") => value * 1024,
        _ => value,
    })
}

/// `PRETTY_NAME` of an os-release file (quotes removed), or "Linux".
pub fn parse_os_release(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\'').to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "Linux".to_owned())
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn kernel_release() -> String {
    // SAFETY: an all-zero utsname is valid; uname fills it with NUL-terminated strings.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return String::new();
    }
    // SAFETY: `release` is NUL-terminated by uname.
    unsafe { std::ffi::CStr::from_ptr(u.release.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// Reads the host's facts; `data_dir` decides which filesystem is ephemeral storage.
pub fn host(data_dir: &Path) -> io::Result<Host> {
    let memory = parse_meminfo(&std::fs::read_to_string("/proc/meminfo")?).ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidData, "no MemTotal in /proc/meminfo")
    })?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let (_, ephemeral_storage) = crate::runtime::images::service::filesystem_usage(data_dir)?;
    let os_release = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .unwrap_or_default();
    Ok(Host {
        cpus,
        memory,
        ephemeral_storage,
        kernel_version: kernel_release(),
        os_image: parse_os_release(&os_release),
        machine_id: read_trimmed("/etc/machine-id"),
        boot_id: read_trimmed("/proc/sys/kernel/random/boot_id"),
        system_uuid: read_trimmed("/sys/class/dmi/id/product_uuid").to_lowercase(),
    })
}

/// Resources kept from pods: the kubelet's `kubeReserved` + `systemReserved` and its
/// hard-eviction thresholds (defaults: `memory.available<100Mi`, `nodefs.available<10%`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reserved {
    pub cpu_milli: u64,
    pub memory: u64,
    pub ephemeral_storage: u64,
    pub eviction_memory: u64,
    pub eviction_nodefs_percent: u64,
}

impl Default for Reserved {
    fn default() -> Reserved {
        Reserved {
            cpu_milli: 0,
            memory: 0,
            ephemeral_storage: 0,
            eviction_memory: 100 << 20,
            eviction_nodefs_percent: 10,
        }
    }
}

fn quantity_of_milli(milli: u64) -> String {
    if milli.is_multiple_of(1000) {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

fn quantity_of_bytes(bytes: u64) -> String {
    if bytes.is_multiple_of(1024) {
        format!("{}Ki", bytes / 1024)
    } else {
        bytes.to_string()
    }
}

/// `status.capacity`.
pub fn capacity(host: &Host, max_pods: u32) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("cpu".to_owned(), host.cpus.to_string()),
        (
            "ephemeral-storage".to_owned(),
            quantity_of_bytes(host.ephemeral_storage),
        ),
        ("hugepages-1Gi".to_owned(), "0".to_owned()),
        ("hugepages-2Mi".to_owned(), "0".to_owned()),
        ("memory".to_owned(), quantity_of_bytes(host.memory)),
        ("pods".to_owned(), max_pods.to_string()),
    ])
}

/// `status.allocatable`: capacity less what is reserved and the eviction thresholds, never
/// below zero.
pub fn allocatable(host: &Host, max_pods: u32, reserved: &Reserved) -> BTreeMap<String, String> {
    let mut a = capacity(host, max_pods);
    let cpu = (u64::from(host.cpus) * 1000).saturating_sub(reserved.cpu_milli);
    a.insert("cpu".to_owned(), quantity_of_milli(cpu));
    let memory = host
        .memory
        .saturating_sub(reserved.memory)
        .saturating_sub(reserved.eviction_memory);
    a.insert("memory".to_owned(), quantity_of_bytes(memory));
    let storage = host
        .ephemeral_storage
        .saturating_sub(reserved.ephemeral_storage)
        .saturating_sub(host.ephemeral_storage / 100 * reserved.eviction_nodefs_percent);
    // Upstream prints this one as plain bytes.
    a.insert("ephemeral-storage".to_owned(), storage.to_string());
    a
}

/// `status.nodeInfo`.
pub fn node_info(host: &Host) -> Value {
    json!({
        "machineID": host.machine_id,
        "systemUUID": host.system_uuid,
        "bootID": host.boot_id,
        "kernelVersion": host.kernel_version,
        "osImage": host.os_image,
        "containerRuntimeVersion": format!("orch://{}", crate::version::ORCH),
        "kubeletVersion": crate::version::git_version(),
        "operatingSystem": "linux",
        "architecture": go_arch(),
    })
}

/// The labels a kubelet (and k3s) puts on its Node; `--node-label`s are added over them.
pub fn labels(
    name: &str,
    control_plane: bool,
    extra: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = [
        ("beta.kubernetes.io/arch", go_arch()),
        ("beta.kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", go_arch()),
        ("kubernetes.io/hostname", name),
        ("kubernetes.io/os", "linux"),
        ("node.kubernetes.io/instance-type", "orch"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if control_plane {
        labels.insert(
            "node-role.kubernetes.io/control-plane".to_owned(),
            "true".to_owned(),
        );
    }
    labels.extend(extra.clone());
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Host {
        Host {
            cpus: 2,
            memory: 4 << 30,
            ephemeral_storage: 100 << 30,
            kernel_version: "6.1.0".into(),
            os_image: "Debian GNU/Linux 12 (bookworm)".into(),
            machine_id: "m".into(),
            boot_id: "b".into(),
            system_uuid: "u".into(),
        }
    }

    #[test]
    fn parses_proc_and_os_release() {
        let meminfo = "MemTotal:       24576000 kB\nMemFree:        1000 kB\n";
        assert_eq!(parse_meminfo(meminfo), Some(24_576_000 * 1024));
        assert_eq!(parse_meminfo("nothing"), None);
        let os = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n";
        assert_eq!(parse_os_release(os), "Debian GNU/Linux 12 (bookworm)");
        assert_eq!(parse_os_release(""), "Linux");
    }

    #[test]
    fn allocatable_is_capacity_less_reservations_and_eviction_thresholds() {
        let h = host();
        let cap = capacity(&h, MAX_PODS);
        assert_eq!(cap["cpu"], "2");
        assert_eq!(cap["memory"], "4194304Ki");
        assert_eq!(cap["pods"], "110");
        let a = allocatable(&h, MAX_PODS, &Reserved::default());
        assert_eq!(a["cpu"], "2");
        assert_eq!(a["memory"], format!("{}Ki", (4u64 << 20) - 100 * 1024));
        assert_eq!(
            a["ephemeral-storage"],
            ((100u64 << 30) / 100 * 90).to_string()
        );
        let reserved = Reserved {
            cpu_milli: 250,
            memory: 512 << 20,
            ..Reserved::default()
        };
        let a = allocatable(&h, MAX_PODS, &reserved);
        assert_eq!(a["cpu"], "1750m");
        assert_eq!(a["memory"], format!("{}Ki", (4u64 << 20) - 612 * 1024));
    }

    #[test]
    fn labels_and_node_info() {
        let extra = BTreeMap::from([("tier".to_owned(), "edge".to_owned())]);
        let l = labels("box1", true, &extra);
        assert_eq!(l["kubernetes.io/hostname"], "box1");
        assert_eq!(l["node-role.kubernetes.io/control-plane"], "true");
        assert_eq!(l["tier"], "edge");
        assert!(
            !labels("box2", false, &BTreeMap::new())
                .contains_key("node-role.kubernetes.io/control-plane")
        );
        let info = node_info(&host());
        assert_eq!(
            info["containerRuntimeVersion"],
            format!("orch://{}", crate::version::ORCH)
        );
        assert_eq!(info["kubeletVersion"], crate::version::git_version());
        assert_eq!(info["operatingSystem"], "linux");
    }

    #[test]
    fn this_machine_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let h = super::host(dir.path()).unwrap();
        assert!(
            h.cpus >= 1 && h.memory > 64 << 20 && h.ephemeral_storage > 0,
            "{h:?}"
        );
        assert!(
            !h.kernel_version.is_empty() && !h.boot_id.is_empty(),
            "{h:?}"
        );
    }
}
