//! Host, Origin and bearer-token checks, run before anything else.

use http::HeaderMap;
use sha2::{Digest, Sha256};

use super::HttpConfig;

const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The host part of `host[:port]` or `[v6]:port`, as written (compare it ignoring ASCII
/// case). Borrowed: the check runs on every request, and needs no copy.
pub(crate) fn host_only(authority: &str) -> &str {
    let a = authority.trim();
    if a.starts_with('[') {
        return match a.find(']') {
            Some(end) => &a[..=end],
            None => a,
        };
    }
    match a.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.bytes().all(|c| c.is_ascii_digit()) => h,
        _ => a,
    }
}

fn is_loopback_name(host: &str) -> bool {
    LOOPBACK_NAMES.iter().any(|n| n.eq_ignore_ascii_case(host))
        || host.starts_with("127.") && host.parse::<std::net::Ipv4Addr>().is_ok()
}

/// Whether the Host header is acceptable (DNS-rebinding protection).
pub(crate) fn host_ok(config: &HttpConfig, headers: &HeaderMap) -> bool {
    let Some(host) = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        // HTTP/2 carries the authority elsewhere; hyper maps it into the URI.
        return true;
    };
    let host = host_only(host);
    if config
        .allowed_hosts
        .iter()
        .any(|h| host_only(h).eq_ignore_ascii_case(host))
    {
        return true;
    }
    if config.bind.ip().is_loopback() {
        return is_loopback_name(host);
    }
    config.allowed_hosts.is_empty()
}

/// Whether the Origin header (if any) is acceptable.
pub(crate) fn origin_ok(config: &HttpConfig, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(http::header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim();
    if config
        .allowed_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let Some((_, rest)) = origin.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = host_only(authority);
    is_loopback_name(host)
        || config
            .allowed_hosts
            .iter()
            .any(|h| host_only(h).eq_ignore_ascii_case(host))
}

/// Whether the bearer token (if one is configured) was presented.
pub(crate) fn auth_ok(config: &HttpConfig, headers: &HeaderMap) -> bool {
    let Some(expected) = config.bearer_token.as_deref() else {
        return true;
    };
    let Some(given) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
    else {
        return false;
    };
    // Compare digests so the time taken does not depend on where the strings differ.
    let a = Sha256::digest(expected.as_bytes());
    let b = Sha256::digest(given.trim().as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_part_of_an_authority() {
        let cases = [
            ("localhost:8080", "localhost"),
            (" LocalHost:8080 ", "LocalHost"),
            ("example.com", "example.com"),
            ("example.com:", "example.com"),
            ("example.com:http", "example.com:http"),
            ("[::1]:8080", "[::1]"),
            ("[::1", "[::1"),
            ("::1", "::1"),
            ("127.0.0.1:3000", "127.0.0.1"),
        ];
        for (authority, host) in cases {
            assert_eq!(host_only(authority), host, "{authority}");
        }
    }

    #[test]
    fn loopback_names_ignore_case() {
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "[::1]"] {
            assert!(is_loopback_name(host), "{host}");
        }
        for host in [
            "localhost.evil",
            "127.0.0.1.evil",
            "::1",
            "example.com",
            "128.0.0.1",
        ] {
            assert!(!is_loopback_name(host), "{host}");
        }
    }

    fn headers(pairs: &[(http::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(name.clone(), http::HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn host_and_origin_checks() {
        use http::header::{HOST, ORIGIN};
        let mut config = HttpConfig {
            bind: "127.0.0.1:8080".parse().unwrap(),
            ..HttpConfig::default()
        };
        assert!(host_ok(&config, &headers(&[(HOST, "LOCALHOST:8080")])));
        assert!(!host_ok(&config, &headers(&[(HOST, "evil.example:8080")])));
        assert!(origin_ok(
            &config,
            &headers(&[(ORIGIN, "http://Localhost:3000")])
        ));
        assert!(!origin_ok(
            &config,
            &headers(&[(ORIGIN, "http://evil.example")])
        ));
        config.allowed_hosts = vec!["MCP.Example.com:443".into()];
        assert!(host_ok(&config, &headers(&[(HOST, "mcp.example.COM")])));
        assert!(origin_ok(
            &config,
            &headers(&[(ORIGIN, "https://mcp.example.com")])
        ));
        assert!(!host_ok(&config, &headers(&[(HOST, "other.example.com")])));
        config.bind = "0.0.0.0:8080".parse().unwrap();
        assert!(!host_ok(&config, &headers(&[(HOST, "other.example.com")])));
        config.allowed_hosts.clear();
        assert!(host_ok(&config, &headers(&[(HOST, "other.example.com")])));
    }
}
