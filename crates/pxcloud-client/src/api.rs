//! The path of an API call ([`crate::Client::send`]), outermost first: overall deadline →
//! retry → per-attempt timeout → concurrency limit → auth → transport.
//!
//! The same order and the same rules as the tower stack the login and spec fetch go through
//! ([`crate::layers`], [`crate::retry`]'s policy), written out as nested async functions
//! because every tools/call pays for it: the tower version boxed a future per layer, cloned
//! the boxed service and the retry service per call and moved the nested futures on every
//! poll (about 6,000 instructions and 8 allocations per call under callgrind).
//!
//! Where each bound sits is what the tower stack did: the wait for a free slot counts against
//! the overall deadline but not against the attempt's timeout (tower's concurrency limit
//! takes its permit in `poll_ready`, before the timeout layer's `call`), and the timeout of
//! an attempt covers auth (a re-login after a 401 included) and the whole body read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::auth::AuthState;
use crate::error::{Error, ErrorKind};
use crate::layers::{WakeFloor, attempt_timed_out, deadline_passed};
use crate::message::ApiResponse;
use crate::retry::RetryPolicy;
use crate::transport::{Call, Transport};

/// Everything an API call goes through.
pub(crate) struct ApiPath {
    pub(crate) transport: Transport,
    pub(crate) auth: Arc<AuthState>,
    /// `max_in_flight` permits.
    pub(crate) limit: Semaphore,
    pub(crate) policy: RetryPolicy,
    pub(crate) per_attempt: Duration,
    pub(crate) floor: Arc<WakeFloor>,
}

impl ApiPath {
    /// The whole call within `call.deadline`, retries and backoff included.
    pub(crate) async fn send(&self, call: Call) -> Result<ApiResponse, Error> {
        let deadline = call.deadline;
        let budget = deadline.saturating_duration_since(Instant::now());
        let request = Arc::clone(&call.request);
        self.floor.cover(deadline.into());
        match tokio::time::timeout_at(deadline.into(), self.attempts(call)).await {
            Ok(result) => result,
            Err(_) => Err(deadline_passed(&request, "overall deadline", budget)),
        }
    }

    /// Attempts until one is not to be retried (the retry policy decides, as in the tower
    /// `Retry` service: the request as it was, its attempt number counted up).
    async fn attempts(&self, mut call: Call) -> Result<ApiResponse, Error> {
        loop {
            let mut result = self.attempt(&call).await;
            match self.policy.after_attempt(&mut call, &mut result) {
                None => return result,
                Some(backoff) => backoff.await,
            }
        }
    }

    /// One attempt: a free slot, then auth and the exchange within the per-attempt timeout.
    async fn attempt(&self, call: &Call) -> Result<ApiResponse, Error> {
        let _permit = self.limit.acquire().await.map_err(|_| {
            // The semaphore is never closed; an error here would be a bug, not a panic.
            Error::new(
                ErrorKind::Transport,
                "the client's request limit was closed",
            )
        })?;
        let timeout = self.per_attempt;
        // When the overall deadline comes first, it ends the attempt anyway: no second timer.
        if call.deadline <= Instant::now() + timeout {
            return self.auth.exchange(&self.transport, call).await;
        }
        let ends = tokio::time::Instant::now() + timeout;
        self.floor.cover(ends);
        match tokio::time::timeout_at(ends, self.auth.exchange(&self.transport, call)).await {
            Ok(result) => result,
            Err(_) => Err(attempt_timed_out(&call.request, call.attempt, timeout)),
        }
    }
}
