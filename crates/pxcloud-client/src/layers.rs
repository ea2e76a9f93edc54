//! Two small tower layers: the overall deadline of a call and the timeout of one attempt.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tower::{Layer, Service, ServiceExt};

use crate::error::{Error, ErrorKind};
use crate::message::ApiResponse;
use crate::transport::{BoxFuture, Call};

/// Enforces `Call::deadline` over everything inside it (retries and backoff included).
#[derive(Debug, Clone)]
pub(crate) struct DeadlineLayer {
    /// What the deadline is called in messages ("overall deadline", "spec timeout").
    pub(crate) label: &'static str,
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline {
            inner,
            label: self.label,
        }
    }
}

/// See [`DeadlineLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Deadline<S> {
    inner: S,
    label: &'static str,
}

impl<S> Service<Call> for Deadline<S>
where
    S: Service<Call, Response = ApiResponse, Error = Error> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = ApiResponse;
    type Error = Error;
    type Future = BoxFuture<Result<ApiResponse, Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // Readiness of the inner stack (a free concurrency slot) is awaited inside the
        // deadline, in `call`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let inner = self.inner.clone();
        let label = self.label;
        let deadline = call.deadline;
        let budget = deadline.saturating_duration_since(Instant::now());
        let request = Arc::clone(&call.request);
        Box::pin(async move {
            match tokio::time::timeout_at(deadline.into(), inner.oneshot(call)).await {
                Ok(result) => result,
                Err(_) => Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "{} {}: no answer within the {label} of {budget:?}",
                        request.method, request.path_and_query
                    ),
                )
                .sent(true)),
            }
        })
    }
}

/// Bounds one attempt: send, wait, read the whole body.
#[derive(Debug, Clone)]
pub(crate) struct AttemptTimeoutLayer {
    pub(crate) timeout: Duration,
}

impl<S> Layer<S> for AttemptTimeoutLayer {
    type Service = AttemptTimeout<S>;

    fn layer(&self, inner: S) -> AttemptTimeout<S> {
        AttemptTimeout {
            inner,
            timeout: self.timeout,
        }
    }
}

/// See [`AttemptTimeoutLayer`].
#[derive(Debug, Clone)]
pub(crate) struct AttemptTimeout<S> {
    inner: S,
    timeout: Duration,
}

impl<S> Service<Call> for AttemptTimeout<S>
where
    S: Service<Call, Response = ApiResponse, Error = Error>,
    S::Future: Send + 'static,
{
    type Response = ApiResponse;
    type Error = Error;
    type Future = BoxFuture<Result<ApiResponse, Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let timeout = self.timeout;
        let attempt = call.attempt;
        let request = Arc::clone(&call.request);
        // When the overall deadline comes first, it ends the attempt anyway: no second timer.
        let redundant = call.deadline <= Instant::now() + timeout;
        let fut = self.inner.call(call);
        Box::pin(async move {
            if redundant {
                return fut.await;
            }
            match tokio::time::timeout(timeout, fut).await {
                Ok(result) => result,
                Err(_) => Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "{} {}: attempt {attempt} got no complete answer within the \
                         per-attempt timeout of {timeout:?}",
                        request.method, request.path_and_query
                    ),
                )
                .sent(true)),
            }
        })
    }
}
