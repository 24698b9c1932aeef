//! storage.k8s.io/v1: StorageClass, CSIDriver, CSINode, VolumeAttachment, CSIStorageCapacity
//! (`pkg/apis/storage/validation`).

use serde_json::Value;

use super::gorepr;
use super::json::{arr, child, get, has, int, map_of, opt_str, same, str_of, str_or, strings};
use super::meta::{
    IMMUTABLE, SelectorOpts, immutable, validate_label_selector, validate_qualified_name,
};
use super::names::is_dns1123_subdomain;
use super::pod::{dns1123_subdomain, validate_csi_driver_name};
use super::resources::quantity;
use super::{NameRule, kube_meta, meta_update};
use crate::api::field::{FieldError, Path};

const MAX_PARAMETERS: usize = 512;
const MAX_PARAMETERS_SIZE: usize = 256 * 1024;

fn validate_parameters(v: &Value, path: &Path) -> Vec<FieldError> {
    let params = map_of(v, "parameters");
    if params.len() > MAX_PARAMETERS {
        return vec![FieldError::too_long(path.clone(), MAX_PARAMETERS)];
    }
    let mut errs = Vec::new();
    let mut total = 0;
    for (k, val) in params {
        if k.is_empty() {
            errs.push(FieldError::invalid(
                path.clone(),
                k.as_str(),
                "field can not be empty.",
            ));
        }
        total += k.len() + val.as_str().map_or(0, str::len);
    }
    if total > MAX_PARAMETERS_SIZE {
        errs.push(FieldError::too_long(path.clone(), MAX_PARAMETERS_SIZE));
    }
    errs
}

pub fn validate_storage_class(sc: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(sc, "metadata"),
        false,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    let provisioner = str_of(sc, "provisioner");
    if provisioner.is_empty() {
        errs.push(FieldError::required(Path::new("provisioner"), ""));
    } else {
        errs.extend(validate_qualified_name(
            &provisioner.to_lowercase(),
            &Path::new("provisioner"),
        ));
    }
    errs.extend(validate_parameters(sc, &Path::new("parameters")));
    let reclaim = str_or(sc, "reclaimPolicy", "Delete");
    if reclaim != "Delete" && reclaim != "Retain" {
        errs.push(FieldError::not_supported(
            Path::new("reclaimPolicy"),
            reclaim,
            &["Delete", "Retain"],
        ));
    }
    let mode = str_or(sc, "volumeBindingMode", "Immediate");
    if mode != "Immediate" && mode != "WaitForFirstConsumer" {
        errs.push(FieldError::not_supported(
            Path::new("volumeBindingMode"),
            mode,
            &["Immediate", "WaitForFirstConsumer"],
        ));
    }
    for (i, term) in arr(sc, "allowedTopologies").iter().enumerate() {
        let tp = Path::new("allowedTopologies")
            .index(i)
            .child("matchLabelExpressions");
        let mut keys: Vec<&str> = Vec::new();
        for (j, req) in arr(term, "matchLabelExpressions").iter().enumerate() {
            let rp = tp.index(j);
            let values = strings(req, "values");
            if values.is_empty() {
                errs.push(FieldError::required(rp.child("values"), ""));
            }
            let mut seen: Vec<&str> = Vec::new();
            for (k, v) in values.iter().enumerate() {
                if seen.contains(v) {
                    errs.push(FieldError::duplicate(rp.child("values").index(k), *v));
                }
                seen.push(v);
            }
            let key = str_of(req, "key");
            errs.extend(validate_qualified_name(key, &rp.child("key")));
            if keys.contains(&key) {
                errs.push(FieldError::duplicate(rp.child("key"), key));
            }
            keys.push(key);
        }
    }
    errs
}

pub fn validate_storage_class_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    if !same(child(new, "parameters"), child(old, "parameters")) {
        errs.push(FieldError::forbidden(
            Path::new("parameters"),
            "updates to parameters are forbidden.",
        ));
    }
    if str_of(new, "provisioner") != str_of(old, "provisioner") {
        errs.push(FieldError::forbidden(
            Path::new("provisioner"),
            "updates to provisioner are forbidden.",
        ));
    }
    if str_or(new, "reclaimPolicy", "Delete") != str_or(old, "reclaimPolicy", "Delete") {
        errs.push(FieldError::forbidden(
            Path::new("reclaimPolicy"),
            "updates to reclaimPolicy are forbidden.",
        ));
    }
    let (nm, om) = (
        str_or(new, "volumeBindingMode", "Immediate"),
        str_or(old, "volumeBindingMode", "Immediate"),
    );
    if nm != om {
        errs.push(FieldError::invalid(
            Path::new("volumeBindingMode"),
            nm,
            IMMUTABLE,
        ));
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// CSIDriver

pub fn validate_csi_driver(d: &Value) -> Vec<FieldError> {
    let meta = child(d, "metadata");
    let mut errs = validate_csi_driver_name(str_of(meta, "name"), &Path::new("name"));
    errs.extend(kube_meta(
        meta,
        false,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    ));
    let spec = child(d, "spec");
    let sp = Path::new("spec");
    for (i, mode) in strings(spec, "volumeLifecycleModes")
        .into_iter()
        .enumerate()
    {
        if mode != "Persistent" && mode != "Ephemeral" {
            errs.push(FieldError::not_supported(
                sp.child("volumeLifecycleModes").index(i),
                mode,
                &["Ephemeral", "Persistent"],
            ));
        }
    }
    if let Some(p) = opt_str(spec, "fsGroupPolicy") {
        const POLICIES: &[&str] = &["File", "None", "ReadWriteOnceWithFSType"];
        if !POLICIES.contains(&p) {
            errs.push(FieldError::not_supported(
                sp.child("fsGroupPolicy"),
                p,
                POLICIES,
            ));
        }
    }
    let mut audiences: Vec<&str> = Vec::new();
    for (i, t) in arr(spec, "tokenRequests").iter().enumerate() {
        let tp = sp.child("tokenRequests").index(i);
        let aud = str_of(t, "audience");
        if audiences.contains(&aud) {
            errs.push(FieldError::duplicate(tp.child("audience"), aud));
        }
        audiences.push(aud);
        if let Some(e) = int(t, "expirationSeconds") {
            if e < 600 {
                errs.push(FieldError::invalid(
                    tp.child("expirationSeconds"),
                    e,
                    "may not specify a duration less than 10 minutes",
                ));
            }
            if e > 1 << 32 {
                errs.push(FieldError::invalid(
                    tp.child("expirationSeconds"),
                    e,
                    "may not specify a duration larger than 2^32 seconds",
                ));
            }
        }
    }
    errs
}

pub fn validate_csi_driver_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_csi_driver(new));
    let (ns, os) = (child(new, "spec"), child(old, "spec"));
    for key in ["attachRequired", "volumeLifecycleModes"] {
        errs.extend(immutable(
            Path::new("spec").child(key),
            child(ns, key),
            child(os, key),
        ));
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// CSINode

pub fn validate_csi_node(n: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(n, "metadata"),
        false,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    let dp = Path::new("spec").child("drivers");
    let mut names: Vec<&str> = Vec::new();
    for (i, d) in arr(child(n, "spec"), "drivers").iter().enumerate() {
        let p = dp.index(i);
        let name = str_of(d, "name");
        errs.extend(validate_csi_driver_name(name, &p.child("name")));
        if names.contains(&name) {
            errs.push(FieldError::duplicate(p.child("name"), name));
        }
        names.push(name);
        let node_id = str_of(d, "nodeID");
        if node_id.is_empty() {
            errs.push(FieldError::required(p.child("nodeID"), ""));
        } else if node_id.len() > 192 {
            errs.push(FieldError::invalid(
                p.child("nodeID"),
                node_id,
                "must be 192 characters or less",
            ));
        }
        for key in strings(d, "topologyKeys") {
            errs.extend(validate_qualified_name(key, &p.child("topologyKeys")));
        }
        if let Some(c) = int(child(d, "allocatable"), "count").filter(|c| *c < 0) {
            errs.push(FieldError::invalid(
                p.child("allocatable").child("count"),
                c,
                "must be greater than or equal to 0",
            ));
        }
    }
    errs
}

pub fn validate_csi_node_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_csi_node(new));
    let dp = Path::new("spec").child("drivers");
    for od in arr(child(old, "spec"), "drivers") {
        for (i, nd) in arr(child(new, "spec"), "drivers").iter().enumerate() {
            if str_of(nd, "name") == str_of(od, "name") {
                for key in ["nodeID", "topologyKeys"] {
                    if !same(child(nd, key), child(od, key)) {
                        errs.push(FieldError::invalid(
                            dp.index(i).child(key),
                            child(nd, key).clone(),
                            IMMUTABLE,
                        ));
                    }
                }
            }
        }
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// VolumeAttachment

pub fn validate_volume_attachment(va: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(va, "metadata"),
        false,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    let spec = child(va, "spec");
    let sp = Path::new("spec");
    errs.extend(validate_csi_driver_name(
        str_of(spec, "attacher"),
        &sp.child("attacher"),
    ));
    let src = child(spec, "source");
    let (pv, inline) = (
        has(src, "persistentVolumeName"),
        has(src, "inlineVolumeSpec"),
    );
    if pv == inline {
        errs.push(FieldError::required(
            sp.child("source"),
            "must specify exactly one of persistentVolumeName and inlineVolumeSpec",
        ));
    }
    if let Some(name) = opt_str(src, "persistentVolumeName") {
        if name.is_empty() {
            errs.push(FieldError::required(
                sp.child("source").child("persistentVolumeName"),
                "must specify non empty persistentVolumeName",
            ));
        } else {
            errs.extend(dns1123_subdomain(
                name,
                &sp.child("source").child("persistentVolumeName"),
            ));
        }
    }
    let node = str_of(spec, "nodeName");
    if node.is_empty() {
        errs.push(FieldError::required(sp.child("nodeName"), ""));
    } else {
        for m in is_dns1123_subdomain(node) {
            errs.push(FieldError::invalid(sp.child("nodeName"), node, m));
        }
    }
    errs
}

pub fn validate_volume_attachment_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_volume_attachment(new));
    if !same(child(new, "spec"), child(old, "spec")) {
        errs.push(
            FieldError::invalid(
                Path::new("spec"),
                child(new, "spec").clone(),
                "field is immutable",
            )
            .with_value_repr(gorepr::structure(
                "storage.VolumeAttachmentSpec",
                child(new, "spec"),
            )),
        );
    }
    errs
}

pub fn validate_volume_attachment_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    let status = child(new, "status");
    let sp = Path::new("status");
    for key in ["attachError", "detachError"] {
        if let Some(e) = get(status, key)
            && str_of(e, "message").len() > 1024
        {
            errs.push(FieldError::too_long(sp.child(key).child("message"), 1024));
        }
    }
    let meta_size: usize = map_of(status, "attachmentMetadata")
        .iter()
        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
        .sum();
    if meta_size > 256 * 1024 {
        errs.push(FieldError::too_long(
            sp.child("attachmentMetadata"),
            256 * 1024,
        ));
    }
    errs
}

// ---------------------------------------------------------------------------------------------
// CSIStorageCapacity

pub fn validate_csi_storage_capacity(c: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(c, "metadata"),
        true,
        NameRule::Dns1123Subdomain,
        &Path::new("metadata"),
    );
    errs.extend(validate_label_selector(
        get(c, "nodeTopology"),
        SelectorOpts::default(),
        &Path::new("nodeTopology"),
    ));
    let sc = str_of(c, "storageClassName");
    if sc.is_empty() {
        errs.push(FieldError::required(Path::new("storageClassName"), ""));
    } else {
        errs.extend(dns1123_subdomain(sc, &Path::new("storageClassName")));
    }
    for key in ["capacity", "maximumVolumeSize"] {
        if let Some(v) = get(c, key) {
            match quantity(v, &Path::new(key)) {
                Ok(q) if q.signum() < 0 => errs.push(FieldError::invalid(
                    Path::new(key),
                    q.to_string(),
                    "must be greater than or equal to 0",
                )),
                Ok(_) => {}
                Err(e) => errs.push(e),
            }
        }
    }
    errs
}

pub fn validate_csi_storage_capacity_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_csi_storage_capacity(new));
    for key in ["storageClassName", "nodeTopology"] {
        errs.extend(immutable(Path::new(key), child(new, key), child(old, key)));
    }
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
    fn storage_classes() {
        let ok = json!({"metadata": {"name": "local-path"}, "provisioner": "rancher.io/local-path", "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"});
        assert!(validate_storage_class(&ok).is_empty());
        let bad = json!({"metadata": {"name": "x"}, "reclaimPolicy": "Recycle", "volumeBindingMode": "Later"});
        assert_eq!(
            msgs(validate_storage_class(&bad)),
            vec![
                "provisioner: Required value",
                "reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\"",
                "volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", \"WaitForFirstConsumer\"",
            ]
        );
        let mut old = ok.clone();
        old["metadata"]["resourceVersion"] = json!("1");
        let mut new = old.clone();
        new["provisioner"] = json!("other.io/p");
        new["parameters"] = json!({"a": "b"});
        assert_eq!(
            msgs(validate_storage_class_update(&new, &old)),
            vec![
                "parameters: Forbidden: updates to parameters are forbidden.",
                "provisioner: Forbidden: updates to provisioner are forbidden."
            ]
        );
    }

    #[test]
    fn attachments_and_drivers() {
        let va = json!({"metadata": {"name": "va"}, "spec": {"attacher": "csi.example.com", "source": {}, "nodeName": ""}});
        assert_eq!(
            msgs(validate_volume_attachment(&va)),
            vec![
                "spec.source: Required value: must specify exactly one of persistentVolumeName and inlineVolumeSpec",
                "spec.nodeName: Required value",
            ]
        );
        let d = json!({"metadata": {"name": "Bad_Driver"}, "spec": {}});
        assert_eq!(msgs(validate_csi_driver(&d)).len(), 2);
    }
}
