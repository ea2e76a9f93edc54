//! Validated configuration: the second stage after [`crate::cli`].
//!
//! Each raw string becomes a typed value here, and each error names the environment variable
//! and the flag the user must fix. Nothing here does I/O.
//!
//! An empty or blank value (`PXCLOUD_AUDIT_LOG=`, as docker-compose files and MCP client
//! configurations that template every variable produce) is the same as no value, with two
//! exceptions: `PXCLOUD_URL` must not be empty (an error, rather than silently the default
//! address), and an empty `PXCLOUD_TOOL_PREFIX` is a value: no prefix.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use policy::PolicyConfig;

use crate::cli::RawOptions;

/// The URL the earlier server used when `PXCLOUD_URL` was not set.
pub const DEFAULT_URL: &str = "https://localhost:8443";
/// Default size budget of one tool result's text.
pub const DEFAULT_MAX_RESULT_BYTES: usize = 32 * 1024;
/// Default overall deadline of one PXCloud call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

pub use pxcloud_client::Secret;

/// How the server proves who it is to PXCloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSetting {
    /// `PXCLOUD_USER` + `PXCLOUD_PASS`: log in, and again when the token expires.
    Password {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// `PXCLOUD_TOKEN`: a pre-issued token; cannot be renewed.
    Token(Secret),
}

/// Which TLS certificate PXCloud may present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSetting {
    /// Certificates signed by a publicly trusted CA (the default).
    Verify,
    /// Certificates signed by the CA in this PEM file (or that self-signed certificate).
    CaFile(PathBuf),
    /// Exactly the certificate with this SHA-256 fingerprint (normalised: uppercase hex).
    Fingerprint(String),
    /// Anything (`PXCLOUD_TLS_VERIFY=false`); warned about at start-up.
    Insecure,
}

/// How catalog tools are offered to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolMode {
    /// One MCP tool per exposed operation.
    Full,
    /// Three tools: search the catalog, describe one tool, invoke one tool.
    Dynamic,
}

/// Where MCP is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Newline-delimited JSON on stdin/stdout.
    Stdio,
    /// Streamable HTTP.
    Http {
        /// Address to bind.
        addr: SocketAddr,
        /// Bearer token clients must present (required off loopback).
        token: Option<Secret>,
        /// Extra allowed `Origin` values.
        allowed_origins: Vec<String>,
    },
}

/// The whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Serve against the embedded simulator instead of `url`.
    pub demo: bool,
    /// PXCloud base URL, without a trailing slash.
    pub url: String,
    /// Credentials; `None` only when nothing needs to log in (`--demo`, `tools --spec-file`).
    pub auth: Option<AuthSetting>,
    /// TLS trust.
    pub tls: TlsSetting,
    /// Visibility, classification, dry run and confirmation settings, validated by the
    /// policy crate's own parsers.
    pub policy: PolicyConfig,
    /// `PXCLOUD_AUDIT_LOG`.
    pub audit_log: Option<PathBuf>,
    /// `PXCLOUD_TOOL_MODE`.
    pub tool_mode: ToolMode,
    /// `PXCLOUD_TOOL_PREFIX`.
    pub tool_prefix: String,
    /// `PXCLOUD_SPEC_REFRESH_SECS`; `None` when zero or unset.
    pub spec_refresh: Option<Duration>,
    /// `PXCLOUD_MAX_RESULT_BYTES`.
    pub max_result_bytes: usize,
    /// `PXCLOUD_TIMEOUT_SECS`.
    pub timeout: Duration,
    /// `PXCLOUD_SECRET`; `None` means a random key per process.
    pub secret: Option<Secret>,
    /// `--wait`.
    pub wait: bool,
    /// `PXCLOUD_LOG_LEVEL`.
    pub log_level: String,
    /// Where MCP is served.
    pub transport: Transport,
}

/// One setting the user can change: its environment variable and its flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The environment variable, e.g. `PXCLOUD_ALLOW_DELETE`.
    pub env: &'static str,
    /// The flag, e.g. `--allow-delete`.
    pub flag: &'static str,
}

macro_rules! settings {
    ($($ident:ident = $env:literal, $flag:literal;)*) => {
        $(
            #[doc = concat!("`", $env, "` / `", $flag, "`.")]
            pub const $ident: Setting = Setting { env: $env, flag: $flag };
        )*
    };
}

/// The settings, for error messages.
pub mod settings {
    use super::Setting;
    settings! {
        URL = "PXCLOUD_URL", "--url";
        USER = "PXCLOUD_USER", "--user";
        PASS = "PXCLOUD_PASS", "--pass";
        TOKEN = "PXCLOUD_TOKEN", "--token";
        TLS_VERIFY = "PXCLOUD_TLS_VERIFY", "--tls-verify";
        CA_FILE = "PXCLOUD_CA_FILE", "--ca-file";
        TLS_FINGERPRINT = "PXCLOUD_TLS_FINGERPRINT", "--tls-fingerprint";
        TOOLS = "PXCLOUD_TOOLS", "--tools";
        ALLOW_DELETE = "PXCLOUD_ALLOW_DELETE", "--allow-delete";
        READ_ONLY = "PXCLOUD_READ_ONLY", "--read-only";
        PROFILE = "PXCLOUD_PROFILE", "--profile";
        STRICT = "PXCLOUD_STRICT", "--strict";
        DRY_RUN = "PXCLOUD_DRY_RUN", "--dry-run";
        EXCLUDE_PATHS = "PXCLOUD_EXCLUDE_PATHS", "--exclude-paths";
        DESTRUCTIVE_PATTERNS = "PXCLOUD_DESTRUCTIVE_PATTERNS", "--destructive-patterns";
        TOOL_MODE = "PXCLOUD_TOOL_MODE", "--tool-mode";
        TOOL_PREFIX = "PXCLOUD_TOOL_PREFIX", "--tool-prefix";
        SPEC_REFRESH_SECS = "PXCLOUD_SPEC_REFRESH_SECS", "--spec-refresh-secs";
        MAX_RESULT_BYTES = "PXCLOUD_MAX_RESULT_BYTES", "--max-result-bytes";
        TIMEOUT_SECS = "PXCLOUD_TIMEOUT_SECS", "--timeout-secs";
        SECRET = "PXCLOUD_SECRET", "--secret";
        HTTP = "PXCLOUD_HTTP", "--http";
        HTTP_TOKEN = "PXCLOUD_HTTP_TOKEN", "--http-token";
        LOG_LEVEL = "PXCLOUD_LOG_LEVEL", "--log-level";
        CONFIRM_TTL_SECS = "PXCLOUD_CONFIRM_TTL_SECS", "--confirm-ttl-secs";
    }

    /// Every setting whose value the policy crate validates.
    pub const ALL: &[Setting] = &[
        TOOLS,
        ALLOW_DELETE,
        READ_ONLY,
        PROFILE,
        STRICT,
        DRY_RUN,
        EXCLUDE_PATHS,
        DESTRUCTIVE_PATTERNS,
        CONFIRM_TTL_SECS,
    ];
}

/// A configuration problem, naming the setting to fix. Never contains a secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The setting at fault.
    pub setting: Setting,
    /// What is wrong and what is expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.setting.env, self.setting.flag, self.message
        )
    }
}

impl std::error::Error for ConfigError {}

fn err(setting: Setting, message: impl Into<String>) -> ConfigError {
    ConfigError {
        setting,
        message: message.into(),
    }
}

/// What the configuration is needed for; decides which settings are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Serving or checking against a real PXCloud: credentials required (unless `--demo`).
    Connect,
    /// Reading a spec file offline: no credentials needed.
    Offline,
}

impl Config {
    /// Validates raw options. `purpose` decides whether credentials are required.
    pub fn from_raw(raw: &RawOptions, purpose: Purpose) -> Result<Config, ConfigError> {
        use settings as s;

        let url = match raw.url.as_deref() {
            None => DEFAULT_URL,
            Some(url) if url.trim().is_empty() => {
                return Err(err(
                    s::URL,
                    format!(
                        "is empty: set it to PXCloud's base URL, e.g. \
                         https://pxcloud.example:8443, or remove it for the default {DEFAULT_URL}"
                    ),
                ));
            }
            Some(url) => url,
        };
        let url = normalize_url(url)?;
        let auth = auth(raw)?;
        if auth.is_none() && purpose == Purpose::Connect && !raw.demo {
            return Err(no_credentials(raw));
        }
        let tls = tls(raw)?;
        if !raw.demo && url.starts_with("http://") && tls != TlsSetting::Verify {
            return Err(err(
                s::URL,
                format!(
                    "{url} is plain http://, so the TLS settings (PXCLOUD_TLS_VERIFY, PXCLOUD_CA_FILE, \
                     PXCLOUD_TLS_FINGERPRINT) do not apply; use an https:// URL or drop them"
                ),
            ));
        }

        let policy = PolicyConfig::from_lookup(|var| policy_value(raw, var)).map_err(|e| {
            let setting = settings::ALL
                .iter()
                .find(|s| s.env == e.var)
                .copied()
                .unwrap_or(Setting {
                    env: "PXCLOUD_*",
                    flag: "--help",
                });
            err(
                setting,
                format!("invalid value {:?}: expected {}", e.value, e.expected),
            )
        })?;

        let tool_mode = match raw.tool_mode.as_deref().map(str::trim) {
            None | Some("") => ToolMode::Full,
            Some(v) if v.eq_ignore_ascii_case("full") => ToolMode::Full,
            Some(v) if v.eq_ignore_ascii_case("dynamic") => ToolMode::Dynamic,
            Some(v) => {
                return Err(err(
                    s::TOOL_MODE,
                    format!("unknown mode {v:?}: expected full or dynamic"),
                ));
            }
        };
        // Empty is a value here (no prefix); whitespace never belongs to a prefix.
        let tool_prefix = raw
            .tool_prefix
            .as_deref()
            .map_or_else(|| "pxcloud_".to_owned(), |p| p.trim().to_owned());
        if !tool_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            || tool_prefix.len() > 24
        {
            return Err(err(
                s::TOOL_PREFIX,
                format!(
                    "{tool_prefix:?} is not a valid prefix: at most 24 characters of A-Z a-z 0-9 _ - ."
                ),
            ));
        }

        let spec_refresh = match opt_u64(raw.spec_refresh_secs.as_deref(), s::SPEC_REFRESH_SECS, 0)?
        {
            0 => None,
            n => Some(Duration::from_secs(n)),
        };
        let max_result_bytes = opt_u64(
            raw.max_result_bytes.as_deref(),
            s::MAX_RESULT_BYTES,
            DEFAULT_MAX_RESULT_BYTES as u64,
        )?;
        if max_result_bytes < 1024 {
            return Err(err(
                s::MAX_RESULT_BYTES,
                format!("{max_result_bytes} is too small: use at least 1024"),
            ));
        }
        let timeout_secs = opt_u64(
            raw.timeout_secs.as_deref(),
            s::TIMEOUT_SECS,
            DEFAULT_TIMEOUT.as_secs(),
        )?;
        if timeout_secs == 0 || timeout_secs > 3600 {
            return Err(err(
                s::TIMEOUT_SECS,
                format!("{timeout_secs} is out of range: use 1 to 3600 seconds"),
            ));
        }

        let secret = match raw.secret.as_deref() {
            None => None,
            Some(v) if v.trim().is_empty() => None,
            Some(v) if v.len() < 16 => {
                return Err(err(
                    s::SECRET,
                    "too short: use at least 16 characters (e.g. `openssl rand -hex 32`)",
                ));
            }
            Some(v) => Some(Secret::new(v)),
        };

        let log_level = match raw.log_level.as_deref().map(str::trim) {
            None | Some("") => "info".to_owned(),
            Some(v) => {
                let lower = v.to_ascii_lowercase();
                if !matches!(
                    lower.as_str(),
                    "error" | "warn" | "info" | "debug" | "trace" | "off"
                ) {
                    return Err(err(
                        s::LOG_LEVEL,
                        format!(
                            "unknown level {v:?}: expected error, warn, info, debug, trace or off"
                        ),
                    ));
                }
                lower
            }
        };

        let transport = transport(raw)?;

        Ok(Config {
            demo: raw.demo,
            url,
            auth,
            tls,
            policy,
            audit_log: given_path(raw.audit_log.as_ref()),
            tool_mode,
            tool_prefix,
            spec_refresh,
            max_result_bytes: usize::try_from(max_result_bytes).unwrap_or(usize::MAX),
            timeout: Duration::from_secs(timeout_secs),
            secret,
            wait: raw.wait,
            log_level,
            transport,
        })
    }
}

/// The raw value of one of the policy crate's variables ([`policy::vars`]).
fn policy_value(raw: &RawOptions, var: &str) -> Option<String> {
    let value = match var {
        policy::vars::TOOLS => &raw.tools,
        policy::vars::PROFILE => &raw.profile,
        policy::vars::ALLOW_DELETE => &raw.allow_delete,
        policy::vars::READ_ONLY => &raw.read_only,
        policy::vars::EXCLUDE_PATHS => &raw.exclude_paths,
        policy::vars::DESTRUCTIVE_PATTERNS => &raw.destructive_patterns,
        policy::vars::STRICT => &raw.strict,
        policy::vars::DRY_RUN => &raw.dry_run,
        policy::vars::CONFIRM_TTL_SECS => &raw.confirm_ttl_secs,
        _ => return None,
    };
    value.clone()
}

fn normalize_url(raw: &str) -> Result<String, ConfigError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let uri: http::Uri = trimmed
        .parse()
        .map_err(|e| err(settings::URL, format!("{trimmed:?} is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("https" | "http") => {}
        Some(other) => {
            return Err(err(
                settings::URL,
                format!("{trimmed:?}: scheme {other:?} is not supported, use https://"),
            ));
        }
        None => {
            return Err(err(
                settings::URL,
                format!("{trimmed:?} has no scheme: write it as https://{trimmed}"),
            ));
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(err(settings::URL, format!("{trimmed:?} has no host")));
    }
    if uri.query().is_some() {
        return Err(err(
            settings::URL,
            format!("{trimmed:?} must not carry a query string"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Whether a value was given but is empty or only whitespace (and so counts as unset).
fn is_blank(value: Option<&String>) -> bool {
    value.is_some_and(|v| v.trim().is_empty())
}

/// A path setting; an empty or blank one is no path.
fn given_path(value: Option<&PathBuf>) -> Option<PathBuf> {
    value
        .filter(|p| !p.to_str().is_some_and(|p| p.trim().is_empty()))
        .cloned()
}

fn auth(raw: &RawOptions) -> Result<Option<AuthSetting>, ConfigError> {
    let nonempty = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let user = nonempty(&raw.user);
    // A password is taken as written, unless it is nothing but whitespace.
    let pass = raw.pass.clone().filter(|p| !p.trim().is_empty());
    let token = nonempty(&raw.token);
    match (user, pass, token) {
        (_, _, Some(token)) => given_token(&token).map(|t| Some(AuthSetting::Token(t))),
        (Some(username), Some(password), None) => Ok(Some(AuthSetting::Password {
            username,
            password: Secret::new(password),
        })),
        (Some(_), None, None) if is_blank(raw.pass.as_ref()) => Err(err(
            settings::PASS,
            "is empty, but PXCLOUD_USER is set: set the password, or use PXCLOUD_TOKEN instead",
        )),
        (Some(_), None, None) => Err(err(
            settings::PASS,
            "PXCLOUD_USER is set but the password is missing",
        )),
        (None, Some(_), None) if is_blank(raw.user.as_ref()) => Err(err(
            settings::USER,
            "is empty, but PXCLOUD_PASS is set: set the user name, or use PXCLOUD_TOKEN instead",
        )),
        (None, Some(_), None) => Err(err(
            settings::USER,
            "PXCLOUD_PASS is set but the user name is missing",
        )),
        (None, None, None) => Ok(None),
    }
}

/// No credentials where they are needed, naming those that were given empty (the variable
/// the user set, rather than one they never wrote).
fn no_credentials(raw: &RawOptions) -> ConfigError {
    use settings as s;
    const FIX: &str = "set PXCLOUD_USER and PXCLOUD_PASS, or PXCLOUD_TOKEN";
    let empty: Vec<Setting> = [
        (s::USER, &raw.user),
        (s::PASS, &raw.pass),
        (s::TOKEN, &raw.token),
    ]
    .into_iter()
    .filter(|(_, value)| is_blank(value.as_ref()))
    .map(|(setting, _)| setting)
    .collect();
    let names: Vec<&str> = empty.iter().map(|s| s.env).collect();
    match names.as_slice() {
        [] => err(s::USER, format!("no credentials: {FIX}")),
        [one] => err(empty[0], format!("no credentials: {one} is empty; {FIX}")),
        [first @ .., last] => err(
            empty[0],
            format!(
                "no credentials: {} and {last} are empty; {FIX}",
                first.join(", ")
            ),
        ),
    }
}

/// `PXCLOUD_TOKEN` as it will be sent. A value copied with its scheme (`Bearer eyJ…`, as
/// it appears in an `Authorization` header) is taken without it; one that cannot travel in
/// a header at all (a line break inside, say) is refused here rather than failing every call.
/// The message never shows the value.
fn given_token(value: &str) -> Result<Secret, ConfigError> {
    let token = match value.split_once(char::is_whitespace) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim_start(),
        _ => value,
    };
    if !token.is_ascii() || http::HeaderValue::from_str(token).is_err() {
        return Err(err(
            settings::TOKEN,
            "contains a character an HTTP header cannot carry (a line break, another control \
             character or non-ASCII text): set the token alone, on one line",
        ));
    }
    Ok(Secret::new(token))
}

fn tls(raw: &RawOptions) -> Result<TlsSetting, ConfigError> {
    use settings as s;
    let verify = opt_bool(raw.tls_verify.as_deref(), s::TLS_VERIFY, true)?;
    let fingerprint = raw
        .tls_fingerprint
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(normalize_fingerprint)
        .transpose()?;
    match (verify, given_path(raw.ca_file.as_ref()), fingerprint) {
        (true, None, None) => Ok(TlsSetting::Verify),
        (true, Some(path), None) => Ok(TlsSetting::CaFile(path)),
        (true, None, Some(fp)) => Ok(TlsSetting::Fingerprint(fp)),
        (true, Some(_), Some(_)) => Err(err(
            s::TLS_FINGERPRINT,
            "set either PXCLOUD_CA_FILE or PXCLOUD_TLS_FINGERPRINT, not both",
        )),
        (false, None, None) => Ok(TlsSetting::Insecure),
        (false, _, _) => Err(err(
            s::TLS_VERIFY,
            "false turns verification off, which contradicts PXCLOUD_CA_FILE / PXCLOUD_TLS_FINGERPRINT; \
             keep the CA file or fingerprint and drop PXCLOUD_TLS_VERIFY=false",
        )),
    }
}

/// Normalises a SHA-256 fingerprint to 64 uppercase hex digits.
fn normalize_fingerprint(raw: &str) -> Result<String, ConfigError> {
    let hex: String = raw
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect();
    let hex = hex
        .strip_prefix("sha256")
        .or_else(|| hex.strip_prefix("SHA256"))
        .unwrap_or(&hex);
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(err(
            settings::TLS_FINGERPRINT,
            format!(
                "{raw:?} is not a SHA-256 fingerprint: expected 64 hex digits, colons optional"
            ),
        ));
    }
    Ok(hex.to_ascii_uppercase())
}

fn transport(raw: &RawOptions) -> Result<Transport, ConfigError> {
    use settings as s;
    let Some(addr) = raw.http.as_deref().map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(Transport::Stdio);
    };
    let addr: SocketAddr = addr.parse().map_err(|_| {
        err(
            s::HTTP,
            format!("{addr:?} is not an address: write it as IP:PORT, e.g. 127.0.0.1:8765"),
        )
    })?;
    // Taken without surrounding whitespace, which an HTTP header value cannot carry.
    let token = raw
        .http_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(Secret::new);
    if !addr.ip().is_loopback() && token.is_none() {
        return Err(err(
            s::HTTP_TOKEN,
            format!(
                "{addr} is reachable from other machines: set a bearer token clients must send"
            ),
        ));
    }
    if token.as_ref().is_some_and(|t| t.expose().len() < 16) {
        return Err(err(s::HTTP_TOKEN, "too short: use at least 16 characters"));
    }
    Ok(Transport::Http {
        addr,
        token,
        allowed_origins: opt_list(raw.http_allowed_origins.as_deref()).unwrap_or_default(),
    })
}

/// Parses a boolean the way people write them; anything else is an error naming `setting`.
pub fn parse_bool(raw: &str, setting: Setting) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(err(
            setting,
            format!("invalid value {raw:?}: expected true or false"),
        )),
    }
}

fn opt_bool(raw: Option<&str>, setting: Setting, default: bool) -> Result<bool, ConfigError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => parse_bool(v, setting),
    }
}

fn opt_u64(raw: Option<&str>, setting: Setting, default: u64) -> Result<u64, ConfigError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v.parse().map_err(|_| {
            err(
                setting,
                format!("invalid value {v:?}: expected a whole number"),
            )
        }),
    }
}

/// A comma-separated list: items trimmed, empty items dropped; `None` when nothing is left.
fn opt_list(raw: Option<&str>) -> Option<Vec<String>> {
    let items: Vec<String> = raw?
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    (!items.is_empty()).then_some(items)
}
