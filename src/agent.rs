//! A node: kubelet, container runtime, pod network and service proxy. Not built yet; `orch agent`
//! says so instead of pretending.
