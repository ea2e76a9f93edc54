//! Fetching the OpenAPI document: success and each distinct failure.

use std::time::Duration;

use pxcloud_client::{Auth, Client, ClientConfig, ErrorKind, Secret};

use crate::common::{client_for, config_for, sim_http, sim_https};
use crate::local::{LocalServer, json};

#[tokio::test]
async fn spec_fetched_without_login() {
    let sim = sim_https().await;
    let client = client_for(&sim);
    let doc = client.fetch_spec().await.unwrap();
    assert!(doc.get("openapi").and_then(|v| v.as_str()).is_some());
    assert!(doc.get("paths").is_some());
    assert_eq!(sim.log().count("POST", "/api/auth/login"), 0);
    assert_eq!(sim.log().count("GET", pxcloud_client::SPEC_PATH), 1);
}

#[tokio::test]
async fn spec_status_failure() {
    let sim = sim_http().await;
    sim.faults().set_spec_failure(Some(500));
    let e = client_for(&sim).fetch_spec().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Status, "{e}");
    assert_eq!(e.status(), Some(500));
    assert!(e.to_string().contains("OpenAPI document"), "{e}");
}

#[tokio::test]
async fn spec_timeout_is_its_own() {
    let sim = sim_http().await;
    sim.faults().set_spec_delay(Duration::from_secs(3));
    let mut config = config_for(&sim);
    config.timeouts.spec = Duration::from_millis(300);
    let e = Client::new(config).unwrap().fetch_spec().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.to_string().contains("spec timeout"), "{e}");
}

#[tokio::test]
async fn spec_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let config = ClientConfig::new(format!("http://{addr}"), Auth::Token(Secret::new("t")));
    let e = Client::new(config).unwrap().fetch_spec().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.to_string().contains("cannot connect"), "{e}");
}

#[tokio::test]
async fn spec_not_json_and_not_openapi() {
    let server = LocalServer::start(|seen, _| match seen.path.as_str() {
        "/not-json/api-docs/openapi.json" => json(200, "<html>login page</html>"),
        "/protected/api-docs/openapi.json" if seen.authorization.as_deref() == Some("Bearer t") => {
            json(200, r#"{"openapi":"3.0.0","paths":{}}"#)
        }
        "/protected/api-docs/openapi.json" => {
            json(401, r#"{"code":"unauthorized","message":"no"}"#)
        }
        _ => json(200, r#"{"code":0,"data":[]}"#),
    })
    .await;
    let config = |prefix: &str| {
        ClientConfig::new(
            format!("{}{prefix}", server.url()),
            Auth::Token(Secret::new("t")),
        )
    };
    let e = Client::new(config("/not-json"))
        .unwrap()
        .fetch_spec()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert_eq!(e.body_prefix(), Some("<html>login page</html>"));
    let e = Client::new(config("/other"))
        .unwrap()
        .fetch_spec()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotOpenApi, "{e}");
    assert!(e.to_string().contains("PXCLOUD_URL"), "{e}");
    // A deployment that protects the document gets the token on a second try.
    let doc = Client::new(config("/protected"))
        .unwrap()
        .fetch_spec()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.0.0");
}

#[tokio::test]
async fn spec_tls_failure() {
    let sim = sim_https().await;
    let mut config = config_for(&sim);
    config.tls = pxcloud_client::TlsTrust::System;
    let e = Client::new(config).unwrap().fetch_spec().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains("PXCLOUD_TLS_FINGERPRINT="), "{e}");
    assert_eq!(e.fingerprint(), sim.fingerprint_sha256().as_deref());
}
