//! The four message kinds, decoded from the members present.

use serde_json::{Map, Value};

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

/// Decodes one already parsed JSON value into a message.
#[allow(
    clippy::result_large_err,
    reason = "the error is the message to send back; errors are the rare path"
)]
pub fn decode_value(value: Value) -> Result<Message, ResponseError> {
    let Value::Object(mut obj) = value else {
        return Err(invalid(None, "message is not a JSON object"));
    };
    let raw_id = obj.remove("id");
    let id = match &raw_id {
        None | Some(Value::Null) => None,
        Some(v) => match RequestId::from_value(v) {
            Some(id) => Some(id),
            None => return Err(invalid(None, "id must be an integer or a string")),
        },
    };
    match obj.get("jsonrpc") {
        Some(Value::String(v)) if v == "2.0" => {}
        _ => return Err(invalid(id, "jsonrpc must be \"2.0\"")),
    }
    let params = match obj.remove("params") {
        None => None,
        Some(p @ (Value::Object(_) | Value::Array(_))) => Some(p),
        Some(_) => return Err(invalid(id, "params must be an object or an array")),
    };
    if let Some(method) = obj.remove("method") {
        let Value::String(method) = method else {
            return Err(invalid(id, "method must be a string"));
        };
        if obj.contains_key("result") || obj.contains_key("error") {
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
    match (obj.remove("result"), obj.remove("error")) {
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
        let mut map = Map::with_capacity(4);
        map.insert("jsonrpc".into(), Value::String("2.0".into()));
        match self {
            Message::Request(r) => {
                map.insert("id".into(), r.id.to_value());
                map.insert("method".into(), Value::String(r.method.clone()));
                if let Some(p) = &r.params {
                    map.insert("params".into(), p.clone());
                }
            }
            Message::Notification(n) => {
                map.insert("method".into(), Value::String(n.method.clone()));
                if let Some(p) = &n.params {
                    map.insert("params".into(), p.clone());
                }
            }
            Message::Response(r) => {
                map.insert("id".into(), r.id.to_value());
                map.insert("result".into(), r.result.clone());
            }
            Message::Error(e) => {
                map.insert(
                    "id".into(),
                    e.id.as_ref().map_or(Value::Null, RequestId::to_value),
                );
                map.insert("error".into(), e.error.to_value());
            }
        }
        Value::Object(map)
    }

    /// The message as compact JSON bytes (no embedded newline, so it fits one line).
    pub fn encode(&self) -> Vec<u8> {
        // Serialising a `Value` cannot fail: every map key is a string.
        serde_json::to_vec(&self.to_value()).unwrap_or_default()
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
