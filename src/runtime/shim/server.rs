//! The shim process: one per pod, single-threaded, outliving the agent that started it.
//!
//! It owns the pod's containers: starts them, copies their output into CRI logs (and to
//! attached clients), reaps them (it is a child subreaper, so every process of the pod ends
//! up its child) and keeps how they ended until the agent asks. Everything else it does in a
//! short-lived forked **helper**: libcontainer's create/start/exec/delete run there, so the
//! pages they touch, their allocations and libcontainer's process-wide side effects (it
//! changes directory and makes its caller undumpable) die with the helper, and the long-lived
//! shim stays small. Forking is safe because the shim never has a second thread.
//!
//! Its state is in memory only; what makes it rediscoverable is its directory: `shim.sock`
//! (the API, see [`super::proto`]), `shim.pid`, `shim.log` (its own diagnostics) and
//! `containers/` (libcontainer's state root).

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::fdpass;
use super::proto::{
    ContainerStatus, ErrorKind, ExecRequest, MAX_PACKET, Request, Response, RunRequest, State,
};
use super::{LOG_FILE, PID_FILE, SOCKET, STATE_DIR};
use crate::runtime::container::{ExitInfo, Reason, decode, oom_kills};
use crate::runtime::logs::{LogWriter, Stream};

#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    #[error("a shim is already serving {0}")]
    AlreadyServing(PathBuf),
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> ShimError {
    let what = what.into();
    move |source| ShimError::Io { what, source }
}

fn last_err(what: impl Into<String>) -> ShimError {
    io_err(what)(io::Error::last_os_error())
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Drops this process's resident pages of clean, unmodified file mappings (the text and
/// read-only data of `orch` and its libraries). They stay in the page cache, shared with the
/// agent, and fault back in only where the idle loop touches them: most of a 30 MB binary is
/// code the shim ran once at start, and counting it per pod would make the shim look 3×
/// bigger than the memory it costs. Mappings with private (copied-on-write) pages, such as
/// the relocated RELRO data, are left alone: dropping those would lose their contents.
fn trim_resident_text() {
    let Ok(smaps) = fs::read_to_string("/proc/self/smaps") else {
        return;
    };
    let mut candidate: Option<(usize, usize)> = None;
    let mut ranges = Vec::new();
    for line in smaps.lines() {
        let mut fields = line.split_ascii_whitespace();
        let first = fields.next().unwrap_or("");
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            )
        {
            let perms = fields.next().unwrap_or("");
            let path = fields.nth(3).unwrap_or("");
            candidate = (perms.starts_with('r')
                && !perms.contains('w')
                && perms.ends_with('p')
                && path.starts_with('/'))
            .then_some((start, end));
        } else if first == "Anonymous:" {
            // Only mappings without a single private page qualify.
            if let Some(range) = candidate.take()
                && fields.next() == Some("0")
            {
                ranges.push(range);
            }
        }
    }
    for (start, end) in ranges {
        // SAFETY: a private file mapping with no private pages: dropping its pages loses
        // nothing, the next access reads the file again (from the page cache).
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
    }
}

/// The pod's listening socket, bound before the shim daemonizes so that the process that
/// started it can connect as soon as it has exited.
pub struct Listener {
    fd: OwnedFd,
    dir: PathBuf,
}

/// Makes `dir` and binds `dir/shim.sock`, replacing a stale socket; refuses when a live shim
/// answers there.
pub fn bind(dir: &Path) -> Result<Listener, ShimError> {
    fs::create_dir_all(dir.join(STATE_DIR))
        .map_err(io_err(format!("cannot create {}", dir.display())))?;
    let path = dir.join(SOCKET);
    if path.exists() {
        if fdpass::connect(&path, false).is_ok() {
            return Err(ShimError::AlreadyServing(dir.to_owned()));
        }
        fs::remove_file(&path).map_err(io_err(format!("removing {}", path.display())))?;
    }
    let fd = fdpass::listen(&path).map_err(io_err(format!("listening on {}", path.display())))?;
    Ok(Listener {
        fd,
        dir: dir.to_owned(),
    })
}

/// Forks. The parent gets `false` and should exit at once (the socket is ready); the child
/// gets `true`, in a session of its own, at `/`, with stdin and stdout on /dev/null and
/// stderr appended to `shim.log`.
pub fn daemonize(listener: &Listener) -> Result<bool, ShimError> {
    let log_path = listener.dir.join(LOG_FILE);
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io_err(format!("opening {}", log_path.display())))?;
    let null = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .map_err(io_err("opening /dev/null"))?;
    // SAFETY: the shim is single-threaded, so the child is a complete copy.
    match unsafe { libc::fork() } {
        -1 => Err(last_err("forking the shim")),
        0 => {
            // SAFETY: plain syscalls on descriptors we own.
            unsafe {
                libc::setsid();
                libc::dup2(null.as_raw_fd(), 0);
                libc::dup2(null.as_raw_fd(), 1);
                libc::dup2(log.as_raw_fd(), 2);
            }
            let _ = std::env::set_current_dir("/");
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The write end of the self-pipe SIGCHLD wakes the loop through.
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_sigchld(_: libc::c_int) {
    // SAFETY: only async-signal-safe calls; errno is restored for the interrupted code.
    unsafe {
        let errno = *libc::__errno_location();
        let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
        if fd >= 0 {
            libc::write(fd, [0u8].as_ptr().cast(), 1);
        }
        *libc::__errno_location() = errno;
    }
}

fn pipe(flags: libc::c_int) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | flags) })?;
    // SAFETY: pipe2 succeeded: both descriptors are ours alone.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
}

fn dup(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: duplicates a descriptor we own; the copy is ours alone.
    let r = cvt(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) })?;
    // SAFETY: fcntl returned a new descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(r) })
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// What a helper reports when it failed.
#[derive(Debug, Serialize, Deserialize)]
struct Failure {
    kind: ErrorKind,
    message: String,
}

impl Failure {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }

    fn response(self) -> Response {
        Response::Error {
            kind: self.kind,
            message: self.message,
        }
    }
}

/// An error and its causes on one line, as `a: b: c`.
fn chain(err: &dyn std::error::Error) -> String {
    let mut s = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !s.ends_with(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = e.source();
    }
    s
}

/// Runs `f` in a forked child and returns what it returned. The child's processes
/// (containers' inits, exec'd processes) are reparented to the shim, a subreaper, when the
/// child exits.
fn in_helper<T: Serialize + DeserializeOwned>(
    f: impl FnOnce() -> Result<T, Failure>,
) -> Result<T, Failure> {
    let internal =
        |what: &str, e: io::Error| Failure::new(ErrorKind::Internal, format!("{what}: {e}"));
    let (r, w) = pipe(0).map_err(|e| internal("creating a pipe", e))?;
    // SAFETY: the shim is single-threaded, so the child is a complete copy.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(internal("forking a helper", io::Error::last_os_error()));
    }
    if pid == 0 {
        drop(r);
        // SAFETY: back to the default disposition; the handler's pipe is the shim's.
        unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
        SIGNAL_PIPE.store(-1, Ordering::Relaxed);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .unwrap_or_else(|_| Err(Failure::new(ErrorKind::Internal, "the helper panicked")));
        let bytes = serde_json::to_vec(&result).unwrap_or_default();
        let _ = File::from(w).write_all(&bytes);
        // SAFETY: leaves without running the shim's destructors or atexit handlers.
        unsafe { libc::_exit(0) };
    }
    drop(w);
    let mut bytes = Vec::new();
    let read = File::from(r).read_to_end(&mut bytes);
    let mut status = 0;
    // SAFETY: waits for our own child.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0
        && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
    {}
    read.map_err(|e| internal("reading the helper's result", e))?;
    serde_json::from_slice::<Result<T, Failure>>(&bytes).unwrap_or_else(|_| {
        Err(Failure::new(
            ErrorKind::Internal,
            format!("the helper process died (wait status {status:#x})"),
        ))
    })
}

/// How a container's stdio is set up.
enum Stdio {
    Pipes {
        stdin: OwnedFd,
        stdout: OwnedFd,
        stderr: OwnedFd,
    },
    /// `process.terminal`: libcontainer sends the pty master to this socket.
    Console(PathBuf),
}

/// A process's stdio as pipes: its ends (`Stdio::Pipes`; /dev/null as stdin unless `stdin`),
/// and the shim's: the stdin write end (with `stdin`), the stdout and stderr read ends.
fn stdio_pipes(stdin: bool) -> io::Result<(Stdio, Option<OwnedFd>, OwnedFd, OwnedFd)> {
    let (in_r, in_w) = if stdin {
        let (r, w) = pipe(0)?;
        (r, Some(w))
    } else {
        (OwnedFd::from(File::open("/dev/null")?), None)
    };
    let (out_r, out_w) = pipe(0)?;
    let (err_r, err_w) = pipe(0)?;
    let stdio = Stdio::Pipes {
        stdin: in_r,
        stdout: out_w,
        stderr: err_w,
    };
    Ok((stdio, in_w, out_r, err_r))
}

fn builder(
    id: &str,
    state_root: &Path,
    stdio: Stdio,
    kind: ErrorKind,
) -> Result<libcontainer::container::builder::ContainerBuilder, Failure> {
    use libcontainer::container::builder::ContainerBuilder;
    use libcontainer::syscall::syscall::SyscallType;
    let b = ContainerBuilder::new(id.to_owned(), SyscallType::default())
        .with_root_path(state_root)
        .map_err(|e| Failure::new(kind, chain(&e)))?;
    Ok(match stdio {
        Stdio::Pipes {
            stdin,
            stdout,
            stderr,
        } => b.with_stdin(stdin).with_stdout(stdout).with_stderr(stderr),
        Stdio::Console(path) => b.with_console_socket(Some(path)),
    })
}

/// In a helper: libcontainer create, then start; the init's pid.
fn create_and_start(
    id: &str,
    state_root: &Path,
    bundle: &Path,
    stdio: Stdio,
) -> Result<i32, Failure> {
    let create = |e: libcontainer::error::LibcontainerError| {
        Failure::new(
            ErrorKind::Create,
            format!("creating container {id}: {}", chain(&e)),
        )
    };
    let mut container = builder(id, state_root, stdio, ErrorKind::Create)?
        .validate_id()
        .map_err(create)?
        .as_init(bundle)
        .with_systemd(false)
        .with_detach(true)
        .build()
        .map_err(create)?;
    let pid = container.pid().map(|p| p.as_raw()).unwrap_or(0);
    if let Err(e) = container.start() {
        let _ = container.delete(true);
        return Err(Failure::new(
            ErrorKind::Start,
            format!("starting container {id}: {}", chain(&e)),
        ));
    }
    Ok(pid)
}

/// In a helper: removes a container's cgroup and libcontainer state.
fn delete(id: &str, state_root: &Path) -> Result<(), Failure> {
    let dir = state_root.join(id);
    if !dir.exists() {
        return Ok(());
    }
    let mut c = libcontainer::container::Container::load(dir).map_err(|e| {
        Failure::new(
            ErrorKind::Internal,
            format!("loading container {id}: {}", chain(&e)),
        )
    })?;
    c.delete(true).map_err(|e| {
        Failure::new(
            ErrorKind::Internal,
            format!("deleting container {id}: {}", chain(&e)),
        )
    })
}

/// Waits up to five seconds for libcontainer's init to hand over the pty master.
fn receive_console(listener: &OwnedFd) -> io::Result<OwnedFd> {
    let mut p = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    if cvt(unsafe { libc::poll(&mut p, 1, 5000) })? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "no terminal from the container",
        ));
    }
    // SAFETY: accepts on our listening socket; the result is ours alone.
    let conn = cvt(unsafe {
        libc::accept4(
            listener.as_raw_fd(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            libc::SOCK_CLOEXEC,
        )
    })?;
    // SAFETY: accept4 returned a new descriptor.
    let conn = unsafe { OwnedFd::from_raw_fd(conn) };
    let mut buf = [0u8; 4096];
    let (_, fds) = fdpass::recv(conn.as_raw_fd(), &mut buf)?;
    fds.into_iter()
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no terminal was sent"))
}

struct Ctr {
    pid: i32,
    started_at: String,
    cgroup_path: String,
    bundle: PathBuf,
    tty: bool,
    log: LogWriter,
    /// stdout and stderr pipes, or the terminal as the single output.
    outputs: [Option<OwnedFd>; 2],
    /// The write end of the stdin pipe, or the terminal.
    stdin: Option<OwnedFd>,
    stdin_once: bool,
    /// Attached clients' output pipes.
    attached: Vec<(Stream, OwnedFd)>,
    exit: Option<ExitInfo>,
}

impl Ctr {
    fn status(&self, id: &str) -> ContainerStatus {
        ContainerStatus {
            id: id.to_owned(),
            pid: self.pid,
            state: if self.exit.is_some() {
                State::Exited
            } else {
                State::Running
            },
            started_at: self.started_at.clone(),
            tty: self.tty,
            exit: self.exit.clone(),
        }
    }

    /// Copies one read from an output into the log and to attached clients; false at its end.
    fn pump(&mut self, slot: usize, buf: &mut [u8]) -> bool {
        let Some(fd) = self.outputs[slot].as_ref() else {
            return false;
        };
        let stream = if slot == 0 {
            Stream::Stdout
        } else {
            Stream::Stderr
        };
        // SAFETY: reads into our buffer from a descriptor we own.
        let r = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if r > 0 {
            let data = &buf[..r as usize];
            if let Err(e) = self.log.write(stream, data) {
                tracing::warn!(error = %e, "writing a container log");
            }
            self.attached.retain(|(s, fd)| {
                if *s != stream {
                    return true;
                }
                // SAFETY: writes our buffer to a non-blocking pipe we own.
                let w = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
                // A client that cannot keep up (or is gone) is detached.
                w == data.len() as isize
            });
            return true;
        }
        let e = io::Error::last_os_error();
        if r < 0
            && matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            )
        {
            return true;
        }
        // EOF, or EIO from a terminal whose last user closed it.
        if let Err(e) = self.log.flush_stream(stream) {
            tracing::warn!(error = %e, "writing a container log");
        }
        self.outputs[slot] = None;
        false
    }
}

struct Exec {
    started_at: String,
    exit: Option<ExitInfo>,
}

enum Parked {
    No,
    Wait(String),
    WaitExec(i32),
    Attach { id: String, stdin: bool },
}

struct Conn {
    fd: OwnedFd,
    parked: Parked,
}

#[derive(Clone, Copy)]
enum Source {
    Listener,
    Signal,
    Conn(u64),
    Output(usize, usize),
}

pub struct Server {
    dir: PathBuf,
    state_root: PathBuf,
    listener: OwnedFd,
    signals: OwnedFd,
    conns: HashMap<u64, Conn>,
    next_conn: u64,
    containers: HashMap<String, Ctr>,
    execs: HashMap<i32, Exec>,
    console_seq: u64,
    buf: Vec<u8>,
    done: bool,
}

impl Server {
    /// Becomes the pod's reaper and starts listening for SIGCHLD.
    pub fn new(listener: Listener) -> Result<Server, ShimError> {
        // SAFETY: marks this process as the reaper of its orphaned descendants.
        cvt(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) })
            .map_err(io_err("becoming a child subreaper"))?;
        let (r, w) = pipe(libc::O_NONBLOCK).map_err(io_err("creating the signal pipe"))?;
        SIGNAL_PIPE.store(w.as_raw_fd(), Ordering::Relaxed);
        std::mem::forget(w);
        // SAFETY: installs an async-signal-safe handler; sa is fully initialised.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigchld as extern "C" fn(libc::c_int) as usize;
            sa.sa_flags = libc::SA_RESTART | libc::SA_NOCLDSTOP;
            libc::sigemptyset(&mut sa.sa_mask);
            cvt(libc::sigaction(libc::SIGCHLD, &sa, std::ptr::null_mut()))
                .map_err(io_err("handling SIGCHLD"))?;
        }
        let pid_file = listener.dir.join(PID_FILE);
        fs::write(&pid_file, std::process::id().to_string())
            .map_err(io_err(format!("writing {}", pid_file.display())))?;
        Ok(Server {
            state_root: listener.dir.join(STATE_DIR),
            dir: listener.dir,
            listener: listener.fd,
            signals: r,
            conns: HashMap::new(),
            next_conn: 0,
            containers: HashMap::new(),
            execs: HashMap::new(),
            console_seq: 0,
            buf: vec![0; MAX_PACKET],
            done: false,
        })
    }

    /// Serves until a `shutdown` request; then removes its socket and pid file.
    pub fn run(mut self) -> Result<(), ShimError> {
        tracing::info!(dir = %self.dir.display(), pid = std::process::id(), "shim serving");
        // Children that ended before the handler was installed.
        self.reap();
        let mut fds: Vec<libc::pollfd> = Vec::new();
        let mut sources: Vec<Source> = Vec::new();
        let mut ids: Vec<String> = Vec::new();
        trim_resident_text();
        // Set after a request: the resident text is trimmed again once the shim is idle.
        let mut trim_at: Option<std::time::Instant> = None;
        while !self.done {
            fds.clear();
            sources.clear();
            ids.clear();
            let mut add = |fd: RawFd, source: Source| {
                fds.push(libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                });
                sources.push(source);
            };
            add(self.listener.as_raw_fd(), Source::Listener);
            add(self.signals.as_raw_fd(), Source::Signal);
            for (key, c) in &self.conns {
                add(c.fd.as_raw_fd(), Source::Conn(*key));
            }
            for (id, c) in &self.containers {
                for (slot, out) in c.outputs.iter().enumerate() {
                    if let Some(fd) = out {
                        add(fd.as_raw_fd(), Source::Output(ids.len(), slot));
                    }
                }
                ids.push(id.clone());
            }
            // SAFETY: `fds` is a valid array of pollfd of the given length.
            let timeout = trim_at.map_or(-1, |t| {
                t.saturating_duration_since(std::time::Instant::now())
                    .as_millis() as i32
            });
            // SAFETY: `fds` is a valid array of pollfd of the given length.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
            if n == 0 {
                trim_resident_text();
                trim_at = None;
                continue;
            }
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(io_err("polling")(e));
            }
            // Output first, so that what a process wrote before it ended is logged before
            // its end is recorded.
            for (p, source) in fds.iter().zip(&sources) {
                if p.revents == 0 {
                    continue;
                }
                if let Source::Output(i, slot) = *source
                    && let Some(c) = self.containers.get_mut(&ids[i])
                {
                    c.pump(slot, &mut self.buf);
                }
            }
            for (p, source) in fds.iter().zip(&sources) {
                if p.revents == 0 {
                    continue;
                }
                match *source {
                    Source::Signal => {
                        let mut sink = [0u8; 64];
                        // SAFETY: drains our non-blocking pipe into a local buffer.
                        while unsafe {
                            libc::read(self.signals.as_raw_fd(), sink.as_mut_ptr().cast(), 64)
                        } > 0
                        {}
                        self.reap();
                    }
                    Source::Listener => self.accept(),
                    Source::Conn(key) => {
                        self.serve_conn(key);
                        trim_at.get_or_insert_with(|| {
                            std::time::Instant::now() + std::time::Duration::from_secs(1)
                        });
                    }
                    Source::Output(..) => {}
                }
            }
        }
        let _ = fs::remove_file(self.dir.join(SOCKET));
        let _ = fs::remove_file(self.dir.join(PID_FILE));
        tracing::info!("shim done");
        Ok(())
    }

    fn accept(&mut self) {
        loop {
            // SAFETY: accepts on our listening socket; the result is ours alone.
            let fd = unsafe {
                libc::accept4(
                    self.listener.as_raw_fd(),
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                    libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                )
            };
            if fd < 0 {
                return;
            }
            self.next_conn += 1;
            self.conns.insert(
                self.next_conn,
                Conn {
                    // SAFETY: accept4 returned a new descriptor.
                    fd: unsafe { OwnedFd::from_raw_fd(fd) },
                    parked: Parked::No,
                },
            );
        }
    }

    fn serve_conn(&mut self, key: u64) {
        let Some(conn) = self.conns.get(&key) else {
            return;
        };
        let fd = conn.fd.as_raw_fd();
        let (n, _fds) = match fdpass::recv(fd, &mut self.buf) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(_) => (0, Vec::new()),
        };
        if n == 0 {
            self.hang_up(key);
            return;
        }
        let response = match serde_json::from_slice::<Request>(&self.buf[..n]) {
            Ok(req) => self.handle(key, req),
            Err(e) => Some((
                Failure::new(ErrorKind::Invalid, format!("bad request: {e}")).response(),
                Vec::new(),
            )),
        };
        if let Some((response, fds)) = response {
            self.respond(key, &response, &fds);
        }
    }

    /// A client went away: ends an attach session (closing a `stdinOnce` stdin).
    fn hang_up(&mut self, key: u64) {
        let Some(conn) = self.conns.remove(&key) else {
            return;
        };
        if let Parked::Attach { id, stdin: true } = conn.parked
            && let Some(c) = self.containers.get_mut(&id)
            && c.stdin_once
        {
            c.stdin = None;
        }
    }

    fn respond(&mut self, key: u64, response: &Response, fds: &[OwnedFd]) {
        let Some(conn) = self.conns.get(&key) else {
            return;
        };
        let bytes = serde_json::to_vec(response).expect("responses serialize");
        let raw: Vec<RawFd> = fds.iter().map(|f| f.as_raw_fd()).collect();
        // The client waits for this one packet; a full socket buffer means it is not reading.
        if let Err(e) = fdpass::send(conn.fd.as_raw_fd(), &bytes, &raw) {
            tracing::debug!(error = %e, "a client went away before its response");
            self.conns.remove(&key);
        }
    }

    /// Answers now (`Some`) or parks the connection for later.
    fn handle(&mut self, key: u64, req: Request) -> Option<(Response, Vec<OwnedFd>)> {
        let not_found = |id: &str| {
            Some((
                Failure::new(ErrorKind::NotFound, format!("container {id} not found")).response(),
                Vec::new(),
            ))
        };
        let plain = |r: Response| Some((r, Vec::new()));
        match req {
            Request::Run(req) => plain(self.run_container(req)),
            Request::List => {
                let mut containers: Vec<ContainerStatus> =
                    self.containers.iter().map(|(id, c)| c.status(id)).collect();
                containers.sort_by(|a, b| a.id.cmp(&b.id));
                plain(Response::Containers { containers })
            }
            Request::Kill { id, signal } => {
                let Some(c) = self.containers.get(&id) else {
                    return not_found(&id);
                };
                if c.exit.is_none() {
                    // SAFETY: signals our own child, which is not reaped yet (no pid reuse).
                    if unsafe { libc::kill(c.pid, signal) } < 0 {
                        let e = io::Error::last_os_error();
                        if e.raw_os_error() != Some(libc::ESRCH) {
                            return plain(
                                Failure::new(ErrorKind::Invalid, format!("kill {id}: {e}"))
                                    .response(),
                            );
                        }
                    }
                }
                plain(Response::Ok)
            }
            Request::Wait { id } => match self.containers.get(&id) {
                None => not_found(&id),
                Some(Ctr {
                    exit: Some(exit), ..
                }) => plain(Response::Exited { exit: exit.clone() }),
                Some(_) => {
                    self.park(key, Parked::Wait(id));
                    None
                }
            },
            Request::WaitExec { pid } => match self.execs.get(&pid) {
                None => plain(
                    Failure::new(ErrorKind::NotFound, format!("exec process {pid} not found"))
                        .response(),
                ),
                Some(Exec { exit: Some(_), .. }) => {
                    let exit = self.execs.remove(&pid).and_then(|e| e.exit).expect("ended");
                    plain(Response::Exited { exit })
                }
                Some(_) => {
                    self.park(key, Parked::WaitExec(pid));
                    None
                }
            },
            Request::Delete { id } => {
                let Some(c) = self.containers.get(&id) else {
                    return not_found(&id);
                };
                if c.exit.is_none() {
                    return plain(
                        Failure::new(ErrorKind::Running, format!("container {id} is running"))
                            .response(),
                    );
                }
                let state_root = self.state_root.clone();
                match in_helper(|| delete(&id, &state_root)) {
                    Ok(()) => {
                        self.containers.remove(&id);
                        plain(Response::Ok)
                    }
                    Err(f) => plain(f.response()),
                }
            }
            Request::Exec(req) => Some(
                self.exec(req)
                    .unwrap_or_else(|f| (f.response(), Vec::new())),
            ),
            Request::Attach {
                id,
                stdin,
                stdout,
                stderr,
            } => match self.attach(&id, stdin, stdout, stderr) {
                Ok((response, fds, with_stdin)) => {
                    self.park(
                        key,
                        Parked::Attach {
                            id,
                            stdin: with_stdin,
                        },
                    );
                    Some((response, fds))
                }
                Err(f) => plain(f.response()),
            },
            Request::Shutdown => {
                self.shutdown();
                plain(Response::Ok)
            }
        }
    }

    fn park(&mut self, key: u64, parked: Parked) {
        if let Some(c) = self.conns.get_mut(&key) {
            c.parked = parked;
        }
    }

    fn run_container(&mut self, req: RunRequest) -> Response {
        if self.containers.contains_key(&req.id) {
            return Failure::new(
                ErrorKind::AlreadyExists,
                format!("container {} already exists", req.id),
            )
            .response();
        }
        match self.start(&req) {
            Ok(pid) => Response::Started { pid },
            Err(f) => f.response(),
        }
    }

    fn start(&mut self, req: &RunRequest) -> Result<i32, Failure> {
        let internal = |what: String| {
            move |e: io::Error| Failure::new(ErrorKind::Internal, format!("{what}: {e}"))
        };
        if req.id.is_empty() || req.id.contains('/') || req.id.starts_with('.') {
            return Err(Failure::new(
                ErrorKind::Invalid,
                format!("invalid container id {:?}", req.id),
            ));
        }
        let log = LogWriter::open(&req.log, req.log_max_size, req.log_max_files)
            .map_err(internal(format!("opening the log {}", req.log.display())))?;
        let state_root = self.state_root.clone();
        let (pid, outputs, stdin) = if req.tty {
            let (path, listener) = self.console_socket()?;
            let result = in_helper(|| {
                create_and_start(
                    &req.id,
                    &state_root,
                    &req.bundle,
                    Stdio::Console(path.clone()),
                )
            });
            let _ = fs::remove_file(&path);
            let pid = result?;
            let master = receive_console(&listener).map_err(|e| {
                // SAFETY: the init we just started is ours; it is reaped by the loop.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                Failure::new(ErrorKind::Start, format!("receiving the terminal: {e}"))
            })?;
            set_nonblocking(master.as_raw_fd());
            let stdin = if req.stdin {
                Some(dup(master.as_raw_fd()).map_err(internal("duplicating the terminal".into()))?)
            } else {
                None
            };
            (pid, [Some(master), None], stdin)
        } else {
            let (stdio, in_w, out_r, err_r) = stdio_pipes(req.stdin)
                .map_err(internal("creating the container's pipes".into()))?;
            // The container's ends are closed here when the closure is dropped unused.
            let pid =
                in_helper(move || create_and_start(&req.id, &state_root, &req.bundle, stdio))?;
            set_nonblocking(out_r.as_raw_fd());
            set_nonblocking(err_r.as_raw_fd());
            (pid, [Some(out_r), Some(err_r)], in_w)
        };
        tracing::info!(id = %req.id, pid, "container started");
        self.containers.insert(
            req.id.clone(),
            Ctr {
                pid,
                started_at: now(),
                cgroup_path: req.cgroup_path.clone(),
                bundle: req.bundle.clone(),
                tty: req.tty,
                log,
                outputs,
                stdin,
                stdin_once: req.stdin_once,
                attached: Vec::new(),
                exit: None,
            },
        );
        Ok(pid)
    }

    /// A fresh listening socket for libcontainer's console hand-over.
    fn console_socket(&mut self) -> Result<(PathBuf, OwnedFd), Failure> {
        self.console_seq += 1;
        let path = self.dir.join(format!("console-{}.sock", self.console_seq));
        let _ = fs::remove_file(&path);
        let fd = fdpass::listen_stream(&path).map_err(|e| {
            Failure::new(
                ErrorKind::Internal,
                format!("listening on {}: {e}", path.display()),
            )
        })?;
        Ok((path, fd))
    }

    fn exec(&mut self, req: ExecRequest) -> Result<(Response, Vec<OwnedFd>), Failure> {
        let internal = |what: &str| {
            let what = what.to_owned();
            move |e: io::Error| Failure::new(ErrorKind::Internal, format!("{what}: {e}"))
        };
        let Some(c) = self.containers.get(&req.id) else {
            return Err(Failure::new(
                ErrorKind::NotFound,
                format!("container {} not found", req.id),
            ));
        };
        if c.exit.is_some() {
            return Err(Failure::new(
                ErrorKind::NotRunning,
                format!("container {} is not running", req.id),
            ));
        }
        if req.args.is_empty() {
            return Err(Failure::new(ErrorKind::Invalid, "exec needs a command"));
        }
        // The container's own process, with another command and terminal.
        let config = c.bundle.join("config.json");
        let spec: serde_json::Value = fs::read(&config)
            .map_err(internal(&format!("reading {}", config.display())))
            .and_then(|b| {
                serde_json::from_slice(&b).map_err(|e| {
                    Failure::new(
                        ErrorKind::Internal,
                        format!("parsing {}: {e}", config.display()),
                    )
                })
            })?;
        let mut process = spec.get("process").cloned().unwrap_or_default();
        process["args"] = serde_json::json!(req.args);
        process["terminal"] = serde_json::json!(req.tty);
        self.console_seq += 1;
        let process_file = self.dir.join(format!("exec-{}.json", self.console_seq));
        fs::write(&process_file, serde_json::to_vec(&process).expect("json"))
            .map_err(internal("writing the exec process"))?;
        let state_root = self.state_root.clone();
        let id = req.id.clone();
        let tenant = move |stdio: Stdio, file: &Path| -> Result<i32, Failure> {
            let fail = |e: libcontainer::error::LibcontainerError| {
                Failure::new(
                    ErrorKind::Start,
                    format!("exec in container {id}: {}", chain(&e)),
                )
            };
            builder(&id, &state_root, stdio, ErrorKind::Start)?
                .as_tenant()
                .with_process(Some(file))
                .with_detach(true)
                .build()
                .map(|p| p.as_raw())
                .map_err(fail)
        };
        let result = if req.tty {
            let (path, listener) = self.console_socket()?;
            let r = in_helper(|| tenant(Stdio::Console(path.clone()), &process_file));
            let _ = fs::remove_file(&path);
            r.and_then(|pid| {
                let master = receive_console(&listener).map_err(|e| {
                    // SAFETY: the process we just started is ours; it is reaped by the loop.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    Failure::new(ErrorKind::Start, format!("receiving the terminal: {e}"))
                })?;
                Ok((pid, vec![master]))
            })
        } else {
            let (stdio, in_w, out_r, err_r) =
                stdio_pipes(req.stdin).map_err(internal("creating the exec's pipes"))?;
            let file = &process_file;
            in_helper(move || tenant(stdio, file)).map(|pid| {
                let mut fds: Vec<OwnedFd> = in_w.into_iter().collect();
                fds.extend([out_r, err_r]);
                (pid, fds)
            })
        };
        let _ = fs::remove_file(&process_file);
        let (pid, fds) = result?;
        self.execs.insert(
            pid,
            Exec {
                started_at: now(),
                exit: None,
            },
        );
        tracing::info!(id = %req.id, pid, "exec started");
        Ok((
            Response::Streams {
                pid,
                stdin: req.stdin,
                stdout: true,
                stderr: !req.tty,
                tty: req.tty,
            },
            fds,
        ))
    }

    /// The client's ends of an attach session, and whether it got the stdin.
    fn attach(
        &mut self,
        id: &str,
        stdin: bool,
        stdout: bool,
        stderr: bool,
    ) -> Result<(Response, Vec<OwnedFd>, bool), Failure> {
        let Some(c) = self.containers.get_mut(id) else {
            return Err(Failure::new(
                ErrorKind::NotFound,
                format!("container {id} not found"),
            ));
        };
        if c.exit.is_some() {
            return Err(Failure::new(
                ErrorKind::NotRunning,
                format!("container {id} is not running"),
            ));
        }
        let internal = |e: io::Error| Failure::new(ErrorKind::Internal, format!("attach: {e}"));
        let mut fds = Vec::new();
        let with_stdin = stdin && c.stdin.is_some();
        if with_stdin {
            fds.push(dup(c.stdin.as_ref().expect("checked").as_raw_fd()).map_err(internal)?);
        }
        let streams: &[(bool, Stream)] = if c.tty {
            &[(true, Stream::Stdout)]
        } else {
            &[(true, Stream::Stdout), (false, Stream::Stderr)]
        };
        let mut got = [false; 2];
        for &(first, stream) in streams {
            // With a terminal both streams are the one output.
            let wanted = if c.tty {
                stdout || stderr
            } else if first {
                stdout
            } else {
                stderr
            };
            if !wanted {
                continue;
            }
            let (r, w) = pipe(0).map_err(internal)?;
            // SAFETY: fcntl on a pipe we own; a bigger buffer rides out bursts.
            unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20) };
            set_nonblocking(w.as_raw_fd());
            c.attached.push((stream, w));
            fds.push(r);
            got[stream as usize] = true;
        }
        Ok((
            Response::Streams {
                pid: c.pid,
                stdin: with_stdin,
                stdout: got[0],
                stderr: got[1],
                tty: c.tty,
            },
            fds,
            with_stdin,
        ))
    }

    /// Reaps every ended child: containers' inits, exec'd processes and orphans.
    fn reap(&mut self) {
        loop {
            let mut status = 0;
            // SAFETY: non-blocking wait for any child.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                return;
            }
            let (code, signal) = decode(status);
            let id = self
                .containers
                .iter()
                .find(|(_, c)| c.pid == pid && c.exit.is_none())
                .map(|(id, _)| id.clone());
            if let Some(id) = id {
                self.container_exited(&id, code, signal);
            } else if let Some(e) = self.execs.get_mut(&pid) {
                e.exit = Some(ExitInfo {
                    code,
                    signal,
                    reason: if code == 0 {
                        Reason::Completed
                    } else {
                        Reason::Error
                    },
                    started_at: e.started_at.clone(),
                    finished_at: now(),
                });
                let waiting: Vec<u64> = self
                    .conns
                    .iter()
                    .filter(|(_, c)| matches!(c.parked, Parked::WaitExec(p) if p == pid))
                    .map(|(k, _)| *k)
                    .collect();
                if !waiting.is_empty() {
                    let exit = self.execs.remove(&pid).and_then(|e| e.exit).expect("ended");
                    for key in waiting {
                        self.respond(key, &Response::Exited { exit: exit.clone() }, &[]);
                        self.conns.remove(&key);
                    }
                }
            }
        }
    }

    fn container_exited(&mut self, id: &str, code: i32, signal: Option<i32>) {
        let Some(c) = self.containers.get_mut(id) else {
            return;
        };
        // What is still buffered in the pipes; descendants that keep them open are not
        // waited for.
        for slot in 0..2 {
            while c.outputs[slot].is_some() && c.pump(slot, &mut self.buf) {
                let fd = c.outputs[slot].as_ref().map(|f| f.as_raw_fd());
                let mut p = libc::pollfd {
                    fd: fd.unwrap_or(-1),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                if unsafe { libc::poll(&mut p, 1, 0) } <= 0 {
                    break;
                }
            }
        }
        for s in [Stream::Stdout, Stream::Stderr] {
            if let Err(e) = c.log.flush_stream(s) {
                tracing::warn!(error = %e, "writing a container log");
            }
        }
        c.outputs = [None, None];
        c.stdin = None;
        c.attached.clear();
        let oom = oom_kills(&c.cgroup_path) > 0;
        let reason = if oom && (signal == Some(libc::SIGKILL) || code != 0) {
            Reason::OOMKilled
        } else if code == 0 {
            Reason::Completed
        } else {
            Reason::Error
        };
        let exit = ExitInfo {
            code,
            signal,
            reason,
            started_at: c.started_at.clone(),
            finished_at: now(),
        };
        tracing::info!(id, code, ?signal, ?reason, "container ended");
        c.exit = Some(exit.clone());
        let waiting: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(&c.parked, Parked::Wait(w) if w == id))
            .map(|(k, _)| *k)
            .collect();
        for key in waiting {
            self.respond(key, &Response::Exited { exit: exit.clone() }, &[]);
            self.conns.remove(&key);
        }
    }

    /// Kills every container, waits for them, deletes them, and ends the loop.
    fn shutdown(&mut self) {
        let running: Vec<(String, i32)> = self
            .containers
            .iter()
            .filter(|(_, c)| c.exit.is_none())
            .map(|(id, c)| (id.clone(), c.pid))
            .collect();
        for (id, pid) in running {
            // SAFETY: signals and waits for our own, not yet reaped, child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            let mut status = 0;
            // SAFETY: as above.
            while unsafe { libc::waitpid(pid, &mut status, 0) } < 0
                && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
            {}
            let (code, signal) = decode(status);
            self.container_exited(&id, code, signal);
        }
        self.reap();
        let state_root = self.state_root.clone();
        let ids: Vec<String> = self.containers.keys().cloned().collect();
        for id in ids {
            if let Err(f) = in_helper(|| delete(&id, &state_root)) {
                tracing::warn!(id, error = %f.message, "deleting a container at shutdown");
            }
            self.containers.remove(&id);
        }
        // Waiting clients learn that nothing will come.
        let keys: Vec<u64> = self.conns.keys().copied().collect();
        for key in keys {
            if !matches!(self.conns[&key].parked, Parked::No) {
                self.conns.remove(&key);
            }
        }
        self.done = true;
    }
}

/// `orch shim serve`: binds, daemonizes and serves. Returns in the parent (with the socket
/// ready) and, in the daemon, after `shutdown`.
pub fn serve(dir: &Path) -> Result<(), ShimError> {
    let listener = bind(dir)?;
    if !daemonize(&listener)? {
        return Ok(());
    }
    let result = Server::new(listener).and_then(Server::run);
    if let Err(e) = &result {
        tracing::error!(error = %chain(e), "shim failed");
    }
    result
}
