//! A tiny scripted HTTP server on loopback, for what the simulator cannot do (or before it
//! exists): each test supplies the handler.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;

/// A request as the handler sees it.
#[derive(Debug, Clone)]
#[allow(dead_code)] // every field is for some test
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) authorization: Option<String>,
    pub(crate) body: Bytes,
}

type Handler = dyn Fn(Seen, usize) -> http::Response<Full<Bytes>> + Send + Sync;

/// A body that does not announce its length, so hyper sends it chunked.
struct Chunked(Option<Bytes>);

impl hyper::body::Body for Chunked {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        std::task::Poll::Ready(self.0.take().map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

/// Answers carrying this header are sent chunked, without `Content-Length`.
pub(crate) const CHUNKED: &str = "x-test-chunked";

type AnyBody = http_body_util::Either<Full<Bytes>, Chunked>;

async fn into_any(response: http::Response<Full<Bytes>>) -> http::Response<AnyBody> {
    let (parts, body) = response.into_parts();
    if parts.headers.contains_key(CHUNKED) {
        let bytes = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        http::Response::from_parts(parts, http_body_util::Either::Right(Chunked(Some(bytes))))
    } else {
        http::Response::from_parts(parts, http_body_util::Either::Left(body))
    }
}

/// A running server; dropped with the test's runtime.
pub(crate) struct LocalServer {
    pub(crate) addr: SocketAddr,
}

impl LocalServer {
    pub(crate) async fn start(
        handler: impl Fn(Seen, usize) -> http::Response<Full<Bytes>> + Send + Sync + 'static,
    ) -> LocalServer {
        Self::start_slow(Duration::ZERO, handler).await
    }

    /// Like `start`, but every answer is delayed by `delay` after the handler saw the request.
    pub(crate) async fn start_slow(
        delay: Duration,
        handler: impl Fn(Seen, usize) -> http::Response<Full<Bytes>> + Send + Sync + 'static,
    ) -> LocalServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler: Arc<Handler> = Arc::new(handler);
        let counter = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let handler = handler.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let handler = handler.clone();
                        let n = counter.fetch_add(1, Ordering::SeqCst);
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let seen = Seen {
                                method: parts.method.to_string(),
                                path: parts.uri.path().to_owned(),
                                authorization: parts
                                    .headers
                                    .get("authorization")
                                    .and_then(|v| v.to_str().ok())
                                    .map(str::to_owned),
                                body,
                            };
                            let response = handler(seen, n);
                            if !delay.is_zero() {
                                tokio::time::sleep(delay).await;
                            }
                            Ok::<_, Infallible>(into_any(response).await)
                        }
                    });
                    let _ = Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        LocalServer { addr }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

pub(crate) fn json(status: u16, body: &str) -> http::Response<Full<Bytes>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}
