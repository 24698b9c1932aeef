//! Running one container with youki's libcontainer: create (the init is parked), start, pump its
//! stdout/stderr into a CRI log, reap it, tell why it ended (Completed, Error, OOMKilled), and
//! delete it (cgroup and state removed).
//!
//! Blocking, and only for a **single-threaded** process: libcontainer clones the container's
//! processes with a raw `clone3`, skipping libc's fork handling, so another thread holding a
//! lock (the allocator's, a logger's) could deadlock the child. The agent therefore never calls
//! this itself; it runs `orch shim`, which does.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::logs::{LogWriter, Stream};

#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("creating container {id}")]
    Create {
        id: String,
        #[source]
        source: libcontainer::error::LibcontainerError,
    },
    #[error("starting container {id}")]
    Start {
        id: String,
        #[source]
        source: libcontainer::error::LibcontainerError,
    },
    #[error("deleting container {id}")]
    Delete {
        id: String,
        #[source]
        source: libcontainer::error::LibcontainerError,
    },
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> ContainerError {
    let what = what.into();
    move |source| ContainerError::Io { what, source }
}

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

/// Where a container's state lives and how it is set up.
#[derive(Clone, Debug)]
pub struct Options {
    pub id: String,
    /// The OCI bundle: `config.json` (its `root.path` already mounted).
    pub bundle: PathBuf,
    /// libcontainer's state root (`<root>/<id>/state.json`).
    pub state_root: PathBuf,
    pub log: PathBuf,
    pub log_max_size: u64,
    pub log_max_files: usize,
    /// The container's absolute cgroup path (as in the spec), for the OOM check.
    pub cgroup_path: String,
}

fn pipe() -> Result<(OwnedFd, OwnedFd), ContainerError> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io_err("creating a pipe")(io::Error::last_os_error()));
    }
    // SAFETY: pipe2 succeeded: both descriptors are open and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Runs the container to completion: create, start, log, reap, delete.
pub fn run(opts: &Options) -> Result<ExitInfo, ContainerError> {
    use libcontainer::container::builder::ContainerBuilder;
    use libcontainer::syscall::syscall::SyscallType;

    let mut log = LogWriter::open(&opts.log, opts.log_max_size, opts.log_max_files)
        .map_err(io_err(format!("opening the log {}", opts.log.display())))?;
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let stdin = File::open("/dev/null").map_err(io_err("opening /dev/null"))?;
    let create = |source| ContainerError::Create {
        id: opts.id.clone(),
        source,
    };
    let mut container = ContainerBuilder::new(opts.id.clone(), SyscallType::default())
        .with_root_path(&opts.state_root)
        .map_err(create)?
        .with_stdin(stdin)
        .with_stdout(out_w)
        .with_stderr(err_w)
        .validate_id()
        .map_err(create)?
        .as_init(&opts.bundle)
        .with_systemd(false)
        .with_detach(true)
        .build()
        .map_err(create)?;
    let pid = container.pid().map(|p| p.as_raw()).unwrap_or(0);
    let started_at = jiff::Timestamp::now().to_string();
    if let Err(source) = container.start() {
        let _ = container.delete(true);
        reap(pid);
        return Err(ContainerError::Start {
            id: opts.id.clone(),
            source,
        });
    }
    let status = pump_and_wait(pid, out_r, err_r, &mut log)?;
    let finished_at = jiff::Timestamp::now().to_string();
    let oom = oom_kills(&opts.cgroup_path) > 0;
    let (code, signal) = status;
    let reason = if oom && (signal == Some(libc::SIGKILL) || code != 0) {
        Reason::OOMKilled
    } else if code == 0 {
        Reason::Completed
    } else {
        Reason::Error
    };
    container
        .delete(true)
        .map_err(|source| ContainerError::Delete {
            id: opts.id.clone(),
            source,
        })?;
    Ok(ExitInfo {
        code,
        signal,
        reason,
        started_at,
        finished_at,
    })
}

fn reap(pid: i32) -> Option<(i32, Option<i32>)> {
    if pid <= 0 {
        return None;
    }
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is a valid out-pointer.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    (r == pid).then(|| decode(status))
}

fn decode(status: i32) -> (i32, Option<i32>) {
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        (128 + sig, Some(sig))
    } else {
        (libc::WEXITSTATUS(status), None)
    }
}

/// Copies both streams into the log until they close and the process has exited; returns the
/// exit (code, signal).
fn pump_and_wait(
    pid: i32,
    out: OwnedFd,
    err: OwnedFd,
    log: &mut LogWriter,
) -> Result<(i32, Option<i32>), ContainerError> {
    let mut open = [Some(out), Some(err)];
    let mut exited: Option<(i32, Option<i32>)> = None;
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let mut fds: Vec<libc::pollfd> = open
            .iter()
            .flatten()
            .map(|fd| libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        if fds.is_empty() {
            break;
        }
        // After the exit, whatever is still buffered is drained without waiting for
        // descendants that may hold the pipes open.
        let timeout = if exited.is_some() { 0 } else { 200 };
        // SAFETY: `fds` is a valid array of pollfd of the given length.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(io_err("polling the container's output")(e));
        }
        if n == 0 && exited.is_some() {
            break;
        }
        for p in &fds {
            if p.revents == 0 {
                continue;
            }
            let slot = open
                .iter_mut()
                .position(|fd| fd.as_ref().is_some_and(|f| f.as_raw_fd() == p.fd))
                .expect("polled fd is open");
            let stream = if slot == 0 {
                Stream::Stdout
            } else {
                Stream::Stderr
            };
            // SAFETY: reading into our buffer from an fd we own.
            let r = unsafe { libc::read(p.fd, buf.as_mut_ptr().cast(), buf.len()) };
            if r > 0 {
                log.write(stream, &buf[..r as usize])
                    .map_err(io_err("writing the container log"))?;
            } else if r == 0
                || (r < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted)
            {
                log.flush_stream(stream)
                    .map_err(io_err("writing the container log"))?;
                open[slot] = None;
            }
        }
        if exited.is_none() {
            let mut status = 0;
            // SAFETY: polls our own child without blocking.
            if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == pid {
                exited = Some(decode(status));
            }
        }
    }
    for s in [Stream::Stdout, Stream::Stderr] {
        log.flush_stream(s)
            .map_err(io_err("writing the container log"))?;
    }
    match exited {
        Some(e) => Ok(e),
        None => reap(pid).ok_or_else(|| {
            io_err("waiting for the container's process")(io::Error::last_os_error())
        }),
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
