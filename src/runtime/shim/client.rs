//! The agent's side of the shim API: async, one connection per call (so a `wait` or an
//! attach session blocks nothing else).

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use tokio::io::unix::AsyncFd;

use super::fdpass;
use super::proto::{
    ContainerStatus, ErrorKind, ExecRequest, MAX_PACKET, Request, Response, RunRequest,
};
use super::{PID_FILE, SOCKET};
use crate::runtime::container::ExitInfo;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("starting the shim in {dir}: {message}")]
    Spawn { dir: PathBuf, message: String },
    #[error("talking to the shim in {dir}")]
    Io {
        dir: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The shim refused or failed the request.
    #[error("{message}")]
    Shim { kind: ErrorKind, message: String },
    #[error("unexpected response from the shim in {dir}: {response}")]
    Protocol { dir: PathBuf, response: String },
}

impl ClientError {
    /// What failed, when the shim said so.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            ClientError::Shim { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

/// A process's streams handed over by the shim. With a terminal, `stdin` (when asked for)
/// and `stdout` are the same terminal, which also takes window-size changes
/// ([`set_window_size`]).
#[derive(Debug)]
pub struct Streams {
    pub pid: i32,
    pub tty: bool,
    pub stdin: Option<OwnedFd>,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
    /// An attach session lasts as long as this connection.
    session: Option<AsyncFd<OwnedFd>>,
}

impl Streams {
    /// Ends an attach session (as dropping does): a `stdinOnce` container's stdin closes.
    pub fn detach(&mut self) {
        self.session = None;
    }
}

/// Sets a terminal's size (the container sees SIGWINCH).
pub fn set_window_size(terminal: &OwnedFd, cols: u16, rows: u16) -> io::Result<()> {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from a valid pointer.
    if unsafe { libc::ioctl(terminal.as_raw_fd(), libc::TIOCSWINSZ, &ws) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A pod's shim, addressed by its directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shim {
    dir: PathBuf,
}

impl Shim {
    /// The shim serving `dir` (not checked).
    pub fn at(dir: impl Into<PathBuf>) -> Shim {
        Shim { dir: dir.into() }
    }

    /// Starts a shim in `dir` by running `orch shim serve` (`orch` is the binary at `exe`);
    /// returns once it is listening. The shim runs in a session of its own, so it lives on
    /// when the caller ends.
    pub async fn spawn(exe: &Path, dir: &Path) -> Result<Shim, ClientError> {
        let out = tokio::process::Command::new(exe)
            .args(["shim", "serve", "--dir"])
            .arg(dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .output()
            .await
            .map_err(|e| ClientError::Spawn {
                dir: dir.to_owned(),
                message: format!("running {}: {e}", exe.display()),
            })?;
        if !out.status.success() {
            return Err(ClientError::Spawn {
                dir: dir.to_owned(),
                message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(Shim::at(dir))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The shim's process id, from its pid file.
    pub fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.dir.join(PID_FILE))
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    fn io(&self) -> impl FnOnce(io::Error) -> ClientError + '_ {
        move |source| ClientError::Io {
            dir: self.dir.clone(),
            source,
        }
    }

    async fn send(&self, req: &Request) -> Result<AsyncFd<OwnedFd>, ClientError> {
        let fd = fdpass::connect(&self.dir.join(SOCKET), true).map_err(self.io())?;
        // SAFETY: an OwnedFd keeps its one descriptor open for as long as the AsyncFd owns it.
        let fd = unsafe { AsyncFd::register(fd) }.map_err(|e| self.io()(e.into()))?;
        let bytes = serde_json::to_vec(req).expect("requests serialize");
        loop {
            let mut guard = fd.writable().await.map_err(self.io())?;
            match guard.try_io(|f| fdpass::send(f.as_raw_fd(), &bytes, &[])) {
                Ok(r) => {
                    r.map_err(self.io())?;
                    return Ok(fd);
                }
                Err(_would_block) => continue,
            }
        }
    }

    async fn receive(
        &self,
        fd: &AsyncFd<OwnedFd>,
    ) -> Result<(Response, Vec<OwnedFd>), ClientError> {
        let mut buf = vec![0u8; MAX_PACKET];
        let (n, fds) = loop {
            let mut guard = fd.readable().await.map_err(self.io())?;
            match guard.try_io(|f| fdpass::recv(f.as_raw_fd(), &mut buf)) {
                Ok(r) => break r.map_err(self.io())?,
                Err(_would_block) => continue,
            }
        };
        if n == 0 {
            return Err(self.io()(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the shim closed the connection",
            )));
        }
        let response: Response =
            serde_json::from_slice(&buf[..n]).map_err(|e| ClientError::Protocol {
                dir: self.dir.clone(),
                response: e.to_string(),
            })?;
        if let Response::Error { kind, message } = response {
            return Err(ClientError::Shim { kind, message });
        }
        Ok((response, fds))
    }

    async fn call(&self, req: &Request) -> Result<(Response, Vec<OwnedFd>), ClientError> {
        let fd = self.send(req).await?;
        self.receive(&fd).await
    }

    fn unexpected(&self, r: Response) -> ClientError {
        ClientError::Protocol {
            dir: self.dir.clone(),
            response: format!("{r:?}"),
        }
    }

    async fn ok(&self, req: &Request) -> Result<(), ClientError> {
        match self.call(req).await?.0 {
            Response::Ok => Ok(()),
            r => Err(self.unexpected(r)),
        }
    }

    async fn exited(&self, req: &Request) -> Result<ExitInfo, ClientError> {
        match self.call(req).await?.0 {
            Response::Exited { exit } => Ok(exit),
            r => Err(self.unexpected(r)),
        }
    }

    /// Creates and starts a container; its init's pid.
    pub async fn run(&self, req: RunRequest) -> Result<i32, ClientError> {
        match self.call(&Request::Run(req)).await?.0 {
            Response::Started { pid } => Ok(pid),
            r => Err(self.unexpected(r)),
        }
    }

    pub async fn list(&self) -> Result<Vec<ContainerStatus>, ClientError> {
        match self.call(&Request::List).await?.0 {
            Response::Containers { containers } => Ok(containers),
            r => Err(self.unexpected(r)),
        }
    }

    pub async fn kill(&self, id: &str, signal: i32) -> Result<(), ClientError> {
        self.ok(&Request::Kill {
            id: id.to_owned(),
            signal,
        })
        .await
    }

    /// Waits for the container to end.
    pub async fn wait(&self, id: &str) -> Result<ExitInfo, ClientError> {
        self.exited(&Request::Wait { id: id.to_owned() }).await
    }

    /// Removes an ended container's cgroup and state.
    pub async fn delete(&self, id: &str) -> Result<(), ClientError> {
        self.ok(&Request::Delete { id: id.to_owned() }).await
    }

    /// Starts a process in a running container; wait for it with [`Shim::wait_exec`].
    pub async fn exec(&self, req: ExecRequest) -> Result<Streams, ClientError> {
        let (response, fds) = self.call(&Request::Exec(req)).await?;
        self.streams(response, fds, None)
    }

    pub async fn wait_exec(&self, pid: i32) -> Result<ExitInfo, ClientError> {
        self.exited(&Request::WaitExec { pid }).await
    }

    /// Attaches to a running container's streams until the returned value is dropped.
    pub async fn attach(
        &self,
        id: &str,
        stdin: bool,
        stdout: bool,
        stderr: bool,
    ) -> Result<Streams, ClientError> {
        let fd = self
            .send(&Request::Attach {
                id: id.to_owned(),
                stdin,
                stdout,
                stderr,
            })
            .await?;
        let (response, fds) = self.receive(&fd).await?;
        self.streams(response, fds, Some(fd))
    }

    fn streams(
        &self,
        response: Response,
        fds: Vec<OwnedFd>,
        session: Option<AsyncFd<OwnedFd>>,
    ) -> Result<Streams, ClientError> {
        let Response::Streams {
            pid,
            stdin,
            stdout,
            stderr,
            tty,
        } = response
        else {
            return Err(self.unexpected(response));
        };
        let mut fds = fds.into_iter();
        let mut take = |wanted: bool| if wanted { fds.next() } else { None };
        let mut s = Streams {
            pid,
            tty,
            stdin: None,
            stdout: None,
            stderr: None,
            session,
        };
        if tty && s.session.is_none() {
            // An exec's terminal: one descriptor for both directions.
            let term = take(true);
            s.stdin = match (&term, stdin) {
                (Some(t), true) => Some(t.try_clone().map_err(self.io())?),
                _ => None,
            };
            s.stdout = term;
        } else {
            s.stdin = take(stdin);
            s.stdout = take(stdout);
            s.stderr = take(stderr);
        }
        Ok(s)
    }

    /// Kills and deletes every container; the shim exits.
    pub async fn shutdown(&self) -> Result<(), ClientError> {
        self.ok(&Request::Shutdown).await
    }
}

/// The shims under `root` (one directory per pod) that answer; the directories of those that
/// do not are returned apart, for the caller to clean up.
pub async fn discover(root: &Path) -> io::Result<(Vec<Shim>, Vec<PathBuf>)> {
    let mut live = Vec::new();
    let mut dead = Vec::new();
    let mut entries = match tokio::fs::read_dir(root).await {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((live, dead)),
        Err(e) => return Err(e),
    };
    while let Some(entry) = entries.next_entry().await? {
        if !entry.file_type().await?.is_dir() {
            continue;
        }
        let shim = Shim::at(entry.path());
        if shim.list().await.is_ok() {
            live.push(shim);
        } else {
            dead.push(entry.path());
        }
    }
    live.sort_by(|a, b| a.dir.cmp(&b.dir));
    dead.sort();
    Ok((live, dead))
}
