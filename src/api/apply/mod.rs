//! Server-side apply and `metadata.managedFields`, as kube-apiserver does them
//! (sigs.k8s.io/structured-merge-diff v4+ and k8s.io/apimachinery's `managedfields` package).
//!
//! Every write records who owns which fields in `metadata.managedFields`: one entry per manager
//! (a name, an operation — `Apply` or `Update` —, for updates the API version, and the
//! subresource written through), holding the set of fields it owns in the `FieldsV1` encoding
//! (`{"f:spec":{"f:replicas":{}}}`).
//!
//! - [`apply`] merges an applied configuration into the live object: objects field by field,
//!   associative lists item by item (by their key fields), sets by value, atomic lists and
//!   structs whole. The applier then owns exactly the fields of its configuration. Changing a
//!   field another manager owns is a conflict unless forced (then ownership moves); fields the
//!   applier applied last time, applies no longer and nobody else owns are removed.
//! - [`update_managed_fields`] does the bookkeeping of a create, update or patch: the fields it
//!   changed move to the writer (an `Update` entry), out of every other manager's set.
//!
//! Like upstream: `apiVersion`, `kind`, `metadata.name`, `namespace`, `uid`,
//! `resourceVersion`, `generation`, `creationTimestamp` and `managedFields` are never owned;
//! main-resource writes of kinds with a status subresource neither own nor conflict on
//! `status`, status writes own only `status` ("reset fields"); an object that exists without
//! managed fields is not tracked by updates, and gets a `before-first-apply` entry for its
//! current fields on the first apply; updates keep at most ten `Update` entries (the oldest are
//! merged into `ancient-changes`); writes through `scale` own `spec.replicas` on the parent, with
//! subresource `scale` and, as upstream, no time. kubectl's last-applied annotation is kept in
//! sync when the manager `kubectl` applies to an object that has one.
//!
//! Everything here is pure: the caller reads the live object, writes the result, decides on
//! defaulting and validation, and turns an [`ApplyError`] into a `Status`.

mod fieldpath;
mod schema;
mod typed;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use crate::api::registry::{Gvk, Registry, api_version};

use fieldpath::{Pe, Set};
use schema::Schema;
use typed::Comparison;

/// The annotation kubectl's client-side apply keeps its last configuration in.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
/// Updates entries kept before the oldest are merged.
const MAX_UPDATE_MANAGERS: usize = 10;

/// One field an apply would change that another manager owns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    /// The API version of the manager's entry.
    pub api_version: String,
    /// The subresource the manager wrote through, empty for the main resource.
    pub subresource: String,
    /// The field, as upstream shows paths: `.spec.replicas`,
    /// `.spec.template.spec.containers[name="nginx"].image`.
    pub field: String,
}

impl Conflict {
    fn id(&self) -> ManagerId {
        let operation = if self.operation == "Apply" {
            Op::Apply
        } else {
            Op::Update
        };
        ManagerId {
            manager: self.manager.clone(),
            api_version: match operation {
                Op::Apply => String::new(),
                Op::Update => self.api_version.clone(),
            },
            operation,
            subresource: self.subresource.clone(),
        }
    }
}

/// A `causes` entry of the conflict `Status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCause {
    pub reason: &'static str,
    pub message: String,
    pub field: String,
}

/// Why an apply failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Fields owned by other managers would change (409 Conflict).
    #[error("{}", conflicts_message(.0))]
    Conflicts(Vec<Conflict>),
    /// The configuration or the live object does not fit the schema (500, as upstream).
    #[error("{0}")]
    Invalid(String),
    /// The request is malformed (400).
    #[error("{0}")]
    BadRequest(String),
}

impl ApplyError {
    /// The HTTP status kube-apiserver answers with.
    pub fn status_code(&self) -> u16 {
        match self {
            ApplyError::Conflicts(_) => 409,
            ApplyError::Invalid(_) => 500,
            ApplyError::BadRequest(_) => 400,
        }
    }

    /// The `reason` of the `Status`.
    pub fn reason(&self) -> &'static str {
        match self {
            ApplyError::Conflicts(_) => "Conflict",
            ApplyError::Invalid(_) => "InternalError",
            ApplyError::BadRequest(_) => "BadRequest",
        }
    }

    /// The `details.causes` of the `Status`: one per conflicting field.
    pub fn causes(&self) -> Vec<StatusCause> {
        match self {
            ApplyError::Conflicts(conflicts) => conflicts
                .iter()
                .map(|c| StatusCause {
                    reason: "FieldManagerConflict",
                    message: format!("conflict with {}", c.id().describe()),
                    field: c.field.clone(),
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Upstream's message: `Apply failed with 1 conflict: conflict with "m" using apps/v1: .spec.x`,
/// or, for several, one line per manager (sorted) and one per field.
fn conflicts_message(conflicts: &[Conflict]) -> String {
    if let [c] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            c.id().describe(),
            c.field
        );
    }
    let mut by_manager: BTreeMap<String, (ManagerId, Vec<&str>)> = BTreeMap::new();
    for c in conflicts {
        let id = c.id();
        by_manager
            .entry(id.identifier())
            .or_insert_with(|| (id, Vec::new()))
            .1
            .push(&c.field);
    }
    let mut lines = Vec::new();
    for (id, fields) in by_manager.values() {
        lines.push(format!("conflicts with {}:", id.describe()));
        lines.extend(fields.iter().map(|f| format!("- {f}")));
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// Who writes, and how.
#[derive(Clone, Copy, Debug)]
pub struct Writer<'a> {
    /// The field manager (`unknown` when empty, as upstream).
    pub manager: &'a str,
    /// The subresource written through: empty for the main resource, `status`, `scale`…
    pub subresource: &'a str,
    /// Whether the kind has a status subresource: main-resource writes then neither own nor
    /// conflict on `status`.
    pub status_subresource: bool,
    /// The time of the write (RFC 3339, seconds).
    pub now: &'a str,
}

impl<'a> Writer<'a> {
    /// A main-resource write by `manager`; whether the kind has a status subresource comes from
    /// the built-in registry (false for custom resources).
    pub fn for_kind(gvk: (&str, &str, &str), manager: &'a str, now: &'a str) -> Self {
        Writer {
            manager,
            subresource: "",
            status_subresource: has_status_subresource(gvk),
            now,
        }
    }
}

/// Whether a built-in kind has a status subresource.
pub fn has_status_subresource(gvk: (&str, &str, &str)) -> bool {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    let (group, version, kind) = gvk;
    REGISTRY
        .get_or_init(Registry::built_in)
        .by_kind(&Gvk::new(group, version, kind))
        .is_some_and(|r| r.has_status())
}

/// Server-side apply of `applied` (the client's applied configuration, JSON) by `manager` onto
/// `live` (None: create). Returns the new object with `metadata.managedFields` updated
/// (operation "Apply", apiVersion, time, fieldsType "FieldsV1", fieldsV1). Without `force`, a
/// field set by the applied configuration to a value different from live and owned by another
/// manager is a conflict; with `force`, ownership moves to `manager`. Fields the manager applied
/// before and no longer applies are removed from the object when no other manager owns them
/// (and ownership is dropped).
///
/// The result is not defaulted: the caller defaults and validates it as any write.
pub fn apply(
    gvk: (&str, &str, &str),
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    now: &str,
) -> Result<Value, ApplyError> {
    apply_as(
        gvk,
        live,
        applied,
        force,
        &Writer::for_kind(gvk, manager, now),
    )
}

/// [`apply`] with every detail of the writer given.
pub fn apply_as(
    gvk: (&str, &str, &str),
    live: Option<&Value>,
    applied: &Value,
    force: bool,
    w: &Writer<'_>,
) -> Result<Value, ApplyError> {
    let schema = Schema::new(gvk);
    let version = api_version(gvk.0, gvk.1);
    if !applied.is_object() {
        return Err(ApplyError::BadRequest(
            "the applied configuration must be an object".to_owned(),
        ));
    }
    if applied
        .pointer("/metadata/managedFields")
        .is_some_and(|m| !m.is_null())
    {
        return Err(ApplyError::BadRequest(
            "metadata.managedFields must be nil".to_owned(),
        ));
    }
    let mut managed = match live {
        Some(l) => decode(managed_fields_of(l))
            .map_err(|e| ApplyError::Invalid(format!("failed to decode managed fields: {e}")))?,
        None => Managed::new(),
    };
    let live_obj = live.map(without_managed_fields);
    let reset = Reset::for_writer(w);

    // An object without managed fields: what it has belongs to `before-first-apply`.
    if managed.is_empty()
        && let Some(l) = &live_obj
    {
        let id = ManagerId::update("before-first-apply", &version, w.subresource);
        record_update(
            &schema,
            &Value::Object(Map::new()),
            l,
            &mut managed,
            id,
            &version,
            &reset,
            w.now,
        );
    }

    // The configuration alone must make sense (no duplicate or keyless list items).
    typed::merge(&schema, None, applied).map_err(|e| {
        ApplyError::Invalid(format!(
            "failed to create typed patch object ({}): {e}",
            object_description(gvk, applied, live)
        ))
    })?;
    let merged = typed::merge(&schema, live_obj.as_ref(), applied)
        .map_err(|e| ApplyError::Invalid(format!("failed to merge config: {e}")))?;

    let applier = ManagerId::apply(w.manager, w.subresource);
    let last = managed.get(&applier).map(|e| e.set.clone());
    let previous_time = managed.get(&applier).and_then(|e| e.time.clone());
    managed.insert(
        applier.clone(),
        Entry {
            set: reset.filter(&typed::to_field_set(&schema, applied)),
            api_version: version.clone(),
            applied: true,
            time: previous_time,
        },
    );
    let merged = prune(&schema, merged, &managed, last);

    let empty = Value::Object(Map::new());
    let before = live_obj.as_ref().unwrap_or(&empty);
    let full = typed::compare(
        &schema,
        &typed::with_zero_fields(&schema, before),
        &typed::with_zero_fields(&schema, &merged),
    );
    let changed = !full.is_same();
    let cmp = full.filtered(|s| reset.filter(s));
    let touched = cmp.modified.union(&cmp.added);

    let mut conflicts = Vec::new();
    for (id, entry) in managed.iter() {
        if *id == applier {
            continue;
        }
        let owned = entry.set.intersection(&touched);
        if !owned.is_empty() {
            conflicts.push((id.clone(), owned));
        }
    }
    if !force && !conflicts.is_empty() {
        return Err(ApplyError::Conflicts(conflict_list(&managed, &conflicts)));
    }
    for (id, owned) in &conflicts {
        if let Some(e) = managed.get_mut(id) {
            e.set = e.set.difference(owned);
        }
    }
    for (id, entry) in managed.iter_mut() {
        if *id != applier {
            entry.set = entry.set.difference(&cmp.removed);
        }
    }
    managed.retain(|_, e| !e.set.is_empty());
    if let Some(e) = managed.get_mut(&applier) {
        e.set = e.set.difference(strip_set());
        if changed {
            e.time = Some(w.now.to_owned());
        }
    }
    managed.retain(|_, e| !e.set.is_empty());

    let mut result = if changed {
        merged
    } else {
        live_obj.unwrap_or(empty)
    };
    if w.manager == "kubectl" {
        sync_last_applied(&mut result, applied);
    }
    set_managed_fields(&mut result, &managed);
    Ok(result)
}

/// Bookkeeping for a non-apply write (create, update, patch) by `manager`: fields whose value
/// changed from `old` to `new` (all set fields on create) become owned by `manager` with
/// operation "Update" (one entry per manager+operation+apiVersion, merged), removed from other
/// managers' sets; entries left empty are dropped. Mutates `new`'s managedFields.
pub fn update_managed_fields(
    gvk: (&str, &str, &str),
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    now: &str,
) {
    update_managed_fields_as(gvk, old, new, &Writer::for_kind(gvk, manager, now));
}

/// [`update_managed_fields`] with every detail of the writer given. For `scale`, `old` and `new`
/// are the parent objects (before and after the replicas change).
pub fn update_managed_fields_as(
    gvk: (&str, &str, &str),
    old: Option<&Value>,
    new: &mut Value,
    w: &Writer<'_>,
) {
    let version = api_version(gvk.0, gvk.1);
    if w.subresource == "scale" {
        if let Some(old) = old {
            update_scale(old, new, w, &version);
        }
        return;
    }
    let schema = Schema::new(gvk);
    let live_entries = old.and_then(managed_fields_of);
    let new_entries = managed_fields_of(new).cloned();
    // The managed fields the request sent win (a client may edit them), unless this is a
    // subresource or they are empty or broken; `[]` or `[{}]` resets them.
    let mut managed = if !w.subresource.is_empty() {
        decode(live_entries).unwrap_or_default()
    } else if is_reset(new_entries.as_ref()) {
        Managed::new()
    } else {
        match decode(new_entries.as_ref()) {
            Ok(m) if !m.is_empty() => m,
            _ => decode(live_entries).unwrap_or_default(),
        }
    };
    if let Some(m) = new.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    let creating = old.is_none_or(|o| crate::api::meta::uid(o).is_empty());
    if managed.is_empty() && !creating {
        // Objects without managed fields are not tracked until they are applied to.
        return;
    }
    // One copy of each side, with its zero fields and without the managed fields.
    let old_obj = match old {
        Some(o) => {
            let mut o = o.clone();
            if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("managedFields");
            }
            typed::fill_zero_fields(&schema, &mut o);
            o
        }
        None => typed::with_zero_fields(&schema, &Value::Object(Map::new())),
    };
    let new_obj = typed::with_zero_fields(&schema, new);
    let id = ManagerId::update(w.manager, &version, w.subresource);
    let reset = Reset::for_writer(w);
    record_update_zeroed(
        &schema,
        &old_obj,
        &new_obj,
        &mut managed,
        id,
        &version,
        &reset,
        w.now,
    );
    cap_update_managers(&mut managed);
    set_managed_fields(new, &managed);
}

/// FieldsV1 of an object (what fields are set), e.g.
/// `{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{}}}}}`.
/// The fields nobody can own (`apiVersion`, `kind`, `metadata.name`…) are left out.
pub fn fields_of(gvk: (&str, &str, &str), obj: &Value) -> Value {
    let schema = Schema::new(gvk);
    typed::to_field_set(&schema, &without_managed_fields(obj))
        .difference(strip_set())
        .to_fields_v1()
}

/// `Apply` sorts before `Update`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Apply,
    Update,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Apply => "Apply",
            Op::Update => "Update",
        }
    }
}

/// What tells managers apart: the name, the operation, for updates the API version, and the
/// subresource.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ManagerId {
    manager: String,
    operation: Op,
    /// Empty for appliers: they keep their entry across versions.
    api_version: String,
    subresource: String,
}

impl ManagerId {
    fn name(manager: &str) -> String {
        if manager.is_empty() {
            "unknown".to_owned()
        } else {
            manager.to_owned()
        }
    }

    fn apply(manager: &str, subresource: &str) -> Self {
        ManagerId {
            manager: Self::name(manager),
            operation: Op::Apply,
            api_version: String::new(),
            subresource: subresource.to_owned(),
        }
    }

    fn update(manager: &str, api_version: &str, subresource: &str) -> Self {
        ManagerId {
            manager: Self::name(manager),
            operation: Op::Update,
            api_version: api_version.to_owned(),
            subresource: subresource.to_owned(),
        }
    }

    /// Upstream's identifier: the JSON of the entry without fields and time, by which it sorts
    /// managers in messages.
    fn identifier(&self) -> String {
        let mut map = Vec::new();
        if !self.manager.is_empty() {
            map.push(("manager", self.manager.as_str()));
        }
        map.push(("operation", self.operation.as_str()));
        if !self.api_version.is_empty() {
            map.push(("apiVersion", self.api_version.as_str()));
        }
        if !self.subresource.is_empty() {
            map.push(("subresource", self.subresource.as_str()));
        }
        let fields: Vec<String> = map
            .iter()
            .map(|(k, v)| format!("\"{k}\":{}", Value::String((*v).to_owned())))
            .collect();
        format!("{{{}}}", fields.join(","))
    }

    /// How conflict messages name a manager: `"kubectl" with subresource "scale" using apps/v1`.
    fn describe(&self) -> String {
        let mut out = go_quote(&self.manager);
        if !self.subresource.is_empty() {
            let _ = write!(out, " with subresource {}", go_quote(&self.subresource));
        }
        if self.operation == Op::Update {
            let _ = write!(out, " using {}", self.api_version);
        }
        out
    }
}

/// Go's `%q` of a string, close enough for manager names.
fn go_quote(s: &str) -> String {
    format!("{s:?}")
}

/// One manager's fields.
#[derive(Clone, Debug, PartialEq)]
struct Entry {
    set: Set,
    api_version: String,
    applied: bool,
    time: Option<String>,
}

type Managed = BTreeMap<ManagerId, Entry>;

fn managed_fields_of(obj: &Value) -> Option<&Value> {
    obj.pointer("/metadata/managedFields")
}

fn without_managed_fields(obj: &Value) -> Value {
    let mut obj = obj.clone();
    if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
    obj
}

/// `managedFields: []` or `[{}]`: the client asks to reset them.
fn is_reset(entries: Option<&Value>) -> bool {
    match entries {
        Some(Value::Array(items)) => match items.as_slice() {
            [] => true,
            [only] => only.as_object().is_some_and(Map::is_empty),
            _ => false,
        },
        _ => false,
    }
}

/// Decodes `metadata.managedFields`.
fn decode(entries: Option<&Value>) -> Result<Managed, String> {
    let mut managed = Managed::new();
    let items = match entries {
        None | Some(Value::Null) => return Ok(managed),
        Some(Value::Array(items)) => items,
        Some(_) => return Err("managedFields is not a list".to_owned()),
    };
    for (i, e) in items.iter().enumerate() {
        let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or_default();
        let operation = match text("operation") {
            "Apply" => Op::Apply,
            "Update" => Op::Update,
            _ => return Err("operation must be `Apply` or `Update`".to_owned()),
        };
        let version = text("apiVersion");
        if version.is_empty() {
            return Err("apiVersion must not be empty".to_owned());
        }
        match text("fieldsType") {
            "FieldsV1" => {}
            "" => return Err(format!("missing fieldsType in managed fields entry {i}")),
            other => {
                return Err(format!(
                    "invalid fieldsType {other:?} in managed fields entry {i}"
                ));
            }
        }
        let id = ManagerId {
            manager: text("manager").to_owned(),
            operation,
            api_version: match operation {
                Op::Apply => String::new(),
                Op::Update => version.to_owned(),
            },
            subresource: text("subresource").to_owned(),
        };
        let set = match e.get("fieldsV1") {
            None | Some(Value::Null) => Set::new(),
            Some(f) => {
                Set::from_fields_v1(f).map_err(|err| format!("error decoding set: {err}"))?
            }
        };
        let time = e.get("time").and_then(Value::as_str).map(str::to_owned);
        managed.insert(
            id,
            Entry {
                set,
                api_version: version.to_owned(),
                applied: operation == Op::Apply,
                time,
            },
        );
    }
    Ok(managed)
}

fn time_seconds(time: Option<&str>) -> i64 {
    time.and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or(0, |t| t.as_second())
}

/// Encodes managed fields in upstream's order (operation, time, manager, apiVersion,
/// subresource) into `obj`; no entries, no `managedFields`.
fn set_managed_fields(obj: &mut Value, managed: &Managed) {
    if !obj.is_object() {
        *obj = Value::Object(Map::new());
    }
    let mut entries: Vec<(&ManagerId, &Entry)> = managed.iter().collect();
    entries.sort_by(|(a, ea), (b, eb)| {
        let op = |id: &ManagerId, e: &Entry| if e.applied { Op::Apply } else { id.operation };
        op(a, ea)
            .cmp(&op(b, eb))
            .then_with(|| time_seconds(ea.time.as_deref()).cmp(&time_seconds(eb.time.as_deref())))
            .then_with(|| a.manager.cmp(&b.manager))
            .then_with(|| ea.api_version.cmp(&eb.api_version))
            .then_with(|| a.subresource.cmp(&b.subresource))
    });
    let list: Vec<Value> = entries
        .into_iter()
        .map(|(id, e)| {
            let mut m = Map::new();
            if !id.manager.is_empty() {
                m.insert("manager".into(), id.manager.clone().into());
            }
            let op = if e.applied { Op::Apply } else { id.operation };
            m.insert("operation".into(), op.as_str().into());
            m.insert("apiVersion".into(), e.api_version.clone().into());
            if let Some(t) = &e.time {
                m.insert("time".into(), t.clone().into());
            }
            m.insert("fieldsType".into(), "FieldsV1".into());
            m.insert("fieldsV1".into(), e.set.to_fields_v1());
            if !id.subresource.is_empty() {
                m.insert("subresource".into(), id.subresource.clone().into());
            }
            Value::Object(m)
        })
        .collect();
    let meta = crate::api::meta::metadata_mut(obj);
    if list.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert("managedFields".into(), Value::Array(list));
    }
}

/// The fields nobody owns.
fn strip_set() -> &'static Set {
    static STRIP: OnceLock<Set> = OnceLock::new();
    STRIP.get_or_init(|| {
        let mut s = Set::new();
        s.insert(&[Pe::field("apiVersion")]);
        s.insert(&[Pe::field("kind")]);
        s.insert(&[Pe::field("metadata")]);
        for f in [
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        ] {
            s.insert(&[Pe::field("metadata"), Pe::field(f)]);
        }
        s
    })
}

/// Fields a write through some resource may not own (upstream's reset fields, as our
/// strategies reset them).
enum Reset {
    None,
    /// Main-resource writes of kinds with a status subresource: not `status`.
    Exclude(Set),
    /// Status writes: only `status`.
    Only(Set),
}

impl Reset {
    fn for_writer(w: &Writer<'_>) -> Reset {
        let mut status = Set::new();
        status.insert(&[Pe::field("status")]);
        match w.subresource {
            "" if w.status_subresource => Reset::Exclude(status),
            "status" => Reset::Only(status),
            _ => Reset::None,
        }
    }

    fn filter(&self, set: &Set) -> Set {
        match self {
            Reset::None => set.clone(),
            Reset::Exclude(x) => set.recursive_difference(x),
            Reset::Only(x) => set.recursive_intersection(x),
        }
    }
}

/// One non-apply write from `old` to `new` by `id`: the changed fields move to `id` (merged with
/// what it had), out of every other set; the entry's time becomes `now` when it took anything.
#[allow(clippy::too_many_arguments)]
fn record_update(
    schema: &Schema,
    old: &Value,
    new: &Value,
    managed: &mut Managed,
    id: ManagerId,
    version: &str,
    reset: &Reset,
    now: &str,
) {
    record_update_zeroed(
        schema,
        &typed::with_zero_fields(schema, old),
        &typed::with_zero_fields(schema, new),
        managed,
        id,
        version,
        reset,
        now,
    )
}

/// [`record_update`] of objects that already have their zero fields
/// ([`typed::with_zero_fields`]).
#[allow(clippy::too_many_arguments)]
fn record_update_zeroed(
    schema: &Schema,
    old: &Value,
    new: &Value,
    managed: &mut Managed,
    id: ManagerId,
    version: &str,
    reset: &Reset,
    now: &str,
) {
    let cmp: Comparison = typed::compare(schema, old, new).filtered(|s| reset.filter(s));
    let touched = cmp.modified.union(&cmp.added);
    for entry in managed.values_mut() {
        entry.set = entry.set.difference(&touched).difference(&cmp.removed);
    }
    managed.retain(|_, e| !e.set.is_empty());
    let taken = touched.difference(strip_set());
    if taken.is_empty() {
        return;
    }
    let set = match managed.get(&id) {
        Some(previous) => taken.union(&previous.set),
        None => taken,
    };
    managed.insert(
        id,
        Entry {
            set,
            api_version: version.to_owned(),
            applied: false,
            time: Some(now.to_owned()),
        },
    );
}

/// Keeps at most [`MAX_UPDATE_MANAGERS`] `Update` entries: the oldest are merged, per API
/// version, into an `ancient-changes` entry.
fn cap_update_managers(managed: &mut Managed) {
    let mut updaters: Vec<ManagerId> = managed
        .iter()
        .filter(|(_, e)| !e.applied)
        .map(|(id, _)| id.clone())
        .collect();
    if updaters.len() <= MAX_UPDATE_MANAGERS {
        return;
    }
    updaters.sort_by_cached_key(|id| {
        let t = managed.get(id).and_then(|e| e.time.clone());
        (time_seconds(t.as_deref()), id.identifier())
    });
    let mut first_of_version: BTreeMap<String, ManagerId> = BTreeMap::new();
    let mut length = updaters.len();
    for id in updaters {
        if length <= MAX_UPDATE_MANAGERS {
            break;
        }
        let Some(entry) = managed.get(&id).cloned() else {
            continue;
        };
        let version = entry.api_version.clone();
        let bucket = ManagerId::update("ancient-changes", &version, "");
        match first_of_version.get(&version) {
            Some(first) => {
                if !managed.contains_key(&bucket)
                    && let Some(moved) = managed.remove(first)
                {
                    managed.insert(bucket.clone(), moved);
                }
                if let Some(b) = managed.get_mut(&bucket) {
                    b.set = entry.set.union(&b.set);
                    b.api_version = entry.api_version.clone();
                    b.applied = false;
                    b.time = entry.time.clone();
                }
                managed.remove(&id);
                length -= 1;
            }
            None => {
                first_of_version.insert(version, id);
            }
        }
    }
}

/// Removes what the applier applied last time (`last`) and applies no longer, unless someone
/// (the applier included) still owns it; what was never the applier's stays.
fn prune(schema: &Schema, merged: Value, managed: &Managed, last: Option<Set>) -> Value {
    let Some(last) = last.filter(|s| !s.is_empty()) else {
        return merged;
    };
    let last = last.ensure_named_fields_are_members();
    let fields = |v: &Value| typed::to_field_set(schema, v).ensure_named_fields_are_members();
    let merged_set = fields(&merged);
    // Everything last applied goes…
    let pruned = typed::remove_items(schema, &merged, &last);
    // …except what somebody owns…
    let owned = managed
        .values()
        .fold(Set::new(), |acc, e| acc.union(&e.set))
        .ensure_named_fields_are_members();
    let pruned = typed::remove_items(
        schema,
        &merged,
        &merged_set.difference(&fields(&pruned).union(&owned)),
    );
    // …and what was not the applier's to begin with.
    let gone = merged_set.difference(&fields(&pruned)).intersection(&last);
    typed::remove_items(schema, &merged, &gone)
}

fn conflict_list(managed: &Managed, conflicts: &[(ManagerId, Set)]) -> Vec<Conflict> {
    let mut sorted: Vec<&(ManagerId, Set)> = conflicts.iter().collect();
    sorted.sort_by_key(|(id, _)| id.identifier());
    let mut out = Vec::new();
    for (id, set) in sorted {
        let api_version = managed
            .get(id)
            .map_or_else(|| id.api_version.clone(), |e| e.api_version.clone());
        for path in set.paths() {
            out.push(Conflict {
                manager: id.manager.clone(),
                operation: id.operation.as_str().to_owned(),
                api_version: api_version.clone(),
                subresource: id.subresource.clone(),
                field: path.to_string(),
            });
        }
    }
    out
}

/// `namespace/name; group/version, Kind=Kind`, as upstream names the object in errors.
fn object_description(gvk: (&str, &str, &str), applied: &Value, live: Option<&Value>) -> String {
    let source = live.unwrap_or(applied);
    let name = crate::api::meta::name(source);
    let name = if name.is_empty() {
        crate::api::meta::name(applied)
    } else {
        name
    };
    let namespace = crate::api::meta::namespace(source)
        .or_else(|| crate::api::meta::namespace(applied))
        .unwrap_or_default();
    format!("{namespace}/{name}; {}/{}, Kind={}", gvk.0, gvk.1, gvk.2)
}

/// Keeps kubectl's client-side-apply annotation in step with what kubectl server-side applies,
/// when the object has one.
fn sync_last_applied(obj: &mut Value, applied: &Value) {
    let has = obj
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty());
    if !has {
        return;
    }
    let mut config = applied.clone();
    if let Some(a) = config
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.remove(LAST_APPLIED);
    }
    let text = format!("{}\n", fieldpath::go_json(&config));
    if let Some(a) = obj
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.insert(LAST_APPLIED.to_owned(), Value::String(text));
    }
}

/// Writes through `scale` own `spec.replicas` of the parent, as upstream's scale handler
/// arranges: the managers of the parent's replicas become the Scale's managers, the write is
/// recorded on the Scale, and the result goes back to the parent (an entry with subresource
/// `scale` and the parent's API version, without time).
fn update_scale(old: &Value, new: &mut Value, w: &Writer<'_>, version: &str) {
    let replicas = [Pe::field("spec"), Pe::field("replicas")];
    let Ok(parent) = decode(managed_fields_of(old)) else {
        // Undecodable: keep what the parent had.
        if let Some(m) = managed_fields_of(old).cloned() {
            crate::api::meta::metadata_mut(new).insert("managedFields".into(), m);
        }
        return;
    };
    let mut only_replicas = Set::new();
    only_replicas.insert(&replicas);
    // The parent's managers of replicas, as managers of the Scale.
    let mut scale: Managed = parent
        .iter()
        .filter(|(_, e)| e.set.has(&replicas))
        .map(|(id, e)| {
            (
                id.clone(),
                Entry {
                    set: only_replicas.clone(),
                    api_version: "autoscaling/v1".to_owned(),
                    applied: e.applied,
                    time: e.time.clone(),
                },
            )
        })
        .collect();
    // The Scale's own bookkeeping (nothing is tracked when nobody owns replicas).
    let changed = !fieldpath::values_equal(
        old.pointer("/spec/replicas").unwrap_or(&Value::Null),
        new.pointer("/spec/replicas").unwrap_or(&Value::Null),
    );
    if !scale.is_empty() && changed {
        for e in scale.values_mut() {
            e.set = e.set.difference(&only_replicas);
        }
        scale.retain(|_, e| !e.set.is_empty());
        let id = ManagerId::update(w.manager, "autoscaling/v1", "scale");
        scale.insert(
            id,
            Entry {
                set: only_replicas.clone(),
                api_version: "autoscaling/v1".to_owned(),
                applied: false,
                time: Some(w.now.to_owned()),
            },
        );
    }
    // Back to the parent.
    let mut out = Managed::new();
    for (id, e) in &parent {
        if !e.set.has(&replicas) {
            out.insert(id.clone(), e.clone());
        } else if scale.remove(id).is_none() {
            let rest = e.set.difference(&only_replicas);
            if !rest.is_empty() {
                out.insert(
                    id.clone(),
                    Entry {
                        set: rest,
                        ..e.clone()
                    },
                );
            }
        } else {
            out.insert(id.clone(), e.clone());
        }
    }
    for (id, e) in scale {
        if e.set.has(&replicas) {
            let time = parent.get(&id).and_then(|p| p.time.clone());
            out.insert(
                id,
                Entry {
                    set: only_replicas.clone(),
                    api_version: version.to_owned(),
                    applied: e.applied,
                    time,
                },
            );
        }
    }
    let mut obj = without_managed_fields(new);
    set_managed_fields(&mut obj, &out);
    *new = obj;
}

/// A convenience for tests and callers: the `managedFields` of an object as JSON (empty list
/// when none).
pub fn managed_fields(obj: &Value) -> Value {
    managed_fields_of(obj).cloned().unwrap_or_else(|| json!([]))
}
