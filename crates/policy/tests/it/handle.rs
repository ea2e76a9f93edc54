//! Handles on their own: format, binding, expiry, the nonce store.

use std::time::Duration;

use policy::{HandleError, HandleSigner, MemoryNonceStore, Nonce, NonceStore, Purpose, SigningKey};
use serde_json::{Map, Value, json};

use crate::support::{T0, at, key, obj};

type Case<'a> = (
    &'a str,
    Purpose,
    &'a str,
    Map<String, Value>,
    u64,
    Result<(), HandleError>,
);

#[test]
fn verify_reports_each_failure_distinctly() {
    let s = HandleSigner::new(key());
    let args = obj(json!({"b": [1, {"y": 2, "x": 1}], "a": "z"}));
    let h = s.mint(
        Purpose::Approval,
        "t",
        &args,
        at(T0),
        Duration::from_secs(60),
        Nonce([3; 16]),
    );
    assert!(h.starts_with("pxc1."));
    let reordered = obj(json!({"a": "z", "b": [1, {"x": 1, "y": 2}]}));
    // (what, purpose asked for, tool, arguments, now, expected)
    let cases: Vec<Case<'_>> = vec![
        (
            "valid",
            Purpose::Approval,
            "t",
            args.clone(),
            T0 + 59,
            Ok(()),
        ),
        (
            "reordered members",
            Purpose::Approval,
            "t",
            reordered,
            T0,
            Ok(()),
        ),
        (
            "at expiry",
            Purpose::Approval,
            "t",
            args.clone(),
            T0 + 60,
            Err(HandleError::Expired),
        ),
        (
            "other purpose",
            Purpose::Pending,
            "t",
            args.clone(),
            T0,
            Err(HandleError::WrongPurpose),
        ),
        (
            "other tool",
            Purpose::Approval,
            "u",
            args.clone(),
            T0,
            Err(HandleError::OtherTool),
        ),
        (
            "array order matters",
            Purpose::Approval,
            "t",
            obj(json!({"a": "z", "b": [{"y": 2, "x": 1}, 1]})),
            T0,
            Err(HandleError::OtherArguments),
        ),
        (
            "1 is not 1.0",
            Purpose::Approval,
            "t",
            obj(json!({"a": "z", "b": [1.0, {"y": 2, "x": 1}]})),
            T0,
            Err(HandleError::OtherArguments),
        ),
    ];
    for (what, purpose, tool, a, now, expected) in cases {
        let got = s.verify(&h, purpose, tool, &a, at(now)).map(|_| ());
        assert_eq!(got, expected, "{what}");
    }
    let malformed = [
        "",
        "pxc1.",
        "pxc1.abc",
        "pxc1.!!!.???",
        "pxc2.abc.def",
        &"x".repeat(5000),
    ];
    for m in malformed {
        assert_eq!(
            s.verify(m, Purpose::Approval, "t", &args, at(T0))
                .map(|_| ()),
            Err(HandleError::Malformed),
            "{m:?}"
        );
    }
}

#[test]
fn claims_carry_expiry_and_nonce() {
    let s = HandleSigner::new(key());
    let args = obj(json!({}));
    let h = s.mint(
        Purpose::Pending,
        "t",
        &args,
        at(T0),
        Duration::from_secs(90),
        Nonce([0xab; 16]),
    );
    match s.verify(&h, Purpose::Pending, "t", &args, at(T0)) {
        Ok(c) => {
            assert_eq!(c.expires_at, at(T0 + 90));
            assert_eq!(c.nonce, "ab".repeat(16));
            assert_eq!(c.tool, "t");
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn memory_store_is_single_use_and_forgets_expired_nonces() {
    let store = MemoryNonceStore::new();
    assert_eq!(store.consume("n1", at(T0 + 10), at(T0)), Ok(()));
    assert!(store.consume("n1", at(T0 + 10), at(T0 + 1)).is_err());
    assert_eq!(store.consume("n2", at(T0 + 20), at(T0 + 1)), Ok(()));
    assert_eq!(store.len(), 2);
    // After n1's handle expired, n1 is forgotten (its handle can no longer verify anyway).
    assert_eq!(store.consume("n3", at(T0 + 30), at(T0 + 10)), Ok(()));
    assert_eq!(store.len(), 2);
}

#[test]
fn keys_are_at_least_32_bytes_and_never_printed() {
    assert!(SigningKey::from_bytes(&[1; 31]).is_err());
    let k = SigningKey::from_bytes(b"0123456789abcdef0123456789abcdef-secret");
    let Ok(k) = k else {
        panic!("32+ byte key rejected")
    };
    let dbg = format!("{k:?} {:?}", HandleSigner::new(k.clone()));
    assert!(!dbg.contains("secret") && !dbg.contains("0123"), "{dbg}");
}

/// Every single-character change and every truncation of a handle is refused, never accepted
/// and never a panic: the signature covers every byte.
#[test]
fn every_mutation_of_a_handle_is_refused() {
    let s = HandleSigner::new(key());
    let args = obj(json!({"id": 5, "name": "web"}));
    let h = s.mint(
        Purpose::Approval,
        "t",
        &args,
        at(T0),
        Duration::from_secs(60),
        Nonce([9; 16]),
    );
    let verify = |cand: &str| {
        s.verify(cand, Purpose::Approval, "t", &args, at(T0))
            .map(|_| ())
    };
    assert_eq!(verify(&h), Ok(()));
    let alphabet = [
        'A', 'B', 'E', 'Q', 'g', 'z', '0', '9', '-', '_', '.', '=', '+', '/', 'é',
    ];
    let chars: Vec<char> = h.chars().collect();
    let mut tried = 0;
    for i in 0..chars.len() {
        for &c in &alphabet {
            if c == chars[i] {
                continue;
            }
            let mut m = chars.clone();
            m[i] = c;
            let cand: String = m.into_iter().collect();
            let got = verify(&cand);
            assert!(
                matches!(got, Err(HandleError::Tampered | HandleError::Malformed)),
                "position {i} -> {c:?}: {got:?}"
            );
            tried += 1;
        }
    }
    for len in 0..h.len() {
        assert!(verify(&h[..len]).is_err(), "truncated to {len}");
    }
    assert!(verify(&format!("{h}A")).is_err());
    assert!(verify(&format!("{h}.A")).is_err());
    assert!(tried > 1000);
}
