//! The per-pod shim: a small single-threaded process (`orch shim serve`) that owns a pod's
//! containers and outlives the agent, and the agent's client for it.
//!
//! A shim lives in a directory of its own (by default `/run/orch/shims/<pod>`, see
//! [`client::Shim::spawn`]); the agent finds the shims of a previous run by listing those
//! directories ([`client::discover`]).

pub mod client;
pub mod fdpass;
pub mod proto;
pub mod server;

/// The API socket in a shim's directory.
pub const SOCKET: &str = "shim.sock";
/// The shim's pid, for tools and tests.
pub const PID_FILE: &str = "shim.pid";
/// The shim's own diagnostics (its stderr).
pub const LOG_FILE: &str = "shim.log";
/// libcontainer's state root.
pub const STATE_DIR: &str = "containers";
