//! requestState: signed, bound to method + params digest + expiry.

use std::time::Duration;

use mcp_protocol::state::{StateError, StateSigner};
use serde_json::{Map, Value, json};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

#[test]
fn seal_and_open_round_trip_ignoring_round_specific_params() {
    let signer = StateSigner::new([7; 32], Duration::from_secs(60));
    let params = obj(json!({"name": "t", "arguments": {"b": 1, "a": [1, 2]}}));
    let answers = obj(json!({"step1": {"action": "accept", "content": {"name": "Al"}}}));
    let token = signer.seal("tools/call", &params, &answers);
    // The retry carries _meta, inputResponses and requestState, and keys in another order.
    let retry = obj(json!({
        "arguments": {"a": [1, 2], "b": 1}, "name": "t",
        "_meta": {"x": 1}, "inputResponses": {"k": {}}, "requestState": token
    }));
    assert_eq!(signer.open(&token, "tools/call", &retry), Ok(answers));
}

#[test]
fn tampering_and_misuse_are_detected() {
    let signer = StateSigner::new([7; 32], Duration::from_secs(60));
    let params = obj(json!({"name": "t", "arguments": {}}));
    let token = signer.seal("tools/call", &params, &Map::new());
    let (body, sig) = token.split_once('.').unwrap();
    let mut flipped = body.to_owned().into_bytes();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    let other_key = StateSigner::new([8; 32], Duration::from_secs(60));
    let cases: Vec<(String, &str, Map<String, Value>, StateError)> = vec![
        (
            format!("{token}-TAMPERED"),
            "tools/call",
            params.clone(),
            StateError::BadSignature,
        ),
        (
            format!("{}.{sig}", String::from_utf8(flipped).unwrap()),
            "tools/call",
            params.clone(),
            StateError::BadSignature,
        ),
        (
            "no-dot".into(),
            "tools/call",
            params.clone(),
            StateError::Malformed,
        ),
        (
            token.clone(),
            "prompts/get",
            params.clone(),
            StateError::WrongRequest,
        ),
        (
            token.clone(),
            "tools/call",
            obj(json!({"name": "other", "arguments": {}})),
            StateError::WrongRequest,
        ),
        (
            other_key.seal("tools/call", &params, &Map::new()),
            "tools/call",
            params.clone(),
            StateError::BadSignature,
        ),
    ];
    for (token, method, params, expected) in cases {
        assert_eq!(
            signer.open(&token, method, &params),
            Err(expected),
            "token {token}"
        );
    }
}

#[test]
fn expired_state_is_refused() {
    let signer = StateSigner::new([1; 32], Duration::ZERO);
    let params = Map::new();
    let token = signer.seal("tools/call", &params, &Map::new());
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(
        signer.open(&token, "tools/call", &params),
        Err(StateError::Expired)
    );
}

#[test]
fn debug_output_hides_the_key() {
    let signer = StateSigner::new([42; 32], Duration::from_secs(1));
    let text = format!("{signer:?}");
    assert!(text.contains("redacted"));
    assert!(!text.contains("42"));
}

#[test]
fn signature_is_standard_hmac_sha256_of_the_body() {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let key = [9u8; 32];
    let signer = StateSigner::new(key, Duration::from_secs(60));
    let token = signer.seal("tools/call", &Map::new(), &Map::new());
    let (body, sig) = token.split_once('.').unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(body.as_bytes());
    let expected =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    assert_eq!(sig, expected);
}
