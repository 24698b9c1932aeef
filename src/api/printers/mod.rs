//! Server-side Table printing: the columns and cells `kubectl get` shows for every built-in
//! kind, matching upstream's `pkg/printers/internalversion` handlers.
//!
//! `kubectl get` asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints whatever
//! columns the server sends back. Like kube-apiserver, we always produce the `-o wide`
//! (priority 1) cells too; kubectl hides them unless asked.
//!
//! Everything here is a pure function of the object as served (camelCase JSON). Printers never
//! panic on odd objects: a missing field prints what upstream prints for the zero value of the
//! corresponding internal field. Objects are expected to be defaulted, as stored objects are.

mod apps;
mod autoscaling;
mod batch;
mod cluster;
mod core;
mod crd;
mod docs;
mod jsonpath;
mod labels;
mod networking;
mod quantity;
mod storage;

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

pub use crd::{crd_cells, crd_columns};

/// One column of a Table, as in `metav1.TableColumnDefinition`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// Human-readable header, e.g. `Name`, `Nominated Node` (kubectl upper-cases it).
    pub name: &'static str,
    /// OpenAPI type: `string`, `integer`, `number`, `boolean` or `date`.
    pub type_: &'static str,
    /// `name` for the column holding the object's name, empty otherwise.
    pub format: &'static str,
    pub description: &'static str,
    /// 0 for normal columns, 1 for columns only shown with `-o wide`.
    pub priority: i32,
}

/// A column whose text is only known at run time (custom resources).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnedColumn {
    pub name: String,
    pub type_: String,
    pub format: String,
    pub description: String,
    pub priority: i32,
}

impl From<&Column> for OwnedColumn {
    fn from(c: &Column) -> Self {
        OwnedColumn {
            name: c.name.to_owned(),
            type_: c.type_.to_owned(),
            format: c.format.to_owned(),
            description: c.description.to_owned(),
            priority: c.priority,
        }
    }
}

type CellFn = fn(&Value, Timestamp) -> Vec<Value>;

/// The printer registered for a group and kind, if upstream has one.
fn printer(group: &str, kind: &str) -> Option<(&'static [Column], CellFn)> {
    let p: (&'static [Column], CellFn) = match (group, kind) {
        ("", "Pod") => (core::POD, core::pod),
        ("", "PodTemplate") => (core::POD_TEMPLATE, core::pod_template),
        ("", "ReplicationController") => {
            (core::REPLICATION_CONTROLLER, core::replication_controller)
        }
        ("", "Service") => (core::SERVICE, core::service),
        ("", "Endpoints") => (core::ENDPOINTS, core::endpoints),
        ("", "Node") => (core::NODE, core::node),
        ("", "Event") => (core::EVENT, core::event),
        ("events.k8s.io", "Event") => (core::EVENT, core::events_v1_event),
        ("", "Namespace") => (core::NAMESPACE, core::namespace),
        ("", "Secret") => (core::SECRET, core::secret),
        ("", "ServiceAccount") => (core::SERVICE_ACCOUNT, core::service_account),
        ("", "PersistentVolume") => (core::PERSISTENT_VOLUME, core::persistent_volume),
        ("", "PersistentVolumeClaim") => {
            (core::PERSISTENT_VOLUME_CLAIM, core::persistent_volume_claim)
        }
        ("", "ComponentStatus") => (core::COMPONENT_STATUS, core::component_status),
        ("", "ConfigMap") => (core::CONFIG_MAP, core::config_map),
        ("", "ResourceQuota") => (core::RESOURCE_QUOTA, core::resource_quota),

        ("apps", "ReplicaSet") => (apps::REPLICA_SET, apps::replica_set),
        ("apps", "DaemonSet") => (apps::DAEMON_SET, apps::daemon_set),
        ("apps", "StatefulSet") => (apps::STATEFUL_SET, apps::stateful_set),
        ("apps", "Deployment") => (apps::DEPLOYMENT, apps::deployment),
        ("apps", "ControllerRevision") => (apps::CONTROLLER_REVISION, apps::controller_revision),

        ("batch", "Job") => (batch::JOB, batch::job),
        ("batch", "CronJob") => (batch::CRON_JOB, batch::cron_job),

        ("autoscaling", "HorizontalPodAutoscaler") => (autoscaling::HPA, autoscaling::hpa),
        ("autoscaling", "Scale") => (autoscaling::SCALE, autoscaling::scale),

        ("networking.k8s.io", "Ingress") => (networking::INGRESS, networking::ingress),
        ("networking.k8s.io", "IngressClass") => {
            (networking::INGRESS_CLASS, networking::ingress_class)
        }
        ("networking.k8s.io", "NetworkPolicy") => {
            (networking::NETWORK_POLICY, networking::network_policy)
        }
        ("networking.k8s.io", "ServiceCIDR") => {
            (networking::SERVICE_CIDR, networking::service_cidr)
        }
        ("networking.k8s.io", "IPAddress") => (networking::IP_ADDRESS, networking::ip_address),
        ("discovery.k8s.io", "EndpointSlice") => {
            (networking::ENDPOINT_SLICE, networking::endpoint_slice)
        }

        ("storage.k8s.io", "StorageClass") => (storage::STORAGE_CLASS, storage::storage_class),
        ("storage.k8s.io", "VolumeAttributesClass") => (
            storage::VOLUME_ATTRIBUTES_CLASS,
            storage::volume_attributes_class,
        ),
        ("storage.k8s.io", "VolumeAttachment") => {
            (storage::VOLUME_ATTACHMENT, storage::volume_attachment)
        }
        ("storage.k8s.io", "CSINode") => (storage::CSI_NODE, storage::csi_node),
        ("storage.k8s.io", "CSIDriver") => (storage::CSI_DRIVER, storage::csi_driver),
        ("storage.k8s.io", "CSIStorageCapacity") => {
            (storage::CSI_STORAGE_CAPACITY, storage::csi_storage_capacity)
        }

        ("policy", "PodDisruptionBudget") => (cluster::PDB, cluster::pod_disruption_budget),
        ("rbac.authorization.k8s.io", "RoleBinding") => {
            (cluster::ROLE_BINDING, cluster::role_binding)
        }
        ("rbac.authorization.k8s.io", "ClusterRoleBinding") => {
            (cluster::CLUSTER_ROLE_BINDING, cluster::role_binding)
        }
        ("certificates.k8s.io", "CertificateSigningRequest") => (cluster::CSR, cluster::csr),
        ("certificates.k8s.io", "ClusterTrustBundle") => {
            (cluster::CLUSTER_TRUST_BUNDLE, cluster::cluster_trust_bundle)
        }
        ("coordination.k8s.io", "Lease") => (cluster::LEASE, cluster::lease),
        ("coordination.k8s.io", "LeaseCandidate") => {
            (cluster::LEASE_CANDIDATE, cluster::lease_candidate)
        }
        ("scheduling.k8s.io", "PriorityClass") => {
            (cluster::PRIORITY_CLASS, cluster::priority_class)
        }
        ("node.k8s.io", "RuntimeClass") => (cluster::RUNTIME_CLASS, cluster::runtime_class),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration")
        | ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration") => (
            cluster::WEBHOOK_CONFIGURATION,
            cluster::webhook_configuration,
        ),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => (
            cluster::VALIDATING_ADMISSION_POLICY,
            cluster::validating_admission_policy,
        ),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy") => (
            cluster::MUTATING_ADMISSION_POLICY,
            cluster::mutating_admission_policy,
        ),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding")
        | ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding") => (
            cluster::ADMISSION_POLICY_BINDING,
            cluster::admission_policy_binding,
        ),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema") => {
            (cluster::FLOW_SCHEMA, cluster::flow_schema)
        }
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration") => (
            cluster::PRIORITY_LEVEL_CONFIGURATION,
            cluster::priority_level_configuration,
        ),
        ("internal.apiserver.k8s.io", "StorageVersion") => {
            (cluster::STORAGE_VERSION, cluster::storage_version)
        }
        ("storagemigration.k8s.io", "StorageVersionMigration") => (
            cluster::STORAGE_VERSION_MIGRATION,
            cluster::storage_version_migration,
        ),
        ("resource.k8s.io", "DeviceClass") | ("resource.k8s.io", "ResourceClaimTemplate") => {
            (cluster::NAME_AGE, cluster::name_age)
        }
        ("resource.k8s.io", "ResourceClaim") => (cluster::RESOURCE_CLAIM, cluster::resource_claim),
        ("resource.k8s.io", "ResourceSlice") => (cluster::RESOURCE_SLICE, cluster::resource_slice),
        ("apiregistration.k8s.io", "APIService") => (cluster::API_SERVICE, cluster::api_service),
        _ => return None,
    };
    Some(p)
}

/// Columns for a kind; `None` if upstream has no printer for it (LimitRange, Role, ClusterRole,
/// CustomResourceDefinition, …), in which case the default `Name`/`Created At` table applies.
pub fn columns(group: &str, kind: &str) -> Option<&'static [Column]> {
    printer(group, kind).map(|(columns, _)| columns)
}

/// One row's cells for `obj`, including the `-o wide` cells, with `now` for ages. Kinds without
/// a printer get the default table's cells (see [`default_cells`]).
pub fn cells(group: &str, kind: &str, obj: &Value, now: Timestamp) -> Vec<Value> {
    match printer(group, kind) {
        Some((_, cells)) => cells(obj, now),
        None => default_cells(obj),
    }
}

const DEFAULT_COLUMNS: &[Column] = &[
    NAME,
    Column {
        name: "Created At",
        type_: "date",
        format: "",
        description: docs::META_CREATION_TIMESTAMP,
        priority: 0,
    },
];

/// The columns of upstream's default table convertor (`rest.NewDefaultTableConvertor`).
pub fn default_columns() -> &'static [Column] {
    DEFAULT_COLUMNS
}

/// The default table convertor's cells: the name and the creation time in RFC 3339 (UTC, whole
/// seconds), `0001-01-01T00:00:00Z` when unset, as Go formats a zero time.
pub fn default_cells(obj: &Value) -> Vec<Value> {
    let created = match time_at(obj, &["metadata", "creationTimestamp"]) {
        Some(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "0001-01-01T00:00:00Z".to_owned(),
    };
    vec![Value::from(name(obj)), Value::from(created)]
}

/// A duration the way upstream's `duration.HumanDuration` prints it: `45s`, `3m2s`, `15m`,
/// `5h3m`, `20h`, `3d4h`, `120d`, `3y45d`, `9y`; `<invalid>` when more than a second negative.
pub fn human_duration(d: SignedDuration) -> String {
    let seconds = d.as_secs();
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        return if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

// ---- column building blocks ----

/// The `Name` column every printer starts with.
pub(super) const NAME: Column = Column {
    name: "Name",
    type_: "string",
    format: "name",
    description: docs::META_NAME,
    priority: 0,
};

/// The `Age` column (a string: the human duration since creation).
pub(super) const AGE: Column = col("Age", "string", docs::META_CREATION_TIMESTAMP);

/// A normal column.
pub(super) const fn col(
    name: &'static str,
    type_: &'static str,
    description: &'static str,
) -> Column {
    Column {
        name,
        type_,
        format: "",
        description,
        priority: 0,
    }
}

/// A column shown only with `-o wide`.
pub(super) const fn wide(
    name: &'static str,
    type_: &'static str,
    description: &'static str,
) -> Column {
    Column {
        name,
        type_,
        format: "",
        description,
        priority: 1,
    }
}

pub(super) const CONTAINERS_DESC: &str = "Names of each container in the template.";
pub(super) const IMAGES_DESC: &str = "Images referenced by each container in the template.";

// ---- reading served JSON ----

/// The value at `path`, treating JSON `null` as absent.
pub(super) fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    (!cur.is_null()).then_some(cur)
}

/// The string at `path`, if there is one.
pub(super) fn opt_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

/// The string at `path`, or `""` (a Go string's zero value).
pub(super) fn str_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    opt_str(v, path).unwrap_or("")
}

/// A JSON number as an integer (floats truncate, as Go's conversions do).
pub(super) fn int_of(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
        .or_else(|| v.as_f64().map(|f| f as i64))
}

pub(super) fn opt_int(v: &Value, path: &[&str]) -> Option<i64> {
    get(v, path).and_then(int_of)
}

/// The integer at `path`, or 0.
pub(super) fn int_at(v: &Value, path: &[&str]) -> i64 {
    opt_int(v, path).unwrap_or(0)
}

pub(super) fn opt_bool(v: &Value, path: &[&str]) -> Option<bool> {
    get(v, path).and_then(Value::as_bool)
}

/// The boolean at `path`, or false.
pub(super) fn bool_at(v: &Value, path: &[&str]) -> bool {
    opt_bool(v, path).unwrap_or(false)
}

/// The array at `path`, or an empty slice.
pub(super) fn arr_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    get(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The number of entries of the map or array at `path`.
pub(super) fn len_at(v: &Value, path: &[&str]) -> usize {
    match get(v, path) {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    }
}

pub(super) fn name(obj: &Value) -> &str {
    str_at(obj, &["metadata", "name"])
}

/// Whether `metadata.deletionTimestamp` is set.
pub(super) fn is_deleting(obj: &Value) -> bool {
    get(obj, &["metadata", "deletionTimestamp"]).is_some()
}

/// Seconds of Go's zero `time.Time` (0001-01-01T00:00:00Z) since the Unix epoch.
const GO_ZERO_TIME_SECS: i64 = -62_135_596_800;

/// A `metav1.Time`/`MicroTime` string; `None` for absent, unparsable or Go's zero time.
pub(super) fn parse_time(v: &Value) -> Option<Timestamp> {
    let t: Timestamp = v.as_str()?.parse().ok()?;
    (t.as_second() != GO_ZERO_TIME_SECS || t.subsec_nanosecond() != 0).then_some(t)
}

pub(super) fn time_at(v: &Value, path: &[&str]) -> Option<Timestamp> {
    get(v, path).and_then(parse_time)
}

/// Upstream's `translateTimestampSince`: the human duration since `t`, `<unknown>` if unset.
pub(super) fn since(t: Option<Timestamp>, now: Timestamp) -> String {
    match t {
        Some(t) => human_duration(now.duration_since(t)),
        None => "<unknown>".to_owned(),
    }
}

/// The `Age` cell.
pub(super) fn age(obj: &Value, now: Timestamp) -> Value {
    Value::from(since(time_at(obj, &["metadata", "creationTimestamp"]), now))
}

/// Upstream's `layoutContainerCells`: container names and images, comma-separated.
pub(super) fn layout_containers(containers: &[Value]) -> (Value, Value) {
    let names: Vec<&str> = containers.iter().map(|c| str_at(c, &["name"])).collect();
    let images: Vec<&str> = containers.iter().map(|c| str_at(c, &["image"])).collect();
    (Value::from(names.join(",")), Value::from(images.join(",")))
}

/// Upstream's `listWithMoreString`.
pub(super) fn list_with_more(list: &[String], more: bool, count: usize, max: usize) -> String {
    let ret = list.join(",");
    if more {
        return format!("{ret} + {} more...", count.saturating_sub(max));
    }
    if ret.is_empty() {
        "<unset>".to_owned()
    } else {
        ret
    }
}

/// Go's `printBoolPtr`: `True`, `False` or `<unset>`.
pub(super) fn bool_ptr(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    }
}

#[cfg(test)]
pub(super) mod testutil {
    use jiff::Timestamp;
    use serde_json::Value;

    /// The fixed "now" of every printer test.
    pub fn now() -> Timestamp {
        "2024-06-01T12:00:00Z".parse().expect("valid timestamp")
    }

    /// A timestamp `secs` seconds before [`now`], RFC 3339.
    pub fn ago(secs: i64) -> String {
        let t = now() - jiff::SignedDuration::from_secs(secs);
        t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    /// Renders cells compactly for assertions: strings bare, others as JSON.
    pub fn render(cells: &[Value]) -> Vec<String> {
        cells
            .iter()
            .map(|c| match c {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    }

    /// Cells of `obj` printed as `group`/`kind`, rendered; also checks the row has one cell per
    /// column.
    pub fn row(group: &str, kind: &str, obj: &Value) -> Vec<String> {
        let cells = super::cells(group, kind, obj, now());
        let columns = super::columns(group, kind).expect("kind has a printer");
        assert_eq!(
            cells.len(),
            columns.len(),
            "{group}/{kind}: one cell per column"
        );
        render(&cells)
    }

    /// Column headers of `group`/`kind` as `Name` or `Name*` for priority-1 columns.
    pub fn headers(group: &str, kind: &str) -> Vec<String> {
        super::columns(group, kind)
            .expect("kind has a printer")
            .iter()
            .map(|c| {
                if c.priority == 1 {
                    format!("{}*", c.name)
                } else {
                    c.name.to_owned()
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn human_duration_matches_upstream_table() {
        let cases: &[(i64, &str)] = &[
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (1, "1s"),
            (119, "119s"),
            (120, "2m"),
            (121, "2m1s"),
            (9 * 60 + 59, "9m59s"),
            (10 * 60, "10m"),
            (10 * 60 + 59, "10m"),
            (3 * 3600 - 1, "179m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 61, "3h1m"),
            (8 * 3600 - 1, "7h59m"),
            (8 * 3600, "8h"),
            (48 * 3600 - 1, "47h"),
            (48 * 3600, "2d"),
            (48 * 3600 + 3600, "2d1h"),
            (8 * 86400 - 1, "7d23h"),
            (8 * 86400, "8d"),
            (2 * 365 * 86400 - 1, "729d"),
            (2 * 365 * 86400, "2y"),
            (2 * 365 * 86400 + 45 * 86400, "2y45d"),
            (8 * 365 * 86400 - 1, "7y364d"),
            (8 * 365 * 86400, "8y"),
            (20 * 365 * 86400, "20y"),
        ];
        for &(secs, want) in cases {
            assert_eq!(
                human_duration(SignedDuration::from_secs(secs)),
                want,
                "{secs}s"
            );
        }
        // Sub-second negatives round toward zero like Go's int(d.Seconds()).
        assert_eq!(human_duration(SignedDuration::from_millis(-1500)), "0s");
        assert_eq!(
            human_duration(SignedDuration::from_millis(-2500)),
            "<invalid>"
        );
        assert_eq!(human_duration(SignedDuration::from_millis(1999)), "1s");
    }

    #[test]
    fn default_table() {
        let cols = default_columns();
        assert_eq!(cols.len(), 2);
        assert_eq!(
            (cols[0].name, cols[0].type_, cols[0].format),
            ("Name", "string", "name")
        );
        assert_eq!(
            (cols[1].name, cols[1].type_, cols[1].format),
            ("Created At", "date", "")
        );
        assert!(
            cols[1]
                .description
                .starts_with("CreationTimestamp is a timestamp")
        );
        let obj = json!({"metadata": {"name": "limits", "creationTimestamp": "2024-05-01T10:11:12.345Z"}});
        assert_eq!(
            default_cells(&obj),
            vec![json!("limits"), json!("2024-05-01T10:11:12Z")]
        );
        assert_eq!(
            default_cells(&json!({})),
            vec![json!(""), json!("0001-01-01T00:00:00Z")]
        );
        // Kinds without a printer: no columns, default cells.
        for (group, kind) in [
            ("", "LimitRange"),
            ("rbac.authorization.k8s.io", "Role"),
            ("rbac.authorization.k8s.io", "ClusterRole"),
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ] {
            assert!(columns(group, kind).is_none(), "{kind}");
            assert_eq!(
                cells(group, kind, &obj, now())[1],
                json!("2024-05-01T10:11:12Z")
            );
        }
    }

    #[test]
    fn every_printer_starts_with_name_and_has_one_cell_per_column_for_empty_objects() {
        let kinds = [
            ("", "Pod"),
            ("", "PodTemplate"),
            ("", "ReplicationController"),
            ("", "Service"),
            ("", "Endpoints"),
            ("", "Node"),
            ("", "Namespace"),
            ("", "Secret"),
            ("", "ServiceAccount"),
            ("", "PersistentVolume"),
            ("", "PersistentVolumeClaim"),
            ("", "ComponentStatus"),
            ("", "ConfigMap"),
            ("", "ResourceQuota"),
            ("apps", "ReplicaSet"),
            ("apps", "DaemonSet"),
            ("apps", "StatefulSet"),
            ("apps", "Deployment"),
            ("apps", "ControllerRevision"),
            ("batch", "Job"),
            ("batch", "CronJob"),
            ("autoscaling", "HorizontalPodAutoscaler"),
            ("networking.k8s.io", "Ingress"),
            ("networking.k8s.io", "IngressClass"),
            ("networking.k8s.io", "NetworkPolicy"),
            ("networking.k8s.io", "ServiceCIDR"),
            ("discovery.k8s.io", "EndpointSlice"),
            ("storage.k8s.io", "StorageClass"),
            ("storage.k8s.io", "VolumeAttributesClass"),
            ("storage.k8s.io", "VolumeAttachment"),
            ("storage.k8s.io", "CSINode"),
            ("storage.k8s.io", "CSIDriver"),
            ("storage.k8s.io", "CSIStorageCapacity"),
            ("policy", "PodDisruptionBudget"),
            ("rbac.authorization.k8s.io", "RoleBinding"),
            ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
            ("certificates.k8s.io", "CertificateSigningRequest"),
            ("certificates.k8s.io", "ClusterTrustBundle"),
            ("coordination.k8s.io", "Lease"),
            ("coordination.k8s.io", "LeaseCandidate"),
            ("scheduling.k8s.io", "PriorityClass"),
            ("node.k8s.io", "RuntimeClass"),
            (
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration",
            ),
            (
                "admissionregistration.k8s.io",
                "ValidatingWebhookConfiguration",
            ),
            ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
            (
                "admissionregistration.k8s.io",
                "ValidatingAdmissionPolicyBinding",
            ),
            ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
            (
                "admissionregistration.k8s.io",
                "MutatingAdmissionPolicyBinding",
            ),
            ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
            ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
            ("internal.apiserver.k8s.io", "StorageVersion"),
            ("storagemigration.k8s.io", "StorageVersionMigration"),
            ("resource.k8s.io", "DeviceClass"),
            ("resource.k8s.io", "ResourceClaim"),
            ("resource.k8s.io", "ResourceClaimTemplate"),
            ("resource.k8s.io", "ResourceSlice"),
            ("apiregistration.k8s.io", "APIService"),
        ];
        for (group, kind) in kinds {
            let cols = columns(group, kind).expect("printer");
            assert_eq!(cols[0].name, "Name", "{kind}");
            assert!(cols.iter().all(|c| !c.type_.is_empty()), "{kind}");
            // Odd objects never panic and still fill every column.
            for obj in [
                json!({}),
                json!(null),
                json!({"metadata": null, "spec": 3, "status": "x"}),
            ] {
                assert_eq!(cells(group, kind, &obj, now()).len(), cols.len(), "{kind}");
            }
        }
        // Upstream's IPAddress printer sends the age as a third cell beyond its two columns.
        let cols = columns("networking.k8s.io", "IPAddress").expect("printer");
        assert_eq!(
            cells("networking.k8s.io", "IPAddress", &json!({}), now()).len(),
            cols.len() + 1
        );
        // Events are the one printer whose Name is last (and wide).
        for group in ["", "events.k8s.io"] {
            let cols = columns(group, "Event").expect("printer");
            assert_eq!(cols[9].name, "Name");
            assert_eq!(cols[9].format, "name");
            assert_eq!(cells(group, "Event", &json!({}), now()).len(), cols.len());
        }
    }

    #[test]
    fn time_parsing() {
        assert!(parse_time(&json!("0001-01-01T00:00:00Z")).is_none());
        assert!(parse_time(&json!("garbage")).is_none());
        assert!(parse_time(&json!(5)).is_none());
        assert_eq!(since(parse_time(&json!(ago(30))), now()), "30s");
        assert_eq!(since(None, now()), "<unknown>");
        // MicroTime, with an offset.
        let t = parse_time(&json!("2024-06-01T13:58:59.500000+02:00")).expect("parses");
        assert_eq!(since(Some(t), now()), "60s");
    }
}
