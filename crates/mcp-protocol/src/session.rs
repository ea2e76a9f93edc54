//! Per-connection state of the legacy era, and the request bookkeeping every transport
//! connection needs (in-flight cancellation tokens, outgoing requests awaiting answers).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::jsonrpc::{ErrorObject, RequestId};
use crate::model::LogLevel;
use crate::version::ProtocolVersion;

/// Where the messages that belong to one request (notifications, server-to-client
/// requests) go: stdout for stdio, the POST's response stream for HTTP. Each item is one
/// encoded message (compact JSON, no newline), so the writer only copies bytes.
pub(crate) type Sink = mpsc::UnboundedSender<Vec<u8>>;

type Pending = oneshot::Sender<Result<Value, ErrorObject>>;

/// The client as it introduced itself in `initialize`; shared, not copied, by every
/// request of the session.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientIdentity {
    pub(crate) info: Option<Value>,
    pub(crate) capabilities: Value,
}

#[derive(Debug, Clone)]
pub(crate) struct SessionState {
    pub(crate) initialized: bool,
    pub(crate) version: Option<ProtocolVersion>,
    pub(crate) client: Arc<ClientIdentity>,
    pub(crate) log_level: LogLevel,
}

/// One connection (stdio) or one `Mcp-Session-Id` (HTTP).
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) id: String,
    state: Mutex<SessionState>,
    pending: Mutex<HashMap<RequestId, Pending>>,
    inflight: Mutex<HashMap<RequestId, CancellationToken>>,
    subscriptions: Mutex<HashSet<String>>,
    next_id: AtomicI64,
    /// The standalone stream (stdio writer, HTTP GET stream) for messages not tied to a request.
    standalone: Mutex<Option<Sink>>,
    /// When the client last used this session (HTTP idle expiry).
    last_seen: Mutex<Instant>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Session {
    pub(crate) fn new(id: String) -> Self {
        Session {
            id,
            state: Mutex::new(SessionState {
                initialized: false,
                version: None,
                client: Arc::new(ClientIdentity {
                    info: None,
                    capabilities: Value::Object(Default::default()),
                }),
                log_level: LogLevel::Debug,
            }),
            pending: Mutex::new(HashMap::new()),
            inflight: Mutex::new(HashMap::new()),
            subscriptions: Mutex::new(HashSet::new()),
            next_id: AtomicI64::new(1),
            standalone: Mutex::new(None),
            last_seen: Mutex::new(Instant::now()),
        }
    }

    pub(crate) fn state(&self) -> SessionState {
        lock(&self.state).clone()
    }

    pub(crate) fn log_level(&self) -> LogLevel {
        lock(&self.state).log_level
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut SessionState)) {
        f(&mut lock(&self.state));
    }

    pub(crate) fn set_standalone(&self, sink: Option<Sink>) {
        *lock(&self.standalone) = sink;
    }

    pub(crate) fn touch(&self) {
        *lock(&self.last_seen) = Instant::now();
    }

    /// Idle: nothing in flight, no open standalone stream, unused for `limit`.
    pub(crate) fn is_idle_for(&self, limit: std::time::Duration) -> bool {
        self.inflight_count() == 0
            && lock(&self.standalone)
                .as_ref()
                .is_none_or(|s| s.is_closed())
            && lock(&self.last_seen).elapsed() >= limit
    }

    pub(crate) fn register_inflight(&self, id: RequestId, token: CancellationToken) {
        lock(&self.inflight).insert(id, token);
    }

    pub(crate) fn finish_inflight(&self, id: &RequestId) {
        lock(&self.inflight).remove(id);
    }

    /// Cancels an in-flight request; false when it is unknown or already done.
    pub(crate) fn cancel(&self, id: &RequestId) -> bool {
        match lock(&self.inflight).remove(id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Cancels everything in flight (shutdown).
    pub(crate) fn cancel_all(&self) {
        for (_, token) in lock(&self.inflight).drain() {
            token.cancel();
        }
    }

    pub(crate) fn inflight_count(&self) -> usize {
        lock(&self.inflight).len()
    }

    /// Allocates an id for a server-to-client request and registers its waiter.
    pub(crate) fn start_outgoing(
        &self,
    ) -> (RequestId, oneshot::Receiver<Result<Value, ErrorObject>>) {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let id = RequestId::String(format!("s-{n}"));
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id.clone(), tx);
        (id, rx)
    }

    pub(crate) fn abandon_outgoing(&self, id: &RequestId) {
        lock(&self.pending).remove(id);
    }

    /// Delivers a client's answer; false when no request with that id is waiting.
    pub(crate) fn complete_outgoing(
        &self,
        id: &RequestId,
        answer: Result<Value, ErrorObject>,
    ) -> bool {
        match lock(&self.pending).remove(id) {
            Some(tx) => tx.send(answer).is_ok(),
            None => false,
        }
    }

    pub(crate) fn subscribe(&self, uri: String) {
        lock(&self.subscriptions).insert(uri);
    }

    pub(crate) fn unsubscribe(&self, uri: &str) {
        lock(&self.subscriptions).remove(uri);
    }

    pub(crate) fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.subscriptions).contains(uri)
    }
}
