//! One `tools/call` through [`Server`], answered by a trivial in-memory tool, one call at a
//! time: what the core itself costs per call (decode, era checks, context, dispatch,
//! handler call, result encoding, writing), without a real backend.
//!
//! - `stdio_*`: [`mcp_protocol::stdio::serve_stream`] over an in-memory pipe on a
//!   current-thread runtime; the client writes a prepared line and reads one line back.
//! - `http_stateless`: the Streamable HTTP transport on loopback, one keep-alive
//!   connection, the client writing a prepared request and reading the whole response.
//!
//! Run: `cargo bench -p mcp-protocol --bench server`. For instruction counts, which do
//! not move with the machine's load, see `examples/hot_path.rs`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mcp_protocol::http::{HttpConfig, HttpServer};
use mcp_protocol::{
    CallToolResult, HandlerError, Implementation, RequestContext, Server, Tool, ToolProvider,
};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::runtime::Runtime;

const STATELESS_CALL: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"vm_list","arguments":{"cluster":"pve-prod-01","limit":50},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}},"io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"}}}}"#;
const LEGACY_CALL: &str = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"vm_list","arguments":{"cluster":"pve-prod-01","limit":50}}}"#;
const INITIALIZE: &str = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}}\n{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";

/// One tool that answers at once with a fixed structured result (about 450 bytes).
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
    let result = json!({"vms":[{"id":101,"name":"web-1","status":"running","cpu":2,"memory":4096},{"id":102,"name":"web-2","status":"running","cpu":2,"memory":4096}],"total":2});
    Server::builder(Implementation::new("bench", "1"))
        .tools(Arc::new(Trivial { result }))
        .build()
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// `iters` calls over a fresh stdio pipe; the time covers the calls only.
async fn stdio_calls(iters: u64, legacy: bool) -> Duration {
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
        cw.write_all(INITIALIZE.as_bytes()).await.expect("write");
        lines.read_until(b'\n', &mut line).await.expect("read");
    }
    let mut call = if legacy { LEGACY_CALL } else { STATELESS_CALL }
        .as_bytes()
        .to_vec();
    call.push(b'\n');
    let start = Instant::now();
    for _ in 0..iters {
        cw.write_all(&call).await.expect("write");
        line.clear();
        lines.read_until(b'\n', &mut line).await.expect("read");
        assert!(line.len() > 100, "a result");
    }
    let elapsed = start.elapsed();
    cw.shutdown().await.expect("close");
    let _ = task.await;
    elapsed
}

/// `iters` calls on one keep-alive connection to `addr`.
async fn http_calls(addr: SocketAddr, iters: u64) -> Duration {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let request = format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: vm_list\r\nContent-Length: {}\r\n\r\n{STATELESS_CALL}",
        STATELESS_CALL.len()
    );
    let mut buf = vec![0u8; 8192];
    let start = Instant::now();
    for _ in 0..iters {
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut have = 0;
        loop {
            let got = stream.read(&mut buf[have..]).await.expect("read");
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
                .expect("content-length");
            if have >= end + 4 + len {
                break;
            }
        }
    }
    start.elapsed()
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("server_tools_call");
    group.throughput(Throughput::Elements(1));
    group.bench_function("stdio_stateless", |b| {
        b.iter_custom(|iters| rt.block_on(stdio_calls(iters, false)))
    });
    group.bench_function("stdio_legacy", |b| {
        b.iter_custom(|iters| rt.block_on(stdio_calls(iters, true)))
    });
    let http = rt.block_on(async {
        HttpServer::bind(
            server(),
            HttpConfig {
                bind: "127.0.0.1:0".parse().expect("address"),
                ..HttpConfig::default()
            },
        )
        .await
        .expect("bind")
    });
    let addr = http.local_addr().expect("address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = rt.spawn(http.serve(async move {
        let _ = stopped.await;
    }));
    group.bench_function("http_stateless", |b| {
        b.iter_custom(|iters| rt.block_on(http_calls(addr, iters)))
    });
    group.finish();
    let _ = stop.send(());
    let _ = rt.block_on(serving);
}

criterion_group!(benches, bench);
criterion_main!(benches);
