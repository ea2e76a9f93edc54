//! Authentication: login, token lifetime, single-flight renewal and the auth step that
//! adds the bearer token and repeats a request refused with 401 once after a new login.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::HeaderValue;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

use crate::config::Auth;
use crate::error::{Error, ErrorKind};
use crate::message::{ApiRequest, ApiResponse, parse_api_error, status_error};
use crate::secret::Secret;
use crate::token::{Token, jwt_expiry};
use crate::transport::{Call, Transport};

/// The login endpoint.
pub(crate) const LOGIN_PATH: &str = "/api/auth/login";

/// The stack logins go through (deadline, retry, timeout, transport; no auth).
pub(crate) type PlainService = BoxCloneSyncService<Call, ApiResponse, Error>;

/// What the last login attempt ended with, shared so that callers waiting for it do not
/// each try again with the same bad credentials.
#[derive(Debug, Clone)]
struct LoginFailure {
    attempt: u64,
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    api_code: Option<String>,
    api_message: Option<String>,
    fingerprint: Option<String>,
}

impl LoginFailure {
    fn to_error(&self) -> Error {
        let mut e = Error::new(self.kind, self.message.clone())
            .with_api(self.api_code.clone(), self.api_message.clone())
            .with_fingerprint(self.fingerprint.clone());
        if let Some(s) = self.status {
            e = e.with_status(s);
        }
        e
    }
}

/// Shared authentication state.
pub(crate) struct AuthState {
    auth: Auth,
    token: Mutex<Option<Token>>,
    login_lock: Arc<tokio::sync::Mutex<()>>,
    login_attempts: AtomicU64,
    last_failure: Mutex<Option<LoginFailure>>,
    logins: Arc<AtomicU64>,
    plain: PlainService,
    overall: Duration,
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthState")
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl AuthState {
    pub(crate) fn new(
        auth: Auth,
        plain: PlainService,
        overall: Duration,
        logins: Arc<AtomicU64>,
    ) -> Self {
        let token = match &auth {
            Auth::Token(secret) => Some(Token::new(secret.clone(), jwt_expiry(secret.expose()), 1)),
            Auth::Password { .. } => None,
        };
        Self {
            auth,
            token: Mutex::new(token),
            login_lock: Arc::new(tokio::sync::Mutex::new(())),
            login_attempts: AtomicU64::new(0),
            last_failure: Mutex::new(None),
            logins,
            plain,
            overall,
        }
    }

    fn snapshot(&self) -> Option<Token> {
        self.token.lock().ok().and_then(|t| t.clone())
    }

    fn is_static(&self) -> bool {
        matches!(self.auth, Auth::Token(_))
    }

    /// A token to send now: the current one, or a new one if there is none or it is about
    /// to expire (a given token is sent as it is; PXCloud will say if it expired).
    pub(crate) async fn current(self: &Arc<Self>) -> Result<Token, Error> {
        match self.snapshot() {
            Some(t) if self.is_static() || !t.needs_renewal(SystemTime::now()) => Ok(t),
            Some(t) => match self.renew(Some(t.generation)).await {
                Ok(fresh) => Ok(fresh),
                // Renewal ahead of time failed, but the current token is still valid: use it
                // (PXCloud's 401 triggers the ordinary re-login once it really expires).
                Err(e) if t.expires_at.is_some_and(|exp| SystemTime::now() < exp) => {
                    tracing::warn!(
                        error = %e,
                        "renewing the PXCloud token failed; using the current one until it expires"
                    );
                    Ok(t)
                }
                Err(e) => Err(e),
            },
            None => self.renew(None).await,
        }
    }

    /// Logs in unless someone else already replaced the token of generation `seen` while
    /// this caller waited: one login however many callers ask at once.
    ///
    /// The login runs in its own task holding the lock, so a caller that is cancelled or
    /// times out does not abort the login the other callers are waiting for.
    pub(crate) async fn renew(self: &Arc<Self>, seen: Option<u64>) -> Result<Token, Error> {
        let attempts_before = self.login_attempts.load(Ordering::Acquire);
        let guard = self.login_lock.clone().lock_owned().await;
        if let Some(t) = self.snapshot()
            && Some(t.generation) != seen
            && (self.is_static() || !t.needs_renewal(SystemTime::now()))
        {
            return Ok(t);
        }
        if self.login_attempts.load(Ordering::Acquire) != attempts_before
            && let Some(f) = self.last_failure.lock().ok().and_then(|f| f.clone())
            && f.attempt > attempts_before
        {
            return Err(f.to_error());
        }
        if self.is_static() {
            return Err(Error::new(
                ErrorKind::Auth,
                "PXCloud refused PXCLOUD_TOKEN (expired or revoked) and a given token cannot \
                 be renewed: set a fresh PXCLOUD_TOKEN, or set PXCLOUD_USER and PXCLOUD_PASS \
                 so the client can log in again",
            ));
        }
        let attempt = self.login_attempts.fetch_add(1, Ordering::AcqRel) + 1;
        let state = self.clone();
        let task = tokio::spawn(async move {
            let _guard = guard;
            state.login_and_store(attempt).await
        });
        match task.await {
            Ok(result) => result,
            Err(e) => Err(Error::new(
                ErrorKind::Auth,
                format!("the login task ended abnormally: {e}"),
            )),
        }
    }

    /// One login; stores the new token or remembers the failure for the callers waiting.
    async fn login_and_store(&self, attempt: u64) -> Result<Token, Error> {
        let Auth::Password { username, password } = &self.auth else {
            return Err(Error::new(
                ErrorKind::Auth,
                "a given token cannot be renewed",
            ));
        };
        match self.login(username, password).await {
            Ok((secret, expires_at)) => {
                let generation = self.snapshot().map(|t| t.generation).unwrap_or(0) + 1;
                let token = Token::new(secret, expires_at, generation);
                if let Ok(mut slot) = self.token.lock() {
                    *slot = Some(token.clone());
                }
                self.logins.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(user = %username, generation, "logged in to PXCloud");
                Ok(token)
            }
            Err(e) => {
                if let Ok(mut slot) = self.last_failure.lock() {
                    *slot = Some(LoginFailure {
                        attempt,
                        kind: e.kind(),
                        message: e.message().to_owned(),
                        status: e.status(),
                        api_code: e.api_code().map(str::to_owned),
                        api_message: e.api_message().map(str::to_owned),
                        fingerprint: e.fingerprint().map(str::to_owned),
                    });
                }
                Err(e)
            }
        }
    }

    async fn login(
        &self,
        username: &str,
        password: &Secret,
    ) -> Result<(Secret, Option<SystemTime>), Error> {
        let body = serde_json::json!({ "username": username, "password": password.expose() });
        let mut request = ApiRequest::new(http::Method::POST, LOGIN_PATH);
        request.body = Some(Bytes::from(body.to_string()));
        request.content_type = Some("application/json".to_owned());
        let call = Call {
            request: Arc::new(request),
            bearer: None,
            attempt: 1,
            deadline: Instant::now() + self.overall,
        };
        let response =
            self.plain.clone().oneshot(call).await.map_err(|e| {
                e.prefix_message(&format!("login to PXCloud as {username:?} failed"))
            })?;
        if matches!(response.status, 400 | 401 | 403 | 423) {
            let detail = parse_api_error(&response.body)
                .and_then(|(_, m)| m)
                .unwrap_or_else(|| "no reason given".to_owned());
            let code = parse_api_error(&response.body).and_then(|(c, _)| c);
            return Err(Error::new(
                ErrorKind::Auth,
                format!(
                    "PXCloud refused the login for user {username:?} (HTTP {}): {detail}; check \
                     PXCLOUD_USER and PXCLOUD_PASS",
                    response.status
                ),
            )
            .with_status(response.status)
            .with_api(code, Some(detail)));
        }
        if !response.is_success() {
            return Err(status_error(
                response.status,
                &response.body,
                Some(&format!("login to PXCloud as {username:?}")),
            ));
        }
        parse_login(&response.body)
    }
}

/// Parses `{"code":0,"message":"ok","data":{"token":"…","expires_at":<unix seconds>}}`.
/// Errors never include the body (it holds a token).
pub(crate) fn parse_login(body: &[u8]) -> Result<(Secret, Option<SystemTime>), Error> {
    let bad = |why: &str| {
        Error::new(
            ErrorKind::Decode,
            format!("the login answer is not what PXCloud sends ({why})"),
        )
    };
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| bad("not JSON"))?;
    if let Some(code) = value.get("code") {
        let ok = code.as_i64() == Some(0) || code.as_str() == Some("0");
        if !ok {
            let message = value
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or("no reason given");
            return Err(Error::new(
                ErrorKind::Auth,
                format!("PXCloud refused the login: {message}"),
            ));
        }
    }
    let data = value.get("data").unwrap_or(&value);
    let token = data
        .get("token")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("no data.token"))?;
    let expires_at = data
        .get("expires_at")
        .and_then(|e| e.as_u64())
        .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
        .or_else(|| jwt_expiry(token));
    Ok((Secret::new(token), expires_at))
}

impl AuthState {
    /// One authenticated exchange: adds the bearer token; after a 401 logs in again
    /// (single-flight) and repeats once. The auth step of the API call path.
    pub(crate) async fn exchange(
        self: &Arc<Self>,
        transport: &Transport,
        call: &Call,
    ) -> Result<ApiResponse, Error> {
        let token = self.current().await.map_err(Error::exhausted)?;
        let response = transport.exchange(call, Some(&bearer(&token)?)).await?;
        if response.status != 401 {
            return Ok(response);
        }
        if self.is_static() {
            return Err(refused(&response, true));
        }
        // Refused, not executed: safe to repeat once with a new token, whatever the method.
        let fresh = self
            .renew(Some(token.generation))
            .await
            .map_err(Error::exhausted)?;
        let response = transport.exchange(call, Some(&bearer(&fresh)?)).await?;
        if response.status == 401 {
            return Err(refused(&response, false));
        }
        Ok(response)
    }
}

/// The `Authorization` value of `token`.
pub(crate) fn bearer(token: &Token) -> Result<HeaderValue, Error> {
    token
        .header
        .clone()
        .ok_or_else(|| Error::new(ErrorKind::Auth, "the token is not a valid header value"))
}

fn refused(response: &ApiResponse, static_token: bool) -> Error {
    let (code, message) = parse_api_error(&response.body).unwrap_or((None, None));
    let detail = match (&code, &message) {
        (Some(c), Some(m)) => format!("{m} (code {c})"),
        (None, Some(m)) => m.clone(),
        (Some(c), None) => format!("code {c}"),
        (None, None) => "no reason given".to_owned(),
    };
    let text = if static_token {
        format!(
            "PXCloud refused PXCLOUD_TOKEN: {detail}. A given token cannot be renewed: set a \
             fresh PXCLOUD_TOKEN, or set PXCLOUD_USER and PXCLOUD_PASS so the client can log in \
             again"
        )
    } else {
        format!("PXCloud refused the request even with a freshly issued token: {detail}")
    };
    Error::new(ErrorKind::Auth, text)
        .with_status(401)
        .with_api(code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_answers() {
        let ok =
            br#"{"code":0,"message":"ok","data":{"token":"abc.def.ghi","expires_at":1700000000}}"#;
        let (token, exp) = parse_login(ok).unwrap();
        assert_eq!(token.expose(), "abc.def.ghi");
        assert_eq!(
            exp.unwrap().duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_700_000_000
        );
        let cases: [(&[u8], ErrorKind, &str); 4] = [
            (b"<html>", ErrorKind::Decode, "not JSON"),
            (
                br#"{"code":0,"data":{}}"#,
                ErrorKind::Decode,
                "no data.token",
            ),
            (
                br#"{"code":0,"data":{"token":""}}"#,
                ErrorKind::Decode,
                "no data.token",
            ),
            (
                br#"{"code":"mfa_required","message":"MFA code required"}"#,
                ErrorKind::Auth,
                "MFA code required",
            ),
        ];
        for (body, kind, needle) in cases {
            let e = parse_login(body).unwrap_err();
            assert_eq!(e.kind(), kind);
            assert!(e.to_string().contains(needle), "{e}");
            assert!(e.body_prefix().is_none());
        }
    }
}
