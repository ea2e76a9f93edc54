//! Users, HS256 JWT issue and verification, token lifetime and revocation.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{ADMIN_PASSWORD, ADMIN_USER, VIEWER_PASSWORD, VIEWER_USER};

type HmacSha256 = Hmac<Sha256>;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    Admin,
    Viewer,
}

/// The built-in accounts: (user, password, role).
const ACCOUNTS: [(&str, &str, Role); 2] = [
    (ADMIN_USER, ADMIN_PASSWORD, Role::Admin),
    (VIEWER_USER, VIEWER_PASSWORD, Role::Viewer),
];

/// Checks a password; the role of the user when it matches.
pub(crate) fn check_password(user: &str, password: &str) -> Option<Role> {
    ACCOUNTS
        .iter()
        .find(|(u, p, _)| *u == user && *p == password)
        .map(|(_, _, r)| *r)
}

/// The role of a known user.
pub(crate) fn role_of(user: &str) -> Option<Role> {
    ACCOUNTS
        .iter()
        .find(|(u, _, _)| *u == user)
        .map(|(_, _, r)| *r)
}

/// The claims inside our tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub(crate) sub: String,
    pub(crate) role: Role,
    pub(crate) iat: u64,
    /// Seconds, rounded up, as JWT wants it.
    pub(crate) exp: u64,
    /// Milliseconds, so that short lifetimes in tests are exact.
    pub(crate) exp_ms: u64,
    /// Revocation generation the token was issued in.
    pub(crate) gen_: u64,
    pub(crate) jti: String,
}

/// Why a token was refused; every variant answers 401 `token_expired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    Malformed,
    BadSignature,
    Expired,
    Revoked,
}

impl TokenError {
    pub(crate) fn message(self) -> &'static str {
        match self {
            TokenError::Malformed => "token is malformed",
            TokenError::BadSignature => "token signature is invalid",
            TokenError::Expired => "token has expired",
            TokenError::Revoked => "token has been revoked",
        }
    }
}

/// Signing key, lifetime and revocation generation of one simulator.
pub(crate) struct AuthState {
    secret: [u8; 64],
    ttl: Mutex<Duration>,
    generation: AtomicU64,
    /// Milliseconds added to the wall clock (see `Sim::advance_clock`).
    offset_ms: AtomicU64,
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The signing key never appears in Debug output.
        f.debug_struct("AuthState")
            .field("ttl", &self.ttl())
            .field("generation", &self.generation.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl AuthState {
    pub(crate) fn new(ttl: Duration) -> Self {
        let mut secret = [0u8; 64];
        rand::rng().fill_bytes(&mut secret);
        AuthState {
            secret,
            ttl: Mutex::new(ttl),
            generation: AtomicU64::new(0),
            offset_ms: AtomicU64::new(0),
        }
    }

    /// The simulator's clock: wall clock plus the advanced offset, Unix milliseconds.
    pub(crate) fn now_ms(&self) -> u64 {
        now_ms().saturating_add(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Moves the simulator's clock forward.
    pub(crate) fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    pub(crate) fn ttl(&self) -> Duration {
        *self.ttl.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_ttl(&self, ttl: Duration) {
        *self.ttl.lock().unwrap_or_else(|e| e.into_inner()) = ttl;
    }

    pub(crate) fn revoke_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn mac(&self) -> HmacSha256 {
        // The key is exactly one SHA-256 block long, so the infallible constructor applies.
        <HmacSha256 as KeyInit>::new(&self.secret.into())
    }

    /// Mints a token for `user`; returns it with its expiry in Unix seconds.
    pub(crate) fn issue(&self, user: &str, role: Role) -> (String, u64) {
        let now = self.now_ms();
        let ttl_ms = self.ttl().as_millis() as u64;
        let exp_ms = now.saturating_add(ttl_ms);
        let mut jti = [0u8; 8];
        rand::rng().fill_bytes(&mut jti);
        let claims = Claims {
            sub: user.to_owned(),
            role,
            iat: now / 1000,
            exp: exp_ms.div_ceil(1000),
            exp_ms,
            gen_: self.generation.load(Ordering::SeqCst),
            jti: hex::encode(jti),
        };
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signing_input = format!("{header}.{payload}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        (format!("{signing_input}.{sig}"), claims.exp)
    }

    /// Checks signature, expiry and revocation.
    pub(crate) fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header_json = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| TokenError::Malformed)?;
        let header_val: serde_json::Value =
            serde_json::from_slice(&header_json).map_err(|_| TokenError::Malformed)?;
        if header_val.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(TokenError::Malformed);
        }
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac.verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
        if claims.gen_ < self.generation.load(Ordering::SeqCst) {
            return Err(TokenError::Revoked);
        }
        if claims.exp_ms <= self.now_ms() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}
