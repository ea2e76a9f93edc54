//! Entry points the transports call: one request, notification or response at a time.
//! Decides the era per request and runs the request cancellably.

use std::borrow::Cow;
use std::sync::Arc;

use http::HeaderValue;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::Server;
use super::stateless::decode_header_value;
use crate::jsonrpc::{
    ErrorObject, Message, Notification, Request, RequestId, ResponseError, encode_response,
};
use crate::session::{Session, Sink};
use crate::version::{ProtocolVersion, meta_keys};

/// The `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers of an HTTP request.
///
/// Kept as the header values hyper read (shared with its buffer, no copy per request);
/// the accessors give them trimmed, as text.
#[derive(Debug, Clone, Default)]
pub(crate) struct HttpHeaders {
    pub(crate) protocol_version: Option<HeaderValue>,
    pub(crate) method: Option<HeaderValue>,
    /// As sent: plain, or `=?base64?…?=` (see [`HttpHeaders::name`]).
    pub(crate) name: Option<HeaderValue>,
    /// `Mcp-Param-<Name>` headers: the name after the prefix and the raw value.
    pub(crate) params: Vec<(String, String)>,
}

impl HttpHeaders {
    /// `MCP-Protocol-Version`, trimmed; `None` when absent or not visible ASCII.
    pub(crate) fn protocol_version(&self) -> Option<&str> {
        text(self.protocol_version.as_ref())
    }

    /// `Mcp-Method`, trimmed.
    pub(crate) fn method(&self) -> Option<&str> {
        text(self.method.as_ref())
    }

    /// `Mcp-Name`, trimmed and decoded: `=?base64?…?=` carries names that are not plain
    /// ASCII, and a bad encoding becomes a value no name can match.
    pub(crate) fn name(&self) -> Option<Cow<'_, str>> {
        let raw = text(self.name.as_ref())?;
        if !raw.starts_with("=?base64?") {
            return Some(Cow::Borrowed(raw));
        }
        Some(Cow::Owned(
            decode_header_value(raw).unwrap_or_else(|| "\u{0}invalid".into()),
        ))
    }
}

fn text(value: Option<&HeaderValue>) -> Option<&str> {
    value?.to_str().ok().map(str::trim)
}

/// The final answer to a request, encoded, with the HTTP status it should travel with.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    /// The encoded response message (compact JSON, no newline).
    pub(crate) body: Vec<u8>,
    pub(crate) status: u16,
}

impl Reply {
    pub(crate) fn ok(id: RequestId, result: Value) -> Self {
        Self::ok_with(&id, &result, 0)
    }

    /// A success response serialised straight from `result`, into a buffer of about
    /// `size_hint` bytes.
    pub(crate) fn ok_with<T: Serialize + ?Sized>(
        id: &RequestId,
        result: &T,
        size_hint: usize,
    ) -> Self {
        Reply {
            body: encode_response(id, result, size_hint),
            status: 200,
        }
    }

    pub(crate) fn error(id: Option<RequestId>, error: ErrorObject, status: u16) -> Self {
        Reply {
            body: Message::Error(ResponseError { id, error }).encode(),
            status,
        }
    }
}

/// Methods that exist only in the stateless era.
pub(crate) const STATELESS_ONLY: [&str; 2] = ["server/discover", "subscriptions/listen"];

impl Server {
    /// Serves one request. `None` when it was cancelled (no response is sent then).
    pub(crate) async fn handle_request(
        &self,
        session: Option<Arc<Session>>,
        mut req: Request,
        sink: Sink,
        headers: Option<HttpHeaders>,
        cancel: CancellationToken,
    ) -> Option<Reply> {
        let params = match req.params.take() {
            None => Map::new(),
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Some(Reply::error(
                    Some(req.id),
                    ErrorObject::invalid_params("params must be an object"),
                    200,
                ));
            }
        };
        // Unregistered on drop: a transport may drop this future to cancel it.
        let _inflight = session
            .as_ref()
            .map(|s| Inflight::register(Arc::clone(s), req.id.clone(), &cancel));
        let stateless = is_stateless_request(&req.method, Some(&params), headers.as_ref());
        // Boxed: the serving future is large, and a small task future is cheaper for
        // the transport to move while spawning it.
        let work = Box::pin(async {
            if stateless {
                self.serve_stateless(req, params, sink, headers.as_ref(), cancel.clone())
                    .await
            } else {
                self.serve_legacy(session.clone(), req, params, sink, cancel.clone())
                    .await
            }
        });
        tokio::select! {
            biased;
            () = cancel.cancelled() => None,
            r = work => Some(r),
        }
    }

    /// Handles a client notification (initialized, cancelled, roots changed, ...).
    pub(crate) fn handle_notification(&self, session: &Session, n: &Notification) {
        match n.method.as_str() {
            "notifications/initialized" => session.update(|s| s.initialized = true),
            "notifications/cancelled" => {
                let id = n
                    .params
                    .as_ref()
                    .and_then(|p| p.get("requestId"))
                    .and_then(RequestId::from_value);
                if let Some(id) = id
                    && session.cancel(&id)
                {
                    tracing::debug!(%id, "request cancelled by the client");
                }
            }
            other => tracing::trace!(method = other, "notification ignored"),
        }
    }

    /// Routes a client's answer to a server-to-client request.
    pub(crate) fn handle_response(&self, session: &Session, msg: Message) {
        let delivered = match msg {
            Message::Response(r) => session.complete_outgoing(&r.id, Ok(r.result)),
            Message::Error(ResponseError {
                id: Some(id),
                error,
            }) => session.complete_outgoing(&id, Err(error)),
            _ => false,
        };
        if !delivered {
            tracing::debug!("response to an unknown server request ignored");
        }
    }
}

/// A request registered as in flight on its session (so the client can cancel it) until
/// this is dropped, however the request ends.
struct Inflight {
    session: Arc<Session>,
    id: RequestId,
}

impl Inflight {
    fn register(session: Arc<Session>, id: RequestId, cancel: &CancellationToken) -> Self {
        session.register_inflight(id.clone(), cancel.clone());
        Inflight { session, id }
    }
}

impl Drop for Inflight {
    fn drop(&mut self) {
        self.session.finish_inflight(&self.id);
    }
}

/// Stateless when `_meta` names a protocol version, when the HTTP header names a
/// stateless version, or when the method exists only in the stateless era.
pub(crate) fn is_stateless_request(
    method: &str,
    params: Option<&Map<String, Value>>,
    headers: Option<&HttpHeaders>,
) -> bool {
    let meta_version = params
        .and_then(|p| p.get("_meta"))
        .and_then(Value::as_object)
        .is_some_and(|m| m.contains_key(meta_keys::PROTOCOL_VERSION));
    let header_stateless = headers
        .and_then(HttpHeaders::protocol_version)
        .and_then(ProtocolVersion::parse)
        .is_some_and(ProtocolVersion::is_stateless);
    meta_version || header_stateless || STATELESS_ONLY.contains(&method)
}
