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
pub use handler::{CompletionProvider, PromptProvider, ResourceProvider, ToolProvider};
pub use model::{
    CallToolResult, CompleteRequest, CompleteResult, CompletionReference, Content, GetPromptResult,
    Implementation, LogLevel, Prompt, PromptArgument, PromptMessage, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, Role, Tool, ToolAnnotations,
};
pub use notify::{Notifier, ServerEvent};
pub use server::{CacheScope, Server, ServerBuilder, ServerConfig};
pub use version::{ProtocolVersion, meta_keys};
