//! Real containers (root): a busybox image built from Debian's busybox-static, its layers
//! unpacked and stacked with overlayfs, an OCI spec generated, and the pod's shim
//! (`orch shim serve`) running it with libcontainer.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use orch::runtime::images::layers::LayerStore;
use orch::runtime::images::store::ImageStore;
use orch::runtime::shim::client::{self, Shim};
use orch::runtime::shim::fdpass;
use orch::runtime::shim::proto::{ErrorKind, ExecRequest, Request, RunRequest, State};
use orch::runtime::spec::{self, ContainerSpec, Resources};
use orch::runtime::{container::ExitInfo, container::Reason, rootfs};

use crate::common::ORCH;
use crate::common::registry::import_busybox;

/// A node's image store holding the busybox image, a shim, and scratch space for containers;
/// shuts its shims down and removes every mount and cgroup it made, even when the test fails.
struct Node {
    dir: tempfile::TempDir,
    images: ImageStore,
    layers: LayerStore,
    cgroup_parent: String,
    containers: Vec<PathBuf>,
    shims: Vec<PathBuf>,
}

/// A container ready to run: its bundle mounted and the request for the shim.
struct Prepared {
    request: RunRequest,
}

impl Node {
    fn new() -> Node {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        import_busybox(&data);
        let store_dir = orch::runtime::images::store_dir(&data);
        let images = ImageStore::open(&store_dir).unwrap();
        let layers = LayerStore::open(store_dir.join("layers")).unwrap();
        Node {
            cgroup_parent: format!("/orch-test-{}-{}", std::process::id(), fastrand::u32(..)),
            dir,
            images,
            layers,
            containers: Vec::new(),
            shims: Vec::new(),
        }
    }

    fn shims_root(&self) -> PathBuf {
        self.dir.path().join("shims")
    }

    /// Starts a pod's shim (shut down when the node is dropped).
    async fn shim(&mut self, pod: &str) -> Shim {
        let dir = self.shims_root().join(pod);
        self.shims.push(dir.clone());
        Shim::spawn(Path::new(ORCH), &dir).await.unwrap()
    }

    /// Mounts a busybox rootfs for the container and writes its bundle.
    fn prepare(&mut self, id: &str, c: ContainerSpec) -> Result<Prepared, String> {
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
        Ok(Prepared {
            request: RunRequest {
                id: id.to_owned(),
                bundle,
                log: cdir.join("0.log"),
                log_max_size: 10 << 20,
                log_max_files: 5,
                cgroup_path: c.cgroup_path.clone(),
                stdin: c.stdin,
                stdin_once: false,
                tty: c.tty,
            },
        })
    }

    /// Runs a container to its end in the shim of pod `pod`, deletes it and checks that its
    /// state and cgroups are gone; returns how it ended and its log.
    async fn run(&mut self, id: &str, c: ContainerSpec) -> Result<(ExitInfo, String), String> {
        let shim = match self.shims.first() {
            Some(dir) => Shim::at(dir),
            None => self.shim("pod").await,
        };
        let p = self.prepare(id, c)?;
        let log = p.request.log.clone();
        let cgroup = p.request.cgroup_path.clone();
        shim.run(p.request)
            .await
            .map_err(|e| format!("{:?}: {e}", e.kind()))?;
        let exit = shim.wait(id).await.unwrap();
        shim.delete(id).await.unwrap();
        assert!(
            !shim.dir().join("containers").join(id).exists(),
            "libcontainer state removed"
        );
        assert!(!cgroup_exists(&cgroup), "container cgroup removed");
        Ok((exit, std::fs::read_to_string(&log).unwrap_or_default()))
    }
}

fn cgroup_exists(path: &str) -> bool {
    Path::new("/sys/fs/cgroup/memory")
        .join(path.trim_start_matches('/'))
        .exists()
}

/// Blocking `shutdown` through the socket, for Drop.
fn shutdown_blocking(dir: &Path) {
    let Ok(fd) = fdpass::connect(&dir.join(orch::runtime::shim::SOCKET), false) else {
        return;
    };
    let req = serde_json::to_vec(&Request::Shutdown).unwrap();
    if fdpass::send(fd.as_raw_fd(), &req, &[]).is_ok() {
        let mut buf = vec![0u8; 4096];
        let _ = fdpass::recv(fd.as_raw_fd(), &mut buf);
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        for dir in &self.shims {
            shutdown_blocking(dir);
            // A shim that did not answer is ended by its pid.
            if let Some(pid) = Shim::at(dir).pid()
                && Path::new(&format!("/proc/{pid}")).exists()
            {
                // SAFETY: signals the shim this test started.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        // Anything still in the test's cgroups (a container of a killed shim) goes too.
        let procs =
            Path::new("/sys/fs/cgroup/pids").join(self.cgroup_parent.trim_start_matches('/'));
        if let Ok(dirs) = std::fs::read_dir(&procs) {
            for d in dirs.flatten() {
                for pid in std::fs::read_to_string(d.path().join("cgroup.procs"))
                    .unwrap_or_default()
                    .lines()
                    .filter_map(|l| l.parse::<i32>().ok())
                {
                    // SAFETY: signals a process of a container this test started.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        for c in &self.containers {
            let _ = rootfs::remove(c);
        }
        if let Ok(controllers) = std::fs::read_dir("/sys/fs/cgroup") {
            for c in controllers.flatten() {
                let parent = c.path().join(self.cgroup_parent.trim_start_matches('/'));
                if let Ok(children) = std::fs::read_dir(&parent) {
                    for child in children.flatten() {
                        if child.path().is_dir() {
                            let _ = std::fs::remove_dir(child.path());
                        }
                    }
                }
                let _ = std::fs::remove_dir(parent);
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

#[tokio::test]
async fn containers_echo_exit_and_log_in_cri_format() {
    let mut node = Node::new();
    let (exit, log) = node
        .run(
            "echo",
            sh("echo hello from $(hostname -s 2>/dev/null || echo c); echo oops >&2; id -u"),
        )
        .await
        .unwrap();
    assert_eq!((exit.code, exit.reason), (0, Reason::Completed), "{log}");
    let out = lines(&log, "stdout");
    assert!(out[0].starts_with("hello from"), "{log}");
    assert_eq!(out[1], "0", "root by default: {log}");
    assert_eq!(lines(&log, "stderr"), ["oops"]);

    let (exit, _) = node.run("three", sh("exit 3")).await.unwrap();
    assert_eq!(
        (exit.code, exit.signal, exit.reason),
        (3, None, Reason::Error)
    );

    // The image's user database names the user.
    let app = ContainerSpec {
        run_as_user: Some(1000),
        ..sh("id -u; id -g; id -un")
    };
    let (exit, log) = node.run("app", app).await.unwrap();
    assert_eq!(exit.code, 0, "{log}");
    assert_eq!(lines(&log, "stdout"), ["1000", "1000", "app"]);
}

#[tokio::test]
async fn cgroup_limits_are_applied_and_the_oom_killer_is_reported() {
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
    let (exit, log) = node.run("limits", c).await.unwrap();
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
    let (exit, log) = node.run("hog", hog).await.unwrap();
    assert_eq!(
        (exit.code, exit.signal, exit.reason),
        (137, Some(9), Reason::OOMKilled),
        "{log}"
    );
}

#[tokio::test]
async fn a_missing_entrypoint_is_a_clear_error() {
    let mut node = Node::new();
    let c = ContainerSpec {
        command: vec!["/no/such/binary".into()],
        ..Default::default()
    };
    let err = node.run("missing", c).await.unwrap_err();
    assert!(err.contains("/no/such/binary"), "{err}");
    assert!(
        err.starts_with("Some(Create)") || err.starts_with("Some(Start)"),
        "{err}"
    );
}

#[tokio::test]
async fn the_default_seccomp_profile_and_capabilities_confine_the_container() {
    let mut node = Node::new();
    // Namespaces cannot be made, nothing mounted, and the hostname (even of the container's
    // own UTS namespace) needs SYS_ADMIN, which Docker's default set does not have.
    let script = "unshare -u true 2>/dev/null; echo unshare=$?; \
                  mount -t tmpfs none /mnt 2>/dev/null; echo mount=$?; \
                  hostname renamed 2>/dev/null; echo hostname=$?; \
                  grep CapEff /proc/self/status";
    let (exit, log) = node.run("confined", sh(script)).await.unwrap();
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
    let (exit, log) = node.run("nnp", nnp).await.unwrap();
    assert_eq!(exit.code, 0, "{log}");
    assert_eq!(lines(&log, "stdout"), ["unshare=1", "NoNewPrivs:\t1"]);

    // Privileged: every capability, no filter.
    let privileged = ContainerSpec {
        privileged: true,
        ..sh("unshare -u true; echo unshare=$?")
    };
    let (exit, log) = node.run("privileged", privileged).await.unwrap();
    assert_eq!(exit.code, 0, "{log}");
    assert_eq!(lines(&log, "stdout"), ["unshare=0"]);
}

#[tokio::test]
async fn containers_of_a_pod_share_its_sandbox_namespaces() {
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
        let (exit, log) = node.run(id, c).await.unwrap();
        assert_eq!(exit.code, 0, "{log}");
        let out = lines(&log, "stdout");
        assert_eq!(out[..3], expected[..], "{log}");
        assert_eq!(out[3..], ["web-0", "lo", "unknown"], "{log}");
    }
}

/// Reads a stream to its end (a terminal's end is EIO once its last user closed it).
fn read_all(fd: OwnedFd) -> String {
    let mut f = std::fs::File::from(fd);
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn read_all_async(fd: OwnedFd) -> String {
    tokio::task::spawn_blocking(move || read_all(fd))
        .await
        .unwrap()
}

/// Reads from a stream until `want` has been seen (or five seconds passed).
fn read_until(fd: &OwnedFd, want: &str) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !String::from_utf8_lossy(&out).contains(want) && std::time::Instant::now() < deadline {
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut p, 1, 100) } <= 0 {
            continue;
        }
        // SAFETY: reads into our buffer from a descriptor we own.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn write_to(fd: &OwnedFd, data: &str) {
    let mut f = std::fs::File::from(fd.try_clone().unwrap());
    f.write_all(data.as_bytes()).unwrap();
}

#[tokio::test]
async fn a_container_killed_with_sigkill_reports_the_signal_and_is_cleaned_up() {
    let mut node = Node::new();
    let shim = node.shim("pod").await;
    let p = node
        .prepare("sleeper", sh("echo up; exec sleep 1000"))
        .unwrap();
    let cgroup = p.request.cgroup_path.clone();
    let pid = shim.run(p.request.clone()).await.unwrap();
    assert!(pid > 0);
    assert!(cgroup_exists(&cgroup), "the container's cgroup is made");

    // A second container of the same name is refused; an unknown one is not found.
    let err = shim.run(p.request).await.unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::AlreadyExists), "{err}");
    let err = shim.kill("nope", 9).await.unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::NotFound), "{err}");

    let list = shim.list().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].id.as_str(), list[0].state, list[0].pid),
        ("sleeper", State::Running, pid)
    );
    let err = shim.delete("sleeper").await.unwrap_err();
    assert_eq!(
        err.kind(),
        Some(ErrorKind::Running),
        "a running container is not deleted: {err}"
    );

    // Two clients wait; both learn how it ended.
    let (a, b) = (shim.clone(), shim.clone());
    let w1 = tokio::spawn(async move { a.wait("sleeper").await });
    let w2 = tokio::spawn(async move { b.wait("sleeper").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    shim.kill("sleeper", libc::SIGKILL).await.unwrap();
    for w in [w1, w2] {
        let exit = w.await.unwrap().unwrap();
        assert_eq!(
            (exit.code, exit.signal, exit.reason),
            (137, Some(9), Reason::Error)
        );
        assert!(exit.finished_at > exit.started_at, "{exit:?}");
    }
    // Killing an ended container is a no-op; its record stays until deleted.
    shim.kill("sleeper", libc::SIGKILL).await.unwrap();
    let list = shim.list().await.unwrap();
    assert_eq!(list[0].state, State::Exited);
    assert_eq!(list[0].exit.as_ref().unwrap().code, 137);
    let log = std::fs::read_to_string(node.dir.path().join("containers/sleeper/0.log")).unwrap();
    assert_eq!(lines(&log, "stdout"), ["up"]);

    shim.delete("sleeper").await.unwrap();
    assert!(!cgroup_exists(&cgroup), "cgroup removed");
    assert!(
        !shim.dir().join("containers/sleeper").exists(),
        "state removed"
    );
    assert!(shim.list().await.unwrap().is_empty());

    // Shutdown ends the shim and takes its socket and pid file away.
    let shim_pid = shim.pid().unwrap();
    let p = node.prepare("second", sh("exec sleep 1000")).unwrap();
    let cgroup = p.request.cgroup_path.clone();
    shim.run(p.request).await.unwrap();
    shim.shutdown().await.unwrap();
    assert!(!cgroup_exists(&cgroup), "shutdown deletes the containers");
    for _ in 0..50 {
        if !Path::new(&format!("/proc/{shim_pid}")).exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The shim is not our child: once it exits, /proc forgets it (init reaps it).
    let stat = std::fs::read_to_string(format!("/proc/{shim_pid}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z "),
        "shim still running: {stat}"
    );
    assert!(!shim.dir().join("shim.sock").exists());
    assert!(!shim.dir().join("shim.pid").exists());
}

#[tokio::test]
async fn exec_with_a_terminal_or_pipes_and_attach_with_stdin() {
    let mut node = Node::new();
    let shim = node.shim("pod").await;
    // Reads lines from its stdin until it closes.
    let c = ContainerSpec {
        stdin: true,
        ..sh("while read l; do echo got:$l; done; echo bye")
    };
    let mut p = node.prepare("reader", c).unwrap();
    p.request.stdin_once = true;
    let log_path = p.request.log.clone();
    shim.run(p.request).await.unwrap();

    // An exec with a terminal: a real tty, the size the client set, stdin, and an exit code.
    let mut exec = shim
        .exec(ExecRequest {
            id: "reader".into(),
            args: vec!["sh".into()],
            tty: true,
            stdin: true,
        })
        .await
        .unwrap();
    assert!(exec.tty && exec.stderr.is_none());
    let term = exec.stdout.take().unwrap();
    client::set_window_size(&term, 100, 30).unwrap();
    write_to(
        exec.stdin.as_ref().unwrap(),
        "stty size; tty; echo $((6*7)); exit 7\n",
    );
    drop(exec.stdin.take());
    let out = read_all_async(term).await;
    assert!(out.contains("30 100"), "window size: {out:?}");
    assert!(out.contains("/dev/pts/"), "a terminal: {out:?}");
    assert!(out.contains("42"), "{out:?}");
    let exit = shim.wait_exec(exec.pid).await.unwrap();
    assert_eq!(exit.code, 7);
    // The record is handed out once.
    let err = shim.wait_exec(exec.pid).await.unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::NotFound));

    // An exec with pipes: stdin to the end, separate stdout and stderr.
    let mut exec = shim
        .exec(ExecRequest {
            id: "reader".into(),
            args: vec![
                "sh".into(),
                "-c".into(),
                "cat; echo done >&2; exit 3".into(),
            ],
            tty: false,
            stdin: true,
        })
        .await
        .unwrap();
    write_to(exec.stdin.as_ref().unwrap(), "piped input\n");
    drop(exec.stdin.take());
    let (out, err) = (exec.stdout.take().unwrap(), exec.stderr.take().unwrap());
    let out = read_all_async(out).await;
    let err = read_all_async(err).await;
    assert_eq!((out.as_str(), err.as_str()), ("piped input\n", "done\n"));
    assert_eq!(shim.wait_exec(exec.pid).await.unwrap().code, 3);

    // A missing command is a start error the caller can show.
    let err = shim
        .exec(ExecRequest {
            id: "reader".into(),
            args: vec!["/no/such/tool".into()],
            tty: false,
            stdin: false,
        })
        .await;
    match err {
        Err(e) => assert!(e.to_string().contains("/no/such/tool"), "{e}"),
        Ok(s) => {
            let exit = shim.wait_exec(s.pid).await.unwrap();
            assert_ne!(exit.code, 0, "{exit:?}");
        }
    }

    // Attach: what is written to stdin reaches the container, its output comes back (and
    // is logged); with stdinOnce, ending the session closes the container's stdin.
    let mut session = shim.attach("reader", true, true, true).await.unwrap();
    assert!(session.stdin.is_some() && session.stdout.is_some() && session.stderr.is_some());
    let out = session.stdout.take().unwrap();
    write_to(session.stdin.as_ref().unwrap(), "one\n");
    assert!(read_until(&out, "got:one").contains("got:one"));
    drop(session.stdin.take());
    session.detach();
    let exit = shim.wait("reader").await.unwrap();
    assert_eq!(exit.code, 0, "stdin closed, the loop ended");
    let rest = read_all_async(out).await;
    assert!(rest.contains("bye"), "{rest:?}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert_eq!(lines(&log, "stdout"), ["got:one", "bye"]);

    // Nothing runs in an ended container.
    let err = shim
        .exec(ExecRequest {
            id: "reader".into(),
            args: vec!["true".into()],
            tty: false,
            stdin: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::NotRunning));
    let err = shim.attach("reader", false, true, false).await.unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::NotRunning));
}

#[tokio::test]
async fn a_terminal_container_logs_its_output_and_takes_attached_input() {
    let mut node = Node::new();
    let shim = node.shim("pod").await;
    let c = ContainerSpec {
        stdin: true,
        tty: true,
        ..sh("tty; read l; echo got:$l")
    };
    let p = node.prepare("term", c).unwrap();
    let log_path = p.request.log.clone();
    shim.run(p.request).await.unwrap();
    let mut session = shim.attach("term", true, true, false).await.unwrap();
    assert!(session.tty && session.stderr.is_none());
    let out = session.stdout.take().unwrap();
    let stdin = session.stdin.take().unwrap();
    client::set_window_size(&stdin, 80, 24).unwrap();
    write_to(&stdin, "hi\n");
    let exit = shim.wait("term").await.unwrap();
    assert_eq!(exit.code, 0);
    let seen = read_all_async(out).await;
    assert!(seen.contains("got:hi"), "{seen:?}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    let logged = lines(&log, "stdout");
    // The terminal echoes the input, which may come before or after `tty`'s line.
    assert!(logged.iter().any(|l| l.starts_with("/dev/pts/")), "{log}");
    assert!(logged.iter().any(|l| l.contains("got:hi")), "{log}");
    assert!(
        lines(&log, "stderr").is_empty(),
        "a terminal has one stream: {log}"
    );
}

#[tokio::test]
async fn shims_outlive_the_agent_that_started_them_and_are_found_again() {
    let mut node = Node::new();
    let root = node.shims_root();
    let dir = root.join("pod-a");
    node.shims.push(dir.clone());
    // The "agent": a process that starts the shim and then is killed.
    let mut agent = Command::new("sh")
        .arg("-c")
        .arg("\"$0\" shim serve --dir \"$1\" && echo ready && exec sleep 1000")
        .arg(ORCH)
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(agent.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "ready");
    let shim = Shim::at(&dir);
    // Pid 1 of its namespace: SIGTERM reaches it only through a handler.
    let p = node
        .prepare(
            "web",
            sh("trap 'echo stopping; exit 0' TERM; sleep 1000 & wait"),
        )
        .unwrap();
    let pid = shim.run(p.request).await.unwrap();
    agent.kill().unwrap();
    agent.wait().unwrap();

    // A stale directory of a shim that is gone.
    let stale = root.join("pod-gone");
    std::fs::create_dir_all(&stale).unwrap();
    drop(std::os::unix::net::UnixListener::bind(stale.join("shim.sock")).unwrap());

    // The restarted agent finds the shim and its running container, and manages it.
    let (live, dead) = client::discover(&root).await.unwrap();
    assert_eq!(live, [Shim::at(&dir)]);
    assert_eq!(dead, [stale]);
    let shim = &live[0];
    let list = shim.list().await.unwrap();
    assert_eq!(
        (list[0].id.as_str(), list[0].state, list[0].pid),
        ("web", State::Running, pid)
    );
    let shim_pid = shim.pid().unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{shim_pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split(' ').collect();
    assert_eq!(
        fields[3],
        shim_pid.to_string(),
        "the shim leads a session of its own"
    );
    let mut exec = shim
        .exec(ExecRequest {
            id: "web".into(),
            args: vec!["echo".into(), "still here".into()],
            tty: false,
            stdin: false,
        })
        .await
        .unwrap();
    assert_eq!(
        read_all_async(exec.stdout.take().unwrap()).await,
        "still here\n"
    );
    assert_eq!(shim.wait_exec(exec.pid).await.unwrap().code, 0);
    shim.kill("web", libc::SIGTERM).await.unwrap();
    let exit = shim.wait("web").await.unwrap();
    assert_eq!(
        (exit.code, exit.signal, exit.reason),
        (0, None, Reason::Completed)
    );
    shim.delete("web").await.unwrap();
    shim.shutdown().await.unwrap();
}
