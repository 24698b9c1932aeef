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
