//! Start-up: the PXCloud connection (or the embedded simulator), login or token check, spec
//! fetch, ingest.

use std::time::Duration;

use anyhow::Context as _;
use openapi_ingest::{Catalog, IngestOptions};
use pxcloud_client::{
    ApiRequest, Auth, Client, ClientConfig, ErrorKind, SPEC_PATH, Secret, TlsTrust,
};
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

/// Logs in (or, with `PXCLOUD_TOKEN`, asks PXCloud whether it accepts the token) and fetches
/// the spec, both at once. With `config.wait`, retries with exponential backoff (up to about
/// five minutes) instead of failing at the first error, except when PXCloud refused the
/// credentials: waiting does not fix a wrong password (and retrying it could lock the account),
/// so that ends the wait at once. A failure is one sentence that names the setting to change.
pub async fn connect(client: &Client, config: &Config) -> anyhow::Result<Value> {
    let mut delay = Duration::from_millis(500);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    let (user, token) = match &config.auth {
        Some(AuthSetting::Password { username, .. }) => (Some(username.as_str()), None),
        Some(AuthSetting::Token(token)) => (None, Some(token)),
        None => (None, None),
    };
    loop {
        let started = tokio::time::Instant::now();
        // PXCloud serves its document without authentication, so the fetch does not wait for
        // the login or the token check (a deployment that protects it is asked again once the
        // token is there). A given token costs one request, on its own connection, in
        // parallel: it is the only way to find a revoked or expired token before the first
        // call (PXCloud may not give it the `exp` claim we could read, and only PXCloud knows
        // about revocation).
        let credentials = async {
            match token {
                Some(token) => Ok(Some(check_token(client, token).await)),
                None => client.login().await.map(|()| None),
            }
        };
        let (credentials, spec) = tokio::join!(credentials, client.fetch_spec_with(parse_spec));
        let attempt = match credentials {
            Err(e) => Err(Failure::Step(Step::Login, e)),
            Ok(Some(TokenCheck::Refused(refusal))) => Err(Failure::Token(refusal)),
            Ok(checked) => spec
                .map(|spec| (spec, checked))
                .map_err(|e| Failure::Step(Step::Document, e)),
        };
        let waited = started.elapsed();
        let refused = match &attempt {
            Err(failure) => failure.refused_credentials(),
            Ok(_) => false,
        };
        let why = match attempt {
            Ok((spec, checked)) => {
                if let (Some(checked), Some(token)) = (checked, token) {
                    log_token_check(checked, token);
                }
                return Ok(spec);
            }
            Err(Failure::Token(refusal)) => refusal.to_string(),
            Err(Failure::Step(step, e)) => explain(step, &e, client.base_url(), user, waited),
        };
        if config.wait && !refused && tokio::time::Instant::now() + delay < deadline {
            tracing::warn!("{why}; retrying in {:.1} s (--wait)", delay.as_secs_f64());
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(30));
        } else {
            return Err(anyhow::anyhow!(why));
        }
    }
}

/// Why a start-up attempt failed.
enum Failure {
    /// A step failed with the client's error.
    Step(Step, pxcloud_client::Error),
    /// PXCloud refused `PXCLOUD_TOKEN`.
    Token(TokenRefusal),
}

impl Failure {
    /// PXCloud answered and refused the credentials: a refused token, or a login it turned
    /// down (HTTP 400, 401, 403 or 423, or a login answer that says no; the client's `Auth`
    /// errors). Such an answer does not change by waiting, unlike an unreachable, slow or
    /// failing (5xx) PXCloud.
    fn refused_credentials(&self) -> bool {
        match self {
            Failure::Token(_) => true,
            Failure::Step(_, e) => e.kind() == ErrorKind::Auth,
        }
    }
}

/// PXCloud's "who am I" (`GET /api/auth/me`, documented in its OpenAPI document under
/// `Auth`): the cheapest request that needs a token and changes nothing.
pub const WHOAMI_PATH: &str = "/api/auth/me";

/// What PXCloud said when asked who `PXCLOUD_TOKEN` belongs to.
#[derive(Debug)]
pub enum TokenCheck {
    /// Accepted. `user` is who PXCloud says the token belongs to, when it says.
    Accepted {
        /// The user name PXCloud answered with.
        user: Option<String>,
    },
    /// This PXCloud has no who-am-I endpoint (it answered 404 or 405), so the token was not
    /// tried: a refused token shows at the first call.
    Unavailable,
    /// Refused (HTTP 401).
    Refused(TokenRefusal),
    /// The question itself failed (unreachable, timed out, an error status other than 401):
    /// nothing is known about the token.
    Failed(pxcloud_client::Error),
}

/// PXCloud refused `PXCLOUD_TOKEN`. `Display` is the start-up error: one sentence naming the
/// setting, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRefusal {
    base: String,
    status: u16,
    reason: String,
}

impl TokenRefusal {
    /// What to change.
    pub const FIX: &'static str =
        "set a valid PXCLOUD_TOKEN, or remove it and set PXCLOUD_USER and PXCLOUD_PASS";

    /// What happened, without the fix: `PXCloud at <url> refused PXCLOUD_TOKEN (HTTP 401):
    /// <PXCloud's reason>`.
    pub fn detail(&self) -> String {
        format!(
            "PXCloud at {} refused PXCLOUD_TOKEN (HTTP {}): {}",
            self.base, self.status, self.reason
        )
    }
}

impl std::fmt::Display for TokenRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; {}", self.detail(), Self::FIX)
    }
}

/// Asks PXCloud who `token` (the client's `PXCLOUD_TOKEN`) belongs to: one `GET`
/// [`WHOAMI_PATH`] through the client's ordinary stack (retries and deadline included).
pub async fn check_token(client: &Client, token: &Secret) -> TokenCheck {
    match client.send(ApiRequest::get(WHOAMI_PATH)).await {
        Ok(response) if response.is_success() => TokenCheck::Accepted {
            user: response.json().ok().as_ref().and_then(user_of),
        },
        // Authenticated, only not allowed to ask: the token itself is fine.
        Ok(response) if response.status == 403 => TokenCheck::Accepted { user: None },
        Ok(response) if matches!(response.status, 404 | 405) => TokenCheck::Unavailable,
        Ok(response) => match response.error_for_status() {
            Err(e) => TokenCheck::Failed(e),
            Ok(_) => TokenCheck::Accepted { user: None },
        },
        Err(e) if e.kind() == ErrorKind::Auth && e.status() == Some(401) => {
            TokenCheck::Refused(TokenRefusal {
                base: client.base_url().to_owned(),
                status: 401,
                reason: reason(e.api_message().or(e.api_code()), token),
            })
        }
        Err(e) => TokenCheck::Failed(e),
    }
}

/// The user name in PXCloud's who-am-I answer (`{"data": {"username": …}}`), when it is a
/// plausible one.
fn user_of(answer: &Value) -> Option<String> {
    let data = answer.get("data").unwrap_or(answer);
    data.get("username")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty() && u.len() <= 128 && !u.chars().any(char::is_control))
        .map(str::to_owned)
}

/// PXCloud's reason for a refusal, fit for one line: never the token itself (should PXCloud
/// quote it), no control characters, at most 200 characters.
fn reason(message: Option<&str>, token: &Secret) -> String {
    let message = message.map(str::trim).filter(|m| !m.is_empty());
    let Some(message) = message else {
        return "no reason given".to_owned();
    };
    let message = if token.expose().is_empty() {
        message.to_owned()
    } else {
        message.replace(token.expose(), "<the token>")
    };
    let mut out: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if message.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// Logs what a token check that did not stop start-up found.
fn log_token_check(checked: TokenCheck, token: &Secret) {
    match checked {
        TokenCheck::Accepted { user } => {
            tracing::debug!(
                user = %user.as_deref().unwrap_or("?"),
                "PXCloud accepted PXCLOUD_TOKEN"
            );
            if let Some(lifetime) = token_lifetime(token) {
                tracing::info!("PXCLOUD_TOKEN {lifetime}");
            }
        }
        TokenCheck::Unavailable => tracing::debug!(
            "PXCLOUD_TOKEN not tried at start-up: PXCloud has no {WHOAMI_PATH} (HTTP 404/405); a \
             refused token shows at the first call"
        ),
        TokenCheck::Failed(e) => tracing::warn!(
            "PXCLOUD_TOKEN not tried at start-up: asking PXCloud ({WHOAMI_PATH}) failed: {}; a \
             refused token shows at the first call",
            e.message()
        ),
        TokenCheck::Refused(refusal) => tracing::debug!("{refusal}"),
    }
}

/// How long a token with an `exp` claim (a JWT) stays valid, as the end of a sentence about
/// it: `expires in 59 min (its exp claim) and cannot be renewed`, or `expired 3 min ago by
/// its exp claim`; `None` for opaque tokens.
pub fn token_lifetime(token: &Secret) -> Option<String> {
    let expires = pxcloud_client::jwt_expiry(token.expose())?;
    Some(match expires.duration_since(std::time::SystemTime::now()) {
        Ok(left) => format!(
            "expires in {} (its exp claim) and cannot be renewed",
            span(left)
        ),
        Err(past) => format!("expired {} ago by its exp claim", span(past.duration())),
    })
}

/// A duration for people: `45 s`, `59 min`, `5 h 3 min`, `3 days`.
fn span(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        3600..86_400 if secs % 3600 < 60 => format!("{} h", secs / 3600),
        3600..86_400 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        86_400..172_800 => "1 day".to_owned(),
        _ => format!("{} days", secs / 86_400),
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
    fn token_refusal_is_one_sentence_without_the_token() {
        let token = Secret::new("eyJhbGciOi.secret-part.sig");
        let cases = [
            (Some("token has expired"), "token has expired"),
            (None, "no reason given"),
            (Some("  "), "no reason given"),
            (
                Some("token eyJhbGciOi.secret-part.sig is unknown"),
                "token <the token> is unknown",
            ),
            (Some("line\nbreak"), "line break"),
        ];
        for (message, want) in cases {
            let refusal = TokenRefusal {
                base: "https://pxcloud.example:8443".to_owned(),
                status: 401,
                reason: reason(message, &token),
            };
            assert_eq!(
                refusal.to_string(),
                format!(
                    "PXCloud at https://pxcloud.example:8443 refused PXCLOUD_TOKEN (HTTP 401): \
                     {want}; set a valid PXCLOUD_TOKEN, or remove it and set PXCLOUD_USER and \
                     PXCLOUD_PASS"
                )
            );
            assert_eq!(
                refusal.to_string(),
                format!("{}; {}", refusal.detail(), TokenRefusal::FIX)
            );
        }
        let long = "x".repeat(500);
        let cut = reason(Some(&long), &token);
        assert_eq!(cut.chars().count(), 201);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn whoami_user_and_lifetime() {
        assert_eq!(
            user_of(&json!({"code": 0, "data": {"username": "admin", "role": "admin"}})),
            Some("admin".to_owned())
        );
        assert_eq!(user_of(&json!({"username": "ops"})), Some("ops".to_owned()));
        for odd in [
            json!({"data": {"username": ""}}),
            json!({"data": {"username": "a\nb"}}),
            json!([1]),
            json!({"data": {"username": 7}}),
        ] {
            assert_eq!(user_of(&odd), None, "{odd}");
        }
        let cases = [
            (0, "0 s"),
            (59, "59 s"),
            (60, "1 min"),
            (3599, "59 min"),
            (3600, "1 h"),
            (3659, "1 h"),
            (3660, "1 h 1 min"),
            (86_399, "23 h 59 min"),
            (86_400, "1 day"),
            (3 * 86_400 + 5, "3 days"),
        ];
        for (secs, want) in cases {
            assert_eq!(span(Duration::from_secs(secs)), want, "{secs}");
        }
        let jwt = |exp: u64| {
            use base64::Engine as _;
            let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
            Secret::new(format!(
                "{}.{}.sig",
                b64(r#"{"alg":"HS256"}"#),
                b64(&format!(r#"{{"exp":{exp}}}"#))
            ))
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let later = token_lifetime(&jwt(now + 2 * 3600 + 600)).unwrap();
        assert!(
            later.starts_with("expires in 2 h 9 min") || later.starts_with("expires in 2 h 10 min"),
            "{later}"
        );
        assert!(
            later.ends_with("(its exp claim) and cannot be renewed"),
            "{later}"
        );
        let earlier = token_lifetime(&jwt(now - 300)).unwrap();
        assert!(
            earlier.starts_with("expired 5 min ago") || earlier.starts_with("expired 4 min ago"),
            "{earlier}"
        );
        assert_eq!(token_lifetime(&Secret::new("opaque-token")), None);
    }

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
