//! Masking of secret-looking fields.

use policy::{is_secret_key, mask_pairs, mask_secrets};
use serde_json::json;

#[test]
fn secret_looking_names() {
    let secret = [
        "password",
        "PASSWORD",
        "Passwd",
        "new_password",
        "passphrase",
        "client_secret",
        "secretKey",
        "token",
        "X-Auth-Token",
        "access_token",
        "api_key",
        "apiKey",
        "API-KEY",
        "apikey",
        "Authorization",
        "private_key",
        "privateKey",
        "credential",
        "Credentials",
        "Cookie",
        "session_id",
    ];
    let plain = [
        "name",
        "user",
        "username",
        "id",
        "node",
        "key",
        "description",
        "author",
        "pass",
    ];
    for s in secret {
        assert!(is_secret_key(s), "{s} should be secret");
    }
    for p in plain {
        assert!(!is_secret_key(p), "{p} should not be secret");
    }
}

#[test]
fn masks_nested_objects_and_arrays() {
    let input = json!({
        "name": "vm1",
        "auth": {"Password": "p1", "user": "root", "tokens": ["a", "b"]},
        "users": [{"name": "ann", "api_key": {"id": 1, "value": "k"}}, "plain"],
        "credential": null
    });
    let expected = json!({
        "name": "vm1",
        "auth": {"Password": "***", "user": "root", "tokens": "***"},
        "users": [{"name": "ann", "api_key": "***"}, "plain"],
        "credential": "***"
    });
    assert_eq!(mask_secrets(&input), expected);
    assert_eq!(mask_secrets(&json!("password")), json!("password"));
}

#[test]
fn masks_header_and_query_pairs() {
    let pairs = vec![
        ("Authorization".to_string(), "Bearer x".to_string()),
        ("node".into(), "n1".into()),
    ];
    assert_eq!(
        mask_pairs(&pairs),
        vec![
            ("Authorization".to_string(), "***".to_string()),
            ("node".into(), "n1".into())
        ]
    );
}
