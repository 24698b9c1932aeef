//! OCI runtime specs (`config.json`) from a container description and its image's config, with
//! the defaults a Kubernetes user gets from containerd: the argv from `command`/`args` over the
//! image's Entrypoint/Cmd, the image's environment under the container's, the user from
//! `runAsUser` or the image (names looked up in the image's `/etc/passwd` and `/etc/group`,
//! never the host's), Docker's default capabilities and a RuntimeDefault-like seccomp profile,
//! the standard `/proc`, `/dev`, `/sys` mounts with containerd's masked and read-only paths, the
//! pod's namespaces joined by path, and resources as cgroup limits.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::images::oci::ContainerConfig;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("no command specified")]
    NoCommand,
    #[error("container has runAsNonRoot and image will run as root")]
    WouldRunAsRoot,
    #[error(
        "container has runAsNonRoot and image has non-numeric user ({0}), cannot verify user is non-root"
    )]
    NonNumericUser(String),
    #[error("unable to find user {0}: no matching entries in passwd file")]
    UnknownUser(String),
    #[error("unable to find group {0}: no matching entries in group file")]
    UnknownGroup(String),
    #[error("invalid capability {0:?}")]
    BadCapability(String),
}

/// Where a mount's content comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MountSource {
    Bind(PathBuf),
    Tmpfs { size: Option<u64> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub destination: String,
    pub source: MountSource,
    pub read_only: bool,
}

/// Resources as the kubelet computes them from requests and limits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub cpu_request_milli: u64,
    pub cpu_limit_milli: Option<u64>,
    pub memory_limit: Option<i64>,
    pub pids_limit: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Seccomp {
    #[default]
    RuntimeDefault,
    Unconfined,
}

/// The pod's shared namespaces (bind-mounted `nsfs` files); `None` = the host's (network) or
/// a new one for this container (pid).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sandbox {
    pub netns: Option<PathBuf>,
    pub ipcns: Option<PathBuf>,
    pub utsns: Option<PathBuf>,
    /// The pod's PID namespace when it shares one (`shareProcessNamespace`).
    pub pidns: Option<PathBuf>,
    /// The pod's `/dev/shm` (a tmpfs the sandbox mounted), shared by its containers.
    pub shm: Option<PathBuf>,
}

/// A container as the kubelet describes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerSpec {
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub working_dir: Option<String>,
    pub run_as_user: Option<u32>,
    pub run_as_group: Option<u32>,
    pub supplemental_groups: Vec<u32>,
    pub run_as_non_root: bool,
    pub privileged: bool,
    /// Kubernetes capability names (`NET_ADMIN`, `ALL`), with or without `CAP_`.
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub allow_privilege_escalation: Option<bool>,
    pub read_only_rootfs: bool,
    pub sysctls: Vec<(String, String)>,
    /// Set only when the container has its own UTS namespace (host network pods share none).
    pub hostname: Option<String>,
    pub tty: bool,
    pub stdin: bool,
    pub seccomp: Seccomp,
    pub mounts: Vec<Mount>,
    pub resources: Resources,
    pub sandbox: Sandbox,
    /// Absolute, under the orch-owned cgroup parent.
    pub cgroup_path: String,
    pub oom_score_adj: Option<i32>,
}

/// Docker's (and containerd's) default capability set.
pub const DEFAULT_CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

/// Every capability up to Linux 5.9 (`CAP_CHECKPOINT_RESTORE`), in number order.
pub const ALL_CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const MASKED_PATHS: &[&str] = &[
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

const READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Syscalls Docker's default profile does not allow (unconditionally), refused with EPERM.
/// Docker's profile is an allowlist of ~350 calls; this denylist of what it leaves out is the
/// same for every syscall that existed when it was written.
const DENIED_SYSCALLS: &[&str] = &[
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "get_kernel_syms",
    "get_mempolicy",
    "init_module",
    "ioperm",
    "iopl",
    "kcmp",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mbind",
    "mount",
    "mount_setattr",
    "move_mount",
    "move_pages",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "pivot_root",
    "process_vm_readv",
    "process_vm_writev",
    "ptrace",
    "query_module",
    "quotactl",
    "quotactl_fd",
    "reboot",
    "request_key",
    "set_mempolicy",
    "setns",
    "settimeofday",
    "stime",
    "swapoff",
    "swapon",
    "sysfs",
    "_sysctl",
    "umount",
    "umount2",
    "unshare",
    "uselib",
    "userfaultfd",
    "ustat",
    "vm86",
    "vm86old",
];

/// `clone` flags that create namespaces: refused, as Docker's profile does without
/// CAP_SYS_ADMIN.
const CLONE_NAMESPACE_FLAGS: &[u64] = &[
    0x0002_0000, // CLONE_NEWNS
    0x0200_0000, // CLONE_NEWCGROUP
    0x0400_0000, // CLONE_NEWUTS
    0x0800_0000, // CLONE_NEWIPC
    0x1000_0000, // CLONE_NEWUSER
    0x2000_0000, // CLONE_NEWPID
    0x4000_0000, // CLONE_NEWNET
];

/// The host's architecture and the ones it also runs (as Docker's profile lists them).
fn native_architectures() -> &'static [&'static str] {
    match std::env::consts::ARCH {
        "x86_64" => &["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "aarch64" => &["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
        _ => &[],
    }
}

fn seccomp_profile() -> Value {
    let mut syscalls = vec![json!({
        "names": DENIED_SYSCALLS, "action": "SCMP_ACT_ERRNO", "errnoRet": libc::EPERM,
    })];
    for flag in CLONE_NAMESPACE_FLAGS {
        syscalls.push(json!({
            "names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": libc::EPERM,
            "args": [{"index": 0, "value": flag, "valueTwo": flag, "op": "SCMP_CMP_MASKED_EQ"}],
        }));
    }
    // clone3's flags are behind a pointer seccomp cannot read: ENOSYS makes libc fall back
    // to clone, which is filtered (Docker does the same).
    syscalls.push(json!({
        "names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": libc::ENOSYS,
    }));
    json!({
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": native_architectures(),
        "syscalls": syscalls,
    })
}

/// `NET_ADMIN` or `CAP_NET_ADMIN` → `CAP_NET_ADMIN`; `ALL` stays.
fn cap_name(raw: &str) -> Result<String, SpecError> {
    let upper = raw.trim().to_ascii_uppercase();
    if upper == "ALL" {
        return Ok(upper);
    }
    let name = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    if ALL_CAPABILITIES.contains(&name.as_str()) {
        Ok(name)
    } else {
        Err(SpecError::BadCapability(raw.to_owned()))
    }
}

/// "Every capability": those this node can grant, i.e. in its own bounding set (a host may
/// withhold some, e.g. CAP_SYS_RESOURCE in some VMs, and asking for more fails).
fn all_capabilities() -> Vec<String> {
    let bounding = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapBnd:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .unwrap_or(u64::MAX);
    ALL_CAPABILITIES
        .iter()
        .enumerate()
        .filter(|(bit, _)| bounding & (1 << bit) != 0)
        .map(|(_, name)| name.to_string())
        .collect()
}

fn capabilities(c: &ContainerSpec) -> Result<Vec<String>, SpecError> {
    if c.privileged {
        return Ok(all_capabilities());
    }
    let add = c
        .cap_add
        .iter()
        .map(|s| cap_name(s))
        .collect::<Result<Vec<_>, _>>()?;
    let drop = c
        .cap_drop
        .iter()
        .map(|s| cap_name(s))
        .collect::<Result<Vec<_>, _>>()?;
    let mut caps: Vec<String> = if drop.iter().any(|d| d == "ALL") {
        Vec::new()
    } else {
        DEFAULT_CAPABILITIES
            .iter()
            .filter(|cap| !drop.iter().any(|d| d == *cap))
            .map(|s| s.to_string())
            .collect()
    };
    if add.iter().any(|a| a == "ALL") {
        caps = all_capabilities();
    } else {
        for a in add {
            if !caps.contains(&a) {
                caps.push(a);
            }
        }
    }
    Ok(caps)
}

/// The argv: `command` replaces the Entrypoint (and drops Cmd), `args` replaces Cmd.
fn argv(c: &ContainerSpec, image: &ContainerConfig) -> Result<Vec<String>, SpecError> {
    let entrypoint = image.entrypoint.clone().unwrap_or_default();
    let cmd = image.cmd.clone().unwrap_or_default();
    let argv: Vec<String> = match (c.command.is_empty(), c.args.is_empty()) {
        (false, _) => c.command.iter().chain(&c.args).cloned().collect(),
        (true, false) => entrypoint
            .into_iter()
            .chain(c.args.iter().cloned())
            .collect(),
        (true, true) => entrypoint.into_iter().chain(cmd).collect(),
    };
    if argv.is_empty() {
        return Err(SpecError::NoCommand);
    }
    Ok(argv)
}

/// The image's environment with the container's over it (by name), `PATH` defaulted.
fn environment(c: &ContainerSpec, image: &ContainerConfig) -> Vec<String> {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut set = |k: String, v: String| match env.iter_mut().find(|(n, _)| *n == k) {
        Some(slot) => slot.1 = v,
        None => env.push((k, v)),
    };
    for kv in image.env.iter().flatten() {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        set(k.to_owned(), v.to_owned());
    }
    if let Some(h) = &c.hostname {
        set("HOSTNAME".to_owned(), h.clone());
    }
    for (k, v) in &c.env {
        set(k.clone(), v.clone());
    }
    let mut out: Vec<String> = env.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    if !out.iter().any(|kv| kv.starts_with("PATH=")) {
        out.insert(0, DEFAULT_PATH.to_owned());
    }
    out
}

/// Reads a file of the image's root without following symlinks out of it.
fn read_in_root(rootfs: &Path, path: &str) -> Option<String> {
    let root = pathrs::Root::open(rootfs).ok()?;
    let mut file = root
        .open_subpath(path, pathrs::flags::OpenFlags::O_RDONLY)
        .ok()?;
    let mut s = String::new();
    file.read_to_string(&mut s).ok()?;
    Some(s)
}

struct PasswdEntry {
    name: String,
    uid: u32,
    gid: u32,
}

fn passwd(rootfs: &Path) -> Vec<PasswdEntry> {
    read_in_root(rootfs, "/etc/passwd")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(PasswdEntry {
                name: f.first()?.to_string(),
                uid: f.get(2)?.parse().ok()?,
                gid: f.get(3)?.parse().ok()?,
            })
        })
        .collect()
}

/// (name, gid, members) of the image's groups.
fn groups(rootfs: &Path) -> Vec<(String, u32, Vec<String>)> {
    read_in_root(rootfs, "/etc/group")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((
                f.first()?.to_string(),
                f.get(2)?.parse().ok()?,
                f.get(3)
                    .map(|m| {
                        m.split(',')
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            ))
        })
        .collect()
}

/// uid, gid and additional gids, as containerd resolves them.
fn user(
    c: &ContainerSpec,
    image: &ContainerConfig,
    rootfs: &Path,
) -> Result<(u32, u32, Vec<u32>), SpecError> {
    let image_user = image.user.clone().unwrap_or_default();
    let (user_part, group_part) = match image_user.split_once(':') {
        Some((u, g)) => (u.to_owned(), Some(g.to_owned())),
        None => (image_user.clone(), None),
    };
    if c.run_as_non_root
        && c.run_as_user.is_none()
        && !user_part.is_empty()
        && user_part.parse::<u32>().is_err()
    {
        return Err(SpecError::NonNumericUser(user_part));
    }
    let users = passwd(rootfs);
    let (uid, mut gid, name) = match c.run_as_user {
        Some(uid) => {
            let entry = users.iter().find(|e| e.uid == uid);
            (
                uid,
                entry.map_or(0, |e| e.gid),
                entry.map(|e| e.name.clone()),
            )
        }
        None if user_part.is_empty() => (0, 0, Some("root".to_owned())),
        None => match user_part.parse::<u32>() {
            Ok(uid) => {
                let entry = users.iter().find(|e| e.uid == uid);
                (
                    uid,
                    entry.map_or(0, |e| e.gid),
                    entry.map(|e| e.name.clone()),
                )
            }
            Err(_) => {
                let entry = users
                    .iter()
                    .find(|e| e.name == user_part)
                    .ok_or_else(|| SpecError::UnknownUser(user_part.clone()))?;
                (entry.uid, entry.gid, Some(entry.name.clone()))
            }
        },
    };
    if c.run_as_non_root && uid == 0 {
        return Err(SpecError::WouldRunAsRoot);
    }
    let all_groups = groups(rootfs);
    if c.run_as_group.is_none()
        && c.run_as_user.is_none()
        && let Some(g) = group_part.filter(|g| !g.is_empty())
    {
        gid = match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => all_groups
                .iter()
                .find(|(n, _, _)| *n == g)
                .map(|(_, id, _)| *id)
                .ok_or_else(|| SpecError::UnknownGroup(g.clone()))?,
        };
    }
    if let Some(g) = c.run_as_group {
        gid = g;
    }
    // The primary group first, then the groups naming the user, then the pod's: never empty,
    // so the process never keeps the runtime's own supplementary groups.
    let mut additional = vec![gid];
    if let Some(name) = &name {
        for (_, id, members) in &all_groups {
            if members.contains(name) && !additional.contains(id) {
                additional.push(*id);
            }
        }
    }
    for g in &c.supplemental_groups {
        if !additional.contains(g) {
            additional.push(*g);
        }
    }
    Ok((uid, gid, additional))
}

fn mounts(c: &ContainerSpec) -> Vec<Value> {
    let sys_options = if c.privileged {
        json!(["nosuid", "noexec", "nodev"])
    } else {
        json!(["nosuid", "noexec", "nodev", "ro"])
    };
    let mut out = vec![
        json!({"destination": "/proc", "type": "proc", "source": "proc",
               "options": ["nosuid", "noexec", "nodev"]}),
        json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
               "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}),
        json!({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
               "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]}),
        json!({"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
               "options": ["nosuid", "noexec", "nodev"]}),
        json!({"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": sys_options}),
        json!({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
               "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}),
    ];
    match &c.sandbox.shm {
        Some(shm) => out.push(json!({"destination": "/dev/shm", "type": "bind",
            "source": shm, "options": ["rbind", "rw"]})),
        None => out.push(
            json!({"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
            "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]}),
        ),
    }
    for m in &c.mounts {
        let rw = if m.read_only { "ro" } else { "rw" };
        out.push(match &m.source {
            MountSource::Bind(src) => json!({"destination": m.destination, "type": "bind",
                "source": src, "options": ["rbind", "rprivate", rw]}),
            MountSource::Tmpfs { size } => {
                let mut options = vec!["nosuid".to_owned(), "nodev".to_owned(), rw.to_owned()];
                if let Some(size) = size {
                    options.push(format!("size={size}"));
                }
                json!({"destination": m.destination, "type": "tmpfs", "source": "tmpfs",
                       "options": options})
            }
        });
    }
    out
}

fn resources(r: &Resources) -> Value {
    // The kubelet's conversions: 1 CPU = 1024 shares (at least 2), quota per 100 ms period.
    let shares = (r.cpu_request_milli * 1024 / 1000).max(2);
    let mut cpu = json!({"shares": shares});
    if let Some(limit) = r.cpu_limit_milli {
        cpu["quota"] = json!((limit * 100_000 / 1000).max(1000));
        cpu["period"] = json!(100_000);
    }
    let mut out = json!({
        "cpu": cpu,
        "devices": [{"allow": false, "access": "rwm"}],
    });
    if let Some(limit) = r.memory_limit {
        // No swap beyond the limit (cgroup v1's memsw = memory).
        out["memory"] = json!({"limit": limit, "swap": limit});
    }
    if let Some(pids) = r.pids_limit {
        out["pids"] = json!({"limit": pids});
    }
    out
}

/// The devices every container gets (the OCI spec's default set), allowed in the cgroup.
fn default_device_rules() -> Vec<Value> {
    [
        (1, 3),
        (1, 5),
        (1, 7),
        (5, 0),
        (1, 9),
        (1, 8),
        (136, -1),
        (5, 2),
    ]
    .iter()
    .map(|(major, minor)| {
        let mut rule = json!({"allow": true, "type": "c", "major": major, "access": "rwm"});
        if *minor >= 0 {
            rule["minor"] = json!(minor);
        }
        rule
    })
    .collect()
}

/// The `config.json` for a container whose root filesystem is mounted at `rootfs`.
pub fn generate(
    c: &ContainerSpec,
    image: &ContainerConfig,
    rootfs: &Path,
) -> Result<Value, SpecError> {
    let args = argv(c, image)?;
    let (uid, gid, additional) = user(c, image, rootfs)?;
    let caps = capabilities(c)?;
    let cwd = c
        .working_dir
        .clone()
        .filter(|d| !d.is_empty())
        .or_else(|| image.working_dir.clone().filter(|d| !d.is_empty()))
        .unwrap_or_else(|| "/".to_owned());
    let no_new_privileges = !c.privileged && c.allow_privilege_escalation == Some(false);
    let mut process = json!({
        "terminal": c.tty,
        "user": {"uid": uid, "gid": gid, "additionalGids": additional},
        "args": args,
        "env": environment(c, image),
        "cwd": cwd,
        "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
    });
    // Only ever `true` or absent: libcontainer 0.7 loads the seccomp filter after dropping
    // capabilities whenever the field is present, even `false`, which then fails (EACCES)
    // without no_new_privs.
    if no_new_privileges {
        process["noNewPrivileges"] = json!(true);
    }
    // No rlimits: the container inherits the node's, as containerd's do (raising NOFILE
    // needs CAP_SYS_RESOURCE, which some hosts, this CI's VM among them, do not grant).
    if let Some(adj) = c.oom_score_adj {
        process["oomScoreAdj"] = json!(adj);
    }
    let ns = |kind: &str, path: &Option<PathBuf>| match path {
        Some(p) => json!({"type": kind, "path": p}),
        None => json!({"type": kind}),
    };
    let mut namespaces = vec![
        ns("pid", &c.sandbox.pidns),
        ns("ipc", &c.sandbox.ipcns),
        ns("uts", &c.sandbox.utsns),
        json!({"type": "mount"}),
        json!({"type": "cgroup"}),
    ];
    if let Some(net) = &c.sandbox.netns {
        namespaces.push(json!({"type": "network", "path": net}));
    }
    let mut resources = resources(&c.resources);
    let mut device_rules = if c.privileged {
        vec![json!({"allow": true, "access": "rwm"})]
    } else {
        vec![json!({"allow": false, "access": "rwm"})]
    };
    if !c.privileged {
        device_rules.extend(default_device_rules());
    }
    resources["devices"] = json!(device_rules);
    let sysctl: BTreeMap<&str, &str> = c
        .sysctls
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut linux = json!({
        "namespaces": namespaces,
        "resources": resources,
        "cgroupsPath": c.cgroup_path,
        "sysctl": sysctl,
    });
    if !c.privileged {
        linux["maskedPaths"] = json!(MASKED_PATHS);
        linux["readonlyPaths"] = json!(READONLY_PATHS);
        if c.seccomp == Seccomp::RuntimeDefault {
            linux["seccomp"] = seccomp_profile();
        }
    }
    let mut spec = json!({
        "ociVersion": "1.2.0",
        "process": process,
        "root": {"path": rootfs, "readonly": c.read_only_rootfs},
        "mounts": mounts(c),
        "linux": linux,
    });
    // A hostname can only be set in a UTS namespace of the container's own.
    if c.sandbox.utsns.is_none()
        && let Some(h) = &c.hostname
    {
        spec["hostname"] = json!(h);
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(entrypoint: &[&str], cmd: &[&str], user: Option<&str>) -> ContainerConfig {
        ContainerConfig {
            entrypoint: (!entrypoint.is_empty())
                .then(|| entrypoint.iter().map(|s| s.to_string()).collect()),
            cmd: (!cmd.is_empty()).then(|| cmd.iter().map(|s| s.to_string()).collect()),
            user: user.map(str::to_owned),
            env: Some(vec!["PATH=/bin".into(), "LANG=C".into()]),
            working_dir: Some("/srv".into()),
            ..Default::default()
        }
    }

    /// A root with the busybox-like /etc files.
    fn rootfs() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("etc/group"),
            "root:x:0:\napp:x:1000:\naudio:x:29:app,other\nstaff:x:50:\n",
        )
        .unwrap();
        dir
    }

    fn strings(v: &Value) -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn command_and_args_override_entrypoint_and_cmd_as_kubernetes_does() {
        let img = image(&["/entry"], &["default"], None);
        let argv = |command: &[&str], args: &[&str]| {
            let c = ContainerSpec {
                command: command.iter().map(|s| s.to_string()).collect(),
                args: args.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            };
            super::argv(&c, &img).unwrap()
        };
        assert_eq!(argv(&[], &[]), ["/entry", "default"]);
        assert_eq!(argv(&[], &["x"]), ["/entry", "x"]);
        assert_eq!(argv(&["/bin/sh"], &[]), ["/bin/sh"], "command drops Cmd");
        assert_eq!(
            argv(&["/bin/sh"], &["-c", "true"]),
            ["/bin/sh", "-c", "true"]
        );
        let empty = ContainerSpec::default();
        assert_eq!(
            super::argv(&empty, &ContainerConfig::default()),
            Err(SpecError::NoCommand)
        );
    }

    #[test]
    fn environment_layers_the_container_over_the_image() {
        let c = ContainerSpec {
            env: vec![
                ("LANG".into(), "C.UTF-8".into()),
                ("X".into(), "1=2".into()),
            ],
            hostname: Some("web-0".into()),
            ..Default::default()
        };
        assert_eq!(
            environment(&c, &image(&[], &["sh"], None)),
            ["PATH=/bin", "LANG=C.UTF-8", "HOSTNAME=web-0", "X=1=2"]
        );
        let env = environment(&ContainerSpec::default(), &ContainerConfig::default());
        assert_eq!(env, [DEFAULT_PATH]);
    }

    #[test]
    fn users_resolve_in_the_image_not_the_host() {
        let root = rootfs();
        let resolve = |c: &ContainerSpec, user: Option<&str>| {
            super::user(c, &image(&[], &["sh"], user), root.path())
        };
        let plain = ContainerSpec::default();
        assert_eq!(resolve(&plain, None), Ok((0, 0, vec![0])));
        assert_eq!(
            resolve(&plain, Some("app")),
            Ok((1000, 1000, vec![1000, 29]))
        );
        assert_eq!(
            resolve(&plain, Some("1000")),
            Ok((1000, 1000, vec![1000, 29]))
        );
        assert_eq!(
            resolve(&plain, Some("app:staff")),
            Ok((1000, 50, vec![50, 29]))
        );
        assert_eq!(resolve(&plain, Some("4242:7")), Ok((4242, 7, vec![7])));
        assert_eq!(
            resolve(&plain, Some("ghost")),
            Err(SpecError::UnknownUser("ghost".into()))
        );
        let pod = ContainerSpec {
            run_as_user: Some(1000),
            run_as_group: Some(3000),
            supplemental_groups: vec![4000],
            run_as_non_root: true,
            ..Default::default()
        };
        assert_eq!(
            resolve(&pod, Some("root")),
            Ok((1000, 3000, vec![3000, 29, 4000]))
        );
        let non_root = ContainerSpec {
            run_as_non_root: true,
            ..Default::default()
        };
        assert_eq!(resolve(&non_root, None), Err(SpecError::WouldRunAsRoot));
        assert_eq!(
            resolve(&non_root, Some("app")),
            Err(SpecError::NonNumericUser("app".into()))
        );
        assert_eq!(
            resolve(&non_root, Some("1000")),
            Ok((1000, 1000, vec![1000, 29]))
        );
    }

    #[test]
    fn passwd_is_never_read_through_a_symlink_out_of_the_image() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().join("host-passwd");
        std::fs::write(&host, "evil:x:0:0::/:/bin/sh\n").unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::os::unix::fs::symlink(&host, root.join("etc/passwd")).unwrap();
        // The absolute link resolves inside the root, where there is no such file.
        let c = ContainerSpec::default();
        assert_eq!(
            super::user(&c, &image(&[], &["sh"], Some("evil")), &root),
            Err(SpecError::UnknownUser("evil".into()))
        );
    }

    #[test]
    fn capabilities_start_from_dockers_set() {
        let caps = |add: &[&str], drop: &[&str]| {
            capabilities(&ContainerSpec {
                cap_add: add.iter().map(|s| s.to_string()).collect(),
                cap_drop: drop.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            })
        };
        assert_eq!(caps(&[], &[]).unwrap().len(), DEFAULT_CAPABILITIES.len());
        let c = caps(&["NET_ADMIN"], &["NET_RAW", "CAP_MKNOD"]).unwrap();
        assert!(c.contains(&"CAP_NET_ADMIN".to_owned()));
        assert!(!c.contains(&"CAP_NET_RAW".to_owned()) && !c.contains(&"CAP_MKNOD".to_owned()));
        assert_eq!(
            caps(&["NET_BIND_SERVICE"], &["ALL"]).unwrap(),
            ["CAP_NET_BIND_SERVICE"]
        );
        assert_eq!(caps(&["ALL"], &[]).unwrap(), all_capabilities());
        assert!(all_capabilities().contains(&"CAP_SYS_ADMIN".to_owned()));
        assert_eq!(
            caps(&["FLY"], &[]),
            Err(SpecError::BadCapability("FLY".into()))
        );
    }

    #[test]
    fn a_full_spec_parses_as_an_oci_runtime_spec() {
        let root = rootfs();
        let c = ContainerSpec {
            args: vec!["-c".into(), "echo hi".into()],
            run_as_user: Some(1000),
            read_only_rootfs: true,
            sysctls: vec![("net.ipv4.ip_unprivileged_port_start".into(), "0".into())],
            hostname: Some("web-0".into()),
            tty: true,
            mounts: vec![
                Mount {
                    destination: "/etc/hosts".into(),
                    source: MountSource::Bind("/run/orch/pods/p/hosts".into()),
                    read_only: true,
                },
                Mount {
                    destination: "/cache".into(),
                    source: MountSource::Tmpfs {
                        size: Some(1 << 20),
                    },
                    read_only: false,
                },
            ],
            resources: Resources {
                cpu_request_milli: 250,
                cpu_limit_milli: Some(500),
                memory_limit: Some(64 << 20),
                pids_limit: Some(100),
            },
            sandbox: Sandbox {
                netns: Some("/run/orch/netns/p".into()),
                ipcns: Some("/run/orch/ns/p/ipc".into()),
                utsns: Some("/run/orch/ns/p/uts".into()),
                pidns: None,
                shm: Some("/run/orch/pods/p/shm".into()),
            },
            cgroup_path: "/orch/pod-p/c1".into(),
            ..Default::default()
        };
        let spec = generate(&c, &image(&["/bin/sh"], &["default"], None), root.path()).unwrap();
        let parsed: libcontainer::oci_spec::runtime::Spec =
            serde_json::from_value(spec.clone()).expect("a valid OCI runtime spec");
        let process = parsed.process().as_ref().unwrap();
        assert_eq!(
            process.args().as_ref().unwrap(),
            &["/bin/sh", "-c", "echo hi"]
        );
        assert_eq!(process.user().uid(), 1000);
        assert_eq!(process.cwd(), Path::new("/srv"));
        assert!(process.terminal().unwrap());
        let linux = parsed.linux().as_ref().unwrap();
        let r = linux.resources().as_ref().unwrap();
        assert_eq!(r.cpu().as_ref().unwrap().shares(), Some(256));
        assert_eq!(r.cpu().as_ref().unwrap().quota(), Some(50_000));
        assert_eq!(r.memory().as_ref().unwrap().limit(), Some(64 << 20));
        assert_eq!(r.pids().as_ref().unwrap().limit(), 100);
        assert!(linux.seccomp().is_some());
        assert_eq!(
            linux.cgroups_path().as_deref(),
            Some(Path::new("/orch/pod-p/c1"))
        );
        assert!(parsed.root().as_ref().unwrap().readonly().unwrap());
        assert!(
            parsed.hostname().is_none(),
            "the pod's UTS namespace has it"
        );
        let joined: Vec<String> = spec["linux"]["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n.get("path").is_some())
            .map(|n| n["type"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(joined, ["ipc", "uts", "network"]);
        let destinations: Vec<String> = spec["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["destination"].as_str().unwrap().to_owned())
            .collect();
        assert!(destinations.ends_with(&["/dev/shm".into(), "/etc/hosts".into(), "/cache".into()]));
        assert_eq!(
            strings(&spec["linux"]["maskedPaths"]).len(),
            MASKED_PATHS.len()
        );

        // Privileged: every capability, no seccomp, no masked paths, all devices.
        let privileged = ContainerSpec {
            privileged: true,
            args: vec!["true".into()],
            ..Default::default()
        };
        let spec = generate(&privileged, &image(&[], &[], None), root.path()).unwrap();
        assert_eq!(
            strings(&spec["process"]["capabilities"]["bounding"]),
            all_capabilities()
        );
        assert!(spec["linux"].get("seccomp").is_none());
        assert!(spec["linux"].get("maskedPaths").is_none());
        assert_eq!(
            spec["linux"]["resources"]["devices"],
            json!([{"allow": true, "access": "rwm"}])
        );
        serde_json::from_value::<libcontainer::oci_spec::runtime::Spec>(spec).unwrap();
    }
}
