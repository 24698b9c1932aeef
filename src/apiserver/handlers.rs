//! The router and the front of every request: authentication, authorization, and dispatch to
//! discovery, OpenAPI or the resource handlers.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::Value;
use tower_http::catch_panic::CatchPanicLayer;

use super::State;
use super::auth::{
    Attributes, Decision, PeerIdentity, TokenAuthenticator, UserInfo, forbidden_message,
};
use super::discovery;
use super::error::{ApiError, ApiResult};
use super::objects;
use super::request::{self, Target};
use crate::api::openapi::{self, OpenApi};

pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .fallback(entry)
        .with_state(state)
        .layer(CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::internal("the request handler panicked").into_response()
            },
        ))
}

/// A JSON response with a content type.
pub fn json_response(status: StatusCode, body: &Value, content_type: &'static str) -> Response {
    let bytes = serde_json::to_vec(body).expect("JSON values always serialise");
    let mut resp = (status, bytes).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

pub fn ok_json(body: &Value) -> Response {
    json_response(StatusCode::OK, body, "application/json")
}

fn authenticate(state: &State, req: &Request) -> Result<UserInfo, ApiError> {
    if let Some(auth) = req.headers().get(header::AUTHORIZATION) {
        let value = auth.to_str().unwrap_or_default();
        if let Some(token) = value
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            return match state.authenticator.authenticate(token) {
                Some(user) => Ok(user.authenticated()),
                None => Err(ApiError::unauthorized()),
            };
        }
    }
    if let Some(PeerIdentity(user)) = req.extensions().get::<PeerIdentity>() {
        return Ok(user.clone().authenticated());
    }
    Ok(UserInfo::anonymous())
}

async fn entry(AxState(state): AxState<Arc<State>>, req: Request) -> Response {
    let target = request::parse(req.method(), req.uri().path(), req.uri().query());
    let user = match authenticate(&state, &req) {
        Ok(u) => u,
        Err(e) => return e.into_response(),
    };
    if user.is_anonymous() && !target.is_public() {
        return ApiError::unauthorized().into_response();
    }
    if !target.is_public() {
        let path = req.uri().path().to_owned();
        let attrs = match &target {
            Target::Resource(r) => Attributes::Resource(r),
            _ => Attributes::NonResource {
                path: &path,
                verb: match *req.method() {
                    Method::GET | Method::HEAD => "get",
                    Method::POST => "post",
                    Method::PUT => "put",
                    Method::PATCH => "patch",
                    Method::DELETE => "delete",
                    _ => "get",
                },
            },
        };
        if let Decision::Deny(reason) = state.authorizer.authorize(&user, &attrs) {
            return ApiError::forbidden(forbidden_message(&user, &target, &attrs, &reason))
                .into_response();
        }
    }
    match dispatch(state, user, target, req).await {
        Ok(resp) => resp,
        Err(err) => err.into_response(),
    }
}

async fn dispatch(
    state: Arc<State>,
    user: UserInfo,
    target: Target,
    req: Request,
) -> ApiResult<Response> {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let only_get = |req: &Request| -> ApiResult<()> {
        if req.method() == Method::GET || req.method() == Method::HEAD {
            Ok(())
        } else {
            Err(ApiError::new(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            ))
        }
    };
    match target {
        Target::Version => {
            only_get(&req)?;
            Ok(ok_json(&discovery::version_info()))
        }
        Target::Health(_) => Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ok",
        )
            .into_response()),
        Target::CoreVersions => {
            only_get(&req)?;
            match discovery::aggregated_requested(accept.as_deref()) {
                Some(v) => Ok(aggregated(
                    &discovery::aggregated(&state.registry(), true, v),
                    v,
                )),
                None => Ok(ok_json(&discovery::core_versions(&state.config.advertise))),
            }
        }
        Target::Groups => {
            only_get(&req)?;
            match discovery::aggregated_requested(accept.as_deref()) {
                Some(v) => Ok(aggregated(
                    &discovery::aggregated(&state.registry(), false, v),
                    v,
                )),
                None => Ok(ok_json(&discovery::groups(&state.registry()))),
            }
        }
        Target::Group(g) => {
            only_get(&req)?;
            discovery::group(&state.registry(), &g)
                .map(|v| ok_json(&v))
                .ok_or_else(ApiError::path_not_found)
        }
        Target::ResourceList { group, version } => {
            only_get(&req)?;
            discovery::resource_list(&state.registry(), &group, &version)
                .map(|v| ok_json(&v))
                .ok_or_else(ApiError::path_not_found)
        }
        // kubectl 1.27/1.28 fetch v2 first and give up on a 404; a JSON v2 breaks kubectl's fallback
        // logic, so clients asking for protobuf get an empty protobuf document and others a 404.
        Target::OpenApiV2 => {
            only_get(&req)?;
            if accept
                .as_deref()
                .is_some_and(|a| a.contains("application/com.github.proto-openapi.spec.v2"))
            {
                let mut resp = (StatusCode::OK, OpenApi::v2_placeholder()).into_response();
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(openapi::V2_PROTOBUF),
                );
                Ok(resp)
            } else {
                Err(ApiError::path_not_found())
            }
        }
        Target::OpenApiV3Index => {
            only_get(&req)?;
            let openapi = state.openapi();
            let body = tokio::task::spawn_blocking(move || openapi.index())
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?;
            Ok(bytes_response(body, "application/json", None))
        }
        Target::OpenApiV3(path) => {
            only_get(&req)?;
            let openapi = state.openapi();
            let (hash, body) = tokio::task::spawn_blocking(move || openapi.document(&path))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))?
                .ok_or_else(ApiError::path_not_found)?;
            Ok(bytes_response(body, "application/json", Some(&hash)))
        }
        Target::NotFound => Err(ApiError::path_not_found()),
        Target::Resource(r) => {
            let (parts, body) = req.into_parts();
            objects::handle(state, user, r, parts, body).await
        }
    }
}

fn bytes_response(body: bytes::Bytes, content_type: &'static str, etag: Option<&str>) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(&format!("\"{t}\"")).ok()) {
        resp.headers_mut().insert(header::ETAG, tag);
    }
    resp
}

fn aggregated(body: &Value, version: &str) -> Response {
    let ct = if version == "v2beta1" {
        discovery::AGGREGATED_V2BETA1
    } else {
        discovery::AGGREGATED_V2
    };
    json_response(StatusCode::OK, body, ct)
}

/// Reads a request body up to the server's limit. A larger body is refused with 413 after
/// draining up to four times the limit, so that clients still writing receive the answer instead
/// of a reset connection.
pub async fn read_body(body: Body, limit: usize) -> ApiResult<bytes::Bytes> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut buf = bytes::BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|e| ApiError::bad_request(format!("error reading the request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen > limit {
                if seen > limit * 4 {
                    break;
                }
                continue;
            }
            buf.extend_from_slice(&data);
        }
    }
    if seen > limit {
        return Err(ApiError::too_large(limit));
    }
    Ok(buf.freeze())
}

pub fn header<'a>(headers: &'a HeaderMap, name: header::HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
