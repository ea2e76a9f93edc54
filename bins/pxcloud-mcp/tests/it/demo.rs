//! `--demo` through the real binary: the README's first command, over stdio and HTTP in both eras.
//!
//! Every process here starts with an EMPTY environment (not even `PATH`): `--demo` needs no
//! configuration at all, which is the point of the README's first command.

use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::client::{HttpServer, StdioClient, all_tools, modern_meta};

const VM: &str = "cluster1:pve1:100";

/// The binary with `args`, nothing in its environment, the standard streams piped.
fn bare_binary(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pxcloud-mcp"));
    cmd.env_clear()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Waits (briefly) until `stderr()` holds the demo announcement and returns the simulator's
/// URL it names, after checking the rest of the line.
fn announced_simulator(stderr: impl Fn() -> String) -> String {
    const PREFIX: &str =
        "pxcloud-mcp --demo: serving against the embedded PXCloud simulator at https://";
    let started = Instant::now();
    let line = loop {
        let text = stderr();
        if let Some(line) = text.lines().find(|l| l.starts_with(PREFIX)) {
            break line.to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no demo announcement on stderr:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let rest = &line[PREFIX.len()..];
    let (addr, tail) = rest.split_once(' ').expect("address then details");
    assert!(addr.starts_with("127.0.0.1:"), "loopback simulator: {line}");
    let fingerprint = tail
        .strip_prefix("(user admin, certificate ")
        .and_then(|f| f.strip_suffix(')'))
        .unwrap_or_else(|| panic!("user and certificate named: {line}"));
    let pairs: Vec<&str> = fingerprint.split(':').collect();
    assert!(
        pairs.len() == 32
            && pairs
                .iter()
                .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit())),
        "a SHA-256 fingerprint as Proxmox shows it: {line}"
    );
    // The announced simulator really listens.
    TcpStream::connect(addr).unwrap_or_else(|e| panic!("simulator at {addr}: {e}"));
    format!("https://{addr}")
}

fn tool_names(tools: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = tools
        .iter()
        .map(|t| t["name"].as_str().expect("tool name").to_owned())
        .collect();
    names.sort();
    names
}

/// What every listing must show: the catalog generated from the simulator's document plus
/// the workflow tools.
fn assert_demo_catalog(names: &[String]) {
    assert!(names.len() > 100, "the whole catalog: {}", names.len());
    for name in [
        "pxcloud_get_vm",
        "pxcloud_list_vms",
        "pxcloud_migrate_vm",
        "pxcloud_wait_task",
        "pxcloud_confirm_change",
        "pxcloud_setup",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} listed");
    }
}

/// A `pxcloud_get_vm` reply carries the seeded VM.
fn assert_vm(reply: &Value) {
    let result = &reply["result"];
    assert_ne!(result["isError"], true, "{reply}");
    let envelope = &result["structuredContent"];
    assert_eq!(envelope["ok"], true, "{reply}");
    assert_eq!(envelope["status"], 200, "{reply}");
    assert_eq!(envelope["data"]["id"], VM, "{reply}");
    assert_eq!(envelope["data"]["name"], "web-01", "{reply}");
    assert_eq!(envelope["data"]["status"], "running", "{reply}");
}

/// The number `pxcloud-mcp tools --demo` reports on its last line, after checking the table.
fn tools_table_count() -> usize {
    let out = bare_binary(&["tools", "--demo"])
        .stdin(Stdio::null())
        .output()
        .expect("run pxcloud-mcp tools --demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "tools --demo exits 0: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines();
    let header = lines.next().expect("a header line");
    assert!(
        header.starts_with("TOOL") && header.contains("METHOD") && header.contains("PATH"),
        "{header}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("pxcloud_get_vm ")
            && l.contains("GET")
            && l.contains("/api/vms/{id}")),
        "{stdout}"
    );
    let last = stdout.lines().last().expect("a count line");
    last.strip_suffix(" tools")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("last line counts the tools: {last:?}"))
}

#[test]
fn check_demo_passes_every_step_in_an_empty_environment() {
    let out = bare_binary(&["check", "--demo"])
        .stdin(Stdio::null())
        .output()
        .expect("run pxcloud-mcp check --demo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "check --demo exits 0:\n{stderr}"
    );
    for step in [
        "[ ok ] configuration",
        "[ ok ] reachability and TLS",
        "[ ok ] login",
        "[ ok ] spec and tools",
        "All checks passed.",
    ] {
        assert!(stderr.contains(step), "{step:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("[FAIL]"), "{stderr}");
}

#[test]
fn tools_demo_lists_the_tools_in_an_empty_environment() {
    let count = tools_table_count();
    assert!(count > 100, "{count} tools");
}

#[test]
fn stdio_demo_serves_both_eras_against_the_embedded_simulator() {
    let mut c = StdioClient::spawn(bare_binary(&["--demo"]));

    // 2026-07-28: stateless discovery, listing and a call.
    let meta = modern_meta(json!({}));
    let discover = c.call("server/discover", json!({"_meta": meta}));
    assert!(
        discover["result"]["supportedVersions"]
            .as_array()
            .expect("supportedVersions")
            .contains(&json!(crate::client::MODERN)),
        "{discover}"
    );
    assert_eq!(
        discover["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "pxcloud-mcp",
        "{discover}"
    );
    let sim_url = announced_simulator(|| c.stderr());
    assert!(sim_url.starts_with("https://127.0.0.1:"), "{sim_url}");
    let modern = tool_names(&all_tools(|cursor| {
        let mut params = json!({"_meta": meta});
        if let Some(cursor) = cursor {
            params["cursor"] = json!(cursor);
        }
        c.call("tools/list", params)
    }));
    assert_demo_catalog(&modern);
    assert_vm(&c.call(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}, "_meta": meta}),
    ));

    // Legacy: initialize, then the same listing and call.
    let init = c.initialize("2025-06-18", json!({}));
    assert_eq!(
        init["result"]["serverInfo"]["name"], "pxcloud-mcp",
        "{init}"
    );
    let legacy = tool_names(&all_tools(|cursor| {
        c.call(
            "tools/list",
            cursor.map_or_else(|| json!({}), |cur| json!({"cursor": cur})),
        )
    }));
    assert_eq!(legacy, modern, "both eras list the same tools");
    assert_vm(&c.call(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
    ));

    // `tools --demo` describes exactly what is served.
    assert_eq!(tools_table_count(), legacy.len());
}

#[test]
fn http_demo_serves_both_eras_against_the_embedded_simulator() {
    let server = HttpServer::spawn(bare_binary(&["--demo", "--http", "127.0.0.1:0"]));
    assert!(
        server.addr.starts_with("127.0.0.1:") && !server.addr.ends_with(":0"),
        "the bound address is announced on stderr: {}",
        server.addr
    );
    announced_simulator(|| server.stderr());

    // 2026-07-28 over HTTP.
    let meta = modern_meta(json!({}));
    let mut m = server.client();
    let discover = m.modern("server/discover", json!({"_meta": meta}));
    assert_eq!(discover["result"]["resultType"], "complete", "{discover}");
    let modern = tool_names(&all_tools(|cursor| {
        let mut params = json!({"_meta": meta});
        if let Some(cursor) = cursor {
            params["cursor"] = json!(cursor);
        }
        m.modern("tools/list", params)
    }));
    assert_demo_catalog(&modern);
    assert_vm(&m.modern(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}, "_meta": meta}),
    ));

    // Legacy over HTTP: a session.
    let mut l = server.client();
    l.initialize("2025-06-18", json!({}));
    let legacy = tool_names(&all_tools(|cursor| {
        l.legacy(
            "tools/list",
            cursor.map_or_else(|| json!({}), |cur| json!({"cursor": cur})),
        )
    }));
    assert_eq!(legacy, modern, "both eras list the same tools");
    assert_vm(&l.legacy(
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
    ));
}
