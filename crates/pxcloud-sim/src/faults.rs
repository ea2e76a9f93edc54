//! Fault injection: the knobs tests and the command line turn, and the decision per request.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rand::Rng;

use crate::FaultConfig;
use crate::auth::AuthState;

/// A cheap, clonable handle to a simulator's faults; settable at any time.
///
/// Counted faults (`fail_next`, `rate_limit_next`, `reset_next`) are consumed in this order
/// of precedence: reset, rate limit, failure, random error rate.
#[derive(Debug, Clone)]
pub struct FaultControls {
    pub(crate) state: Arc<Mutex<FaultConfig>>,
    pub(crate) auth: Arc<AuthState>,
}

/// What the fault layer decided for one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decision {
    Pass,
    Reset,
    Status {
        status: u16,
        fault: &'static str,
        retry_after: Option<u64>,
    },
}

impl FaultControls {
    pub(crate) fn new(initial: FaultConfig, auth: Arc<AuthState>) -> Self {
        FaultControls {
            state: Arc::new(Mutex::new(initial)),
            auth,
        }
    }

    fn lock(&self) -> MutexGuard<'_, FaultConfig> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds `d` before every answer (zero to turn off).
    pub fn set_latency(&self, d: Duration) {
        self.lock().latency = d;
    }

    /// The next `n` API requests (not login, not the spec) answer `status` with a JSON error
    /// body.
    pub fn fail_next(&self, n: usize, status: u16) {
        let mut s = self.lock();
        s.fail_next = n;
        s.fail_status = Some(status);
    }

    /// A random fraction `rate` (clamped to 0.0–1.0) of API requests answers `status`.
    pub fn set_error_rate(&self, rate: f64, status: u16) {
        let mut s = self.lock();
        s.error_rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        s.error_status = Some(status);
    }

    /// The next `n` API requests answer 429 with `Retry-After: retry_after_secs`.
    pub fn rate_limit_next(&self, n: usize, retry_after_secs: u64) {
        let mut s = self.lock();
        s.rate_limit_next = n;
        s.retry_after_secs = retry_after_secs;
    }

    /// The next `n` API requests are answered by closing their connection without a response.
    pub fn reset_next(&self, n: usize) {
        self.lock().reset_next = n;
    }

    /// Lifetime of tokens issued from now on.
    pub fn set_token_ttl(&self, d: Duration) {
        self.auth.set_ttl(d);
    }

    /// Every token issued so far answers 401 `token_expired` from now on.
    pub fn revoke_all_tokens(&self) {
        self.auth.revoke_all();
    }

    /// Delays `GET /api-docs/openapi.json` by `d`.
    pub fn set_spec_delay(&self, d: Duration) {
        self.lock().spec_delay = d;
    }

    /// Makes the spec endpoint answer `status` (with a JSON error) instead of the document.
    pub fn set_spec_failure(&self, status: Option<u16>) {
        self.lock().spec_failure = status;
    }

    /// Clears every fault (token lifetime and revocations are left as they are).
    pub fn reset(&self) {
        *self.lock() = FaultConfig::default();
    }

    /// The settings now in force.
    pub fn current(&self) -> FaultConfig {
        self.lock().clone()
    }

    pub(crate) fn latency(&self) -> Duration {
        self.lock().latency
    }

    pub(crate) fn spec(&self) -> (Duration, Option<u16>) {
        let s = self.lock();
        (s.spec_delay, s.spec_failure)
    }

    /// Decides the fate of one API request, consuming counted faults.
    pub(crate) fn decide(&self) -> Decision {
        let mut s = self.lock();
        if s.reset_next > 0 {
            s.reset_next -= 1;
            return Decision::Reset;
        }
        if s.rate_limit_next > 0 {
            s.rate_limit_next -= 1;
            return Decision::Status {
                status: 429,
                fault: "rate_limit",
                retry_after: Some(s.retry_after_secs),
            };
        }
        if s.fail_next > 0 {
            s.fail_next -= 1;
            return Decision::Status {
                status: s.fail_status.unwrap_or(503),
                fault: "fail_next",
                retry_after: None,
            };
        }
        if s.error_rate > 0.0 && rand::rng().random_bool(s.error_rate) {
            return Decision::Status {
                status: s.error_status.unwrap_or(503),
                fault: "error_rate",
                retry_after: None,
            };
        }
        Decision::Pass
    }
}
