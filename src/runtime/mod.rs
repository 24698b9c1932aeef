//! The node's container runtime: images (content store, layer unpacking) and, later, containers
//! run by a per-pod shim. Knows nothing about Kubernetes objects: its inputs are image
//! references, OCI runtime specs and netns paths.

pub mod container;
pub mod images;
pub mod logs;
pub mod rootfs;
pub mod sandbox;
pub mod spec;
