//! `discovery.k8s.io/v1`: `pkg/apis/discovery/v1/defaults.go`. Every port of an EndpointSlice
//! gets `name: ""` and `protocol: TCP` when unset.

use k8s_openapi::api::discovery::v1::EndpointSlice;
use serde_json::Value;

use super::{default_ptr, typed};

pub(super) fn apply(kind: &str, obj: &mut Value) {
    if kind == "EndpointSlice" {
        typed(obj, |s: &mut EndpointSlice| {
            for port in s.ports.iter_mut().flatten() {
                default_ptr(&mut port.name, String::new());
                default_ptr(&mut port.protocol, "TCP".to_owned());
            }
        });
    }
}
