//! A fixed amount of hot-path work for instruction counting with callgrind, where wall
//! time on a shared machine is too noisy to compare. Each mode runs `N` iterations of one
//! thing; run it twice (e.g. `N` = 1 and 10001) and divide the difference of the two
//! instruction totals by the difference of `N`:
//!
//! ```sh
//! cargo build --release -p mcp-protocol --example hot_path
//! for n in 1 10001; do
//!   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p target/release/examples/hot_path stdio $n 2>&1 | grep refs
//! done
//! ```
//!
//! Modes:
//! - `request` / `response`: decode + encode of the `tools/call` request and response
//!   the `codec` benchmark uses;
//! - `result`: the server's answer to a `tools/call` (a [`CallToolResult`] with text
//!   and `structuredContent`) encoded as a complete response line;
//! - `stdio`: one stateless (2026-07-28) `tools/call` through [`Server`] over
//!   [`mcp_protocol::stdio::serve_stream`] on an in-memory pipe, answered by a trivial
//!   tool, the client side reduced to writing a prepared line and reading one back;
//! - `stdio-legacy`: the same after `initialize` (2025-11-25);
//! - `http`: the same stateless call as an HTTP/1.1 POST over loopback keep-alive;
//! - `lines`: prints `N` stateless `tools/call` lines (ids 1…N) for `serve`;
//! - `serve`: [`mcp_protocol::stdio::serve_stdio`] on the real stdin/stdout with a
//!   multi-thread runtime, as the `pxcloud-mcp` binary runs it:
//!   `hot_path lines 2000 > calls.jsonl; valgrind --tool=callgrind hot_path serve < calls.jsonl > /dev/null`.
//! - `drive`: runs `serve` as a child process and sends it `N` calls one at a time over
//!   pipes, then prints the child's CPU time per call (from `/proc`, Linux only);
//! - `http-drive`: the same over HTTP against a child serving on a loopback port with a
//!   multi-thread runtime (`http-serve`).

use std::sync::Arc;

use async_trait::async_trait;
use mcp_protocol::http::{HttpConfig, HttpServer};
use mcp_protocol::jsonrpc::{Incoming, Message, RequestId, Response, decode};
use mcp_protocol::{
    CallToolResult, HandlerError, Implementation, RequestContext, Server, Tool, ToolProvider,
};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const REQUEST: &str = r#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"pxcloud_vm_list","arguments":{"cluster":"pve-prod-01","node":"node-3","limit":50,"filter":{"status":"running","tags":["web","prod"]}},"_meta":{"progressToken":"p-42"}}}"#;
const RESPONSE: &str = r#"{"jsonrpc":"2.0","id":42,"result":{"content":[{"type":"text","text":"{\"vms\":[{\"id\":101,\"name\":\"web-1\",\"status\":\"running\",\"cpu\":2,\"memory\":4096},{\"id\":102,\"name\":\"web-2\",\"status\":\"running\",\"cpu\":2,\"memory\":4096}],\"total\":2}"}],"structuredContent":{"vms":[{"id":101,"name":"web-1","status":"running","cpu":2,"memory":4096},{"id":102,"name":"web-2","status":"running","cpu":2,"memory":4096}],"total":2},"isError":false}}"#;
/// A stateless `tools/call` as an SDK client sends it.
const STATELESS_CALL: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"vm_list","arguments":{"cluster":"pve-prod-01","limit":50},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}}}"#;
const LEGACY_CALL: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"vm_list","arguments":{"cluster":"pve-prod-01","limit":50}}}"#;

/// The structured result the trivial tool returns.
fn vms() -> Value {
    json!({"vms":[{"id":101,"name":"web-1","status":"running","cpu":2,"memory":4096},{"id":102,"name":"web-2","status":"running","cpu":2,"memory":4096}],"total":2})
}

/// One tool that answers at once with a fixed structured result.
struct Trivial {
    result: Value,
}

#[async_trait]
impl ToolProvider for Trivial {
    async fn list_tools(&self, _: &RequestContext) -> Result<Vec<Tool>, HandlerError> {
        Ok(vec![Tool::new("vm_list", "Lists VMs")])
    }

    async fn call_tool(
        &self,
        _name: &str,
        _arguments: Map<String, Value>,
        _ctx: &RequestContext,
    ) -> Result<CallToolResult, HandlerError> {
        Ok(CallToolResult::structured(self.result.clone()))
    }

    async fn find_tool(
        &self,
        name: &str,
        _ctx: &RequestContext,
    ) -> Result<Option<Tool>, HandlerError> {
        Ok((name == "vm_list").then(|| Tool::new("vm_list", "Lists VMs")))
    }
}

fn server() -> Server {
    Server::builder(Implementation::new("bench", "1"))
        .tools(Arc::new(Trivial { result: vms() }))
        .build()
}

fn round_trip(input: &str) -> usize {
    match decode(input.as_bytes()) {
        Ok(Incoming::Single(msg)) => msg.encode().len(),
        _ => 0,
    }
}

fn result_line() -> usize {
    let result = CallToolResult::structured(vms());
    let value = serde_json::to_value(&result).unwrap_or_default();
    Message::Response(Response {
        id: RequestId::Number(7),
        result: value,
    })
    .encode()
    .len()
}

async fn stdio(n: u64, legacy: bool) -> usize {
    let (client, server_side) = tokio::io::duplex(1 << 16);
    let (sr, sw) = tokio::io::split(server_side);
    let task = tokio::spawn(mcp_protocol::stdio::serve_stream(
        server(),
        sr,
        sw,
        std::future::pending(),
    ));
    let (cr, mut cw) = tokio::io::split(client);
    let mut lines = BufReader::new(cr);
    let mut line = Vec::new();
    if legacy {
        cw.write_all(b"{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}}\n{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n").await.unwrap_or_default();
        lines.read_until(b'\n', &mut line).await.unwrap_or_default();
    }
    let call = if legacy { LEGACY_CALL } else { STATELESS_CALL };
    let mut bytes = call.as_bytes().to_vec();
    bytes.push(b'\n');
    let mut total = 0;
    for _ in 0..n {
        cw.write_all(&bytes).await.unwrap_or_default();
        line.clear();
        lines.read_until(b'\n', &mut line).await.unwrap_or_default();
        total += line.len();
    }
    cw.shutdown().await.unwrap_or_default();
    let _ = task.await;
    total
}

async fn http(n: u64) -> usize {
    let http = HttpServer::bind(
        server(),
        HttpConfig {
            bind: "127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!()),
            ..HttpConfig::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = http.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(http.serve(async move {
        let _ = stopped.await;
    }));
    let total = http_calls(addr, n).await;
    let _ = stop.send(());
    let _ = task.await;
    total
}

/// Sends `n` stateless calls one after the other on one keep-alive connection.
async fn http_calls(addr: std::net::SocketAddr, n: u64) -> usize {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = stream.set_nodelay(true);
    let request = format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: vm_list\r\nContent-Length: {}\r\n\r\n{STATELESS_CALL}",
        STATELESS_CALL.len()
    );
    let mut buf = vec![0u8; 8192];
    let mut total = 0;
    for _ in 0..n {
        stream
            .write_all(request.as_bytes())
            .await
            .unwrap_or_default();
        // Read one response: headers, then Content-Length bytes of body.
        let mut have = 0;
        loop {
            let got = stream.read(&mut buf[have..]).await.unwrap_or(0);
            assert!(got > 0, "connection closed");
            have += got;
            let Some(end) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| panic!("no content-length in {head}"));
            if have >= end + 4 + len {
                break;
            }
        }
        total += have;
    }
    total
}

/// `http-serve`: serves HTTP on a free loopback port (printed on stdout) with a
/// multi-thread runtime until stdin closes.
fn http_serve() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    rt.block_on(async {
        let http = HttpServer::bind(
            server(),
            HttpConfig {
                bind: "127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!()),
                ..HttpConfig::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
        println!("{}", http.local_addr().unwrap_or_else(|e| panic!("{e}")));
        let stdin_closed = async {
            let mut sink = Vec::new();
            let _ = tokio::io::stdin().read_to_end(&mut sink).await;
        };
        let _ = http.serve(stdin_closed).await;
    });
}

/// `http-drive`: runs `http-serve` as a child process and reports its CPU time per call.
fn http_drive(n: u64) -> usize {
    use std::io::BufRead;
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let mut child = std::process::Command::new(exe)
        .arg("http-serve")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let pid = child.id();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap_or_else(|| unreachable!()));
    let mut line = String::new();
    out.read_line(&mut line).unwrap_or_default();
    let addr: std::net::SocketAddr = line
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{line}: {e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    rt.block_on(http_calls(addr, 100));
    let before = cpu_ticks(pid);
    let start = std::time::Instant::now();
    let total = rt.block_on(http_calls(addr, n));
    let elapsed = start.elapsed();
    let ticks = cpu_ticks(pid) - before;
    drop(child.stdin.take());
    let _ = child.wait();
    eprintln!(
        "server CPU {:.1} µs/call, round trip {:.1} µs/call",
        ticks as f64 * 10_000.0 / n as f64,
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
    total
}

/// A stateless call with this id, as one line.
fn call_line(id: u64) -> String {
    let mut line = STATELESS_CALL.replacen("\"id\":7", &format!("\"id\":{id}"), 1);
    line.push('\n');
    line
}

/// The CPU time (user + system) a process has used so far, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th, stime the 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

fn drive(n: u64) -> usize {
    use std::io::{BufRead, Write};
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let mut child = std::process::Command::new(exe)
        .arg("serve")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let pid = child.id();
    let mut input = child.stdin.take().unwrap_or_else(|| unreachable!());
    let mut output = std::io::BufReader::new(child.stdout.take().unwrap_or_else(|| unreachable!()));
    let mut line = String::new();
    // Warm up, then measure.
    for id in 0..100 {
        input
            .write_all(call_line(id).as_bytes())
            .unwrap_or_default();
        line.clear();
        output.read_line(&mut line).unwrap_or_default();
    }
    let before = cpu_ticks(pid);
    let start = std::time::Instant::now();
    let mut total = 0;
    for id in 0..n {
        input
            .write_all(call_line(id).as_bytes())
            .unwrap_or_default();
        line.clear();
        total += output.read_line(&mut line).unwrap_or_default();
    }
    let elapsed = start.elapsed();
    let ticks = cpu_ticks(pid) - before;
    drop(input);
    let _ = child.wait();
    // Clock ticks are 10 ms on Linux.
    let per_call_us = ticks as f64 * 10_000.0 / n as f64;
    eprintln!(
        "server CPU {per_call_us:.1} µs/call, round trip {:.1} µs/call",
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
    total
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    if mode == "lines" {
        for id in 1..=n {
            print!("{}", call_line(id));
        }
        return;
    }
    if mode == "http-serve" {
        http_serve();
        return;
    }
    if mode == "serve" {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        if let Err(e) = rt.block_on(mcp_protocol::stdio::serve_stdio(server())) {
            eprintln!("serve: {e}");
        }
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let total: usize = match mode.as_str() {
        "request" => (0..n)
            .map(|_| round_trip(std::hint::black_box(REQUEST)))
            .sum(),
        "response" => (0..n)
            .map(|_| round_trip(std::hint::black_box(RESPONSE)))
            .sum(),
        "result" => (0..n).map(|_| result_line()).sum(),
        "stdio" => rt.block_on(stdio(n, false)),
        "stdio-legacy" => rt.block_on(stdio(n, true)),
        "http" => rt.block_on(http(n)),
        "drive" => drive(n),
        "http-drive" => http_drive(n),
        _ => {
            eprintln!(
                "usage: hot_path request|response|result|stdio|stdio-legacy|http|lines|serve|drive|http-drive [iterations]"
            );
            std::process::exit(2);
        }
    };
    println!("{mode} x{n}: {total} bytes");
}
