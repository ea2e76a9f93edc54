//! Host, Origin and bearer-token checks, run before anything else.

use http::HeaderMap;
use sha2::{Digest, Sha256};

use super::HttpConfig;

const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The host part of `host[:port]` or `[v6]:port`, lowercased.
pub(crate) fn host_only(authority: &str) -> String {
    let a = authority.trim().to_ascii_lowercase();
    if a.starts_with('[') {
        return match a.find(']') {
            Some(end) => a[..=end].to_owned(),
            None => a,
        };
    }
    match a.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            h.to_owned()
        }
        _ => a,
    }
}

fn is_loopback_name(host: &str) -> bool {
    LOOPBACK_NAMES.contains(&host)
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
    if config.allowed_hosts.iter().any(|h| host_only(h) == host) {
        return true;
    }
    if config.bind.ip().is_loopback() {
        return is_loopback_name(&host);
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
    is_loopback_name(&host) || config.allowed_hosts.iter().any(|h| host_only(h) == host)
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
