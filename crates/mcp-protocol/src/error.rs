//! Errors handlers return, and how the core maps them to the wire.

use std::fmt;

use serde_json::{Value, json};

use crate::jsonrpc::{ErrorCode, ErrorObject};

/// Why a handler did not produce a result.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HandlerError {
    /// No tool, prompt or resource by that name or URI (`-32602`; legacy resources `-32002`).
    NotFound {
        /// "tool", "prompt" or "resource".
        kind: &'static str,
        /// The name or URI asked for.
        name: String,
    },
    /// The parameters are wrong (`-32602`).
    InvalidParams(String),
    /// The request needs a client capability the client did not declare (`-32021`);
    /// `required` is a ClientCapabilities object such as `{"sampling": {}}`.
    MissingCapability {
        /// The capabilities needed.
        required: Value,
    },
    /// A tool failed; becomes a tool result with `isError: true`.
    ToolFailed(String),
    /// The stateless core needs input from the client first. Returned by
    /// [`crate::RequestContext::ask`]; propagate it with `?` and the core answers
    /// `input_required` and re-runs the handler when the client retries.
    InputRequired,
    /// The request was cancelled.
    Cancelled,
    /// The client did not answer a server-to-client request in time.
    Timeout(String),
    /// Any other JSON-RPC error.
    Rpc(ErrorObject),
    /// An internal failure (`-32603`); the message must not contain secrets.
    Internal(String),
}

impl HandlerError {
    /// The JSON-RPC error for this failure (legacy or stateless wording).
    pub(crate) fn to_error_object(&self, stateless: bool) -> ErrorObject {
        match self {
            HandlerError::NotFound {
                kind: "resource",
                name,
            } => {
                let code = if stateless {
                    ErrorCode::INVALID_PARAMS
                } else {
                    ErrorCode::RESOURCE_NOT_FOUND
                };
                ErrorObject::new(code, "Resource not found").with_data(json!({ "uri": name }))
            }
            HandlerError::NotFound { kind, name } => {
                ErrorObject::invalid_params(format!("Unknown {kind}: {name}"))
            }
            HandlerError::InvalidParams(m) => ErrorObject::invalid_params(m.clone()),
            HandlerError::MissingCapability { required } => ErrorObject::new(
                ErrorCode::MISSING_CLIENT_CAPABILITY,
                "Missing required client capability",
            )
            .with_data(json!({ "requiredCapabilities": required })),
            HandlerError::ToolFailed(m) | HandlerError::Internal(m) => {
                ErrorObject::internal(m.clone())
            }
            HandlerError::InputRequired => {
                ErrorObject::internal("input required outside the stateless era")
            }
            HandlerError::Cancelled => ErrorObject::internal("Request cancelled"),
            HandlerError::Timeout(m) => ErrorObject::internal(format!("Timed out: {m}")),
            HandlerError::Rpc(e) => e.clone(),
        }
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandlerError::NotFound { kind, name } => write!(f, "unknown {kind} {name:?}"),
            HandlerError::InvalidParams(m) => write!(f, "invalid params: {m}"),
            HandlerError::MissingCapability { required } => {
                write!(f, "missing client capability {required}")
            }
            HandlerError::ToolFailed(m) => write!(f, "tool failed: {m}"),
            HandlerError::InputRequired => f.write_str("input required from the client"),
            HandlerError::Cancelled => f.write_str("cancelled"),
            HandlerError::Timeout(m) => write!(f, "timed out: {m}"),
            HandlerError::Rpc(e) => write!(f, "{e}"),
            HandlerError::Internal(m) => write!(f, "internal error: {m}"),
        }
    }
}

impl std::error::Error for HandlerError {}

/// Errors of the transports.
#[derive(Debug)]
#[non_exhaustive]
pub enum TransportError {
    /// I/O on a stream or socket, with what was being done.
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The configuration is refused (for example a public bind without a bearer token).
    Config(String),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Io { context, .. } => write!(f, "I/O error while {context}"),
            TransportError::Config(m) => write!(f, "invalid transport configuration: {m}"),
        }
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TransportError::Io { source, .. } => Some(source),
            TransportError::Config(_) => None,
        }
    }
}
