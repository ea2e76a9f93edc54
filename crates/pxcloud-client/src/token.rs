//! Token lifetime: expiry from the login answer or a JWT's `exp`, and when to renew.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use http::HeaderValue;

use crate::secret::Secret;

/// The `exp` claim of a JWT, if the token is one; `None` for opaque tokens.
pub fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?;
    let secs = exp
        .as_u64()
        .or_else(|| exp.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

/// A token with what is known of its lifetime.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// `Authorization: Bearer …`, made once and marked sensitive (the only copy of the
    /// token kept); `None` when the token is not a valid header value.
    pub(crate) header: Option<HeaderValue>,
    pub(crate) expires_at: Option<SystemTime>,
    pub(crate) obtained_at: SystemTime,
    /// Increases with every login; lets concurrent callers see that someone else renewed.
    pub(crate) generation: u64,
}

impl Token {
    /// A token obtained (or given) now.
    pub(crate) fn new(secret: Secret, expires_at: Option<SystemTime>, generation: u64) -> Token {
        let header = HeaderValue::from_str(&format!("Bearer {}", secret.expose()))
            .ok()
            .map(|mut value| {
                value.set_sensitive(true);
                value
            });
        Token {
            header,
            expires_at,
            obtained_at: SystemTime::now(),
            generation,
        }
    }

    /// Whether the token should be renewed now: within a fifth of its lifetime (at most
    /// 60 s) of expiring, or already expired. Expiry times come in whole seconds, possibly
    /// rounded up, so one second is taken off first.
    pub(crate) fn needs_renewal(&self, now: SystemTime) -> bool {
        let Some(expires_at) = self.expires_at else {
            return false;
        };
        let expires_at = expires_at
            .checked_sub(Duration::from_secs(1))
            .unwrap_or(expires_at);
        let lifetime = expires_at
            .duration_since(self.obtained_at)
            .unwrap_or(Duration::ZERO);
        let margin = (lifetime / 5).min(Duration::from_secs(60));
        match expires_at.checked_sub(margin) {
            Some(renew_at) => now >= renew_at,
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            enc.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            enc.encode(payload)
        )
    }

    #[test]
    fn expiry_from_jwt() {
        let cases: Vec<(String, Option<u64>)> = vec![
            (
                jwt(r#"{"sub":"admin","exp":1700000000}"#),
                Some(1_700_000_000),
            ),
            (
                jwt(r#"{"sub":"admin","exp":1700000000.5}"#),
                Some(1_700_000_000),
            ),
            (jwt(r#"{"sub":"admin"}"#), None),
            (jwt(r#"{"exp":"soon"}"#), None),
            (jwt("not json"), None),
            ("opaque-token".into(), None),
            ("a.b".into(), None),
            ("a.!!!.c".into(), None),
            ("a.b.c.d".into(), None),
        ];
        for (token, want) in cases {
            let got = jwt_expiry(&token).map(|t| t.duration_since(UNIX_EPOCH).unwrap().as_secs());
            assert_eq!(got, want, "{token}");
        }
    }

    #[test]
    fn renewal_margin() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let token = |ttl: u64| Token {
            header: None,
            expires_at: Some(t0 + Duration::from_secs(ttl)),
            obtained_at: t0,
            generation: 1,
        };
        // One hour: renew in the last 60 s (before the last second, which rounding may eat).
        let hour = token(3600);
        assert!(!hour.needs_renewal(t0 + Duration::from_secs(3538)));
        assert!(hour.needs_renewal(t0 + Duration::from_secs(3539)));
        // Ten seconds: renew in the last 2.8 s.
        let short = token(10);
        assert!(!short.needs_renewal(t0 + Duration::from_secs(7)));
        assert!(short.needs_renewal(t0 + Duration::from_secs(8)));
        assert!(short.needs_renewal(t0 + Duration::from_secs(20)));
        let unknown = Token {
            expires_at: None,
            ..token(1)
        };
        assert!(!unknown.needs_renewal(t0 + Duration::from_secs(1_000_000)));
    }
}
