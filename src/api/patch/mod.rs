//! PLACEHOLDER until the patch module lands (json, merge, strategic).
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    Strategic,
}

impl PatchType {
    pub fn from_content_type(ct: &str) -> Option<Self> {
        match ct.split(';').next().unwrap_or_default().trim() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("{0}")]
    Invalid(String),
    #[error("strategic merge patch is not supported for {0}")]
    StrategicUnsupported(String),
}

pub fn apply(
    pt: PatchType,
    doc: &Value,
    patch: &Value,
    _gvk: (&str, &str, &str),
) -> Result<Value, PatchError> {
    let mut out = doc.clone();
    match pt {
        PatchType::Json => {
            let p: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|e| PatchError::Invalid(e.to_string()))?;
            json_patch::patch(&mut out, &p).map_err(|e| PatchError::Invalid(e.to_string()))?;
        }
        PatchType::Merge | PatchType::Strategic => json_patch::merge(&mut out, patch),
    }
    Ok(out)
}
