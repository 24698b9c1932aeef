//! Create-only "review" resources, answered from the request and never stored:
//! SelfSubjectAccessReview (`kubectl auth can-i`), SelfSubjectRulesReview (`can-i --list`),
//! SelfSubjectReview (`auth whoami`), SubjectAccessReview, LocalSubjectAccessReview, TokenReview,
//! and the core `bindings` resource.

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use serde_json::{Value, json};

use super::auth::{Attributes, Decision, TokenAuthenticator, UserInfo};
use super::error::{ApiError, ApiResult};
use super::handlers::json_response;
use super::objects::Ctx;
use super::request::{ResourceRequest, Verb};

fn verb_of(s: &str) -> Verb {
    match s {
        "get" => Verb::Get,
        "list" => Verb::List,
        "watch" => Verb::Watch,
        "create" => Verb::Create,
        "update" => Verb::Update,
        "patch" => Verb::Patch,
        "delete" => Verb::Delete,
        "deletecollection" => Verb::DeleteCollection,
        _ => Verb::Get,
    }
}

fn user_json(u: &UserInfo) -> Value {
    let mut v = json!({"username": u.name, "groups": u.groups});
    if !u.uid.is_empty() {
        v["uid"] = json!(u.uid);
    }
    if !u.extra.is_empty() {
        v["extra"] = json!(u.extra);
    }
    v
}

/// Decides an access review's `spec` for `user`.
fn review(ctx: &Ctx, user: &UserInfo, spec: &Value) -> Value {
    let decision = if let Some(ra) = spec.get("resourceAttributes").filter(|v| v.is_object()) {
        let s = |k: &str| ra[k].as_str().unwrap_or_default().to_owned();
        let req = ResourceRequest {
            verb: verb_of(&s("verb")),
            group: s("group"),
            version: s("version"),
            namespace: Some(s("namespace")).filter(|n| !n.is_empty()),
            resource: s("resource"),
            name: Some(s("name")).filter(|n| !n.is_empty()),
            subresource: Some(s("subresource")).filter(|n| !n.is_empty()),
            rest: None,
        };
        ctx.state
            .authorizer
            .authorize(user, &Attributes::Resource(&req))
    } else if let Some(nra) = spec.get("nonResourceAttributes").filter(|v| v.is_object()) {
        let path = nra["path"].as_str().unwrap_or_default().to_owned();
        let verb = match nra["verb"].as_str().unwrap_or("get") {
            "post" => "post",
            "put" => "put",
            "patch" => "patch",
            "delete" => "delete",
            _ => "get",
        };
        ctx.state
            .authorizer
            .authorize(user, &Attributes::NonResource { path: &path, verb })
    } else {
        Decision::Deny("no resourceAttributes or nonResourceAttributes".into())
    };
    match decision {
        Decision::Allow => json!({"allowed": true}),
        Decision::Deny(reason) if reason.is_empty() => json!({"allowed": false}),
        Decision::Deny(reason) => json!({"allowed": false, "reason": reason}),
    }
}

pub async fn create(ctx: &mut Ctx, body: Body) -> ApiResult<Response> {
    let gvk = ctx.res.gvk.clone();
    let mut obj = ctx.read_object(body, &gvk).await?;
    let spec = obj.get("spec").cloned().unwrap_or_else(|| json!({}));
    let status = match (gvk.group.as_str(), gvk.kind.as_str()) {
        ("authorization.k8s.io", "SelfSubjectAccessReview") => {
            review(ctx, &ctx.user.clone(), &spec)
        }
        ("authorization.k8s.io", "LocalSubjectAccessReview")
        | ("authorization.k8s.io", "SubjectAccessReview") => {
            let mut spec = spec.clone();
            if gvk.kind == "LocalSubjectAccessReview" {
                if let Some(ra) = spec.get_mut("resourceAttributes") {
                    ra["namespace"] = json!(ctx.ns().unwrap_or_default());
                }
            }
            let user = UserInfo {
                name: spec["user"].as_str().unwrap_or_default().to_owned(),
                uid: spec["uid"].as_str().unwrap_or_default().to_owned(),
                groups: spec["groups"]
                    .as_array()
                    .map(|g| {
                        g.iter()
                            .filter_map(|x| x.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
                extra: Default::default(),
            };
            review(ctx, &user, &spec)
        }
        ("authorization.k8s.io", "SelfSubjectRulesReview") => {
            // The authorizer in use allows everything to authenticated users.
            json!({
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": false,
            })
        }
        ("authentication.k8s.io", "SelfSubjectReview") => json!({"userInfo": user_json(&ctx.user)}),
        ("authentication.k8s.io", "TokenReview") => {
            let token = spec["token"].as_str().unwrap_or_default();
            match ctx.state.authenticator.authenticate(token) {
                Some(user) => {
                    json!({"authenticated": true, "user": user_json(&user.authenticated())})
                }
                None => json!({"authenticated": false, "user": {}}),
            }
        }
        ("", "Binding") => {
            let node = obj["target"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let pod = crate::api::meta::name(&obj).to_owned();
            if pod.is_empty() || node.is_empty() {
                return Err(ApiError::bad_request(
                    "a binding needs metadata.name and target.name",
                ));
            }
            let registry = ctx.state.registry();
            let pods = registry
                .get("", "v1", "pods")
                .expect("pods are built in")
                .clone();
            let saved = (ctx.res.clone(), ctx.req.name.clone());
            ctx.res = pods;
            ctx.req.name = Some(pod);
            let result = super::subresources::bind_pod(ctx, &node).await;
            (ctx.res, ctx.req.name) = saved;
            result?;
            return Ok(json_response(
                StatusCode::CREATED,
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
                "application/json",
            ));
        }
        _ => return Err(ApiError::method_not_supported(&ctx.res, "create")),
    };
    obj["status"] = status;
    if obj.get("metadata").is_none() {
        obj["metadata"] = json!({"creationTimestamp": null});
    }
    Ok(json_response(StatusCode::CREATED, &obj, "application/json"))
}
