//! certificates.k8s.io/v1 CertificateSigningRequest (`pkg/apis/certificates/validation`).

use base64::Engine;
use serde_json::Value;
use x509_parser::prelude::FromDer;

use super::json::{arr, child, int, str_of};
use super::names::{is_dns1123_label, is_dns1123_subdomain};
use super::{NameRule, kube_meta, meta_update};
use crate::api::field::{FieldError, Path};

const USAGES: &[&str] = &[
    "any",
    "cert sign",
    "client auth",
    "code signing",
    "content commitment",
    "crl sign",
    "data encipherment",
    "decipher only",
    "digital signature",
    "email protection",
    "encipher only",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "key agreement",
    "key encipherment",
    "microsoft sgc",
    "netscape sgc",
    "ocsp signing",
    "s/mime",
    "server auth",
    "signing",
    "timestamping",
];

/// Go's `%#v` of a byte slice.
fn go_bytes(b: &[u8]) -> String {
    let items: Vec<String> = b.iter().map(|x| format!("0x{x:x}")).collect();
    format!("[]byte{{{}}}", items.join(", "))
}

/// Parse and verify a PEM-encoded certificate request; the error mirrors Go's.
fn check_csr(pem: &[u8]) -> Result<(), String> {
    let block = x509_parser::pem::parse_x509_pem(pem)
        .ok()
        .map(|(_, p)| p)
        .filter(|p| p.label == "CERTIFICATE REQUEST")
        .ok_or_else(|| "PEM block type must be CERTIFICATE REQUEST".to_owned())?;
    let (_, csr) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&block.contents)
            .map_err(|e| format!("x509: malformed certificate request: {e}"))?;
    csr.verify_signature()
        .map_err(|_| "x509: signature verification failure".to_owned())
}

/// `ValidateSignerName`.
pub fn validate_signer_name(path: &Path, name: &str) -> Vec<FieldError> {
    if name.is_empty() {
        return vec![FieldError::required(path.clone(), "")];
    }
    let segments: Vec<&str> = name.split('/').collect();
    if segments.len() != 2 {
        return vec![FieldError::invalid(
            path.clone(),
            name,
            "must be a fully qualified domain and path of the form 'example.com/signer-name'",
        )];
    }
    let (domain, signer_path) = (segments[0], segments[1]);
    let mut errs = Vec::new();
    if domain.len() > 253 {
        errs.push(FieldError::too_long(path.clone(), 253));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    for label in &labels {
        let msgs = is_dns1123_label(label);
        if !msgs.is_empty() {
            for m in msgs {
                errs.push(FieldError::invalid(
                    path.clone(),
                    domain,
                    format!("validating label {label:?}: {m}"),
                ));
            }
            break;
        }
    }
    if labels.len() < 2 {
        errs.push(FieldError::invalid(
            path.clone(),
            domain,
            "should be a domain with at least two segments separated by dots",
        ));
    }
    if signer_path.len() > 63 + 253 {
        errs.push(FieldError::too_long(path.clone(), 63 + 253));
    }
    for component in signer_path.split('.') {
        let msgs = is_dns1123_subdomain(component);
        if !msgs.is_empty() {
            for m in msgs {
                errs.push(FieldError::invalid(
                    path.clone(),
                    signer_path,
                    format!("validating component {component:?}: {m}"),
                ));
            }
            break;
        }
    }
    errs
}

fn validate_conditions(csr: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let p = Path::new("status").child("conditions");
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in arr(child(csr, "status"), "conditions").iter().enumerate() {
        let ty = str_of(c, "type");
        let cp = p.index(i);
        if ty.is_empty() {
            errs.push(FieldError::required(cp.child("type"), ""));
        }
        let status = str_of(c, "status");
        if !["True", "False", "Unknown"].contains(&status) {
            errs.push(FieldError::not_supported(
                cp.child("status"),
                status,
                &["False", "True", "Unknown"],
            ));
        }
        if ["Approved", "Denied", "Failed"].contains(&ty) {
            if seen.contains(&ty) {
                errs.push(FieldError::duplicate(cp.child("type"), ty));
            }
            seen.push(ty);
        }
    }
    if seen.contains(&"Approved") && seen.contains(&"Denied") {
        let mut e = FieldError::invalid(
            p,
            Value::Null,
            "Approved and Denied conditions are mutually exclusive",
        );
        e.value_repr = Some(std::mem::take(&mut e.detail));
        errs.push(e);
    }
    errs
}

pub fn validate_csr(csr: &Value) -> Vec<FieldError> {
    let mut errs = kube_meta(
        child(csr, "metadata"),
        false,
        NameRule::PathSegment,
        &Path::new("metadata"),
    );
    let spec = child(csr, "spec");
    let sp = Path::new("spec");
    let request = base64::engine::general_purpose::STANDARD
        .decode(str_of(spec, "request"))
        .unwrap_or_default();
    if let Err(e) = check_csr(&request) {
        errs.push(
            FieldError::invalid(sp.child("request"), Value::Null, e)
                .with_value_repr(go_bytes(&request)),
        );
    }
    let usages: Vec<&str> = arr(spec, "usages")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if usages.is_empty() {
        errs.push(FieldError::required(sp.child("usages"), ""));
    }
    for (i, u) in usages.iter().enumerate() {
        if !USAGES.contains(u) {
            errs.push(FieldError::not_supported(
                sp.child("usages").index(i),
                *u,
                USAGES,
            ));
        }
    }
    for (i, u) in usages.iter().enumerate() {
        if usages[..i].contains(u) {
            errs.push(FieldError::duplicate(sp.child("usages").index(i), *u));
        }
    }
    let signer = str_of(spec, "signerName");
    if signer == "kubernetes.io/legacy-unknown" {
        errs.push(FieldError::invalid(
            sp.child("signerName"),
            signer,
            "the legacy signerName is not allowed via this API version",
        ));
    } else {
        errs.extend(validate_signer_name(&sp.child("signerName"), signer));
    }
    if let Some(e) = int(spec, "expirationSeconds").filter(|e| *e < 600) {
        errs.push(FieldError::invalid(
            sp.child("expirationSeconds"),
            e,
            "may not specify a duration less than 600 seconds (10 minutes)",
        ));
    }
    errs.extend(validate_conditions(csr));
    errs
}

pub fn validate_csr_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_csr(new));
    errs
}

pub fn validate_csr_status_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = meta_update(new, old);
    errs.extend(validate_conditions(new));
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msgs(errs: Vec<FieldError>) -> Vec<String> {
        errs.into_iter().map(|e| e.to_string()).collect()
    }

    fn csr_pem() -> String {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["node".to_owned()]).expect("params");
        params
            .serialize_request(&key)
            .expect("csr")
            .pem()
            .expect("pem")
    }

    #[test]
    fn csrs() {
        let request = base64::engine::general_purpose::STANDARD.encode(csr_pem());
        let csr = |spec: Value| json!({"metadata": {"name": "node-csr"}, "spec": spec});
        assert!(validate_csr(&csr(json!({"request": request, "signerName": "kubernetes.io/kube-apiserver-client", "usages": ["client auth"]}))).is_empty());
        let got = msgs(validate_csr(&csr(
            json!({"request": base64::engine::general_purpose::STANDARD.encode("hi"), "signerName": "example", "usages": ["client auth", "flying", "client auth"], "expirationSeconds": 60}),
        )));
        assert_eq!(
            got[0],
            "spec.request: Invalid value: []byte{0x68, 0x69}: PEM block type must be CERTIFICATE REQUEST"
        );
        assert!(got[1].starts_with("spec.usages[1]: Unsupported value: \"flying\": supported values: \"any\", \"cert sign\""));
        assert_eq!(got[2], "spec.usages[2]: Duplicate value: \"client auth\"");
        assert_eq!(
            got[3],
            "spec.signerName: Invalid value: \"example\": must be a fully qualified domain and path of the form 'example.com/signer-name'"
        );
        assert_eq!(
            got[4],
            "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)"
        );
        assert_eq!(
            validate_signer_name(&Path::new("s"), "example.com/my-signer"),
            vec![]
        );
        assert_eq!(
            msgs(validate_signer_name(&Path::new("s"), "localhost/x")),
            vec![
                "s: Invalid value: \"localhost\": should be a domain with at least two segments separated by dots"
            ]
        );
    }
}
