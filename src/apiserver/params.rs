//! Query parameters of API requests.

use super::error::{ApiError, ApiResult};

#[derive(Clone, Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValidation {
    Strict,
    Warn,
    Ignore,
}

impl Params {
    pub fn parse(query: Option<&str>) -> Self {
        Params {
            pairs: query
                .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default(),
        }
    }

    /// The last value of a parameter (upstream takes the first for most; clients send one).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true" | "1"))
    }

    pub fn int(&self, name: &str) -> ApiResult<Option<i64>> {
        self.non_empty(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::bad_request(format!("invalid value {v:?} for parameter {name}"))
                })
            })
            .transpose()
    }

    /// `dryRun=All` (any other value is refused, as upstream does).
    pub fn dry_run(&self) -> ApiResult<bool> {
        let values: Vec<&str> = self
            .pairs
            .iter()
            .filter(|(k, _)| k == "dryRun")
            .map(|(_, v)| v.as_str())
            .collect();
        match values.as_slice() {
            [] => Ok(false),
            ["All"] => Ok(true),
            other => Err(ApiError::bad_request(format!(
                "Invalid dryRun value: {:?}: supported values: \"All\"",
                other.join(",")
            ))),
        }
    }

    pub fn field_validation(&self) -> ApiResult<FieldValidation> {
        match self.non_empty("fieldValidation") {
            None => Ok(FieldValidation::Warn),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some("Warn") => Ok(FieldValidation::Warn),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation parameter {other:?} is not supported: supported values: \"Ignore\", \"Strict\", \"Warn\""
            ))),
        }
    }

    /// The field manager of a write, defaulted from the user agent as upstream does.
    pub fn field_manager(&self, user_agent: Option<&str>) -> ApiResult<String> {
        match self.non_empty("fieldManager") {
            Some(m) if m.len() > 128 => Err(ApiError::bad_request(
                "fieldManager must not be longer than 128 characters",
            )),
            Some(m) => Ok(m.to_owned()),
            None => Ok(user_agent
                .and_then(|ua| ua.split('/').next())
                .filter(|s| !s.is_empty())
                .unwrap_or("unknown")
                .to_owned()),
        }
    }
}
