//! HTTPS with the generated certificate.

use pxcloud_sim::{Sim, SimConfig};
use sha2::{Digest, Sha256};

use crate::harness::{Api, fast};

#[tokio::test]
async fn https_works_with_the_certificate_and_the_fingerprint_matches() {
    let api = Api::start(SimConfig {
        tls: true,
        ..fast()
    })
    .await;
    assert!(api.sim.url().starts_with("https://127.0.0.1:"));
    let a = api.get("/api/vms").await;
    assert_eq!(a.status, 200);
    let der = api.sim.cert_der().expect("der");
    let pem = api.sim.cert_pem().expect("pem");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let expected: Vec<String> = Sha256::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    assert_eq!(
        api.sim.fingerprint_sha256().expect("fingerprint"),
        expected.join(":")
    );
    assert_eq!(
        api.sim.fingerprint_sha256().map(|f| f.len()),
        Some(32 * 3 - 1)
    );
}

#[tokio::test]
async fn a_client_without_the_certificate_is_refused() {
    let sim = Sim::start(SimConfig {
        tls: true,
        ..fast()
    })
    .await
    .expect("start");
    let other = Sim::start(SimConfig {
        tls: true,
        ..fast()
    })
    .await
    .expect("start");
    // Trust the other simulator's certificate only.
    let client = crate::harness::client_for(&other);
    let req = http::Request::get(format!("{}/api-docs/openapi.json", sim.url()))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .expect("request");
    assert!(client.request(req).await.is_err());
}

#[tokio::test]
async fn plain_http_has_no_certificate() {
    let sim = Sim::start(fast()).await.expect("start");
    assert!(sim.url().starts_with("http://127.0.0.1:"));
    assert_eq!(
        (sim.cert_pem(), sim.cert_der(), sim.fingerprint_sha256()),
        (None, None, None)
    );
    let addr = sim.addr();
    sim.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "closed after shutdown"
    );
}

#[tokio::test]
async fn https_speaks_http2_through_alpn() {
    use http_body_util::BodyExt;
    let sim = Sim::start(SimConfig {
        tls: true,
        ..fast()
    })
    .await
    .expect("start");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(sim.cert_der().expect("der").into())
        .expect("root");
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http2()
        .build();
    let client: hyper_util::client::legacy::Client<_, http_body_util::Full<bytes::Bytes>> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .http2_only(true)
            .build(connector);
    let req = http::Request::get(format!("{}/api/vms", sim.url()))
        .header(
            "authorization",
            format!("Bearer {}", sim.issue_token(pxcloud_sim::ADMIN_USER)),
        )
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .expect("request");
    let resp = client.request(req).await.expect("h2 answer");
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["data"]["total"], 9);
}
