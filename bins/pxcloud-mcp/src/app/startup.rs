//! Start-up: the PXCloud connection (or the embedded simulator), login, spec fetch, ingest.

use std::time::Duration;

use anyhow::Context as _;
use openapi_ingest::{Catalog, IngestOptions};
use pxcloud_client::{Auth, Client, ClientConfig, ErrorKind, SPEC_PATH, Secret, TlsTrust};
use serde::Deserialize as _;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

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

/// Logs in and fetches the spec. With `config.wait`, retries with exponential backoff (up to
/// about five minutes) instead of failing at the first error. A failure is one sentence that
/// names the setting to change.
pub async fn connect(client: &Client, config: &Config) -> anyhow::Result<Value> {
    let mut delay = Duration::from_millis(500);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    let user = match &config.auth {
        Some(AuthSetting::Password { username, .. }) => Some(username.as_str()),
        _ => None,
    };
    loop {
        let started = tokio::time::Instant::now();
        // PXCloud serves its document without authentication, so the fetch does not wait for
        // the login (a deployment that protects it is asked again once the token is there).
        let (login, spec) = tokio::join!(client.login(), client.fetch_spec_with(parse_spec));
        let attempt = login
            .map_err(|e| (Step::Login, e))
            .and_then(|()| spec.map_err(|e| (Step::Document, e)));
        let waited = started.elapsed();
        match attempt {
            Ok(spec) => return Ok(spec),
            Err((step, e)) => {
                let why = explain(step, &e, client.base_url(), user, waited);
                if config.wait && tokio::time::Instant::now() + delay < deadline {
                    tracing::warn!("{why}; retrying in {:.1} s (--wait)", delay.as_secs_f64());
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                } else {
                    return Err(anyhow::anyhow!(why));
                }
            }
        }
    }
}

/// The start-up step a failure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The login (with a password).
    Login,
    /// The fetch of PXCloud's OpenAPI document.
    Document,
}

/// A failed start-up step as one sentence that names the culprit and what to change.
///
/// The client words its errors for any caller: a login's start with `login to PXCloud as
/// "admin" failed: `, the document's with `fetching the OpenAPI document from <url>: `, and
/// their `Display` adds the kind (`transport error: `). Start-up says once what it was doing,
/// so it uses the bare message with that context taken off rather than repeated (should the
/// client's wording change, the sentence gets longer, not wrong). A message that
/// already names a setting (a refused login, an unreachable address, an untrusted
/// certificate) is complete as it is; the others get the step, the address and a setting to
/// look at. `waited` is how long the attempt took, said when it timed out.
fn explain(
    step: Step,
    e: &pxcloud_client::Error,
    base: &str,
    user: Option<&str>,
    waited: Duration,
) -> String {
    let url = format!("{base}{SPEC_PATH}");
    let contexts = match (step, user) {
        (Step::Login, Some(user)) => vec![
            format!("login to PXCloud as {user:?} failed: "),
            format!("login to PXCloud as {user:?}: "),
        ],
        (Step::Login, None) => Vec::new(),
        (Step::Document, _) => vec![format!("fetching the OpenAPI document from {url}: ")],
    };
    let mut detail = e.message();
    for context in &contexts {
        detail = detail.strip_prefix(context.as_str()).unwrap_or(detail);
    }
    if e.kind() == ErrorKind::Status {
        // The step names PXCloud already.
        detail = detail.strip_prefix("PXCloud answered ").unwrap_or(detail);
    }
    let secs = waited.as_secs_f64();
    match (e.kind(), step) {
        (ErrorKind::Timeout, Step::Login) => {
            return format!(
                "PXCloud at {base} did not answer the login within {secs:.1} s; check that it is \
                 running and reachable, or raise PXCLOUD_TIMEOUT_SECS"
            );
        }
        (ErrorKind::Timeout, Step::Document) => {
            return format!(
                "PXCloud at {base} did not send its OpenAPI document ({url}) within {secs:.1} s; \
                 check that it is running and reachable, or raise PXCLOUD_TIMEOUT_SECS"
            );
        }
        _ if detail.contains("PXCLOUD_") => return detail.to_owned(),
        _ => {}
    }
    let what = match (step, user) {
        (Step::Login, Some(user)) => format!("logging in to PXCloud at {base} as {user:?}"),
        (Step::Login, None) => format!("logging in to PXCloud at {base}"),
        (Step::Document, _) => format!("fetching PXCloud's OpenAPI document from {url}"),
    };
    let hint = match (e.kind(), e.status()) {
        (ErrorKind::Status, Some(500..)) => {
            "PXCloud failed: see its logs, or start with --wait to retry until it recovers"
        }
        (ErrorKind::Status | ErrorKind::Auth, Some(401 | 403)) => {
            "check the credentials (PXCLOUD_USER and PXCLOUD_PASS, or PXCLOUD_TOKEN)"
        }
        (ErrorKind::Auth, _) => "check PXCLOUD_USER and PXCLOUD_PASS",
        (
            ErrorKind::Status | ErrorKind::Decode | ErrorKind::NotOpenApi | ErrorKind::TooLarge,
            _,
        ) => "check that PXCLOUD_URL is PXCloud's base URL",
        _ => "check PXCLOUD_URL and that PXCloud is running",
    };
    format!("{what} failed: {detail}; {hint}")
}

/// Parses PXCloud's document as [`drop_responses`] would leave it: the operations'
/// `responses` are skipped while reading, never built (a quarter of the tree for PXCloud's
/// document, so less memory at the start-up peak and less parsing). Otherwise the same tree
/// as `serde_json::from_slice`.
pub fn parse_spec(bytes: &[u8]) -> serde_json::Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = Level::Document.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Where in the document a value is, as far as [`parse_spec`] cares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Document,
    Paths,
    PathItem,
    Operation,
    Other,
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl<'de> DeserializeSeed<'de> for Level {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self == Level::Other {
            return Value::deserialize(deserializer);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Level {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let child = match self {
                Level::Document if key == "paths" => Level::Paths,
                Level::Paths => Level::PathItem,
                Level::PathItem if METHODS.contains(&key.as_str()) => Level::Operation,
                Level::Operation if key == "responses" => {
                    access.next_value::<IgnoredAny>()?;
                    continue;
                }
                _ => Level::Other,
            };
            let value = access.next_value_seed(child)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = access.next_element::<Value>()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// Removes every operation's `responses` before ingest. The server's tools return its own
/// result envelope, so the output schemas the catalog would convert from them are never
/// read; without them ingest has about half the work and the catalog holds a third of the
/// memory (PXCloud's document: 0.8 instead of 2.1 MB).
pub fn drop_responses(spec: &mut Value) {
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
    fn parse_spec_is_parse_then_drop_responses() {
        let docs = [
            pxcloud_sim::openapi_json(),
            r#"{"paths":{"/a":{"get":{"responses":{"200":{}},"x":[1,2.5,-3,null,true]},"parameters":[]}},"b":"\u00e9","paths2":{"/a":{"get":{"responses":1}}}}"#.to_owned(),
            r#"[1, {"paths": 2}]"#.to_owned(),
            r#"{"paths": {"/a": {"get": {"responses": 1, "responses": 2, "x": 1, "x": 2}}}}"#.to_owned(),
        ];
        for doc in docs {
            let mut want: Value = serde_json::from_str(&doc).unwrap();
            drop_responses(&mut want);
            assert_eq!(parse_spec(doc.as_bytes()).unwrap(), want);
            // Same order of members, not only the same members.
            assert_eq!(
                parse_spec(doc.as_bytes()).unwrap().to_string(),
                want.to_string()
            );
        }
        assert!(parse_spec(b"{\"paths\": {").is_err());
        assert!(parse_spec(b"{} x").is_err());
    }

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
