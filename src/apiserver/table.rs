//! `meta.k8s.io/v1` Tables (what `kubectl get` prints) and PartialObjectMetadata.

use serde_json::{Value, json};

use super::params::Params;
use crate::api::printers;
use crate::api::registry::Resource;

pub const CONTENT_TYPE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// An object reduced to its metadata.
pub fn partial_metadata(obj: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata").cloned().unwrap_or_else(|| json!({})),
    })
}

fn column_json(name: &str, type_: &str, format: &str, description: &str, priority: i32) -> Value {
    json!({"name": name, "type": type_, "format": format, "description": description, "priority": priority})
}

/// Column definitions and cell function for a resource (built-in printer, CRD columns, or default).
fn columns(res: &Resource) -> Vec<Value> {
    if let Some(crd) = &res.crd_version {
        let cols = crd
            .get("additionalPrinterColumns")
            .cloned()
            .unwrap_or(Value::Null);
        return printers::crd_columns(&cols)
            .iter()
            .map(|c| column_json(&c.name, &c.type_, &c.format, &c.description, c.priority))
            .collect();
    }
    printers::columns(&res.gvk.group, &res.gvk.kind)
        .unwrap_or_else(printers::default_columns)
        .iter()
        .map(|c| column_json(c.name, c.type_, c.format, c.description, c.priority))
        .collect()
}

fn cells(res: &Resource, obj: &Value, now: jiff::Timestamp) -> Vec<Value> {
    if let Some(crd) = &res.crd_version {
        let cols = crd
            .get("additionalPrinterColumns")
            .cloned()
            .unwrap_or(Value::Null);
        return printers::crd_cells(&cols, obj, now);
    }
    printers::cells(&res.gvk.group, &res.gvk.kind, obj, now)
}

/// A Table of `items`. `with_columns` is false for watch events after the first.
pub fn table(
    res: &Resource,
    items: &[Value],
    rv: &str,
    continue_token: Option<&str>,
    params: &Params,
    with_columns: bool,
) -> Value {
    let now = jiff::Timestamp::now();
    let include = params.get("includeObject").unwrap_or("Metadata");
    let rows: Vec<Value> = items
        .iter()
        .map(|obj| {
            let mut row = json!({"cells": cells(res, obj, now)});
            match include {
                "None" => {}
                "Object" => row["object"] = obj.clone(),
                _ => row["object"] = partial_metadata(obj),
            }
            row
        })
        .collect();
    let mut metadata = json!({"resourceVersion": rv});
    if let Some(t) = continue_token {
        metadata["continue"] = json!(t);
    }
    let mut t = json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "rows": rows,
    });
    if with_columns {
        t["columnDefinitions"] = Value::Array(columns(res));
    } else {
        t["columnDefinitions"] = Value::Null;
    }
    t
}
