//! Run with: `cargo run -p conformance-server -- --http 127.0.0.1:PORT` (Streamable HTTP at `/mcp`)
//! or with no arguments for stdio. Exposes exactly the MCP conformance suite's fixture.

mod prompts;
mod resources;
mod tools;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use mcp_protocol::http::{HttpConfig, serve_http};
use mcp_protocol::{Implementation, Server, ServerConfig};

/// Base64 of a 1x1 red PNG.
pub(crate) const TEST_IMAGE_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// Base64 of a minimal WAV file.
pub(crate) const TEST_AUDIO_BASE64: &str =
    "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("conformance-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut http: Option<SocketAddr> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--http" => {
                let addr = args
                    .next()
                    .context("--http needs an address such as 127.0.0.1:3000")?;
                http = Some(
                    addr.parse()
                        .with_context(|| format!("--http: {addr:?} is not an address"))?,
                );
            }
            "-h" | "--help" => {
                println!("usage: conformance-server [--http 127.0.0.1:PORT]");
                return Ok(());
            }
            other => bail!("unknown argument {other:?}"),
        }
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let server = build_server();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let served = rt.block_on(async move {
        match http {
            Some(bind) => {
                let config = HttpConfig {
                    bind,
                    ..HttpConfig::default()
                };
                eprintln!("conformance-server: serving Streamable HTTP at http://{bind}/mcp");
                serve_http(server, config, mcp_protocol::stdio::shutdown_signal()).await
            }
            None => mcp_protocol::stdio::serve_stdio(server).await,
        }
    });
    rt.shutdown_timeout(Duration::from_secs(1));
    served?;
    Ok(())
}

fn build_server() -> Server {
    let info = Implementation::new("mcp-conformance-test-server", "1.0.0");
    let config = ServerConfig {
        instructions: Some("Conformance fixture server.".into()),
        ..ServerConfig::default()
    };
    Server::builder(info)
        .config(config)
        .tools(Arc::new(tools::FixtureTools))
        .prompts(Arc::new(prompts::FixturePrompts))
        .resources(Arc::new(resources::FixtureResources))
        .completions(Arc::new(prompts::FixtureCompletions))
        .build()
}
