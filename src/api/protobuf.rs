//! `application/vnd.kubernetes.protobuf` request bodies, decoded into the JSON the same client
//! would have sent as `application/json`.
//!
//! kubectl 1.32+ sends protobuf for its generator commands (`create configmap|secret|deployment|…`,
//! `auth can-i`, `drain`, …) and does not fall back to JSON on 415, so the API server decodes it
//! here once and handles the rest of the request as JSON.
//!
//! # Wire format
//! The 4-byte magic `k8s\0`, then a `runtime.Unknown` message: `typeMeta` {apiVersion, kind},
//! `raw` (the object, encoded with the upstream `generated.proto` numbering), `contentEncoding`
//! (we support none) and `contentType` (empty means protobuf).
//!
//! # From protobuf to Go's JSON
//! The schema is the upstream `generated.proto` set, compiled by `build.rs` into a descriptor set
//! embedded in the binary; a `prost-reflect` [`DynamicMessage`] is walked into JSON. Field names
//! on that side are the Go protobuf spellings, and Go's JSON differs in five ways:
//! - renamed fields (`uID` vs `uid`, `aPIGroup` vs `apiGroup`): matched case-insensitively to a
//!   property of the type's JSON schema;
//! - embedded `json:",inline"` structs (`Volume.volumeSource`, `Probe.handler`,
//!   `IngressRule.ingressRuleValue`, …): a message field with no JSON property; its fields are
//!   written into the parent object;
//! - `omitempty`: gogo-protobuf writes every non-pointer scalar, zero or not, so a zero scalar is
//!   dropped unless the field is required in the schema (no `omitempty` in Go) or a Go pointer
//!   (`replicas: 0`, `backoffLimit: 0`, `runAsUser: 0`, `automountServiceAccountToken: false`);
//!   pointers come from `protobuf/pointer_fields.txt` because nothing else records them;
//! - types with their own JSON form (`Time`, `MicroTime`, `Duration`, `Quantity`, `IntOrString`,
//!   `RawExtension`, `FieldsV1`, the apiextensions `JSON*` wrappers, `bytes` as base64);
//! - named slice types (`ExtraValue`, `Verbs`) are messages with one `items` field on the wire
//!   and arrays in JSON (their schema property is an array).
//!
//! The JSON properties and required lists come from our own model: k8s-openapi's schemars
//! schemas for every kind a body may carry (the `roots!` list below), whose definitions cover
//! every type those kinds reach. The descriptor pool, the schemas and a plan per message are
//! built once per process, on first use ([`OnceLock`]).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{
    DescriptorPool, DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor,
    ReflectMessage, Value as PbValue,
};
use serde_json::{Map, Value};

/// The media type of Kubernetes protobuf bodies.
pub const CONTENT_TYPE: &str = "application/vnd.kubernetes.protobuf";

const MAGIC: &[u8] = b"k8s\0";
static DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/k8s.desc"));
static POINTER_FIELDS: &str = include_str!("protobuf/pointer_fields.txt");

const DELETE_OPTIONS: &str = "apimachinery.pkg.apis.meta.v1.DeleteOptions";
const TIME: &str = "apimachinery.pkg.apis.meta.v1.Time";
const MICRO_TIME: &str = "apimachinery.pkg.apis.meta.v1.MicroTime";
const DURATION: &str = "apimachinery.pkg.apis.meta.v1.Duration";
const FIELDS_V1: &str = "apimachinery.pkg.apis.meta.v1.FieldsV1";
const QUANTITY: &str = "apimachinery.pkg.api.resource.Quantity";
const QUANTITY_VALUE: &str = "apimachinery.pkg.api.resource.QuantityValue";
const INT_OR_STRING: &str = "apimachinery.pkg.util.intstr.IntOrString";
const RAW_EXTENSION: &str = "apimachinery.pkg.runtime.RawExtension";
const APIEXTENSIONS: &str = "apiextensions_apiserver.pkg.apis.apiextensions.";

/// Why a protobuf body could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum ProtobufError {
    #[error("provided data does not appear to be a protobuf message, expected prefix \"k8s\\x00\"")]
    BadMagic,
    #[error("empty protobuf body")]
    EmptyBody,
    #[error("malformed protobuf envelope")]
    Envelope(#[source] prost::DecodeError),
    #[error("unsupported content encoding {0:?} in protobuf envelope")]
    ContentEncoding(String),
    #[error("unsupported content type {0:?} in protobuf envelope")]
    ContentType(String),
    #[error("no protobuf message is known for {kind} in {api_version}")]
    UnknownKind { api_version: String, kind: String },
    #[error(
        "the body is a {found_kind:?} of {found_api_version:?}, expected a {kind} of {api_version}"
    )]
    KindMismatch {
        found_api_version: String,
        found_kind: String,
        api_version: String,
        kind: String,
    },
    #[error("malformed {message} in protobuf body")]
    Message {
        message: String,
        #[source]
        source: prost::DecodeError,
    },
    #[error("{path}: {reason}")]
    Value { path: String, reason: String },
}

impl ProtobufError {
    /// The HTTP status a request with this body deserves: 415 for what we do not support (an
    /// encoding, a kind without a protobuf schema), 400 for a broken body.
    pub fn status(&self) -> http::StatusCode {
        match self {
            Self::ContentEncoding(_) | Self::ContentType(_) | Self::UnknownKind { .. } => {
                http::StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::BadMagic
            | Self::EmptyBody
            | Self::Envelope(_)
            | Self::KindMismatch { .. }
            | Self::Message { .. }
            | Self::Value { .. } => http::StatusCode::BAD_REQUEST,
        }
    }

    fn value(reason: impl Into<String>) -> Self {
        Self::Value {
            path: String::new(),
            reason: reason.into(),
        }
    }

    /// Prefixes the path of a [`ProtobufError::Value`] with the field it was found in.
    fn within(self, segment: &str) -> Self {
        match self {
            Self::Value { path, reason } => {
                let path = if path.is_empty() {
                    segment.to_owned()
                } else if path.starts_with('[') {
                    format!("{segment}{path}")
                } else {
                    format!("{segment}.{path}")
                };
                Self::Value { path, reason }
            }
            other => other,
        }
    }
}

/// `runtime.Unknown`, the envelope after the magic.
#[derive(Clone, PartialEq, prost::Message)]
struct Unknown {
    #[prost(message, optional, tag = "1")]
    type_meta: Option<TypeMeta>,
    #[prost(bytes = "vec", optional, tag = "2")]
    raw: Option<Vec<u8>>,
    #[prost(string, optional, tag = "3")]
    content_encoding: Option<String>,
    #[prost(string, optional, tag = "4")]
    content_type: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct TypeMeta {
    #[prost(string, optional, tag = "1")]
    api_version: Option<String>,
    #[prost(string, optional, tag = "2")]
    kind: Option<String>,
}

/// Decodes a `k8s\0`-framed body. `expected` = (group, version, kind) the route expects: the
/// message is chosen from it, not from the envelope's TypeMeta (which may be empty; if set, it
/// must agree, except that `DeleteOptions` is accepted under any apiVersion). For a subresource
/// pass the kind it takes (`policy/v1` `Eviction` for `pods/eviction`, `autoscaling/v1` `Scale`
/// for `*/scale`); for a DELETE body, `DeleteOptions` in the resource's group and version.
/// Returns the object as JSON with `apiVersion` and `kind` set.
pub fn decode(body: &[u8], expected: (&str, &str, &str)) -> Result<Value, ProtobufError> {
    let (group, version, kind) = expected;
    let api_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    let payload = body.strip_prefix(MAGIC).ok_or(ProtobufError::BadMagic)?;
    if payload.is_empty() {
        return Err(ProtobufError::EmptyBody);
    }
    let envelope = Unknown::decode(payload).map_err(ProtobufError::Envelope)?;
    if let Some(encoding) = envelope.content_encoding.filter(|e| !e.is_empty()) {
        return Err(ProtobufError::ContentEncoding(encoding));
    }
    if let Some(content_type) = envelope
        .content_type
        .filter(|c| !c.is_empty() && c != CONTENT_TYPE)
    {
        return Err(ProtobufError::ContentType(content_type));
    }
    let type_meta = envelope.type_meta.unwrap_or_default();
    let sent_api_version = type_meta.api_version.unwrap_or_default();
    let sent_kind = type_meta.kind.unwrap_or_default();

    let codec = Codec::get();
    let descriptor =
        codec
            .message_for(group, version, kind)
            .ok_or_else(|| ProtobufError::UnknownKind {
                api_version: api_version.clone(),
                kind: kind.to_owned(),
            })?;
    let options = descriptor.full_name() == DELETE_OPTIONS;
    let kind_differs = !sent_kind.is_empty() && sent_kind != kind;
    let version_differs =
        !options && !sent_api_version.is_empty() && sent_api_version != api_version;
    if kind_differs || version_differs {
        return Err(ProtobufError::KindMismatch {
            found_api_version: sent_api_version,
            found_kind: sent_kind,
            api_version,
            kind: kind.to_owned(),
        });
    }

    let raw = envelope.raw.unwrap_or_default();
    let message = DynamicMessage::decode(descriptor.clone(), raw.as_slice()).map_err(|source| {
        ProtobufError::Message {
            message: descriptor.full_name().to_owned(),
            source,
        }
    })?;
    let mut object = Map::new();
    object.insert(
        "apiVersion".into(),
        Value::String(if options && !sent_api_version.is_empty() {
            sent_api_version
        } else {
            api_version
        }),
    );
    object.insert("kind".into(), Value::String(kind.to_owned()));
    let plan = codec.plan(&descriptor);
    codec.write_object(&message, &plan, &mut object)?;
    Ok(Value::Object(object))
}

/// The kinds a protobuf body may carry (with `DeleteOptions`, accepted for every group): their
/// messages are named after their k8s-openapi schema, and their schemas give the JSON facts.
macro_rules! roots {
    ($($ty:ty),* $(,)?) => {
        /// Registers every root kind's schema with `generator`; returns (group, version, kind)
        /// and the schema (definition) name of each.
        fn roots(
            generator: &mut schemars::SchemaGenerator,
        ) -> Vec<((&'static str, &'static str, &'static str), String)> {
            use k8s_openapi::Resource;
            use schemars::JsonSchema;
            vec![$({
                generator.subschema_for::<$ty>();
                (
                    (<$ty>::GROUP, <$ty>::VERSION, <$ty>::KIND),
                    <$ty>::schema_name().into_owned(),
                )
            }),*]
        }
    };
}

roots! {
    k8s_openapi::api::core::v1::Binding,
    k8s_openapi::api::core::v1::ConfigMap,
    k8s_openapi::api::core::v1::Endpoints,
    k8s_openapi::api::core::v1::Event,
    k8s_openapi::api::core::v1::LimitRange,
    k8s_openapi::api::core::v1::Namespace,
    k8s_openapi::api::core::v1::Node,
    k8s_openapi::api::core::v1::PersistentVolume,
    k8s_openapi::api::core::v1::PersistentVolumeClaim,
    k8s_openapi::api::core::v1::Pod,
    k8s_openapi::api::core::v1::PodTemplate,
    k8s_openapi::api::core::v1::ReplicationController,
    k8s_openapi::api::core::v1::ResourceQuota,
    k8s_openapi::api::core::v1::Secret,
    k8s_openapi::api::core::v1::Service,
    k8s_openapi::api::core::v1::ServiceAccount,
    k8s_openapi::api::apps::v1::ControllerRevision,
    k8s_openapi::api::apps::v1::DaemonSet,
    k8s_openapi::api::apps::v1::Deployment,
    k8s_openapi::api::apps::v1::ReplicaSet,
    k8s_openapi::api::apps::v1::StatefulSet,
    k8s_openapi::api::authentication::v1::SelfSubjectReview,
    k8s_openapi::api::authentication::v1::TokenRequest,
    k8s_openapi::api::authentication::v1::TokenReview,
    k8s_openapi::api::authorization::v1::LocalSubjectAccessReview,
    k8s_openapi::api::authorization::v1::SelfSubjectAccessReview,
    k8s_openapi::api::authorization::v1::SelfSubjectRulesReview,
    k8s_openapi::api::authorization::v1::SubjectAccessReview,
    k8s_openapi::api::autoscaling::v1::HorizontalPodAutoscaler,
    k8s_openapi::api::autoscaling::v1::Scale,
    k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler,
    k8s_openapi::api::batch::v1::CronJob,
    k8s_openapi::api::batch::v1::Job,
    k8s_openapi::api::certificates::v1::CertificateSigningRequest,
    k8s_openapi::api::coordination::v1::Lease,
    k8s_openapi::api::discovery::v1::EndpointSlice,
    k8s_openapi::api::events::v1::Event,
    k8s_openapi::api::networking::v1::Ingress,
    k8s_openapi::api::networking::v1::IngressClass,
    k8s_openapi::api::networking::v1::NetworkPolicy,
    k8s_openapi::api::node::v1::RuntimeClass,
    k8s_openapi::api::policy::v1::Eviction,
    k8s_openapi::api::policy::v1::PodDisruptionBudget,
    k8s_openapi::api::rbac::v1::ClusterRole,
    k8s_openapi::api::rbac::v1::ClusterRoleBinding,
    k8s_openapi::api::rbac::v1::Role,
    k8s_openapi::api::rbac::v1::RoleBinding,
    k8s_openapi::api::scheduling::v1::PriorityClass,
    k8s_openapi::api::storage::v1::CSIDriver,
    k8s_openapi::api::storage::v1::CSINode,
    k8s_openapi::api::storage::v1::CSIStorageCapacity,
    k8s_openapi::api::storage::v1::StorageClass,
    k8s_openapi::api::storage::v1::VolumeAttachment,
    k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService,
}

/// The protobuf message of a schema definition: `io.k8s.api.core.v1.Pod` → `api.core.v1.Pod`,
/// `io.k8s.apiextensions-apiserver.pkg…` → `apiextensions_apiserver.pkg…`.
fn message_name(definition: &str) -> String {
    definition
        .strip_prefix("io.k8s.")
        .unwrap_or(definition)
        .replace('-', "_")
}

/// The inverse of [`message_name`].
fn definition_name(message: &str) -> String {
    format!("io.k8s.{}", message.replace('_', "-"))
}

/// The descriptor pool, the kinds and a JSON plan for every message they reach.
struct Codec {
    kinds: HashMap<(&'static str, &'static str, &'static str), MessageDescriptor>,
    delete_options: MessageDescriptor,
    plans: HashMap<String, Plan>,
    pointers: HashSet<&'static str>,
}

/// How one message's fields become JSON properties.
#[derive(Debug, Default, Clone)]
struct Plan {
    fields: Vec<FieldPlan>,
}

#[derive(Debug, Clone)]
struct FieldPlan {
    field: FieldDescriptor,
    target: Target,
}

#[derive(Debug, Clone)]
enum Target {
    /// A JSON property.
    Property {
        name: String,
        /// Written even when zero: a Go pointer, or a field without `omitempty`.
        keep_zero: bool,
        /// Go writes `null` for an empty slice or map without `omitempty`.
        null_if_absent: bool,
        /// A named slice type: the message's `items` become the JSON array.
        unwrap_items: bool,
    },
    /// An embedded `json:",inline"` struct: its fields go into the parent object.
    Inline(Plan),
}

impl Codec {
    fn get() -> &'static Codec {
        static CODEC: OnceLock<Codec> = OnceLock::new();
        CODEC.get_or_init(Codec::load)
    }

    fn load() -> Codec {
        let pool =
            DescriptorPool::decode(DESCRIPTOR_SET).expect("build.rs writes a valid descriptor set");
        let mut generator = schemars::SchemaGenerator::default();
        generator.subschema_for::<k8s_openapi::apimachinery::pkg::apis::meta::v1::DeleteOptions>();
        let mut kinds = HashMap::new();
        for (gvk, definition) in roots(&mut generator) {
            if let Some(message) = pool.get_message_by_name(&message_name(&definition)) {
                kinds.insert(gvk, message);
            } else {
                tracing::warn!(%definition, "no protobuf message for kind");
            }
        }
        let delete_options = pool
            .get_message_by_name(DELETE_OPTIONS)
            .expect("meta/v1 generated.proto defines DeleteOptions");
        let pointers = POINTER_FIELDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();

        let mut codec = Codec {
            kinds,
            delete_options,
            plans: HashMap::new(),
            pointers,
        };
        let definitions = generator.definitions();
        let mut queue: Vec<MessageDescriptor> = codec.kinds.values().cloned().collect();
        queue.push(codec.delete_options.clone());
        let mut seen = HashSet::new();
        while let Some(message) = queue.pop() {
            if special(message.full_name()) || !seen.insert(message.full_name().to_owned()) {
                continue;
            }
            for field in message.fields() {
                if let Some(child) = value_message(&field) {
                    queue.push(child);
                }
            }
            let definition = definitions.get(&definition_name(message.full_name()));
            let plan = codec.build_plan(&message, definition);
            codec.plans.insert(message.full_name().to_owned(), plan);
        }
        codec
    }

    fn message_for(&self, group: &str, version: &str, kind: &str) -> Option<MessageDescriptor> {
        if kind == "DeleteOptions" {
            return Some(self.delete_options.clone());
        }
        self.kinds.get(&(group, version, kind)).cloned()
    }

    /// The plan of `message`, built without schema facts if no root kind reaches it.
    fn plan(&self, message: &MessageDescriptor) -> Cow<'_, Plan> {
        match self.plans.get(message.full_name()) {
            Some(plan) => Cow::Borrowed(plan),
            None => Cow::Owned(self.build_plan(message, None)),
        }
    }

    /// Matches `message`'s fields to the properties of `definition`, the JSON schema of the
    /// object they are written into (for an inline struct, its parent's).
    fn build_plan(&self, message: &MessageDescriptor, definition: Option<&Value>) -> Plan {
        let properties = definition
            .and_then(|d| d.get("properties"))
            .and_then(Value::as_object);
        let required: HashSet<&str> = definition
            .and_then(|d| d.get("required"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut plan = Plan::default();
        for field in message.fields() {
            let pointer = self
                .pointers
                .contains(format!("{}.{}", message.full_name(), field.name()).as_str());
            let property = properties.and_then(|p| property_name(p, field.name()));
            let target = match (property, properties) {
                (Some((name, schema)), _) => {
                    let required = required.contains(name.as_str());
                    Target::Property {
                        keep_zero: pointer || required,
                        null_if_absent: required && (field.is_list() || field.is_map()),
                        unwrap_items: is_named_slice(&field, schema),
                        name,
                    }
                }
                (None, Some(_)) if !field.is_list() && !field.is_map() => match field.kind() {
                    Kind::Message(inner) if !special(inner.full_name()) => {
                        Target::Inline(self.build_plan(&inner, definition))
                    }
                    _ => unmatched(&field, pointer),
                },
                (None, _) => unmatched(&field, pointer),
            };
            plan.fields.push(FieldPlan { field, target });
        }
        plan
    }

    fn write_object(
        &self,
        message: &DynamicMessage,
        plan: &Plan,
        out: &mut Map<String, Value>,
    ) -> Result<(), ProtobufError> {
        for FieldPlan { field, target } in &plan.fields {
            let present = message.has_field(field);
            match target {
                Target::Inline(inner) => {
                    if let (true, PbValue::Message(embedded)) =
                        (present, message.get_field(field).as_ref())
                    {
                        self.write_object(embedded, inner, out)?;
                    }
                }
                Target::Property {
                    name,
                    keep_zero,
                    null_if_absent,
                    unwrap_items,
                } => {
                    if !present {
                        if *null_if_absent {
                            out.insert(name.clone(), Value::Null);
                        }
                        continue;
                    }
                    let value = message.get_field(field);
                    if !keep_zero && is_zero_scalar(&value) {
                        continue;
                    }
                    let json = self
                        .field_json(&value, *unwrap_items)
                        .map_err(|e| e.within(name))?;
                    out.insert(name.clone(), json);
                }
            }
        }
        Ok(())
    }

    fn field_json(&self, value: &PbValue, unwrap_items: bool) -> Result<Value, ProtobufError> {
        match value {
            PbValue::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    self.value_json(item, false)
                        .map_err(|e| e.within(&format!("[{i}]")))
                })
                .collect::<Result<_, _>>()
                .map(Value::Array),
            PbValue::Map(entries) => {
                let mut object = Map::new();
                for (key, item) in entries {
                    let key = map_key(key);
                    let json = self
                        .value_json(item, unwrap_items)
                        .map_err(|e| e.within(&format!("[{key}]")))?;
                    object.insert(key, json);
                }
                Ok(Value::Object(object))
            }
            scalar_or_message => self.value_json(scalar_or_message, unwrap_items),
        }
    }

    fn value_json(&self, value: &PbValue, unwrap_items: bool) -> Result<Value, ProtobufError> {
        Ok(match value {
            PbValue::Bool(b) => Value::Bool(*b),
            PbValue::I32(n) | PbValue::EnumNumber(n) => Value::from(*n),
            PbValue::I64(n) => Value::from(*n),
            PbValue::U32(n) => Value::from(*n),
            PbValue::U64(n) => Value::from(*n),
            PbValue::F32(n) => float(f64::from(*n))?,
            PbValue::F64(n) => float(*n)?,
            PbValue::String(s) => Value::String(s.clone()),
            PbValue::Bytes(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
            PbValue::Message(m) if unwrap_items => match m.get_field_by_name("items") {
                Some(items) => self.field_json(&items, false)?,
                None => Value::Array(Vec::new()),
            },
            PbValue::Message(m) => self.message_json(m)?,
            nested @ (PbValue::List(_) | PbValue::Map(_)) => self.field_json(nested, false)?,
        })
    }

    fn message_json(&self, message: &DynamicMessage) -> Result<Value, ProtobufError> {
        if let Some(json) = self.special_json(message)? {
            return Ok(json);
        }
        let plan = self.plan(&message.descriptor());
        let mut object = Map::new();
        self.write_object(message, &plan, &mut object)?;
        Ok(Value::Object(object))
    }

    /// The JSON of a type that has its own (Go `MarshalJSON`) form, or `None` for a plain struct.
    fn special_json(&self, message: &DynamicMessage) -> Result<Option<Value>, ProtobufError> {
        let descriptor = message.descriptor();
        let name = descriptor.full_name();
        let json = match name {
            // An empty message is Go's zero time, which marshals as null; protobuf nanoseconds
            // are dropped, as upstream does (its JSON has whole seconds).
            TIME => match message.fields().next() {
                None => Value::Null,
                Some(_) => timestamp(int(message, "seconds"), 0, "%Y-%m-%dT%H:%M:%SZ")?,
            },
            MICRO_TIME => match message.fields().next() {
                None => Value::Null,
                Some(_) => {
                    let nanos = i32::try_from(int(message, "nanos"))
                        .map_err(|_| ProtobufError::value("nanoseconds out of range"))?;
                    timestamp(int(message, "seconds"), nanos, "%Y-%m-%dT%H:%M:%S%.6fZ")?
                }
            },
            DURATION => Value::String(go_duration(int(message, "duration"))),
            QUANTITY | QUANTITY_VALUE => match message.get_field_by_name("string") {
                Some(s) if message.has_field_by_name("string") => {
                    Value::String(s.as_str().unwrap_or_default().to_owned())
                }
                _ => Value::String("0".into()),
            },
            INT_OR_STRING => {
                if int(message, "type") == 1 {
                    let s = message.get_field_by_name("strVal");
                    Value::String(
                        s.as_deref()
                            .and_then(PbValue::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                    )
                } else {
                    Value::from(int(message, "intVal"))
                }
            }
            RAW_EXTENSION => embedded_json(message, "raw")?,
            FIELDS_V1 => embedded_json(message, "Raw")?,
            _ => match name.strip_prefix(APIEXTENSIONS) {
                Some(rest) => match rest.split_once('.').map_or(rest, |(_, m)| m) {
                    "JSON" => embedded_json(message, "raw")?,
                    "JSONSchemaPropsOrArray" => {
                        match self.list_or_schema(message, "jSONSchemas")? {
                            Some(json) => json,
                            None => Value::Null,
                        }
                    }
                    "JSONSchemaPropsOrStringArray" => {
                        match self.list_or_schema(message, "property")? {
                            Some(json) => json,
                            None => Value::Null,
                        }
                    }
                    "JSONSchemaPropsOrBool" => match self.list_or_schema(message, "")? {
                        Some(json) => json,
                        None => Value::Bool(
                            message
                                .get_field_by_name("allows")
                                .and_then(|v| v.as_bool())
                                .unwrap_or(false),
                        ),
                    },
                    _ => return Ok(None),
                },
                None => return Ok(None),
            },
        };
        Ok(Some(json))
    }

    /// For the apiextensions `JSONSchemaPropsOr*` unions: the list `list` if not empty, else
    /// the `schema` if set.
    fn list_or_schema(
        &self,
        message: &DynamicMessage,
        list: &str,
    ) -> Result<Option<Value>, ProtobufError> {
        if let Some(items) = message.get_field_by_name(list)
            && items.as_list().is_some_and(|l| !l.is_empty())
        {
            return self.field_json(&items, false).map(Some);
        }
        if message.has_field_by_name("schema")
            && let Some(schema) = message.get_field_by_name("schema")
        {
            return self.field_json(&schema, false).map(Some);
        }
        Ok(None)
    }
}

/// A field with no JSON counterpart in the schema (or no schema): written under its proto name.
fn unmatched(field: &FieldDescriptor, pointer: bool) -> Target {
    Target::Property {
        name: field.name().to_owned(),
        keep_zero: pointer,
        null_if_absent: false,
        unwrap_items: false,
    }
}

/// The JSON property for proto field `field`: the same name, or the one equal to it ignoring case
/// and punctuation (`uID` ↔ `uid`, `xKubernetesListType` ↔ `x-kubernetes-list-type`,
/// `ref` ↔ `$ref`). Returns the name and its schema.
fn property_name<'a>(
    properties: &'a Map<String, Value>,
    field: &str,
) -> Option<(String, &'a Value)> {
    if let Some(schema) = properties.get(field) {
        return Some((field.to_owned(), schema));
    }
    let wanted = fold(field);
    properties
        .iter()
        .find(|(name, _)| fold(name) == wanted)
        .map(|(name, schema)| (name.clone(), schema))
}

fn fold(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether `field` holds a Go named slice type (a message whose only field is the repeated
/// `items`, directly or as map values) that the schema shows as an array.
fn is_named_slice(field: &FieldDescriptor, schema: &Value) -> bool {
    let (message, schema) = if field.is_map() {
        (value_message(field), schema.get("additionalProperties"))
    } else if field.is_list() {
        return false;
    } else {
        (value_message(field), Some(schema))
    };
    let wrapper = message.is_some_and(|m| {
        let mut fields = m.fields();
        matches!((fields.next(), fields.next()), (Some(f), None) if f.name() == "items" && f.is_list())
    });
    wrapper && schema.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("array")
}

/// The message type of a field's values (map values for a map), if they are messages.
fn value_message(field: &FieldDescriptor) -> Option<MessageDescriptor> {
    match field.kind() {
        Kind::Message(m) if m.is_map_entry() => match m.map_entry_value_field().kind() {
            Kind::Message(v) => Some(v),
            _ => None,
        },
        Kind::Message(m) => Some(m),
        _ => None,
    }
}

/// Types rendered by [`Codec::special_json`] rather than field by field.
fn special(message: &str) -> bool {
    matches!(
        message,
        TIME | MICRO_TIME
            | DURATION
            | FIELDS_V1
            | QUANTITY
            | QUANTITY_VALUE
            | INT_OR_STRING
            | RAW_EXTENSION
    ) || message.strip_prefix(APIEXTENSIONS).is_some_and(|rest| {
        matches!(
            rest.split_once('.').map_or(rest, |(_, m)| m),
            "JSON"
                | "JSONSchemaPropsOrArray"
                | "JSONSchemaPropsOrBool"
                | "JSONSchemaPropsOrStringArray"
        )
    })
}

/// A scalar Go's `omitempty` drops: false, 0, "" or empty bytes.
fn is_zero_scalar(value: &PbValue) -> bool {
    match value {
        PbValue::Bool(b) => !b,
        PbValue::I32(n) | PbValue::EnumNumber(n) => *n == 0,
        PbValue::I64(n) => *n == 0,
        PbValue::U32(n) => *n == 0,
        PbValue::U64(n) => *n == 0,
        PbValue::F32(n) => *n == 0.0,
        PbValue::F64(n) => *n == 0.0,
        PbValue::String(s) => s.is_empty(),
        PbValue::Bytes(b) => b.is_empty(),
        PbValue::Message(_) | PbValue::List(_) | PbValue::Map(_) => false,
    }
}

fn map_key(key: &MapKey) -> String {
    match key {
        MapKey::String(s) => s.clone(),
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(n) => n.to_string(),
        MapKey::I64(n) => n.to_string(),
        MapKey::U32(n) => n.to_string(),
        MapKey::U64(n) => n.to_string(),
    }
}

fn float(n: f64) -> Result<Value, ProtobufError> {
    serde_json::Number::from_f64(n)
        .map(Value::Number)
        .ok_or_else(|| ProtobufError::value(format!("unsupported float value {n}")))
}

/// An integer field of a small well-known message (0 if unset).
fn int(message: &DynamicMessage, field: &str) -> i64 {
    match message.get_field_by_name(field).as_deref() {
        Some(PbValue::I64(n)) => *n,
        Some(PbValue::I32(n)) => i64::from(*n),
        _ => 0,
    }
}

fn timestamp(seconds: i64, nanos: i32, format: &str) -> Result<Value, ProtobufError> {
    let ts = jiff::Timestamp::new(seconds, nanos)
        .map_err(|e| ProtobufError::value(format!("invalid time: {e}")))?;
    jiff::fmt::strtime::format(format, ts)
        .map(Value::String)
        .map_err(|e| ProtobufError::value(format!("invalid time: {e}")))
}

/// A `bytes` field holding JSON (`RawExtension`, `FieldsV1`, apiextensions `JSON`); Go writes
/// `null` when it is unset.
fn embedded_json(message: &DynamicMessage, field: &str) -> Result<Value, ProtobufError> {
    let raw = match message.get_field_by_name(field).as_deref() {
        Some(PbValue::Bytes(b)) if message.has_field_by_name(field) => b.clone(),
        _ => return Ok(Value::Null),
    };
    if raw.is_empty() {
        return Ok(Value::Null);
    }
    if raw.starts_with(MAGIC) {
        return Err(ProtobufError::value(
            "embedded protobuf objects are not supported",
        ));
    }
    serde_json::from_slice(&raw)
        .map_err(|e| ProtobufError::value(format!("embedded value is not JSON: {e}")))
}

/// Go's `time.Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`.
fn go_duration(nanos: i64) -> String {
    const SECOND: u64 = 1_000_000_000;
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    if n == 0 {
        return "0s".into();
    }
    if n < SECOND {
        let (unit, digits) = match n {
            0..1_000 => ("ns", 0),
            1_000..1_000_000 => ("µs", 3),
            _ => ("ms", 6),
        };
        let scale = 10u64.pow(digits);
        return format!("{sign}{}{}{unit}", n / scale, fraction(n % scale, digits));
    }
    let seconds = n / SECOND;
    let (hours, minutes, secs) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    let secs = format!("{secs}{}s", fraction(n % SECOND, 9));
    match (hours, minutes) {
        (0, 0) => format!("{sign}{secs}"),
        (0, m) => format!("{sign}{m}m{secs}"),
        (h, m) => format!("{sign}{h}h{m}m{secs}"),
    }
}

/// `.5` for 500 of 3 digits; empty for 0.
fn fraction(value: u64, digits: u32) -> String {
    if value == 0 {
        return String::new();
    }
    let s = format!("{value:0width$}", width = digits as usize);
    format!(".{}", s.trim_end_matches('0'))
}

#[cfg(test)]
mod tests;
