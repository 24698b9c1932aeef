//! The integration tests, in one test binary: each test starts the real `orch` binary (or, for
//! the datastore tests, the store itself) and drives it like a user or a client would.
//!
//! One binary instead of one per file: every test binary links all of `orch` and its
//! dependencies, so a binary per file cost gigabytes of disk and minutes of linking in CI.
//! `cargo nextest run` still runs every test in its own process.

mod common;

mod api;
mod cli;
mod containers;
mod deployments;
mod disruption;
mod endpoints;
mod images;
mod kubectl;
mod kubelet;
mod nodes;
mod python_client;
mod quota;
mod scheduler;
mod sim;
mod store_churn;
mod store_crash;
mod workloads;
