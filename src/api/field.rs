//! Field errors, shaped like upstream's `field.Error`: a path such as `spec.containers[0].name`,
//! a type, the offending value and a detail. They become the `causes` of a 422 `Status`.

use std::fmt;

use serde_json::Value;

/// A path to a field: `spec.containers[0].name`, `metadata.labels[app]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path(String);

impl Path {
    pub fn root() -> Self {
        Path(String::new())
    }

    pub fn new(name: &str) -> Self {
        Path(name.to_owned())
    }

    /// `spec` → `spec.template`
    pub fn child(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Path(name.to_owned())
        } else {
            Path(format!("{}.{name}", self.0))
        }
    }

    /// `spec.containers` → `spec.containers[0]`
    pub fn index(&self, i: usize) -> Self {
        Path(format!("{}[{i}]", self.0))
    }

    /// `metadata.labels` → `metadata.labels[app]`
    pub fn key(&self, key: &str) -> Self {
        Path(format!("{}[{key}]", self.0))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorType {
    Required,
    Invalid,
    /// A value of the wrong JSON type (`field.TypeInvalid`): printed like `Invalid`, its own
    /// cause reason.
    TypeInvalid,
    NotSupported,
    Duplicate,
    Forbidden,
    TooLong,
    TooMany,
    NotFound,
    Internal,
}

impl ErrorType {
    /// The `reason` of a Status cause, as upstream names it.
    pub fn cause_reason(self) -> &'static str {
        match self {
            ErrorType::Required => "FieldValueRequired",
            ErrorType::Invalid => "FieldValueInvalid",
            ErrorType::TypeInvalid => "FieldValueTypeInvalid",
            ErrorType::NotSupported => "FieldValueNotSupported",
            ErrorType::Duplicate => "FieldValueDuplicate",
            ErrorType::Forbidden => "FieldValueForbidden",
            ErrorType::TooLong => "FieldValueTooLong",
            ErrorType::TooMany => "FieldValueTooMany",
            ErrorType::NotFound => "FieldValueNotFound",
            ErrorType::Internal => "InternalError",
        }
    }

    fn label(self) -> &'static str {
        match self {
            ErrorType::Required => "Required value",
            ErrorType::Invalid | ErrorType::TypeInvalid => "Invalid value",
            ErrorType::NotSupported => "Unsupported value",
            ErrorType::Duplicate => "Duplicate value",
            ErrorType::Forbidden => "Forbidden",
            ErrorType::TooLong => "Too long",
            ErrorType::TooMany => "Too many",
            ErrorType::NotFound => "Not found",
            ErrorType::Internal => "Internal error",
        }
    }
}

/// One invalid field.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    pub kind: ErrorType,
    pub field: Path,
    /// The offending value, when the message shows it.
    pub value: Option<Value>,
    /// The value as upstream prints it when it is not a plain JSON value: Go's `%#v` of a struct,
    /// slice or typed map (`map[string]string{"app":"web"}`,
    /// `v1.LabelSelector{MatchLabels:…}`). Takes precedence over `value` in messages.
    pub value_repr: Option<String>,
    pub detail: String,
}

impl FieldError {
    pub fn required(field: Path, detail: impl Into<String>) -> Self {
        FieldError {
            kind: ErrorType::Required,
            field,
            value: None,
            value_repr: None,
            detail: detail.into(),
        }
    }

    pub fn invalid(field: Path, value: impl Into<Value>, detail: impl Into<String>) -> Self {
        FieldError {
            kind: ErrorType::Invalid,
            field,
            value: Some(value.into()),
            value_repr: None,
            detail: detail.into(),
        }
    }

    /// `supported` lists the accepted values; they end up in the detail as upstream prints them.
    pub fn not_supported(field: Path, value: impl Into<Value>, supported: &[&str]) -> Self {
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        FieldError {
            kind: ErrorType::NotSupported,
            field,
            value: Some(value.into()),
            value_repr: None,
            detail,
        }
    }

    pub fn duplicate(field: Path, value: impl Into<Value>) -> Self {
        FieldError {
            kind: ErrorType::Duplicate,
            field,
            value: Some(value.into()),
            value_repr: None,
            detail: String::new(),
        }
    }

    pub fn forbidden(field: Path, detail: impl Into<String>) -> Self {
        FieldError {
            kind: ErrorType::Forbidden,
            field,
            value: None,
            value_repr: None,
            detail: detail.into(),
        }
    }

    pub fn too_long(field: Path, max: usize) -> Self {
        FieldError {
            kind: ErrorType::TooLong,
            field,
            value: None,
            value_repr: None,
            detail: format!("may not be more than {max} bytes"),
        }
    }

    pub fn too_many(field: Path, actual: usize, max: usize) -> Self {
        FieldError {
            kind: ErrorType::TooMany,
            field,
            value: Some(Value::from(actual)),
            value_repr: None,
            detail: format!("must have at most {max} items"),
        }
    }

    pub fn not_found(field: Path, value: impl Into<Value>) -> Self {
        FieldError {
            kind: ErrorType::NotFound,
            field,
            value: Some(value.into()),
            value_repr: None,
            detail: String::new(),
        }
    }

    pub fn internal(field: Path, detail: impl Into<String>) -> Self {
        FieldError {
            kind: ErrorType::Internal,
            field,
            value: None,
            value_repr: None,
            detail: detail.into(),
        }
    }

    /// Replace the printed value by its Go-syntax representation (see `value_repr`).
    pub fn with_value_repr(mut self, repr: impl Into<String>) -> Self {
        self.value_repr = Some(repr.into());
        self
    }

    /// The message without the field path: `Invalid value: "Foo": must be lowercase`.
    pub fn body(&self) -> String {
        let mut s = self.kind.label().to_owned();
        let shows_value = matches!(
            self.kind,
            ErrorType::Invalid
                | ErrorType::TypeInvalid
                | ErrorType::NotSupported
                | ErrorType::Duplicate
                | ErrorType::NotFound
                | ErrorType::TooMany
        );
        if shows_value {
            s.push_str(": ");
            match &self.value_repr {
                Some(repr) => s.push_str(repr),
                None => s.push_str(&render_value(self.value.as_ref().unwrap_or(&Value::Null))),
            }
        }
        if !self.detail.is_empty() {
            s.push_str(": ");
            s.push_str(&self.detail);
        }
        s
    }
}

/// `path: body`, as upstream's `Error()`, which keeps the separator even for the root path
/// (`: Too long: may not be more than 1048576 bytes`).
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.body())
    }
}

/// Go's `%q` of a string: printable characters kept, control characters escaped as Go does
/// (`\n`, `\x01`, `\u2028`).
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{feff}' => {
                if (c as u32) > 0xffff {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                } else {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Values print as upstream's `ErrorBody` would: strings quoted (`%q`), numbers and booleans bare,
/// a nil pointer as `"null"`, string maps as Go's `%#v` of a `map[string]string`.
fn render_value(v: &Value) -> String {
    match v {
        Value::String(s) => go_quote(s),
        Value::Null => "\"null\"".to_owned(),
        Value::Object(map) if map.values().all(Value::is_string) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let body: Vec<String> = keys
                .iter()
                .map(|k| {
                    let v = map[k.as_str()].as_str().unwrap_or_default();
                    format!("{}:{}", go_quote(k), go_quote(v))
                })
                .collect();
            format!("map[string]string{{{}}}", body.join(", "))
        }
        other => other.to_string(),
    }
}

/// Upstream's aggregate message: one error bare, several in brackets.
pub fn aggregate(errors: &[FieldError]) -> String {
    match errors {
        [one] => one.to_string(),
        many => format!(
            "[{}]",
            many.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_upstream() {
        let p = Path::new("spec").child("containers").index(0).child("name");
        assert_eq!(p.as_str(), "spec.containers[0].name");
        assert_eq!(
            FieldError::required(p.clone(), "").to_string(),
            "spec.containers[0].name: Required value"
        );
        assert_eq!(
            FieldError::invalid(
                Path::new("metadata").child("name"),
                "Foo",
                "must be lowercase"
            )
            .to_string(),
            "metadata.name: Invalid value: \"Foo\": must be lowercase"
        );
        assert_eq!(
            FieldError::not_supported(
                Path::new("spec").child("restartPolicy"),
                "Sometimes",
                &["Always", "Never"]
            )
            .to_string(),
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"Never\""
        );
        assert_eq!(
            FieldError::invalid(
                Path::new("spec").child("replicas"),
                -1,
                "must be greater than or equal to 0"
            )
            .to_string(),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        assert_eq!(
            Path::new("metadata").child("labels").key("app").as_str(),
            "metadata.labels[app]"
        );
        let two = [
            FieldError::required(Path::new("a"), ""),
            FieldError::forbidden(Path::new("b"), "no"),
        ];
        assert_eq!(aggregate(&two), "[a: Required value, b: Forbidden: no]");
    }

    #[test]
    fn values_print_like_upstream() {
        assert_eq!(go_quote("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\x01é\"");
        assert_eq!(
            FieldError::too_long(Path::root(), 1048576).to_string(),
            ": Too long: may not be more than 1048576 bytes"
        );
        assert_eq!(
            FieldError::invalid(
                Path::new("spec")
                    .child("template")
                    .child("metadata")
                    .child("labels"),
                serde_json::json!({"app": "web", "tier": "fe"}),
                "`selector` does not match template `labels`"
            )
            .to_string(),
            "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\", \"tier\":\"fe\"}: `selector` does not match template `labels`"
        );
        assert_eq!(
            FieldError::invalid(Path::new("a"), Value::Null, "x").to_string(),
            "a: Invalid value: \"null\": x"
        );
        assert_eq!(
            FieldError::invalid(Path::new("spec").child("selector"), Value::Null, "field is immutable")
                .with_value_repr("v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}")
                .to_string(),
            "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
        );
        assert_eq!(
            FieldError::too_many(Path::new("rules"), 21, 20).to_string(),
            "rules: Too many: 21: must have at most 20 items"
        );
    }
}
