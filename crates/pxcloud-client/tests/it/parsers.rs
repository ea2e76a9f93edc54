//! Parsers of untrusted input never panic: fingerprints, tokens, response bodies.

use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use pxcloud_client::{ApiResponse, jwt_expiry, parse_fingerprint};

fn response(status: u16, body: Vec<u8>) -> ApiResponse {
    ApiResponse {
        status,
        headers: http::HeaderMap::new(),
        body: Bytes::from(body),
        elapsed: Duration::ZERO,
        attempts: 1,
        version: http::Version::HTTP_11,
    }
}

proptest! {
    #[test]
    fn fingerprint_parser_total(input in ".{0,120}") {
        if let Ok(bytes) = parse_fingerprint(&input) {
            // Whatever was accepted round-trips through the canonical form.
            let canonical: Vec<String> = bytes.iter().map(|b| format!("{b:02X}")).collect();
            prop_assert_eq!(parse_fingerprint(&canonical.join(":")).ok(), Some(bytes));
        }
    }

    #[test]
    fn jwt_parser_total(a in "[A-Za-z0-9_=.-]{0,80}", b in ".{0,40}") {
        let _ = jwt_expiry(&a);
        let _ = jwt_expiry(&format!("{a}.{b}.{a}"));
    }

    #[test]
    fn body_decoding_total(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..700)) {
        let r = response(status, body);
        if let Err(e) = r.json() {
            prop_assert!(e.body_prefix().is_some_and(|p| p.len() <= 512 * 3));
        }
        let _ = r.error_for_status();
    }
}
