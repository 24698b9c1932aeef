//! The generic resource handlers: get, list, create, update, patch, delete, deletecollection —
//! upstream's generic registry, with per-kind rules from `strategy`, `alloc`, `api::defaults` and
//! `api::validation`.

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use super::State;
use super::alloc::Allocated;
use super::auth::UserInfo;
use super::error::{ApiError, ApiResult};
use super::handlers::{header as get_header, read_body};
use super::negotiate::{self, BodyFormat, Output};
use super::params::{FieldValidation, Params};
use super::request::{ResourceRequest, Verb};
use super::storage::{Storage, parse_resource_version, revision_of};
use super::{reviews, strategy, subresources, table, watch};
use crate::api::field::{FieldError, Path};
use crate::api::registry::{Gvk, Resource, Shape, split_api_version};
use crate::api::selector::{FieldSelector, LabelSelector};
use crate::api::{convert, defaults, kinds, meta, patch, protobuf, validation};

/// Attempts of a read-modify-write before giving up on conflicts.
const MAX_ATTEMPTS: usize = 16;

/// One request on a resource.
pub struct Ctx {
    pub state: Arc<State>,
    pub user: UserInfo,
    pub res: Arc<Resource>,
    pub req: ResourceRequest,
    pub params: Params,
    pub parts: Parts,
    pub output: Output,
    /// `Warning` headers to send (`299 - "…"`).
    pub warnings: Vec<String>,
    /// [ssa] How the write records `metadata.managedFields`.
    pub field_management: FieldManagement,
}

/// [ssa] How a write records `metadata.managedFields` (see `crate::api::apply`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FieldManagement {
    /// Create, update, patch: the fields the write changes move to its field manager.
    #[default]
    Update,
    /// Server-side apply: the object already carries the managed fields the apply computed.
    Apply,
    /// Writes upstream does not track (a pod's binding).
    Untracked,
}

pub async fn handle(
    state: Arc<State>,
    user: UserInfo,
    req: ResourceRequest,
    parts: Parts,
    body: Body,
) -> ApiResult<Response> {
    let registry = state.registry();
    let res = registry
        .get(&req.group, &req.version, &req.resource)
        .cloned()
        .ok_or_else(ApiError::path_not_found)?;
    if req.namespace.is_some() && !res.namespaced {
        return Err(ApiError::path_not_found());
    }
    let params = Params::parse(parts.uri.query());
    let output = negotiate::output(get_header(&parts.headers, header::ACCEPT));
    let mut ctx = Ctx {
        state,
        user,
        res,
        req,
        params,
        parts,
        output,
        warnings: Vec::new(),
        field_management: FieldManagement::default(),
    };
    if let Some(sub) = ctx.req.subresource.clone() {
        let resp = subresources::handle(&mut ctx, &sub, body).await?;
        return Ok(ctx.with_warnings(resp));
    }
    if !ctx.res.has_verb(ctx.req.verb.as_str()) {
        return Err(ApiError::method_not_supported(
            &ctx.res,
            ctx.req.verb.as_str(),
        ));
    }
    if ctx.res.shape == Shape::Virtual {
        return Err(ApiError::service_unavailable(format!(
            "the server is currently unable to handle the request ({})",
            ctx.res.qualified()
        )));
    }
    if ctx.req.verb == Verb::Watch {
        return watch::serve(ctx.into_shared()).await;
    }
    let is_crd_write = ctx.res.gvk.group == "apiextensions.k8s.io"
        && ctx.res.plural == "customresourcedefinitions"
        && !matches!(ctx.req.verb, Verb::Get | Verb::List | Verb::Watch);
    let resp = match ctx.req.verb {
        Verb::Get => get(&mut ctx).await,
        Verb::List => list(&mut ctx).await,
        Verb::Watch => unreachable!("handled above"),
        Verb::Create if ctx.res.shape == Shape::Review => reviews::create(&mut ctx, body).await,
        Verb::Create => create(&mut ctx, body).await,
        Verb::Update => update(&mut ctx, body).await,
        Verb::Patch => patch_object(&mut ctx, body).await,
        Verb::Delete => delete(&mut ctx, body).await,
        Verb::DeleteCollection => delete_collection(&mut ctx, body).await,
    }?;
    if is_crd_write {
        super::crds::refresh(&ctx.state).await?;
    }
    Ok(ctx.with_warnings(resp))
}

impl Ctx {
    pub fn into_shared(self) -> Arc<Ctx> {
        Arc::new(self)
    }

    pub fn ns(&self) -> Option<&str> {
        self.req.namespace.as_deref()
    }

    pub fn name(&self) -> &str {
        self.req.name.as_deref().unwrap_or_default()
    }

    pub fn storage(&self) -> &Storage {
        &self.state.storage
    }

    fn with_warnings(&self, mut resp: Response) -> Response {
        for w in &self.warnings {
            let escaped = w.replace('\\', "\\\\").replace('"', "\\\"");
            if let Ok(v) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
                resp.headers_mut().append(header::WARNING, v);
            }
        }
        resp
    }

    /// Reads and parses a request body holding a whole object of `expected` kind.
    pub async fn read_object(&self, body: Body, expected: &Gvk) -> ApiResult<Value> {
        let bytes = read_body(body, self.state.config.max_body).await?;
        self.parse_object(&bytes, expected)
    }

    pub fn parse_object(&self, bytes: &Bytes, expected: &Gvk) -> ApiResult<Value> {
        let format = negotiate::body_format(get_header(&self.parts.headers, header::CONTENT_TYPE))?;
        let mut obj = match format {
            BodyFormat::Protobuf => protobuf::decode(bytes, expected.as_tuple())
                .map_err(|e| ApiError::bad_request(e.to_string()))?,
            _ => negotiate::parse_text(format, bytes)?,
        };
        if !obj.is_object() {
            return Err(ApiError::bad_request(
                "the request body must be a JSON object",
            ));
        }
        check_type_meta(&mut obj, expected)?;
        Ok(obj)
    }

    /// Decodes through the kind's type: drops and reports unknown fields, per `fieldValidation`.
    pub fn normalize(&mut self, obj: Value, gvk: &Gvk) -> ApiResult<Value> {
        if self.res.is_custom() && *gvk == self.res.gvk {
            let res = self.res.clone();
            let Some(schema) = super::crds::schema(&res) else {
                return Ok(obj);
            };
            let mut obj = obj;
            let unknown = crate::api::crd::prune(schema, &mut obj);
            self.unknown_fields(&unknown)?;
            crate::api::crd::apply_defaults(schema, &mut obj);
            return Ok(obj);
        }
        let Some(ops) = kinds::ops(&gvk.group, &gvk.version, &gvk.kind) else {
            return Ok(obj);
        };
        let n = kinds::normalize(ops, obj).map_err(|e| {
            ApiError::bad_request(format!(
                "{} in version {:?} cannot be handled as a {}: {e}",
                gvk.kind, gvk.version, gvk.kind
            ))
        })?;
        self.unknown_fields(&n.unknown_fields)?;
        Ok(n.value)
    }

    /// Refuses or warns about unknown fields, per `fieldValidation`.
    fn unknown_fields(&mut self, fields: &[String]) -> ApiResult<()> {
        if fields.is_empty() {
            return Ok(());
        }
        match self.params.field_validation()? {
            FieldValidation::Strict => {
                let list: Vec<String> = fields
                    .iter()
                    .map(|f| format!("unknown field {f:?}"))
                    .collect();
                Err(ApiError::bad_request(format!(
                    "strict decoding error: {}",
                    list.join(", ")
                )))
            }
            FieldValidation::Warn => {
                self.warnings
                    .extend(fields.iter().map(|f| format!("unknown field {f:?}")));
                Ok(())
            }
            FieldValidation::Ignore => Ok(()),
        }
    }

    /// Puts the URL's namespace into the object; a different one in the body is an error.
    fn fix_namespace(&self, obj: &mut Value) -> ApiResult<()> {
        if self.res.namespaced {
            let url_ns = self
                .ns()
                .ok_or_else(|| ApiError::bad_request("the namespace of the request is missing"))?
                .to_owned();
            match meta::namespace(obj) {
                Some(ns) if ns != url_ns => Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                )),
                _ => {
                    meta::set(obj, "namespace", url_ns);
                    Ok(())
                }
            }
        } else {
            meta::remove(obj, "namespace");
            Ok(())
        }
    }

    /// Renders one object in the representation the client asked for.
    pub fn respond(&self, status: StatusCode, obj: &Value) -> Response {
        match self.output {
            Output::Object => super::handlers::json_response(status, obj, "application/json"),
            Output::Table => {
                let t = table::table(
                    &self.res,
                    std::slice::from_ref(obj),
                    meta::resource_version(obj),
                    None,
                    &self.params,
                    true,
                );
                super::handlers::json_response(status, &t, table::CONTENT_TYPE)
            }
            Output::Metadata => super::handlers::json_response(
                status,
                &table::partial_metadata(obj),
                "application/json",
            ),
        }
    }

    /// The stored object converted to the served version.
    pub fn served(&self, obj: Value) -> Value {
        convert::from_storage(&self.res, obj)
    }

    pub fn stored(&self, obj: Value) -> Value {
        convert::to_storage(&self.res, obj)
    }
}

/// Checks `apiVersion`/`kind` against what the URL serves; fills them when absent.
pub fn check_type_meta(obj: &mut Value, expected: &Gvk) -> ApiResult<()> {
    let api_version = meta::api_version(obj).to_owned();
    let kind = meta::kind(obj).to_owned();
    if !api_version.is_empty() {
        let (g, v) = split_api_version(&api_version);
        if g != expected.group || v != expected.version {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({api_version}) does not match the expected API version ({})",
                expected.api_version()
            )));
        }
    }
    if !kind.is_empty() && kind != expected.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            expected.kind
        )));
    }
    obj["apiVersion"] = json!(expected.api_version());
    obj["kind"] = json!(expected.kind);
    Ok(())
}

fn random_suffix() -> String {
    // Upstream's alphabet: no vowels (no words), no easily confused characters.
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char)
        .collect()
}

async fn get(ctx: &mut Ctx) -> ApiResult<Response> {
    let obj = ctx
        .storage()
        .must_get(&ctx.res, ctx.ns(), ctx.name())
        .await?;
    let obj = ctx.served(obj);
    Ok(ctx.respond(StatusCode::OK, &obj))
}

/// Which fields a field selector may use for a resource (upstream's per-kind field label
/// conversion funcs), beyond `metadata.name` and `metadata.namespace`.
fn selectable_fields(res: &Resource) -> &'static [&'static str] {
    match (res.gvk.group.as_str(), res.plural.as_str()) {
        ("", "pods") => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        ("", "events") | ("events.k8s.io", "events") => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
            "regarding.kind",
            "regarding.namespace",
            "regarding.name",
            "regarding.uid",
        ],
        ("", "nodes") => &["spec.unschedulable"],
        ("", "secrets") => &["type"],
        ("", "namespaces") => &["status.phase"],
        ("", "replicationcontrollers") => &["status.replicas"],
        ("", "services") => &["spec.clusterIP", "spec.type"],
        ("", "persistentvolumeclaims") => &["spec.volumeName"],
        ("apps", "replicasets") => &["status.replicas"],
        ("batch", "jobs") => &["status.successful"],
        ("certificates.k8s.io", "certificatesigningrequests") => &["spec.signerName"],
        _ => &[],
    }
}

/// Reads a field an object is selected by, with upstream's defaults for absent values.
fn field_value(res: &Resource, obj: &Value, field: &str) -> Option<String> {
    match field {
        "metadata.name" => Some(meta::name(obj).to_owned()),
        "metadata.namespace" => meta::namespace(obj).map(str::to_owned),
        "spec.unschedulable" | "spec.hostNetwork" => {
            Some(meta::field_string(obj, field).unwrap_or_else(|| "false".into()))
        }
        "source" if res.gvk.group.is_empty() => meta::field_string(obj, "source.component"),
        "status.successful" | "status.replicas" => {
            Some(meta::field_string(obj, field).unwrap_or_else(|| "0".into()))
        }
        _ => meta::field_string(obj, field),
    }
}

/// Selectors of a list or watch.
pub struct Filter {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Filter {
    pub fn from_params(res: &Resource, params: &Params) -> ApiResult<Self> {
        let labels = LabelSelector::parse(params.get("labelSelector").unwrap_or_default())
            .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
        let fields = FieldSelector::parse(params.get("fieldSelector").unwrap_or_default())
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let allowed = selectable_fields(res);
        for r in &fields.requirements {
            if r.field != "metadata.name"
                && r.field != "metadata.namespace"
                && !allowed.contains(&r.field.as_str())
            {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {}",
                    r.field
                )));
            }
        }
        Ok(Filter { labels, fields })
    }

    pub fn is_everything(&self) -> bool {
        self.labels.is_everything() && self.fields.is_empty()
    }

    pub fn matches(&self, res: &Resource, obj: &Value) -> bool {
        self.labels.matches(meta::labels(obj)) && self.fields.matches(|f| field_value(res, obj, f))
    }
}

async fn list(ctx: &mut Ctx) -> ApiResult<Response> {
    let filter = Filter::from_params(&ctx.res, &ctx.params)?;
    let limit = ctx
        .params
        .int("limit")?
        .filter(|l| *l > 0)
        .map(|l| l as usize);
    let continue_token = ctx.params.non_empty("continue").map(str::to_owned);
    let rv = ctx.params.non_empty("resourceVersion").map(str::to_owned);
    let exact = ctx.params.get("resourceVersionMatch") == Some("Exact");
    if continue_token.is_some() && rv.is_some() && rv.as_deref() != Some("0") {
        return Err(ApiError::bad_request(
            "specifying resource version is not allowed when using continue",
        ));
    }
    let revision = match (&rv, exact) {
        (Some(rv), true) => Some(parse_resource_version(rv)?),
        (Some(rv), false) if rv != "0" => {
            // NotOlderThan: the current state is at least as new, unless the client is ahead of us.
            let wanted = parse_resource_version(rv)?;
            let current = ctx.storage().backend().current_revision();
            if wanted > current {
                return Err(ApiError::from_store(
                    crate::store::StoreError::FutureRevision {
                        requested: wanted,
                        current,
                    },
                    &ctx.res,
                    "",
                ));
            }
            None
        }
        _ => None,
    };

    if filter.is_everything() && ctx.output == Output::Object && convert::is_identity(&ctx.res) {
        return list_spliced(ctx, limit, continue_token.as_deref(), revision).await;
    }
    let mut items = Vec::new();
    let mut cont = continue_token.clone();
    let mut list_revision = None;
    let mut next_token = None;
    let mut remaining = None;
    if filter.is_everything() {
        let page = ctx
            .storage()
            .list(
                &ctx.res,
                ctx.ns(),
                limit.unwrap_or(0),
                cont.as_deref(),
                revision,
            )
            .await?;
        list_revision = Some(page.revision);
        items = page.items;
        next_token = page.continue_token;
        remaining = page.remaining;
    } else {
        let chunk = limit.unwrap_or(0).max(500);
        let mut revision = revision;
        loop {
            let page = ctx
                .storage()
                .list(&ctx.res, ctx.ns(), chunk, cont.as_deref(), revision)
                .await?;
            list_revision.get_or_insert(page.revision);
            revision = Some(page.revision);
            let page_len = page.items.len();
            let mut stopped_at = None;
            for (i, item) in page.items.into_iter().enumerate() {
                if filter.matches(&ctx.res, &item) {
                    items.push(item);
                    if limit.is_some_and(|l| items.len() >= l) {
                        stopped_at = Some(i);
                        break;
                    }
                }
            }
            if let Some(i) = stopped_at {
                // Full: more may follow in this page or in later ones.
                if i + 1 < page_len || page.continue_token.is_some() {
                    let last = items.last().expect("a full page kept an item");
                    next_token = Some(
                        crate::store::ContinueToken {
                            revision: page.revision,
                            start_after: ctx.res.key(meta::namespace(last), meta::name(last)),
                        }
                        .encode(),
                    );
                }
                break;
            }
            match page.continue_token {
                Some(t) => cont = Some(t),
                None => break,
            }
        }
    }
    let revision = list_revision.unwrap_or_else(|| ctx.storage().backend().current_revision());
    let items: Vec<Value> = items.into_iter().map(|o| ctx.served(o)).collect();
    let body = list_body(ctx, items, revision, next_token, remaining);
    let ct = if ctx.output == Output::Table {
        table::CONTENT_TYPE
    } else {
        "application/json"
    };
    Ok(super::handlers::json_response(StatusCode::OK, &body, ct))
}

/// The common list — everything, as stored, as JSON — built from the stored bytes without
/// parsing them.
async fn list_spliced(
    ctx: &Ctx,
    limit: Option<usize>,
    continue_token: Option<&str>,
    revision: Option<i64>,
) -> ApiResult<Response> {
    let result = ctx
        .storage()
        .list_raw(
            &ctx.res,
            ctx.ns(),
            limit.unwrap_or(0),
            continue_token,
            revision,
        )
        .await?;
    let mut metadata = json!({"resourceVersion": result.revision.to_string()});
    if let Some(t) = &result.continue_token {
        metadata["continue"] = json!(t.encode());
        if result.remaining > 0 {
            metadata["remainingItemCount"] = json!(result.remaining);
        }
    }
    let size: usize = result.kvs.iter().map(|kv| kv.value.len() + 32).sum();
    let mut body = Vec::with_capacity(size + 256);
    body.extend_from_slice(b"{\"kind\":");
    serde_json::to_writer(&mut body, &format!("{}List", ctx.res.gvk.kind))
        .expect("strings serialise");
    body.extend_from_slice(b",\"apiVersion\":");
    serde_json::to_writer(&mut body, &ctx.res.gvk.api_version()).expect("strings serialise");
    body.extend_from_slice(b",\"metadata\":");
    serde_json::to_writer(&mut body, &metadata).expect("JSON values serialise");
    body.extend_from_slice(b",\"items\":[");
    for (i, kv) in result.kvs.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        match Storage::raw_with_revision(&kv.value, kv.mod_revision) {
            Some(bytes) => body.extend_from_slice(&bytes),
            None => serde_json::to_writer(&mut body, &Storage::decode(kv)?)
                .expect("JSON values serialise"),
        }
    }
    body.extend_from_slice(b"]}");
    let mut resp = Response::new(Body::from(body));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

fn list_body(
    ctx: &Ctx,
    items: Vec<Value>,
    revision: i64,
    token: Option<String>,
    remaining: Option<u64>,
) -> Value {
    let rv = revision.to_string();
    match ctx.output {
        Output::Table => table::table(&ctx.res, &items, &rv, token.as_deref(), &ctx.params, true),
        output => {
            let mut metadata = json!({"resourceVersion": rv});
            if let Some(t) = token {
                metadata["continue"] = json!(t);
                if let Some(r) = remaining.filter(|r| *r > 0) {
                    metadata["remainingItemCount"] = json!(r);
                }
            }
            let (api_version, kind, items) = if output == Output::Metadata {
                (
                    "meta.k8s.io/v1".to_owned(),
                    "PartialObjectMetadataList".to_owned(),
                    items.iter().map(table::partial_metadata).collect(),
                )
            } else {
                (
                    ctx.res.gvk.api_version(),
                    format!("{}List", ctx.res.gvk.kind),
                    items,
                )
            };
            json!({"kind": kind, "apiVersion": api_version, "metadata": metadata, "items": items})
        }
    }
}

/// What a write is, for the admission and validation step.
#[derive(Clone, Copy)]
pub enum WriteOp<'a> {
    Create,
    Update { old: &'a Value },
}

impl Ctx {
    /// Defaults, strategy, admission and validation of an object about to be written. Returns
    /// what was allocated (to undo if the write fails).
    pub async fn admit(&mut self, obj: &mut Value, op: WriteOp<'_>) -> ApiResult<Allocated> {
        let gvk = self.res.gvk.clone();
        defaults::apply(&gvk.group, &gvk.version, &gvk.kind, obj);
        meta::drop_empty_fields(obj);
        // [ssa] Managed fields of a create or update: after defaulting, before the strategy and
        // allocations (whose fields nobody owns), as upstream.
        let old = match op {
            WriteOp::Create => None,
            WriteOp::Update { old } => Some(old),
        };
        self.record_managed_fields(old, obj)?;
        match op {
            WriteOp::Create => strategy::prepare_create(&self.res, obj),
            WriteOp::Update { old } => {
                // A binding also sets `PodScheduled=True` in the status (upstream binds at the
                // storage layer); the update strategy would drop that.
                let bound_status = (self.req.subresource.as_deref() == Some("binding"))
                    .then(|| obj.get("status").cloned())
                    .flatten();
                strategy::prepare_update(&self.res, obj, old);
                if let Some(status) = bound_status {
                    obj["status"] = status;
                }
            }
        }
        if let WriteOp::Create = op {
            if self.res.namespaced {
                namespace_lifecycle(self, obj).await?;
            }
            super::admission::admit_create(self, obj).await?;
            super::admission::limit_ranger_default(self, obj).await?;
        }
        let custom_schema = super::crds::schema(&self.res).cloned();
        let mut errors = match (op, &custom_schema) {
            (WriteOp::Create, Some(schema)) => {
                let mut errs = validation::validate_custom_create(obj, self.res.namespaced);
                errs.extend(crate::api::crd::validate(schema, obj));
                errs
            }
            (WriteOp::Update { old }, Some(schema)) => {
                let mut errs = validation::validate_custom_update(obj, old, self.res.namespaced);
                errs.extend(crate::api::crd::validate_update(schema, obj, old));
                errs
            }
            (WriteOp::Create, None) => {
                validation::validate_create(&gvk.group, &gvk.version, &gvk.kind, obj)
            }
            (WriteOp::Update { old }, None) => {
                // A binding assigns `spec.nodeName`, which pod updates may not change: upstream
                // binds at the storage layer, without update validation.
                let bound_old;
                let old = if self.req.subresource.as_deref() == Some("binding") {
                    let mut o = old.clone();
                    o["spec"]["nodeName"] = obj["spec"]["nodeName"].clone();
                    bound_old = o;
                    &bound_old
                } else {
                    old
                };
                let mut errs =
                    validation::validate_update(&gvk.group, &gvk.version, &gvk.kind, obj, old);
                errs.extend(immutable_identity(obj, old));
                errs
            }
        };
        if errors.is_empty() {
            // Validating admission runs on valid objects only, as upstream.
            let old = match op {
                WriteOp::Update { old } => Some(old),
                WriteOp::Create => None,
            };
            super::admission::limit_ranger_validate(self, obj, old.is_some()).await?;
            super::admission::resource_quota(self, obj, old).await?;
        }
        if self.res.gvk.group.is_empty() && self.res.gvk.kind == "Service" && errors.is_empty() {
            let old = match op {
                WriteOp::Update { old } => Some(old),
                WriteOp::Create => None,
            };
            match self.state.allocators.assign(obj, old) {
                Ok(allocated) => return Ok(allocated),
                Err(errs) => errors.extend(errs),
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid(&self.res, meta::name(obj), &errors));
        }
        Ok(Allocated::default())
    }
}

impl Ctx {
    /// [ssa] The managedFields bookkeeping of a non-apply write from `old` (None: create) to
    /// `new`, by the request's field manager, through the request's subresource.
    pub fn record_managed_fields(&self, old: Option<&Value>, new: &mut Value) -> ApiResult<()> {
        if self.field_management != FieldManagement::Update {
            return Ok(());
        }
        let manager = self
            .params
            .field_manager(get_header(&self.parts.headers, header::USER_AGENT))?;
        let now = meta::now();
        let writer = crate::api::apply::Writer {
            manager: &manager,
            subresource: self.req.subresource.as_deref().unwrap_or_default(),
            status_subresource: self.res.has_status(),
            now: &now,
        };
        crate::api::apply::update_managed_fields_as(self.res.gvk.as_tuple(), old, new, &writer);
        Ok(())
    }
}

/// Name and namespace cannot change through an update.
fn immutable_identity(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if meta::namespace(new) != meta::namespace(old) {
        errs.push(FieldError::invalid(
            Path::new("metadata").child("namespace"),
            meta::namespace(new).unwrap_or_default(),
            "field is immutable",
        ));
    }
    errs
}

/// Objects may only be created in namespaces that exist and are not being deleted.
async fn namespace_lifecycle(ctx: &Ctx, obj: &Value) -> ApiResult<()> {
    let Some(ns) = meta::namespace(obj) else {
        return Ok(());
    };
    let registry = ctx.state.registry();
    let namespaces = registry
        .get("", "v1", "namespaces")
        .expect("namespaces are built in");
    let Some(namespace) = ctx.storage().get(namespaces, None, ns).await? else {
        return Err(ApiError::not_found(namespaces, ns));
    };
    let terminating = meta::deletion_timestamp(&namespace).is_some()
        || namespace["status"]["phase"] == "Terminating";
    if terminating {
        let mut err = ApiError::forbidden(format!(
            "{} {:?} is forbidden: unable to create new content in namespace {ns} because it is being terminated",
            ctx.res.qualified(),
            meta::name(obj)
        ));
        err.details = Some(super::error::Details {
            name: meta::name(obj).to_owned(),
            group: ctx.res.gvk.group.clone(),
            kind: ctx.res.plural.clone(),
            causes: vec![super::error::Cause {
                reason: "NamespaceTerminating".into(),
                message: format!("namespace {ns} is being terminated"),
                field: "metadata.namespace".into(),
            }],
            ..Default::default()
        });
        return Err(err);
    }
    Ok(())
}

/// Creates an object from a parsed body (shared by POST and create-on-apply).
pub async fn create_object(ctx: &mut Ctx, obj: Value) -> ApiResult<Value> {
    let mut obj = obj;
    ctx.fix_namespace(&mut obj)?;
    let gvk = ctx.res.gvk.clone();
    let mut obj = ctx.normalize(obj, &gvk)?;
    if meta::name(&obj).is_empty() {
        let prefix = meta::generate_name(&obj).to_owned();
        if prefix.is_empty() {
            return Err(ApiError::invalid(
                &ctx.res,
                "",
                &[FieldError::required(
                    Path::new("metadata").child("name"),
                    "name or generateName is required",
                )],
            ));
        }
        meta::set(&mut obj, "name", format!("{prefix}{}", random_suffix()));
    }
    {
        let m = meta::metadata_mut(&mut obj);
        m.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        m.insert("creationTimestamp".into(), json!(meta::now()));
        for f in [
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "selfLink",
            "generation",
        ] {
            m.remove(f);
        }
    }
    let allocated = ctx.admit(&mut obj, WriteOp::Create).await?;
    let name = meta::name(&obj).to_owned();
    if ctx.params.dry_run()? {
        ctx.state.allocators.undo(allocated);
        return Ok(obj);
    }
    let stored = ctx.stored(obj);
    match ctx
        .storage()
        .create(&ctx.res, ctx.ns(), &name, &stored)
        .await
    {
        Ok(created) => Ok(ctx.served(created)),
        Err(e) => {
            ctx.state.allocators.undo(allocated);
            Err(e)
        }
    }
}

async fn create(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let gvk = ctx.res.gvk.clone();
    let obj = ctx.read_object(body, &gvk).await?;
    let created = create_object(ctx, obj).await?;
    Ok(ctx.respond(StatusCode::CREATED, &created))
}

/// True when an update leaves an object being deleted with nothing left to wait for. A
/// namespace also waits for its `spec.finalizers` (upstream's ShouldDeleteNamespaceDuringUpdate):
/// a status write during its termination must not delete it before it is empty.
fn should_delete_during_update(obj: &Value, namespace: bool) -> bool {
    let spec_finalizers = namespace
        && obj["spec"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
    meta::deletion_timestamp(obj).is_some()
        && meta::finalizers(obj).is_empty()
        && !spec_finalizers
        && meta::metadata(obj)
            .and_then(|m| m.get("deletionGracePeriodSeconds"))
            .and_then(Value::as_i64)
            .unwrap_or(0)
            == 0
}

/// Equal apart from the resourceVersion.
fn same_object(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("resourceVersion");
        }
        v
    };
    strip(a) == strip(b)
}

/// The read-modify-write loop behind update and patch. `mutate` turns the current object (served
/// version) into the desired one; a resourceVersion it leaves set is a precondition.
/// What an update goes through besides the store's optimistic concurrency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateMode {
    /// An update of the object: defaulting, validation, admission, field management.
    Full,
    /// A status subresource write: only the status changes, validated as a status update.
    Status,
    /// A change the server makes itself at the storage layer (upstream's binding sets
    /// `spec.nodeName` this way): no validation, admission or field management.
    Storage,
}

impl UpdateMode {
    pub fn status_if(status_only: bool) -> UpdateMode {
        if status_only {
            UpdateMode::Status
        } else {
            UpdateMode::Full
        }
    }
}

pub async fn guaranteed_update<F>(
    ctx: &mut Ctx,
    mut mutate: F,
    mode: UpdateMode,
) -> ApiResult<(Value, StatusCode)>
where
    F: FnMut(&mut Ctx, &Value) -> ApiResult<Value>,
{
    let name = ctx.name().to_owned();
    for _ in 0..MAX_ATTEMPTS {
        let Some(current) = ctx.storage().get(&ctx.res, ctx.ns(), &name).await? else {
            return Err(ApiError::not_found(&ctx.res, &name));
        };
        let old = ctx.served(current);
        let old_rev = revision_of(&old)?;
        let mut new = mutate(ctx, &old)?;
        let precondition = meta::resource_version(&new).to_owned();
        if !precondition.is_empty() && precondition != meta::resource_version(&old) {
            return Err(ApiError::modified(&ctx.res, &name));
        }
        if meta::name(&new).is_empty() {
            meta::set(&mut new, "name", name.clone());
        }
        if meta::name(&new) != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                meta::name(&new)
            )));
        }
        // Validation of updates expects the version being updated (as upstream's store sets it).
        meta::set(
            &mut new,
            "resourceVersion",
            meta::resource_version(&old).to_owned(),
        );
        let allocated = if mode == UpdateMode::Storage {
            Allocated::default()
        } else if mode == UpdateMode::Status {
            // [ssa] The strategy keeps the old object but its status; the managed fields are
            // the apply's, or recorded for the status write.
            let applied_fields = new.pointer("/metadata/managedFields").cloned();
            strategy::prepare_status_update(&mut new, &old);
            match ctx.field_management {
                FieldManagement::Apply => match applied_fields {
                    Some(f) => meta::set(&mut new, "managedFields", f),
                    None => meta::remove(&mut new, "managedFields"),
                },
                FieldManagement::Update => ctx.record_managed_fields(Some(&old), &mut new)?,
                FieldManagement::Untracked => {}
            }
            let gvk = ctx.res.gvk.clone();
            let errs = match super::crds::schema(&ctx.res) {
                Some(schema) => crate::api::crd::validate_status_update(schema, &new, &old),
                None => validation::validate_status_update(
                    &gvk.group,
                    &gvk.version,
                    &gvk.kind,
                    &new,
                    &old,
                ),
            };
            if !errs.is_empty() {
                return Err(ApiError::invalid(&ctx.res, &name, &errs));
            }
            Allocated::default()
        } else {
            ctx.admit(&mut new, WriteOp::Update { old: &old }).await?
        };
        meta::set(
            &mut new,
            "resourceVersion",
            meta::resource_version(&old).to_owned(),
        );
        let dry_run = ctx.params.dry_run()?;
        if should_delete_during_update(
            &new,
            ctx.res.gvk.group.is_empty() && ctx.res.gvk.kind == "Namespace",
        ) {
            ctx.state.allocators.undo(allocated);
            if dry_run {
                return Ok((new, StatusCode::OK));
            }
            return match ctx
                .storage()
                .delete(&ctx.res, ctx.ns(), &name, Some(old_rev))
                .await
            {
                Ok(deleted) => {
                    release_on_delete(ctx, &deleted);
                    Ok((ctx.served(deleted), StatusCode::OK))
                }
                Err(e) if e.code == 409 && precondition.is_empty() => continue,
                Err(e) => Err(e),
            };
        }
        if same_object(&new, &old) {
            ctx.state.allocators.undo(allocated);
            return Ok((old, StatusCode::OK));
        }
        if dry_run {
            ctx.state.allocators.undo(allocated);
            return Ok((new, StatusCode::OK));
        }
        let stored = ctx.stored(new.clone());
        match ctx
            .storage()
            .update(&ctx.res, ctx.ns(), &name, &stored, old_rev)
            .await
        {
            Ok(updated) => {
                if ctx.res.gvk.group.is_empty() && ctx.res.gvk.kind == "Service" {
                    ctx.state.allocators.release_dropped(&updated, &old);
                }
                return Ok((ctx.served(updated), StatusCode::OK));
            }
            Err(e) => {
                ctx.state.allocators.undo(allocated);
                if e.code == 409 && precondition.is_empty() {
                    continue;
                }
                return Err(e);
            }
        }
    }
    Err(ApiError::modified(&ctx.res, &name))
}

async fn update(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let gvk = ctx.res.gvk.clone();
    let mut obj = ctx.read_object(body, &gvk).await?;
    ctx.fix_namespace(&mut obj)?;
    let obj = ctx.normalize(obj, &gvk)?;
    let (updated, status) =
        guaranteed_update(ctx, |_, _| Ok(obj.clone()), UpdateMode::Full).await?;
    Ok(ctx.respond(status, &updated))
}

/// Applies a patch document of the request's content type to `old`.
pub fn apply_patch(
    ctx: &mut Ctx,
    old: &Value,
    patch_type: patch::PatchType,
    patch_doc: &Value,
    gvk: &Gvk,
) -> ApiResult<Value> {
    let patched = patch::apply(patch_type, old, patch_doc, gvk.as_tuple()).map_err(patch_error)?;
    let mut patched = patched;
    if !patched.is_object() {
        return Err(ApiError::new(
            422,
            "Invalid",
            "the patch did not produce an object",
        ));
    }
    check_type_meta(&mut patched, gvk)?;
    ctx.normalize(patched, gvk)
}

/// A patch failure as the Status upstream answers.
pub fn patch_error(e: patch::PatchError) -> ApiError {
    let reason = match e.reason() {
        "" => "InternalError",
        r => r,
    };
    ApiError::new(e.status_code(), reason, e.upstream_message())
}

async fn patch_object(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let bytes = read_body(body, ctx.state.config.max_body).await?;
    let content_type = get_header(&ctx.parts.headers, header::CONTENT_TYPE)
        .unwrap_or_default()
        .to_owned();
    let gvk = ctx.res.gvk.clone();
    if content_type.starts_with("application/apply-patch") {
        return super::subresources::apply(ctx, &bytes, false).await;
    }
    let patch_type = patch::PatchType::from_content_type(&content_type)
        .ok_or_else(|| ApiError::unsupported_media_type(&content_type))?;
    let patch_doc = negotiate::parse_json(&bytes)?;
    let (updated, status) = guaranteed_update(
        ctx,
        |ctx, old| {
            let mut patched = apply_patch(ctx, old, patch_type, &patch_doc, &gvk)?;
            // A patch that does not mention resourceVersion is not a precondition.
            if patch_doc.pointer("/metadata/resourceVersion").is_none()
                || patch_type == patch::PatchType::Json
            {
                let rv_in_patch = patch_type == patch::PatchType::Json
                    && patch_doc.as_array().is_some_and(|ops| {
                        ops.iter().any(|op| {
                            op["path"] == "/metadata/resourceVersion" && op["op"] != "test"
                        })
                    });
                if !rv_in_patch {
                    meta::remove(&mut patched, "resourceVersion");
                }
            }
            Ok(patched)
        },
        UpdateMode::Full,
    )
    .await?;
    Ok(ctx.respond(status, &updated))
}

/// Options of a delete, from the body (DeleteOptions) and the query.
#[derive(Debug, Default)]
pub struct DeleteOptions {
    pub grace_period: Option<i64>,
    pub propagation: Option<String>,
    pub orphan_dependents: Option<bool>,
    pub uid: Option<String>,
    pub resource_version: Option<String>,
    pub dry_run: bool,
}

pub fn delete_options(ctx: &Ctx, body: &Bytes) -> ApiResult<DeleteOptions> {
    let mut opts = DeleteOptions::default();
    if !body.iter().all(u8::is_ascii_whitespace) {
        let format = negotiate::body_format(get_header(&ctx.parts.headers, header::CONTENT_TYPE))?;
        let v = match format {
            BodyFormat::Protobuf => protobuf::decode(body, ("meta.k8s.io", "v1", "DeleteOptions"))
                .map_err(|e| ApiError::bad_request(e.to_string()))?,
            f => negotiate::parse_text(f, body)?,
        };
        opts.grace_period = v["gracePeriodSeconds"].as_i64();
        opts.propagation = v["propagationPolicy"].as_str().map(str::to_owned);
        opts.orphan_dependents = v["orphanDependents"].as_bool();
        opts.uid = v["preconditions"]["uid"].as_str().map(str::to_owned);
        opts.resource_version = v["preconditions"]["resourceVersion"]
            .as_str()
            .map(str::to_owned);
        opts.dry_run = v["dryRun"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "All"));
    }
    if let Some(g) = ctx.params.int("gracePeriodSeconds")? {
        opts.grace_period = Some(g);
    }
    if let Some(p) = ctx.params.non_empty("propagationPolicy") {
        opts.propagation = Some(p.to_owned());
    }
    if let Some(o) = ctx.params.non_empty("orphanDependents") {
        opts.orphan_dependents = Some(o == "true");
    }
    opts.dry_run |= ctx.params.dry_run()?;
    if let Some(p) = &opts.propagation {
        if !matches!(p.as_str(), "Orphan" | "Background" | "Foreground") {
            return Err(ApiError::invalid_kind(
                "DeleteOptions",
                "",
                "DeleteOptions",
                "",
                &[FieldError::not_supported(
                    Path::new("propagationPolicy"),
                    p.clone(),
                    &["Foreground", "Background", "Orphan"],
                )],
            ));
        }
    }
    if opts.grace_period.is_some_and(|g| g < 0) {
        opts.grace_period = Some(0);
    }
    Ok(opts)
}

fn release_on_delete(ctx: &Ctx, deleted: &Value) {
    if ctx.res.gvk.group.is_empty() && ctx.res.gvk.kind == "Service" {
        ctx.state.allocators.release(deleted);
    }
}

/// The namespaces that always exist.
const IMMORTAL_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public"];

/// Deletes one object: immediately, or by marking it (finalizers, graceful pods). Returns the
/// response status and body.
pub async fn delete_one(
    ctx: &mut Ctx,
    name: &str,
    opts: &DeleteOptions,
) -> ApiResult<(StatusCode, Value)> {
    if ctx.res.gvk.group.is_empty()
        && ctx.res.plural == "namespaces"
        && IMMORTAL_NAMESPACES.contains(&name)
    {
        return Err(ApiError::forbidden(format!(
            "namespaces {name:?} is forbidden: this namespace may not be deleted"
        )));
    }
    for _ in 0..MAX_ATTEMPTS {
        let Some(current) = ctx.storage().get(&ctx.res, ctx.ns(), name).await? else {
            return Err(ApiError::not_found(&ctx.res, name));
        };
        let old_rev = revision_of(&current)?;
        if let Some(uid) = &opts.uid {
            if uid != meta::uid(&current) {
                return Err(ApiError::conflict(
                    &ctx.res,
                    name,
                    &format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        meta::uid(&current)
                    ),
                ));
            }
        }
        if let Some(rv) = &opts.resource_version {
            if rv != meta::resource_version(&current) {
                return Err(ApiError::conflict(
                    &ctx.res,
                    name,
                    &format!(
                        "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                        meta::resource_version(&current)
                    ),
                ));
            }
        }
        let mut marked = current.clone();
        let mut finalizers = meta::finalizers(&current);
        let policy = match (&opts.propagation, opts.orphan_dependents) {
            (Some(p), _) => Some(p.as_str()),
            (None, Some(true)) => Some("Orphan"),
            (None, Some(false)) => Some("Background"),
            (None, None) => None,
        };
        match policy {
            Some("Foreground") => {
                finalizers.retain(|f| f != "orphan");
                if !finalizers.iter().any(|f| f == "foregroundDeletion") {
                    finalizers.push("foregroundDeletion".into());
                }
            }
            Some("Orphan") => {
                finalizers.retain(|f| f != "foregroundDeletion");
                if !finalizers.iter().any(|f| f == "orphan") {
                    finalizers.push("orphan".into());
                }
            }
            Some(_) => finalizers.retain(|f| f != "orphan" && f != "foregroundDeletion"),
            None => {}
        }
        let is_namespace = ctx.res.gvk.group.is_empty() && ctx.res.plural == "namespaces";
        let namespace_finalizing = is_namespace
            && current["spec"]["finalizers"]
                .as_array()
                .is_some_and(|f| !f.is_empty());
        let grace = graceful_period(ctx, &current, opts);
        let already_deleting = meta::deletion_timestamp(&current).is_some();
        let must_wait =
            !finalizers.is_empty() || namespace_finalizing || grace.is_some_and(|g| g > 0);
        if must_wait {
            let now = jiff::Timestamp::now();
            let grace_secs = grace.unwrap_or(0);
            let existing_grace = meta::metadata(&current)
                .and_then(|m| m.get("deletionGracePeriodSeconds"))
                .and_then(Value::as_i64);
            if !already_deleting || existing_grace.is_some_and(|e| grace_secs < e) {
                let when = now + jiff::SignedDuration::from_secs(grace_secs);
                meta::set(&mut marked, "deletionTimestamp", meta::format_time(when));
                meta::set(&mut marked, "deletionGracePeriodSeconds", grace_secs);
            }
            meta::set_finalizers(&mut marked, &finalizers);
            if is_namespace {
                marked["status"]["phase"] = json!("Terminating");
            }
            if same_object(&marked, &current) {
                return Ok((StatusCode::OK, ctx.served(current)));
            }
            if opts.dry_run {
                return Ok((StatusCode::OK, ctx.served(marked)));
            }
            match ctx
                .storage()
                .update(&ctx.res, ctx.ns(), name, &marked, old_rev)
                .await
            {
                Ok(updated) => {
                    let status =
                        if policy == Some("Foreground") || opts.orphan_dependents == Some(false) {
                            StatusCode::ACCEPTED
                        } else {
                            StatusCode::OK
                        };
                    return Ok((status, ctx.served(updated)));
                }
                Err(e) if e.code == 409 => continue,
                Err(e) => return Err(e),
            }
        }
        if opts.dry_run {
            return Ok((StatusCode::OK, deleted_body(ctx, ctx.served(current))));
        }
        match ctx
            .storage()
            .delete(&ctx.res, ctx.ns(), name, Some(old_rev))
            .await
        {
            Ok(deleted) => {
                release_on_delete(ctx, &deleted);
                let served = ctx.served(deleted);
                return Ok((StatusCode::OK, deleted_body(ctx, served)));
            }
            Err(e) if e.code == 409 => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::modified(&ctx.res, name))
}

/// The grace period of a pod deletion (None for other kinds and immediate deletions).
fn graceful_period(ctx: &Ctx, obj: &Value, opts: &DeleteOptions) -> Option<i64> {
    if !(ctx.res.gvk.group.is_empty() && ctx.res.plural == "pods") {
        return None;
    }
    let scheduled = obj["spec"]["nodeName"]
        .as_str()
        .is_some_and(|n| !n.is_empty());
    let finished = matches!(
        obj["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    );
    if !scheduled || finished {
        return Some(0);
    }
    Some(
        opts.grace_period
            .or_else(|| obj["spec"]["terminationGracePeriodSeconds"].as_i64())
            .unwrap_or(30),
    )
}

fn deleted_body(ctx: &Ctx, deleted: Value) -> Value {
    if strategy::returns_deleted_object(&ctx.res) {
        return deleted;
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {
            "name": meta::name(&deleted),
            "group": ctx.res.gvk.group,
            "kind": ctx.res.plural,
            "uid": meta::uid(&deleted),
        }
    })
}

async fn delete(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let bytes = read_body(body, ctx.state.config.max_body).await?;
    let opts = delete_options(ctx, &bytes)?;
    let name = ctx.name().to_owned();
    let (status, body) = delete_one(ctx, &name, &opts).await?;
    if body["kind"] == "Status" {
        return Ok(super::handlers::json_response(
            status,
            &body,
            "application/json",
        ));
    }
    Ok(ctx.respond(status, &body))
}

async fn delete_collection(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let bytes = read_body(body, ctx.state.config.max_body).await?;
    let opts = delete_options(ctx, &bytes)?;
    let filter = Filter::from_params(&ctx.res, &ctx.params)?;
    let mut deleted = Vec::new();
    let mut cont: Option<String> = None;
    loop {
        let page = ctx
            .storage()
            .list(&ctx.res, ctx.ns(), 500, cont.as_deref(), None)
            .await?;
        let matching: Vec<&Value> = page
            .items
            .iter()
            .filter(|i| filter.matches(&ctx.res, i))
            .collect();
        for item in matching {
            let name = meta::name(item).to_owned();
            let ns = meta::namespace(item).map(str::to_owned);
            let saved_ns = ctx.req.namespace.clone();
            ctx.req.namespace = ns.or(saved_ns.clone());
            let result = delete_one(ctx, &name, &opts).await;
            ctx.req.namespace = saved_ns;
            match result {
                Ok((_, body)) => deleted.push(if body["kind"] == "Status" {
                    ctx.served(item.clone())
                } else {
                    body
                }),
                Err(e) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
        match page.continue_token {
            Some(t) => cont = Some(t),
            None => break,
        }
    }
    let revision = ctx.storage().backend().current_revision();
    let body = json!({
        "kind": format!("{}List", ctx.res.gvk.kind),
        "apiVersion": ctx.res.gvk.api_version(),
        "metadata": {"resourceVersion": revision.to_string()},
        "items": deleted,
    });
    Ok(super::handlers::json_response(
        StatusCode::OK,
        &body,
        "application/json",
    ))
}

/// A response with an object, for the other handler modules.
pub fn object_response(ctx: &Ctx, status: StatusCode, obj: &Value) -> Response {
    ctx.respond(status, obj)
}
