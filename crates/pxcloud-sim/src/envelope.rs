//! PXCloud's response envelope, its error body, and extractors that turn bad input into 422.

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

/// Success envelope: `{"code":0,"message":"ok","data":…}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Envelope<T> {
    /// Always 0 on success.
    pub(crate) code: i32,
    /// Always "ok" on success.
    pub(crate) message: String,
    /// The payload.
    pub(crate) data: T,
}

/// Error body: `{"code":"<string>","message":"<text>"}`, with the offending field for 422.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// Machine-readable error code, e.g. `not_found`, `token_expired`, `validation_error`.
    #[schema(example = "not_found")]
    pub(crate) code: String,
    /// Human-readable explanation.
    pub(crate) message: String,
    /// The request field that failed validation (422 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) field: Option<String>,
}

/// An error answer with its status.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) body: ErrorBody,
}

pub(crate) type ApiResult<T> = Result<Json<Envelope<T>>, ApiError>;

/// Wraps `data` in the success envelope.
pub(crate) fn ok<T>(data: T) -> ApiResult<T> {
    Ok(Json(Envelope {
        code: 0,
        message: "ok".to_owned(),
        data,
    }))
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                code: code.to_owned(),
                message: message.into(),
                field: None,
            },
        }
    }

    /// Any status, e.g. from an injected fault.
    pub(crate) fn with_status(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message,
        )
    }

    pub(crate) fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} '{id}' not found"),
        )
    }

    pub(crate) fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: ErrorBody {
                code: "validation_error".to_owned(),
                message: format!("{field}: {message}"),
                field: Some(field.to_owned()),
            },
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// Checks a deserialized body beyond what its type says (bounds, formats, non-empty).
pub(crate) trait Validate {
    fn validate(&self) -> Result<(), ApiError> {
        Ok(())
    }
}

impl<T: Validate> Validate for Vec<T> {
    fn validate(&self) -> Result<(), ApiError> {
        self.iter().try_for_each(Validate::validate)
    }
}

/// A JSON body that answers 422 naming the field when it does not fit `T`.
#[derive(Debug)]
pub(crate) struct ValidJson<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Validate> FromRequest<S> for ValidJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("cannot read body: {e}")))?;
        let bytes: &[u8] = if bytes.is_empty() { b"{}" } else { &bytes };
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
            let inner = e.inner().to_string();
            let path = e.path().to_string();
            let field = if path == "." || path.is_empty() {
                backticked(&inner).unwrap_or_else(|| "body".to_owned())
            } else {
                path
            };
            if e.inner().is_syntax() || e.inner().is_eof() {
                ApiError::bad_request(format!("body is not valid JSON: {inner}"))
            } else {
                ApiError::invalid(&field, inner)
            }
        })?;
        value.validate()?;
        Ok(ValidJson(value))
    }
}

/// Query parameters that answer 422 naming the parameter when they do not fit `T`.
#[derive(Debug)]
pub(crate) struct ValidQuery<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned + Validate> FromRequestParts<S> for ValidQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = axum::extract::Query::<T>::try_from_uri(&parts.uri).map_err(|e| {
            // axum says "Failed to deserialize query string: <field>: <reason>".
            let text = e.body_text();
            let detail = text
                .split_once(": ")
                .map(|(_, d)| d)
                .unwrap_or(&text)
                .to_owned();
            let field = match detail.split_once(": ") {
                Some((f, _)) if !f.contains(' ') => f.to_owned(),
                _ => backticked(&detail).unwrap_or_else(|| "query".to_owned()),
            };
            ApiError::invalid(&field, detail)
        })?;
        value.0.validate()?;
        Ok(ValidQuery(value.0))
    }
}

/// The first `name` in a serde message such as "missing field `name`".
fn backticked(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message.get(start..)?.find('`')?;
    message.get(start..start + len).map(str::to_owned)
}
