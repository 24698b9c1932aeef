//! Mutating admission that upstream enables by default and that shapes what users see in
//! `kubectl get pod -o yaml`: ServiceAccount (the account name), DefaultTolerationSeconds, Priority.

use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::objects::Ctx;
use crate::api::meta;

/// Built-in priority classes (upstream creates them at start-up).
pub const SYSTEM_PRIORITY_CLASSES: &[(&str, i64)] = &[
    ("system-node-critical", 2_000_001_000),
    ("system-cluster-critical", 2_000_000_000),
];

/// Admission of a new object; only pods are changed for now.
pub async fn admit_create(ctx: &Ctx, obj: &mut Value) -> ApiResult<()> {
    if !(ctx.res.gvk.group.is_empty() && ctx.res.gvk.kind == "Pod") {
        return Ok(());
    }
    let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    // ServiceAccount: every pod runs as an account, `default` unless named.
    let sa = spec
        .get("serviceAccountName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .to_owned();
    spec.insert("serviceAccountName".into(), json!(sa));
    spec.insert("serviceAccount".into(), json!(sa));

    // DefaultTolerationSeconds: tolerate a not-ready or unreachable node for 5 minutes.
    let tolerations = spec.entry("tolerations").or_insert_with(|| json!([]));
    if let Some(list) = tolerations.as_array_mut() {
        for key in [
            "node.kubernetes.io/not-ready",
            "node.kubernetes.io/unreachable",
        ] {
            let tolerated = list.iter().any(|t| {
                let effect = t["effect"].as_str().unwrap_or_default();
                (effect.is_empty() || effect == "NoExecute")
                    && (t["key"] == key
                        || (t["key"].as_str().unwrap_or_default().is_empty()
                            && t["operator"] == "Exists"))
            });
            if !tolerated {
                list.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}));
            }
        }
    }

    // Priority: from the named class, or the global default, else 0.
    let class = spec
        .get("priorityClassName")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let (priority, policy) = match &class {
        Some(name) => priority_class(ctx, name).await?.ok_or_else(|| {
            ApiError::forbidden(format!(
                "pods {:?} is forbidden: no PriorityClass with name {name} was found",
                meta::name(obj)
            ))
        })?,
        None => global_default(ctx)
            .await?
            .unwrap_or((0, "PreemptLowerPriority".to_owned())),
    };
    let spec = obj["spec"].as_object_mut().expect("checked above");
    spec.insert("priority".into(), json!(priority));
    if spec.get("preemptionPolicy").is_none_or(Value::is_null) {
        spec.insert("preemptionPolicy".into(), json!(policy));
    }
    Ok(())
}

async fn priority_class(ctx: &Ctx, name: &str) -> ApiResult<Option<(i64, String)>> {
    if let Some((_, v)) = SYSTEM_PRIORITY_CLASSES.iter().find(|(n, _)| *n == name) {
        return Ok(Some((*v, "PreemptLowerPriority".into())));
    }
    let registry = ctx.state.registry();
    let res = registry
        .get("scheduling.k8s.io", "v1", "priorityclasses")
        .expect("built in");
    Ok(ctx.storage().get(res, None, name).await?.map(|pc| {
        (
            pc["value"].as_i64().unwrap_or(0),
            pc["preemptionPolicy"]
                .as_str()
                .unwrap_or("PreemptLowerPriority")
                .to_owned(),
        )
    }))
}

async fn global_default(ctx: &Ctx) -> ApiResult<Option<(i64, String)>> {
    let registry = ctx.state.registry();
    let res = registry
        .get("scheduling.k8s.io", "v1", "priorityclasses")
        .expect("built in");
    let page = ctx.storage().list(res, None, 0, None, None).await?;
    Ok(page
        .items
        .iter()
        .find(|pc| pc["globalDefault"] == true)
        .map(|pc| {
            (
                pc["value"].as_i64().unwrap_or(0),
                pc["preemptionPolicy"]
                    .as_str()
                    .unwrap_or("PreemptLowerPriority")
                    .to_owned(),
            )
        }))
}

/// All objects of a namespaced built-in resource in one namespace.
async fn list_in(ctx: &Ctx, plural: &str, ns: &str) -> ApiResult<Vec<Value>> {
    let registry = ctx.state.registry();
    let res = registry.get("", "v1", plural).expect("built in");
    Ok(ctx
        .storage()
        .list(res, Some(ns), 0, None, None)
        .await?
        .items)
}

fn forbidden(ctx: &Ctx, obj: &Value, message: &str) -> ApiError {
    ApiError::forbidden(format!(
        "{} {:?} is forbidden: {message}",
        ctx.res.qualified(),
        meta::name(obj)
    ))
}

fn is_core(ctx: &Ctx, plural: &str) -> bool {
    ctx.res.gvk.group.is_empty() && ctx.res.plural == plural
}

/// LimitRanger, mutating half: default container requests/limits of a new pod.
pub async fn limit_ranger_default(ctx: &Ctx, obj: &mut Value) -> ApiResult<()> {
    if !is_core(ctx, "pods") || ctx.req.subresource.is_some() {
        return Ok(());
    }
    let Some(ns) = meta::namespace(obj).map(str::to_owned) else {
        return Ok(());
    };
    let ranges = list_in(ctx, "limitranges", &ns).await?;
    crate::api::limits::default_pod(obj, &ranges);
    Ok(())
}

/// LimitRanger, validating half: pods on create, claims on create and update.
pub async fn limit_ranger_validate(ctx: &Ctx, obj: &Value, update: bool) -> ApiResult<()> {
    let pods = is_core(ctx, "pods") && !update;
    let claims = is_core(ctx, "persistentvolumeclaims");
    if !(pods || claims) || ctx.req.subresource.is_some() {
        return Ok(());
    }
    let Some(ns) = meta::namespace(obj) else {
        return Ok(());
    };
    let ranges = list_in(ctx, "limitranges", ns).await?;
    if ranges.is_empty() {
        return Ok(());
    }
    let errors = if pods {
        crate::api::limits::validate_pod(obj, &ranges)
    } else {
        crate::api::limits::validate_claim(obj, &ranges)
    };
    if errors.is_empty() {
        return Ok(());
    }
    Err(forbidden(ctx, obj, &crate::api::limits::aggregate(&errors)))
}

/// ResourceQuota admission: refuses a write that would exceed a quota of the namespace and
/// charges the ones it falls under (their `status.used` is written before the object, as
/// upstream does; the quota controller corrects any overcount from writes that then fail).
pub async fn resource_quota(ctx: &Ctx, obj: &Value, old: Option<&Value>) -> ApiResult<()> {
    use crate::api::quota::{Evaluator, Quota};
    if !ctx.res.namespaced || ctx.req.subresource.is_some() {
        return Ok(());
    }
    let Some(ns) = meta::namespace(obj) else {
        return Ok(());
    };
    let evaluator = Evaluator::for_resource(&ctx.res.gvk.group, &ctx.res.plural);
    if !evaluator.handles(old.is_some()) {
        return Ok(());
    }
    let registry = ctx.state.registry();
    let quotas_res = registry.get("", "v1", "resourcequotas").expect("built in");
    let dry_run = ctx.params.dry_run()?;
    for _attempt in 0..8 {
        let stored = list_in(ctx, "resourcequotas", ns).await?;
        if stored.is_empty() {
            return Ok(());
        }
        let mut quotas: Vec<Quota> = stored.iter().map(Quota::from_object).collect();
        let changed = crate::api::quota::admit(&mut quotas, evaluator, obj, old)
            .map_err(|message| forbidden(ctx, obj, &message))?;
        if dry_run || changed.is_empty() {
            return Ok(());
        }
        let mut conflict = false;
        for i in changed {
            let mut updated = stored[i].clone();
            updated["status"]["used"] = crate::api::resources::to_json(&quotas[i].used);
            let revision = super::storage::revision_of(&stored[i])?;
            match ctx
                .storage()
                .update(quotas_res, Some(ns), &quotas[i].name, &updated, revision)
                .await
            {
                Ok(_) => {}
                Err(e) if e.code == 409 => {
                    conflict = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        if !conflict {
            return Ok(());
        }
    }
    Err(ApiError::internal(
        "resource quota evaluation timed out".to_owned(),
    ))
}
