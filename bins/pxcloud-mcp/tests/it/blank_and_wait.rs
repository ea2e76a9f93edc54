//! Two start-up edges, through the real binary (and the configuration stage in process):
//!
//! - A variable set to an empty or blank value, as docker-compose files and MCP client
//!   configurations that template every variable produce: an optional setting counts as unset
//!   (clap would otherwise refuse an empty path with a message naming the flag, not the
//!   variable); a required one stops start-up with one sentence naming the variable.
//! - `--wait` against a PXCloud that refuses the credentials: the wait ends at once with the
//!   same sentence as without `--wait` (a wrong password does not fix itself), while a PXCloud
//!   that is not up yet is still waited for.

use std::process::{Command, Output, Stdio};

use clap::CommandFactory;
use pxcloud_mcp::cli::{Cli, RawOptions};
use pxcloud_mcp::config::{Config, Purpose, TlsSetting, Transport};
use pxcloud_sim::{Sim, SimConfig};
use serde_json::json;

use crate::client::{self, StdioClient, with_password};
use crate::process::{self, Exit, exits_within, free_port};

const PETSTORE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../specs/oai-petstore-3.0.json"
);
const VM: &str = "cluster1:pve1:100";
const LOGIN_PATH: &str = "/api/auth/login";
const WHOAMI: &str = "/api/auth/me";
/// An empty value, and one of only whitespace.
const BLANKS: [&str; 2] = ["", " \t "];
/// Settings where an empty value is a value, not "unset": the tool prefix may be empty.
const EMPTY_IS_A_VALUE: [&str; 1] = ["PXCLOUD_TOOL_PREFIX"];
/// Settings that must not be empty.
const REQUIRED: [&str; 1] = ["PXCLOUD_URL"];

/// Every environment variable of the clap definition.
fn variables() -> Vec<String> {
    let vars: Vec<String> = Cli::command()
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    assert!(vars.len() >= 25, "{vars:?}");
    vars
}

/// `pxcloud-mcp tools --spec-file <petstore> --json` with exactly `env`.
fn offline_tools(env: &[(&str, &str)]) -> Output {
    let mut cmd = client::binary();
    cmd.envs(env.iter().copied())
        .args(["tools", "--spec-file", PETSTORE, "--json"])
        .stdin(Stdio::null());
    cmd.output().expect("run pxcloud-mcp tools")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The one line of a configuration error, checked: exit code 2, nothing on stdout, and the
/// line followed by nothing but the pointer to `--help`.
fn configuration_error(what: &str, out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
    assert!(out.stdout.is_empty(), "{what}: stdout is for MCP only");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.get(1).copied(),
        Some("Run `pxcloud-mcp --help` for every setting and its default."),
        "{what}: {stderr}"
    );
    assert_eq!(lines.len(), 2, "{what}: one message: {stderr}");
    lines[0].to_owned()
}

// ---------------------------------------------------------------------------------------
// Empty and blank settings.

/// Every optional variable set to "" or to blanks gives what leaving it out gives; before,
/// `PXCLOUD_CA_FILE=` and `PXCLOUD_AUDIT_LOG=` failed in the argument parser ("a value is
/// required for '--audit-log <FILE>'"), `PXCLOUD_SECRET=` as too short, and a blank
/// `PXCLOUD_PASS` as a password without a user name.
#[test]
fn a_blank_optional_variable_is_unset() {
    let baseline = offline_tools(&[]);
    assert!(baseline.status.success(), "{}", text(&baseline.stderr));
    let variables = variables();
    let optional = variables
        .iter()
        .filter(|v| !REQUIRED.contains(&v.as_str()) && !EMPTY_IS_A_VALUE.contains(&v.as_str()));
    for var in optional {
        for blank in BLANKS {
            let what = format!("{var}={blank:?}");
            let out = offline_tools(&[(var, blank)]);
            assert!(out.status.success(), "{what}: {}", text(&out.stderr));
            assert_eq!(
                text(&out.stdout),
                text(&baseline.stdout),
                "{what}: the tools of an unset {var}"
            );
        }
    }
}

/// The tool prefix is the one setting where empty is a value (documented: "may be empty"):
/// no prefix. Blanks are the same, since whitespace never belongs to a prefix.
#[test]
fn an_empty_tool_prefix_is_no_prefix() {
    for blank in BLANKS {
        let out = offline_tools(&[("PXCLOUD_TOOL_PREFIX", blank)]);
        assert!(out.status.success(), "{blank:?}: {}", text(&out.stderr));
        let tools: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let names: Vec<&str> = tools
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        assert!(names.contains(&"listPets"), "{blank:?}: {names:?}");
        assert!(!names.contains(&"pxcloud_listPets"), "{blank:?}: {names:?}");
    }
}

/// `PXCLOUD_URL=` is not the default URL: it stops with one sentence naming the variable.
#[test]
fn a_blank_url_stops_naming_the_variable() {
    for blank in BLANKS {
        for args in [&[][..], &["tools", "--spec-file", PETSTORE][..]] {
            let what = format!("PXCLOUD_URL={blank:?} {args:?}");
            let mut cmd = client::binary();
            cmd.env("PXCLOUD_URL", blank)
                .env("PXCLOUD_USER", "admin")
                .env("PXCLOUD_PASS", "hunter2-password")
                .args(args)
                .stdin(Stdio::null());
            let out = cmd.output().expect("run");
            assert_eq!(
                configuration_error(&what, &out),
                "pxcloud-mcp: configuration error: PXCLOUD_URL (--url): is empty: set it to \
                 PXCloud's base URL, e.g. https://pxcloud.example:8443, or remove it for the \
                 default https://localhost:8443",
                "{what}"
            );
            assert!(!text(&out.stderr).contains("hunter2-password"));
        }
    }
}

/// Credentials are required to connect: a blank one is named in the one sentence that says
/// what is missing.
#[test]
fn blank_credentials_are_named() {
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("PXCLOUD_USER", "admin"), ("PXCLOUD_PASS", "")],
            "PXCLOUD_PASS (--pass): is empty, but PXCLOUD_USER is set: set the password, or \
             use PXCLOUD_TOKEN instead",
        ),
        (
            &[("PXCLOUD_USER", " "), ("PXCLOUD_PASS", "hunter2-password")],
            "PXCLOUD_USER (--user): is empty, but PXCLOUD_PASS is set: set the user name, or \
             use PXCLOUD_TOKEN instead",
        ),
        (
            &[("PXCLOUD_TOKEN", "")],
            "PXCLOUD_TOKEN (--token): no credentials: PXCLOUD_TOKEN is empty; set PXCLOUD_USER \
             and PXCLOUD_PASS, or PXCLOUD_TOKEN",
        ),
        (
            &[
                ("PXCLOUD_USER", ""),
                ("PXCLOUD_PASS", " "),
                ("PXCLOUD_TOKEN", ""),
            ],
            "PXCLOUD_USER (--user): no credentials: PXCLOUD_USER, PXCLOUD_PASS and \
             PXCLOUD_TOKEN are empty; set PXCLOUD_USER and PXCLOUD_PASS, or PXCLOUD_TOKEN",
        ),
        (
            &[("PXCLOUD_USER", "\t"), ("PXCLOUD_PASS", "")],
            "PXCLOUD_USER (--user): no credentials: PXCLOUD_USER and PXCLOUD_PASS are empty; \
             set PXCLOUD_USER and PXCLOUD_PASS, or PXCLOUD_TOKEN",
        ),
    ];
    for (env, want) in cases {
        let what = format!("{env:?}");
        let mut cmd = client::binary();
        cmd.envs(env.iter().copied()).stdin(Stdio::null());
        let out = cmd.output().expect("run");
        assert_eq!(
            configuration_error(&what, &out),
            format!("pxcloud-mcp: configuration error: {want}"),
            "{what}"
        );
        assert!(!text(&out.stderr).contains("hunter2-password"));
    }
    // A blank token next to a password is simply unset.
    let out = offline_tools(&[
        ("PXCLOUD_USER", "admin"),
        ("PXCLOUD_PASS", "hunter2-password"),
        ("PXCLOUD_TOKEN", " "),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn with_creds() -> RawOptions {
    RawOptions {
        user: Some("admin".into()),
        pass: Some("s3cret-pass".into()),
        ..RawOptions::default()
    }
}

fn raw_with_token() -> RawOptions {
    RawOptions {
        token: Some("eyJ.token".into()),
        ..RawOptions::default()
    }
}

/// In process, every optional raw value set blank: the configuration is the one where it
/// is unset (compared through `Debug`, which shows every field and masks secrets).
#[test]
fn each_blank_raw_value_is_the_unset_configuration() {
    type Set = fn(&mut RawOptions, &str);
    let setters: [(&str, Set); 25] = [
        ("token", |r, v| r.token = Some(v.into())),
        ("tls_verify", |r, v| r.tls_verify = Some(v.into())),
        ("ca_file", |r, v| r.ca_file = Some(v.into())),
        ("tls_fingerprint", |r, v| r.tls_fingerprint = Some(v.into())),
        ("tools", |r, v| r.tools = Some(v.into())),
        ("allow_delete", |r, v| r.allow_delete = Some(v.into())),
        ("read_only", |r, v| r.read_only = Some(v.into())),
        ("profile", |r, v| r.profile = Some(v.into())),
        ("strict", |r, v| r.strict = Some(v.into())),
        ("dry_run", |r, v| r.dry_run = Some(v.into())),
        ("confirm_ttl_secs", |r, v| {
            r.confirm_ttl_secs = Some(v.into())
        }),
        ("audit_log", |r, v| r.audit_log = Some(v.into())),
        ("exclude_paths", |r, v| r.exclude_paths = Some(v.into())),
        ("destructive_patterns", |r, v| {
            r.destructive_patterns = Some(v.into());
        }),
        ("tool_mode", |r, v| r.tool_mode = Some(v.into())),
        ("spec_refresh_secs", |r, v| {
            r.spec_refresh_secs = Some(v.into());
        }),
        ("max_result_bytes", |r, v| {
            r.max_result_bytes = Some(v.into())
        }),
        ("timeout_secs", |r, v| r.timeout_secs = Some(v.into())),
        ("secret", |r, v| r.secret = Some(v.into())),
        ("http", |r, v| r.http = Some(v.into())),
        ("http_token", |r, v| r.http_token = Some(v.into())),
        ("http_allowed_origins", |r, v| {
            r.http_allowed_origins = Some(v.into());
        }),
        ("log_level", |r, v| r.log_level = Some(v.into())),
        // The credentials, next to a complete other kind (the base then has none of them).
        ("user", |r, v| {
            *r = raw_with_token();
            r.user = Some(v.into());
        }),
        ("pass", |r, v| {
            *r = raw_with_token();
            r.pass = Some(v.into());
        }),
    ];
    for (name, set) in setters {
        let base = if matches!(name, "user" | "pass") {
            raw_with_token()
        } else {
            with_creds()
        };
        let want = format!(
            "{:?}",
            Config::from_raw(&base, Purpose::Connect).expect("the unset configuration")
        );
        for blank in BLANKS {
            let mut raw = with_creds();
            set(&mut raw, blank);
            let got = Config::from_raw(&raw, Purpose::Connect)
                .unwrap_or_else(|e| panic!("{name}={blank:?}: {e}"));
            assert_eq!(format!("{got:?}"), want, "{name}={blank:?}");
        }
    }

    // What the blank values stand for, spelled out.
    let mut raw = with_creds();
    raw.ca_file = Some("".into());
    raw.audit_log = Some(" ".into());
    raw.secret = Some(String::new());
    raw.http = Some("127.0.0.1:8765".into());
    raw.http_token = Some("  ".into());
    let config = Config::from_raw(&raw, Purpose::Connect).expect("valid");
    assert_eq!(config.tls, TlsSetting::Verify);
    assert_eq!(config.audit_log, None);
    assert!(config.secret.is_none(), "a random key per process");
    assert!(matches!(
        config.transport,
        Transport::Http { token: None, .. }
    ));
    // Around a real HTTP token, whitespace (which no header value carries) is dropped.
    raw.http_token = Some(" 0123456789abcdef\n".into());
    let config = Config::from_raw(&raw, Purpose::Connect).expect("valid");
    assert!(
        matches!(&config.transport, Transport::Http { token: Some(t), .. } if t.expose() == "0123456789abcdef")
    );
    raw.http_token = Some("  ".into());
    // A blank HTTP token is no token, which a non-loopback address needs.
    raw.http = Some("0.0.0.0:8765".into());
    let error = Config::from_raw(&raw, Purpose::Connect).expect_err("needs a token");
    assert_eq!(error.setting.env, "PXCLOUD_HTTP_TOKEN", "{error}");
}

/// A client configuration that templates every variable, most of them empty: the server
/// starts against PXCloud and serves, the blank settings being their defaults.
#[tokio::test(flavor = "multi_thread")]
async fn a_configuration_that_templates_every_variable_serves() {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("simulator starts");
    let mut cmd = client::binary();
    for (i, var) in variables().iter().enumerate() {
        // The prefix keeps its default here (empty would be no prefix, by design).
        if !EMPTY_IS_A_VALUE.contains(&var.as_str()) {
            cmd.env(var, BLANKS[i % 2]);
        }
    }
    cmd.env("PXCLOUD_URL", sim.url())
        .env("PXCLOUD_USER", pxcloud_sim::ADMIN_USER)
        .env("PXCLOUD_PASS", pxcloud_sim::ADMIN_PASSWORD);
    let mut c = StdioClient::spawn(cmd);
    c.initialize("2025-06-18", json!({}));
    let got = c.call(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
    );
    assert_eq!(
        got["result"]["structuredContent"]["data"]["id"],
        VM,
        "{got}\n{}",
        c.stderr()
    );
    let finished = c.finish();
    assert!(finished.status.success(), "{}", finished.stderr);
}

// ---------------------------------------------------------------------------------------
// `--wait` and refused credentials.

/// Runs `cmd` until it exits by itself. One still running after a minute is killed and the
/// test fails: without the fix, `--wait` against a refused password ran for about five
/// minutes. (The limit only guards against that hang; the tests assert what happened, not
/// how fast.)
fn exits(cmd: Command) -> Exit {
    exits_within(cmd, process::PATIENCE)
}

/// The one `pxcloud-mcp: error:` line of a failed start-up.
fn error_line(what: &str, exit: &Exit) -> String {
    assert_eq!(exit.code, Some(1), "{what}: {}", exit.stderr);
    assert!(exit.stdout.is_empty(), "{what}: stdout is for MCP only");
    process::error_line(what, &exit.stderr)
}

fn with_token(url: &str, token: &str) -> Command {
    let mut cmd = client::binary();
    cmd.env("PXCLOUD_URL", url).env("PXCLOUD_TOKEN", token);
    cmd
}

/// A refused password or token ends `--wait` at the first answer, with the sentence start-up
/// gives without `--wait`; one login (or one who-am-I) was tried, nothing retried.
#[tokio::test(flavor = "multi_thread")]
async fn wait_ends_at_once_when_pxcloud_refuses_the_credentials() {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("simulator starts");
    let url = sim.url();
    let password = "Wr0ng-Pa55word-4711";
    let token = "not-a-token-0123456789";
    type Make = fn(&str, &str) -> Command;
    let cases: [(&str, Make, &str, (&str, &str)); 2] = [
        ("password", with_password, password, ("POST", LOGIN_PATH)),
        ("token", with_token, token, ("GET", WHOAMI)),
    ];
    for (name, make, secret, (method, path)) in cases {
        let plain = exits(make(&url, secret));
        let want = error_line(name, &plain);
        for extra in [&["--wait"][..], &["--wait", "--http", "127.0.0.1:0"][..]] {
            let what = format!("{name} {extra:?}");
            let before = sim.log().count(method, path);
            let mut cmd = make(&url, secret);
            cmd.args(extra);
            let exit = exits(cmd);
            assert_eq!(error_line(&what, &exit), want, "{what}");
            assert!(
                !exit.stderr.contains("retrying"),
                "{what}: a refusal is not retried: {}",
                exit.stderr
            );
            assert!(!exit.stderr.contains(secret), "{what}: the secret leaked");
            assert_eq!(
                sim.log().count(method, path) - before,
                1,
                "{what}: asked once"
            );
        }
    }
}

/// `--wait` still waits for a PXCloud that is not up yet (connection refused), and the
/// refusal it meets once PXCloud answers ends the wait.
#[tokio::test(flavor = "multi_thread")]
async fn wait_waits_for_pxcloud_then_stops_at_the_refusal() {
    for name in ["password", "token"] {
        let port = free_port();
        let url = format!("http://127.0.0.1:{port}");
        let mut cmd = match name {
            "password" => with_password(&url, "Wr0ng-Pa55word-4711"),
            _ => with_token(&url, "not-a-token-0123456789"),
        };
        cmd.arg("--wait");
        let (watch, sim) = process::late_sim(port);
        let exit = tokio::task::spawn_blocking(move || {
            process::exits_watching(cmd, process::PATIENCE, Some(watch))
        })
        .await
        .expect("server exits");
        let sim = sim.up(|| exit.stderr.clone()).await;
        let line = error_line(name, &exit);
        let want = match name {
            "password" => "pxcloud-mcp: error: PXCloud refused the login for user \"admin\" \
                           (HTTP 401): wrong user name or password; check PXCLOUD_USER and \
                           PXCLOUD_PASS"
                .to_owned(),
            _ => format!(
                "pxcloud-mcp: error: PXCloud at {url} refused PXCLOUD_TOKEN (HTTP 401): token \
                 is malformed; set a valid PXCLOUD_TOKEN, or remove it and set PXCLOUD_USER \
                 and PXCLOUD_PASS"
            ),
        };
        assert_eq!(line, want, "{name}");
        assert!(
            exit.stderr.contains("cannot connect to PXCloud") && exit.stderr.contains("(--wait)"),
            "{name}: it waited for PXCloud to come up: {}",
            exit.stderr
        );
        let (method, path) = match name {
            "password" => ("POST", LOGIN_PATH),
            _ => ("GET", WHOAMI),
        };
        assert_eq!(
            sim.log().count(method, path),
            1,
            "{name}: one refusal, not retried"
        );
    }
}

/// A failing PXCloud (HTTP 503 for its document) is still waited for; a refused password at
/// the same time ends the wait, since waiting could not fix it.
#[tokio::test(flavor = "multi_thread")]
async fn wait_waits_through_a_failing_pxcloud_but_not_a_refusal() {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("simulator starts");
    sim.faults().set_spec_failure(Some(503));
    let exit = exits({
        let mut cmd = with_password(&sim.url(), "Wr0ng-Pa55word-4711");
        cmd.arg("--wait");
        cmd
    });
    assert!(
        error_line("503 and refused", &exit).contains("PXCloud refused the login"),
        "{}",
        exit.stderr
    );
    assert!(!exit.stderr.contains("retrying"), "{}", exit.stderr);

    // The right password: the 503 is waited for until PXCloud recovers, which it does once
    // the server has said it is retrying.
    let faults = sim.faults();
    let (watch, retrying) = process::watch("(--wait)");
    let recover = tokio::spawn(async move {
        let said = retrying.within_patience().await;
        faults.set_spec_failure(None);
        said
    });
    let mut cmd = with_password(&sim.url(), pxcloud_sim::ADMIN_PASSWORD);
    cmd.arg("--wait");
    let mut c = StdioClient::spawn_watching(cmd, Some(watch));
    c.initialize("2025-06-18", json!({}));
    let said = recover.await.expect("recovered");
    let stderr = c.stderr();
    assert!(said, "the server never said it retries (--wait): {stderr}");
    assert!(
        stderr.contains("503") && stderr.contains("(--wait)"),
        "the failing document was retried: {stderr}"
    );
}
