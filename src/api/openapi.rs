//! OpenAPI v3 documents: `GET /openapi/v3` (the index) and `GET /openapi/v3/<path>` (one document
//! per group version), shaped like kube-apiserver's so that kubectl `explain`, `apply`, `create -f`
//! and `replace -f` work.
//!
//! What kubectl relies on (see KUBECTL-CONTRACT §5):
//! - every operation carries `x-kubernetes-group-version-kind` as a single object; `explain` finds a
//!   resource's kind from the operations on its collection or item path;
//! - every top-level kind's schema carries `x-kubernetes-group-version-kind` as an array; `explain`
//!   picks the schema whose array contains the operation's kind, then follows `$ref` and `allOf`;
//! - every PATCH operation lists a `fieldValidation` query parameter: kubectl then sends
//!   `fieldValidation=Strict` and leaves validation to us;
//! - PATCH request bodies never list `application/strategic-merge-patch+json`: our schemas lack the
//!   patch-merge-key extensions, and without that content type kubectl computes strategic patches
//!   from its compiled-in types, which is right.
//!
//! Schemas come from k8s-openapi's `schemars` output (OpenAPI 3.0 settings: definitions under
//! `#/components/schemas/`, `$ref` siblings moved into `allOf` as upstream does); list kinds, the
//! `Patch` body and custom resources are assembled here.
//!
//! Memory: [`OpenApi::build`] keeps only the inputs. A document is generated on first request and
//! cached as compact JSON bytes; the index needs every document's hash, so the first index request
//! generates each document once, hashes it and drops it (about 0.1 s for all built-in group
//! versions, peak ~11 MB of transient heap). [`OpenApi::rebuild`] carries hashes and bodies of
//! unchanged group versions over to the next registry state.
//!
//! `/openapi/v2` is not generated: [`OpenApi::v2_placeholder`] is an empty protobuf document
//! that older kubectl versions need to find before they look at v3.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::api::kinds;
use crate::api::registry::{Gvk, Registry, Resource, Subresource};

/// The Kubernetes version the documents describe.
const INFO_VERSION: &str = "v1.33.0";
const SCHEMAS: &str = "#/components/schemas/";
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const STATUS_KIND: (&str, &str, &str) = ("meta.k8s.io", "v1", "Status");
const DELETE_OPTIONS_KIND: (&str, &str, &str) = ("meta.k8s.io", "v1", "DeleteOptions");

/// Content type of [`OpenApi::v2_placeholder`]. kubectl asks for
/// `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` but cannot parse that `@` back in
/// a reply's Content-Type; upstream answers with this spelling.
pub const V2_PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// Content types of response bodies (and of POST/PUT request bodies).
const OBJECT_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/vnd.kubernetes.protobuf",
];
/// Content types of list responses, which may also be watch streams.
const LIST_TYPES: &[&str] = &[
    "application/json",
    "application/json;stream=watch",
    "application/vnd.kubernetes.protobuf",
    "application/vnd.kubernetes.protobuf;stream=watch",
    "application/yaml",
];
/// PATCH request content types. Deliberately no `application/strategic-merge-patch+json`.
const PATCH_TYPES: &[&str] = &[
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
];

/// The OpenAPI v3 documents of one registry state. Cheap to clone and share.
#[derive(Clone)]
pub struct OpenApi {
    inner: Arc<Inner>,
}

struct Inner {
    /// Keyed by index path: `api/v1`, `apis/apps/v1`.
    docs: BTreeMap<String, Doc>,
    index: OnceLock<Bytes>,
}

/// The inputs of one group version's document, and the document once generated.
struct Doc {
    group: String,
    version: String,
    resources: Vec<Arc<Resource>>,
    /// Schemas of this group version's kinds that have no built-in type (custom resources), as
    /// supplied to [`OpenApi::build`]. Kinds missing here get a schema that accepts any fields.
    custom: BTreeMap<String, Value>,
    hash: OnceLock<String>,
    body: OnceLock<Bytes>,
}

impl std::fmt::Debug for OpenApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenApi")
            .field("documents", &self.inner.docs.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl OpenApi {
    /// Builds documents for every group version in the registry. `custom` supplies schemas for
    /// custom resources: (group, version, kind) → openAPIV3Schema JSON (from CRDs); it is asked
    /// only about kinds without a built-in type and may answer `None` for all of them.
    pub fn build(registry: &Registry, custom: &dyn Fn(&str, &str, &str) -> Option<Value>) -> Self {
        let mut docs = BTreeMap::new();
        for (group, versions) in registry.groups() {
            for version in versions {
                let resources: Vec<Arc<Resource>> = registry
                    .resources_of(&group, &version)
                    .into_iter()
                    .cloned()
                    .collect();
                if resources.is_empty() {
                    continue;
                }
                let mut schemas = BTreeMap::new();
                for r in &resources {
                    if kinds::ops(&group, &version, &r.gvk.kind).is_none()
                        && let Some(schema) = custom(&group, &version, &r.gvk.kind)
                    {
                        schemas.insert(r.gvk.kind.clone(), schema);
                    }
                }
                docs.insert(
                    doc_path(&group, &version),
                    Doc {
                        group: group.clone(),
                        version,
                        resources,
                        custom: schemas,
                        hash: OnceLock::new(),
                        body: OnceLock::new(),
                    },
                );
            }
        }
        OpenApi {
            inner: Arc::new(Inner {
                docs,
                index: OnceLock::new(),
            }),
        }
    }

    /// Like [`OpenApi::build`] for a changed registry (a CRD added or removed), carrying over the
    /// hashes and cached bodies of group versions whose inputs did not change, so that only the
    /// changed ones are generated again.
    pub fn rebuild(
        &self,
        registry: &Registry,
        custom: &dyn Fn(&str, &str, &str) -> Option<Value>,
    ) -> Self {
        let mut next = OpenApi::build(registry, custom);
        let docs = &mut Arc::get_mut(&mut next.inner)
            .expect("a freshly built OpenApi is not shared")
            .docs;
        for (path, doc) in docs.iter_mut() {
            if let Some(old) = self.inner.docs.get(path)
                && old.same_inputs(doc)
            {
                doc.hash = old.hash.clone();
                doc.body = old.body.clone();
            }
        }
        next
    }

    /// Body of `GET /openapi/v3`:
    /// `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=<HASH>"}, …}}`.
    pub fn index(&self) -> Bytes {
        self.inner
            .index
            .get_or_init(|| {
                let paths: Map<String, Value> = self
                    .inner
                    .docs
                    .iter()
                    .map(|(path, doc)| {
                        let url = format!("/openapi/v3/{path}?hash={}", doc.hash());
                        (path.clone(), json!({ "serverRelativeURL": url }))
                    })
                    .collect();
                Bytes::from(
                    serde_json::to_vec(&json!({ "paths": paths }))
                        .expect("a JSON value always serializes"),
                )
            })
            .clone()
    }

    /// Hash and body of `GET /openapi/v3/<path>`, `path` being `api/v1` or `apis/<group>/<version>`
    /// (no leading slash). Generated on first request, then cached.
    pub fn document(&self, path: &str) -> Option<(String, Bytes)> {
        let doc = self.inner.docs.get(path.trim_start_matches('/'))?;
        let body = doc.body.get_or_init(|| doc.generate()).clone();
        let hash = doc.hash.get_or_init(|| hash(&body)).clone();
        Some((hash, body))
    }

    /// Body of `GET /openapi/v2` when the client accepts protobuf
    /// ([`V2_PROTOBUF`]): an OpenAPI v2 document with no paths and no definitions.
    ///
    /// kubectl 1.27 and 1.28 download OpenAPI v2 before anything else for `apply`, `create -f`,
    /// `replace -f` and `explain`, and give up when it is missing; kubectl 1.29+ falls back to it
    /// for kinds without a PATCH operation (create-only kinds such as TokenReview) and fails
    /// `create -f` when it is missing. An empty document answers both: kubectl finds no schema in
    /// it, skips client-side validation and uses the v3 documents for the rest. Only protobuf is
    /// offered: kubectl asks for nothing else, and a JSON reply to its protobuf request breaks
    /// its fallback.
    pub fn v2_placeholder() -> Bytes {
        fn field(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
            // Length-delimited field; every length here is below 128, a one-byte varint.
            let len = u8::try_from(bytes.len())
                .ok()
                .filter(|l| *l < 128)
                .expect("placeholder fields are short");
            out.extend_from_slice(&[tag << 3 | 2, len]);
            out.extend_from_slice(bytes);
        }
        // gnostic openapi_v2.Document: swagger = 1, info = 2 (title = 1, version = 2), paths = 8.
        let mut info = Vec::new();
        field(&mut info, 1, b"Kubernetes");
        field(&mut info, 2, INFO_VERSION.as_bytes());
        let mut doc = Vec::new();
        field(&mut doc, 1, b"2.0");
        field(&mut doc, 2, &info);
        field(&mut doc, 8, b"");
        Bytes::from(doc)
    }

    /// The index paths of every document.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.inner.docs.keys().map(String::as_str)
    }
}

impl Doc {
    fn hash(&self) -> &str {
        self.hash.get_or_init(|| match self.body.get() {
            Some(body) => hash(body),
            // Hash a throwaway copy: documents nobody asked for are not kept.
            None => hash(&self.generate()),
        })
    }

    fn generate(&self) -> Bytes {
        let value = Builder::new(self).document();
        let json = serde_json::to_vec(&value).expect("a JSON value always serializes");
        // Cached for the life of this registry state: drop the growth slack.
        Bytes::from(json.into_boxed_slice())
    }

    /// Whether `self` was built from the same inputs as `other`. Resources are compared by
    /// identity: registries share the `Arc`s of resources that did not change.
    fn same_inputs(&self, other: &Doc) -> bool {
        self.group == other.group
            && self.version == other.version
            && self.resources.len() == other.resources.len()
            && self
                .resources
                .iter()
                .zip(&other.resources)
                .all(|(a, b)| Arc::ptr_eq(a, b))
            && self.custom == other.custom
    }
}

/// k8s-openapi marks IntOrString and Quantity with `x-kubernetes-int-or-string` only (the CRD
/// structural-schema form). Upstream's documents also give their alternatives as `oneOf` types
/// (and IntOrString the `int-or-string` format); clients may look at either.
fn upstream_scalars(schemas: &mut Map<String, Value>) {
    if let Some(Value::Object(s)) = schemas.get_mut(INT_OR_STRING) {
        s.insert("format".into(), "int-or-string".into());
        s.insert(
            "oneOf".into(),
            json!([{ "type": "integer" }, { "type": "string" }]),
        );
    }
    if let Some(Value::Object(s)) = schemas.get_mut(QUANTITY) {
        s.remove("x-kubernetes-int-or-string");
        s.insert(
            "oneOf".into(),
            json!([{ "type": "string" }, { "type": "number" }]),
        );
    }
}

fn hash(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        write!(s, "{b:02X}").expect("writing to a String cannot fail");
    }
    s
}

fn doc_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

fn schema_ref(definition: &str) -> Value {
    json!({ "$ref": format!("{SCHEMAS}{definition}") })
}

fn gvk_object(group: &str, version: &str, kind: &str) -> Value {
    json!({ "group": group, "version": version, "kind": kind })
}

/// Definition name of a kind without a built-in type: the group reversed, as upstream names
/// custom resources (`stable.example.com` → `com.example.stable.v1.CronTab`).
fn custom_definition(gvk: &Gvk) -> String {
    let reversed: Vec<&str> = gvk.group.rsplit('.').collect();
    format!("{}.{}.{}", reversed.join("."), gvk.version, gvk.kind)
}

/// `CoreV1`, `AppsV1`, `RbacAuthorizationV1`, `StableExampleComV1`: the group version as upstream
/// spells it inside operation ids.
fn operation_prefix(group: &str, version: &str) -> String {
    let group = if group.is_empty() {
        "core"
    } else {
        group.strip_suffix(".k8s.io").unwrap_or(group)
    };
    let mut out = String::new();
    for part in group.split(['.', '-']) {
        out.push_str(&capitalize(part));
    }
    out.push_str(&capitalize(version));
    out
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `apiVersion` and `kind` property schemas with their standard descriptions, taken from a
/// built-in kind's schema so the wording matches every other kind.
fn type_meta_properties() -> &'static (Value, Value) {
    static PROPS: OnceLock<(Value, Value)> = OnceLock::new();
    PROPS.get_or_init(|| {
        use schemars::JsonSchema as _;
        let mut generator = settings().into_generator();
        let schema = k8s_openapi::api::core::v1::ConfigMap::json_schema(&mut generator).to_value();
        let prop = |name: &str| {
            schema
                .pointer(&format!("/properties/{name}"))
                .cloned()
                .unwrap_or_else(|| json!({ "type": "string" }))
        };
        (prop("apiVersion"), prop("kind"))
    })
}

fn settings() -> SchemaSettings {
    SchemaSettings::openapi3().with(|s| {
        s.definitions_path = "/components/schemas/".into();
        s.meta_schema = None;
    })
}

/// Generates one document.
struct Builder<'a> {
    doc: &'a Doc,
    generator: SchemaGenerator,
    /// Definitions assembled here rather than by schemars.
    extra: Map<String, Value>,
    /// Kinds each definition is the top-level schema of.
    gvks: BTreeMap<String, BTreeSet<(String, String, String)>>,
    paths: Map<String, Value>,
    prefix: String,
    tag: String,
}

impl<'a> Builder<'a> {
    fn new(doc: &'a Doc) -> Self {
        let prefix = operation_prefix(&doc.group, &doc.version);
        let tag = {
            let p = operation_prefix(&doc.group, "");
            let mut chars = p.chars();
            let head: String = chars
                .next()
                .map(|c| c.to_lowercase().collect())
                .unwrap_or_default();
            format!("{head}{}_{}", chars.as_str(), doc.version)
        };
        Builder {
            doc,
            generator: settings().into_generator(),
            extra: Map::new(),
            gvks: BTreeMap::new(),
            paths: Map::new(),
            prefix,
            tag,
        }
    }

    fn document(mut self) -> Value {
        let resources = self.doc.resources.clone();
        for r in &resources {
            self.resource(r);
        }
        let mut schemas = self.generator.take_definitions(true);
        upstream_scalars(&mut schemas);
        for (name, schema) in std::mem::take(&mut self.extra) {
            schemas.insert(name, schema);
        }
        for (name, gvks) in &self.gvks {
            if let Some(Value::Object(schema)) = schemas.get_mut(name) {
                let list = gvks.iter().map(|(g, v, k)| gvk_object(g, v, k)).collect();
                schema.insert("x-kubernetes-group-version-kind".into(), Value::Array(list));
            }
        }
        json!({
            "openapi": "3.0.0",
            "info": { "title": "Kubernetes", "version": INFO_VERSION },
            "paths": self.paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "BearerToken": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "authorization",
                        "description": "Bearer Token authentication"
                    }
                }
            },
            "security": [{ "BearerToken": [] }]
        })
    }

    /// Registers the schema of a kind and returns its definition name, marking it as the
    /// top-level schema of that kind. Kinds without a built-in type get a custom-resource schema
    /// when `custom` (they are this document's resources), else `None` (the options kinds of
    /// connect subresources, which have no body).
    fn kind_definition(&mut self, gvk: &Gvk, custom: bool) -> Option<String> {
        let name = if let Some(ops) = kinds::ops(&gvk.group, &gvk.version, &gvk.kind) {
            (ops.schema)(&mut self.generator);
            (ops.definition)()
        } else if custom {
            let name = custom_definition(gvk);
            if !self.extra.contains_key(&name) {
                let schema = self.custom_schema(gvk);
                self.extra.insert(name.clone(), schema);
            }
            name
        } else {
            return None;
        };
        self.mark(&name, gvk.as_tuple());
        Some(name)
    }

    fn mark(&mut self, definition: &str, (g, v, k): (&str, &str, &str)) {
        self.gvks.entry(definition.to_owned()).or_default().insert((
            g.to_owned(),
            v.to_owned(),
            k.to_owned(),
        ));
    }

    fn meta_ref(&mut self, list: bool) -> Value {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
        if list {
            self.generator.subschema_for::<meta::ListMeta>();
        } else {
            self.generator.subschema_for::<meta::ObjectMeta>();
        }
        schema_ref(if list { LIST_META } else { OBJECT_META })
    }

    /// A custom resource's schema: the CRD's openAPIV3Schema with the standard `apiVersion`,
    /// `kind` and `metadata` properties; without one, an object accepting any fields.
    fn custom_schema(&mut self, gvk: &Gvk) -> Value {
        let mut schema = match self.doc.custom.get(&gvk.kind) {
            Some(Value::Object(s)) => s.clone(),
            _ => {
                let mut s = Map::new();
                s.insert("x-kubernetes-preserve-unknown-fields".into(), true.into());
                s
            }
        };
        schema.insert("type".into(), "object".into());
        let meta = self.meta_ref(false);
        let (api_version, kind) = type_meta_properties().clone();
        let props = schema
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(props) = props {
            props.insert("apiVersion".into(), api_version);
            props.insert("kind".into(), kind);
            props.insert(
                "metadata".into(),
                json!({
                    "allOf": [meta],
                    "description": "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
                }),
            );
        }
        Value::Object(schema)
    }

    /// Registers `<Kind>List` and returns its definition name.
    fn list_definition(&mut self, r: &Resource, item: &str) -> String {
        let name = format!("{item}List");
        let list_kind = format!("{}List", r.gvk.kind);
        if !self.extra.contains_key(&name) {
            let meta = self.meta_ref(true);
            let (api_version, kind) = type_meta_properties().clone();
            let schema = json!({
                "description": format!("{list_kind} is a list of {} objects.", r.gvk.kind),
                "type": "object",
                "required": ["items"],
                "properties": {
                    "apiVersion": api_version,
                    "items": {
                        "description": format!("List of {}.", r.plural),
                        "type": "array",
                        "items": schema_ref(item),
                    },
                    "kind": kind,
                    "metadata": {
                        "allOf": [meta],
                        "description": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
                    }
                }
            });
            self.extra.insert(name.clone(), schema);
        }
        self.mark(&name, (&r.gvk.group, &r.gvk.version, &list_kind));
        name
    }

    fn meta_definition(&mut self, (g, v, k): (&str, &str, &str)) -> String {
        let ops = kinds::ops(g, v, k).expect("meta kinds are in the kinds table");
        (ops.schema)(&mut self.generator);
        (ops.definition)()
    }

    fn patch_definition(&mut self) -> &'static str {
        if !self.extra.contains_key(PATCH) {
            self.extra.insert(
                PATCH.to_owned(),
                json!({
                    "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
                    "type": "object"
                }),
            );
        }
        PATCH
    }

    fn resource(&mut self, r: &Resource) {
        let Some(def) = self.kind_definition(&r.gvk, true) else {
            return;
        };
        let base = if r.gvk.group.is_empty() {
            format!("/api/{}", r.gvk.version)
        } else {
            format!("/apis/{}/{}", r.gvk.group, r.gvk.version)
        };
        let collection = if r.namespaced {
            format!("{base}/namespaces/{{namespace}}/{}", r.plural)
        } else {
            format!("{base}/{}", r.plural)
        };
        let item = format!("{collection}/{{name}}");
        let target = Target {
            gvk: &r.gvk,
            def: &def,
            kind: &r.gvk.kind,
            scope: if r.namespaced { "Namespaced" } else { "" },
            sub: "",
        };
        let list_def = (r.has_verb("list") || r.has_verb("deletecollection"))
            .then(|| self.list_definition(r, &def));

        // The collection: list, create, delete collection.
        let mut ops = Map::new();
        if let Some(list_def) = list_def.as_deref().filter(|_| r.has_verb("list")) {
            let op = self.list(&target, list_def, false);
            ops.insert("get".into(), op);
        }
        if r.has_verb("create") {
            ops.insert("post".into(), self.create(&target));
        }
        if r.has_verb("deletecollection") {
            ops.insert("delete".into(), self.delete(&target, true));
        }
        self.add_path(&collection, r.namespaced, false, &r.gvk.kind, ops);

        // The item: read, replace, patch, delete.
        let mut ops = Map::new();
        self.object_ops(&target, |verb| r.has_verb(verb), &mut ops);
        if r.has_verb("delete") {
            ops.insert("delete".into(), self.delete(&target, false));
        }
        self.add_path(&item, r.namespaced, true, &r.gvk.kind, ops);

        // Every namespace at once.
        if r.namespaced
            && let Some(list_def) = list_def.as_deref().filter(|_| r.has_verb("list"))
        {
            let mut ops = Map::new();
            ops.insert("get".into(), self.list(&target, list_def, true));
            self.add_path(
                &format!("{base}/{}", r.plural),
                false,
                false,
                &r.gvk.kind,
                ops,
            );
        }

        for sub in &r.subresources {
            let has = |verb: &str| sub.verbs.iter().any(|v| v == verb);
            let mut ops = Map::new();
            if sub.name == "log" {
                if has("get") {
                    ops.insert("get".into(), self.log(&target));
                }
            } else if let Some(def) = self.kind_definition(&sub.gvk, sub.gvk == r.gvk) {
                let target = Target {
                    gvk: &sub.gvk,
                    def: &def,
                    sub: &sub.name,
                    ..target
                };
                self.object_ops(&target, has, &mut ops);
                if has("create") {
                    ops.insert("post".into(), self.create(&target));
                }
            } else {
                self.connect_ops(&target, sub, &mut ops);
            }
            self.add_path(
                &format!("{item}/{}", sub.name),
                r.namespaced,
                true,
                &r.gvk.kind,
                ops,
            );
        }
    }

    /// get, put and patch of an object or of a subresource speaking a kind.
    fn object_ops(&mut self, t: &Target, has: impl Fn(&str) -> bool, ops: &mut Map<String, Value>) {
        if has("get") {
            ops.insert("get".into(), self.read(t));
        }
        if has("update") {
            ops.insert("put".into(), self.replace(t));
        }
        if has("patch") {
            ops.insert("patch".into(), self.patch(t));
        }
    }

    /// Streaming and proxy subresources (exec, attach, portforward, proxy): no body schema; the
    /// kind names their options.
    fn connect_ops(&self, t: &Target, sub: &Subresource, ops: &mut Map<String, Value>) {
        for (verb, method) in [
            ("get", "get"),
            ("create", "post"),
            ("update", "put"),
            ("patch", "patch"),
            ("delete", "delete"),
        ] {
            if sub.verbs.iter().any(|v| v == verb) {
                let op = Op {
                    action: "connect",
                    id: format!(
                        "connect{}{}{}{}{}",
                        self.prefix,
                        capitalize(method),
                        t.scope,
                        t.kind,
                        capitalize(&sub.name)
                    ),
                    description: format!(
                        "connect {} requests to {} of {}",
                        method.to_uppercase(),
                        sub.name,
                        t.kind
                    ),
                    gvk: &sub.gvk,
                    parameters: connect_params(&sub.name),
                    body: None,
                    responses: text_response("*/*"),
                };
                ops.insert(method.into(), self.render(op));
            }
        }
    }

    fn add_path(
        &mut self,
        path: &str,
        namespaced: bool,
        named: bool,
        kind: &str,
        mut ops: Map<String, Value>,
    ) {
        if ops.is_empty() {
            return;
        }
        let mut params = Vec::new();
        if named {
            params.push(path_param("name", &format!("name of the {kind}")));
        }
        if namespaced {
            params.push(path_param(
                "namespace",
                "object name and auth scope, such as for teams and projects",
            ));
        }
        params.push(query_param(
            "pretty",
            "string",
            "If 'true', then the output is pretty printed.",
        ));
        ops.insert("parameters".into(), Value::Array(params));
        self.paths.insert(path.to_owned(), Value::Object(ops));
    }

    fn render(&self, op: Op) -> Value {
        let mut out = Map::new();
        out.insert("description".into(), op.description.into());
        out.insert("operationId".into(), op.id.into());
        if !op.parameters.is_empty() {
            out.insert("parameters".into(), Value::Array(op.parameters));
        }
        if let Some(body) = op.body {
            out.insert("requestBody".into(), body);
        }
        out.insert("responses".into(), op.responses);
        out.insert("tags".into(), json!([self.tag]));
        out.insert("x-kubernetes-action".into(), op.action.into());
        out.insert(
            "x-kubernetes-group-version-kind".into(),
            gvk_object(&op.gvk.group, &op.gvk.version, &op.gvk.kind),
        );
        Value::Object(out)
    }

    fn list(&self, t: &Target, list_def: &str, all_namespaces: bool) -> Value {
        let id = if all_namespaces {
            format!("list{}{}ForAllNamespaces", self.prefix, t.kind)
        } else {
            t.id("list", &self.prefix)
        };
        self.render(Op {
            action: "list",
            id,
            description: format!("list or watch objects of kind {}", t.kind),
            gvk: t.gvk,
            parameters: list_params(),
            body: None,
            responses: responses(&[("200", "OK", Some(list_def))], LIST_TYPES),
        })
    }

    fn read(&self, t: &Target) -> Value {
        self.render(Op {
            action: "get",
            id: t.id("read", &self.prefix),
            description: t.describe("read"),
            gvk: t.gvk,
            parameters: Vec::new(),
            body: None,
            responses: responses(&[("200", "OK", Some(t.def))], OBJECT_TYPES),
        })
    }

    fn log(&self, t: &Target) -> Value {
        self.render(Op {
            action: "get",
            id: format!("read{}{}{}Log", self.prefix, t.scope, t.kind),
            description: format!("read log of the specified {}", t.kind),
            gvk: t.gvk,
            parameters: log_params(),
            body: None,
            responses: text_response("text/plain"),
        })
    }

    fn create(&self, t: &Target) -> Value {
        let description = if t.sub.is_empty() {
            format!("create a {}", t.kind)
        } else {
            format!("create {} of a {}", t.gvk.kind, t.kind)
        };
        self.render(Op {
            action: "post",
            id: t.id("create", &self.prefix),
            description,
            gvk: t.gvk,
            parameters: write_params(false),
            body: Some(body(t.def, OBJECT_TYPES)),
            responses: responses(
                &[
                    ("200", "OK", Some(t.def)),
                    ("201", "Created", Some(t.def)),
                    ("202", "Accepted", Some(t.def)),
                ],
                OBJECT_TYPES,
            ),
        })
    }

    fn replace(&self, t: &Target) -> Value {
        self.render(Op {
            action: "put",
            id: t.id("replace", &self.prefix),
            description: t.describe("replace"),
            gvk: t.gvk,
            parameters: write_params(false),
            body: Some(body(t.def, OBJECT_TYPES)),
            responses: responses(
                &[("200", "OK", Some(t.def)), ("201", "Created", Some(t.def))],
                OBJECT_TYPES,
            ),
        })
    }

    fn patch(&mut self, t: &Target) -> Value {
        let patch = self.patch_definition();
        self.render(Op {
            action: "patch",
            id: t.id("patch", &self.prefix),
            description: t.describe("partially update"),
            gvk: t.gvk,
            parameters: write_params(true),
            body: Some(body(patch, PATCH_TYPES)),
            responses: responses(
                &[("200", "OK", Some(t.def)), ("201", "Created", Some(t.def))],
                OBJECT_TYPES,
            ),
        })
    }

    fn delete(&mut self, t: &Target, collection: bool) -> Value {
        let status = self.meta_definition(STATUS_KIND);
        let options = self.meta_definition(DELETE_OPTIONS_KIND);
        let (action, id, description, parameters, codes) = if collection {
            (
                "deletecollection",
                format!("delete{}Collection{}{}", self.prefix, t.scope, t.kind),
                format!("delete collection of {}", t.kind),
                delete_collection_params(),
                &[("200", "OK", Some(status.as_str()))][..],
            )
        } else {
            (
                "delete",
                t.id("delete", &self.prefix),
                format!("delete a {}", t.kind),
                delete_params(),
                &[
                    ("200", "OK", Some(status.as_str())),
                    ("202", "Accepted", Some(status.as_str())),
                ][..],
            )
        };
        self.render(Op {
            action,
            id,
            description,
            gvk: t.gvk,
            parameters,
            body: Some(json!({ "content": content(Some(&options), &["application/json"]) })),
            responses: responses(codes, OBJECT_TYPES),
        })
    }
}

/// What operations act on: a resource's objects, or one of their subresources.
#[derive(Clone, Copy)]
struct Target<'b> {
    /// The kind the operation speaks (`autoscaling/v1 Scale` for `deployments/scale`).
    gvk: &'b Gvk,
    /// Definition name of that kind's schema.
    def: &'b str,
    /// The resource's kind.
    kind: &'b str,
    /// `Namespaced` or empty, as in operation ids.
    scope: &'b str,
    /// The subresource, or empty.
    sub: &'b str,
}

impl Target<'_> {
    /// `patchAppsV1NamespacedDeploymentScale`.
    fn id(&self, verb: &str, prefix: &str) -> String {
        format!(
            "{verb}{prefix}{}{}{}",
            self.scope,
            self.kind,
            capitalize(self.sub)
        )
    }

    /// `partially update scale of the specified Deployment`.
    fn describe(&self, verb: &str) -> String {
        if self.sub.is_empty() {
            format!("{verb} the specified {}", self.kind)
        } else {
            format!("{verb} {} of the specified {}", self.sub, self.kind)
        }
    }
}

/// One operation before rendering.
struct Op<'b> {
    action: &'static str,
    id: String,
    description: String,
    gvk: &'b Gvk,
    parameters: Vec<Value>,
    body: Option<Value>,
    responses: Value,
}

fn content(def: Option<&str>, types: &[&str]) -> Value {
    let schema = match def {
        Some(def) => schema_ref(def),
        None => json!({ "type": "string" }),
    };
    Value::Object(
        types
            .iter()
            .map(|t| ((*t).to_owned(), json!({ "schema": schema })))
            .collect(),
    )
}

fn body(def: &str, types: &[&str]) -> Value {
    json!({ "content": content(Some(def), types), "required": true })
}

fn responses(codes: &[(&str, &str, Option<&str>)], types: &[&str]) -> Value {
    let mut out = Map::new();
    for (code, description, def) in codes {
        out.insert(
            (*code).to_owned(),
            json!({ "description": description, "content": content(*def, types) }),
        );
    }
    out.insert("401".into(), json!({ "description": "Unauthorized" }));
    Value::Object(out)
}

fn text_response(content_type: &str) -> Value {
    responses(&[("200", "OK", None)], &[content_type])
}

fn path_param(name: &str, description: &str) -> Value {
    json!({
        "name": name,
        "in": "path",
        "required": true,
        "description": description,
        "schema": { "type": "string" }
    })
}

fn query_param(name: &str, ty: &str, description: &str) -> Value {
    json!({
        "name": name,
        "in": "query",
        "description": description,
        "schema": { "type": ty }
    })
}

const DRY_RUN: (&str, &str, &str) = (
    "dryRun",
    "string",
    "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed",
);
const FIELD_MANAGER: (&str, &str, &str) = (
    "fieldManager",
    "string",
    "fieldManager is a name associated with the actor or entity that is making these changes. It is required for apply requests (application/apply-patch).",
);
const FIELD_VALIDATION: (&str, &str, &str) = (
    "fieldValidation",
    "string",
    "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn (the default) or Strict.",
);
const FORCE: (&str, &str, &str) = (
    "force",
    "boolean",
    "Force is going to \"force\" Apply requests: the user re-acquires fields owned by other managers. Must be unset for non-apply patch requests.",
);
const CONTINUE: (&str, &str, &str) = (
    "continue",
    "string",
    "The continue token from a previous list response, to retrieve the next page of results.",
);
const FIELD_SELECTOR: (&str, &str, &str) = (
    "fieldSelector",
    "string",
    "A selector to restrict the list of returned objects by their fields. Defaults to everything.",
);
const LABEL_SELECTOR: (&str, &str, &str) = (
    "labelSelector",
    "string",
    "A selector to restrict the list of returned objects by their labels. Defaults to everything.",
);
const LIMIT: (&str, &str, &str) = (
    "limit",
    "integer",
    "The maximum number of objects to return; when more exist, the list metadata carries a continue token.",
);
const RESOURCE_VERSION: (&str, &str, &str) = (
    "resourceVersion",
    "string",
    "resourceVersion sets a constraint on what resource versions a request may be served from.",
);
const RESOURCE_VERSION_MATCH: (&str, &str, &str) = (
    "resourceVersionMatch",
    "string",
    "resourceVersionMatch determines how resourceVersion is applied to list calls.",
);
const SEND_INITIAL_EVENTS: (&str, &str, &str) = (
    "sendInitialEvents",
    "boolean",
    "With watch=true, begin the watch stream with synthetic events for the current state of the collection.",
);
const TIMEOUT_SECONDS: (&str, &str, &str) = (
    "timeoutSeconds",
    "integer",
    "Timeout for the list/watch call, regardless of any activity or inactivity.",
);
const WATCH: (&str, &str, &str) = (
    "watch",
    "boolean",
    "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.",
);
const ALLOW_WATCH_BOOKMARKS: (&str, &str, &str) = (
    "allowWatchBookmarks",
    "boolean",
    "allowWatchBookmarks requests watch events with type \"BOOKMARK\".",
);
const GRACE_PERIOD: (&str, &str, &str) = (
    "gracePeriodSeconds",
    "integer",
    "The duration in seconds before the object should be deleted; zero means delete immediately.",
);
const ORPHAN_DEPENDENTS: (&str, &str, &str) = (
    "orphanDependents",
    "boolean",
    "Deprecated: please use propagationPolicy. Whether the dependent objects should be orphaned.",
);
const PROPAGATION_POLICY: (&str, &str, &str) = (
    "propagationPolicy",
    "string",
    "Whether and how garbage collection will be performed: Orphan, Background or Foreground.",
);

fn params(list: &[(&str, &str, &str)]) -> Vec<Value> {
    list.iter()
        .map(|(name, ty, description)| query_param(name, ty, description))
        .collect()
}

fn write_params(patch: bool) -> Vec<Value> {
    if patch {
        params(&[DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE])
    } else {
        params(&[DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION])
    }
}

fn list_params() -> Vec<Value> {
    params(&[
        ALLOW_WATCH_BOOKMARKS,
        CONTINUE,
        FIELD_SELECTOR,
        LABEL_SELECTOR,
        LIMIT,
        RESOURCE_VERSION,
        RESOURCE_VERSION_MATCH,
        SEND_INITIAL_EVENTS,
        TIMEOUT_SECONDS,
        WATCH,
    ])
}

fn delete_params() -> Vec<Value> {
    params(&[DRY_RUN, GRACE_PERIOD, ORPHAN_DEPENDENTS, PROPAGATION_POLICY])
}

fn delete_collection_params() -> Vec<Value> {
    params(&[
        CONTINUE,
        DRY_RUN,
        FIELD_SELECTOR,
        GRACE_PERIOD,
        LABEL_SELECTOR,
        LIMIT,
        ORPHAN_DEPENDENTS,
        PROPAGATION_POLICY,
        RESOURCE_VERSION,
        RESOURCE_VERSION_MATCH,
        SEND_INITIAL_EVENTS,
        TIMEOUT_SECONDS,
    ])
}

fn log_params() -> Vec<Value> {
    params(&[
        (
            "container",
            "string",
            "The container for which to stream logs.",
        ),
        ("follow", "boolean", "Follow the log stream of the pod."),
        (
            "limitBytes",
            "integer",
            "The number of bytes to read from the server before terminating the log output.",
        ),
        (
            "previous",
            "boolean",
            "Return previous terminated container logs.",
        ),
        (
            "sinceSeconds",
            "integer",
            "A relative time in seconds before the current time from which to show logs.",
        ),
        (
            "tailLines",
            "integer",
            "The number of lines from the end of the logs to show.",
        ),
        (
            "timestamps",
            "boolean",
            "Add an RFC3339 timestamp at the beginning of every line of log output.",
        ),
    ])
}

fn connect_params(subresource: &str) -> Vec<Value> {
    const STREAMS: &[(&str, &str, &str)] = &[
        (
            "container",
            "string",
            "The container in which to execute the command.",
        ),
        (
            "stderr",
            "boolean",
            "Redirect the standard error stream of the pod for this call.",
        ),
        (
            "stdin",
            "boolean",
            "Redirect the standard input stream of the pod for this call.",
        ),
        (
            "stdout",
            "boolean",
            "Redirect the standard output stream of the pod for this call.",
        ),
        ("tty", "boolean", "Allocate a terminal for this call."),
    ];
    match subresource {
        "exec" => {
            let mut p = params(&[(
                "command",
                "string",
                "Command is the remote command to execute; argv array.",
            )]);
            p.extend(params(STREAMS));
            p
        }
        "attach" => params(STREAMS),
        "portforward" => params(&[("ports", "integer", "List of ports to forward.")]),
        "proxy" => params(&[(
            "path",
            "string",
            "Path is the URL path to use for the current proxy request.",
        )]),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::registry::Shape;

    fn built_in() -> OpenApi {
        OpenApi::build(&Registry::built_in(), &|_, _, _| None)
    }

    fn doc(api: &OpenApi, path: &str) -> Value {
        let (_, body) = api.document(path).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    fn crontabs() -> Registry {
        with_crontabs(&Registry::built_in())
    }

    /// `base` plus a CronTab custom resource, sharing `base`'s resources.
    fn with_crontabs(base: &Registry) -> Registry {
        let mut reg = base.clone();
        let gvk = Gvk::new("stable.example.com", "v1", "CronTab");
        reg.insert(Arc::new(Resource {
            gvk: gvk.clone(),
            plural: "crontabs".into(),
            singular: "crontab".into(),
            namespaced: true,
            short_names: vec!["ct".into()],
            categories: vec![],
            verbs: crate::api::registry::ALL_VERBS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            subresources: vec![
                Subresource {
                    name: "status".into(),
                    gvk: gvk.clone(),
                    verbs: vec!["get".into(), "patch".into(), "update".into()],
                },
                Subresource {
                    name: "scale".into(),
                    gvk: Gvk::new("autoscaling", "v1", "Scale"),
                    verbs: vec!["get".into(), "patch".into(), "update".into()],
                },
            ],
            storage: "stable.example.com/crontabs".into(),
            storage_version: "v1".into(),
            shape: Shape::Stored,
            preferred: true,
            crd_version: None,
        }));
        reg
    }

    fn crontab_schema(g: &str, v: &str, k: &str) -> Option<Value> {
        (g == "stable.example.com" && v == "v1" && k == "CronTab").then(|| {
            json!({
                "type": "object",
                "description": "A cron tab.",
                "properties": {
                    "spec": {
                        "type": "object",
                        "properties": {
                            "cronSpec": { "type": "string", "description": "when to run" },
                            "replicas": { "type": "integer", "format": "int32" }
                        }
                    }
                }
            })
        })
    }

    /// Every `$ref` value anywhere in `v`.
    fn refs<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => refs(v, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn index_lists_group_versions_with_hashes() {
        let api = built_in();
        let index: Value = serde_json::from_slice(&api.index()).unwrap();
        let paths = index["paths"].as_object().unwrap();
        for p in [
            "api/v1",
            "apis/apps/v1",
            "apis/batch/v1",
            "apis/autoscaling/v1",
            "apis/autoscaling/v2",
            "apis/rbac.authorization.k8s.io/v1",
        ] {
            let url = paths[p]["serverRelativeURL"].as_str().unwrap();
            let (hash, body) = api.document(p).unwrap();
            assert_eq!(url, format!("/openapi/v3/{p}?hash={hash}"));
            assert_eq!(hash.len(), 64);
            assert_eq!(hash, super::hash(&body));
        }
        assert_eq!(paths.len(), api.paths().count());
        assert!(api.document("apis/nope/v1").is_none());
        assert!(api.document("/api/v1").is_some());
    }

    #[test]
    fn hash_follows_content() {
        let a = built_in();
        let b = built_in();
        // Same inputs, same bytes: generation is deterministic.
        assert_eq!(a.document("api/v1"), b.document("api/v1"));
        let c = OpenApi::build(&crontabs(), &crontab_schema);
        let d = OpenApi::build(&crontabs(), &|_, _, _| None);
        let (hc, _) = c.document("apis/stable.example.com/v1").unwrap();
        let (hd, _) = d.document("apis/stable.example.com/v1").unwrap();
        assert_ne!(hc, hd);
        // The index computed before and after a document was served agrees.
        let index: Value = serde_json::from_slice(&d.index()).unwrap();
        assert_eq!(
            index["paths"]["apis/stable.example.com/v1"]["serverRelativeURL"],
            format!("/openapi/v3/apis/stable.example.com/v1?hash={hd}")
        );
        let fresh = OpenApi::build(&crontabs(), &crontab_schema);
        let index: Value = serde_json::from_slice(&fresh.index()).unwrap();
        assert_eq!(
            index["paths"]["apis/stable.example.com/v1"]["serverRelativeURL"],
            format!("/openapi/v3/apis/stable.example.com/v1?hash={hc}")
        );
    }

    #[test]
    fn rebuild_keeps_unchanged_documents() {
        let base = Registry::built_in();
        let before = OpenApi::build(&base, &|_, _, _| None);
        let (apps_hash, apps_body) = before.document("apis/apps/v1").unwrap();
        let index_before = before.index();
        let after = before.rebuild(&with_crontabs(&base), &crontab_schema);
        // Carried over: the very same cached bytes, not a regenerated copy.
        let (hash, body) = after.document("apis/apps/v1").unwrap();
        assert_eq!(hash, apps_hash);
        assert_eq!(body.as_ptr(), apps_body.as_ptr());
        assert!(after.document("apis/stable.example.com/v1").is_some());
        assert_ne!(after.index(), index_before);
        // A changed custom schema is generated again.
        let again = after.rebuild(&with_crontabs(&base), &|_, _, _| None);
        assert_ne!(
            again.document("apis/stable.example.com/v1").unwrap().0,
            after.document("apis/stable.example.com/v1").unwrap().0
        );
        assert_eq!(again.document("apis/apps/v1").unwrap().0, apps_hash);
        // A registry rebuilt from scratch shares nothing: everything is generated again, with
        // the same result.
        let fresh = again.rebuild(&crontabs(), &|_, _, _| None);
        let (hash, body) = fresh.document("apis/apps/v1").unwrap();
        assert_eq!(hash, apps_hash);
        assert_ne!(body.as_ptr(), apps_body.as_ptr());
    }

    #[test]
    fn deployment_patch_operation_is_what_kubectl_looks_for() {
        let d = doc(&built_in(), "apis/apps/v1");
        assert_eq!(d["openapi"], "3.0.0");
        let item = &d["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
        let patch = &item["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"],
            json!({"group": "apps", "version": "v1", "kind": "Deployment"})
        );
        assert_eq!(patch["x-kubernetes-action"], "patch");
        assert_eq!(patch["operationId"], "patchAppsV1NamespacedDeployment");
        let params: Vec<&str> = patch["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for p in ["fieldValidation", "fieldManager", "dryRun", "force"] {
            assert!(params.contains(&p), "{p} missing from {params:?}");
        }
        let types = patch["requestBody"]["content"].as_object().unwrap();
        assert!(types.contains_key("application/merge-patch+json"));
        assert!(types.contains_key("application/apply-patch+yaml"));
        assert!(types.contains_key("application/json-patch+json"));
        // No strategic merge anywhere: kubectl must use its compiled-in merge metadata.
        assert!(
            !String::from_utf8_lossy(&built_in().document("apis/apps/v1").unwrap().1)
                .contains("strategic-merge-patch")
        );
        // Every PATCH of the kind lists fieldValidation (kubectl stops at the first it finds).
        for (path, ops) in d["paths"].as_object().unwrap() {
            if let Some(patch) = ops.get("patch") {
                assert!(
                    patch["parameters"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|p| p["name"] == "fieldValidation" && p["in"] == "query"),
                    "{path}"
                );
            }
        }
        let post = &d["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments"]["post"];
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1.Deployment"
        );
        let list = &d["paths"]["/apis/apps/v1/deployments"]["get"];
        assert_eq!(list["x-kubernetes-action"], "list");
        let scale = &d["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
        assert_eq!(
            scale["put"]["x-kubernetes-group-version-kind"],
            json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
        );
    }

    #[test]
    fn kind_schemas_carry_gvk_arrays() {
        let d = doc(&built_in(), "apis/apps/v1");
        let schemas = &d["components"]["schemas"];
        assert_eq!(
            schemas["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "version": "v1", "kind": "Deployment"}])
        );
        assert_eq!(
            schemas["io.k8s.api.apps.v1.DeploymentList"]["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "version": "v1", "kind": "DeploymentList"}])
        );
        assert_eq!(
            schemas["io.k8s.api.autoscaling.v1.Scale"]["x-kubernetes-group-version-kind"],
            json!([{"group": "autoscaling", "version": "v1", "kind": "Scale"}])
        );
        // Referenced types keep no GVK, and `$ref`s with siblings are wrapped in allOf.
        assert!(
            schemas["io.k8s.api.apps.v1.DeploymentSpec"]
                .get("x-kubernetes-group-version-kind")
                .is_none()
        );
        assert_eq!(
            schemas["io.k8s.api.apps.v1.Deployment"]["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
        let ios = &schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"];
        assert_eq!(ios["x-kubernetes-int-or-string"], true);
        assert_eq!(ios["format"], "int-or-string");
        assert_eq!(
            schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["format"],
            "date-time"
        );
        let core = doc(&built_in(), "api/v1");
        let schemas = &core["components"]["schemas"];
        assert_eq!(
            schemas["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"],
            json!([{"group": "", "version": "v1", "kind": "Pod"}])
        );
        assert!(schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"]["oneOf"].is_array());
        // Connect subresources name their options kind but have no schema.
        let exec = &core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/exec"]["post"];
        assert_eq!(exec["x-kubernetes-action"], "connect");
        assert_eq!(
            exec["x-kubernetes-group-version-kind"]["kind"],
            "PodExecOptions"
        );
        assert!(
            schemas
                .as_object()
                .unwrap()
                .keys()
                .all(|k| k.starts_with("io.k8s."))
        );
        // What explain looks up: an operation with the kind on the collection path.
        assert_eq!(
            core["paths"]["/api/v1/namespaces/{namespace}/pods"]["get"]["x-kubernetes-group-version-kind"],
            json!({"group": "", "version": "v1", "kind": "Pod"})
        );
        assert!(core["paths"]["/apis/rbac.authorization.k8s.io/v1/clusterroles"].is_null());
        let rbac = doc(&built_in(), "apis/rbac.authorization.k8s.io/v1");
        assert_eq!(
            rbac["paths"]["/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}"]["get"]["operationId"],
            "readRbacAuthorizationV1ClusterRole"
        );
    }

    #[test]
    fn every_ref_resolves_within_its_document() {
        let api = OpenApi::build(&crontabs(), &crontab_schema);
        let paths: Vec<String> = api.paths().map(String::from).collect();
        assert!(paths.len() > 15);
        for path in paths {
            let d = doc(&api, &path);
            let schemas = d["components"]["schemas"].as_object().unwrap();
            let mut found = Vec::new();
            refs(&d, &mut found);
            assert!(!found.is_empty(), "{path}");
            for r in found {
                let name = r
                    .strip_prefix(SCHEMAS)
                    .unwrap_or_else(|| panic!("{path}: foreign ref {r}"));
                assert!(schemas.contains_key(name), "{path}: dangling ref {r}");
            }
            // Every kind an operation names has a schema carrying that kind, except the
            // options of connect subresources.
            for ops in d["paths"].as_object().unwrap().values() {
                for (method, op) in ops.as_object().unwrap() {
                    if method == "parameters" || op["x-kubernetes-action"] == "connect" {
                        continue;
                    }
                    let gvk = &op["x-kubernetes-group-version-kind"];
                    assert!(
                        schemas
                            .values()
                            .any(|s| s["x-kubernetes-group-version-kind"]
                                .as_array()
                                .is_some_and(|a| a.contains(gvk))),
                        "{path}: no schema for {gvk}"
                    );
                }
            }
        }
    }

    #[test]
    fn custom_resources_get_their_schema_and_paths() {
        let api = OpenApi::build(&crontabs(), &crontab_schema);
        let index: Value = serde_json::from_slice(&api.index()).unwrap();
        assert!(index["paths"]["apis/stable.example.com/v1"].is_object());
        let d = doc(&api, "apis/stable.example.com/v1");
        let schema = &d["components"]["schemas"]["com.example.stable.v1.CronTab"];
        assert_eq!(
            schema["x-kubernetes-group-version-kind"],
            json!([{"group": "stable.example.com", "version": "v1", "kind": "CronTab"}])
        );
        assert_eq!(schema["description"], "A cron tab.");
        assert_eq!(
            schema["properties"]["spec"]["properties"]["cronSpec"]["description"],
            "when to run"
        );
        assert_eq!(
            schema["properties"]["metadata"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        );
        assert_eq!(schema["properties"]["kind"]["type"], "string");
        assert_eq!(
            d["components"]["schemas"]["com.example.stable.v1.CronTabList"]["x-kubernetes-group-version-kind"]
                [0]["kind"],
            "CronTabList"
        );
        let item =
            &d["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"];
        assert_eq!(
            item["patch"]["x-kubernetes-group-version-kind"]["kind"],
            "CronTab"
        );
        assert_eq!(
            item["patch"]["operationId"],
            "patchStableExampleComV1NamespacedCronTab"
        );
        let status = &d["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/status"];
        assert_eq!(
            status["put"]["x-kubernetes-group-version-kind"]["kind"],
            "CronTab"
        );
        let scale =
            &d["paths"]["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/scale"];
        assert_eq!(
            scale["patch"]["x-kubernetes-group-version-kind"]["kind"],
            "Scale"
        );
        assert!(d["paths"]["/apis/stable.example.com/v1/crontabs"]["get"].is_object());

        // Without a supplied schema the kind still gets one, accepting any fields.
        let api = OpenApi::build(&crontabs(), &|_, _, _| None);
        let d = doc(&api, "apis/stable.example.com/v1");
        let schema = &d["components"]["schemas"]["com.example.stable.v1.CronTab"];
        assert_eq!(schema["x-kubernetes-preserve-unknown-fields"], true);
        assert_eq!(
            schema["x-kubernetes-group-version-kind"][0]["kind"],
            "CronTab"
        );
    }

    #[test]
    fn v2_placeholder_is_an_empty_gnostic_document() {
        #[derive(prost::Message)]
        struct Document {
            #[prost(string, tag = "1")]
            swagger: String,
            #[prost(message, optional, tag = "2")]
            info: Option<Info>,
            #[prost(message, optional, tag = "8")]
            paths: Option<Paths>,
        }
        #[derive(prost::Message)]
        struct Info {
            #[prost(string, tag = "1")]
            title: String,
            #[prost(string, tag = "2")]
            version: String,
        }
        #[derive(prost::Message)]
        struct Paths {
            #[prost(bytes = "vec", repeated, tag = "2")]
            path: Vec<Vec<u8>>,
        }
        let doc = <Document as prost::Message>::decode(OpenApi::v2_placeholder()).unwrap();
        assert_eq!(doc.swagger, "2.0");
        assert_eq!(doc.info.as_ref().unwrap().title, "Kubernetes");
        assert_eq!(doc.info.unwrap().version, INFO_VERSION);
        assert!(doc.paths.unwrap().path.is_empty());
        assert!(!V2_PROTOBUF.contains('@'));
    }

    #[test]
    fn names_follow_upstream() {
        assert_eq!(operation_prefix("", "v1"), "CoreV1");
        assert_eq!(operation_prefix("apps", "v1"), "AppsV1");
        assert_eq!(
            operation_prefix("rbac.authorization.k8s.io", "v1"),
            "RbacAuthorizationV1"
        );
        assert_eq!(
            operation_prefix("metrics.k8s.io", "v1beta1"),
            "MetricsV1beta1"
        );
        assert_eq!(
            custom_definition(&Gvk::new("stable.example.com", "v1", "CronTab")),
            "com.example.stable.v1.CronTab"
        );
    }
}
