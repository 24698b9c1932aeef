//! PLACEHOLDER until the printers module lands.
use serde_json::Value;

pub struct Column {
    pub name: &'static str,
    pub type_: &'static str,
    pub format: &'static str,
    pub description: &'static str,
    pub priority: i32,
}

static DEFAULT: [Column; 2] = [
    Column {
        name: "Name",
        type_: "string",
        format: "name",
        description: "Name must be unique within a namespace.",
        priority: 0,
    },
    Column {
        name: "Created At",
        type_: "date",
        format: "",
        description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
        priority: 0,
    },
];

pub fn columns(_group: &str, _kind: &str) -> Option<&'static [Column]> {
    None
}

pub fn default_columns() -> &'static [Column] {
    &DEFAULT
}

pub fn cells(_group: &str, _kind: &str, obj: &Value, _now: jiff::Timestamp) -> Vec<Value> {
    vec![
        obj.pointer("/metadata/name")
            .cloned()
            .unwrap_or(Value::Null),
        obj.pointer("/metadata/creationTimestamp")
            .cloned()
            .unwrap_or(Value::Null),
    ]
}

pub struct OwnedColumn {
    pub name: String,
    pub type_: String,
    pub format: String,
    pub description: String,
    pub priority: i32,
}

pub fn crd_columns(_cols: &Value) -> Vec<OwnedColumn> {
    DEFAULT
        .iter()
        .map(|c| OwnedColumn {
            name: c.name.into(),
            type_: c.type_.into(),
            format: c.format.into(),
            description: c.description.into(),
            priority: c.priority,
        })
        .collect()
}

pub fn crd_cells(_cols: &Value, obj: &Value, now: jiff::Timestamp) -> Vec<Value> {
    default_cells(obj, now)
}

pub fn default_cells(obj: &Value, now: jiff::Timestamp) -> Vec<Value> {
    cells("", "", obj, now)
}
