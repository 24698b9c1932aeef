//! PLACEHOLDER until the validation module lands.
use serde_json::Value;

use super::field::FieldError;

pub fn validate_create(_group: &str, _version: &str, _kind: &str, _obj: &Value) -> Vec<FieldError> {
    Vec::new()
}

pub fn validate_update(
    _group: &str,
    _version: &str,
    _kind: &str,
    _new: &Value,
    _old: &Value,
) -> Vec<FieldError> {
    Vec::new()
}

pub fn validate_status_update(
    _group: &str,
    _version: &str,
    _kind: &str,
    _new: &Value,
    _old: &Value,
) -> Vec<FieldError> {
    Vec::new()
}
