//! What a handler gets with every request: who the client is, progress, logging,
//! cancellation, and one way to ask the client for input that works in both eras.

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::error::HandlerError;
use crate::jsonrpc::{Message, Notification, Request, RequestId};
use crate::model::LogLevel;
use crate::notify::Notifier;
use crate::session::{ClientIdentity, Session, Sink};
use crate::version::{ProtocolVersion, meta_keys};

/// A request the server wants the client to answer: `elicitation/create`,
/// `sampling/createMessage` or `roots/list`.
#[derive(Debug, Clone, PartialEq)]
pub struct InputRequest {
    /// The client method.
    pub method: String,
    /// Its params.
    pub params: Value,
}

impl InputRequest {
    /// A form elicitation with a flat schema of primitives. Never ask for secrets this way.
    pub fn elicit_form(message: impl Into<String>, requested_schema: Value) -> Self {
        InputRequest {
            method: "elicitation/create".into(),
            params: json!({"mode": "form", "message": message.into(), "requestedSchema": requested_schema}),
        }
    }

    /// A sampling request with the given `sampling/createMessage` params.
    pub fn sampling(params: Value) -> Self {
        InputRequest {
            method: "sampling/createMessage".into(),
            params,
        }
    }

    /// A `roots/list` request.
    pub fn list_roots() -> Self {
        InputRequest {
            method: "roots/list".into(),
            params: json!({}),
        }
    }

    /// The client capability this request needs.
    pub fn required_capability(&self) -> &str {
        match self.method.as_str() {
            "elicitation/create" => "elicitation",
            "sampling/createMessage" => "sampling",
            "roots/list" => "roots",
            other => other,
        }
    }
}

/// The user's answer to an elicitation.
#[derive(Debug, Clone, PartialEq)]
pub enum ElicitOutcome {
    /// The user accepted and filled the form.
    Accepted(Map<String, Value>),
    /// The user declined.
    Declined,
    /// The user dismissed the request.
    Cancelled,
    /// The client cannot be asked (it declared no elicitation capability); the reason
    /// is fit to show the model.
    CannotAsk(String),
}

/// Per-request state the core fills in; handlers read it through [`RequestContext`].
pub(crate) struct ContextParts {
    pub(crate) request_id: RequestId,
    pub(crate) method: String,
    pub(crate) version: ProtocolVersion,
    /// Who the client is: the session's (legacy), or `None` to read it from `meta`
    /// (stateless, where every request carries it).
    pub(crate) client: Option<Arc<ClientIdentity>>,
    pub(crate) meta: Map<String, Value>,
    pub(crate) cancel: CancellationToken,
    pub(crate) sink: Sink,
    pub(crate) session: Option<Arc<Session>>,
    pub(crate) log_level: Option<LogLevel>,
    pub(crate) answers: Map<String, Value>,
    pub(crate) notifier: Notifier,
    pub(crate) ask_timeout: Duration,
}

/// The context of one request, handed to every handler call.
pub struct RequestContext {
    parts: ContextParts,
    asked: Mutex<Vec<(String, InputRequest)>>,
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("request_id", &self.parts.request_id)
            .field("method", &self.parts.method)
            .field("version", &self.parts.version)
            .finish_non_exhaustive()
    }
}

impl RequestContext {
    pub(crate) fn new(parts: ContextParts) -> Self {
        RequestContext {
            parts,
            asked: Mutex::new(Vec::new()),
        }
    }

    /// The JSON-RPC id of the request.
    pub fn request_id(&self) -> &RequestId {
        &self.parts.request_id
    }

    /// The method being served.
    pub fn method(&self) -> &str {
        &self.parts.method
    }

    /// The negotiated (legacy) or requested (stateless) protocol version.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.parts.version
    }

    /// Whether this request is served statelessly (2026-07-28).
    pub fn is_stateless(&self) -> bool {
        self.parts.version.is_stateless()
    }

    /// The client's `clientInfo`, if it sent one.
    pub fn client_info(&self) -> Option<&Value> {
        match &self.parts.client {
            Some(client) => client.info.as_ref(),
            None => self.parts.meta.get(meta_keys::CLIENT_INFO),
        }
    }

    /// The client's declared capabilities (an object).
    pub fn client_capabilities(&self) -> &Value {
        let caps = match &self.parts.client {
            Some(client) => Some(&client.capabilities),
            None => self.parts.meta.get(meta_keys::CLIENT_CAPABILITIES),
        };
        caps.filter(|c| c.is_object()).unwrap_or_else(|| {
            static EMPTY: OnceLock<Value> = OnceLock::new();
            EMPTY.get_or_init(|| Value::Object(Map::new()))
        })
    }

    /// Whether the client declared capability `name` (e.g. `"elicitation"`).
    pub fn has_client_capability(&self, name: &str) -> bool {
        self.client_capabilities()
            .get(name)
            .is_some_and(|v| !v.is_null())
    }

    /// The request's `_meta`.
    pub fn meta(&self) -> &Map<String, Value> {
        &self.parts.meta
    }

    /// Cancelled when the client cancels or goes away; the core also drops the
    /// handler's future then, so awaiting this is only needed for cleanup.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.parts.cancel
    }

    /// A handle to announce list changes and resource updates.
    pub fn notifier(&self) -> &Notifier {
        &self.parts.notifier
    }

    /// The client's progress token, if it asked for progress.
    pub fn progress_token(&self) -> Option<&Value> {
        self.parts.meta.get("progressToken")
    }

    /// Reports progress; a no-op unless the client sent a progress token.
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = self.progress_token() else {
            return;
        };
        let mut params = Map::new();
        params.insert("progressToken".into(), token.clone());
        params.insert("progress".into(), json!(progress));
        if let Some(total) = total {
            params.insert("total".into(), json!(total));
        }
        if let Some(message) = message {
            params.insert("message".into(), json!(message));
        }
        self.notify("notifications/progress", Value::Object(params));
    }

    /// Sends a log message to the client if its level is at or above the client's
    /// threshold (legacy: `logging/setLevel`; stateless: the request's `logLevel`,
    /// no logs at all when it is absent).
    pub fn log(&self, level: LogLevel, logger: Option<&str>, data: Value) {
        let threshold = match (&self.parts.session, self.is_stateless()) {
            (_, true) => self.parts.log_level,
            (Some(session), false) => Some(session.log_level()),
            (None, false) => self.parts.log_level,
        };
        if threshold.is_none_or(|t| level < t) {
            return;
        }
        let mut params = Map::new();
        params.insert("level".into(), json!(level.as_str()));
        if let Some(logger) = logger {
            params.insert("logger".into(), json!(logger));
        }
        params.insert("data".into(), data);
        self.notify("notifications/message", Value::Object(params));
    }

    fn notify(&self, method: &str, params: Value) {
        let msg = Message::Notification(Notification {
            method: method.into(),
            params: Some(params),
        });
        let _ = self.parts.sink.send(msg.encode());
    }

    /// Asks the client one thing and returns its answer (the client's result object).
    ///
    /// Legacy era: sends the request to the client now and waits (with the configured
    /// timeout). Stateless era: returns the answer the client sent with its retry, or
    /// records the question and fails with [`HandlerError::InputRequired`]; propagate it
    /// with `?` and the core answers `input_required`, then re-runs the handler when the
    /// client retries with `inputResponses`. `key` names the question in that exchange.
    /// A client without the needed capability gets [`HandlerError::MissingCapability`].
    pub async fn ask(&self, key: &str, request: InputRequest) -> Result<Value, HandlerError> {
        let mut answers = self.ask_all(vec![(key.to_owned(), request)]).await?;
        answers.remove(key).ok_or(HandlerError::InputRequired)
    }

    /// Asks several things at once (in the stateless era they go out in one
    /// `input_required` result). Answers are keyed like the questions.
    pub async fn ask_all(
        &self,
        requests: Vec<(String, InputRequest)>,
    ) -> Result<Map<String, Value>, HandlerError> {
        for (_, req) in &requests {
            let cap = req.required_capability();
            if !self.has_client_capability(cap) {
                return Err(HandlerError::MissingCapability {
                    required: json!({ cap: {} }),
                });
            }
        }
        if self.is_stateless() {
            let mut found = Map::new();
            let mut missing = Vec::new();
            for (key, req) in requests {
                match self.parts.answers.get(&key) {
                    Some(answer) => {
                        found.insert(key, answer.clone());
                    }
                    None => missing.push((key, req)),
                }
            }
            if missing.is_empty() {
                return Ok(found);
            }
            let mut asked = self
                .asked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            asked.extend(missing);
            return Err(HandlerError::InputRequired);
        }
        let mut found = Map::new();
        for (key, req) in requests {
            let answer = self.request_client(req).await?;
            found.insert(key, answer);
        }
        Ok(found)
    }

    /// Asks the user through an elicitation form; the one "may I?" call for both eras.
    /// A client that declared no elicitation capability gets
    /// [`ElicitOutcome::CannotAsk`] rather than an error.
    pub async fn elicit(
        &self,
        key: &str,
        message: &str,
        requested_schema: Value,
    ) -> Result<ElicitOutcome, HandlerError> {
        if !self.has_client_capability("elicitation") {
            return Ok(ElicitOutcome::CannotAsk(
                "the client did not declare the elicitation capability, so the user cannot be asked".into(),
            ));
        }
        let answer = match self
            .ask(key, InputRequest::elicit_form(message, requested_schema))
            .await
        {
            Ok(answer) => answer,
            // The request is alive but its stream cannot carry a question (for example
            // an HTTP client that accepts no SSE).
            Err(HandlerError::Cancelled) if !self.parts.cancel.is_cancelled() => {
                return Ok(ElicitOutcome::CannotAsk(
                    "the client's connection cannot carry a question to the user".into(),
                ));
            }
            Err(e) => return Err(e),
        };
        Ok(match answer.get("action").and_then(Value::as_str) {
            Some("accept") => Accepted(
                answer
                    .get("content")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            ),
            Some("decline") => ElicitOutcome::Declined,
            Some("cancel") => ElicitOutcome::Cancelled,
            _ => {
                return Err(HandlerError::InvalidParams(format!(
                    "elicitation answer {key:?} has no valid action"
                )));
            }
        })
    }

    async fn request_client(&self, req: InputRequest) -> Result<Value, HandlerError> {
        let Some(session) = &self.parts.session else {
            return Err(HandlerError::Internal(
                "no session to send a client request on".into(),
            ));
        };
        let (id, rx) = session.start_outgoing();
        // Forgotten on drop, however the wait ends (the future may be dropped to cancel).
        let _waiting = Outgoing {
            session,
            id: id.clone(),
        };
        let msg = Message::Request(Request {
            id,
            method: req.method.clone(),
            params: Some(req.params),
        });
        if self.parts.sink.send(msg.encode()).is_err() {
            return Err(HandlerError::Cancelled);
        }
        let outcome = tokio::select! {
            r = rx => r,
            () = tokio::time::sleep(self.parts.ask_timeout) => {
                return Err(HandlerError::Timeout(format!("client did not answer {}", req.method)));
            }
            () = self.parts.cancel.cancelled() => {
                return Err(HandlerError::Cancelled);
            }
        };
        match outcome {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(HandlerError::Rpc(e)),
            Err(_) => Err(HandlerError::Cancelled),
        }
    }

    pub(crate) fn take_asked(&self) -> Vec<(String, InputRequest)> {
        std::mem::take(
            &mut *self
                .asked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    pub(crate) fn answers(&self) -> &Map<String, Value> {
        &self.parts.answers
    }
}

/// A server-to-client request awaiting its answer; dropping it forgets the request.
struct Outgoing<'a> {
    session: &'a Session,
    id: RequestId,
}

impl Drop for Outgoing<'_> {
    fn drop(&mut self) {
        self.session.abandon_outgoing(&self.id);
    }
}

use ElicitOutcome::Accepted;
