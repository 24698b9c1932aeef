//! Container probes as the kubelet runs them: `exec` (in the container, through its shim),
//! `httpGet` and `tcpSocket` (connected from inside the pod's network namespace to the port,
//! as the pod's own address would be reached), with upstream's timing (`initialDelaySeconds`,
//! `periodSeconds` 10, `timeoutSeconds` 1, `successThreshold` 1, `failureThreshold` 3) and
//! results (HTTP 200–399 succeeds; exec exit 0 succeeds).
//!
//! A [`Prober`] task runs one probe of one container run and reports each change of its
//! verdict; the pod's worker acts on them (readiness, restarts, `started`).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::runtime::shim::client::Shim;
use crate::runtime::shim::proto::ExecRequest;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Startup,
    Liveness,
    Readiness,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Startup => "Startup",
            Kind::Liveness => "Liveness",
            Kind::Readiness => "Readiness",
        }
    }
}

/// One probe's verdict changed (or failed again, for the event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub container: String,
    /// The container run the probe belongs to.
    pub id: String,
    pub kind: Kind,
    pub success: bool,
    /// The verdict flipped (thresholds reached); otherwise a failure while already failing,
    /// or below the threshold.
    pub changed: bool,
    /// Why it failed (`Unhealthy` event text), empty on success.
    pub message: String,
}

/// Where probes go.
#[derive(Clone, Debug)]
pub struct Target {
    /// The pod's network namespace; `None` for host-network pods.
    pub netns: Option<PathBuf>,
    pub shim: Shim,
    pub id: String,
}

/// The thresholds of a probe: how many results in a row flip the verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    success_threshold: i32,
    failure_threshold: i32,
    successes: i32,
    failures: i32,
    current: Option<bool>,
}

impl Verdict {
    pub fn new(probe: &Probe) -> Verdict {
        Verdict {
            success_threshold: probe.success_threshold.unwrap_or(1).max(1),
            failure_threshold: probe.failure_threshold.unwrap_or(3).max(1),
            successes: 0,
            failures: 0,
            current: None,
        }
    }

    /// Records one result; returns the verdict when it changes.
    pub fn record(&mut self, ok: bool) -> Option<bool> {
        if ok {
            self.successes += 1;
            self.failures = 0;
            if self.successes >= self.success_threshold && self.current != Some(true) {
                self.current = Some(true);
                return Some(true);
            }
        } else {
            self.failures += 1;
            self.successes = 0;
            if self.failures >= self.failure_threshold && self.current != Some(false) {
                self.current = Some(false);
                return Some(false);
            }
        }
        None
    }
}

fn port_of(port: &IntOrString, container: &Container) -> Result<u16, String> {
    match port {
        IntOrString::Int(n) => u16::try_from(*n)
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("invalid port number: {n}")),
        IntOrString::String(name) => container
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .and_then(|p| u16::try_from(p.container_port).ok())
            .ok_or_else(|| format!("couldn't find port {name:?} in the container")),
    }
}

/// Connects to `addr` from inside the network namespace `netns` (a fresh thread enters it, so
/// no pooled thread is left in the pod's namespace). Blocking.
fn connect_in(
    netns: Option<&PathBuf>,
    addr: SocketAddr,
    timeout: Duration,
) -> std::io::Result<TcpStream> {
    let Some(netns) = netns.cloned() else {
        return TcpStream::connect_timeout(&addr, timeout);
    };
    std::thread::spawn(move || {
        let ns = std::fs::File::open(&netns)?;
        // SAFETY: moves only this short-lived thread into the pod's network namespace.
        if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        TcpStream::connect_timeout(&addr, timeout)
    })
    .join()
    .unwrap_or_else(|_| Err(std::io::Error::other("the probe thread panicked")))
}

/// An HTTP GET as the kubelet sends it; success is a status in 200..400. Blocking.
fn http_get(
    netns: Option<&PathBuf>,
    port: u16,
    path: &str,
    host_header: &str,
    headers: &[(String, String)],
    timeout: Duration,
) -> Result<(), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = connect_in(netns, addr, timeout)
        .map_err(|e| format!("Get \"http://{host_header}{path}\": dial tcp {addr}: {e}"))?;
    s.set_read_timeout(Some(timeout)).ok();
    s.set_write_timeout(Some(timeout)).ok();
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: kube-probe/1.33\r\nAccept: */*\r\nConnection: close\r\n"
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())
        .map_err(|e| format!("Get \"http://{host_header}{path}\": {e}"))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
        let n = s
            .read(&mut buf)
            .map_err(|e| format!("Get \"http://{host_header}{path}\": {e}"))?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    let code: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("Get \"http://{host_header}{path}\": malformed HTTP response"))?;
    if (200..400).contains(&code) {
        Ok(())
    } else {
        Err(format!("HTTP probe failed with statuscode: {code}"))
    }
}

/// Runs the probe once.
pub async fn check(probe: &Probe, container: &Container, target: &Target) -> Result<(), String> {
    let timeout = Duration::from_secs(probe.timeout_seconds.unwrap_or(1).max(1) as u64);
    if let Some(exec) = &probe.exec {
        let args = exec.command.clone().unwrap_or_default();
        let streams = target
            .shim
            .exec(ExecRequest {
                id: target.id.clone(),
                args: args.clone(),
                tty: false,
                stdin: false,
            })
            .await
            .map_err(|e| format!("exec {args:?}: {e}"))?;
        let pid = streams.pid;
        // Collect what it prints (for the event), bounded.
        let out = streams.stdout;
        let output = tokio::task::spawn_blocking(move || {
            let mut text = Vec::new();
            if let Some(fd) = out {
                let _ = std::fs::File::from(fd)
                    .take(10 * 1024)
                    .read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).trim().to_owned()
        });
        return match tokio::time::timeout(timeout, target.shim.wait_exec(pid)).await {
            Err(_) => Err(format!("command {args:?} timed out")),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(exit)) if exit.code == 0 => Ok(()),
            Ok(Ok(exit)) => {
                let text = output.await.unwrap_or_default();
                Err(if text.is_empty() {
                    format!("command {args:?} exited with {}", exit.code)
                } else {
                    text
                })
            }
        };
    }
    if let Some(http) = &probe.http_get {
        let port = port_of(&http.port, container)?;
        let path = http
            .path
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".into());
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        let headers: Vec<(String, String)> = http
            .http_headers
            .iter()
            .flatten()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect();
        let host = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| format!("127.0.0.1:{port}"));
        let headers: Vec<(String, String)> = headers
            .into_iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
            .collect();
        let netns = target.netns.clone();
        return tokio::task::spawn_blocking(move || {
            http_get(netns.as_ref(), port, &path, &host, &headers, timeout)
        })
        .await
        .unwrap_or_else(|_| Err("the probe panicked".into()));
    }
    if let Some(tcp) = &probe.tcp_socket {
        let port = port_of(&tcp.port, container)?;
        let netns = target.netns.clone();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        return tokio::task::spawn_blocking(move || {
            connect_in(netns.as_ref(), addr, timeout)
                .map(drop)
                .map_err(|e| format!("dial tcp {addr}: {e}"))
        })
        .await
        .unwrap_or_else(|_| Err("the probe panicked".into()));
    }
    if probe.grpc.is_some() {
        return Err("gRPC probes are not supported yet".into());
    }
    Err("the probe has no handler".into())
}

/// Runs one probe of one container run until `stop`, reporting verdict changes (and every
/// failure once the verdict is failed, for the `Unhealthy` events).
pub async fn run(
    kind: Kind,
    probe: Probe,
    container: Container,
    target: Target,
    reports: mpsc::UnboundedSender<Report>,
    stop: CancellationToken,
) {
    let initial = Duration::from_secs(probe.initial_delay_seconds.unwrap_or(0).max(0) as u64);
    let period = Duration::from_secs(probe.period_seconds.unwrap_or(10).max(1) as u64);
    tokio::select! {
        _ = stop.cancelled() => return,
        _ = tokio::time::sleep(initial) => {}
    }
    let mut verdict = Verdict::new(&probe);
    loop {
        let result = tokio::select! {
            _ = stop.cancelled() => return,
            r = check(&probe, &container, &target) => r,
        };
        let ok = result.is_ok();
        let changed = verdict.record(ok);
        if let Some(success) = changed.or((!ok).then_some(false)) {
            let report = Report {
                container: container.name.clone(),
                id: target.id.clone(),
                kind,
                success,
                changed: changed.is_some(),
                message: result.err().unwrap_or_default(),
            };
            if reports.send(report).is_err() {
                return;
            }
        }
        // A startup probe stops once it succeeded.
        if kind == Kind::Startup && changed == Some(true) {
            return;
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_flip_the_verdict() {
        let probe = Probe {
            success_threshold: Some(2),
            failure_threshold: Some(3),
            ..Default::default()
        };
        let mut v = Verdict::new(&probe);
        assert_eq!(v.record(true), None);
        assert_eq!(v.record(true), Some(true));
        assert_eq!(v.record(true), None);
        assert_eq!(v.record(false), None);
        assert_eq!(v.record(false), None);
        assert_eq!(v.record(true), None, "a success resets the failures");
        assert_eq!(v.record(false), None);
        assert_eq!(v.record(false), None);
        assert_eq!(v.record(false), Some(false));
        assert_eq!(v.record(false), None);
        let mut defaults = Verdict::new(&Probe::default());
        assert_eq!(defaults.record(false), None);
        assert_eq!(defaults.record(false), None);
        assert_eq!(defaults.record(false), Some(false));
        assert_eq!(defaults.record(true), Some(true));
    }

    #[test]
    fn ports_by_number_or_name() {
        let c: Container = serde_json::from_value(serde_json::json!({
            "name": "c", "ports": [{"name": "http", "containerPort": 8080}]
        }))
        .unwrap();
        assert_eq!(port_of(&IntOrString::Int(80), &c), Ok(80));
        assert_eq!(port_of(&IntOrString::String("http".into()), &c), Ok(8080));
        assert!(port_of(&IntOrString::String("nope".into()), &c).is_err());
        assert!(port_of(&IntOrString::Int(0), &c).is_err());
    }

    #[test]
    fn http_probe_statuses() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            for (i, conn) in listener.incoming().take(2).enumerate() {
                let mut conn = conn.unwrap();
                let mut buf = [0u8; 1024];
                let n = conn.read(&mut buf).unwrap();
                let req = String::from_utf8_lossy(&buf[..n]).into_owned();
                assert!(req.starts_with("GET /healthz HTTP/1.1\r\n"), "{req}");
                assert!(req.contains("User-Agent: kube-probe/"), "{req}");
                let status = if i == 0 {
                    "200 OK"
                } else {
                    "503 Service Unavailable"
                };
                let _ = conn.write_all(
                    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes(),
                );
            }
        });
        let t = Duration::from_secs(2);
        assert_eq!(http_get(None, port, "/healthz", "h", &[], t), Ok(()));
        assert_eq!(
            http_get(None, port, "/healthz", "h", &[], t),
            Err("HTTP probe failed with statuscode: 503".into())
        );
        server.join().unwrap();
    }
}
