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
