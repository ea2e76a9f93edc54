//! Login and session endpoints.

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::{Role, check_password};
use crate::envelope::{ApiError, ApiResult, ErrorBody, ValidJson, Validate, ok};
use crate::middleware::Caller;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(paths(login, me, logout))]
pub(super) struct Doc;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/auth/me", get(me))
        .route("/api/auth/logout", post(logout))
}

/// Credentials.
#[derive(Deserialize, ToSchema)]
pub(crate) struct LoginRequest {
    /// User name.
    #[schema(example = "admin")]
    username: String,
    /// Password.
    #[schema(format = Password)]
    password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Validate for LoginRequest {
    fn validate(&self) -> Result<(), ApiError> {
        if self.username.is_empty() {
            return Err(ApiError::invalid("username", "must not be empty"));
        }
        Ok(())
    }
}

/// A session token.
#[derive(Serialize, ToSchema)]
pub(crate) struct LoginResponse {
    /// HS256 JWT to send as `Authorization: Bearer <token>`.
    token: String,
    /// Expiry, Unix seconds.
    expires_at: u64,
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResponse")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Log in.
///
/// Exchanges a user name and password for a JWT. AI hint: call this first; the token
/// expires at `expires_at` and every other call answers 401 `token_expired` afterwards.
#[utoipa::path(
    post, path = "/api/auth/login", tag = "Auth", security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = crate::envelope::Envelope<LoginResponse>),
        (status = 401, description = "Wrong credentials", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    )
)]
pub(crate) async fn login(
    axum::extract::State(state): axum::extract::State<AppState>,
    ValidJson(body): ValidJson<LoginRequest>,
) -> ApiResult<LoginResponse> {
    let Some(role) = check_password(&body.username, &body.password) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong user name or password",
        ));
    };
    let (token, expires_at) = state.0.auth.issue(&body.username, role);
    ok(LoginResponse { token, expires_at })
}

/// The logged-in user.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Me {
    /// User name.
    username: String,
    /// `admin` or `viewer`.
    role: String,
    /// Privileges granted.
    privileges: Vec<String>,
}

/// Who am I.
///
/// Returns the user behind the token and its privileges.
#[utoipa::path(
    get, path = "/api/auth/me", tag = "Auth",
    responses(
        (status = 200, description = "The caller", body = crate::envelope::Envelope<Me>),
        (status = 401, description = "Not logged in", body = ErrorBody),
    )
)]
pub(crate) async fn me(caller: Caller) -> ApiResult<Me> {
    let (role, privileges) = match caller.role {
        Role::Admin => (
            "admin",
            vec![
                "VM.Audit",
                "VM.PowerMgmt",
                "VM.Console",
                "VM.Allocate",
                "Sys.Modify",
            ],
        ),
        Role::Viewer => ("viewer", vec!["VM.Audit", "Sys.Audit"]),
    };
    ok(Me {
        username: caller.user,
        role: role.to_owned(),
        privileges: privileges.into_iter().map(str::to_owned).collect(),
    })
}

/// Log out.
///
/// Ends the session on the client side; tokens stay valid until they expire.
#[utoipa::path(
    post, path = "/api/auth/logout", tag = "Auth",
    responses((status = 200, description = "Logged out", body = crate::envelope::Envelope<bool>))
)]
pub(crate) async fn logout(_caller: Caller) -> ApiResult<bool> {
    ok(true)
}
