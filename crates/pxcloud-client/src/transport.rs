//! The innermost service: one HTTP exchange over a pooled hyper connection, body read
//! within the size cap, errors classified (TLS, connect, maybe-sent transport).

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, USER_AGENT};
use http::{HeaderName, HeaderValue};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower::Service;

use crate::config::{BaseUrl, ClientConfig};
use crate::error::{Error, ErrorKind};
use crate::message::{ApiRequest, ApiResponse};
use crate::tls;

/// A boxed, sendable future, the future type of every layer here.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A request as it travels through the stack.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// Shared, so that the retry and auth layers keep a copy for a repeat at no cost.
    pub(crate) request: Arc<ApiRequest>,
    /// `Authorization` (sensitive), set by the auth layer.
    pub(crate) bearer: Option<HeaderValue>,
    /// 1 for the first attempt; the retry policy increments it.
    pub(crate) attempt: u32,
    /// When the whole call must be finished.
    pub(crate) deadline: Instant,
}

/// Counts the connections the pool opens (each is a TCP connect and, for https, a TLS
/// handshake), so tests and diagnostics can see that connections are reused.
#[derive(Debug, Clone)]
pub(crate) struct CountingConnector<C> {
    inner: C,
    opened: Arc<AtomicU64>,
}

impl<C> Service<http::Uri> for CountingConnector<C>
where
    C: Service<http::Uri>,
{
    type Response = C::Response;
    type Error = C::Error;
    type Future = C::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        self.opened.fetch_add(1, Ordering::Relaxed);
        self.inner.call(uri)
    }
}

type Connector = CountingConnector<HttpsConnector<HttpConnector>>;

/// Builds the pooled hyper client: keep-alive, HTTP/1.1 and HTTP/2 by ALPN.
pub(crate) fn build_hyper_client(
    config: &ClientConfig,
    opened: Arc<AtomicU64>,
) -> Result<HyperClient<Connector, Full<Bytes>>, Error> {
    let tls_config = tls::client_config(&config.tls)?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(config.timeouts.connect));
    http.set_nodelay(true);
    http.set_keepalive(Some(Duration::from_secs(60)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls_config)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    let connector = CountingConnector {
        inner: https,
        opened,
    };
    Ok(HyperClient::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(config.max_in_flight.max(1))
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(connector))
}

/// The HTTP exchange service.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    inner: Arc<TransportInner>,
}

#[derive(Debug)]
struct TransportInner {
    client: HyperClient<Connector, Full<Bytes>>,
    base: BaseUrl,
    user_agent: HeaderValue,
    max_bytes: usize,
}

impl Transport {
    pub(crate) fn new(
        client: HyperClient<Connector, Full<Bytes>>,
        base: BaseUrl,
        user_agent: HeaderValue,
        max_bytes: usize,
    ) -> Self {
        Self {
            inner: Arc::new(TransportInner {
                client,
                base,
                user_agent,
                max_bytes,
            }),
        }
    }
}

impl Service<Call> for Transport {
    type Response = ApiResponse;
    type Error = Error;
    type Future = BoxFuture<Result<ApiResponse, Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move { inner.exchange(&call, call.bearer.as_ref()).await })
    }
}

impl Transport {
    /// One exchange with `bearer` as the `Authorization` value (in place of `call.bearer`):
    /// the API call path calls this directly, without the tower service around it.
    pub(crate) async fn exchange(
        &self,
        call: &Call,
        bearer: Option<&HeaderValue>,
    ) -> Result<ApiResponse, Error> {
        self.inner.exchange(call, bearer).await
    }
}

impl TransportInner {
    fn build(
        &self,
        call: &Call,
        bearer: Option<&HeaderValue>,
    ) -> Result<http::Request<Full<Bytes>>, Error> {
        let req = &call.request;
        let uri = self.base.uri_for(&req.path_and_query)?;
        let mut builder = http::Request::builder().method(req.method.clone()).uri(uri);
        let headers = builder
            .headers_mut()
            .ok_or_else(|| Error::new(ErrorKind::Request, "invalid request method or URI"))?;
        headers.insert(USER_AGENT, self.user_agent.clone());
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        for (name, value) in &req.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::new(ErrorKind::Request, format!("invalid header name {name:?}"))
            })?;
            if name == AUTHORIZATION || name == HOST || name == CONTENT_LENGTH {
                continue;
            }
            let value = HeaderValue::from_str(value).map_err(|_| {
                Error::new(
                    ErrorKind::Request,
                    format!("invalid value for header {name}"),
                )
            })?;
            headers.append(name, value);
        }
        if let Some(value) = bearer {
            headers.insert(AUTHORIZATION, value.clone());
        }
        let body = match &req.body {
            Some(body) => {
                let ct = req.content_type.as_deref().unwrap_or("application/json");
                let ct = HeaderValue::from_str(ct).map_err(|_| {
                    Error::new(ErrorKind::Request, format!("invalid content type {ct:?}"))
                })?;
                headers.insert(CONTENT_TYPE, ct);
                Full::new(body.clone())
            }
            None => Full::new(Bytes::new()),
        };
        builder
            .body(body)
            .map_err(|e| Error::new(ErrorKind::Request, format!("cannot build the request: {e}")))
    }

    async fn exchange(
        &self,
        call: &Call,
        bearer: Option<&HeaderValue>,
    ) -> Result<ApiResponse, Error> {
        let started = Instant::now();
        let request = self.build(call, bearer)?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| self.classify(e))?;
        let (parts, body) = response.into_parts();
        let status = parts.status.as_u16();
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(len) = declared
            && len > self.max_bytes as u64
        {
            return Err(too_large(self.max_bytes, Some(len)).with_status(status));
        }
        let collected = Limited::new(body, self.max_bytes)
            .collect()
            .await
            .map_err(|e| {
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    too_large(self.max_bytes, None).with_status(status)
                } else {
                    Error::new(
                        ErrorKind::Transport,
                        format!(
                            "the connection to {} broke while reading the response body",
                            self.base.display()
                        ),
                    )
                    .with_status(status)
                    .sent(true)
                    .with_source(e)
                }
            })?;
        Ok(ApiResponse {
            status,
            headers: parts.headers,
            body: collected.to_bytes(),
            elapsed: started.elapsed(),
            attempts: call.attempt,
            version: parts.version,
        })
    }

    fn classify(&self, err: hyper_util::client::legacy::Error) -> Error {
        let base = self.base.display();
        if let Some(failure) = tls::find_tls_error(&err) {
            return tls::tls_error(&base, failure);
        }
        if err.is_connect() {
            let detail = root_cause(&err);
            return Error::new(
                ErrorKind::Transport,
                format!("cannot connect to PXCloud at {base} ({detail}); check PXCLOUD_URL and that PXCloud is running"),
            )
            .sent(false);
        }
        let detail = root_cause(&err);
        Error::new(
            ErrorKind::Transport,
            format!("the connection to {base} failed before a response arrived ({detail})"),
        )
        .sent(true)
    }
}

fn too_large(max: usize, declared: Option<u64>) -> Error {
    let msg = match declared {
        Some(len) => format!("the response declares {len} bytes, more than the cap of {max} bytes"),
        None => format!("the response body exceeds the cap of {max} bytes"),
    };
    Error::new(ErrorKind::TooLarge, msg)
}

/// The innermost cause's text, e.g. "Connection refused (os error 111)".
fn root_cause(err: &(dyn StdError + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}
