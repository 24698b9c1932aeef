//! kube-openapi's schema validator (`k8s.io/kube-openapi/pkg/validation/validate`, as vendored
//! by Kubernetes 1.33) run on custom resources, with apiextensions-apiserver's translation of its
//! results into field errors and its validation ratcheting for updates.
//!
//! The shape of upstream's algorithm is kept on purpose, down to its quirks: the order in which
//! the validators of a node run, the de-duplication of identical messages, the "match count"
//! that picks which failing `anyOf`/`oneOf` branch gets reported, the `in body` messages and the
//! Go-printed values. Properties are visited in name order (upstream's order is Go's random map
//! order).

use serde_json::{Map, Value};

use super::formats;
use super::gofmt::{GoNum, error_value, go_float, go_json, plain_v};
use super::pattern;
use super::schema::{
    Additional, additional, float_of, int_of, items, list, list_map_keys, list_type, nullable,
    properties, str_of, types,
};
use crate::api::field::{ErrorType, FieldError, Path, go_quote};

/// kube-openapi's error codes (those a CRD schema can produce).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Code {
    InvalidType,
    Required,
    TooLong,
    Enum,
    MaxItems,
    TooManyProperties,
    /// Every other code becomes a plain `Invalid value`.
    Other,
}

#[derive(Clone, Debug)]
enum OErr {
    /// An `errors.Validation`: a code, the (dotted) name of the field, the offending value.
    Validation {
        code: Code,
        name: String,
        value: Option<Value>,
        /// The limit of `maxLength`/`maxItems`/`maxProperties` errors.
        valid: i64,
        /// The allowed values of an `enum` error.
        values: Vec<Value>,
        message: String,
    },
    /// A plain error (the `anyOf`/`oneOf`/`allOf`/`not` messages).
    Plain(String),
}

impl OErr {
    fn message(&self) -> &str {
        match self {
            OErr::Validation { message, .. } | OErr::Plain(message) => message,
        }
    }

    fn new(code: Code, name: &str, value: Option<Value>, message: String) -> OErr {
        OErr::Validation {
            code,
            name: name.to_owned(),
            value,
            valid: -1,
            values: Vec::new(),
            message,
        }
    }

    fn with_valid(mut self, limit: i64) -> OErr {
        if let OErr::Validation { valid, .. } = &mut self {
            *valid = limit;
        }
        self
    }
}

/// A `validate.Result`: errors (de-duplicated by message) and the match count.
#[derive(Debug, Default)]
struct Res {
    errors: Vec<OErr>,
    count: usize,
}

impl Res {
    fn err(e: OErr) -> Res {
        Res {
            errors: vec![e],
            count: 0,
        }
    }

    fn ok1() -> Res {
        Res {
            errors: Vec::new(),
            count: 1,
        }
    }

    fn add(&mut self, e: OErr) {
        if !self.errors.iter().any(|x| x.message() == e.message()) {
            self.errors.push(e);
        }
    }

    fn merge(&mut self, other: Res) {
        for e in other.errors {
            self.add(e);
        }
        self.count += other.count;
    }

    fn inc(&mut self) {
        self.count += 1;
    }

    fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

// ---- upstream's error constructors (`errors/schema.go`), always `in body` ----

fn invalid_type(name: &str, type_name: &str, value: &str) -> OErr {
    OErr::new(
        Code::InvalidType,
        name,
        Some(Value::from(value)),
        format!(
            "{name} in body must be of type {type_name}: {}",
            go_quote(value)
        ),
    )
}

fn required(name: &str) -> OErr {
    OErr::new(
        Code::Required,
        name,
        None,
        format!("{name} in body is required"),
    )
}

fn num_v(n: GoNum) -> String {
    match n {
        GoNum::Int(i) => i.to_string(),
        GoNum::Float(f) => go_float(f),
    }
}

fn num_value(n: GoNum) -> Value {
    match n {
        GoNum::Int(i) => Value::from(i),
        GoNum::Float(f) => Value::from(f),
    }
}

/// `IsFloat64AJSONInteger` of go-openapi/swag.
fn is_json_integer(f: f64) -> bool {
    const LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
    if !f.is_finite() || !(-LIMIT..=LIMIT).contains(&f) {
        return false;
    }
    if f.fract() == 0.0 {
        return true;
    }
    if f < 0.0 {
        return false;
    }
    let g = f.trunc();
    let diff = (f - g).abs();
    if g == 0.0 {
        return diff < 1e-9 * f64::from_bits(1);
    }
    diff / (f.abs() + g.abs()) < 1e-9
}

// ---- correlation of old values (ratcheting) ----

/// The old value of a field, for ratcheting, when it can be correlated.
fn key_corr<'a>(old: Option<&'a Value>, parent_path: &str, key: &str) -> Option<&'a Value> {
    if parent_path.is_empty() && (key == "kind" || key == "apiVersion") {
        return None;
    }
    old?.as_object()?.get(key)
}

/// The element of an old list-type=map list with the same keys as `new`.
fn map_list_match<'a>(s: &Value, old: &'a [Value], new: &Value) -> Option<&'a Value> {
    let keys = list_map_keys(s);
    let key_of = |v: &Value| -> Option<Vec<Option<Value>>> {
        let obj = v.as_object()?;
        Some(keys.iter().map(|k| obj.get(*k).cloned()).collect())
    };
    let want = key_of(new)?;
    old.iter().find(|o| key_of(o).as_ref() == Some(&want))
}

fn index_corr<'a>(s: &Value, old: Option<&'a Value>, new: &Value) -> Option<&'a Value> {
    if list_type(s) != "map" {
        return None;
    }
    map_list_match(s, old?.as_array()?, new)
}

/// `CorrelatedObject.CachedDeepEqual`: equality where map-type lists correlate by key and fields
/// without a schema never compare equal.
fn deep_equal(s: Option<&Value>, new: &Value, old: &Value) -> bool {
    match (new, old) {
        (Value::Null, Value::Null) => true,
        (Value::Array(n), Value::Array(o)) => {
            if n.len() != o.len() {
                return false;
            }
            let Some(s) = s else {
                return n == o;
            };
            let map_list = list_type(s) == "map";
            for v in n {
                let child = if map_list {
                    items(s).and_then(|_| map_list_match(s, o, v))
                } else {
                    None
                };
                match child {
                    None if !map_list => return n == o,
                    None => return false,
                    Some(old_v) => {
                        if !deep_equal(items(s), v, old_v) {
                            return false;
                        }
                    }
                }
            }
            true
        }
        (Value::Object(n), Value::Object(o)) => {
            if n.len() != o.len() {
                return false;
            }
            for (k, v) in n {
                let sub = s.and_then(|s| {
                    properties(s)
                        .and_then(|p| p.get(k))
                        .or_else(|| additional(s).and_then(Additional::schema))
                });
                match (sub, o.get(k)) {
                    (Some(sub), Some(old_v)) => {
                        if !deep_equal(Some(sub), v, old_v) {
                            return false;
                        }
                    }
                    _ => return false,
                }
            }
            true
        }
        (n, o) => n == o,
    }
}

// ---- the validators of one schema node ----

/// A node reached through a property, an additional property or an item: with an old value it
/// ratchets (errors of a node equal to its old value are dropped).
fn validate_field(s: &Value, path: &str, data: &Value, old: Option<&Value>) -> Res {
    let res = validate_schema(s, path, data, old);
    match old {
        Some(old) if !res.is_valid() && deep_equal(Some(s), data, old) => Res {
            errors: Vec::new(),
            count: res.count,
        },
        _ => res,
    }
}

/// `SchemaValidator.Validate`.
fn validate_schema(s: &Value, path: &str, data: &Value, old: Option<&Value>) -> Res {
    let mut res = Res::default();
    let types = types(s);
    let format = formats::effective(str_of(s, "format"));
    if data.is_null() {
        res.merge(validate_type(&types, nullable(s), format, path, data));
        res.merge(validate_enum(s, path, data));
        return res;
    }
    if !types.is_empty() || !format.is_empty() {
        res.merge(validate_type(&types, nullable(s), format, path, data));
        res.inc();
    }
    res.merge(validate_composition(s, path, data, old));
    res.inc();
    if let Value::String(text) = data {
        res.merge(validate_string(s, path, text));
        res.inc();
        if !format.is_empty() {
            if !formats::validates(format, text) {
                res.merge(Res::err(invalid_type(path, format, text)));
            }
            res.inc();
        }
    }
    if let Value::Number(n) = data {
        res.merge(validate_number(s, path, GoNum::of(n)));
        res.inc();
    }
    if let Value::Array(list) = data {
        res.merge(validate_slice(s, path, list, old));
        res.inc();
    }
    res.merge(validate_enum(s, path, data));
    res.inc();
    if let Value::Object(map) = data {
        res.merge(validate_object(s, path, map, old));
        res.inc();
    }
    res.inc();
    res
}

/// The Go type (and format) kube-openapi infers for a decoded value.
fn type_info(data: &Value) -> (&'static str, &'static str) {
    match data {
        Value::Null => ("null", ""),
        Value::Bool(_) => ("boolean", ""),
        Value::String(_) => ("string", ""),
        Value::Number(n) => match GoNum::of(n) {
            GoNum::Int(_) => ("integer", "int64"),
            GoNum::Float(_) => ("number", "float64"),
        },
        Value::Array(_) => ("array", ""),
        Value::Object(_) => ("object", ""),
    }
}

fn validate_type(types: &[&str], nullable: bool, format: &str, path: &str, data: &Value) -> Res {
    let has = |t: &str| types.contains(&t);
    if data.is_null() {
        if !types.is_empty() && !has("null") && !nullable {
            return Res::err(invalid_type(path, &types.join(","), "null"));
        }
        return Res::ok1();
    }
    let (sch_type, sch_format) = type_info(data);
    let is_float_int = match data {
        Value::Number(n) => match GoNum::of(n) {
            GoNum::Float(f) => is_json_integer(f) && has("integer"),
            GoNum::Int(_) => false,
        },
        _ => false,
    };
    let is_int_float = sch_type == "integer" && has("number");
    let str_or_slice = data.is_string() || data.is_array();
    // a non-string value under a format must at least be of an accepted type
    if !(str_or_slice
        || format.is_empty()
        || has(sch_type)
        || sch_format == format
        || is_float_int
        || is_int_float)
    {
        return Res::err(invalid_type(path, format, sch_format));
    }
    // strings (and byte slices) under a format of a non-numeric type are not type-checked
    if str_or_slice && !(has("number") || has("integer") || format.is_empty()) {
        return Res::ok1();
    }
    if !(has(sch_type) || is_float_int || is_int_float) {
        return Res::err(invalid_type(path, &types.join(","), sch_type));
    }
    Res::ok1()
}

/// `allOf`, `anyOf`, `oneOf`, `not` (`schema_props.go`).
fn validate_composition(s: &Value, path: &str, data: &Value, old: Option<&Value>) -> Res {
    let mut main = Res::default();
    let any_of = list(s, "anyOf");
    if !any_of.is_empty() {
        let mut best: Option<Res> = None;
        let mut first_success: Option<Res> = None;
        let mut succeeded = false;
        for sub in any_of {
            let r = validate_schema(sub, path, data, old);
            if r.is_valid() {
                best = None;
                succeeded = true;
                first_success = Some(r);
                break;
            }
            if best.as_ref().is_none_or(|b| r.count > b.count) {
                best = Some(r);
            }
        }
        if !succeeded {
            main.add(OErr::Plain(format!(
                "{} must validate at least one schema (anyOf)",
                go_quote(path)
            )));
        }
        if let Some(b) = best {
            main.merge(b);
        } else if let Some(f) = first_success {
            main.merge(f);
        }
    }
    let one_of = list(s, "oneOf");
    if !one_of.is_empty() {
        let mut best: Option<Res> = None;
        let mut first_success: Option<Res> = None;
        let mut validated = 0;
        for sub in one_of {
            let r = validate_schema(sub, path, data, old);
            if r.is_valid() {
                validated += 1;
                best = None;
                if first_success.is_none() {
                    first_success = Some(r);
                }
                continue;
            }
            if validated == 0 && best.as_ref().is_none_or(|b| r.count > b.count) {
                best = Some(r);
            }
        }
        if validated != 1 {
            let additional = if validated == 0 {
                "Found none valid".to_owned()
            } else {
                format!("Found {validated} valid alternatives")
            };
            main.add(OErr::Plain(format!(
                "{} must validate one and only one schema (oneOf). {additional}",
                go_quote(path)
            )));
            if let Some(b) = best {
                main.merge(b);
            }
        } else if let Some(f) = first_success {
            main.merge(f);
        }
    }
    let all_of = list(s, "allOf");
    if !all_of.is_empty() {
        let mut validated = 0;
        for sub in all_of {
            let r = validate_schema(sub, path, data, old);
            if r.is_valid() {
                validated += 1;
            }
            main.merge(r);
        }
        if validated != all_of.len() {
            let additional = if validated == 0 {
                ". None validated"
            } else {
                ""
            };
            main.add(OErr::Plain(format!(
                "{} must validate all the schemas (allOf){additional}",
                go_quote(path)
            )));
        }
    }
    if let Some(not) = s.get("not").filter(|n| n.is_object())
        && validate_schema(not, path, data, old).is_valid()
    {
        main.add(OErr::Plain(format!(
            "{} must not validate the schema (not)",
            go_quote(path)
        )));
    }
    main.inc();
    main
}

fn validate_string(s: &Value, path: &str, text: &str) -> Res {
    let len = text.chars().count() as i64;
    if let Some(max) = int_of(s, "maxLength")
        && len > max
    {
        return Res::err(
            OErr::new(
                Code::TooLong,
                path,
                Some(Value::from(text)),
                format!("{path} in body should be at most {max} chars long"),
            )
            .with_valid(max),
        );
    }
    if let Some(min) = int_of(s, "minLength")
        && len < min
    {
        return Res::err(OErr::new(
            Code::Other,
            path,
            Some(Value::from(text)),
            format!("{path} in body should be at least {min} chars long"),
        ));
    }
    let pat = str_of(s, "pattern");
    if !pat.is_empty() {
        let shown = match pattern::matches(pat, text) {
            Ok(true) => return Res::default(),
            Ok(false) => pat.to_owned(),
            Err(e) => format!("{pat}, but pattern is invalid: {e}"),
        };
        return Res::err(OErr::new(
            Code::Other,
            path,
            Some(Value::from(text)),
            format!("{path} in body should match '{shown}'"),
        ));
    }
    Res::default()
}

fn validate_number(s: &Value, path: &str, val: GoNum) -> Res {
    let mut res = Res::default();
    let mut multiple = Res::default();
    let mut minimum = Res::default();
    let mut maximum = Res::default();
    let value = Some(num_value(val));
    if let Some(factor) = float_of(s, "multipleOf") {
        let (factor, ok) = match val {
            GoNum::Int(i) => {
                let f = factor as i64;
                (GoNum::Int(f), f <= 0 || i % f == 0)
            }
            GoNum::Float(d) => {
                let mult = if factor < 1.0 {
                    1.0 / factor * d
                } else {
                    d / factor
                };
                (GoNum::Float(factor), factor <= 0.0 || is_json_integer(mult))
            }
        };
        if factor.as_f64() <= 0.0 {
            multiple.add(OErr::new(
                Code::Other,
                path,
                Some(num_value(factor)),
                format!(
                    "factor MultipleOf declared for {path} must be positive: {}",
                    num_v(factor)
                ),
            ));
        } else if !ok {
            multiple.add(OErr::new(
                Code::Other,
                path,
                value.clone(),
                format!("{path} in body should be a multiple of {}", num_v(factor)),
            ));
        }
    }
    let bound = |limit: f64| match val {
        GoNum::Int(_) => GoNum::Int(limit as i64),
        GoNum::Float(_) => GoNum::Float(limit),
    };
    let below = |a: GoNum, b: GoNum| match (a, b) {
        (GoNum::Int(x), GoNum::Int(y)) => x < y,
        (x, y) => x.as_f64() < y.as_f64(),
    };
    if let Some(limit) = float_of(s, "maximum") {
        let max = bound(limit);
        let exclusive = s
            .get("exclusiveMaximum")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let fails = if exclusive {
            !below(val, max)
        } else {
            below(max, val)
        };
        if fails {
            let op = if exclusive {
                "less than"
            } else {
                "less than or equal to"
            };
            maximum.add(OErr::new(
                Code::Other,
                path,
                value.clone(),
                format!("{path} in body should be {op} {}", num_v(max)),
            ));
        }
    }
    if let Some(limit) = float_of(s, "minimum") {
        let min = bound(limit);
        let exclusive = s
            .get("exclusiveMinimum")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let fails = if exclusive {
            !below(min, val)
        } else {
            below(val, min)
        };
        if fails {
            let op = if exclusive {
                "greater than"
            } else {
                "greater than or equal to"
            };
            minimum.add(OErr::new(
                Code::Other,
                path,
                value.clone(),
                format!("{path} in body should be {op} {}", num_v(min)),
            ));
        }
    }
    res.merge(multiple);
    res.merge(minimum);
    res.merge(maximum);
    res.inc();
    res
}

fn validate_slice(s: &Value, path: &str, data: &[Value], old: Option<&Value>) -> Res {
    let mut res = Res::default();
    if let Some(item) = items(s) {
        for (i, v) in data.iter().enumerate() {
            let corr = index_corr(s, old, v);
            res.merge(validate_field(item, &format!("{path}[{i}]"), v, corr));
        }
    }
    let size = data.len() as i64;
    if let Some(min) = int_of(s, "minItems")
        && size < min
    {
        res.add(OErr::new(
            Code::Other,
            path,
            Some(Value::from(size)),
            format!("{path} in body should have at least {min} items"),
        ));
    }
    if let Some(max) = int_of(s, "maxItems")
        && size > max
    {
        res.add(
            OErr::new(
                Code::MaxItems,
                path,
                Some(Value::from(size)),
                format!("{path} in body should have at most {max} items"),
            )
            .with_valid(max),
        );
    }
    if s.get("uniqueItems").and_then(Value::as_bool) == Some(true)
        && data
            .iter()
            .enumerate()
            .any(|(i, v)| data[..i].iter().any(|u| u == v))
    {
        res.add(OErr::new(
            Code::Other,
            path,
            None,
            format!("{path} in body shouldn't contain duplicates"),
        ));
    }
    res.inc();
    res
}

/// Go's `string(rune(i))` for an integer converted to a string.
fn rune_string(i: i64) -> String {
    u32::try_from(i)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{fffd}')
        .to_string()
}

/// Whether `data` equals an `enum` value after Go's reflect conversion to the value's type.
fn enum_matches(data: &Value, allowed: &Value) -> bool {
    match (data, allowed) {
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => match (GoNum::of(a), GoNum::of(b)) {
            (GoNum::Int(x), GoNum::Int(y)) => x == y,
            (GoNum::Int(x), GoNum::Float(y)) => x as f64 == y,
            (GoNum::Float(x), GoNum::Float(y)) => x == y,
            (GoNum::Float(x), GoNum::Int(y)) => x as i64 == y,
        },
        (Value::Number(a), Value::String(b)) => match GoNum::of(a) {
            GoNum::Int(x) => rune_string(x) == *b,
            GoNum::Float(_) => false,
        },
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
            data == allowed
        }
        _ => false,
    }
}

fn validate_enum(s: &Value, path: &str, data: &Value) -> Res {
    let allowed = list(s, "enum");
    if allowed.is_empty() {
        return Res::default();
    }
    if !data.is_null()
        && allowed
            .iter()
            .any(|a| !a.is_null() && enum_matches(data, a))
    {
        return Res::default();
    }
    Res::err(OErr::Validation {
        code: Code::Enum,
        name: path.to_owned(),
        value: Some(data.clone()),
        valid: -1,
        values: allowed.to_vec(),
        message: format!(
            "{path} in body should be one of {}",
            plain_v(&Value::Array(allowed.to_vec()))
        ),
    })
}

fn validate_object(s: &Value, path: &str, data: &Map<String, Value>, old: Option<&Value>) -> Res {
    let mut res = Res::default();
    let size = data.len() as i64;
    if let Some(min) = int_of(s, "minProperties")
        && size < min
    {
        res.add(OErr::new(
            Code::Other,
            path,
            Some(Value::from(size)),
            format!("{path} in body should have at least {min} properties"),
        ));
    }
    if let Some(max) = int_of(s, "maxProperties")
        && size > max
    {
        res.add(
            OErr::new(
                Code::TooManyProperties,
                path,
                Some(Value::from(size)),
                format!("{path} in body should have at most {max} properties"),
            )
            .with_valid(max),
        );
    }
    let props = properties(s);
    let is_property = |k: &str| props.is_some_and(|p| p.contains_key(k));
    match additional(s) {
        Some(Additional::Bool(false)) => {
            for k in data.keys().filter(|k| !is_property(k)) {
                res.add(OErr::new(
                    Code::Other,
                    path,
                    Some(Value::from(k.as_str())),
                    format!("{path}.{k} in body is a forbidden property"),
                ));
            }
        }
        Some(Additional::Schema(add)) => {
            for (k, v) in data.iter().filter(|(k, _)| !is_property(k)) {
                let corr = key_corr(old, path, k);
                res.merge(validate_field(add, &format!("{path}.{k}"), v, corr));
            }
        }
        Some(Additional::Bool(true)) | None => {}
    }
    if let Some(props) = props {
        for (name, prop) in props {
            if let Some(v) = data.get(name) {
                let child = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                let corr = key_corr(old, path, name);
                res.merge(validate_field(prop, &child, v, corr));
            }
        }
    }
    for k in list(s, "required").iter().filter_map(Value::as_str) {
        if !data.contains_key(k) {
            res.add(required(&format!("{path}.{k}")));
        }
    }
    res
}

// ---- results as field errors (`kubeOpenAPIResultToFieldErrors`) ----

fn field_error(kind: ErrorType, field: Path, value: Value, detail: String) -> FieldError {
    let repr = error_value(&value);
    FieldError {
        kind,
        field,
        value: Some(value),
        value_repr: Some(repr),
        detail,
    }
}

/// A path upstream prints for a nil `*field.Path`.
fn nil_path() -> Path {
    Path::new("<nil>")
}

fn to_field_errors(errors: Vec<OErr>, base: Option<&Path>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| match e {
            OErr::Plain(message) => field_error(
                ErrorType::Invalid,
                base.cloned().unwrap_or_else(nil_path),
                Value::from(""),
                message,
            ),
            OErr::Validation {
                code,
                name,
                value,
                valid,
                values,
                message,
            } => {
                let field = if name.is_empty() || name == "." {
                    base.cloned().unwrap_or_else(nil_path)
                } else {
                    let name = name.strip_prefix('.').unwrap_or(&name);
                    match base {
                        Some(b) => b.child(name),
                        None => Path::new(name),
                    }
                };
                let value = value.unwrap_or_else(|| Value::from(""));
                match code {
                    Code::Required => FieldError::required(field, ""),
                    Code::Enum => {
                        let quoted: Vec<String> = values
                            .iter()
                            .map(|v| match v {
                                Value::String(s) => go_quote(s),
                                other => go_quote(&go_json(other)),
                            })
                            .collect();
                        let detail = if quoted.is_empty() {
                            String::new()
                        } else {
                            format!("supported values: {}", quoted.join(", "))
                        };
                        field_error(ErrorType::NotSupported, field, value, detail)
                    }
                    Code::TooLong => FieldError::too_long(field, valid.max(0) as usize),
                    Code::MaxItems | Code::TooManyProperties => {
                        let actual = value.as_i64().unwrap_or(-1);
                        FieldError::too_many(field, actual.max(0) as usize, valid.max(0) as usize)
                    }
                    Code::InvalidType => field_error(ErrorType::TypeInvalid, field, value, message),
                    Code::Other => field_error(ErrorType::Invalid, field, value, message),
                }
            }
        })
        .collect()
}

/// Validates `data` against `schema`; errors are reported under `base` (upstream's `fldPath`:
/// `None` for whole objects, `status` for the status subresource). With `old`, errors of
/// unchanged parts are dropped (CRD validation ratcheting, on by default since 1.30).
pub fn validate_value(
    schema: &Value,
    data: &Value,
    base: Option<&Path>,
    old: Option<&Value>,
) -> Vec<FieldError> {
    let res = validate_field(schema, "", data, old);
    to_field_errors(res.errors, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_integers_follow_swag() {
        assert!(is_json_integer(3.0));
        assert!(is_json_integer(-3.0));
        assert!(is_json_integer(3.000_000_000_01));
        assert!(!is_json_integer(2.999_999_999_999_999_6 - 0.5));
        assert!(!is_json_integer(1.5));
        assert!(!is_json_integer(-1.5));
        assert!(!is_json_integer(1e300));
    }

    #[test]
    fn enum_conversion_follows_reflect() {
        use serde_json::json;
        assert!(enum_matches(&json!(1), &json!(1.0)));
        assert!(enum_matches(&json!(1.5), &json!(1)));
        assert!(enum_matches(&json!(65), &json!("A")));
        assert!(!enum_matches(&json!(1.0), &json!("1")));
        assert!(!enum_matches(&json!({"a": 1}), &json!({"a": 1.0})));
    }
}
