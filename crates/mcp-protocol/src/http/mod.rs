//! The Streamable HTTP transport on hyper 1: one endpoint (default `/mcp`) that serves
//! legacy sessions (`Mcp-Session-Id`, GET stream, DELETE) and stateless 2026-07-28
//! requests (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`; GET/DELETE → 405).
//! Binds loopback by default, validates Host and Origin (403), optionally requires a
//! bearer token (mandatory on a non-loopback bind), caps request bodies and shuts down
//! gracefully.

mod guard;
mod service;
mod sse;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::error::TransportError;
use crate::server::Server;
use crate::session::Session;

/// Configuration of the HTTP transport.
#[derive(Clone)]
pub struct HttpConfig {
    /// Address to bind; loopback by default.
    pub bind: SocketAddr,
    /// The endpoint path.
    pub path: String,
    /// When set, every request needs `Authorization: Bearer <token>`. Required when
    /// binding a non-loopback address.
    pub bearer_token: Option<String>,
    /// Extra `Host` values accepted besides loopback names (for a public bind, the
    /// names clients use). Empty on a public bind means any Host.
    pub allowed_hosts: Vec<String>,
    /// Extra `Origin` values accepted (full origins like `https://app.example`).
    pub allowed_origins: Vec<String>,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Most concurrent legacy sessions.
    pub max_sessions: usize,
    /// A legacy session unused this long (nothing in flight, no open stream) is
    /// dropped when room is needed for a new one.
    pub session_idle_timeout: Duration,
    /// How long connections may take to finish after shutdown starts.
    pub shutdown_grace: Duration,
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("bind", &self.bind)
            .field("path", &self.path)
            .field(
                "bearer_token",
                &self.bearer_token.as_ref().map(|_| "<redacted>"),
            )
            .field("allowed_hosts", &self.allowed_hosts)
            .field("allowed_origins", &self.allowed_origins)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_sessions", &self.max_sessions)
            .field("session_idle_timeout", &self.session_idle_timeout)
            .field("shutdown_grace", &self.shutdown_grace)
            .finish()
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            path: "/mcp".into(),
            bearer_token: None,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            max_body_bytes: crate::jsonrpc::DEFAULT_MAX_MESSAGE_BYTES,
            max_sessions: 1024,
            session_idle_timeout: Duration::from_secs(30 * 60),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

pub(crate) struct HttpState {
    pub(crate) server: Server,
    pub(crate) config: HttpConfig,
    pub(crate) sessions: Mutex<HashMap<String, Arc<Session>>>,
    pub(crate) root: CancellationToken,
}

/// A bound HTTP server, ready to serve.
pub struct HttpServer {
    listener: TcpListener,
    state: Arc<HttpState>,
}

impl fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpServer")
            .field("config", &self.state.config)
            .finish_non_exhaustive()
    }
}

impl HttpServer {
    /// Validates the configuration and binds the socket.
    pub async fn bind(server: Server, config: HttpConfig) -> Result<Self, TransportError> {
        if !config.bind.ip().is_loopback()
            && config.bearer_token.as_deref().is_none_or(str::is_empty)
        {
            return Err(TransportError::Config(format!(
                "binding the non-loopback address {} requires a bearer token",
                config.bind
            )));
        }
        if !config.path.starts_with('/') {
            return Err(TransportError::Config(format!(
                "path {:?} must start with '/'",
                config.path
            )));
        }
        let listener =
            TcpListener::bind(config.bind)
                .await
                .map_err(|source| TransportError::Io {
                    context: format!("binding {}", config.bind),
                    source,
                })?;
        let state = Arc::new(HttpState {
            server,
            config,
            sessions: Mutex::new(HashMap::new()),
            root: CancellationToken::new(),
        });
        Ok(HttpServer { listener, state })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, TransportError> {
        self.listener
            .local_addr()
            .map_err(|source| TransportError::Io {
                context: "reading the local address".into(),
                source,
            })
    }

    /// Serves until `shutdown` resolves, then stops accepting, ends streams and lets
    /// connections finish within the grace period.
    pub async fn serve<S: Future<Output = ()> + Send>(
        self,
        shutdown: S,
    ) -> Result<(), TransportError> {
        let HttpServer { listener, state } = self;
        let stop = CancellationToken::new();
        let mut conns = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            while conns.try_join_next().is_some() {}
            let accepted = tokio::select! {
                () = &mut shutdown => break,
                a = listener.accept() => a,
            };
            let (stream, peer) = match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let state = Arc::clone(&state);
            let stop = stop.clone();
            conns.spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, std::convert::Infallible>(service::handle(state, req).await) }
                });
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let conn = builder.serve_connection(TokioIo::new(stream), svc);
                tokio::pin!(conn);
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                    }
                    () = stop.cancelled() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.await;
                    }
                }
            });
        }
        drop(listener);
        stop.cancel();
        let grace = state.config.shutdown_grace;
        let finished = tokio::time::timeout(grace, async {
            // Let in-flight requests finish, then end the long-lived streams.
            let sessions: Vec<Arc<Session>> = lock(&state.sessions).values().cloned().collect();
            while sessions.iter().any(|s| s.inflight_count() > 0) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            state.root.cancel();
            while conns.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            state.root.cancel();
            conns.abort_all();
        }
        for s in lock(&state.sessions).drain().map(|(_, s)| s) {
            s.cancel_all();
        }
        Ok(())
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Binds and serves until `shutdown` resolves.
pub async fn serve_http<S: Future<Output = ()> + Send>(
    server: Server,
    config: HttpConfig,
    shutdown: S,
) -> Result<(), TransportError> {
    HttpServer::bind(server, config)
        .await?
        .serve(shutdown)
        .await
}
