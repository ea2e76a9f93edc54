//! Response bodies: a whole JSON body, or an SSE stream that carries a request's
//! notifications and server-to-client requests, then its final answer.

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
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

/// A whole JSON body from an encoded message.
pub(crate) fn json(status: StatusCode, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// One SSE event carrying an encoded message.
pub(crate) fn event(message: &[u8]) -> Bytes {
    const HEAD: &[u8] = b"event: message\ndata: ";
    let mut out = Vec::with_capacity(HEAD.len() + message.len() + 2);
    out.extend_from_slice(HEAD);
    out.extend_from_slice(message);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

struct StreamState {
    first: Option<Bytes>,
    rx: Option<mpsc::UnboundedReceiver<Vec<u8>>>,
    last: Option<oneshot::Receiver<Option<Reply>>>,
    _guard: DropGuard,
}

/// An SSE response: `first`, then whatever arrives on `rx`, then the final reply. When
/// the client drops the stream, `guard` cancels the request.
pub(crate) fn stream(
    first: Option<Vec<u8>>,
    rx: mpsc::UnboundedReceiver<Vec<u8>>,
    last: Option<oneshot::Receiver<Option<Reply>>>,
    guard: DropGuard,
) -> Response<Body> {
    // Without a first message, an SSE comment opens the stream so the client gets headers.
    let first = Some(
        first
            .as_ref()
            .map_or_else(|| Bytes::from_static(b": open\n\n"), |m| event(m)),
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
            return Some((Ok(Frame::data(event(&reply.body))), st));
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
