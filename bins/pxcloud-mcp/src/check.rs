//! `pxcloud-mcp check`: a doctor for users. Each step says what it found and, when it fails,
//! what to change.

use std::fmt::Write as _;

use pxcloud_client::{Client, ErrorKind};

use crate::app::startup;
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

/// Runs every check it can; stops at the first step the later ones depend on.
pub async fn run(config: &Config) -> Vec<Step> {
    let mut steps = Vec::new();
    let tls = match &config.tls {
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
    if config.tls == TlsSetting::Insecure {
        steps.push(fail(
            "tls settings",
            "verification is off: anyone on the path can impersonate PXCloud and read the password",
            "pin the certificate instead: PXCLOUD_TLS_FINGERPRINT=<the fingerprint printed below>",
        ));
    }
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
        steps.push(fail("warning", w.clone(), "see docs/security.md"));
    }
    let spec = match client.fetch_spec().await {
        Ok(spec) => {
            steps.push(pass(
                "reachability and TLS",
                format!("{} answered over a trusted connection", config.url),
            ));
            spec
        }
        Err(e) => {
            steps.push(connection_failure(&e, config));
            return steps;
        }
    };
    match client.login().await {
        Ok(()) => steps.push(pass("login", format!("logged in with {auth}"))),
        Err(e) => steps.push(fail(
            "login",
            e.to_string(),
            match &config.auth {
                Some(AuthSetting::Token(_)) => "set a valid PXCLOUD_TOKEN, or use PXCLOUD_USER and PXCLOUD_PASS",
                _ => "check PXCLOUD_USER and PXCLOUD_PASS (the account may be locked or need MFA: see the message)",
            },
        )),
    }
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
        ErrorKind::Timeout | ErrorKind::Transport => fail(
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
