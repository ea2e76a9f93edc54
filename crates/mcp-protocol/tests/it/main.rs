//! Integration tests of mcp-protocol: the codec, request state, the core over
//! `tokio::io::duplex`, and the HTTP transport over loopback sockets.

mod catalog;
mod codec;
mod core_legacy;
mod core_stateless;
mod http;
mod state;
mod support;
