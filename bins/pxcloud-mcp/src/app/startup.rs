//! Start-up: the PXCloud connection (or the embedded simulator), login, spec fetch, ingest.

use std::time::Duration;

use anyhow::Context as _;
use openapi_ingest::{Catalog, IngestOptions};
use pxcloud_client::{Auth, Client, ClientConfig, Secret, TlsTrust};
use serde_json::Value;

use crate::config::{AuthSetting, Config, TlsSetting};

/// The simulator started by `--demo`, kept alive as long as the server runs.
#[derive(Debug)]
pub struct Demo {
    /// The running simulator.
    pub sim: pxcloud_sim::Sim,
}

/// Builds the PXCloud client for `config` (no I/O yet).
pub fn client_config(config: &Config) -> anyhow::Result<ClientConfig> {
    let auth = match &config.auth {
        Some(AuthSetting::Password { username, password }) => Auth::Password {
            username: username.clone(),
            password: password.clone(),
        },
        Some(AuthSetting::Token(token)) => Auth::Token(token.clone()),
        None => {
            anyhow::bail!("no credentials: set PXCLOUD_USER and PXCLOUD_PASS, or PXCLOUD_TOKEN")
        }
    };
    let mut cc = ClientConfig::new(config.url.clone(), auth);
    cc.tls = match &config.tls {
        TlsSetting::Verify => TlsTrust::System,
        TlsSetting::CaFile(path) => TlsTrust::CaFile(path.clone()),
        TlsSetting::Fingerprint(fp) => TlsTrust::Fingerprint(fp.clone()),
        TlsSetting::Insecure => TlsTrust::Insecure,
    };
    cc.timeouts.overall = config.timeout;
    cc.timeouts.per_attempt = config.timeout.min(cc.timeouts.per_attempt);
    // The document fetch, all attempts included, keeps to the same limit.
    cc.timeouts.spec = config.timeout;
    cc.user_agent = concat!("pxcloud-mcp/", env!("CARGO_PKG_VERSION")).to_owned();
    Ok(cc)
}

/// Starts the embedded simulator over HTTPS and points `config` at it, trusting its
/// certificate by fingerprint (as a user would trust a self-signed PXCloud).
pub async fn start_demo(config: &mut Config) -> anyhow::Result<Demo> {
    let sim_config = pxcloud_sim::SimConfig {
        tls: true,
        ..pxcloud_sim::SimConfig::default()
    };
    let sim = pxcloud_sim::Sim::start(sim_config)
        .await
        .context("could not start the embedded PXCloud simulator")?;
    config.url = sim.url();
    let fingerprint = sim
        .fingerprint_sha256()
        .context("the simulator did not report its certificate fingerprint")?;
    config.tls = TlsSetting::Fingerprint(fingerprint.replace(':', ""));
    if config.auth.is_none() {
        config.auth = Some(AuthSetting::Password {
            username: pxcloud_sim::ADMIN_USER.to_owned(),
            password: Secret::new(pxcloud_sim::ADMIN_PASSWORD),
        });
    }
    tracing::info!(url = %config.url, "demo: embedded PXCloud simulator started");
    Ok(Demo { sim })
}

/// Logs in and fetches the spec. With `wait`, retries with exponential backoff (up to about
/// five minutes) instead of failing at the first error.
pub async fn connect(client: &Client, wait: bool) -> anyhow::Result<Value> {
    let mut delay = Duration::from_millis(500);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        // PXCloud serves its document without authentication, so the fetch does not wait for
        // the login (a deployment that protects it is asked again once the token is there).
        let (login, spec) = tokio::join!(client.login(), client.fetch_spec());
        let attempt = login
            .map_err(|e| anyhow::anyhow!("login to PXCloud failed: {e}"))
            .and_then(|()| {
                spec.map_err(|e| anyhow::anyhow!("fetching PXCloud's OpenAPI document failed: {e}"))
            });
        match attempt {
            Ok(spec) => return Ok(spec),
            Err(e) if wait && tokio::time::Instant::now() + delay < deadline => {
                tracing::warn!("{e:#}; retrying in {:.1} s (--wait)", delay.as_secs_f64());
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Removes every operation's `responses` before ingest. The server's tools return its own
/// result envelope, so the output schemas the catalog would convert from them are never
/// read; without them ingest has about half the work and the catalog holds a third of the
/// memory (PXCloud's document: 0.8 instead of 2.1 MB).
pub fn drop_responses(spec: &mut Value) {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for (key, op) in item.iter_mut() {
            if METHODS.contains(&key.as_str())
                && let Some(op) = op.as_object_mut()
            {
                op.remove("responses");
            }
        }
    }
}

/// Ingests the spec into a catalog, logging what the document got wrong.
pub fn ingest(spec: &Value, prefix: &str) -> anyhow::Result<Catalog> {
    let options = IngestOptions::with_prefix(prefix);
    let catalog = Catalog::from_value(spec, &options)
        .map_err(|e| anyhow::anyhow!("PXCloud's OpenAPI document cannot be used: {e}"))?;
    if !catalog.warnings().is_empty() {
        tracing::info!(
            count = catalog.warnings().len(),
            "the OpenAPI document has problems that were worked around (see debug log)"
        );
        for w in catalog.warnings() {
            tracing::debug!(pointer = %w.pointer, "{}", w.message);
        }
    }
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn drop_responses_keeps_everything_else() {
        let mut spec = json!({
            "openapi": "3.1.0",
            "paths": {
                "/vms/{id}": {
                    "parameters": [{"name": "id", "in": "path", "required": true}],
                    "get": {"operationId": "getVm", "responses": {"200": {"description": "ok"}}},
                    "delete": {"responses": {"204": {"description": "gone"}}},
                    "x-responses": {"responses": 1}
                }
            },
            "components": {"responses": {"NotFound": {"description": "no"}}}
        });
        drop_responses(&mut spec);
        assert_eq!(
            spec,
            json!({
                "openapi": "3.1.0",
                "paths": {
                    "/vms/{id}": {
                        "parameters": [{"name": "id", "in": "path", "required": true}],
                        "get": {"operationId": "getVm"},
                        "delete": {},
                        "x-responses": {"responses": 1}
                    }
                },
                "components": {"responses": {"NotFound": {"description": "no"}}}
            })
        );
    }
}
