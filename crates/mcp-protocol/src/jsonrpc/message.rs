//! The four message kinds, decoded from the members present.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::{ErrorObject, RequestId};

/// A request: has `method` and `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The id the response must echo.
    pub id: RequestId,
    /// The method name.
    pub method: String,
    /// The parameters (an object or array), if any.
    pub params: Option<Value>,
}

/// A notification: has `method`, no `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The method name.
    pub method: String,
    /// The parameters, if any.
    pub params: Option<Value>,
}

/// A successful response: has `result` and `id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The id of the request answered.
    pub id: RequestId,
    /// The result.
    pub result: Value,
}

/// An error response: has `error`; `id` is `null` when the request could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseError {
    /// The id of the request answered, `None` for `null`.
    pub id: Option<RequestId>,
    /// The error.
    pub error: ErrorObject,
}

/// One JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A notification.
    Notification(Notification),
    /// A successful response.
    Response(Response),
    /// An error response.
    Error(ResponseError),
}

/// What one line or body held: a single message or a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A single message.
    Single(Message),
    /// A non-empty batch; each element decoded on its own (an unreadable element becomes
    /// the error to answer it with).
    Batch(Vec<Result<Message, ResponseError>>),
}

/// Decodes bytes (one line or one HTTP body). A syntax error gives `-32700`, a
/// structurally wrong message `-32600`; the error carries the id when it was readable.
#[allow(
    clippy::result_large_err,
    reason = "the error is the message to send back; errors are the rare path"
)]
pub fn decode(bytes: &[u8]) -> Result<Incoming, ResponseError> {
    // Fast path: a well-typed object decodes straight into its members without an
    // intermediate map. Anything unusual falls through to the general path, which
    // produces the precise error.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && let Ok(envelope) = serde_json::from_slice::<Envelope>(bytes)
    {
        let parts = Parts {
            jsonrpc_ok: envelope.jsonrpc.as_deref() == Some("2.0"),
            id: envelope.id,
            method: envelope.method,
            params: envelope.params,
            result: envelope.result,
            error: envelope.error,
        };
        return from_parts(parts).map(Incoming::Single);
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ResponseError {
        id: None,
        error: ErrorObject::parse_error(format!("Parse error: {e}")),
    })?;
    match value {
        Value::Array(items) => {
            if items.is_empty() {
                return Err(ResponseError {
                    id: None,
                    error: ErrorObject::invalid_request("Invalid Request: empty batch"),
                });
            }
            Ok(Incoming::Batch(
                items.into_iter().map(decode_value).collect(),
            ))
        }
        other => decode_value(other).map(Incoming::Single),
    }
}

/// The members of a message object, each `Some` when present (even when `null`).
struct Parts {
    jsonrpc_ok: bool,
    id: Option<Value>,
    method: Option<Value>,
    params: Option<Value>,
    result: Option<Value>,
    error: Option<Value>,
}

/// The fast-path shape: every member optional, presence kept apart from `null`.
#[derive(serde::Deserialize)]
struct Envelope {
    jsonrpc: Option<String>,
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    method: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    params: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    result: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    error: Option<Value>,
}

/// A member that is present is `Some`, even when its value is `null`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    <Value as serde::Deserialize>::deserialize(d).map(Some)
}

/// Decodes one already parsed JSON value into a message.
#[allow(
    clippy::result_large_err,
    reason = "the error is the message to send back; errors are the rare path"
)]
pub fn decode_value(value: Value) -> Result<Message, ResponseError> {
    let Value::Object(mut obj) = value else {
        return Err(invalid(None, "message is not a JSON object"));
    };
    let parts = Parts {
        jsonrpc_ok: matches!(obj.get("jsonrpc"), Some(Value::String(v)) if v == "2.0"),
        id: obj.remove("id"),
        method: obj.remove("method"),
        params: obj.remove("params"),
        result: obj.remove("result"),
        error: obj.remove("error"),
    };
    from_parts(parts)
}

#[allow(
    clippy::result_large_err,
    reason = "the error is the message to send back; errors are the rare path"
)]
fn from_parts(parts: Parts) -> Result<Message, ResponseError> {
    let raw_id = parts.id;
    let id = match &raw_id {
        None | Some(Value::Null) => None,
        Some(v) => match RequestId::from_value(v) {
            Some(id) => Some(id),
            None => return Err(invalid(None, "id must be an integer or a string")),
        },
    };
    if !parts.jsonrpc_ok {
        return Err(invalid(id, "jsonrpc must be \"2.0\""));
    }
    let params = match parts.params {
        None => None,
        Some(p @ (Value::Object(_) | Value::Array(_))) => Some(p),
        Some(_) => return Err(invalid(id, "params must be an object or an array")),
    };
    if let Some(method) = parts.method {
        let Value::String(method) = method else {
            return Err(invalid(id, "method must be a string"));
        };
        if parts.result.is_some() || parts.error.is_some() {
            return Err(invalid(id, "a request cannot carry result or error"));
        }
        return Ok(match raw_id {
            None => Message::Notification(Notification { method, params }),
            Some(Value::Null) => return Err(invalid(None, "a request id cannot be null")),
            Some(_) => match id {
                Some(id) => Message::Request(Request { id, method, params }),
                None => return Err(invalid(None, "invalid id")),
            },
        });
    }
    if params.is_some() {
        return Err(invalid(id, "a response cannot carry params"));
    }
    match (parts.result, parts.error) {
        (Some(_), Some(_)) => Err(invalid(id, "a response cannot carry both result and error")),
        (Some(result), None) => match id {
            Some(id) => Ok(Message::Response(Response { id, result })),
            None => Err(invalid(None, "a result response needs an id")),
        },
        (None, Some(error)) => match ErrorObject::from_value(&error) {
            Some(error) if raw_id.is_some() => Ok(Message::Error(ResponseError { id, error })),
            Some(_) => Err(invalid(None, "an error response needs an id member")),
            None => Err(invalid(
                id,
                "error must have an integer code and a string message",
            )),
        },
        (None, None) => Err(invalid(id, "no method, result or error member")),
    }
}

fn invalid(id: Option<RequestId>, why: &str) -> ResponseError {
    ResponseError {
        id,
        error: ErrorObject::invalid_request(format!("Invalid Request: {why}")),
    }
}

impl Message {
    /// The message as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The message as compact JSON bytes (no embedded newline, so it fits one line).
    pub fn encode(&self) -> Vec<u8> {
        // Serialising cannot fail: every map key is a string.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The method, for requests and notifications.
    pub fn method(&self) -> Option<&str> {
        match self {
            Message::Request(r) => Some(&r.method),
            Message::Notification(n) => Some(&n.method),
            _ => None,
        }
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Self {
        Message::Request(r)
    }
}
impl From<Notification> for Message {
    fn from(n: Notification) -> Self {
        Message::Notification(n)
    }
}
impl From<Response> for Message {
    fn from(r: Response) -> Self {
        Message::Response(r)
    }
}
impl From<ResponseError> for Message {
    fn from(e: ResponseError) -> Self {
        Message::Error(e)
    }
}

/// Serialises by reference, without cloning params or results.
impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("jsonrpc", "2.0")?;
        match self {
            Message::Request(r) => {
                map.serialize_entry("id", &r.id)?;
                map.serialize_entry("method", &r.method)?;
                if let Some(p) = &r.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Message::Notification(n) => {
                map.serialize_entry("method", &n.method)?;
                if let Some(p) = &n.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Message::Response(r) => {
                map.serialize_entry("id", &r.id)?;
                map.serialize_entry("result", &r.result)?;
            }
            Message::Error(e) => {
                map.serialize_entry("id", &e.id)?;
                map.serialize_entry("error", &e.error)?;
            }
        }
        map.end()
    }
}
