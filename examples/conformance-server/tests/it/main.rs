//! The fixture binary end to end over stdio: both eras on one stream, clean exit on EOF
//! and on SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn spawn() -> (Child, BufReader<ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conformance-server"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("fixture starts");
    let out = BufReader::new(child.stdout.take().unwrap());
    (child, out)
}

fn roundtrip(child: &mut Child, out: &mut BufReader<ChildStdout>, msg: Value) -> Value {
    let stdin = child.stdin.as_mut().unwrap();
    writeln!(stdin, "{msg}").unwrap();
    stdin.flush().unwrap();
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    serde_json::from_str(&line).unwrap()
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn both_eras_on_one_stdio_stream_then_eof_exits_cleanly() {
    let (mut child, mut out) = spawn();
    let init = roundtrip(
        &mut child,
        &mut out,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
    );
    assert_eq!(
        init["result"]["serverInfo"]["name"],
        "mcp-conformance-test-server"
    );
    let list = roundtrip(
        &mut child,
        &mut out,
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    );
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for expected in [
        "test_simple_text",
        "test_image_content",
        "test_tool_with_progress",
        "test_elicitation",
        "test_input_required_result_elicitation",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let meta = json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}});
    let call = roundtrip(
        &mut child,
        &mut out,
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "test_simple_text", "arguments": {}, "_meta": meta}}),
    );
    assert_eq!(call["result"]["resultType"], "complete");
    assert_eq!(
        call["result"]["content"][0]["text"],
        "This is a simple text response for testing."
    );
    drop(child.stdin.take());
    let status = wait_exit(&mut child, Duration::from_secs(10)).expect("exits on EOF");
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn sigterm_exits_promptly_while_stdin_stays_open() {
    let (mut child, mut out) = spawn();
    let pong = roundtrip(
        &mut child,
        &mut out,
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}),
    );
    assert_eq!(pong["result"], json!({}));
    let killed = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(killed.success());
    let status = wait_exit(&mut child, Duration::from_secs(5));
    assert!(status.is_some(), "still running 5 s after SIGTERM");
}
