//! A small HTTP(S) client around a running simulator.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use pxcloud_sim::{ADMIN_USER, Sim, SimConfig};
use serde_json::Value;

pub(crate) struct Api {
    pub(crate) sim: Sim,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    pub(crate) token: String,
}

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) headers: HeaderMap,
}

/// Fast tasks: 5 steps of 20 ms.
pub(crate) fn fast() -> SimConfig {
    SimConfig {
        task_step: Duration::from_millis(20),
        ..SimConfig::default()
    }
}

pub(crate) fn client_for(sim: &Sim) -> Client<HttpsConnector<HttpConnector>, Full<Bytes>> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(der) = sim.cert_der() {
        roots
            .add(der.into())
            .expect("sim certificate is a valid root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(connector)
}

impl Api {
    pub(crate) async fn start(config: SimConfig) -> Api {
        let sim = Sim::start(config).await.expect("sim starts");
        let client = client_for(&sim);
        let token = sim.issue_token(ADMIN_USER);
        Api { sim, client, token }
    }

    pub(crate) async fn try_call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Result<Answer, String> {
        let mut req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(format!("{}{}", self.sim.url(), path))
            .header("user-agent", "pxcloud-sim-tests/1");
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let bytes = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Bytes::from(serde_json::to_vec(b).expect("json"))
            }
            None => Bytes::new(),
        };
        let req = req.body(Full::new(bytes)).expect("request");
        let resp = self
            .client
            .request(req)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            body,
            headers,
        })
    }

    /// Sends a raw body with a given content type, as the admin.
    pub(crate) async fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(format!("{}{}", self.sim.url(), path))
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        let resp = self
            .client
            .request(req)
            .await
            .expect("request goes through");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            headers,
        }
    }

    pub(crate) async fn call_as(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Answer {
        self.try_call(method, path, body, token)
            .await
            .expect("request goes through")
    }

    pub(crate) async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        self.call_as(method, path, body, Some(&self.token.clone()))
            .await
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.call("GET", path, None).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Answer {
        self.call("POST", path, Some(&body)).await
    }

    /// Polls a task until it leaves `running`; returns its final JSON.
    pub(crate) async fn wait_task(&self, id: &str) -> Value {
        let path = format!("/api/tasks/{}", enc(id));
        for _ in 0..500 {
            let a = self.get(&path).await;
            assert_eq!(a.status, 200, "task {id}: {}", a.body);
            if a.body["data"]["status"] != "running" {
                return a.body["data"].clone();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("task {id} did not finish");
    }
}

/// Percent-encodes a path segment (`:` included), as clients do.
pub(crate) fn enc(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
