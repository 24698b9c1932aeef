//! PLACEHOLDER until the defaults module lands.
pub fn apply(_group: &str, _version: &str, _kind: &str, _obj: &mut serde_json::Value) {}
