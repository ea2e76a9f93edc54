//! Run with: `cargo run -p conformance-server -- --http 127.0.0.1:PORT` (Streamable HTTP at `/mcp`)
//! or with no arguments for stdio. Exposes exactly the MCP conformance suite's fixture.
fn main() {}
