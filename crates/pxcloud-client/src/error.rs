//! The client's error type: one struct with a kind and the context a user needs.

use std::error::Error as StdError;
use std::fmt;

/// What went wrong, coarse enough to match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The configuration is invalid (the message names the environment variable to change).
    Config,
    /// The request itself cannot be sent (bad header name or value, bad path).
    Request,
    /// PXCloud could not be reached or the connection broke.
    Transport,
    /// The TLS handshake failed, usually because the certificate is not trusted.
    Tls,
    /// A per-attempt timeout, the overall deadline or the spec timeout elapsed.
    Timeout,
    /// PXCloud answered with a non-success HTTP status.
    Status,
    /// The body is not what was expected (not JSON, missing fields).
    Decode,
    /// The document fetched as the spec is JSON but not an OpenAPI document.
    NotOpenApi,
    /// Login failed or the token was refused and could not be renewed.
    Auth,
    /// The response body exceeded the configured size cap.
    TooLarge,
}

impl ErrorKind {
    fn label(self) -> &'static str {
        match self {
            Self::Config => "configuration error",
            Self::Request => "invalid request",
            Self::Transport => "transport error",
            Self::Tls => "TLS error",
            Self::Timeout => "timeout",
            Self::Status => "HTTP status error",
            Self::Decode => "decode error",
            Self::NotOpenApi => "not an OpenAPI document",
            Self::Auth => "authentication error",
            Self::TooLarge => "response too large",
        }
    }
}

/// An error from the PXCloud client. Never contains a password or a token.
///
/// `Display` prints the message; the underlying cause (an I/O or hyper error), when there is
/// one, is returned by [`std::error::Error::source`] and not repeated in the message.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    api_code: Option<String>,
    api_message: Option<String>,
    fingerprint: Option<String>,
    body_prefix: Option<String>,
    may_have_been_sent: bool,
    /// Already retried by an inner stack (a login): outer retries would multiply attempts.
    exhausted: bool,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

/// How many bytes of an undecodable body an error keeps.
pub(crate) const BODY_PREFIX_LEN: usize = 512;

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                api_code: None,
                api_message: None,
                fingerprint: None,
                body_prefix: None,
                may_have_been_sent: false,
                exhausted: false,
                source: None,
            }),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    pub(crate) fn with_source(
        mut self,
        source: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_api(mut self, code: Option<String>, message: Option<String>) -> Self {
        self.inner.api_code = code;
        self.inner.api_message = message;
        self
    }

    pub(crate) fn with_fingerprint(mut self, fingerprint: Option<String>) -> Self {
        self.inner.fingerprint = fingerprint;
        self
    }

    pub(crate) fn with_body_prefix(mut self, body: &[u8]) -> Self {
        let end = body.len().min(BODY_PREFIX_LEN);
        let prefix = body.get(..end).unwrap_or_default();
        self.inner.body_prefix = Some(String::from_utf8_lossy(prefix).into_owned());
        self
    }

    pub(crate) fn sent(mut self, may_have_been_sent: bool) -> Self {
        self.inner.may_have_been_sent = may_have_been_sent;
        self
    }

    pub(crate) fn exhausted(mut self) -> Self {
        self.inner.exhausted = true;
        self
    }

    pub(crate) fn is_exhausted(&self) -> bool {
        self.inner.exhausted
    }

    pub(crate) fn prefix_message(mut self, prefix: &str) -> Self {
        self.inner.message = format!("{prefix}: {}", self.inner.message);
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The human-readable message (without the cause).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The HTTP status, for `Status` and `Auth` errors that came from a response.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// PXCloud's error `code` (e.g. `token_expired`), when the body carried one.
    pub fn api_code(&self) -> Option<&str> {
        self.inner.api_code.as_deref()
    }

    /// PXCloud's error `message`, when the body carried one.
    pub fn api_message(&self) -> Option<&str> {
        self.inner.api_message.as_deref()
    }

    /// For `Tls` errors: the SHA-256 fingerprint of the certificate the server presented
    /// (`AB:CD:…`), when it could be read. Suitable for `PXCLOUD_TLS_FINGERPRINT`.
    pub fn fingerprint(&self) -> Option<&str> {
        self.inner.fingerprint.as_deref()
    }

    /// For `Decode` errors (and `Status` errors with a body that is not PXCloud's error
    /// shape): the first bytes of the body, lossily decoded.
    pub fn body_prefix(&self) -> Option<&str> {
        self.inner.body_prefix.as_deref()
    }

    /// For `Transport` and `Timeout` errors: whether the request may have reached PXCloud
    /// (so a non-idempotent request must not be repeated blindly).
    pub fn may_have_been_sent(&self) -> bool {
        self.inner.may_have_been_sent
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.inner.kind.label(), self.inner.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("message", &self.inner.message);
        if let Some(status) = self.inner.status {
            d.field("status", &status);
        }
        if let Some(code) = &self.inner.api_code {
            d.field("api_code", code);
        }
        if let Some(message) = &self.inner.api_message {
            d.field("api_message", message);
        }
        if let Some(fp) = &self.inner.fingerprint {
            d.field("fingerprint", fp);
        }
        if let Some(body) = &self.inner.body_prefix {
            d.field("body_prefix", body);
        }
        if self.inner.may_have_been_sent {
            d.field("may_have_been_sent", &true);
        }
        if let Some(source) = &self.inner.source {
            d.field("source", &source.to_string());
        }
        d.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}
