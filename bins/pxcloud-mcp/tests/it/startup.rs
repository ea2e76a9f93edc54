//! Start-up checks a user would otherwise meet later, through the real binary against
//! pxcloud-sim: a `PXCLOUD_TOKEN` PXCloud refuses stops start-up with one sentence (never the
//! token), a PXCloud without the who-am-I endpoint or failing it does not, and `check`
//! reports the token and `PXCLOUD_AUDIT_LOG` as steps of their own.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use pxcloud_sim::{Sim, SimConfig};
use serde_json::json;

use crate::client::{self, StdioClient};
use crate::process::{self, Exit, error_line, exits_within};

const VM: &str = "cluster1:pve1:100";
const WHOAMI: &str = "/api/auth/me";
const SPEC_PATH: &str = "/api-docs/openapi.json";
const LOGIN_PATH: &str = "/api/auth/login";
const FIX: &str = "set a valid PXCLOUD_TOKEN, or remove it and set PXCLOUD_USER and PXCLOUD_PASS";

async fn sim() -> Sim {
    Sim::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

/// The binary pointed at `url` with `token`, and `env` on top.
fn with_token(url: &str, token: &str, env: &[(&str, &str)]) -> Command {
    let mut cmd = client::binary();
    cmd.env("PXCLOUD_URL", url)
        .env("PXCLOUD_TOKEN", token)
        .envs(env.iter().copied());
    cmd
}

/// Runs `cmd` until it exits by itself (see [`exits_within`]).
fn exits(cmd: Command) -> Exit {
    exits_within(cmd, process::PATIENCE)
}

/// Neither the token nor anything like a bearer header or a JWT.
fn assert_no_token(what: &str, text: &str, token: &str) {
    assert!(!text.contains(token), "{what}: the token leaked:\n{text}");
    for marker in ["Bearer ", "eyJ"] {
        assert!(!text.contains(marker), "{what} shows {marker:?}:\n{text}");
    }
}

/// Every way PXCloud refuses a token (malformed, forged, expired, revoked) stops start-up at
/// once, over stdio and HTTP alike, with one sentence naming PXCLOUD_TOKEN and PXCloud's
/// reason; nothing is served and no login is tried.
#[tokio::test(flavor = "multi_thread")]
async fn refused_token_stops_start_up_with_one_sentence() {
    let sim = sim().await;
    let url = sim.url();
    type Make = fn(&Sim) -> String;
    let cases: [(&str, Make, &str); 4] = [
        (
            "malformed",
            |_| "not-a-token-0123456789".to_owned(),
            "token is malformed",
        ),
        (
            "forged",
            |sim| {
                let mut token = sim.issue_token(pxcloud_sim::ADMIN_USER);
                token.push('x');
                token
            },
            "token signature is invalid",
        ),
        (
            "expired",
            |sim| {
                let token = sim.issue_token(pxcloud_sim::ADMIN_USER);
                sim.advance_clock(Duration::from_secs(2 * 3600));
                token
            },
            "token has expired",
        ),
        (
            "revoked",
            |sim| {
                let token = sim.issue_token(pxcloud_sim::ADMIN_USER);
                sim.faults().revoke_all_tokens();
                token
            },
            "token has been revoked",
        ),
    ];
    for (name, make, reason) in cases {
        for extra in [&[][..], &["--http", "127.0.0.1:0"][..]] {
            let what = format!("{name} {extra:?}");
            let token = make(&sim);
            let asked = sim.log().count("GET", WHOAMI);
            let mut cmd = with_token(&url, &token, &[]);
            cmd.args(extra);
            let out = exits(cmd);
            let stderr = &out.stderr;
            assert_eq!(out.code, Some(1), "{what}: {stderr}");
            assert!(out.stdout.is_empty(), "{what}: stdout is for MCP only");
            assert_eq!(
                error_line(&what, stderr),
                format!(
                    "pxcloud-mcp: error: PXCloud at {url} refused PXCLOUD_TOKEN (HTTP 401): \
                     {reason}; {FIX}"
                ),
                "{what}"
            );
            assert!(
                !stderr.contains("endpoint http://") && !stderr.contains("serving MCP"),
                "{what}: nothing is served: {stderr}"
            );
            assert_no_token(&what, stderr, &token);
            assert_eq!(
                sim.log().count("GET", WHOAMI) - asked,
                1,
                "{what}: asked once"
            );
        }
    }
    assert_eq!(
        sim.log().count("POST", LOGIN_PATH),
        0,
        "a token never logs in"
    );
}

/// An accepted token costs one who-am-I request at start-up (no login), and the debug log
/// says who it belongs to and when it expires, never the token.
#[tokio::test(flavor = "multi_thread")]
async fn accepted_token_is_asked_about_once() {
    let sim = sim().await;
    let token = sim.issue_token(pxcloud_sim::ADMIN_USER);
    let mut c = StdioClient::spawn(with_token(
        &sim.url(),
        &token,
        &[("PXCLOUD_LOG_LEVEL", "debug")],
    ));
    c.initialize("2025-06-18", json!({}));
    let reply = c.call(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
    );
    assert_eq!(reply["result"]["structuredContent"]["ok"], true, "{reply}");
    let finished = c.finish();
    assert!(finished.status.success(), "{}", finished.stderr);
    assert_eq!(sim.log().count("GET", WHOAMI), 1);
    assert_eq!(sim.log().count("GET", SPEC_PATH), 1);
    assert_eq!(sim.log().count("POST", LOGIN_PATH), 0);
    let stderr = &finished.stderr;
    assert!(
        stderr.contains("PXCloud accepted PXCLOUD_TOKEN user=admin"),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("INFO PXCLOUD_TOKEN expires in 59 min (its exp claim) and cannot be renewed")
            || stderr.contains("INFO PXCLOUD_TOKEN expires in 1 h (its exp claim)"),
        "{stderr}"
    );
    assert_no_token("stderr", stderr, &token);
}

/// A token copied with its scheme (`Bearer …`, as in an `Authorization` header) is sent
/// without it; one that no header can carry (a line break inside) is a configuration error
/// naming PXCLOUD_TOKEN, before anything reaches PXCloud.
#[tokio::test(flavor = "multi_thread")]
async fn token_as_copied_from_a_header_or_broken_over_lines() {
    let sim = sim().await;
    let token = sim.issue_token(pxcloud_sim::ADMIN_USER);
    for copied in [format!("Bearer {token}"), format!("bearer  {token}\n")] {
        let mut c = StdioClient::spawn(with_token(&sim.url(), &copied, &[]));
        c.initialize("2025-06-18", json!({}));
        let reply = c.call(
            "tools/call",
            json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
        );
        assert_eq!(reply["result"]["structuredContent"]["ok"], true, "{reply}");
        let finished = c.finish();
        assert!(finished.status.success(), "{}", finished.stderr);
        assert_no_token("stderr", &finished.stderr, &token);
    }
    let before = sim.log().entries().len();
    let (head, tail) = token.split_at(token.len() / 2);
    for broken in [
        format!("{head}\n{tail}"),
        format!("{head}\u{7}{tail}"),
        format!("{head}é{tail}"),
    ] {
        let out = exits(with_token(&sim.url(), &broken, &[]));
        let stderr = &out.stderr;
        assert_eq!(out.code, Some(2), "{stderr}");
        assert!(
            stderr.starts_with(
                "pxcloud-mcp: configuration error: PXCLOUD_TOKEN (--token): contains a character \
                 an HTTP header cannot carry (a line break, another control character or \
                 non-ASCII text): set the token alone, on one line\n"
            ),
            "{stderr}"
        );
        assert!(!stderr.contains(head) && !stderr.contains(tail), "{stderr}");
    }
    assert_eq!(sim.log().entries().len(), before, "nothing reached PXCloud");
}

/// A deployment without the who-am-I endpoint (404) starts as before, even with a bad token,
/// and says at debug level that the token was not tried; the first call then finds it.
#[tokio::test(flavor = "multi_thread")]
async fn pxcloud_without_whoami_starts_without_trying_the_token() {
    let sim = sim().await;
    // The first API request (not login, not the document) is the who-am-I.
    sim.faults().fail_next(1, 404);
    let token = "not-a-token-0123456789";
    let mut c = StdioClient::spawn(with_token(
        &sim.url(),
        token,
        &[("PXCLOUD_LOG_LEVEL", "debug")],
    ));
    c.initialize("2025-06-18", json!({}));
    let reply = c.call(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
    );
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    assert_eq!(
        reply["result"]["structuredContent"]["status"], 401,
        "{reply}"
    );
    let finished = c.finish();
    assert!(finished.status.success(), "{}", finished.stderr);
    assert!(
        finished.stderr.contains(
            "PXCLOUD_TOKEN not tried at start-up: PXCloud has no /api/auth/me (HTTP 404/405); \
             a refused token shows at the first call"
        ),
        "{}",
        finished.stderr
    );
    assert!(!finished.stderr.contains("WARN"), "{}", finished.stderr);
    assert_no_token("stderr", &finished.stderr, token);
}

/// PXCloud failing the who-am-I (503 on every attempt) while serving its document: start-up
/// goes on with a warning, since nothing is known against the token.
#[tokio::test(flavor = "multi_thread")]
async fn failing_whoami_warns_and_starts() {
    let sim = sim().await;
    sim.faults().fail_next(100, 503);
    let token = sim.issue_token(pxcloud_sim::ADMIN_USER);
    let mut c = StdioClient::spawn(with_token(
        &sim.url(),
        &token,
        &[("PXCLOUD_LOG_LEVEL", "warn"), ("PXCLOUD_TIMEOUT_SECS", "3")],
    ));
    c.initialize("2025-06-18", json!({}));
    sim.faults().fail_next(0, 503);
    let reply = c.call(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
    );
    assert_eq!(reply["result"]["structuredContent"]["ok"], true, "{reply}");
    let finished = c.finish();
    assert!(finished.status.success(), "{}", finished.stderr);
    let warning = finished
        .stderr
        .lines()
        .find(|l| l.contains("WARN"))
        .unwrap_or_else(|| panic!("a warning: {}", finished.stderr));
    assert!(
        warning.contains(
            "PXCLOUD_TOKEN not tried at start-up: asking PXCloud (/api/auth/me) failed: "
        ) && warning.ends_with("; a refused token shows at the first call"),
        "{warning}"
    );
    assert!(sim.log().count("GET", WHOAMI) >= 1);
    assert_no_token("stderr", &finished.stderr, &token);
}

// ---------------------------------------------------------------------------------------
// `check`

/// `pxcloud-mcp check` with `env`, run in `dir` (the working directory).
fn check(env: &[(&str, &str)], dir: &Path) -> (i32, String) {
    let mut cmd = client::binary();
    cmd.arg("check")
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null());
    let out = cmd.output().expect("run check");
    assert!(out.stdout.is_empty(), "check reports on stderr");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The step `name`'s line (`[ ok ] name: …` / `[FAIL] name: …`) and the `fix:` after it.
fn step<'a>(report: &'a str, name: &str) -> (&'a str, Option<&'a str>) {
    let lines: Vec<&str> = report.lines().collect();
    let at = lines
        .iter()
        .position(|l| {
            l.get(7..)
                .is_some_and(|l| l.starts_with(&format!("{name}: ")))
        })
        .unwrap_or_else(|| panic!("no step {name:?}:\n{report}"));
    let fix = lines
        .get(at + 1)
        .and_then(|l| l.trim_start().strip_prefix("fix: "));
    (lines[at], fix)
}

fn step_names(report: &str) -> Vec<&str> {
    report
        .lines()
        .filter(|l| l.starts_with("[ ok ]") || l.starts_with("[FAIL]"))
        .map(|l| l[7..].split(':').next().unwrap_or_default())
        .collect()
}

/// `check` tries the token as start-up does and says the same: the failed step's detail and
/// fix are start-up's sentence.
#[tokio::test(flavor = "multi_thread")]
async fn check_reports_the_token_as_start_up_does() {
    let sim = sim().await;
    let url = sim.url();
    let here = std::env::temp_dir();

    let token = sim.issue_token(pxcloud_sim::ADMIN_USER);
    let (code, report) = check(&[("PXCLOUD_URL", &url), ("PXCLOUD_TOKEN", &token)], &here);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        step_names(&report),
        [
            "configuration",
            "reachability and TLS",
            "token",
            "spec and tools"
        ],
        "{report}"
    );
    let (line, fix) = step(&report, "token");
    assert!(
        line.starts_with(&format!(
            "[ ok ] token: PXCloud at {url} accepted PXCLOUD_TOKEN (user admin), which expires in "
        )) && line.ends_with(" (its exp claim) and cannot be renewed"),
        "{line}"
    );
    assert_eq!(fix, None);
    assert_no_token("check", &report, &token);

    sim.faults().revoke_all_tokens();
    let (code, report) = check(&[("PXCLOUD_URL", &url), ("PXCLOUD_TOKEN", &token)], &here);
    assert_eq!(code, 1, "{report}");
    let (line, fix) = step(&report, "token");
    let detail =
        format!("PXCloud at {url} refused PXCLOUD_TOKEN (HTTP 401): token has been revoked");
    assert!(
        line.starts_with(&format!("[FAIL] token: {detail} (it expires in ")),
        "{line}"
    );
    assert_eq!(fix, Some(FIX), "{report}");
    assert!(report.contains("[ ok ] spec and tools:"), "{report}");
    assert_no_token("check", &report, &token);

    // What start-up says about the same token.
    let out = exits(with_token(&url, &token, &[]));
    let stderr = &out.stderr;
    assert_eq!(
        error_line("start-up", stderr),
        format!("pxcloud-mcp: error: {detail}; {FIX}")
    );
}

/// A scratch directory removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("pxcloud-mcp-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `PXCLOUD_AUDIT_LOG` is a step of its own, right after the configuration: the path and
/// whether it can be appended to, found without writing to it or leaving a file behind, and
/// the fix when it cannot.
#[tokio::test(flavor = "multi_thread")]
async fn check_reports_the_audit_log() {
    let sim = sim().await;
    let url = sim.url();
    let scratch = Scratch::new("audit-check");
    let dir = &scratch.0;
    let user = ("PXCLOUD_USER", pxcloud_sim::ADMIN_USER);
    let pass = ("PXCLOUD_PASS", pxcloud_sim::ADMIN_PASSWORD);
    let run = |path: &str, cwd: &Path| {
        check(
            &[
                ("PXCLOUD_URL", &url),
                user,
                pass,
                ("PXCLOUD_AUDIT_LOG", path),
            ],
            cwd,
        )
    };

    // An existing file: opened for appending, left exactly as it was.
    let existing = dir.join("audit.jsonl");
    std::fs::write(&existing, "{\"earlier\":1}\n").expect("write");
    let (code, report) = run(&existing.to_string_lossy(), dir);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        step_names(&report),
        [
            "configuration",
            "audit log",
            "reachability and TLS",
            "login",
            "spec and tools"
        ],
        "{report}"
    );
    assert_eq!(
        step(&report, "audit log").0,
        format!(
            "[ ok ] audit log: {} can be appended to (an existing file of 14 bytes)",
            existing.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&existing).expect("read"),
        "{\"earlier\":1}\n"
    );

    // A file that does not exist yet: the server would create it; check leaves nothing.
    let missing = dir.join("new.jsonl");
    let (code, report) = run(&missing.to_string_lossy(), dir);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        step(&report, "audit log").0,
        format!(
            "[ ok ] audit log: {} does not exist yet; the server will create it",
            missing.display()
        )
    );
    assert!(!missing.exists(), "check created {}", missing.display());

    // A relative path is taken from the working directory, which MCP clients choose.
    let (code, report) = run("relative.jsonl", dir);
    assert_eq!(code, 0, "{report}");
    let (line, _) = step(&report, "audit log");
    assert!(
        line.contains(&format!(
            "relative.jsonl does not exist yet; the server will create it (a relative path, \
             taken from the working directory, here {}; MCP clients may start the server \
             elsewhere, so prefer an absolute path)",
            dir.display()
        )),
        "{line}"
    );
    assert!(!dir.join("relative.jsonl").exists());

    // Failures: the other steps still run; the fix names the setting.
    let no_dir = dir.join("no-such-dir");
    let not_dir = &existing;
    let cases = [
        (
            no_dir.join("audit.jsonl"),
            format!(
                "cannot open {}/audit.jsonl for appending: {} does not exist",
                no_dir.display(),
                no_dir.display()
            ),
            format!(
                "create the directory {}, or point PXCLOUD_AUDIT_LOG (--audit-log) at a file in \
                 a directory that exists",
                no_dir.display()
            ),
        ),
        (
            not_dir.join("audit.jsonl"),
            format!(
                "cannot open {}/audit.jsonl for appending: {} is not a directory",
                not_dir.display(),
                not_dir.display()
            ),
            "point PXCLOUD_AUDIT_LOG (--audit-log) at a file in a directory that exists".to_owned(),
        ),
        (
            dir.clone(),
            format!("{} is a directory", dir.display()),
            format!(
                "point PXCLOUD_AUDIT_LOG (--audit-log) at a file, e.g. {}",
                dir.join("pxcloud-audit.jsonl").display()
            ),
        ),
    ];
    for (path, detail, fix) in cases {
        let (code, report) = run(&path.to_string_lossy(), dir);
        assert_eq!(code, 1, "{report}");
        assert_eq!(
            step(&report, "audit log"),
            (&*format!("[FAIL] audit log: {detail}"), Some(&*fix))
        );
        assert!(report.contains("[ ok ] spec and tools:"), "{report}");
        assert!(report.contains("1 check(s) failed"), "{report}");
        // The server refuses the same path at start-up.
        let mut cmd = client::server(&url, &[]);
        cmd.env("PXCLOUD_AUDIT_LOG", &path);
        let out = exits(cmd);
        assert_eq!(out.code, Some(1), "{}", out.stderr);
        assert!(
            error_line("start-up", &out.stderr)
                .contains("PXCLOUD_AUDIT_LOG (--audit-log): cannot open")
        );
    }
    assert!(!no_dir.exists());

    // Permissions answer for real: a read-only directory and file are refused unless this
    // user may write anyway (root), exactly as the server would find.
    use std::os::unix::fs::PermissionsExt as _;
    let locked = dir.join("locked");
    std::fs::create_dir(&locked).expect("mkdir");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let read_only = dir.join("read-only.jsonl");
    std::fs::write(&read_only, "").expect("write");
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o444)).expect("chmod");
    let writable_anyway = std::fs::OpenOptions::new()
        .append(true)
        .open(&read_only)
        .is_ok();
    for path in [locked.join("audit.jsonl"), read_only.clone()] {
        let (code, report) = run(&path.to_string_lossy(), dir);
        let (line, fix) = step(&report, "audit log");
        if writable_anyway {
            assert_eq!(code, 0, "{report}");
            assert!(line.starts_with("[ ok ] audit log: "), "{line}");
        } else {
            assert_eq!(code, 1, "{report}");
            assert!(
                line.starts_with(&format!(
                    "[FAIL] audit log: cannot open {} for appending (Permission denied",
                    path.display()
                )),
                "{line}"
            );
            assert_eq!(
                fix,
                Some(
                    "point PXCLOUD_AUDIT_LOG (--audit-log) at a file in a writable directory, \
                     or make this one writable for the user the server runs as"
                )
            );
        }
    }
    assert!(!locked.join("audit.jsonl").exists());
    assert_eq!(std::fs::read(&read_only).expect("read").len(), 0);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}
