//! Requests the API server answers by asking the pod's kubelet, as upstream's pod REST
//! "location" subresources: `pods/log` today. The API server validates the request against the
//! pod (container names, options), finds the node's kubelet endpoint (InternalIP and
//! `daemonEndpoints.kubeletEndpoint.Port`), connects over TLS verifying the kubelet's serving
//! certificate against the cluster CA and presenting its kubelet client certificate, and
//! streams the answer back.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::objects::Ctx;

/// How long connecting to a kubelet may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect()
}

/// The container a request is about: the one named, or the pod's only container (upstream's
/// `validateContainer`).
fn container_of(pod: &Value, name: &str, requested: Option<&str>) -> ApiResult<String> {
    let spec = &pod["spec"];
    let containers = names(&spec["containers"]);
    let init = names(&spec["initContainers"]);
    let ephemeral = names(&spec["ephemeralContainers"]);
    match requested {
        Some(c) => {
            if containers
                .iter()
                .chain(&init)
                .chain(&ephemeral)
                .any(|n| n == c)
            {
                Ok(c.to_owned())
            } else {
                let mut message = format!("container {c} is not valid for pod {name}");
                if containers.len() + init.len() > 1 {
                    message = format!(
                        "container {c} is not valid for pod {name}; choose one of: [{}]",
                        containers.join(" ")
                    );
                }
                Err(ApiError::bad_request(message))
            }
        }
        None if containers.len() == 1 => Ok(containers[0].clone()),
        None => {
            let mut message = format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            );
            if !init.is_empty() {
                message.push_str(&format!(
                    " or one of the init containers: [{}]",
                    init.join(" ")
                ));
            }
            if !ephemeral.is_empty() {
                message.push_str(&format!(
                    " or one of the ephemeral containers: [{}]",
                    ephemeral.join(" ")
                ));
            }
            Err(ApiError::bad_request(message))
        }
    }
}

/// Upstream's `PodLogOptions` validation.
fn log_query(ctx: &Ctx, container: &str) -> ApiResult<String> {
    let p = &ctx.params;
    let mut q = form_urlencoded::Serializer::new(String::new());
    let mut invalid = Vec::new();
    if let Some(n) = p.int("tailLines")? {
        if n < 0 {
            invalid.push("tailLines: Invalid value: must be greater than or equal to 0".to_owned());
        }
        q.append_pair("tailLines", &n.to_string());
    }
    if let Some(n) = p.int("limitBytes")? {
        if n < 1 {
            invalid.push("limitBytes: Invalid value: must be greater than 0".to_owned());
        }
        q.append_pair("limitBytes", &n.to_string());
    }
    let since_seconds = p.int("sinceSeconds")?;
    if let Some(n) = since_seconds {
        if n < 1 {
            invalid.push("sinceSeconds: Invalid value: must be greater than 0".to_owned());
        }
        q.append_pair("sinceSeconds", &n.to_string());
    }
    if let Some(t) = p.non_empty("sinceTime") {
        if since_seconds.is_some() {
            invalid.push(
                "sinceTime: Forbidden: at most one of sinceTime or sinceSeconds may be specified"
                    .to_owned(),
            );
        }
        if t.parse::<jiff::Timestamp>().is_err() {
            return Err(ApiError::bad_request(format!(
                "invalid value {t:?} for parameter sinceTime: not an RFC 3339 time"
            )));
        }
        q.append_pair("sinceTime", t);
    }
    if !invalid.is_empty() {
        return Err(ApiError::new(
            422,
            "Invalid",
            format!(
                "PodLogOptions \"{}\" is invalid: {}",
                container,
                invalid.join(", ")
            ),
        ));
    }
    for flag in ["follow", "previous", "timestamps"] {
        if p.flag(flag) {
            q.append_pair(flag, "true");
        }
    }
    Ok(q.finish())
}

/// `GET …/pods/{name}/log`.
pub async fn pod_log(ctx: &mut Ctx) -> ApiResult<Response> {
    let name = ctx.req.name.clone().unwrap_or_default();
    let ns = ctx.ns().unwrap_or_default().to_owned();
    let pod = ctx.storage().must_get(&ctx.res, Some(&ns), &name).await?;
    let container = container_of(&pod, &name, ctx.params.non_empty("container"))?;
    let query = log_query(ctx, &container)?;
    let path = format!(
        "/containerLogs/{}/{}/{}?{query}",
        enc(&ns),
        enc(&name),
        enc(&container)
    );
    let response = kubelet_get(ctx, &pod, &name, &path).await?;
    let status = response.status();
    if !status.is_success() {
        let body = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let message = String::from_utf8_lossy(&body[..body.len().min(4096)])
            .trim()
            .to_owned();
        let reason = match status.as_u16() {
            400 => "BadRequest",
            403 => "Forbidden",
            404 => "NotFound",
            _ => "InternalError",
        };
        return Err(ApiError::new(status.as_u16(), reason, message));
    }
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::new(response.into_body()))
        .expect("a valid response"))
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The pod's kubelet: its address and port from the Node.
async fn endpoint(ctx: &Ctx, pod: &Value, name: &str) -> ApiResult<(IpAddr, u16)> {
    let node_name = pod["spec"]["nodeName"].as_str().unwrap_or_default();
    if node_name.is_empty() {
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    let registry = ctx.state.registry();
    let nodes = registry
        .get("", "v1", "nodes")
        .ok_or_else(|| ApiError::internal("the nodes resource is not registered"))?;
    let node = ctx
        .storage()
        .get(nodes, None, node_name)
        .await?
        .ok_or_else(|| {
            ApiError::bad_request(format!("node {node_name:?} of pod {name} not found"))
        })?;
    let addresses = node["status"]["addresses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let address = ["InternalIP", "ExternalIP"].iter().find_map(|t| {
        addresses
            .iter()
            .filter(|a| a["type"] == *t)
            .find_map(|a| a["address"].as_str()?.parse::<IpAddr>().ok())
    });
    let port = node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"]
        .as_u64()
        .filter(|p| *p > 0 && *p <= u64::from(u16::MAX));
    match (address, port) {
        (Some(a), Some(p)) => Ok((a, p as u16)),
        _ => Err(ApiError::service_unavailable(format!(
            "the kubelet of node {node_name:?} has no reachable endpoint"
        ))),
    }
}

/// A GET to the pod's kubelet; the response streams.
async fn kubelet_get(
    ctx: &Ctx,
    pod: &Value,
    name: &str,
    path: &str,
) -> ApiResult<http::Response<hyper::body::Incoming>> {
    let Some(tls) = ctx.state.config.kubelet_client.clone() else {
        return Err(ApiError::service_unavailable(
            "this API server has no kubelet client credentials",
        ));
    };
    let (ip, port) = endpoint(ctx, pod, name).await?;
    let unreachable = |e: String| {
        ApiError::service_unavailable(format!("cannot reach the kubelet at {ip}:{port}: {e}"))
    };
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect((ip, port)))
        .await
        .map_err(|_| unreachable("timed out".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    let server_name = rustls::pki_types::ServerName::IpAddress(ip.into());
    let stream = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio_rustls::TlsConnector::from(tls).connect(server_name, tcp),
    )
    .await
    .map_err(|_| unreachable("TLS handshake timed out".into()))?
    .map_err(|e| unreachable(e.to_string()))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(error) = conn.await {
            tracing::debug!(error = %error, "kubelet connection ended with an error");
        }
    });
    let req = Request::get(path)
        .header(header::HOST, format!("{ip}:{port}"))
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    sender
        .send_request(req)
        .await
        .map_err(|e| unreachable(e.to_string()))
}

/// The API server's kubelet client TLS: trusts `server_ca_pem` (which signs kubelets' serving
/// certificates) and presents `(cert, key)`.
pub fn client_config(
    server_ca_pem: &str,
    cert_pem: &str,
    key_pem: &str,
) -> Result<Arc<rustls::ClientConfig>, crate::pki::PkiError> {
    let config = crate::pki::client_tls_config(server_ca_pem, Some((cert_pem, key_pem)))?;
    let mut config = (*config).clone();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_container_is_named_or_the_only_one() {
        let one = json!({"spec": {"containers": [{"name": "a"}]}});
        assert_eq!(container_of(&one, "p", None).unwrap(), "a");
        let two = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}], "initContainers": [{"name": "i"}]}});
        let e = container_of(&two, "p", None).unwrap_err();
        assert_eq!(e.code, 400);
        assert_eq!(
            e.message,
            "a container name must be specified for pod p, choose one of: [a b] or one of the init containers: [i]"
        );
        assert_eq!(container_of(&two, "p", Some("i")).unwrap(), "i");
        let e = container_of(&one, "p", Some("x")).unwrap_err();
        assert_eq!(e.message, "container x is not valid for pod p");
    }
}
