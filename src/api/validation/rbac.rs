//! rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding
//! (`pkg/apis/rbac/validation`). Names only need to be usable path segments.

use serde_json::Value;

use super::gorepr;
use super::json::{arr, child, get, str_of};
use super::meta::{SelectorOpts, validate_label_selector};
use super::names::{is_dns1123_subdomain, is_valid_path_segment_name};
use super::{NameRule, kube_meta, meta_update};
use crate::api::field::{FieldError, Path};

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn validate_policy_rule(rule: &Value, namespaced: bool, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if arr(rule, "verbs").is_empty() {
        errs.push(FieldError::required(
            path.child("verbs"),
            "verbs must contain at least one value",
        ));
    }
    let urls = arr(rule, "nonResourceURLs");
    if !urls.is_empty() {
        let repr = gorepr::string_slice("string", get(rule, "nonResourceURLs"));
        if namespaced {
            errs.push(
                FieldError::invalid(
                    path.child("nonResourceURLs"),
                    child(rule, "nonResourceURLs").clone(),
                    "namespaced rules cannot apply to non-resource URLs",
                )
                .with_value_repr(repr.clone()),
            );
        }
        if !arr(rule, "apiGroups").is_empty()
            || !arr(rule, "resources").is_empty()
            || !arr(rule, "resourceNames").is_empty()
        {
            errs.push(
                FieldError::invalid(
                    path.child("nonResourceURLs"),
                    child(rule, "nonResourceURLs").clone(),
                    "rules cannot apply to both regular resources and non-resource URLs",
                )
                .with_value_repr(repr),
            );
        }
        return errs;
    }
    if arr(rule, "apiGroups").is_empty() {
        errs.push(FieldError::required(
            path.child("apiGroups"),
            "resource rules must supply at least one api group",
        ));
    }
    if arr(rule, "resources").is_empty() {
        errs.push(FieldError::required(
            path.child("resources"),
            "resource rules must supply at least one resource",
        ));
    }
    if !arr(rule, "resourceNames").is_empty() && arr(rule, "resources").len() > 1 {
        errs.push(FieldError::required(
            path.child("resourceNames"),
            "resource names cannot apply to multiple resources",
        ));
    }
    errs
}

fn validate_role_common(role: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(role, "metadata"),
        namespaced,
        NameRule::PathSegment,
        &Path::new("metadata"),
    );
    for (i, rule) in arr(role, "rules").iter().enumerate() {
        errs.extend(validate_policy_rule(
            rule,
            namespaced,
            &Path::new("rules").index(i),
        ));
    }
    errs
}

pub fn validate_role(role: &Value) -> Vec<FieldError> {
    validate_role_common(role, true)
}

pub fn validate_role_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_role(new);
    errs.extend(meta_update(new, old));
    errs
}

pub fn validate_cluster_role(role: &Value) -> Vec<FieldError> {
    let mut errs = validate_role_common(role, false);
    if let Some(agg) = get(role, "aggregationRule") {
        let p = Path::new("aggregationRule").child("clusterRoleSelectors");
        let selectors = arr(agg, "clusterRoleSelectors");
        if selectors.is_empty() {
            errs.push(FieldError::required(
                p.clone(),
                "at least one clusterRoleSelector required if aggregationRule is non-nil",
            ));
        }
        for (i, sel) in selectors.iter().enumerate() {
            errs.extend(validate_label_selector(
                Some(sel),
                SelectorOpts::default(),
                &p.index(i),
            ));
        }
    }
    errs
}

pub fn validate_cluster_role_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_cluster_role(new);
    errs.extend(meta_update(new, old));
    errs
}

fn validate_subject(s: &Value, namespaced: bool, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = str_of(s, "name");
    if name.is_empty() {
        errs.push(FieldError::required(path.child("name"), ""));
    }
    let group = str_of(s, "apiGroup");
    match str_of(s, "kind") {
        "ServiceAccount" => {
            if !name.is_empty() {
                for m in is_dns1123_subdomain(name) {
                    errs.push(FieldError::invalid(path.child("name"), name, m));
                }
            }
            if !group.is_empty() {
                errs.push(FieldError::not_supported(
                    path.child("apiGroup"),
                    group,
                    &[""],
                ));
            }
            if !namespaced && str_of(s, "namespace").is_empty() {
                errs.push(FieldError::required(path.child("namespace"), ""));
            }
        }
        kind @ ("User" | "Group") => {
            if name.is_empty() {
                let what = if kind == "User" {
                    "user name cannot be empty"
                } else {
                    "group name cannot be empty"
                };
                errs.push(FieldError::invalid(path.child("name"), name, what));
            }
            // The apiGroup of users and groups defaults to RBAC's.
            if !group.is_empty() && group != RBAC_GROUP {
                errs.push(FieldError::not_supported(
                    path.child("apiGroup"),
                    group,
                    &[RBAC_GROUP],
                ));
            }
        }
        other => errs.push(FieldError::not_supported(
            path.child("kind"),
            other,
            &["ServiceAccount", "User", "Group"],
        )),
    }
    errs
}

fn validate_binding(b: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(b, "metadata"),
        namespaced,
        NameRule::PathSegment,
        &Path::new("metadata"),
    );
    let rr = child(b, "roleRef");
    let rp = Path::new("roleRef");
    let group = str_of(rr, "apiGroup");
    if group != RBAC_GROUP {
        errs.push(FieldError::not_supported(
            rp.child("apiGroup"),
            group,
            &[RBAC_GROUP],
        ));
    }
    let kind = str_of(rr, "kind");
    let kinds: &[&str] = if namespaced {
        &["Role", "ClusterRole"]
    } else {
        &["ClusterRole"]
    };
    if !kinds.contains(&kind) {
        errs.push(FieldError::not_supported(rp.child("kind"), kind, kinds));
    }
    let name = str_of(rr, "name");
    if name.is_empty() {
        errs.push(FieldError::required(rp.child("name"), ""));
    } else {
        for m in is_valid_path_segment_name(name) {
            errs.push(FieldError::invalid(rp.child("name"), name, m));
        }
    }
    for (i, s) in arr(b, "subjects").iter().enumerate() {
        errs.extend(validate_subject(
            s,
            namespaced,
            &Path::new("subjects").index(i),
        ));
    }
    errs
}

fn role_ref_changed(new: &Value, old: &Value) -> Option<FieldError> {
    let (n, o) = (child(new, "roleRef"), child(old, "roleRef"));
    let fields = |r: &Value| {
        (
            str_of(r, "apiGroup").to_owned(),
            str_of(r, "kind").to_owned(),
            str_of(r, "name").to_owned(),
        )
    };
    (fields(n) != fields(o)).then(|| {
        FieldError::invalid(Path::new("roleRef"), n.clone(), "cannot change roleRef")
            .with_value_repr(format!(
                "rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
                gorepr::quote(str_of(n, "apiGroup")),
                gorepr::quote(str_of(n, "kind")),
                gorepr::quote(str_of(n, "name"))
            ))
    })
}

pub fn validate_role_binding(b: &Value) -> Vec<FieldError> {
    validate_binding(b, true)
}

pub fn validate_role_binding_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_binding(new, true);
    errs.extend(meta_update(new, old));
    errs.extend(role_ref_changed(new, old));
    errs
}

pub fn validate_cluster_role_binding(b: &Value) -> Vec<FieldError> {
    validate_binding(b, false)
}

pub fn validate_cluster_role_binding_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_binding(new, false);
    errs.extend(meta_update(new, old));
    errs.extend(role_ref_changed(new, old));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.to_string()).collect()
    }

    #[test]
    fn roles() {
        let role = json!({"metadata": {"name": "system:reader", "namespace": "default"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]});
        assert!(validate_role(&role).is_empty());
        let bad = json!({"metadata": {"name": "a/b", "namespace": "default"},
            "rules": [{"resources": ["pods", "secrets"], "resourceNames": ["x"]}, {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}]});
        assert_eq!(
            msgs(validate_role(&bad)),
            vec![
                "metadata.name: Invalid value: \"a/b\": may not contain '/'",
                "rules[0].verbs: Required value: verbs must contain at least one value",
                "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
                "rules[0].resourceNames: Required value: resource names cannot apply to multiple resources",
                "rules[1].nonResourceURLs: Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs",
            ]
        );
        let cr =
            json!({"metadata": {"name": "view"}, "aggregationRule": {"clusterRoleSelectors": []}});
        assert_eq!(
            msgs(validate_cluster_role(&cr)),
            vec![
                "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"
            ]
        );
    }

    #[test]
    fn bindings() {
        let b = json!({"metadata": {"name": "read", "namespace": "default"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [{"kind": "User", "name": "jane"}, {"kind": "ServiceAccount", "name": "default", "namespace": "default"}]});
        assert!(validate_role_binding(&b).is_empty());
        let bad = json!({"metadata": {"name": "x"},
            "roleRef": {"apiGroup": "", "kind": "Role", "name": ""},
            "subjects": [{"kind": "Robot", "name": "r2"}, {"kind": "ServiceAccount", "name": "sa"}]});
        assert_eq!(
            msgs(validate_cluster_role_binding(&bad)),
            vec![
                "roleRef.apiGroup: Unsupported value: \"\": supported values: \"rbac.authorization.k8s.io\"",
                "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
                "roleRef.name: Required value",
                "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
                "subjects[1].namespace: Required value",
            ]
        );
        let mut old = b.clone();
        old["metadata"]["resourceVersion"] = json!("1");
        let mut new = old.clone();
        new["roleRef"]["name"] = json!("admin");
        assert_eq!(
            msgs(validate_role_binding_update(&new, &old)),
            vec![
                "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"admin\"}: cannot change roleRef"
            ]
        );
    }
}
