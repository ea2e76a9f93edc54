//! The client: the tower stack assembled in its documented order, and the calls the server
//! makes (login, spec fetch, send).
//!
//! Layer order, outermost first:
//!
//! 1. **deadline** — the overall deadline of a call (`timeouts.overall`), retries and
//!    backoff included; every layer already speaks [`Error`], so no error mapping is needed
//!    above it;
//! 2. **retry** — [`crate::retry`]'s policy: only what is safe, full-jitter backoff,
//!    `Retry-After`, a shared retry budget;
//! 3. **per-attempt timeout** — `timeouts.per_attempt` for one send-and-read;
//! 4. **concurrency limit** — at most `max_in_flight` requests on the wire;
//! 5. **auth** — bearer token, renewal before expiry, single-flight re-login on 401;
//! 6. **transport** — hyper-util's pooled client over hyper-rustls (HTTP/1.1 and HTTP/2 by
//!    ALPN), body read within the size cap.
//!
//! Logins and the spec fetch go through these as tower layers, without the auth and limit
//! steps. API calls ([`Client::send`]) go through the same steps in the same order written
//! as plain async functions (`crate::api`), which costs less per call.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use http::HeaderValue;
use tokio::sync::Semaphore;
use tower::retry::RetryLayer;
use tower::util::BoxCloneSyncService;
use tower::{ServiceBuilder, ServiceExt};

use crate::api::ApiPath;
use crate::auth::{AuthState, PlainService};
use crate::config::{ClientConfig, Timeouts, validate};
use crate::error::{Error, ErrorKind};
use crate::layers::{AttemptTimeoutLayer, DeadlineLayer, WakeFloor};
use crate::message::{ApiRequest, ApiResponse, decode_json_with, status_error};
use crate::retry::RetryPolicy;
use crate::transport::{Call, Transport, build_hyper_client};

/// Where PXCloud serves its OpenAPI document (no authentication needed).
pub const SPEC_PATH: &str = "/api-docs/openapi.json";

/// Counters for diagnostics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ClientStats {
    /// Connections the pool opened (each a TCP connect, plus a TLS handshake for https).
    pub connections_opened: u64,
    /// Successful logins.
    pub logins: u64,
    /// Retries made (attempts beyond the first).
    pub retries: u64,
}

/// The PXCloud client. Cheap to clone (an `Arc` inside); `Send + Sync`.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    api: ApiPath,
    spec: PlainService,
    auth: Arc<AuthState>,
    timeouts: Timeouts,
    base: String,
    warnings: Vec<String>,
    connections: Arc<AtomicU64>,
    logins: Arc<AtomicU64>,
    retries: Arc<AtomicU64>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("timeouts", &self.inner.timeouts)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Validates the configuration and builds the stack. No network I/O (a `CaFile` is read).
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        let (base, warnings) = validate(&config)?;
        for w in &warnings {
            tracing::warn!("{w}");
        }
        let user_agent = HeaderValue::from_str(&config.user_agent)
            .map_err(|_| Error::config("user_agent is not a valid header value"))?;
        let connections = Arc::new(AtomicU64::new(0));
        let logins = Arc::new(AtomicU64::new(0));
        let retries = Arc::new(AtomicU64::new(0));
        let hyper = build_hyper_client(&config, connections.clone())?;
        let transport = Transport::new(hyper, base.clone(), user_agent, config.max_response_bytes);
        let policy = RetryPolicy::new(config.retry, retries.clone());
        let t = config.timeouts;
        // One floor for all the client's timeouts (see `WakeFloor`).
        let floor = Arc::new(WakeFloor::default());

        let plain = |label: &'static str, per_attempt| -> PlainService {
            BoxCloneSyncService::new(
                ServiceBuilder::new()
                    .layer(DeadlineLayer {
                        label,
                        floor: floor.clone(),
                    })
                    .layer(RetryLayer::new(policy.clone()))
                    .layer(AttemptTimeoutLayer {
                        timeout: per_attempt,
                        floor: floor.clone(),
                    })
                    .service(transport.clone()),
            )
        };
        let login = plain("overall deadline", t.per_attempt);
        // The spec timeout bounds the whole fetch; attempts keep the ordinary per-attempt bound.
        let spec = plain("spec timeout", t.per_attempt);
        let auth = Arc::new(AuthState::new(
            config.auth.clone(),
            login,
            t.overall,
            logins.clone(),
        ));
        let api = ApiPath {
            transport,
            auth: auth.clone(),
            limit: Semaphore::new(config.max_in_flight.min(Semaphore::MAX_PERMITS)),
            policy,
            per_attempt: t.per_attempt,
            floor,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                api,
                spec,
                auth,
                timeouts: t,
                base: base.display(),
                warnings,
                connections,
                logins,
                retries,
            }),
        })
    }

    /// Start-up warnings (http:// to a non-loopback host, verification off). The server
    /// prints them on stderr; they are also emitted as `tracing` warnings.
    pub fn warnings(&self) -> &[String] {
        &self.inner.warnings
    }

    /// The base URL, normalised (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base
    }

    /// Counters: connections opened, logins, retries.
    pub fn stats(&self) -> ClientStats {
        ClientStats {
            connections_opened: self.inner.connections.load(Ordering::Relaxed),
            logins: self.inner.logins.load(Ordering::Relaxed),
            retries: self.inner.retries.load(Ordering::Relaxed),
        }
    }

    /// Makes sure a valid token is held: logs in with a password (if not already logged in
    /// with a token that is not about to expire); a no-op with a given token.
    pub async fn login(&self) -> Result<(), Error> {
        self.inner.auth.current().await.map(|_| ())
    }

    /// `GET /api-docs/openapi.json` within `timeouts.spec` (all attempts included).
    /// Errors: `Transport` (unreachable), `Tls`, `Timeout`, `Status`, `Decode` (not JSON),
    /// `NotOpenApi` (JSON without an `openapi` or `swagger` version field), `TooLarge`.
    pub async fn fetch_spec(&self) -> Result<serde_json::Value, Error> {
        self.fetch_spec_with(|bytes: &[u8]| serde_json::from_slice(bytes))
            .await
    }

    /// [`Client::fetch_spec`] with the caller's JSON parser, e.g. one that leaves out parts
    /// of the document the caller never reads (the document can be large, and only the
    /// parsed tree is kept). The version check applies to what `parse` returns.
    pub async fn fetch_spec_with(
        &self,
        parse: impl FnOnce(&[u8]) -> serde_json::Result<serde_json::Value>,
    ) -> Result<serde_json::Value, Error> {
        let deadline = Instant::now() + self.inner.timeouts.spec;
        let call = Call {
            request: Arc::new(ApiRequest::get(SPEC_PATH)),
            bearer: None,
            attempt: 1,
            deadline,
        };
        let what = format!(
            "fetching the OpenAPI document from {}{SPEC_PATH}",
            self.inner.base
        );
        let mut response = self
            .inner
            .spec
            .clone()
            .oneshot(call.clone())
            .await
            .map_err(|e| e.prefix_message(&what))?;
        if response.status == 401 {
            // PXCloud serves the document without authentication; a deployment that protects
            // it gets one more try with the token.
            let token = self
                .inner
                .auth
                .current()
                .await
                .map_err(|e| e.prefix_message(&what))?;
            let call = Call {
                bearer: Some(crate::auth::bearer(&token).map_err(|e| e.prefix_message(&what))?),
                ..call
            };
            response = self
                .inner
                .spec
                .clone()
                .oneshot(call)
                .await
                .map_err(|e| e.prefix_message(&what))?;
        }
        if !response.is_success() {
            return Err(status_error(response.status, &response.body, Some(&what)));
        }
        let doc = decode_json_with(&response.body, response.status, parse)
            .map_err(|e| e.prefix_message(&what))?;
        check_openapi(&doc)
            .map_err(|e| e.with_body_prefix(&response.body).prefix_message(&what))?;
        Ok(doc)
    }

    /// Sends one request through the whole stack. Any HTTP status is `Ok` (retries and
    /// re-login happen inside); use [`ApiResponse::error_for_status`] to turn a non-2xx
    /// answer into an error. A 401 that a new login cannot fix is an `Auth` error.
    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse, Error> {
        let started = Instant::now();
        let request = Arc::new(request);
        let call = Call {
            request: Arc::clone(&request),
            bearer: None,
            attempt: 1,
            deadline: started + self.inner.timeouts.overall,
        };
        let result = self.inner.api.send(call).await;
        let (method, path) = (&request.method, &request.path_and_query);
        match result {
            Ok(mut response) => {
                response.elapsed = started.elapsed();
                tracing::debug!(
                    %method, %path, status = response.status,
                    attempts = response.attempts, elapsed = ?response.elapsed,
                    "PXCloud call"
                );
                Ok(response)
            }
            Err(e) => {
                tracing::debug!(%method, %path, error = %e, "PXCloud call failed");
                Err(e)
            }
        }
    }
}

/// An OpenAPI (3.x) or Swagger (2.0) document has a version field at the top level.
fn check_openapi(doc: &serde_json::Value) -> Result<(), Error> {
    let Some(obj) = doc.as_object() else {
        return Err(Error::new(
            ErrorKind::NotOpenApi,
            "the document is JSON but not an object, so not an OpenAPI document",
        ));
    };
    let has_version = ["openapi", "swagger"]
        .iter()
        .any(|k| obj.get(*k).is_some_and(|v| v.is_string()));
    if !has_version {
        return Err(Error::new(
            ErrorKind::NotOpenApi,
            "the document is JSON but has no \"openapi\" or \"swagger\" version field, so it \
             is not an OpenAPI document; is PXCLOUD_URL pointing at PXCloud?",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_check() {
        let cases = [
            (r#"{"openapi":"3.0.3","paths":{}}"#, true),
            (r#"{"swagger":"2.0"}"#, true),
            (r#"{"openapi":3}"#, false),
            (r#"{"paths":{}}"#, false),
            ("[1,2]", false),
        ];
        for (doc, ok) in cases {
            let v: serde_json::Value = serde_json::from_str(doc).unwrap();
            assert_eq!(check_openapi(&v).is_ok(), ok, "{doc}");
        }
    }

    #[test]
    fn client_is_send_sync_and_cheap_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
        fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
        assert_error::<Error>();
    }
}
