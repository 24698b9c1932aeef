//! orch: a single-binary, lightweight Kubernetes distribution.
//!
//! The binary (`src/main.rs`) is a thin shell around these modules; integration tests use them
//! directly. See ARCHITECTURE.md for the map.

pub mod agent;
pub mod api;
pub mod apiserver;
pub mod cli;
pub mod client;
pub mod controllers;
pub mod kubelet;
pub mod pki;
pub mod runtime;
pub mod scheduler;
pub mod server;
pub mod sim;
pub mod store;
pub mod version;
