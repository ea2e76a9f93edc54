//! The standalone binary: help, spec printing, start-up banner.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_pxcloud-sim");

#[test]
fn help_explains_every_flag() {
    let out = Command::new(BIN).arg("--help").output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--bind",
        "--tls",
        "--cert-out",
        "--token-ttl",
        "--task-step-ms",
        "--task-steps",
        "--latency-ms",
        "--error-rate",
        "--error-status",
        "--fail-next",
        "--rate-limit-next",
        "--retry-after",
        "--reset-next",
        "--spec-delay-ms",
        "--spec-failure",
        "--cert-name",
        "--log-capacity",
        "--print-spec",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help:\n{text}");
    }
}

#[test]
fn print_spec_writes_the_document_to_stdout() {
    let out = Command::new(BIN)
        .arg("--print-spec")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(doc["openapi"], "3.1.0");
}

#[test]
fn bad_flags_are_named() {
    let out = Command::new(BIN)
        .args(["--error-rate", "2"])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--error-rate"));
}

#[test]
fn start_up_banner_names_url_users_and_fingerprint() {
    let pem = std::env::temp_dir().join(format!("pxcloud-sim-test-{}.pem", std::process::id()));
    let mut child = Command::new(BIN)
        .args(["--bind", "127.0.0.1:0", "--tls", "--cert-out"])
        .arg(&pem)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("starts");
    let stderr = child.stderr.take().expect("stderr");
    let lines: Vec<String> = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.starts_with("press Ctrl-C"))
        .collect();
    child.kill().expect("kill");
    let _ = child.wait();
    let banner = lines.join("\n");
    assert!(
        banner.contains("listening on https://127.0.0.1:"),
        "{banner}"
    );
    assert!(
        banner.contains("admin / admin-pass") && banner.contains("viewer / viewer-pass"),
        "{banner}"
    );
    let fp = lines
        .iter()
        .find_map(|l| l.split("fingerprint: ").nth(1))
        .expect("fingerprint line");
    assert_eq!(fp.len(), 95, "{fp}");
    let written = std::fs::read_to_string(&pem).expect("PEM written");
    assert!(written.starts_with("-----BEGIN CERTIFICATE-----"));
    let _ = std::fs::remove_file(&pem);
}
