//! The kubelet's own HTTPS endpoint (`:10250` by default), which the API server proxies
//! `pods/log` (and later exec, attach, port-forward) to. Only clients with a certificate from
//! the cluster's client CA get through TLS, and only the API server's identity (or an admin's)
//! is served.
//!
//! - `GET /healthz`
//! - `GET /containerLogs/{namespace}/{pod}/{container}` with `PodLogOptions` in the query.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::logs::{self, LogOptions, Renderer};
use super::{Kubelet, worker::Worker};

/// Who the kubelet serves: the API server's kubelet client, and cluster admins.
fn allowed(id: &crate::pki::Identity) -> bool {
    id.user == crate::pki::KUBELET_CLIENT_USER || id.groups.iter().any(|g| g == "system:masters")
}

/// Serves on `listener` until `shutdown`.
pub async fn serve(
    k: Arc<Kubelet>,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    shutdown: CancellationToken,
) {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/containerLogs/{namespace}/{pod}/{container}",
            get(container_logs),
        )
        .with_state(k);
    let acceptor = TlsAcceptor::from(tls);
    let connections = tokio_util::task::TaskTracker::new();
    loop {
        let (tcp, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(error) => {
                    tracing::warn!(error = %error, "kubelet server accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (acceptor, router, stop) = (acceptor.clone(), router.clone(), shutdown.clone());
        connections.spawn(async move {
            let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
            {
                Ok(Ok(tls)) => tls,
                Ok(Err(error)) => {
                    tracing::debug!(%peer, error = %error, "kubelet TLS handshake failed");
                    return;
                }
                Err(_) => return,
            };
            let caller = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|certs| certs.first())
                .and_then(|cert| crate::pki::identity_from_cert(cert.as_ref()).ok());
            let permitted = caller.as_ref().is_some_and(allowed);
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let router = router.clone();
                async move {
                    if !permitted {
                        return Ok::<_, std::convert::Infallible>(
                            (StatusCode::FORBIDDEN, "Forbidden").into_response(),
                        );
                    }
                    router.oneshot(req.map(Body::new)).await
                }
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
            tokio::pin!(conn);
            tokio::select! {
                res = conn.as_mut() => {
                    if let Err(error) = res {
                        tracing::debug!(%peer, error = %error, "kubelet connection ended with an error");
                    }
                }
                _ = stop.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
                }
            }
        });
    }
    connections.close();
    let _ = tokio::time::timeout(Duration::from_secs(5), connections.wait()).await;
}

/// Binds the kubelet's port (0: any free port, reported in the Node's `daemonEndpoints`).
pub async fn bind(port: u16) -> std::io::Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(("0.0.0.0", port)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogQuery {
    follow: Option<String>,
    previous: Option<String>,
    tail_lines: Option<i64>,
    since_seconds: Option<i64>,
    since_time: Option<String>,
    timestamps: Option<String>,
    limit_bytes: Option<i64>,
}

fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("true" | "1" | "True"))
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}

async fn container_logs(
    State(k): State<Arc<Kubelet>>,
    Path((namespace, pod, container)): Path<(String, String, String)>,
    Query(q): Query<LogQuery>,
) -> Response {
    let key = format!("{namespace}/{pod}");
    let view = k
        .views
        .lock()
        .expect("views lock poisoned")
        .get(&key)
        .cloned();
    let Some(view) = view else {
        return (
            StatusCode::NOT_FOUND,
            format!("pod {key:?} is not running on this node"),
        )
            .into_response();
    };
    let Some(c) = view.containers.get(&container).cloned() else {
        return bad_request(format!("container {container} is not valid for pod {pod}"));
    };
    let previous = flag(&q.previous);
    let run = if previous {
        if c.runs < 1 {
            return bad_request(format!(
                "previous terminated container {container:?} in pod {pod:?} not found"
            ));
        }
        c.runs - 1
    } else {
        if c.runs < 0 {
            return bad_request(format!(
                "container {container:?} in pod {pod:?} is waiting to start: {}",
                c.waiting.as_deref().unwrap_or("ContainerCreating")
            ));
        }
        c.runs
    };
    let since = match (&q.since_time, q.since_seconds) {
        (Some(t), _) => match t.parse::<jiff::Timestamp>() {
            Ok(t) => Some(t),
            Err(_) => return bad_request(format!("invalid sinceTime {t:?}")),
        },
        (None, Some(s)) => Some(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(s.max(0))),
        (None, None) => None,
    };
    let opts = LogOptions {
        tail_lines: q.tail_lines,
        since,
        timestamps: flag(&q.timestamps),
        limit_bytes: q.limit_bytes,
        // A previous run has ended: nothing to follow.
        follow: flag(&q.follow) && !previous,
    };
    let path = Worker::log_path(&k.config.pods_dir().join(&view.uid), &container, run);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(16);
    let still_running = {
        let k = k.clone();
        let key = key.clone();
        let container = container.clone();
        move || {
            k.views
                .lock()
                .expect("views lock poisoned")
                .get(&key)
                .and_then(|v| v.containers.get(&container))
                .is_some_and(|c| c.running && c.runs == run)
        }
    };
    tokio::task::spawn_blocking(move || stream_log(&path, opts, still_running, tx));
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from_stream(stream))
        .expect("a valid response")
}

/// Sends the log's rendering, then (following) what is appended until the run ends or the
/// client goes away. Blocking.
fn stream_log(
    path: &std::path::Path,
    opts: LogOptions,
    still_running: impl Fn() -> bool,
    tx: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
) {
    let follow = opts.follow;
    let mut renderer = Renderer::new(opts.clone());
    // Follow from the end of what is read now.
    let mut follower = follow.then(|| logs::Follower::at_end(path));
    // What the follower will send is not read twice.
    let upto = follower.as_ref().map(logs::Follower::position);
    let lines = match logs::read_all(path, opts.tail_lines, upto) {
        Ok(l) => l,
        Err(error) => {
            let _ = tx.blocking_send(Err(error));
            return;
        }
    };
    let mut out = Vec::new();
    for line in &lines {
        renderer.push(line, &mut out);
        if out.len() >= 64 * 1024 && tx.blocking_send(Ok(std::mem::take(&mut out))).is_err() {
            return;
        }
        if renderer.done() {
            break;
        }
    }
    if !out.is_empty() && tx.blocking_send(Ok(std::mem::take(&mut out))).is_err() {
        return;
    }
    let Some(follower) = follower.as_mut() else {
        return;
    };
    loop {
        if renderer.done() || tx.is_closed() {
            return;
        }
        // Read what is there before deciding the run is over, so its last words are sent.
        let running = still_running();
        match follower.poll() {
            Ok(lines) => {
                for line in &lines {
                    renderer.push(line, &mut out);
                }
                if !out.is_empty() && tx.blocking_send(Ok(std::mem::take(&mut out))).is_err() {
                    return;
                }
            }
            Err(error) => {
                let _ = tx.blocking_send(Err(error));
                return;
            }
        }
        if !running {
            return;
        }
        std::thread::sleep(logs::FOLLOW_POLL);
    }
}
