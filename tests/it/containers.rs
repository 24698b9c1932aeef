//! Real containers (root): a busybox image built from Debian's busybox-static, its layers
//! unpacked and stacked with overlayfs, an OCI spec generated, and `orch shim run` running it
//! with libcontainer.

use std::path::{Path, PathBuf};
use std::process::Command;

use orch::runtime::images::layers::LayerStore;
use orch::runtime::images::store::ImageStore;
use orch::runtime::spec::{self, ContainerSpec, Resources};
use orch::runtime::{container::ExitInfo, container::Reason, rootfs};

use crate::common::ORCH;
use crate::common::registry::busybox_layout;

/// A node's image store holding the busybox image, and scratch space for containers; removes
/// every mount and cgroup it made, even when the test fails.
struct Node {
    dir: tempfile::TempDir,
    images: ImageStore,
    layers: LayerStore,
    cgroup_parent: String,
    containers: Vec<PathBuf>,
}

impl Node {
    fn new() -> Node {
        let dir = tempfile::tempdir().unwrap();
        let layout = dir.path().join("layout");
        busybox_layout(&layout, "1", &["sh"]);
        let archive = dir.path().join("busybox.tar");
        let out = Command::new("skopeo")
            .args(["copy", "--quiet"])
            .arg(format!("oci:{}:1", layout.display()))
            .arg(format!("oci-archive:{}:test/busybox:1", archive.display()))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let data = dir.path().join("data");
        let out = Command::new(ORCH)
            .args(["images", "--data-dir"])
            .arg(&data)
            .arg("import")
            .arg(&archive)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let store_dir = orch::runtime::images::store_dir(&data);
        let images = ImageStore::open(&store_dir).unwrap();
        let layers = LayerStore::open(store_dir.join("layers")).unwrap();
        Node {
            cgroup_parent: format!("/orch-test-{}-{}", std::process::id(), fastrand::u32(..)),
            dir,
            images,
            layers,
            containers: Vec::new(),
        }
    }

    /// Runs a container of the busybox image; returns how it ended and its log.
    fn run(&mut self, id: &str, c: ContainerSpec) -> Result<(ExitInfo, String), String> {
        let record = self
            .images
            .get(&"test/busybox:1".parse().unwrap())
            .unwrap()
            .expect("imported");
        let lowers = self.layers.prepare(&self.images, &record, |_| {}).unwrap();
        let cdir = self.dir.path().join("containers").join(id);
        self.containers.push(cdir.clone());
        let root = rootfs::mount(&lowers, &cdir).unwrap();
        let config = self
            .images
            .config(&record)
            .unwrap()
            .config
            .unwrap_or_default();
        let c = ContainerSpec {
            cgroup_path: format!("{}/{id}", self.cgroup_parent),
            ..c
        };
        let spec = spec::generate(&c, &config, &root).map_err(|e| e.to_string())?;
        let bundle = cdir.join("bundle");
        std::fs::create_dir_all(&bundle).unwrap();
        std::fs::write(
            bundle.join("config.json"),
            serde_json::to_vec(&spec).unwrap(),
        )
        .unwrap();
        let log = cdir.join("0.log");
        let state = self.dir.path().join("state");
        let out = Command::new(ORCH)
            .args(["shim", "run", "--id", id, "--bundle"])
            .arg(&bundle)
            .arg("--state-root")
            .arg(&state)
            .arg("--log")
            .arg(&log)
            .arg("--cgroup-path")
            .arg(&c.cgroup_path)
            .output()
            .unwrap();
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        assert!(!state.join(id).exists(), "libcontainer state removed");
        assert!(
            !Path::new("/sys/fs/cgroup/memory")
                .join(c.cgroup_path.trim_start_matches('/'))
                .exists(),
            "container cgroup removed"
        );
        let exit: ExitInfo = serde_json::from_slice(&out.stdout).unwrap();
        Ok((exit, std::fs::read_to_string(&log).unwrap_or_default()))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = rootfs::remove(c);
        }
        if let Ok(controllers) = std::fs::read_dir("/sys/fs/cgroup") {
            for c in controllers.flatten() {
                let _ =
                    std::fs::remove_dir(c.path().join(self.cgroup_parent.trim_start_matches('/')));
            }
        }
    }
}

fn sh(script: &str) -> ContainerSpec {
    ContainerSpec {
        command: vec!["sh".into(), "-c".into(), script.into()],
        ..Default::default()
    }
}

/// The content of each log record of a stream.
fn lines(log: &str, stream: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| {
            let mut p = l.splitn(4, ' ');
            let _time = p.next()?;
            (p.next()? == stream).then(|| {
                assert_eq!(p.next(), Some("F"), "{l}");
                p.next().unwrap_or("").to_owned()
            })
        })
        .collect()
}

#[test]
fn containers_echo_exit_and_log_in_cri_format() {
    let mut node = Node::new();
    let (exit, log) = node
        .run(
            "echo",
            sh("echo hello from $(hostname -s 2>/dev/null || echo c); echo oops >&2; id -u"),
        )
        .unwrap();
    assert_eq!((exit.code, exit.reason), (0, Reason::Completed), "{log}");
    let out = lines(&log, "stdout");
    assert!(out[0].starts_with("hello from"), "{log}");
    assert_eq!(out[1], "0", "root by default: {log}");
    assert_eq!(lines(&log, "stderr"), ["oops"]);

    let (exit, _) = node.run("three", sh("exit 3")).unwrap();
    assert_eq!(
        (exit.code, exit.signal, exit.reason),
        (3, None, Reason::Error)
    );

    // The image's user database names the user.
    let app = ContainerSpec {
        run_as_user: Some(1000),
        ..sh("id -u; id -g; id -un")
    };
    let (exit, log) = node.run("app", app).unwrap();
    assert_eq!(exit.code, 0, "{log}");
    assert_eq!(lines(&log, "stdout"), ["1000", "1000", "app"]);
}

#[test]
fn cgroup_limits_are_applied_and_the_oom_killer_is_reported() {
    let mut node = Node::new();
    let limits = Resources {
        cpu_request_milli: 250,
        cpu_limit_milli: Some(500),
        memory_limit: Some(32 << 20),
        pids_limit: Some(64),
    };
    let c = ContainerSpec {
        resources: limits.clone(),
        ..sh(
            "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares \
              /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max",
        )
    };
    let (exit, log) = node.run("limits", c).unwrap();
    assert_eq!(exit.code, 0, "{log}");
    assert_eq!(
        lines(&log, "stdout"),
        [&(32u64 << 20).to_string(), "256", "50000", "64"]
    );

    // `tail` of an endless line keeps all of it: past 32 MiB the kernel kills it.
    let hog = ContainerSpec {
        resources: limits,
        command: vec!["tail".into(), "/dev/zero".into()],
        ..Default::default()
    };
    let (exit, log) = node.run("hog", hog).unwrap();
    assert_eq!(
        (exit.code, exit.signal, exit.reason),
        (137, Some(9), Reason::OOMKilled),
        "{log}"
    );
}

#[test]
fn a_missing_entrypoint_is_a_clear_error() {
    let mut node = Node::new();
    let c = ContainerSpec {
        command: vec!["/no/such/binary".into()],
        ..Default::default()
    };
    let err = node.run("missing", c).unwrap_err();
    assert!(err.contains("/no/such/binary"), "{err}");
}

#[test]
fn the_default_seccomp_profile_and_capabilities_confine_the_container() {
    let mut node = Node::new();
    // Namespaces cannot be made, nothing mounted, and the hostname (even of the container's
    // own UTS namespace) needs SYS_ADMIN, which Docker's default set does not have.
    let script = "unshare -u true 2>/dev/null; echo unshare=$?; \
                  mount -t tmpfs none /mnt 2>/dev/null; echo mount=$?; \
                  hostname renamed 2>/dev/null; echo hostname=$?; \
                  grep CapEff /proc/self/status";
    let (exit, log) = node.run("confined", sh(script)).unwrap();
    assert_eq!(exit.code, 0, "{log}");
    let out = lines(&log, "stdout");
    assert_eq!(out[..3], ["unshare=1", "mount=1", "hostname=1"], "{log}");
    assert_eq!(
        out[3], "CapEff:\t00000000a80425fb",
        "Docker's default set: {log}"
    );

    // With privilege escalation off the filter is installed after no_new_privs: still works.
    let nnp = ContainerSpec {
        allow_privilege_escalation: Some(false),
        ..sh("unshare -u true 2>/dev/null; echo unshare=$?; grep NoNewPrivs /proc/self/status")
    };
    let (exit, log) = node.run("nnp", nnp).unwrap();
    assert_eq!(exit.code, 0, "{log}");
    assert_eq!(lines(&log, "stdout"), ["unshare=1", "NoNewPrivs:\t1"]);

    // Privileged: every capability, no filter.
    let privileged = ContainerSpec {
        privileged: true,
        ..sh("unshare -u true; echo unshare=$?")
    };
    let (exit, log) = node.run("privileged", privileged).unwrap();
    assert_eq!(exit.code, 0, "{log}");
    assert_eq!(lines(&log, "stdout"), ["unshare=0"]);
}

#[test]
fn containers_of_a_pod_share_its_sandbox_namespaces() {
    let mut node = Node::new();
    let pod = node.dir.path().join("pods/web-0");
    let sb = orch::runtime::sandbox::create(&pod, "web-0").unwrap();
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = orch::runtime::sandbox::remove(&self.0);
        }
    }
    let _cleanup = Cleanup(pod.clone());
    let sandbox = spec::Sandbox {
        netns: Some(sb.net.clone()),
        ipcns: Some(sb.ipc.clone()),
        utsns: Some(sb.uts.clone()),
        ..Default::default()
    };
    // Both containers are in the pod's namespaces (the inodes of the pinned files), see
    // its hostname, and a network with only a loopback that is up.
    use std::os::unix::fs::MetadataExt;
    let expected: Vec<String> = [("ipc", &sb.ipc), ("net", &sb.net), ("uts", &sb.uts)]
        .iter()
        .map(|(kind, f)| format!("{kind}:[{}]", std::fs::metadata(f).unwrap().ino()))
        .collect();
    for id in ["first", "second"] {
        let c = ContainerSpec {
            sandbox: sandbox.clone(),
            ..sh(
                "for n in ipc net uts; do readlink /proc/self/ns/$n; done; hostname; \
                  ls /sys/class/net; cat /sys/class/net/lo/operstate",
            )
        };
        let (exit, log) = node.run(id, c).unwrap();
        assert_eq!(exit.code, 0, "{log}");
        let out = lines(&log, "stdout");
        assert_eq!(out[..3], expected[..], "{log}");
        assert_eq!(out[3..], ["web-0", "lo", "unknown"], "{log}");
    }
}
