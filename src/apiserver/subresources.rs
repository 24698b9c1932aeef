//! Subresources: status, scale, binding, eviction, finalize, approval; and server-side apply.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{StatusCode, header};
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult, Cause, Details};
use super::handlers::{header as get_header, json_response, read_body};
use super::negotiate;
use super::objects::{
    self, Ctx, FieldManagement, UpdateMode, apply_patch, check_type_meta, guaranteed_update,
};
use super::request::Verb;
use crate::api::field::{FieldError, Path};
use crate::api::registry::Gvk;
use crate::api::{apply, meta, patch};

pub async fn handle(ctx: &mut Ctx, sub: &str, body: Body) -> ApiResult<Response> {
    let Some(def) = ctx.res.subresource(sub).cloned() else {
        return Err(ApiError::path_not_found());
    };
    if !def.verbs.iter().any(|v| v == ctx.req.verb.as_str()) {
        return Err(ApiError::method_not_supported(
            &ctx.res,
            ctx.req.verb.as_str(),
        ));
    }
    if ctx.req.name.is_none() {
        return Err(ApiError::path_not_found());
    }
    match (sub, ctx.req.verb) {
        ("status", Verb::Get)
        | ("approval", Verb::Get)
        | ("ephemeralcontainers", Verb::Get)
        | ("resize", Verb::Get) => {
            let obj = ctx
                .storage()
                .must_get(&ctx.res, ctx.ns(), ctx.name())
                .await?;
            let obj = ctx.served(obj);
            Ok(objects::object_response(ctx, StatusCode::OK, &obj))
        }
        ("status", Verb::Update | Verb::Patch) => write_status(ctx, body).await,
        ("scale", _) => scale(ctx, body).await,
        ("binding", Verb::Create) => binding(ctx, body).await,
        ("eviction", Verb::Create) => eviction(ctx, body).await,
        ("finalize", Verb::Update) => finalize(ctx, body).await,
        ("approval", Verb::Update | Verb::Patch) => approval(ctx, body).await,
        ("log", Verb::Get) if ctx.res.gvk.kind == "Pod" => super::kubelet_proxy::pod_log(ctx).await,
        ("log" | "exec" | "attach" | "portforward" | "proxy", _) => {
            Err(ApiError::service_unavailable(format!(
                "{} {:?}: the node agent that runs it is not reachable (no kubelet is connected)",
                ctx.res.qualified(),
                ctx.name()
            )))
        }
        _ => Err(ApiError::method_not_supported(
            &ctx.res,
            ctx.req.verb.as_str(),
        )),
    }
}

/// PUT/PATCH …/status: only the status changes.
async fn write_status(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let gvk = ctx.res.gvk.clone();
    let bytes = read_body(body, ctx.state.config.max_body).await?;
    let (updated, status) = if ctx.req.verb == Verb::Update {
        let mut obj = ctx.parse_object(&bytes, &gvk)?;
        if ctx.res.namespaced {
            meta::set(
                &mut obj,
                "namespace",
                ctx.ns().unwrap_or_default().to_owned(),
            );
        }
        let obj = ctx.normalize(obj, &gvk)?;
        guaranteed_update(ctx, |_, _| Ok(obj.clone()), UpdateMode::Status).await?
    } else {
        let content_type = get_header(&ctx.parts.headers, header::CONTENT_TYPE)
            .unwrap_or_default()
            .to_owned();
        if content_type.starts_with("application/apply-patch") {
            return apply(ctx, &bytes, true).await;
        }
        let pt = patch::PatchType::from_content_type(&content_type)
            .ok_or_else(|| ApiError::unsupported_media_type(&content_type))?;
        let doc = negotiate::parse_json(&bytes)?;
        guaranteed_update(
            ctx,
            |ctx, old| {
                let mut patched = apply_patch(ctx, old, pt, &doc, &gvk)?;
                if doc.pointer("/metadata/resourceVersion").is_none() {
                    meta::remove(&mut patched, "resourceVersion");
                }
                Ok(patched)
            },
            UpdateMode::Status,
        )
        .await?
    };
    Ok(objects::object_response(ctx, status, &updated))
}

/// Server-side apply (`application/apply-patch+yaml`): `crate::api::apply` merges the applied
/// configuration and tracks field ownership; creates the object when it is missing.
pub async fn apply(ctx: &mut Ctx, bytes: &Bytes, status_only: bool) -> ApiResult<Response> {
    let gvk = ctx.res.gvk.clone();
    let mut applied = negotiate::parse_yaml(bytes)?;
    if !applied.is_object() {
        return Err(ApiError::bad_request(
            "the applied configuration must be an object",
        ));
    }
    check_type_meta(&mut applied, &gvk)?;
    let name = ctx.name().to_owned();
    if !meta::name(&applied).is_empty() && meta::name(&applied) != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            meta::name(&applied)
        )));
    }
    let manager = ctx
        .params
        .field_manager(get_header(&ctx.parts.headers, header::USER_AGENT))?;
    if ctx.params.non_empty("fieldManager").is_none() {
        return Err(ApiError::bad_request(
            "PATCH with apply-patch+yaml requires a fieldManager",
        ));
    }
    let force = ctx.params.flag("force");
    let now = meta::now();
    let writer = apply::Writer {
        manager: &manager,
        subresource: if status_only { "status" } else { "" },
        status_subresource: ctx.res.has_status(),
        now: &now,
    };
    ctx.field_management = FieldManagement::Apply;
    if ctx
        .storage()
        .get(&ctx.res, ctx.ns(), &name)
        .await?
        .is_none()
        && !status_only
    {
        meta::set(&mut applied, "name", name);
        let obj =
            apply::apply_as(gvk.as_tuple(), None, &applied, force, &writer).map_err(apply_error)?;
        let created = objects::create_object(ctx, obj).await?;
        return Ok(objects::object_response(ctx, StatusCode::CREATED, &created));
    }
    let (updated, status) = guaranteed_update(
        ctx,
        |ctx, old| {
            let mut merged = apply::apply_as(gvk.as_tuple(), Some(old), &applied, force, &writer)
                .map_err(apply_error)?;
            check_type_meta(&mut merged, &gvk)?;
            let mut merged = ctx.normalize(merged, &gvk)?;
            if applied.pointer("/metadata/resourceVersion").is_none() {
                meta::remove(&mut merged, "resourceVersion");
            }
            Ok(merged)
        },
        UpdateMode::status_if(status_only),
    )
    .await?;
    Ok(objects::object_response(ctx, status, &updated))
}

/// An apply failure as the Status upstream answers (a conflict lists each field as a cause).
fn apply_error(e: apply::ApplyError) -> ApiError {
    let mut err = ApiError::new(e.status_code(), e.reason(), e.to_string());
    let causes: Vec<Cause> = e
        .causes()
        .into_iter()
        .map(|c| Cause {
            reason: c.reason.to_owned(),
            message: c.message,
            field: c.field,
        })
        .collect();
    if !causes.is_empty() {
        err.details = Some(Details {
            causes,
            ..Details::default()
        });
    }
    err
}

/// Where a resource keeps what its Scale shows: built-ins use `.spec.replicas`,
/// `.status.replicas` and `.spec.selector`; custom resources say so in their CRD.
struct ScalePaths {
    spec_replicas: String,
    status_replicas: String,
    selector: Option<String>,
}

fn scale_paths(ctx: &Ctx) -> ScalePaths {
    let custom = ctx
        .res
        .crd_version
        .as_deref()
        .and_then(|v| v.pointer("/subresources/scale"));
    match custom {
        Some(s) => ScalePaths {
            spec_replicas: s["specReplicasPath"]
                .as_str()
                .unwrap_or(".spec.replicas")
                .to_owned(),
            status_replicas: s["statusReplicasPath"]
                .as_str()
                .unwrap_or(".status.replicas")
                .to_owned(),
            selector: s["labelSelectorPath"].as_str().map(str::to_owned),
        },
        None => ScalePaths {
            spec_replicas: ".spec.replicas".into(),
            status_replicas: ".status.replicas".into(),
            selector: None,
        },
    }
}

fn pointer(path: &str) -> String {
    path.replace('.', "/")
}

/// The `autoscaling/v1` Scale of a workload.
fn scale_of(obj: &Value, paths: &ScalePaths) -> Value {
    let selector_string = match &paths.selector {
        Some(p) => obj
            .pointer(&pointer(p))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        None => match &obj["spec"]["selector"] {
            sel @ Value::Object(_) => crate::api::selector::LabelSelector::from_object(sel)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        },
    };
    let mut status = json!({"replicas": obj.pointer(&pointer(&paths.status_replicas)).and_then(Value::as_i64).unwrap_or(0)});
    if !selector_string.is_empty() {
        status["selector"] = json!(selector_string);
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta::name(obj),
            "namespace": meta::namespace(obj),
            "uid": meta::uid(obj),
            "resourceVersion": meta::resource_version(obj),
            "creationTimestamp": meta::metadata(obj).and_then(|m| m.get("creationTimestamp")).cloned(),
        },
        "spec": {"replicas": obj.pointer(&pointer(&paths.spec_replicas)).and_then(Value::as_i64).unwrap_or(0)},
        "status": status,
    })
}

/// Sets the desired replicas at `path` (`.spec.replicas`), creating objects on the way.
fn set_replicas(obj: &mut Value, path: &str, replicas: i64) {
    let mut cur = obj;
    let parts: Vec<&str> = path.trim_start_matches('.').split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        if !cur.is_object() {
            *cur = json!({});
        }
        if i + 1 == parts.len() {
            cur[*part] = json!(replicas);
            return;
        }
        cur = cur
            .as_object_mut()
            .expect("made an object")
            .entry(part.to_string())
            .or_insert_with(|| json!({}));
    }
}

async fn scale(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let scale_gvk = Gvk::new("autoscaling", "v1", "Scale");
    if ctx.req.verb == Verb::Get {
        let obj = ctx
            .storage()
            .must_get(&ctx.res, ctx.ns(), ctx.name())
            .await?;
        let obj = ctx.served(obj);
        return Ok(json_response(
            StatusCode::OK,
            &scale_of(&obj, &scale_paths(ctx)),
            "application/json",
        ));
    }
    let bytes = read_body(body, ctx.state.config.max_body).await?;
    let content_type = get_header(&ctx.parts.headers, header::CONTENT_TYPE)
        .unwrap_or_default()
        .to_owned();
    let (is_patch, patch_type, doc) = if ctx.req.verb == Verb::Patch {
        let pt = if content_type.starts_with("application/apply-patch") {
            patch::PatchType::Merge
        } else {
            patch::PatchType::from_content_type(&content_type)
                .ok_or_else(|| ApiError::unsupported_media_type(&content_type))?
        };
        let doc = if content_type.starts_with("application/apply-patch") {
            negotiate::parse_yaml(&bytes)?
        } else {
            negotiate::parse_json(&bytes)?
        };
        (true, pt, doc)
    } else {
        (
            false,
            patch::PatchType::Merge,
            ctx.parse_object(&bytes, &scale_gvk)?,
        )
    };
    let (updated, status) = guaranteed_update(
        ctx,
        |ctx, old| {
            let paths = scale_paths(ctx);
            let current = scale_of(old, &paths);
            let desired = if is_patch {
                let mut d = patch::apply(patch_type, &current, &doc, scale_gvk.as_tuple())
                    .map_err(objects::patch_error)?;
                if doc.pointer("/metadata/resourceVersion").is_none() {
                    meta::remove(&mut d, "resourceVersion");
                }
                d
            } else {
                doc.clone()
            };
            let replicas = desired["spec"]["replicas"].as_i64().unwrap_or(0);
            if replicas < 0 {
                return Err(ApiError::invalid_kind(
                    "Scale.autoscaling",
                    "autoscaling",
                    "Scale",
                    ctx.name(),
                    &[FieldError::invalid(
                        Path::new("spec").child("replicas"),
                        replicas,
                        "must be greater than or equal to 0",
                    )],
                ));
            }
            let mut new = old.clone();
            set_replicas(&mut new, &paths.spec_replicas, replicas);
            let precondition = meta::resource_version(&desired);
            if precondition.is_empty() {
                meta::remove(&mut new, "resourceVersion");
            } else {
                meta::set(&mut new, "resourceVersion", precondition.to_owned());
            }
            Ok(new)
        },
        UpdateMode::Full,
    )
    .await?;
    Ok(json_response(
        status,
        &scale_of(&updated, &scale_paths(ctx)),
        "application/json",
    ))
}

/// `pods/<name>/binding` (and the `bindings` resource): assigns a pod to a node, once.
async fn binding(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let bytes = read_body(body, ctx.state.config.max_body).await?;
    let binding = ctx.parse_object(&bytes, &Gvk::new("", "v1", "Binding"))?;
    let node = binding["target"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if node.is_empty() {
        return Err(ApiError::invalid_kind(
            "Binding",
            "",
            "Binding",
            ctx.name(),
            &[FieldError::required(Path::new("target").child("name"), "")],
        ));
    }
    bind_pod(ctx, &node).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
        "application/json",
    ))
}

pub async fn bind_pod(ctx: &mut Ctx, node: &str) -> ApiResult<()> {
    let node = node.to_owned();
    // [ssa] Upstream binds at the storage layer: the pod's managed fields do not change.
    let saved_management = std::mem::replace(&mut ctx.field_management, FieldManagement::Untracked);
    let result = guaranteed_update(
        ctx,
        |ctx, old| {
            if meta::deletion_timestamp(old).is_some() {
                return Err(ApiError::conflict(&ctx.res, ctx.name(), "pod is being deleted, cannot be assigned to a host"));
            }
            if let Some(current) = old["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) {
                return Err(ApiError::conflict(
                    &ctx.res,
                    ctx.name(),
                    &format!("pod {} is already assigned to node {current:?}", ctx.name()),
                ));
            }
            let mut new = old.clone();
            new["spec"]["nodeName"] = json!(node);
            let conditions = new["status"]["conditions"].as_array().cloned().unwrap_or_default();
            let mut conditions: Vec<Value> = conditions.into_iter().filter(|c| c["type"] != "PodScheduled").collect();
            conditions.push(json!({"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": meta::now()}));
            new["status"]["conditions"] = Value::Array(conditions);
            meta::remove(&mut new, "resourceVersion");
            Ok(new)
        },
        UpdateMode::Storage,
    )
    .await;
    ctx.field_management = saved_management;
    result.map(|_| ())
}

/// `pods/<name>/eviction`: a graceful delete that honours PodDisruptionBudgets as upstream's
/// `EvictionREST` does: a pod matched by one budget is evicted only while the budget allows a
/// disruption (which is then used up and recorded in `status.disruptedPods`); otherwise 429.
async fn eviction(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let bytes = read_body(body, ctx.state.config.max_body).await?;
    let eviction = ctx.parse_object(&bytes, &Gvk::new("policy", "v1", "Eviction"))?;
    let mut opts = objects::DeleteOptions::default();
    if let Some(d) = eviction.get("deleteOptions") {
        opts.grace_period = d["gracePeriodSeconds"].as_i64();
        opts.uid = d["preconditions"]["uid"].as_str().map(str::to_owned);
        opts.resource_version = d["preconditions"]["resourceVersion"]
            .as_str()
            .map(str::to_owned);
    }
    opts.dry_run = ctx.params.dry_run()?;
    let name = ctx.name().to_owned();
    let pod = ctx.storage().must_get(&ctx.res, ctx.ns(), &name).await?;
    if !can_ignore_pdb(&pod) {
        let unhealthy_ok = check_disruption_budgets(ctx, &pod, opts.dry_run).await?;
        if unhealthy_ok && opts.resource_version.is_none() {
            // An unhealthy pod evicted without using the budget: only if it is still the
            // same (unhealthy) pod.
            opts.resource_version = Some(meta::resource_version(&pod).to_owned());
        }
    }
    if !opts.dry_run && !is_terminal(&pod) && meta::deletion_timestamp(&pod).is_none() {
        add_disruption_target(ctx).await?;
    }
    objects::delete_one(ctx, &name, &opts).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
        "application/json",
    ))
}

fn is_terminal(pod: &Value) -> bool {
    matches!(
        pod["status"]["phase"].as_str(),
        Some("Succeeded" | "Failed")
    )
}

/// Pods whose eviction does not disrupt anything: being deleted, finished, or not started.
fn can_ignore_pdb(pod: &Value) -> bool {
    meta::deletion_timestamp(pod).is_some()
        || matches!(
            pod["status"]["phase"].as_str(),
            Some("Succeeded" | "Failed" | "Pending")
        )
}

fn pod_is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// The 429 upstream answers when a budget forbids the eviction. Only a budget still being
/// processed suggests a retry delay (10 s); with a `Retry-After`, client-go retries by itself,
/// so `kubectl drain` would not report a plain budget violation until its retries ran out.
fn budget_violation(cause: String, retry_after_seconds: Option<u32>) -> ApiError {
    ApiError {
        code: 429,
        reason: "TooManyRequests",
        message: "Cannot evict pod as it would violate the pod's disruption budget.".into(),
        details: Some(Details {
            causes: vec![Cause {
                reason: "DisruptionBudget".into(),
                message: cause,
                field: String::new(),
            }],
            retry_after_seconds,
            ..Details::default()
        }),
    }
}

/// Checks (and uses up) the disruption budget covering `pod`. Returns true when the pod is
/// unhealthy and may go without using the budget.
async fn check_disruption_budgets(ctx: &mut Ctx, pod: &Value, dry_run: bool) -> ApiResult<bool> {
    let registry = ctx.state.registry();
    let pdb_res = registry
        .get("policy", "v1", "poddisruptionbudgets")
        .expect("built in")
        .clone();
    let labels = pod["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let pod_name = meta::name(pod).to_owned();
    for _ in 0..5 {
        let page = ctx
            .storage()
            .list(&pdb_res, ctx.ns(), 0, None, None)
            .await?;
        let matching: Vec<&Value> = page
            .items
            .iter()
            .filter(|pdb| {
                // policy/v1: no selector selects nothing; an empty one selects everything.
                let Some(sel) = pdb["spec"].get("selector").filter(|s| !s.is_null()) else {
                    return false;
                };
                crate::api::selector::LabelSelector::from_object(sel)
                    .is_ok_and(|s| s.matches(Some(&labels)))
            })
            .collect();
        let pdb = match matching.as_slice() {
            [] => return Ok(false),
            [one] => (*one).clone(),
            _ => {
                return Err(ApiError::internal(
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                ));
            }
        };
        let status = &pdb["status"];
        let current = status["currentHealthy"].as_i64().unwrap_or(0);
        let desired = status["desiredHealthy"].as_i64().unwrap_or(0);
        if !pod_is_ready(pod) {
            if pdb["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow" {
                return Ok(true);
            }
            if current >= desired && desired > 0 {
                return Ok(true);
            }
        }
        let pdb_name = meta::name(&pdb).to_owned();
        let generation = pdb["metadata"]["generation"].as_i64().unwrap_or(0);
        if status["observedGeneration"].as_i64().unwrap_or(0) < generation {
            return Err(budget_violation(
                format!("The disruption budget {pdb_name} is still being processed by the server."),
                Some(10),
            ));
        }
        let allowed = status["disruptionsAllowed"].as_i64().unwrap_or(0);
        if allowed < 0 {
            return Err(ApiError::forbidden(format!(
                "poddisruptionbudgets.policy {pdb_name:?} is forbidden: pdb disruptions allowed is negative"
            )));
        }
        if status["disruptedPods"].as_object().map_or(0, |m| m.len()) > 2000 {
            return Err(ApiError::forbidden(format!(
                "poddisruptionbudgets.policy {pdb_name:?} is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller"
            )));
        }
        if allowed == 0 {
            return Err(budget_violation(
                format!(
                    "The disruption budget {pdb_name} needs {desired} healthy pods and has {current} currently"
                ),
                None,
            ));
        }
        if dry_run {
            return Ok(false);
        }
        let mut updated = pdb.clone();
        updated["status"]["disruptionsAllowed"] = json!(allowed - 1);
        if allowed - 1 == 0 {
            let conditions = updated["status"]["conditions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut conditions: Vec<Value> = conditions
                .into_iter()
                .filter(|c| c["type"] != "DisruptionAllowed")
                .collect();
            conditions.push(json!({
                "type": "DisruptionAllowed",
                "status": "False",
                "reason": "InsufficientPods",
                "message": "",
                "lastTransitionTime": meta::now(),
                "observedGeneration": status["observedGeneration"],
            }));
            updated["status"]["conditions"] = Value::Array(conditions);
        }
        if !updated["status"]["disruptedPods"].is_object() {
            updated["status"]["disruptedPods"] = json!({});
        }
        updated["status"]["disruptedPods"][&pod_name] = json!(meta::now());
        let rev = super::storage::revision_of(&pdb)?;
        match ctx
            .storage()
            .update(&pdb_res, ctx.ns(), &pdb_name, &updated, rev)
            .await
        {
            Ok(_) => return Ok(false),
            Err(e) if e.code == 409 => continue,
            Err(e) => return Err(e),
        }
    }
    Err(budget_violation(
        "The disruption budget is being updated concurrently; try again.".into(),
        None,
    ))
}

/// Marks the pod with the `DisruptionTarget` condition before it is deleted.
async fn add_disruption_target(ctx: &mut Ctx) -> ApiResult<()> {
    let result = guaranteed_update(
        ctx,
        |_, old| {
            let mut new = old.clone();
            let conditions = new["status"]["conditions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut conditions: Vec<Value> = conditions
                .into_iter()
                .filter(|c| c["type"] != "DisruptionTarget")
                .collect();
            conditions.push(json!({
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "EvictionByEvictionAPI",
                "message": "Eviction API: evicting",
                "lastProbeTime": null,
                "lastTransitionTime": meta::now(),
            }));
            new["status"]["conditions"] = Value::Array(conditions);
            meta::remove(&mut new, "resourceVersion");
            Ok(new)
        },
        UpdateMode::Status,
    )
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(e),
    }
}

/// `namespaces/<name>/finalize`: sets `spec.finalizers`; a terminating namespace with none left is
/// deleted.
async fn finalize(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let bytes = read_body(body, ctx.state.config.max_body).await?;
    let obj = ctx.parse_object(&bytes, &Gvk::new("", "v1", "Namespace"))?;
    let finalizers = obj["spec"]["finalizers"].clone();
    let name = ctx.name().to_owned();
    let (updated, _) = guaranteed_update(
        ctx,
        |_, old| {
            let mut new = old.clone();
            new["spec"]["finalizers"] = if finalizers.is_null() {
                json!([])
            } else {
                finalizers.clone()
            };
            meta::remove(&mut new, "resourceVersion");
            Ok(new)
        },
        UpdateMode::Full,
    )
    .await?;
    let empty = updated["spec"]["finalizers"]
        .as_array()
        .is_none_or(|f| f.is_empty());
    if empty
        && meta::deletion_timestamp(&updated).is_some()
        && meta::finalizers(&updated).is_empty()
    {
        let rev = super::storage::revision_of(&updated)?;
        match ctx.storage().delete(&ctx.res, None, &name, Some(rev)).await {
            Ok(_) | Err(ApiError { code: 404, .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(objects::object_response(ctx, StatusCode::OK, &updated))
}

/// `certificatesigningrequests/<name>/approval`: only the Approved/Denied conditions change.
async fn approval(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let gvk = ctx.res.gvk.clone();
    let bytes = read_body(body, ctx.state.config.max_body).await?;
    let obj = if ctx.req.verb == Verb::Update {
        ctx.parse_object(&bytes, &gvk)?
    } else {
        negotiate::parse_json(&bytes)?
    };
    let is_patch = ctx.req.verb == Verb::Patch;
    let content_type = get_header(&ctx.parts.headers, header::CONTENT_TYPE)
        .unwrap_or_default()
        .to_owned();
    let (updated, status) = guaranteed_update(
        ctx,
        |ctx, old| {
            let desired = if is_patch {
                let pt = patch::PatchType::from_content_type(&content_type)
                    .ok_or_else(|| ApiError::unsupported_media_type(&content_type))?;
                apply_patch(ctx, old, pt, &obj, &gvk)?
            } else {
                obj.clone()
            };
            let mut new = old.clone();
            new["status"]["conditions"] = desired["status"]["conditions"].clone();
            let precondition = meta::resource_version(&desired).to_owned();
            if precondition.is_empty() {
                meta::remove(&mut new, "resourceVersion");
            } else {
                meta::set(&mut new, "resourceVersion", precondition);
            }
            Ok(new)
        },
        UpdateMode::Status,
    )
    .await?;
    Ok(objects::object_response(ctx, status, &updated))
}
