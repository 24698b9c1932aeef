//! apiextensions.k8s.io/v1 CustomResourceDefinition and apiregistration.k8s.io/v1 APIService.
//!
//! CRDs: name, group, scope, names, versions (DNS-1035 names, unique, exactly one storage
//! version, a schema for each), the structural basics of the schemas (a typed object at the root,
//! typed properties, array items), conversion, and the update rules. The full OpenAPI schema
//! validation upstream runs (CEL, defaults, list types, …) is not reproduced.

use serde_json::Value;

use super::gorepr;
use super::json::{
    arr, child, get, has, int, int_of, is_true, map_of, opt_str, str_of, str_or, strings,
};
use super::meta::{IMMUTABLE, MetaRules, NameRule, Scope, validate_meta, validate_meta_update};
use super::names::{is_dns1035_label, is_dns1123_subdomain, is_valid_port_num};
use crate::api::field::{FieldError, Path};

fn join(msgs: Vec<String>) -> Option<String> {
    (!msgs.is_empty()).then(|| msgs.join(","))
}

/// The names block with upstream's defaults (singular from kind, listKind = kind + "List").
fn defaulted_names(names: &Value) -> Value {
    let mut n = names.clone();
    if let Some(m) = n.as_object_mut() {
        let kind = m
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if m.get("singular")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
            && !kind.is_empty()
        {
            m.insert("singular".to_owned(), Value::from(kind.to_lowercase()));
        }
        if m.get("listKind")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
            && !kind.is_empty()
        {
            m.insert("listKind".to_owned(), Value::from(format!("{kind}List")));
        }
    }
    n
}

fn validate_names(names: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for key in ["plural", "singular"] {
        let v = str_of(names, key);
        if let Some(m) = join(is_dns1035_label(v)).filter(|_| !v.is_empty()) {
            errs.push(FieldError::invalid(path.child(key), v, m));
        }
    }
    for key in ["kind", "listKind"] {
        let v = str_of(names, key);
        if let Some(m) = join(is_dns1035_label(&v.to_lowercase())).filter(|_| !v.is_empty()) {
            errs.push(FieldError::invalid(
                path.child(key),
                v,
                format!("may have mixed case, but should otherwise match: {m}"),
            ));
        }
    }
    for (i, s) in strings(names, "shortNames").into_iter().enumerate() {
        if let Some(m) = join(is_dns1035_label(s)) {
            errs.push(FieldError::invalid(path.child("shortNames").index(i), s, m));
        }
    }
    let (kind, list_kind) = (str_of(names, "kind"), str_of(names, "listKind"));
    if !kind.is_empty() && kind == list_kind {
        errs.push(FieldError::invalid(
            path.child("listKind"),
            list_kind,
            "kind and listKind may not be the same",
        ));
    }
    for (i, c) in strings(names, "categories").into_iter().enumerate() {
        if let Some(m) = join(is_dns1035_label(c)) {
            errs.push(FieldError::invalid(path.child("categories").index(i), c, m));
        }
    }
    errs
}

fn versions_repr(spec: &Value) -> String {
    match get(spec, "versions").and_then(Value::as_array) {
        None => "[]apiextensions.CustomResourceDefinitionVersion(nil)".to_owned(),
        Some(vs) => format!(
            "[]apiextensions.CustomResourceDefinitionVersion{{{}}}",
            vs.iter()
                .map(|v| gorepr::structure("apiextensions.CustomResourceDefinitionVersion", v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The structural basics: a type everywhere a schema is specified, items for arrays.
fn validate_structural(schema: &Value, path: &Path, root: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let ty = str_of(schema, "type");
    let escaped = is_true(schema, "x-kubernetes-int-or-string")
        || is_true(schema, "x-kubernetes-preserve-unknown-fields");
    if root {
        if ty.is_empty() {
            errs.push(FieldError::required(
                path.child("type"),
                "must not be empty at the root",
            ));
        } else if ty != "object" {
            errs.push(FieldError::invalid(
                path.child("type"),
                ty,
                "must be object at the root",
            ));
        }
    } else if ty.is_empty() && !escaped {
        errs.push(FieldError::required(
            path.child("type"),
            "must not be empty for specified object fields",
        ));
    }
    if ty == "array" && !has(schema, "items") {
        errs.push(FieldError::required(
            path.child("items"),
            "must be specified",
        ));
    }
    let props = map_of(schema, "properties");
    let mut keys: Vec<&String> = props.keys().collect();
    keys.sort();
    for k in keys {
        errs.extend(validate_structural(
            &props[k.as_str()],
            &path.child("properties").key(k),
            false,
        ));
    }
    if let Some(items) = get(schema, "items").filter(|i| i.is_object()) {
        if str_of(items, "type").is_empty()
            && !is_true(items, "x-kubernetes-int-or-string")
            && !is_true(items, "x-kubernetes-preserve-unknown-fields")
        {
            errs.push(FieldError::required(
                path.child("items").child("type"),
                "must not be empty for specified array items",
            ));
        }
        let item_props = map_of(items, "properties");
        let mut keys: Vec<&String> = item_props.keys().collect();
        keys.sort();
        for k in keys {
            errs.extend(validate_structural(
                &item_props[k.as_str()],
                &path.child("items").child("properties").key(k),
                false,
            ));
        }
    }
    if let Some(ap) = get(schema, "additionalProperties").filter(|a| a.is_object()) {
        if !props.is_empty() {
            errs.push(FieldError::forbidden(
                path.child("additionalProperties"),
                "additionalProperties and properties are mutual exclusive",
            ));
        }
        errs.extend(validate_structural(
            ap,
            &path.child("additionalProperties"),
            false,
        ));
    }
    if is_true(schema, "uniqueItems") {
        errs.push(FieldError::forbidden(
            path.child("uniqueItems"),
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ));
    }
    errs
}

fn validate_conversion(spec: &Value, path: &Path) -> Vec<FieldError> {
    let Some(conv) = get(spec, "conversion") else {
        return Vec::new();
    };
    let mut errs = Vec::new();
    let cp = path.child("conversion");
    match str_or(conv, "strategy", "None") {
        "None" => {
            if has(conv, "webhook") {
                errs.push(FieldError::forbidden(
                    cp.child("webhook"),
                    "should not be set when strategy is not set to Webhook",
                ));
            }
        }
        "Webhook" => match get(conv, "webhook") {
            None => errs.push(FieldError::required(
                cp.child("webhook"),
                "required when strategy is set to Webhook",
            )),
            Some(w) => {
                if !has(w, "clientConfig") {
                    errs.push(FieldError::required(
                        cp.child("webhook").child("clientConfig"),
                        "required when strategy is set to Webhook",
                    ));
                }
                let crv = strings(w, "conversionReviewVersions");
                if crv.is_empty() {
                    errs.push(FieldError::required(
                        cp.child("webhook").child("conversionReviewVersions"),
                        "must include at least one of v1, v1beta1",
                    ));
                }
            }
        },
        other => errs.push(FieldError::not_supported(
            cp.child("strategy"),
            other,
            &["None", "Webhook"],
        )),
    }
    errs
}

fn validate_crd_spec(spec: &Value, path: &Path) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let group = str_of(spec, "group");
    if group.is_empty() {
        errs.push(FieldError::required(path.child("group"), ""));
    } else if let Some(m) = join(is_dns1123_subdomain(group)) {
        errs.push(FieldError::invalid(path.child("group"), group, m));
    } else if group.split('.').count() < 2 {
        errs.push(FieldError::invalid(
            path.child("group"),
            group,
            "should be a domain with at least one dot",
        ));
    }
    match str_of(spec, "scope") {
        "" => errs.push(FieldError::required(path.child("scope"), "")),
        "Cluster" | "Namespaced" => {}
        other => errs.push(FieldError::not_supported(
            path.child("scope"),
            other,
            &["Cluster", "Namespaced"],
        )),
    }
    let versions = arr(spec, "versions");
    let vp = path.child("versions");
    let mut storage = 0;
    let mut names: Vec<&str> = Vec::new();
    let mut unique = true;
    for (i, v) in versions.iter().enumerate() {
        let name = str_of(v, "name");
        if is_true(v, "storage") {
            storage += 1;
        }
        if names.contains(&name) {
            unique = false;
        } else {
            names.push(name);
        }
        if let Some(m) = join(is_dns1035_label(name)) {
            errs.push(FieldError::invalid(vp.index(i).child("name"), name, m));
        }
        let sp = vp.index(i).child("schema").child("openAPIV3Schema");
        match get(child(v, "schema"), "openAPIV3Schema") {
            None => errs.push(FieldError::required(sp, "schemas are required")),
            Some(schema) => errs.extend(validate_structural(schema, &sp, true)),
        }
        if let Some(scale) = get(child(v, "subresources"), "scale") {
            let scp = vp.index(i).child("subresources").child("scale");
            for key in ["specReplicasPath", "statusReplicasPath"] {
                let p = str_of(scale, key);
                let prefix = if key == "specReplicasPath" {
                    ".spec."
                } else {
                    ".status."
                };
                if p.is_empty() {
                    errs.push(FieldError::required(scp.child(key), ""));
                } else if !p.starts_with(prefix) {
                    errs.push(FieldError::invalid(
                        scp.child(key),
                        p,
                        format!(
                            "should be a json path under {}",
                            prefix.trim_end_matches('.')
                        ),
                    ));
                }
            }
        }
    }
    if !unique {
        errs.push(
            FieldError::invalid(
                vp.clone(),
                child(spec, "versions").clone(),
                "must contain unique version names",
            )
            .with_value_repr(versions_repr(spec)),
        );
    }
    if storage != 1 {
        errs.push(
            FieldError::invalid(
                vp,
                child(spec, "versions").clone(),
                "must have exactly one version marked as storage version",
            )
            .with_value_repr(versions_repr(spec)),
        );
    }
    let names = defaulted_names(child(spec, "names"));
    for key in ["plural", "singular", "kind", "listKind"] {
        if str_of(&names, key).is_empty() {
            errs.push(FieldError::required(path.child("names").child(key), ""));
        }
    }
    errs.extend(validate_names(&names, &path.child("names")));
    errs.extend(validate_conversion(spec, path));
    errs
}

fn crd_meta_errors(crd: &Value) -> Vec<FieldError> {
    let spec = child(crd, "spec");
    let required = format!(
        "{}.{}",
        str_of(child(spec, "names"), "plural"),
        str_of(spec, "group")
    );
    let name_fn = |name: &str, prefix: bool| {
        let mut out = NameRule::Dns1123Subdomain.check(name, prefix);
        if name != required {
            out.push("must be spec.names.plural+\".\"+spec.group".to_owned());
        }
        out
    };
    validate_meta(
        child(crd, "metadata"),
        &MetaRules {
            scope: Scope::Cluster,
            name: &name_fn,
            kube_finalizers: false,
        },
        &Path::new("metadata"),
    )
}

fn validate_stored_versions(crd: &Value) -> Vec<FieldError> {
    let names: Vec<&str> = arr(child(crd, "spec"), "versions")
        .iter()
        .map(|v| str_of(v, "name"))
        .collect();
    strings(child(crd, "status"), "storedVersions")
        .into_iter()
        .enumerate()
        .filter(|(_, v)| !names.contains(v))
        .map(|(i, v)| {
            FieldError::invalid(
                Path::new("status").child("storedVersions").index(i),
                v,
                "must appear in spec.versions",
            )
        })
        .collect()
}

fn validate_status(crd: &Value) -> Vec<FieldError> {
    validate_names(
        child(child(crd, "status"), "acceptedNames"),
        &Path::new("status").child("acceptedNames"),
    )
}

pub fn validate_crd(crd: &Value) -> Vec<FieldError> {
    let mut errs = crd_meta_errors(crd);
    errs.extend(validate_crd_spec(child(crd, "spec"), &Path::new("spec")));
    errs.extend(validate_status(crd));
    errs.extend(validate_stored_versions(crd));
    errs
}

fn established(crd: &Value) -> bool {
    arr(child(crd, "status"), "conditions")
        .iter()
        .any(|c| str_of(c, "type") == "Established" && str_of(c, "status") == "True")
}

pub fn validate_crd_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_meta_update(
        child(new, "metadata"),
        child(old, "metadata"),
        &Path::new("metadata"),
    );
    let (ns, os) = (child(new, "spec"), child(old, "spec"));
    let sp = Path::new("spec");
    errs.extend(validate_crd_spec(ns, &sp));
    if established(old) {
        if str_of(ns, "scope") != str_of(os, "scope") {
            errs.push(FieldError::invalid(
                sp.child("scope"),
                str_of(ns, "scope"),
                IMMUTABLE,
            ));
        }
        let (nk, ok) = (
            str_of(child(ns, "names"), "kind"),
            str_of(child(os, "names"), "kind"),
        );
        if nk != ok {
            errs.push(FieldError::invalid(
                sp.child("names").child("kind"),
                nk,
                IMMUTABLE,
            ));
        }
    }
    if str_of(ns, "group") != str_of(os, "group") {
        errs.push(FieldError::invalid(
            sp.child("group"),
            str_of(ns, "group"),
            IMMUTABLE,
        ));
    }
    let (np, op) = (
        str_of(child(ns, "names"), "plural"),
        str_of(child(os, "names"), "plural"),
    );
    if np != op {
        errs.push(FieldError::invalid(
            sp.child("names").child("plural"),
            np,
            IMMUTABLE,
        ));
    }
    errs.extend(validate_status(new));
    errs.extend(validate_stored_versions(new));
    errs
}

pub fn validate_crd_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_meta_update(
        child(new, "metadata"),
        child(old, "metadata"),
        &Path::new("metadata"),
    );
    errs.extend(validate_status(new));
    errs
}

// ---------------------------------------------------------------------------------------------
// APIService

pub fn validate_api_service(svc: &Value) -> Vec<FieldError> {
    let spec = child(svc, "spec");
    let sp = Path::new("spec");
    let (group, version) = (str_of(spec, "group"), str_of(spec, "version"));
    let required = format!("{version}.{group}");
    let name_fn = |name: &str, _prefix: bool| {
        if name == required {
            Vec::new()
        } else {
            vec![format!(
                "must be `spec.version+\".\"+spec.group`: {required}"
            )]
        }
    };
    let mut errs = validate_meta(
        child(svc, "metadata"),
        &MetaRules {
            scope: Scope::Cluster,
            name: &name_fn,
            kube_finalizers: false,
        },
        &Path::new("metadata"),
    );
    if group.is_empty() && version != "v1" {
        errs.push(FieldError::required(
            sp.child("group"),
            "only v1 may have an empty group and it better be legacy kube",
        ));
    }
    if !group.is_empty() {
        for m in is_dns1123_subdomain(group) {
            errs.push(FieldError::invalid(sp.child("group"), group, m));
        }
    }
    for m in is_dns1035_label(version) {
        errs.push(FieldError::invalid(sp.child("version"), version, m));
    }
    let gpm = int_of(spec, "groupPriorityMinimum");
    if gpm <= 0 || gpm > 20000 {
        errs.push(FieldError::invalid(
            sp.child("groupPriorityMinimum"),
            gpm,
            "must be positive and less than 20000",
        ));
    }
    let vp = int_of(spec, "versionPriority");
    if vp <= 0 || vp > 1000 {
        errs.push(FieldError::invalid(
            sp.child("versionPriority"),
            vp,
            "must be positive and less than 1000",
        ));
    }
    let ca_len = opt_str(spec, "caBundle").map_or(0, |s| s.len() * 3 / 4);
    let insecure = is_true(spec, "insecureSkipTLSVerify");
    match get(spec, "service") {
        None => {
            if ca_len != 0 {
                errs.push(FieldError::invalid(
                    sp.child("caBundle"),
                    format!("{ca_len} bytes"),
                    "local APIServices may not have a caBundle",
                ));
            }
            if insecure {
                errs.push(FieldError::invalid(
                    sp.child("insecureSkipTLSVerify"),
                    true,
                    "local APIServices may not have insecureSkipTLSVerify",
                ));
            }
        }
        Some(service) => {
            let svp = sp.child("service");
            for key in ["namespace", "name"] {
                if str_of(service, key).is_empty() {
                    errs.push(FieldError::required(svp.child(key), ""));
                }
            }
            let port = int(service, "port").unwrap_or(443);
            let msgs = is_valid_port_num(port);
            if !msgs.is_empty() {
                errs.push(FieldError::invalid(
                    svp.child("port"),
                    port,
                    format!("port is not valid: {}", msgs.join(", ")),
                ));
            }
            if insecure && ca_len > 0 {
                errs.push(FieldError::invalid(
                    sp.child("insecureSkipTLSVerify"),
                    true,
                    "may not be true if caBundle is present",
                ));
            }
        }
    }
    errs
}

pub fn validate_api_service_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = validate_meta_update(
        child(new, "metadata"),
        child(old, "metadata"),
        &Path::new("metadata"),
    );
    errs.extend(validate_api_service(new));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.to_string()).collect()
    }

    fn crd() -> Value {
        json!({"metadata": {"name": "widgets.example.com"}, "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object", "properties": {"size": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}}}}}}}]
        }})
    }

    #[test]
    fn valid_crd() {
        assert!(validate_crd(&crd()).is_empty());
    }

    #[test]
    fn invalid_crds() {
        let mut c = crd();
        c["metadata"]["name"] = json!("widget.example.com");
        c["spec"]["group"] = json!("example");
        c["spec"]["scope"] = json!("Global");
        c["spec"]["names"]["plural"] = json!("Widgets");
        c["spec"]["versions"] = json!([
            {"name": "v1", "storage": false, "schema": {"openAPIV3Schema": {"properties": {"spec": {}}}}},
            {"name": "V2", "storage": false}
        ]);
        let got = msgs(validate_crd(&c));
        assert_eq!(
            got[0],
            "metadata.name: Invalid value: \"widget.example.com\": must be spec.names.plural+\".\"+spec.group"
        );
        assert_eq!(
            got[1],
            "spec.group: Invalid value: \"example\": should be a domain with at least one dot"
        );
        assert_eq!(
            got[2],
            "spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\""
        );
        assert_eq!(
            got[3],
            "spec.versions[0].schema.openAPIV3Schema.type: Required value: must not be empty at the root"
        );
        assert_eq!(
            got[4],
            "spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields"
        );
        assert!(got[5].starts_with(
            "spec.versions[1].name: Invalid value: \"V2\": a DNS-1035 label must consist of"
        ));
        assert_eq!(
            got[6],
            "spec.versions[1].schema.openAPIV3Schema: Required value: schemas are required"
        );
        assert!(got[7].starts_with(
            "spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{"
        ));
        assert!(got[7].ends_with("must have exactly one version marked as storage version"));
        assert!(
            got[8].starts_with("spec.names.plural: Invalid value: \"Widgets\": a DNS-1035 label")
        );
        assert_eq!(got.len(), 9);
    }

    #[test]
    fn crd_updates() {
        let mut old = crd();
        old["metadata"]["resourceVersion"] = json!("1");
        old["status"] = json!({"conditions": [{"type": "Established", "status": "True"}], "storedVersions": ["v1"]});
        let mut new = old.clone();
        new["spec"]["scope"] = json!("Cluster");
        new["spec"]["group"] = json!("other.example.com");
        let got = msgs(validate_crd_update(&new, &old));
        assert!(
            got.contains(&"spec.scope: Invalid value: \"Cluster\": field is immutable".to_owned())
        );
        assert!(got.contains(
            &"spec.group: Invalid value: \"other.example.com\": field is immutable".to_owned()
        ));
    }

    #[test]
    fn api_services() {
        let ok = json!({"metadata": {"name": "v1beta1.metrics.k8s.io"}, "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100, "versionPriority": 100, "service": {"namespace": "kube-system", "name": "metrics-server"}}});
        assert!(validate_api_service(&ok).is_empty());
        let mut bad = ok.clone();
        bad["metadata"]["name"] = json!("metrics");
        bad["spec"]["versionPriority"] = json!(0);
        assert_eq!(
            msgs(validate_api_service(&bad)),
            vec![
                "metadata.name: Invalid value: \"metrics\": must be `spec.version+\".\"+spec.group`: v1beta1.metrics.k8s.io",
                "spec.versionPriority: Invalid value: 0: must be positive and less than 1000",
            ]
        );
    }
}
