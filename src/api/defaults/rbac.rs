//! `rbac.authorization.k8s.io/v1`: `pkg/apis/rbac/v1/defaults.go`. Roles and ClusterRoles have
//! no defaults.

use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use serde_json::Value;

use super::typed;

const GROUP: &str = "rbac.authorization.k8s.io";

pub(super) fn apply(kind: &str, obj: &mut Value) {
    match kind {
        "RoleBinding" => typed(obj, |b: &mut RoleBinding| {
            binding(&mut b.role_ref, &mut b.subjects)
        }),
        "ClusterRoleBinding" => typed(obj, |b: &mut ClusterRoleBinding| {
            binding(&mut b.role_ref, &mut b.subjects)
        }),
        _ => {}
    }
}

/// `roleRef.apiGroup` is RBAC's group; a subject's `apiGroup` is RBAC's for users and groups and
/// the core group ("") for service accounts.
fn binding(role_ref: &mut RoleRef, subjects: &mut Option<Vec<Subject>>) {
    if role_ref.api_group.is_empty() {
        role_ref.api_group = GROUP.to_owned();
    }
    for s in subjects.iter_mut().flatten() {
        if s.api_group.as_deref().is_none_or(str::is_empty) {
            match s.kind.as_str() {
                "ServiceAccount" => s.api_group = Some(String::new()),
                "User" | "Group" => s.api_group = Some(GROUP.to_owned()),
                _ => {}
            }
        }
    }
}
