//! A hand-written JSON-RPC 2.0 codec and an MCP server core for every protocol revision
//! (2024-11-05, 2025-03-26, 2025-06-18 and 2025-11-25 with `initialize`; the stateless
//! 2026-07-28 with `server/discover`), over stdio and Streamable HTTP. Knows nothing of
//! PXCloud: any MCP server can be built on it.
//!
//! A server is a set of handlers ([`ToolProvider`], [`PromptProvider`],
//! [`ResourceProvider`], [`CompletionProvider`]) behind a [`Server`]; the era is decided
//! per request, so one stdio stream or one HTTP endpoint serves both eras. Handlers get a
//! [`RequestContext`] with progress, logging, cancellation, the client's identity and
//! capabilities, and one way to ask the user ([`RequestContext::elicit`]) that works in
//! both eras.
//!
//! # How a request is served
//! - **Era, per request**: stateless when `params._meta` names
//!   `io.modelcontextprotocol/protocolVersion`, when the HTTP `MCP-Protocol-Version`
//!   header names a stateless revision, or when the method exists only there
//!   (`server/discover`, `subscriptions/listen`); legacy otherwise.
//! - **Stateless checks, in order**: envelope (`-32602`), HTTP headers (`-32020`),
//!   version (`-32022` with `data.supported`/`requested`), method (`-32601`; the
//!   legacy-only `initialize`, `ping`, `logging/setLevel`, `resources/(un)subscribe`
//!   included). Results carry `resultType`; lists and reads also `ttlMs`/`cacheScope`.
//! - **Asking the user**: legacy clients get an `elicitation/create` request on the
//!   request's stream, correlated by id, with a timeout; stateless clients get
//!   `input_required` with an HMAC-signed `requestState` (see [`state`]) and the handler
//!   runs again when they retry with `inputResponses`.
//! - **Concurrency**: every request runs in its own task; cancellation
//!   (`notifications/cancelled`, a closed HTTP stream, shutdown) drops the handler's future.
//!
//! Transports: [`stdio`] (newline-delimited JSON, capped line length, clean exit on EOF
//! and signals) and [`http`] (Streamable HTTP on hyper 1, loopback by default, Host/Origin
//! checks, optional bearer token, body cap, graceful shutdown).
//!
//! ```no_run
//! use std::sync::Arc;
//! use async_trait::async_trait;
//! use mcp_protocol::{CallToolResult, HandlerError, Implementation, RequestContext, Server, Tool, ToolProvider};
//! use serde_json::{Map, Value};
//!
//! struct Hello;
//!
//! #[async_trait]
//! impl ToolProvider for Hello {
//!     async fn list_tools(&self, _: &RequestContext) -> Result<Vec<Tool>, HandlerError> {
//!         Ok(vec![Tool::new("hello", "Says hello")])
//!     }
//!     async fn call_tool(&self, name: &str, _: Map<String, Value>, _: &RequestContext)
//!         -> Result<CallToolResult, HandlerError> {
//!         match name {
//!             "hello" => Ok(CallToolResult::text("Hello!")),
//!             _ => Err(HandlerError::NotFound { kind: "tool", name: name.into() }),
//!         }
//!     }
//! }
//!
//! # async fn run() -> Result<(), mcp_protocol::TransportError> {
//! let server = Server::builder(Implementation::new("hello", "1.0.0")).tools(Arc::new(Hello)).build();
//! mcp_protocol::stdio::serve_stdio(server).await
//! # }
//! ```
#![deny(missing_docs)]

mod context;
mod error;
mod handler;
pub mod http;
pub mod jsonrpc;
pub mod model;
mod notify;
mod server;
mod session;
pub mod state;
pub mod stdio;
mod version;

pub use context::{ElicitOutcome, InputRequest, RequestContext};
pub use error::{HandlerError, TransportError};
pub use handler::{
    CompletionProvider, PromptProvider, ResourceProvider, ToolProvider, param_headers_of,
};
pub use model::{
    CallToolResult, CompleteRequest, CompleteResult, CompletionReference, Content, GetPromptResult,
    Implementation, LogLevel, Prompt, PromptArgument, PromptMessage, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, Role, Tool, ToolAnnotations,
};
pub use notify::{Notifier, ServerEvent};
pub use server::{CacheScope, Server, ServerBuilder, ServerConfig};
pub use version::{ProtocolVersion, meta_keys};
