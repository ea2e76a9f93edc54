//! Configuration: what the server maps from `PXCLOUD_*` variables, and its validation.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;
use crate::secret::Secret;

/// Everything the client needs. The client reads no environment variables itself; the server
/// maps `PXCLOUD_URL`, `PXCLOUD_USER`, `PXCLOUD_PASS`, `PXCLOUD_TOKEN`, `PXCLOUD_CA_FILE`,
/// `PXCLOUD_TLS_FINGERPRINT` and `PXCLOUD_TLS_VERIFY` into this struct. Errors name those
/// variables, since that is what the user changes.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://host:8443` (or `http://` for labs and tests); an optional path prefix is kept.
    pub base_url: String,
    /// How to authenticate.
    pub auth: Auth,
    /// Which server certificates to trust.
    pub tls: TlsTrust,
    /// Connect, per-attempt, overall and spec timeouts.
    pub timeouts: Timeouts,
    /// Retry policy parameters.
    pub retry: RetryConfig,
    /// Largest response body accepted, enforced while reading (default 16 MiB).
    pub max_response_bytes: usize,
    /// Largest number of requests in flight at once (default 32).
    pub max_in_flight: usize,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl ClientConfig {
    /// A configuration with defaults for everything but the URL and the credentials.
    pub fn new(base_url: impl Into<String>, auth: Auth) -> Self {
        Self {
            base_url: base_url.into(),
            auth,
            tls: TlsTrust::System,
            timeouts: Timeouts::default(),
            retry: RetryConfig::default(),
            max_response_bytes: 16 * 1024 * 1024,
            max_in_flight: 32,
            user_agent: concat!("pxcloud-client/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// How the client authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `POST /api/auth/login`; the client renews the token before it expires and after a 401.
    Password {
        /// `PXCLOUD_USER`.
        username: String,
        /// `PXCLOUD_PASS`.
        password: Secret,
    },
    /// A given token (`PXCLOUD_TOKEN`); it cannot be renewed.
    Token(Secret),
}

/// Which server certificates the client trusts. Verification is on unless `Insecure`.
#[derive(Debug, Clone)]
pub enum TlsTrust {
    /// The public web PKI roots (webpki-roots).
    System,
    /// PEM certificates added to the web PKI roots (the contents of `PXCLOUD_CA_FILE`).
    CaPem(Vec<u8>),
    /// A PEM file added to the web PKI roots (`PXCLOUD_CA_FILE`); read by `Client::new`.
    CaFile(PathBuf),
    /// The SHA-256 fingerprint of the server certificate (`PXCLOUD_TLS_FINGERPRINT`): hex,
    /// colons optional, case-insensitive. Chain and host name are then not checked; the
    /// handshake signature still is.
    Fingerprint(String),
    /// No verification at all (`PXCLOUD_TLS_VERIFY=false`); `Client::warnings` says so.
    Insecure,
}

/// Timeouts. All must be non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP connect (default 10 s).
    pub connect: Duration,
    /// One attempt: send, wait, read the whole body (default 30 s).
    pub per_attempt: Duration,
    /// One call, all attempts and backoff included (default 120 s).
    pub overall: Duration,
    /// Fetching the OpenAPI document, all attempts included (default 30 s).
    pub spec: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            per_attempt: Duration::from_secs(30),
            overall: Duration::from_secs(120),
            spec: Duration::from_secs(30),
        }
    }
}

/// Retry parameters: attempts, full-jitter exponential backoff, `Retry-After` bound, budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryConfig {
    /// Attempts per call, the first included (default 4; 1 disables retries).
    pub max_attempts: u32,
    /// Backoff base: attempt n sleeps a uniform random time in `[0, min(max, base·2ⁿ⁻¹)]`.
    pub base_delay: Duration,
    /// Backoff cap.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a longer one returns the 429 to the caller.
    pub max_retry_after: Duration,
    /// Retry budget: retries may add this fraction of the recent request rate (default 0.2).
    pub budget_percent: f32,
    /// Retry budget: retries always allowed per second regardless of traffic (default 10).
    pub budget_min_per_sec: u32,
    /// Retry budget: how long a request counts towards the budget (default 10 s).
    pub budget_ttl: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
            budget_percent: 0.2,
            budget_min_per_sec: 10,
            budget_ttl: Duration::from_secs(10),
        }
    }
}

/// The base URL split into the parts requests are built from.
#[derive(Debug, Clone)]
pub(crate) struct BaseUrl {
    pub(crate) scheme: http::uri::Scheme,
    pub(crate) authority: http::uri::Authority,
    /// Path prefix without a trailing slash ("" for none).
    pub(crate) prefix: String,
}

impl BaseUrl {
    pub(crate) fn parse(raw: &str) -> Result<Self, Error> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Error::config(
                "PXCLOUD_URL is empty; set it to the PXCloud address, e.g. https://pxcloud.example:8443",
            ));
        }
        let uri: http::Uri = trimmed.parse().map_err(|e: http::uri::InvalidUri| {
            Error::config(format!("PXCLOUD_URL {trimmed:?} is not a valid URL: {e}"))
        })?;
        let scheme = match uri.scheme_str() {
            Some("https") => http::uri::Scheme::HTTPS,
            Some("http") => http::uri::Scheme::HTTP,
            Some(other) => {
                return Err(Error::config(format!(
                    "PXCLOUD_URL {trimmed:?} has scheme {other:?}; use https:// (or http:// for labs)"
                )));
            }
            None => {
                return Err(Error::config(format!(
                    "PXCLOUD_URL {trimmed:?} has no scheme; write https://{trimmed}"
                )));
            }
        };
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| Error::config(format!("PXCLOUD_URL {trimmed:?} has no host")))?;
        if uri.query().is_some() {
            return Err(Error::config(format!(
                "PXCLOUD_URL {trimmed:?} must not contain a query string"
            )));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(Self {
            scheme,
            authority,
            prefix,
        })
    }

    pub(crate) fn is_https(&self) -> bool {
        self.scheme == http::uri::Scheme::HTTPS
    }

    /// Whether the host is a loopback address or `localhost`.
    pub(crate) fn is_loopback(&self) -> bool {
        let host = self
            .authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.eq_ignore_ascii_case("localhost") {
            return true;
        }
        host.parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
    }

    pub(crate) fn uri_for(&self, path_and_query: &str) -> Result<http::Uri, Error> {
        if !path_and_query.starts_with('/') {
            return Err(Error::new(
                crate::ErrorKind::Request,
                format!("request path {path_and_query:?} must start with '/'"),
            ));
        }
        let joined;
        let pq = if self.prefix.is_empty() {
            path_and_query
        } else {
            joined = format!("{}{}", self.prefix, path_and_query);
            joined.as_str()
        };
        http::Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(pq)
            .build()
            .map_err(|e| {
                Error::new(
                    crate::ErrorKind::Request,
                    format!("request path {path_and_query:?} is not a valid URI path: {e}"),
                )
            })
    }

    pub(crate) fn display(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.prefix)
    }
}

/// Checks everything that can be checked without I/O and returns start-up warnings.
pub(crate) fn validate(config: &ClientConfig) -> Result<(BaseUrl, Vec<String>), Error> {
    let base = BaseUrl::parse(&config.base_url)?;
    let mut warnings = Vec::new();
    match &config.auth {
        Auth::Password { username, password } => {
            if username.trim().is_empty() {
                return Err(Error::config(
                    "PXCLOUD_USER is empty; set PXCLOUD_USER and PXCLOUD_PASS, or PXCLOUD_TOKEN",
                ));
            }
            if password.is_empty() {
                return Err(Error::config(format!(
                    "PXCLOUD_PASS is empty for user {username:?}; set PXCLOUD_PASS, or use PXCLOUD_TOKEN"
                )));
            }
        }
        Auth::Token(token) => {
            if token.expose().trim().is_empty() {
                return Err(Error::config(
                    "PXCLOUD_TOKEN is empty; set it, or set PXCLOUD_USER and PXCLOUD_PASS",
                ));
            }
            if token.expose().chars().any(|c| c.is_control() || c == ' ') {
                return Err(Error::config(
                    "PXCLOUD_TOKEN contains spaces or control characters; paste the token alone",
                ));
            }
            if let Some(exp) = crate::token::jwt_expiry(token.expose())
                && let Ok(ago) = std::time::SystemTime::now().duration_since(exp)
            {
                warnings.push(format!(
                    "PXCLOUD_TOKEN expired {}s ago; PXCloud will refuse it. Set a fresh \
                     PXCLOUD_TOKEN, or PXCLOUD_USER and PXCLOUD_PASS",
                    ago.as_secs()
                ));
            }
        }
    }
    let t = &config.timeouts;
    for (name, d) in [
        ("connect", t.connect),
        ("per_attempt", t.per_attempt),
        ("overall", t.overall),
        ("spec", t.spec),
    ] {
        if d.is_zero() {
            return Err(Error::config(format!(
                "timeout {name} must be greater than zero"
            )));
        }
    }
    if config.retry.max_attempts == 0 {
        return Err(Error::config("retry.max_attempts must be at least 1"));
    }
    if !(0.0..=1000.0).contains(&config.retry.budget_percent) {
        return Err(Error::config(
            "retry.budget_percent must be between 0 and 1000",
        ));
    }
    let ttl = config.retry.budget_ttl;
    if ttl < Duration::from_secs(1) || ttl > Duration::from_secs(60) {
        return Err(Error::config(
            "retry.budget_ttl must be between 1 and 60 seconds",
        ));
    }
    if config.retry.budget_min_per_sec >= i32::MAX as u32 {
        return Err(Error::config("retry.budget_min_per_sec is too large"));
    }
    if config.max_response_bytes == 0 {
        return Err(Error::config(
            "max_response_bytes must be greater than zero",
        ));
    }
    if config.max_in_flight == 0 {
        return Err(Error::config("max_in_flight must be at least 1"));
    }
    if http::HeaderValue::from_str(&config.user_agent).is_err() {
        return Err(Error::config("user_agent is not a valid header value"));
    }
    if !base.is_https() {
        if !base.is_loopback() {
            warnings.push(format!(
                "PXCLOUD_URL {} uses http:// to a host that is not loopback: credentials and \
                 tokens travel in clear text; use https://",
                base.display()
            ));
        }
        if !matches!(config.tls, TlsTrust::System) {
            warnings.push(
                "PXCLOUD_CA_FILE / PXCLOUD_TLS_FINGERPRINT / PXCLOUD_TLS_VERIFY have no effect \
                 with an http:// PXCLOUD_URL"
                    .to_owned(),
            );
        }
    } else if matches!(config.tls, TlsTrust::Insecure) {
        warnings.push(
            "PXCLOUD_TLS_VERIFY=false: the PXCloud certificate is not verified, so anyone on \
             the network path can impersonate PXCloud and read the credentials; prefer \
             PXCLOUD_TLS_FINGERPRINT or PXCLOUD_CA_FILE"
                .to_owned(),
        );
    }
    Ok((base, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(url: &str) -> ClientConfig {
        ClientConfig::new(
            url,
            Auth::Password {
                username: "admin".into(),
                password: Secret::new("pw"),
            },
        )
    }

    #[test]
    fn base_urls() {
        type Expected<'a> = Result<(&'a str, bool), &'a str>;
        let cases: &[(&str, Expected<'_>)] = &[
            ("https://pxcloud:8443", Ok(("https://pxcloud:8443", false))),
            ("https://pxcloud:8443/", Ok(("https://pxcloud:8443", false))),
            ("https://h/prefix/", Ok(("https://h/prefix", false))),
            ("http://127.0.0.1:1234", Ok(("http://127.0.0.1:1234", true))),
            ("http://[::1]:1234", Ok(("http://[::1]:1234", true))),
            ("http://localhost", Ok(("http://localhost", true))),
            ("", Err("PXCLOUD_URL is empty")),
            ("pxcloud:8443", Err("PXCLOUD_URL")),
            ("ftp://pxcloud", Err("scheme \"ftp\"")),
            ("https://h/?a=1", Err("query")),
        ];
        for (input, expected) in cases {
            match (BaseUrl::parse(input), expected) {
                (Ok(b), Ok((display, loopback))) => {
                    assert_eq!(b.display(), *display, "{input}");
                    assert_eq!(b.is_loopback(), *loopback, "{input}");
                }
                (Err(e), Err(needle)) => {
                    assert!(e.to_string().contains(needle), "{input}: {e}");
                }
                (got, want) => panic!("{input}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn uri_joins_prefix() {
        let b = BaseUrl::parse("https://h:8443/px").unwrap();
        assert_eq!(
            b.uri_for("/api/vms?x=1").unwrap().to_string(),
            "https://h:8443/px/api/vms?x=1"
        );
        assert!(b.uri_for("api").is_err());
    }

    #[test]
    fn validation_names_the_variable() {
        let mut c = cfg("https://h");
        c.auth = Auth::Password {
            username: "".into(),
            password: Secret::new("pw"),
        };
        assert!(
            validate(&c)
                .unwrap_err()
                .to_string()
                .contains("PXCLOUD_USER")
        );
        c.auth = Auth::Password {
            username: "admin".into(),
            password: Secret::new(""),
        };
        assert!(
            validate(&c)
                .unwrap_err()
                .to_string()
                .contains("PXCLOUD_PASS")
        );
        c.auth = Auth::Token(Secret::new(" "));
        assert!(
            validate(&c)
                .unwrap_err()
                .to_string()
                .contains("PXCLOUD_TOKEN")
        );
    }

    #[test]
    fn expired_static_token_warns() {
        use base64::Engine as _;
        let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let jwt = |exp: u64| {
            format!(
                "{}.{}.sig",
                enc.encode("{}"),
                enc.encode(format!("{{\"exp\":{exp}}}"))
            )
        };
        let mut c = cfg("https://h");
        c.auth = Auth::Token(Secret::new(jwt(1_000_000_000)));
        let (_, w) = validate(&c).unwrap();
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("PXCLOUD_TOKEN expired"), "{w:?}");
        c.auth = Auth::Token(Secret::new(jwt(4_102_444_800)));
        assert!(validate(&c).unwrap().1.is_empty());
    }

    #[test]
    fn warnings() {
        let (_, w) = validate(&cfg("http://10.0.0.5:8080")).unwrap();
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("clear text"));
        let (_, w) = validate(&cfg("http://127.0.0.1:8080")).unwrap();
        assert!(w.is_empty());
        let mut c = cfg("https://h");
        c.tls = TlsTrust::Insecure;
        let (_, w) = validate(&c).unwrap();
        assert!(w[0].contains("PXCLOUD_TLS_VERIFY=false"));
        let (_, w) = validate(&cfg("https://h")).unwrap();
        assert!(w.is_empty());
    }
}
