//! The one layer every request passes: request log, latency, faults, authentication and the
//! read-only rule. Order: log (outermost) → latency → spec faults / API faults → auth → 403 for
//! viewers on writes → router.

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

use crate::LoggedRequest;
use crate::auth::Role;
use crate::envelope::ApiError;
use crate::faults::Decision;
use crate::state::AppState;

/// Largest body the simulator reads (ISO uploads included).
const BODY_LIMIT: usize = 512 * 1024 * 1024;

/// Path of the OpenAPI document.
pub(crate) const SPEC_PATH: &str = "/api-docs/openapi.json";
/// Path of the login endpoint.
pub(crate) const LOGIN_PATH: &str = "/api/auth/login";

/// Closes the connection a request arrived on (inserted by the server per connection).
#[derive(Debug, Clone)]
pub(crate) struct ConnKill(pub(crate) CancellationToken);

/// The authenticated caller, put in the request extensions by the layer.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) user: String,
    pub(crate) role: Role,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing bearer token",
            )
        })
    }
}

/// Endpoints that need no token.
fn is_public(method: &Method, path: &str) -> bool {
    path == LOGIN_PATH
        || path == SPEC_PATH
        || path == "/system/health"
        || (path.starts_with("/api/console-share/")
            && (method == Method::GET || method == Method::POST))
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Headers worth recording; the token is cut to its first 8 characters.
fn relevant_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    const KEEP: [&str; 8] = [
        "content-type",
        "accept",
        "user-agent",
        "idempotency-key",
        "retry-attempt",
        "traceparent",
        "content-length",
        "upgrade",
    ];
    headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.as_str();
            let value = value.to_str().unwrap_or("<binary>");
            if name == "authorization" {
                let shown = match value.strip_prefix("Bearer ") {
                    Some(token) => format!("Bearer {}…", token.chars().take(8).collect::<String>()),
                    None => "<redacted>".to_owned(),
                };
                Some((name.to_owned(), shown))
            } else if KEEP.contains(&name) || name.starts_with("x-") {
                Some((name.to_owned(), value.to_owned()))
            } else {
                None
            }
        })
        .collect()
}

/// The body as JSON, with any `password` member masked.
fn logged_body(bytes: &[u8]) -> Option<serde_json::Value> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if let Some(obj) = value.as_object_mut() {
        for key in ["password", "new_password", "old_password", "secret"] {
            if let Some(v) = obj.get_mut(key) {
                *v = serde_json::Value::String("***".to_owned());
            }
        }
    }
    Some(value)
}

fn fault_response(status: u16, fault: &str, retry_after: Option<u64>) -> Response {
    let (code, message) = match status {
        429 => ("rate_limited", "too many requests".to_owned()),
        502 => (
            "bad_gateway",
            "upstream hypervisor did not answer".to_owned(),
        ),
        503 => (
            "service_unavailable",
            "PXCloud is temporarily unavailable".to_owned(),
        ),
        504 => (
            "gateway_timeout",
            "upstream hypervisor timed out".to_owned(),
        ),
        _ => ("internal_error", format!("injected failure ({fault})")),
    };
    let mut response = ApiError::with_status(status, code, message).into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// The layer itself.
pub(crate) async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let shared = &state.0;
    let seq = shared.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let (mut parts, body) = req.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let mut entry = LoggedRequest {
        seq,
        method: method.as_str().to_owned(),
        path: path.clone(),
        query: parts.uri.query().map(str::to_owned),
        body: None,
        body_bytes: 0,
        headers: relevant_headers(&parts.headers),
        authenticated_as: None,
        status: 0,
        fault: None,
    };
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            let response = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("body larger than {BODY_LIMIT} bytes"),
            )
            .into_response();
            entry.status = response.status().as_u16();
            shared.log.push(entry);
            return response;
        }
    };
    entry.body_bytes = bytes.len();
    entry.body = logged_body(&bytes);

    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    if path == SPEC_PATH {
        let (delay, failure) = shared.faults.spec();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if let Some(status) = failure {
            let response = fault_response(status, "spec_failure", None);
            entry.status = response.status().as_u16();
            entry.fault = Some("spec_failure".to_owned());
            shared.log.push(entry);
            return response;
        }
    } else if path != LOGIN_PATH {
        match shared.faults.decide() {
            Decision::Pass => {}
            Decision::Reset => {
                entry.fault = Some("reset".to_owned());
                shared.log.push(entry);
                if let Some(kill) = parts.extensions.get::<ConnKill>() {
                    kill.0.cancel();
                    // The connection task drops this future together with the connection.
                    std::future::pending::<()>().await;
                }
                return fault_response(502, "reset", None);
            }
            Decision::Status {
                status,
                fault,
                retry_after,
            } => {
                let response = fault_response(status, fault, retry_after);
                entry.status = response.status().as_u16();
                entry.fault = Some(fault.to_owned());
                shared.log.push(entry);
                return response;
            }
        }
    }

    let public = is_public(&method, &path);
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
                .trim()
        });
    let refusal = match bearer {
        Some(token) => match shared.auth.verify(token) {
            Ok(claims) => {
                entry.authenticated_as = Some(claims.sub.clone());
                let caller = Caller {
                    user: claims.sub,
                    role: claims.role,
                };
                let forbidden = caller.role == Role::Viewer
                    && is_write(&method)
                    && !public
                    && !path.starts_with("/api/auth/");
                parts.extensions.insert(caller);
                forbidden.then(|| {
                    ApiError::new(
                        StatusCode::FORBIDDEN,
                        "forbidden",
                        "read-only user may not change anything",
                    )
                })
            }
            Err(e) => (!public)
                .then(|| ApiError::new(StatusCode::UNAUTHORIZED, "token_expired", e.message())),
        },
        None => (!public).then(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing bearer token",
            )
        }),
    };
    if let Some(error) = refusal {
        let response = error.into_response();
        entry.status = response.status().as_u16();
        shared.log.push(entry);
        return response;
    }

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    entry.status = response.status().as_u16();
    shared.log.push(entry);
    response
}
