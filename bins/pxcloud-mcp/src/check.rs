//! `pxcloud-mcp check`: a doctor for users. Each step says what it found and, when it fails,
//! what to change.

use std::fmt::Write as _;
use std::fs::OpenOptions;
use std::path::Path;

use pxcloud_client::{Client, ErrorKind, Secret};

use crate::app::startup::{self, TokenCheck, TokenRefusal};
use crate::config::{AuthSetting, Config, TlsSetting};

/// One step's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What was checked.
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// What to change, when it failed.
    pub fix: Option<String>,
}

fn pass(name: &'static str, detail: impl Into<String>) -> Step {
    Step {
        name,
        ok: true,
        detail: detail.into(),
        fix: None,
    }
}

fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Step {
    Step {
        name,
        ok: false,
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

/// Runs every check it can; stops at the first step the later ones depend on (no connection:
/// nothing else; an unusable document: the login is still checked).
pub async fn run(config: &Config) -> Vec<Step> {
    let mut steps = Vec::new();
    let plain_http = config.url.starts_with("http://");
    let tls = match &config.tls {
        _ if plain_http => "plain http://, no TLS".to_owned(),
        TlsSetting::Verify => "certificate verified against the system's trusted roots".to_owned(),
        TlsSetting::CaFile(p) => format!("certificate verified against {}", p.display()),
        TlsSetting::Fingerprint(_) => "certificate pinned by SHA-256 fingerprint".to_owned(),
        TlsSetting::Insecure => "certificate NOT verified (PXCLOUD_TLS_VERIFY=false)".to_owned(),
    };
    let auth = match &config.auth {
        Some(AuthSetting::Password { username, .. }) => format!("user {username}"),
        Some(AuthSetting::Token(_)) => "a pre-issued token".to_owned(),
        None => "no credentials".to_owned(),
    };
    steps.push(pass(
        "configuration",
        format!("{}; {tls}; {auth}", config.url),
    ));
    if let Some(path) = &config.audit_log {
        // The server opens it before any network work, so it comes first here too.
        steps.push(audit_log(path));
    }
    let insecure = config.tls == TlsSetting::Insecure && !plain_http;
    let client = match startup::client_config(config)
        .and_then(|cc| Client::new(cc).map_err(anyhow::Error::from))
    {
        Ok(c) => c,
        Err(e) => {
            steps.push(fail(
                "client",
                format!("{e:#}"),
                "fix the setting named above",
            ));
            return steps;
        }
    };
    for w in client.warnings() {
        // Verification being off gets its own step below, with the fingerprint to pin.
        if insecure && w.contains("PXCLOUD_TLS_VERIFY=false") {
            continue;
        }
        steps.push(fail("warning", w.clone(), "see docs/security.md"));
    }
    // Read as start-up reads it (responses left out), so the tools and the document problems
    // counted are the server's.
    let spec = match client.fetch_spec_with(startup::parse_spec).await {
        Ok(spec) => {
            let how = if plain_http {
                "over plain http:// (no TLS)"
            } else if insecure {
                "without its certificate being verified"
            } else {
                "over a trusted connection"
            };
            steps.push(pass(
                "reachability and TLS",
                format!("{} answered {how}", config.url),
            ));
            Some(spec)
        }
        Err(e) if e.kind() == ErrorKind::Status => {
            // PXCloud (or something at its address) answered: the connection and TLS work.
            steps.push(pass(
                "reachability and TLS",
                format!("{} answered HTTP {}", config.url, e.status().unwrap_or(0)),
            ));
            steps.push(spec_failure(&e, config));
            None
        }
        Err(e) => {
            steps.push(connection_failure(&e, config));
            return steps;
        }
    };
    if insecure {
        steps.push(insecure_tls(config).await);
    }
    match &config.auth {
        Some(AuthSetting::Token(token)) => steps.push(token_step(&client, token).await),
        _ => match client.login().await {
            Ok(()) => steps.push(pass("login", format!("logged in with {auth}"))),
            Err(e) => steps.push(fail(
                "login",
                e.to_string(),
                "check PXCLOUD_USER and PXCLOUD_PASS (the account may be locked or need MFA: see the message)",
            )),
        },
    }
    let Some(spec) = spec else {
        return steps;
    };
    match startup::ingest(&spec, &config.tool_prefix) {
        Ok(catalog) => {
            let listing = crate::app::offline_listing(config, catalog);
            match listing {
                Ok((total, visible, warnings)) => {
                    let mut detail = format!("{total} operations, {visible} exposed as tools");
                    if warnings > 0 {
                        let _ = write!(detail, "; {warnings} document problems worked around");
                    }
                    if visible == 0 {
                        steps.push(fail("tools", detail, "PXCLOUD_TOOLS / PXCLOUD_PROFILE / PXCLOUD_READ_ONLY hide everything: relax them"));
                    } else {
                        steps.push(pass("spec and tools", detail));
                    }
                }
                Err(e) => steps.push(fail(
                    "tools",
                    format!("{e:#}"),
                    "fix the setting named above",
                )),
            }
        }
        Err(e) => steps.push(fail(
            "spec",
            format!("{e:#}"),
            "check that PXCLOUD_URL points at PXCloud itself",
        )),
    }
    steps
}

/// `PXCLOUD_TOKEN`: what PXCloud says about it, as start-up asks ([`startup::check_token`]).
async fn token_step(client: &Client, token: &Secret) -> Step {
    const NAME: &str = "token";
    let lifetime = startup::token_lifetime(token);
    match startup::check_token(client, token).await {
        TokenCheck::Accepted { user } => {
            let mut detail = format!("PXCloud at {} accepted PXCLOUD_TOKEN", client.base_url());
            if let Some(user) = user {
                let _ = write!(detail, " (user {user})");
            }
            if let Some(lifetime) = lifetime {
                let _ = write!(detail, ", which {lifetime}");
            }
            pass(NAME, detail)
        }
        TokenCheck::Unavailable => pass(
            NAME,
            format!(
                "not tried: PXCloud at {} has no {} (HTTP 404/405), so a refused PXCLOUD_TOKEN \
                 shows at the first call",
                client.base_url(),
                startup::WHOAMI_PATH
            ),
        ),
        TokenCheck::Refused(refusal) => {
            let mut detail = refusal.detail();
            if let Some(lifetime) = lifetime {
                let _ = write!(detail, " (it {lifetime})");
            }
            fail(NAME, detail, TokenRefusal::FIX)
        }
        TokenCheck::Failed(e) => fail(
            NAME,
            format!(
                "asking PXCloud about PXCLOUD_TOKEN ({}) failed: {e}",
                startup::WHOAMI_PATH
            ),
            "check that PXCloud is healthy and run check again",
        ),
    }
}

/// `PXCLOUD_AUDIT_LOG`: whether the server will be able to open it for appending, found
/// without changing it. An existing file is opened for appending and closed (which writes
/// nothing); a missing one is created the way the server would create it and removed at
/// once, so that permissions, read-only file systems and the like answer for real.
fn audit_log(path: &Path) -> Step {
    const NAME: &str = "audit log";
    let shown = path.display();
    let fix_writable = "point PXCLOUD_AUDIT_LOG (--audit-log) at a file in a writable directory, \
                        or make this one writable for the user the server runs as";
    let cannot = |e: &std::io::Error| format!("cannot open {shown} for appending ({e})");
    let mut where_ = String::new();
    if path.is_relative() {
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| "?".to_owned());
        where_ = format!(
            " (a relative path, taken from the working directory, here {cwd}; MCP clients \
             may start the server elsewhere, so prefer an absolute path)"
        );
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => fail(
            NAME,
            format!("{shown} is a directory"),
            format!(
                "point PXCLOUD_AUDIT_LOG (--audit-log) at a file, e.g. {}",
                path.join("pxcloud-audit.jsonl").display()
            ),
        ),
        Ok(meta) if is_fifo(&meta) => pass(
            NAME,
            format!(
                "{shown} is a named pipe: start-up waits until something reads from it{where_}"
            ),
        ),
        Ok(meta) => match OpenOptions::new().append(true).open(path) {
            Ok(_) if meta.is_file() => pass(
                NAME,
                format!(
                    "{shown} can be appended to (an existing file of {} bytes){where_}",
                    meta.len()
                ),
            ),
            Ok(_) => pass(NAME, format!("{shown} can be appended to{where_}")),
            Err(e) => fail(NAME, cannot(&e), fix_writable),
        },
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            if !parent.is_dir() {
                let elsewhere = "point PXCLOUD_AUDIT_LOG (--audit-log) at a file in a directory \
                                 that exists";
                let (why, fix) = if parent.exists() {
                    ("is not a directory", elsewhere.to_owned())
                } else {
                    (
                        "does not exist",
                        format!("create the directory {}, or {elsewhere}", parent.display()),
                    )
                };
                return fail(
                    NAME,
                    format!(
                        "cannot open {shown} for appending: {} {why}",
                        parent.display()
                    ),
                    fix,
                );
            }
            match OpenOptions::new().append(true).create_new(true).open(path) {
                Ok(file) => {
                    drop(file);
                    let _ = std::fs::remove_file(path);
                    pass(
                        NAME,
                        format!("{shown} does not exist yet; the server will create it{where_}"),
                    )
                }
                Err(e) => fail(NAME, cannot(&e), fix_writable),
            }
        }
        Err(e) => fail(NAME, cannot(&e), fix_writable),
    }
}

#[cfg(unix)]
fn is_fifo(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    meta.file_type().is_fifo()
}

#[cfg(not(unix))]
fn is_fifo(_meta: &std::fs::Metadata) -> bool {
    false
}

fn connection_failure(e: &pxcloud_client::Error, config: &Config) -> Step {
    match e.kind() {
        ErrorKind::Tls => {
            let fix = match e.fingerprint() {
                Some(fp) => format!(
                    "if this is your PXCloud's certificate, pin it: PXCLOUD_TLS_FINGERPRINT={fp} \
                     (or trust its CA with PXCLOUD_CA_FILE=/path/to/ca.pem)"
                ),
                None => "trust PXCloud's CA with PXCLOUD_CA_FILE or pin its certificate with PXCLOUD_TLS_FINGERPRINT".to_owned(),
            };
            fail("reachability and TLS", e.to_string(), fix)
        }
        ErrorKind::Timeout => fail(
            "reachability and TLS",
            e.to_string(),
            format!(
                "check that PXCloud runs and {} is reachable from here (firewall, port, host name); \
                 if PXCloud is merely slow, raise PXCLOUD_TIMEOUT_SECS (now {})",
                config.url,
                config.timeout.as_secs()
            ),
        ),
        ErrorKind::Transport => fail(
            "reachability and TLS",
            e.to_string(),
            format!(
                "check that PXCloud runs and {} is reachable from here (firewall, port, host name)",
                config.url
            ),
        ),
        _ => fail(
            "reachability and TLS",
            e.to_string(),
            "check that PXCLOUD_URL is PXCloud's base URL (it must serve /api-docs/openapi.json)",
        ),
    }
}

/// PXCloud answered the document request with an error status.
fn spec_failure(e: &pxcloud_client::Error, config: &Config) -> Step {
    let fix = match e.status() {
        Some(status @ (502..=504)) => format!(
            "the gateway in front of PXCloud answered {status}: PXCloud is down, starting or \
             overloaded; check its health and run check again (PXCLOUD_URL {} is answered, \
             so keep it unless it points at the wrong service)",
            config.url
        ),
        Some(status) if status >= 500 => format!(
            "PXCloud is reachable but failing (HTTP {status}): check its health and logs and run \
             check again; if PXCLOUD_URL ({}) points at a proxy or another service, correct it",
            config.url
        ),
        Some(401 | 403) => {
            "PXCloud protects its OpenAPI document: check PXCLOUD_USER and PXCLOUD_PASS (or \
             PXCLOUD_TOKEN), which must be allowed to read it"
                .to_owned()
        }
        _ => "check that PXCLOUD_URL is PXCloud's base URL (it must serve /api-docs/openapi.json)"
            .to_owned(),
    };
    fail("OpenAPI document", e.to_string(), fix)
}

/// `PXCLOUD_TLS_VERIFY=false` against an https:// PXCloud: always a failed step, whose fix
/// names the certificate PXCloud presents right now, so that pinning it is one paste away.
async fn insecure_tls(config: &Config) -> Step {
    const DETAIL: &str = "verification is off (PXCLOUD_TLS_VERIFY=false): anyone on the network \
                          path can impersonate PXCloud and read the credentials";
    let fix = match presented_fingerprint(config).await {
        Some(fp) => format!(
            "pin the certificate PXCloud presents now, after comparing it with the one PXCloud \
             itself shows: PXCLOUD_TLS_FINGERPRINT={fp}, and drop PXCLOUD_TLS_VERIFY=false"
        ),
        None => "pin PXCloud's certificate with PXCLOUD_TLS_FINGERPRINT or trust its CA with \
                 PXCLOUD_CA_FILE, and drop PXCLOUD_TLS_VERIFY=false"
            .to_owned(),
    };
    fail("tls settings", DETAIL, fix)
}

/// The SHA-256 fingerprint of the certificate PXCloud presents: a client pinned to a
/// fingerprint no certificate has is refused, and the refusal names the real one.
async fn presented_fingerprint(config: &Config) -> Option<String> {
    let mut probe = config.clone();
    probe.tls = TlsSetting::Fingerprint("00".repeat(32));
    let client = Client::new(startup::client_config(&probe).ok()?).ok()?;
    let error = client.fetch_spec().await.err()?;
    error.fingerprint().map(str::to_owned)
}

/// Renders the steps for a terminal.
pub fn render(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        let _ = writeln!(
            out,
            "[{}] {}: {}",
            if s.ok { " ok " } else { "FAIL" },
            s.name,
            s.detail
        );
        if let Some(fix) = &s.fix {
            let _ = writeln!(out, "       fix: {fix}");
        }
    }
    out
}
