//! `networking.k8s.io/v1`: `pkg/apis/networking/v1/defaults.go`. Ingress has no defaults
//! (`pathType` is required).

use k8s_openapi::api::networking::v1::{IngressClass, NetworkPolicy};
use serde_json::Value;

use super::{default_ptr, typed};

pub(super) fn apply(kind: &str, obj: &mut Value) {
    match kind {
        "NetworkPolicy" => typed(obj, network_policy),
        "IngressClass" => typed(obj, ingress_class),
        _ => {}
    }
}

/// `SetObjectDefaults_NetworkPolicy`: `policyTypes` is `[Ingress]`, plus `Egress` when there are
/// egress rules; every port's protocol is TCP.
fn network_policy(np: &mut NetworkPolicy) {
    let Some(spec) = &mut np.spec else {
        return;
    };
    if spec.policy_types.as_ref().is_none_or(Vec::is_empty) {
        let mut types = vec!["Ingress".to_owned()];
        if spec.egress.as_ref().is_some_and(|e| !e.is_empty()) {
            types.push("Egress".to_owned());
        }
        spec.policy_types = Some(types);
    }
    let ingress_ports = spec.ingress.iter_mut().flatten().map(|r| &mut r.ports);
    let egress_ports = spec.egress.iter_mut().flatten().map(|r| &mut r.ports);
    for port in ingress_ports.chain(egress_ports).flatten().flatten() {
        default_ptr(&mut port.protocol, "TCP".to_owned());
    }
}

/// `SetDefaults_IngressClass`: parameters are cluster-scoped unless said otherwise.
fn ingress_class(ic: &mut IngressClass) {
    if let Some(p) = ic.spec.as_mut().and_then(|s| s.parameters.as_mut()) {
        default_ptr(&mut p.scope, "Cluster".to_owned());
    }
}
