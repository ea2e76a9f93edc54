//! Shared helpers for the simulator tests.

use std::time::Duration;

use pxcloud_client::{Auth, Client, ClientConfig, Error, Secret, TlsTrust};
use pxcloud_sim::{ADMIN_PASSWORD, ADMIN_USER, LoggedRequest, Sim, SimConfig};

pub(crate) async fn sim_http() -> Sim {
    Sim::start(SimConfig::default()).await.unwrap()
}

pub(crate) async fn sim_https() -> Sim {
    Sim::start(SimConfig {
        tls: true,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// A client for `sim` as admin with short backoff, so tests run fast.
pub(crate) fn config_for(sim: &Sim) -> ClientConfig {
    let mut c = ClientConfig::new(
        sim.url(),
        Auth::Password {
            username: ADMIN_USER.into(),
            password: Secret::new(ADMIN_PASSWORD),
        },
    );
    c.retry.base_delay = Duration::from_millis(10);
    c.retry.max_delay = Duration::from_millis(100);
    if let Some(fp) = sim.fingerprint_sha256() {
        c.tls = TlsTrust::Fingerprint(fp);
    }
    c
}

pub(crate) fn client_for(sim: &Sim) -> Client {
    Client::new(config_for(sim)).unwrap()
}

/// The log entries for one method and path, in order.
pub(crate) fn entries_for(sim: &Sim, method: &str, path: &str) -> Vec<LoggedRequest> {
    sim.log()
        .entries()
        .into_iter()
        .filter(|e| e.method == method && e.path == path)
        .collect()
}

pub(crate) fn statuses(entries: &[LoggedRequest]) -> Vec<u16> {
    entries.iter().map(|e| e.status).collect()
}

/// Neither the error's `Display`, its `Debug`, nor its source chain contains a secret.
pub(crate) fn assert_no_secret(e: &Error, secrets: &[&str]) {
    let mut text = format!("{e}\n{e:?}\n{e:#?}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(
            !text.contains(secret),
            "secret leaked in error output: {text}"
        );
    }
}
