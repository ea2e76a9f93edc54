//! Masking of secret-looking fields, for audit records, dry-run output and logs.

use serde_json::{Map, Value};

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// Fragments that make a field name secret-looking, compared after lower-casing the name and
/// dropping `_`, `-` and `.` (so `api_key`, `Api-Key` and `apiKey` all match `apikey`).
const SECRET_FRAGMENTS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "authorization",
    "privatekey",
    "credential",
    "cookie",
    "sessionid",
    "signature",
];

/// Whether a field, parameter or header name looks like it holds a secret.
///
/// Case-insensitive and separator-insensitive: `password`, `X-Auth-Token`, `client_secret`,
/// `apiKey`, `Authorization`, `private_key`, `credentials` all match. Errs on the side of
/// masking (`max_tokens` is masked too).
pub fn is_secret_key(name: &str) -> bool {
    let normalized: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | '.' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_FRAGMENTS.iter().any(|f| normalized.contains(f))
}

/// A copy of `value` in which every object member with a secret-looking name (at any depth,
/// inside arrays too) has its whole value replaced by [`MASK`].
///
/// ```
/// use serde_json::json;
/// let masked = policy::mask_secrets(&json!({"user": "ann", "auth": {"Password": "p", "otp": [1]}}));
/// assert_eq!(masked, json!({"user": "ann", "auth": {"Password": "***", "otp": [1]}}));
/// ```
pub fn mask_secrets(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(mask_map(map)),
        Value::Array(items) => Value::Array(items.iter().map(mask_secrets).collect()),
        other => other.clone(),
    }
}

/// [`mask_secrets`] for an argument map.
pub fn mask_map(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .map(|(k, v)| {
            let masked = if is_secret_key(k) {
                Value::String(MASK.to_owned())
            } else {
                mask_secrets(v)
            };
            (k.clone(), masked)
        })
        .collect()
}

/// Masks the values of secret-looking pairs (headers, query parameters).
pub fn mask_pairs(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| {
            let v = if is_secret_key(k) {
                MASK.to_owned()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}
