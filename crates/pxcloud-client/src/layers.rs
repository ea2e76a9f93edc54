//! Two small tower layers: the overall deadline of a call and the timeout of one attempt,
//! and the [`WakeFloor`] they share.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::time::Sleep;
use tower::{Layer, Service, ServiceExt};

use crate::error::{Error, ErrorKind};
use crate::message::{ApiRequest, ApiResponse};
use crate::transport::{BoxFuture, Call};

/// A timer that keeps the runtime's time driver due to wake up no later than the timeouts
/// the next calls will arm, so that arming them does not cost a system call.
///
/// Why: tokio's time driver remembers, when the runtime thread goes to sleep, the earliest
/// timer it must wake up for. Registering a timer earlier than that wakes the driver up
/// (`reregister` in tokio's `runtime/time/mod.rs` writes to the I/O driver's eventfd), even
/// when the registering code runs on the runtime thread itself and nobody sleeps. A call arms
/// its per-attempt timeout (30 s by default) and its overall deadline, then drops both when
/// it completes; between calls the driver's earliest timer is typically the connection pool's
/// idle check (up to 60 s away), so every call paid one `write(2)` to the eventfd.
///
/// The floor is one more timer, never polled and never cancelled by a call: it is set to the
/// earliest deadline a call arms and left in the wheel when the call completes. While it is
/// pending, the driver's next wake-up is at or before it, and the timeouts of later calls
/// (which end later, as they start later with the same durations) no longer wake the driver.
/// It fires once per timeout period (a driver wake-up with no task to run) and the next call
/// sets it again. It only adds a wake-up: every timeout keeps its own timer, unchanged.
#[derive(Default)]
pub(crate) struct WakeFloor {
    slot: Mutex<Option<Floor>>,
}

/// The floor timer and the runtime whose time driver holds it.
struct Floor {
    runtime: tokio::runtime::Id,
    sleep: Pin<Box<Sleep>>,
}

impl std::fmt::Debug for WakeFloor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WakeFloor").finish_non_exhaustive()
    }
}

impl WakeFloor {
    /// Makes sure the floor is pending at or before `deadline` in the current runtime. Call
    /// it only where a tokio timer is about to be armed (it needs the same runtime and time
    /// driver as the timer it precedes).
    pub(crate) fn cover(&self, deadline: tokio::time::Instant) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let runtime = handle.id();
        let Ok(mut slot) = self.slot.lock() else {
            return;
        };
        match slot.as_mut() {
            Some(floor) if floor.runtime == runtime => {
                // Pending at or before the deadline: nothing to do (the common case).
                if floor.sleep.is_elapsed() || floor.sleep.deadline() > deadline {
                    floor.sleep.as_mut().reset(deadline);
                }
            }
            _ => {
                // First call, or a client used from another runtime than before. A new
                // `Sleep` is registered with the driver only when polled or reset.
                let mut sleep = Box::pin(tokio::time::sleep_until(deadline));
                sleep.as_mut().reset(deadline);
                *slot = Some(Floor { runtime, sleep });
            }
        }
    }
}

/// The error of a call whose deadline (`label`: "overall deadline", "spec timeout") of
/// `budget` passed.
pub(crate) fn deadline_passed(request: &ApiRequest, label: &str, budget: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "{} {}: no answer within the {label} of {budget:?}",
            request.method, request.path_and_query
        ),
    )
    .sent(true)
}

/// The error of attempt number `attempt` that outlived the per-attempt `timeout`.
pub(crate) fn attempt_timed_out(request: &ApiRequest, attempt: u32, timeout: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!(
            "{} {}: attempt {attempt} got no complete answer within the per-attempt timeout \
             of {timeout:?}",
            request.method, request.path_and_query
        ),
    )
    .sent(true)
}

/// Enforces `Call::deadline` over everything inside it (retries and backoff included).
#[derive(Debug, Clone)]
pub(crate) struct DeadlineLayer {
    /// What the deadline is called in messages ("overall deadline", "spec timeout").
    pub(crate) label: &'static str,
    /// Shared by every timeout layer of one client.
    pub(crate) floor: Arc<WakeFloor>,
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline {
            inner,
            label: self.label,
            floor: Arc::clone(&self.floor),
        }
    }
}

/// See [`DeadlineLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Deadline<S> {
    inner: S,
    label: &'static str,
    floor: Arc<WakeFloor>,
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
        let floor = Arc::clone(&self.floor);
        Box::pin(async move {
            floor.cover(deadline.into());
            match tokio::time::timeout_at(deadline.into(), inner.oneshot(call)).await {
                Ok(result) => result,
                Err(_) => Err(deadline_passed(&request, label, budget)),
            }
        })
    }
}

/// Bounds one attempt: send, wait, read the whole body.
#[derive(Debug, Clone)]
pub(crate) struct AttemptTimeoutLayer {
    pub(crate) timeout: Duration,
    /// Shared by every timeout layer of one client.
    pub(crate) floor: Arc<WakeFloor>,
}

impl<S> Layer<S> for AttemptTimeoutLayer {
    type Service = AttemptTimeout<S>;

    fn layer(&self, inner: S) -> AttemptTimeout<S> {
        AttemptTimeout {
            inner,
            timeout: self.timeout,
            floor: Arc::clone(&self.floor),
        }
    }
}

/// See [`AttemptTimeoutLayer`].
#[derive(Debug, Clone)]
pub(crate) struct AttemptTimeout<S> {
    inner: S,
    timeout: Duration,
    floor: Arc<WakeFloor>,
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
        let floor = Arc::clone(&self.floor);
        Box::pin(async move {
            if redundant {
                return fut.await;
            }
            let ends = tokio::time::Instant::now() + timeout;
            floor.cover(ends);
            match tokio::time::timeout_at(ends, fut).await {
                Ok(result) => result,
                Err(_) => Err(attempt_timed_out(&request, attempt, timeout)),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The floor's deadline and whether it has fired.
    fn floor_state(floor: &WakeFloor) -> Option<(tokio::time::Instant, bool)> {
        let slot = floor.slot.lock().unwrap();
        slot.as_ref()
            .map(|f| (f.sleep.deadline(), f.sleep.is_elapsed()))
    }

    #[tokio::test(start_paused = true)]
    async fn floor_stays_at_the_earliest_deadline_until_it_passes() {
        let secs = Duration::from_secs;
        let floor = WakeFloor::default();
        let t0 = tokio::time::Instant::now();
        floor.cover(t0 + secs(30));
        assert_eq!(floor_state(&floor), Some((t0 + secs(30), false)));
        // A later deadline (the next call's) leaves it where it is.
        floor.cover(t0 + secs(120));
        assert_eq!(floor_state(&floor), Some((t0 + secs(30), false)));
        // An earlier one moves it.
        floor.cover(t0 + secs(10));
        assert_eq!(floor_state(&floor), Some((t0 + secs(10), false)));
        // Once it has fired, the next deadline sets it again.
        tokio::time::sleep(secs(11)).await;
        assert_eq!(floor_state(&floor), Some((t0 + secs(10), true)));
        floor.cover(t0 + secs(41));
        assert_eq!(floor_state(&floor), Some((t0 + secs(41), false)));
    }

    #[test]
    fn floor_outside_a_runtime_does_nothing() {
        let floor = WakeFloor::default();
        floor.cover(tokio::time::Instant::now());
        assert!(floor_state(&floor).is_none());
    }

    #[test]
    fn floor_follows_the_client_to_another_runtime() {
        let floor = WakeFloor::default();
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap()
        };
        let first = runtime();
        first.block_on(async { floor.cover(tokio::time::Instant::now() + Duration::from_secs(5)) });
        drop(first);
        let second = runtime();
        let id = second.handle().id();
        second
            .block_on(async { floor.cover(tokio::time::Instant::now() + Duration::from_secs(5)) });
        let slot = floor.slot.lock().unwrap();
        let current = slot.as_ref().unwrap();
        assert_eq!(current.runtime, id);
        assert!(!current.sleep.is_elapsed());
    }
}
