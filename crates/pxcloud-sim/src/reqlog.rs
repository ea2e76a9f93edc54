//! The request log: what reached the simulator, in order, and what it answered.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// One request as the simulator received it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// Arrival order, starting at 1.
    pub seq: u64,
    /// HTTP method, upper case.
    pub method: String,
    /// Path as sent on the wire (percent-encoding kept).
    pub path: String,
    /// Raw query string without `?`.
    pub query: Option<String>,
    /// The body parsed as JSON, when it was JSON.
    pub body: Option<serde_json::Value>,
    /// Body length in bytes.
    pub body_bytes: usize,
    /// Relevant headers (content-type, accept, user-agent, retry and idempotency headers,
    /// `x-*`); `authorization` only as `Bearer <first 8 chars>…`.
    pub headers: Vec<(String, String)>,
    /// User of a valid token, `None` otherwise.
    pub authenticated_as: Option<String>,
    /// Status answered; 0 when the connection was closed instead.
    pub status: u16,
    /// The injected fault that answered, if any (`fail_next`, `error_rate`, `rate_limit`,
    /// `reset`, `spec_failure`).
    pub fault: Option<String>,
}

impl LoggedRequest {
    /// The value of header `name` (lower case), if recorded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A cheap, clonable handle to a simulator's request log.
///
/// The log keeps the most recent [`crate::SimConfig::log_capacity`] entries, so long
/// benchmark runs do not grow without bound.
#[derive(Debug, Clone)]
pub struct RequestLog {
    inner: Arc<Mutex<VecDeque<LoggedRequest>>>,
    capacity: usize,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize) -> Self {
        RequestLog {
            inner: Arc::new(Mutex::new(VecDeque::new())),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<LoggedRequest>> {
        // A poisoned log is still a log: keep serving what was recorded.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every request recorded so far, in the order they were answered.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.lock().iter().cloned().collect()
    }

    /// Forgets every recorded request (sequence numbers keep counting).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many requests with this method and path were recorded. The path is compared
    /// exactly (query ignored), either as sent or percent-decoded, so both
    /// `/api/vms/cluster1%3Apve1%3A100` and `/api/vms/cluster1:pve1:100` match.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.lock()
            .iter()
            .filter(|e| e.method.eq_ignore_ascii_case(method))
            .filter(|e| e.path == path || decode(&e.path) == path)
            .count()
    }

    pub(crate) fn push(&self, entry: LoggedRequest) {
        let mut log = self.lock();
        if log.len() >= self.capacity {
            log.pop_front();
        }
        log.push_back(entry);
    }
}

fn decode(path: &str) -> String {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}
