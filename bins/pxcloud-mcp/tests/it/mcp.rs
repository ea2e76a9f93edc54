//! The real binary over stdio and Streamable HTTP against pxcloud-sim, in both protocol eras.
//! What reached PXCloud is checked in the simulator's request log.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use pxcloud_sim::{Sim, SimConfig};
use serde_json::{Value, json};

const VM: &str = "cluster1:pve1:100";
const MODERN: &str = "2026-07-28";

async fn sim() -> Sim {
    Sim::start(SimConfig {
        task_step: Duration::from_millis(20),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn server(sim: &Sim, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pxcloud-mcp"));
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("PXCLOUD_URL", sim.url())
        .env("PXCLOUD_USER", pxcloud_sim::ADMIN_USER)
        .env("PXCLOUD_PASS", pxcloud_sim::ADMIN_PASSWORD)
        .env("PXCLOUD_LOG_LEVEL", "warn")
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn migrations(sim: &Sim) -> usize {
    sim.log()
        .entries()
        .iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/migrate"))
        .count()
}

/// An MCP client over the child's stdin/stdout.
struct Stdio_ {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl Stdio_ {
    fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd.spawn().expect("spawn pxcloud-mcp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout: ChildStdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Stdio_ {
            child,
            stdin,
            lines,
        }
    }

    fn send(&mut self, msg: &Value) {
        writeln!(self.stdin, "{msg}").expect("write");
        self.stdin.flush().expect("flush");
    }

    /// The next message that is not a notification.
    fn next(&mut self) -> Value {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .expect("a message within 30 s");
            let msg: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout carried non-JSON {line:?}: {e}"));
            if msg.get("id").is_some() {
                return msg;
            }
        }
    }

    fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let reply = self.next();
        assert_eq!(reply["id"], id, "unexpected message {reply}");
        reply
    }
}

impl Drop for Stdio_ {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn modern_meta(capabilities: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": capabilities,
        "io.modelcontextprotocol/clientInfo": {"name": "it", "version": "1"}
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_legacy_era_lists_calls_and_asks_before_destroying() {
    let sim = sim().await;
    let mut c = Stdio_::spawn(server(&sim, &[]));
    let init = c.request(
        1,
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {"elicitation": {}}, "clientInfo": {"name": "it", "version": "1"}}),
    );
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(init["result"]["serverInfo"]["name"], "pxcloud-mcp");
    c.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    // Follow the cursor through every page.
    let mut tools = Vec::new();
    let mut params = json!({});
    for id in 100.. {
        let page = c.request(id, "tools/list", params.clone());
        tools.extend(
            page["result"]["tools"]
                .as_array()
                .expect("tools")
                .iter()
                .cloned(),
        );
        match page["result"]["nextCursor"].as_str() {
            Some(cursor) => params = json!({"cursor": cursor}),
            None => break,
        }
    }
    let names: std::collections::HashSet<&str> =
        tools.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names.len(), tools.len(), "pages never repeat a tool");
    assert!(tools.iter().any(|t| t["name"] == "pxcloud_migrate_vm"));
    assert!(
        tools
            .iter()
            .all(|t| t["outputSchema"].is_object() || t["name"] != "pxcloud_get_vm")
    );

    let got = c.request(
        3,
        "tools/call",
        json!({"name": "pxcloud_get_vm", "arguments": {"id": VM}}),
    );
    assert_eq!(
        got["result"]["structuredContent"]["data"]["id"], VM,
        "{got}"
    );

    let unknown = c.request(
        4,
        "tools/call",
        json!({"name": "pxcloud_nope", "arguments": {}}),
    );
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");

    // The destructive call asks the user (server → client request); a decline runs nothing.
    for (id, action, expect_runs) in [(5, "decline", 0), (6, "accept", 1)] {
        c.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "pxcloud_migrate_vm", "arguments": {"id": VM, "target_node": "pve2", "online": true}}}));
        let ask = c.next();
        assert_eq!(ask["method"], "elicitation/create", "{ask}");
        let message = ask["params"]["message"].as_str().expect("message");
        assert!(
            message.contains("pve2") && message.contains("/migrate"),
            "{message}"
        );
        c.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": action}}));
        let result = c.next();
        assert_eq!(result["id"], id);
        assert_eq!(migrations(&sim), expect_runs, "after {action}: {result}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stdio_modern_era_uses_input_required_and_a_signed_request_state() {
    let sim = sim().await;
    let mut c = Stdio_::spawn(server(&sim, &[]));
    let discover = c.request(
        1,
        "server/discover",
        json!({"_meta": modern_meta(json!({}))}),
    );
    assert!(
        discover["result"]["supportedVersions"]
            .as_array()
            .expect("versions")
            .contains(&json!(MODERN)),
        "{discover}"
    );

    let call = json!({"name": "pxcloud_migrate_vm", "arguments": {"id": VM, "target_node": "pve2", "online": true},
                      "_meta": modern_meta(json!({"elicitation": {}}))});
    let first = c.request(2, "tools/call", call.clone());
    let result = &first["result"];
    assert_eq!(result["resultType"], "input_required", "{first}");
    let (key, _) = result["inputRequests"]
        .as_object()
        .expect("inputRequests")
        .iter()
        .next()
        .expect("one request");
    let state = result["requestState"]
        .as_str()
        .expect("requestState")
        .to_owned();
    assert_eq!(migrations(&sim), 0);

    // A tampered state is refused and runs nothing.
    let mut tampered = call.clone();
    tampered["requestState"] = json!(format!("{state}x"));
    tampered["inputResponses"] = json!({key.clone(): {"action": "accept", "content": {}}});
    let refused = c.request(3, "tools/call", tampered);
    assert!(
        refused.get("error").is_some() || refused["result"]["resultType"] == "input_required",
        "{refused}"
    );
    assert_eq!(migrations(&sim), 0);

    let mut retry = call;
    retry["requestState"] = json!(state);
    retry["inputResponses"] = json!({key.clone(): {"action": "accept", "content": {}}});
    let done = c.request(4, "tools/call", retry);
    assert_eq!(done["result"]["resultType"], "complete", "{done}");
    assert_eq!(done["result"]["structuredContent"]["ok"], true, "{done}");
    assert_eq!(migrations(&sim), 1);
}

/// One HTTP/1.1 POST to the MCP endpoint; returns the status and the JSON-RPC message
/// (from a JSON body or the first SSE `data:` line carrying an id).
fn post(addr: &str, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let body = body.to_string();
    let mut req = format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(&body);
    stream.write_all(req.as_bytes()).expect("write");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let body = text
        .split("\r\n\r\n")
        .skip(1)
        .collect::<Vec<_>>()
        .join("\r\n\r\n");
    let message = body
        .lines()
        .filter_map(|l| l.strip_prefix("data:").map(str::trim).or(Some(l.trim())))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v.get("id").is_some())
        .unwrap_or(Value::Null);
    (status, message)
}

#[tokio::test(flavor = "multi_thread")]
async fn http_serves_both_eras_and_checks_origin() {
    let sim = sim().await;
    let mut cmd = server(&sim, &["--http", "127.0.0.1:0"]);
    let mut child = cmd.spawn().expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("http://").nth(1) {
                let _ = tx.send(rest.trim_end_matches("/mcp").to_owned());
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server prints its endpoint");
    let guard = KillOnDrop(child);

    // Modern era: stateless, headers mirror the body.
    let (status, reply) = post(
        &addr,
        &[
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "pxcloud_get_vm"),
        ],
        &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                "params": {"name": "pxcloud_get_vm", "arguments": {"id": VM}, "_meta": modern_meta(json!({}))}}),
    );
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        reply["result"]["structuredContent"]["data"]["id"], VM,
        "{reply}"
    );

    // Without elicitation the destructive call is refused with the two-step instructions.
    let (_, reply) = post(
        &addr,
        &[
            ("MCP-Protocol-Version", MODERN),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "pxcloud_migrate_vm"),
        ],
        &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                "params": {"name": "pxcloud_migrate_vm", "arguments": {"id": VM, "target_node": "pve2"}, "_meta": modern_meta(json!({}))}}),
    );
    assert_eq!(reply["result"]["isError"], true, "{reply}");
    assert!(
        reply["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("confirmation_required")
    );
    assert_eq!(migrations(&sim), 0);

    // Legacy era on the same endpoint.
    let (status, reply) = post(
        &addr,
        &[],
        &json!({"jsonrpc": "2.0", "id": 3, "method": "initialize",
                "params": {"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}}),
    );
    assert_eq!(status, 200);
    assert_eq!(reply["result"]["protocolVersion"], "2025-03-26", "{reply}");

    // A foreign Origin is refused.
    let (status, _) = post(
        &addr,
        &[("Origin", "https://evil.example")],
        &json!({"jsonrpc": "2.0", "id": 4, "method": "ping"}),
    );
    assert_eq!(status, 403);
    drop(guard);
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
