//! One HTTP request: guards, then POST / GET / DELETE handling.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming as IncomingBody;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::sse::{self, Body};
use super::{HttpState, guard, lock};
use crate::jsonrpc::{
    ErrorCode, ErrorObject, Incoming, Message, Request as RpcRequest, ResponseError, decode,
};
use crate::server::{HttpHeaders, Reply};
use crate::session::Session;
use crate::version::ProtocolVersion;

// Parsed once: looking a header up by `&str` parses and lowercases the name every time.
const SESSION_HEADER: HeaderName = HeaderName::from_static("mcp-session-id");
const PROTOCOL_VERSION_HEADER: HeaderName = HeaderName::from_static("mcp-protocol-version");
const METHOD_HEADER: HeaderName = HeaderName::from_static("mcp-method");
const NAME_HEADER: HeaderName = HeaderName::from_static("mcp-name");

fn rpc_error(status: StatusCode, code: ErrorCode, message: &str) -> Response<Body> {
    let e = Message::Error(ResponseError {
        id: None,
        error: ErrorObject::new(code, message),
    });
    sse::json(status, e.encode())
}

pub(crate) async fn handle(state: Arc<HttpState>, req: Request<IncomingBody>) -> Response<Body> {
    if req.uri().path() != state.config.path {
        return sse::empty(StatusCode::NOT_FOUND);
    }
    let headers = req.headers();
    if !guard::host_ok(&state.config, headers) || !guard::origin_ok(&state.config, headers) {
        return rpc_error(
            StatusCode::FORBIDDEN,
            ErrorCode::INVALID_REQUEST,
            "Forbidden: Host or Origin not allowed",
        );
    }
    if !guard::auth_ok(&state.config, headers) {
        let mut r = rpc_error(
            StatusCode::UNAUTHORIZED,
            ErrorCode::INVALID_REQUEST,
            "Unauthorized",
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    let session_id = header_str(headers, &SESSION_HEADER);
    match *req.method() {
        Method::POST => post(state, req).await,
        Method::GET => match session_id.and_then(|id| find_session(&state, &id)) {
            Some(session) => get_stream(&state, session),
            None if header_str(req.headers(), &SESSION_HEADER).is_some() => session_not_found(),
            None => method_not_allowed(),
        },
        Method::DELETE => match session_id {
            Some(id) => match lock(&state.sessions).remove(&id) {
                Some(session) => {
                    session.cancel_all();
                    session.set_standalone(None);
                    sse::empty(StatusCode::OK)
                }
                None => session_not_found(),
            },
            None => method_not_allowed(),
        },
        _ => method_not_allowed(),
    }
}

fn method_not_allowed() -> Response<Body> {
    let mut r = sse::empty(StatusCode::METHOD_NOT_ALLOWED);
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    r
}

fn session_not_found() -> Response<Body> {
    rpc_error(
        StatusCode::NOT_FOUND,
        ErrorCode(-32001),
        "Session not found",
    )
}

fn header_str(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
}

fn find_session(state: &HttpState, id: &str) -> Option<Arc<Session>> {
    let session = lock(&state.sessions).get(id).cloned();
    if let Some(s) = &session {
        s.touch();
    }
    session
}

/// Whether `haystack` contains `needle` (ASCII, lowercase), ignoring ASCII case, without
/// lowercasing a copy of the header.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    needle.is_empty()
        || haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// All `Mcp-Param-<Name>` headers.
fn param_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(k, v)| {
            let name = k.as_str().strip_prefix("mcp-param-")?;
            Some((name.to_owned(), v.to_str().ok()?.trim().to_owned()))
        })
        .collect()
}

async fn post(state: Arc<HttpState>, req: Request<IncomingBody>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    if let Some(ct) = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        && !contains_ignore_case(ct, "application/json")
    {
        return rpc_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::INVALID_REQUEST,
            "Content-Type must be application/json",
        );
    }
    let bytes: Bytes = match Limited::new(body, state.config.max_body_bytes)
        .collect()
        .await
    {
        Ok(c) => c.to_bytes(),
        Err(_) => {
            return rpc_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::INVALID_REQUEST,
                "Request body too large",
            );
        }
    };
    let http_headers = HttpHeaders {
        protocol_version: parts.headers.get(&PROTOCOL_VERSION_HEADER).cloned(),
        method: parts.headers.get(&METHOD_HEADER).cloned(),
        name: parts.headers.get(&NAME_HEADER).cloned(),
        params: param_headers(&parts.headers),
    };
    let session_id = header_str(&parts.headers, &SESSION_HEADER);
    // Stream only to clients that accept SSE; others get the final answer alone.
    let sse_ok = parts
        .headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|a| contains_ignore_case(a, "text/event-stream") || a.contains("*/*"));
    let incoming = match decode(&bytes) {
        Ok(i) => i,
        Err(e) => return sse::json(StatusCode::BAD_REQUEST, Message::Error(e).encode()),
    };
    match incoming {
        Incoming::Single(Message::Request(rpc)) => {
            request(state, rpc, session_id, http_headers, sse_ok).await
        }
        Incoming::Single(other) => {
            let Some(session) = session_id
                .as_deref()
                .and_then(|id| find_session(&state, id))
            else {
                // Stateless notifications need no session; answer them like any other.
                return sse::empty(StatusCode::ACCEPTED);
            };
            match other {
                Message::Notification(n) => state.server.handle_notification(&session, &n),
                m => state.server.handle_response(&session, m),
            }
            sse::empty(StatusCode::ACCEPTED)
        }
        Incoming::Batch(items) => batch(state, items, session_id).await,
    }
}

async fn request(
    state: Arc<HttpState>,
    rpc: RpcRequest,
    session_id: Option<String>,
    headers: HttpHeaders,
    sse_ok: bool,
) -> Response<Body> {
    let stateless = crate::server::is_stateless_request(
        &rpc.method,
        rpc.params.as_ref().and_then(Value::as_object),
        Some(&headers),
    );
    let mut new_session = None;
    if !stateless
        && rpc.method != "initialize"
        && let Some(v) = headers.protocol_version()
        && ProtocolVersion::parse(v).is_none_or(ProtocolVersion::is_stateless)
    {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::INVALID_REQUEST,
            "Bad Request: unsupported MCP-Protocol-Version",
        );
    }
    let session = if stateless {
        None
    } else if rpc.method == "initialize" && session_id.is_none() {
        let mut sessions = lock(&state.sessions);
        if sessions.len() >= state.config.max_sessions {
            let limit = state.config.session_idle_timeout;
            sessions.retain(|_, s| !s.is_idle_for(limit));
        }
        let full = sessions.len() >= state.config.max_sessions;
        drop(sessions);
        if full {
            return rpc_error(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::INTERNAL_ERROR,
                "Too many sessions",
            );
        }
        let id = hex::encode(rand::random::<[u8; 16]>());
        let s = Arc::new(Session::new(id.clone()));
        lock(&state.sessions).insert(id.clone(), Arc::clone(&s));
        new_session = Some(id);
        Some(s)
    } else {
        match session_id {
            Some(id) => match find_session(&state, &id) {
                Some(s) => Some(s),
                None => return session_not_found(),
            },
            None => {
                return rpc_error(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::SESSION_ERROR,
                    "Bad Request: Mcp-Session-Id header is required",
                );
            }
        }
    };
    let (tx, rx) = mpsc::unbounded_channel::<Vec<u8>>();
    // Without SSE there is nowhere to put notifications or server-to-client requests:
    // closing the channel drops the former and makes the latter fail at once.
    let rx = sse_ok.then_some(rx);
    let token = state.root.child_token();
    let server = state.server.clone();
    let task_token = token.clone();
    let task_headers = if stateless { Some(headers) } else { None };
    // Polled here rather than spawned: most requests finish without streaming, and then
    // the answer needs no task, channel or hand-off. Only a request that starts to
    // stream moves on to a task of its own. Dropping it (the client went away) cancels it.
    let mut work: Pin<Box<dyn Future<Output = Option<Reply>> + Send>> = Box::pin(async move {
        server
            .handle_request(session, rpc, tx, task_headers, task_token)
            .await
    });
    let guard = token.drop_guard();
    let Some(mut rx) = rx else {
        let mut resp = reply_response(work.await);
        drop(guard);
        add_session_header(&mut resp, new_session.as_deref());
        return resp;
    };
    let first = tokio::select! {
        biased;
        m = rx.recv() => m,
        r = &mut work => match rx.try_recv() {
            // Finished without streaming anything.
            Err(_) => {
                let mut resp = reply_response(r);
                drop(guard);
                add_session_header(&mut resp, new_session.as_deref());
                return resp;
            }
            // Finished, but sent messages on the way: they go first, on a stream.
            Ok(first) => {
                let (done_tx, done_rx) = oneshot::channel();
                let _ = done_tx.send(r);
                let mut resp = sse::stream(Some(first), rx, Some(done_rx), guard);
                add_session_header(&mut resp, new_session.as_deref());
                return resp;
            }
        },
    };
    let mut resp = match first {
        Some(first) => {
            let (done_tx, done_rx) = oneshot::channel();
            tokio::spawn(async move {
                let _ = done_tx.send(work.await);
            });
            sse::stream(Some(first), rx, Some(done_rx), guard)
        }
        None => {
            let r = work.await;
            drop(guard);
            reply_response(r)
        }
    };
    add_session_header(&mut resp, new_session.as_deref());
    resp
}

/// The final answer as a whole JSON body; 202 when there is none (cancelled).
fn reply_response(reply: Option<Reply>) -> Response<Body> {
    match reply {
        Some(reply) => {
            let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
            sse::json(status, reply.body)
        }
        None => sse::empty(StatusCode::ACCEPTED),
    }
}

fn add_session_header(resp: &mut Response<Body>, id: Option<&str>) {
    if let Some(v) = id.and_then(|id| HeaderValue::from_str(id).ok()) {
        resp.headers_mut().insert(SESSION_HEADER, v);
    }
}

async fn batch(
    state: Arc<HttpState>,
    items: Vec<Result<Message, ResponseError>>,
    session_id: Option<String>,
) -> Response<Body> {
    let session = session_id
        .as_deref()
        .and_then(|id| find_session(&state, id));
    let allowed = session
        .as_ref()
        .and_then(|s| s.state().version)
        .is_some_and(ProtocolVersion::allows_batches);
    let Some(session) = session.filter(|_| allowed) else {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            ErrorCode::INVALID_REQUEST,
            "Invalid Request: JSON-RPC batches are not allowed in this protocol version",
        );
    };
    let mut replies = Vec::new();
    for item in items {
        match item {
            Err(e) => replies.push(Message::Error(e).encode()),
            Ok(Message::Request(rpc)) => {
                let (tx, _rx) = mpsc::unbounded_channel();
                let token = state.root.child_token();
                if let Some(r) = state
                    .server
                    .handle_request(Some(Arc::clone(&session)), rpc, tx, None, token)
                    .await
                {
                    replies.push(r.body);
                }
            }
            Ok(Message::Notification(n)) => state.server.handle_notification(&session, &n),
            Ok(other) => state.server.handle_response(&session, other),
        }
    }
    if replies.is_empty() {
        return sse::empty(StatusCode::ACCEPTED);
    }
    sse::json(StatusCode::OK, crate::stdio::json_array(&replies))
}

fn get_stream(state: &HttpState, session: Arc<Session>) -> Response<Body> {
    let (tx, rx) = mpsc::unbounded_channel::<Vec<u8>>();
    session.set_standalone(Some(tx.clone()));
    let forward = tokio::spawn(crate::stdio::forward_events(
        state.server.clone(),
        Arc::clone(&session),
        tx,
    ));
    let token = state.root.child_token();
    let watcher = token.clone();
    tokio::spawn(async move {
        watcher.cancelled().await;
        forward.abort();
    });
    let mut resp = sse::stream(None, rx, None, token.drop_guard());
    resp.headers_mut().insert(
        SESSION_HEADER,
        HeaderValue::from_str(&session.id).unwrap_or(HeaderValue::from_static("")),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_match_in_any_case() {
        let cases = [
            ("application/json", "application/json", true),
            ("Application/JSON; charset=utf-8", "application/json", true),
            ("text/plain", "application/json", false),
            ("json", "application/json", false),
            (
                "application/json, TEXT/Event-Stream",
                "text/event-stream",
                true,
            ),
            ("", "text/event-stream", false),
        ];
        for (header, media, expected) in cases {
            assert_eq!(
                contains_ignore_case(header, media),
                expected,
                "{header} / {media}"
            );
        }
    }

    #[test]
    fn tool_names_from_the_name_header() {
        let name = |raw: &str| {
            let headers = HttpHeaders {
                name: Some(HeaderValue::from_str(raw).unwrap()),
                ..HttpHeaders::default()
            };
            headers.name().map(|n| n.into_owned())
        };
        assert_eq!(name("pxcloud_get_vm").as_deref(), Some("pxcloud_get_vm"));
        assert_eq!(name(" pxcloud_get_vm ").as_deref(), Some("pxcloud_get_vm"));
        assert_eq!(name("=?base64?w6lsw6k=?=").as_deref(), Some("élé"));
        assert_eq!(name("=?base64?!!!?=").as_deref(), Some("\u{0}invalid"));
        assert_eq!(HttpHeaders::default().name(), None);
    }
}
