//! `apiextensions.k8s.io/v1`:
//! `staging/src/k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1/defaults.go`.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceConversion, CustomResourceDefinition,
};
use serde_json::Value;

use super::{default_ptr, default_str, typed};

pub(super) fn apply(kind: &str, obj: &mut Value) {
    if kind == "CustomResourceDefinition" {
        typed(obj, crd);
    }
}

/// `singular` is the lower-cased kind, `listKind` is kind + `List`, conversion is `None`, a
/// conversion webhook's service port is 443, and the storage version is recorded in
/// `status.storedVersions`.
fn crd(c: &mut CustomResourceDefinition) {
    let spec = &mut c.spec;
    let kind = spec.names.kind.clone();
    if !kind.is_empty() {
        default_str(&mut spec.names.singular, &kind.to_lowercase());
        default_str(&mut spec.names.list_kind, &format!("{kind}List"));
    }
    let conversion = spec
        .conversion
        .get_or_insert_with(|| CustomResourceConversion {
            strategy: "None".to_owned(),
            webhook: None,
        });
    if let Some(service) = conversion
        .webhook
        .as_mut()
        .and_then(|w| w.client_config.as_mut())
        .and_then(|c| c.service.as_mut())
    {
        default_ptr(&mut service.port, 443);
    }
    let stored = c
        .status
        .as_ref()
        .and_then(|s| s.stored_versions.as_ref())
        .is_some_and(|v| !v.is_empty());
    if !stored && let Some(v) = spec.versions.iter().find(|v| v.storage) {
        c.status
            .get_or_insert_with(Default::default)
            .stored_versions = Some(vec![v.name.clone()]);
    }
}
