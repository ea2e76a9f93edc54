//! A running simulator and its handles.

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::auth::{AuthState, Role, role_of};
use crate::state::{AppState, Shared};
use crate::tls::Identity;
use crate::{FaultControls, RequestLog, SimConfig, SimError, api, seed};

/// A running simulator; dropping it shuts it down.
#[derive(Debug)]
pub struct Sim {
    addr: SocketAddr,
    identity: Option<Identity>,
    state: AppState,
    shutdown: CancellationToken,
    server: Option<JoinHandle<()>>,
}

impl Sim {
    /// Binds, seeds the store and starts serving in the background.
    pub async fn start(config: SimConfig) -> Result<Sim, SimError> {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| SimError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: config.bind,
            source,
        })?;
        let identity = if config.tls {
            Some(crate::tls::generate(&config.cert_names)?)
        } else {
            None
        };
        let auth = Arc::new(AuthState::new(config.token_ttl));
        let faults = FaultControls::new(config.faults.clone(), Arc::clone(&auth));
        let state = AppState(Arc::new(Shared {
            store: Mutex::new(seed::store()),
            auth,
            faults,
            log: RequestLog::new(config.log_capacity),
            seq: AtomicU64::new(0),
            task_step: config.task_step,
            task_steps: config.task_steps,
            spec: Mutex::new(bytes::Bytes::from(api::openapi_json())),
            started: std::time::Instant::now(),
            base_url: format!("{}://{addr}", if config.tls { "https" } else { "http" }),
        }));
        let app = api::router(state.clone());
        let tls = identity
            .as_ref()
            .map(|i| TlsAcceptor::from(Arc::clone(&i.server_config)));
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(crate::server::serve(listener, app, tls, shutdown.clone()));
        Ok(Sim {
            addr,
            identity,
            state,
            shutdown,
            server: Some(server),
        })
    }

    /// Base URL without a trailing slash, e.g. `https://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        let scheme = if self.identity.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The certificate as PEM, when serving HTTPS.
    pub fn cert_pem(&self) -> Option<String> {
        self.identity.as_ref().map(|i| i.cert_pem.clone())
    }

    /// The certificate as DER, when serving HTTPS.
    pub fn cert_der(&self) -> Option<Vec<u8>> {
        self.identity.as_ref().map(|i| i.cert_der.clone())
    }

    /// SHA-256 fingerprint of the certificate, `AB:CD:…` (uppercase, colon-separated).
    pub fn fingerprint_sha256(&self) -> Option<String> {
        self.identity.as_ref().map(|i| i.fingerprint.clone())
    }

    /// Handle to the request log.
    pub fn log(&self) -> RequestLog {
        self.state.0.log.clone()
    }

    /// Handle to the fault controls.
    pub fn faults(&self) -> FaultControls {
        self.state.0.faults.clone()
    }

    /// Mints a valid token for `user` without a login request. Unknown users get read-only
    /// rights.
    pub fn issue_token(&self, user: &str) -> String {
        let role = role_of(user).unwrap_or(Role::Viewer);
        self.state.0.auth.issue(user, role).0
    }

    /// Moves the simulator's clock forward by `by`: tokens and console shares expire as if
    /// that much time had passed. Tasks keep their own (real-time) pace.
    pub fn advance_clock(&self, by: std::time::Duration) {
        self.state.0.auth.advance(by);
    }

    /// Replaces the OpenAPI document served at `/api-docs/openapi.json`, as an upgrade of
    /// PXCloud would; the routes stay what they are (an operation only the new document
    /// names answers 404 `route_not_found`, like any unknown endpoint). For spec-refresh tests.
    pub fn set_spec(&self, document: impl Into<String>) {
        let bytes = bytes::Bytes::from(document.into());
        *self
            .state
            .0
            .spec
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = bytes;
    }

    /// Stops accepting, closes every connection and waits for the server task.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
