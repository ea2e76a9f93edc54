//! What the application needs from the MCP client in front of one call.
//!
//! The protocol adapter implements [`Caller`] over `mcp_protocol::RequestContext`; tests
//! implement it directly, so the application is tested without a transport.

use async_trait::async_trait;
use serde_json::{Map, Value};

/// The user's answer to a question.
#[derive(Debug, Clone, PartialEq)]
pub enum Elicited {
    /// Accepted, with the form's content.
    Accepted(Map<String, Value>),
    /// Declined.
    Declined,
    /// Dismissed or timed out.
    Cancelled,
    /// The client cannot ask its user; the text says why.
    CannotAsk(String),
}

/// Why a handler must stop before it finishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interrupt {
    /// Stateless era: the core answers `input_required` and re-runs the handler later.
    InputRequired,
    /// The client cancelled the request.
    Cancelled,
    /// The question could not be asked or answered (timeout, protocol failure).
    Failed(String),
}

/// The MCP client in front of one call.
#[async_trait]
pub trait Caller: Send + Sync {
    /// Whether the client can ask its user (elicitation in either era).
    fn can_elicit(&self) -> bool;

    /// Asks the user; `key` identifies the question across stateless retries.
    async fn elicit(&self, key: &str, message: &str, schema: Value) -> Result<Elicited, Interrupt>;

    /// Reports progress (a no-op unless the client asked for it).
    fn progress(&self, done: f64, total: Option<f64>, message: Option<&str>);
}

/// A caller that cannot ask anything and ignores progress: the `tools` command, embedding
/// without MCP, and tests of the two-step flow.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClient;

#[async_trait]
impl Caller for NoClient {
    fn can_elicit(&self) -> bool {
        false
    }

    async fn elicit(
        &self,
        _key: &str,
        _message: &str,
        _schema: Value,
    ) -> Result<Elicited, Interrupt> {
        Ok(Elicited::CannotAsk(
            "no MCP client is attached, so no user can be asked".to_owned(),
        ))
    }

    fn progress(&self, _done: f64, _total: Option<f64>, _message: Option<&str>) {}
}
