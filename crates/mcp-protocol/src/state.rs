//! `requestState` for stateless multi-round-trip requests: signed with HMAC-SHA256,
//! bound to the method, a digest of the params and an expiry. The client holds it; the
//! server trusts nothing in it until the signature checks out.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Why a `requestState` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateError {
    /// Not in the `payload.signature` shape or not decodable.
    Malformed,
    /// The signature does not match (tampered or from another key).
    BadSignature,
    /// Minted for another method or other params.
    WrongRequest,
    /// Past its expiry.
    Expired,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StateError::Malformed => "requestState is malformed",
            StateError::BadSignature => "requestState failed its integrity check",
            StateError::WrongRequest => "requestState was issued for a different request",
            StateError::Expired => "requestState has expired",
        })
    }
}

impl std::error::Error for StateError {}

/// Seals and opens `requestState` values with one secret key.
#[derive(Clone)]
pub struct StateSigner {
    key: [u8; 32],
    ttl: Duration,
}

impl fmt::Debug for StateSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateSigner")
            .field("key", &"<redacted>")
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl StateSigner {
    /// A signer with the given key; states live for `ttl`.
    pub fn new(key: [u8; 32], ttl: Duration) -> Self {
        StateSigner { key, ttl }
    }

    /// A signer with a random key (states do not survive a restart or span replicas).
    pub fn random(ttl: Duration) -> Self {
        Self::new(rand::random(), ttl)
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC zero-pads keys shorter than the 64-byte SHA-256 block, so padding here
        // gives the same MAC as the 32-byte key and makes construction infallible.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.key);
        <HmacSha256 as KeyInit>::new(&block.into())
    }

    /// Seals the answers gathered so far for `method` with these params.
    pub fn seal(
        &self,
        method: &str,
        params: &Map<String, Value>,
        answers: &Map<String, Value>,
    ) -> String {
        let expires = now_secs().saturating_add(self.ttl.as_secs());
        let payload = json!({
            "m": method,
            "d": hex::encode(params_digest(params)),
            "e": expires,
            "a": answers,
        });
        let body = URL_SAFE_NO_PAD.encode(payload.to_string());
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{sig}")
    }

    /// Opens a state for `method` with these params and returns the answers it carries.
    pub fn open(
        &self,
        token: &str,
        method: &str,
        params: &Map<String, Value>,
    ) -> Result<Map<String, Value>, StateError> {
        let (body, sig) = token.split_once('.').ok_or(StateError::Malformed)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| StateError::BadSignature)?;
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        mac.verify_slice(&sig)
            .map_err(|_| StateError::BadSignature)?;
        let raw = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| StateError::Malformed)?;
        let payload: Value = serde_json::from_slice(&raw).map_err(|_| StateError::Malformed)?;
        let digest = hex::encode(params_digest(params));
        if payload.get("m").and_then(Value::as_str) != Some(method)
            || payload.get("d").and_then(Value::as_str) != Some(digest.as_str())
        {
            return Err(StateError::WrongRequest);
        }
        let expires = payload
            .get("e")
            .and_then(Value::as_u64)
            .ok_or(StateError::Malformed)?;
        if expires < now_secs() {
            return Err(StateError::Expired);
        }
        match payload.get("a") {
            Some(Value::Object(a)) => Ok(a.clone()),
            _ => Err(StateError::Malformed),
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// SHA-256 of the params in canonical form (sorted keys), leaving out `_meta`,
/// `inputResponses` and `requestState`, which legitimately change between rounds.
pub fn params_digest(params: &Map<String, Value>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut keys: Vec<&String> = params
        .keys()
        .filter(|k| !matches!(k.as_str(), "_meta" | "inputResponses" | "requestState"))
        .collect();
    keys.sort();
    hasher.update(b"{");
    for k in keys {
        write_canonical(&mut hasher, &Value::String(k.clone()));
        hasher.update(b":");
        if let Some(v) = params.get(k) {
            write_canonical(&mut hasher, v);
        }
        hasher.update(b",");
    }
    hasher.update(b"}");
    hasher.finalize().into()
}

fn write_canonical(hasher: &mut Sha256, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            hasher.update(b"{");
            for k in keys {
                write_canonical(hasher, &Value::String(k.clone()));
                hasher.update(b":");
                if let Some(v) = map.get(k) {
                    write_canonical(hasher, v);
                }
                hasher.update(b",");
            }
            hasher.update(b"}");
        }
        Value::Array(items) => {
            hasher.update(b"[");
            for v in items {
                write_canonical(hasher, v);
                hasher.update(b",");
            }
            hasher.update(b"]");
        }
        other => hasher.update(other.to_string().as_bytes()),
    }
}
