//! PLACEHOLDER until the protobuf module lands.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

#[derive(Debug, thiserror::Error)]
pub enum ProtobufError {
    #[error("protobuf request bodies are not supported yet")]
    Unsupported,
}

pub fn decode(
    _body: &[u8],
    _expected: (&str, &str, &str),
) -> Result<serde_json::Value, ProtobufError> {
    Err(ProtobufError::Unsupported)
}
