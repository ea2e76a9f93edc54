//! `tools/list` byte for byte: every page of a catalog whose tools have every combination of
//! optional members, for each protocol revision and several page sizes, plus the cursor
//! errors, compared with a snapshot (`tests/snapshots/paging_tools.txt`).
//!
//! The snapshot was recorded with the implementation that converted every tool to a JSON
//! value before taking the page, so it pins down that paging first changes nothing on the
//! wire. `UPDATE_SNAPSHOTS=1 cargo test -p mcp-protocol --test paging_tools` rewrites it.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mcp_protocol::model::ToolAnnotations;
use mcp_protocol::{
    CallToolResult, HandlerError, Implementation, RequestContext, Server, ServerConfig, Tool,
    ToolProvider,
};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/snapshots/paging_tools.txt"
);

/// Tools covering each optional member present or absent, listed out of order so the
/// server's sort shows.
fn catalog() -> Vec<Tool> {
    let mut tools = Vec::new();
    for mask in 0u8..16 {
        let name = format!(
            "t{:02}_{}",
            15 - mask,
            ["a", "b", "c"][usize::from(mask % 3)]
        );
        let mut tool = Tool::new(name, format!("tool {mask}: \"quoted\" \u{e9}\n line"));
        if mask & 1 != 0 {
            tool.title = Some(format!("Title {mask}"));
        }
        if mask & 2 != 0 {
            tool.output_schema = Some(json!({
                "type": "object",
                "properties": {"z": {"type": "string"}, "a": {"type": "integer"}}
            }));
        }
        if mask & 4 != 0 {
            tool.annotations = Some(ToolAnnotations {
                title: (mask & 8 != 0).then(|| "Annotated".to_owned()),
                read_only_hint: Some(mask % 2 == 0),
                destructive_hint: (mask & 8 == 0).then_some(true),
                idempotent_hint: None,
                open_world_hint: Some(false),
            });
        }
        if mask & 8 != 0 {
            tool.meta = Some(json!({"method": "GET", "path": "/x/{id}", "tags": ["b", "a"]}));
        }
        if mask == 5 {
            tool.description = None;
        }
        if mask % 4 == 3 {
            tool.input_schema = json!({
                "type": "object",
                "properties": {"id": {"type": "string", "pattern": "^[a-z]+$"}, "n": {"type": "integer"}},
                "required": ["id"],
                "additionalProperties": false
            });
        }
        tools.push(tool);
    }
    tools
}

struct Tools;

#[async_trait]
impl ToolProvider for Tools {
    async fn list_tools(&self, _ctx: &RequestContext) -> Result<Vec<Tool>, HandlerError> {
        Ok(catalog())
    }

    async fn call_tool(
        &self,
        name: &str,
        _args: Map<String, Value>,
        _ctx: &RequestContext,
    ) -> Result<CallToolResult, HandlerError> {
        Err(HandlerError::NotFound {
            kind: "tool",
            name: name.to_owned(),
        })
    }
}

/// One server over a duplex pipe; `run` sends request lines and returns the raw answers.
struct Pipe {
    writer: tokio::io::WriteHalf<tokio::io::DuplexStream>,
    lines: tokio::io::Lines<BufReader<tokio::io::ReadHalf<tokio::io::DuplexStream>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Pipe {
    fn start(page_size: usize) -> Pipe {
        let config = ServerConfig {
            page_size,
            cache_ttl_ms: 1234,
            ..ServerConfig::default()
        };
        let server = Server::builder(Implementation::new("paging", "1"))
            .config(config)
            .tools(Arc::new(Tools))
            .build();
        let (client, server_side) = tokio::io::duplex(1 << 20);
        let (sr, sw) = tokio::io::split(server_side);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(mcp_protocol::stdio::serve_stream(server, sr, sw, async {
            let _ = stopped.await;
        }));
        let (cr, cw) = tokio::io::split(client);
        Pipe {
            writer: cw,
            lines: BufReader::new(cr).lines(),
            _stop: stop,
        }
    }

    /// Sends `request` and returns the raw line of the response with the same id.
    async fn call(&mut self, request: Value) -> String {
        let mut line = request.to_string();
        line.push('\n');
        self.writer.write_all(line.as_bytes()).await.unwrap();
        self.writer.flush().await.unwrap();
        loop {
            let answer = tokio::time::timeout(Duration::from_secs(5), self.lines.next_line())
                .await
                .expect("the server answered in time")
                .unwrap()
                .expect("the stream is open");
            let parsed: Value = serde_json::from_str(&answer).unwrap();
            if parsed.get("id") == request.get("id") && parsed.get("method").is_none() {
                return answer;
            }
        }
    }
}

fn stateless_meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "paging", "version": "1"}
    })
}

/// Every page of `tools/list` and the cursor errors for one revision and page size, as
/// `> request` / `< response` lines.
async fn transcript(version: &str, page_size: usize, out: &mut String) {
    let mut pipe = Pipe::start(page_size);
    let stateless = version == "2026-07-28";
    if !stateless {
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {},
            "clientInfo": {"name": "paging", "version": "1"}}});
        pipe.call(init).await;
        let initialized = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n";
        pipe.writer.write_all(initialized.as_bytes()).await.unwrap();
    }
    let params = |cursor: Option<Value>| {
        let mut p = Map::new();
        if let Some(c) = cursor {
            p.insert("cursor".into(), c);
        }
        if stateless {
            p.insert("_meta".into(), stateless_meta());
        }
        Value::Object(p)
    };
    let _ = writeln!(out, "## {version}, page size {page_size}");
    let mut cursor = None;
    let mut id = 1;
    loop {
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params(cursor.clone())});
        let answer = pipe.call(request.clone()).await;
        let _ = writeln!(out, "> {request}\n< {answer}");
        id += 1;
        let parsed: Value = serde_json::from_str(&answer).unwrap();
        match parsed.pointer("/result/nextCursor") {
            Some(next) => cursor = Some(next.clone()),
            None => break,
        }
        assert!(id < 100, "tools/list never ends");
    }
    // A cursor at the very end, past the end, malformed, and not a string; and null.
    let end = base64_url(&format!("o:{}", catalog().len()));
    let past = base64_url(&format!("o:{}", catalog().len() + 1));
    for cursor in [
        json!(end),
        json!(past),
        json!("%%%"),
        json!(base64_url("x:1")),
        json!(7),
        Value::Null,
    ] {
        let request = json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params(Some(cursor))});
        let answer = pipe.call(request.clone()).await;
        let _ = writeln!(out, "> {request}\n< {answer}");
        id += 1;
    }
}

/// URL-safe base64 without padding (the cursor encoding), written out here so the test
/// does not depend on the server's helper.
fn base64_url(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

#[tokio::test]
async fn tools_list_pages_match_the_snapshot() {
    let mut out = String::new();
    for version in [
        "2024-11-05",
        "2025-03-26",
        "2025-06-18",
        "2025-11-25",
        "2026-07-28",
    ] {
        for page_size in [1, 5, 16, 100] {
            transcript(version, page_size, &mut out).await;
        }
    }
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(std::path::Path::new(SNAPSHOT).parent().unwrap()).unwrap();
        std::fs::write(SNAPSHOT, &out).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(SNAPSHOT)
        .expect("snapshot missing: run with UPDATE_SNAPSHOTS=1 to record it");
    if out != expected {
        let first = out
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "tools/list differs from the snapshot at line {}:\n got: {}\nwant: {}",
            first + 1,
            out.lines().nth(first).unwrap_or(""),
            expected.lines().nth(first).unwrap_or("")
        );
    }
}

#[test]
fn cursor_encoding_matches_the_server() {
    // "o:16" and "o:1" in the server's URL-safe, unpadded base64.
    assert_eq!(base64_url("o:16"), "bzoxNg");
    assert_eq!(base64_url("o:1"), "bzox");
}
