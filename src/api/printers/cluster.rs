//! Printers for the cluster-level groups: policy, RBAC, certificates, coordination,
//! scheduling, node, admission, flow control, storage versions, DRA and API services.

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use super::docs as d;
use super::labels::go_label_selector_string;
use super::{
    AGE, Column, NAME, age, arr_at, bool_at, col, get, human_duration, int_at, len_at,
    list_with_more, name, opt_int, opt_str, str_at, wide,
};

pub(super) const PDB: &[Column] = &[
    NAME,
    col(
        "Min Available",
        "string",
        "The minimum number of pods that must be available.",
    ),
    col(
        "Max Unavailable",
        "string",
        "The maximum number of pods that may be unavailable.",
    ),
    col(
        "Allowed Disruptions",
        "integer",
        "Calculated number of pods that may be disrupted at this time.",
    ),
    AGE,
];

/// An `IntOrString` as Go's `String()` prints it; `N/A` when unset.
fn int_or_string(v: Option<&Value>) -> String {
    match v {
        None => "N/A".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => super::int_of(other).unwrap_or(0).to_string(),
    }
}

pub(super) fn pod_disruption_budget(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(int_or_string(get(obj, &["spec", "minAvailable"]))),
        Value::from(int_or_string(get(obj, &["spec", "maxUnavailable"]))),
        Value::from(int_at(obj, &["status", "disruptionsAllowed"])),
        age(obj, now),
    ]
}

pub(super) const ROLE_BINDING: &[Column] = &[
    NAME,
    col("Role", "string", d::ROLE_BINDING_ROLE_REF),
    AGE,
    wide("Users", "string", "Users in the roleBinding"),
    wide("Groups", "string", "Groups in the roleBinding"),
    wide(
        "ServiceAccounts",
        "string",
        "ServiceAccounts in the roleBinding",
    ),
];

pub(super) const CLUSTER_ROLE_BINDING: &[Column] = &[
    NAME,
    col("Role", "string", d::CLUSTER_ROLE_BINDING_ROLE_REF),
    AGE,
    wide("Users", "string", "Users in the clusterRoleBinding"),
    wide("Groups", "string", "Groups in the clusterRoleBinding"),
    wide(
        "ServiceAccounts",
        "string",
        "ServiceAccounts in the clusterRoleBinding",
    ),
];

/// RoleBindings and ClusterRoleBindings: `Kind/name` of the role, then the subjects by kind.
pub(super) fn role_binding(obj: &Value, now: Timestamp) -> Vec<Value> {
    let role = format!(
        "{}/{}",
        str_at(obj, &["roleRef", "kind"]),
        str_at(obj, &["roleRef", "name"])
    );
    let mut users: Vec<String> = Vec::new();
    let mut groups: Vec<String> = Vec::new();
    let mut service_accounts: Vec<String> = Vec::new();
    for subject in arr_at(obj, &["subjects"]) {
        let subject_name = str_at(subject, &["name"]);
        match str_at(subject, &["kind"]) {
            "ServiceAccount" => service_accounts.push(format!(
                "{}/{subject_name}",
                str_at(subject, &["namespace"])
            )),
            "User" => users.push(subject_name.to_owned()),
            "Group" => groups.push(subject_name.to_owned()),
            _ => {}
        }
    }
    vec![
        Value::from(name(obj)),
        Value::from(role),
        age(obj, now),
        Value::from(users.join(", ")),
        Value::from(groups.join(", ")),
        Value::from(service_accounts.join(", ")),
    ]
}

pub(super) const CSR: &[Column] = &[
    NAME,
    AGE,
    col("SignerName", "string", d::CSR_SPEC_SIGNER_NAME),
    col("Requestor", "string", d::CSR_SPEC_REQUEST),
    col(
        "RequestedDuration",
        "string",
        d::CSR_SPEC_EXPIRATION_SECONDS,
    ),
    col("Condition", "string", d::CSR_STATUS_CONDITIONS),
];

/// Upstream's `extractCSRStatus`: `Denied`/`Approved`/`Pending`, then `,Failed`, `,Issued`.
fn csr_status(obj: &Value) -> String {
    let has = |t: &str| {
        arr_at(obj, &["status", "conditions"])
            .iter()
            .any(|c| str_at(c, &["type"]) == t)
    };
    let mut status = if has("Denied") {
        "Denied".to_owned()
    } else if has("Approved") {
        "Approved".to_owned()
    } else {
        "Pending".to_owned()
    };
    if has("Failed") {
        status.push_str(",Failed");
    }
    if !str_at(obj, &["status", "certificate"]).is_empty() {
        status.push_str(",Issued");
    }
    status
}

pub(super) fn csr(obj: &Value, now: Timestamp) -> Vec<Value> {
    let signer = match str_at(obj, &["spec", "signerName"]) {
        "" => "<none>",
        s => s,
    };
    let requested = opt_int(obj, &["spec", "expirationSeconds"]).map_or_else(
        || "<none>".to_owned(),
        |secs| human_duration(SignedDuration::from_secs(secs)),
    );
    vec![
        Value::from(name(obj)),
        age(obj, now),
        Value::from(signer),
        Value::from(str_at(obj, &["spec", "username"])),
        Value::from(requested),
        Value::from(csr_status(obj)),
    ]
}

pub(super) const CLUSTER_TRUST_BUNDLE: &[Column] =
    &[NAME, col("SignerName", "string", d::CTB_SPEC_SIGNER_NAME)];

pub(super) fn cluster_trust_bundle(obj: &Value, _now: Timestamp) -> Vec<Value> {
    let signer = match str_at(obj, &["spec", "signerName"]) {
        "" => "<none>",
        s => s,
    };
    vec![Value::from(name(obj)), Value::from(signer)]
}

pub(super) const LEASE: &[Column] = &[
    NAME,
    col("Holder", "string", d::LEASE_SPEC_HOLDER_IDENTITY),
    AGE,
];

pub(super) fn lease(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["spec", "holderIdentity"])),
        age(obj, now),
    ]
}

pub(super) const LEASE_CANDIDATE: &[Column] = &[
    NAME,
    col("LeaseName", "string", d::LEASE_CANDIDATE_SPEC_LEASE_NAME),
    // Upstream looks these descriptions up under keys ObjectMeta lacks, so they are empty.
    col("BinaryVersion", "string", ""),
    col("EmulationVersion", "string", ""),
    AGE,
];

pub(super) fn lease_candidate(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["spec", "leaseName"])),
        Value::from(str_at(obj, &["spec", "binaryVersion"])),
        Value::from(str_at(obj, &["spec", "emulationVersion"])),
        age(obj, now),
    ]
}

pub(super) const PRIORITY_CLASS: &[Column] = &[
    NAME,
    col("Value", "integer", d::PC_VALUE),
    col("Global-Default", "boolean", d::PC_GLOBAL_DEFAULT),
    AGE,
    // Upstream only fills this column in wide mode but does not mark it priority 1; the
    // server always prints wide, so it always shows.
    col("PreemptionPolicy", "string", d::PC_PREEMPTION_POLICY),
];

pub(super) fn priority_class(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(int_at(obj, &["value"])),
        Value::from(bool_at(obj, &["globalDefault"])),
        age(obj, now),
        Value::from(str_at(obj, &["preemptionPolicy"])),
    ]
}

pub(super) const RUNTIME_CLASS: &[Column] = &[
    NAME,
    // Upstream looks the description up under a key ObjectMeta lacks.
    col("Handler", "string", ""),
    AGE,
];

pub(super) fn runtime_class(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["handler"])),
        age(obj, now),
    ]
}

pub(super) const WEBHOOK_CONFIGURATION: &[Column] = &[
    NAME,
    col(
        "Webhooks",
        "integer",
        "Webhooks indicates the number of webhooks registered in this configuration",
    ),
    AGE,
];

/// Mutating and validating webhook configurations.
pub(super) fn webhook_configuration(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(len_at(obj, &["webhooks"])),
        age(obj, now),
    ]
}

const PARAM_KIND_DESC: &str =
    "ParamKind specifies the kind of resources used to parameterize this policy";

pub(super) const VALIDATING_ADMISSION_POLICY: &[Column] = &[
    NAME,
    col(
        "Validations",
        "integer",
        "Validations indicates the number of validation rules defined in this configuration",
    ),
    col("ParamKind", "string", PARAM_KIND_DESC),
    AGE,
];

pub(super) const MUTATING_ADMISSION_POLICY: &[Column] = &[
    NAME,
    col(
        "Mutations",
        "integer",
        "Mutation indicates the number of mutations rules defined in this configuration",
    ),
    col("ParamKind", "string", PARAM_KIND_DESC),
    AGE,
];

fn param_kind(obj: &Value) -> String {
    match get(obj, &["spec", "paramKind"]) {
        None => "<unset>".to_owned(),
        Some(p) => format!("{}/{}", str_at(p, &["apiVersion"]), str_at(p, &["kind"])),
    }
}

pub(super) fn validating_admission_policy(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(len_at(obj, &["spec", "validations"])),
        Value::from(param_kind(obj)),
        age(obj, now),
    ]
}

pub(super) fn mutating_admission_policy(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(len_at(obj, &["spec", "mutations"])),
        Value::from(param_kind(obj)),
        age(obj, now),
    ]
}

pub(super) const ADMISSION_POLICY_BINDING: &[Column] = &[
    NAME,
    col(
        "PolicyName",
        "string",
        "PolicyName indicates the policy definition which the policy binding binded to",
    ),
    col(
        "ParamRef",
        "string",
        "ParamRef indicates the param resource which sets the configration param",
    ),
    AGE,
];

/// Validating and mutating admission policy bindings.
pub(super) fn admission_policy_binding(obj: &Value, now: Timestamp) -> Vec<Value> {
    let param = match get(obj, &["spec", "paramRef"]) {
        None => "<unset>".to_owned(),
        Some(p) => match (str_at(p, &["name"]), str_at(p, &["namespace"])) {
            ("", _) => match get(p, &["selector"]) {
                Some(sel) => go_label_selector_string(sel),
                None => "<unset>".to_owned(),
            },
            // Without a namespace, the param may be cluster-scoped or in any namespace.
            (n, "") => format!("*/{n}"),
            (n, ns) => format!("{ns}/{n}"),
        },
    };
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["spec", "policyName"])),
        Value::from(param),
        age(obj, now),
    ]
}

pub(super) const FLOW_SCHEMA: &[Column] = &[
    NAME,
    col("PriorityLevel", "string", d::FS_PL_NAME),
    col("MatchingPrecedence", "string", d::FS_MATCHING_PRECEDENCE),
    col("DistinguisherMethod", "string", d::FS_DISTINGUISHER_METHOD),
    AGE,
    col(
        "MissingPL",
        "string",
        "references a broken or non-existent PriorityLevelConfiguration",
    ),
];

pub(super) fn flow_schema(obj: &Value, now: Timestamp) -> Vec<Value> {
    let distinguisher = match get(obj, &["spec", "distinguisherMethod"]) {
        Some(method) => str_at(method, &["type"]),
        None => "<none>",
    };
    let missing = arr_at(obj, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Dangling")
        .map_or("?", |c| str_at(c, &["status"]));
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["spec", "priorityLevelConfiguration", "name"])),
        Value::from(int_at(obj, &["spec", "matchingPrecedence"])),
        Value::from(distinguisher),
        age(obj, now),
        Value::from(missing),
    ]
}

pub(super) const PRIORITY_LEVEL_CONFIGURATION: &[Column] = &[
    NAME,
    col("Type", "string", d::PLC_TYPE),
    col("NominalConcurrencyShares", "string", d::PLC_NCS),
    col("Queues", "string", d::PLC_QUEUES),
    col("HandSize", "string", d::PLC_HAND_SIZE),
    col("QueueLengthLimit", "string", d::PLC_QUEUE_LENGTH_LIMIT),
    AGE,
];

pub(super) fn priority_level_configuration(obj: &Value, now: Timestamp) -> Vec<Value> {
    let none = || Value::from("<none>");
    let (mut ncs, mut queues, mut hand_size, mut queue_length_limit) =
        (none(), none(), none(), none());
    if let Some(limited) = get(obj, &["spec", "limited"]) {
        ncs = Value::from(int_at(limited, &["nominalConcurrencyShares"]));
        if let Some(queuing) = get(limited, &["limitResponse", "queuing"]) {
            queues = Value::from(int_at(queuing, &["queues"]));
            hand_size = Value::from(int_at(queuing, &["handSize"]));
            queue_length_limit = Value::from(int_at(queuing, &["queueLengthLimit"]));
        }
    }
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["spec", "type"])),
        ncs,
        queues,
        hand_size,
        queue_length_limit,
        age(obj, now),
    ]
}

pub(super) const STORAGE_VERSION: &[Column] = &[
    NAME,
    col(
        "CommonEncodingVersion",
        "string",
        d::SV_COMMON_ENCODING_VERSION,
    ),
    col("StorageVersions", "string", d::SV_STORAGE_VERSIONS),
    AGE,
];

pub(super) fn storage_version(obj: &Value, now: Timestamp) -> Vec<Value> {
    const MAX: usize = 3;
    let versions = arr_at(obj, &["status", "storageVersions"]);
    let list: Vec<String> = versions
        .iter()
        .take(MAX)
        .map(|v| {
            format!(
                "{}={}",
                str_at(v, &["apiServerID"]),
                str_at(v, &["encodingVersion"])
            )
        })
        .collect();
    vec![
        Value::from(name(obj)),
        Value::from(opt_str(obj, &["status", "commonEncodingVersion"]).unwrap_or("<unset>")),
        Value::from(list_with_more(
            &list,
            versions.len() > MAX,
            versions.len(),
            MAX,
        )),
        age(obj, now),
    ]
}

pub(super) const STORAGE_VERSION_MIGRATION: &[Column] = &[
    // Upstream leaves this name column unformatted.
    col("Name", "string", d::META_NAME),
    col("Resource", "string", "Fully qualified resource to migrate"),
];

pub(super) fn storage_version_migration(obj: &Value, _now: Timestamp) -> Vec<Value> {
    let gvr = format!(
        "{}.{}.{}",
        str_at(obj, &["spec", "resource", "resource"]),
        str_at(obj, &["spec", "resource", "version"]),
        str_at(obj, &["spec", "resource", "group"])
    );
    vec![Value::from(name(obj)), Value::from(gvr)]
}

/// DeviceClass and ResourceClaimTemplate print just a name and an age.
pub(super) const NAME_AGE: &[Column] = &[NAME, AGE];

pub(super) fn name_age(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![Value::from(name(obj)), age(obj, now)]
}

pub(super) const RESOURCE_CLAIM: &[Column] = &[
    NAME,
    col(
        "State",
        "string",
        "A summary of the current state (allocated, pending, reserved, etc.).",
    ),
    AGE,
];

pub(super) fn resource_claim(obj: &Value, now: Timestamp) -> Vec<Value> {
    let deleted = super::is_deleting(obj);
    let mut states: Vec<&str> = Vec::new();
    if deleted {
        states.push("deleted");
    }
    if get(obj, &["status", "allocation"]).is_none() {
        if !deleted {
            states.push("pending");
        }
    } else {
        states.push("allocated");
        if len_at(obj, &["status", "reservedFor"]) > 0 {
            states.push("reserved");
        }
    }
    vec![
        Value::from(name(obj)),
        Value::from(states.join(",")),
        age(obj, now),
    ]
}

pub(super) const RESOURCE_SLICE: &[Column] = &[
    NAME,
    col("Node", "string", d::RSLICE_NODE_NAME),
    col("Driver", "string", d::RSLICE_DRIVER),
    col("Pool", "string", d::RPOOL_NAME),
    AGE,
];

pub(super) fn resource_slice(obj: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        Value::from(name(obj)),
        Value::from(str_at(obj, &["spec", "nodeName"])),
        Value::from(str_at(obj, &["spec", "driver"])),
        Value::from(str_at(obj, &["spec", "pool", "name"])),
        age(obj, now),
    ]
}

pub(super) const API_SERVICE: &[Column] = &[
    NAME,
    col(
        "Service",
        "string",
        "The reference to the service that hosts this API endpoint.",
    ),
    col("Available", "string", "Whether this service is available."),
    AGE,
];

pub(super) fn api_service(obj: &Value, now: Timestamp) -> Vec<Value> {
    let service = match get(obj, &["spec", "service"]) {
        None => "Local".to_owned(),
        Some(s) => format!("{}/{}", str_at(s, &["namespace"]), str_at(s, &["name"])),
    };
    let available = match arr_at(obj, &["status", "conditions"])
        .iter()
        .find(|c| str_at(c, &["type"]) == "Available")
    {
        None => "Unknown".to_owned(),
        Some(c) => {
            let status = str_at(c, &["status"]);
            match str_at(c, &["reason"]) {
                _ if status == "True" => status.to_owned(),
                "" => status.to_owned(),
                reason => format!("{status} ({reason})"),
            }
        }
    };
    vec![
        Value::from(name(obj)),
        Value::from(service),
        Value::from(available),
        age(obj, now),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use serde_json::json;

    #[test]
    fn pod_disruption_budget() {
        assert_eq!(
            headers("policy", "PodDisruptionBudget"),
            [
                "Name",
                "Min Available",
                "Max Unavailable",
                "Allowed Disruptions",
                "Age"
            ]
        );
        let pdb = json!({"metadata": {"name": "web", "creationTimestamp": ago(60)}, "spec": {"minAvailable": 2}, "status": {"disruptionsAllowed": 1}});
        assert_eq!(
            row("policy", "PodDisruptionBudget", &pdb),
            ["web", "2", "N/A", "1", "60s"]
        );
        let pct = json!({"metadata": {"name": "db"}, "spec": {"maxUnavailable": "25%"}});
        assert_eq!(
            row("policy", "PodDisruptionBudget", &pct),
            ["db", "N/A", "25%", "0", "<unknown>"]
        );
    }

    #[test]
    fn role_bindings() {
        assert_eq!(
            headers("rbac.authorization.k8s.io", "RoleBinding"),
            [
                "Name",
                "Role",
                "Age",
                "Users*",
                "Groups*",
                "ServiceAccounts*"
            ]
        );
        let rb = json!({
            "metadata": {"name": "admins", "creationTimestamp": ago(86400 * 2)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
            "subjects": [
                {"kind": "User", "name": "alice"}, {"kind": "User", "name": "bob"},
                {"kind": "Group", "name": "system:masters"},
                {"kind": "ServiceAccount", "name": "builder", "namespace": "ci"},
                {"kind": "Robot", "name": "r2"}
            ]
        });
        assert_eq!(
            row("rbac.authorization.k8s.io", "RoleBinding", &rb),
            [
                "admins",
                "ClusterRole/admin",
                "2d",
                "alice, bob",
                "system:masters",
                "ci/builder"
            ]
        );
        let crb = super::super::columns("rbac.authorization.k8s.io", "ClusterRoleBinding")
            .expect("printer");
        assert_eq!(crb[3].description, "Users in the clusterRoleBinding");
        assert_eq!(
            row(
                "rbac.authorization.k8s.io",
                "ClusterRoleBinding",
                &json!({"metadata": {"name": "x"}, "roleRef": {"kind": "ClusterRole", "name": "view"}})
            ),
            ["x", "ClusterRole/view", "<unknown>", "", "", ""]
        );
    }

    #[test]
    fn certificate_signing_request() {
        assert_eq!(
            headers("certificates.k8s.io", "CertificateSigningRequest"),
            [
                "Name",
                "Age",
                "SignerName",
                "Requestor",
                "RequestedDuration",
                "Condition"
            ]
        );
        let csr = json!({
            "metadata": {"name": "csr-abc", "creationTimestamp": ago(30)},
            "spec": {"signerName": "kubernetes.io/kube-apiserver-client-kubelet", "username": "system:node:agent-1", "expirationSeconds": 86400 * 365, "request": "LS0t"},
            "status": {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "LS0tLS1CRUdJTi"}
        });
        assert_eq!(
            row("certificates.k8s.io", "CertificateSigningRequest", &csr),
            [
                "csr-abc",
                "30s",
                "kubernetes.io/kube-apiserver-client-kubelet",
                "system:node:agent-1",
                "365d",
                "Approved,Issued"
            ]
        );
        let cases = [
            (json!([]), "Pending"),
            (
                json!([{"type": "Denied", "status": "True"}, {"type": "Approved", "status": "True"}]),
                "Denied",
            ),
            (
                json!([{"type": "Approved", "status": "True"}, {"type": "Failed", "status": "True"}]),
                "Approved,Failed",
            ),
        ];
        for (conditions, want) in cases {
            let obj = json!({"spec": {}, "status": {"conditions": conditions}});
            let cells = row("certificates.k8s.io", "CertificateSigningRequest", &obj);
            assert_eq!(cells[5], want);
            assert_eq!(cells[2], "<none>");
            assert_eq!(cells[4], "<none>");
        }
        let hour = json!({"spec": {"expirationSeconds": 3600}});
        assert_eq!(
            row("certificates.k8s.io", "CertificateSigningRequest", &hour)[4],
            "60m"
        );
    }

    #[test]
    fn coordination_scheduling_node() {
        let lease = json!({"metadata": {"name": "kube-scheduler", "creationTimestamp": ago(600)}, "spec": {"holderIdentity": "server-1_abc", "leaseDurationSeconds": 15}});
        assert_eq!(
            headers("coordination.k8s.io", "Lease"),
            ["Name", "Holder", "Age"]
        );
        assert_eq!(
            row("coordination.k8s.io", "Lease", &lease),
            ["kube-scheduler", "server-1_abc", "10m"]
        );
        assert_eq!(
            row(
                "coordination.k8s.io",
                "Lease",
                &json!({"metadata": {"name": "free"}})
            )[1],
            ""
        );

        let candidate = json!({"metadata": {"name": "c"}, "spec": {"leaseName": "l", "binaryVersion": "1.33.0", "emulationVersion": "1.32.0"}});
        assert_eq!(
            row("coordination.k8s.io", "LeaseCandidate", &candidate),
            ["c", "l", "1.33.0", "1.32.0", "<unknown>"]
        );

        assert_eq!(
            headers("scheduling.k8s.io", "PriorityClass"),
            ["Name", "Value", "Global-Default", "Age", "PreemptionPolicy"]
        );
        let pc = json!({"metadata": {"name": "system-node-critical", "creationTimestamp": ago(86400 * 9)}, "value": 2000001000, "preemptionPolicy": "PreemptLowerPriority"});
        assert_eq!(
            row("scheduling.k8s.io", "PriorityClass", &pc),
            [
                "system-node-critical",
                "2000001000",
                "false",
                "9d",
                "PreemptLowerPriority"
            ]
        );
        let default = json!({"metadata": {"name": "high"}, "value": 1000, "globalDefault": true});
        assert_eq!(
            row("scheduling.k8s.io", "PriorityClass", &default),
            ["high", "1000", "true", "<unknown>", ""]
        );

        let rc = json!({"metadata": {"name": "gvisor", "creationTimestamp": ago(5)}, "handler": "runsc"});
        assert_eq!(
            row("node.k8s.io", "RuntimeClass", &rc),
            ["gvisor", "runsc", "5s"]
        );
    }

    #[test]
    fn admission() {
        let hooks = json!({"metadata": {"name": "hooks", "creationTimestamp": ago(5)}, "webhooks": [{"name": "a"}, {"name": "b"}]});
        for kind in [
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ] {
            assert_eq!(
                row("admissionregistration.k8s.io", kind, &hooks),
                ["hooks", "2", "5s"]
            );
        }
        let vap = json!({"metadata": {"name": "p"}, "spec": {"validations": [{"expression": "true"}], "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"}}});
        assert_eq!(
            row(
                "admissionregistration.k8s.io",
                "ValidatingAdmissionPolicy",
                &vap
            ),
            ["p", "1", "v1/ConfigMap", "<unknown>"]
        );
        let map = json!({"metadata": {"name": "m"}, "spec": {"mutations": [{}, {}]}});
        assert_eq!(
            row(
                "admissionregistration.k8s.io",
                "MutatingAdmissionPolicy",
                &map
            ),
            ["m", "2", "<unset>", "<unknown>"]
        );
        let binding = |param: serde_json::Value| json!({"metadata": {"name": "b"}, "spec": {"policyName": "p", "paramRef": param}});
        let cases = [
            (json!({"name": "cfg", "namespace": "ns"}), "ns/cfg"),
            (json!({"name": "cfg"}), "*/cfg"),
            (
                json!({"selector": {"matchLabels": {"env": "prod"}}}),
                "&LabelSelector{MatchLabels:map[string]string{env: prod,},MatchExpressions:[]LabelSelectorRequirement{},}",
            ),
            (json!({}), "<unset>"),
            (json!(null), "<unset>"),
        ];
        for (param, want) in cases {
            for kind in [
                "ValidatingAdmissionPolicyBinding",
                "MutatingAdmissionPolicyBinding",
            ] {
                assert_eq!(
                    row(
                        "admissionregistration.k8s.io",
                        kind,
                        &binding(param.clone())
                    )[1..3],
                    ["p", want]
                );
            }
        }
    }

    #[test]
    fn flow_control() {
        let fs = json!({
            "metadata": {"name": "system-leader-election", "creationTimestamp": ago(100)},
            "spec": {"priorityLevelConfiguration": {"name": "leader-election"}, "matchingPrecedence": 100, "distinguisherMethod": {"type": "ByUser"}},
            "status": {"conditions": [{"type": "Dangling", "status": "False"}]}
        });
        assert_eq!(
            row("flowcontrol.apiserver.k8s.io", "FlowSchema", &fs),
            [
                "system-leader-election",
                "leader-election",
                "100",
                "ByUser",
                "100s",
                "False"
            ]
        );
        let bare = json!({"metadata": {"name": "x"}, "spec": {"priorityLevelConfiguration": {"name": "exempt"}, "matchingPrecedence": 1}});
        assert_eq!(
            row("flowcontrol.apiserver.k8s.io", "FlowSchema", &bare)[3..],
            ["<none>", "<unknown>", "?"]
        );

        let limited = json!({
            "metadata": {"name": "workload-low"},
            "spec": {"type": "Limited", "limited": {"nominalConcurrencyShares": 100, "limitResponse": {"type": "Queue", "queuing": {"queues": 128, "handSize": 6, "queueLengthLimit": 50}}}}
        });
        let cells = super::super::cells(
            "flowcontrol.apiserver.k8s.io",
            "PriorityLevelConfiguration",
            &limited,
            now(),
        );
        assert_eq!(cells[2], json!(100));
        assert_eq!(
            render(&cells),
            [
                "workload-low",
                "Limited",
                "100",
                "128",
                "6",
                "50",
                "<unknown>"
            ]
        );
        let exempt =
            json!({"metadata": {"name": "exempt"}, "spec": {"type": "Exempt", "exempt": {}}});
        assert_eq!(
            row(
                "flowcontrol.apiserver.k8s.io",
                "PriorityLevelConfiguration",
                &exempt
            ),
            [
                "exempt",
                "Exempt",
                "<none>",
                "<none>",
                "<none>",
                "<none>",
                "<unknown>"
            ]
        );
        let reject = json!({"spec": {"type": "Limited", "limited": {"nominalConcurrencyShares": 5, "limitResponse": {"type": "Reject"}}}});
        assert_eq!(
            row(
                "flowcontrol.apiserver.k8s.io",
                "PriorityLevelConfiguration",
                &reject
            )[2..6],
            ["5", "<none>", "<none>", "<none>"]
        );
    }

    #[test]
    fn storage_versions_and_dra() {
        let sv = json!({"metadata": {"name": "apps.deployments"}, "status": {"commonEncodingVersion": "apps/v1", "storageVersions": [
            {"apiServerID": "a", "encodingVersion": "apps/v1"}, {"apiServerID": "b", "encodingVersion": "apps/v1"},
            {"apiServerID": "c", "encodingVersion": "apps/v1"}, {"apiServerID": "d", "encodingVersion": "apps/v1"}
        ]}});
        assert_eq!(
            row("internal.apiserver.k8s.io", "StorageVersion", &sv),
            [
                "apps.deployments",
                "apps/v1",
                "a=apps/v1,b=apps/v1,c=apps/v1 + 1 more...",
                "<unknown>"
            ]
        );
        assert_eq!(
            row("internal.apiserver.k8s.io", "StorageVersion", &json!({}))[1..3],
            ["<unset>", "<unset>"]
        );
        let svm = json!({"metadata": {"name": "m"}, "spec": {"resource": {"group": "apps", "version": "v1", "resource": "deployments"}}});
        assert_eq!(
            row("storagemigration.k8s.io", "StorageVersionMigration", &svm),
            ["m", "deployments.v1.apps"]
        );

        assert_eq!(
            row(
                "resource.k8s.io",
                "DeviceClass",
                &json!({"metadata": {"name": "gpu"}})
            ),
            ["gpu", "<unknown>"]
        );
        let claim = |status: serde_json::Value, deleting: bool| {
            let mut c = json!({"metadata": {"name": "c"}, "status": status});
            if deleting {
                c["metadata"]["deletionTimestamp"] = json!(ago(1));
            }
            row("resource.k8s.io", "ResourceClaim", &c)[1].clone()
        };
        assert_eq!(claim(json!({}), false), "pending");
        assert_eq!(claim(json!({}), true), "deleted");
        assert_eq!(claim(json!({"allocation": {}}), false), "allocated");
        assert_eq!(
            claim(
                json!({"allocation": {}, "reservedFor": [{"name": "p"}]}),
                true
            ),
            "deleted,allocated,reserved"
        );
        let slice = json!({"metadata": {"name": "s"}, "spec": {"nodeName": "n1", "driver": "gpu.example.com", "pool": {"name": "n1", "generation": 1}}});
        assert_eq!(
            row("resource.k8s.io", "ResourceSlice", &slice),
            ["s", "n1", "gpu.example.com", "n1", "<unknown>"]
        );
    }

    #[test]
    fn api_service() {
        assert_eq!(
            headers("apiregistration.k8s.io", "APIService"),
            ["Name", "Service", "Available", "Age"]
        );
        let local = json!({"metadata": {"name": "v1.apps", "creationTimestamp": ago(86400)}, "spec": {"group": "apps", "version": "v1"},
                           "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Local"}]}});
        assert_eq!(
            row("apiregistration.k8s.io", "APIService", &local),
            ["v1.apps", "Local", "True", "24h"]
        );
        let metrics = json!({"metadata": {"name": "v1beta1.metrics.k8s.io"}, "spec": {"service": {"namespace": "kube-system", "name": "metrics-server"}},
                             "status": {"conditions": [{"type": "Available", "status": "False", "reason": "MissingEndpoints"}]}});
        assert_eq!(
            row("apiregistration.k8s.io", "APIService", &metrics),
            [
                "v1beta1.metrics.k8s.io",
                "kube-system/metrics-server",
                "False (MissingEndpoints)",
                "<unknown>"
            ]
        );
        let unknown = json!({"metadata": {"name": "x"}, "spec": {"service": {"namespace": "a", "name": "b"}}});
        assert_eq!(
            row("apiregistration.k8s.io", "APIService", &unknown)[2],
            "Unknown"
        );
        let no_reason =
            json!({"status": {"conditions": [{"type": "Available", "status": "False"}]}});
        assert_eq!(
            row("apiregistration.k8s.io", "APIService", &no_reason)[2],
            "False"
        );
    }
}
