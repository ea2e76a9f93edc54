//! Run with: `cargo run -p in-process-server`
//!
//! The whole pxcloud-mcp server inside your program: configuration, the embedded simulator as
//! PXCloud, and MCP over an in-memory pipe instead of stdio. The "client" half here writes
//! JSON-RPC lines by hand; an agent would plug its MCP client in instead.

use anyhow::Context as _;
use pxcloud_mcp::app::App;
use pxcloud_mcp::cli::RawOptions;
use pxcloud_mcp::config::{Config, Purpose};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The same settings as the binary's flags and PXCLOUD_* variables.
    let raw = RawOptions {
        demo: true,
        profile: Some("operator".into()),
        ..RawOptions::default()
    };
    let config = Config::from_raw(&raw, Purpose::Connect)?;
    let app = App::start(config).await?;
    let server = pxcloud_mcp::serve::build_server(&app);

    let (client_end, server_end) = tokio::io::duplex(1 << 20);
    let (server_read, server_write) = tokio::io::split(server_end);
    let serving = tokio::spawn(mcp_protocol::stdio::serve_stream(
        server,
        server_read,
        server_write,
        std::future::pending(),
    ));

    let (client_read, mut client_write) = tokio::io::split(client_end);
    let mut lines = BufReader::new(client_read).lines();
    let mut call = async |msg: Value| -> anyhow::Result<Value> {
        client_write
            .write_all(format!("{msg}\n").as_bytes())
            .await?;
        loop {
            let line = lines.next_line().await?.context("server closed the pipe")?;
            let reply: Value = serde_json::from_str(&line)?;
            if reply.get("id") == msg.get("id") {
                return Ok(reply);
            }
        }
    };

    let init = call(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "example", "version": "1"}}})).await?;
    println!(
        "initialized: {} {}",
        init["result"]["serverInfo"]["name"], init["result"]["protocolVersion"]
    );
    let list = call(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})).await?;
    println!(
        "first page: {} tools",
        list["result"]["tools"].as_array().map_or(0, Vec::len)
    );
    let nodes = call(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "pxcloud_list_nodes", "arguments": {"fields": ["name", "status"]}}}))
    .await?;
    println!(
        "pxcloud_list_nodes: {}",
        nodes["result"]["structuredContent"]["summary"]
    );
    println!("{}", nodes["result"]["structuredContent"]["data"]);
    serving.abort();
    Ok(())
}
