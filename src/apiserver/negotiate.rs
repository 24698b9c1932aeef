//! Content negotiation: what the client sent (JSON, YAML, protobuf, patches) and what it wants back
//! (objects, Tables, partial object metadata).

use bytes::Bytes;
use serde_json::Value;

use super::error::ApiError;

/// The response representation asked for in `Accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Object,
    /// `as=Table` with `includeObject` (None, Metadata (default), Object).
    Table,
    /// `as=PartialObjectMetadata` / `as=PartialObjectMetadataList`.
    Metadata,
}

/// Picks the first representation of `Accept` we can produce, in the client's order.
pub fn output(accept: Option<&str>) -> Output {
    let Some(accept) = accept else {
        return Output::Object;
    };
    for media in accept.split(',') {
        let mut parts = media.split(';').map(str::trim);
        let base = parts.next().unwrap_or_default();
        let mut as_ = None;
        let mut group = None;
        for p in parts {
            match p.split_once('=') {
                Some(("as", v)) => as_ = Some(v),
                Some(("g", v)) => group = Some(v),
                _ => {}
            }
        }
        if !matches!(
            base,
            "application/json" | "*/*" | "application/*" | "application/yaml"
        ) {
            continue;
        }
        match (as_, group) {
            (Some("Table"), Some("meta.k8s.io")) => return Output::Table,
            (Some("PartialObjectMetadata" | "PartialObjectMetadataList"), Some("meta.k8s.io")) => {
                return Output::Metadata;
            }
            (None, _) => return Output::Object,
            _ => continue,
        }
    }
    Output::Object
}

/// The request body formats we decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Yaml,
    Protobuf,
}

pub fn body_format(content_type: Option<&str>) -> Result<BodyFormat, ApiError> {
    let ct = content_type.unwrap_or("application/json");
    let base = ct.split(';').next().unwrap_or_default().trim();
    match base {
        "application/json" | "" | "*/*" => Ok(BodyFormat::Json),
        "application/yaml" | "application/x-yaml" | "text/yaml" => Ok(BodyFormat::Yaml),
        "application/vnd.kubernetes.protobuf" => Ok(BodyFormat::Protobuf),
        _ => Err(ApiError::unsupported_media_type(ct)),
    }
}

/// Parses a JSON or YAML body into a JSON value; protobuf is decoded by the caller, which knows the
/// expected kind.
pub fn parse_text(format: BodyFormat, body: &Bytes) -> Result<Value, ApiError> {
    match format {
        BodyFormat::Json => parse_json(body),
        BodyFormat::Yaml => parse_yaml(body),
        BodyFormat::Protobuf => Err(ApiError::internal("protobuf bodies are decoded by kind")),
    }
}

pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding JSON body: {e}")))
}

pub fn parse_yaml(body: &[u8]) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("the YAML body is not UTF-8"))?;
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML body: {e}")))?;
    serde_json::to_value(yaml)
        .map_err(|e| ApiError::bad_request(format!("error converting YAML to JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_from_kubectl() {
        let get = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(output(Some(get)), Output::Table);
        assert_eq!(output(Some("application/json")), Output::Object);
        assert_eq!(
            output(Some("application/vnd.kubernetes.protobuf, */*")),
            Output::Object
        );
        assert_eq!(
            output(Some(
                "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
            )),
            Output::Metadata
        );
        assert_eq!(output(None), Output::Object);
    }

    #[test]
    fn bodies() {
        assert_eq!(
            body_format(Some("application/json; charset=utf-8")).unwrap(),
            BodyFormat::Json
        );
        assert_eq!(body_format(None).unwrap(), BodyFormat::Json);
        assert_eq!(body_format(Some("text/plain")).unwrap_err().code, 415);
        assert_eq!(parse_json(b"{").unwrap_err().code, 400);
        let deep = "[".repeat(10_000);
        assert_eq!(parse_json(deep.as_bytes()).unwrap_err().code, 400);
        assert_eq!(
            parse_yaml(b"a: [1, 2]\nb: {c: d}").unwrap(),
            serde_json::json!({"a": [1, 2], "b": {"c": "d"}})
        );
        assert_eq!(parse_yaml(b"a: [").unwrap_err().code, 400);
    }
}
