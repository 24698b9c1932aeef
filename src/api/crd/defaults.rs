//! Structural defaulting (`pkg/apiserver/schema/defaulting/algorithm.go`): absent fields, and
//! `null`s the schema does not allow, take the schema's `default`, recursively, inside array
//! items and additional properties too.

use serde_json::Value;

use super::prune::prune_value;
use super::schema::{Additional, additional, default_of, items, nullable, properties};

/// A copy of a default, pruned as upstream prunes defaults when it loads the schema.
fn default_value(s: &Value) -> Option<Value> {
    let mut d = default_of(s)?.clone();
    prune_value(s, &mut d);
    Some(d)
}

fn non_nullable_null(x: &Value, s: &Value) -> bool {
    x.is_null() && !nullable(s)
}

pub fn default(x: &mut Value, s: &Value) {
    match x {
        Value::Object(map) => {
            let props = properties(s);
            if let Some(props) = props {
                for (k, prop) in props {
                    let missing = match map.get(k) {
                        None => true,
                        Some(v) => non_nullable_null(v, prop),
                    };
                    if missing && let Some(d) = default_value(prop) {
                        map.insert(k.clone(), d);
                    }
                }
            }
            let add = additional(s).and_then(Additional::schema);
            for (k, v) in map.iter_mut() {
                if let Some(prop) = props.and_then(|p| p.get(k)) {
                    default(v, prop);
                } else if let Some(add) = add {
                    if non_nullable_null(v, add) {
                        *v = default_value(add).unwrap_or(Value::Null);
                    }
                    default(v, add);
                }
            }
        }
        Value::Array(list) => {
            if let Some(item) = items(s) {
                for v in list.iter_mut() {
                    if non_nullable_null(v, item) {
                        *v = default_value(item).unwrap_or(Value::Null);
                    }
                    default(v, item);
                }
            }
        }
        _ => {}
    }
}
