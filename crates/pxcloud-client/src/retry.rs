//! Which failures are retried, how long to wait, and the tower retry policy that applies it.
//!
//! Safe to repeat: GET, HEAD, OPTIONS, PUT, DELETE (idempotent) on 502/503/504, on
//! connection failures and on per-attempt timeouts; any method when the connection failed
//! before the request was written, and on 429 (the request was refused, not executed).
//! A POST or PATCH that may have reached PXCloud is never sent again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use http::Method;
use tower::retry::Policy;
use tower::retry::budget::{Budget, TpsBudget};

use crate::config::RetryConfig;
use crate::error::{Error, ErrorKind};
use crate::message::ApiResponse;
use crate::transport::Call;

/// What an attempt ended with, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// An HTTP answer.
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The connection failed before the request was written.
    NotSent,
    /// The connection failed or timed out after the request may have been written.
    MaybeSent,
    /// Nothing a retry can fix.
    Fatal,
}

/// The policy's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Retry(Duration),
    Stop,
}

/// Methods that may be repeated without changing the result.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// Full-jitter exponential backoff: uniform in `[0, min(max, base·2^(attempt-1))]`.
/// `jitter` is a uniform sample in `[0, 1)`.
pub(crate) fn backoff(cfg: &RetryConfig, attempt: u32, jitter: f64) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let ceiling = cfg
        .base_delay
        .checked_mul(1u32 << exp)
        .unwrap_or(cfg.max_delay)
        .min(cfg.max_delay);
    ceiling.mul_f64(jitter.clamp(0.0, 1.0))
}

/// Decides whether attempt number `attempt` (1-based) that ended with `outcome` is retried,
/// and after how long; `remaining` is the time left before the overall deadline.
pub(crate) fn decide(
    method: &Method,
    outcome: Outcome,
    attempt: u32,
    cfg: &RetryConfig,
    remaining: Duration,
    jitter: f64,
) -> Decision {
    if attempt >= cfg.max_attempts {
        return Decision::Stop;
    }
    let wait = match outcome {
        Outcome::Status {
            status: 429,
            retry_after,
        } => match retry_after {
            Some(d) if d > cfg.max_retry_after => return Decision::Stop,
            Some(d) => d,
            None => backoff(cfg, attempt, jitter),
        },
        Outcome::Status {
            status: 502..=504,
            retry_after,
        } if is_idempotent(method) => {
            let b = backoff(cfg, attempt, jitter);
            match retry_after {
                Some(d) if d > cfg.max_retry_after => return Decision::Stop,
                Some(d) => d.max(b),
                None => b,
            }
        }
        Outcome::NotSent => backoff(cfg, attempt, jitter),
        Outcome::MaybeSent if is_idempotent(method) => backoff(cfg, attempt, jitter),
        _ => return Decision::Stop,
    };
    if wait >= remaining {
        return Decision::Stop;
    }
    Decision::Retry(wait)
}

/// `Retry-After`: delta-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

fn outcome_of(result: &Result<ApiResponse, Error>) -> Outcome {
    match result {
        Ok(response) => Outcome::Status {
            status: response.status,
            retry_after: response
                .headers
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now())),
        },
        Err(e) if e.is_exhausted() => Outcome::Fatal,
        Err(e) => match e.kind() {
            ErrorKind::Transport if e.may_have_been_sent() => Outcome::MaybeSent,
            ErrorKind::Transport => Outcome::NotSent,
            ErrorKind::Timeout => Outcome::MaybeSent,
            _ => Outcome::Fatal,
        },
    }
}

/// The tower retry policy: the decision above, a shared retry budget, jittered sleeps.
#[derive(Clone)]
pub(crate) struct RetryPolicy {
    cfg: RetryConfig,
    budget: Arc<TpsBudget>,
    retries: Arc<AtomicU64>,
}

impl std::fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl RetryPolicy {
    pub(crate) fn new(cfg: RetryConfig, retries: Arc<AtomicU64>) -> Self {
        let budget = TpsBudget::new(cfg.budget_ttl, cfg.budget_min_per_sec, cfg.budget_percent);
        Self {
            cfg,
            budget: Arc::new(budget),
            retries,
        }
    }
}

impl RetryPolicy {
    /// After an attempt of `req` that ended with `result`: `None` to return the result, or
    /// the backoff to sleep before the next attempt (`req.attempt` then counts it). What
    /// [`Policy::retry`] does, for the API call path that runs the loop itself.
    pub(crate) fn after_attempt(
        &self,
        req: &mut Call,
        result: &mut Result<ApiResponse, Error>,
    ) -> Option<tokio::time::Sleep> {
        if req.attempt == 1 {
            self.budget.deposit();
        }
        if let Ok(response) = result {
            response.attempts = req.attempt;
        }
        let remaining = req.deadline.saturating_duration_since(Instant::now());
        let outcome = outcome_of(result);
        let decision = decide(
            &req.request.method,
            outcome,
            req.attempt,
            &self.cfg,
            remaining,
            rand::random::<f64>(),
        );
        match decision {
            Decision::Stop => None,
            Decision::Retry(wait) => {
                if !self.budget.withdraw() {
                    tracing::debug!("retry budget exhausted; not retrying");
                    return None;
                }
                self.retries.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(
                    method = %req.request.method,
                    path = %req.request.path_and_query,
                    attempt = req.attempt,
                    ?outcome,
                    ?wait,
                    "retrying"
                );
                req.attempt += 1;
                Some(tokio::time::sleep(wait))
            }
        }
    }
}

impl Policy<Call, ApiResponse, Error> for RetryPolicy {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        req: &mut Call,
        result: &mut Result<ApiResponse, Error>,
    ) -> Option<Self::Future> {
        self.after_attempt(req, result)
    }

    fn clone_request(&mut self, req: &Call) -> Option<Call> {
        // Always cloned (the body is `Bytes`, so this is cheap): whether a repeat is safe
        // depends on how the attempt failed, which `retry` decides.
        Some(req.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> RetryConfig {
        RetryConfig {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
            ..RetryConfig::default()
        }
    }

    #[test]
    fn decisions() {
        use Decision::{Retry, Stop};
        let long = Duration::from_secs(60);
        let st = |status, ra: Option<u64>| Outcome::Status {
            status,
            retry_after: ra.map(Duration::from_secs),
        };
        // jitter 1.0 → the backoff ceiling; attempt 1 → 100 ms, attempt 3 → 400 ms.
        let cases: Vec<(Method, Outcome, u32, Duration, Decision)> = vec![
            (Method::GET, st(200, None), 1, long, Stop),
            (Method::GET, st(404, None), 1, long, Stop),
            (
                Method::GET,
                st(503, None),
                1,
                long,
                Retry(Duration::from_millis(100)),
            ),
            (
                Method::GET,
                st(502, None),
                3,
                long,
                Retry(Duration::from_millis(400)),
            ),
            (
                Method::DELETE,
                st(504, None),
                1,
                long,
                Retry(Duration::from_millis(100)),
            ),
            (
                Method::PUT,
                st(503, None),
                1,
                long,
                Retry(Duration::from_millis(100)),
            ),
            (Method::POST, st(503, None), 1, long, Stop),
            (Method::PATCH, st(502, None), 1, long, Stop),
            (Method::GET, st(500, None), 1, long, Stop),
            (Method::GET, st(503, None), 4, long, Stop),
            (
                Method::POST,
                st(429, Some(3)),
                1,
                long,
                Retry(Duration::from_secs(3)),
            ),
            (
                Method::GET,
                st(429, Some(3)),
                1,
                long,
                Retry(Duration::from_secs(3)),
            ),
            (Method::GET, st(429, Some(11)), 1, long, Stop),
            (
                Method::GET,
                st(429, Some(3)),
                1,
                Duration::from_secs(2),
                Stop,
            ),
            (
                Method::POST,
                st(429, None),
                2,
                long,
                Retry(Duration::from_millis(200)),
            ),
            (
                Method::GET,
                st(503, Some(1)),
                1,
                long,
                Retry(Duration::from_secs(1)),
            ),
            (
                Method::POST,
                Outcome::NotSent,
                1,
                long,
                Retry(Duration::from_millis(100)),
            ),
            (Method::POST, Outcome::MaybeSent, 1, long, Stop),
            (
                Method::GET,
                Outcome::MaybeSent,
                2,
                long,
                Retry(Duration::from_millis(200)),
            ),
            (Method::GET, Outcome::Fatal, 1, long, Stop),
            (
                Method::GET,
                Outcome::NotSent,
                1,
                Duration::from_millis(50),
                Stop,
            ),
        ];
        for (method, outcome, attempt, remaining, want) in cases {
            let got = decide(&method, outcome, attempt, &cfg(), remaining, 1.0);
            assert_eq!(got, want, "{method} {outcome:?} attempt {attempt}");
        }
    }

    #[test]
    fn backoff_is_capped_and_jittered() {
        let c = cfg();
        assert_eq!(backoff(&c, 1, 0.0), Duration::ZERO);
        assert_eq!(backoff(&c, 1, 0.5), Duration::from_millis(50));
        assert_eq!(backoff(&c, 5, 1.0), Duration::from_millis(1600));
        assert_eq!(backoff(&c, 6, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(&c, 40, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(&c, u32::MAX, 1.0), Duration::from_secs(2));
        // Full jitter: samples spread over the whole interval.
        let samples: Vec<Duration> = (0..200).map(|_| backoff(&c, 3, rand::random())).collect();
        assert!(samples.iter().all(|d| *d <= Duration::from_millis(400)));
        assert!(samples.iter().any(|d| *d < Duration::from_millis(100)));
        assert!(samples.iter().any(|d| *d > Duration::from_millis(300)));
    }

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let cases = [
            ("5", Some(5)),
            (" 0 ", Some(0)),
            ("Wed, 21 Oct 2015 07:28:30 GMT", Some(30)),
            ("Wed, 21 Oct 2015 07:27:00 GMT", Some(0)),
            ("soon", None),
            ("-1", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_retry_after(input, now),
                want.map(Duration::from_secs),
                "{input}"
            );
        }
    }
}
