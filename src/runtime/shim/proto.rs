//! The shim's API: one JSON request per `SOCK_SEQPACKET` packet, one JSON response packet,
//! which may carry file descriptors (`SCM_RIGHTS`): the client ends of an exec's or an
//! attach's streams. `wait` requests are answered when the process has ended; an `attach`
//! connection stays open for the whole session.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::runtime::container::ExitInfo;

/// The largest packet either side sends (a `list` of a pod's containers fits many times).
pub const MAX_PACKET: usize = 256 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// Create and start a container from a prepared bundle.
    Run(RunRequest),
    /// Every container of the pod, running or ended.
    List,
    /// Sends a signal to a container's init (a no-op once it has ended).
    Kill { id: String, signal: i32 },
    /// Answered once the container has ended.
    Wait { id: String },
    /// Answered once the exec process has ended; its record is then forgotten.
    WaitExec { pid: i32 },
    /// Removes an ended container: its cgroup and libcontainer state.
    Delete { id: String },
    /// Runs a process in a running container; the response carries its streams.
    Exec(ExecRequest),
    /// The response carries the container's streams: its stdin (when it has one) and a pipe
    /// per output stream that receives everything written from now on.
    Attach {
        id: String,
        stdin: bool,
        stdout: bool,
        stderr: bool,
    },
    /// Kills and deletes every container, then the shim exits.
    Shutdown,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRequest {
    pub id: String,
    /// The OCI bundle: `config.json` with its root already mounted.
    pub bundle: PathBuf,
    /// The CRI-format log file.
    pub log: PathBuf,
    pub log_max_size: u64,
    pub log_max_files: usize,
    /// The container's cgroup path, as in `config.json` (for the OOM check).
    pub cgroup_path: String,
    /// Keep a stdin open for `attach` (a pipe, or the terminal with `tty`).
    pub stdin: bool,
    /// Close the stdin after the first attach session that used it ends.
    pub stdin_once: bool,
    /// `process.terminal` of the bundle: the container gets a pseudo-terminal.
    pub tty: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecRequest {
    pub id: String,
    /// The command; everything else (env, user, capabilities, cwd) is the container's.
    pub args: Vec<String>,
    pub tty: bool,
    pub stdin: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Running,
    Exited,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerStatus {
    pub id: String,
    pub pid: i32,
    pub state: State,
    pub started_at: String,
    pub tty: bool,
    pub exit: Option<ExitInfo>,
}

/// What failed, for the kubelet's reasons (CreateContainerError, RunContainerError, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    NotFound,
    AlreadyExists,
    /// The container could not be created (bad bundle, mounts, namespaces, cgroup).
    Create,
    /// It was created but its process could not be started (`exec` of the entrypoint).
    Start,
    /// The operation needs an ended container.
    Running,
    /// The operation needs a running container.
    NotRunning,
    Invalid,
    Internal,
}

impl ErrorKind {
    /// The reason a kubelet shows in the container's `waiting` state when running it failed
    /// so. As with containerd, where the OCI runtime's create and start both happen in CRI's
    /// StartContainer, any failure of the runtime is `RunContainerError`; CreateContainerError
    /// is for what fails before the shim (the spec: `runAsNonRoot`, mounts, devices).
    pub fn kubelet_reason(self) -> &'static str {
        match self {
            ErrorKind::Create | ErrorKind::Start => "RunContainerError",
            _ => "CreateContainerError",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Response {
    Ok,
    Started {
        pid: i32,
    },
    Containers {
        containers: Vec<ContainerStatus>,
    },
    Exited {
        exit: ExitInfo,
    },
    /// Exec: the fds are `[stdin?, stdout, stderr]`, or `[terminal]` with a tty.
    /// Attach: `[stdin?, stdout?, stderr?]` in that order, as asked and available, or the
    /// terminal as stdin and a single output with a tty.
    Streams {
        pid: i32,
        stdin: bool,
        stdout: bool,
        stderr: bool,
        tty: bool,
    },
    Error {
        kind: ErrorKind,
        message: String,
    },
}
