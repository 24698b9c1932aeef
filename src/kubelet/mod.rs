//! The node's kubelet: turns the pods bound to its node into containers through the runtime
//! (`crate::runtime`) and reports their truth. Being built piece by piece (issue 6); for now
//! the environment a container gets and its runtime description.

pub mod env;
pub mod node;
pub mod spec;
pub mod status;
