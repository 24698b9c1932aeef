//! API server benchmark: `cargo bench --bench apiserver`.
//!
//! Starts the release `orch server` in a temporary data dir and measures, over TLS on loopback
//! with the admin client certificate:
//! * time from exec to `/readyz` answering, and idle RSS after start;
//! * GET of one object at a fixed rate (200 req/s) from several clients: p50/p99;
//! * durable creates from several clients: p50/p99 and rate;
//! * LIST of 10,000 ConfigMaps: time, and the server's RSS before/after;
//! * 1,000 concurrent watchers each receiving one update: time until all have it.
//!
//! Results go to stdout as Markdown, for BENCHMARKS.md.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

const ORCH: &str = env!("CARGO_BIN_EXE_orch");

struct Server {
    child: Child,
    _dir: tempfile::TempDir,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
    anonymous: Arc<rustls::ClientConfig>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

async fn connect(
    port: u16,
    tls: &Arc<rustls::ClientConfig>,
) -> std::io::Result<SendRequest<Full<Bytes>>> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
    tcp.set_nodelay(true)?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let stream = TlsConnector::from(tls.clone()).connect(name, tcp).await?;
    let (sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn send(
    sender: &mut SendRequest<Full<Bytes>>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Bytes) {
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(
            body.map(|b| Bytes::from(serde_json::to_vec(b).unwrap()))
                .unwrap_or_default(),
        ))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, body)
}

fn percentiles(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99), *v.last().unwrap())
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Starts the server and measures exec → /readyz.
async fn start() -> (Server, Duration, u64) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let started = Instant::now();
    let child = Command::new(ORCH)
        .args([
            "server",
            // The control plane alone: no local node.
            "--disable-agent",
            "--bind-address",
            "127.0.0.1",
            "--https-listen-port",
            &port.to_string(),
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .arg("--write-kubeconfig")
        .arg(dir.path().join("kubeconfig"))
        .env("ORCH_LOG", "warn")
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The CA does not exist before the first start: poll without verifying, as a load balancer's
    // health check would.
    let insecure = insecure_config();
    let ready_after = loop {
        if let Ok(mut s) = connect(port, &insecure).await {
            if send(&mut s, "GET", "/readyz", None).await.0 == 200 {
                break started.elapsed();
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
    };
    let tls_dir = dir.path().join("data/server/tls");
    let read = |f: &str| std::fs::read_to_string(tls_dir.join(f)).unwrap();
    let tls = orch::pki::client_tls_config(
        &read("server-ca.crt"),
        Some((&read("client-admin.crt"), &read("client-admin.key"))),
    )
    .unwrap();
    let anonymous = orch::pki::client_tls_config(&read("server-ca.crt"), None).unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = rss_kib(child.id());
    (
        Server {
            child,
            _dir: dir,
            port,
            tls,
            anonymous,
        },
        ready_after,
        idle,
    )
}

#[derive(Debug)]
struct NoVerify;

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn insecure_config() -> Arc<rustls::ClientConfig> {
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NoVerify))
        .with_no_client_auth(),
    )
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

fn cm(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"bench": "yes"}}, "data": {"key": "x".repeat(512)}})
}

async fn get_at_rate(
    server: &Server,
    clients: usize,
    rate: u32,
    seconds: u64,
) -> (Duration, Duration, Duration) {
    let mut s = connect(server.port, &server.tls).await.unwrap();
    assert_eq!(send(&mut s, "POST", CMS, Some(&cm("target"))).await.0, 201);
    let per_client = Duration::from_secs_f64(clients as f64 / rate as f64);
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let (port, tls) = (server.port, server.tls.clone());
            tokio::spawn(async move {
                let mut s = connect(port, &tls).await.unwrap();
                tokio::time::sleep(per_client / clients as u32 * i as u32).await;
                let mut ticker = tokio::time::interval(per_client);
                let deadline = Instant::now() + Duration::from_secs(seconds);
                let mut lat = Vec::new();
                while Instant::now() < deadline {
                    ticker.tick().await;
                    let t = Instant::now();
                    assert_eq!(
                        send(&mut s, "GET", &format!("{CMS}/target"), None).await.0,
                        200
                    );
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    percentiles(all)
}

async fn creates(server: &Server, clients: usize, per_client: usize) -> (f64, Duration, Duration) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (port, tls) = (server.port, server.tls.clone());
            tokio::spawn(async move {
                let mut s = connect(port, &tls).await.unwrap();
                let mut lat = Vec::new();
                for i in 0..per_client {
                    let t = Instant::now();
                    let (code, body) =
                        send(&mut s, "POST", CMS, Some(&cm(&format!("c-{c}-{i}")))).await;
                    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    let (p50, p99, _) = percentiles(all);
    (rate, p50, p99)
}

async fn watchers(server: &Server, n: usize) -> (Duration, Duration) {
    let mut s = connect(server.port, &server.tls).await.unwrap();
    let (_, body) = send(&mut s, "POST", CMS, Some(&cm("watched"))).await;
    let created: Value = serde_json::from_slice(&body).unwrap();
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..n {
        let (port, tls, rv, tx, ready_tx) = (
            server.port,
            server.tls.clone(),
            rv.clone(),
            tx.clone(),
            ready_tx.clone(),
        );
        tokio::spawn(async move {
            let mut s = connect(port, &tls).await.unwrap();
            let req = hyper::Request::get(format!(
                "{CMS}?watch=true&resourceVersion={rv}&fieldSelector=metadata.name%3Dwatched"
            ))
            .header("host", "localhost")
            .body(Full::new(Bytes::new()))
            .unwrap();
            let mut resp = s.send_request(req).await.unwrap();
            let _ = ready_tx.send(());
            while let Some(frame) = resp.body_mut().frame().await {
                if let Ok(data) = frame.unwrap().into_data() {
                    if data.windows(8).any(|w| w == b"MODIFIED") {
                        let _ = tx.send(Instant::now());
                        return;
                    }
                }
            }
        });
    }
    for _ in 0..n {
        ready_rx.recv().await.unwrap();
    }
    // The watch requests are in; give the server a moment to register them all.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = Instant::now();
    let patch = hyper::Request::patch(format!("{CMS}/watched"))
        .header("host", "localhost")
        .header("content-type", "application/merge-patch+json")
        .body(Full::new(Bytes::from_static(
            br#"{"data":{"key":"changed"}}"#,
        )))
        .unwrap();
    let resp = s.send_request(patch).await.unwrap();
    assert_eq!(resp.status(), 200);
    let acked = sent.elapsed();
    let mut last = Duration::ZERO;
    for _ in 0..n {
        let at = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("all watchers notified")
            .unwrap();
        last = last.max(at - sent);
    }
    (acked, last)
}

async fn list(server: &Server, n: usize) -> (Duration, u64, u64) {
    // Fill to n ConfigMaps with 16 writers.
    let existing = {
        let mut s = connect(server.port, &server.tls).await.unwrap();
        let (_, body) = send(&mut s, "GET", CMS, None).await;
        serde_json::from_slice::<Value>(&body).unwrap()["items"]
            .as_array()
            .unwrap()
            .len()
    };
    let todo = n.saturating_sub(existing);
    let tasks: Vec<_> = (0..16)
        .map(|w| {
            let (port, tls) = (server.port, server.tls.clone());
            tokio::spawn(async move {
                let mut s = connect(port, &tls).await.unwrap();
                for i in (w..todo).step_by(16) {
                    send(&mut s, "POST", CMS, Some(&cm(&format!("fill-{i}")))).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let before = rss_kib(server.child.id());
    let mut s = connect(server.port, &server.tls).await.unwrap();
    let mut times = Vec::new();
    let mut peak = before;
    for _ in 0..5 {
        let t = Instant::now();
        let (code, body) = send(&mut s, "GET", CMS, None).await;
        times.push(t.elapsed());
        assert_eq!(code, 200);
        let items = serde_json::from_slice::<Value>(&body).unwrap()["items"]
            .as_array()
            .unwrap()
            .len();
        assert!(items >= n, "listed {items}");
        peak = peak.max(rss_kib(server.child.id()));
    }
    let (p50, _, _) = percentiles(times);
    (p50, before, peak)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("## API server (`cargo bench --bench apiserver`)\n");
        let (server, ready, idle) = start().await;
        let _ = &server.anonymous;
        println!("| measurement | result | target |");
        println!("|---|---:|---:|");
        println!("| exec → `/readyz` OK (first start: CA and certificates generated) | {} | < 500 ms |", ms(ready));
        println!("| idle RSS after start | {:.1} MiB | < 40 MB |", idle as f64 / 1024.0);
        let (p50, p99, max) = get_at_rate(&server, 8, 200, 5).await;
        println!("| GET one object, 8 clients at 200 req/s: p50 / p99 / max | {} / {} / {} | p99 < 5 ms |", ms(p50), ms(p99), ms(max));
        let (rate, p50, p99) = creates(&server, 16, 200).await;
        println!("| create (durable), 16 clients: rate, p50 / p99 | {rate:.0}/s, {} / {} | p99 < 20 ms |", ms(p50), ms(p99));
        let (t, before, peak) = list(&server, 10_000).await;
        println!(
            "| LIST 10,000 ConfigMaps (512 B each), p50 of 5 | {} | < 300 ms |",
            ms(t)
        );
        println!(
            "| server RSS before / peak during those LISTs | {:.1} / {:.1} MiB | |",
            before as f64 / 1024.0,
            peak as f64 / 1024.0
        );
        let (acked, all) = watchers(&server, 1000).await;
        println!("| 1,000 watchers, one update: write acknowledged / all notified | {} / {} | all < 100 ms |", ms(acked), ms(all));
        println!("| RSS with 1,000 open watches | {:.1} MiB | |", rss_kib(server.child.id()) as f64 / 1024.0);
    });
}
