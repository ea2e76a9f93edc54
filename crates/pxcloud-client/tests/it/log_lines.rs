//! No password or token in any log line the client emits, through login, re-login, retries
//! and failures, at the most verbose level.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pxcloud_client::{ApiRequest, Auth, Client, Secret, TlsTrust};
use pxcloud_sim::{ADMIN_PASSWORD, ADMIN_USER};

use crate::common::{config_for, sim_http, sim_https};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

#[tokio::test]
async fn no_secret_in_any_log_line() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buffer.clone())
        .with_ansi(false)
        .finish();
    // Global rather than thread-local: the login runs in a task of its own, and callsite
    // interest is cached process-wide. Other tests' lines land here too, which only widens
    // the check.
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let sim = sim_http().await;
    let client = Client::new(config_for(&sim)).unwrap();
    client.login().await.unwrap();
    client.send(ApiRequest::get("/api/vms")).await.unwrap();
    sim.faults().revoke_all_tokens();
    sim.faults().fail_next(1, 503);
    client.send(ApiRequest::get("/api/vms")).await.unwrap();
    sim.faults().reset_next(1);
    let _ = client
        .send(ApiRequest::new(
            http::Method::POST,
            "/api/vms/cluster1:pve1:101/power/start",
        ))
        .await;

    let token = sim.issue_token(ADMIN_USER);
    let mut config = config_for(&sim);
    config.auth = Auth::Token(Secret::new(token.clone()));
    config.timeouts.overall = Duration::from_secs(5);
    let static_client = Client::new(config).unwrap();
    static_client
        .send(ApiRequest::get("/api/vms"))
        .await
        .unwrap();
    sim.faults().revoke_all_tokens();
    let _ = static_client.send(ApiRequest::get("/api/vms")).await;

    let tls_sim = sim_https().await;
    let mut config = config_for(&tls_sim);
    config.tls = TlsTrust::System;
    let _ = Client::new(config).unwrap().login().await;

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("logged in to PXCloud"),
        "the capture works: {text}"
    );
    assert!(text.contains("retrying"), "{text}");
    assert!(!text.contains(ADMIN_PASSWORD), "{text}");
    assert!(!text.contains(&token), "{text}");
    // Every token the simulator issues is a JWT, whose header starts with "eyJ".
    assert!(!text.contains("eyJ"), "{text}");
}
