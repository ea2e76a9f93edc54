//! The binary's command line, through the real binary against pxcloud-sim: help text, exit
//! codes, where errors and logs go (and that no secret reaches them), start-up against a
//! PXCloud that refuses, fails, is slow or is not up yet (`--wait`), `check`, and the
//! configuration reference's examples.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use clap::CommandFactory;
use pxcloud_mcp::cli::{Cli, RawOptions};
use pxcloud_mcp::config::{Config, Purpose, TlsSetting, ToolMode};
use pxcloud_sim::{Sim, SimConfig};
use serde_json::{Value, json};

use crate::client::{self, HttpServer, StdioClient, modern_meta, with_password};
use crate::process::{self, Exit, error_line, exits_within, free_port};

const VM: &str = "cluster1:pve1:100";
const SPEC_PATH: &str = "/api-docs/openapi.json";
const LOGIN_PATH: &str = "/api/auth/login";

fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pxcloud-mcp"));
    // A clean environment, so a developer's PXCLOUD_* settings cannot change the outcome.
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd
}

async fn sim() -> Sim {
    Sim::start(SimConfig {
        task_step: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

async fn https_sim() -> Sim {
    Sim::start(SimConfig {
        tls: true,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

#[test]
fn clap_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn invalid_configuration_exits_2_naming_the_variable() {
    let out = bin()
        .env("PXCLOUD_USER", "admin")
        .env("PXCLOUD_PASS", "hunter2-password")
        .env("PXCLOUD_ALLOW_DELETE", "sometimes")
        .output()
        .expect("run pxcloud-mcp");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "stdout is reserved for MCP messages");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("PXCLOUD_ALLOW_DELETE"), "{stderr}");
    assert!(
        !stderr.contains("hunter2-password"),
        "password leaked: {stderr}"
    );
    assert_eq!(
        stderr.lines().filter(|l| l.contains("error")).count(),
        1,
        "one message: {stderr}"
    );
}

#[test]
fn missing_credentials_exit_2() {
    let out = bin().output().expect("run pxcloud-mcp");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("PXCLOUD_USER") && stderr.contains("PXCLOUD_TOKEN"),
        "{stderr}"
    );
}

#[test]
fn configuration_reference_documents_every_variable_and_flag() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/configuration.md"
    ))
    .expect("docs/configuration.md");
    let command = Cli::command();
    for arg in command.get_arguments() {
        if let Some(long) = arg.get_long().filter(|l| !matches!(*l, "help" | "version")) {
            assert!(
                doc.contains(&format!("`--{long}`")),
                "docs/configuration.md lacks --{long}"
            );
        }
        if let Some(env) = arg.get_env() {
            let env = env.to_string_lossy();
            assert!(
                doc.contains(&format!("`{env}`")),
                "docs/configuration.md lacks {env}"
            );
        }
    }
}

#[test]
fn tools_json_prints_the_tools_list_objects_offline() {
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../specs/oai-petstore-3.0.json"
    );
    let out = bin()
        .args(["tools", "--spec-file", spec, "--json"])
        .output()
        .expect("run tools");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tools: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON array");
    let names: Vec<&str> = tools
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    for name in [
        "pxcloud_listPets",
        "pxcloud_createPets",
        "pxcloud_showPetById",
        "pxcloud_wait_task",
    ] {
        assert!(names.contains(&name), "{name} missing: {names:?}");
    }
    let show = tools
        .as_array()
        .expect("array")
        .iter()
        .find(|t| t["name"] == "pxcloud_showPetById")
        .expect("tool");
    assert_eq!(
        show["inputSchema"]["required"],
        serde_json::json!(["petId"])
    );
    assert_eq!(show["annotations"]["readOnlyHint"], true);
    assert_eq!(show["_meta"]["path"], "/pets/{petId}");

    let table = bin()
        .args(["tools", "--spec-file", spec, "--tool-prefix", "pet_"])
        .output()
        .expect("run tools");
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("pet_listPets") && text.contains("GET") && text.contains("/pets"),
        "{text}"
    );

    let missing = bin()
        .args(["tools", "--spec-file", "/nonexistent.json"])
        .output()
        .expect("run tools");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent.json"));
}

// ---------------------------------------------------------------------------------------
// Start-up failures: a clear message, a non-zero exit, never a silent hang.

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_stops_start_up_naming_the_login_failure() {
    let sim = sim().await;
    let password = "Wr0ng-Pa55word-4711";
    for extra in [&[][..], &["--http", "127.0.0.1:0"][..]] {
        let mut cmd = with_password(&sim.url(), password);
        cmd.args(extra);
        let exit = exits_within(cmd, Duration::from_secs(10));
        let what = format!("{extra:?}");
        assert_eq!(exit.code, Some(1), "{what}: {}", exit.stderr);
        assert!(exit.stdout.is_empty(), "{what}: stdout is for MCP only");
        assert_eq!(
            error_line(&what, &exit.stderr),
            "pxcloud-mcp: error: PXCloud refused the login for user \"admin\" (HTTP 401): \
             wrong user name or password; check PXCLOUD_USER and PXCLOUD_PASS",
            "{what}"
        );
        assert!(
            !exit.stderr.contains("endpoint http://"),
            "{what}: nothing is served: {}",
            exit.stderr
        );
        assert!(
            !exit.stderr.contains(password),
            "{what}: password leaked: {}",
            exit.stderr
        );
    }
    assert_eq!(sim.log().count("POST", LOGIN_PATH), 2, "one login per run");
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_spec_endpoint_stops_start_up_naming_the_status() {
    let sim = sim().await;
    sim.faults().set_spec_failure(Some(500));
    let exit = exits_within(
        with_password(&sim.url(), pxcloud_sim::ADMIN_PASSWORD),
        Duration::from_secs(10),
    );
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    assert!(exit.stdout.is_empty());
    let line = error_line("HTTP 500", &exit.stderr);
    assert!(
        line.starts_with(&format!(
            "pxcloud-mcp: error: fetching PXCloud's OpenAPI document from {}{SPEC_PATH} failed: \
             HTTP 500 Internal Server Error",
            sim.url()
        )) && line.ends_with(
            "PXCloud failed: see its logs, or start with --wait to retry until it recovers"
        ),
        "{line}"
    );
    assert!(sim.log().count("GET", SPEC_PATH) >= 1);
}

/// A spec endpoint that never answers in time: the server gives up after its timeout and
/// says so.
///
/// `PXCLOUD_TIMEOUT_SECS` bounds the document fetch, all attempts included: with 1 s the
/// server gives up after about a second (the bound leaves room for process start and login).
#[tokio::test(flavor = "multi_thread")]
async fn slow_spec_endpoint_stops_start_up_after_the_timeout() {
    let sim = sim().await;
    sim.faults().set_spec_delay(Duration::from_secs(20));
    let mut cmd = with_password(&sim.url(), pxcloud_sim::ADMIN_PASSWORD);
    cmd.env("PXCLOUD_TIMEOUT_SECS", "1");
    let exit = exits_within(cmd, Duration::from_secs(8));
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    assert!(exit.stdout.is_empty());
    assert!(
        exit.elapsed < Duration::from_secs(3),
        "PXCLOUD_TIMEOUT_SECS=1 bounds the whole fetch: {:?}",
        exit.elapsed
    );
    assert!(
        exit.elapsed >= Duration::from_secs(1),
        "it waited for the document: {:?}",
        exit.elapsed
    );
    let line = error_line("slow document", &exit.stderr);
    assert!(
        line.starts_with(&format!(
            "pxcloud-mcp: error: PXCloud at {0} did not send its OpenAPI document ({0}{SPEC_PATH}) within 1.",
            sim.url()
        )) && line.ends_with(" s; check that it is running and reachable, or raise PXCLOUD_TIMEOUT_SECS"),
        "{line}"
    );
}

/// PXCloud that does not answer at all in time (every request slow): the login is what
/// start-up waited for, and the message says so with the setting that bounds the wait.
#[tokio::test(flavor = "multi_thread")]
async fn slow_login_stops_start_up_naming_the_timeout_setting() {
    let sim = sim().await;
    sim.faults().set_latency(Duration::from_secs(20));
    let mut cmd = with_password(&sim.url(), pxcloud_sim::ADMIN_PASSWORD);
    cmd.env("PXCLOUD_TIMEOUT_SECS", "1");
    let exit = exits_within(cmd, Duration::from_secs(8));
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    assert!(exit.stdout.is_empty());
    let line = error_line("slow login", &exit.stderr);
    assert!(
        line.starts_with(&format!(
            "pxcloud-mcp: error: PXCloud at {} did not answer the login within 1.",
            sim.url()
        )) && line
            .ends_with(" s; check that it is running and reachable, or raise PXCLOUD_TIMEOUT_SECS"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_pxcloud_without_wait_exits_at_once() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let exit = exits_within(
        with_password(&url, pxcloud_sim::ADMIN_PASSWORD),
        Duration::from_secs(5),
    );
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    assert!(exit.stdout.is_empty());
    let line = error_line("unreachable", &exit.stderr);
    assert!(
        line.starts_with(&format!(
            "pxcloud-mcp: error: cannot connect to PXCloud at {url} ("
        )) && line.ends_with("); check PXCLOUD_URL and that PXCloud is running"),
        "{line}"
    );
    assert!(
        !exit.stderr.contains("retrying"),
        "no retries without --wait: {}",
        exit.stderr
    );
}

/// A web server that is not PXCloud (an HTML page for every request): the usual result of a
/// PXCLOUD_URL pointing at the wrong port or host.
fn not_pxcloud() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
            let mut buf = [0u8; 4096];
            while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
            let page = "<html>It works!</html>";
            let _ = std::io::Write::write_all(
                &mut stream,
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                    page.len()
                )
                .as_bytes(),
            );
        }
    });
    url
}

#[test]
fn an_address_that_is_not_pxcloud_is_named_with_the_setting() {
    let url = not_pxcloud();
    let exit = exits_within(
        with_password(&url, pxcloud_sim::ADMIN_PASSWORD),
        Duration::from_secs(10),
    );
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    assert_eq!(
        error_line("not PXCloud", &exit.stderr),
        format!(
            "pxcloud-mcp: error: logging in to PXCloud at {url} as \"admin\" failed: the login answer \
             is not what PXCloud sends (not JSON); check that PXCLOUD_URL is PXCloud's base URL"
        )
    );
    // With a token there is no login at start-up: the document is what shows it.
    let mut cmd = client::binary();
    cmd.env("PXCLOUD_URL", &url).env("PXCLOUD_TOKEN", "t0ken");
    let exit = exits_within(cmd, Duration::from_secs(10));
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    let line = error_line("not PXCloud, token", &exit.stderr);
    assert!(
        line.starts_with(&format!(
            "pxcloud-mcp: error: fetching PXCloud's OpenAPI document from {url}{SPEC_PATH} failed: "
        )) && line.ends_with("is not valid JSON: expected value at line 1 column 1; check that PXCLOUD_URL is PXCloud's base URL"),
        "{line}"
    );
}

/// A `PXCLOUD_AUDIT_LOG` that cannot be opened is reported before any network work: first
/// (even with PXCloud unreachable, or unreachable in a way that takes the whole timeout) and
/// without a request reaching PXCloud.
#[tokio::test(flavor = "multi_thread")]
async fn unusable_audit_log_is_reported_before_connecting() {
    let missing_dir = std::env::temp_dir()
        .join(format!("pxcloud-mcp-it-{}-no-such-dir", std::process::id()))
        .join("audit.jsonl");
    let a_directory = std::env::temp_dir();
    let unreachable = format!("http://127.0.0.1:{}", free_port());
    let sim = sim().await;
    sim.faults().set_latency(Duration::from_secs(20));
    for (path, why) in [
        (&missing_dir, "No such file or directory"),
        (&a_directory, "Is a directory"),
    ] {
        for (url, timeout) in [(unreachable.as_str(), "5"), (sim.url().as_str(), "30")] {
            let what = format!("{} at {url}", path.display());
            let mut cmd = with_password(url, pxcloud_sim::ADMIN_PASSWORD);
            cmd.env("PXCLOUD_AUDIT_LOG", path)
                .env("PXCLOUD_TIMEOUT_SECS", timeout);
            // Well within the 30 s a slow PXCloud would take to time out.
            let exit = exits_within(cmd, Duration::from_secs(10));
            assert_eq!(exit.code, Some(1), "{what}: {}", exit.stderr);
            assert!(exit.stdout.is_empty(), "{what}");
            let line = error_line(&what, &exit.stderr);
            assert!(
                line.starts_with(&format!(
                    "pxcloud-mcp: error: PXCLOUD_AUDIT_LOG (--audit-log): cannot open {} for appending ({why}",
                    path.display()
                )) && line.ends_with("check that it names a file in a directory that exists and is writable"),
                "{what}: {line}"
            );
            assert!(
                !exit.stderr.contains("cannot connect") && !exit.stderr.contains("retrying"),
                "{what}: the audit error comes first: {}",
                exit.stderr
            );
        }
    }
    assert!(!missing_dir.exists());
    assert_eq!(
        sim.log().entries().len(),
        0,
        "nothing reached PXCloud before the audit file was refused"
    );
}

fn assert_retried(stderr: &str) {
    assert!(
        stderr.contains("cannot connect to PXCloud") && stderr.contains("(--wait)"),
        "stderr shows the retries: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_retries_until_pxcloud_is_up_stdio_legacy() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let (watch, sim) = process::late_sim(port);
    let mut c = StdioClient::spawn_watching(client::server(&url, &["--wait"]), Some(watch));
    // The request waits in the pipe until the server is ready.
    c.initialize("2025-06-18", json!({}));
    let sim = sim.up(|| c.stderr()).await;
    let got = c.call(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
    );
    assert_eq!(
        got["result"]["structuredContent"]["data"]["id"], VM,
        "{got}"
    );
    assert_eq!(sim.log().count("POST", LOGIN_PATH), 1);
    assert_retried(&c.stderr());
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_retries_until_pxcloud_is_up_http_modern() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let (watch, sim) = process::late_sim(port);
    // Blocks until the server prints its endpoint, which it does once PXCloud answered.
    let server = HttpServer::spawn_watching(
        client::server(&url, &["--wait", "--http", "127.0.0.1:0"]),
        Some(watch),
    );
    let sim = sim.up(|| server.stderr()).await;
    let got = server.client().modern(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}, "_meta": modern_meta(json!({}))}),
    );
    assert_eq!(
        got["result"]["structuredContent"]["data"]["id"], VM,
        "{got}"
    );
    assert_eq!(sim.log().count("POST", LOGIN_PATH), 1);
    assert_retried(&server.stderr());
}

// ---------------------------------------------------------------------------------------
// Logs: stderr only, at the level asked for, and never a secret.

/// How the server proves itself to PXCloud in a logging test.
enum Credentials {
    Password,
    Token(String),
}

/// Asserts that `text` (`what`) holds none of `secrets`, no bearer header and no JWT.
fn assert_no_secrets(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} leaked {secret:?}:\n{text}");
    }
    // The simulator's tokens (and any JWT) start with the encoded `{"`.
    for marker in ["Bearer ", "eyJ"] {
        assert!(!text.contains(marker), "{what} shows {marker:?}:\n{text}");
    }
}

/// One stdio session with verbose logs: a successful call, a call after PXCloud revoked the
/// token (re-login with a password; a failure with a token), a failing call (404), and a
/// write carrying a password-like argument. Checks stderr and stdout for secrets.
fn secret_session(sim: &Sim, credentials: &Credentials, logging: &[(&str, &str)], flags: &[&str]) {
    let what = format!("{logging:?} {flags:?}");
    let mut cmd = client::binary();
    cmd.env("PXCLOUD_URL", sim.url()).args(flags);
    let token = match credentials {
        Credentials::Password => {
            cmd.env("PXCLOUD_USER", pxcloud_sim::ADMIN_USER)
                .env("PXCLOUD_PASS", pxcloud_sim::ADMIN_PASSWORD);
            None
        }
        Credentials::Token(token) => {
            cmd.env("PXCLOUD_TOKEN", token);
            Some(token.as_str())
        }
    };
    cmd.envs(logging.iter().copied());
    let logins_before = sim.log().count("POST", LOGIN_PATH);
    let user_password = "N3w-User-Secret-99";

    let mut c = StdioClient::spawn(cmd);
    let mut replies = vec![c.initialize("2025-06-18", json!({}))];
    let get = json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}});
    let ok = c.call("tools/call", get.clone());
    assert_eq!(
        ok["result"]["structuredContent"]["ok"], true,
        "{what}: {ok}"
    );
    replies.push(ok);

    sim.faults().revoke_all_tokens();
    let after = c.call("tools/call", get);
    match credentials {
        Credentials::Password => {
            assert_eq!(
                after["result"]["structuredContent"]["ok"], true,
                "{what}: logged in again: {after}"
            );
            assert_eq!(
                sim.log().count("POST", LOGIN_PATH) - logins_before,
                2,
                "{what}: start-up login and the re-login"
            );
        }
        Credentials::Token(_) => {
            assert_eq!(after["result"]["isError"], true, "{what}: {after}");
            assert_eq!(
                after["result"]["structuredContent"]["status"], 401,
                "{after}"
            );
            assert_eq!(sim.log().count("POST", LOGIN_PATH), logins_before);
        }
    }
    replies.push(after);

    let missing = c.call(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": "cluster1:pve1:999"}}),
    );
    assert_eq!(missing["result"]["isError"], true, "{what}: {missing}");
    replies.push(missing);
    // A write that is not destructive, so it runs at once, password and all.
    let username = format!("leaky{}", sim.log().entries().len());
    let write = c.call(
        "tools/call",
        json!({"name": "pxcloud_create_user", "arguments": {
            "username": username, "email": "leaky@example.com", "password": user_password}}),
    );
    let created = matches!(credentials, Credentials::Password);
    assert_eq!(
        write["result"]["structuredContent"]["ok"], created,
        "{what}: {write}"
    );
    replies.push(write);

    let finished = c.finish();
    assert!(finished.status.success(), "{what}: {}", finished.stderr);
    for line in &finished.stdout {
        let msg: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{what}: stdout carried non-JSON {line:?}: {e}"));
        assert_eq!(msg["jsonrpc"], "2.0", "{what}: {line}");
    }
    let levels = ["DEBUG", "TRACE"];
    assert!(
        levels.iter().any(|l| finished.stderr.contains(l)),
        "{what}: verbose logs are on:\n{}",
        finished.stderr
    );
    let mut secrets = vec![pxcloud_sim::ADMIN_PASSWORD, user_password];
    secrets.extend(token);
    assert_no_secrets(&format!("{what}: stderr"), &finished.stderr, &secrets);
    let stdout: Vec<String> = replies
        .iter()
        .map(Value::to_string)
        .chain(finished.stdout)
        .collect();
    assert_no_secrets(&format!("{what}: stdout"), &stdout.join("\n"), &secrets);
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_logs_never_show_the_password() {
    let sim = sim().await;
    secret_session(&sim, &Credentials::Password, &[("RUST_LOG", "trace")], &[]);
    secret_session(&sim, &Credentials::Password, &[], &["--log-level", "debug"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_logs_never_show_the_token() {
    let sim = sim().await;
    for (logging, flags) in [
        (&[("RUST_LOG", "trace")][..], &[][..]),
        (&[][..], &["--log-level", "debug"][..]),
    ] {
        // A fresh token each time: the previous session revoked every token.
        let token = Credentials::Token(sim.issue_token(pxcloud_sim::ADMIN_USER));
        secret_session(&sim, &token, logging, flags);
    }
}

/// Streamable HTTP, 2026-07-28 requests, trace logs: neither the PXCloud password nor the
/// bearer token HTTP clients present appears on stderr.
#[tokio::test(flavor = "multi_thread")]
async fn http_trace_logs_never_show_the_password_or_the_http_token() {
    let sim = sim().await;
    let http_token = "Http-Bearer-Secret-0123456789";
    let mut cmd = client::server(&sim.url(), &["--http", "127.0.0.1:0"]);
    cmd.env("RUST_LOG", "trace")
        .env("PXCLOUD_HTTP_TOKEN", http_token);
    let server = HttpServer::spawn(cmd);
    let bearer = format!("Bearer {http_token}");
    let call = |arguments: Value| {
        let mut resp = client::http(
            &server.addr,
            "POST",
            &[
                ("Authorization", &bearer),
                ("MCP-Protocol-Version", client::MODERN),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", "pxcloud_get_vm"),
            ],
            Some(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "pxcloud_get_vm", "arguments": arguments,
                           "_meta": modern_meta(json!({}))}})),
        );
        assert_eq!(resp.status, 200);
        resp.next_with_id()
    };
    let ok = call(json!({"id": VM}));
    assert_eq!(ok["result"]["structuredContent"]["ok"], true, "{ok}");
    sim.faults().revoke_all_tokens();
    let again = call(json!({"id": VM}));
    assert_eq!(again["result"]["structuredContent"]["ok"], true, "{again}");
    let missing = call(json!({"id": "cluster1:pve1:999"}));
    assert_eq!(missing["result"]["isError"], true, "{missing}");
    // Without the token the request is refused.
    let refused = client::http(
        &server.addr,
        "POST",
        &[
            ("MCP-Protocol-Version", client::MODERN),
            ("Mcp-Method", "ping"),
        ],
        Some(&json!({"jsonrpc": "2.0", "id": 2, "method": "ping",
                     "params": {"_meta": modern_meta(json!({}))}})),
    );
    assert_eq!(refused.status, 401);
    let stderr = server.finish();
    assert!(stderr.contains("TRACE"), "trace logs are on:\n{stderr}");
    assert_no_secrets(
        "stderr",
        &stderr,
        &[pxcloud_sim::ADMIN_PASSWORD, http_token],
    );
}

/// Serves stdio with stdin closed at once (start-up, then a clean exit); returns stderr.
fn start_up_log(sim: &Sim, env: &[(&str, &str)], flags: &[&str]) -> String {
    let mut cmd = with_password(&sim.url(), pxcloud_sim::ADMIN_PASSWORD);
    cmd.envs(env.iter().copied()).args(flags);
    let mut c = StdioClient::spawn(cmd);
    c.initialize("2025-06-18", json!({}));
    let finished = c.finish();
    assert!(finished.status.success(), "{}", finished.stderr);
    finished.stderr
}

/// The documented precedence: `RUST_LOG` (when set) wins over `--log-level`, and the flag
/// wins over `PXCLOUD_LOG_LEVEL`; the default is `info`.
#[tokio::test(flavor = "multi_thread")]
async fn log_level_flag_variable_and_rust_log_precedence() {
    let sim = sim().await;
    const STARTED: &str = "INFO serving MCP on stdio";
    let shows = |log: &str, what: &str| {
        assert!(log.contains(STARTED), "{what}: the info lines show:\n{log}");
        assert!(!log.contains("DEBUG"), "{what}: nothing below info:\n{log}");
    };
    let silent = |log: &str, what: &str| {
        assert!(
            !log.contains(" INFO ") && !log.contains("DEBUG"),
            "{what}: silent:\n{log}"
        );
    };
    shows(&start_up_log(&sim, &[], &[]), "default");
    silent(
        &start_up_log(&sim, &[], &["--log-level", "error"]),
        "--log-level error",
    );
    silent(
        &start_up_log(&sim, &[("PXCLOUD_LOG_LEVEL", "error")], &[]),
        "PXCLOUD_LOG_LEVEL=error",
    );
    silent(
        &start_up_log(
            &sim,
            &[("PXCLOUD_LOG_LEVEL", "info")],
            &["--log-level", "error"],
        ),
        "the flag wins over the variable",
    );
    shows(
        &start_up_log(&sim, &[("RUST_LOG", "info")], &["--log-level", "error"]),
        "RUST_LOG=info wins over --log-level error",
    );
    silent(
        &start_up_log(&sim, &[("RUST_LOG", "error")], &["--log-level", "debug"]),
        "RUST_LOG=error wins over --log-level debug",
    );
    shows(
        &start_up_log(&sim, &[("RUST_LOG", "")], &[]),
        "an empty RUST_LOG counts as unset",
    );
    let debug = start_up_log(&sim, &[("RUST_LOG", " ")], &["--log-level", "debug"]);
    assert!(
        debug.contains("DEBUG") && debug.contains("logged in to PXCloud"),
        "--log-level debug (with a blank RUST_LOG) shows the login:\n{debug}"
    );
    // The level reaches this program's crates only: dependencies stay at warn.
    assert!(
        !debug.contains("connecting to 127.0.0.1"),
        "hyper's debug lines need RUST_LOG:\n{debug}"
    );
}

/// A file path under the temporary directory, unique to this process and `name`; removed
/// when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("pxcloud-mcp-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempFile(path)
    }

    fn lines(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.0)
            .unwrap_or_else(|e| panic!("read {}: {e}", self.0.display()))
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line {l:?}: {e}")))
            .collect()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Arguments of `pxcloud_create_user` carrying a password (and a dry-run variant).
fn new_user(name: &str, password: &str, dry_run: bool) -> Value {
    let mut args = json!({"username": name, "email": format!("{name}@example.com"),
                          "password": password});
    if dry_run {
        args["dry_run"] = json!(true);
    }
    args
}

/// The audit file after a real write and a dry run, both with a password argument.
fn assert_audit(file: &TempFile, what: &str, password: &str, usernames: [&str; 2]) {
    let text = std::fs::read_to_string(&file.0).expect("audit file");
    assert!(
        !text.contains(password),
        "{what}: audit leaked the password:\n{text}"
    );
    let lines = file.lines();
    assert_eq!(
        lines.len(),
        2,
        "{what}: one line per write, none for reads:\n{text}"
    );
    for (line, username) in lines.iter().zip(usernames) {
        assert_eq!(line["tool"], "pxcloud_create_user", "{what}: {line}");
        assert_eq!(line["method"], "POST", "{what}: {line}");
        assert_eq!(line["args"]["password"], "***", "{what}: {line}");
        assert_eq!(line["args"]["username"], username, "{what}: {line}");
    }
    assert_eq!(
        lines[0]["status"], 200,
        "{what}: the write ran: {}",
        lines[0]
    );
    assert_eq!(lines[1]["verdict"], "dry_run", "{what}: {}", lines[1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_lines_mask_password_fields_stdio_legacy() {
    let sim = sim().await;
    let audit = TempFile::new("audit-stdio.jsonl");
    let password = "Audit-Stdio-Secret-42";
    let mut cmd = client::server(&sim.url(), &[]);
    cmd.env("PXCLOUD_AUDIT_LOG", &audit.0);
    let mut c = StdioClient::spawn(cmd);
    c.initialize("2025-06-18", json!({}));
    let read = c.call(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
    );
    assert_eq!(read["result"]["structuredContent"]["ok"], true, "{read}");
    let created = c.call(
        "tools/call",
        json!({"name": "pxcloud_create_user", "arguments": new_user("audits", password, false)}),
    );
    assert_eq!(
        created["result"]["structuredContent"]["ok"], true,
        "{created}"
    );
    let dry = c.call(
        "tools/call",
        json!({"name": "pxcloud_create_user", "arguments": new_user("auditd", password, true)}),
    );
    assert!(
        !dry.to_string().contains(password),
        "dry run shows the password: {dry}"
    );
    let finished = c.finish();
    assert!(!finished.stderr.contains(password), "{}", finished.stderr);
    assert_eq!(
        sim.log().count("POST", "/api/users"),
        1,
        "the dry run sent nothing"
    );
    assert_audit(&audit, "stdio", password, ["audits", "auditd"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_lines_mask_password_fields_http_modern() {
    let sim = sim().await;
    let audit = TempFile::new("audit-http.jsonl");
    let password = "Audit-Http-Secret-43";
    let mut cmd = client::server(&sim.url(), &["--http", "127.0.0.1:0"]);
    cmd.env("PXCLOUD_AUDIT_LOG", &audit.0);
    let server = HttpServer::spawn(cmd);
    let mut c = server.client();
    let meta = modern_meta(json!({}));
    let read = c.modern(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}, "_meta": meta}),
    );
    assert_eq!(read["result"]["structuredContent"]["ok"], true, "{read}");
    let created = c.modern(
        "tools/call",
        json!({"name": "pxcloud_create_user", "arguments": new_user("audith", password, false),
               "_meta": meta}),
    );
    assert_eq!(
        created["result"]["structuredContent"]["ok"], true,
        "{created}"
    );
    let dry = c.modern(
        "tools/call",
        json!({"name": "pxcloud_create_user", "arguments": new_user("audithd", password, true),
               "_meta": meta}),
    );
    assert!(
        !dry.to_string().contains(password),
        "dry run shows the password: {dry}"
    );
    let stderr = server.finish();
    assert!(!stderr.contains(password), "{stderr}");
    assert_eq!(
        sim.log().count("POST", "/api/users"),
        1,
        "the dry run sent nothing"
    );
    assert_audit(&audit, "http", password, ["audith", "audithd"]);
}

// ---------------------------------------------------------------------------------------
// `check`: every step ok, or a failed step with a `fix:` naming the setting.

/// `pxcloud-mcp check` against `url` as the administrator, with `env` on top.
fn check(url: &str, env: &[(&str, &str)]) -> Exit {
    let mut cmd = with_password(url, pxcloud_sim::ADMIN_PASSWORD);
    cmd.arg("check").envs(env.iter().copied());
    let exit = exits_within(cmd, Duration::from_secs(15));
    assert!(
        exit.stdout.is_empty(),
        "check reports on stderr: {}",
        exit.stdout
    );
    exit
}

/// The step lines (`[ ok ]` / `[FAIL]`) of a check report.
fn steps(report: &str) -> Vec<&str> {
    report
        .lines()
        .filter(|l| l.starts_with("[ ok ]") || l.starts_with("[FAIL]"))
        .collect()
}

/// The `fix:` line right after the failed step `name`.
fn fix_of<'a>(report: &'a str, name: &str) -> &'a str {
    let lines: Vec<&str> = report.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(&format!("[FAIL] {name}:")))
        .unwrap_or_else(|| panic!("no failed step {name:?}:\n{report}"));
    lines
        .get(at + 1)
        .and_then(|l| l.trim_start().strip_prefix("fix: "))
        .unwrap_or_else(|| panic!("no fix after {name:?}:\n{report}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn check_passes_against_https_pxcloud_pinned_by_fingerprint() {
    let sim = https_sim().await;
    let fingerprint = sim.fingerprint_sha256().expect("fingerprint");
    let exit = check(&sim.url(), &[("PXCLOUD_TLS_FINGERPRINT", &fingerprint)]);
    assert_eq!(exit.code, Some(0), "{}", exit.stderr);
    let steps = steps(&exit.stderr);
    let names: Vec<&str> = steps
        .iter()
        .map(|l| l[7..].split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "configuration",
            "reachability and TLS",
            "login",
            "spec and tools"
        ],
        "{}",
        exit.stderr
    );
    assert!(
        steps.iter().all(|l| l.starts_with("[ ok ]")),
        "{}",
        exit.stderr
    );
    assert!(
        steps[0].contains("certificate pinned by SHA-256 fingerprint"),
        "{}",
        steps[0]
    );
    assert!(
        steps[1].contains("over a trusted connection"),
        "{}",
        steps[1]
    );
    assert!(
        exit.stderr.contains("All checks passed."),
        "{}",
        exit.stderr
    );

    // The tool count is the number of catalog tools the server would list.
    let tools = {
        let mut cmd = with_password(&sim.url(), pxcloud_sim::ADMIN_PASSWORD);
        cmd.args(["tools", "--json", "--tls-fingerprint", &fingerprint]);
        let out = cmd.stdin(Stdio::null()).output().expect("run tools");
        let tools: Vec<Value> = serde_json::from_slice(&out.stdout).expect("tools JSON");
        tools
            .iter()
            .filter(|t| t["_meta"]["path"].is_string())
            .count()
    };
    assert!(tools > 100, "{tools}");
    assert!(
        steps[3].contains(&format!(", {tools} exposed as tools")),
        "{} vs {tools} tools",
        steps[3]
    );
    assert!(sim.log().count("POST", LOGIN_PATH) >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_failures_say_which_setting_fixes_them() {
    // Nothing listens.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let exit = check(&closed, &[]);
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    let fix = fix_of(&exit.stderr, "reachability and TLS");
    assert!(fix.contains(&closed) && fix.contains("reachable"), "{fix}");
    assert!(exit.stderr.contains("1 check(s) failed"), "{}", exit.stderr);

    // The document endpoint fails: PXCloud answers, so login is still checked.
    let sim = sim().await;
    sim.faults().set_spec_failure(Some(500));
    let exit = check(&sim.url(), &[]);
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    assert!(exit.stderr.contains("[ ok ] login:"), "{}", exit.stderr);
    let fix = fix_of(&exit.stderr, "OpenAPI document");
    assert!(
        fix.contains("HTTP 500") && fix.contains("PXCLOUD_URL"),
        "{fix}"
    );

    // A self-signed certificate without a fingerprint: the fix is the line to paste.
    let https = https_sim().await;
    let fingerprint = https.fingerprint_sha256().expect("fingerprint");
    let exit = check(&https.url(), &[]);
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    let fix = fix_of(&exit.stderr, "reachability and TLS");
    assert!(
        fix.contains(&format!("PXCLOUD_TLS_FINGERPRINT={fingerprint}")),
        "{fix}"
    );
    assert_eq!(
        https.log().count("POST", LOGIN_PATH),
        0,
        "no password sent untrusted"
    );

    // The wrong password.
    let mut cmd = with_password(&sim.url(), "Wr0ng-Pa55word-4711");
    sim.faults().set_spec_failure(None);
    cmd.arg("check");
    let exit = exits_within(cmd, Duration::from_secs(15));
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    let fix = fix_of(&exit.stderr, "login");
    assert!(fix.contains("PXCLOUD_USER and PXCLOUD_PASS"), "{fix}");
    assert!(
        !exit.stderr.contains("Wr0ng-Pa55word-4711"),
        "{}",
        exit.stderr
    );
}

/// `PXCLOUD_TLS_VERIFY=false` works (it is the earlier server's behaviour) but is warned
/// about at start-up, and `check` fails it with the fingerprint to pin instead.
#[tokio::test(flavor = "multi_thread")]
async fn tls_verify_false_serves_and_warns() {
    let sim = https_sim().await;
    let fingerprint = sim.fingerprint_sha256().expect("fingerprint");
    let insecure = |extra: &[&str]| {
        let mut cmd = client::server(&sim.url(), extra);
        cmd.env("PXCLOUD_TLS_VERIFY", "false");
        cmd
    };
    let warned = |stderr: &str| {
        let warnings = stderr
            .lines()
            .filter(|l| l.contains("WARN") && l.contains("PXCLOUD_TLS_VERIFY=false"))
            .count();
        assert_eq!(warnings, 1, "one warning on stderr:\n{stderr}");
    };

    let mut c = StdioClient::spawn(insecure(&[]));
    c.initialize("2025-06-18", json!({}));
    let got = c.call(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
    );
    assert_eq!(
        got["result"]["structuredContent"]["data"]["id"], VM,
        "{got}"
    );
    warned(&c.finish().stderr);

    let server = HttpServer::spawn(insecure(&["--http", "127.0.0.1:0"]));
    let got = server.client().modern(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}, "_meta": modern_meta(json!({}))}),
    );
    assert_eq!(
        got["result"]["structuredContent"]["data"]["id"], VM,
        "{got}"
    );
    warned(&server.finish());

    let exit = check(&sim.url(), &[("PXCLOUD_TLS_VERIFY", "false")]);
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    let failed: Vec<&str> = steps(&exit.stderr)
        .into_iter()
        .filter(|l| l.starts_with("[FAIL]"))
        .collect();
    assert_eq!(failed.len(), 1, "one failed step: {}", exit.stderr);
    let fix = fix_of(&exit.stderr, "tls settings");
    assert!(
        fix.contains(&format!("PXCLOUD_TLS_FINGERPRINT={fingerprint}"))
            && fix.contains("drop PXCLOUD_TLS_VERIFY=false"),
        "{fix}"
    );
    assert!(exit.stderr.contains("[ ok ] login:"), "{}", exit.stderr);
}

// ---------------------------------------------------------------------------------------
// `--help`: every variable of the clap definition, each with its default.

/// The options of a `--help` text: environment variable → the option's whole entry, with
/// wrapped lines joined and whitespace collapsed.
fn help_entries(help: &str) -> BTreeMap<String, String> {
    let mut entries: Vec<String> = Vec::new();
    for line in help.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if (indent == 2 || indent == 6) && trimmed.starts_with('-') {
            entries.push(String::new());
        }
        if let Some(entry) = entries.last_mut() {
            entry.push(' ');
            entry.push_str(trimmed);
        }
    }
    entries
        .into_iter()
        .map(|e| e.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter_map(|e| {
            let var = e.split("[env: ").nth(1)?;
            let var = var.split(['=', ']']).next()?.to_owned();
            Some((var, e))
        })
        .collect()
}

/// The `[default: …]` an entry shows.
fn shown_default(entry: &str) -> Option<&str> {
    entry.split("[default: ").nth(1)?.split(']').next()
}

/// What `--help` must show as the default of `var`: the value the configuration takes when
/// nothing is set (`None`: the setting has no default value).
fn expected_default(var: &str, config: &Config) -> Option<String> {
    let p = &config.policy;
    let bool_if = |on: bool| Some(on.to_string());
    match var {
        "PXCLOUD_URL" => Some(config.url.clone()),
        "PXCLOUD_TLS_VERIFY" => bool_if(config.tls == TlsSetting::Verify),
        "PXCLOUD_TOOLS" => p.tags.is_none().then(|| "all".to_owned()),
        "PXCLOUD_ALLOW_DELETE" => bool_if(p.allow_delete),
        "PXCLOUD_READ_ONLY" => bool_if(p.read_only),
        "PXCLOUD_PROFILE" => p.profile.is_none().then(|| "none, every tag".to_owned()),
        "PXCLOUD_STRICT" => bool_if(p.strict),
        "PXCLOUD_DRY_RUN" => bool_if(p.dry_run),
        "PXCLOUD_CONFIRM_TTL_SECS" => Some(p.confirm_ttl.as_secs().to_string()),
        "PXCLOUD_EXCLUDE_PATHS" => Some(p.excluded_paths.join(",")),
        "PXCLOUD_TOOL_MODE" => (config.tool_mode == ToolMode::Full).then(|| "full".to_owned()),
        "PXCLOUD_TOOL_PREFIX" => Some(config.tool_prefix.clone()),
        "PXCLOUD_SPEC_REFRESH_SECS" => config.spec_refresh.is_none().then(|| "0, never".to_owned()),
        "PXCLOUD_MAX_RESULT_BYTES" => Some(config.max_result_bytes.to_string()),
        "PXCLOUD_TIMEOUT_SECS" => Some(config.timeout.as_secs().to_string()),
        "PXCLOUD_SECRET" => config
            .secret
            .is_none()
            .then(|| "random per process".to_owned()),
        "PXCLOUD_LOG_LEVEL" => Some(config.log_level.clone()),
        // Settings that are simply absent unless given.
        "PXCLOUD_USER" | "PXCLOUD_PASS" | "PXCLOUD_TOKEN" => {
            assert!(config.auth.is_none());
            None
        }
        "PXCLOUD_CA_FILE" | "PXCLOUD_TLS_FINGERPRINT" => None,
        "PXCLOUD_DESTRUCTIVE_PATTERNS" => {
            assert!(p.destructive_patterns.is_empty());
            None
        }
        "PXCLOUD_AUDIT_LOG" => {
            assert!(config.audit_log.is_none());
            None
        }
        "PXCLOUD_HTTP" | "PXCLOUD_HTTP_TOKEN" | "PXCLOUD_HTTP_ALLOWED_ORIGINS" => None,
        other => panic!("{other} is new: say here what --help must show as its default"),
    }
}

#[test]
fn help_lists_every_variable_with_its_default() {
    let defaults = Config::from_raw(&RawOptions::default(), Purpose::Offline)
        .expect("the defaults are a valid configuration");
    let variables: Vec<String> = Cli::command()
        .get_arguments()
        .filter_map(|a| a.get_env())
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    assert!(variables.len() >= 25, "{variables:?}");
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["check", "--help"],
        &["tools", "--help"],
    ] {
        let out = bin().args(args).output().expect("run --help");
        assert!(out.status.success(), "{args:?}");
        let help = String::from_utf8_lossy(&out.stdout);
        let entries = help_entries(&help);
        for var in &variables {
            let entry = entries
                .get(var)
                .unwrap_or_else(|| panic!("{args:?} does not list {var}:\n{help}"));
            assert_eq!(
                shown_default(entry),
                expected_default(var, &defaults).as_deref(),
                "{args:?}: the default of {var} in: {entry}"
            );
        }
        let listed: Vec<&String> = entries.keys().collect();
        assert_eq!(listed.len(), variables.len(), "{args:?}: {listed:?}");
    }
}

// ---------------------------------------------------------------------------------------
// docs/configuration.md: every example is a command and what the binary prints for it.

/// A ```console block: the command after `$ `, and the lines it prints.
struct Example {
    line: usize,
    command: String,
    output: Vec<String>,
}

fn console_examples(markdown: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Vec<String>)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(lang)) => {
                assert_eq!(
                    lang.trim(),
                    "console",
                    "docs/configuration.md:{}: examples are ```console blocks (a command, then its output), which the test runs",
                    i + 1
                );
                open = Some((i + 2, Vec::new()));
            }
            (Some(_), Some("")) => {
                let (line, mut lines) = open.take().expect("open block");
                assert!(
                    !lines.is_empty(),
                    "docs/configuration.md:{line}: empty block"
                );
                let command = lines.remove(0);
                let command = command
                    .strip_prefix("$ ")
                    .unwrap_or_else(|| panic!("docs/configuration.md:{line}: starts with `$ `"))
                    .to_owned();
                out.push(Example {
                    line,
                    command,
                    output: lines,
                });
            }
            (Some((_, lines)), _) => lines.push(line.to_owned()),
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "unclosed block in docs/configuration.md");
    out
}

/// `pattern` (`…` matching any text) matches the whole of `line`.
fn matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    let (first, rest) = parts.split_first().expect("parts");
    let Some(mut tail) = line.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return tail.is_empty();
    };
    for part in middle {
        match tail.find(part) {
            Some(i) => tail = &tail[i + part.len()..],
            None => return false,
        }
    }
    tail.ends_with(last)
}

#[tokio::test(flavor = "multi_thread")]
async fn configuration_examples_are_what_the_binary_prints() {
    const URL: &str = "https://pxcloud.example:8443";
    const FINGERPRINT: &str = "AB:CD:…";
    let sim = https_sim().await;
    let fingerprint = sim.fingerprint_sha256().expect("fingerprint");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
    let doc = std::fs::read_to_string(path).expect("docs/configuration.md");
    let examples = console_examples(&doc);
    assert!(examples.len() >= 4, "{}", examples.len());
    for example in examples {
        let what = format!("docs/configuration.md:{}", example.line);
        let mut words = example.command.split_whitespace();
        let mut cmd = client::binary();
        for word in words.by_ref() {
            if word == "pxcloud-mcp" {
                break;
            }
            let (var, value) = word
                .split_once('=')
                .unwrap_or_else(|| panic!("{what}: `VAR=value … pxcloud-mcp args`: {word}"));
            let value = match value {
                URL => sim.url(),
                FINGERPRINT => fingerprint.clone(),
                "your-password" => pxcloud_sim::ADMIN_PASSWORD.to_owned(),
                other => {
                    assert!(!other.contains('…'), "{what}: unknown placeholder {other}");
                    other.to_owned()
                }
            };
            cmd.env(var, value);
        }
        cmd.args(words);
        // Stdin stays closed: a server starts, finds no client and exits.
        cmd.stdin(Stdio::null());
        let out = cmd.output().expect("run the example");
        assert!(out.stdout.is_empty(), "{what}: stdout is for MCP only");
        let printed = String::from_utf8_lossy(&out.stderr)
            .replace(&sim.url(), URL)
            .replace(&fingerprint, FINGERPRINT);
        // The documented lines appear in this order (others may come between them).
        let mut lines = printed.lines().map(str::trim_end);
        for pattern in &example.output {
            assert!(
                lines.any(|l| matches(pattern.trim_end(), l)),
                "{what}: the documented line\n  {pattern}\nis not printed (in this order) by\n  {}\nwhich printed:\n{printed}",
                example.command
            );
        }
    }
}
