//! The request and response types callers exchange with the client.

use std::time::Duration;

use bytes::Bytes;

use crate::error::{Error, ErrorKind};

/// One call to PXCloud. `Debug` shows the body's length, never its content (it may hold
/// credentials).
#[derive(Clone)]
pub struct ApiRequest {
    /// The HTTP method.
    pub method: http::Method,
    /// Already percent-encoded path and query, starting with `/`.
    pub path_and_query: String,
    /// Extra headers. `Authorization` and `Host` are ignored: the client sets them.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Bytes>,
    /// The body's `Content-Type` (default `application/json` when there is a body).
    pub content_type: Option<String>,
}

impl std::fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("ApiRequest")
            .field("method", &self.method)
            .field("path_and_query", &self.path_and_query)
            .field("headers", &header_names)
            .field("body_bytes", &self.body.as_ref().map(|b| b.len()))
            .field("content_type", &self.content_type)
            .finish()
    }
}

impl ApiRequest {
    /// A request without body or extra headers.
    pub fn new(method: http::Method, path_and_query: impl Into<String>) -> Self {
        Self {
            method,
            path_and_query: path_and_query.into(),
            headers: Vec::new(),
            body: None,
            content_type: None,
        }
    }

    /// A `GET`.
    pub fn get(path_and_query: impl Into<String>) -> Self {
        Self::new(http::Method::GET, path_and_query)
    }

    /// Adds a JSON body.
    pub fn with_json(mut self, value: &serde_json::Value) -> Self {
        self.body = Some(Bytes::from(value.to_string()));
        self.content_type = Some("application/json".to_owned());
        self
    }
}

/// PXCloud's answer, whatever its status. Use [`ApiResponse::error_for_status`] to turn a
/// non-2xx answer into an error carrying PXCloud's `code` and `message`.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: http::HeaderMap,
    /// The whole body (within the size cap).
    pub body: Bytes,
    /// Time from the first attempt to the end of the last one.
    pub elapsed: Duration,
    /// How many attempts were made (1 without retries).
    pub attempts: u32,
    /// The HTTP version of the connection (HTTP/2 when ALPN negotiated it).
    pub version: http::Version,
}

impl ApiResponse {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON; a `Decode` error keeps the first bytes.
    pub fn json(&self) -> Result<serde_json::Value, Error> {
        decode_json(&self.body, self.status)
    }

    /// `Ok(self)` for 2xx; otherwise a `Status` error with PXCloud's `{code, message}`.
    pub fn error_for_status(self) -> Result<Self, Error> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(status_error(self.status, &self.body, None))
        }
    }

    /// PXCloud's `{code, message}` if the body has that shape.
    pub fn api_error(&self) -> Option<(Option<String>, Option<String>)> {
        parse_api_error(&self.body)
    }
}

pub(crate) fn decode_json(body: &[u8], status: u16) -> Result<serde_json::Value, Error> {
    decode_json_with(body, status, |bytes: &[u8]| serde_json::from_slice(bytes))
}

/// [`decode_json`] with the caller's parser.
pub(crate) fn decode_json_with(
    body: &[u8],
    status: u16,
    parse: impl FnOnce(&[u8]) -> serde_json::Result<serde_json::Value>,
) -> Result<serde_json::Value, Error> {
    parse(body).map_err(|e| {
        Error::new(
            ErrorKind::Decode,
            format!(
                "response body (HTTP {status}, {} bytes) is not valid JSON: {e}",
                body.len()
            ),
        )
        .with_status(status)
        .with_body_prefix(body)
    })
}

/// PXCloud's error body `{"code": "...", "message": "..."}`; `code` may also be a number.
pub(crate) fn parse_api_error(body: &[u8]) -> Option<(Option<String>, Option<String>)> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = value.as_object()?;
    let code = obj.get("code").and_then(|c| match c {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    let message = obj
        .get("message")
        .or_else(|| obj.get("error"))
        .and_then(|m| m.as_str())
        .map(str::to_owned);
    if code.is_none() && message.is_none() {
        return None;
    }
    Some((code, message))
}

/// A `Status` error for a non-2xx answer. `context` says what was being done.
pub(crate) fn status_error(status: u16, body: &[u8], context: Option<&str>) -> Error {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut message = match context {
        Some(ctx) => format!("{ctx}: PXCloud answered HTTP {status} {reason}"),
        None => format!("PXCloud answered HTTP {status} {reason}"),
    };
    let err = match parse_api_error(body) {
        Some((code, api_message)) => {
            if let Some(m) = &api_message {
                message.push_str(": ");
                message.push_str(m);
            }
            if let Some(c) = &code {
                message.push_str(&format!(" (code {c})"));
            }
            Error::new(ErrorKind::Status, message).with_api(code, api_message)
        }
        None => Error::new(ErrorKind::Status, message).with_body_prefix(body),
    };
    err.with_status(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> ApiResponse {
        ApiResponse {
            status,
            headers: http::HeaderMap::new(),
            body: Bytes::from(body.to_owned()),
            elapsed: Duration::ZERO,
            attempts: 1,
            version: http::Version::HTTP_11,
        }
    }

    #[test]
    fn error_for_status_keeps_pxcloud_code() {
        let cases = [
            (
                404,
                r#"{"code":"not_found","message":"VM 999 does not exist"}"#,
                Some("not_found"),
                Some("VM 999 does not exist"),
                "HTTP 404 Not Found: VM 999 does not exist (code not_found)",
            ),
            (
                409,
                r#"{"code":17,"message":"busy"}"#,
                Some("17"),
                Some("busy"),
                "busy (code 17)",
            ),
            (
                502,
                "<html>bad gateway</html>",
                None,
                None,
                "HTTP 502 Bad Gateway",
            ),
        ];
        for (status, body, code, msg, needle) in cases {
            let e = response(status, body).error_for_status().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Status);
            assert_eq!(e.status(), Some(status));
            assert_eq!(e.api_code(), code);
            assert_eq!(e.api_message(), msg);
            assert!(e.to_string().contains(needle), "{e}");
        }
        assert!(response(204, "").error_for_status().is_ok());
        let e = response(502, "<html>bad gateway</html>")
            .error_for_status()
            .unwrap_err();
        assert_eq!(e.body_prefix(), Some("<html>bad gateway</html>"));
    }

    #[test]
    fn json_decode_keeps_first_bytes() {
        let long = format!("<html>{}</html>", "x".repeat(2000));
        let e = response(200, &long).json().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        let prefix = e.body_prefix().unwrap();
        assert_eq!(prefix.len(), crate::error::BODY_PREFIX_LEN);
        assert!(prefix.starts_with("<html>xxx"));
        assert_eq!(response(200, r#"{"a":1}"#).json().unwrap()["a"], 1);
    }
}
