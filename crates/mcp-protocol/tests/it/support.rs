//! A small test catalog and a line-oriented client over `tokio::io::duplex`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use mcp_protocol::{
    CallToolResult, ElicitOutcome, HandlerError, Implementation, LogLevel, RequestContext, Server,
    ServerConfig, Tool, ToolProvider,
};
use serde_json::{Map, Value, json};
use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;

/// Flags the tests read to see what the handlers did.
#[derive(Debug, Default)]
pub(crate) struct Probe {
    pub(crate) slow_started: Notify,
    pub(crate) slow_dropped: AtomicBool,
    pub(crate) slow_finished: AtomicBool,
}

struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

pub(crate) struct TestTools {
    pub(crate) probe: Arc<Probe>,
    pub(crate) extra: Vec<String>,
}

#[async_trait]
impl ToolProvider for TestTools {
    async fn list_tools(&self, _ctx: &RequestContext) -> Result<Vec<Tool>, HandlerError> {
        let mut tools: Vec<Tool> = [
            "echo",
            "slow",
            "ask",
            "progress",
            "log",
            "fail",
            "structured",
        ]
        .iter()
        .map(|n| Tool::new(*n, format!("test tool {n}")))
        .collect();
        tools.extend(self.extra.iter().map(|n| Tool::new(n.clone(), "extra")));
        tools.push(Tool::new("headed", "mirrors region into Mcp-Param-Region").with_input_schema(json!({
            "type": "object",
            "properties": {"region": {"type": "string", "x-mcp-header": "Region"}, "n": {"type": "integer", "x-mcp-header": "N"}}
        })));
        Ok(tools)
    }

    async fn call_tool(
        &self,
        name: &str,
        args: Map<String, Value>,
        ctx: &RequestContext,
    ) -> Result<CallToolResult, HandlerError> {
        match name {
            "echo" | "headed" => Ok(CallToolResult::text(Value::Object(args).to_string())),
            "slow" => {
                let _guard = SetOnDrop(&self.probe.slow_dropped);
                self.probe.slow_started.notify_one();
                let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(60_000);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                self.probe.slow_finished.store(true, Ordering::SeqCst);
                Ok(CallToolResult::text("slow done"))
            }
            "ask" => {
                let schema = json!({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]});
                let text = match ctx.elicit("confirm", "May I?", schema).await? {
                    ElicitOutcome::Accepted(c) => format!("accepted {}", Value::Object(c)),
                    ElicitOutcome::Declined => "declined".into(),
                    ElicitOutcome::Cancelled => "cancelled".into(),
                    ElicitOutcome::CannotAsk(why) => format!("cannot ask: {why}"),
                };
                Ok(CallToolResult::text(text))
            }
            "progress" => {
                for p in [1.0, 2.0] {
                    ctx.progress(p, Some(2.0), None);
                }
                Ok(CallToolResult::text("progressed"))
            }
            "log" => {
                ctx.log(LogLevel::Debug, Some("t"), json!("debug line"));
                ctx.log(LogLevel::Error, Some("t"), json!("error line"));
                Ok(CallToolResult::text("logged"))
            }
            "fail" => Err(HandlerError::ToolFailed("it broke".into())),
            "structured" => {
                let mut r = CallToolResult::structured(json!({"vms": [{"id": 1}], "total": 1}));
                r.meta = Some(Map::from_iter([("k".to_owned(), json!("v"))]));
                Ok(r)
            }
            // The same result as `structured`, its structured content given as JSON text
            // (spaced, to show it is sent as it is).
            "structured_json" => {
                let json = serde_json::value::RawValue::from_string(
                    r#"{"vms": [{"id": 1}], "total": 1}"#.to_owned(),
                )
                .expect("valid JSON");
                let mut r = CallToolResult::text(r#"{"vms":[{"id":1}],"total":1}"#)
                    .with_structured_json(json);
                r.meta = Some(Map::from_iter([("k".to_owned(), json!("v"))]));
                Ok(r)
            }
            other if self.extra.iter().any(|e| e == other) => Ok(CallToolResult::text(other)),
            other => Err(HandlerError::NotFound {
                kind: "tool",
                name: other.into(),
            }),
        }
    }
}

pub(crate) fn server_with(config: ServerConfig, extra: &[&str]) -> (Server, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    let tools = TestTools {
        probe: Arc::clone(&probe),
        extra: extra.iter().map(|s| (*s).to_owned()).collect(),
    };
    // Short defaults for tests unless the test chose its own.
    let defaults = ServerConfig::default();
    let ask_timeout = if config.ask_timeout == defaults.ask_timeout {
        Duration::from_secs(5)
    } else {
        config.ask_timeout
    };
    let config = ServerConfig {
        ask_timeout,
        shutdown_grace: Duration::from_millis(500),
        ..config
    };
    let server = Server::builder(Implementation::new("test-server", "0.0.1"))
        .config(config)
        .tools(Arc::new(tools))
        .build();
    (server, probe)
}

pub(crate) fn server() -> (Server, Arc<Probe>) {
    server_with(ServerConfig::default(), &[])
}

/// `_meta` of a stateless request.
pub(crate) fn meta(caps: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": caps,
        "io.modelcontextprotocol/clientInfo": {"name": "test-client", "version": "1"}
    })
}

/// A client speaking newline-delimited JSON to `serve_stream` over a duplex pipe.
pub(crate) struct Client {
    writer: WriteHalf<DuplexStream>,
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    pub(crate) backlog: Vec<Value>,
    stop: Option<oneshot::Sender<()>>,
    pub(crate) task: JoinHandle<Result<(), mcp_protocol::TransportError>>,
}

impl Client {
    pub(crate) fn start(server: Server) -> Client {
        let (client_side, server_side) = tokio::io::duplex(1 << 20);
        let (sr, sw) = tokio::io::split(server_side);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(mcp_protocol::stdio::serve_stream(
            server,
            sr,
            sw,
            async move {
                let _ = stop_rx.await;
            },
        ));
        let (cr, cw) = tokio::io::split(client_side);
        Client {
            writer: cw,
            lines: BufReader::new(cr).lines(),
            backlog: Vec::new(),
            stop: Some(stop_tx),
            task,
        }
    }

    pub(crate) async fn send_raw(&mut self, line: &str) {
        self.writer.write_all(line.as_bytes()).await.unwrap();
        self.writer.write_all(b"\n").await.unwrap();
        self.writer.flush().await.unwrap();
    }

    pub(crate) async fn send(&mut self, value: Value) {
        self.send_raw(&value.to_string()).await;
    }

    /// The next message from the server (5 s limit).
    pub(crate) async fn recv(&mut self) -> Value {
        serde_json::from_str(&self.recv_line().await).unwrap()
    }

    /// The next message from the server as it was written (5 s limit).
    pub(crate) async fn recv_line(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(5), self.lines.next_line())
            .await
            .expect("server answered in time")
            .unwrap()
            .expect("stream open")
    }

    /// Whether nothing arrives within `ms`.
    pub(crate) async fn silent_for(&mut self, ms: u64) -> bool {
        tokio::time::timeout(Duration::from_millis(ms), self.lines.next_line())
            .await
            .is_err()
    }

    /// Sends a request and returns its response; other messages go to `backlog`.
    pub(crate) async fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await;
        self.response(id).await
    }

    pub(crate) async fn response(&mut self, id: i64) -> Value {
        loop {
            let msg = self.recv().await;
            if msg.get("id") == Some(&json!(id)) && msg.get("method").is_none() {
                return msg;
            }
            self.backlog.push(msg);
        }
    }

    pub(crate) async fn initialize(&mut self, version: &str, caps: Value) -> Value {
        let r = self
            .request(0, "initialize", json!({"protocolVersion": version, "capabilities": caps, "clientInfo": {"name": "t", "version": "1"}}))
            .await;
        self.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
            .await;
        r
    }

    pub(crate) fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    pub(crate) async fn close_input(&mut self) {
        self.writer.shutdown().await.unwrap();
    }
}
