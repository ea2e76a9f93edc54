//! Signed, short-lived, single-use handles bound to one tool and a digest of its arguments.
//!
//! Format: `pxc1.<payload>.<mac>`, both parts base64url without padding; the payload is JSON
//! `{"p":purpose,"t":tool,"d":args digest,"e":expiry (unix seconds),"n":nonce}` and the mac is
//! HMAC-SHA256 over `pxc1.<payload>`. The arguments digest is itself keyed (HMAC over the
//! canonical JSON), so a handle reveals nothing that could be guessed offline.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::canonical::canonical_json;

type HmacSha256 = Hmac<Sha256>;

const PREFIX: &str = "pxc1.";
const MIN_KEY_LEN: usize = 32;
/// HMAC-SHA256 output length.
const MAC_LEN: usize = 32;
/// Handles longer than this are rejected before any decoding.
const MAX_HANDLE_LEN: usize = 4096;

/// The HMAC key handles are signed with. Its `Debug` output never shows the key.
///
/// One process: 32 random bytes at start-up. Several replicas: the same key on each (for
/// example from a secret the server reads), so any replica verifies any handle.
#[derive(Clone)]
pub struct SigningKey(HmacSha256);

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// A key shorter than 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a handle signing key needs at least {MIN_KEY_LEN} bytes, got {0}")]
pub struct KeyTooShort(pub usize);

impl SigningKey {
    /// A key from raw bytes (at least 32).
    pub fn from_bytes(bytes: &[u8]) -> Result<SigningKey, KeyTooShort> {
        if bytes.len() < MIN_KEY_LEN {
            return Err(KeyTooShort(bytes.len()));
        }
        // HMAC accepts keys of any length; the error branch is unreachable but stays total.
        HmacSha256::new_from_slice(bytes)
            .map(SigningKey)
            .map_err(|_| KeyTooShort(bytes.len()))
    }

    fn mac(&self, domain: &[u8], data: &[u8]) -> HmacSha256 {
        let mut mac = self.0.clone();
        mac.update(domain);
        mac.update(&[0]);
        mac.update(data);
        mac
    }
}

/// Sixteen random bytes the caller supplies (the library reads no randomness of its own).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Nonce(pub [u8; 16]);

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({})", hex::encode(self.0))
    }
}

/// What a handle may be used for; a handle of one purpose is refused for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Purpose {
    /// The user approved this exact call (from `pxcloud_confirm_change`).
    Approval,
    /// A call waiting for an answer (e.g. carried across an `input_required` round trip).
    Pending,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    p: Purpose,
    t: String,
    d: String,
    e: u64,
    n: String,
}

/// The claims of a verified handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// Its purpose.
    pub purpose: Purpose,
    /// The tool it is bound to.
    pub tool: String,
    /// When it stops being valid.
    pub expires_at: SystemTime,
    /// Its nonce, hex (the single-use key).
    pub nonce: String,
}

/// Why a handle was refused; each is a distinct denial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandleError {
    /// Not a handle this server issued (wrong shape or encoding).
    #[error("the confirmation handle is malformed; use the handle exactly as it was returned")]
    Malformed,
    /// The signature does not match: it was altered or signed with another key.
    #[error("the confirmation handle was tampered with or not issued by this server")]
    Tampered,
    /// A handle of another purpose.
    #[error("the handle is not an approval handle for this call")]
    WrongPurpose,
    /// Past its expiry.
    #[error("the confirmation handle has expired; ask the user to approve again")]
    Expired,
    /// Issued for another tool.
    #[error("the confirmation handle was issued for another tool")]
    OtherTool,
    /// Issued for other arguments.
    #[error(
        "the confirmation handle was issued for other arguments; approval covers only the exact arguments shown to the user"
    )]
    OtherArguments,
    /// Already used once.
    #[error("the confirmation handle was already used; each approval allows one call")]
    Reused,
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Mints and verifies handles with one key.
#[derive(Debug, Clone)]
pub struct HandleSigner {
    key: SigningKey,
}

impl HandleSigner {
    /// A signer over `key`.
    pub fn new(key: SigningKey) -> HandleSigner {
        HandleSigner { key }
    }

    /// The keyed digest of an argument map (canonical JSON, so member order does not matter).
    pub fn args_digest(&self, args: &Map<String, Value>) -> String {
        let canonical = canonical_json(&Value::Object(args.clone()));
        hex::encode(
            self.key
                .mac(b"pxcloud-args", canonical.as_bytes())
                .finalize()
                .into_bytes(),
        )
    }

    /// Mints a handle for `tool` and `args`, valid for `ttl` from `now`.
    pub fn mint(
        &self,
        purpose: Purpose,
        tool: &str,
        args: &Map<String, Value>,
        now: SystemTime,
        ttl: Duration,
        nonce: Nonce,
    ) -> String {
        let payload = Payload {
            p: purpose,
            t: tool.to_owned(),
            d: self.args_digest(args),
            e: unix_secs(now).saturating_add(ttl.as_secs()),
            n: hex::encode(nonce.0),
        };
        // Serializing this plain struct cannot fail.
        let json = serde_json::to_vec(&payload).unwrap_or_default();
        let signed = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json));
        let mac = self
            .key
            .mac(b"pxcloud-handle", signed.as_bytes())
            .finalize()
            .into_bytes();
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac))
    }

    /// Verifies signature, purpose, expiry, tool and arguments, in that order. It does not
    /// consume the nonce: the caller does that once the call is otherwise allowed.
    pub fn verify(
        &self,
        handle: &str,
        purpose: Purpose,
        tool: &str,
        args: &Map<String, Value>,
        now: SystemTime,
    ) -> Result<Claims, HandleError> {
        if handle.len() > MAX_HANDLE_LEN || !handle.starts_with(PREFIX) {
            return Err(HandleError::Malformed);
        }
        let (signed, mac_b64) = handle.rsplit_once('.').ok_or(HandleError::Malformed)?;
        let mac = URL_SAFE_NO_PAD
            .decode(mac_b64)
            .map_err(|_| HandleError::Malformed)?;
        if mac.len() != MAC_LEN || !signed.starts_with(PREFIX) {
            return Err(HandleError::Malformed);
        }
        self.key
            .mac(b"pxcloud-handle", signed.as_bytes())
            .verify_slice(&mac)
            .map_err(|_| HandleError::Tampered)?;
        // Signed by us, so the payload is ours; still decoded defensively.
        let payload_b64 = signed.get(PREFIX.len()..).ok_or(HandleError::Malformed)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| HandleError::Malformed)?;
        let payload: Payload = serde_json::from_slice(&json).map_err(|_| HandleError::Malformed)?;
        if payload.p != purpose {
            return Err(HandleError::WrongPurpose);
        }
        if unix_secs(now) >= payload.e {
            return Err(HandleError::Expired);
        }
        if payload.t != tool {
            return Err(HandleError::OtherTool);
        }
        let digest = self.args_digest(args);
        if !constant_time_eq(digest.as_bytes(), payload.d.as_bytes()) {
            return Err(HandleError::OtherArguments);
        }
        Ok(Claims {
            purpose: payload.p,
            tool: payload.t,
            expires_at: UNIX_EPOCH + Duration::from_secs(payload.e),
            nonce: payload.n,
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
