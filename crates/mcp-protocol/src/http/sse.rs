//! Response bodies: a whole JSON body, or an SSE stream that carries a request's
//! notifications and server-to-client requests, then its final answer.

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::DropGuard;

use crate::server::Reply;

pub(crate) type Body = BoxBody<Bytes, Infallible>;

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

pub(crate) fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = status;
    r
}

pub(crate) fn json(status: StatusCode, value: &Value) -> Response<Body> {
    let mut r = Response::new(full(serde_json::to_vec(value).unwrap_or_default()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

pub(crate) fn event(value: &Value) -> Bytes {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"event: message\ndata: ");
    out.extend_from_slice(&serde_json::to_vec(value).unwrap_or_default());
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

struct StreamState {
    first: Option<Bytes>,
    rx: Option<mpsc::UnboundedReceiver<Value>>,
    last: Option<oneshot::Receiver<Option<Reply>>>,
    _guard: DropGuard,
}

/// An SSE response: `first`, then whatever arrives on `rx`, then the final reply. When
/// the client drops the stream, `guard` cancels the request.
pub(crate) fn stream(
    first: Option<Value>,
    rx: mpsc::UnboundedReceiver<Value>,
    last: Option<oneshot::Receiver<Option<Reply>>>,
    guard: DropGuard,
) -> Response<Body> {
    // Without a first message, an SSE comment opens the stream so the client gets headers.
    let first = Some(
        first
            .as_ref()
            .map_or_else(|| Bytes::from_static(b": open\n\n"), event),
    );
    let state = StreamState {
        first,
        rx: Some(rx),
        last,
        _guard: guard,
    };
    let s = futures_util::stream::unfold(state, |mut st| async move {
        if let Some(b) = st.first.take() {
            return Some((Ok::<_, Infallible>(Frame::data(b)), st));
        }
        if let Some(rx) = st.rx.as_mut() {
            match rx.recv().await {
                Some(v) => return Some((Ok(Frame::data(event(&v))), st)),
                None => st.rx = None,
            }
        }
        if let Some(last) = st.last.take()
            && let Ok(Some(reply)) = last.await
        {
            return Some((Ok(Frame::data(event(&reply.message.to_value()))), st));
        }
        None
    });
    let mut r = Response::new(StreamBody::new(s).boxed());
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}
