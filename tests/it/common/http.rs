//! A raw HTTPS client for tests that need exact requests (bodies, content types, no kubectl).

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::TestServer;

pub struct Http {
    rt: tokio::runtime::Runtime,
    port: u16,
    tls: Arc<rustls::ClientConfig>,
}

pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Http {
    /// A client authenticated as the cluster admin (or anonymous).
    pub fn new(server: &TestServer, admin: bool) -> Http {
        let tls_dir = server.data_dir().join("server/tls");
        let read = |f: &str| std::fs::read_to_string(tls_dir.join(f)).unwrap();
        let ca = read("server-ca.crt");
        let (cert, key) = (read("client-admin.crt"), read("client-admin.key"));
        let client_cert = admin.then_some((cert.as_str(), key.as_str()));
        let tls = orch::pki::client_tls_config(&ca, client_cert).unwrap();
        Http {
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap(),
            port: server.port,
            tls,
        }
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        self.request_with(
            method,
            path,
            &[("content-type", content_type.unwrap_or("application/json"))],
            body,
        )
    }

    pub fn request_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        self.rt.block_on(async {
            let tcp = TcpStream::connect(("127.0.0.1", self.port)).await.unwrap();
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            let tls = TlsConnector::from(self.tls.clone())
                .connect(name, tcp)
                .await
                .unwrap();
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                    .await
                    .unwrap();
            tokio::spawn(conn);
            let mut req = Request::builder()
                .method(method)
                .uri(path)
                .header("host", "localhost");
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let resp = sender
                .send_request(req.body(Full::new(Bytes::from(body))).unwrap())
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = resp
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes().to_vec())
                .unwrap_or_default();
            Reply {
                status,
                headers,
                body,
            }
        })
    }

    pub fn get(&self, path: &str) -> Reply {
        self.request_with("GET", path, &[], Vec::new())
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.request("POST", path, None, serde_json::to_vec(body).unwrap())
    }
}
