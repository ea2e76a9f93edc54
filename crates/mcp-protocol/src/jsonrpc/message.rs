//! The four message kinds, decoded from the members present.

use serde::de::{DeserializeSeed, Deserializer as _};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::value::{Scratch, ValueSeed, with_scratch};
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
    // serde_json checks UTF-8 string by string when it reads bytes; checking the whole
    // input once is cheaper. Input that is not UTF-8 cannot be JSON and takes the byte
    // path, which reports serde_json's own error for it.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => {
            // Fast path: an object decodes straight into its members without an
            // intermediate map. Anything unusual falls through to the general path,
            // which produces the precise error.
            if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
                && let Ok(parts) = with_scratch(|s| {
                    let mut de = serde_json::Deserializer::from_str(text);
                    let parts = de.deserialize_map(EnvelopeVisitor(s))?;
                    de.end().map(|()| parts)
                })
            {
                return from_parts(parts).map(Incoming::Single);
            }
            parse_value(text)
        }
        Err(_) => serde_json::from_slice::<Value>(bytes),
    };
    let value = parsed.map_err(|e| ResponseError {
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

/// One complete JSON text as a value, built by [`ValueSeed`].
fn parse_value(text: &str) -> serde_json::Result<Value> {
    with_scratch(|s| {
        let mut de = serde_json::Deserializer::from_str(text);
        let value = ValueSeed(s).deserialize(&mut de)?;
        de.end().map(|()| value)
    })
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

/// The fast path: reads the members of a message object, keeping presence apart from
/// `null`. A repeated member keeps its last value, as in a parsed `Value` map; unknown
/// members are skipped.
struct EnvelopeVisitor<'s>(&'s mut Scratch);

/// A member name of the envelope, read without allocating.
enum Member {
    Jsonrpc,
    Id,
    Method,
    Params,
    Result,
    Error,
    Other,
}

impl<'de> serde::Deserialize<'de> for Member {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Names;
        impl serde::de::Visitor<'_> for Names {
            type Value = Member;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E>(self, v: &str) -> Result<Member, E> {
                Ok(match v {
                    "jsonrpc" => Member::Jsonrpc,
                    "id" => Member::Id,
                    "method" => Member::Method,
                    "params" => Member::Params,
                    "result" => Member::Result,
                    "error" => Member::Error,
                    _ => Member::Other,
                })
            }
        }
        d.deserialize_identifier(Names)
    }
}

impl<'de> serde::de::Visitor<'de> for EnvelopeVisitor<'_> {
    type Value = Parts;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON-RPC message object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Parts, A::Error> {
        let scratch = self.0;
        let mut jsonrpc = None;
        let mut parts = Parts {
            jsonrpc_ok: false,
            id: None,
            method: None,
            params: None,
            result: None,
            error: None,
        };
        while let Some(member) = map.next_key::<Member>()? {
            let slot = match member {
                Member::Jsonrpc => &mut jsonrpc,
                Member::Id => &mut parts.id,
                Member::Method => &mut parts.method,
                Member::Params => &mut parts.params,
                Member::Result => &mut parts.result,
                Member::Error => &mut parts.error,
                Member::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value_seed(ValueSeed(&mut *scratch))?);
        }
        parts.jsonrpc_ok = matches!(&jsonrpc, Some(Value::String(v)) if v == "2.0");
        Ok(parts)
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
        let mut out = Vec::with_capacity(ENCODE_CAPACITY);
        self.encode_into(&mut out);
        out
    }

    /// Appends the message as compact JSON to `out`, so a caller can reuse one buffer.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        write_json(out, self);
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

/// Room for a typical message, so encoding rarely has to grow its buffer.
const ENCODE_CAPACITY: usize = 512;

/// Appends `value` as compact JSON. Serialising cannot fail for these types (every map
/// key is a string); should it fail anyway, `out` is left as it was.
fn write_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.truncate(start);
    }
}

/// A success response as compact JSON, serialising `result` straight from the caller's
/// type: `{"jsonrpc":"2.0","id":…,"result":…}`, as [`Message::encode`] writes it. The
/// buffer starts at `size_hint` bytes (a guess of the size, to spare regrowing).
pub(crate) fn encode_response<T: Serialize + ?Sized>(
    id: &RequestId,
    result: &T,
    size_hint: usize,
) -> Vec<u8> {
    struct Out<'a, T: ?Sized> {
        id: &'a RequestId,
        result: &'a T,
    }
    impl<T: Serialize + ?Sized> Serialize for Out<'_, T> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(3))?;
            map.serialize_entry("jsonrpc", "2.0")?;
            map.serialize_entry("id", self.id)?;
            map.serialize_entry("result", self.result)?;
            map.end()
        }
    }
    let mut out = Vec::with_capacity(size_hint.clamp(ENCODE_CAPACITY, 1 << 20));
    write_json(&mut out, &Out { id, result });
    out
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
