//! Tables for custom resources, from a CRD version's `additionalPrinterColumns`, as
//! apiextensions-apiserver's table convertor builds them.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::jsonpath::{self, go_format};
use super::{NAME, OwnedColumn, docs, name};

/// The version's columns, or the default `Age` column when it defines none.
fn columns_or_default(additional_printer_columns: &Value) -> Vec<Value> {
    match additional_printer_columns.as_array() {
        Some(cols) if !cols.is_empty() => cols.clone(),
        _ => vec![json!({
            "name": "Age",
            "type": "date",
            "description": docs::META_CREATION_TIMESTAMP,
            "jsonPath": ".metadata.creationTimestamp",
        })],
    }
}

fn text<'a>(col: &'a Value, key: &str) -> &'a str {
    col.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `Name`, then one column per additional printer column (or `Age` when there are none).
pub fn crd_columns(additional_printer_columns: &Value) -> Vec<OwnedColumn> {
    let mut out = vec![OwnedColumn::from(&NAME)];
    for col in columns_or_default(additional_printer_columns) {
        let description = match text(&col, "description") {
            "" => format!(
                "Custom resource definition column (in JSONPath format): {}",
                text(&col, "jsonPath")
            ),
            d => d.to_owned(),
        };
        out.push(OwnedColumn {
            name: text(&col, "name").to_owned(),
            type_: text(&col, "type").to_owned(),
            format: text(&col, "format").to_owned(),
            description,
            priority: col
                .get("priority")
                .and_then(super::int_of)
                .and_then(|p| i32::try_from(p).ok())
                .unwrap_or(0),
        });
    }
    out
}

/// One row for a custom resource: its name, then each column's JSONPath evaluated against the
/// object. Missing values are `null`; `date` columns print as ages; `string` columns print
/// whatever the path selects as Go would.
pub fn crd_cells(additional_printer_columns: &Value, obj: &Value, now: Timestamp) -> Vec<Value> {
    let mut cells = vec![Value::from(name(obj))];
    for col in columns_or_default(additional_printer_columns) {
        let found = jsonpath::parse(text(&col, "jsonPath")).and_then(|p| p.find(obj));
        let value = match found.as_deref() {
            Ok([first, ..]) => *first,
            _ => {
                cells.push(Value::Null);
                continue;
            }
        };
        let cell = match text(&col, "type") {
            "string" if value.is_null() => Value::from("<no value>"),
            "string" => Value::from(go_format(value)),
            other => cell_for_json_value(other, value, now),
        };
        cells.push(cell);
    }
    cells
}

/// Upstream's `cellForJSONValue` for the non-string types.
fn cell_for_json_value(type_: &str, value: &Value, now: Timestamp) -> Value {
    match (type_, value) {
        ("integer", Value::Number(n)) => match n.as_i64() {
            Some(i) => Value::from(i),
            None => Value::from(n.as_f64().unwrap_or(0.0) as i64),
        },
        ("number", Value::Number(n)) => Value::from(n.as_f64().unwrap_or(0.0)),
        ("boolean", Value::Bool(b)) => Value::from(*b),
        ("date", Value::String(s)) => {
            if s.is_empty() || s == "null" {
                return Value::from("<unknown>");
            }
            match s.parse::<Timestamp>() {
                // Go's zero time prints as <unknown>, like an unset timestamp.
                Ok(_) => Value::from(super::since(super::parse_time(value), now)),
                Err(_) => Value::from("<invalid>"),
            }
        }
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    fn certificate_columns() -> Value {
        json!([
            {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
            {"name": "Secret", "type": "string", "jsonPath": ".spec.secretName"},
            {"name": "Issuer", "type": "string", "jsonPath": ".spec.issuerRef.name", "priority": 1},
            {"name": "Status", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].message", "priority": 1, "description": "Why"},
            {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
            {"name": "Ratio", "type": "number", "jsonPath": ".spec.ratio"},
            {"name": "Enabled", "type": "boolean", "jsonPath": ".spec.enabled"},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
        ])
    }

    #[test]
    fn columns() {
        let cols = crd_columns(&certificate_columns());
        let summary: Vec<(&str, &str, i32)> = cols
            .iter()
            .map(|c| (c.name.as_str(), c.type_.as_str(), c.priority))
            .collect();
        assert_eq!(
            summary,
            [
                ("Name", "string", 0),
                ("Ready", "string", 0),
                ("Secret", "string", 0),
                ("Issuer", "string", 1),
                ("Status", "string", 1),
                ("Replicas", "integer", 0),
                ("Ratio", "number", 0),
                ("Enabled", "boolean", 0),
                ("Age", "date", 0),
            ]
        );
        assert_eq!(cols[0].format, "name");
        assert_eq!(
            cols[1].description,
            "Custom resource definition column (in JSONPath format): .status.conditions[?(@.type==\"Ready\")].status"
        );
        assert_eq!(cols[4].description, "Why");

        for none in [json!(null), json!([])] {
            let cols = crd_columns(&none);
            assert_eq!(cols.len(), 2);
            assert_eq!(
                (cols[1].name.as_str(), cols[1].type_.as_str()),
                ("Age", "date")
            );
            assert!(
                cols[1]
                    .description
                    .starts_with("CreationTimestamp is a timestamp")
            );
        }
    }

    #[test]
    fn cells() {
        let obj = json!({
            "metadata": {"name": "example-com", "creationTimestamp": ago(3 * 3600 + 120)},
            "spec": {"secretName": "example-tls", "issuerRef": {"name": "letsencrypt"}, "replicas": 2.0, "ratio": 3, "enabled": true},
            "status": {"conditions": [{"type": "Ready", "status": "True", "message": "Certificate is up to date"}]}
        });
        let cells = crd_cells(&certificate_columns(), &obj, now());
        assert_eq!(
            cells,
            vec![
                json!("example-com"),
                json!("True"),
                json!("example-tls"),
                json!("letsencrypt"),
                json!("Certificate is up to date"),
                json!(2),
                json!(3.0),
                json!(true),
                json!("3h2m"),
            ]
        );
        // Missing values are null; type mismatches too; strings print anything.
        let sparse = json!({"metadata": {"name": "bare"}, "spec": {"replicas": "two", "enabled": "yes", "secretName": {"a": 1}}});
        assert_eq!(
            crd_cells(&certificate_columns(), &sparse, now()),
            vec![
                json!("bare"),
                Value::Null,
                json!("map[a:1]"),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
            ]
        );
    }

    #[test]
    fn dates_and_defaults() {
        let cols = json!([{"name": "Expires", "type": "date", "jsonPath": ".status.notAfter"}]);
        let cell =
            |v: Value| crd_cells(&cols, &json!({"status": {"notAfter": v}}), now())[1].clone();
        assert_eq!(cell(json!(ago(90))), json!("90s"));
        assert_eq!(cell(json!("")), json!("<unknown>"));
        assert_eq!(cell(json!("yesterday")), json!("<invalid>"));
        assert_eq!(cell(json!(5)), Value::Null);
        // In the future by more than a second.
        assert_eq!(cell(json!("2024-06-01T12:10:00Z")), json!("<invalid>"));

        let obj = json!({"metadata": {"name": "thing", "creationTimestamp": ago(86400 * 400)}});
        assert_eq!(
            crd_cells(&json!([]), &obj, now()),
            vec![json!("thing"), json!("400d")]
        );
        let null_string = json!([{"name": "X", "type": "string", "jsonPath": ".spec.x"}]);
        assert_eq!(
            crd_cells(&null_string, &json!({"spec": {"x": null}}), now())[1],
            json!("<no value>")
        );
    }
}
